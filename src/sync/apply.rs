//! Running a sync: read Anki in two batched requests, plan, apply in chunks, write back.
//!
//! Request counts follow the measured costs of AnkiConnect (25 ms per request on the real
//! add-on): the whole snapshot is read with two `multi` requests whatever the vault size; a
//! sync with nothing to change makes no write request at all and touches no file; creations
//! go through `addNotes` in chunks after a `canAddNotes` pre-flight; updates, tag changes and
//! deck moves are grouped into one `multi` each.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Serialize;
use serde_json::{Value, json};

use super::notetype::{self, Found};
use super::plan::{self, Action, AnkiNote, Plan, Snapshot, Wanted};
use super::writeback::{self, Pushed};
use crate::anki::{Added, AnkiError, Client};
use crate::cards::preview::CARD_CSS;
use crate::cards::{Card, NoteCards};
use crate::config::AnkiConfig;
use crate::vault::note::Note;

/// What stops a sync before it changes anything (exit code 3).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Anki(#[from] AnkiError),
    #[error("{0}")]
    Incompatible(String),
}

/// Progress reports of a sync (the command line draws a bar when stderr is a terminal).
pub trait Progress: Sync {
    /// A phase starts with `total` steps.
    fn start(&self, phase: &str, total: usize);
    /// `n` steps of the current phase are done.
    fn advance(&self, n: usize);
    fn finish(&self);
}

/// No progress output.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: &str, _: usize) {}
    fn advance(&self, _: usize) {}
    fn finish(&self) {}
}

#[derive(Clone, Debug)]
pub struct Options {
    pub dry_run: bool,
    pub prune: bool,
    pub force: bool,
    /// The `synced_at` value written for pushed cards.
    pub synced_at: String,
    /// Whether the cards cover the whole vault (orphans are only known then).
    pub all: bool,
    /// Make Anki's note type decksmith's when it differs (a schema change in Anki).
    pub update_note_type: bool,
}

/// What a sync did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Outcome {
    pub plan: Plan,
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub failed: Vec<(String, String)>,
    pub pruned: usize,
    pub prune_refused: Option<String>,
    pub written: Vec<String>,
    pub write_refused: Vec<(String, String)>,
    pub skipped_notes: Vec<(String, String)>,
    /// Media references that name no file of the vault: (slug, reference).
    pub missing_media: Vec<(String, String)>,
    /// Media files stored in Anki by this run.
    pub media_stored: usize,
    /// Changes made to Anki's note type (planned ones in a dry run).
    pub note_type_changes: Vec<String>,
    /// Drift in the note type's templates or styling that was left alone.
    pub note_type_drift: Vec<String>,
    pub requests: usize,
}

fn query(note_type: &str) -> String {
    format!("\"note:{}\"", note_type.replace('"', "\\\""))
}

fn sub_ok<T: serde::de::DeserializeOwned>(
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
    note_type: Option<Found>,
    decks: Vec<String>,
    snapshot: Snapshot,
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
    ])?;
    let mut it = first.into_iter();
    let mut next = || it.next().unwrap_or_else(|| Err("missing reply".into()));
    let version: i64 = sub_ok(next(), "version")?;
    if version < 6 {
        return Err(SyncError::Incompatible(format!(
            "AnkiConnect speaks API version {version}; decksmith needs 6. Update the AnkiConnect add-on."
        )));
    }
    let fields: Option<Vec<String>> = match next() {
        Ok(Value::Array(a)) if !a.is_empty() => Some(
            a.into_iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
        ),
        _ => None,
    };
    let decks: Vec<String> = sub_ok(next(), "deckNames")?;
    let found_notes = next();
    // Older backends lack these two; drift in templates and styling is then not reported.
    let templates = next().ok().and_then(|v| serde_json::from_value(v).ok());
    let css = next()
        .ok()
        .and_then(|v| v.get("css").and_then(Value::as_str).map(str::to_string));
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
    Ok(Seen {
        note_type,
        decks,
        snapshot: snap,
    })
}

