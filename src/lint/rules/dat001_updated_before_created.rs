use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports an update date earlier than the creation date, for each pair a kind declares
    /// in `date-pairs` (`created`/`updated`, or `created_at`/`updated_at`). Values that are
    /// not `YYYY-MM-DD` dates are left to the schema.
    ///
    /// ## Why is this bad?
    /// One of the two dates is wrong, and "recently updated" views sort the note wrongly.
    ///
    /// ## How to fix
    /// Correct whichever date is wrong.
    code = "DAT001",
    name = "updated-before-created",
    severity = Some(Severity::Warning),
    summary = "update date earlier than creation date",
    check = check,
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let (Some(kind), Some(parsed)) = (ctx.kind, ctx.note.front_matter()) else {
        return;
    };
    for [created, updated] in &kind.kind.date_pairs {
        let (Some(c), Some(u)) = (
            parsed.json.get(created).and_then(|v| v.as_str()),
            parsed.json.get(updated).and_then(|v| v.as_str()),
        ) else {
            continue;
        };
        if is_date(c) && is_date(u) && u < c {
            let range = parsed
                .spans
                .value(&format!("/{updated}"))
                .unwrap_or(ctx.note.head_range());
            let mut f = Finding::new(
                range,
                format!("`{updated}` {u} is earlier than `{created}` {c}"),
            )
            .help("correct whichever date is wrong");
            if let Some(cr) = parsed.spans.value(&format!("/{created}")) {
                f = f.label(cr, "created here");
            }
            out.push(f);
        }
    }
}
