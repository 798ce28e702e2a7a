use super::anki;
use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports an `anki_cards` entry whose `slug` is missing or not of the form
    /// `<note id>-<index>-<lang>` (`sysdes-039-0-en`).
    ///
    /// ## Why is this bad?
    /// The slug is a card's identity: sync finds the Anki note of a card by it. A slug of
    /// another shape matches no generated card, so its Anki note is orphaned and the card is
    /// created again.
    ///
    /// ## How to fix
    /// Correct the slug, or delete the entry and let sync recover the card by its slug field
    /// in Anki.
    code = "ANK001",
    name = "slug-format",
    severity = Some(Severity::Error),
    summary = "`anki_cards` slug is not `<id>-<index>-<lang>`",
    check = check,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for e in anki::entries(ctx) {
        match e.slug {
            None => out.push(
                Finding::new(e.range(ctx, None), "`anki_cards` entry has no `slug`")
                    .help("give the entry its `<id>-<index>-<lang>` slug, or delete it"),
            ),
            Some(slug) if e.parts.is_none() => out.push(
                Finding::new(
                    e.range(ctx, Some("slug")),
                    format!("slug `{slug}` is not of the form `<id>-<index>-<lang>`"),
                )
                .help("write the slug as the note id, the block index and the language: `sysdes-039-0-en`"),
            ),
            Some(_) => {}
        }
    }
}
