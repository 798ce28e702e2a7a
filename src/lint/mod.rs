/*!
The linter: compiled settings, the rule engine, and the run over a vault.

A run has three phases (see `docs/architecture.md`):

1. summarise every note of the vault for the index, in parallel: its front matter only (or
   the index cache's copy), unless inbound links are counted. A note to report on that the
   check cache cannot serve is read whole instead, once, and the rules on a note alone
   ([`registry::Check::Note`]) run on it there; what the rules against the index need of
   it is kept as its [`residue`]. No text is kept;
2. build the vault index from the summaries: its digest at once, its lookups when first
   asked (a run whose findings all come from the cache never asks);
3. for each note to report on, finish the check of a note held from the first pass: the
   rules against the index ([`registry::Check::Index`]) run on its residue. Else reuse its
   findings from the check cache ([`cache`]) when its bytes and the answers its rules got
   from the index are unchanged; else read it and run every enabled rule on it. Then
   apply severities, per-path ignores and inline suppressions, and locate the findings.

The index covers the whole vault even when only some files are reported on, so results for
a file never depend on which other files were named on the command line. No note's text
outlives the pass that read it, so memory follows the index, the residues and the findings,
not the vault's bytes.
*/

pub mod cache;
pub mod diagnostic;
pub mod fix;
pub mod lookup;
pub mod registry;
pub mod residue;
pub mod restore;
pub mod rules;
pub mod schema;
pub mod schema_cost;
pub mod suppress;

use std::collections::BTreeMap;
use std::path::Path;

use globset::GlobSet;
use rayon::prelude::*;
use regex::Regex;

use crate::config::{self, Kind, Loaded};
use crate::vault::cache::{ContentHash, IndexCache, Stamp};
use crate::vault::index::{AnchorSource, Anchors, IndexEntry, Outbound, Target, VaultIndex};
use crate::vault::lines::Text;
use crate::vault::links::LinkKind;
use crate::vault::load;
use crate::vault::load::{LoadError, Sources, Targets, VaultSettings, Wanted, load_note, select};
use crate::vault::note::Note;
use crate::vault::sections;
use crate::vault::walk::{self, Entry};
use cache::CheckCache;
use diagnostic::{Diagnostic, Finding, Label, Severity};
use registry::{Check, Rule};
use residue::Residue;
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
    #[error(transparent)]
    Load(#[from] LoadError),
}

