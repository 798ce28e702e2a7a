//! The note types decksmith pushes to, in Anki, and how far Anki's copies have drifted.
//!
//! Changing a note type's fields or card templates is a schema change in Anki: the next sync
//! with AnkiWeb must be a one-way full upload or download, and reviews made on another device
//! since its last sync are lost on one side. So drift is only ever *reported* here; the
//! requests that repair it are sent only under `sync --update-note-type`.
//!
//! One of decksmith's own note types is compatible when its fields start with the model's,
//! in order. Fields a user added after them are kept and never written: they may hold the
//! user's own data. A note type of the user's (`fields` in `[kinds.cards]`) is compatible
//! when it has the mapped fields and `Slug`, the question in its first field; its templates
//! and styling are the user's, never compared, and `--update-note-type` only adds `Slug`.

use crate::anki::action;
use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::cards::model::{NoteModel, SLUG_FIELD};

/// What Anki says about a note type of decksmith's name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Found {
    pub fields: Vec<String>,
    /// Template name → side (`Front`, `Back`) → HTML; `None` when the backend cannot say.
    pub templates: Option<BTreeMap<String, BTreeMap<String, String>>>,
    /// `None` when the backend cannot say.
    pub css: Option<String>,
}

/// How Anki's note type differs from the model.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Drift {
    /// The model's fields the note type lacks.
    pub missing_fields: Vec<String>,
    /// decksmith's fields are all there, but not first and in order.
    pub misordered: bool,
    /// Card templates of decksmith's to put in place.
    pub templates: Vec<TemplateFix>,
    pub css: bool,
    /// A note type of the user's whose first field (named here) holds no part of the card:
    /// Anki would refuse every new note as empty.
    pub unmapped_first: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateFix {
    /// Replace the HTML of the template of this name with the model's template `ours`.
    Update { name: String, ours: usize },
    /// Add the model's template `ours`.
    Add { ours: usize },
}

/// Compare what Anki has with the note model.
pub fn drift(found: &Found, model: &NoteModel) -> Drift {
    let missing_fields: Vec<String> = model
        .fields
        .iter()
        .filter(|f| !found.fields.contains(f))
        .cloned()
        .collect();
    if !model.owned {
        // A note type of the user's: only the fields decksmith writes must be there, and
        // the question first.
        let first = found.fields.first();
        return Drift {
            unmapped_first: first
                .filter(|f| missing_fields.is_empty() && f.as_str() != model.first_field())
                .cloned(),
            missing_fields,
            ..Drift::default()
        };
    }
    let misordered = missing_fields.is_empty()
        && found
            .fields
            .iter()
            .take(model.fields.len())
            .ne(model.fields.iter());
    let templates = found
        .templates
        .as_ref()
        .map(|t| template_fixes(t, model))
        .unwrap_or_default();
    let css = found.css.as_deref().is_some_and(|css| css != model.css);
    Drift {
        missing_fields,
        misordered,
        templates,
        css,
        unmapped_first: None,
    }
}

/// The model's templates Anki's note type lacks, and how each is put in place.
fn template_fixes(
    templates: &BTreeMap<String, BTreeMap<String, String>>,
    model: &NoteModel,
) -> Vec<TemplateFix> {
    let mut fixes = Vec::new();
    for (ours, t) in model.templates.iter().enumerate() {
        let same = |sides: &BTreeMap<String, String>| {
            sides.get("Front") == Some(&t.front) && sides.get("Back") == Some(&t.back)
        };
        if templates.values().any(same) {
            continue;
        }
        if templates.contains_key(&t.name) {
            fixes.push(TemplateFix::Update {
                name: t.name.clone(),
                ours,
            });
            continue;
        }
        // A single template under another name, for a model of one, is decksmith's,
        // renamed: edit it rather than add a second card to every note.
        match templates.keys().next() {
            Some(name) if templates.len() == 1 && model.templates.len() == 1 => {
                fixes.push(TemplateFix::Update {
                    name: name.clone(),
                    ours,
                });
            }
            _ => fixes.push(TemplateFix::Add { ours }),
        }
    }
    fixes
}

