//! `--format json`: a stable, versioned shape documented in `docs/output.md`.

use serde::Serialize;

use super::{Rendered, escape_json_controls};
use crate::lint::diagnostic::{Applicability, Fix, Severity};

#[derive(Serialize)]
struct Output<'a> {
    version: u32,
    tool: Tool,
    summary: Summary,
    diagnostics: Vec<Item<'a>>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Summary {
    files_checked: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
}

#[derive(Serialize)]
struct Point {
    line: u32,
    column: u32,
    offset: usize,
}

#[derive(Serialize)]
struct Item<'a> {
    code: &'a str,
    name: &'a str,
    severity: Severity,
    path: &'a str,
    message: &'a str,
    start: Point,
    end: Point,
    help: Option<&'a str>,
    labels: Vec<LabelOut<'a>>,
    /// The rule's repair (`check --fix` applies it), or `null`.
    fix: Option<FixOut<'a>>,
}

#[derive(Serialize)]
struct FixOut<'a> {
    message: &'a str,
    applicability: Applicability,
    edits: Vec<EditOut<'a>>,
}

#[derive(Serialize)]
struct EditOut<'a> {
    start: Point,
    end: Point,
    content: &'a str,
}

#[derive(Serialize)]
struct LabelOut<'a> {
    path: &'a str,
    message: &'a str,
    start: Point,
    end: Point,
}

/// A fix with its edits' positions in the note (none without the note's text).
fn fix_out<'a>(fix: &'a Fix, file: Option<&crate::vault::lines::Text>) -> Option<FixOut<'a>> {
    let file = file?;
    let point = |offset: usize| {
        let p = file.lines.position(&file.text, offset);
        Point {
            line: p.line,
            column: p.column,
            offset,
        }
    };
    Some(FixOut {
        message: &fix.message,
        applicability: fix.applicability,
        edits: fix
            .edits
            .iter()
            .map(|e| EditOut {
                start: point(e.range.start),
                end: point(e.range.end),
                content: &e.content,
            })
            .collect(),
    })
}

pub fn render(r: &Rendered<'_>) -> String {
    let out = Output {
        version: 1,
        tool: Tool {
            name: "decksmith",
            version: env!("CARGO_PKG_VERSION"),
        },
        summary: Summary {
            files_checked: r.files_checked,
            errors: r.count(Severity::Error),
            warnings: r.count(Severity::Warning),
            infos: r.count(Severity::Info),
        },
        diagnostics: r
            .items
            .iter()
            .map(|d| Item {
                code: d.code,
                name: d.name(),
                severity: d.severity,
                path: &d.path,
                message: &d.message,
                start: Point {
                    line: d.start.line,
                    column: d.start.column,
                    offset: d.range.start,
                },
                end: Point {
                    line: d.end.line,
                    column: d.end.column,
                    offset: d.range.end,
                },
                help: d.help.as_deref(),
                fix: d
                    .fix
                    .as_ref()
                    .and_then(|f| fix_out(f, r.text(&d.path).as_deref())),
                labels: d
                    .labels
                    .iter()
                    .map(|l| LabelOut {
                        path: l.file(&d.path),
                        message: &l.message,
                        start: Point {
                            line: l.start.line,
                            column: l.start.column,
                            offset: l.range.start,
                        },
                        end: Point {
                            line: l.end.line,
                            column: l.end.column,
                            offset: l.range.end,
                        },
                    })
                    .collect(),
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&out).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    escape_json_controls(s)
}
