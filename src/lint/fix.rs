//! `check --fix`: applying the rules' fixes to a note, and proving each result before it
//! can be written.
//!
//! A fix is a set of byte edits a rule offers with its finding ([`Fix`]). Fixes are chosen
//! in position order and never overlap: a fix that touches bytes a chosen one touches waits
//! for the next round, when the note is checked again and the rule offers it anew (or
//! finds nothing left to fix). Rounds repeat until no fix applies, at most [`MAX_ROUNDS`]
//! times; a note whose fixes do not settle is left as it is.
//!
//! Each round is proven before the next: every byte outside the edits is unchanged; each
//! fixed finding is gone from its place; the front matter is no less readable; and the note
//! has no finding it did not have before — except where a round made more of the front
//! matter readable, which lets rules see what the damage hid (a note without readable front
//! matter has no schema findings; once its fence is repaired it may have some, and a
//! dashed key the broken fence hid: they are reported, or fixed in the next round). The last round finds nothing to apply,
//! so applying the fixes again changes nothing. A note that fails a proof is listed with the
//! reason and keeps its bytes.
//!
//! This module decides the new text and never writes: the command line writes through the
//! same verified, atomic path as sync's write-back, and only over a note that still holds
//! the bytes that were read.

use std::collections::BTreeMap;
use std::ops::Range;

use super::diagnostic::{Applicability, Diagnostic, Edit};
use super::{Settings, check_note};
use crate::vault::index::VaultIndex;
use crate::vault::note::Note;

/// Rounds of fixing one note at most: real fixes settle in two (a fence repaired, then the
/// keys its front matter now shows).
pub const MAX_ROUNDS: usize = 8;

/// Which fixes a run applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixMode {
    /// Unsafe fixes too (`--unsafe-fixes`).
    pub unsafe_fixes: bool,
}

impl FixMode {
    fn allows(self, a: Applicability) -> bool {
        a == Applicability::Safe || self.unsafe_fixes
    }
}

/// One fix applied to a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub code: &'static str,
    pub message: String,
    /// Where the finding was, in the text before its round.
    pub range: Range<usize>,
}

/// The outcome of fixing one note.
#[derive(Clone, Debug)]
pub enum NoteFix {
    /// The note's new text, with the fixes applied and the findings left.
    Fixed {
        text: String,
        applied: Vec<Applied>,
        remaining: Vec<Diagnostic>,
    },
    /// No fix could be proven: the note keeps its bytes.
    Refused { reason: String },
}

/// The fixes of `diagnostics` to apply in one round: allowed by `mode`, in position order,
/// none overlapping another (touching is allowed, unless both insert at one place).
pub fn choose(diagnostics: &[Diagnostic], mode: FixMode) -> Vec<&Diagnostic> {
    let mut candidates: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| d.fix.as_ref().is_some_and(|f| mode.allows(f.applicability)))
        .collect();
    candidates.sort_by_key(|d| {
        let span = d.fix.as_ref().map(|f| f.span()).unwrap_or_default();
        (span.start, span.end, d.code)
    });
    let mut chosen: Vec<&Diagnostic> = Vec::new();
    let mut taken: Vec<Range<usize>> = Vec::new();
    for d in candidates {
        let Some(fix) = &d.fix else { continue };
        let clashes = fix.edits.iter().any(|e| {
            taken.iter().any(|t| {
                overlaps(&e.range, t)
                    || (e.range.is_empty() && t.is_empty() && e.range.start == t.start)
            })
        });
        if !clashes {
            taken.extend(fix.edits.iter().map(|e| e.range.clone()));
            chosen.push(d);
        }
    }
    chosen
}

/// Two ranges share a byte, or an insertion falls strictly inside the other.
fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    if a.is_empty() || b.is_empty() {
        let (point, span) = if a.is_empty() { (a, b) } else { (b, a) };
        return span.start < point.start && point.start < span.end;
    }
    a.start < b.end && b.start < a.end
}

