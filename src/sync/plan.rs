//! The sync plan: a pure function of the vault's cards, their stored `anki_cards` entries and
//! a snapshot of Anki, so it can be tested without a backend and printed by `--dry-run`.
//!
//! Identity is the slug, never content: a card is matched to its Anki note by the stored
//! `anki_id` when that note still carries the card's slug, else by the slug field (a card
//! whose id was lost, or that a run created before dying, is adopted, never duplicated), else
//! it is created (recreated, when its stored id is gone from Anki).
//!
//! Anki fields are HTML, and Anki stores them in its own form (below): the slug is pushed as
//! escaped text, and every value in the form Anki will give back, so that a second sync finds
//! every field equal and plans nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::state::{PushRecord, tag_key};
use crate::cards::model::{Models, NoteModel, SLUG_FIELD};
use crate::cards::{Card, NoteCards};
use crate::vault::note::Note;

/// One decksmith note in Anki.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnkiNote {
    pub id: i64,
    pub fields: BTreeMap<String, String>,
    pub tags: Vec<String>,
    /// The deck of the note's cards (all in one deck, as decksmith places them).
    pub deck: Option<String>,
    /// For a note not read from Anki but known from the push state: the hash of its fields,
    /// of which `fields` then holds only the Slug (and `tags` the recorded tags).
    pub unread: Option<String>,
    /// Its note type's name: a card is only ever matched to a note of its own note type.
    pub model: String,
}

impl AnkiNote {
    pub fn slug(&self) -> &str {
        self.fields.get(SLUG_FIELD).map_or("", String::as_str)
    }

    /// [`NoteModel::hash`] of the note's fields.
    pub fn fields_hash(&self, model: &NoteModel) -> String {
        match &self.unread {
            Some(hash) => hash.clone(),
            None => model.hash(&self.fields),
        }
    }
}

/// What Anki holds: decksmith's notes, by id.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub notes: HashMap<i64, AnkiNote>,
    /// What decksmith last pushed to each note ([`super::state`]).
    pub pushed: HashMap<i64, PushRecord>,
    /// Notes that have had reviews, among those sharing a slug (read only when some do).
    pub reviewed: BTreeSet<i64>,
}

/// A card with the vault-side facts sync needs.
#[derive(Clone, Debug)]
pub struct Wanted {
    pub card: Card,
    /// The `anki_id` stored in the note's `anki_cards` entry, if any.
    pub stored_id: Option<i64>,
    /// The card's fields as Anki will store them ([`NoteModel::values`]), and their hash:
    /// computed once, they are compared, pushed and recorded.
    pub fields: BTreeMap<String, String>,
    pub fields_hash: String,
    /// Kept from an earlier run without its Front and Back ([`super::reuse`]): `fields`
    /// holds only the Slug. A plan that would need the others renders the note first.
    pub kept: bool,
}

impl Wanted {
    pub fn new(card: Card, stored_id: Option<i64>, model: &NoteModel) -> Wanted {
        let fields = model.values(&card);
        let fields_hash = model.hash(&fields);
        Wanted {
            card,
            stored_id,
            fields,
            fields_hash,
            kept: false,
        }
    }

    /// A card kept from an earlier run, whose fields hash to `fields_hash`.
    pub fn kept(card: Card, stored_id: Option<i64>, fields_hash: String) -> Wanted {
        let fields = BTreeMap::from([(SLUG_FIELD.to_string(), slug_field(&card.slug))]);
        Wanted {
            card,
            stored_id,
            fields,
            fields_hash,
            kept: true,
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// No Anki note has this slug.
    Create,
    /// The stored id no longer exists in Anki: a new note is created.
    Recreate { gone: i64 },
    /// Fields differ (the list names them).
    UpdateFields { id: i64, fields: Vec<String> },
    /// Nothing differs.
    Unchanged { id: i64 },
    /// Fields differ, and the note was edited in Anki since decksmith last pushed it: left
    /// alone unless `--overwrite`.
    Conflict { id: i64, fields: Vec<String> },
}

/// The plan for one card.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    pub slug: String,
    pub note: String,
    pub action: Action,
    /// Tags to add and to remove (on an existing note).
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
    /// The note's card is in another deck and moves to the card's deck.
    pub move_deck: bool,
    /// The note was found by its slug, not by its stored id (recovery).
    pub adopted: bool,
    /// For changed fields: (field, value in Anki, value to push).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diffs: Vec<(String, String, String)>,
}

impl Step {
    /// The Anki note id this step works on, when it exists already.
    pub fn existing_id(&self) -> Option<i64> {
        match self.action {
            Action::UpdateFields { id, .. }
            | Action::Unchanged { id }
            | Action::Conflict { id, .. } => Some(id),
            _ => None,
        }
    }