/// A kind with what its rules need compiled.
pub struct CompiledKind {
    pub kind: Kind,
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

/// Everything a check needs, compiled once: the vault's settings, and the rules'.
pub struct Settings {
    pub vault: VaultSettings,
    pub kinds: Vec<CompiledKind>,
    per_file_ignores: Vec<(GlobSet, Vec<String>)>,
    /// Effective severity per enabled rule.
    enabled: BTreeMap<&'static str, Severity>,
    /// A hash of the schemas' texts, for the check cache's key.
    schemas: u64,
    /// `[links] concept-pattern`, compiled once rather than for every note REF004 checks.
    pub concept_pattern: Regex,
    /// The anchor keys of `[links] link-sections`, made once rather than for every note
    /// LNK006 checks.
    pub link_section_keys: Vec<String>,
}

impl Settings {
    pub fn new(loaded: Loaded, overrides: &Overrides) -> Result<Settings, SetupError> {
        let vault = VaultSettings::new(loaded)?;
        let loaded = &vault.loaded;
        let config = &loaded.config;
        let mut kinds = Vec::new();
        let mut schemas = std::hash::DefaultHasher::new();
        for kind in &config.kinds {
            let filename_pattern = kind
                .filename_pattern
                .as_deref()
                .map(Regex::new)
                .transpose()
                .map_err(|e| SetupError::Invalid(e.to_string()))?;
            let schema = match &kind.schema {
                None => None,
                Some(rel) => {
                    let (schema, text) =
                        load_schema(&loaded.root, rel).map_err(|message| SetupError::Schema {
                            kind: kind.name.clone(),
                            message,
                        })?;
                    std::hash::Hash::hash(&text, &mut schemas);
                    Some(schema)
                }
            };
            kinds.push(CompiledKind {
                filename_pattern,
                schema,
                kind: kind.clone(),
            });
        }
        let mut per_file_ignores = Vec::new();
        for (glob, codes) in &config.lint.per_file_ignores {
            check_selectors(codes, "per-file-ignores")?;
            let set = walk::globset(std::slice::from_ref(glob))
                .map_err(|e| SetupError::Invalid(e.to_string()))?;
            per_file_ignores.push((set, codes.clone()));
        }
        let enabled = enabled_rules(config, overrides)?;
        let concept_pattern = Regex::new(&config.links.concept_pattern).map_err(|e| {
            SetupError::Invalid(format!("[links] concept-pattern: invalid regex: {e}"))
        })?;
        let link_section_keys = config
            .links
            .link_sections
            .iter()
            .map(|n| crate::vault::markdown::anchor_key(n))
            .collect();
        Ok(Settings {
            concept_pattern,
            link_section_keys,
            vault,
            kinds,
            per_file_ignores,
            enabled,
            schemas: std::hash::Hasher::finish(&schemas),
        })
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

/// A check reads the vault as every command does: its settings are the vault's, plus the
/// rules'.
impl std::ops::Deref for Settings {
    type Target = VaultSettings;

    fn deref(&self) -> &VaultSettings {
        &self.vault
    }
}

/// The schema of a kind, and its text.
fn load_schema(root: &Path, rel: &str) -> Result<(Schema, String), String> {
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
    Ok((Schema::compile(&name, &text)?, text))
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

/// What a rule on a note alone sees ([`Check::Note`]).
pub struct Ctx<'a> {
    pub note: &'a Note,
    pub kind: Option<&'a CompiledKind>,
    pub settings: &'a Settings,
    /// The note's headings classified as sections, computed once for all SEC rules.
    sections: std::cell::OnceCell<Vec<crate::vault::sections::SectionMatch<'a>>>,
    /// The note's question/answer pairs, once for all ANK rules.
    pairs: std::cell::OnceCell<Vec<crate::cards::extract::Pair>>,
    /// The note's `anki_cards` entries, once for all ANK rules.
    anki_entries: std::cell::OnceCell<Vec<rules::anki::Entry<'a>>>,
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
}

/// What a rule on a note against the vault's index sees ([`Check::Index`]): the note's
/// residue, its text long gone.
pub struct IndexCtx<'a> {
    pub note: &'a Residue,
    pub kind: Option<&'a CompiledKind>,
    pub settings: &'a Settings,
    /// The vault index; what the rules ask of it is recorded when the run caches findings.
    pub index: lookup::Lookup<'a>,
    /// The note's body links with their targets resolved, once for all LNK rules.
    links: std::cell::OnceCell<Vec<rules::resolved::ResolvedLink<'a>>>,
}

impl<'a> IndexCtx<'a> {
    pub fn config(&self) -> &config::Config {
        &self.settings.loaded.config
    }

    /// The note's body links, resolved against the vault index.
    pub(crate) fn links(&self) -> &[rules::resolved::ResolvedLink<'a>] {
        self.links
            .get_or_init(|| rules::resolved::resolve_all(self.note, &self.index))
    }
}

/// The outcome of a check.
///
/// It holds no note's text: each note is read, checked and dropped, and its findings carry
/// their lines and columns. Output reads a file again to show its lines ([`Sources`]).
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    /// The notes a fix may be offered on (only when [`Targets::keep_fixable`] asks for
    /// them), by path: each is read again to be fixed ([`Report::read_again`]).
    pub fixable: Vec<Fixable>,
    /// How many notes were reported on.
    pub files_checked: usize,
    /// How many of those had their findings from the check cache, unchanged.
    pub files_cached: usize,
    /// What the run was named but did not report on, and why (printed on stderr).
    pub warnings: Vec<String>,
    /// The vault's index the notes were checked against (`check --fix` checks fixed notes
    /// against it again).
    pub index: VaultIndex,
    /// The run's files, read again to show a finding's lines.
    pub sources: Sources,
}

/// A note a fix may be offered on, as it was checked. Its text is not kept (a real vault
/// offers fixes on a third of its notes): `--fix` reads it again, and goes on only when the
/// bytes are still those checked, since a fix must edit the bytes it was proven on.
#[derive(Clone, Debug)]
pub struct Fixable {
    pub path: String,
    pub kind: Option<usize>,
    /// The hash of the bytes checked (`None`: none could be read).
    pub hash: Option<ContentHash>,
}

impl Report {
    /// The note of `fixable`, read again as it was checked; why not, when its bytes
    /// changed since or it cannot be read.
    pub fn read_again(&self, fixable: &Fixable) -> Result<Note, String> {
        let changed = || {
            "the file changed while it was checked; run again to fix what it holds now".to_string()
        };
        let (note, hash) = self
            .sources
            .note(&fixable.path, fixable.kind)
            .ok_or_else(changed)?;
        if hash.is_none() || hash != fixable.hash {
            return Err(changed());
        }
        Ok(note)
    }

