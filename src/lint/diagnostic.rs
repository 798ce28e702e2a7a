//! The one diagnostic model every rule produces and every output format renders.
//!
//! Positions are byte ranges into the file; a rule never computes lines and columns itself.
//! The linter derives them once, while the note is in hand ([`locate`]), so that a report
//! holds no note's text: output reads a file again only to show its lines.
//!
//! What one note can make the linter say is bounded here, once for every rule and output
//! format: a diagnostic keeps at most [`MAX_LABELS`] labels, a message lists at most
//! [`MAX_LISTED`] names, and a rule reports at most [`MAX_PER_RULE`] findings on one note.
//! What is left out is counted in a last label or finding ("… and 39,980 more"), so the
//! output says that it was cut. Without the bounds a note with 40,000 unknown keys, or
//! 3,000 notes sharing one id (each naming the 2,999 others), turns into hundreds of
//! megabytes of output.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Serialize;

use crate::vault::lines::{LineIndex, Position};

/// How serious a finding is. `Off` only appears in configuration.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    /// Parse a configured level; `None` means "off".
    pub fn parse_level(s: &str) -> Result<Option<Severity>, String> {
        match s {
            "error" => Ok(Some(Severity::Error)),
            "warning" | "warn" => Ok(Some(Severity::Warning)),
            "info" => Ok(Some(Severity::Info)),
            "off" => Ok(None),
            other => Err(format!(
                "unknown severity `{other}` (expected error, warning, info or off)"
            )),
        }
    }
}

/// Labels one diagnostic carries; real findings have one to three.
pub const MAX_LABELS: usize = 20;

/// Names one message lists (other notes with the same id, …); the labels show more.
pub const MAX_LISTED: usize = 5;

/// Findings one rule reports on one note. The most seen in a real vault is under 200 (the
/// dangling links of a map of content); past this many, more findings add no information.
pub const MAX_PER_RULE: usize = 500;

/// A secondary span with a short text, possibly in another file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Label {
    /// Vault-relative path; `None` means the diagnostic's own file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip)]
    pub range: Range<usize>,
    pub message: String,
    /// Where the range starts and ends in its file, once located.
    #[serde(skip)]
    pub start: Position,
    #[serde(skip)]
    pub end: Position,
}

impl Label {
    /// The file the label points into: its own path, else `own` (its diagnostic's).
    pub fn file<'a>(&'a self, own: &'a str) -> &'a str {
        self.path.as_deref().unwrap_or(own)
    }

    /// Set the label's lines and columns from the text of the file it points into.
    pub fn locate(&mut self, text: &str, lines: &LineIndex) {
        self.start = lines.locate(text, self.range.start, None).1;
        self.end = lines.locate(text, self.range.end, None).1;
    }
}

/// How far a fix can be trusted, as ruff says it: a safe fix keeps the note's meaning and
/// is applied by `check --fix`; an unsafe one may change what the note says (which of two
/// values to keep, a timezone to assume) and needs `--unsafe-fixes` too.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    Unsafe,
    Safe,
}

/// One replacement of a byte range of the note (an insertion when the range is empty, a
/// deletion when the content is).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edit {
    #[serde(skip)]
    pub range: Range<usize>,
    pub content: String,
}

impl Edit {
    pub fn replace(range: Range<usize>, content: impl Into<String>) -> Edit {
        Edit {
            range,
            content: content.into(),
        }
    }

    pub fn delete(range: Range<usize>) -> Edit {
        Edit::replace(range, "")
    }

    pub fn insert(at: usize, content: impl Into<String>) -> Edit {
        Edit::replace(at..at, content)
    }
}

/// A rule's repair of one finding: edits applied together, never in part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// What it does, as a sentence fragment ("rename the key to `id`").
    pub message: String,
    pub applicability: Applicability,
    /// Sorted, not overlapping.
    #[serde(skip)]
    pub edits: Vec<Edit>,
}

impl Fix {
    pub fn safe(message: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix::new(message, Applicability::Safe, edits)
    }

    pub fn unsafe_(message: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix::new(message, Applicability::Unsafe, edits)
    }

    fn new(message: impl Into<String>, applicability: Applicability, mut edits: Vec<Edit>) -> Fix {
        edits.sort_by_key(|e| (e.range.start, e.range.end));
        Fix {
            message: message.into(),
            applicability,
            edits,
        }
    }

    /// The bytes the fix touches, from its first edit to its last.
    pub fn span(&self) -> Range<usize> {
        let start = self.edits.first().map_or(0, |e| e.range.start);
        let end = self.edits.last().map_or(0, |e| e.range.end);
        start..end
    }
}

