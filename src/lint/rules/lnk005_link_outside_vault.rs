use super::resolved;
use crate::lint::IndexCtx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::index::Target;

declare_rule! {
    /// ## What it does
    /// Reports a relative Markdown link that climbs above the vault root
    /// (`[x](../../elsewhere/note.md)` from a note one folder deep).
    ///
    /// ## Why is this bad?
    /// The target is not part of the vault: it breaks for anyone who clones or syncs the
    /// vault alone, and Obsidian cannot open it.
    ///
    /// ## How to fix
    /// Move the target into the vault, or link a published URL instead.
    code = "LNK005",
    name = "link-outside-vault",
    severity = Some(Severity::Error),
    summary = "relative link escapes the vault root",
    index_check = check,
}

fn check(ctx: &IndexCtx<'_>, out: &mut Vec<Finding>) {
    for r in ctx.links() {
        if r.target == Target::OutsideVault {
            out.push(
                Finding::new(
                    r.link.range.clone(),
                    format!("`{}` points outside the vault", resolved::shown(r.link)),
                )
                .help("move the target into the vault, or link a URL"),
            );
        }
    }
}
