//! Media for Anki: images a card shows, stored in Anki's media folder under content names.
//!
//! Anki addresses media by bare file name in one flat folder, so two notes' `diagram.png`
//! would clash, and a changed image under an unchanged name would never be sent again. Each
//! file is therefore stored as `decksmith-<content hash>.<ext>`: the same name always means
//! the same bytes. Card fields are rewritten to those names before planning, so a changed
//! image changes the field and the card is updated. Files are stored by path (AnkiConnect
//! reads them from disk; base64 bodies are read in quadratic time by the add-on).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::cards::{Card, fnv1a_bytes};
use crate::vault::index::{Target, VaultIndex};

/// The prefix of every media file name decksmith stores.
pub const PREFIX: &str = "decksmith-";

/// One media file to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaFile {
    pub name: String,
    pub path: PathBuf,
}

fn basename(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// Resolve the media of `cards` against the vault, rewrite their fields to content names,
/// and return the files to store (sorted by name, each once) plus the references that
/// resolved to nothing. Each file is read and hashed once, however many cards show it.
pub fn prepare<'c>(
    cards: impl IntoIterator<Item = &'c mut Card>,
    index: &VaultIndex,
    root: &Path,
) -> (Vec<MediaFile>, Vec<(String, String)>) {
    let mut files: BTreeMap<String, PathBuf> = BTreeMap::new();
    // Vault-relative path → content name (`None`: unreadable).
    let mut named: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut missing = Vec::new();
    for card in cards {
        let mut renames: Vec<(String, String)> = Vec::new();
        for reference in &card.media {
            let target = match index.resolve_relative(&card.note, reference) {
                Target::Attachment(p) => Some(p.to_string()),
                _ => match index.resolve_name(reference) {
                    Target::Attachment(p) => Some(p.to_string()),
                    _ => None,
                },
            };
            let Some(rel) = target else {
                missing.push((card.slug.clone(), reference.clone()));
                continue;
            };
            let path = root.join(&rel);
            let name = named.entry(rel.clone()).or_insert_with(|| {
                let bytes = std::fs::read(&path).ok()?;
                let ext = Path::new(&rel)
                    .extension()
                    .map(|e| format!(".{}", e.to_string_lossy().to_lowercase()))
                    .unwrap_or_default();
                Some(format!("{PREFIX}{}{ext}", fnv1a_bytes(&bytes)))
            });
            let Some(name) = name.clone() else {
                missing.push((card.slug.clone(), reference.clone()));
                continue;
            };
            files.insert(name.clone(), path);
            renames.push((basename(reference).to_string(), name));
        }
        for (from, to) in renames {
            let (a, b) = (format!("src=\"{from}\""), format!("src=\"{to}\""));
            card.front = card.front.replace(&a, &b);
            card.back = card.back.replace(&a, &b);
        }
    }
    let files = files
        .into_iter()
        .map(|(name, path)| MediaFile { name, path })
        .collect();
    (files, missing)
}