/// One finding.
///
/// A large vault's report holds hundreds of thousands of them, and for a moment twice (each
/// note's list is moved into the report's): each is kept small. The rule's name is looked
/// up by its code, texts are boxed to their length, labels to their number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: Box<str>,
    /// Vault-relative, `/`-separated; shared by the findings of one note.
    pub path: std::sync::Arc<str>,
    pub range: Range<usize>,
    pub labels: Box<[Label]>,
    pub help: Option<Box<str>>,
    /// The rule's repair, when it offers one (boxed: few findings have one, and a report
    /// may hold hundreds of thousands of findings).
    pub fix: Option<Box<Fix>>,
    /// Where the range starts and ends, once located ([`locate`]).
    pub start: Position,
    pub end: Position,
}

impl Diagnostic {
    /// A rule's finding on the note at `path`, with its labels capped at [`MAX_LABELS`].
    pub fn from_finding(
        f: Finding,
        code: &'static str,
        severity: Severity,
        path: std::sync::Arc<str>,
    ) -> Diagnostic {
        let mut labels = f.labels;
        if let Some(mut first) = f.first_omitted {
            if f.omitted > 1 {
                first.message = format!("{}, and {} more not shown", first.message, f.omitted - 1);
            }
            labels.push(first);
        }
        Diagnostic {
            code,
            severity,
            message: f.message.into_boxed_str(),
            path,
            range: f.range,
            labels: labels.into_boxed_slice(),
            help: f.help.map(String::into_boxed_str),
            fix: f.fix.map(Box::new),
            start: Position::START,
            end: Position::START,
        }
    }

    /// The name of the rule that found it.
    pub fn name(&self) -> &'static str {
        super::registry::find_code(self.code).map_or("", |r| r.name)
    }

    /// The sort key that makes output deterministic: path, position, code, message.
    pub fn sort_key(&self) -> (&str, usize, usize, &str, &str) {
        (
            &self.path,
            self.range.start,
            self.range.end,
            self.code,
            &self.message,
        )
    }
}

/// Give one file's diagnostics (sorted by start) the lines and columns of their ranges
/// and of their labels in the same file (labels into other files are located from those
/// files' texts, [`Label::locate`]).
pub fn locate(text: &str, lines: &LineIndex, diagnostics: &mut [Diagnostic]) {
    let mut last: Option<(usize, Position)> = None;
    for d in diagnostics {
        let (offset, start) = lines.locate(text, d.range.start, last);
        last = Some((offset, start));
        d.start = start;
        d.end = lines.locate(text, d.range.end, last).1;
        let own = &*d.path;
        for l in &mut d.labels {
            if l.path.as_deref().is_none_or(|p| p == own) {
                l.locate(text, lines);
            }
        }
    }
}

/// Keep at most [`MAX_PER_RULE`] diagnostics of each rule (one note's diagnostics), the
/// first by position, and sum the rest up in one more diagnostic where the first of them
/// was.
pub fn cap_per_rule(mut diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    for d in &diagnostics {
        *counts.entry(d.code).or_default() += 1;
    }
    if counts.values().all(|n| *n <= MAX_PER_RULE) {
        return diagnostics;
    }
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let mut seen: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut first_left_out: BTreeMap<&'static str, Diagnostic> = BTreeMap::new();
    diagnostics.retain(|d| {
        let n = seen.entry(d.code).or_default();
        *n += 1;
        if *n <= MAX_PER_RULE {
            return true;
        }
        first_left_out.entry(d.code).or_insert_with(|| d.clone());
        false
    });
    for (code, mut summary) in first_left_out {
        let left_out = counts.get(code).map_or(0, |n| n - MAX_PER_RULE);
        summary.message = format!(
            "{left_out} more {code} findings from here on are not listed (at most {MAX_PER_RULE} per rule and note)"
        )
        .into();
        summary.labels = Box::default();
        summary.help = Some("fix the findings listed, then check again".into());
        diagnostics.push(summary);
    }
    diagnostics
}

