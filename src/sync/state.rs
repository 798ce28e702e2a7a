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

use std::collections::{BTreeMap, HashMap};
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

#[derive(Debug, Default, Serialize, Deserialize)]
struct StateFile {
    /// Anki note id → hash of the fields decksmith last pushed to it (or found equal to the
    /// vault's).
    pushed: BTreeMap<i64, String>,
}

/// The push state of one vault.
#[derive(Debug)]
pub struct PushState {
    dir: PathBuf,
    file: StateFile,
}

impl PushState {
    /// The state of the vault at `root`; empty when there is none or it cannot be read.
    pub fn open(root: &Path) -> PushState {
        let dir = root.join(cache::DIR);
        let file = std::fs::read(dir.join(FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        PushState { dir, file }
    }

    pub fn pushed(&self) -> HashMap<i64, String> {
        self.file
            .pushed
            .iter()
            .map(|(id, h)| (*id, h.clone()))
            .collect()
    }

    /// Record what a sync left in Anki, and forget deleted notes.
    pub fn update(&mut self, pushed: &[(i64, String)], deleted: &[i64]) {
        for (id, h) in pushed {
            self.file.pushed.insert(*id, h.clone());
        }
        for id in deleted {
            self.file.pushed.remove(id);
        }
    }

    /// Write the state. A failure costs only the conflict check of the next run, so it is
    /// reported by the caller as a warning, not an error.
    pub fn save(&self) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(&self.file).map_err(std::io::Error::other)?;
        cache::write_file(&self.dir, FILE, &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_forgets_deleted_notes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut state = PushState::open(dir.path());
        assert!(state.pushed().is_empty());
        state.update(&[(1, "a".into()), (2, "b".into())], &[]);
        state.save().expect("save");
        let mut again = PushState::open(dir.path());
        assert_eq!(again.pushed().get(&2).map(String::as_str), Some("b"));
        again.update(&[(1, "c".into())], &[2]);
        assert_eq!(
            again.pushed(),
            HashMap::from([(1, "c".to_string())]),
            "updated and forgotten"
        );
        assert!(dir.path().join(".decksmith-cache/CACHEDIR.TAG").exists());
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