    /// Give the labels that point into other files their lines and columns, reading each of
    /// those files once.
    pub fn locate_labels(&mut self) {
        let mut wanted: BTreeMap<&str, Vec<(usize, usize)>> = BTreeMap::new();
        for (i, d) in self.diagnostics.iter().enumerate() {
            for (j, l) in d.labels.iter().enumerate() {
                if let Some(path) = l.path.as_deref().filter(|p| *p != &*d.path) {
                    wanted.entry(path).or_default().push((i, j));
                }
            }
        }
        // Each file is read, its labels located, and its text dropped at once: a vault with
        // many duplicate ids points into thousands of files.
        let diagnostics = &self.diagnostics;
        let located: Vec<Vec<(usize, usize, Label)>> = wanted
            .into_par_iter()
            .filter_map(|(path, at)| {
                let text: std::sync::Arc<Text> = self.sources.text(path)?;
                let labels = at.into_iter().map(|(i, j)| {
                    let mut label = diagnostics[i].labels[j].clone();
                    label.locate(&text.text, &text.lines);
                    (i, j, label)
                });
                Some(labels.collect())
            })
            .collect();
        for (i, j, label) in located.into_iter().flatten() {
            self.diagnostics[i].labels[j] = label;
        }
    }
}

/// What the first pass keeps of a note once it is read: what the index takes from it, and
/// what the run needs of a note it may not report on. Its text is dropped.
struct Summary<'s> {
    entry: IndexEntry,
    /// Its links and references, when inbound links are counted.
    outbound: Option<Outbound>,
    /// Whether one of its links or references names a note the commit removes.
    names_removed: bool,
    /// The note checked alone while it was in hand, when the run reports on it.
    held: Option<Held<'s>>,
}

/// A note the first pass read whole and checked alone: what the second pass needs to
/// finish its check against the index without reading it again.
struct Held<'s> {
    partial: Partial<'s>,
    /// The hash of the bytes checked (`None`: none could be read).
    hash: Option<ContentHash>,
}

/// A hash of what the cached facts depend on: decksmith's version and build, and the settings.
fn settings_hash(settings: &Settings) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    env!("CARGO_PKG_VERSION").hash(&mut h);
    // The build too: a decksmith built again from changed sources keeps its version, and
    // its rules may not say what the cached findings say.
    let build = std::env::current_exe()
        .ok()
        .and_then(|exe| Stamp::of(&exe))
        .map(|s| (s.size, s.mtime_ns));
    build.hash(&mut h);
    settings.loaded.text.hash(&mut h);
    h.finish()
}

/// A hash of everything but a note and the index that its findings depend on: decksmith's
/// version and build, the configuration (`settings_key`, [`settings_hash`]), the rules
/// enabled and their severities, and the schemas.
fn findings_key(settings: &Settings, settings_key: u64) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    settings_key.hash(&mut h);
    settings.enabled.hash(&mut h);
    settings.schemas.hash(&mut h);
    h.finish()
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

/// Whether `target` names a removed note (by its last path component's stem).
fn names_removed(target: &str, keys: &std::collections::HashSet<String>) -> bool {
    let last = target.rsplit('/').next().unwrap_or(target);
    keys.contains(&crate::vault::index::key(
        last.strip_suffix(".md").unwrap_or(last),
    ))
}

/// The spans of `note`'s links and references that no longer resolve and named a removed
/// note: a commit that deletes or renames a note is reported at these.
fn links_to_removed(
    settings: &Settings,
    index: &VaultIndex,
    note: &Note,
    keys: &std::collections::HashSet<String>,
) -> Vec<std::ops::Range<usize>> {
    let mut spans: Vec<std::ops::Range<usize>> = note
        .links
        .iter()
        .filter(|l| l.kind != LinkKind::External)
        .filter(|l| names_removed(&l.target, keys))
        .filter(|l| index.resolve_link(&note.path, l.kind, &l.target) == Target::Missing)
        .map(|l| l.range.clone())
        .collect();
    let keys_of_refs = &settings.loaded.config.links.reference_keys;
    spans.extend(
        crate::vault::links::references(note, keys_of_refs)
            .into_iter()
            .filter(|r| names_removed(&r.target, keys))
            .filter(|r| index.resolve_name(&r.target) == Target::Missing)
            .map(|r| r.range),
    );
    spans
}

/// What the first pass must read of every note.
struct FirstPass<'a> {
    /// Count inbound links: every body is read and its links kept.
    count_inbound: bool,
    /// The keys of the notes a commit removes: every body is read to find links to them.
    removed: &'a std::collections::HashSet<String>,
    /// How the caches are used: index entries from the index cache, and every file
    /// stamped, when they are read.
    cache: load::Caching,
    /// When the run started (nanoseconds since the epoch).
    started: u64,
    /// [`settings_hash`], computed once per run (it looks at decksmith's own file).
    settings_key: u64,
    /// Whether the second pass may reuse findings from the check cache: the notes to report
    /// on are then left to it (most are unchanged), not checked here.
    use_findings: bool,
}

