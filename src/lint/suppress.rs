//! Inline suppressions.
//!
//! Two comment syntaxes are accepted because vaults use both: HTML comments
//! (`<!-- decksmith-disable-next-line LNK001 -->`) and Obsidian comments, which are invisible
//! in reading view (`%% decksmith-disable-next-line LNK001 %%`). Scopes follow markdownlint:
//! `disable` … `enable` regions, `disable-line`, `disable-next-line` and `disable-file`. A
//! front-matter key `decksmith-disable: [CODE, …]` disables rules for the whole file. A
//! directive without codes applies to every rule. A suppression that suppresses nothing is
//! reported (SUP001), so stale ones do not pile up.

use std::collections::{HashMap, HashSet};
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

/// Drop the diagnostics the directives suppress, marking the directives used. `line_of`
/// gives the 0-based line of an offset of the note.
pub fn apply(
    diagnostics: Vec<Diagnostic>,
    directives: &mut [Directive],
    line_of: impl Fn(usize) -> usize,
) -> Vec<Diagnostic> {
    if directives.is_empty() {
        return diagnostics;
    }
    let mut coverage = Coverage::of(directives);
    diagnostics
        .into_iter()
        .filter(|d| !coverage.suppresses(d, line_of(d.range.start), directives))
        .collect()
}

/// A note's directives indexed by what they cover, so that each diagnostic costs a few
/// lookups: a note may hold tens of thousands of both, and comparing every pair took
/// seconds.
struct Coverage {
    /// Per rule code: the `disable` and `enable` markers that cover it, in order, with
    /// their lines. The last one at or before a line decides.
    regions: HashMap<&'static str, Vec<(usize, usize)>>,
    /// Per rule code: the file-wide directives that cover it.
    files: HashMap<&'static str, Vec<usize>>,
    /// Per line: the `disable-line` and `disable-next-line` directives aimed at it.
    lines: HashMap<usize, Vec<usize>>,
    /// Whether the line directives of a line cover a code, once decided (every covering
    /// directive is marked used then).
    decided: HashMap<(usize, &'static str), bool>,
    /// Codes whose file-wide directives are marked used already.
    files_used: HashSet<&'static str>,
}

impl Coverage {
    fn of(directives: &[Directive]) -> Coverage {
        let mut coverage = Coverage {
            regions: HashMap::new(),
            files: HashMap::new(),
            lines: HashMap::new(),
            decided: HashMap::new(),
            files_used: HashSet::new(),
        };
        for (i, dir) in directives.iter().enumerate() {
            match dir.scope {
                Scope::Line => coverage.lines.entry(dir.line).or_default().push(i),
                Scope::NextLine => coverage.lines.entry(dir.line + 1).or_default().push(i),
                Scope::Disable | Scope::Enable | Scope::File => {
                    for rule in registry::all().iter().filter(|r| covers(dir, r.code)) {
                        if dir.scope == Scope::File {
                            coverage.files.entry(rule.code).or_default().push(i);
                        } else {
                            coverage
                                .regions
                                .entry(rule.code)
                                .or_default()
                                .push((dir.line, i));
                        }
                    }
                }
            }
        }
        coverage
    }

    /// Whether `d`, on 0-based `line`, is suppressed; marks the directives that suppress it.
    fn suppresses(&mut self, d: &Diagnostic, line: usize, directives: &mut [Directive]) -> bool {
        let mut suppressed = false;
        if let Some(markers) = self.regions.get(d.code) {
            let before = markers.partition_point(|(l, _)| *l <= line);
            if let Some(&(_, i)) = before.checked_sub(1).and_then(|b| markers.get(b))
                && directives[i].scope == Scope::Disable
            {
                directives[i].used = true;
                suppressed = true;
            }
        }
        if let Some(files) = self.files.get(d.code) {
            if self.files_used.insert(d.code) {
                for &i in files {
                    directives[i].used = true;
                }
            }
            suppressed |= !files.is_empty();
        }
        let aimed = self.lines.get(&line);
        let hit = *self.decided.entry((line, d.code)).or_insert_with(|| {
            let mut hit = false;
            for &i in aimed.into_iter().flatten() {
                if covers(&directives[i], d.code) {
                    directives[i].used = true;
                    hit = true;
                }
            }
            hit
        });
        suppressed || hit
    }
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::lint::diagnostic::Severity;

    /// The definition: every diagnostic against every directive.
    fn reference(
        diagnostics: Vec<Diagnostic>,
        directives: &mut [Directive],
        lines: &LineIndex,
    ) -> Vec<Diagnostic> {
        diagnostics
            .into_iter()
            .filter(|d| {
                let line = lines.line_of(d.range.start);
                let mut suppressed = false;
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

    const CODES: [&str; 3] = ["LNK001", "SEC002", "FM007"];

    fn diagnostic(code: usize, line: usize) -> Diagnostic {
        Diagnostic {
            code: CODES[code],
            severity: Severity::Error,
            message: "".into(),
            path: "n.md".into(),
            range: line * 2..line * 2 + 1,
            labels: Box::default(),
            help: None,
            fix: None,
            start: Default::default(),
            end: Default::default(),
        }
    }

    fn directive(scope: usize, line: usize, codes: &[&str]) -> Directive {
        let scope = [
            Scope::File,
            Scope::Line,
            Scope::NextLine,
            Scope::Disable,
            Scope::Enable,
        ][scope];
        Directive {
            scope,
            codes: codes.iter().map(|c| c.to_string()).collect(),
            range: line * 2..line * 2 + 1,
            line,
            used: false,
        }
    }

    proptest! {
        #[test]
        fn indexed_directives_suppress_exactly_what_every_pair_would(
            raw_directives in proptest::collection::vec((0usize..5, 0usize..12, proptest::collection::vec(0usize..5, 0..3)), 0..12),
            raw_diagnostics in proptest::collection::vec((0usize..3, 0usize..12), 0..20),
        ) {
            // Selectors: codes, a prefix, a name, and an unknown one.
            let selectors = ["LNK001", "SEC", "duplicate-key", "FM007", "XYZ999"];
            // Directives come in text order, so by line.
            let mut raw_directives = raw_directives;
            raw_directives.sort_by_key(|(_, line, _)| *line);
            let directives: Vec<Directive> = raw_directives
                .iter()
                .map(|(scope, line, codes)| {
                    let codes: Vec<&str> = codes.iter().map(|c| selectors[*c]).collect();
                    directive(*scope, *line, &codes)
                })
                .collect();
            let diagnostics: Vec<Diagnostic> =
                raw_diagnostics.iter().map(|(c, l)| diagnostic(*c, *l)).collect();
            let lines = LineIndex::new(&"x\n".repeat(13));
            let (mut fast, mut slow) = (directives.clone(), directives);
            let kept = apply(diagnostics.clone(), &mut fast, |at| lines.line_of(at));
            let expected = reference(diagnostics, &mut slow, &lines);
            prop_assert_eq!(kept, expected);
            let used = |d: &[Directive]| d.iter().map(|d| d.used).collect::<Vec<_>>();
            prop_assert_eq!(used(&fast), used(&slow));
        }
    }
}
