use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;

declare_rule! {
    /// ## What it does
    /// Validates a note's front matter against its kind's JSON Schema (`schemas/*.json`, or
    /// the built-in schema of the same name) and reports every violation at the exact key
    /// or value: wrong type, pattern, format (`2024-13-45` is not a date), bounds, unknown
    /// keys. A missing required key is reported at the opening fence. Front matter with so
    /// many values that validating it could take more than 1,000,000 subschema evaluations
    /// is reported once, at the opening fence, instead of validated.
    ///
    /// ## Why is this bad?
    /// Cards, decks and tags are built from these fields; a wrong type or a missing key
    /// turns into a wrong card or a skipped note at sync time.
    ///
    /// ## How to fix
    /// Correct the value, or change the schema if the vault's conventions differ: schemas
    /// are data, and an `x-message` next to a keyword replaces the generic message.
    /// Notes whose front matter cannot be read at all are left to the FM rules.
    code = "SCH001",
    name = "schema-violation",
    severity = Some(Severity::Error),
    summary = "front matter violates the kind's JSON Schema",
    check = check,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let (Some(kind), Some(parsed)) = (ctx.kind, ctx.note.front_matter()) else {
        return;
    };
    let Some(schema) = &kind.schema else {
        return;
    };
    // A non-mapping root is FM010's; an empty block validates as an empty mapping.
    let empty = serde_json::Value::Object(serde_json::Map::new());
    let instance = match &parsed.json {
        serde_json::Value::Null => &empty,
        serde_json::Value::Object(_) => &parsed.json,
        _ => return,
    };
    out.extend(schema.validate(instance, &parsed.spans, ctx.note.head_range()));
}
