use std::collections::HashMap;

use super::resolved;
use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::index::{Target, key};
use crate::vault::markdown::{anchor_key_start, anchor_matches};

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
    check = check,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let names = &ctx.settings.link_section_keys;
    let headings = &ctx.note.headings;
    // Which headings open a links section, decided once per note.
    let is_links_section: Vec<bool> = headings
        .iter()
        .map(|h| {
            // A name that does not start with the heading's first key character cannot
            // match it, nor its start without the suffix (whose key begins the heading's,
            // or is empty): one character lowercased per heading, not every name compared.
            let first = anchor_key_start(&h.text);
            if !names
                .iter()
                .any(|n| n.is_empty() || n.chars().next() == first)
            {
                return false;
            }
            let (name, _) = crate::vault::sections::split_suffix(&h.text);
            names
                .iter()
                .any(|n| anchor_matches(name, n) || anchor_matches(&h.text, n))
        })
        .collect();
    if !is_links_section.contains(&true) {
        return;
    }
    let mut seen: HashMap<(usize, String), std::ops::Range<usize>> = HashMap::new();
    for r in ctx.links() {
        let start = r.link.range.start;
        // The section is the nearest heading before the link (headings are in order).
        let Some(h) = headings
            .partition_point(|h| h.range.end <= start)
            .checked_sub(1)
        else {
            continue;
        };
        if !is_links_section[h] {
            continue;
        }
        let target = match r.target {
            Target::Note(p) | Target::Attachment(p) => p.to_string(),
            _ => key(&r.link.target),
        };
        match seen.get(&(h, target.clone())) {
            Some(first) => out.push(
                Finding::new(
                    r.link.range.clone(),
                    format!(
                        "`{}` is already linked in the `{}` section",
                        resolved::shown(r.link),
                        headings[h].text
                    ),
                )
                .label(first.clone(), "first linked here")
                .help("remove the repeated link"),
            ),
            None => {
                seen.insert((h, target), r.link.range.clone());
            }
        }
    }
}
