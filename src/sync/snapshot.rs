//! What Anki holds for decksmith, read before anything is planned.
//!
//! Two `multi` requests whatever the vault size (reads are cheap, requests are not: 25 ms
//! each on the real add-on): the first asks for the version, the note type, the decks, the
//! actions the backend implements, decksmith's media and its notes; the second, only when
//! there are notes, for their fields and tags and, with one search per deck, where their
//! cards are (`cardsInfo` would say too, but renders every card and costs 30× more). None of
//! it depends on the vault, so the command line reads Anki while it reads the vault.

use serde_json::{Value, json};

use super::apply::SyncError;
use super::notetype::Found;
use super::plan::{AnkiNote, Snapshot};
use crate::anki::{AnkiError, Client};
use crate::config::AnkiConfig;

pub(super) fn query(note_type: &str) -> String {
    format!("\"note:{}\"", note_type.replace('"', "\\\""))
}

pub(super) fn sub_ok<T: serde::de::DeserializeOwned>(
    r: Result<Value, String>,
    action: &str,
) -> Result<T, AnkiError> {
    let v = r.map_err(|message| AnkiError::Action {
        action: action.to_string(),
        message,
    })?;
    serde_json::from_value(v).map_err(|e| AnkiError::Decode {
        action: action.to_string(),
        detail: e.to_string(),
    })
}

/// What the first reads tell about Anki ([`read_anki`]).
pub struct Seen {
    /// The note type; `None` when it does not exist.
    pub(super) note_type: Option<Found>,
    /// The actions the backend implements, when it can say (`apiReflect`).
    pub(super) actions: Option<Vec<String>>,
    /// decksmith's media files in Anki, when the backend could list them.
    pub(super) media: Option<Vec<String>>,
    pub(super) decks: Vec<String>,
    pub(super) snapshot: Snapshot,
}

/// Read decksmith's notes from Anki: two `multi` requests whatever the vault size. It does
/// not depend on the vault, so the command line runs it while the vault is read.
pub fn read_anki(client: &Client, cfg: &AnkiConfig) -> Result<Seen, SyncError> {
    let q = query(&cfg.note_type);
    let first = client.multi(&[
        ("version", json!({})),
        ("modelFieldNames", json!({ "modelName": cfg.note_type })),
        ("deckNames", json!({})),
        ("findNotes", json!({ "query": q })),
        ("modelTemplates", json!({ "modelName": cfg.note_type })),
        ("modelStyling", json!({ "modelName": cfg.note_type })),
        (
            "apiReflect",
            json!({ "scopes": ["actions"], "actions": null }),
        ),
        (
            "getMediaFilesNames",
            json!({ "pattern": format!("{}*", super::media::PREFIX) }),
        ),
    ])?;
    let mut it = first.into_iter();
    let mut next = || it.next().unwrap_or_else(|| Err("missing reply".into()));
    let version: i64 = sub_ok(next(), "version")?;
    if version < 6 {
        return Err(SyncError::Incompatible(format!(
            "AnkiConnect speaks API version {version}; decksmith needs 6. Update the AnkiConnect add-on."
        )));
    }
    let fields = crate::anki::model_fields(next()).map_err(|message| AnkiError::Action {
        action: "modelFieldNames".into(),
        message,
    })?;
    let decks: Vec<String> = sub_ok(next(), "deckNames")?;
    let found_notes = next();
    // Older backends lack these two; drift in templates and styling is then not reported.
    let templates = next().ok().and_then(|v| serde_json::from_value(v).ok());
    let css = next()
        .ok()
        .and_then(|v| v.get("css").and_then(Value::as_str).map(str::to_string));
    let actions = next().ok().and_then(|v| {
        v.get("actions")?.as_array().map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
    });
    let media = next().ok().and_then(|v| serde_json::from_value(v).ok());
    let note_ids: Vec<i64> = if fields.is_some() {
        sub_ok(found_notes, "findNotes")?
    } else {
        Vec::new()
    };
    let note_type = fields.map(|fields| Found {
        fields,
        templates,
        css,
    });
    let mut snap = Snapshot::default();
    if note_ids.is_empty() {
        return Ok(Seen {
            note_type,
            actions,
            media,
            decks,
            snapshot: snap,
        });
    }
    // Fields and tags, and which deck each note's card is in: one `findNotes` per deck
    // (`cardsInfo` renders every card and costs 30× more).
    let mut subs: Vec<(&str, Value)> = vec![("notesInfo", json!({ "notes": note_ids }))];
    for d in &decks {
        subs.push((
            "findNotes",
            json!({ "query": deck_query(&cfg.note_type, d) }),
        ));
    }
    let mut it = client.multi(&subs)?.into_iter();
    let infos: Vec<Value> = sub_ok(
        it.next().unwrap_or_else(|| Err("missing reply".into())),
        "notesInfo",
    )?;
    for info in infos
        .into_iter()
        .filter(|v| v.as_object().is_some_and(|o| !o.is_empty()))
    {
        let Some(id) = info.get("noteId").and_then(Value::as_i64) else {
            continue;
        };
        let fields = info
            .get("fields")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        let value = v.get("value").and_then(Value::as_str).unwrap_or("");
                        (k.clone(), value.to_string())
                    })
                    .collect()
            })
            .unwrap_or_default();
        let tags = info
            .get("tags")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        snap.notes.insert(
            id,
            AnkiNote {
                id,
                fields,
                tags,
                deck: None,
            },
        );
    }
    for (d, r) in decks.iter().zip(it) {
        let ids: Vec<i64> = sub_ok(r, "findNotes")?;
        for id in ids {
            if let Some(n) = snap.notes.get_mut(&id) {
                n.deck = Some(d.clone());
            }
        }
    }
    snap.reviewed = reviewed_duplicates(client, &snap)?;
    Ok(Seen {
        note_type,
        actions,
        media,
        decks,
        snapshot: snap,
    })
}

/// Among the notes that share a slug, those with review history (the duplicate to keep, when
/// the vault records none): one search per such note, in one request, only when some
/// exist.
fn reviewed_duplicates(
    client: &Client,
    snap: &Snapshot,
) -> Result<std::collections::BTreeSet<i64>, AnkiError> {
    let mut by_slug: std::collections::BTreeMap<&str, Vec<i64>> = Default::default();
    for n in snap.notes.values() {
        by_slug.entry(n.slug()).or_default().push(n.id);
    }
    let shared: Vec<i64> = by_slug
        .into_iter()
        .filter(|(slug, ids)| !slug.is_empty() && ids.len() > 1)
        .flat_map(|(_, ids)| ids)
        .collect();
    if shared.is_empty() {
        return Ok(Default::default());
    }
    let subs: Vec<(&str, Value)> = shared
        .iter()
        .map(|id| ("findCards", json!({ "query": format!("nid:{id} -is:new") })))
        .collect();
    let mut reviewed = std::collections::BTreeSet::new();
    for (id, r) in shared.iter().zip(client.multi(&subs)?) {
        let cards: Vec<i64> = sub_ok(r, "findCards")?;
        if !cards.is_empty() {
            reviewed.insert(*id);
        }
    }
    Ok(reviewed)
}

/// The notes of `deck` itself, not of its subdecks.
pub(super) fn deck_query(note_type: &str, deck: &str) -> String {
    format!("{} {}", query(note_type), in_deck(deck))
}

/// A search for `deck` itself, not its subdecks.
pub(super) fn in_deck(deck: &str) -> String {
    let d = deck
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('*', "\\*");
    format!("\"deck:{d}\" -\"deck:{d}::*\"")
}
