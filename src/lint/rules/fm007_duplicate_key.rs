use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports a key that appears twice in the same mapping, naming both positions.
    ///
    /// ## Why is this bad?
    /// YAML forbids duplicate keys. Strict parsers reject the whole block; lenient ones
    /// (PyYAML, and so many sync scripts) silently keep the *last* value, so two tools read
    /// two different ids from the same note. decksmith reports the duplicate, checks the
    /// rest with the last value, and refuses to write to the note.
    ///
    /// ## Example
    /// ```yaml
    /// id: android-429
    /// id: android-727
    /// ```
    ///
    /// ## How to fix
    /// Keep one of the keys. If an id was renumbered, keep the new one and let sync migrate
    /// the cards.
    code = "FM007",
    name = "duplicate-key",
    severity = Some(Severity::Error),
    summary = "the same key twice in one mapping",
    check = check,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(parsed) = ctx.note.front_matter() else {
        return;
    };
    for dup in &parsed.duplicates {
        out.push(
            Finding::new(
                dup.second.clone(),
                format!("duplicate key `{}`: strict YAML rejects it, lenient parsers keep only this last value", dup.key),
            )
            .label(dup.first.clone(), "first defined here")
            .help(format!("keep a single `{}` key", dup.key)),
        );
    }
}
