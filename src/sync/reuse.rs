//! Cards kept from an earlier run instead of rendered again.
//!
//! Rendering is most of what a sync that changes nothing costs on the vault's side
//! (Markdown, then the HTML sanitizer, for every card: about 0.3 s of CPU for 2,000 cards of
//! real-shaped notes). A card whose note did not change and whose Anki note holds exactly
//! what was pushed is planned as unchanged whatever its Front and Back are, so they are not
//! needed. The push state keeps, for each note whose cards all reached Anki exactly, what
//! rendering gave except those two fields, under a key of everything rendering reads
//! ([`crate::cards::source_key`]: decksmith's version, the note's path and text, its kind
//! and the card settings). A later run takes a note's cards from there when the key is
//! unchanged and every one of its Anki notes is known from the push state, unedited, with
//! the same fields and tags: the plan for such a card can only be "unchanged" (or a deck
//! move). Any other note is rendered.
//!
//! Notes with images are always rendered: their fields name the images by content, which
//! the key does not cover.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::plan::slug_field;
use super::state::{Known, tag_key};
use crate::cards::{Card, NoteCards};

/// What rendering gave for one note, but the Front and Back of its cards.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rendered {
    /// [`crate::cards::source_key`] of the note when it was rendered.
    pub key: String,
    pub cards: Vec<RenderedCard>,
    pub missing: Vec<String>,
}

/// One card of a [`Rendered`] note.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderedCard {
    pub slug: String,
    pub note_id: String,
    pub index: usize,
    pub lang: String,
    pub deck: String,
    pub tags: Vec<String>,
    pub source: String,
    /// [`Card::hash`].
    pub hash: String,
    /// The hash of the fields as Anki stores them ([`crate::cards::model::NoteModel::hash`]).
    pub fields_hash: String,
    /// [`Card::note_type`]; empty in entries written before cards had one, which are not
    /// kept.
    #[serde(default)]
    pub note_type: String,
    #[serde(default)]
    pub cloze: bool,
}

