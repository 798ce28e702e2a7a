use crate::lint::Ctx;
use crate::lint::diagnostic::{Edit, Finding, Fix, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::yaml::{DuplicateKey, entry_lines};

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
    ///
    /// ## Fix safety
    /// Safe when both values are the same: the second entry is deleted. Unsafe when they
    /// differ: the first entry is deleted, keeping the value lenient readers already use.
    /// Two different `id`s are never fixed: the id names the note's cards in Anki, and
    /// which one is right is the user's call. Only keys of the top-level mapping are fixed.
    code = "FM007",
    name = "duplicate-key",
    severity = Some(Severity::Error),
    summary = "the same key twice in one mapping",
    check = check,
    fix = Mixed,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(parsed) = ctx.note.front_matter() else {
        return;
    };
    for dup in &parsed.duplicates {
        let mut finding = Finding::new(
                dup.second.clone(),
                format!("duplicate key `{}`: strict YAML rejects it, lenient parsers keep only this last value", dup.key),
            )
            .label(dup.first.clone(), "first defined here")
            .help(format!("keep a single `{}` key", dup.key));
        if let Some(fix) = fix(ctx, dup) {
            finding = finding.fix(fix);
        }
        out.push(finding);
    }
}

/// Delete one of two top-level entries of a key: the second when the values are the same,
/// else (unsafe) the first.
fn fix(ctx: &Ctx<'_>, dup: &DuplicateKey) -> Option<Fix> {
    let text = &ctx.note.text;
    let yaml_end = ctx.note.split.block.as_ref()?.yaml.end;
    let first = entry_lines(text, dup.first.start, yaml_end)?;
    let second = entry_lines(text, dup.second.start, yaml_end)?;
    let value = |lines: &std::ops::Range<usize>, key: &std::ops::Range<usize>| {
        text[key.end..lines.end]
            .trim_start_matches(':')
            .trim()
            .to_string()
    };
    if value(&first, &dup.first) == value(&second, &dup.second) {
        return Some(Fix::safe(
            format!("delete the second `{}`, which repeats the first", dup.key),
            vec![Edit::delete(second)],
        ));
    }
    (dup.key != "id").then(|| {
        Fix::unsafe_(
            format!("delete the first `{}` and keep the last value", dup.key),
            vec![Edit::delete(first)],
        )
    })
}
