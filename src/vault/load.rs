//! Reading the vault: its settings (the kinds, what is excluded, which files are notes),
//! which notes a command names, and loading them.
//!
//! Every command reads notes the same way, so this lives below the commands: `check` adds
//! its rule settings on top, `cards` and `sync` need nothing else (a typo in `[lint]`
//! settings does not stop a sync).

use std::path::{Path, PathBuf};

use globset::GlobSet;
use rayon::prelude::*;
use regex::Regex;

use crate::config::Loaded;
use crate::vault::cache::ContentHash;
use crate::vault::frontmatter;
use crate::vault::index::IndexEntry;
use crate::vault::lines::Text;
use crate::vault::note::{Note, Unreadable, text_of};
use crate::vault::walk::{self, Entry};

/// An error in what a command was asked to read (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Invalid(String),
    #[error("path `{0}` does not exist")]
    MissingPath(PathBuf),
}

/// How a kind claims files: by path glob and by file-name pattern.
struct KindMatcher {
    paths: Option<GlobSet>,
    filename: Option<Regex>,
}

/// The vault's settings, compiled once: the configuration, the kinds' matchers and the
/// excluded paths.
pub struct VaultSettings {
    pub loaded: Loaded,
    matchers: Vec<KindMatcher>,
    exclude: GlobSet,
}

impl VaultSettings {
    pub fn new(loaded: Loaded) -> Result<VaultSettings, LoadError> {
        let config = &loaded.config;
        let mut matchers = Vec::new();
        for kind in &config.kinds {
            let paths = if kind.paths.is_empty() {
                None
            } else {
                Some(walk::globset(&kind.paths).map_err(|e| LoadError::Invalid(e.to_string()))?)
            };
            let filename = kind
                .filename
                .as_deref()
                .map(Regex::new)
                .transpose()
                .map_err(|e| LoadError::Invalid(e.to_string()))?;
            matchers.push(KindMatcher { paths, filename });
        }
        let exclude =
            walk::globset(&config.vault.exclude).map_err(|e| LoadError::Invalid(e.to_string()))?;
        Ok(VaultSettings {
            loaded,
            matchers,
            exclude,
        })
    }

    pub fn root(&self) -> &Path {
        &self.loaded.root
    }

    /// The kind of a vault-relative path.
    pub fn kind_of(&self, rel: &str) -> Option<usize> {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        self.matchers.iter().position(|k| {
            k.paths.as_ref().is_none_or(|g| g.is_match(rel))
                && k.filename.as_ref().is_none_or(|r| r.is_match(name))
                && (k.paths.is_some() || k.filename.is_some())
        })
    }

    pub fn is_excluded(&self, rel: &str) -> bool {
        walk::is_excluded(&self.exclude, rel)
    }

    /// The vault as the next commit will have it (`check --staged`).
    pub fn staged(&self) -> Result<crate::vault::staged::Staged, LoadError> {
        let vault = &self.loaded.config.vault;
        crate::vault::staged::read(self.root(), &self.exclude, &vault.extensions)
            .map_err(|e| LoadError::Invalid(e.to_string()))
    }

    /// Every file of the vault, excluded ones marked.
    pub fn walk(&self) -> walk::Listing {
        let vault = &self.loaded.config.vault;
        walk::walk(self.root(), &self.exclude, &vault.extensions)
    }
}

/// Read and summarise one file.
///
/// `full` also summarises the body (headings, links); notes that are only indexed in a
/// subset run need their front matter alone.
pub fn load_note(settings: &VaultSettings, entry: &Entry, full: bool) -> Note {
    load_note_of_kind(settings, entry, settings.kind_of(&entry.rel), full, full)
}

/// Read a note whole for its rules, with the hash of the bytes it was read from (`None`
/// when none were: a file too large, unreadable or badly named).
pub fn load_note_hashed(settings: &VaultSettings, entry: &Entry) -> (Note, Option<ContentHash>) {
    let limit = settings.loaded.config.vault.max_file_size;
    read_whole(entry, limit, settings.kind_of(&entry.rel))
}

/// The hash of the bytes [`load_note_hashed`] would read of `entry`, without parsing them.
pub fn content_hash(settings: &VaultSettings, entry: &Entry) -> Option<ContentHash> {
    check_readable(entry, settings.loaded.config.vault.max_file_size).ok()?;
    read_bytes(entry).ok().map(|bytes| ContentHash::of(&bytes))
}

