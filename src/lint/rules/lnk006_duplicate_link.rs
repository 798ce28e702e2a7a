use std::collections::HashMap;

use super::resolved;
use crate::lint::IndexCtx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::index::{Target, key};
use crate::vault::markdown::{anchor_key_start, anchor_matches};
use crate::vault::note::Note;

declare_rule! {
    /// ## What it does
    /// Reports the same target linked twice within one links section: a section whose
    /// heading is listed in `[links] link-sections` (by default "Links (NO duplication)",
    /// "Prerequisites", "Related topics", "Compare with", "Related Questions",
    /// "References" and their Russian forms). A section ends at the next heading of any
    /// level, so one target may appear under "Prerequisites" and again under "Compare
    /// with".
    ///
    /// ## Why is this bad?
    /// Link lists are curated; a repeated entry is noise and often hides the entry that
    /// was meant.
    ///
    /// ## How to fix
    /// Remove the repeated link.
    code = "LNK006",
    name = "duplicate-link",
    severity = Some(Severity::Warning),
    summary = "the same target twice in one links section",
    index_check = check,
}

/// The headings of `note` that open a links section (their texts), and for each of the
/// note's links the section it sits in, as an index into those: what the rule needs of the
/// note, found while its text is in hand ([`crate::lint::residue`]).
pub(crate) fn sections_of_links(
    note: &Note,
    names: &[String],
) -> (Vec<String>, Vec<Option<usize>>) {
    let headings = &note.headings;
    // Which section each heading opens, decided once per note.
    let mut sections = Vec::new();
    let section_of_heading: Vec<Option<usize>> = headings
        .iter()
        .map(|h| {
            is_links_section(&h.text, names).then(|| {
                sections.push(h.text.clone());
                sections.len() - 1
            })
        })
        .collect();
    if sections.is_empty() {
        return (sections, Vec::new());
    }
    let of_links = note
        .links
        .iter()
        .map(|l| {
            // The section is the nearest heading before the link (headings are in order).
            let start = l.range.start;
            let h = headings
                .partition_point(|h| h.range.end <= start)
                .checked_sub(1)?;
            section_of_heading[h]
        })
        .collect();
    (sections, of_links)
}

/// Whether a heading's text names a links section (`names` are their anchor keys).
fn is_links_section(text: &str, names: &[String]) -> bool {
    // A name that does not start with the heading's first key character cannot match it,
    // nor its start without the suffix (whose key begins the heading's, or is empty): one
    // character lowercased per heading, not every name compared.
    let first = anchor_key_start(text);
    let mut candidates = names
        .iter()
        .filter(|n| n.is_empty() || n.chars().next() == first)
        .peekable();
    if candidates.peek().is_none() {
        return false;
    }
    let (name, _) = crate::vault::sections::split_suffix(text);
    candidates.any(|n| anchor_matches(name, n) || anchor_matches(text, n))
}

fn check(ctx: &IndexCtx<'_>, out: &mut Vec<Finding>) {
    let sections = &ctx.note.link_sections;
    if sections.is_empty() {
        return;
    }
    let mut seen: HashMap<(usize, String), std::ops::Range<usize>> = HashMap::new();
    for r in ctx.links() {
        let Some(section) = r.section else {
            continue;
        };
        let target = match r.target {
            Target::Note(p) | Target::Attachment(p) => p.to_string(),
            _ => key(&r.link.target),
        };
        match seen.get(&(section, target.clone())) {
            Some(first) => out.push(
                Finding::new(
                    r.link.range.clone(),
                    format!(
                        "`{}` is already linked in the `{}` section",
                        resolved::shown(r.link),
                        sections[section]
                    ),
                )
                .label(first.clone(), "first linked here")
                .help("remove the repeated link"),
            ),
            None => {
                seen.insert((section, target), r.link.range.clone());
            }
        }
    }
}
