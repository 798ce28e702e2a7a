use serde_json::Value;

use super::anki;
use crate::lint::Ctx;
use crate::lint::diagnostic::{Edit, Finding, Fix, Severity};
use crate::lint::registry::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports a `synced_at` that is not an accepted timestamp: `YYYY-MM-DDTHH:MM:SS` with an
    /// optional fraction and an optional `Z` or `±HH:MM` offset (RFC 3339, or the naive form
    /// `'2026-01-23T13:49:17.865498'` older tools wrote). A space instead of the `T` is
    /// reported: two formats in one vault is how comparisons silently go wrong.
    ///
    /// ## Why is this bad?
    /// Tools compare and sort these values; mixed or malformed forms compare wrongly.
    ///
    /// ## How to fix
    /// Rewrite the value in the accepted form (`2026-01-14T23:56:58.692029`), quoted.
    ///
    /// ## Fix safety
    /// Unsafe: a value written with a space is rewritten in `[anki] synced-at-format`, and
    /// one without an offset is taken as UTC, which is what the tools that wrote such values
    /// meant but cannot be checked.
    code = "ANK007",
    name = "synced-at-format",
    severity = Some(Severity::Warning),
    summary = "`synced_at` is not an accepted timestamp form",
    check = check,
    fix = Unsafe,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for e in anki::entries(ctx) {
        let Some(Value::String(at)) = e.field("synced_at") else {
            continue;
        };
        if crate::vault::timestamp::is_valid(at) {
            continue;
        }
        let range = ctx
            .note
            .front_matter()
            .and_then(|p| p.spans.value(&format!("{}/synced_at", e.pointer)))
            .unwrap_or(ctx.note.head_range());
        let help = if at.len() > 10 && at.as_bytes().get(10) == Some(&b' ') {
            format!("write `{}`", at.replacen(' ', "T", 1))
        } else {
            "use `YYYY-MM-DDTHH:MM:SS` with an optional fraction and `Z` or `±HH:MM`".to_string()
        };
        let form = ctx.config().anki.synced_at_format;
        let fix = crate::vault::timestamp::normalise(at, form).map(|new| {
            // Quoted as sync writes it: unquoted, YAML 1.1 readers re-type a timestamp.
            let quote = match ctx.note.text.as_bytes().get(range.start) {
                Some(b'"') => '"',
                _ => '\'',
            };
            Fix::unsafe_(
                format!("write `{new}`"),
                vec![Edit::replace(range.clone(), format!("{quote}{new}{quote}"))],
            )
        });
        let mut finding = Finding::new(
            range.clone(),
            format!("`synced_at` `{at}` is not an accepted timestamp"),
        )
        .help(help);
        if let Some(fix) = fix {
            finding = finding.fix(fix);
        }
        out.push(finding);
    }
}
