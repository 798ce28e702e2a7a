use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;

declare_rule! {
    /// ## What it does
    /// Checks that the note's original language (`original_language`) is one of its
    /// languages (`language_tags`); both field names are set per kind.
    ///
    /// ## Why is this bad?
    /// Cards are generated per language in `language_tags`: a note whose original language
    /// is missing there loses the cards of the very language it was written in.
    ///
    /// ## How to fix
    /// Add the language to `language_tags`, or correct `original_language`.
    code = "LNG001",
    name = "original-language-untagged",
    severity = Some(Severity::Warning),
    summary = "`original_language` is not in `language_tags`",
    check = check,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let (Some(kind), Some(parsed)) = (ctx.kind, ctx.note.front_matter()) else {
        return;
    };
    let (Some(orig_key), Some(list_key)) = (
        &kind.kind.original_language_field,
        &kind.kind.languages_field,
    ) else {
        return;
    };
    let (Some(orig), Some(list)) = (
        parsed.json.get(orig_key).and_then(|v| v.as_str()),
        parsed.json.get(list_key).and_then(|v| v.as_array()),
    ) else {
        return;
    };
    if !list.iter().any(|l| l.as_str() == Some(orig)) {
        let range = parsed
            .spans
            .value(&format!("/{orig_key}"))
            .unwrap_or(ctx.note.head_range());
        out.push(
            Finding::new(
                range,
                format!("`{orig_key}` is `{orig}`, which is not in `{list_key}`"),
            )
            .help(format!("add `{orig}` to `{list_key}`")),
        );
    }
}
