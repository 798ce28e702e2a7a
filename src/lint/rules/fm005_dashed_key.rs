use crate::lint::Ctx;
use crate::lint::diagnostic::{Edit, Finding, Fix, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::yaml::{Node, entry_lines, key_text};

declare_rule! {
    /// ## What it does
    /// Reports a front-matter key that starts with `---`, such as `'---id'` or `'---topic'`.
    ///
    /// ## Why is this bad?
    /// The key is what remains of a fence merged with a key (FM004) after a tool parsed and
    /// re-saved the note: the real key (`id`, `topic`) is now missing, and every check or
    /// sync that needs it silently skips the note.
    ///
    /// ## Example
    /// ```yaml
    /// '---id': lang-001
    /// ```
    ///
    /// ## How to fix
    /// Rename the key to what follows the dashes (`id: lang-001`).
    ///
    /// ## Fix safety
    /// Safe when the real key is missing (the key is renamed) or holds the same value (the
    /// dashed entry is deleted). Unsafe when the real key holds another value: the fix
    /// deletes the dashed entry and keeps the real key's value, the one every reader of
    /// the note already sees.
    code = "FM005",
    name = "dashed-key",
    severity = Some(Severity::Error),
    summary = "front-matter key starts with `---` (`'---id'`)",
    check = check,
    fix = Mixed,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(root) = ctx.note.front_matter().and_then(|p| p.root.as_ref()) else {
        return;
    };
    for (key, _) in root.entries() {
        let text = key_text(key);
        if let Some(real) = text.strip_prefix("---") {
            let real = real.trim_start_matches('-');
            let mut finding = Finding::new(
                key.span.clone(),
                format!("key `{text}` starts with `---`, so the note has no `{real}`"),
            )
            .help(format!("rename the key to `{real}`"));
            if let Some(fix) = fix(ctx, root, key, real) {
                finding = finding.fix(fix);
            }
            out.push(finding);
        }
    }
}

/// Rename the dashed key, or delete its entry when the real key is there too.
fn fix(ctx: &Ctx<'_>, root: &Node, key: &Node, real: &str) -> Option<Fix> {
    let plain = real
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && real.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    if !plain {
        return None;
    }
    let text = &ctx.note.text;
    let yaml_end = ctx.note.split.block.as_ref()?.yaml.end;
    let value_of = |k: &Node| {
        root.entries()
            .iter()
            .find(|(x, _)| x.span == k.span)
            .map(|(_, v)| text[v.span.clone()].trim().trim_matches(['\'', '"']))
    };
    let Some((real_key, _)) = root.entries().iter().find(|(k, _)| key_text(k) == real) else {
        let others = root
            .entries()
            .iter()
            .filter(|(k, _)| key_text(k).trim_start_matches('-') == real)
            .count();
        return (others == 1).then(|| {
            Fix::safe(
                format!("rename the key to `{real}`"),
                vec![Edit::replace(key.span.clone(), real)],
            )
        });
    };
    let lines = entry_lines(text, key.span.start, yaml_end)?;
    if value_of(real_key) == value_of(key) {
        Some(Fix::safe(
            format!("delete the dashed key; `{real}` holds the same value"),
            vec![Edit::delete(lines)],
        ))
    } else {
        Some(Fix::unsafe_(
            format!("delete the dashed key and keep the value of `{real}`"),
            vec![Edit::delete(lines)],
        ))
    }
}
