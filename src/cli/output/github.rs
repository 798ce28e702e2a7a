//! GitHub Actions workflow commands (`::error file=…,line=…::message`).
//!
//! Text from notes and file names is escaped twice: first like every text format
//! ([`escape_control`]), so no control character reaches the log, then by the workflow
//! command rules (`%`, `\r`, `\n`, and in property values `:` and `,`), which GitHub undoes.
//! The only raw line break left is the one this module puts before the help.
//!
//! Columns are given only when a finding starts and ends on one line (GitHub otherwise
//! ignores them). GitHub shows at most 10 annotations of each level per step, so the
//! concise report is printed too by `--format github` users who need all of them.

use std::fmt::Write;

use super::{Rendered, escape_control};
use crate::lint::diagnostic::Severity;

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(r: &Rendered<'_>, root_prefix: &str) -> String {
    let mut out = String::new();
    for d in r.items {
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut props = format!(
            "file={},line={},endLine={}",
            escape_property(&escape_control(&format!("{root_prefix}{}", d.path))),
            d.start.line,
            d.end.line
        );
        if d.start.line == d.end.line {
            let end_col = d.end.column.max(d.start.column);
            let _ = write!(props, ",col={},endColumn={}", d.start.column, end_col);
        }
        let _ = write!(
            props,
            ",title={}",
            escape_property(&format!("{} {}", d.code, d.name()))
        );
        let mut message = escape_control(&d.message).into_owned();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(&escape_control(help));
        }
        let _ = writeln!(out, "::{level} {props}::{}", escape_data(&message));
    }
    out
}
