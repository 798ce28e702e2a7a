/*!
The linter: compiled settings, the rule engine, and the run over a vault.

A run has three phases (see `docs/architecture.md`):

1. walk the whole vault and summarise every note in parallel (one pure function per file);
2. build the vault index from the summaries (single-threaded, cheap);
3. run every enabled rule on the notes to report on, in parallel, then apply severities,
   per-path ignores and inline suppressions, and sort.

The index covers the whole vault even when only some files are reported on, so results for
a file never depend on which other files were named on the command line.
*/

pub mod diagnostic;
pub mod registry;
pub mod rules;
pub mod schema;
pub mod schema_cost;
pub mod suppress;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::GlobSet;
use rayon::prelude::*;
use regex::Regex;

use crate::config::{self, Kind, Loaded};
use crate::vault::cache::{IndexCache, Stamp};
use crate::vault::index::{IndexEntry, Target, VaultIndex};
use crate::vault::links::LinkKind;
use crate::vault::note::{Note, Unreadable};
use crate::vault::sections;
use crate::vault::walk::{self, Entry};
use diagnostic::{Diagnostic, Finding, Severity};
use registry::Rule;
use schema::Schema;

/// An error about the tool or its configuration (exit code 2), never about a note.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("schema for kind `{kind}`: {message}")]
    Schema { kind: String, message: String },
    #[error("{0}")]
    Invalid(String),
    #[error("path `{0}` does not exist")]
    MissingPath(PathBuf),
}

/// A kind with its matchers and schema compiled.
pub struct CompiledKind {
    pub kind: Kind,
    paths: Option<GlobSet>,
    filename: Option<Regex>,
    pub filename_pattern: Option<Regex>,
    pub schema: Option<Schema>,
}

/// Command-line overrides of the `[lint]` settings.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub select: Vec<String>,
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
}

/// Everything a run needs, compiled once.
pub struct Settings {
    pub loaded: Loaded,
    pub kinds: Vec<CompiledKind>,
    exclude: GlobSet,
    per_file_ignores: Vec<(GlobSet, Vec<String>)>,
    /// Effective severity per enabled rule.
    enabled: BTreeMap<&'static str, Severity>,
}

impl Settings {
    pub fn new(loaded: Loaded, overrides: &Overrides) -> Result<Settings, SetupError> {
        let config = &loaded.config;
        let mut kinds = Vec::new();
        for kind in &config.kinds {
            let paths = if kind.paths.is_empty() {
                None
            } else {
                Some(walk::globset(&kind.paths).map_err(|e| SetupError::Invalid(e.to_string()))?)
            };
            let regex = |p: &Option<String>| -> Result<Option<Regex>, SetupError> {
                p.as_deref()
                    .map(Regex::new)
                    .transpose()
                    .map_err(|e| SetupError::Invalid(e.to_string()))
            };
            let schema =
                match &kind.schema {
                    None => None,
                    Some(rel) => Some(load_schema(&loaded.root, rel).map_err(|message| {
                        SetupError::Schema {
                            kind: kind.name.clone(),
                            message,
                        }
                    })?),
                };
            kinds.push(CompiledKind {
                paths,
                filename: regex(&kind.filename)?,
                filename_pattern: regex(&kind.filename_pattern)?,
                schema,
                kind: kind.clone(),
            });
        }
        let exclude =
            walk::globset(&config.vault.exclude).map_err(|e| SetupError::Invalid(e.to_string()))?;
        let mut per_file_ignores = Vec::new();
        for (glob, codes) in &config.lint.per_file_ignores {
            check_selectors(codes, "per-file-ignores")?;
            let set = walk::globset(std::slice::from_ref(glob))
                .map_err(|e| SetupError::Invalid(e.to_string()))?;
            per_file_ignores.push((set, codes.clone()));
        }
        let enabled = enabled_rules(config, overrides)?;
        Ok(Settings {
            loaded,
            kinds,
            exclude,
            per_file_ignores,
            enabled,
        })
    }

    pub fn root(&self) -> &Path {
        &self.loaded.root
    }