/// `text` with `edits` (sorted, not overlapping) applied.
pub fn apply(text: &str, edits: &[&Edit]) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in edits {
        if e.range.start < at || e.range.end > text.len() {
            return Err("fixes overlap".into());
        }
        let piece = text
            .get(at..e.range.start)
            .ok_or("an edit does not fall on a character boundary")?;
        out.push_str(piece);
        out.push_str(&e.content);
        at = e.range.end;
    }
    out.push_str(
        text.get(at..)
            .ok_or("an edit does not fall on a character boundary")?,
    );
    Ok(out)
}

/// Where a position of the text before `edits` is after them.
fn mapped(at: usize, edits: &[&Edit]) -> usize {
    let mut shift: isize = 0;
    for e in edits {
        if e.range.end <= at {
            shift += e.content.len() as isize - e.range.len() as isize;
        }
    }
    at.saturating_add_signed(shift)
}

/// Every byte of `before` outside the edits is in `after`, in place.
pub fn outside_unchanged(before: &str, after: &str, edits: &[&Edit]) -> bool {
    let (b, a) = (before.as_bytes(), after.as_bytes());
    let mut from = 0;
    for e in edits
        .iter()
        .map(|e| e.range.clone())
        .chain(std::iter::once(b.len()..b.len()))
    {
        let gap = &b[from.min(e.start)..e.start];
        let to = mapped(from, edits);
        if a.get(to..to + gap.len()) != Some(gap) {
            return false;
        }
        from = e.end;
    }
    true
}

/// Fix one note, against the vault's `index`: rounds of fixes until none applies, each
/// proven ([`self`]). `diagnostics` are the note's findings as the run reported them.
pub fn fix_note(
    settings: &Settings,
    index: &VaultIndex,
    note: &Note,
    diagnostics: Vec<Diagnostic>,
    mode: FixMode,
) -> NoteFix {
    let mut text = note.text.clone();
    let mut current = diagnostics;
    let mut state = Reading::of(note);
    let mut applied = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let chosen = choose(&current, mode);
        if chosen.is_empty() {
            return NoteFix::Fixed {
                text,
                applied,
                remaining: current,
            };
        }
        let mut edits: Vec<&Edit> = chosen
            .iter()
            .filter_map(|d| d.fix.as_ref())
            .flat_map(|f| &f.edits)
            .collect();
        edits.sort_by_key(|e| (e.range.start, e.range.end));
        let next = match apply(&text, &edits) {
            Ok(next) => next,
            Err(why) => return NoteFix::Refused { reason: why },
        };
        if !outside_unchanged(&text, &next, &edits) {
            return NoteFix::Refused {
                reason: "a fix changed bytes outside its edits".into(),
            };
        }
        let reparsed = Note::from_bytes(
            note.path.clone(),
            next.clone().into_bytes(),
            note.kind,
            true,
        );
        let after = check_note(settings, index, &reparsed);
        if state.worse(Reading::of(&reparsed)) {
            return NoteFix::Refused {
                reason: "a fix would make the front matter less readable".into(),
            };
        }
        if let Err(reason) = prove(
            &current,
            &chosen,
            &after,
            &edits,
            state.unmasked_by(Reading::of(&reparsed)),
        ) {
            return NoteFix::Refused { reason };
        }
        applied.extend(chosen.iter().map(|d| {
            Applied {
                code: d.code,
                message: d
                    .fix
                    .as_ref()
                    .map(|f| f.message.clone())
                    .unwrap_or_default(),
                range: d.range.clone(),
            }
        }));
        state = Reading::of(&reparsed);
        text = next;
        current = after;
    }
    NoteFix::Refused {
        reason: format!("its fixes did not settle in {MAX_ROUNDS} rounds"),
    }
}

/// How far the rules can read a note's front matter: its state, then how many keys it
/// shows.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Reading(State, usize);

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum State {
    /// Not at all: no block, or no parse.
    None,
    /// Parsed, but damaged (dashed or duplicate keys, leaked metadata, …).
    Damaged,
    Intact,
}

impl Reading {
    fn of(note: &Note) -> Reading {
        let keys = note
            .front_matter()
            .and_then(|p| p.root.as_ref())
            .map_or(0, |r| r.entries().len());
        let state = match (note.front_matter().is_some(), note.front_matter_intact()) {
            (false, _) => State::None,
            (true, false) => State::Damaged,
            (true, true) => State::Intact,
        };
        Reading(state, keys)
    }