/// The first pass: summarise every note of the vault for the index, in parallel, with the
/// stamp of each file (taken before it is read, when the caches are in use). A note the
/// run reports on is read whole and checked alone while in hand ([`Held`]), unless the check
/// cache may hold its findings; any other note is read for its front matter only (from
/// the index cache when it holds the file's stamp), unless the pass needs every body.
fn summarise_vault<'s>(
    settings: &'s Settings,
    entries: &[Entry],
    wanted: &Wanted,
    pass: &FirstPass<'_>,
) -> (Vec<Summary<'s>>, Vec<Option<Stamp>>) {
    let bodies = pass.count_inbound || !pass.removed.is_empty();
    let cache = (pass.cache.reads() && !bodies)
        .then(|| IndexCache::open(settings.root(), pass.settings_key));
    let read: Vec<(Summary<'s>, Option<Stamp>, bool)> = entries
        .par_iter()
        .map(|e| {
            // Bytes that are not the file's (staged) are never known by the file's stamp.
            let stamp = (pass.cache.reads() && e.content.is_none())
                .then(|| Stamp::of(&e.path))
                .flatten();
            let reported = wanted.contains(&e.rel);
            let cached = cache
                .as_ref()
                .zip(stamp)
                .and_then(|(cache, stamp)| cache.get(&e.rel, stamp));
            let missed = cache.is_some() && stamp.is_some() && cached.is_none();
            if reported && !pass.use_findings {
                return (summarise_held(settings, e, pass), stamp, missed);
            }
            if bodies {
                return (summarise_body(settings, e, pass, reported), stamp, false);
            }
            let entry = match cached {
                Some(hit) => hit,
                None => load::index_entry(settings, e),
            };
            let summary = Summary {
                entry,
                outbound: None,
                names_removed: false,
                held: None,
            };
            (summary, stamp, missed)
        })
        .collect();
    if let Some(mut cache) = cache.filter(|_| pass.cache.writes()) {
        for (summary, stamp, missed) in &read {
            if let (Some(stamp), true) = (stamp, missed) {
                cache.put(&summary.entry, *stamp, pass.started);
            }
        }
        // Hashed: a binary search over the sorted paths compares their long shared prefixes
        // some fifteen times per note, which a profile of a 5-note run found the dearer.
        let live: foldhash::HashSet<&str> = entries.iter().map(|e| e.rel.as_str()).collect();
        cache.retain(|p| live.contains(p));
        cache.save();
    }
    read.into_iter()
        .map(|(summary, stamp, _)| (summary, stamp))
        .unzip()
}

/// Summarise a note the run reports on: read it whole, once, and check it alone while it
/// is in hand.
fn summarise_held<'s>(settings: &'s Settings, e: &Entry, pass: &FirstPass<'_>) -> Summary<'s> {
    let (note, hash) = load::load_note_hashed(settings, e);
    let held = Held {
        partial: check_alone(settings, &note),
        hash,
    };
    // A reported note is reported on whole, not only at its links to removed notes.
    summary_of(settings, &note, pass, false, Some(held))
}

/// Summarise a note from its body too: its links, when inbound links are counted, and
/// whether it names a note the commit removes (one the run does not report on).
fn summarise_body<'s>(
    settings: &'s Settings,
    e: &Entry,
    pass: &FirstPass<'_>,
    reported: bool,
) -> Summary<'s> {
    let note = load_note(settings, e, true);
    let reference_keys = &settings.loaded.config.links.reference_keys;
    let names_removed = !reported
        && !pass.removed.is_empty()
        && names_removed_by(&note, reference_keys, pass.removed);
    summary_of(settings, &note, pass, names_removed, None)
}

/// What the first pass keeps of a note it read whole.
fn summary_of<'s>(
    settings: &'s Settings,
    note: &Note,
    pass: &FirstPass<'_>,
    names_removed: bool,
    held: Option<Held<'s>>,
) -> Summary<'s> {
    let reference_keys = &settings.loaded.config.links.reference_keys;
    Summary {
        entry: IndexEntry::of(note),
        outbound: pass
            .count_inbound
            .then(|| Outbound::of(note, reference_keys)),
        names_removed,
        held,
    }
}

/// Whether a link or reference of `note` names a removed note.
fn names_removed_by(
    note: &Note,
    reference_keys: &[String],
    removed: &std::collections::HashSet<String>,
) -> bool {
    note.links
        .iter()
        .filter(|l| l.kind != LinkKind::External)
        .any(|l| names_removed(&l.target, removed))
        || crate::vault::links::references(note, reference_keys)
            .iter()
            .any(|r| names_removed(&r.target, removed))
}

