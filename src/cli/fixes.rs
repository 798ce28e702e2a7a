//! `check --fix` and `check --diff` on the command line: fixing the reported notes in
//! parallel ([`crate::lint::fix`] decides and proves each note's new text), writing them
//! through the same verified, atomic path as sync's write-back, and saying what was done.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rayon::prelude::*;

use super::{ExitStatus, write_stdout};
use crate::lint::diagnostic::{Applicability, Diagnostic};
use crate::lint::fix::{self, Applied, FixMode, NoteFix};
use crate::lint::{Fixable, Report, Settings};
use crate::vault::cache::ContentHash;

/// What `--fix` did.
#[derive(Default)]
pub(super) struct Fixed {
    /// The fixes applied to each note written, by path.
    applied: BTreeMap<String, Vec<Applied>>,
    /// Notes left as they were, with the reason.
    refused: Vec<(String, String)>,
}

impl Fixed {
    /// The lines printed before the summary.
    pub(super) fn describe(&self, show_fixes: bool, prefix: &str) -> String {
        let mut out = String::new();
        let count: usize = self.applied.values().map(Vec::len).sum();
        if count > 0 {
            let _ = writeln!(
                out,
                "Fixed {} in {}.",
                plural(count, "finding"),
                plural(self.applied.len(), "note")
            );
        }
        if show_fixes {
            for (path, applied) in &self.applied {
                for a in applied {
                    let _ = writeln!(out, "  {prefix}{path}: {} {}", a.code, a.message);
                }
            }
        }
        if !self.refused.is_empty() {
            let _ = writeln!(
                out,
                "Left {} as {} (nothing written):",
                plural(self.refused.len(), "note"),
                if self.refused.len() == 1 {
                    "it was"
                } else {
                    "they were"
                }
            );
            for (path, why) in &self.refused {
                let _ = writeln!(out, "  {prefix}{path}: {why}");
            }
        }
        out
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// The notes with a fix `mode` applies (their index in the report), each with its findings;
/// only those notes' findings are copied.
fn fixable(report: &Report, mode: FixMode) -> Vec<(usize, Vec<Diagnostic>)> {
    let mut by_path: BTreeMap<&str, Vec<&Diagnostic>> = BTreeMap::new();
    for d in &report.diagnostics {
        by_path.entry(&*d.path).or_default().push(d);
    }
    let applies = |d: &&Diagnostic| {
        d.fix
            .as_ref()
            .is_some_and(|f| f.applicability == Applicability::Safe || mode.unsafe_fixes)
    };
    report
        .fixable
        .iter()
        .enumerate()
        .filter_map(|(i, n)| {
            let found = by_path.remove(n.path.as_str())?;
            found
                .iter()
                .any(applies)
                .then(|| (i, found.into_iter().cloned().collect()))
        })
        .collect()
}

/// What became of one note under `--fix`.
enum Written {
    Fixed {
        folder: std::path::PathBuf,
        text: String,
        applied: Vec<Applied>,
        remaining: Vec<Diagnostic>,
    },
    Unchanged,
    Refused(String),
}

/// Fix the reported notes and write them, on every core, each through the verified atomic
/// write; the renames are made durable once per folder, as sync's write-back does. The
/// report then holds each written note's new text and its findings left.
pub(super) fn fix(settings: &Settings, report: &mut Report, mode: FixMode) -> Fixed {
    let root = settings.root();
    let results: Vec<(usize, Written)> = fixable(report, mode)
        .into_par_iter()
        .map(|(i, diagnostics)| {
            let note = match report.read_again(&report.fixable[i]) {
                Ok(note) => note,
                Err(why) => return (i, Written::Refused(why)),
            };
            let written = match fix::fix_note(settings, &report.index, &note, diagnostics, mode) {
                NoteFix::Refused { reason } => Written::Refused(reason),
                NoteFix::Fixed { applied, .. } if applied.is_empty() => Written::Unchanged,
                NoteFix::Fixed {
                    text,
                    applied,
                    remaining,
                } => {
                    let path = root.join(&note.path);
                    match crate::sync::writeback::replace(root, &path, note.text.as_bytes(), &text)
                    {
                        Ok(folder) => Written::Fixed {
                            folder,
                            text,
                            applied,
                            remaining,
                        },
                        Err(e) => Written::Refused(write_refusal(&e)),
                    }
                }
            };
            (i, written)
        })
        .collect();
    let folders: std::collections::BTreeSet<&std::path::PathBuf> = results
        .iter()
        .filter_map(|(_, w)| match w {
            Written::Fixed { folder, .. } => Some(folder),
            _ => None,
        })
        .collect();
    for folder in folders {
        crate::sync::writeback::sync_dir(folder);
    }
    let mut out = Fixed::default();
    let mut left = Vec::new();
    for (i, written) in results {
        let path = report.fixable[i].path.clone();
        match written {
            Written::Refused(reason) => out.refused.push((path, reason)),
            Written::Unchanged => {}
            Written::Fixed {
                text,
                applied,
                remaining,
                ..
            } => {
                report.fixable[i].hash = Some(ContentHash::of(text.as_bytes()));
                report.sources.hold(path.clone(), text);
                left.extend(remaining);
                out.applied.insert(path, applied);
            }
        }
    }
    out.refused.sort();
    // One pass replaces the findings of every note written.
    report
        .diagnostics
        .retain(|d| !out.applied.contains_key(&*d.path));
    report.diagnostics.extend(left);
    report
        .diagnostics
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    report.locate_labels();
    out
}

/// Offer a restore from git history on each reported note that lost its metadata
/// ([`crate::lint::restore`]): the notes' histories are read in parallel.
pub(super) fn offer_restores(settings: &Settings, report: &mut Report) {
    let root = settings.root();
    let mut by_path: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, d) in report.diagnostics.iter().enumerate() {
        by_path.entry(&*d.path).or_default().push(i);
    }
    let wanted: Vec<(&Fixable, usize)> = report
        .fixable
        .iter()
        .filter_map(|n| {
            let at = by_path.get(n.path.as_str())?;
            let mine: Vec<&Diagnostic> = at.iter().map(|i| &report.diagnostics[*i]).collect();
            let t = crate::lint::restore::target(&mine)?;
            (report.diagnostics[at[t]].fix.is_none()).then_some((n, at[t]))
        })
        .collect();
    let offers: Vec<(usize, crate::lint::diagnostic::Fix)> = wanted
        .into_par_iter()
        .filter_map(|(fixable, at)| {
            let old = crate::vault::history::last_intact(root, &fixable.path).ok()??;
            let note = report.read_again(fixable).ok()?;
            Some((at, crate::lint::restore::fix(&note, &old)?))
        })
        .collect();
    for (at, fix) in offers {
        report.diagnostics[at].fix = Some(Box::new(fix));
    }
}

/// Why a proven fix was not written, as the user needs it.
fn write_refusal(e: &crate::sync::writeback::WriteError) -> String {
    use crate::sync::writeback::{Refusal, WriteError};
    match e {
        WriteError::Refused(Refusal::ChangedSinceRead) => {
            "the file changed while it was checked; run again to fix what it holds now".into()
        }
        WriteError::Refused(Refusal::ReadOnly) => {
            "the note is read-only; make it writable to let decksmith fix it".into()
        }
        other => other.to_string(),
    }
}

/// What `--diff` shows of one note.
enum Diffed {
    /// This many fixes, as a unified diff.
    Would(usize, String),
    Nothing,
    Refused(String),
}

/// `--diff`: every note's fixes as a unified diff on stdout, nothing written. Exit 1 when
/// there is any.
pub(super) fn diff(
    settings: &Settings,
    report: &Report,
    mode: FixMode,
) -> Result<ExitStatus, String> {
    // Each note's diff is made where it is fixed, and its texts dropped there: only the
    // diffs are gathered, in path order.
    let results: Vec<(String, Diffed)> = fixable(report, mode)
        .into_par_iter()
        .map(|(i, diagnostics)| {
            let fixable = &report.fixable[i];
            let diffed = match report.read_again(fixable) {
                Ok(note) => {
                    match fix::fix_note(settings, &report.index, &note, diagnostics, mode) {
                        NoteFix::Fixed {
                            text: after,
                            applied,
                            ..
                        } if !applied.is_empty() => {
                            let path = &note.path;
                            let diff = similar::TextDiff::from_lines(&note.text, &after)
                                .unified_diff()
                                .context_radius(3)
                                .header(&format!("a/{path}"), &format!("b/{path}"))
                                .to_string();
                            Diffed::Would(applied.len(), diff)
                        }
                        NoteFix::Fixed { .. } => Diffed::Nothing,
                        NoteFix::Refused { reason } => Diffed::Refused(reason),
                    }
                }
                Err(reason) => Diffed::Refused(reason),
            };
            (fixable.path.clone(), diffed)
        })
        .collect();
    let mut text = String::new();
    let mut would = 0;
    let mut notes = 0;
    let mut refused = Vec::new();
    for (path, diffed) in results {
        match diffed {
            Diffed::Would(applied, diff) => {
                would += applied;
                notes += 1;
                text.push_str(&diff);
            }
            Diffed::Nothing => {}
            Diffed::Refused(reason) => refused.push((path, reason)),
        }
    }
    write_stdout(&text)?;
    let mut err = String::new();
    if would > 0 {
        let _ = writeln!(
            err,
            "Would fix {} in {}.",
            plural(would, "finding"),
            plural(notes, "note")
        );
    }
    for (path, why) in &refused {
        let _ = writeln!(err, "Cannot fix {path}: {why}");
    }
    eprint!("{err}");
    Ok(if would > 0 {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// The summary's line on fixes still available: with `--fix` (safe) and with
/// `--unsafe-fixes`.
pub(super) fn still_fixable(report: &Report, mode: FixMode, fixed: bool) -> String {
    let count = |a: Applicability| {
        report
            .diagnostics
            .iter()
            .filter(|d| d.fix.as_ref().is_some_and(|f| f.applicability == a))
            .count()
    };
    let (safe, unsafe_) = (count(Applicability::Safe), count(Applicability::Unsafe));
    let mut parts = Vec::new();
    if safe > 0 && !fixed {
        parts.push(format!("{} fixable with `--fix`", plural(safe, "finding")));
    }
    if unsafe_ > 0 && !(fixed && mode.unsafe_fixes) {
        parts.push(if parts.is_empty() {
            format!(
                "{} fixable with `--fix --unsafe-fixes`",
                plural(unsafe_, "finding")
            )
        } else {
            format!("{unsafe_} more with `--fix --unsafe-fixes`")
        });
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("[*] {}.\n", parts.join("; "))
    }
}
