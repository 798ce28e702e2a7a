//! Running a sync: plan against what Anki holds ([`read_anki`]), apply in chunks and
//! batches, write back.
//!
//! Request counts follow the measured costs of AnkiConnect (25 ms per request on the real
//! add-on): a sync with nothing to change makes no write request at all and touches no
//! file; the note type and missing decks are created in one request; creations go through
//! `addNotes` in chunks after a `canAddNotes` pre-flight; updates, tag changes and deck moves
//! are grouped into one `multi` each. The notes of each chunk are written back by another
//! thread while Anki adds the next one. Once notes were added, a failure stops the run but
//! not its bookkeeping: what was added is still written back.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Serialize;
use serde_json::{Value, json};

use super::notetype;
use super::plan::{self, Action, Plan, Wanted};
use super::preflight::preflight;
pub use super::snapshot::{FirstRead, Partial, Seen, read_anki, read_unknown};
use super::snapshot::{finish, in_deck, skippable, sub_ok};
use super::writeback::{self, Pushed};
use crate::anki::{Added, AnkiError, Client, action};
use crate::cards::model::{Models, NoteModel, SLUG_FIELD};
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
    /// Replace notes edited in Anki since decksmith last pushed them.
    pub overwrite: bool,
    /// Delete the extra Anki notes of a slug several notes carry.
    pub dedupe: bool,
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
    /// Extra notes of duplicated slugs deleted by `--dedupe`.
    pub deduped: usize,
    pub dedupe_refused: Option<String>,
    pub written: Vec<String>,
    pub write_refused: Vec<(String, String)>,
    pub skipped_notes: Vec<(String, String)>,
    /// Media references that name no file of the vault: (slug, reference).
    pub missing_media: Vec<(String, String)>,
    /// Media files stored in Anki by this run.
    pub media_stored: usize,
    /// Why the run stopped part-way, after changing Anki: what was done is reported and
    /// written back, and the next run does the rest.
    pub stopped: Option<String>,
    /// Changes made to Anki's note type (planned ones in a dry run).
    pub note_type_changes: Vec<String>,
    /// Drift in the note type's templates or styling that was left alone.
    pub note_type_drift: Vec<String>,
    /// The AnkiWeb sync after the push, when one was asked for ([`super::ankiweb`]).
    pub anki_web: Option<super::ankiweb::AnkiWeb>,
    pub requests: usize,
    /// How many notes were read from Anki in full; the others were known from the push
    /// state ([`super::state`]).
    pub notes_read: usize,
    /// What Anki holds now for each note this run created, updated or found equal to the
    /// vault (its fields' hash and decksmith's tags), and the notes no longer in Anki
    /// (deleted there or by `--prune` or `--dedupe`): for the push state.
    #[serde(skip)]
    pub state: Vec<(i64, super::state::PushRecord)>,
    /// The notes whose fields are now exactly their record, with their Slug field: the next
    /// run need not read them while Anki reports no edit.
    #[serde(skip)]
    pub exact: BTreeMap<i64, String>,
    /// Every request went through and every tag change was made: the records are exact.
    #[serde(skip)]
    pub complete: bool,
    #[serde(skip)]
    pub deleted: Vec<i64>,
}

/// The card ids of the notes grouped under each deck: one `multi` of `findCards`.
fn cards_of(
    client: &Client,
    notes: &BTreeMap<String, Vec<i64>>,
) -> Result<BTreeMap<String, Vec<i64>>, AnkiError> {
    let finds: Vec<(action::Action, Value)> = notes
        .values()
        .map(|ids| {
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            (
                action::FIND_CARDS,
                json!({ "query": format!("nid:{}", list.join(",")) }),
            )
        })
        .collect();
    let mut out = BTreeMap::new();
    for (deck, r) in notes.keys().zip(client.multi(&finds)?) {
        out.insert(deck.clone(), sub_ok::<Vec<i64>>(r, action::FIND_CARDS)?);
    }
    Ok(out)
}

/// Move cards into decks: one `multi` of `changeDeck`, none when nothing moves. A move Anki
/// refuses is reported in `failed`.
fn change_decks(
    client: &Client,
    moves: &BTreeMap<String, Vec<i64>>,
    failed: &mut Vec<(String, String)>,
) -> Result<(), AnkiError> {
    let moves: Vec<(&String, &Vec<i64>)> = moves.iter().filter(|(_, c)| !c.is_empty()).collect();
    let subs: Vec<(action::Action, Value)> = moves
        .iter()
        .map(|(deck, cards)| (action::CHANGE_DECK, json!({ "cards": cards, "deck": deck })))
        .collect();
    if !subs.is_empty() {
        for ((deck, cards), r) in moves.iter().zip(client.multi(&subs)?) {
            if let Err(e) = r {
                failed.push((
                    format!("deck {deck}"),
                    format!("moving {} cards into it failed: {e}", cards.len()),
                ));
            }
        }
    }
    Ok(())
}

/// Create a note model's note type in Anki.
pub fn create_model(client: &Client, model: &NoteModel) -> Result<(), AnkiError> {
    client
        .raw(action::CREATE_MODEL, model_params(model), 0)
        .map(|_| ())
}

/// The `createModel` parameters of a note model.
fn model_params(model: &NoteModel) -> Value {
    let templates: Vec<Value> = model
        .templates
        .iter()
        .map(|t| json!({ "Name": t.name, "Front": t.front, "Back": t.back }))
        .collect();
    json!({
        "modelName": model.name,
        "inOrderFields": model.fields,
        "css": model.css,
        "isCloze": model.cloze,
        "cardTemplates": templates,
    })
}