/// A note the second pass checked: where it is, and the bytes its findings were found on.
struct Found {
    path: std::sync::Arc<str>,
    kind: Option<usize>,
    stamp: Option<Stamp>,
    hash: Option<ContentHash>,
}

/// One note checked by the second pass.
struct Checked {
    diagnostics: Vec<Diagnostic>,
    /// The note as checked, when the report keeps it.
    fixable: Option<Fixable>,
    /// What the check cache keeps of it, when the run uses that cache.
    outcome: Option<(std::sync::Arc<str>, cache::Outcome)>,
    /// Whether its findings came from the check cache.
    cached: bool,
}

/// Whether the report keeps a checked note: when fixes are wanted and one is offered on it,
/// or a restore from history could be.
fn keep_for_fixing(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(|d| d.fix.is_some())
        || restore::target(&diagnostics.iter().collect::<Vec<_>>()).is_some()
}

/// Check a vault as it is on disk.
pub fn check(settings: &Settings, targets: &Targets) -> Result<Report, SetupError> {
    check_listing(settings, targets, settings.walk())
}

/// Check a vault whose files are `listing` (the work tree, or what is staged in git).
///
/// Two passes, so that memory follows the index and not the vault's bytes: the first
/// summarises every note for the index; the second reads each reported note again, checks
/// it against the index and keeps only its findings. With the caches in use, the first
/// takes unchanged notes from the index cache, and the second reuses the findings of notes
/// whose bytes and answers from the index are unchanged ([`cache`]).
pub fn check_listing(
    settings: &Settings,
    targets: &Targets,
    listing: walk::Listing,
) -> Result<Report, SetupError> {
    let started = crate::vault::cache::now_ns();
    let mut entries = listing.notes;
    let selection = select(settings, targets, &mut entries)?;
    let wanted = &selection.wanted;
    let removed = targets
        .staged
        .as_ref()
        .map(|s| removed_keys(&s.removed))
        .unwrap_or_default();
    // Counting inbound links needs every body; so does finding the notes that linked to a
    // removed note. Otherwise the vault is indexed from its front matter (or the cache).
    let count_inbound = settings
        .severity(rules::lnk007_orphan_note::RULE.code)
        .is_some();
    // Reading the check cache costs about what checking a few hundred notes does: a run on
    // a few of the vault's notes checks them instead.
    let reported = entries.iter().filter(|e| wanted.contains(&e.rel)).count();
    let use_findings = targets.cache.reads() && reported.saturating_mul(8) >= entries.len();
    let pass = FirstPass {
        count_inbound,
        removed: &removed,
        cache: targets.cache,
        started,
        settings_key: settings_hash(settings),
        use_findings,
    };
    // The cache file is read while the vault is summarised: tens of megabytes for a large
    // vault, mostly the kernel's copy, which would otherwise wait for the first pass. This
    // thread reads it while the pool's threads summarise, so the read takes no worker
    // from the first pass.
    let ((mut summaries, stamps), cache_bytes) = std::thread::scope(|scope| {
        let first = scope.spawn(|| summarise_vault(settings, &entries, wanted, &pass));
        let bytes = if use_findings {
            cache::read(settings.root())
        } else {
            Vec::new()
        };
        // A panic in the first pass stays a panic of the run.
        let summarised = first
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (summarised, bytes)
    });
    let limit = settings.loaded.config.vault.max_file_size;
    let findings_cache = use_findings.then(|| {
        CheckCache::open(
            settings.root(),
            &cache_bytes,
            findings_key(settings, pass.settings_key),
            started,
        )
    });
    let sources = Sources::new(std::sync::Arc::new(entries), limit);
    // Notes not reported on that linked to a removed note: reported at those links only.
    let linked_removed: std::collections::HashSet<String> = summaries
        .iter()
        .filter(|s| s.names_removed && !settings.is_excluded(&s.entry.path))
        .map(|s| s.entry.path.clone())
        .collect();
    let held: Vec<Option<Held<'_>>> = summaries.iter_mut().map(|s| s.held.take()).collect();
    let index = build_index(
        settings,
        summaries,
        &listing.attachments,
        &sources,
        count_inbound,
    );
    let second = SecondPass {
        settings,
        targets,
        index: &index,
        sources: &sources,
        stamps: &stamps,
        wanted,
        linked_removed: &linked_removed,
        removed: &removed,
        cache: findings_cache.as_ref(),
        hashes: std::sync::Mutex::new(std::collections::HashMap::new()),
    };
    let mut checked = second.run(held);
    drop(second);
    if let Some(cache) = findings_cache.filter(|_| targets.cache.writes()) {
        let outcomes = checked
            .iter_mut()
            .filter_map(|c| c.outcome.take())
            .collect();
        let live = |path: &str| sources.contains(path);
        cache.save(index.digest(), outcomes, &live);
    }
    // The cache's bytes go before the findings are gathered, when memory peaks.
    drop(cache_bytes);
    let files_checked = checked.len();
    let files_cached = checked.iter().filter(|c| c.cached).count();
    // Sized once: hundreds of thousands of findings are not copied again as the list grows.
    let mut diagnostics: Vec<Diagnostic> =
        Vec::with_capacity(checked.iter().map(|c| c.diagnostics.len()).sum());
    let mut fixable = Vec::new();
    // Each note's findings come sorted (as checked, or as the cache kept them), and the
    // notes in path order: only where one note's findings meet the next's can the order
    // break, and a sort would cost a buffer half the findings' size.
    let mut sorted = true;
    for c in checked {
        if let (Some(last), Some(first)) = (diagnostics.last(), c.diagnostics.first()) {
            sorted &= last.sort_key() <= first.sort_key();
        }
        diagnostics.extend(c.diagnostics);
        fixable.extend(c.fixable);
    }
    if !sorted {
        diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    }
    let mut warnings = selection.warnings;
    if files_checked == 0 && !selection.subset {
        warnings.push(format!("no notes found in {}", settings.root().display()));
    }
    let mut report = Report {
        diagnostics,
        files_checked,
        files_cached,
        fixable,
        warnings,
        index,
        sources,
    };
    if !targets.skip_label_positions {
        report.locate_labels();
    }
    Ok(report)
}

