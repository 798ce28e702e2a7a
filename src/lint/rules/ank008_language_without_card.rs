use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::sections;

declare_rule! {
    /// ## What it does
    /// Reports a language listed in the note's `language_tags` that yields no card because
    /// its question or its answer is missing or empty. Notes without the list are left to
    /// SEC001.
    ///
    /// ## Why is this bad?
    /// The note promises a card in that language; sync will not create it, and a card
    /// synced earlier for that language is left orphaned.
    ///
    /// ## How to fix
    /// Write the missing question or answer (see SEC001 for the headings), or drop the
    /// language from `language_tags`.
    code = "ANK008",
    name = "language-without-card",
    severity = Some(Severity::Warning),
    summary = "a language in `language_tags` yields no card",
    check = check,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(kind) = ctx.kind.map(|k| &k.kind) else {
        return;
    };
    if !matches!(
        kind.cards.as_ref().map(|c| &c.from),
        Some(crate::config::CardSource::Qa { .. })
    ) || ctx.note.front_matter().is_none()
    {
        return;
    }
    // Only a declared list promises cards; without one, SEC001 reports missing sections.
    let Some(field) = kind.languages_field.as_deref() else {
        return;
    };
    if ctx.note.json().get(field).is_none() {
        return;
    }
    let pairs = ctx.pairs();
    let range = ctx
        .note
        .front_matter()
        .and_then(|p| p.spans.key(&format!("/{field}")))
        .unwrap_or(ctx.note.head_range());
    for lang in sections::languages(ctx.note, Some(kind)) {
        let mine: Vec<_> = pairs.iter().filter(|p| p.lang == lang).collect();
        if mine.iter().any(|p| p.is_complete()) {
            continue;
        }
        let what = if mine.iter().any(|p| !p.question.trim().is_empty()) {
            "its answer is missing"
        } else if mine.iter().any(|p| !p.answer.trim().is_empty()) {
            "its question is missing"
        } else {
            "it has no question and no answer"
        };
        out.push(
            Finding::new(range.clone(), format!("`{lang}` gives no card: {what}")).help(format!(
                "write the {} question and answer, or remove `{lang}` from `{field}`",
                lang.to_uppercase()
            )),
        );
    }
}
