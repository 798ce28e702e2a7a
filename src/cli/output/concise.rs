//! `path:line:col: CODE [severity] message` — one line per finding, for logs and editors.

use std::fmt::Write;

use super::Rendered;

pub fn render(r: &Rendered<'_>, root_prefix: &str) -> String {
    let mut out = String::new();
    for item in &r.items {
        let d = item.diagnostic;
        let _ = writeln!(
            out,
            "{root_prefix}{}:{}:{}: {} [{}] {}",
            d.path,
            item.start.line,
            item.start.column,
            d.code,
            d.severity.as_str(),
            d.message
        );
    }
    out
}
