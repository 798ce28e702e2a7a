//! The vault index: facts about every note that rules about *other* notes need.
//!
//! It always covers the whole vault, even when only a few files are reported on (a
//! pre-commit run passes only the staged files, yet an id may clash with any note).

use std::collections::HashMap;
use std::ops::Range;

use super::note::Note;

#[derive(Debug, Default)]
pub struct VaultIndex {
    /// Front-matter `id` → (note path, span of the id value), in path order.
    pub ids: HashMap<String, Vec<(String, Range<usize>)>>,
}

impl VaultIndex {
    pub fn build(notes: &[Note]) -> VaultIndex {
        let mut index = VaultIndex::default();
        for note in notes {
            let Some(fm) = note.front_matter() else {
                continue;
            };
            if let Some(id) = fm
                .json
                .get("id")
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
            {
                let span = fm.spans.value("/id").unwrap_or(0..0);
                index
                    .ids
                    .entry(id.to_string())
                    .or_default()
                    .push((note.path.clone(), span));
            }
        }
        index
    }
}
