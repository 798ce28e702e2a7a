//! Reading a note's `anki_cards` entries; shared by the ANK rules.

use serde_json::Value;
use std::ops::Range;

use crate::cards::slug::Slug;
use crate::lint::Ctx;
use crate::vault::note::CardEntry;

/// One `anki_cards` entry ([`CardEntry`]) with the parts of its slug.
pub(crate) struct Entry<'a> {
    /// JSON pointer of the entry (`/anki_cards/3`).
    pub pointer: String,
    pub value: &'a Value,
    pub slug: Option<&'a str>,
    /// The slug's parts, when it has the `<base>-<index>-<lang>` shape.
    pub parts: Option<Slug<'a>>,
}

impl Entry<'_> {
    pub(crate) fn field(&self, name: &str) -> Option<&Value> {
        self.value.get(name)
    }

    pub(crate) fn range(&self, ctx: &Ctx<'_>, field: Option<&str>) -> Range<usize> {
        let spans = ctx.note.front_matter().map(|p| &p.spans);
        let pointer = match field {
            Some(f) => format!("{}/{f}", self.pointer),
            None => self.pointer.clone(),
        };
        spans
            .and_then(|s| {
                if field.is_some() {
                    s.key(&pointer)
                } else {
                    s.value(&pointer)
                }
            })
            .unwrap_or(ctx.note.head_range())
    }
}

/// The entries of a note whose kind produces cards (empty otherwise), read once for all the
/// ANK rules.
pub(crate) fn entries<'c, 'a>(ctx: &'c Ctx<'a>) -> &'c [Entry<'a>] {
    ctx.anki_entries.get_or_init(|| read_entries(ctx))
}

fn read_entries<'a>(ctx: &Ctx<'a>) -> Vec<Entry<'a>> {
    let produces_cards = ctx.kind.is_some_and(|k| k.kind.cards.is_some());
    if !produces_cards {
        return Vec::new();
    }
    ctx.note
        .card_entries()
        .into_iter()
        .map(|e: CardEntry<'a>| Entry {
            pointer: e.pointer(),
            value: e.value,
            slug: e.slug,
            parts: e.slug.and_then(Slug::parse),
        })
        .collect()
}
