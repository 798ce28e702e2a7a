use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::frontmatter::Defect;

declare_rule! {
    /// ## What it does
    /// Reports a file whose first line is `---` but which has no closing `---` (or `...`)
    /// line.
    ///
    /// ## Why is this bad?
    /// Parsers disagree on what such a file means: some read the whole file as YAML, others
    /// see no front matter at all. decksmith treats it as having no front matter and will
    /// not write to it.
    ///
    /// ## How to fix
    /// Add a `---` line after the last metadata line.
    code = "FM002",
    name = "unterminated-front-matter",
    severity = Some(Severity::Error),
    summary = "opening `---` without a closing fence",
    check = check,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for defect in &ctx.note.split.defects {
        if let Defect::Unterminated { open } = defect {
            out.push(
                Finding::new(open.clone(), "front matter is opened here but never closed")
                    .help("add a `---` line after the last metadata line"),
            );
        }
    }
}
