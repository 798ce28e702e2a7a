use super::anki;
use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports an `anki_cards` entry whose slug is built from something other than the
    /// note's current `id`: an old id (the note was renumbered) or the file name (it was
    /// synced while it had no readable id).
    ///
    /// ## Why is this bad?
    /// The entry no longer names a card the note generates. Earlier tools then appended a
    /// second set of entries and left the first set's Anki notes orphaned.
    ///
    /// ## What sync does with it
    /// `decksmith sync` leaves such entries in place and lists them as stale, creates (or
    /// recovers) the cards under the current id, and lists the Anki notes of the stale
    /// entries as orphans; it deletes those only with `--prune`.
    ///
    /// ## How to fix
    /// Nothing is urgent. After a sync under the current id, delete the stale entries, or
    /// run `decksmith sync --prune` to remove their Anki notes as well.
    code = "ANK002",
    name = "stale-slug-base",
    severity = Some(Severity::Warning),
    summary = "`anki_cards` slug built from an old id or the file name",
    check = check,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(id) = ctx.note.field_str("id") else {
        return;
    };
    for e in anki::entries(ctx) {
        let (Some(slug), Some(base)) = (e.slug, e.parts.map(|s| s.base)) else {
            continue;
        };
        if base == id {
            continue;
        }
        let origin = if base == ctx.note.stem() {
            "the file name".to_string()
        } else {
            format!("`{base}`, not the note's id `{id}`")
        };
        out.push(
            Finding::new(
                e.range(ctx, Some("slug")),
                format!("slug `{slug}` is built from {origin}"),
            )
            .help(
                "sync keeps this entry, creates the card under the current id and reports the old Anki note as an orphan (deleted only with `sync --prune`)",
            ),
        );
    }
}
