use serde_json::Value;

use super::anki;
use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports an `anki_cards` entry with `anki_id` but no `synced_at` or the reverse, or
    /// with either set to `null` (`anki_id: null` placeholders).
    ///
    /// ## Why is this bad?
    /// An id is written back together with its sync time, and only once Anki returned it.
    /// Half-written entries and null placeholders come from writers that recorded cards
    /// before pushing them; they make a card look synced, or unsynced, when it is not.
    ///
    /// ## How to fix
    /// Delete the placeholder keys (`decksmith sync` writes both once the card exists), or
    /// complete the entry.
    code = "ANK004",
    name = "incomplete-entry",
    severity = Some(Severity::Warning),
    summary = "`anki_id` without `synced_at` (or the reverse), or a null placeholder",
    check = check,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for e in anki::entries(ctx) {
        let id = e.field("anki_id");
        let at = e.field("synced_at");
        let name = e.slug.unwrap_or("entry");
        let message = match (id, at) {
            (Some(Value::Null), _) | (_, Some(Value::Null)) => {
                format!("`{name}` holds a null placeholder")
            }
            (Some(_), None) => format!("`{name}` has `anki_id` but no `synced_at`"),
            (None, Some(_)) => format!("`{name}` has `synced_at` but no `anki_id`"),
            _ => continue,
        };
        let field = if matches!(id, Some(Value::Null)) || at.is_none() {
            "anki_id"
        } else {
            "synced_at"
        };
        out.push(
            Finding::new(e.range(ctx, Some(field)), message).help(
                "remove the placeholder keys; sync writes `anki_id` and `synced_at` together",
            ),
        );
    }
}
