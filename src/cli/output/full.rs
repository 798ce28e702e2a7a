//! `--format full`: miette reports with the source snippet, labels and help.
//!
//! miette stays behind this one module so that swapping the renderer (for example for
//! `annotate-snippets`) touches nothing else.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};

use super::{Located, Rendered};
use crate::lint::diagnostic::Severity;

struct Report<'a> {
    item: &'a Located<'a>,
    source: NamedSource<String>,
    help: Option<String>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.item.diagnostic.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.item.diagnostic.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        let d = self.item.diagnostic;
        Some(Box::new(format!("{}({})", d.code, d.name)))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.item.diagnostic.severity {
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
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let d = self.item.diagnostic;
        let len = self.source.inner().len();
        let clamp = |r: &std::ops::Range<usize>| {
            let start = r.start.min(len);
            (start, r.end.min(len).saturating_sub(start))
        };
        let (s, l) = clamp(&d.range);
        let mut spans = vec![LabeledSpan::new_primary_with_span(None, (s, l))];
        for (label, located) in d.labels.iter().zip(&self.item.labels) {
            if located.same_file {
                let (s, l) = clamp(&label.range);
                spans.push(LabeledSpan::new_with_span(
                    Some(label.message.clone()),
                    (s, l),
                ));
            }
        }
        Some(Box::new(spans.into_iter()))
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
        .with_links(false);
    let mut out = String::new();
    for item in &r.items {
        let d = item.diagnostic;
        let text = r
            .notes
            .get(d.path.as_str())
            .map(|n| n.text.clone())
            .unwrap_or_default();
        let mut help = d.help.clone();
        // Labels in other files cannot share this snippet: name them in the help.
        let elsewhere: Vec<String> = item
            .labels
            .iter()
            .filter(|l| !l.same_file)
            .map(|l| {
                format!(
                    "also {}{}:{}:{}: {}",
                    root_prefix, l.path, l.start.line, l.start.column, l.message
                )
            })
            .collect();
        if !elsewhere.is_empty() {
            let extra = elsewhere.join("\n");
            help = Some(match help {
                Some(h) => format!("{h}\n{extra}"),
                None => extra,
            });
        }
        let report = Report {
            item,
            source: NamedSource::new(format!("{root_prefix}{}", d.path), text),
            help,
        };
        if handler.render_report(&mut out, &report).is_err() {
            out.push_str(&format!(
                "{root_prefix}{}:{}:{}: {} {}\n",
                d.path, item.start.line, item.start.column, d.code, d.message
            ));
        }
        out.push('\n');
    }
    out
}
