//! A note is read once: the rules on the note alone run while its text is in hand, the rules
//! against the index later, on what the note left behind (its residue), which knows the line
//! and column of every offset those rules may report at. These tests hold that to the text:
//! every finding of a whole-vault run is where the note's own text puts it, and is what a
//! check of the note read again against the run's index finds.

mod common;

use std::path::Path;

use decksmith::lint::{self, diagnostic};
use decksmith::vault::lines::{LineIndex, Position};
use decksmith::vault::load::Targets;
use decksmith::vault::note::Note;

/// Every vault the suite has: the demo vault, the generic one, and one per rule.
fn fixture_vaults() -> Vec<std::path::PathBuf> {
    let mut vaults = vec![common::fixture("vault"), common::fixture("generic-vault")];
    let rules = common::fixture("rules");
    let mut per_rule: Vec<_> = std::fs::read_dir(&rules)
        .expect("fixtures/rules")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    per_rule.sort();
    vaults.extend(per_rule);
    vaults
}

/// What was compared in one vault: findings, and those of rules against the index.
#[derive(Default)]
struct Compared {
    findings: usize,
    of_index_rules: usize,
}

/// Check `root` whole (every rule on), then check each note again, read afresh, against the
/// run's index: the same findings at the same lines and columns, which are those the note's
/// text gives their offsets.
fn compare(root: &Path) -> Compared {
    let settings = common::settings(root, &["ALL"]);
    let report = lint::check(&settings, &Targets::default()).expect("check runs");
    let mut compared = Compared::default();
    let mut by_path: std::collections::BTreeMap<&str, Vec<&diagnostic::Diagnostic>> =
        std::collections::BTreeMap::new();
    for d in &report.diagnostics {
        by_path.entry(&d.path).or_default().push(d);
    }
    for (path, found) in by_path {
        let Ok(bytes) = std::fs::read(root.join(path)) else {
            continue; // a finding about a file that cannot be read (FS001) has no text
        };
        let note = Note::from_bytes(path.to_string(), bytes, settings.kind_of(path), true);
        if note.unreadable.is_some() {
            continue;
        }
        let again = lint::check_note(&settings, &report.index, &note);
        let found: Vec<_> = found.into_iter().cloned().collect();
        // Labels in other files are located by the report, from those files.
        let unlocated = |ds: &[diagnostic::Diagnostic]| -> Vec<diagnostic::Diagnostic> {
            let mut ds = ds.to_vec();
            for l in ds.iter_mut().flat_map(|d| d.labels.iter_mut()) {
                if l.path.is_some() {
                    (l.start, l.end) = (Position::START, Position::START);
                }
            }
            ds
        };
        assert_eq!(
            unlocated(&found),
            unlocated(&again),
            "{}: the run's findings differ from a check of the note read again",
            root.join(path).display()
        );
        let mut located = found.clone();
        let lines = LineIndex::new(&note.text);
        diagnostic::locate(&note.text, &lines, &mut located);
        for (run, text) in found.iter().zip(&located) {
            assert_eq!(
                (run.start, run.end),
                (text.start, text.end),
                "{}: {} {} is not where the text puts it",
                root.join(path).display(),
                run.code,
                run.message
            );
            let own = |d: &diagnostic::Diagnostic| -> Vec<_> {
                d.labels
                    .iter()
                    .filter(|l| l.path.is_none())
                    .map(|l| (l.start, l.end))
                    .collect()
            };
            assert_eq!(own(run), own(text), "{}: labels of {}", path, run.code);
            compared.findings += 1;
            compared.of_index_rules += usize::from(is_index_rule(run.code));
        }
    }
    compared
}

/// The rules that compare a note with the vault, and unused suppressions: their findings
/// are located from a residue.
fn is_index_rule(code: &str) -> bool {
    code.starts_with("LNK") || matches!(code, "ANK006" | "NAM003" | "REF001" | "REF002" | "SUP001")
}

#[test]
fn findings_of_every_fixture_vault_are_where_the_text_puts_them() {
    let mut total = Compared::default();
    for vault in fixture_vaults() {
        let compared = compare(&vault);
        total.findings += compared.findings;
        total.of_index_rules += compared.of_index_rules;
    }
    // The fixtures hold findings of every rule: the comparison is not vacuous.
    assert!(total.findings > 100, "only {} findings", total.findings);
    assert!(
        total.of_index_rules > 30,
        "only {} findings of rules against the index",
        total.of_index_rules
    );
}

#[test]
fn findings_of_the_real_corpus_are_where_the_text_puts_them() {
    let Some(corpus) = common::reference("corpus/interview-vault-sample") else {
        return;
    };
    // A copy: a check writes nothing here, but the reference material is never a workspace.
    let dir = tempfile::tempdir().expect("tempdir");
    common::copy_dir(&corpus, dir.path());
    let compared = compare(dir.path());
    assert!(compared.of_index_rules > 100, "{}", compared.of_index_rules);
}