    /// The kind of a vault-relative path.
    pub fn kind_of(&self, rel: &str) -> Option<usize> {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        self.kinds.iter().position(|k| {
            k.paths.as_ref().is_none_or(|g| g.is_match(rel))
                && k.filename.as_ref().is_none_or(|r| r.is_match(name))
                && (k.paths.is_some() || k.filename.is_some())
        })
    }

    pub fn is_excluded(&self, rel: &str) -> bool {
        walk::is_excluded(&self.exclude, rel)
    }

    /// The vault as the next commit will have it (`check --staged`).
    pub fn staged(&self) -> Result<crate::vault::staged::Staged, SetupError> {
        let vault = &self.loaded.config.vault;
        crate::vault::staged::read(self.root(), &self.exclude, &vault.extensions)
            .map_err(|e| SetupError::Invalid(e.to_string()))
    }

    /// Every file of the vault, excluded ones marked.
    pub fn walk(&self) -> walk::Listing {
        let vault = &self.loaded.config.vault;
        walk::walk(self.root(), &self.exclude, &vault.extensions)
    }

    pub fn severity(&self, code: &str) -> Option<Severity> {
        self.enabled.get(code).copied()
    }

    /// The rule selectors of every per-file-ignores entry matching `rel`.
    fn path_ignores(&self, rel: &str) -> Vec<&str> {
        self.per_file_ignores
            .iter()
            .filter(|(set, _)| set.is_match(rel))
            .flat_map(|(_, codes)| codes.iter().map(String::as_str))
            .collect()
    }
}

fn load_schema(root: &Path, rel: &str) -> Result<Schema, String> {
    let path = root.join(rel);
    let name = Path::new(rel)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| rel.to_string());
    let text = if path.is_file() {
        std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?
    } else if let Some((_, text)) = config::BUILTIN_SCHEMAS.iter().find(|(n, _)| *n == name) {
        (*text).to_string()
    } else {
        return Err(format!(
            "{} does not exist and is not a built-in schema",
            path.display()
        ));
    };
    Schema::compile(&name, &text)
}

fn check_selectors(selectors: &[String], origin: &str) -> Result<(), SetupError> {
    for s in selectors {
        if !registry::is_known_selector(s) {
            return Err(SetupError::Invalid(format!(
                "{origin}: `{s}` is not a rule code, name or prefix (see `decksmith rule --all`)"
            )));
        }
    }
    Ok(())
}

fn enabled_rules(
    config: &config::Config,
    overrides: &Overrides,
) -> Result<BTreeMap<&'static str, Severity>, SetupError> {
    let lint = &config.lint;
    let select = if overrides.select.is_empty() {
        &lint.select
    } else {
        &overrides.select
    };
    check_selectors(select, "select")?;
    check_selectors(&overrides.extend_select, "extend-select")?;
    check_selectors(&lint.ignore, "ignore")?;
    check_selectors(&overrides.ignore, "ignore")?;
    let mut severities = BTreeMap::new();
    for (key, level) in &lint.severity {
        let rule = registry::find(key).ok_or_else(|| {
            SetupError::Invalid(format!(
                "[lint.severity]: `{key}` is not a rule code or name"
            ))
        })?;
        let level = Severity::parse_level(level)
            .map_err(|e| SetupError::Invalid(format!("[lint.severity] {key}: {e}")))?;
        severities.insert(rule.code, level);
    }
    let mut enabled = BTreeMap::new();
    for rule in registry::all() {
        let selectors = select.iter().chain(&overrides.extend_select);
        let selected = selectors.clone().any(|s| registry::selects(s, rule));
        let named = selectors.clone().any(|s| registry::names_exactly(s, rule));
        let ignored = lint
            .ignore
            .iter()
            .chain(&overrides.ignore)
            .any(|s| registry::selects(s, rule));
        if !selected || ignored {
            continue;
        }
        let level = match severities.get(rule.code) {
            Some(level) => *level,
            None if rule.default_severity.is_none() && named => Some(Severity::Warning),
            None => rule.default_severity,
        };
        if let Some(level) = level {
            enabled.insert(rule.code, level);
        }
    }
    Ok(enabled)
}