/// The notes of `deck` itself, not of its subdecks.
fn deck_query(note_type: &str, deck: &str) -> String {
    let d = deck
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('*', "\\*");
    format!("{} \"deck:{d}\" -\"deck:{d}::*\"", query(note_type))
}

/// The card ids of the notes grouped under each deck: one `multi` of `findCards`.
fn cards_of(
    client: &Client,
    notes: &BTreeMap<String, Vec<i64>>,
) -> Result<BTreeMap<String, Vec<i64>>, AnkiError> {
    let finds: Vec<(&str, Value)> = notes
        .values()
        .map(|ids| {
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            (
                "findCards",
                json!({ "query": format!("nid:{}", list.join(",")) }),
            )
        })
        .collect();
    let mut out = BTreeMap::new();
    for (deck, r) in notes.keys().zip(client.multi(&finds)?) {
        out.insert(deck.clone(), sub_ok::<Vec<i64>>(r, "findCards")?);
    }
    Ok(out)
}

/// Move cards into decks: one `multi` of `changeDeck`, none when nothing moves.
fn change_decks(client: &Client, moves: &BTreeMap<String, Vec<i64>>) -> Result<(), AnkiError> {
    let subs: Vec<(&str, Value)> = moves
        .iter()
        .filter(|(_, cards)| !cards.is_empty())
        .map(|(deck, cards)| ("changeDeck", json!({ "cards": cards, "deck": deck })))
        .collect();
    if !subs.is_empty() {
        client.multi(&subs)?;
    }
    Ok(())
}

/// Create decksmith's note type.
pub fn create_model(client: &Client, cfg: &AnkiConfig) -> Result<(), AnkiError> {
    client
        .raw(
            "createModel",
            json!({
                "modelName": cfg.note_type,
                "inOrderFields": plan::FIELDS,
                "css": CARD_CSS,
                "isCloze": false,
                "cardTemplates": [{
                    "Name": notetype::TEMPLATE,
                    "Front": notetype::FRONT,
                    "Back": notetype::BACK,
                }],
            }),
            0,
        )
        .map(|_| ())
}

/// Make the note type decksmith's (`sync --update-note-type`), and check that it is.
fn update_model(
    client: &Client,
    cfg: &AnkiConfig,
    drift: &notetype::Drift,
) -> Result<(), SyncError> {
    let subs = drift.requests(&cfg.note_type);
    if let Some(actions) = client.actions()? {
        let missing: Vec<&str> = subs
            .iter()
            .map(|(a, _)| *a)
            .filter(|a| !actions.iter().any(|x| x == a))
            .collect();
        if !missing.is_empty() {
            return Err(SyncError::Incompatible(format!(
                "AnkiConnect lacks the actions {missing:?} needed to change the note type; update the add-on"
            )));
        }
    }
    for (r, (action, _)) in client.multi(&subs)?.into_iter().zip(&subs) {
        if let Err(e) = r {
            return Err(SyncError::Incompatible(format!(
                "changing the note type `{}` failed ({action}: {e})",
                cfg.note_type
            )));
        }
    }
    let fields: Vec<String> =
        client.call("modelFieldNames", json!({ "modelName": cfg.note_type }), 0)?;
    if fields
        .iter()
        .take(plan::FIELDS.len())
        .ne(plan::FIELDS.iter())
    {
        return Err(SyncError::Incompatible(format!(
            "the note type `{}` still has the fields {fields:?} after the change",
            cfg.note_type
        )));
    }
    Ok(())
}

/// The `addNotes` entry of a card.
pub fn note_json(card: &Card, cfg: &AnkiConfig) -> Value {
    json!({
        "deckName": card.deck,
        "modelName": cfg.note_type,
        "fields": plan::fields(card),
        "tags": card.tags,
        "options": { "allowDuplicate": true },
    })
}