impl Drift {
    /// decksmith can add and update notes of this type as it is.
    pub fn compatible(&self) -> bool {
        self.missing_fields.is_empty() && !self.misordered && self.unmapped_first.is_none()
    }

    pub fn is_empty(&self) -> bool {
        self.compatible() && self.templates.is_empty() && !self.css
    }

    /// What `--update-note-type` cannot do: on a note type of the user's, decksmith adds
    /// only `Slug`; the other fields `fields` maps are the user's to create (a missing one
    /// is more likely a misspelt name), and the field order is theirs.
    pub fn beyond_repair(&self, model: &NoteModel) -> Option<String> {
        if model.owned {
            return None;
        }
        let others: Vec<&String> = self
            .missing_fields
            .iter()
            .filter(|f| *f != SLUG_FIELD)
            .collect();
        if !others.is_empty() {
            return Some(format!(
                "the note type `{}` has no field {}, which `fields` maps in decksmith.toml",
                model.name,
                others
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        self.unmapped_first.as_ref().map(|first| {
            format!(
                "the note type `{}` starts with the field `{first}`, which `fields` does not map: Anki refuses a note whose first field is empty; map `{first}` to `front`",
                model.name
            )
        })
    }

    /// One line per change, for reports.
    pub fn describe(&self, model: &NoteModel) -> Vec<String> {
        let mut out = Vec::new();
        if !self.missing_fields.is_empty() {
            out.push(format!("add the fields {}", self.missing_fields.join(", ")));
        }
        if model.owned && !self.compatible() {
            out.push(format!(
                "put the fields {} first, in that order",
                model.fields.join(", ")
            ));
        }
        for fix in &self.templates {
            match fix {
                TemplateFix::Update { name, .. } => {
                    out.push(format!("replace the card template `{name}`"));
                }
                TemplateFix::Add { ours } => out.push(format!(
                    "add the card template `{}`",
                    model.templates[*ours].name
                )),
            }
        }
        if self.css {
            out.push("replace the styling".to_string());
        }
        out
    }

    /// The AnkiConnect requests that make Anki's note type the model, in order (on a note
    /// type of the user's, adding `Slug` last).
    pub fn requests(&self, model: &NoteModel, found: &[String]) -> Vec<(action::Action, Value)> {
        let name = model.name.as_str();
        let mut subs = Vec::new();
        if !model.owned {
            if self.missing_fields.iter().any(|f| f == SLUG_FIELD) {
                subs.push((
                    action::MODEL_FIELD_ADD,
                    json!({ "modelName": name, "fieldName": SLUG_FIELD, "index": found.len() }),
                ));
            }
            return subs;
        }
        for f in &self.missing_fields {
            let index = model.fields.iter().position(|x| x == f).unwrap_or(0);
            subs.push((
                action::MODEL_FIELD_ADD,
                json!({ "modelName": name, "fieldName": f, "index": index }),
            ));
        }
        // Adding at an index can still leave another field in between: placing each of
        // decksmith's fields in turn leaves them first, in order.
        if !self.compatible() {
            for (index, f) in model.fields.iter().enumerate() {
                subs.push((
                    action::MODEL_FIELD_REPOSITION,
                    json!({ "modelName": name, "fieldName": f, "index": index }),
                ));
            }
        }
        for fix in &self.templates {
            match fix {
                TemplateFix::Update { name: t, ours } => {
                    let ours = &model.templates[*ours];
                    subs.push((
                        action::UPDATE_MODEL_TEMPLATES,
                        json!({ "model": { "name": name, "templates": { t: { "Front": ours.front, "Back": ours.back } } } }),
                    ));
                }
                TemplateFix::Add { ours } => {
                    let ours = &model.templates[*ours];
                    subs.push((
                        action::MODEL_TEMPLATE_ADD,
                        json!({ "modelName": name, "template": { "Name": ours.name, "Front": ours.front, "Back": ours.back } }),
                    ));
                }
            }
        }
        if self.css {
            subs.push((
                action::UPDATE_MODEL_STYLING,
                json!({ "model": { "name": name, "css": model.css } }),
            ));
        }
        subs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARD_CSS: &str = crate::cards::model::CARD_CSS;
    const FIELDS: [&str; 4] = ["Front", "Back", "Slug", "Source"];
    const TEMPLATE: &str = "Card";
    const FRONT: &str = "{{Front}}";
    const BACK: &str = "{{FrontSide}}\n<hr id=answer>\n{{Back}}";

    fn drift(found: &Found) -> Drift {
        super::drift(found, &model())
    }

    fn model() -> NoteModel {
        NoteModel::qa("decksmith")
    }

    fn found(fields: &[&str], templates: &[(&str, &str, &str)], css: &str) -> Found {
        Found {
            fields: fields.iter().map(|f| f.to_string()).collect(),
            templates: Some(
                templates
                    .iter()
                    .map(|(n, f, b)| {
                        (
                            n.to_string(),
                            BTreeMap::from([
                                ("Front".to_string(), f.to_string()),
                                ("Back".to_string(), b.to_string()),
                            ]),
                        )
                    })
                    .collect(),
            ),
            css: Some(css.to_string()),
        }
    }

    #[test]
    fn decksmiths_own_note_type_has_no_drift() {
        let d = drift(&found(&FIELDS, &[(TEMPLATE, FRONT, BACK)], CARD_CSS));
        assert!(d.is_empty(), "{d:?}");
        assert!(d.requests(&model(), &[]).is_empty());
    }

    #[test]
    fn extra_fields_after_decksmiths_are_compatible() {
        let d = drift(&found(
            &["Front", "Back", "Slug", "Source", "My notes"],
            &[(TEMPLATE, FRONT, BACK)],
            CARD_CSS,
        ));
        assert!(d.compatible() && d.is_empty(), "{d:?}");
    }

    #[test]
    fn missing_and_misordered_fields_are_added_then_placed() {
        let d = drift(&found(&["Back", "Extra", "Front"], &[], CARD_CSS));
        assert_eq!(d.missing_fields, ["Slug", "Source"]);
        assert!(!d.compatible());
        let actions: Vec<&str> = d
            .requests(&model(), &[])
            .iter()
            .map(|(a, _)| a.name)
            .collect();
        assert_eq!(
            actions,
            [
                "modelFieldAdd",
                "modelFieldAdd",
                "modelFieldReposition",
                "modelFieldReposition",
                "modelFieldReposition",
                "modelFieldReposition",
                "modelTemplateAdd"
            ]
        );
        let d = drift(&found(
            &["Back", "Front", "Slug", "Source"],
            &[("Card 1", FRONT, BACK)],
            CARD_CSS,
        ));
        assert!(d.missing_fields.is_empty() && d.misordered);
        assert_eq!(d.templates, [], "a renamed template of ours is fine");
    }

    #[test]
    fn templates_and_styling_drift_without_touching_fields() {
        let d = drift(&found(&FIELDS, &[("Card 1", "{{Front}}!", BACK)], "x"));
        assert!(d.compatible() && !d.is_empty());
        assert_eq!(
            d.templates,
            [TemplateFix::Update {
                name: "Card 1".into(),
                ours: 0
            }]
        );
        assert!(d.css);
        assert_eq!(
            d.describe(&model()),
            ["replace the card template `Card 1`", "replace the styling"]
        );
        let d = drift(&found(
            &FIELDS,
            &[("A", "x", "y"), ("B", "x", "y")],
            CARD_CSS,
        ));
        assert_eq!(d.templates, [TemplateFix::Add { ours: 0 }]);
    }

    #[test]
    fn a_backend_that_cannot_say_reports_no_template_drift() {
        let d = drift(&Found {
            fields: FIELDS.iter().map(|f| f.to_string()).collect(),
            templates: None,
            css: None,
        });
        assert!(d.is_empty());
    }
}