/// What a rule sees.
pub struct Ctx<'a> {
    pub note: &'a Note,
    pub kind: Option<&'a CompiledKind>,
    pub settings: &'a Settings,
    pub index: &'a VaultIndex,
    /// The note's headings classified as sections, computed once for all SEC rules.
    sections: std::cell::OnceCell<Vec<crate::vault::sections::SectionMatch<'a>>>,
    /// The note's question/answer pairs, once for all ANK rules.
    pairs: std::cell::OnceCell<Vec<crate::cards::extract::Pair>>,
    /// The note's body links with their targets resolved, once for all LNK rules.
    links: std::cell::OnceCell<Vec<rules::resolved::ResolvedLink<'a>>>,
}

impl<'a> Ctx<'a> {
    pub fn config(&self) -> &config::Config {
        &self.settings.loaded.config
    }

    /// Every heading of the note that is one of its kind's sections, in document order.
    pub(crate) fn sections(&self) -> &[crate::vault::sections::SectionMatch<'a>] {
        self.sections
            .get_or_init(|| sections::classify_all(self.note, self.kind.map(|k| &k.kind)))
    }

    /// The note's question/answer pairs (empty for kinds without cards).
    pub(crate) fn pairs(&self) -> &[crate::cards::extract::Pair] {
        self.pairs.get_or_init(|| match self.kind {
            Some(k) => crate::cards::extract::pairs_with(self.note, &k.kind, self.sections()),
            None => Vec::new(),
        })
    }

    /// The note's body links, resolved against the vault index.
    pub(crate) fn links(&self) -> &[rules::resolved::ResolvedLink<'a>] {
        self.links
            .get_or_init(|| rules::resolved::resolve_all(self.note, self.index))
    }
}

/// The outcome of a check.
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    /// Every note that was reported on, by path (for snippets and counts).
    pub notes: Vec<Note>,
    pub files_checked: usize,
    /// Notes outside the report that labels point into.
    pub others: Vec<Note>,
    /// What the run was named but did not report on, and why (printed on stderr).
    pub warnings: Vec<String>,
}

/// Read and summarise one file.
///
/// `full` also summarises the body (headings, links); notes that are only indexed in a
/// subset run need their front matter alone.
pub fn load_note(settings: &Settings, entry: &Entry, full: bool) -> Note {
    load_note_of_kind(settings, entry, settings.kind_of(&entry.rel), full, full)
}

/// [`load_note`] for a note whose kind is known.
/// Load a note: `whole` reads all of it (else, when that is possible, only enough for its
/// front matter), `summarise` also extracts the body's headings and links.
fn load_note_of_kind(
    settings: &Settings,
    entry: &Entry,
    kind: Option<usize>,
    whole: bool,
    summarise: bool,
) -> Note {
    if entry.bad_name {
        return Note::unreadable(entry.rel.clone(), Unreadable::BadName, kind);
    }
    let limit = settings.loaded.config.vault.max_file_size;
    if let Some(bytes) = &entry.content {
        if bytes.len() as u64 > limit {
            let size = bytes.len() as u64;
            return Note::unreadable(
                entry.rel.clone(),
                Unreadable::TooLarge { size, limit },
                kind,
            );
        }
        return Note::from_bytes(entry.rel.clone(), bytes.to_vec(), kind, summarise);
    }
    match std::fs::metadata(&entry.path) {
        Ok(meta) if meta.len() > limit => {
            return Note::unreadable(
                entry.rel.clone(),
                Unreadable::TooLarge {
                    size: meta.len(),
                    limit,
                },
                kind,
            );
        }
        Err(e) => return Note::unreadable(entry.rel.clone(), Unreadable::Io(e.to_string()), kind),
        Ok(_) => {}
    }
    if !whole && let Some(note) = read_front_matter_only(entry, kind) {
        return note;
    }
    match std::fs::read(&entry.path) {
        Ok(bytes) => Note::from_bytes(entry.rel.clone(), bytes, kind, summarise),
        Err(e) => Note::unreadable(entry.rel.clone(), Unreadable::Io(e.to_string()), kind),
    }
}