    /// Whether sync writes to Anki for this card.
    pub fn writes(&self) -> bool {
        !matches!(
            self.action,
            Action::Unchanged { .. } | Action::Conflict { .. }
        ) || !self.add_tags.is_empty()
            || !self.remove_tags.is_empty()
            || self.move_deck
    }
}

/// The whole plan.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Plan {
    pub steps: Vec<Step>,
    /// decksmith notes in Anki whose slug no vault card has.
    pub orphans: Vec<(i64, String)>,
    /// Decks the cards need that Anki lacks.
    pub missing_decks: Vec<String>,
    /// `anki_cards` entries whose slug their note no longer gives a card for: (note, slug).
    /// Left in place (see ANK002); their Anki notes, if any, are among the orphans.
    pub stale: Vec<(String, String)>,
    /// Anki notes that share a slug (a crash or a second tool can create them): the note
    /// sync keeps working on, and the others, which `--dedupe` deletes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub duplicates: Vec<Duplicate>,
}

/// Several Anki notes carrying one slug.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Duplicate {
    pub slug: String,
    /// The note the vault records, else the one with reviews, else the oldest.
    pub keep: i64,
    pub extra: Vec<i64>,
}

impl Plan {
    pub fn count(&self, f: impl Fn(&Step) -> bool) -> usize {
        self.steps.iter().filter(|s| f(s)).count()
    }
}

/// The Slug field of a slug ([`crate::cards::model::slug_value`]).
pub fn slug_field(slug: &str) -> String {
    crate::cards::model::slug_value(slug)
}

/// The vault's side of a sync: the cards to sync, and what is reported instead.
pub struct VaultSide {
    pub wanted: Vec<Wanted>,
    /// `[note, reason]` of notes that give no cards.
    pub skipped: Vec<(String, String)>,
    /// `[slug, reason]` of cards not synced: not rendered, or their slug claimed twice.
    pub failed: Vec<(String, String)>,
}

/// The cards to sync, each with the `anki_id` its note stores for it and its fields as Anki
/// stores them (`kept`: slug → fields' hash of cards kept from an earlier run, see
/// [`super::reuse`]); skipped notes and cards that cannot be synced are reported.
pub fn vault_side(
    by_path: &HashMap<&str, &Note>,
    cards: &[NoteCards],
    kept: &HashMap<String, String>,
    models: &Models,
) -> VaultSide {
    use rayon::prelude::*;
    let mut skipped = Vec::new();
    let mut failed = Vec::new();
    let mut wanted: Vec<Wanted> = Vec::new();
    let mut pending: Vec<(&Card, Option<i64>)> = Vec::new();
    for nc in cards {
        if let Some(skip) = &nc.skipped {
            skipped.push((nc.note.clone(), skip.to_string()));
            continue;
        }
        // A card that could not be rendered is not pushed, and its Anki note, if any, is
        // left alone.
        for r in &nc.refused {
            failed.push((
                r.slug.clone(),
                format!("{}:{}: {}", nc.note, r.line, r.reason),
            ));
        }
        let stored = by_path
            .get(nc.note.as_str())
            .map(|n| stored_ids(n))
            .unwrap_or_default();
        for c in &nc.cards {
            pending.push((c, stored.get(&c.slug).copied()));
        }
    }
    // Every card's fields as Anki stores them, once, on every core.
    let (pending, unknown): (Vec<_>, Vec<_>) = pending
        .into_iter()
        .partition(|(c, _)| models.get(&c.note_type).is_some());
    // Cards are made under the same settings as the models: a card without one is a bug,
    // reported rather than pushed under a wrong note type.
    for (c, _) in unknown {
        failed.push((
            c.slug.clone(),
            format!("no note type `{}` is configured", c.note_type),
        ));
    }
    wanted.par_extend(pending.into_par_iter().filter_map(|(c, stored_id)| {
        Some(match kept.get(&c.slug) {
            Some(hash) => Wanted::kept(c.clone(), stored_id, hash.clone()),
            None => Wanted::new(c.clone(), stored_id, models.get(&c.note_type)?),
        })
    }));
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
    failed.extend(clash_reports);
    wanted.retain(|w| !clashing.contains(&w.card.slug));
    VaultSide {
        wanted,
        skipped,
        failed,
    }
}

