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
//! The file is rewritten only when a record changed: a sync that changes nothing writes
//! nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::plan::FIELDS;
use crate::vault::cache;

const FILE: &str = "sync-v1.json";

/// The hash of a note's fields, in decksmith's field order (missing fields count as empty).
pub fn fields_hash(fields: &BTreeMap<String, String>) -> String {
    let values: Vec<&str> = FIELDS
        .iter()
        .map(|f| fields.get(*f).map_or("", String::as_str))
        .collect();
    crate::cards::fnv1a(&values)
}

/// A tag as Anki compares it.
pub fn tag_key(tag: &str) -> String {
    tag.to_lowercase()
}

/// What decksmith last left in one Anki note.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PushRecord {
    /// [`fields_hash`] of the fields pushed (or found equal to the vault's).
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

    /// Record what a sync left in Anki, and forget deleted notes.
    pub fn update(&mut self, pushed: &[(i64, PushRecord)], deleted: &[i64]) {
        for (id, record) in pushed {
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
            &[],
        );
        state.save().expect("save");
        let mut again = PushState::open(dir.path());
        assert_eq!(again.pushed().get(&2), Some(&record("b", &["database"])));
        again.update(&[(1, record("c", &["x"]))], &[2]);
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
        same.update(&[(1, record("a", &["X"]))], &[99]);
        same.save().expect("save");
        assert_eq!(std::fs::read_to_string(&file).expect("read"), text);
        same.update(&[(1, record("b", &["x"]))], &[]);
        same.save().expect("save");
        assert_ne!(std::fs::read_to_string(&file).expect("read"), text);
    }

    #[test]
    fn the_hash_follows_the_field_order_and_ignores_other_fields() {
        let a = BTreeMap::from([
            ("Front".to_string(), "f".to_string()),
            ("Back".to_string(), "b".to_string()),
        ]);
        let mut b = a.clone();
        b.insert("My notes".into(), "x".into());
        assert_eq!(fields_hash(&a), fields_hash(&b));
        let swapped = BTreeMap::from([
            ("Front".to_string(), "b".to_string()),
            ("Back".to_string(), "f".to_string()),
        ]);
        assert_ne!(fields_hash(&a), fields_hash(&swapped));
    }
}
