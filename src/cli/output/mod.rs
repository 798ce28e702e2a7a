//! Output formats. Each format is one small module rendering the same [`Rendered`] view of a
//! report; nothing here decides *what* is reported.

pub mod cards;
pub mod concise;
pub mod full;
pub mod github;
pub mod json;
pub mod sarif;
mod snippet;
pub mod sync;

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt::Write;
use std::sync::Arc;

use crate::lint::Report;
use crate::lint::diagnostic::{Diagnostic, Severity};
use crate::vault::lines::Text;
use crate::vault::load::Sources;

/// A report ready to print.
pub struct Rendered<'a> {
    /// The findings, located, sorted by file and position.
    pub items: &'a [Diagnostic],
    pub files_checked: usize,
    sources: &'a Sources,
    /// The last text read: findings come sorted by file, so each file is read once.
    last: RefCell<Option<(String, Arc<Text>)>>,
}

impl<'a> Rendered<'a> {
    pub fn new(report: &'a Report) -> Rendered<'a> {
        Rendered {
            items: &report.diagnostics,
            files_checked: report.files_checked,
            sources: &report.sources,
            last: RefCell::new(None),
        }
    }

    /// The text of the file at `path`, read again (and kept until another file is asked
    /// for).
    pub fn text(&self, path: &str) -> Option<Arc<Text>> {
        if let Some((last, text)) = &*self.last.borrow()
            && last == path
        {
            return Some(text.clone());
        }
        let text = self.sources.text(path)?;
        *self.last.borrow_mut() = Some((path.to_string(), text.clone()));
        Some(text)
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.items.iter().filter(|d| d.severity == severity).count()
    }

    /// "Found 3 errors and 2 warnings in 4 files (12 files checked)."
    pub fn summary(&self) -> String {
        // One pass: a large vault's report holds hundreds of thousands of findings. The
        // findings of a note share its path (one allocation), and come together.
        let (mut e, mut w, mut i, mut files) = (0, 0, 0, 0);
        let mut last: Option<&Arc<str>> = None;
        for d in self.items {
            match d.severity {
                Severity::Error => e += 1,
                Severity::Warning => w += 1,
                Severity::Info => i += 1,
            }
            if last.is_none_or(|p| !Arc::ptr_eq(p, &d.path) && **p != *d.path) {
                files += 1;
            }
            last = Some(&d.path);
        }
        let checked = plural(self.files_checked, "file");
        if e + w + i == 0 {
            return format!("All checks passed ({checked} checked).");
        }
        let mut parts = Vec::new();
        for (n, word) in [(e, "error"), (w, "warning"), (i, "info")] {
            if n > 0 {
                parts.push(plural(n, word));
            }
        }
        format!(
            "Found {} in {} ({checked} checked).",
            join_and(&parts),
            plural(files, "file")
        )
    }
}

/// Whether a character must not reach a terminal as it is: the C0 and C1 controls and DEL
/// (ANSI escape sequences start with ESC, a C0 control; a newline would forge a finding),
/// and the bidirectional overrides and isolates that make a line read differently from its
/// bytes (U+202A–U+202E, U+2066–U+2069).
pub(crate) fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text from notes and file names, made safe for the text formats: every [`is_unsafe`]
/// character becomes a visible escape naming it (see [`push_escaped`]); everything else is
/// kept. Every text format prints names, messages, help and labels through this function.
pub(crate) fn escape_control(s: &str) -> Cow<'_, str> {
    // Every unsafe character is an ASCII control or DEL, or starts with the byte 0xC2 (C1
    // controls) or 0xE2 (the bidirectional controls): a text without those bytes, as most
    // are, is let through after one pass over its bytes.
    // The bytes are looked at in blocks, each without an early exit, which the compiler
    // turns into vector instructions.
    let suspect = |b: u8| b < 0x20 || b == 0x7f || b == 0xc2 || b == 0xe2;
    let any_suspect = s
        .as_bytes()
        .chunks(32)
        .any(|block| block.iter().fold(false, |seen, &b| seen | suspect(b)));
    if !any_suspect || !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The escape of one unsafe character: `\t`, `\n`, `\r`; `\x1b` for the other ASCII
/// controls and DEL; `\u{85}`, `\u{202e}` for the rest. Backslashes already in the text are
/// not doubled, so messages such as "`---\` is not a front-matter fence" stay readable; the
/// price is that a name holding the four characters `\x1b` prints like one holding ESC.
pub(crate) fn push_escaped(out: &mut String, c: char) {
    match c {
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c if c.is_ascii() => {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
}

/// Serialised JSON with the unsafe characters serde_json leaves as they are (DEL, the C1
/// controls, the bidirectional controls; it escapes only C0) written as `\uXXXX`. They
/// can only occur inside strings, so the parsed document is unchanged.
pub(crate) fn escape_json_controls(json: String) -> String {
    if !json.chars().any(is_unsafe_in_json) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_unsafe_in_json(c) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// serde_json writes C0 controls as escapes; newlines between tokens are its own layout.
fn is_unsafe_in_json(c: char) -> bool {
    is_unsafe(c) && u32::from(c) > 0x1f
}

/// The message and, after it on the same line, the help: ` (help: …)`. The one-line formats
/// (concise, SARIF) use it so that a finding stays one greppable line that still carries the
/// fix hint; pre-commit users see nothing but the concise format.
pub fn message_with_help(d: &Diagnostic) -> String {
    match &d.help {
        Some(help) => format!("{} (help: {help})", d.message),
        None => d.message.to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_characters_become_visible_escapes() {
        let hostile = "a\u{1b}[31mb\tc\nd\re\u{7f}f\u{9b}g\u{202e}h\u{2066}i";
        assert_eq!(
            escape_control(hostile),
            "a\\x1b[31mb\\tc\\nd\\re\\x7ff\\u{9b}g\\u{202e}h\\u{2066}i"
        );
        assert!(matches!(escape_control("`---\\` Вопрос"), Cow::Borrowed(_)));
    }

    #[test]
    fn the_byte_scan_lets_through_exactly_the_safe_characters() {
        let ranges = [
            0..0x300u32,
            0x2000..0x2100,
            0xfeff..0x10000,
            0x1f600..0x1f610,
        ];
        for c in ranges.into_iter().flatten().filter_map(char::from_u32) {
            let text = format!("x{c}y");
            let kept = matches!(escape_control(&text), Cow::Borrowed(_));
            assert_eq!(kept, !is_unsafe(c), "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn json_keeps_its_value_and_loses_raw_controls() {
        let value = serde_json::json!({ "m": "a\u{1b}b\u{7f}c\u{9b}d\u{202e}e\nf" });
        let json = escape_json_controls(serde_json::to_string_pretty(&value).expect("json"));
        assert!(!json.chars().any(|c| is_unsafe(c) && c != '\n'), "{json}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&json).expect("parses"),
            value
        );
    }
}
