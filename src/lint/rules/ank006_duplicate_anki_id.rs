use crate::lint::IndexCtx;
use crate::lint::diagnostic::{Finding, Severity, listing};
use crate::lint::registry::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports an `anki_id` used by two `anki_cards` entries, in one note or across the
    /// vault, naming the other place.
    ///
    /// ## Why is this bad?
    /// One Anki note can back one card. Two entries with one id make every sync overwrite
    /// one card with the other.
    ///
    /// ## How to fix
    /// Delete the `anki_id` and `synced_at` of the entry that does not own the Anki note;
    /// sync recovers the right one by its slug.
    code = "ANK006",
    name = "duplicate-anki-id",
    severity = Some(Severity::Error),
    summary = "the same `anki_id` in two `anki_cards` entries",
    index_check = check,
}

fn check(ctx: &IndexCtx<'_>, out: &mut Vec<Finding>) {
    // The note's own entries come from the note itself, the other notes' from the index: the
    // index may describe an older text of this note (`check --fix` checks a fixed note
    // against the index of the run).
    let own = &ctx.note.anki_ids;
    for (id, value_range) in own {
        let (id, value_range) = (*id, value_range.clone());
        let elsewhere = ctx.index.anki_id_users(id).iter();
        let others: Vec<(String, std::ops::Range<usize>)> = own
            .iter()
            .filter(|(other, r)| *other == id && *r != value_range)
            .map(|(_, r)| (ctx.note.path.clone(), r.clone()))
            .chain(
                elsewhere
                    .filter(|(p, _)| *p != ctx.note.path)
                    .map(|(p, r)| (p.clone(), r.clone())),
            )
            .collect();
        if others.is_empty() {
            continue;
        }
        let names = listing(others.iter().map(|(p, _)| {
            if *p == ctx.note.path {
                "another entry of this note".to_string()
            } else {
                format!("`{p}`")
            }
        }));
        let mut f = Finding::new(
            value_range,
            format!("`anki_id` {id} is also used by {names}"),
        )
        .help(
            "keep the id on the entry that owns the Anki note; sync recovers the other by its slug",
        );
        for (p, r) in &others {
            f = if *p == ctx.note.path {
                f.label(r.clone(), "same id here")
            } else {
                f.label_in(p.as_str(), r.clone(), "same id here")
            };
        }
        out.push(f);
    }
}
