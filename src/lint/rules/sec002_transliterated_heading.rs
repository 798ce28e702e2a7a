use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
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
    code = "SEC002",
    name = "transliterated-heading",
    severity = Some(Severity::Warning),
    summary = "section heading in a transliterated spelling (`# Vopros (RU)`)",
    check = check,
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
            .help(format!("rename the heading to `{want}`")),
        );
    }
}
