//! `--format full`: miette reports with the source snippet, labels and help.
//!
//! miette stays behind this module and [`super::snippet`], so that swapping the renderer
//! (for example for `annotate-snippets`) touches nothing else.
//!
//! The time taken is linear in the findings and their labels, whatever the size of the
//! notes: each finding's snippet is cut from its note by an [`Excerpt`] (miette's own
//! reading of a string scans it from the start for every span), and at most
//! [`DRAWN_LABELS`] labels are drawn in one snippet, because miette compares every line of
//! a snippet with every label of the finding. Further labels, and labels in other files, are
//! listed under the help as `also path:line:col: message`.
//!
//! Names, messages, help and labels go through [`escape_control`], and the excerpt escapes
//! the note's own text, so nothing in a note or a file name can drive the terminal.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan};

use super::snippet::{CONTEXT_LINES, Excerpt, Span};
use super::{Rendered, escape_control};
use crate::lint::diagnostic::{Diagnostic, Label, Severity};
use crate::vault::lines::LineIndex;

/// The labels drawn in one snippet; more are listed under the help.
const DRAWN_LABELS: usize = 32;

/// One finding, ready for miette: its excerpt and its spans translated into it.
struct Report<'a> {
    item: &'a Diagnostic,
    excerpt: Excerpt,
    spans: Vec<LabeledSpan>,
    help: Option<String>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&escape_control(&self.item.message))
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&escape_control(&self.item.message))
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        let d = self.item;
        Some(Box::new(format!("{}({})", d.code, d.name())))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.item.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.excerpt)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.spans.iter().cloned()))
    }
}

pub fn render(r: &Rendered<'_>, color: bool, root_prefix: &str) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false)
        .with_context_lines(CONTEXT_LINES);
    let mut out = String::new();
    for item in r.items {
        let report = report(r, item, root_prefix);
        if handler.render_report(&mut out, &report).is_err() {
            let d = item;
            out.push_str(&format!(
                "{}:{}:{}: {} {}\n",
                report.excerpt.name(),
                item.start.line,
                item.start.column,
                d.code,
                escape_control(&d.message)
            ));
        }
        out.push('\n');
    }
    out
}

/// Cut the finding's excerpt, translate its drawn spans, and list the labels not drawn.
fn report<'a>(r: &Rendered<'_>, d: &'a Diagnostic, root_prefix: &str) -> Report<'a> {
    let (drawn, listed) = split_labels(d);
    let mut spans = vec![Span {
        range: d.range.clone(),
        start: d.start,
    }];
    spans.extend(drawn.iter().map(|l| Span {
        range: l.range.clone(),
        start: l.start,
    }));
    let name = escape_control(&format!("{root_prefix}{}", d.path)).into_owned();
    let excerpt = match r.text(&d.path) {
        Some(file) => Excerpt::new(name, &file.text, &file.lines, &spans),
        None => Excerpt::new(name, "", &LineIndex::new(""), &spans),
    };
    let mut labeled = vec![LabeledSpan::new_primary_with_span(None, excerpt.span(0))];
    labeled.extend(drawn.iter().enumerate().map(|(n, l)| {
        let message = escape_control(&l.message).into_owned();
        LabeledSpan::new_with_span(Some(message), excerpt.span(n + 1))
    }));
    Report {
        item: d,
        spans: labeled,
        excerpt,
        help: help_with_listed(d, &listed, root_prefix),
    }
}

/// The labels drawn in the snippet (in the finding's file, at most [`DRAWN_LABELS`]) and
/// the labels listed under the help (the rest).
fn split_labels(d: &Diagnostic) -> (Vec<&Label>, Vec<&Label>) {
    let mut drawn = Vec::new();
    let mut listed = Vec::new();
    for l in &d.labels {
        if l.file(&d.path) == &*d.path && drawn.len() < DRAWN_LABELS {
            drawn.push(l);
        } else {
            listed.push(l);
        }
    }
    (drawn, listed)
}

/// The finding's help, then a line per label not drawn.
fn help_with_listed(d: &Diagnostic, listed: &[&Label], root_prefix: &str) -> Option<String> {
    let also = listed.iter().map(|l| {
        format!(
            "also {}:{}:{}: {}",
            escape_control(&format!("{root_prefix}{}", l.file(&d.path))),
            l.start.line,
            l.start.column,
            escape_control(&l.message)
        )
    });
    // Escaped line by line: the line breaks between them are the renderer's own.
    let help = d.help.as_deref().map(|h| escape_control(h).into_owned());
    let lines: Vec<String> = help.into_iter().chain(also).collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}
