use super::resolved;
use crate::lint::IndexCtx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::index::Target;

declare_rule! {
    /// ## What it does
    /// Reports a link whose `#Heading` or `#^block` anchor does not exist in the target
    /// note: `[[note#Heading]]`, `[[note#^block-id]]`, `[text](note.md#heading)` or an
    /// in-note `[text](#heading)`. Headings are compared as Obsidian and Markdown renderers
    /// do: case-insensitively, with spaces and punctuation folded (`#Why it matters` and
    /// `#why-it-matters` agree).
    ///
    /// ## Why is this bad?
    /// The link opens the note at the top instead of the intended section, usually because
    /// the heading was renamed.
    ///
    /// ## How to fix
    /// Update the anchor to the heading's current text, or add the block id.
    code = "LNK003",
    name = "unknown-anchor",
    severity = Some(Severity::Warning),
    summary = "`#heading` or `#^block` anchor not found in the target",
    index_check = check,
}

fn check(ctx: &IndexCtx<'_>, out: &mut Vec<Finding>) {
    for r in ctx.links() {
        let (Some(anchor), Target::Note(path)) = (&r.link.anchor, &r.target) else {
            continue;
        };
        // The note's own anchors come from the note: the index may hold an older text of
        // it (`check --fix` checks a fixed note against the index of the run).
        let found = if *path == ctx.note.path {
            r.anchor_here
        } else {
            match ctx.index.anchors(path) {
                Some(a) => a.has(anchor),
                None => continue,
            }
        };
        if !found {
            let what = if anchor.starts_with('^') {
                "block"
            } else {
                "heading"
            };
            out.push(
                Finding::new(
                    r.link.range.clone(),
                    format!(
                        "`{}`: no {what} `{anchor}` in `{path}`",
                        resolved::shown(r.link)
                    ),
                )
                .help(format!(
                    "point the anchor at an existing {what} of the note"
                )),
            );
        }
    }
}