/// How much of a note an index-only read takes: front matter is a few hundred bytes to a
/// few KB, bodies are ~14 KB (real-vault median).
const FRONT_MATTER_PREFIX: u64 = 8 * 1024;

/// Read just enough of a note to index it: the leading bytes, when they hold a complete
/// front-matter block. `None` means "read the whole file" (small file, no block in the
/// prefix, or a prefix that is not text): the whole-file path then classifies it.
fn read_front_matter_only(entry: &Entry, kind: Option<usize>) -> Option<Note> {
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
    let text = String::from_utf8(buf).ok()?;
    let note = Note::from_text_meta(entry.rel.clone(), text, kind);
    note.split.block.is_some().then_some(note)
}

/// Which files to report on.
#[derive(Clone, Debug, Default)]
pub struct Targets {
    /// Empty: the whole vault.
    pub paths: Vec<PathBuf>,
    /// Apply config excludes to explicitly named files too.
    pub force_exclude: bool,
    /// Use the index cache for notes that are not reported on (subset runs).
    pub use_cache: bool,
    /// Report on what is staged in git instead (`check --staged`): these notes, narrowed to
    /// `paths` when some are given.
    pub staged: Option<StagedTargets>,
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

/// How a note entered a run.
enum Read {
    /// Read whole: reported on (or needed whole by LNK007).
    Note(Box<Note>),
    /// Taken from the index cache.
    Cached(IndexEntry),
    /// Read for its front matter; the stamp is set when the cache is in use.
    Indexed(IndexEntry, Option<Stamp>),
}

/// A hash of what the cached facts depend on: decksmith's version and the settings.
fn settings_hash(settings: &Settings) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    env!("CARGO_PKG_VERSION").hash(&mut h);
    settings.loaded.text.hash(&mut h);
    h.finish()
}

/// Which notes a run reports on, by vault-relative path.
struct Wanted(std::collections::HashSet<String>);

impl Wanted {
    fn contains(&self, rel: &str) -> bool {
        self.0.contains(rel)
    }
}

/// What the command line selected, and what it named that is not reported on.
struct Selection {
    wanted: Wanted,
    /// Whether the run reports on part of the vault only.
    subset: bool,
    warnings: Vec<String>,
}

