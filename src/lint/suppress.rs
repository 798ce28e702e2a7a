//! Inline suppressions.
//!
//! Two comment syntaxes are accepted because vaults use both: HTML comments
//! (`<!-- decksmith-disable-next-line LNK001 -->`) and Obsidian comments, which are invisible
//! in reading view (`%% decksmith-disable-next-line LNK001 %%`). Scopes follow markdownlint:
//! `disable` … `enable` regions, `disable-line`, `disable-next-line` and `disable-file`. A
//! front-matter key `decksmith-disable: [CODE, …]` disables rules for the whole file. A
//! directive without codes applies to every rule. A suppression that suppresses nothing is
//! reported (SUP001), so stale ones do not pile up.

use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

use super::diagnostic::Diagnostic;
use super::registry;
use crate::vault::lines::LineIndex;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    File,
    Line,
    NextLine,
    Disable,
    Enable,
}

#[derive(Clone, Debug)]
pub struct Directive {
    scope: Scope,
    /// Empty: all rules.
    codes: Vec<String>,
    pub range: Range<usize>,
    /// 0-based line of the directive.
    line: usize,
    used: bool,
}

fn directive_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?:<!--|%%)[ \t]*decksmith-(disable-file|disable-next-line|disable-line|disable|enable)\b([^\n]*?)[ \t]*(?:-->|%%)",
        )
        .expect("static regex")
    })
}

/// Find the directives of one note. `fm_codes` are the codes of a `decksmith-disable`
/// front-matter key with its span.
pub fn parse(text: &str, lines: &LineIndex, fm_codes: &[(String, Range<usize>)]) -> Vec<Directive> {
    let mut out = Vec::new();
    if text.contains("decksmith-") {
        for cap in directive_re().captures_iter(text) {
            let (Some(whole), Some(kind), Some(codes)) = (cap.get(0), cap.get(1), cap.get(2))
            else {
                continue;
            };
            let scope = match kind.as_str() {
                "disable-file" => Scope::File,
                "disable-next-line" => Scope::NextLine,
                "disable-line" => Scope::Line,
                "disable" => Scope::Disable,
                _ => Scope::Enable,
            };
            out.push(Directive {
                scope,
                codes: codes
                    .as_str()
                    .split([' ', ',', '\t'])
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .collect(),
                range: whole.range(),
                line: lines.line_of(whole.start()),
                used: false,
            });
        }
    }
    for (code, range) in fm_codes {
        out.push(Directive {
            scope: Scope::File,
            codes: vec![code.clone()],
            range: range.clone(),
            line: lines.line_of(range.start),
            used: false,
        });
    }
    out
}

fn covers(directive: &Directive, code: &str) -> bool {
    directive.codes.is_empty()
        || directive.codes.iter().any(|c| {
            registry::find(code).is_some_and(|rule| registry::selects(c, rule))
                || c.eq_ignore_ascii_case(code)
        })
}

/// Drop the diagnostics the directives suppress, marking the directives used.
pub fn apply(
    diagnostics: Vec<Diagnostic>,
    directives: &mut [Directive],
    lines: &LineIndex,
) -> Vec<Diagnostic> {
    if directives.is_empty() {
        return diagnostics;
    }
    diagnostics
        .into_iter()
        .filter(|d| {
            let line = lines.line_of(d.range.start);
            let mut suppressed = false;
            // Regions: the last disable/enable before the line decides.
            let mut region: Option<usize> = None;
            for (i, dir) in directives.iter().enumerate() {
                if dir.line > line {
                    break;
                }
                match dir.scope {
                    Scope::Disable if covers(dir, d.code) => region = Some(i),
                    Scope::Enable if covers(dir, d.code) => region = None,
                    _ => {}
                }
            }
            if let Some(i) = region {
                directives[i].used = true;
                suppressed = true;
            }
            for dir in directives.iter_mut() {
                let hit = match dir.scope {
                    Scope::File => true,
                    Scope::Line => dir.line == line,
                    Scope::NextLine => dir.line + 1 == line,
                    Scope::Disable | Scope::Enable => false,
                };
                if hit && covers(dir, d.code) {
                    dir.used = true;
                    suppressed = true;
                }
            }
            !suppressed
        })
        .collect()
}

/// Directives that suppressed nothing (enable markers are never "unused").
pub fn unused(directives: &[Directive]) -> impl Iterator<Item = &Directive> {
    directives
        .iter()
        .filter(|d| !d.used && d.scope != Scope::Enable)
}

impl Directive {
    pub fn describe(&self) -> String {
        if self.codes.is_empty() {
            "all rules".to_string()
        } else {
            self.codes.join(", ")
        }
    }

    /// Codes that name no rule at all.
    pub fn unknown_codes(&self) -> Vec<&str> {
        self.codes
            .iter()
            .filter(|c| !registry::is_known_selector(c))
            .map(String::as_str)
            .collect()
    }
}
