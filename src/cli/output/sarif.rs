//! SARIF 2.1.0 for code-scanning services. Columns are UTF-16 code units, SARIF's default
//! `columnKind`, stated explicitly. Rule metadata (name, summary, documentation) is included
//! for every rule that fired.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{Rendered, escape_json_controls, message_with_help};
use crate::lint::diagnostic::Severity;
use crate::lint::registry;

pub fn render(r: &Rendered<'_>, root_uri: &str) -> String {
    let fired: BTreeSet<&str> = r.items.iter().map(|i| i.diagnostic.code).collect();
    let rules: Vec<&registry::Rule> = registry::all()
        .iter()
        .copied()
        .filter(|rule| fired.contains(rule.code))
        .collect();
    let rule_index = |code: &str| rules.iter().position(|r| r.code == code).unwrap_or(0);
    let rules_json: Vec<Value> = rules
        .iter()
        .map(|rule| {
            json!({
                "id": rule.code,
                "name": rule.name,
                "shortDescription": { "text": rule.summary },
                "fullDescription": { "text": rule.summary },
                "help": { "text": rule.documentation(), "markdown": rule.documentation() },
                "defaultConfiguration": {
                    "level": rule.default_severity.map_or("none", level),
                },
            })
        })
        .collect();
    let results: Vec<Value> = r
        .items
        .iter()
        .map(|i| {
            let d = i.diagnostic;
            let message = message_with_help(d);
            let related: Vec<Value> = i
                .labels
                .iter()
                .enumerate()
                .map(|(n, l)| {
                    json!({
                        "id": n,
                        "message": { "text": l.message },
                        "physicalLocation": location(l.path, l.start, l.end),
                    })
                })
                .collect();
            let mut result = json!({
                "ruleId": d.code,
                "ruleIndex": rule_index(d.code),
                "level": level(d.severity),
                "message": { "text": message },
                "locations": [ { "physicalLocation": location(&d.path, i.start, i.end) } ],
            });
            if !related.is_empty() {
                result["relatedLocations"] = Value::Array(related);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "decksmith",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules_json,
            }},
            "originalUriBaseIds": { "VAULTROOT": { "uri": root_uri } },
            "columnKind": "utf16CodeUnits",
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    escape_json_controls(s)
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn location(
    path: &str,
    start: crate::vault::lines::Position,
    end: crate::vault::lines::Position,
) -> Value {
    let uri: String = path
        .split('/')
        .map(percent_encode)
        .collect::<Vec<_>>()
        .join("/");
    json!({
        "artifactLocation": { "uri": uri, "uriBaseId": "VAULTROOT" },
        "region": {
            "startLine": start.line,
            "startColumn": start.column_utf16,
            "endLine": end.line,
            "endColumn": end.column_utf16.max(if end.line == start.line { start.column_utf16 } else { 1 }),
        },
    })
}

fn percent_encode(segment: &str) -> String {
    let mut out = String::new();
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
