//! What Anki holds for decksmith, read before anything is planned.
//!
//! Two `multi` requests whatever the vault size (reads are cheap, requests are not: 25 ms
//! each on the real add-on). The first asks for the version, the note type, the decks, the
//! actions the backend implements, decksmith's media, its notes and those edited since the
//! last complete run; none of it depends on the vault, so the command line sends it while
//! it reads the vault. The second, only when there are notes, asks where their cards are
//! and reads the fields and tags of the notes the push state cannot vouch for
//! ([`super::state`]): after a sync some days ago, a run that changes nothing reads none.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde_json::{Value, json};

use super::apply::SyncError;
use super::notetype::Found;
use super::plan::{AnkiNote, Snapshot};
use super::state::{Known, tag_key};
use crate::anki::{AnkiError, Client, action};
use crate::cards::model::{Models, SLUG_FIELD};

/// The search for decksmith's notes of one note type: all of them for one decksmith owns,
/// those with a Slug for one of the user's.
fn model_query(name: &str, owned: bool) -> String {
    let note = format!("\"note:{}\"", name.replace('"', "\\\""));
    if owned {
        note
    } else {
        format!("({note} \"{SLUG_FIELD}:_*\")")
    }
}

/// The search for every note of decksmith's, whatever its note type ([`Models::searched`]).
pub(super) fn query(models: &Models) -> String {
    let each: Vec<String> = models
        .searched()
        .into_iter()
        .map(|(name, owned)| model_query(name, owned))
        .collect();
    match each.as_slice() {
        [one] => one.clone(),
        _ => format!("({})", each.join(" OR ")),
    }
}

