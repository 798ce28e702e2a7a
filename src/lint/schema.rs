//! JSON Schema validation of front matter, with errors mapped back to YAML positions.
//!
//! Each kind's schema is compiled once and shared by all threads. Format assertions are on:
//! under draft 2020-12 `format` is otherwise only an annotation and `2024-13-45` would pass
//! as a date. No schema is ever fetched over the network.
//!
//! Messages: a schema may carry an `x-message` next to a keyword's subschema (placeholders
//! `{value}`, `{count}`, `{type}`); it replaces the validator's generic wording, so a vault's
//! own rules speak in the vault's own terms without code changes.
//!
//! The validator has no budget of its own, so a schema is measured when it is compiled and
//! refused when it is too costly, and a note too large for its schema's cost is reported
//! instead of validated (see [`super::schema_cost`]).

use std::ops::Range;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Validator};
use serde_json::Value;

use super::diagnostic::Finding;
use super::schema_cost;
use crate::vault::yaml::SpanTable;

pub struct Schema {
    pub name: String,
    pub json: Value,
    validator: Validator,
    /// What validating one value may cost, measured once.
    cost: schema_cost::Cost,
}

impl Schema {
    /// Compile a schema; an invalid schema is a configuration error.
    pub fn compile(name: &str, text: &str) -> Result<Schema, String> {
        let json: Value =
            serde_json::from_str(text).map_err(|e| format!("{name}: not JSON: {e}"))?;
        let draft = match json.get("$schema").and_then(Value::as_str) {
            Some(s) if s.contains("draft-07") => Draft::Draft7,
            Some(s) if s.contains("draft-04") => Draft::Draft4,
            Some(s) if s.contains("draft-06") => Draft::Draft6,
            Some(s) if s.contains("2019-09") => Draft::Draft201909,
            _ => Draft::Draft202012,
        };
        let validator = jsonschema::options()
            .with_draft(draft)
            .should_validate_formats(true)
            .build(&json)
            .map_err(|e| format!("{name}: invalid schema: {e}"))?;
        // After the build, which has checked the schema and resolved its references.
        let cost = schema_cost::measure(&json, draft).map_err(|e| format!("{name}: {e}"))?;
        Ok(Schema {
            name: name.to_string(),
            json,
            validator,
            cost,
        })
    }

    /// Validate `instance`; every error points at the exact key or value.
    pub fn validate(
        &self,
        instance: &Value,
        spans: &SpanTable,
        head: Range<usize>,
    ) -> Vec<Finding> {
        if let Some(too_large) = self.too_large(instance, &head) {
            return vec![too_large];
        }
        let mut out = Vec::new();
        let mut missing: Vec<(String, Vec<String>)> = Vec::new();
        for error in self.validator.iter_errors(instance) {
            let pointer = error.instance_path().as_str().to_string();
            let schema_path = error.schema_path().as_str().to_string();
            let value = instance.pointer(&pointer).unwrap_or(&Value::Null);
            let custom = self.custom_message(&schema_path, value);
            let (range, message) = match error.kind() {
                ValidationErrorKind::Required { property } => {
                    // Gathered per object and reported once below: a note that lost its
                    // metadata should get one finding, not fifteen.
                    let name = property.as_str().unwrap_or_default().to_string();
                    match missing.iter_mut().find(|(p, _)| *p == pointer) {
                        Some((_, names)) => names.push(name),
                        None => missing.push((pointer, vec![name])),
                    }
                    continue;
                }
                ValidationErrorKind::AdditionalProperties { unexpected }
                | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
                    // Keys such as `'---id'` are FM005's to report.
                    for key in unexpected.iter().filter(|k| !k.starts_with("---")) {
                        let child =
                            format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
                        let range = spans.key(&child).unwrap_or(head.clone());
                        let message = if pointer.is_empty() {
                            format!("unknown key `{key}` (not in the `{}` schema)", self.name)
                        } else {
                            format!("unknown key `{key}` in `{}`", display_pointer(&pointer))
                        };
                        out.push(
                            Finding::new(range, message)
                                .help("remove or rename the key, or allow it in the kind's schema"),
                        );
                    }
                    continue;
                }
                _ => {
                    let range = spans.value(&pointer).unwrap_or(head.clone());
                    let message = custom.clone().unwrap_or_else(|| {
                        format!(
                            "`{}`: {}",
                            display_pointer(&pointer),
                            describe(error.kind(), value)
                        )
                    });
                    (range, message)
                }
            };
            out.push(
                Finding::new(range, message)
                    .help(format!("schema `{}` at `{}`", self.name, schema_path)),
            );
        }
        for (pointer, names) in missing {
            // A missing key has no position: the root's point at the opening fence, a
            // nested object's at its key.
            let (range, whose) = if pointer.is_empty() {
                (head.clone(), "front matter".to_string())
            } else {
                (
                    spans.key(&pointer).unwrap_or(head.clone()),
                    format!("`{}`", display_pointer(&pointer)),
                )
            };
            let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            let noun = if names.len() == 1 { "key" } else { "keys" };
            out.push(
                Finding::new(
                    range,
                    format!("missing required {noun} {} in the {whose}", list.join(", ")),
                )
                .help(format!(
                    "add the missing key(s); required by schema `{}`",
                    self.name
                )),
            );
        }
        out
    }

    /// A finding instead of a validation when `instance` has so many values that validating
    /// it could take more than [`schema_cost::MAX_NOTE_EVALUATIONS`].
    fn too_large(&self, instance: &Value, head: &Range<usize>) -> Option<Finding> {
        let values = schema_cost::values(instance);
        let work = values.saturating_mul(self.cost.evaluations);
        (work > schema_cost::MAX_NOTE_EVALUATIONS).then(|| {
            Finding::new(
                head.clone(),
                format!(
                    "front matter not validated: its {values} values could take {work} evaluations of schema `{}`, more than the {} allowed per note",
                    self.name,
                    schema_cost::MAX_NOTE_EVALUATIONS
                ),
            )
            .help("front matter holds a few dozen values; move bulk data into the body")
        })
    }

    fn custom_message(&self, schema_path: &str, value: &Value) -> Option<String> {
        let parent = schema_path.rsplit_once('/').map_or("", |(p, _)| p);
        let template = self.json.pointer(parent)?.get("x-message")?.as_str()?;
        let shown = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let count = match value {
            Value::Array(a) => a.len().to_string(),
            Value::Object(o) => o.len().to_string(),
            _ => String::new(),
        };
        Some(
            template
                .replace("{value}", &shown)
                .replace("{count}", &count)
                .replace("{type}", type_name(value)),
        )
    }
}