/// Load a note: `whole` reads all of it (else, when that is possible, only enough for its
/// front matter), `summarise` also extracts the body's headings and links.
pub(crate) fn load_note_of_kind(
    settings: &VaultSettings,
    entry: &Entry,
    kind: Option<usize>,
    whole: bool,
    summarise: bool,
) -> Note {
    let limit = settings.loaded.config.vault.max_file_size;
    read_entry(entry, limit, kind, whole, summarise)
}

/// [`load_note_of_kind`] with the vault's file-size `limit`.
fn read_entry(
    entry: &Entry,
    limit: u64,
    kind: Option<usize>,
    whole: bool,
    summarise: bool,
) -> Note {
    if !whole
        && entry.content.is_none()
        && check_readable(entry, limit).is_ok()
        && let Some(note) = read_front_matter_only(entry, kind)
    {
        return note;
    }
    read(entry, limit, kind, summarise, false).0
}

/// Read `entry` whole and summarise it, with the hash of the bytes read.
fn read_whole(entry: &Entry, limit: u64, kind: Option<usize>) -> (Note, Option<ContentHash>) {
    read(entry, limit, kind, true, true)
}

/// Read all of `entry` (up to `limit` bytes), `summarise` its body too, and `hash` the
/// bytes read when asked.
fn read(
    entry: &Entry,
    limit: u64,
    kind: Option<usize>,
    summarise: bool,
    hash: bool,
) -> (Note, Option<ContentHash>) {
    let unreadable = |why| Note::unreadable(entry.rel.clone(), why, kind);
    if let Err(why) = check_readable(entry, limit) {
        return (unreadable(why), None);
    }
    match read_bytes(entry) {
        Ok(bytes) => {
            let hashed = hash.then(|| ContentHash::of(&bytes));
            let note = Note::from_bytes(entry.rel.clone(), bytes, kind, summarise);
            (note, hashed)
        }
        Err(why) => (unreadable(why), None),
    }
}

/// Why `entry` is not read at all: a name that is not UTF-8, more bytes than `limit`, or
/// a file that cannot be looked at.
fn check_readable(entry: &Entry, limit: u64) -> Result<(), Unreadable> {
    if entry.bad_name {
        return Err(Unreadable::BadName);
    }
    let size = match &entry.content {
        Some(bytes) => bytes.len() as u64,
        None => std::fs::metadata(&entry.path)
            .map_err(|e| Unreadable::Io(e.to_string()))?
            .len(),
    };
    if size > limit {
        return Err(Unreadable::TooLarge { size, limit });
    }
    Ok(())
}

/// The bytes of `entry`: the staged ones when it has them, else the file's.
fn read_bytes(entry: &Entry) -> Result<Vec<u8>, Unreadable> {
    match &entry.content {
        Some(bytes) => Ok(bytes.to_vec()),
        None => std::fs::read(&entry.path).map_err(|e| Unreadable::Io(e.to_string())),
    }
}

/// The texts of a run's files, for output that shows a finding's lines: read again from the
/// run's own listing (so a staged run shows staged text) when asked for, never kept, so a
/// report's memory does not grow with the vault's bytes. A text the run wrote (a fixed
/// note) is held as written.
#[derive(Clone, Default)]
pub struct Sources {
    entries: std::sync::Arc<Vec<Entry>>,
    limit: u64,
    held: std::collections::HashMap<String, std::sync::Arc<Text>>,
}

impl Sources {
    /// The files of `entries` (sorted by path), read up to `limit` bytes.
    pub fn new(entries: std::sync::Arc<Vec<Entry>>, limit: u64) -> Sources {
        Sources {
            entries,
            limit,
            held: Default::default(),
        }
    }

    /// Texts held in memory only (a report built without a vault on disk).
    pub fn held(texts: impl IntoIterator<Item = (String, String)>) -> Sources {
        let mut sources = Sources::default();
        for (path, text) in texts {
            sources.hold(path, text);
        }
        sources
    }

    /// Hold `text` as the text of `path` (what the run wrote there).
    pub fn hold(&mut self, path: String, text: String) {
        self.held.insert(path, std::sync::Arc::new(Text::new(text)));
    }

