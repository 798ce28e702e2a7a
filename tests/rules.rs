//! One fixture vault per rule under `fixtures/rules/<code>/`, checked with only that rule
//! selected; the rendered diagnostics are an insta snapshot, so a change in any rule's
//! behaviour shows up as a snapshot diff to review.

mod common;

use decksmith::lint::registry;

fn check_rule(code: &str) {
    let dir = common::fixture(&format!("rules/{}", code.to_lowercase()));
    assert!(
        dir.is_dir(),
        "every rule needs a fixture: {} is missing",
        dir.display()
    );
    let (text, report) = common::render_full(&dir, &[code]);
    assert!(
        report.diagnostics.iter().any(|d| d.code == code),
        "fixture for {code} produced no {code} finding:\n{text}"
    );
    assert!(
        report.diagnostics.iter().all(|d| d.code == code),
        "only {code} was selected"
    );
    insta::assert_snapshot!(code, text);
}

#[test]
fn every_rule_has_a_fixture_and_a_snapshot() {
    for rule in registry::all() {
        check_rule(rule.code);
    }
}

#[test]
fn output_is_identical_across_runs() {
    let dir = common::fixture("rules/nam003");
    let first = common::render_full(&dir, &["ALL"]).0;
    for _ in 0..3 {
        assert_eq!(common::render_full(&dir, &["ALL"]).0, first);
    }
}

#[test]
fn demo_vault_good_notes_are_clean() {
    let dir = common::fixture("vault");
    let (text, report) = common::render_full(&dir, &["ALL"]);
    let outside_broken: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| !d.path.starts_with("broken/"))
        .collect();
    assert!(
        outside_broken.is_empty(),
        "good notes must be clean:\n{text}"
    );
    // Every front-matter defect has its broken note.
    for code in [
        "FM001", "FM002", "FM003", "FM004", "FM005", "FM006", "FM007", "FM008", "FM009",
    ] {
        assert!(
            report
                .diagnostics
                .iter()
                .any(|d| d.code == code && d.path.starts_with("broken/")),
            "no broken demo note for {code}"
        );
    }
}

#[test]
fn suppressions_silence_findings() {
    let dir = common::fixture("rules/suppressions");
    let (text, report) = common::render_full(&dir, &["ALL"]);
    assert!(
        report.diagnostics.iter().all(|d| d.code != "SEC002"),
        "SEC002 should be suppressed:\n{text}"
    );
    assert!(
        report.diagnostics.iter().all(|d| d.code != "SUP001"),
        "every suppression is used:\n{text}"
    );
    // Without the suppressions, the same vault has three transliterated headings.
    let settings = common::settings(&dir, &["SEC002"]);
    assert_eq!(report.files_checked, 5);
    let notes = decksmith::vault::load::read_notes(&settings, &Default::default())
        .expect("notes read")
        .notes;
    assert_eq!(notes.len(), 5);
    let bare: usize = notes
        .iter()
        .map(|n| {
            let index = decksmith::vault::index::VaultIndex::default();
            decksmith::lint::check_note(
                &settings,
                &index,
                &decksmith::vault::note::Note::from_text(
                    n.path.clone(),
                    n.text
                        .replace("decksmith-disable", "x")
                        .replace("x: [SEC002]", "x-other: []"),
                    n.kind,
                ),
            )
            .iter()
            .filter(|d| d.code == "SEC002")
            .count()
        })
        .sum();
    assert_eq!(bare, 3);
}

#[test]
fn rule_docs_are_up_to_date() {
    let mut doc = String::from(
        "# Rules\n\nGenerated from the rules' doc comments (`decksmith rule CODE` prints the same \
         text). Regenerate with `UPDATE_DOCS=1 cargo test --test rules`. A fix is applied by \
         `decksmith check --fix` when it is safe, and with `--unsafe-fixes` too when it is not.\n\n\
         | Code | Name | Default | Fix | Summary |\n|---|---|---|---|---|\n",
    );
    for r in registry::all() {
        let sev = r.default_severity.map_or("off", |s| s.as_str());
        doc.push_str(&format!(
            "| [{}](#{}) | `{}` | {sev} | {} | {} |\n",
            r.code,
            r.code.to_lowercase(),
            r.name,
            r.fix.short(),
            r.summary.replace('|', "\\|")
        ));
    }
    for r in registry::all() {
        let sev = r.default_severity.map_or("off", |s| s.as_str());
        let body = r.documentation().replace("\n## ", "\n### ");
        doc.push_str(&format!(
            "\n## {}\n\n`{}` · default severity: {sev} · {}\n\n{}",
            r.code,
            r.name,
            r.fix.describe(),
            body.trim_start_matches("## ")
                .replacen("What it does", "### What it does", 1)
        ));
    }
    let path = common::repo().join("docs/rules.md");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &doc).expect("write docs/rules.md");
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == doc,
        "docs/rules.md is stale: run UPDATE_DOCS=1 cargo test --test rules"
    );
}
