//! The output formats on large input: rendering time grows with the findings and their
//! labels, not with the findings times the size of their note or line, nor with the square
//! of the labels.

mod common;

use std::time::{Duration, Instant};

use decksmith::cli::output::{self, Rendered};
use decksmith::lint;

/// A report of one note holding `text`, with one finding per range. Built directly, not by
/// the linter: the linter caps findings per rule and note, and these tests measure the
/// renderers on more findings than any cap.
fn report_of(name: &str, text: String, ranges: Vec<std::ops::Range<usize>>) -> lint::Report {
    use decksmith::lint::diagnostic::{Diagnostic, Severity};
    let note = decksmith::vault::note::Note::from_text(name.into(), text, None);
    let diagnostics = ranges
        .into_iter()
        .map(|range| Diagnostic {
            code: "SCH001",
            severity: Severity::Error,
            message: format!("finding at {}", range.start).into(),
            path: name.into(),
            range,
            labels: Box::default(),
            help: None,
            fix: None,
            start: Default::default(),
            end: Default::default(),
        })
        .collect();
    report_with(note, diagnostics)
}

/// A report of `note` and its `diagnostics`, located as the linter locates them.
fn report_with(
    note: decksmith::vault::note::Note,
    mut diagnostics: Vec<decksmith::lint::diagnostic::Diagnostic>,
) -> lint::Report {
    decksmith::lint::diagnostic::locate(&note.text, &note.lines, &mut diagnostics);
    lint::Report {
        diagnostics,
        fixable: Vec::new(),
        files_checked: 1,
        files_cached: 0,
        warnings: Vec::new(),
        index: Default::default(),
        sources: decksmith::vault::load::Sources::held([(note.path.clone(), note.text.clone())]),
    }
}

/// The shortest of five runs of `f` (the least disturbed by other work on the machine).
fn shortest_of_five(f: impl Fn()) -> Duration {
    (0..5)
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
/// (or the line's) size. The bound sits between the two with room for a busy machine
/// (linear measured 8–26×; the quadratic renderers measured 50–104×).
fn assert_linear(what: &str, small: Duration, large: Duration) {
    let ratio = large.as_secs_f64() / small.as_secs_f64().max(1e-6);
    assert!(
        ratio < 40.0,
        "{what}: 8x as many took {ratio:.1}x the time ({small:?} → {large:?})"
    );
}

/// One question note whose front matter holds `keys` unknown keys: a finding each.
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
    let ranges = (0..keys)
        .map(|i| {
            let at = note.find(&format!("k{i:05}:")).expect("key");
            at..at + 6
        })
        .collect();
    let report = report_of("q-big-note--system-design--medium.md", note, ranges);
    let rendered = Rendered::new(&report);
    let last = format!("k{:05}: v", keys - 1);
    shortest_of_five(|| assert!(output::full::render(&rendered, false, "").contains(&last)))
}

#[test]
fn full_format_time_is_linear_in_the_findings() {
    assert_linear("full", full_render_time(1_000), full_render_time(8_000));
}

/// `links` wikilinks on one line: a finding each.
fn one_line_render_time(links: usize) -> Duration {
    let line: Vec<String> = (0..links).map(|i| format!("[[x{i:05}]]")).collect();
    let note = format!("# Long\n\n{}\n", line.join(" "));
    let ranges: Vec<std::ops::Range<usize>> = (0..links)
        .map(|i| {
            let at = 8 + 11 * i;
            at..at + 10
        })
        .collect();
    let last = format!(":3:{}: SCH001", 11 * (links - 1) + 1);
    // Locating the findings is timed with the rendering.
    shortest_of_five(|| {
        let report = report_of("c-long.md", note.clone(), ranges.clone());
        let rendered = Rendered::new(&report);
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
    let labels: Vec<_> = (1..=labels)
        .map(|i| {
            let start = note.lines.line_start(i);
            Label {
                path: None,
                range: start..start + 4,
                message: format!("label {i}"),
                start: Default::default(),
                end: Default::default(),
            }
        })
        .collect();
    let diagnostic = Diagnostic {
        code: "FM007",
        severity: Severity::Error,
        message: "many labels".into(),
        path: "n.md".into(),
        range: 0..4,
        labels: labels.into(),
        help: Some("a help".into()),
        fix: None,
        start: Default::default(),
        end: Default::default(),
    };
    report_with(note, vec![diagnostic])
}

#[test]
fn full_format_draws_some_labels_and_lists_the_rest() {
    let report = many_labels_report(40);
    let text = output::full::render(&Rendered::new(&report), false, "");
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
        let rendered = Rendered::new(&report);
        let last = format!("label {labels}\n");
        shortest_of_five(|| assert!(output::full::render(&rendered, false, "").contains(&last)))
    };
    assert_linear("labels", time(1_000), time(8_000));
}
