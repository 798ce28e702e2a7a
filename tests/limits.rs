//! Hostile input: notes and schemas built to exhaust the stack, the clock or the output.
//! `decksmith check` runs as a child process, so a crash fails the test instead of the
//! harness, and every run has a deadline. The inputs are generated here, not committed.

mod common;

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;

/// Far above what these runs need in a debug build, far below a hang.
const DEADLINE: Duration = Duration::from_secs(20);

fn check(dir: &Path) -> std::process::Output {
    Command::cargo_bin("decksmith")
        .expect("binary builds")
        .args(["check", "--format", "concise", "--no-cache"])
        .arg(dir)
        .timeout(DEADLINE)
        .output()
        .expect("decksmith runs")
}

/// A vault with the built-in configuration and `notes` (name, front matter).
fn vault(notes: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("decksmith.toml"), "").expect("config");
    for (name, front_matter) in notes {
        let text = format!("---\n{front_matter}---\n# Question (EN)\n> Why?\n");
        std::fs::write(dir.path().join(name), text).expect("note");
    }
    dir
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The concise lines of `code`.
fn lines_of<'a>(text: &'a str, code: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| l.contains(&format!(": {code} [")))
        .collect()
}

const HEAD: &str = "id: sysdes-900\ntitle: Deep / Глубоко\n";

#[test]
fn deeply_nested_front_matter_is_a_finding_not_a_crash() {
    let maps: String = (0..2500)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i % 200)))
        .collect();
    let dir = vault(&[
        // 9,000 nested block lists in 18 KB, under a key and at the root.
        (
            "q-lists--system-design--easy.md",
            format!("{HEAD}x:\n{}end\n", "- ".repeat(9000)),
        ),
        (
            "q-root--system-design--easy.md",
            format!("{}end\n", "- ".repeat(9000)),
        ),
        (
            "q-flow--system-design--easy.md",
            format!("{HEAD}x: {}{}\n", "[".repeat(200), "]".repeat(200)),
        ),
        // Nested mappings (indentation restarts every 200 lines, so the nesting is 200).
        (
            "q-maps--system-design--easy.md",
            format!("{HEAD}x:\n{maps}"),
        ),
    ]);
    let out = check(dir.path());
    let text = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deep = lines_of(&text, "FM008");
    // The 65th collection is the one refused: the root mapping and 63 lists fit.
    let col = 2 * 63 + 1;
    for expected in [
        format!(
            "q-lists--system-design--easy.md:5:{col}: FM008 [error] front matter lists and mappings nest more than 64 levels deep"
        ),
        format!("q-root--system-design--easy.md:2:{}: FM008", col + 2),
        "q-flow--system-design--easy.md:4:67: FM008".to_string(),
        "q-maps--system-design--easy.md:69:65: FM008".to_string(),
    ] {
        assert!(
            deep.iter().any(|l| l.contains(&expected)),
            "no `{expected}` in:\n{text}"
        );
    }
    assert_eq!(deep.len(), 4, "{text}");
    // Like a syntax error, the note has no usable front matter: no rule reads it.
    assert!(lines_of(&text, "SCH001").is_empty(), "{text}");
}

#[test]
fn a_deep_note_inside_a_real_vault_does_not_stop_the_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::copy_dir(&common::fixture("vault"), dir.path());
    std::fs::write(
        dir.path().join("q-deep--system-design--easy.md"),
        format!(
            "---\n{HEAD}x:\n{}end\n---\n# Question (EN)\n> Why?\n",
            "- ".repeat(2500)
        ),
    )
    .expect("note");
    let out = check(dir.path());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_eq!(
        lines_of(&text, "FM008")
            .iter()
            .filter(|l| l.contains("q-deep"))
            .count(),
        1,
        "{text}"
    );
    // The other notes are checked as usual.
    assert!(
        text.contains("broken/c-broken-fence.md:1:1: FM003"),
        "{text}"
    );
}