/// Refuse a backend that says it lacks one of `needed` (checked before any write; a backend
/// that cannot say is trusted).
fn require(
    actions: Option<&[String]>,
    needed: impl IntoIterator<Item = action::Action>,
) -> Result<(), SyncError> {
    let Some(actions) = actions else {
        return Ok(());
    };
    let missing: Vec<&str> = needed
        .into_iter()
        .map(|a| a.name)
        .filter(|a| !actions.iter().any(|x| x == a))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(SyncError::Incompatible(format!(
            "AnkiConnect lacks the actions {missing:?}; update the add-on"
        )))
    }
}

/// Make the note type decksmith's (`sync --update-note-type`), and check that it is.
fn update_model(
    client: &Client,
    model: &NoteModel,
    found: &[String],
    actions: Option<&[String]>,
    drift: &notetype::Drift,
) -> Result<(), SyncError> {
    let subs = drift.requests(model, found);
    require(actions, subs.iter().map(|(a, _)| *a))?;
    for (r, (action, _)) in client.multi(&subs)?.into_iter().zip(&subs) {
        if let Err(e) = r {
            return Err(SyncError::Incompatible(format!(
                "changing the note type `{}` failed ({action}: {e})",
                model.name
            )));
        }
    }
    let fields: Vec<String> = client.call(
        action::MODEL_FIELD_NAMES,
        json!({ "modelName": model.name }),
        0,
    )?;
    let placed = if model.owned {
        fields
            .iter()
            .take(model.fields.len())
            .eq(model.fields.iter())
    } else {
        model.fields.iter().all(|f| fields.contains(f))
    };
    if !placed {
        return Err(SyncError::Incompatible(format!(
            "the note type `{}` still has the fields {fields:?} after the change",
            model.name
        )));
    }
    Ok(())
}

/// The `addNotes` entry of a card (null for a card of no configured note type, which the
/// pre-flight refuses).
pub fn note_json(card: &Card, models: &Models) -> Value {
    let Some(model) = models.get(&card.note_type) else {
        return Value::Null;
    };
    json!({
        "deckName": card.deck,
        "modelName": model.name,
        "fields": model.values(card),
        "tags": card.tags,
        "options": { "allowDuplicate": true },
    })
}

/// What a sync pushes: the notes read from the vault at `root`, their cards and media.
pub struct Input<'a> {
    pub root: &'a Path,
    pub notes: &'a [Note],
    pub cards: &'a [NoteCards],
    pub media: &'a [super::media::MediaFile],
    /// The note types the cards go to.
    pub models: &'a Models,
    /// What decksmith last pushed to each Anki note ([`super::state`]).
    pub pushed: &'a HashMap<i64, super::state::PushRecord>,
    /// Cards kept from an earlier run instead of rendered ([`super::reuse`]): slug → the
    /// hash of their fields.
    pub kept: HashMap<String, String>,
    /// Render the note at a path, for a kept card whose plan needs its fields after all (it
    /// shares its slug with another Anki note).
    pub render: &'a (dyn Fn(&str) -> Option<NoteCards> + Sync),
}

/// Sync the input's cards into Anki.
pub fn sync(
    client: &Client,
    cfg: &AnkiConfig,
    input: Input<'_>,
    anki: Partial,
    opts: &Options,
    progress: &dyn Progress,
) -> Result<Outcome, SyncError> {
    let Input {
        root,
        notes,
        cards,
        media,
        models,
        pushed,
        kept,
        render,
    } = input;
    let mut out = Outcome::default();
    let by_path: HashMap<&str, &Note> = notes.iter().map(|n| (n.path.as_str(), n)).collect();
    let side = plan::vault_side(&by_path, cards, &kept, models);
    out.skipped_notes = side.skipped;
    out.failed = side.failed;
    let mut wanted = side.wanted;
    // Notes known exactly whose card is unchanged are not read again.
    let skip = skippable(&anki, &wanted);
    let seen = finish(client, anki, &skip)?;
    let Seen {
        note_types,
        actions,
        media: media_in_anki,
        decks,
        snapshot: mut snap,
        read,
    } = seen;
    out.notes_read = read;
    snap.pushed = pushed.clone();
    // Notes gone from Anki need no record (ids are never reused).
    out.deleted = pushed
        .keys()
        .filter(|id| !snap.notes.contains_key(id))
        .copied()
        .collect();
    let needed = needed_models(models, &wanted);
    let drifts = note_type_drifts(&needed, &note_types, opts, &mut out)?;
    let managed = snap.notes.len();
    out.plan = plan_cards(models, &mut wanted, &snap, &decks, cfg, opts, render)?;
    plan::finish(&mut out.plan, &by_path, cards);
    if opts.dry_run {
        out.requests = client.requests();
        return Ok(out);
    }
    let plan = out.plan.clone();
    let needs_writes = plan.steps.iter().any(plan::Step::writes)
        || (opts.prune && !plan.orphans.is_empty())
        || (opts.dedupe && !plan.duplicates.is_empty());
    if needs_writes {
        require(actions.as_deref(), action::SYNC_WRITES.iter().copied())?;
    }
    set_up(
        client,
        &drifts,
        &note_types,
        actions.as_deref(),
        opts,
        &plan.missing_decks,
        needs_writes,
    )?;
    if needs_writes {
        check_cloze_types(client, models, &plan, &wanted)?;
    }
    // Media first, so new and updated notes show their images at once.
    store_media(client, media, media_in_anki, &mut out)?;
    let card_of: HashMap<&str, &Card> = wanted
        .iter()
        .map(|w| (w.card.slug.as_str(), &w.card))
        .collect();
    let wanted_of: HashMap<&str, &Wanted> =
        wanted.iter().map(|w| (w.card.slug.as_str(), w)).collect();
    let stored_of: HashMap<&str, i64> = wanted
        .iter()
        .filter_map(|w| Some((w.card.slug.as_str(), w.stored_id?)))
        .collect();
    let ctx = Ctx {
        client,
        models,
        root,
        cfg,
        opts,
        plan: &plan,
        card_of: &card_of,
        wanted_of: &wanted_of,
        stored_of: &stored_of,
        managed,
        pushed,
        progress,
    };
    push_and_write_back(&ctx, &mut out, &by_path)?;
    out.requests = client.requests();
    Ok(out)
}

