use crate::lint::Ctx;
use crate::lint::diagnostic::{Edit, Finding, Fix, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::frontmatter::Defect;

declare_rule! {
    /// ## What it does
    /// Reports a front-matter fence written as `---\` (or `---` followed by other junk)
    /// instead of exactly `---`.
    ///
    /// ## Why is this bad?
    /// Only a line that is exactly `---` opens front matter. With `---\`, Obsidian shows no
    /// properties, Dataview sees no fields, and every sync tool reads the note as having no
    /// metadata. In the sampled public vault, one bulk reformat broke 222 notes this way.
    ///
    /// ## Example
    /// ```markdown
    /// ---\
    /// id: "20251030-122942"
    /// ---\
    /// ```
    ///
    /// ## How to fix
    /// Replace both fence lines with `---`.
    ///
    /// ## Fix safety
    /// Safe: the fence lines become `---`, nothing else changes. When that would not give
    /// the note a front matter (it has no closing fence), the fix is refused when it is
    /// proven, and the note is left as it is.
    code = "FM003",
    name = "broken-fence",
    severity = Some(Severity::Error),
    summary = "front-matter fence is not exactly `---` (e.g. `---\\`)",
    check = check,
    fix = Safe,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for defect in &ctx.note.split.defects {
        if let Defect::BrokenFence { lines } = defect {
            let Some(first) = lines.first() else { continue };
            let text = &ctx.note.text[first.clone()];
            let mut f = Finding::new(
                first.clone(),
                format!("`{text}` is not a front-matter fence, so the note has no front matter"),
            )
            .help("replace the fence lines with exactly `---`");
            for other in &lines[1..] {
                f = f.label(other.clone(), "closing fence is broken too");
            }
            let edits = lines
                .iter()
                .map(|l| Edit::replace(l.clone(), "---"))
                .collect();
            f = f.fix(Fix::safe("write the fences as `---`", edits));
            out.push(f);
        }
    }
}