#[test]
fn forty_thousand_unknown_keys_give_a_bounded_report() {
    let keys: String = (0..40_000).map(|i| format!("unknown{i}: {i}\n")).collect();
    let dir = vault(&[("q-keys--system-design--easy.md", format!("{HEAD}{keys}"))]);
    let out = check(dir.path());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let sch = lines_of(&text, "SCH001");
    // The first 500 by position (the missing keys at the fence, then 499 unknown keys from
    // line 4 on), then one line for the other 39,501, where the first of them is.
    assert_eq!(sch.len(), 501, "{} SCH001 lines", sch.len());
    assert!(
        sch[0].contains(":1:1: SCH001 [error] missing required keys"),
        "{}",
        sch[0]
    );
    assert!(
        sch[1].contains(":4:1: SCH001 [error] unknown key `unknown0`"),
        "{}",
        sch[1]
    );
    assert!(
        sch[500].contains(
            ":503:1: SCH001 [error] 39501 more SCH001 findings from here on are not listed"
        ),
        "{}",
        sch[500]
    );
    assert!(text.len() < 200_000, "{} bytes of output", text.len());
}

#[test]
fn many_notes_sharing_an_id_name_a_few_each() {
    let notes: Vec<(String, String)> = (0..300)
        .map(|i| (format!("n{i:03}.md"), "id: shared\n".to_string()))
        .collect();
    let refs: Vec<(&str, String)> = notes.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    let dir = vault(&refs);
    let out = Command::cargo_bin("decksmith")
        .expect("binary builds")
        .args(["check", "--format", "json", "--select", "NAM003"])
        .arg(dir.path())
        .timeout(DEADLINE)
        .output()
        .expect("decksmith runs");
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let diagnostics = json["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(diagnostics.len(), 300);
    let first = &diagnostics[0];
    assert_eq!(
        first["message"],
        "id `shared` is also used by `n001.md`, `n002.md`, `n003.md`, `n004.md`, `n005.md` and 294 more"
    );
    let labels = first["labels"].as_array().expect("labels");
    assert_eq!(labels.len(), 21);
    assert_eq!(labels[19]["path"], "n020.md");
    assert_eq!(labels[20]["path"], "n021.md");
    assert_eq!(
        labels[20]["message"],
        "same id here, and 278 more not shown"
    );
}

/// `levels` definitions, each an `anyOf` of two references to the next (2^levels paths),
/// and a schema applying the first where `place` puts it.
fn doubling_schema(levels: usize, place: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut defs = serde_json::Map::new();
    for i in 0..levels {
        let next = format!("#/$defs/l{}", i + 1);
        defs.insert(
            format!("l{i}"),
            serde_json::json!({"anyOf": [{"$ref": next}, {"$ref": next}]}),
        );
    }
    defs.insert(format!("l{levels}"), serde_json::json!({"type": "integer"}));
    let mut schema = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": defs,
    });
    place(&mut schema);
    schema.to_string()
}

/// A vault whose `qa-note` kind uses `schema`, with one question note.
fn vault_with_schema(schema: &str, front_matter: String) -> tempfile::TempDir {
    let dir = vault(&[("q-one--system-design--easy.md", front_matter)]);
    std::fs::create_dir(dir.path().join("schemas")).expect("mkdir");
    std::fs::write(dir.path().join("schemas/qa-note.schema.json"), schema).expect("schema");
    dir
}

#[test]
fn an_exponential_schema_is_a_setup_error_not_a_hang() {
    let schema = doubling_schema(40, |s| {
        s["properties"] = serde_json::json!({"title": {"$ref": "#/$defs/l0"}});
    });
    assert!(schema.len() < 3_500, "{} bytes", schema.len());
    let dir = vault_with_schema(&schema, HEAD.to_string());
    let out = check(dir.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("qa-note.schema.json"), "{err}");
    assert!(
        err.contains("more than 1000 subschema evaluations"),
        "{err}"
    );
}

