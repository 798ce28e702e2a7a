//! Output formats. Each format is one small module rendering the same [`Rendered`] view of a
//! report; nothing here decides *what* is reported.

pub mod cards;
pub mod concise;
pub mod full;
pub mod github;
pub mod json;
pub mod sarif;
pub mod sync;

use std::collections::HashMap;

use crate::lint::Report;
use crate::lint::diagnostic::{Diagnostic, Severity};
use crate::vault::lines::Position;
use crate::vault::note::Note;

/// A diagnostic with its positions resolved.
pub struct Located<'a> {
    pub diagnostic: &'a Diagnostic,
    pub start: Position,
    pub end: Position,
    /// Labels with their file and positions resolved.
    pub labels: Vec<LocatedLabel<'a>>,
}

pub struct LocatedLabel<'a> {
    pub path: &'a str,
    pub start: Position,
    pub end: Position,
    pub message: &'a str,
    pub same_file: bool,
}

/// A report ready to print.
pub struct Rendered<'a> {
    pub items: Vec<Located<'a>>,
    pub notes: HashMap<&'a str, &'a Note>,
    pub files_checked: usize,
}

impl<'a> Rendered<'a> {
    /// Resolve positions. `others` holds notes outside the report (label targets).
    pub fn new(report: &'a Report, others: &'a [Note]) -> Rendered<'a> {
        let mut notes: HashMap<&str, &Note> = HashMap::new();
        for n in others.iter().chain(&report.notes) {
            notes.insert(n.path.as_str(), n);
        }
        let pos = |path: &str, offset: usize| -> Position {
            match notes.get(path) {
                Some(n) => n.lines.position(&n.text, offset),
                None => Position {
                    line: 1,
                    column: 1,
                    column_utf16: 1,
                },
            }
        };
        let items = report
            .diagnostics
            .iter()
            .map(|d| Located {
                diagnostic: d,
                start: pos(&d.path, d.range.start),
                end: pos(&d.path, d.range.end),
                labels: d
                    .labels
                    .iter()
                    .map(|l| {
                        let path = l.path.as_deref().unwrap_or(&d.path);
                        LocatedLabel {
                            path,
                            start: pos(path, l.range.start),
                            end: pos(path, l.range.end),
                            message: &l.message,
                            same_file: l.path.is_none() || path == d.path,
                        }
                    })
                    .collect(),
            })
            .collect();
        Rendered {
            items,
            notes,
            files_checked: report.files_checked,
        }
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.items
            .iter()
            .filter(|i| i.diagnostic.severity == severity)
            .count()
    }

    /// "Found 3 errors and 2 warnings in 4 files (12 files checked)."
    pub fn summary(&self) -> String {
        let (e, w, i) = (
            self.count(Severity::Error),
            self.count(Severity::Warning),
            self.count(Severity::Info),
        );
        let checked = plural(self.files_checked, "file");
        if e + w + i == 0 {
            return format!("All checks passed ({checked} checked).");
        }
        let mut files: Vec<&str> = self
            .items
            .iter()
            .map(|i| i.diagnostic.path.as_str())
            .collect();
        files.dedup();
        let mut parts = Vec::new();
        for (n, word) in [(e, "error"), (w, "warning"), (i, "info")] {
            if n > 0 {
                parts.push(plural(n, word));
            }
        }
        format!(
            "Found {} in {} ({checked} checked).",
            join_and(&parts),
            plural(files.len(), "file")
        )
    }
}

/// The message and, after it on the same line, the help: ` (help: …)`. The one-line formats
/// (concise, SARIF) use it so that a finding stays one greppable line that still carries the
/// fix hint; pre-commit users see nothing but the concise format.
pub fn message_with_help(d: &Diagnostic) -> String {
    match &d.help {
        Some(help) => format!("{} (help: {help})", d.message),
        None => d.message.clone(),
    }
}

pub fn plural(n: usize, word: &str) -> String {
    if n == 1 || word == "info" {
        format!(
            "{n} {word}{}",
            if word == "info" && n != 1 { "s" } else { "" }
        )
    } else {
        format!("{n} {word}s")
    }
}

fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