    /// The text of the file at vault-relative `path`; `None` when it is not one of the
    /// run's, or cannot be read as text.
    pub fn text(&self, path: &str) -> Option<std::sync::Arc<Text>> {
        if let Some(text) = self.held.get(path) {
            return Some(text.clone());
        }
        let entry = self.entry(path)?;
        // What is not read as a note (too large, binary, a bad name) is not shown either.
        check_readable(entry, self.limit).ok()?;
        let text = crate::vault::note::text_of(read_bytes(entry).ok()?).ok()?;
        Some(std::sync::Arc::new(Text::new(text)))
    }

    /// The note at vault-relative `path`, of kind `kind`, read whole and summarised, as it
    /// is on disk or staged, with the hash of the bytes read; `None` when it is not one of
    /// the run's.
    pub fn note(&self, path: &str, kind: Option<usize>) -> Option<(Note, Option<ContentHash>)> {
        Some(read_whole(self.entry(path)?, self.limit, kind))
    }

    /// Whether `path` is one of the run's files.
    pub fn contains(&self, path: &str) -> bool {
        self.entry(path).is_some()
    }

    /// The run's files, sorted by path.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Where `path` is in [`Sources::entries`].
    pub fn position(&self, path: &str) -> Option<usize> {
        self.entries
            .binary_search_by(|e| e.rel.as_str().cmp(path))
            .ok()
    }

    /// The listing's entry of `path`.
    pub fn entry(&self, path: &str) -> Option<&Entry> {
        Some(&self.entries[self.position(path)?])
    }
}

/// How much of a note an index-only read takes: front matter is a few hundred bytes to a
/// few KB, bodies are ~14 KB (real-vault median).
const FRONT_MATTER_PREFIX: u64 = 8 * 1024;

/// Read just enough of a note to index it: the leading bytes, when they hold a complete
/// front-matter block. `None` means "read the whole file" (small file, no block in the
/// prefix, or a prefix that is not text): the whole-file path then classifies it.
fn read_front_matter_only(entry: &Entry, kind: Option<usize>) -> Option<Note> {
    let note = Note::from_text_meta(entry.rel.clone(), read_prefix(entry)?, kind);
    note.split.block.is_some().then_some(note)
}

/// The file's first [`FRONT_MATTER_PREFIX`] bytes up to the last line break in them, when
/// the file has more and they are text.
fn read_prefix(entry: &Entry) -> Option<String> {
    use std::io::Read;
    let mut buf = Vec::with_capacity(FRONT_MATTER_PREFIX as usize);
    let file = std::fs::File::open(&entry.path).ok()?;
    file.take(FRONT_MATTER_PREFIX).read_to_end(&mut buf).ok()?;
    if (buf.len() as u64) < FRONT_MATTER_PREFIX {
        return None;
    }
    // Cut at the last line break so no line (or character) is split.
    let cut = buf.iter().rposition(|&b| b == b'\n')? + 1;
    buf.truncate(cut);
    String::from_utf8(buf).ok()
}

/// What the vault's index keeps of `entry`, read as [`load_note`] reads a note for its
/// front matter (the same bytes, the same outcome) without building the note: no line
/// index, and only the keys the index reads converted from the YAML tree. This is what
/// every whole-vault check does to every note before checking any.
pub fn index_entry(settings: &VaultSettings, entry: &Entry) -> IndexEntry {
    let limit = settings.loaded.config.vault.max_file_size;
    let readable = check_readable(entry, limit).is_ok();
    if readable
        && entry.content.is_none()
        && let Some(text) = read_prefix(entry)
    {
        let split = frontmatter::split(&text);
        if split.block.is_some() {
            return IndexEntry::of_block(entry.rel.clone(), &text, &split);
        }
    }
    let text = readable
        .then(|| read_bytes(entry).ok())
        .flatten()
        .and_then(|bytes| text_of(bytes).ok());
    match text {
        Some(text) => {
            let split = frontmatter::split(&text);
            IndexEntry::of_block(entry.rel.clone(), &text, &split)
        }
        None => IndexEntry::of_front_matter(entry.rel.clone(), None),
    }
}

/// Which files to report on.
#[derive(Clone, Debug, Default)]
pub struct Targets {
    /// Empty: the whole vault.
    pub paths: Vec<PathBuf>,
    /// Apply config excludes to explicitly named files too.
    pub force_exclude: bool,
    /// How the run uses the caches of `.decksmith-cache/`.
    pub cache: Caching,
    /// Keep in the report the notes a fix or a restore is offered on, as they were checked
    /// (`--fix`, `--diff`): otherwise no note is kept.
    pub keep_fixable: bool,
    /// Report on what is staged in git instead (`check --staged`): these notes, narrowed to
    /// `paths` when some are given.
    pub staged: Option<StagedTargets>,
    /// The report's output shows no label's position (`--format concise`): labels into
    /// other files are left unlocated, which would read each of those files again.
    pub skip_label_positions: bool,
}

