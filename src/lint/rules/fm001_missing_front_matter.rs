use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::frontmatter::Defect;

declare_rule! {
    /// ## What it does
    /// Reports a note of a declared kind (for example `qa-note`) that has no front matter:
    /// its first line is not `---`.
    ///
    /// ## Why is this bad?
    /// The note's id, topic and card bookkeeping live in the front matter. Without it the
    /// note cannot be validated or synced.
    ///
    /// ## Example
    /// ```markdown
    /// # Question (EN)
    /// > What is a coroutine?
    /// ```
    ///
    /// ## How to fix
    /// Add a block that starts at the first line with `---` and ends with `---`.
    /// Notes that are not of any kind (READMEs, templates) are not reported.
    code = "FM001",
    name = "missing-front-matter",
    severity = Some(Severity::Error),
    summary = "note of a declared kind has no front matter",
    check = check,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(kind) = ctx.kind else {
        return;
    };
    if ctx.note.unreadable.is_none() && ctx.note.split.defects.contains(&Defect::Missing) {
        out.push(
            Finding::new(
                ctx.note.head_range(),
                format!("`{}` note has no front matter", kind.kind.name),
            )
            .help("start the file with a `---` line, the metadata, and a closing `---` line"),
        );
    }
}
