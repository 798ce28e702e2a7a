use crate::lint::IndexCtx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::index::Target;

declare_rule! {
    /// ## What it does
    /// Reports a front-matter reference (`related`, `moc`, …) to the note itself.
    ///
    /// ## Why is this bad?
    /// A note is not related to itself; the entry takes the place of a real one.
    ///
    /// ## How to fix
    /// Remove the entry.
    code = "REF002",
    name = "self-reference",
    severity = Some(Severity::Warning),
    summary = "front-matter reference to the note itself",
    index_check = check,
}

fn check(ctx: &IndexCtx<'_>, out: &mut Vec<Finding>) {
    for r in &ctx.note.references {
        if ctx.index.resolve_name(&r.target) == Target::Note(ctx.note.path.as_str()) {
            out.push(
                Finding::new(
                    r.range.clone(),
                    format!("`{}` lists the note itself", r.key),
                )
                .help("remove the entry"),
            );
        }
    }
}
