//! Body links with their targets resolved; shared by the LNK rules.

use crate::lint::lookup::Lookup;
use crate::lint::residue::Residue;
use crate::vault::index::Target;
use crate::vault::links::{Link, LinkKind};

pub(crate) struct ResolvedLink<'a> {
    pub link: &'a Link,
    pub target: Target<'a>,
    /// A `[text](#anchor)` link into the note itself.
    pub in_note: bool,
    /// Whether the note's own anchors hold the link's anchor.
    pub anchor_here: bool,
    /// The links section the link sits in ([`Residue::link_sections`]).
    pub section: Option<usize>,
}

pub(crate) fn resolve_all<'a>(note: &'a Residue, index: &Lookup<'a>) -> Vec<ResolvedLink<'a>> {
    note.links
        .iter()
        .map(|held| {
            let link = &held.link;
            let in_note = link.kind == LinkKind::Markdown && link.target.is_empty();
            let target = if in_note {
                Target::Note(note.path.as_str())
            } else {
                index.resolve_link(&note.path, link.kind, &link.target)
            };
            ResolvedLink {
                link,
                target,
                in_note,
                anchor_here: held.anchor_here,
                section: held.section,
            }
        })
        .collect()
}

/// How a link reads in a message: `[[target]]` or `(target)`.
pub(crate) fn shown(link: &Link) -> String {
    let anchor = link
        .anchor
        .as_ref()
        .map(|a| format!("#{a}"))
        .unwrap_or_default();
    match link.kind {
        LinkKind::Wiki if link.embed => format!("![[{}{anchor}]]", link.target),
        LinkKind::Wiki => format!("[[{}{anchor}]]", link.target),
        _ => format!("({}{anchor})", link.target),
    }
}
