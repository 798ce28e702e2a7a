use crate::lint::IndexCtx;
use crate::lint::diagnostic::{Finding, Severity, listing};
use crate::lint::registry::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports an `id` used by more than one note, naming the other files that use it (the
    /// first five in the message, twenty as labels, and how many more).
    ///
    /// ## Why is this bad?
    /// Card slugs are built from the id (`<id>-<index>-<lang>`). Two notes with one id claim
    /// the same Anki cards: each sync overwrites the other note's cards.
    ///
    /// ## How to fix
    /// Give one of the notes a new id. Before its first sync that is free; after it, sync
    /// migrates the cards.
    code = "NAM003",
    name = "duplicate-id",
    severity = Some(Severity::Error),
    summary = "the same `id` in two or more notes",
    index_check = check,
}

fn check(ctx: &IndexCtx<'_>, out: &mut Vec<Finding>) {
    let Some((id, range)) = &ctx.note.id else {
        return;
    };
    let users = ctx.index.id_users(id);
    let others: Vec<_> = users.iter().filter(|(p, _)| *p != ctx.note.path).collect();
    if others.is_empty() {
        return;
    }
    let names = listing(others.iter().map(|(p, _)| format!("`{p}`")));
    let mut finding = Finding::new(range.clone(), format!("id `{id}` is also used by {names}"))
        .help("give each note its own id; card slugs are built from it");
    for (path, span) in others {
        finding = finding.label_in(path.as_str(), span.clone(), "same id here");
    }
    out.push(finding);
}
