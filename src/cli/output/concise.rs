//! `path:line:col: CODE [severity] message (help: …)` — one line per finding, for logs,
//! editors and pre-commit. The help stays on the finding's line so that every line still
//! starts with `path:line:col:` and `grep`, `wc -l` and editors' error matchers keep working.

use std::fmt::Write;

use super::{Rendered, escape_control};

pub fn render(r: &Rendered<'_>, root_prefix: &str) -> String {
    let mut out = String::new();
    let _ = render_into(r, root_prefix, &mut out);
    out
}

/// [`render`] into `out` a batch of lines at a time: a run with hundreds of thousands of
/// findings streams them instead of holding the whole text.
///
/// The lines of a batch are formatted in parallel, in chunks, and written in order: when
/// every finding comes from the check cache, formatting them is a fifth of the run.
pub fn render_into(r: &Rendered<'_>, root_prefix: &str, out: &mut impl Write) -> std::fmt::Result {
    use rayon::prelude::*;
    const CHUNK: usize = 2048;
    const BATCH: usize = 16 * CHUNK;
    for batch in r.items.chunks(BATCH) {
        let texts: Vec<String> = batch
            .par_chunks(CHUNK)
            .map(|chunk| {
                let mut text = String::with_capacity(chunk.len() * 192);
                let _ = render_lines(chunk, root_prefix, &mut text);
                text
            })
            .collect();
        for text in texts {
            out.write_str(&text)?;
        }
    }
    Ok(())
}

/// One line per finding of `items`.
fn render_lines(
    items: &[crate::lint::diagnostic::Diagnostic],
    root_prefix: &str,
    out: &mut impl Write,
) -> std::fmt::Result {
    // A note's findings come together: its path is escaped once for all of them.
    let mut shown: Option<(&std::sync::Arc<str>, String)> = None;
    for d in items {
        if shown
            .as_ref()
            .is_none_or(|(path, _)| !std::sync::Arc::ptr_eq(path, &d.path))
        {
            let path = escape_control(&format!("{root_prefix}{}", d.path)).into_owned();
            shown = Some((&d.path, path));
        }
        let path = shown.as_ref().map_or("", |(_, p)| p.as_str());
        write!(
            out,
            "{path}:{}:{}: {} [{}] {}",
            d.start.line,
            d.start.column,
            d.code,
            d.severity.as_str(),
            escape_control(&d.message)
        )?;
        match &d.help {
            Some(help) => writeln!(out, " (help: {})", escape_control(help))?,
            None => writeln!(out)?,
        }
    }
    Ok(())
}