/// The models the run's cards go to, by name.
fn needed_models<'m>(models: &'m Models, wanted: &[Wanted]) -> Vec<&'m NoteModel> {
    let names: std::collections::BTreeSet<&str> =
        wanted.iter().map(|w| w.card.note_type.as_str()).collect();
    names.into_iter().filter_map(|n| models.get(n)).collect()
}

/// How far each needed note type in Anki drifted from its model: an incompatible one stops
/// the run unless `--update-note-type` can repair it; other drift is reported. A note type
/// of the user's must exist: decksmith creates only its own.
fn note_type_drifts<'m>(
    needed: &[&'m NoteModel],
    found: &BTreeMap<String, notetype::Found>,
    opts: &Options,
    out: &mut Outcome,
) -> Result<Vec<(&'m NoteModel, notetype::Drift)>, SyncError> {
    let mut drifts = Vec::new();
    for model in needed {
        let found = found.get(&model.name);
        if found.is_none() && !model.owned {
            return Err(SyncError::Incompatible(format!(
                "Anki has no note type `{}`, which `[kinds.cards] note-type` names; decksmith creates only its own note types: create it in Anki, or leave out `note-type` and `fields`",
                model.name
            )));
        }
        let drift = note_type_drift(found, model, opts, needed.len() > 1, out)?;
        drifts.push((*model, drift));
    }
    Ok(drifts)
}

/// How far Anki's note type drifted from the model (`named`: reports name the note type).
fn note_type_drift(
    found: Option<&notetype::Found>,
    model: &NoteModel,
    opts: &Options,
    named: bool,
    out: &mut Outcome,
) -> Result<notetype::Drift, SyncError> {
    let drift = found
        .map(|found| notetype::drift(found, model))
        .unwrap_or_default();
    if let Some(why) = drift.beyond_repair(model) {
        return Err(SyncError::Incompatible(why));
    }
    if !drift.compatible() && !model.owned && !opts.update_note_type {
        return Err(SyncError::Incompatible(format!(
            "the note type `{}` has no field `{SLUG_FIELD}`, where decksmith keeps each card's identity; \
             run `decksmith sync --update-note-type` to add it (Anki then demands a one-way full sync)",
            model.name
        )));
    }
    if !drift.compatible() && !opts.update_note_type {
        let fields = found.map(|n| n.fields.clone()).unwrap_or_default();
        return Err(SyncError::Incompatible(format!(
            "Anki has a note type `{}` with the fields {fields:?}; decksmith needs {:?} first, in that order. \
             decksmith changes a note type only when asked, because Anki then demands a one-way full sync: \
             rename that note type in Anki or set another `[anki] note-type` in decksmith.toml, or run \
             `decksmith sync --update-note-type` to change it.",
            model.name, model.fields
        )));
    }
    let lines = drift.describe(model).into_iter().map(|l| {
        if named {
            format!("{}: {l}", model.name)
        } else {
            l
        }
    });
    if opts.update_note_type {
        out.note_type_changes.extend(lines);
    } else {
        out.note_type_drift.extend(lines);
    }
    Ok(drift)
}

/// The plan of the cards; kept cards whose plan needs their fields are rendered first and
/// the plan made again. A card without its fields is never pushed: were one still needed,
/// nothing is sent.
fn plan_cards(
    models: &Models,
    wanted: &mut [Wanted],
    snap: &plan::Snapshot,
    decks: &[String],
    cfg: &AnkiConfig,
    opts: &Options,
    render: &(dyn Fn(&str) -> Option<NoteCards> + Sync),
) -> Result<Plan, SyncError> {
    let make = |wanted: &[Wanted]| {
        plan::plan(
            models,
            wanted,
            snap,
            decks,
            &cfg.keep_tags,
            opts.all,
            opts.overwrite,
        )
    };
    let first = make(wanted);
    if !render_kept(wanted, &first, models, render) {
        return Ok(first);
    }
    let again = make(wanted);
    if let Some(note) = kept_needing_fields(wanted, &again).first() {
        return Err(SyncError::Incompatible(format!(
            "{note}: its cards could not be rendered again; nothing was sent (run with --read-all)"
        )));
    }
    Ok(again)
}

/// The notes of kept cards whose plan needs more than their fields' hash: a field change,
/// which only a slug shared with another Anki note can bring.
fn kept_needing_fields(wanted: &[Wanted], plan: &Plan) -> std::collections::BTreeSet<String> {
    let kept: HashMap<&str, &Wanted> = wanted
        .iter()
        .filter(|w| w.kept)
        .map(|w| (w.card.slug.as_str(), w))
        .collect();
    plan.steps
        .iter()
        .filter(|s| !matches!(s.action, Action::Unchanged { .. }) || !s.diffs.is_empty())
        .filter_map(|s| kept.get(s.slug.as_str()))
        .map(|w| w.card.note.clone())
        .collect()
}

