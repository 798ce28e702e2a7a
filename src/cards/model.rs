//! The note model: what a card becomes in Anki.
//!
//! One place says which fields decksmith's Anki note type has and in which order, its card
//! template, its styling, whether it is a cloze type, and how a card's parts map onto the
//! fields. Creating the note type, telling how far Anki's copy drifted, the pre-flight check
//! of new notes, the plan's comparison of fields and the push state's hashes all read it
//! from here, so a note type is defined once.
//!
//! Field values are produced in the form Anki stores and returns them ([`stored_form`]): a
//! value pushed in any other form would come back different, and the note would look
//! changed, or edited in Anki, on every sync.

use std::collections::BTreeMap;

use unicode_normalization::{UnicodeNormalization, is_nfc};

use super::Card;
use super::preview::CARD_CSS;

/// One card template of a note type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Template {
    pub name: &'static str,
    pub front: &'static str,
    pub back: &'static str,
}

/// An Anki note type decksmith pushes cards to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteModel {
    /// The note type's name in Anki (`[anki] note-type`).
    pub name: String,
    /// Its fields, in order.
    pub fields: &'static [&'static str],
    pub templates: &'static [Template],
    pub css: &'static str,
    pub cloze: bool,
}

/// The field that holds a card's slug, its identity in Anki: every decksmith note type has
/// it, and sync finds notes by it.
pub const SLUG_FIELD: &str = "Slug";

/// The fields of the question-and-answer model, in order.
const QA_FIELDS: &[&str] = &["Front", "Back", "Slug", "Source"];

/// The card template of the question-and-answer model.
const QA_TEMPLATES: &[Template] = &[Template {
    name: "Card",
    front: "{{Front}}",
    back: "{{FrontSide}}\n<hr id=answer>\n{{Back}}",
}];

impl NoteModel {
    /// decksmith's question-and-answer note type, named `name` in Anki: Front, Back, the
    /// slug and the note's path.
    pub fn qa(name: &str) -> NoteModel {
        NoteModel {
            name: name.to_string(),
            fields: QA_FIELDS,
            templates: QA_TEMPLATES,
            css: CARD_CSS,
            cloze: false,
        }
    }

    /// decksmith's card template of this note type (each model has one).
    pub fn template(&self) -> &Template {
        &self.templates[0]
    }

    /// The field Anki checks a new note by (its first): empty, the note is refused.
    pub fn first_field(&self) -> &'static str {
        self.fields[0]
    }

    /// The fields a card is pushed with, by name, in Anki's stored form.
    pub fn values(&self, card: &Card) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("Front".to_string(), stored_form(&card.front)),
            ("Back".to_string(), stored_form(&card.back)),
            (SLUG_FIELD.to_string(), slug_value(&card.slug)),
            ("Source".to_string(), stored_form(&card.source)),
        ])
    }

    /// The value of the field a card pushes as its first (for the pre-flight check).
    pub fn first_value<'c>(&self, card: &'c Card) -> &'c str {
        &card.front
    }

    /// A hash of a note's values of this model's fields, in order (missing fields count as
    /// empty, other fields are ignored): what the push state records.
    pub fn hash(&self, values: &BTreeMap<String, String>) -> String {
        let ordered: Vec<&str> = self
            .fields
            .iter()
            .map(|f| values.get(*f).map_or("", String::as_str))
            .collect();
        super::fnv1a(&ordered)
    }
}

/// The Slug field's value for a slug: escaped, since a field is HTML (a slug is a note's
/// `id`, which may hold `<` or `&`), and in Anki's stored form.
pub fn slug_value(slug: &str) -> String {
    let mut html = String::new();
    // Writing into a String cannot fail.
    let _ = pulldown_cmark_escape::escape_html_body_text(&mut html, slug);
    stored_form(&html)
}

/// A field value as Anki stores and returns it: in Unicode NFC, without the ASCII control
/// characters other than tab and line feed (measured on the Anki engine).
pub fn stored_form(value: &str) -> String {
    let dropped = |c: char| c.is_ascii_control() && c != '\t' && c != '\n';
    let dropped_byte = |b: &u8| (*b < 0x20 && *b != b'\t' && *b != b'\n') || *b == 0x7f;
    // Text below U+0300 (ASCII, Latin) is NFC whatever it holds; only the rest needs the
    // table lookups of the NFC check, which dominate a no-op sync otherwise.
    let plain = value.chars().all(|c| c < '\u{300}');
    if !value.as_bytes().iter().any(dropped_byte) && (plain || is_nfc(value)) {
        value.to_string()
    } else {
        value.chars().filter(|c| !dropped(*c)).nfc().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_below_combining_marks_is_taken_as_nfc_rightly() {
        // The shortcut of `stored_form`: every character below U+0300, alone or after any
        // other, is already NFC.
        for c in (0u32..0x300).filter_map(char::from_u32) {
            for before in ['a', 'e', 'A', '\u{2ff}', c] {
                let s: String = [before, c].iter().collect();
                assert!(is_nfc(&s), "{s:?}");
            }
        }
    }

    #[test]
    fn the_hash_follows_the_field_order_and_ignores_other_fields() {
        let model = NoteModel::qa("decksmith");
        let a = BTreeMap::from([
            ("Front".to_string(), "f".to_string()),
            ("Back".to_string(), "b".to_string()),
        ]);
        let mut b = a.clone();
        b.insert("My notes".into(), "x".into());
        assert_eq!(model.hash(&a), model.hash(&b));
        let swapped = BTreeMap::from([
            ("Front".to_string(), "b".to_string()),
            ("Back".to_string(), "f".to_string()),
        ]);
        assert_ne!(model.hash(&a), model.hash(&swapped));
    }

    #[test]
    fn every_value_is_one_of_the_model_s_fields() {
        let model = NoteModel::qa("decksmith");
        let card = Card {
            slug: "a<b-0-en".into(),
            note: "n.md".into(),
            note_id: "a<b".into(),
            index: 0,
            lang: "en".into(),
            deck: "D".into(),
            tags: vec![],
            front: "F".into(),
            back: "B".into(),
            source: "n.md".into(),
            media: vec![],
            hash: String::new(),
        };
        let values = model.values(&card);
        assert_eq!(values.keys().map(String::as_str).collect::<Vec<_>>(), {
            let mut f = model.fields.to_vec();
            f.sort_unstable();
            f
        });
        assert_eq!(values[SLUG_FIELD], "a&lt;b-0-en");
        assert_eq!(model.first_value(&card), values[model.first_field()]);
    }
}
