use crate::lint::Ctx;
use crate::lint::diagnostic::{Edit, Finding, Fix, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::frontmatter::Defect;

declare_rule! {
    /// ## What it does
    /// Reports stray fence lines and `key: value` metadata lines right after the front
    /// matter: a second front-matter block, or a block that was closed early so that the
    /// rest of the metadata became body text.
    ///
    /// ## Why is this bad?
    /// Only the first block is front matter. Keys after it are invisible to Obsidian, to
    /// schemas and to sync, and they render as text (YAML comments such as `# Timestamps`
    /// even render as headings). This is what a writer that *prepends* a new block instead
    /// of editing the existing one leaves behind.
    ///
    /// ## Example
    /// ```markdown
    /// ---
    /// anki_cards: [...]
    /// ---
    /// ---
    /// ---\
    /// id: kotlin-180
    /// title: ...
    /// ---\
    /// ```
    ///
    /// ## How to fix
    /// Move the keys into the front matter (keeping one value per key) and delete the stray
    /// fences.
    ///
    /// ## Fix safety
    /// Safe, and offered only when no leaked key is in the front matter already: the
    /// closing fence and the stray fences before the keys are deleted, and the fence after
    /// them closes the block (repaired if broken, added if missing). The keys keep their
    /// order and text, after the front matter's own. When a key is in both places, which
    /// value is right is the user's call: no fix.
    code = "FM006",
    name = "metadata-in-body",
    severity = Some(Severity::Error),
    summary = "second block or `key: value` lines right after the front matter",
    check = check,
    fix = Safe,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for defect in &ctx.note.split.defects {
        if let Defect::MetadataInBody {
            range,
            fences,
            keys,
        } = defect
        {
            let opens_with_fence = ctx.note.text[range.clone()].starts_with("---");
            let message = match (*fences, *keys) {
                (f, 0) => format!("{f} stray fence line(s) follow the front matter"),
                (_, k) if opens_with_fence => {
                    format!("a second front-matter block with {k} keys follows the front matter")
                }
                (_, k) => {
                    format!("the front matter was closed early: {k} more keys continue in the body")
                }
            };
            out.push(
                Finding::new(range.clone(), message)
                    .help("move these keys into the front matter and delete the stray fences")
                    .fix_if(fix(ctx)),
            );
        }
    }
}

/// Move the leaked keys back into the front matter, when none of them is there already.
fn fix(ctx: &Ctx<'_>) -> Option<Fix> {
    let root = ctx.note.front_matter()?.root.as_ref()?;
    let has_key = |key: &str| root.get(key).is_some();
    let edits = crate::vault::frontmatter::merge_leaked(&ctx.note.text, &ctx.note.split, has_key)?;
    Some(Fix::safe(
        "move the keys back into the front matter",
        edits
            .into_iter()
            .map(|(range, content)| Edit::replace(range, content))
            .collect(),
    ))
}
