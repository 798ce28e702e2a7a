use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::yaml::key_text;

declare_rule! {
    /// ## What it does
    /// Reports front matter whose only key is `anki_cards`.
    ///
    /// ## Why is this bad?
    /// This is the footprint of a sync tool that found no front matter it could read,
    /// wrote a fresh block with only its card ids, and discarded the note's metadata (id,
    /// title, topic, …). The metadata is lost, or survives as text in the body (FM006).
    ///
    /// ## How to fix
    /// Restore the metadata from version control, or move the block that leaked into the
    /// body back into the front matter.
    code = "FM009",
    name = "cards-only-front-matter",
    severity = Some(Severity::Error),
    summary = "front matter holds only `anki_cards` (metadata lost)",
    check = check,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(root) = ctx.note.front_matter().and_then(|p| p.root.as_ref()) else {
        return;
    };
    let entries = root.entries();
    if !entries.is_empty() && entries.iter().all(|(k, _)| key_text(k) == "anki_cards") {
        out.push(
            Finding::new(
                entries[0].0.span.clone(),
                "front matter holds only `anki_cards`: the note's metadata was lost",
            )
            .help(
                "restore the metadata from version control, or from a block leaked into the body",
            ),
        );
    }
}
