use crate::lint::Ctx;
use crate::lint::diagnostic::{Edit, Finding, Fix, Severity};
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
    ///
    /// ## Fix safety
    /// Safe, and offered only when the block's closing fence is there but broken (`---\`
    /// after nothing but metadata lines): it becomes `---`. Where a block with no closing
    /// fence at all ends is a guess, so that is not fixed.
    code = "FM002",
    name = "unterminated-front-matter",
    severity = Some(Severity::Error),
    summary = "opening `---` without a closing fence",
    check = check,
    fix = Safe,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for defect in &ctx.note.split.defects {
        if let Defect::Unterminated { open } = defect {
            out.push(
                Finding::new(open.clone(), "front matter is opened here but never closed")
                    .help("add a `---` line after the last metadata line")
                    .fix_if(
                        crate::vault::frontmatter::broken_close(&ctx.note.text, &ctx.note.split)
                            .map(|line| {
                                Fix::safe(
                                    "write the broken closing fence as `---`",
                                    vec![Edit::replace(line, "---")],
                                )
                            }),
                    ),
            );
        }
    }
}