/// The stored `anki_id` of each slug in a note's `anki_cards`.
fn stored_ids(note: &Note) -> HashMap<String, i64> {
    note.json()
        .get("anki_cards")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|e| {
                    Some((
                        e.get("slug")?.as_str()?.to_string(),
                        e.get("anki_id")?.as_i64()?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What a sync pushes: the notes read from the vault at `root`, their cards and media.
pub struct Input<'a> {
    pub root: &'a Path,
    pub notes: &'a [Note],
    pub cards: &'a [NoteCards],
    pub media: &'a [super::media::MediaFile],
}

/// Sync the input's cards into Anki.
pub fn sync(
    client: &Client,
    cfg: &AnkiConfig,
    input: &Input<'_>,
    seen: Seen,
    opts: &Options,
    progress: &dyn Progress,
) -> Result<Outcome, SyncError> {
    let Input {
        root,
        notes,
        cards,
        media,
    } = *input;
    let mut out = Outcome::default();
    let by_path: HashMap<&str, &Note> = notes.iter().map(|n| (n.path.as_str(), n)).collect();
    let mut wanted: Vec<Wanted> = Vec::new();
    for nc in cards {
        if let Some(skip) = &nc.skipped {
            out.skipped_notes.push((nc.note.clone(), skip.to_string()));
            continue;
        }
        let stored = by_path
            .get(nc.note.as_str())
            .map(|n| stored_ids(n))
            .unwrap_or_default();
        for c in &nc.cards {
            wanted.push(Wanted {
                card: c.clone(),
                stored_id: stored.get(&c.slug).copied(),
            });
        }
    }
    // Two notes with one id claim the same slugs: pushing both would overwrite one card
    // with the other on every run. Neither is synced until the clash is fixed (NAM003).
    let mut claims: HashMap<&str, Vec<&str>> = HashMap::new();
    for w in &wanted {
        claims
            .entry(w.card.slug.as_str())
            .or_default()
            .push(w.card.note.as_str());
    }
    let clashing: std::collections::HashSet<String> = claims
        .iter()
        .filter(|(_, notes)| notes.len() > 1)
        .map(|(slug, _)| slug.to_string())
        .collect();
    let mut clash_reports: Vec<(String, String)> = claims
        .iter()
        .filter(|(_, notes)| notes.len() > 1)
        .map(|(slug, notes)| {
            (
                slug.to_string(),
                format!(
                    "the slug is claimed by {} (duplicate id; see NAM003)",
                    notes.join(" and ")
                ),
            )
        })
        .collect();
    clash_reports.sort();
    out.failed.extend(clash_reports);
    wanted.retain(|w| !clashing.contains(&w.card.slug));
    let Seen {
        note_type,
        decks,
        snapshot: snap,
    } = seen;
    let drift = note_type.as_ref().map(notetype::drift).unwrap_or_default();
    if !drift.compatible() && !opts.update_note_type {
        let fields = note_type
            .as_ref()
            .map(|n| n.fields.clone())
            .unwrap_or_default();
        return Err(SyncError::Incompatible(format!(
            "Anki has a note type `{}` with the fields {fields:?}; decksmith needs {:?} first, in that order. \
             decksmith changes a note type only when asked, because Anki then demands a one-way full sync: \
             rename that note type in Anki or set another `[anki] note-type` in decksmith.toml, or run \
             `decksmith sync --update-note-type` to change it.",
            cfg.note_type,
            plan::FIELDS
        )));
    }
    if opts.update_note_type {
        out.note_type_changes = drift.describe();
    } else {
        out.note_type_drift = drift.describe();
    }
    let managed = snap.notes.len();
    out.plan = plan::plan(&wanted, &snap, &decks, &cfg.keep_tags, opts.all);
    if opts.dry_run {
        out.requests = client.requests();
        return Ok(out);
    }
    if note_type.is_none() {
        create_model(client, cfg)?;
    } else if opts.update_note_type && !drift.is_empty() {
        update_model(client, cfg, &drift)?;
    }
    let plan = out.plan.clone();
    let needs_writes =
        plan.steps.iter().any(plan::Step::writes) || (opts.prune && !plan.orphans.is_empty());
    if needs_writes && let Some(actions) = client.actions()? {
        let needed = [
            "getDecks",
            "addNotes",
            "canAddNotes",
            "updateNoteFields",
            "addTags",
            "removeTags",
            "changeDeck",
            "createDeck",
            "findCards",
            "multi",
        ];
        let missing: Vec<&str> = needed
            .iter()
            .copied()
            .filter(|a| !actions.iter().any(|x| x == a))
            .collect();
        if !missing.is_empty() {
            return Err(SyncError::Incompatible(format!(
                "AnkiConnect lacks the actions {missing:?}; update the add-on"
            )));
        }
    }
    // Media first, so new and updated notes show their images at once: one request to list
    // what Anki has, one to store what it lacks.
    if !media.is_empty() {
        let have: Vec<String> =
            client.call("getMediaFilesNames", json!({ "pattern": "decksmith-*" }), 0)?;
        let subs: Vec<(&str, Value)> = media
            .iter()
            .filter(|m| !have.contains(&m.name))
            .map(|m| {
                let path = std::fs::canonicalize(&m.path).unwrap_or_else(|_| m.path.clone());
                (
                    "storeMediaFile",
                    json!({ "filename": m.name, "path": path.to_string_lossy() }),
                )
            })
            .collect();
        if !subs.is_empty() {
            for r in client.multi(&subs)? {
                match r {
                    Ok(_) => out.media_stored += 1,
                    Err(e) => out.failed.push(("media".into(), e)),
                }
            }
        }
    }
    if !plan.missing_decks.is_empty() {
        let subs: Vec<(&str, Value)> = plan
            .missing_decks
            .iter()
            .map(|d| ("createDeck", json!({ "deck": d })))
            .collect();
        client.multi(&subs)?;
    }
    let card_of: HashMap<&str, &Card> = wanted
        .iter()
        .map(|w| (w.card.slug.as_str(), &w.card))
        .collect();
    // Creations, in chunks.
    let mut new_ids: BTreeMap<String, i64> = BTreeMap::new();
    let to_create: Vec<&Card> = plan
        .steps
        .iter()
        .filter(|s| matches!(s.action, Action::Create | Action::Recreate { .. }))
        .filter_map(|s| card_of.get(s.slug.as_str()).copied())
        .collect();
    // Pre-flight every new note first, in one request: the backend's check grows with the
    // collection, so it is cheapest before anything is added. It decides on the first field,
    // the deck and the note type alone, so it is sent without the other fields (a body a
    // tenth the size; the add-on reads bodies in quadratic time).
    let probes: Vec<(&str, Value)> = to_create
        .chunks(cfg.chunk_size)
        .map(|chunk| {
            let notes: Vec<Value> = chunk
                .iter()
                .map(|c| {
                    json!({
                        "deckName": c.deck,
                        "modelName": cfg.note_type,
                        "fields": { "Front": c.front },
                        "options": { "allowDuplicate": true },
                    })
                })
                .collect();
            ("canAddNotes", json!({ "notes": notes }))
        })
        .collect();
    let verdicts: Vec<bool> = if probes.is_empty() {
        Vec::new()
    } else {
        let mut all = Vec::with_capacity(to_create.len());
        for r in client.multi(&probes)? {
            all.extend(sub_ok::<Vec<bool>>(r, "canAddNotes")?);
        }
        all
    };
    progress.start("creating notes", to_create.len());
    for (n, chunk) in to_create.chunks(cfg.chunk_size).enumerate() {
        progress.advance(chunk.len());
        let notes_json: Vec<Value> = chunk.iter().map(|c| note_json(c, cfg)).collect();
        let offset = n * cfg.chunk_size;
        let (good, bad): (Vec<usize>, Vec<usize>) =
            (0..chunk.len()).partition(|i| verdicts.get(offset + i).copied().unwrap_or(false));
        for i in bad {
            out.failed.push((
                chunk[i].slug.clone(),
                "Anki refuses the note (empty front or missing deck)".into(),
            ));
        }
        let batch: Vec<Value> = good.iter().map(|i| notes_json[*i].clone()).collect();
        if batch.is_empty() {
            continue;
        }
        let slots = match client.add_notes(&batch)? {
            Added::Slots(slots) => slots,
            // The whole chunk was rolled back: replay it note by note to name each failure.
            Added::Rejected(_) => vec![None; batch.len()],
        };
        let retry: Vec<usize> = (0..batch.len()).filter(|k| slots[*k].is_none()).collect();
        for (k, slot) in slots.iter().enumerate() {
            if let Some(id) = slot {
                new_ids.insert(chunk[good[k]].slug.clone(), *id);
            }
        }
        if !retry.is_empty() {
            let subs: Vec<(&str, Value)> = retry
                .iter()
                .map(|k| ("addNote", json!({ "note": batch[*k] })))
                .collect();
            for (k, r) in retry.iter().zip(client.multi(&subs)?) {
                let slug = chunk[good[*k]].slug.clone();
                match r.ok().and_then(|v| v.as_i64()) {
                    Some(id) => {
                        new_ids.insert(slug, id);
                    }
                    None => out.failed.push((slug, "Anki refused the note".into())),
                }
            }
        }
    }
    out.created = new_ids.keys().cloned().collect();
    // New notes may land outside their deck (the add-on on Anki 26 ignores `deckName`):
    // find where their cards are (`getDecks`) and move the misplaced ones.
    if !new_ids.is_empty() {
        let mut wanted_deck: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for (slug, id) in &new_ids {
            if let Some(c) = card_of.get(slug.as_str()) {
                wanted_deck.entry(c.deck.clone()).or_default().push(*id);
            }
        }
        let mut want_of_card: HashMap<i64, String> = HashMap::new();
        for (deck, cids) in cards_of(client, &wanted_deck)? {
            for cid in cids {
                want_of_card.insert(cid, deck.clone());
            }
        }
        let cids: Vec<i64> = want_of_card.keys().copied().collect();
        let actual: BTreeMap<String, Vec<i64>> =
            client.call("getDecks", json!({ "cards": cids }), cids.len())?;
        let mut misplaced: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for (deck, cards) in &actual {
            for cid in cards {
                if let Some(want) = want_of_card.get(cid)
                    && want != deck
                {
                    misplaced.entry(want.clone()).or_default().push(*cid);
                }
            }
        }
        change_decks(client, &misplaced)?;
    }
    // Field updates.
    let updates: Vec<(i64, &Card)> = plan
        .steps
        .iter()
        .filter_map(|s| match s.action {
            Action::UpdateFields { id, .. } => Some((id, *card_of.get(s.slug.as_str())?)),
            _ => None,
        })
        .collect();
    for chunk in updates.chunks(cfg.chunk_size) {
        let subs: Vec<(&str, Value)> = chunk
            .iter()
            .map(|(id, c)| {
                (
                    "updateNoteFields",
                    json!({ "note": { "id": id, "fields": plan::fields(c) } }),
                )
            })
            .collect();
        for ((_, c), r) in chunk.iter().zip(client.multi(&subs)?) {
            match r {
                Ok(_) => out.updated.push(c.slug.clone()),
                Err(e) => out.failed.push((c.slug.clone(), e)),
            }
        }
    }
    // Tags and decks of existing notes, grouped.
    let mut add: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    let mut remove: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    let mut moves: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for s in &plan.steps {
        let (Some(id), Some(card)) = (s.existing_id(), card_of.get(s.slug.as_str())) else {
            continue;
        };
        for t in &s.add_tags {
            add.entry(t.as_str()).or_default().push(id);
        }
        for t in &s.remove_tags {
            remove.entry(t.as_str()).or_default().push(id);
        }
        if s.move_deck {
            moves.entry(card.deck.clone()).or_default().push(id);
        }
    }
    let mut subs: Vec<(&str, Value)> = Vec::new();
    subs.extend(
        add.iter()
            .map(|(t, n)| ("addTags", json!({ "notes": n, "tags": t }))),
    );
    subs.extend(
        remove
            .iter()
            .map(|(t, n)| ("removeTags", json!({ "notes": n, "tags": t }))),
    );
    if !subs.is_empty() {
        client.multi(&subs)?;
    }
    if !moves.is_empty() {
        change_decks(client, &cards_of(client, &moves)?)?;
    }
    // Orphans: reported; deleted only on request, within the configured share.
    if opts.prune && opts.all && !plan.orphans.is_empty() {
        let share = plan.orphans.len() as f64 / managed.max(1) as f64;
        if (wanted.is_empty() || share > cfg.prune_limit) && !opts.force {
            out.prune_refused = Some(format!(
                "refusing to delete {} of {managed} decksmith notes ({:.0}% > {:.0}%){}; re-run with --force if that is intended",
                plan.orphans.len(),
                share * 100.0,
                cfg.prune_limit * 100.0,
                if wanted.is_empty() {
                    ", and the vault gave no cards"
                } else {
                    ""
                }
            ));
        } else {
            let ids: Vec<i64> = plan.orphans.iter().map(|(id, _)| *id).collect();
            client.delete_notes(&ids)?;
            out.pruned = ids.len();
        }
    }
    // Write-back: `anki_id` and `synced_at` of every card something was pushed for.
    let mut pushed: BTreeMap<&str, Vec<Pushed>> = BTreeMap::new();
    for s in &plan.steps {
        let Some(card) = card_of.get(s.slug.as_str()) else {
            continue;
        };
        let id = match s.action {
            Action::Create | Action::Recreate { .. } => new_ids.get(&s.slug).copied(),
            Action::UpdateFields { id, .. } => out.updated.contains(&s.slug).then_some(id),
            Action::Unchanged { id } => {
                let stored = by_path
                    .get(card.note.as_str())
                    .and_then(|n| stored_ids(n).get(&s.slug).copied());
                (s.writes() || stored != Some(id)).then_some(id)
            }
        };
        if let Some(id) = id {
            pushed.entry(card.note.as_str()).or_default().push(Pushed {
                slug: card.slug.clone(),
                language: card.lang.clone(),
                anki_id: id,
                synced_at: opts.synced_at.clone(),
            });
        }
    }
    // Files are independent: edit, verify and write them in parallel, report in path order.
    use rayon::prelude::*;
    progress.start("writing notes", pushed.len());
    let results: Vec<(&str, Result<bool, String>)> = pushed
        .par_iter()
        .filter_map(|(path, list)| {
            let note = by_path.get(path)?;
            let result = match writeback::edit(&note.text, list) {
                Ok(None) => Ok(false),
                Ok(Some(new)) => {
                    writeback::write_atomic(&root.join(path), note.text.as_bytes(), &new)
                        .map(|()| true)
                        .map_err(|e| e.to_string())
                }
                Err(e) => Err(e.to_string()),
            };
            progress.advance(1);
            Some((*path, result))
        })
        .collect();
    progress.finish();
    for (path, result) in results {
        match result {
            Ok(true) => out.written.push(path.to_string()),
            Ok(false) => {}
            Err(e) => out.write_refused.push((path.to_string(), e)),
        }
    }
    out.requests = client.requests();
    Ok(out)
}