fn display_pointer(pointer: &str) -> String {
    pointer
        .trim_start_matches('/')
        .replace('/', ".")
        .replace("~1", "/")
        .replace("~0", "~")
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn short(value: &Value) -> String {
    let s = match value {
        Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    };
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}…`")
    } else {
        s
    }
}

fn describe(kind: &ValidationErrorKind, value: &Value) -> String {
    match kind {
        ValidationErrorKind::Type { kind } => {
            let expected = format!("{kind:?}").to_lowercase();
            let expected = expected
                .trim_start_matches("single(")
                .trim_start_matches("multiple(")
                .trim_end_matches(')')
                .to_string();
            format!(
                "expected {expected}, found {} {}",
                type_name(value),
                short(value)
            )
        }
        ValidationErrorKind::Format { format } => {
            format!("{} is not a valid {format}", short(value))
        }
        ValidationErrorKind::Pattern { pattern } => {
            format!("{} does not match the pattern `{pattern}`", short(value))
        }
        ValidationErrorKind::Enum { options } => {
            format!("{} is not one of {options}", short(value))
        }
        ValidationErrorKind::Constant { expected_value } => {
            format!("{} must be `{expected_value}`", short(value))
        }
        ValidationErrorKind::MinItems { limit } => format!(
            "has {} entries, at least {limit} expected",
            value.as_array().map_or(0, Vec::len)
        ),
        ValidationErrorKind::MaxItems { limit } => format!(
            "has {} entries, at most {limit} expected",
            value.as_array().map_or(0, Vec::len)
        ),
        ValidationErrorKind::Minimum { limit } => {
            format!("{} is below the minimum {limit}", short(value))
        }
        ValidationErrorKind::Maximum { limit } => {
            format!("{} is above the maximum {limit}", short(value))
        }
        ValidationErrorKind::MinLength { limit } => {
            format!("{} is shorter than {limit} characters", short(value))
        }
        ValidationErrorKind::UniqueItems => "holds the same entry twice".to_string(),
        _ => format!("{} fails `{}`", short(value), kind.keyword()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::yaml;

    fn check(schema: &str, yaml_text: &str) -> Vec<(String, String)> {
        let s = Schema::compile("t", schema).expect("schema compiles");
        let parsed = yaml::parse(yaml_text, 0).expect("yaml");
        s.validate(&parsed.json, &parsed.spans, 0..0)
            .into_iter()
            .map(|f| (yaml_text[f.range.clone()].to_string(), f.message))
            .collect()
    }

    #[test]
    fn date_format_is_asserted() {
        let schema = r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"d":{"type":"string","format":"date"}}}"#;
        let got = check(schema, "d: 2024-13-45\n");
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, "2024-13-45");
        assert!(check(schema, "d: 2024-12-31\n").is_empty());
    }

    #[test]
    fn errors_point_at_values_and_keys() {
        let schema = r#"{"type":"object","required":["id"],"additionalProperties":false,
            "properties":{"tags":{"type":"array","items":{"type":"string"}},"id":{"type":"string"}}}"#;
        let got = check(schema, "tags:\n- a\n- 5\nextra: 1\n");
        let texts: Vec<_> = got.iter().map(|(t, _)| t.as_str()).collect();
        assert!(texts.contains(&"5"), "{got:?}");
        assert!(texts.contains(&"extra"), "{got:?}");
        assert!(
            got.iter()
                .any(|(_, m)| m.contains("missing required key `id`")),
            "{got:?}"
        );
    }

    #[test]
    fn custom_messages() {
        let schema = r#"{"properties":{"title":{"type":"string","pattern":" / ","x-message":"title `{value}` lacks a RU part"}}}"#;
        let got = check(schema, "title: Only English\n");
        assert_eq!(got[0].1, "title `Only English` lacks a RU part");
    }

    #[test]
    fn broken_schema_is_an_error() {
        assert!(Schema::compile("t", r#"{"type": 5}"#).is_err());
        assert!(Schema::compile("t", "not json").is_err());
    }
}
