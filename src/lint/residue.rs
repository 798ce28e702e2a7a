/*!
What the index rules need of a note once its text is gone.

A run reads each note once. The rules that look at a note alone run while it is in hand;
the rules that compare it with the rest of the vault (where its links lead, who else uses
its id) must wait for the index, which is complete only when every note has been read.
Keeping every note's text until then would make memory follow the vault's bytes, and
reading each note a second time doubled the cost of a run. A residue keeps what those rules
read — the note's links and front-matter references, its ids, its suppressions — and the
line and column of every offset they can report at, found while the text was there.

Which rules read a residue is the registry's business ([`super::registry::Check`]); what a
residue holds is this module's, so a rule that needs more of the note adds it here.
*/

use std::ops::Range;

use super::Ctx;
use super::diagnostic::Diagnostic;
use super::rules::{anki, lnk006_duplicate_link};
use super::suppress::{self, Directive};
use crate::vault::index::Anchors;
use crate::vault::lines::Position;
use crate::vault::links::{self, Link, LinkKind, Reference};

/// What the index rules read of one note.
pub struct Residue {
    pub path: String,
    /// The note's kind, as an index into the settings' kinds.
    pub kind: Option<usize>,
    /// Where a finding about the whole note is reported (its first line).
    pub head_range: Range<usize>,
    /// Its body links to notes and files (external URLs are never checked against the
    /// vault), in document order.
    pub links: Vec<HeldLink>,
    /// The headings of its links sections ([`lnk006_duplicate_link`]), which
    /// [`HeldLink::section`] points into.
    pub link_sections: Vec<String>,
    /// Its front-matter references (`related:`, `moc:`).
    pub references: Vec<Reference>,
    /// Its `id`, with the range of its value.
    pub id: Option<(String, Range<usize>)>,
    /// The `anki_id`s of its `anki_cards` entries, with their ranges (kinds with cards only).
    pub anki_ids: Vec<(i64, Range<usize>)>,
    /// Its suppressions, marked with what the note's own findings used of them.
    directives: Vec<Directive>,
    positions: Positions,
}

/// A body link with what its note says about it.
pub struct HeldLink {
    pub link: Link,
    /// Whether the note's own headings or block ids hold the link's anchor (in-note
    /// anchors are checked against the note itself, never against an older index entry).
    pub anchor_here: bool,
    /// The links section it sits in, as an index into [`Residue::link_sections`].
    pub section: Option<usize>,
}

impl Residue {
    /// The residue of the note `ctx` looks at, with its suppressions.
    pub(crate) fn of(ctx: &Ctx<'_>, directives: Vec<Directive>) -> Residue {
        let note = ctx.note;
        let (link_sections, section_of) = if ctx
            .settings
            .severity(lnk006_duplicate_link::RULE.code)
            .is_some()
        {
            lnk006_duplicate_link::sections_of_links(note, &ctx.settings.link_section_keys)
        } else {
            (Vec::new(), Vec::new())
        };
        // The note's anchors are gathered only when a link names one.
        let own_anchors = std::cell::OnceCell::new();
        let links: Vec<HeldLink> = note
            .links
            .iter()
            .enumerate()
            .filter(|(_, l)| l.kind != LinkKind::External)
            .map(|(i, link)| HeldLink {
                anchor_here: link
                    .anchor
                    .as_ref()
                    .is_some_and(|a| own_anchors.get_or_init(|| Anchors::of(note)).has(a)),
                section: section_of.get(i).copied().flatten(),
                link: link.clone(),
            })
            .collect();
        let references = links::references(note, &ctx.settings.loaded.config.links.reference_keys);
        let head_range = note.head_range();
        let id = note.front_matter().and_then(|parsed| {
            let id = parsed.json.get("id")?.as_str()?;
            let range = parsed.spans.value("/id").unwrap_or(head_range.clone());
            Some((id.to_string(), range))
        });
        let anki_ids = anki::entries(ctx)
            .iter()
            .filter_map(|e| {
                let id = e.field("anki_id").and_then(serde_json::Value::as_i64)?;
                let range = note
                    .front_matter()
                    .and_then(|p| p.spans.value(&format!("{}/anki_id", e.pointer)))
                    .unwrap_or_else(|| e.range(ctx, Some("anki_id")));
                Some((id, range))
            })
            .collect();
        let mut residue = Residue {
            path: note.path.clone(),
            kind: note.kind,
            head_range,
            links,
            link_sections,
            references,
            id,
            anki_ids,
            directives,
            positions: Positions::default(),
        };
        residue.positions = Positions::of(note, residue.offsets());
        // Every note's residue is held until the index is complete: the lists that grew by
        // doubling keep only what they hold.
        residue.links.shrink_to_fit();
        residue.references.shrink_to_fit();
        residue.anki_ids.shrink_to_fit();
        residue.directives.shrink_to_fit();
        residue
    }

    /// Every offset a finding or label of an index rule, or an unused suppression, can
    /// start or end at.
    fn offsets(&self) -> Vec<usize> {
        let ranges = self
            .links
            .iter()
            .map(|l| &l.link.range)
            .chain(self.references.iter().map(|r| &r.range))
            .chain(self.id.iter().map(|(_, r)| r))
            .chain(self.anki_ids.iter().map(|(_, r)| r))
            .chain(self.directives.iter().map(|d| &d.range))
            .chain(std::iter::once(&self.head_range));
        ranges.flat_map(|r| [r.start, r.end]).collect()
    }

    /// Drop the diagnostics (found on this residue) that the note's suppressions
    /// suppress, marking those used.
    pub(crate) fn suppress(&mut self, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
        let positions = &self.positions;
        suppress::apply(diagnostics, &mut self.directives, |at| {
            (positions.at(at).line as usize).saturating_sub(1)
        })
    }

    /// The suppressions of the note, marked with what its findings used.
    pub(crate) fn directives(&self) -> &[Directive] {
        &self.directives
    }

    /// Give diagnostics of this note (found on this residue) their lines and columns, and
    /// those of their labels in this note.
    pub(crate) fn locate(&self, diagnostics: &mut [Diagnostic]) {
        for d in diagnostics {
            d.start = self.positions.at(d.range.start);
            d.end = self.positions.at(d.range.end);
            let own = &*d.path;
            for l in &mut d.labels {
                if l.path.as_deref().is_none_or(|p| p == own) {
                    l.start = self.positions.at(l.range.start);
                    l.end = self.positions.at(l.range.end);
                }
            }
        }
    }
}

/// The positions of chosen offsets of a note, sorted by offset.
#[derive(Default)]
struct Positions(Vec<(usize, Position)>);

impl Positions {
    fn of(note: &crate::vault::note::Note, mut offsets: Vec<usize>) -> Positions {
        offsets.sort_unstable();
        offsets.dedup();
        let mut last = None;
        let located = offsets
            .into_iter()
            .map(|offset| {
                let (at, position) = note.lines.locate(&note.text, offset, last);
                last = Some((at, position));
                (offset, position)
            })
            .collect();
        Positions(located)
    }

    /// The position of `offset`. Every offset asked for was located when the residue was
    /// made (a test holds every rule to that); were one not, the nearest before it stands in,
    /// so a position is never invented past the text.
    fn at(&self, offset: usize) -> Position {
        match self.0.binary_search_by_key(&offset, |(o, _)| *o) {
            Ok(i) => self.0[i].1,
            Err(i) => i.checked_sub(1).map_or(Position::START, |i| self.0[i].1),
        }
    }
}
