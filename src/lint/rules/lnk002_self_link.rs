use super::resolved;
use crate::lint::IndexCtx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::index::Target;

declare_rule! {
    /// ## What it does
    /// Reports a link from a note to itself without a heading or block anchor.
    /// (`[[this-note#Section]]` and `[text](#section)` are in-note navigation and fine.)
    ///
    /// ## Why is this bad?
    /// It leads nowhere: usually a copy-paste slip where another note was meant.
    ///
    /// ## How to fix
    /// Link the note that was meant, or remove the link.
    code = "LNK002",
    name = "self-link",
    severity = Some(Severity::Warning),
    summary = "note links to itself",
    index_check = check,
}

fn check(ctx: &IndexCtx<'_>, out: &mut Vec<Finding>) {
    for r in ctx.links() {
        if r.in_note || r.link.anchor.is_some() || r.link.embed {
            continue;
        }
        if r.target == Target::Note(ctx.note.path.as_str()) {
            out.push(
                Finding::new(
                    r.link.range.clone(),
                    format!("`{}` links the note to itself", resolved::shown(r.link)),
                )
                .help("link the note that was meant, or remove the link"),
            );
        }
    }
}