/// The second pass: check each reported note against the index, or reuse its findings.
struct SecondPass<'a> {
    settings: &'a Settings,
    targets: &'a Targets,
    index: &'a VaultIndex,
    sources: &'a Sources,
    /// Each file's stamp from the first pass, in the order of `sources`.
    stamps: &'a [Option<Stamp>],
    wanted: &'a Wanted,
    linked_removed: &'a std::collections::HashSet<String>,
    removed: &'a std::collections::HashSet<String>,
    cache: Option<&'a CheckCache<'a>>,
    /// The hashes of the files read for the cache, by path.
    hashes: std::sync::Mutex<std::collections::HashMap<String, Option<ContentHash>>>,
}

impl SecondPass<'_> {
    /// Check every note to report on; `held` holds, in the order of `sources`, the notes
    /// the first pass checked alone.
    fn run(&self, held: Vec<Option<Held<'_>>>) -> Vec<Checked> {
        self.sources
            .entries()
            .par_iter()
            .zip(self.stamps.par_iter())
            .zip(held.into_par_iter())
            .filter(|((e, _), _)| {
                self.wanted.contains(&e.rel) || self.linked_removed.contains(&e.rel)
            })
            .filter_map(|((e, stamp), held)| match held {
                Some(held) => Some(self.finish(e, *stamp, held)),
                None => self.check(e, *stamp),
            })
            .collect()
    }

    /// The findings of a note the first pass checked alone: checked against the index now.
    fn finish(&self, e: &Entry, stamp: Option<Stamp>, held: Held<'_>) -> Checked {
        let recording = self.records(true);
        let (diagnostics, asked) =
            check_against(self.settings, self.asking(recording), held.partial);
        let found = Found {
            path: e.rel.as_str().into(),
            kind: self.settings.kind_of(&e.rel),
            stamp,
            hash: held.hash,
        };
        self.checked(found, diagnostics, asked, recording)
    }

    /// Whether the check cache keeps what the rules ask of the index about a note (reported
    /// or not): a run that does not write the cache has no use for it.
    fn records(&self, reported: bool) -> bool {
        reported && self.cache.is_some() && self.targets.cache.writes()
    }

    /// The index as the rules ask it: recording every question when `recording`.
    fn asking(&self, recording: bool) -> lookup::Lookup<'_> {
        if recording {
            lookup::Lookup::recording(self.index)
        } else {
            lookup::Lookup::new(self.index)
        }
    }

    /// A note checked in this run, with its outcome for the check cache when `recording`
    /// and kept for fixing when fixes are wanted.
    fn checked(
        &self,
        found: Found,
        mut diagnostics: Vec<Diagnostic>,
        asked: Vec<lookup::Asked>,
        recording: bool,
    ) -> Checked {
        // The list grew by doubling: what is kept of it is only what it holds.
        diagnostics.shrink_to_fit();
        let outcome = self.cache.filter(|_| recording).map(|cache| {
            let outcome = cache.fresh(found.stamp, found.hash, asked, &diagnostics);
            (found.path.clone(), outcome)
        });
        let keep = self.targets.keep_fixable && keep_for_fixing(&diagnostics);
        Checked {
            diagnostics,
            fixable: keep.then(|| Fixable {
                path: found.path.to_string(),
                kind: found.kind,
                hash: found.hash,
            }),
            outcome,
            cached: false,
        }
    }

    /// The stamp of the run's file at `path`, from the first pass.
    fn stamp(&self, path: &str) -> Option<Stamp> {
        self.stamps
            .get(self.sources.position(path)?)
            .copied()
            .flatten()
    }

    /// The hash of the run's file at `path`, read once.
    fn read_hash(&self, path: &str) -> Option<ContentHash> {
        if let Some(known) = self.hashes.lock().ok().and_then(|m| m.get(path).copied()) {
            return known;
        }
        let hash = self
            .sources
            .entry(path)
            .and_then(|e| load::content_hash(self.settings, e));
        if let Ok(mut m) = self.hashes.lock() {
            m.insert(path.to_string(), hash);
        }
        hash
    }

    /// The findings of one note, when it has any to report: reused from the cache, or
    /// checked.
    fn check(&self, e: &Entry, stamp: Option<Stamp>) -> Option<Checked> {
        let reported = self.wanted.contains(&e.rel);
        let path: std::sync::Arc<str> = e.rel.as_str().into();
        if let (true, Some(cache)) = (reported, self.cache) {
            let now = cache::Now {
                index: self.index,
                stamp: &|p| self.stamp(p),
                read_hash: &|p| self.read_hash(p),
            };
            if let cache::Hit::Reused(diagnostics, reuse) = cache.lookup(&path, &now) {
                // The findings were found on bytes of this hash: `--fix` reads the note
                // again and fixes it only if its bytes are still those.
                let keep = self.targets.keep_fixable && keep_for_fixing(&diagnostics);
                let fixable = keep.then(|| Fixable {
                    path: e.rel.clone(),
                    kind: self.settings.kind_of(&e.rel),
                    hash: reuse.hash(),
                });
                return Some(Checked {
                    diagnostics,
                    fixable,
                    outcome: Some((path, cache::Outcome::Reused(reuse))),
                    cached: true,
                });
            }
        }
        let (note, hash) = load::load_note_hashed(self.settings, e);
        let spans =
            (!reported).then(|| links_to_removed(self.settings, self.index, &note, self.removed));
        if spans.as_ref().is_some_and(Vec::is_empty) {
            return None;
        }
        let recording = self.records(reported);
        let (mut diagnostics, asked) =
            check_note_with(self.settings, self.asking(recording), &note);
        if let Some(spans) = spans {
            diagnostics.retain(|d| {
                spans
                    .iter()
                    .any(|s| d.range.start < s.end && s.start < d.range.end)
            });
        }
        let found = Found {
            path,
            kind: note.kind,
            stamp,
            hash,
        };
        Some(self.checked(found, diagnostics, asked, recording))
    }
}

