//! `path:line:col: CODE [severity] message (help: …)` — one line per finding, for logs,
//! editors and pre-commit. The help stays on the finding's line so that every line still
//! starts with `path:line:col:` and `grep`, `wc -l` and editors' error matchers keep working.

use std::fmt::Write;

use super::{Rendered, escape_control, message_with_help};

pub fn render(r: &Rendered<'_>, root_prefix: &str) -> String {
    let mut out = String::new();
    let _ = render_into(r, root_prefix, &mut out);
    out
}

/// [`render`] into `out` line by line: a run with hundreds of thousands of findings streams
/// them instead of holding the whole text.
pub fn render_into(r: &Rendered<'_>, root_prefix: &str, out: &mut impl Write) -> std::fmt::Result {
    for d in r.items {
        writeln!(
            out,
            "{}:{}:{}: {} [{}] {}",
            escape_control(&format!("{root_prefix}{}", d.path)),
            d.start.line,
            d.start.column,
            d.code,
            d.severity.as_str(),
            escape_control(&message_with_help(d))
        )?;
    }
    Ok(())
}
