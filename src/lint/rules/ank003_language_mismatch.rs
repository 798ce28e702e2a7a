use serde_json::Value;

use super::anki;
use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports an `anki_cards` entry whose `language` is missing or differs from the
    /// language suffix of its slug (`sysdes-039-0-en` must say `language: en`).
    ///
    /// ## Why is this bad?
    /// Two sources disagree about the card's language; tools that trust one or the other
    /// put the card in the wrong language's place.
    ///
    /// ## How to fix
    /// Set `language` to the slug's suffix.
    code = "ANK003",
    name = "language-mismatch",
    severity = Some(Severity::Warning),
    summary = "`anki_cards` entry `language` missing or not the slug's suffix",
    check = check,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for e in anki::entries(ctx) {
        let Some(suffix) = e.parts.map(|s| s.lang) else {
            continue;
        };
        match e.field("language") {
            None | Some(Value::Null) => out.push(
                Finding::new(
                    e.range(ctx, Some("slug")),
                    format!("entry has no `language` (slug says `{suffix}`)"),
                )
                .help(format!("add `language: {suffix}`")),
            ),
            Some(Value::String(l)) if l == suffix => {}
            Some(other) => {
                let shown = other
                    .as_str()
                    .map_or_else(|| other.to_string(), str::to_string);
                out.push(
                    Finding::new(
                        e.range(ctx, Some("language")),
                        format!("`language` is `{shown}` but the slug says `{suffix}`"),
                    )
                    .help(format!("set `language: {suffix}`")),
                );
            }
        }
    }
}