/// Turn the command line's paths into the set of notes to report on.
///
/// Without paths: every note not excluded. A named folder: its notes not excluded. A named
/// file is reported on even when excluded (a user who names a file wants to hear about it),
/// unless `--force-exclude`, which also skips named files outside the vault (pre-commit
/// names every staged Markdown file of the repository, the vault's or not). A named file
/// that is not a note by its extension is skipped with a warning.
fn select(
    settings: &Settings,
    targets: &Targets,
    entries: &mut Vec<Entry>,
) -> Result<Selection, SetupError> {
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
    let known: std::collections::HashSet<String> = entries.iter().map(|e| e.rel.clone()).collect();
    let mut wanted = std::collections::HashSet::new();
    let mut added = Vec::new();
    for path in &targets.paths {
        if !path.exists() {
            return Err(SetupError::MissingPath(path.clone()));
        }
        let Some((rel, valid)) = walk::relative_checked(root, path) else {
            if targets.force_exclude {
                warnings.push(format!(
                    "{} is outside the vault {}; skipped",
                    path.display(),
                    root.display()
                ));
                continue;
            }
            return Err(SetupError::Invalid(format!(
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
        if !known.contains(&rel) {
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
    settings: &Settings,
    targets: &Targets,
    staged: &StagedTargets,
    entries: &mut Vec<Entry>,
) -> Result<Selection, SetupError> {
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
    let mut wanted = std::collections::HashSet::new();
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

/// The lookup keys (file stem) of the notes a commit removes.
fn removed_keys(removed: &[String]) -> std::collections::HashSet<String> {
    removed
        .iter()
        .map(|rel| {
            let name = rel.rsplit('/').next().unwrap_or(rel);
            crate::vault::index::key(name.strip_suffix(".md").unwrap_or(name))
        })
        .collect()
}

/// The spans of `note`'s links and references that no longer resolve and named a removed
/// note: a commit that deletes or renames a note is reported at these.
fn links_to_removed(
    settings: &Settings,
    index: &VaultIndex,
    note: &Note,
    keys: &std::collections::HashSet<String>,
) -> Vec<std::ops::Range<usize>> {
    let names_removed = |target: &str| {
        let last = target.rsplit('/').next().unwrap_or(target);
        keys.contains(&crate::vault::index::key(
            last.strip_suffix(".md").unwrap_or(last),
        ))
    };
    let mut spans: Vec<std::ops::Range<usize>> = note
        .links
        .iter()
        .filter(|l| l.kind != LinkKind::External)
        .filter(|l| names_removed(&l.target))
        .filter(|l| index.resolve_link(&note.path, l.kind, &l.target) == Target::Missing)
        .map(|l| l.range.clone())
        .collect();
    let keys_of_refs = &settings.loaded.config.links.reference_keys;
    spans.extend(
        crate::vault::links::references(note, keys_of_refs)
            .into_iter()
            .filter(|r| names_removed(&r.target))
            .filter(|r| index.resolve_name(&r.target) == Target::Missing)
            .map(|r| r.range),
    );
    spans
}

/// Read the vault: reported notes whole, the others for the index only (from the cache
/// when it is in use and the file is unchanged). Returns the reported notes and an index
/// entry for every note.
fn read_vault(
    settings: &Settings,
    entries: &[Entry],
    wanted: &Wanted,
    all_whole: bool,
    use_cache: bool,
) -> (Vec<Note>, Vec<IndexEntry>) {
    let cache = use_cache.then(|| IndexCache::open(settings.root(), settings_hash(settings)));
    let read: Vec<Read> = entries
        .par_iter()
        .map(|e| {
            if all_whole || wanted.contains(&e.rel) {
                return Read::Note(Box::new(load_note(settings, e, true)));
            }
            // Bytes that are not the file's (staged) are never cached by the file's stamp.
            let stamp = cache
                .as_ref()
                .filter(|_| e.content.is_none())
                .and_then(|_| Stamp::of(&e.path));
            if let (Some(cache), Some(stamp)) = (&cache, stamp)
                && let Some(hit) = cache.get(&e.rel, stamp)
            {
                return Read::Cached(hit);
            }
            Read::Indexed(IndexEntry::of(&load_note(settings, e, false)), stamp)
        })
        .collect();
    let index_entries = read
        .iter()
        .map(|r| match r {
            Read::Note(n) => IndexEntry::of(n),
            Read::Cached(e) | Read::Indexed(e, _) => e.clone(),
        })
        .collect();
    if let Some(mut cache) = cache {
        for r in &read {
            if let Read::Indexed(e, Some(stamp)) = r {
                cache.put(e, *stamp);
            }
        }
        let live: std::collections::HashSet<&str> =
            entries.iter().map(|e| e.rel.as_str()).collect();
        cache.retain(|p| live.contains(p));
        cache.save();
    }
    let notes = read
        .into_iter()
        .filter_map(|r| match r {
            Read::Note(n) => Some(*n),
            _ => None,
        })
        .collect();
    (notes, index_entries)
}

/// Record the anchors of the notes that anchored links point at; targets that were not
/// read whole are read for it.
fn index_anchors(settings: &Settings, index: &mut VaultIndex, notes: &[Note], entries: &[Entry]) {
    let mut anchored: Vec<String> = notes
        .iter()
        .flat_map(|n| {
            n.links
                .iter()
                .filter(|l| l.anchor.is_some())
                .filter_map(|l| {
                    if l.kind == LinkKind::Markdown && l.target.is_empty() {
                        return Some(n.path.clone());
                    }
                    match index.resolve_link(&n.path, l.kind, &l.target) {
                        Target::Note(p) => Some(p.to_string()),
                        _ => None,
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect();
    anchored.sort_unstable();
    anchored.dedup();
    let by_path: std::collections::HashMap<&str, &Note> =
        notes.iter().map(|n| (n.path.as_str(), n)).collect();
    for path in anchored {
        match by_path.get(path.as_str()) {
            Some(note) => index.add_anchors(note),
            None => {
                if let Ok(i) = entries.binary_search_by(|e| e.rel.as_str().cmp(&path)) {
                    index.add_anchors(&load_note(settings, &entries[i], true));
                }
            }
        }
    }
}

/// The notes a command reads, and what it was named but skipped.
pub struct NoteSet {
    pub notes: Vec<Note>,
    pub warnings: Vec<String>,
}

/// Read the notes a command names (or the whole vault), sorted by path: notes of kinds that
/// give cards whole, the others for their front matter.
pub fn read_notes(settings: &Settings, targets: &Targets) -> Result<NoteSet, SetupError> {
    read_notes_with(settings, targets, true)
}

/// [`read_notes`]; with `summarise` false, notes are read whole but their bodies are not
/// parsed ([`Note::summarise_body`] does it): sync renders only the notes whose cards it
/// cannot keep.
pub fn read_notes_with(
    settings: &Settings,
    targets: &Targets,
    summarise: bool,
) -> Result<NoteSet, SetupError> {
    let mut entries = settings.walk().notes;
    let selection = select(settings, targets, &mut entries)?;
    let kinds = &settings.loaded.config.kinds;
    let notes = entries
        .par_iter()
        .filter(|e| selection.wanted.contains(&e.rel))
        .map(|e| {
            // Notes of kinds that give no cards are only indexed: their front matter is
            // enough.
            let kind = settings.kind_of(&e.rel);
            let cards = kind
                .and_then(|k| kinds.get(k))
                .is_some_and(|k| k.cards.is_some());
            load_note_of_kind(settings, e, kind, cards, cards && summarise)
        })
        .collect();
    Ok(NoteSet {
        notes,
        warnings: selection.warnings,
    })
}

/// The vault's files that are not notes (images and other attachments), vault-relative.
pub fn attachments(settings: &Settings) -> Vec<String> {
    settings.walk().attachments
}

/// Check a vault as it is on disk.
pub fn check(settings: &Settings, targets: &Targets) -> Result<Report, SetupError> {
    check_listing(settings, targets, settings.walk())
}

/// Check a vault whose files are `listing` (the work tree, or what is staged in git).
pub fn check_listing(
    settings: &Settings,
    targets: &Targets,
    listing: walk::Listing,
) -> Result<Report, SetupError> {
    let mut entries = listing.notes;
    let selection = select(settings, targets, &mut entries)?;
    let wanted = &selection.wanted;
    // Counting inbound links needs every body; otherwise only reported notes are read
    // whole, and the rest of the vault is indexed from its front matter (or the cache).
    let count_inbound = settings
        .severity(rules::lnk007_orphan_note::RULE.code)
        .is_some();
    let removed = targets
        .staged
        .as_ref()
        .map(|s| removed_keys(&s.removed))
        .unwrap_or_default();
    // Finding the notes that linked to a removed note needs every body, too.
    let all_whole = count_inbound || !removed.is_empty();
    let use_cache = targets.use_cache && selection.subset && !all_whole;
    let (mut notes, index_entries) = read_vault(settings, &entries, wanted, all_whole, use_cache);
    let links = &settings.loaded.config.links;
    let mut index = VaultIndex::build(&index_entries, &listing.attachments, links.resolve_by_id);
    index_anchors(settings, &mut index, &notes, &entries);
    if count_inbound {
        index.count_inbound(&notes, &links.reference_keys);
    }
    // Notes not reported on that linked to a removed note: reported at those links only.
    let broken_by_removal: BTreeMap<String, Vec<std::ops::Range<usize>>> = if removed.is_empty() {
        BTreeMap::new()
    } else {
        notes
            .iter()
            .filter(|n| !wanted.contains(&n.path) && !settings.is_excluded(&n.path))
            .map(|n| {
                (
                    n.path.clone(),
                    links_to_removed(settings, &index, n, &removed),
                )
            })
            .filter(|(_, spans)| !spans.is_empty())
            .collect()
    };
    notes.retain(|n| wanted.contains(&n.path) || broken_by_removal.contains_key(&n.path));
    let mut diagnostics: Vec<Diagnostic> = notes
        .par_iter()
        .flat_map_iter(|note| {
            let mut found = check_note(settings, &index, note);
            if let Some(spans) = broken_by_removal.get(&note.path) {
                found.retain(|d| {
                    spans
                        .iter()
                        .any(|s| d.range.start < s.end && s.start < d.range.end)
                });
            }
            found
        })
        .collect();
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let others = label_targets(settings, &diagnostics, &notes, &entries);
    let mut warnings = selection.warnings;
    if notes.is_empty() && !selection.subset {
        warnings.push(format!("no notes found in {}", settings.root().display()));
    }
    Ok(Report {
        diagnostics,
        files_checked: notes.len(),
        notes,
        others,
        warnings,
    })
}

/// Notes outside the report that labels point into (the other file of a duplicate id), read
/// from the same listing as the run (so a staged run shows staged text).
fn label_targets(
    settings: &Settings,
    diagnostics: &[Diagnostic],
    notes: &[Note],
    entries: &[Entry],
) -> Vec<Note> {
    let reported: std::collections::HashSet<&str> = notes.iter().map(|n| n.path.as_str()).collect();
    let mut paths: Vec<&str> = diagnostics
        .iter()
        .flat_map(|d| d.labels.iter().filter_map(|l| l.path.as_deref()))
        .filter(|p| !reported.contains(p))
        .collect();
    paths.sort_unstable();
    paths.dedup();
    paths
        .into_iter()
        .filter_map(|rel| {
            let i = entries.binary_search_by(|e| e.rel.as_str().cmp(rel)).ok()?;
            Some(load_note(settings, &entries[i], false))
        })
        .collect()
}

/// Run every enabled rule on one note.
pub fn check_note(settings: &Settings, index: &VaultIndex, note: &Note) -> Vec<Diagnostic> {
    let ctx = Ctx {
        note,
        kind: note.kind.map(|k| &settings.kinds[k]),
        settings,
        index,
        sections: std::cell::OnceCell::new(),
        pairs: std::cell::OnceCell::new(),
        links: std::cell::OnceCell::new(),
    };
    // Globs are matched once per note, not once per rule.
    let path_ignores = settings.path_ignores(&note.path);
    let enabled = |rule: &Rule| -> Option<Severity> {
        let ignored = path_ignores.iter().any(|c| registry::selects(c, rule));
        settings.severity(rule.code).filter(|_| !ignored)
    };
    let mut out = Vec::new();
    for rule in registry::all() {
        let Some(severity) = enabled(rule) else {
            continue;
        };
        let mut findings = Vec::new();
        (rule.check)(&ctx, &mut findings);
        out.extend(
            findings
                .into_iter()
                .map(|f| finish(rule, severity, note, f)),
        );
    }
    let fm_codes: Vec<(String, std::ops::Range<usize>)> = note
        .front_matter()
        .and_then(|fm| fm.root.as_ref())
        .and_then(|root| root.get("decksmith-disable"))
        .map(|node| {
            node.items()
                .iter()
                .filter_map(|i| i.as_str().map(|s| (s.to_string(), i.span.clone())))
                .collect()
        })
        .unwrap_or_default();
    let mut directives = suppress::parse(&note.text, &note.lines, &fm_codes);
    let mut out = suppress::apply(out, &mut directives, &note.lines);
    let sup001 = &rules::sup001_unused_suppression::RULE;
    if let Some(severity) = enabled(sup001) {
        for finding in rules::sup001_unused_suppression::findings(&directives) {
            out.push(finish(sup001, severity, note, finding));
        }
    }
    // After suppression, so that a suppressed finding never counts towards the cap.
    diagnostic::cap_per_rule(out)
}

fn finish(rule: &Rule, severity: Severity, note: &Note, f: Finding) -> Diagnostic {
    Diagnostic::from_finding(f, rule.code, rule.name, severity, note.path.clone())
}