pub(super) fn sub_ok<T: serde::de::DeserializeOwned>(
    r: Result<Value, String>,
    action: action::Action,
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

/// What the first request tells about Anki ([`read_anki`]).
pub struct FirstRead {
    /// The note types in use that exist in Anki, by name.
    note_types: BTreeMap<String, Found>,
    actions: Option<Vec<String>>,
    media: Option<Vec<String>>,
    decks: Vec<String>,
    /// Every note of decksmith's, with its note type.
    ids: Vec<i64>,
    model_of: HashMap<i64, String>,
    /// The notes edited in Anki within the window asked for, when one was.
    edited: Option<HashSet<i64>>,
}

impl FirstRead {
    /// The notes Anki reports edited within the window; `None` when every note is read.
    pub fn edited(&self) -> Option<&HashSet<i64>> {
        self.edited.as_ref()
    }

    /// Of the notes the push state knows, those this run takes on trust: all of them, unless
    /// one is gone from Anki (deleted by the user, or the collection was replaced by an
    /// older one, a backup restored: then nothing is taken on trust and every note is read).
    pub fn trusted(&self, known: HashMap<i64, Known>) -> HashMap<i64, Known> {
        let present: HashSet<i64> = self.ids.iter().copied().collect();
        if known.keys().all(|id| present.contains(id)) {
            known
        } else {
            HashMap::new()
        }
    }
}

/// What the reads tell about Anki ([`read_anki`], [`read_unknown`], then the run's last read).
pub struct Seen {
    /// The note types in use that exist in Anki, by name.
    pub(super) note_types: BTreeMap<String, Found>,
    /// The actions the backend implements, when it can say (`apiReflect`).
    pub(super) actions: Option<Vec<String>>,
    /// decksmith's media files in Anki, when the backend could list them.
    pub(super) media: Option<Vec<String>>,
    pub(super) decks: Vec<String>,
    pub(super) snapshot: Snapshot,
    /// How many notes were read in full (the others were known from the push state).
    pub read: usize,
}

/// The first request: everything that does not depend on the vault, so the command line
/// runs it while the vault is read. `window` asks for the notes edited in the last that
/// many days too ([`super::state::PushState::window`]).
pub fn read_anki(
    client: &Client,
    models: &Models,
    window: Option<u32>,
) -> Result<FirstRead, SyncError> {
    let in_use: Vec<&str> = models.iter().map(|m| m.name.as_str()).collect();
    let searched = models.searched();
    let mut subs = vec![
        (action::VERSION, json!({})),
        (action::DECK_NAMES, json!({})),
        (
            action::API_REFLECT,
            json!({ "scopes": ["actions"], "actions": null }),
        ),
        (
            action::GET_MEDIA_FILES_NAMES,
            json!({ "pattern": format!("{}*", super::media::PREFIX) }),
        ),
    ];
    for name in &in_use {
        subs.extend([
            (action::MODEL_FIELD_NAMES, json!({ "modelName": name })),
            (action::MODEL_TEMPLATES, json!({ "modelName": name })),
            (action::MODEL_STYLING, json!({ "modelName": name })),
        ]);
    }
    for (name, owned) in &searched {
        subs.push((
            action::FIND_NOTES,
            json!({ "query": model_query(name, *owned) }),
        ));
    }
    if let Some(days) = window {
        subs.push((
            action::FIND_NOTES,
            json!({ "query": format!("{} edited:{days}", query(models)) }),
        ));
    }
    let first = client.multi(&subs)?;
    let mut it = first.into_iter();
    let mut next = || it.next().unwrap_or_else(|| Err("missing reply".into()));
    let version: i64 = sub_ok(next(), action::VERSION)?;
    if version < 6 {
        return Err(SyncError::Incompatible(format!(
            "AnkiConnect speaks API version {version}; decksmith needs 6. Update the AnkiConnect add-on."
        )));
    }
    let decks: Vec<String> = sub_ok(next(), action::DECK_NAMES)?;
    let actions = next().ok().and_then(|v| {
        v.get("actions")?.as_array().map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
    });
    let media = next().ok().and_then(|v| serde_json::from_value(v).ok());
    let mut note_types = BTreeMap::new();
    for name in &in_use {
        let fields = crate::anki::model_fields(next()).map_err(|message| AnkiError::Action {
            action: action::MODEL_FIELD_NAMES.to_string(),
            message,
        })?;
        // Older backends lack these two; drift in templates and styling is then not reported.
        let templates = next().ok().and_then(|v| serde_json::from_value(v).ok());
        let css = next()
            .ok()
            .and_then(|v| v.get("css").and_then(Value::as_str).map(str::to_string));
        if let Some(fields) = fields {
            note_types.insert(
                name.to_string(),
                Found {
                    fields,
                    templates,
                    css,
                },
            );
        }
    }
    let mut ids = Vec::new();
    let mut model_of = HashMap::new();
    for (name, _) in &searched {
        let reply = next();
        // A note type in use that does not exist has no notes (some backends say so as an
        // error); any other failure stops the run, or its notes would be created again.
        let absent = in_use.contains(name) && !note_types.contains_key(*name);
        if absent {
            continue;
        }
        for id in sub_ok::<Vec<i64>>(reply, action::FIND_NOTES)? {
            if model_of.insert(id, name.to_string()).is_none() {
                ids.push(id);
            }
        }
    }
    ids.sort_unstable();
    // A backend that cannot search by edit date has every note read.
    let edited = match window {
        Some(_) => next()
            .ok()
            .and_then(|v| serde_json::from_value::<HashSet<i64>>(v).ok()),
        None => None,
    };
    Ok(FirstRead {
        note_types,
        actions,
        media,
        decks,
        ids,
        model_of,
        edited,
    })
}

/// Of the notes the push state knows, those that need not be read: each carries the slug of
/// a vault card whose fields and tags are exactly the record. Any other note (its card
/// changed, it has none, it is recorded for a card of another slug) is read, so the plan
/// sees its real fields.
pub(super) fn skippable(partial: &Partial, wanted: &[super::plan::Wanted]) -> HashMap<i64, Known> {
    let model_of = &partial.first.model_of;
    let by_slug: HashMap<String, &super::plan::Wanted> = wanted
        .iter()
        .map(|w| (super::plan::slug_field(&w.card.slug), w))
        .collect();
    partial
        .known
        .iter()
        .filter(|(id, k)| {
            by_slug.get(&k.slug).is_some_and(|w| {
                model_of.get(*id) == Some(&w.card.note_type)
                    && w.fields_hash == k.record.hash
                    && w.card
                        .tags
                        .iter()
                        .map(|t| tag_key(t))
                        .collect::<BTreeSet<_>>()
                        == k.record.tags
            })
        })
        .map(|(id, k)| (*id, k.clone()))
        .collect()
}

/// What the second request read ([`read_unknown`]).
pub struct Partial {
    first: FirstRead,
    snap: Snapshot,
    /// The notes known from the push state, not read (all of them read when one of them is
    /// gone from Anki: the collection may have been replaced by an older one).
    known: HashMap<i64, Known>,
    /// The deck of each note's card.
    decks_of: HashMap<i64, String>,
}

impl Partial {
    /// The notes known from the push state that were not read.
    pub fn known(&self) -> &HashMap<i64, Known> {
        &self.known
    }
}

/// The second request, which does not depend on the vault either (the command line sends
/// it while the vault's cards are rendered): the fields and tags of every note the push
/// state does not know (`known`), and, with one search per deck, where every note's card
/// is (`cardsInfo` would say too, but renders every card and costs 30× more).
pub fn read_unknown(
    client: &Client,
    first: FirstRead,
    known: HashMap<i64, Known>,
    models: &Models,
) -> Result<Partial, SyncError> {
    let all = query(models);
    let mut snap = Snapshot::default();
    let known = first.trusted(known);
    let mut decks_of = HashMap::new();
    if first.ids.is_empty() {
        return Ok(Partial {
            first,
            snap,
            known,
            decks_of,
        });
    }
    let to_read: Vec<i64> = first
        .ids
        .iter()
        .copied()
        .filter(|id| !known.contains_key(id))
        .collect();
    let mut subs: Vec<(action::Action, Value)> = Vec::new();
    if !to_read.is_empty() {
        subs.push((action::NOTES_INFO, json!({ "notes": to_read })));
    }
    for d in &first.decks {
        subs.push((action::FIND_NOTES, json!({ "query": deck_query(&all, d) })));
    }
    let mut it = client.multi(&subs)?.into_iter();
    if !to_read.is_empty() {
        read_infos(it.next(), &first.model_of, &mut snap)?;
    }
    for (d, r) in first.decks.iter().zip(it) {
        let ids: Vec<i64> = sub_ok(r, action::FIND_NOTES)?;
        for id in ids {
            decks_of.insert(id, d.clone());
        }
    }
    Ok(Partial {
        first,
        snap,
        known,
        decks_of,
    })
}

fn read_infos(
    reply: Option<Result<Value, String>>,
    model_of: &HashMap<i64, String>,
    snap: &mut Snapshot,
) -> Result<(), SyncError> {
    let infos: Vec<Value> = sub_ok(
        reply.unwrap_or_else(|| Err("missing reply".into())),
        action::NOTES_INFO,
    )?;
    for info in infos
        .into_iter()
        .filter(|v| v.as_object().is_some_and(|o| !o.is_empty()))
    {
        if let Some(mut note) = note_of(&info) {
            if let Some(model) = model_of.get(&note.id) {
                note.model.clone_from(model);
            }
            snap.notes.insert(note.id, note);
        }
    }
    Ok(())
}

/// Complete the snapshot: the known notes the vault's cards still agree with (`skip`) are
/// taken from the push state; the others are read now (a third request, only when a card
/// changed in the vault). A fourth, only when notes share a slug, asks which of them have
/// reviews.
pub(super) fn finish(
    client: &Client,
    partial: Partial,
    skip: &HashMap<i64, Known>,
) -> Result<Seen, SyncError> {
    let Partial {
        first,
        mut snap,
        known,
        decks_of,
    } = partial;
    let mut read = first.ids.len() - known.len();
    let late: Vec<i64> = known
        .keys()
        .filter(|id| !skip.contains_key(id))
        .copied()
        .collect();
    if !late.is_empty() {
        let reply = client.multi(&[(action::NOTES_INFO, json!({ "notes": late }))])?;
        read_infos(reply.into_iter().next(), &first.model_of, &mut snap)?;
        read += late.len();
    }
    for (id, k) in skip {
        snap.notes.insert(
            *id,
            AnkiNote {
                id: *id,
                fields: BTreeMap::from([(SLUG_FIELD.to_string(), k.slug.clone())]),
                tags: k.record.tags.iter().cloned().collect(),
                deck: None,
                unread: Some(k.record.hash.clone()),
                model: first.model_of.get(id).cloned().unwrap_or_default(),
            },
        );
    }
    for (id, note) in &mut snap.notes {
        note.deck = decks_of.get(id).cloned();
    }
    snap.reviewed = reviewed_duplicates(client, &snap)?;
    let FirstRead {
        note_types,
        actions,
        media,
        decks,
        ..
    } = first;
    Ok(Seen {
        note_types,
        actions,
        media,
        decks,
        snapshot: snap,
        read,
    })
}

/// One note of a `notesInfo` reply.
fn note_of(info: &Value) -> Option<AnkiNote> {
    let id = info.get("noteId").and_then(Value::as_i64)?;
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
    let model = info
        .get("modelName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    Some(AnkiNote {
        id,
        fields,
        tags,
        deck: None,
        unread: None,
        model,
    })
}

