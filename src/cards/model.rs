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

use std::collections::{BTreeMap, HashMap};

use unicode_normalization::{UnicodeNormalization, is_nfc};

use super::Card;
use crate::config::{CardPart, Kind, ModelChoice};

/// The card styling, of decksmith's note types, shared by the preview.
pub const CARD_CSS: &str = r#".card {
  font-family: -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif;
  font-size: 18px;
  line-height: 1.5;
  text-align: left;
  color: #1d1d1f;
  background: #ffffff;
  max-width: 46em;
  margin: 0 auto;
  padding: 1em;
}
.card pre { background: #f4f4f6; padding: .6em .8em; border-radius: 6px; overflow-x: auto; }
.card code { font-family: "JetBrains Mono", Menlo, Consolas, monospace; font-size: .9em; }
.card table { border-collapse: collapse; margin: .6em 0; }
.card th, .card td { border: 1px solid #c9c9cf; padding: .25em .6em; }
.card th { background: #f0f0f3; }
.card blockquote { border-left: 4px solid #c9c9cf; margin: 0; padding-left: 1em; }
.card hr#answer { border: none; border-top: 1px solid #c9c9cf; margin: 1em 0; }
.card img { max-width: 100%; }
.nightMode .card, .night_mode .card { color: #e8e8ea; background: #1e1e20; }
.nightMode .card pre, .night_mode .card pre { background: #2a2a2e; }
.nightMode .card th, .night_mode .card th { background: #2a2a2e; }
.nightMode .card th, .nightMode .card td, .night_mode .card th, .night_mode .card td { border-color: #4a4a50; }
@media (prefers-color-scheme: dark) {
  .card { color: #e8e8ea; background: #1e1e20; }
  .card pre, .card th { background: #2a2a2e; }
  .card th, .card td { border-color: #4a4a50; }
}
"#;

/// The styling decksmith's cloze note type adds: a deletion, asked and revealed.
pub const CLOZE_CSS: &str = r#".cloze { font-weight: bold; color: #0a58ca; }
.nightMode .cloze, .night_mode .cloze { color: #6ea8fe; }
"#;

/// One card template of a note type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    pub name: String,
    pub front: String,
    pub back: String,
}

/// An Anki note type decksmith pushes cards to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteModel {
    /// The note type's name in Anki.
    pub name: String,
    /// The fields decksmith writes, in order: all of the note type's fields for decksmith's
    /// own note types; the mapped ones and `Slug` for a note type of the user's.
    pub fields: Vec<String>,
    /// Which part of a card each field holds (`None`: the slug).
    map: Vec<Option<CardPart>>,
    /// The card templates (of decksmith's own note types; a user's keeps its own).
    pub templates: Vec<Template>,
    pub css: String,
    pub cloze: bool,
    /// decksmith created it and owns its fields, templates and styling; a note type of the
    /// user's is only required to hold the mapped fields and `Slug`.
    pub owned: bool,
}

/// The field that holds a card's slug, its identity in Anki: every note type decksmith
/// pushes to has it, and sync finds notes by it.
pub const SLUG_FIELD: &str = "Slug";

/// The answer side shared by the question-and-answer templates.
const ANSWER_SIDE: &str = "{{FrontSide}}\n<hr id=answer>\n";

impl NoteModel {
    /// decksmith's question-and-answer note type, named `name` in Anki: Front, Back, the
    /// slug and the note's path, one card per note.
    pub fn qa(name: &str) -> NoteModel {
        NoteModel::owned_qa(name, false)
    }

    /// decksmith's question-and-answer note type with a second card asked backwards.
    pub fn reversed(name: &str) -> NoteModel {
        NoteModel::owned_qa(name, true)
    }

    fn owned_qa(name: &str, reversed: bool) -> NoteModel {
        let mut templates = vec![Template {
            name: "Card".into(),
            front: "{{Front}}".into(),
            back: format!("{ANSWER_SIDE}{{{{Back}}}}"),
        }];
        if reversed {
            templates.push(Template {
                name: "Reverse".into(),
                front: "{{Back}}".into(),
                back: format!("{ANSWER_SIDE}{{{{Front}}}}"),
            });
        }
        NoteModel::own(
            name,
            ["Front", "Back"],
            templates,
            CARD_CSS.to_string(),
            false,
        )
    }

    /// One of decksmith's own note types: the question's and the answer's fields (named
    /// `front` and `back`), then the slug and the note's path.
    fn own(
        name: &str,
        [front, back]: [&str; 2],
        templates: Vec<Template>,
        css: String,
        cloze: bool,
    ) -> NoteModel {
        NoteModel {
            name: name.to_string(),
            fields: [front, back, SLUG_FIELD, "Source"]
                .map(String::from)
                .to_vec(),
            map: vec![
                Some(CardPart::Front),
                Some(CardPart::Back),
                None,
                Some(CardPart::Source),
            ],
            templates,
            css,
            cloze,
            owned: true,
        }
    }

    /// decksmith's cloze note type: the text with its deletions, the heading it sits under
    /// (Anki's "Back Extra"), the slug and the note's path.
    pub fn cloze(name: &str) -> NoteModel {
        let templates = vec![Template {
            name: "Cloze".into(),
            front: "{{cloze:Text}}".into(),
            back: "{{cloze:Text}}<br>\n{{Back Extra}}".into(),
        }];
        NoteModel::own(
            name,
            ["Text", "Back Extra"],
            templates,
            format!("{CARD_CSS}{CLOZE_CSS}"),
            true,
        )
    }

    /// A note type of the user's: the mapped fields (in name order), then `Slug`.
    pub fn foreign(name: &str, fields: &BTreeMap<String, CardPart>, cloze: bool) -> NoteModel {
        let mut names: Vec<String> = fields.keys().cloned().collect();
        let mut map: Vec<Option<CardPart>> = fields.values().map(|p| Some(*p)).collect();
        names.push(SLUG_FIELD.to_string());
        map.push(None);
        NoteModel {
            name: name.to_string(),
            fields: names,
            map,
            templates: Vec::new(),
            css: String::new(),
            cloze,
            owned: false,
        }
    }

    /// The model a kind's cards go to, `[anki] note-type` being `base`.
    pub fn of_choice(choice: &ModelChoice, base: &str) -> NoteModel {
        let name = choice.name(base);
        match (&choice.fields, choice.cloze, choice.reversed) {
            (Some(fields), cloze, _) => NoteModel::foreign(&name, fields, cloze),
            (None, true, _) => NoteModel::cloze(&name),
            (None, false, true) => NoteModel::reversed(&name),
            (None, false, false) => NoteModel::qa(&name),
        }
    }

    /// The field Anki checks a new note by (its first, for decksmith's own note types; for
    /// a user's, the field holding the question, which sync requires to be the first).
    pub fn first_field(&self) -> &str {
        let at = self
            .map
            .iter()
            .position(|p| *p == Some(CardPart::Front))
            .unwrap_or(0);
        &self.fields[at]
    }

    /// How many cards each note of this model gives, its cloze deletions aside.
    pub fn cards_per_note(&self) -> usize {
        self.templates.len().max(1)
    }

    /// The fields a card is pushed with, by name, in Anki's stored form.
    pub fn values(&self, card: &Card) -> BTreeMap<String, String> {
        self.fields
            .iter()
            .zip(&self.map)
            .map(|(field, part)| {
                let value = match part {
                    None => slug_value(&card.slug),
                    Some(part) => stored_form(card.part(*part)),
                };
                (field.clone(), value)
            })
            .collect()
    }

    /// The value of the field a card pushes as its first (for the pre-flight check).
    pub fn first_value<'c>(&self, card: &'c Card) -> &'c str {
        card.part(CardPart::Front)
    }

    /// A hash of a note's values of this model's fields, in order (missing fields count as
    /// empty, other fields are ignored): what the push state records.
    pub fn hash(&self, values: &BTreeMap<String, String>) -> String {
        let ordered: Vec<&str> = self
            .fields
            .iter()
            .map(|f| values.get(f).map_or("", String::as_str))
            .collect();
        super::fnv1a(&ordered)
    }
}

/// One card as Anki shows it: the question side, and the answer side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    /// The template's name, with the deletion's number for a cloze (`Cloze 2`).
    pub name: String,
    pub question: String,
    pub answer: String,
}

impl NoteModel {
    /// Every card Anki makes of a card's note, shown as Anki shows it: one per template, and
    /// for a cloze type one per deletion number. A note type of the user's, whose templates
    /// decksmith does not hold, is shown as the question over the answer.
    pub fn shown(&self, card: &Card) -> Vec<Shown> {
        let values = self.values(card);
        let templates: Vec<Template> = if self.templates.is_empty() {
            let front = if self.cloze {
                "{{cloze:Front}}"
            } else {
                "{{Front}}"
            };
            vec![Template {
                name: "Card".into(),
                front: front.into(),
                back: format!("{ANSWER_SIDE}{{{{Back}}}}"),
            }]
        } else {
            self.templates.clone()
        };
        let values: BTreeMap<String, String> = if self.templates.is_empty() {
            BTreeMap::from([
                ("Front".to_string(), stored_form(&card.front)),
                ("Back".to_string(), stored_form(&card.back)),
            ])
        } else {
            values
        };
        let numbers = if self.cloze {
            super::cloze::numbers(&card.front)
        } else {
            vec![0]
        };
        let mut out = Vec::new();
        for t in &templates {
            for n in &numbers {
                let question = fill_template(&t.front, &values, "", *n, false);
                let answer = fill_template(&t.back, &values, &question, *n, true);
                let name = if self.cloze {
                    format!("{} {n}", t.name)
                } else {
                    t.name.clone()
                };
                out.push(Shown {
                    name,
                    question,
                    answer,
                });
            }
        }
        out
    }
}

/// A card template with the note's values in: `{{Field}}`, `{{FrontSide}}`, and
/// `{{cloze:Field}}` for deletion `n` (asked, or `revealed`). Other filters and unknown
/// fields give nothing, as Anki shows an empty field.
fn fill_template(
    template: &str,
    values: &BTreeMap<String, String>,
    front_side: &str,
    n: u32,
    revealed: bool,
) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open..].find("}}") else {
            break;
        };
        out.push_str(&rest[..open]);
        let name = rest[open + 2..open + close].trim();
        let value = |field: &str| values.get(field).map_or("", String::as_str);
        match name.split_once(':') {
            _ if name == "FrontSide" => out.push_str(front_side),
            Some(("cloze", field)) => {
                out.push_str(&super::cloze::show(value(field), n, revealed));
            }
            Some((_, field)) => out.push_str(value(field)),
            None => out.push_str(value(name)),
        }
        rest = &rest[open + close + 2..];
    }
    out.push_str(rest);
    out
}

/// The note types a configuration pushes to, by name, and which one each kind's cards use.
#[derive(Clone, Debug, Default)]
pub struct Models {
    by_name: BTreeMap<String, NoteModel>,
    of_kind: HashMap<String, String>,
    /// `[anki] note-type`: searched for decksmith's notes even when no kind uses it, so
    /// cards that moved to another note type leave their old notes as orphans.
    base: String,
}

impl Models {
    /// The models of the kinds that give cards, `[anki] note-type` being `base`. Two kinds
    /// that name one note type must give it the same shape.
    pub fn new(kinds: &[Kind], base: &str) -> Result<Models, String> {
        let mut models = Models {
            base: base.to_string(),
            ..Models::default()
        };
        for kind in kinds {
            let Some(cards) = &kind.cards else { continue };
            let model = NoteModel::of_choice(&cards.model, base);
            if let Some(other) = models.by_name.get(&model.name)
                && *other != model
            {
                return Err(format!(
                    "kind `{}` pushes to the note type `{}` in another shape than a kind before it; give one of them its own `note-type`",
                    kind.name, model.name
                ));
            }
            models.of_kind.insert(kind.name.clone(), model.name.clone());
            models.by_name.insert(model.name.clone(), model);
        }
        Ok(models)
    }

    /// One model alone, the base note type (for callers that push one kind of card).
    pub fn single(model: NoteModel) -> Models {
        Models {
            base: model.name.clone(),
            of_kind: HashMap::new(),
            by_name: BTreeMap::from([(model.name.clone(), model)]),
        }
    }

    /// The model of a note type, by name.
    pub fn get(&self, name: &str) -> Option<&NoteModel> {
        self.by_name.get(name)
    }

    /// The note type name of a kind's cards.
    pub fn of_kind(&self, kind: &str) -> Option<&str> {
        self.of_kind.get(kind).map(String::as_str)
    }

    /// The models in use, by name.
    pub fn iter(&self) -> impl Iterator<Item = &NoteModel> {
        self.by_name.values()
    }

    /// Every note type decksmith searches for its notes, by name, with whether decksmith
    /// owns it (every note of an owned type is decksmith's; of a user's type, only those
    /// with a Slug): the models in use and `[anki] note-type`.
    pub fn searched(&self) -> Vec<(&str, bool)> {
        let mut names: Vec<(&str, bool)> = self
            .by_name
            .values()
            .map(|m| (m.name.as_str(), m.owned))
            .collect();
        if !self.by_name.contains_key(&self.base) {
            names.push((self.base.as_str(), true));
            names.sort_unstable();
        }
        names
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
            note_id: "a<b".into(),
            tags: vec![],
            front: "F".into(),
            back: "B".into(),
            ..Card::sample("a<b-0-en")
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