/// Refuse to add cloze cards to a note type that is not a cloze type in Anki: such a note
/// would get one card, whatever its deletions. anki-connect-server 0.5 creates every note
/// type as a standard one (it ignores `createModel`'s `isCloze`, which the add-on honours),
/// and a user may name a standard type. No action reads a note type's kind, but Anki's own
/// check tells: a cloze type refuses a note without deletions, a standard type takes it.
/// One probe per cloze note type that gets new notes, in one request.
fn check_cloze_types(
    client: &Client,
    models: &Models,
    plan: &Plan,
    wanted: &[Wanted],
) -> Result<(), SyncError> {
    let creates: std::collections::HashSet<&str> = plan
        .steps
        .iter()
        .filter(|s| matches!(s.action, Action::Create | Action::Recreate { .. }))
        .map(|s| s.slug.as_str())
        .collect();
    let mut deck_of: BTreeMap<&str, &str> = BTreeMap::new();
    for w in wanted
        .iter()
        .filter(|w| creates.contains(w.card.slug.as_str()))
    {
        if models.get(&w.card.note_type).is_some_and(|m| m.cloze) {
            deck_of
                .entry(w.card.note_type.as_str())
                .or_insert(w.card.deck.as_str());
        }
    }
    let probes: Vec<(&str, Value)> = deck_of
        .iter()
        .filter_map(|(name, deck)| {
            let model = models.get(name)?;
            Some((
                *name,
                json!({
                    "deckName": deck,
                    "modelName": name,
                    "fields": { model.first_field(): "decksmith: a text without deletions" },
                    "options": { "allowDuplicate": true },
                }),
            ))
        })
        .collect();
    if probes.is_empty() {
        return Ok(());
    }
    let notes: Vec<&Value> = probes.iter().map(|(_, p)| p).collect();
    let verdicts: Vec<bool> = client.call(action::CAN_ADD_NOTES, json!({ "notes": notes }), 0)?;
    let standard: Vec<&str> = probes
        .iter()
        .zip(&verdicts)
        .filter(|(_, takes_plain_text)| **takes_plain_text)
        .map(|((name, _), _)| *name)
        .collect();
    match standard.first() {
        None => Ok(()),
        Some(name) => Err(SyncError::Incompatible(format!(
            "the note type `{name}` in Anki is not a cloze note type, so a cloze note would get one card whatever its deletions; no note was added. \
             A backend that ignores `createModel`'s `isCloze` (anki-connect-server does) creates decksmith's cloze note type as a standard one: \
             delete it in Anki and sync through the AnkiConnect add-on, or map the kind onto Anki's own `Cloze` note type \
             (`note-type = \"Cloze\"`, `fields = {{ Text = \"front\", \"Back Extra\" = \"back\" }}`)"
        ))),
    }
}

/// The missing note types and decks, in one request; under `--update-note-type`, the
/// changes that make Anki's note types the models first.
fn set_up(
    client: &Client,
    drifts: &[(&NoteModel, notetype::Drift)],
    found: &BTreeMap<String, notetype::Found>,
    actions: Option<&[String]>,
    opts: &Options,
    missing_decks: &[String],
    needs_writes: bool,
) -> Result<(), SyncError> {
    let mut setup: Vec<(action::Action, Value)> = Vec::new();
    for (model, drift) in drifts {
        match found.get(&model.name) {
            None => setup.push((action::CREATE_MODEL, model_params(model))),
            Some(f) if opts.update_note_type && !drift.is_empty() => {
                update_model(client, model, &f.fields, actions, drift)?;
            }
            Some(_) => {}
        }
    }
    if needs_writes {
        setup.extend(
            missing_decks
                .iter()
                .map(|d| (action::CREATE_DECK, json!({ "deck": d }))),
        );
    }
    if !setup.is_empty() {
        for (r, (action, _)) in client.multi(&setup)?.into_iter().zip(&setup) {
            if let Err(message) = r {
                return Err(SyncError::Anki(AnkiError::Action {
                    action: action.to_string(),
                    message,
                }));
            }
        }
    }
    Ok(())
}

