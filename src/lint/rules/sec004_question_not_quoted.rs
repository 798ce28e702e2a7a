use crate::lint::Ctx;
use crate::lint::diagnostic::{Edit, Finding, Fix, Severity};
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
    ///
    /// ## Fix safety
    /// Safe, and offered when the question is one plain paragraph (no list, table, code or
    /// quote in it): each of its lines gets `> `. Anything else is left to a person.
    code = "SEC004",
    name = "question-not-quoted",
    severity = Some(Severity::Warning),
    summary = "question heading not followed by a `>` blockquote",
    check = check,
    fix = Safe,
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
                .help("prefix the question's lines with `> `")
                .fix_if(quote(&ctx.note.text, m.heading.range.end)),
            );
        }
    }
}

/// Quote the plain paragraph that follows a heading ending at `after`.
fn quote(text: &str, after: usize) -> Option<Fix> {
    let mut at = text[after..].find('\n').map(|i| after + i + 1)?;
    let mut starts = Vec::new();
    while at < text.len() {
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
        let line = text[at..end].trim_end();
        if line.trim().is_empty() {
            if starts.is_empty() {
                at = end;
                continue;
            }
            break;
        }
        let t = line.trim_start();
        let block = t.starts_with(['#', '>', '|', '-', '*', '+', '`', '~', '<'])
            || t.starts_with(|c: char| c.is_ascii_digit()) && t.contains(". ")
            || line.starts_with("    ")
            || line.starts_with('\t');
        if block {
            return None;
        }
        starts.push(at);
        at = end;
    }
    (!starts.is_empty()).then(|| {
        Fix::safe(
            "quote the question",
            starts.into_iter().map(|s| Edit::insert(s, "> ")).collect(),
        )
    })
}