/// `items` joined with commas: at most [`MAX_LISTED`] of them, then how many more.
pub fn listing(items: impl ExactSizeIterator<Item = String>) -> String {
    let total = items.len();
    let shown: Vec<String> = items.take(MAX_LISTED).collect();
    match total - shown.len() {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

/// What a rule emits; the engine fills in code, name, severity and path.
#[derive(Clone, Debug)]
pub struct Finding {
    pub range: Range<usize>,
    pub message: String,
    /// At most [`MAX_LABELS`]; see [`Finding::label`].
    pub labels: Vec<Label>,
    pub help: Option<String>,
    pub fix: Option<Fix>,
    /// Labels past [`MAX_LABELS`]: the first is kept to point at, the rest only counted, so
    /// a rule may label every place it knows without building thousands of labels.
    first_omitted: Option<Label>,
    omitted: usize,
}

impl Finding {
    pub fn new(range: Range<usize>, message: impl Into<String>) -> Self {
        Finding {
            range,
            message: message.into(),
            labels: Vec::new(),
            help: None,
            fix: None,
            first_omitted: None,
            omitted: 0,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Offer a repair ([`Fix`]).
    pub fn fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    /// Offer a repair when there is one.
    pub fn fix_if(mut self, fix: Option<Fix>) -> Self {
        self.fix = fix.or(self.fix);
        self
    }

    /// Add a label; past [`MAX_LABELS`] it is counted, not kept.
    pub fn label(self, range: Range<usize>, message: impl Into<String>) -> Self {
        self.push_label(None::<String>, range, message)
    }

    /// Add a label in another file; past [`MAX_LABELS`] it is counted, not kept.
    pub fn label_in(
        self,
        path: impl Into<String>,
        range: Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        self.push_label(Some(path), range, message)
    }

    fn push_label(
        mut self,
        path: Option<impl Into<String>>,
        range: Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        // Strings are built only for the labels that are kept.
        let full = self.labels.len() >= MAX_LABELS;
        if full && self.first_omitted.is_some() {
            self.omitted += 1;
            return self;
        }
        let label = Label {
            path: path.map(Into::into),
            range,
            message: message.into(),
            start: Position::START,
            end: Position::START,
        };
        if full {
            self.first_omitted = Some(label);
            self.omitted = 1;
        } else {
            self.labels.push(label);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagnostic(code: &'static str, start: usize) -> Diagnostic {
        Diagnostic::from_finding(
            Finding::new(start..start + 1, format!("finding at {start}")),
            code,
            Severity::Error,
            "n.md".into(),
        )
    }

    #[test]
    fn labels_past_the_cap_are_counted_in_the_last_one() {
        let mut f = Finding::new(0..1, "m");
        for i in 0..MAX_LABELS + 5 {
            f = f.label_in(format!("other-{i}.md"), i..i + 1, "same id here");
        }
        let d = Diagnostic::from_finding(f, "NAM003", Severity::Error, "n.md".into());
        assert_eq!(d.labels.len(), MAX_LABELS + 1);
        let last = &d.labels[MAX_LABELS];
        assert_eq!(
            last.path.as_deref(),
            Some(format!("other-{MAX_LABELS}.md").as_str())
        );
        assert_eq!(last.range, MAX_LABELS..MAX_LABELS + 1);
        assert_eq!(last.message, "same id here, and 4 more not shown");
        assert_eq!(d.labels[MAX_LABELS - 1].message, "same id here");
    }

    #[test]
    fn one_label_past_the_cap_is_shown_as_it_is() {
        let mut f = Finding::new(0..1, "m");
        for i in 0..=MAX_LABELS {
            f = f.label(i..i + 1, "here");
        }
        let d = Diagnostic::from_finding(f, "X", Severity::Error, "n.md".into());
        assert_eq!(d.labels.len(), MAX_LABELS + 1);
        assert!(d.labels.iter().all(|l| l.message == "here"));
    }

    #[test]
    fn each_rule_lists_at_most_the_cap_per_note() {
        // Out of order, as rules and suppression leave them.
        let mut all: Vec<Diagnostic> = (0..MAX_PER_RULE + 100)
            .rev()
            .map(|i| diagnostic("SCH001", i * 2))
            .collect();
        all.extend((0..3).map(|i| diagnostic("FM007", i)));
        let capped = cap_per_rule(all);
        let sch: Vec<&Diagnostic> = capped.iter().filter(|d| d.code == "SCH001").collect();
        assert_eq!(sch.len(), MAX_PER_RULE + 1);
        assert_eq!(capped.iter().filter(|d| d.code == "FM007").count(), 3);
        // The first by position are kept; the summary sits where the first left out was.
        assert!(
            sch[..MAX_PER_RULE]
                .iter()
                .all(|d| d.range.start < MAX_PER_RULE * 2)
        );
        let summary = sch[MAX_PER_RULE];
        assert_eq!(summary.range.start, MAX_PER_RULE * 2);
        assert_eq!(
            &*summary.message,
            format!(
                "100 more SCH001 findings from here on are not listed (at most {MAX_PER_RULE} per rule and note)"
            )
        );
        assert_eq!(summary.severity, Severity::Error);
        // Under the cap nothing changes, not even the order.
        let few = vec![diagnostic("A", 5), diagnostic("A", 1)];
        assert_eq!(cap_per_rule(few.clone()), few);
    }

    #[test]
    fn listings_name_a_few_and_count_the_rest() {
        let names = |n: usize| (0..n).map(|i| format!("`{i}`")).collect::<Vec<_>>();
        assert_eq!(listing(names(2).into_iter()), "`0`, `1`");
        assert_eq!(
            listing(names(MAX_LISTED).into_iter()),
            "`0`, `1`, `2`, `3`, `4`"
        );
        assert_eq!(
            listing(names(MAX_LISTED + 7).into_iter()),
            "`0`, `1`, `2`, `3`, `4` and 7 more"
        );
    }
}
