use crate::lint::Ctx;
use crate::lint::diagnostic::{Edit, Finding, Fix, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::frontmatter::Defect;

declare_rule! {
    /// ## What it does
    /// Reports a first line such as `---id: tools-003`: the opening fence and the first key
    /// were merged when a line break was lost.
    ///
    /// ## Why is this bad?
    /// The file has no front matter at all. Worse, a lenient parser that accepts any line
    /// starting with `---` reads the following lines as metadata *without* the first key,
    /// and a writer then saves a key named `'---id'` (see FM005).
    ///
    /// ## How to fix
    /// Split the line: `---` on its own line, then `id: tools-003`.
    ///
    /// ## Fix safety
    /// Safe: a line break (the file's own) goes back after the `---`; a closing fence
    /// written `---\` after the metadata is repaired with it.
    code = "FM004",
    name = "fence-merged-key",
    severity = Some(Severity::Error),
    summary = "opening fence merged with the first key (`---id: …`)",
    check = check,
    fix = Safe,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for defect in &ctx.note.split.defects {
        if let Defect::MergedFence { line, key } = defect {
            out.push(
                Finding::new(
                    line.clone(),
                    format!("the opening fence is merged with the key `{key}`; the note has no front matter"),
                )
                .help(format!("put `---` on its own line, followed by `{key}: …`"))
                .fix(fix(ctx, line)),
            );
        }
    }
}

/// Break the line after the fence, and repair a broken closing fence if there is one.
fn fix(ctx: &Ctx<'_>, line: &std::ops::Range<usize>) -> Fix {
    let text = &ctx.note.text;
    let next = text[line.end..]
        .find('\n')
        .map_or(text.len(), |i| line.end + i + 1);
    let mut edits = vec![Edit::insert(line.start + 3, ctx.note.split.eol.as_str())];
    if let Some(close) = crate::vault::frontmatter::broken_fence_after(text, next) {
        edits.push(Edit::replace(close, "---"));
    }
    Fix::safe("put the fence on its own line", edits)
}
