use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports a question heading (a section with role `question`) whose first block is
    /// not a `>` blockquote.
    ///
    /// ## Why is this bad?
    /// The card front is the blockquote under the question heading. A question written as
    /// a plain paragraph gives an empty front.
    ///
    /// ## How to fix
    /// Prefix the question's lines with `> `.
    code = "SEC004",
    name = "question-not-quoted",
    severity = Some(Severity::Warning),
    summary = "question heading not followed by a `>` blockquote",
    check = check,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for m in ctx.sections() {
        if m.section.role == "question" && !m.heading.followed_by_quote {
            out.push(
                Finding::new(
                    m.heading.range.clone(),
                    format!(
                        "the question under `{}` is not a `>` blockquote",
                        m.heading.text
                    ),
                )
                .help("prefix the question's lines with `> `"),
            );
        }
    }
}
