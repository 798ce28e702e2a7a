use std::collections::BTreeSet;

use super::anki;
use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::sections;

declare_rule! {
    /// ## What it does
    /// Reports a language that has content in the note (a question or answer section) or
    /// `anki_cards` entries, but is not in the note's `language_tags`.
    ///
    /// ## Why is this bad?
    /// Cards are generated only for tagged languages: the written section never reaches
    /// Anki, and synced cards of that language are orphaned.
    ///
    /// ## How to fix
    /// Add the language to `language_tags`, or remove its sections and entries.
    code = "ANK009",
    name = "untagged-language",
    severity = Some(Severity::Warning),
    summary = "a language with content or cards is not in `language_tags`",
    check = check,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(kind) = ctx.kind.map(|k| &k.kind) else {
        return;
    };
    let Some(field) = kind.languages_field.as_deref() else {
        return;
    };
    let Some(parsed) = ctx.note.front_matter() else {
        return;
    };
    if !matches!(
        kind.cards.as_ref().map(|c| &c.from),
        Some(crate::config::CardSource::Qa { .. })
    ) || parsed.json.get(field).is_none()
    {
        return;
    }
    let tagged = sections::languages(ctx.note, Some(kind));
    let mut found: BTreeSet<String> = ctx
        .pairs()
        .iter()
        .filter(|p| !p.question.trim().is_empty() || !p.answer.trim().is_empty())
        .map(|p| p.lang.clone())
        .collect();
    found.extend(
        anki::entries(ctx)
            .iter()
            .filter_map(|e| e.parts.map(|s| s.lang.to_string())),
    );
    let range = parsed
        .spans
        .key(&format!("/{field}"))
        .unwrap_or(ctx.note.head_range());
    for lang in found.into_iter().filter(|l| !tagged.contains(l)) {
        out.push(
            Finding::new(
                range.clone(),
                format!("`{lang}` has content or cards but is not in `{field}`"),
            )
            .help(format!(
                "add `{lang}` to `{field}`, or remove its sections and entries"
            )),
        );
    }
}
