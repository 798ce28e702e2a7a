//! SARIF 2.1.0 for code-scanning services. Columns are UTF-16 code units, SARIF's default
//! `columnKind`, stated explicitly. Rule metadata (name, summary, documentation and a link
//! to the rule's section of `docs/rules.md`) is included for every rule that fired.
//!
//! Artifact URIs are relative to the base `%SRCROOT%`: the top of the git work tree holding
//! the vault when there is one, because code scanning resolves URIs against the repository
//! (a vault in a subfolder would otherwise point at the wrong files); else the vault itself.
//! Each path segment is percent-encoded, and the base is an absolute `file:` URL.
//!
//! Every result carries a partial fingerprint that survives edits elsewhere in its note (see
//! [`fingerprints`]), so a service that tracks findings across runs keeps their identity
//! when lines are added above them.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use super::{Rendered, escape_json_controls, message_with_help};
use crate::lint::diagnostic::{Diagnostic, Severity};
use crate::lint::registry;
use crate::vault::git::git_work_tree;
use crate::vault::lines::Position;

/// The `uriBaseId` of every location.
const SRCROOT: &str = "%SRCROOT%";

/// What a path segment keeps unencoded: RFC 3986's unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The key of decksmith's entry in `partialFingerprints`. GitHub computes and owns
/// `primaryLocationLineHash`, so decksmith's hash has a name of its own.
const FINGERPRINT_KEY: &str = "decksmith/v1";

/// The most bytes of a flagged line that go into its fingerprint: enough to tell lines
/// apart, and a finding on a huge one-line note still costs a bounded hash.
const FINGERPRINT_LINE_BYTES: usize = 256;

/// `vault_root` is the folder the vault-relative paths of the report are relative to.
pub fn render(r: &Rendered<'_>, vault_root: &Path) -> String {
    let base = Base::of(vault_root);
    let rules = fired_rules(r);
    let rule_index = |code: &str| rules.iter().position(|r| r.code == code).unwrap_or(0);
    let results: Vec<Value> = r
        .items
        .iter()
        .zip(fingerprints(r))
        .map(|(d, fingerprint)| result(d, rule_index(d.code), &fingerprint, &base))
        .collect();
    let mut run = json!({
        "tool": { "driver": {
            "name": "decksmith",
            "version": env!("CARGO_PKG_VERSION"),
            "informationUri": env!("CARGO_PKG_REPOSITORY"),
            "rules": rules.iter().map(|rule| rule_json(rule)).collect::<Vec<_>>(),
        }},
        "columnKind": "utf16CodeUnits",
        "results": results,
    });
    if let Some(uri) = &base.uri {
        run["originalUriBaseIds"] = json!({ SRCROOT: { "uri": uri } });
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    });
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    escape_json_controls(s)
}

/// The base the artifact URIs are relative to, and the vault's place under it.
struct Base {
    /// The base as an absolute `file:` URL ending in `/`; `None` if the path cannot be one.
    uri: Option<String>,
    /// The encoded segments from the base to the vault, each followed by `/`.
    vault: String,
}

impl Base {
    fn of(vault_root: &Path) -> Base {
        let vault = std::path::absolute(vault_root).unwrap_or_else(|_| vault_root.to_path_buf());
        let top = git_work_tree(&vault).unwrap_or_else(|| vault.clone());
        let below: String = vault
            .strip_prefix(&top)
            .map(|rel| {
                rel.components()
                    .map(|c| format!("{}/", encode(&c.as_os_str().to_string_lossy())))
                    .collect()
            })
            .unwrap_or_default();
        Base {
            uri: url::Url::from_directory_path(&top).ok().map(String::from),
            vault: below,
        }
    }

    /// The URI of a vault-relative, `/`-separated path.
    fn uri(&self, path: &str) -> String {
        let encoded: Vec<String> = path.split('/').map(encode).collect();
        format!("{}{}", self.vault, encoded.join("/"))
    }
}

fn encode(segment: &str) -> String {
    utf8_percent_encode(segment, SEGMENT).to_string()
}

