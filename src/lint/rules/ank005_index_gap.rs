use std::collections::{BTreeMap, HashSet};

use super::anki;
use crate::cards::slug::Slug;
use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports slug indices that are not contiguous from 0 for one slug base and language
    /// (`kotlin117-1-ru` without `kotlin117-0-ru`), or the same slug twice. An index the
    /// note itself leaves without a card (an empty section) is not a gap.
    ///
    /// ## Why is this bad?
    /// Indices count a note's question blocks per language from 0. A gap means an entry
    /// was mis-numbered or another was lost; the card at the missing index will be created
    /// again and the mis-numbered one orphaned.
    ///
    /// ## How to fix
    /// Renumber the entries so that each language counts 0, 1, 2, … in block order.
    code = "ANK005",
    name = "index-gap",
    severity = Some(Severity::Warning),
    summary = "`anki_cards` indices not contiguous from 0 per language",
    check = check,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let entries = anki::entries(ctx);
    let mut groups: BTreeMap<(&str, &str), Vec<(usize, &anki::Entry<'_>)>> = BTreeMap::new();
    for e in entries {
        if let Some(slug) = e.parts {
            groups
                .entry((slug.base, slug.lang))
                .or_default()
                .push((slug.index, e));
        }
    }
    // An index whose block the note leaves incomplete (a heading whose section is empty, a
    // question without an answer) gives no card: its number stays taken, and the gap is
    // the note's own, not a lost entry.
    let left: HashSet<(usize, &str)> = ctx
        .pairs()
        .iter()
        .filter(|p| !p.is_complete())
        .map(|p| (p.index, p.lang.as_str()))
        .collect();
    for ((base, lang), mut list) in groups {
        list.sort_by_key(|(i, _)| *i);
        if let Some(pair) = list.windows(2).find(|w| w[0].0 == w[1].0) {
            let (index, e) = pair[1];
            out.push(
                Finding::new(
                    e.range(ctx, Some("slug")),
                    format!("slug `{}` appears twice", Slug::new(base, index, lang)),
                )
                .help("number each language's entries 0, 1, 2, … in block order"),
            );
            continue;
        }
        let present: HashSet<usize> = list.iter().map(|(i, _)| *i).collect();
        let first_gap = (0..list.last().map_or(0, |(i, _)| *i))
            .find(|i| !present.contains(i) && !left.contains(&(*i, lang)));
        let Some(missing) = first_gap else {
            continue;
        };
        if let Some((index, e)) = list.iter().find(|(i, _)| *i > missing) {
            out.push(
                Finding::new(
                    e.range(ctx, Some("slug")),
                    format!(
                        "`{}` but no `{}`: indices must count from 0 without gaps",
                        Slug::new(base, *index, lang),
                        Slug::new(base, missing, lang)
                    ),
                )
                .help("number each language's entries 0, 1, 2, … in block order"),
            );
        }
    }
}