/// Build the vault's index from the first pass (consumed): anchors are read on demand from
/// the run's files, inbound links counted when the pass kept them.
fn build_index(
    settings: &Settings,
    summaries: Vec<Summary<'_>>,
    attachments: &[String],
    sources: &Sources,
    count_inbound: bool,
) -> VaultIndex {
    let links = &settings.loaded.config.links;
    let mut index_entries = Vec::with_capacity(summaries.len());
    let mut outbound = Vec::new();
    for s in summaries {
        index_entries.push(s.entry);
        outbound.extend(s.outbound);
    }
    let mut index = VaultIndex::of(index_entries, attachments.to_vec(), links.resolve_by_id);
    if count_inbound {
        index.count_inbound(&outbound);
    }
    let sources = sources.clone();
    index.read_anchors_with(AnchorSource(Box::new(move |path| {
        let (note, content) = sources.note(path, None)?;
        note.unreadable
            .is_none()
            .then(|| Anchors::read_from(&note, content))
    })));
    index
}

/// Run every enabled rule on one note.
pub fn check_note(settings: &Settings, index: &VaultIndex, note: &Note) -> Vec<Diagnostic> {
    check_note_with(settings, lookup::Lookup::new(index), note).0
}

/// Run every enabled rule on one note, asking `index`: the findings, and the questions
/// asked when `index` records them.
fn check_note_with(
    settings: &Settings,
    index: lookup::Lookup<'_>,
    note: &Note,
) -> (Vec<Diagnostic>, Vec<lookup::Asked>) {
    check_against(settings, index, check_alone(settings, note))
}