impl Rendered {
    /// The entry for a note rendered in a run, when it can be kept: the note gave cards
    /// without images or refusals, and every card's Anki note now holds exactly what was
    /// pushed (`exact`: Slug field → the fields' hash).
    pub fn of(nc: &NoteCards, key: &str, exact: &HashMap<String, &str>) -> Option<Rendered> {
        if nc.skipped.is_some() || !nc.refused.is_empty() {
            return None;
        }
        let cards = nc
            .cards
            .iter()
            .map(|c| {
                if !c.media.is_empty() {
                    return None;
                }
                let fields_hash = exact.get(&slug_field(&c.slug))?;
                Some(RenderedCard {
                    slug: c.slug.clone(),
                    note_id: c.note_id.clone(),
                    index: c.index,
                    lang: c.lang.clone(),
                    deck: c.deck.clone(),
                    tags: c.tags.clone(),
                    source: c.source.clone(),
                    hash: c.hash.clone(),
                    fields_hash: fields_hash.to_string(),
                    note_type: c.note_type.clone(),
                    cloze: c.cloze,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Rendered {
            key: key.to_string(),
            cards,
            missing: nc.missing.clone(),
        })
    }

    /// The note's cards, without Front and Back, when every one of its Anki notes is known
    /// exactly (`known`, by Slug field) and holds this entry's fields and tags; with the
    /// fields' hash of each card by slug.
    pub fn reuse(
        &self,
        path: &str,
        known: &HashMap<&str, &Known>,
    ) -> Option<(NoteCards, Vec<(String, String)>)> {
        let matches = |c: &RenderedCard| {
            known.get(slug_field(&c.slug).as_str()).is_some_and(|k| {
                k.record.hash == c.fields_hash
                    && c.tags.iter().map(|t| tag_key(t)).collect::<BTreeSet<_>>() == k.record.tags
            })
        };
        if !self
            .cards
            .iter()
            .all(|c| !c.note_type.is_empty() && matches(c))
        {
            return None;
        }
        let cards = self
            .cards
            .iter()
            .map(|c| Card {
                slug: c.slug.clone(),
                note: path.to_string(),
                note_id: c.note_id.clone(),
                index: c.index,
                lang: c.lang.clone(),
                deck: c.deck.clone(),
                tags: c.tags.clone(),
                front: String::new(),
                back: String::new(),
                source: c.source.clone(),
                media: Vec::new(),
                hash: c.hash.clone(),
                note_type: c.note_type.clone(),
                cloze: c.cloze,
            })
            .collect();
        let hashes = self
            .cards
            .iter()
            .map(|c| (c.slug.clone(), c.fields_hash.clone()))
            .collect();
        Some((
            NoteCards {
                note: path.to_string(),
                cards,
                missing: self.missing.clone(),
                refused: Vec::new(),
                skipped: None,
            },
            hashes,
        ))
    }
}

/// The kept entries of a vault, by note path.
pub type RenderedNotes = BTreeMap<String, Rendered>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::state::PushRecord;

    fn note_cards() -> NoteCards {
        let card = |lang: &str| Card {
            lang: lang.into(),
            tags: vec!["Database".into(), format!("lang::{lang}")],
            hash: format!("h-{lang}"),
            ..Card::sample(&format!("n-0-{lang}"))
        };
        NoteCards {
            note: "n.md".into(),
            cards: vec![card("en"), card("ru")],
            missing: vec![],
            refused: vec![],
            skipped: None,
        }
    }

    fn known(slug: &str, hash: &str, tags: &[&str]) -> Known {
        Known {
            slug: slug.into(),
            record: PushRecord {
                hash: hash.into(),
                tags: tags.iter().map(|t| tag_key(t)).collect(),
            },
        }
    }

    #[test]
    fn a_note_is_kept_only_when_all_its_cards_reached_anki_exactly() {
        let nc = note_cards();
        let all = HashMap::from([("n-0-en".to_string(), "a"), ("n-0-ru".to_string(), "b")]);
        let kept = Rendered::of(&nc, "k", &all).expect("kept");
        assert_eq!(kept.cards[1].fields_hash, "b");
        let half = HashMap::from([("n-0-en".to_string(), "a")]);
        assert_eq!(Rendered::of(&nc, "k", &half), None);
        let mut with_image = nc.clone();
        with_image.cards[0].media = vec!["a.png".into()];
        assert_eq!(Rendered::of(&with_image, "k", &all), None);
    }

    #[test]
    fn cards_are_reused_only_when_anki_holds_what_was_pushed() {
        let nc = note_cards();
        let exact = HashMap::from([("n-0-en".to_string(), "a"), ("n-0-ru".to_string(), "b")]);
        let kept = Rendered::of(&nc, "k", &exact).expect("kept");
        let en = known("n-0-en", "a", &["database", "lang::en"]);
        let ru = known("n-0-ru", "b", &["DATABASE", "lang::ru"]);
        let both = HashMap::from([("n-0-en", &en), ("n-0-ru", &ru)]);
        let (again, hashes) = kept.reuse("n.md", &both).expect("reused");
        assert_eq!(again.cards.len(), 2);
        assert_eq!(again.cards[0].slug, nc.cards[0].slug);
        assert_eq!(again.cards[0].deck, nc.cards[0].deck);
        assert_eq!(again.cards[0].hash, nc.cards[0].hash);
        assert!(again.cards[0].front.is_empty(), "never rendered");
        assert_eq!(hashes[1], ("n-0-ru".to_string(), "b".to_string()));
        // One card's note edited, or a tag changed, or unknown: rendered again.
        let edited = known("n-0-ru", "other", &["database", "lang::ru"]);
        let tagged = known("n-0-ru", "b", &["lang::ru"]);
        for ru in [&edited, &tagged] {
            let map = HashMap::from([("n-0-en", &en), ("n-0-ru", ru)]);
            assert!(kept.reuse("n.md", &map).is_none());
        }
        let one = HashMap::from([("n-0-en", &en)]);
        assert!(kept.reuse("n.md", &one).is_none());
    }
}