/// Store the images the cards show that Anki lacks: one request to list what it has (unless
/// the first read did), one to store the rest.
fn store_media(
    client: &Client,
    media: &[super::media::MediaFile],
    media_in_anki: Option<Vec<String>>,
    out: &mut Outcome,
) -> Result<(), SyncError> {
    if media.is_empty() {
        return Ok(());
    }
    {
        let have: std::collections::HashSet<String> = match media_in_anki {
            Some(have) => have,
            None => client.call(
                action::GET_MEDIA_FILES_NAMES,
                json!({ "pattern": format!("{}*", super::media::PREFIX) }),
                0,
            )?,
        }
        .into_iter()
        .collect();
        let subs: Vec<(action::Action, Value)> = media
            .iter()
            .filter(|m| !have.contains(&m.name))
            .map(|m| {
                let path = std::fs::canonicalize(&m.path).unwrap_or_else(|_| m.path.clone());
                (
                    action::STORE_MEDIA_FILE,
                    json!({ "filename": m.name, "path": path.to_string_lossy() }),
                )
            })
            .collect();
        if !subs.is_empty() {
            for ((_, params), r) in subs.iter().zip(client.multi(&subs)?) {
                match r {
                    Ok(_) => out.media_stored += 1,
                    Err(e) => {
                        let name = params["filename"].as_str().unwrap_or_default();
                        out.failed.push((format!("media {name}"), e));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Render the notes of kept cards whose plan needs their fields; their cards replace the
/// kept ones. Whether anything was rendered, so the plan is made again.
fn render_kept(
    wanted: &mut [Wanted],
    plan: &Plan,
    models: &Models,
    render: &(dyn Fn(&str) -> Option<NoteCards> + Sync),
) -> bool {
    let notes = kept_needing_fields(wanted, plan);
    if notes.is_empty() {
        return false;
    }
    // The key was unchanged, so rendering gives the same cards: each replaces its kept self
    // in place, and the plan keeps its order.
    for path in &notes {
        let Some(nc) = render(path) else {
            continue;
        };
        let mut fresh: HashMap<String, Card> =
            nc.cards.into_iter().map(|c| (c.slug.clone(), c)).collect();
        for w in wanted.iter_mut().filter(|w| w.kept && w.card.note == *path) {
            if let Some(card) = fresh.remove(&w.card.slug)
                && let Some(model) = models.get(&card.note_type)
            {
                *w = Wanted::new(card, w.stored_id, model);
            }
        }
    }
    true
}

/// Send everything to Anki and write the notes back: a note whose only changes are new
/// cards is written as soon as the chunk holding its last card is added, the rest once every
/// request is done (writing 1,000 notes costs about as much as adding 500 of them).
fn push_and_write_back(
    ctx: &Ctx<'_>,
    out: &mut Outcome,
    by_path: &HashMap<&str, &Note>,
) -> Result<(), SyncError> {
    let (root, progress) = (ctx.root, ctx.progress);
    let (early, rest) = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::channel::<Vec<(&str, Vec<Pushed>)>>();
        let writer = scope.spawn(move || {
            let mut results = Vec::new();
            for batch in rx {
                results.extend(write_notes(root, by_path, &batch, &Quiet, false));
            }
            results
        });
        let pushed = apply(ctx, out, &tx);
        drop(tx);
        let early = writer.join().unwrap_or_default();
        let rest = pushed.map(|batch| {
            progress.start("writing notes", batch.len());
            let r = write_notes(root, by_path, &batch, progress, true);
            progress.finish();
            r
        });
        (early, rest)
    });
    let mut results = early;
    let rest = rest?;
    results.extend(rest);
    results.sort_by(|a, b| a.0.cmp(b.0));
    for (path, result) in results {
        match result {
            Ok(true) => out.written.push(path.to_string()),
            Ok(false) => {}
            Err(e) => out.write_refused.push((path.to_string(), e)),
        }
    }
    Ok(())
}

/// What the steps after the plan share.
struct Ctx<'a> {
    client: &'a Client,
    /// The note types the cards are pushed as.
    models: &'a Models,
    /// The vault root (for the journal of requests in flight).
    root: &'a Path,
    cfg: &'a AnkiConfig,
    opts: &'a Options,
    plan: &'a Plan,
    card_of: &'a HashMap<&'a str, &'a Card>,
    /// The same cards with their fields as Anki stores them.
    wanted_of: &'a HashMap<&'a str, &'a Wanted>,
    /// The `anki_id` each card's note stores for it.
    stored_of: &'a HashMap<&'a str, i64>,
    /// decksmith's notes in Anki before the sync.
    managed: usize,
    /// What decksmith last pushed to each note.
    pushed: &'a HashMap<i64, super::state::PushRecord>,
    progress: &'a dyn Progress,
}

/// The write-back of one note's card, if something was pushed for it or its stored id is
/// not the one in Anki. `settled`: every request of the run went through.
fn push_of(
    ctx: &Ctx<'_>,
    s: &plan::Step,
    new_ids: &BTreeMap<String, i64>,
    updated: &std::collections::HashSet<String>,
    settled: bool,
) -> Option<Pushed> {
    let card = ctx.card_of.get(s.slug.as_str())?;
    let id = match s.action {
        Action::Create | Action::Recreate { .. } => new_ids.get(&s.slug).copied(),
        Action::UpdateFields { id, .. } => updated.contains(&s.slug).then_some(id),
        Action::Unchanged { id } | Action::Conflict { id, .. } => {
            let stored = ctx.stored_of.get(s.slug.as_str()).copied();
            // Tag and deck changes are done only once every request went through; an id
            // missing from the note is recorded either way.
            ((s.writes() && settled) || stored != Some(id)).then_some(id)
        }
    }?;
    Some(Pushed {
        slug: card.slug.clone(),
        language: card.lang.clone(),
        anki_id: id,
        synced_at: ctx.opts.synced_at.clone(),
    })
}

/// Edit, verify and write notes in parallel (files are independent); then make the renames
/// durable, one folder flush per folder.
fn write_notes<'p>(
    root: &Path,
    by_path: &HashMap<&str, &Note>,
    batch: &[(&'p str, Vec<Pushed>)],
    progress: &dyn Progress,
    parallel: bool,
) -> Vec<(&'p str, Result<bool, String>)> {
    use rayon::prelude::*;
    let one = |(path, list): &(&'p str, Vec<Pushed>)| {
        let note = by_path.get(path)?;
        let result = match writeback::edit_note(note, list) {
            Ok(None) => Ok(None),
            Ok(Some(new)) => writeback::replace(root, &root.join(path), note.text.as_bytes(), &new)
                .map(Some)
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        progress.advance(1);
        Some((*path, result))
    };
    let results: Vec<(&str, Result<Option<std::path::PathBuf>, String>)> = if parallel {
        batch.par_iter().filter_map(one).collect()
    } else {
        batch.iter().filter_map(one).collect()
    };
    let dirs: std::collections::BTreeSet<&std::path::PathBuf> = results
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok()?.as_ref())
        .collect();
    for d in dirs {
        writeback::sync_dir(d);
    }
    results
        .into_iter()
        .map(|(path, r)| (path, r.map(|d| d.is_some())))
        .collect()
}

/// Record the slugs of a request that adds notes before it is sent ([`super::journal`]). A
/// record that cannot be written costs only the protection it gives: the sync goes on.
fn in_flight(ctx: &Ctx<'_>, slugs: &[&str]) {
    let bound = super::journal::settle_bound(slugs.len());
    let _ = super::journal::record(ctx.root, slugs, bound);
}

/// Why deleting `count` of decksmith's notes is refused, if it is: more than `[anki]
/// prune-limit` of them, or any when the vault gave no cards, unless `--force`.
fn mass_delete_guard(ctx: &Ctx<'_>, count: usize, no_cards: bool) -> Option<String> {
    let managed = ctx.managed;
    let share = count as f64 / managed.max(1) as f64;
    if (no_cards || share > ctx.cfg.prune_limit) && !ctx.opts.force {
        Some(format!(
            "refusing to delete {count} of {managed} decksmith notes ({:.0}% > {:.0}%){}; re-run with --force if that is intended",
            share * 100.0,
            ctx.cfg.prune_limit * 100.0,
            if no_cards {
                ", and the vault gave no cards"
            } else {
                ""
            }
        ))
    } else {
        None
    }
}

/// Send everything to Anki. Notes that only gained cards go to `early` as their chunks
/// finish; the notes still to write back are returned.
fn apply<'a>(
    ctx: &Ctx<'a>,
    out: &mut Outcome,
    early: &std::sync::mpsc::Sender<Vec<(&'a str, Vec<Pushed>)>>,
) -> Result<Vec<(&'a str, Vec<Pushed>)>, SyncError> {
    let plan = ctx.plan;
    let mut writes = EarlyWrites::new(ctx, early);
    let mut tags_failed = false;
    let mut new_ids: BTreeMap<String, i64> = BTreeMap::new();
    let to_create: Vec<&Card> = plan
        .steps
        .iter()
        .filter(|s| matches!(s.action, Action::Create | Action::Recreate { .. }))
        .filter_map(|s| ctx.card_of.get(s.slug.as_str()).copied())
        .collect();
    let verdicts = preflight(ctx.client, ctx.cfg, ctx.models, &to_create)?;
    // From the first note added on, a failure stops the run but not its bookkeeping: what
    // was done is reported and written back, and the next run does the rest (a card added
    // but not recorded is found again by its slug).
    let work = (|| -> Result<(), SyncError> {
        create_notes(ctx, out, &to_create, &verdicts, &mut writes, &mut new_ids)?;
        place_new_cards(ctx, out, &new_ids)?;
        update_fields(ctx, out)?;
        tags_failed = retag_and_move(ctx, out)?;
        prune_orphans(ctx, out)?;
        delete_duplicates(ctx, out)?;
        Ok(())
    })();
    let settled = match work {
        Ok(()) => {
            out.complete = !tags_failed;
            true
        }
        Err(e) => {
            out.stopped = Some(e.to_string());
            false
        }
    };
    out.created = new_ids.keys().cloned().collect();
    let updated: std::collections::HashSet<String> = out.updated.iter().cloned().collect();
    record(ctx, out, &new_ids, &updated);
    // Everything else to write back: `anki_id` and `synced_at` of every card something was
    // pushed for.
    Ok(writes
        .steps_of
        .iter()
        .filter(|(note, _)| !writes.sent.contains(*note))
        .filter_map(|(note, steps)| {
            let list: Vec<Pushed> = steps
                .iter()
                .filter_map(|s| push_of(ctx, s, &new_ids, &updated, settled))
                .collect();
            (!list.is_empty()).then_some((*note, list))
        })
        .collect())
}

/// Notes written back while Anki adds the next chunk: a note whose only changes are new
/// cards is written as soon as the chunk holding its last card is added.
struct EarlyWrites<'a, 's> {
    /// The plan's steps by note.
    steps_of: BTreeMap<&'a str, Vec<&'a plan::Step>>,
    /// New cards still to add, of each note that can be written early.
    waiting: HashMap<&'a str, usize>,
    /// Notes already sent to the writer.
    sent: std::collections::HashSet<&'a str>,
    tx: &'s std::sync::mpsc::Sender<Vec<(&'a str, Vec<Pushed>)>>,
}

impl<'a, 's> EarlyWrites<'a, 's> {
    fn new(
        ctx: &Ctx<'a>,
        tx: &'s std::sync::mpsc::Sender<Vec<(&'a str, Vec<Pushed>)>>,
    ) -> EarlyWrites<'a, 's> {
        let mut steps_of: BTreeMap<&str, Vec<&plan::Step>> = BTreeMap::new();
        for s in &ctx.plan.steps {
            if let Some(card) = ctx.card_of.get(s.slug.as_str()) {
                steps_of.entry(card.note.as_str()).or_default().push(s);
            }
        }
        // Those with nothing else to wait for: no field, tag or deck change of an existing
        // card.
        let mut waiting: HashMap<&str, usize> = HashMap::new();
        for (note, steps) in &steps_of {
            let creates = steps
                .iter()
                .filter(|s| matches!(s.action, Action::Create | Action::Recreate { .. }))
                .count();
            let later = steps.iter().any(|s| {
                matches!(s.action, Action::UpdateFields { .. })
                    || (matches!(s.action, Action::Unchanged { .. }) && s.writes())
            });
            if creates > 0 && !later {
                waiting.insert(note, creates);
            }
        }
        EarlyWrites {
            steps_of,
            waiting,
            sent: std::collections::HashSet::new(),
            tx,
        }
    }

    /// A chunk of new cards was added: send the notes it completed to the writer.
    fn chunk_added(&mut self, ctx: &Ctx<'a>, chunk: &[&'a Card], new_ids: &BTreeMap<String, i64>) {
        let mut ready = Vec::new();
        for c in chunk {
            if let Some(left) = self.waiting.get_mut(c.note.as_str()) {
                *left -= 1;
                if *left == 0 {
                    ready.push(c.note.as_str());
                }
            }
        }
        let no_updates = std::collections::HashSet::new();
        let batch: Vec<(&str, Vec<Pushed>)> = ready
            .into_iter()
            .filter_map(|note| {
                let (key, steps) = self.steps_of.get_key_value(note)?;
                self.sent.insert(key);
                let list: Vec<Pushed> = steps
                    .iter()
                    .filter_map(|s| push_of(ctx, s, new_ids, &no_updates, false))
                    .collect();
                (!list.is_empty()).then_some((*key, list))
            })
            .collect();
        if !batch.is_empty() {
            // The writer only stops when `apply` returns.
            let _ = self.tx.send(batch);
        }
    }
}

/// New notes, in chunks of `addNotes` after the pre-flight's verdicts; a chunk Anki rolls
/// back is replayed note by note to name each failure. Each request is recorded in the
/// journal while it is in flight.
fn create_notes<'a>(
    ctx: &Ctx<'a>,
    out: &mut Outcome,
    to_create: &[&'a Card],
    verdicts: &[bool],
    writes: &mut EarlyWrites<'a, '_>,
    new_ids: &mut BTreeMap<String, i64>,
) -> Result<(), SyncError> {
    let (client, cfg) = (ctx.client, ctx.cfg);
    ctx.progress.start("creating notes", to_create.len());
    for (n, chunk) in to_create.chunks(cfg.chunk_size).enumerate() {
        ctx.progress.advance(chunk.len());
        let notes_json: Vec<Value> = chunk.iter().map(|c| note_json(c, ctx.models)).collect();
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
        if !batch.is_empty() {
            let slugs: Vec<&str> = good.iter().map(|i| chunk[*i].slug.as_str()).collect();
            in_flight(ctx, &slugs);
            let added = client.add_notes(&batch)?;
            super::journal::clear(ctx.root);
            let slots = match added {
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
                let subs: Vec<(action::Action, Value)> = retry
                    .iter()
                    .map(|k| (action::ADD_NOTE, json!({ "note": batch[*k] })))
                    .collect();
                let slugs: Vec<&str> = retry
                    .iter()
                    .map(|k| chunk[good[*k]].slug.as_str())
                    .collect();
                in_flight(ctx, &slugs);
                let replies = client.multi(&subs)?;
                super::journal::clear(ctx.root);
                for (k, r) in retry.iter().zip(replies) {
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
        // Notes whose last new card was in this chunk can be written now, while Anki adds
        // the next one; after the last chunk nothing is left to overlap, and they are
        // written with the rest, on every core.
        if (n + 1) * cfg.chunk_size < to_create.len() {
            writes.chunk_added(ctx, chunk, new_ids);
        }
    }
    Ok(())
}

/// What Anki now holds for each card that was pushed or found equal, for the push state (a
/// conflict keeps the hash of what was pushed before), and which notes hold exactly it.
fn record(
    ctx: &Ctx<'_>,
    out: &mut Outcome,
    new_ids: &BTreeMap<String, i64>,
    updated: &std::collections::HashSet<String>,
) {
    let plan = ctx.plan;
    for s in &plan.steps {
        let Some(w) = ctx.wanted_of.get(s.slug.as_str()) else {
            continue;
        };
        let (card, fields) = (&w.card, &w.fields);
        let pushed_hash = w.fields_hash.clone();
        let record = match s.action {
            Action::Create | Action::Recreate { .. } => {
                new_ids.get(&s.slug).map(|id| (*id, pushed_hash))
            }
            Action::UpdateFields { id, .. } => {
                updated.contains(&s.slug).then_some((id, pushed_hash))
            }
            Action::Unchanged { id } => Some((id, pushed_hash)),
            // The fields were left alone: their record stays; the tags were synced.
            Action::Conflict { id, .. } => ctx.pushed.get(&id).map(|r| (id, r.hash.clone())),
        };
        if let Some((id, hash)) = record {
            if !matches!(s.action, Action::Conflict { .. }) {
                out.exact
                    .insert(id, fields.get(SLUG_FIELD).cloned().unwrap_or_default());
            }
            let tags = card.tags.iter().map(|t| super::state::tag_key(t)).collect();
            out.state
                .push((id, super::state::PushRecord { hash, tags }));
        }
    }
}

/// New notes may land outside their deck (the add-on on Anki 26 ignores `deckName`): one
/// search per deck finds the new cards that are not in it, and one `changeDeck` per deck
/// moves them.
fn place_new_cards(
    ctx: &Ctx<'_>,
    out: &mut Outcome,
    new_ids: &BTreeMap<String, i64>,
) -> Result<(), SyncError> {
    let (client, card_of) = (ctx.client, ctx.card_of);
    if !new_ids.is_empty() {
        let mut wanted_deck: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (slug, id) in new_ids {
            if let Some(c) = card_of.get(slug.as_str()) {
                wanted_deck
                    .entry(c.deck.clone())
                    .or_default()
                    .push(id.to_string());
            }
        }
        let finds: Vec<(action::Action, Value)> = wanted_deck
            .iter()
            .map(|(deck, ids)| {
                let q = format!("nid:{} -({})", ids.join(","), in_deck(deck));
                (action::FIND_CARDS, json!({ "query": q }))
            })
            .collect();
        let mut misplaced: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for (deck, r) in wanted_deck.keys().zip(client.multi(&finds)?) {
            misplaced.insert(deck.clone(), sub_ok(r, action::FIND_CARDS)?);
        }
        change_decks(client, &misplaced, &mut out.failed)?;
    }
    Ok(())
}

/// Field updates, in chunks of `multi`.
fn update_fields(ctx: &Ctx<'_>, out: &mut Outcome) -> Result<(), SyncError> {
    let (client, cfg, plan) = (ctx.client, ctx.cfg, ctx.plan);
    // A kept card never gets here: its plan needs no fields (`render_kept`).
    let updates: Vec<(i64, &Wanted)> = plan
        .steps
        .iter()
        .filter_map(|s| match s.action {
            Action::UpdateFields { id, .. } => Some((id, *ctx.wanted_of.get(s.slug.as_str())?)),
            _ => None,
        })
        .filter(|(_, w)| !w.kept)
        .collect();
    for chunk in updates.chunks(cfg.chunk_size) {
        let subs: Vec<(action::Action, Value)> = chunk
            .iter()
            .map(|(id, w)| {
                (
                    action::UPDATE_NOTE_FIELDS,
                    json!({ "note": { "id": id, "fields": w.fields } }),
                )
            })
            .collect();
        for ((_, w), r) in chunk.iter().zip(client.multi(&subs)?) {
            let slug = w.card.slug.clone();
            match r {
                Ok(_) => out.updated.push(slug),
                Err(e) => out.failed.push((slug, e)),
            }
        }
    }
    Ok(())
}

/// Tags and decks of existing notes, grouped: one `addTags` or `removeTags` per tag, one
/// `changeDeck` per deck. Whether a tag request failed (the records of this run are then
/// not exact).
fn retag_and_move(ctx: &Ctx<'_>, out: &mut Outcome) -> Result<bool, SyncError> {
    let (client, plan, card_of) = (ctx.client, ctx.plan, ctx.card_of);
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
    let mut failed_tags = Vec::new();
    let mut subs: Vec<(action::Action, Value)> = Vec::new();
    subs.extend(
        add.iter()
            .map(|(t, n)| (action::ADD_TAGS, json!({ "notes": n, "tags": t }))),
    );
    subs.extend(
        remove
            .iter()
            .map(|(t, n)| (action::REMOVE_TAGS, json!({ "notes": n, "tags": t }))),
    );
    if !subs.is_empty() {
        for ((action, params), r) in subs.iter().zip(client.multi(&subs)?) {
            if let Err(e) = r {
                let tag = params["tags"].as_str().unwrap_or_default();
                failed_tags.push((format!("tag {tag}"), format!("{action} failed: {e}")));
            }
        }
    }
    let tags_failed = !failed_tags.is_empty();
    out.failed.append(&mut failed_tags);
    if !moves.is_empty() {
        change_decks(client, &cards_of(client, &moves)?, &mut out.failed)?;
    }
    Ok(tags_failed)
}

/// Orphans: reported; deleted only on request, within the configured share.
fn prune_orphans(ctx: &Ctx<'_>, out: &mut Outcome) -> Result<(), SyncError> {
    let (client, opts, plan, card_of) = (ctx.client, ctx.opts, ctx.plan, ctx.card_of);
    if opts.prune && opts.all && !plan.orphans.is_empty() {
        let ids: Vec<i64> = plan.orphans.iter().map(|(id, _)| *id).collect();
        match mass_delete_guard(ctx, ids.len(), card_of.is_empty()) {
            Some(why) => out.prune_refused = Some(why),
            None => {
                client.delete_notes(&ids)?;
                out.pruned = ids.len();
                out.deleted.extend(ids);
            }
        }
    }
    Ok(())
}

/// Extra notes of a duplicated slug: reported; deleted only on request, within the same
/// share as orphans.
fn delete_duplicates(ctx: &Ctx<'_>, out: &mut Outcome) -> Result<(), SyncError> {
    let (client, opts, plan) = (ctx.client, ctx.opts, ctx.plan);
    if opts.dedupe && !plan.duplicates.is_empty() {
        let ids: Vec<i64> = plan
            .duplicates
            .iter()
            .flat_map(|d| d.extra.iter().copied())
            .collect();
        match mass_delete_guard(ctx, ids.len(), false) {
            Some(why) => out.dedupe_refused = Some(why),
            None => {
                client.delete_notes(&ids)?;
                out.deduped = ids.len();
                out.deleted.extend(ids);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> NoteModel {
        NoteModel::qa("decksmith")
    }

    fn models() -> Models {
        Models::single(model())
    }

    fn card(slug: &str, front: &str) -> Card {
        Card {
            tags: vec!["decksmith".into()],
            front: front.into(),
            ..Card::sample(slug)
        }
    }

    fn anki(id: i64, c: &Card, unread: bool) -> plan::AnkiNote {
        let w = Wanted::new(c.clone(), None, &model());
        plan::AnkiNote {
            id,
            fields: if unread {
                BTreeMap::from([("Slug".to_string(), w.fields["Slug"].clone())])
            } else {
                w.fields.clone()
            },
            tags: c.tags.clone(),
            deck: Some(c.deck.clone()),
            unread: unread.then(|| w.fields_hash.clone()),
            model: "decksmith".into(),
        }
    }

    /// A kept card (no Front, no Back) whose slug another Anki note carries, which the plan
    /// picks: its note is rendered, and the plan made again compares real fields.
    #[test]
    fn a_kept_card_the_plan_needs_whole_is_rendered_first() {
        let real = card("n-0-en", "<p>F</p>");
        let hash = Wanted::new(real.clone(), None, &model()).fields_hash;
        let mut kept_card = real.clone();
        kept_card.front.clear();
        kept_card.back.clear();
        let mut wanted = vec![Wanted::kept(kept_card, Some(20), hash)];
        // Note 10 is known from the push state; note 20, the one the vault records, was read
        // and differs (edited in Anki).
        let mut edited = real.clone();
        edited.back = "<p>edited</p>".into();
        let snapshot = plan::Snapshot {
            notes: std::collections::HashMap::from([
                (10, anki(10, &real, true)),
                (20, anki(20, &edited, false)),
            ]),
            ..plan::Snapshot::default()
        };
        let make =
            |w: &[Wanted]| plan::plan(&models(), w, &snapshot, &["D".into()], &[], true, true);
        let first = make(&wanted);
        assert_eq!(
            kept_needing_fields(&wanted, &first)
                .into_iter()
                .collect::<Vec<_>>(),
            vec!["n.md".to_string()]
        );
        let rendered = std::sync::atomic::AtomicUsize::new(0);
        let render = |path: &str| {
            rendered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Some(NoteCards {
                note: path.into(),
                cards: vec![real.clone()],
                missing: vec![],
                refused: vec![],
                skipped: None,
            })
        };
        assert!(render_kept(&mut wanted, &first, &models(), &render));
        assert_eq!(rendered.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(!wanted[0].kept);
        assert_eq!(wanted[0].stored_id, Some(20), "the vault's record stays");
        let again = make(&wanted);
        assert_eq!(
            again.steps[0].action,
            Action::UpdateFields {
                id: 20,
                fields: vec!["Back".into()]
            }
        );
        assert_eq!(
            again.steps[0].diffs[0].2, "<p>B</p>",
            "the real field is pushed"
        );
        assert!(kept_needing_fields(&wanted, &again).is_empty());
    }
}
