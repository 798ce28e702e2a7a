use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;

declare_rule! {
    /// ## What it does
    /// Compares the named groups of the kind's `filename-pattern` with the front-matter
    /// fields of the same name. For `q-<slug>--<topic>--<difficulty>.md` the `topic` and
    /// `difficulty` segments must equal the `topic` and `difficulty` fields; for a
    /// knowledge-base note `<id>.md`, the stem must equal `id`. The group `slug` is free.
    ///
    /// ## Why is this bad?
    /// A note named `…--lifecycle--medium.md` with `topic: android` is filed under one topic
    /// and linked under another; one of the two is wrong.
    ///
    /// ## How to fix
    /// Rename the file or correct the field.
    code = "NAM002",
    name = "filename-field-mismatch",
    severity = Some(Severity::Warning),
    summary = "file-name segment differs from the front-matter field",
    check = check,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let (Some(kind), Some(parsed)) = (ctx.kind, ctx.note.front_matter()) else {
        return;
    };
    let Some(pattern) = &kind.filename_pattern else {
        return;
    };
    let name = ctx.note.file_name();
    let Some(caps) = pattern.captures(name) else {
        return;
    };
    for group in pattern.capture_names().flatten() {
        if group == "slug" {
            continue;
        }
        let (Some(segment), Some(field)) = (
            caps.name(group),
            parsed.json.get(group).and_then(|v| v.as_str()),
        ) else {
            continue;
        };
        if segment.as_str() != field {
            let range = parsed
                .spans
                .value(&format!("/{group}"))
                .unwrap_or(ctx.note.head_range());
            out.push(
                Finding::new(
                    range,
                    format!(
                        "file name says {group} `{}` but the `{group}` field is `{field}`",
                        segment.as_str()
                    ),
                )
                .help(format!(
                    "rename the file or set `{group}: {}`",
                    segment.as_str()
                )),
            );
        }
    }
}