/// The stored `anki_id` of each slug in a note's `anki_cards`.
fn stored_ids(note: &Note) -> HashMap<String, i64> {
    note.card_entries()
        .iter()
        .filter_map(|e| Some((e.slug?.to_string(), e.anki_id?)))
        .collect()
}

/// What the plan reports beyond the cards: a refused card is still its note's (its entry is
/// not stale, its Anki note no orphan); `anki_cards` entries for cards a note no longer
/// gives are stale.
pub fn finish(plan: &mut Plan, by_path: &HashMap<&str, &Note>, cards: &[NoteCards]) {
    let refused: std::collections::HashSet<String> = cards
        .iter()
        .flat_map(|nc| &nc.refused)
        .flat_map(|r| [slug_field(&r.slug), r.slug.clone()])
        .collect();
    plan.orphans.retain(|(_, slug)| !refused.contains(slug));
    for nc in cards.iter().filter(|nc| nc.skipped.is_none()) {
        let Some(note) = by_path.get(nc.note.as_str()) else {
            continue;
        };
        for slug in note.card_entries().iter().filter_map(|e| e.slug) {
            if !nc.cards.iter().any(|c| c.slug == slug) && !refused.contains(slug) {
                plan.stale.push((nc.note.clone(), slug.to_string()));
            }
        }
    }
}

