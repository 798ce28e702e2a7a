use crate::lint::Ctx;
use crate::lint::diagnostic::{Edit, Finding, Fix, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::yaml::{Node, NodeKind};

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
    ///
    /// ## Fix safety
    /// Safe: the tag is added at the end of `tags`, in the list's own style (`[a, b]` or one
    /// `- item` per line); nothing else changes. A tag that YAML would read as something
    /// else than plain text is written quoted.
    code = "TAG001",
    name = "missing-derived-tag",
    severity = Some(Severity::Warning),
    summary = "`tags` lacks a tag derived from a field (e.g. `difficulty/<level>`)",
    check = check,
    fix = Safe,
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
            let node = parsed.root.as_ref().and_then(|r| r.get("tags"));
            out.push(
                Finding::new(range, format!("`tags` lacks `{tag}`"))
                    .help(format!("add `{tag}` to `tags`"))
                    .fix_if(node.and_then(|n| add_tag(ctx, n, &tag))),
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

/// Append `tag` to the `tags` list `node`, in its style.
fn add_tag(ctx: &Ctx<'_>, node: &Node, tag: &str) -> Option<Fix> {
    let NodeKind::Seq(items) = &node.kind else {
        return None;
    };
    let text = &ctx.note.text;
    let plain = tag
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '/' | '.'))
        && !tag.starts_with(['-', '.']);
    let value = if plain {
        tag.to_string()
    } else {
        format!("\"{}\"", tag.replace('\\', "\\\\").replace('"', "\\\""))
    };
    let edit = if text[node.span.clone()].starts_with('[') {
        // `[a, b]` → `[a, b, tag]`; `[]` → `[tag]`.
        let close = node.span.start + text[node.span.clone()].rfind(']')?;
        let sep = if items.is_empty() { "" } else { ", " };
        Edit::insert(close, format!("{sep}{value}"))
    } else {
        // One `- item` per line: a new line like the last one.
        let last = items.last()?;
        let line_start = text[..last.span.start].rfind('\n').map_or(0, |i| i + 1);
        let prefix = &text[line_start..last.span.start];
        if !prefix.trim_start().starts_with('-') {
            return None;
        }
        let line_end = text[last.span.end..]
            .find('\n')
            .map(|i| last.span.end + i + 1)?;
        Edit::insert(
            line_end,
            format!("{prefix}{value}{}", ctx.note.split.eol.as_str()),
        )
    };
    Some(Fix::safe(format!("add `{tag}` to `tags`"), vec![edit]))
}
