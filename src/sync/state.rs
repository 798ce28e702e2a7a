//! What decksmith last pushed to each Anki note, to tell a note edited in Anki from a note
//! whose card changed in the vault.
//!
//! When the vault's card and Anki's note differ, either side may have changed. Overwriting
//! an edit made in Anki is what users of sync tools complain about most, so sync compares
//! Anki's fields with a hash of what it pushed last: if they differ, the note was edited in
//! Anki since, and it is reported as a conflict instead of overwritten (`--overwrite`
//! replaces it). The hashes live in the vault's cache folder, per machine (each machine
//! talks to its own Anki); without them (a first run, a deleted cache) sync cannot tell, and
//! the vault wins, as it always did.
//!
//! The same record says which tags decksmith put on each note. Tags the user adds in Anki
//! are the user's: sync removes a tag only when it pushed that tag earlier and the card no
//! longer carries it (`keep-tags` is an extra guard). Anki compares tags case-insensitively
//! and folds a new tag to the case of an existing one, so tags are recorded and compared
//! folded to lower case.
//!
//! The same file lets a sync skip reading notes Anki has not changed (a no-op sync of
//! thousands of cards would otherwise read every field: 15 MB for 2,000 cards). For each
//! note whose fields were, at the end of a run, exactly what its record says, the file keeps
//! its slug; and it keeps when the last complete run started (`verified`). A later run asks
//! Anki which notes were edited since then and reads only those, the notes it has no exact
//! record of, and the notes whose card changed in the vault; the others are known from their
//! record. Anki's search knows edits only by day (`edited:N`, counted from its day rollover,
//! which decksmith cannot see), so the window is rounded out to whole days plus an hour of
//! clock difference: a note changed in the last day or two, by decksmith or anyone, is read
//! in full. Anything that edits a note moves its modification time, in Anki and on every
//! device it syncs with, so it shows in that search; what does not is replacing the
//! collection by an older one (restoring a backup, a one-way download from AnkiWeb). A
//! record of a note Anki no longer has is the sign of that, and then every note is read; so
//! does `--read-all`.
//!
//! The file is rewritten only when a record changed: a sync that changes nothing writes
//! nothing, except that at most once a day it moves `verified` forward when that shortens
//! the window of the next run.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::reuse::{Rendered, RenderedNotes};
use crate::cards::NoteCards;
use crate::vault::cache;

const FILE: &str = "sync-v1.json";

/// A tag as Anki compares it.
pub fn tag_key(tag: &str) -> String {
    tag.to_lowercase()
}

/// What decksmith last left in one Anki note.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PushRecord {
    /// [`crate::cards::model::NoteModel::hash`] of the fields pushed (or found equal to the
    /// vault's).
    pub hash: String,
    /// The tags decksmith put there, as [`tag_key`]s.
    pub tags: BTreeSet<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StateFile {
    /// Anki note id → hash of the fields decksmith last pushed to it (or found equal to the
    /// vault's).
    pushed: BTreeMap<i64, String>,
    /// Anki note id → the tags decksmith put on it (absent in files of earlier versions:
    /// then no tag of that note is removed until it is recorded).
    #[serde(default)]
    tags: BTreeMap<i64, BTreeSet<String>>,
    /// Anki note id → its Slug field, for notes whose fields were exactly `pushed` at the end
    /// of the run that recorded them.
    #[serde(default)]
    slugs: BTreeMap<i64, String>,
    /// When the last run whose records are exact started (Unix seconds), if it was complete.
    #[serde(default)]
    verified: Option<i64>,
    /// Note path → what rendering gave, for notes whose cards all reached Anki exactly
    /// ([`super::reuse`]).
    #[serde(default)]
    rendered: RenderedNotes,
}

/// Clock difference between decksmith and Anki allowed for (Anki may run on another machine).
const CLOCK_MARGIN_SECS: i64 = 3600;
const DAY_SECS: i64 = 86_400;

/// The `edited:N` search window that surely reaches back to `since` (Unix seconds) at `now`:
/// Anki counts days from its next rollover, which may be up to a day ahead of `now`. `None`
/// when `since` lies in the future (a clock changed): then nothing can be trusted.
pub fn edited_window(since: i64, now: i64) -> Option<u32> {
    let age = now.checked_sub(since)?;
    if age < -CLOCK_MARGIN_SECS {
        return None;
    }
    let span = age.max(0) + CLOCK_MARGIN_SECS;
    u32::try_from(1 + (span + DAY_SECS - 1) / DAY_SECS).ok()
}