/// The rules that fired, in code order; results refer to them by index.
fn fired_rules(r: &Rendered<'_>) -> Vec<&'static registry::Rule> {
    let fired: BTreeSet<&str> = r.items.iter().map(|d| d.code).collect();
    registry::all()
        .iter()
        .copied()
        .filter(|rule| fired.contains(rule.code))
        .collect()
}

fn rule_json(rule: &registry::Rule) -> Value {
    json!({
        "id": rule.code,
        "name": rule.name,
        "shortDescription": { "text": rule.summary },
        "fullDescription": { "text": rule.summary },
        "help": { "text": rule.documentation(), "markdown": rule.documentation() },
        "helpUri": crate::rule_docs_url(rule.code),
        "defaultConfiguration": {
            "level": rule.default_severity.map_or("none", level),
        },
    })
}

fn result(d: &Diagnostic, rule_index: usize, fingerprint: &str, base: &Base) -> Value {
    let related: Vec<Value> = d
        .labels
        .iter()
        .enumerate()
        .map(|(n, l)| {
            json!({
                "id": n,
                "message": { "text": l.message },
                "physicalLocation": location(base, l.file(&d.path), l.start, l.end),
            })
        })
        .collect();
    let mut result = json!({
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": level(d.severity),
        "message": { "text": message_with_help(d) },
        "locations": [ { "physicalLocation": location(base, &d.path, d.start, d.end) } ],
        "partialFingerprints": { FINGERPRINT_KEY: fingerprint },
    });
    if !related.is_empty() {
        result["relatedLocations"] = Value::Array(related);
    }
    result
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn location(base: &Base, path: &str, start: Position, end: Position) -> Value {
    json!({
        "artifactLocation": { "uri": base.uri(path), "uriBaseId": SRCROOT },
        "region": {
            "startLine": start.line,
            "startColumn": start.column_utf16,
            "endLine": end.line,
            "endColumn": end.column_utf16.max(if end.line == start.line { start.column_utf16 } else { 1 }),
        },
    })
}

/// One fingerprint per finding: FNV-1a 64 (stable across Rust versions and platforms,
/// unlike std's `DefaultHasher`) over the rule code, the vault-relative path, the flagged
/// line's text (trimmed, at most [`FINGERPRINT_LINE_BYTES`]) and the message, each followed
/// by a NUL byte, in lower-case hex; then `:n`, counting findings with the same hash, so
/// that two equal findings stay two. No line number goes in: adding lines above a finding
/// does not change its fingerprint.
fn fingerprints(r: &Rendered<'_>) -> Vec<String> {
    let mut seen: HashMap<u64, usize> = HashMap::new();
    r.items
        .iter()
        .map(|d| {
            let line = flagged_line(r, d);
            let hash = fnv1a64(&[d.code, &d.path, &line, &d.message]);
            let n = seen.entry(hash).or_default();
            *n += 1;
            format!("{hash:016x}:{n}")
        })
        .collect()
}

/// The text of the line a finding starts on, trimmed and cut to at most
/// [`FINGERPRINT_LINE_BYTES`]; empty when the note has no text.
fn flagged_line(r: &Rendered<'_>, d: &Diagnostic) -> String {
    let Some(file) = r.text(&d.path) else {
        return String::new();
    };
    let text = file.text.as_str();
    let line = usize::try_from(d.start.line.saturating_sub(1)).unwrap_or(usize::MAX);
    let start = file.lines.line_start(line).min(text.len());
    let end = file.lines.line_start(line + 1).min(text.len());
    let mut cut = (start + FINGERPRINT_LINE_BYTES).min(end);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.get(start..cut).unwrap_or_default().trim().to_string()
}

/// FNV-1a, 64 bits: offset basis 0xcbf29ce484222325, prime 0x100000001b3.
fn fnv1a64(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in part.as_bytes().iter().chain(&[0]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_matches_the_published_test_vectors() {
        // The reference vectors hash bare bytes; `fnv1a64` ends each part with a NUL.
        assert_eq!(fnv1a64(&[]), 0xcbf2_9ce4_8422_2325);
        let bare_a_then_nul = {
            let mut h: u64 = 0xaf63_dc4c_8601_ec8c; // FNV-1a 64 of "a"
            h ^= 0;
            h.wrapping_mul(0x0000_0100_0000_01b3)
        };
        assert_eq!(fnv1a64(&["a"]), bare_a_then_nul);
    }

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(
            encode("my notes #1 100%?ü"),
            "my%20notes%20%231%20100%25%3F%C3%BC"
        );
        assert_eq!(encode("q-a_b.c~d.md"), "q-a_b.c~d.md");
    }
}