/// Plan a sync. `decks` lists the decks Anki has; `keep_tags` are never removed; `all` says
/// whether `wanted` covers the whole vault (orphans are only known then); `overwrite`
/// replaces notes edited in Anki since decksmith last pushed them instead of reporting them.
pub fn plan(
    models: &Models,
    wanted: &[Wanted],
    snapshot: &Snapshot,
    decks: &[String],
    keep_tags: &[String],
    all: bool,
    overwrite: bool,
) -> Plan {
    let stored: HashMap<&str, i64> = wanted
        .iter()
        .filter_map(|w| Some((w.card.slug.as_str(), w.stored_id?)))
        .collect();
    let (by_slug, duplicates) = keepers(snapshot, &stored);
    let mut steps = Vec::new();
    let mut needed_decks = BTreeSet::new();
    for w in wanted {
        let card = &w.card;
        let Some(model) = models.get(&card.note_type) else {
            continue;
        };
        needed_decks.insert(card.deck.clone());
        let model_name = card.note_type.as_str();
        // A note pushed before slugs were escaped holds the bare slug: it is the same card,
        // and its Slug field is updated.
        let slug_field = slug_field(&card.slug);
        let holds_slug = |n: &AnkiNote| n.slug() == slug_field || n.slug() == card.slug;
        let by_stored = w
            .stored_id
            .and_then(|id| snapshot.notes.get(&id))
            .filter(|n| n.model == model_name && (holds_slug(n) || n.slug().is_empty()));
        let (existing, adopted) = match by_stored {
            Some(n) => (Some(n), false),
            None => match by_slug
                .get(&(model_name, slug_field.as_str()))
                .or_else(|| by_slug.get(&(model_name, card.slug.as_str())))
                .and_then(|id| snapshot.notes.get(id))
            {
                Some(n) => (Some(n), true),
                None => (None, false),
            },
        };
        let step = match existing {
            None => Step {
                slug: card.slug.clone(),
                note: card.note.clone(),
                action: match w.stored_id {
                    Some(gone) => Action::Recreate { gone },
                    None => Action::Create,
                },
                add_tags: Vec::new(),
                remove_tags: Vec::new(),
                move_deck: false,
                adopted: false,
                diffs: Vec::new(),
            },
            Some(n) => {
                let want = &w.fields;
                // A note known from the push state is skipped only when its record is the
                // card's fields; were it not, every field would be listed as changed.
                let changed: Vec<String> = match &n.unread {
                    Some(hash) if w.fields_hash == *hash => Vec::new(),
                    _ => model
                        .fields
                        .iter()
                        .filter(|f| want.get(*f) != n.fields.get(*f))
                        .cloned()
                        .collect(),
                };
                let (add_tags, remove_tags) = tag_changes(
                    &card.tags,
                    &n.tags,
                    snapshot.pushed.get(&n.id).map(|r| &r.tags),
                    keep_tags,
                );
                let diffs = changed
                    .iter()
                    .map(|f| {
                        let old = n.fields.get(f).cloned().unwrap_or_default();
                        let new = want.get(f).cloned().unwrap_or_default();
                        (f.clone(), old, new)
                    })
                    .collect();
                let move_deck = n.deck.as_ref().is_some_and(|d| *d != card.deck);
                Step {
                    slug: card.slug.clone(),
                    note: card.note.clone(),
                    action: if changed.is_empty() {
                        Action::Unchanged { id: n.id }
                    } else if !overwrite
                        && snapshot
                            .pushed
                            .get(&n.id)
                            .is_some_and(|r| r.hash != n.fields_hash(model))
                    {
                        Action::Conflict {
                            id: n.id,
                            fields: changed,
                        }
                    } else {
                        Action::UpdateFields {
                            id: n.id,
                            fields: changed,
                        }
                    },
                    diffs,
                    add_tags,
                    remove_tags,
                    move_deck,
                    adopted,
                }
            }
        };
        steps.push(step);
    }
    // A note whose slug a card has, but of another note type (the kind's cards moved to
    // another note type), is an orphan: the card gets a note of its own type.
    let live: BTreeSet<(&str, String)> = wanted
        .iter()
        .flat_map(|w| {
            let model = w.card.note_type.as_str();
            [
                (model, slug_field(&w.card.slug)),
                (model, w.card.slug.clone()),
            ]
        })
        .collect();
    let mut orphans: Vec<(i64, String)> = if all {
        snapshot
            .notes
            .values()
            .filter(|n| !live.contains(&(n.model.as_str(), n.slug().to_string())))
            .map(|n| (n.id, n.slug().to_string()))
            .collect()
    } else {
        Vec::new()
    };
    orphans.sort();
    let missing_decks = needed_decks
        .into_iter()
        .filter(|d| !decks.contains(d))
        .collect();
    Plan {
        steps,
        orphans,
        missing_decks,
        stale: Vec::new(),
        duplicates,
    }
}

/// Tags to add and to remove on an existing note, compared as Anki compares them (ignoring
/// case: Anki folds a new tag to the case of one it has, so a case difference never goes
/// away). Only tags decksmith put there earlier (`recorded`) are removed: the others are the
/// user's. Without a record (an earlier version, a deleted cache) nothing is removed.
fn tag_changes(
    ours: &[String],
    theirs: &[String],
    recorded: Option<&BTreeSet<String>>,
    keep_tags: &[String],
) -> (Vec<String>, Vec<String>) {
    let theirs_keys: BTreeSet<String> = theirs.iter().map(|t| tag_key(t)).collect();
    let ours_keys: BTreeSet<String> = ours.iter().map(|t| tag_key(t)).collect();
    let mut seen = BTreeSet::new();
    let add = ours
        .iter()
        .filter(|t| !theirs_keys.contains(&tag_key(t)) && seen.insert(tag_key(t)))
        .cloned()
        .collect();
    let remove = theirs
        .iter()
        .filter(|t| !ours_keys.contains(&tag_key(t)))
        .filter(|t| recorded.is_some_and(|r| r.contains(&tag_key(t))))
        .filter(|t| !keep_tags.iter().any(|k| tag_key(k) == tag_key(t)))
        .cloned()
        .collect();
    (add, remove)
}