/// A note checked alone: the findings of the rules on the note alone (suppressed, capped,
/// sorted and located), and its residue for the rules that need the index.
struct Partial<'s> {
    diagnostics: Vec<Diagnostic>,
    residue: Residue,
    /// The note's path, shared by its findings.
    path: std::sync::Arc<str>,
    /// The rules its path is ignored for: globs are matched once per note, not once per
    /// rule or per kind of rule.
    path_ignores: Vec<&'s str>,
}

/// The severity of `rule` on a note whose path is ignored for `path_ignores`, if enabled.
fn enabled_on(settings: &Settings, path_ignores: &[&str], rule: &Rule) -> Option<Severity> {
    let ignored = path_ignores.iter().any(|c| registry::selects(c, rule));
    settings.severity(rule.code).filter(|_| !ignored)
}

/// Run every rule enabled on the note at `path` that `run` takes (it runs the rules of its
/// kind, and says whether the rule was one), with the rule's severity applied.
fn run_rules(
    settings: &Settings,
    path_ignores: &[&str],
    path: &std::sync::Arc<str>,
    run: impl Fn(&Rule, &mut Vec<Finding>) -> bool,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for rule in registry::all() {
        let Some(severity) = enabled_on(settings, path_ignores, rule) else {
            continue;
        };
        let mut findings = Vec::new();
        if run(rule, &mut findings) {
            out.extend(
                findings
                    .into_iter()
                    .map(|f| finish(rule, severity, path, f)),
            );
        }
    }
    out
}

/// Run the enabled rules on the note alone ([`Check::Note`]), while its text is in hand.
fn check_alone<'s>(settings: &'s Settings, note: &Note) -> Partial<'s> {
    let ctx = Ctx {
        note,
        kind: note.kind.map(|k| &settings.kinds[k]),
        settings,
        sections: std::cell::OnceCell::new(),
        pairs: std::cell::OnceCell::new(),
        anki_entries: std::cell::OnceCell::new(),
    };
    // Globs are matched once per note, not once per rule.
    let path_ignores = settings.path_ignores(&note.path);
    // One copy of the path for all of the note's findings.
    let path: std::sync::Arc<str> = note.path.as_str().into();
    let out = run_rules(settings, &path_ignores, &path, |rule, findings| {
        let Check::Note(check) = rule.check else {
            return false;
        };
        check(&ctx, findings);
        true
    });
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
    let out = suppress::apply(out, &mut directives, |at| note.lines.line_of(at));
    // After suppression, so that a suppressed finding never counts towards the cap.
    let mut out = diagnostic::cap_per_rule(out);
    out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostic::locate(&note.text, &note.lines, &mut out);
    // Held until the index is complete, with every other note's: the list grew by
    // doubling, and what is kept of it is only what it holds.
    out.shrink_to_fit();
    Partial {
        diagnostics: out,
        residue: Residue::of(&ctx, directives),
        path,
        path_ignores,
    }
}

/// Run the enabled rules on the note against the index ([`Check::Index`]), then report the
/// suppressions nothing used: the note's findings, in the order of the report, and the
/// questions asked when `index` records them.
fn check_against(
    settings: &Settings,
    index: lookup::Lookup<'_>,
    partial: Partial<'_>,
) -> (Vec<Diagnostic>, Vec<lookup::Asked>) {
    let Partial {
        mut diagnostics,
        mut residue,
        path,
        path_ignores,
    } = partial;
    let ctx = IndexCtx {
        note: &residue,
        kind: residue.kind.map(|k| &settings.kinds[k]),
        settings,
        index,
        links: std::cell::OnceCell::new(),
    };
    let out = run_rules(settings, &path_ignores, &path, |rule, findings| {
        let Check::Index(check) = rule.check else {
            return false;
        };
        check(&ctx, findings);
        true
    });
    let asked = ctx.index.into_asked();
    let mut out = residue.suppress(out);
    let sup001 = &rules::sup001_unused_suppression::RULE;
    if let Some(severity) = enabled_on(settings, &path_ignores, sup001) {
        for finding in rules::sup001_unused_suppression::findings(residue.directives()) {
            out.push(finish(sup001, severity, &path, finding));
        }
    }
    let mut out = diagnostic::cap_per_rule(out);
    residue.locate(&mut out);
    // In the order of the report: each note's findings are sorted here, in parallel, so the
    // report's list, made of them in path order, needs no sort of its own.
    diagnostics.extend(out);
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    (diagnostics, asked)
}

fn finish(rule: &Rule, severity: Severity, path: &std::sync::Arc<str>, f: Finding) -> Diagnostic {
    Diagnostic::from_finding(f, rule.code, severity, path.clone())
}