/// How a run uses the caches of `.decksmith-cache/` (the index cache, the check cache).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Caching {
    /// Neither read nor written (`--no-cache`, and commands that do not check).
    #[default]
    Off,
    /// Read, not written: by a run that must write nothing (`--diff`), or whose own writes
    /// would make what it keeps stale at once (`--fix`).
    Read,
    /// Read and written.
    On,
}

impl Caching {
    pub fn reads(self) -> bool {
        self != Caching::Off
    }

    pub fn writes(self) -> bool {
        self == Caching::On
    }
}

/// The notes a staged run reports on.
#[derive(Clone, Debug, Default)]
pub struct StagedTargets {
    /// Added, copied, modified or renamed notes, vault-relative.
    pub changed: Vec<String>,
    /// Deleted or renamed-away notes, vault-relative: notes linking to them are reported for
    /// those links.
    pub removed: Vec<String>,
}

/// Which notes a run reports on, by vault-relative path.
/// Looked up for every note of the vault: hashed with foldhash.
pub(crate) struct Wanted(foldhash::HashSet<String>);

impl Wanted {
    pub(crate) fn contains(&self, rel: &str) -> bool {
        self.0.contains(rel)
    }
}

/// What the command line selected, and what it named that is not reported on.
pub(crate) struct Selection {
    pub(crate) wanted: Wanted,
    /// Whether the run reports on part of the vault only.
    pub(crate) subset: bool,
    pub(crate) warnings: Vec<String>,
}

/// Turn the command line's paths into the set of notes to report on.
///
/// Without paths: every note not excluded. A named folder: its notes not excluded (all of
/// the vault's when the folder holds the vault's root). A named
/// file is reported on even when excluded (a user who names a file wants to hear about it),
/// unless `--force-exclude`, which also skips named files outside the vault (pre-commit
/// names every staged Markdown file of the repository, the vault's or not). A named file
/// that is not a note by its extension is skipped with a warning.
pub(crate) fn select(
    settings: &VaultSettings,
    targets: &Targets,
    entries: &mut Vec<Entry>,
) -> Result<Selection, LoadError> {
    if let Some(staged) = &targets.staged {
        return select_staged(settings, targets, staged, entries);
    }
    let mut warnings = Vec::new();
    if targets.paths.is_empty() {
        let wanted = entries
            .iter()
            .filter(|e| !e.excluded)
            .map(|e| e.rel.clone())
            .collect();
        return Ok(Selection {
            wanted: Wanted(wanted),
            subset: false,
            warnings,
        });
    }
    let root = settings.root();
    let extensions = &settings.loaded.config.vault.extensions;
    let known: foldhash::HashSet<&str> = entries.iter().map(|e| e.rel.as_str()).collect();
    let mut wanted = foldhash::HashSet::default();
    let mut added = Vec::new();
    for path in &targets.paths {
        if !path.exists() {
            return Err(LoadError::MissingPath(path.clone()));
        }
        // A folder that holds the vault (`decksmith check .` at the top of a repository
        // whose notes are in a subfolder) names all of it.
        let holds_root = path.is_dir()
            && std::fs::canonicalize(path).is_ok_and(|folder| root.starts_with(folder));
        let checked = if holds_root {
            Some((String::new(), true))
        } else {
            walk::relative_checked(root, path)
        };
        let Some((rel, valid)) = checked else {
            if targets.force_exclude {
                warnings.push(format!(
                    "{} is outside the vault {}; skipped",
                    path.display(),
                    root.display()
                ));
                continue;
            }
            return Err(LoadError::Invalid(format!(
                "{} is outside the vault root {}",
                path.display(),
                root.display()
            )));
        };
        if !path.is_file() {
            let inside = |e: &&Entry| {
                rel.is_empty()
                    || e.rel
                        .strip_prefix(rel.as_str())
                        .is_some_and(|r| r.starts_with('/'))
            };
            wanted.extend(
                entries
                    .iter()
                    .filter(|e| !e.excluded)
                    .filter(inside)
                    .map(|e| e.rel.clone()),
            );
            continue;
        }
        if !walk::is_note_file(path, extensions) {
            warnings.push(format!(
                "{} is not a note (its extension is not in [vault] extensions); skipped",
                path.display()
            ));
            continue;
        }
        let excluded = settings.is_excluded(&rel);
        if targets.force_exclude && excluded {
            continue;
        }
        if !known.contains(rel.as_str()) {
            // A file the walk does not list (gitignored, in a hidden folder) but named.
            added.push(Entry {
                rel: rel.clone(),
                path: path.clone(),
                excluded,
                bad_name: !valid,
                content: None,
            });
        }
        wanted.insert(rel);
    }
    entries.extend(added);
    entries.sort();
    entries.dedup();
    Ok(Selection {
        wanted: Wanted(wanted),
        subset: true,
        warnings,
    })
}

