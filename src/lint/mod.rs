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
pub mod fix;
pub mod registry;
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
use crate::vault::cache::{IndexCache, Stamp};
use crate::vault::index::{IndexEntry, Target, VaultIndex};
use crate::vault::links::LinkKind;
use crate::vault::load::{LoadError, Targets, VaultSettings, Wanted, load_note, select};
use crate::vault::note::Note;
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
}

impl Settings {
    pub fn new(loaded: Loaded, overrides: &Overrides) -> Result<Settings, SetupError> {
        let vault = VaultSettings::new(loaded)?;
        let loaded = &vault.loaded;
        let config = &loaded.config;
        let mut kinds = Vec::new();
        for kind in &config.kinds {
            let filename_pattern = kind
                .filename_pattern
                .as_deref()
                .map(Regex::new)
                .transpose()
                .map_err(|e| SetupError::Invalid(e.to_string()))?;
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
        Ok(Settings {
            vault,
            kinds,
            per_file_ignores,
            enabled,
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
    /// The vault's index the notes were checked against (`check --fix` checks fixed notes
    /// against it again).
    pub index: VaultIndex,
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
        index,
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