/// What a run may take from the push state instead of reading a note from Anki.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Known {
    /// The note's Slug field.
    pub slug: String,
    pub record: PushRecord,
}

/// The push state of one vault.
#[derive(Debug)]
pub struct PushState {
    dir: PathBuf,
    file: StateFile,
    dirty: bool,
}

impl PushState {
    /// The state of the vault at `root`; empty when there is none or it cannot be read.
    pub fn open(root: &Path) -> PushState {
        let dir = root.join(cache::DIR);
        let file = std::fs::read(dir.join(FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        PushState {
            dir,
            file,
            dirty: false,
        }
    }

    pub fn pushed(&self) -> HashMap<i64, PushRecord> {
        self.file
            .pushed
            .iter()
            .map(|(id, h)| {
                let tags = self.file.tags.get(id).cloned().unwrap_or_default();
                (
                    *id,
                    PushRecord {
                        hash: h.clone(),
                        tags,
                    },
                )
            })
            .collect()
    }

    /// The search window for notes edited in Anki since the last complete run, `None` when
    /// every note must be read.
    pub fn window(&self, now: i64) -> Option<u32> {
        edited_window(self.file.verified?, now)
    }

    /// Notes whose fields and tags the records know exactly, when Anki reports them not
    /// edited since: every recorded note with a slug that is not in `edited`.
    pub fn known(&self, edited: &std::collections::HashSet<i64>) -> HashMap<i64, Known> {
        if self.file.verified.is_none() {
            return HashMap::new();
        }
        self.file
            .slugs
            .iter()
            .filter(|(id, _)| !edited.contains(id))
            .filter_map(|(id, slug)| {
                let hash = self.file.pushed.get(id)?.clone();
                let tags = self.file.tags.get(id)?.clone();
                Some((
                    *id,
                    Known {
                        slug: slug.clone(),
                        record: PushRecord { hash, tags },
                    },
                ))
            })
            .collect()
    }

    /// Record what a sync left in Anki, and forget deleted notes. `exact` maps the notes
    /// whose fields are now exactly their record to their Slug field; the others lose their
    /// slug, so the next run reads them.
    pub fn update(
        &mut self,
        pushed: &[(i64, PushRecord)],
        exact: &BTreeMap<i64, String>,
        deleted: &[i64],
    ) {
        for (id, record) in pushed {
            let slug = exact.get(id);
            if self.file.slugs.get(id) != slug {
                match slug {
                    Some(s) => self.file.slugs.insert(*id, s.clone()),
                    None => self.file.slugs.remove(id),
                };
                self.dirty = true;
            }
            if self.file.pushed.get(id) != Some(&record.hash) {
                self.file.pushed.insert(*id, record.hash.clone());
                self.dirty = true;
            }
            if self.file.tags.get(id) != Some(&record.tags) {
                self.file.tags.insert(*id, record.tags.clone());
                self.dirty = true;
            }
        }
        for id in deleted {
            self.dirty |= self.file.pushed.remove(id).is_some();
            self.dirty |= self.file.tags.remove(id).is_some();
            self.dirty |= self.file.slugs.remove(id).is_some();
        }
    }

    /// What rendering gave for the note at `path` when it was last kept.
    pub fn rendered(&self, path: &str) -> Option<&Rendered> {
        self.file.rendered.get(path)
    }

    /// Keep what rendering gave for the notes a run rendered (with their source keys), for
    /// those whose cards all reached Anki exactly (`exact`, after [`PushState::update`]);
    /// forget the others. `vault`: every note path, when the run covered the whole vault
    /// (entries of notes gone from it are dropped).
    pub fn remember_rendered(
        &mut self,
        rendered: &[(&NoteCards, &str)],
        exact: &BTreeMap<i64, String>,
        vault: Option<&std::collections::HashSet<&str>>,
    ) {
        let hashes: HashMap<String, &str> = exact
            .iter()
            .filter_map(|(id, slug)| Some((slug.clone(), self.file.pushed.get(id)?.as_str())))
            .collect();
        let entries: Vec<(String, Option<Rendered>)> = rendered
            .iter()
            .map(|(nc, key)| (nc.note.clone(), Rendered::of(nc, key, &hashes)))
            .collect();
        for (path, entry) in entries {
            if self.file.rendered.get(&path) != entry.as_ref() {
                match entry {
                    Some(e) => self.file.rendered.insert(path, e),
                    None => self.file.rendered.remove(&path),
                };
                self.dirty = true;
            }
        }
        if let Some(paths) = vault {
            let before = self.file.rendered.len();
            self.file
                .rendered
                .retain(|path, _| paths.contains(path.as_str()));
            self.dirty |= self.file.rendered.len() != before;
        }
    }

    /// Close a run that started at `started` (Unix seconds); `edited` are the notes Anki
    /// reported edited since the last mark (`None`: the run had no mark, every note was
    /// read), `exact` the notes whose fields the run left exactly as recorded. A note edited
    /// in Anki and not made exact again (it is a conflict, or outside the paths synced) is
    /// no longer vouched for: its next run reads it.
    ///
    /// A complete run makes the remaining records exact as of its start: the mark moves
    /// there when the file is written anyway, or when that shortens the next run's window by
    /// a day (at most once a day for runs that change nothing). An incomplete run (stopped,
    /// or a tag request failed) may leave records that do not match Anki: the mark is
    /// dropped and the next run reads every note.
    pub fn close_run(
        &mut self,
        started: i64,
        complete: bool,
        now: i64,
        edited: Option<&std::collections::HashSet<i64>>,
        exact: &BTreeMap<i64, String>,
    ) {
        let before = self.file.slugs.len();
        self.file
            .slugs
            .retain(|id, _| exact.contains_key(id) || edited.is_some_and(|e| !e.contains(id)));
        self.dirty |= self.file.slugs.len() != before;
        let mark = if !complete {
            None
        } else if self.dirty
            || self
                .window(now)
                .is_none_or(|old| edited_window(started, now).is_some_and(|new| new < old))
        {
            Some(started)
        } else {
            self.file.verified
        };
        if mark != self.file.verified {
            self.file.verified = mark;
            self.dirty = true;
        }
    }

    /// Write the state if a record changed. A failure costs only the conflict check of the
    /// next run, so it is reported by the caller as a warning, not an error.
    pub fn save(&self) -> std::io::Result<()> {
        if !self.dirty {
            return Ok(());
        }
        let bytes = serde_json::to_vec(&self.file).map_err(std::io::Error::other)?;
        cache::write_file(&self.dir, FILE, &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(hash: &str, tags: &[&str]) -> PushRecord {
        PushRecord {
            hash: hash.into(),
            tags: tags.iter().map(|t| tag_key(t)).collect(),
        }
    }

    #[test]
    fn state_round_trips_and_forgets_deleted_notes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut state = PushState::open(dir.path());
        assert!(state.pushed().is_empty());
        state.update(
            &[(1, record("a", &["x"])), (2, record("b", &["Database"]))],
            &BTreeMap::new(),
            &[],
        );
        state.save().expect("save");
        let mut again = PushState::open(dir.path());
        assert_eq!(again.pushed().get(&2), Some(&record("b", &["database"])));
        again.update(&[(1, record("c", &["x"]))], &BTreeMap::new(), &[2]);
        assert_eq!(
            again.pushed(),
            HashMap::from([(1, record("c", &["x"]))]),
            "updated and forgotten"
        );
        assert!(dir.path().join(".decksmith-cache/CACHEDIR.TAG").exists());
    }

    #[test]
    fn an_unchanged_state_is_not_written_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join(cache::DIR).join(FILE);
        std::fs::create_dir_all(file.parent().expect("dir")).expect("mkdir");
        // Spaced out, unlike what decksmith writes: a rewrite would show.
        let text = "{ \"pushed\": { \"1\": \"a\" }, \"tags\": { \"1\": [\"x\"] } }";
        std::fs::write(&file, text).expect("write");
        let mut same = PushState::open(dir.path());
        // The same record (tags compare folded), and a deletion of an unknown note.
        same.update(&[(1, record("a", &["X"]))], &BTreeMap::new(), &[99]);
        same.save().expect("save");
        assert_eq!(std::fs::read_to_string(&file).expect("read"), text);
        same.update(&[(1, record("b", &["x"]))], &BTreeMap::new(), &[]);
        same.save().expect("save");
        assert_ne!(std::fs::read_to_string(&file).expect("read"), text);
    }

    #[test]
    fn the_window_reaches_back_past_the_mark_whatever_anki_s_rollover() {
        let day = DAY_SECS;
        // Anki's `edited:N` covers the notes changed after `rollover - N days`, where the
        // next rollover is anywhere in the coming day: the window must reach back past
        // `since - margin` for every rollover.
        for (since, now) in [
            (0, 10),
            (0, day - 1),
            (0, day),
            (0, 3 * day + 7),
            (500, 90_000),
        ] {
            let n = i64::from(edited_window(since, now).expect("window"));
            for next_rollover in [now + 1, now + day / 2, now + day] {
                assert!(
                    next_rollover - n * day <= since - CLOCK_MARGIN_SECS,
                    "since {since}, now {now}: edited:{n} starts too late"
                );
            }
        }
        assert_eq!(edited_window(0, 10), Some(2));
        assert_eq!(edited_window(0, 3 * day), Some(5));
        assert_eq!(edited_window(10 * day, 0), None, "a mark in the future");
    }

    #[test]
    fn known_notes_need_an_exact_record_and_no_edit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut state = PushState::open(dir.path());
        let exact = BTreeMap::from([(1, "s-1".to_string()), (2, "s-2".to_string())]);
        state.update(
            &[
                (1, record("a", &["x"])),
                (2, record("b", &["y"])),
                (3, record("c", &[])),
            ],
            &exact,
            &[],
        );
        let none = std::collections::HashSet::new();
        assert!(state.known(&none).is_empty(), "no complete run yet");
        state.close_run(100, true, 200, None, &exact);
        let edited = std::collections::HashSet::from([2]);
        let known = state.known(&edited);
        assert_eq!(known.keys().copied().collect::<Vec<_>>(), vec![1]);
        assert_eq!(known[&1].slug, "s-1");
        assert_eq!(known[&1].record, record("a", &["x"]));
        state.close_run(300, false, 400, Some(&none), &exact);
        assert!(
            state.known(&none).is_empty(),
            "an incomplete run trusts nothing"
        );
    }

    #[test]
    fn a_run_that_changes_nothing_moves_the_mark_at_most_once_a_day() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut state = PushState::open(dir.path());
        let exact = BTreeMap::from([(1, "s".to_string())]);
        state.update(&[(1, record("a", &["x"]))], &exact, &[]);
        state.close_run(1_000, true, 1_010, None, &exact);
        state.save().expect("save");
        let file = dir.path().join(cache::DIR).join(FILE);
        let written = std::fs::read(&file).expect("read");
        // The same day: the window would not shrink, nothing is written.
        let mut same = PushState::open(dir.path());
        let edited = std::collections::HashSet::from([1]);
        same.close_run(5_000, true, 5_010, Some(&edited), &exact);
        same.save().expect("save");
        assert_eq!(std::fs::read(&file).expect("read"), written);
        // Two days later the mark moves, once.
        let later = 1_000 + 2 * DAY_SECS;
        let mut next = PushState::open(dir.path());
        next.close_run(later, true, later + 10, Some(&edited), &exact);
        next.save().expect("save");
        let moved = std::fs::read(&file).expect("read");
        assert_ne!(moved, written);
        let mut again = PushState::open(dir.path());
        again.close_run(later + 60, true, later + 70, Some(&edited), &exact);
        again.save().expect("save");
        assert_eq!(std::fs::read(&file).expect("read"), moved);
    }

    #[test]
    fn a_note_edited_in_anki_and_not_made_exact_again_is_read_next_time() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut state = PushState::open(dir.path());
        let exact = BTreeMap::from([(1, "s-1".to_string()), (2, "s-2".to_string())]);
        state.update(&[(1, record("a", &[])), (2, record("b", &[]))], &exact, &[]);
        state.close_run(100, true, 110, None, &exact);
        // Note 2 was edited in Anki; this run (of other paths, or a conflict) left it alone.
        let edited = std::collections::HashSet::from([2]);
        state.close_run(200, true, 210, Some(&edited), &BTreeMap::new());
        let none = std::collections::HashSet::new();
        assert_eq!(
            state.known(&none).keys().copied().collect::<Vec<_>>(),
            vec![1]
        );
        // A run without a mark read everything: only what it made exact is vouched for.
        state.close_run(300, true, 310, None, &BTreeMap::from([(2, "s-2".into())]));
        assert!(state.known(&none).is_empty(), "note 2 has no record update");
    }
}
