use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;

declare_rule! {
    /// ## What it does
    /// Checks that `tags` contains the tags a kind derives from other fields, declared as
    /// templates in `derived-tags` (default for `qa-note`: `difficulty/{difficulty}`).
    ///
    /// ## Why is this bad?
    /// Tag searches and Dataview queries such as `#difficulty/hard` silently miss the note.
    ///
    /// ## How to fix
    /// Add the tag named in the message.
    code = "TAG001",
    name = "missing-derived-tag",
    severity = Some(Severity::Warning),
    summary = "`tags` lacks a tag derived from a field (e.g. `difficulty/<level>`)",
    check = check,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let (Some(kind), Some(parsed)) = (ctx.kind, ctx.note.front_matter()) else {
        return;
    };
    let Some(tags) = parsed.json.get("tags").and_then(|v| v.as_array()) else {
        return;
    };
    for template in &kind.kind.derived_tags {
        let Some(tag) = expand(template, &parsed.json) else {
            continue;
        };
        if !tags.iter().any(|t| t.as_str() == Some(tag.as_str())) {
            let range = parsed.spans.key("/tags").unwrap_or(ctx.note.head_range());
            out.push(
                Finding::new(range, format!("`tags` lacks `{tag}`"))
                    .help(format!("add `{tag}` to `tags`")),
            );
        }
    }
}

/// Fill `{field}` placeholders from string fields; `None` if a field is missing.
fn expand(template: &str, json: &serde_json::Value) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}')? + open;
        let field = &rest[open + 1..close];
        out.push_str(json.get(field)?.as_str()?);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}
