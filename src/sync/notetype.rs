//! decksmith's note type in Anki, and how far Anki's copy of it has drifted.
//!
//! Changing a note type's fields or card templates is a schema change in Anki: the next sync
//! with AnkiWeb must be a one-way full upload or download, and reviews made on another device
//! since its last sync are lost on one side. So drift is only ever *reported* here; the
//! requests that repair it are sent only under `sync --update-note-type`.
//!
//! A note type is compatible when its fields start with decksmith's four, in order. Fields a
//! user added after them are kept and never written: they may hold the user's own data.

use crate::anki::action;
use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::cards::model::NoteModel;

/// What Anki says about a note type of decksmith's name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Found {
    pub fields: Vec<String>,
    /// Template name → side (`Front`, `Back`) → HTML; `None` when the backend cannot say.
    pub templates: Option<BTreeMap<String, BTreeMap<String, String>>>,
    /// `None` when the backend cannot say.
    pub css: Option<String>,
}

/// How Anki's note type differs from decksmith's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Drift {
    /// decksmith's fields the note type lacks.
    pub missing_fields: Vec<String>,
    /// decksmith's fields are all there, but not first and in order.
    pub misordered: bool,
    /// The template to replace (its current name), or `None` to add decksmith's.
    pub template: Option<TemplateFix>,
    pub css: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateFix {
    /// Replace the HTML of this template.
    Update(String),
    /// The note type has several templates and none of decksmith's name: add one.
    Add,
}

/// Compare what Anki has with the note model this decksmith creates.
pub fn drift(found: &Found, model: &NoteModel) -> Drift {
    let ours = model.template();
    let missing_fields: Vec<String> = model
        .fields
        .iter()
        .filter(|f| !found.fields.iter().any(|x| x == *f))
        .map(|f| f.to_string())
        .collect();
    let misordered = missing_fields.is_empty()
        && found
            .fields
            .iter()
            .take(model.fields.len())
            .ne(model.fields.iter());
    let template = found.templates.as_ref().and_then(|templates| {
        let same = |sides: &BTreeMap<String, String>| {
            sides.get("Front").map(String::as_str) == Some(ours.front)
                && sides.get("Back").map(String::as_str) == Some(ours.back)
        };
        if templates.values().any(same) {
            return None;
        }
        if templates.contains_key(ours.name) {
            return Some(TemplateFix::Update(ours.name.to_string()));
        }
        // A single template under another name is decksmith's, renamed: edit it rather than
        // add a second card to every note.
        match templates.keys().next() {
            Some(name) if templates.len() == 1 => Some(TemplateFix::Update(name.clone())),
            _ => Some(TemplateFix::Add),
        }
    });
    let css = found.css.as_deref().is_some_and(|css| css != model.css);
    Drift {
        missing_fields,
        misordered,
        template,
        css,
    }
}

impl Drift {
    /// decksmith can add and update notes of this type as it is.
    pub fn compatible(&self) -> bool {
        self.missing_fields.is_empty() && !self.misordered
    }

    pub fn is_empty(&self) -> bool {
        self.compatible() && self.template.is_none() && !self.css
    }

    /// One line per change, for reports.
    pub fn describe(&self, model: &NoteModel) -> Vec<String> {
        let mut out = Vec::new();
        if !self.missing_fields.is_empty() {
            out.push(format!("add the fields {}", self.missing_fields.join(", ")));
        }
        if !self.compatible() {
            out.push(format!(
                "put the fields {} first, in that order",
                model.fields.join(", ")
            ));
        }
        match &self.template {
            Some(TemplateFix::Update(name)) => {
                out.push(format!("replace the card template `{name}`"));
            }
            Some(TemplateFix::Add) => {
                out.push(format!("add the card template `{}`", model.template().name))
            }
            None => {}
        }
        if self.css {
            out.push("replace the styling".to_string());
        }
        out
    }

    /// The AnkiConnect requests that make Anki's note type the model, in order.
    pub fn requests(&self, model: &NoteModel) -> Vec<(action::Action, Value)> {
        let name = model.name.as_str();
        let ours = model.template();
        let (front, back) = (ours.front, ours.back);
        let mut subs = Vec::new();
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
        match &self.template {
            Some(TemplateFix::Update(t)) => subs.push((
                action::UPDATE_MODEL_TEMPLATES,
                json!({ "model": { "name": name, "templates": { t: { "Front": front, "Back": back } } } }),
            )),
            Some(TemplateFix::Add) => subs.push((
                action::MODEL_TEMPLATE_ADD,
                json!({ "modelName": name, "template": { "Name": ours.name, "Front": front, "Back": back } }),
            )),
            None => {}
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

    const CARD_CSS: &str = crate::cards::preview::CARD_CSS;
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
        assert!(d.requests(&model()).is_empty());
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
        let actions: Vec<&str> = d.requests(&model()).iter().map(|(a, _)| a.name).collect();
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
        assert_eq!(d.template, None, "a renamed template of ours is fine");
    }

    #[test]
    fn templates_and_styling_drift_without_touching_fields() {
        let d = drift(&found(&FIELDS, &[("Card 1", "{{Front}}!", BACK)], "x"));
        assert!(d.compatible() && !d.is_empty());
        assert_eq!(d.template, Some(TemplateFix::Update("Card 1".into())));
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
        assert_eq!(d.template, Some(TemplateFix::Add));
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