#[test]
fn a_long_reference_chain_is_a_setup_error_not_a_crash() {
    let mut defs = serde_json::Map::new();
    for i in 0..12_000 {
        let next = format!("#/$defs/l{}", i + 1);
        defs.insert(format!("l{i}"), serde_json::json!({"$ref": next}));
    }
    defs.insert("l12000".into(), serde_json::json!({"type": "object"}));
    let schema = serde_json::json!({"$defs": defs, "$ref": "#/$defs/l0"}).to_string();
    let dir = vault_with_schema(&schema, HEAD.to_string());
    let out = check(dir.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("qa-note.schema.json") && err.contains("more than 256 deep"),
        "{err}"
    );
}

#[test]
fn a_note_too_large_for_its_schema_is_reported_not_validated() {
    // About 640 evaluations per value, within the schema limit; 2,000 keys exceed the
    // note's budget.
    let schema = doubling_schema(5, |s| {
        s["additionalProperties"] = serde_json::json!({"$ref": "#/$defs/l0"});
    });
    let keys: String = (0..2_000).map(|i| format!("k{i}: x\n")).collect();
    let dir = vault_with_schema(&schema, format!("{HEAD}{keys}"));
    let out = check(dir.path());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let sch = lines_of(&text, "SCH001");
    assert_eq!(sch.len(), 1, "{text}");
    assert!(
        sch[0].contains(":1:1: SCH001 [error] front matter not validated: its 4005 values"),
        "{}",
        sch[0]
    );
}

/// A vault with one question note whose body is `body`, and `others` empty notes.
fn vault_with_body(body: &str, others: usize) -> tempfile::TempDir {
    let dir = vault(&[]);
    let text = format!("---\n{HEAD}---\n{body}");
    std::fs::write(dir.path().join("q-body--system-design--easy.md"), text).expect("note");
    for i in 0..others {
        std::fs::write(dir.path().join(format!("n-{i}.md")), "# x\n").expect("note");
    }
    dir
}

/// Run `check` in `format`, selecting `rules`, and the time it took.
fn timed_check(dir: &Path, format: &str, rules: &str) -> (std::process::Output, Duration) {
    let started = std::time::Instant::now();
    let out = Command::cargo_bin("decksmith")
        .expect("binary builds")
        .args(["check", "--format", format, "--no-cache", "--select", rules])
        .arg(dir)
        .timeout(DEADLINE)
        .output()
        .expect("decksmith runs");
    (out, started.elapsed())
}

#[test]
fn many_comments_and_links_are_read_in_linear_time() {
    // 100,000 `%% %%` comments and 100,000 links: every link was compared with every
    // comment (15 s in a release build).
    let body = format!("{}{}", "%%c%%\n".repeat(100_000), "[[m]]\n".repeat(100_000));
    let dir = vault_with_body(&body, 0);
    let (out, took) = timed_check(dir.path(), "concise", "LNK001");
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{took:?}");
    assert_eq!(lines_of(&text, "LNK001").len(), 501, "{took:?}");
}

#[test]
fn many_suppressions_apply_in_linear_time() {
    // 30,000 directives and 100,000 findings: each finding was compared with each
    // directive (16 s in a release build). The directives suppress nothing.
    let body = format!(
        "{}{}",
        "<!-- decksmith-disable-line LNK001 -->\n".repeat(30_000),
        "[[m]]\n".repeat(100_000)
    );
    let dir = vault_with_body(&body, 0);
    let (out, took) = timed_check(dir.path(), "concise", "LNK001,SUP001");
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{took:?}");
    assert_eq!(lines_of(&text, "LNK001").len(), 501, "{took:?}");
    assert_eq!(lines_of(&text, "SUP001").len(), 501, "{took:?}");
}

#[test]
fn suggestions_are_sought_only_for_listed_findings() {
    // 10,000 distinct dangling links in a vault of 1,000 notes: each sought a close name
    // among all notes (4 s in a release build).
    let body: String = (0..10_000).map(|i| format!("[[n-{i}x]]\n")).collect();
    let dir = vault_with_body(&body, 1_000);
    let (out, took) = timed_check(dir.path(), "json", "LNK001");
    assert_eq!(out.status.code(), Some(1), "{took:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let diagnostics = json["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(diagnostics.len(), 501, "{took:?}");
    // The listed findings still get their suggestion.
    assert_eq!(diagnostics[0]["help"], "did you mean `n-0`?");
}
