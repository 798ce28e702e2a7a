use std::collections::BTreeMap;

use super::anki;
use crate::cards::slug::Slug;
use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports slug indices that are not contiguous from 0 for one slug base and language
    /// (`kotlin117-1-ru` without `kotlin117-0-ru`), or the same slug twice.
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
    for e in &entries {
        if let Some(slug) = e.parts {
            groups
                .entry((slug.base, slug.lang))
                .or_default()
                .push((slug.index, e));
        }
    }
    for ((base, lang), mut list) in groups {
        list.sort_by_key(|(i, _)| *i);
        for (expected, (index, e)) in list.iter().enumerate() {
            if *index == expected {
                continue;
            }
            let message = if expected > 0 && list[expected - 1].0 == *index {
                format!("slug `{}` appears twice", Slug::new(base, *index, lang))
            } else {
                format!(
                    "`{}` but no `{}`: indices must count from 0 without gaps",
                    Slug::new(base, *index, lang),
                    Slug::new(base, expected, lang)
                )
            };
            out.push(
                Finding::new(e.range(ctx, Some("slug")), message)
                    .help("number each language's entries 0, 1, 2, … in block order"),
            );
            break;
        }
    }
}