/// `check --staged`: the staged notes (narrowed to the named paths, if any). They are named
/// by the commit, so an excluded one is reported unless `--force-exclude`, as a named file.
fn select_staged(
    settings: &VaultSettings,
    targets: &Targets,
    staged: &StagedTargets,
    entries: &mut Vec<Entry>,
) -> Result<Selection, LoadError> {
    let named = if targets.paths.is_empty() {
        None
    } else {
        let plain = Targets {
            staged: None,
            ..targets.clone()
        };
        Some(select(settings, &plain, entries)?)
    };
    let mut warnings = named
        .as_ref()
        .map(|n| n.warnings.clone())
        .unwrap_or_default();
    let listed: std::collections::HashSet<&str> = entries.iter().map(|e| e.rel.as_str()).collect();
    let mut wanted = foldhash::HashSet::default();
    for rel in &staged.changed {
        if !listed.contains(rel.as_str()) {
            warnings.push(format!(
                "{rel} is staged but not in the index listing; skipped"
            ));
            continue;
        }
        if named.as_ref().is_some_and(|n| !n.wanted.contains(rel)) {
            continue;
        }
        if targets.force_exclude && settings.is_excluded(rel) {
            continue;
        }
        wanted.insert(rel.clone());
    }
    Ok(Selection {
        wanted: Wanted(wanted),
        subset: true,
        warnings,
    })
}

/// The notes a command reads, and what it was named but skipped.
pub struct NoteSet {
    pub notes: Vec<Note>,
    pub warnings: Vec<String>,
}

/// Read the notes a command names (or the whole vault), sorted by path: notes of kinds that
/// give cards whole, the others for their front matter.
pub fn read_notes(settings: &VaultSettings, targets: &Targets) -> Result<NoteSet, LoadError> {
    read_notes_with(settings, targets, true)
}

/// [`read_notes`]; with `summarise` false, notes are read whole but their bodies are not
/// parsed ([`Note::summarise_body`] does it): sync renders only the notes whose cards it
/// cannot keep.
pub fn read_notes_with(
    settings: &VaultSettings,
    targets: &Targets,
    summarise: bool,
) -> Result<NoteSet, LoadError> {
    let (notes, warnings) = map_notes(settings, targets, summarise, Some)?;
    Ok(NoteSet { notes, warnings })
}

/// What `f` makes of each note a command names (or of the whole vault), read as
/// [`read_notes_with`] reads them, in path order, with the selection's warnings. Each note is
/// dropped once `f` has it: a command that needs less than the notes (the cards) never
/// holds the vault's text.
pub fn map_notes<T: Send>(
    settings: &VaultSettings,
    targets: &Targets,
    summarise: bool,
    f: impl Fn(Note) -> Option<T> + Sync + Send,
) -> Result<(Vec<T>, Vec<String>), LoadError> {
    let mut entries = settings.walk().notes;
    let selection = select(settings, targets, &mut entries)?;
    let kinds = &settings.loaded.config.kinds;
    let made = entries
        .par_iter()
        .filter(|e| selection.wanted.contains(&e.rel))
        .filter_map(|e| {
            // Notes of kinds that give no cards are only indexed: their front matter is
            // enough.
            let kind = settings.kind_of(&e.rel);
            let cards = kind
                .and_then(|k| kinds.get(k))
                .is_some_and(|k| k.cards.is_some());
            f(load_note_of_kind(
                settings,
                e,
                kind,
                cards,
                cards && summarise,
            ))
        })
        .collect();
    Ok((made, selection.warnings))
}

/// The vault's files that are not notes (images and other attachments), vault-relative.
pub fn attachments(settings: &VaultSettings) -> Vec<String> {
    settings.walk().attachments
}
