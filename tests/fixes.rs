//! `check --fix`: every rule that offers fixes, on its own fixture vault
//! (`fixtures/rules/<code>/`): the fixes as a unified-diff snapshot, then applied, then
//! proven settled (a second run finds nothing to fix), with every file the diff does not
//! name left byte-identical.

mod common;

use std::path::Path;
use std::process::Output;

use decksmith::lint::registry::{self, FixAvailability};

fn check(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_decksmith"))
        .arg("check")
        .args(args)
        .arg(dir)
        .env_remove("DECKSMITH_CONFIG")
        .output()
        .expect("check runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn findings(dir: &Path, code: &str) -> usize {
    let out = check(dir, &["--select", code, "--format", "concise", "--quiet"]);
    stdout(&out).lines().filter(|l| l.contains(code)).count()
}

#[test]
fn every_fix_has_a_fixture_a_diff_snapshot_and_settles() {
    let fixing: Vec<&str> = registry::all()
        .iter()
        .filter(|r| r.fix != FixAvailability::None)
        .map(|r| r.code)
        .collect();
    assert!(fixing.len() >= 7, "{fixing:?}");
    for code in fixing {
        let dir = tempfile::tempdir().expect("tempdir");
        common::copy_dir(
            &common::fixture(&format!("rules/{}", code.to_lowercase())),
            dir.path(),
        );
        let found = findings(dir.path(), code);
        // After the first check, which fills the cache: `--diff` writes no note.
        let before = common::file_states(dir.path());

        let diff = check(dir.path(), &["--select", code, "--diff", "--unsafe-fixes"]);
        assert_eq!(diff.status.code(), Some(1), "{code}: {}", stdout(&diff));
        let text = stdout(&diff);
        insta::assert_snapshot!(format!("fix_{code}"), text);
        assert_eq!(
            common::file_states(dir.path()),
            before,
            "{code}: --diff writes nothing"
        );

        let fixed = check(
            dir.path(),
            &[
                "--select",
                code,
                "--fix",
                "--unsafe-fixes",
                "--format",
                "concise",
            ],
        );
        assert!(
            stdout(&fixed).contains("Fixed "),
            "{code}: {}",
            stdout(&fixed)
        );
        assert!(findings(dir.path(), code) < found, "{code}: nothing fixed");
        // The notes the diff named changed; no other file did.
        let named: Vec<String> = text
            .lines()
            .filter_map(|l| l.strip_prefix("+++ b/"))
            .map(str::to_string)
            .collect();
        for (path, state) in common::file_states(dir.path()) {
            let rel = path
                .strip_prefix(dir.path())
                .expect("below")
                .to_string_lossy()
                .replace('\\', "/");
            if rel.starts_with(".decksmith-cache") {
                continue;
            }
            let changed = before.get(&path).map(|b| &b.0) != Some(&state.0);
            assert_eq!(changed, named.contains(&rel), "{code}: {rel}");
        }
        // Settled: nothing is left to fix, and fixing again changes no byte.
        let again = check(dir.path(), &["--select", code, "--diff", "--unsafe-fixes"]);
        assert_eq!(again.status.code(), Some(0), "{code}: {}", stdout(&again));
        assert!(stdout(&again).is_empty());
    }
}

/// Derived tags go into `tags` in the list's own style, and questions get their quote:
/// flow lists (`[a]`, `[]`) and CRLF notes included.
#[test]
fn tags_and_quotes_are_added_in_the_note_s_own_style() {
    let dir = tempfile::tempdir().expect("tempdir");
    let note = |tags: &str, eol: &str| {
        format!(
            "---\nid: sysdes-9\ntitle: A / Б\ntopic: system-design\ndifficulty: hard\n{tags}\n---\n# Question (EN)\nWhy?\n\n## Answer (EN)\n\nBecause.\n"
        )
        .replace('\n', eol)
    };
    let cases = [
        (
            "q-a--system-design--hard.md",
            note("tags: [system-design]", "\n"),
        ),
        ("q-b--system-design--hard.md", note("tags: []", "\n")),
        (
            "q-c--system-design--hard.md",
            note("tags:\n  - system-design", "\r\n"),
        ),
    ];
    for (name, text) in &cases {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    let fixed = check(
        dir.path(),
        &["--select", "TAG001,SEC004", "--fix", "--format", "concise"],
    );
    assert!(
        stdout(&fixed).contains("Fixed 6 findings in 3 notes."),
        "{}",
        stdout(&fixed)
    );
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).expect("read");
    assert!(read(cases[0].0).contains("tags: [system-design, difficulty/hard]\n"));
    assert!(read(cases[1].0).contains("tags: [difficulty/hard]\n"));
    let crlf = read(cases[2].0);
    assert!(
        crlf.contains("tags:\r\n  - system-design\r\n  - difficulty/hard\r\n---\r\n# Question (EN)\r\n> Why?\r\n"),
        "{crlf:?}"
    );
    let again = check(dir.path(), &["--select", "TAG001,SEC004", "--diff"]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
}

/// The fixes `--format json` reports are the ones `--fix` applies: applying a note's JSON
/// edits by hand gives the bytes `--fix` writes.
#[test]
fn json_fixes_are_what_fix_applies() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::copy_dir(&common::fixture("rules/fm005"), dir.path());
    let json = check(dir.path(), &["--select", "FM005", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    let diagnostics = doc["diagnostics"].as_array().expect("diagnostics");
    let with_fix: Vec<&serde_json::Value> =
        diagnostics.iter().filter(|d| !d["fix"].is_null()).collect();
    assert!(!with_fix.is_empty(), "{doc:#}");
    let mut by_hand = std::collections::BTreeMap::new();
    for d in with_fix {
        assert_eq!(d["fix"]["applicability"], "safe");
        let path = d["path"].as_str().expect("path");
        let text = by_hand
            .entry(path.to_string())
            .or_insert_with(|| std::fs::read_to_string(dir.path().join(path)).expect("read"));
        // Edits from the end, so earlier offsets stay valid.
        let mut edits: Vec<&serde_json::Value> = d["fix"]["edits"]
            .as_array()
            .expect("edits")
            .iter()
            .collect();
        edits.sort_by_key(|e| std::cmp::Reverse(e["start"]["offset"].as_u64()));
        for e in edits {
            let (start, end) = (
                e["start"]["offset"].as_u64().expect("offset") as usize,
                e["end"]["offset"].as_u64().expect("offset") as usize,
            );
            text.replace_range(start..end, e["content"].as_str().expect("content"));
        }
    }
    check(dir.path(), &["--select", "FM005", "--fix"]);
    for (path, text) in by_hand {
        assert_eq!(
            std::fs::read_to_string(dir.path().join(&path)).expect("read"),
            text,
            "{path}"
        );
    }
}

/// A fix is proven on the bytes checked and the report keeps no note's text: a note edited
/// between the check and the fix is refused, never fixed from what it held before.
#[test]
fn a_note_changed_after_its_check_is_not_fixed() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::copy_dir(&common::fixture("rules/fm005"), dir.path());
    let settings = common::settings(dir.path(), &["FM005"]);
    let targets = decksmith::vault::load::Targets {
        keep_fixable: true,
        ..Default::default()
    };
    let report = decksmith::lint::check(&settings, &targets).expect("check runs");
    let fixable = report.fixable.first().expect("a note with a fix");
    let note = report.read_again(fixable).expect("unchanged");
    assert!(note.text.contains("---"));
    let path = dir.path().join(&fixable.path);
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, format!("{text}\nAn edit.\n")).expect("write");
    let refused = report.read_again(fixable).expect_err("changed");
    assert!(
        refused.contains("changed while it was checked"),
        "{refused}"
    );
}
