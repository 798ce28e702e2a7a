use crate::lint::Ctx;
use crate::lint::diagnostic::{Edit, Finding, Fix, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::sections;

declare_rule! {
    /// ## What it does
    /// Reports a section heading written in a transliterated spelling listed under the
    /// section's `transliterated` names, such as `# Vopros (RU)` for `# Вопрос (RU)` or
    /// `## Otvet (RU)` for `## Ответ (RU)`.
    ///
    /// ## Why is this bad?
    /// A parser looking for `# Вопрос (RU)` misses `# Vopros (RU)`: earlier sync tools
    /// silently produced no Russian card for such notes. decksmith accepts the spelling but
    /// reports it so the vault converges on one form.
    ///
    /// ## How to fix
    /// Rename the heading to the canonical spelling shown in the message.
    ///
    /// ## Fix safety
    /// Safe: the heading's text is replaced by the configured spelling; its level (the
    /// number of `#`) stays the note's. Underlined (setext) headings are not fixed.
    code = "SEC002",
    name = "transliterated-heading",
    severity = Some(Severity::Warning),
    summary = "section heading in a transliterated spelling (`# Vopros (RU)`)",
    check = check,
    fix = Safe,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for m in ctx.sections().iter().filter(|m| m.transliterated) {
        let want = sections::canonical(m.section, m.lang.as_deref());
        let have = &ctx.note.text[m.heading.range.clone()];
        out.push(
            Finding::new(
                m.heading.range.clone(),
                format!("`{have}` is a transliterated spelling of `{want}`"),
            )
            .help(format!("rename the heading to `{want}`"))
            .fix_if(rename(have, &want).map(|new| {
                Fix::safe(
                    format!("rename the heading to `{new}`"),
                    vec![Edit::replace(m.heading.range.clone(), new)],
                )
            })),
        );
    }
}

/// The heading `have` spelled as `want`, at `have`'s own level; `None` for an underlined
/// heading.
fn rename(have: &str, want: &str) -> Option<String> {
    if have.contains('\n') || !have.starts_with('#') {
        return None;
    }
    let hashes = have.len() - have.trim_start_matches('#').len();
    let text = want.trim_start_matches('#').trim_start();
    Some(format!("{} {text}", &have[..hashes]))
}