/// Among the notes that share a slug, those with review history (the duplicate to keep, when
/// the vault records none): one search per such note, in one request, only when some
/// exist.
fn reviewed_duplicates(
    client: &Client,
    snap: &Snapshot,
) -> Result<std::collections::BTreeSet<i64>, AnkiError> {
    let mut by_slug: std::collections::BTreeMap<(&str, &str), Vec<i64>> = Default::default();
    for n in snap.notes.values() {
        by_slug
            .entry((n.model.as_str(), n.slug()))
            .or_default()
            .push(n.id);
    }
    let shared: Vec<i64> = by_slug
        .into_iter()
        .filter(|((_, slug), ids)| !slug.is_empty() && ids.len() > 1)
        .flat_map(|(_, ids)| ids)
        .collect();
    if shared.is_empty() {
        return Ok(Default::default());
    }
    let subs: Vec<(action::Action, Value)> = shared
        .iter()
        .map(|id| {
            (
                action::FIND_CARDS,
                json!({ "query": format!("nid:{id} -is:new") }),
            )
        })
        .collect();
    let mut reviewed = std::collections::BTreeSet::new();
    for (id, r) in shared.iter().zip(client.multi(&subs)?) {
        let cards: Vec<i64> = sub_ok(r, action::FIND_CARDS)?;
        if !cards.is_empty() {
            reviewed.insert(*id);
        }
    }
    Ok(reviewed)
}

/// The notes of a search (`all`, [`query`]) in `deck` itself, not in its subdecks.
pub(super) fn deck_query(all: &str, deck: &str) -> String {
    format!("{all} {}", in_deck(deck))
}

/// A search for `deck` itself, not its subdecks.
pub(super) fn in_deck(deck: &str) -> String {
    let d = deck
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('*', "\\*");
    format!("\"deck:{d}\" -\"deck:{d}::*\"")
}
