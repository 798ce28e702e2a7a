use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::yaml::key_text;

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
    code = "FM005",
    name = "dashed-key",
    severity = Some(Severity::Error),
    summary = "front-matter key starts with `---` (`'---id'`)",
    check = check,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(root) = ctx.note.front_matter().and_then(|p| p.root.as_ref()) else {
        return;
    };
    for (key, _) in root.entries() {
        let text = key_text(key);
        if let Some(real) = text.strip_prefix("---") {
            let real = real.trim_start_matches('-');
            out.push(
                Finding::new(
                    key.span.clone(),
                    format!("key `{text}` starts with `---`, so the note has no `{real}`"),
                )
                .help(format!("rename the key to `{real}`")),
            );
        }
    }
}