/// For every slug, the Anki note sync works on, and the slugs several notes carry. The note
/// the vault records wins, else one with reviews (its history is what a user would miss),
/// else the oldest (ids are creation times).
#[allow(clippy::type_complexity)]
fn keepers<'s>(
    snapshot: &'s Snapshot,
    stored: &HashMap<&str, i64>,
) -> (HashMap<(&'s str, &'s str), i64>, Vec<Duplicate>) {
    let mut by_slug: BTreeMap<(&str, &str), Vec<i64>> = BTreeMap::new();
    for n in snapshot.notes.values() {
        by_slug
            .entry((n.model.as_str(), n.slug()))
            .or_default()
            .push(n.id);
    }
    let mut keep = HashMap::new();
    let mut duplicates = Vec::new();
    for ((model, slug), mut ids) in by_slug {
        ids.sort_unstable();
        let chosen = stored
            .get(slug)
            .copied()
            .filter(|id| ids.contains(id))
            .or_else(|| {
                ids.iter()
                    .copied()
                    .find(|id| snapshot.reviewed.contains(id))
            })
            .unwrap_or(ids[0]);
        if ids.len() > 1 && !slug.is_empty() {
            duplicates.push(Duplicate {
                slug: slug.to_string(),
                keep: chosen,
                extra: ids.iter().copied().filter(|id| *id != chosen).collect(),
            });
        }
        keep.insert((model, slug), chosen);
    }
    (keep, duplicates)
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

    fn card(slug: &str) -> Card {
        Card::sample(slug)
    }

    fn anki(id: i64, c: &Card) -> AnkiNote {
        AnkiNote {
            id,
            fields: model().values(c),
            tags: c.tags.clone(),
            deck: Some(c.deck.clone()),
            unread: None,
            model: "decksmith".into(),
        }
    }

    fn step_for<'a>(p: &'a Plan, slug: &str) -> &'a Step {
        p.steps.iter().find(|s| s.slug == slug).expect("step")
    }

    #[test]
    fn unchanged_cards_plan_no_writes() {
        let c = card("n-0-en");
        let snap = Snapshot {
            notes: HashMap::from([(10, anki(10, &c))]),
            ..Snapshot::default()
        };
        let p = plan(
            &models(),
            &[Wanted::new(c, Some(10), &model())],
            &snap,
            &["D".into()],
            &[],
            true,
            false,
        );
        assert_eq!(step_for(&p, "n-0-en").action, Action::Unchanged { id: 10 });
        assert!(!p.steps.iter().any(Step::writes));
        assert!(p.orphans.is_empty() && p.missing_decks.is_empty());
    }

    #[test]
    fn tags_compare_as_anki_compares_them_and_the_users_stay() {
        let mut c = card("n-0-en");
        c.tags.push("Database".into());
        let mut n = anki(10, &c);
        // Anki folded the tag to the case of an existing one, and the user added one.
        n.tags = vec![
            "DECKSMITH".into(),
            "lang::en".into(),
            "database".into(),
            "todo".into(),
        ];
        let wanted = [Wanted::new(c.clone(), Some(10), &model())];
        let mut snap = Snapshot {
            notes: HashMap::from([(10, n)]),
            ..Snapshot::default()
        };
        let p = plan(&models(), &wanted, &snap, &["D".into()], &[], true, false);
        let s = step_for(&p, "n-0-en");
        assert!(s.add_tags.is_empty() && s.remove_tags.is_empty(), "{s:?}");
        assert!(!s.writes());
        // Even recorded as decksmith's, a tag the card still has is kept; one it dropped goes.
        snap.pushed.insert(
            10,
            PushRecord {
                hash: String::new(),
                tags: ["database".to_string(), "todo".to_string()].into(),
            },
        );
        let p = plan(&models(), &wanted, &snap, &["D".into()], &[], true, false);
        assert_eq!(step_for(&p, "n-0-en").remove_tags, vec!["todo".to_string()]);
    }

    #[test]
    fn notes_sharing_a_slug_are_listed_with_the_one_kept() {
        let c = card("n-0-en");
        let snap = Snapshot {
            notes: HashMap::from([(5, anki(5, &c)), (7, anki(7, &c)), (9, anki(9, &c))]),
            reviewed: BTreeSet::from([7, 9]),
            ..Snapshot::default()
        };
        let dup = |stored_id| {
            let w = [Wanted::new(c.clone(), stored_id, &model())];
            let p = plan(&models(), &w, &snap, &["D".into()], &[], true, false);
            let used = step_for(&p, "n-0-en").existing_id();
            (p.duplicates, used)
        };
        // The vault's record wins; else the first with reviews; never a third choice.
        let (d, used) = dup(Some(9));
        assert_eq!(
            (d[0].keep, d[0].extra.clone(), used),
            (9, vec![5, 7], Some(9))
        );
        let (d, used) = dup(None);
        assert_eq!(
            (d[0].keep, d[0].extra.clone(), used),
            (7, vec![5, 9], Some(7))
        );
    }

    #[test]
    fn recovery_recreation_updates_tags_decks_orphans() {
        let a = card("n-0-en");
        let mut b = card("n-0-ru");
        let c = card("n-1-en");
        let mut moved = anki(20, &b);
        b.back = "<p>changed</p>".into();
        moved.deck = Some("Default".to_string());
        moved.tags.push("leech".into());
        moved.tags.push("stale".into());
        // A tag the user added in Anki: decksmith never pushed it.
        moved.tags.push("Mine".into());
        let moved_hash = model().hash(&moved.fields);
        let orphan = anki(30, &card("old-0-en"));
        let snap = Snapshot {
            notes: HashMap::from([(10, anki(10, &a)), (20, moved), (30, orphan)]),
            pushed: HashMap::from([(
                20,
                PushRecord {
                    hash: moved_hash,
                    tags: ["stale".to_string(), "leech".to_string()].into(),
                },
            )]),
            ..Snapshot::default()
        };
        let wanted = vec![
            // Lost id: adopted by slug.
            Wanted::new(a, None, &model()),
            Wanted::new(b, Some(20), &model()),
            // Stored id gone from Anki.
            Wanted::new(c, Some(99), &model()),
        ];
        let p = plan(
            &models(),
            &wanted,
            &snap,
            &[],
            &["leech".into()],
            true,
            false,
        );
        let s = step_for(&p, "n-0-en");
        assert!(s.adopted && s.action == Action::Unchanged { id: 10 });
        let s = step_for(&p, "n-0-ru");
        assert_eq!(
            s.action,
            Action::UpdateFields {
                id: 20,
                fields: vec!["Back".into()]
            }
        );
        assert!(s.move_deck);
        assert_eq!(s.remove_tags, vec!["stale".to_string()]);
        assert_eq!(step_for(&p, "n-1-en").action, Action::Recreate { gone: 99 });
        assert_eq!(p.orphans, vec![(30, "old-0-en".to_string())]);
        assert_eq!(p.missing_decks, vec!["D".to_string()]);
        // Orphans are unknown when only part of the vault is synced.
        assert!(
            plan(&models(), &wanted, &snap, &[], &[], false, false)
                .orphans
                .is_empty()
        );
    }

    /// A note as Anki holds the fields pushed for `c`.
    fn as_stored(id: i64, c: &Card, slug_field: &str) -> AnkiNote {
        let mut n = anki(id, c);
        n.fields.insert("Slug".into(), slug_field.into());
        n
    }

    #[test]
    fn slugs_are_pushed_as_html_text_and_found_again() {
        let mut c = card(r#"<img src=x onerror=alert(1)>&"*_:-0-en"#);
        c.source = "a&amp;b.md".into();
        let pushed = model().values(&c);
        assert_eq!(
            pushed["Slug"],
            r#"&lt;img src=x onerror=alert(1)&gt;&amp;"*_:-0-en"#
        );
        assert_eq!(pushed["Source"], "a&amp;b.md", "already HTML");
        // Anki holds what was pushed: the card is found by its slug, with nothing to update.
        let snap = Snapshot {
            notes: HashMap::from([(10, as_stored(10, &c, &pushed["Slug"]))]),
            ..Snapshot::default()
        };
        for stored_id in [Some(10), None] {
            let wanted = [Wanted::new(c.clone(), stored_id, &model())];
            let p = plan(&models(), &wanted, &snap, &["D".into()], &[], true, false);
            assert_eq!(p.steps[0].action, Action::Unchanged { id: 10 });
            assert!(p.orphans.is_empty(), "{:?}", p.orphans);
        }
    }

    #[test]
    fn a_slug_pushed_bare_is_adopted_and_escaped() {
        let c = card("a&b-0-en");
        let snap = Snapshot {
            notes: HashMap::from([(10, as_stored(10, &c, "a&b-0-en"))]),
            ..Snapshot::default()
        };
        let wanted = [Wanted::new(c, None, &model())];
        let p = plan(&models(), &wanted, &snap, &["D".into()], &[], true, false);
        assert_eq!(
            p.steps[0].action,
            Action::UpdateFields {
                id: 10,
                fields: vec!["Slug".into()]
            }
        );
        assert!(p.orphans.is_empty());
    }

    #[test]
    fn fields_are_pushed_as_anki_stores_them() {
        // Decomposed `й` and a control character: Anki stores `й` composed and drops the
        // control character, so pushing them as they are would look like an edit every time.
        let mut c = card("n-0-en");
        c.back = "<p>и\u{306}\u{1}\tx\n</p>".into();
        assert_eq!(model().values(&c)["Back"], "<p>й\tx\n</p>");
        let mut stored = anki(10, &c);
        stored.fields.insert("Back".into(), "<p>й\tx\n</p>".into());
        let snap = Snapshot {
            notes: HashMap::from([(10, stored)]),
            ..Snapshot::default()
        };
        let wanted = [Wanted::new(c, Some(10), &model())];
        let p = plan(&models(), &wanted, &snap, &["D".into()], &[], true, false);
        assert_eq!(p.steps[0].action, Action::Unchanged { id: 10 });
    }

    #[test]
    fn a_note_edited_in_anki_is_a_conflict_unless_overwritten() {
        let c = card("n-0-en");
        let mut edited = anki(10, &c);
        edited
            .fields
            .insert("Back".into(), "<p>Fixed in Anki</p>".into());
        let mut vault = c.clone();
        vault.back = "<p>Changed in the vault</p>".into();
        let wanted = [Wanted::new(vault, Some(10), &model())];
        let mut snap = Snapshot {
            notes: HashMap::from([(10, edited)]),
            ..Snapshot::default()
        };
        // Without a record of what was pushed, the vault wins, as before.
        let p = plan(&models(), &wanted, &snap, &["D".into()], &[], true, false);
        assert!(matches!(
            step_for(&p, "n-0-en").action,
            Action::UpdateFields { .. }
        ));
        // What was pushed is not what Anki has: edited there.
        snap.pushed.insert(
            10,
            PushRecord {
                hash: model().hash(&model().values(&c)),
                tags: BTreeSet::new(),
            },
        );
        let p = plan(&models(), &wanted, &snap, &["D".into()], &[], true, false);
        assert_eq!(
            step_for(&p, "n-0-en").action,
            Action::Conflict {
                id: 10,
                fields: vec!["Back".into()]
            }
        );
        assert!(!step_for(&p, "n-0-en").writes());
        let p = plan(&models(), &wanted, &snap, &["D".into()], &[], true, true);
        assert!(matches!(
            step_for(&p, "n-0-en").action,
            Action::UpdateFields { .. }
        ));
        // Anki still has what was pushed: the vault's change is an update.
        snap.notes.insert(10, anki(10, &c));
        let p = plan(&models(), &wanted, &snap, &["D".into()], &[], true, false);
        assert!(matches!(
            step_for(&p, "n-0-en").action,
            Action::UpdateFields { .. }
        ));
    }
}