    /// A round that reads more of the front matter than before (a better state, or more
    /// keys: leaked or lost ones brought back) lets rules see what the damage hid.
    fn unmasked_by(self, after: Reading) -> bool {
        after.0 > self.0 || (after.0 == self.0 && after.1 > self.1)
    }

    /// A round must never leave the front matter in a worse state.
    fn worse(self, after: Reading) -> bool {
        after.0 < self.0
    }
}

/// A round's proof: each fixed finding is gone from its place, and no finding is new —
/// unless the round made more of the front matter readable (`unmasked`), which lets rules
/// see what the damage hid (the caller has checked that it never makes less readable).
fn prove(
    before: &[Diagnostic],
    chosen: &[&Diagnostic],
    after: &[Diagnostic],
    edits: &[&Edit],
    unmasked: bool,
) -> Result<(), String> {
    for d in chosen {
        let (start, end) = (mapped(d.range.start, edits), mapped(d.range.end, edits));
        let still = after.iter().any(|a| {
            a.code == d.code
                && a.range.start <= end.max(start)
                && start <= a.range.end
                && a.message == d.message
        });
        if still {
            return Err(format!("{} is still reported after its fix", d.code));
        }
    }
    let mut had: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for d in before {
        *had.entry((d.code, &*d.message)).or_default() += 1;
    }
    for a in after {
        match had.get_mut(&(a.code, &*a.message)) {
            Some(n) if *n > 0 => *n -= 1,
            _ if unmasked => {}
            _ => {
                return Err(format!(
                    "fixing would add a finding: {} {}",
                    a.code, a.message
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::diagnostic::{Finding, Fix, Severity};

    fn fixable(code: &'static str, range: Range<usize>, fix: Fix) -> Diagnostic {
        Diagnostic::from_finding(
            Finding::new(range, "m").fix(fix),
            code,
            Severity::Error,
            "n.md".into(),
        )
    }

    #[test]
    fn overlapping_fixes_wait_for_the_next_round() {
        let a = fixable("A", 0..3, Fix::safe("a", vec![Edit::replace(0..3, "x")]));
        let b = fixable("B", 2..5, Fix::safe("b", vec![Edit::replace(2..5, "y")]));
        let c = fixable("C", 5..6, Fix::safe("c", vec![Edit::replace(5..6, "z")]));
        let d = fixable("D", 9..9, Fix::unsafe_("d", vec![Edit::insert(9, "!")]));
        let all = [b.clone(), a.clone(), c.clone(), d.clone()];
        let safe = FixMode {
            unsafe_fixes: false,
        };
        let codes: Vec<&str> = choose(&all, safe).iter().map(|d| d.code).collect();
        assert_eq!(codes, ["A", "C"]);
        let codes: Vec<&str> = choose(&all, FixMode { unsafe_fixes: true })
            .iter()
            .map(|d| d.code)
            .collect();
        assert_eq!(codes, ["A", "C", "D"]);
        // Two insertions at one place would need an order: one waits.
        let e = fixable("E", 9..9, Fix::safe("e", vec![Edit::insert(9, "?")]));
        let f = fixable("F", 9..9, Fix::safe("f", vec![Edit::insert(9, "!")]));
        assert_eq!(choose(&[e, f], safe).len(), 1);
    }

    #[test]
    fn edits_apply_in_place_and_the_rest_is_proven_unchanged() {
        let text = "---\\\nid: a\n---\\\nbody";
        let edits = [Edit::replace(0..4, "---"), Edit::replace(11..15, "---")];
        let refs: Vec<&Edit> = edits.iter().collect();
        let out = apply(text, &refs).expect("applies");
        assert_eq!(out, "---\nid: a\n---\nbody");
        assert!(outside_unchanged(text, &out, &refs));
        assert!(!outside_unchanged(text, "---\nid: b\n---\nbody", &refs));
        assert!(apply("héllo", &[&Edit::delete(1..2)]).is_err());
    }
}
