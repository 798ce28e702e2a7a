//! The output formats on large input: rendering time grows with the findings and their
//! labels, not with the findings times the size of their note or line, nor with the square
//! of the labels.

mod common;

use std::time::{Duration, Instant};

use decksmith::cli::output::{self, Rendered};
use decksmith::lint::{self, Targets};

/// A vault holding one note, checked with only `rule` selected.
fn check_one_note(name: &str, text: &str, rule: &str) -> (tempfile::TempDir, lint::Report) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(name), text).expect("write");
    let settings = common::settings(dir.path(), &[rule]);
    let report = lint::check(&settings, &Targets::default()).expect("check runs");
    (dir, report)
}

/// The shortest of three runs of `f`.
fn shortest_of_three(f: impl Fn()) -> Duration {
    (0..3)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// Eight times the findings in an eight times larger note (or line) take about eight times
/// as long when rendering is linear, sixty-four times when each finding costs the note's
/// (or the line's) size.
fn assert_linear(what: &str, small: Duration, large: Duration) {
    let ratio = large.as_secs_f64() / small.as_secs_f64().max(1e-6);
    assert!(
        ratio < 24.0,
        "{what}: 8x as many took {ratio:.1}x the time ({small:?} → {large:?})"
    );
}

/// One question note whose front matter holds `keys` unknown keys: one SCH001 each.
fn unknown_keys_note(keys: usize) -> String {
    let mut text = String::from("---\nid: sysdes-900\ntitle: Big\n");
    for i in 0..keys {
        text.push_str(&format!("k{i:05}: v\n"));
    }
    text.push_str("---\n\n# Question (EN)\n\n> What?\n");
    text
}

fn full_render_time(keys: usize) -> Duration {
    let note = unknown_keys_note(keys);
    let (_dir, report) = check_one_note("q-big-note--system-design--medium.md", &note, "SCH001");
    assert!(report.diagnostics.len() > keys, "one finding per key");
    let rendered = Rendered::new(&report, &[]);
    let last = format!("unknown key `k{:05}`", keys - 1);
    shortest_of_three(|| assert!(output::full::render(&rendered, false, "").contains(&last)))
}

#[test]
fn full_format_time_is_linear_in_the_findings() {
    assert_linear("full", full_render_time(1_000), full_render_time(8_000));
}

/// `links` dangling wikilinks on one line: one LNK001 each.
fn one_line_render_time(links: usize) -> Duration {
    let line: Vec<String> = (0..links).map(|i| format!("[[x{i:05}]]")).collect();
    let note = format!("# Long\n\n{}\n", line.join(" "));
    let (_dir, report) = check_one_note("c-long.md", &note, "LNK001");
    assert_eq!(report.diagnostics.len(), links);
    let last = format!(":3:{}: LNK001", 11 * (links - 1) + 1);
    shortest_of_three(|| {
        let rendered = Rendered::new(&report, &[]);
        assert!(output::concise::render(&rendered, "").contains(&last));
    })
}

#[test]
fn positions_on_one_long_line_are_linear_in_the_findings() {
    assert_linear(
        "one line",
        one_line_render_time(1_000),
        one_line_render_time(8_000),
    );
}

/// A report of one finding on line 1 of a note of `labels` + 1 lines, with a label on each
/// further line.
fn many_labels_report(labels: usize) -> lint::Report {
    use decksmith::lint::diagnostic::{Diagnostic, Label, Severity};
    let text: String = (0..=labels).map(|i| format!("line {i}\n")).collect();
    let note = decksmith::vault::note::Note::from_text("n.md".into(), text, None);
    let labels = (1..=labels)
        .map(|i| {
            let start = note.lines.line_start(i);
            Label {
                path: None,
                range: start..start + 4,
                message: format!("label {i}"),
            }
        })
        .collect();
    let diagnostic = Diagnostic {
        code: "FM007",
        name: "duplicate-key",
        severity: Severity::Error,
        message: "many labels".into(),
        path: "n.md".into(),
        range: 0..4,
        labels,
        help: Some("a help".into()),
    };
    lint::Report {
        diagnostics: vec![diagnostic],
        notes: vec![note],
        files_checked: 1,
        others: Vec::new(),
        warnings: Vec::new(),
    }
}

#[test]
fn full_format_draws_some_labels_and_lists_the_rest() {
    let report = many_labels_report(40);
    let text = output::full::render(&Rendered::new(&report, &[]), false, "");
    for i in 1..=40 {
        let listed = format!("also n.md:{}:1: label {i}\n", i + 1);
        let drawn = format!("╰── label {i}\n");
        if i <= 32 {
            assert!(
                text.contains(&drawn) && !text.contains(&listed),
                "{i}:\n{text}"
            );
        } else {
            assert!(
                text.contains(&listed) && !text.contains(&drawn),
                "{i}:\n{text}"
            );
        }
    }
    assert!(text.contains("help: a help\n"), "{text}");
}

#[test]
fn full_format_time_is_linear_in_the_labels() {
    let time = |labels: usize| {
        let report = many_labels_report(labels);
        let rendered = Rendered::new(&report, &[]);
        let last = format!("label {labels}\n");
        shortest_of_three(|| assert!(output::full::render(&rendered, false, "").contains(&last)))
    };
    assert_linear("labels", time(1_000), time(8_000));
}
