//! The vault index and link resolution.
//!
//! The index always covers the whole vault, even when only a few files are reported on: a
//! pre-commit run passes only the staged files, yet their links may point at any note and
//! their ids may clash with any note.
//!
//! Resolution follows Obsidian: `[[name]]` is looked up by file name stem across the whole
//! vault, case-insensitively and after Unicode NFC normalisation (macOS writes decomposed
//! file names, editors type composed ones), with `.md` optional; a path form
//! (`folder/note`) matches a vault-relative path or its tail; a name with another extension
//! (`diagram.png`) is looked up among attachments. Obsidian does *not* resolve by
//! front-matter `id`; `[links] resolve-by-id` adds that as a fallback for vaults whose tools
//! do. Markdown links (`[text](../dir/note.md)`) are resolved against the linking file's
//! folder and must stay inside the vault.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use unicode_normalization::UnicodeNormalization;

use super::cache::ContentHash;
use super::links::LinkKind;
use super::markdown::anchor_key;
use super::note::Note;

/// What a link target names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target<'a> {
    /// A note, by vault-relative path.
    Note(&'a str),
    /// A non-Markdown file, by vault-relative path.
    Attachment(&'a str),
    Missing,
    /// A relative link that climbs above the vault root.
    OutsideVault,
}

/// The anchors a note offers: its headings and block ids.
#[derive(Clone, Debug, Default)]
pub struct Anchors {
    headings: HashSet<String>,
    blocks: HashSet<String>,
    /// The hash of the bytes they were read from, when known: what a cached finding about an
    /// anchor depends on.
    pub content: Option<ContentHash>,
}

impl Anchors {
    pub fn of(note: &Note) -> Anchors {
        Anchors {
            headings: note.headings.iter().map(|h| anchor_key(&h.text)).collect(),
            blocks: note.block_ids.iter().cloned().collect(),
            content: None,
        }
    }

    /// The anchors of `note`, read from bytes of hash `content`.
    pub fn read_from(note: &Note, content: Option<ContentHash>) -> Anchors {
        Anchors {
            content,
            ..Anchors::of(note)
        }
    }

    /// Whether `anchor` (`Heading`, `Parent#Child` or `^block`) exists.
    pub fn has(&self, anchor: &str) -> bool {
        match anchor.strip_prefix('^') {
            Some(block) => self.blocks.contains(block),
            // `[[note#Parent#Child]]` names a subheading; the last part is the heading.
            None => {
                let last = anchor.rsplit('#').next().unwrap_or(anchor);
                self.headings.contains(&anchor_key(last))
            }
        }
    }
}

/// The lookup key of a name or path: NFC, lower case, `\` as `/`.
pub fn key(s: &str) -> String {
    // Most names are ASCII, which NFC leaves as it is: one pass and one allocation, where
    // the general case takes three (the index keys every note's name and path).
    if s.is_ascii() {
        let mut k = s.to_ascii_lowercase();
        if memchr::memchr(b'\\', k.as_bytes()).is_some() {
            k = k.replace('\\', "/");
        }
        return k;
    }
    let composed: std::borrow::Cow<'_, str> = match unicode_normalization::is_nfc_quick(s.chars()) {
        unicode_normalization::IsNormalized::Yes => s.into(),
        _ => s.nfc().collect::<String>().into(),
    };
    composed.to_lowercase().replace('\\', "/")
}

fn strip_md(s: &str) -> &str {
    s.strip_suffix(".md")
        .or_else(|| s.strip_suffix(".MD"))
        .unwrap_or(s)
}

/// What the index takes from one note.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IndexEntry {
    /// Vault-relative path.
    pub path: String,
    /// The front-matter `id`, when the front matter parsed and has one.
    pub id: Option<String>,
    /// Where the id value sits in the file.
    pub id_span: Range<usize>,
    /// The front-matter `aliases` (used for suggestions, not resolution: Obsidian links by
    /// file name, and picking an alias in its editor writes `[[file|alias]]`).
    pub aliases: Vec<String>,
    /// The `anki_id` values of its `anki_cards` entries, with their spans.
    pub anki_ids: Vec<(i64, Range<usize>)>,
}

impl IndexEntry {
    pub fn of(note: &Note) -> IndexEntry {
        IndexEntry::of_front_matter(note.path.clone(), note.front_matter())
    }

    /// The front-matter keys an entry is made of.
    const KEYS: &[&str] = &["id", "aliases", "anki_cards"];

    /// The entry of the note at `path` whose text is `text`, split as `split`: only the
    /// keys the entry needs are converted from the YAML (the same entry as
    /// [`IndexEntry::of`] on the note).
    pub fn of_block(path: String, text: &str, split: &super::frontmatter::Split) -> IndexEntry {
        let parsed = split.block.as_ref().map(|b| {
            super::yaml::parse_keys(&text[b.yaml.clone()], b.yaml.start, IndexEntry::KEYS)
        });
        IndexEntry::of_front_matter(path, parsed.as_ref().and_then(|r| r.as_ref().ok()))
    }

    /// The entry of the note at `path` whose front matter parsed as `fm` (`None`: no
    /// readable front matter).
    pub fn of_front_matter(path: String, fm: Option<&super::yaml::Parsed>) -> IndexEntry {
        let id = fm
            .and_then(|fm| fm.json.get("id"))
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let id_span = fm.and_then(|fm| fm.spans.value("/id")).unwrap_or(0..0);
        let aliases = fm
            .and_then(|fm| fm.json.get("aliases"))
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let anki_ids = fm
            .map(|fm| {
                super::note::card_entries(&fm.json)
                    .iter()
                    .filter_map(|e| {
                        let span = fm.spans.value(&e.key_pointer("anki_id"))?;
                        Some((e.anki_id?, span))
                    })
                    .collect()
            })
            .unwrap_or_default();
        IndexEntry {
            path,
            id,
            id_span,
            aliases,
            anki_ids,
        }
    }

    fn stem(&self) -> &str {
        let name = self.path.rsplit('/').next().unwrap_or(&self.path);
        strip_md(name)
    }
}

/// How the index reads a note's anchors on demand ([`VaultIndex::read_anchors_with`]).
pub struct AnchorSource(pub Box<ReadAnchors>);

/// Reads the anchors of the note at a vault-relative path.
pub type ReadAnchors = dyn Fn(&str) -> Option<Anchors> + Send + Sync;

impl std::fmt::Debug for AnchorSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AnchorSource")
    }
}

/// A note's links and references, as counting inbound links needs them: what is kept of a
/// note once it is read.
#[derive(Clone, Debug, Hash)]
pub struct Outbound {
    pub path: String,
    pub links: Vec<(LinkKind, String)>,
    /// Front-matter reference targets.
    pub references: Vec<String>,
}

impl Outbound {
    pub fn of(note: &Note, reference_keys: &[String]) -> Outbound {
        Outbound {
            path: note.path.clone(),
            links: note
                .links
                .iter()
                .map(|l| (l.kind, l.target.clone()))
                .collect(),
            references: super::links::references(note, reference_keys)
                .into_iter()
                .map(|r| r.target)
                .collect(),
        }
    }
}

#[derive(Debug, Default)]
pub struct VaultIndex {
    /// What the index is built from.
    entries: Vec<IndexEntry>,
    attachments: Vec<String>,
    /// The lookups, built from `entries` and `attachments` when first asked: a run whose
    /// every note's findings come from the check cache never asks.
    names: std::sync::OnceLock<Names>,
    /// Suggestions already computed, by target: many notes share one dangling target.
    suggested: std::sync::Mutex<Map<String, Option<usize>>>,
    /// Hints already written, by target as linked (a real vault's 17,000 notes hold 174,000
    /// dangling links to far fewer targets).
    hinted: std::sync::Mutex<Map<String, Option<String>>>,
    /// Anchors by note path, recorded or read on demand (`None`: unreadable).
    anchors: Mutex<HashMap<String, Option<Arc<Anchors>>>>,
    anchor_source: Option<AnchorSource>,
    /// Inbound links per note path, when every note's body was summarised.
    inbound: Option<HashMap<String, usize>>,
    resolve_by_id: bool,
    digest: IndexDigest,
}

/// A map of the index's lookups (see [`Names`]).
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// The index's lookups by name, path, id and word.
///
/// Its maps hash with foldhash rather than SipHash: a pre-commit run builds them for the
/// whole vault to check a few notes, and SipHash on their keys was 4 % of that run.
#[derive(Debug, Default)]
struct Names {
    /// Front-matter `id` → (note path, span of the id value), in path order.
    ids: Map<String, Vec<(String, Range<usize>)>>,
    /// `anki_id` → (note path, span of the value), in path order.
    anki_ids: Map<i64, Vec<(String, Range<usize>)>>,
    /// Stem key → note paths, in path order.
    stems: Map<String, Vec<String>>,
    /// Path key without `.md` → note path.
    note_paths: Map<String, String>,
    /// File-name key → attachment paths.
    attachment_names: Map<String, Vec<String>>,
    /// Path key → attachment path.
    attachment_paths: Map<String, String>,
    /// (stem, `-`-separated words) of every note, for suggestions.
    words: Vec<(String, Vec<String>)>,
    /// Every stem of `words` in lower case, for the edit distances of suggestions.
    lower: Vec<String>,
    /// The [`signature`] of each of `lower`.
    signatures: Vec<u64>,
    /// Indices into `words` by the stem's length in characters: a typo is looked for among
    /// stems of about the target's length only.
    by_length: Map<usize, Vec<usize>>,
    /// Alias key → note paths.
    aliases: Map<String, Vec<String>>,
    /// Word → indices into `words` of the stems containing it.
    postings: Map<String, Vec<usize>>,
}

/// Digests of what an index was built from. Two indexes with the same `all` answer every
/// question alike, but for anchors (read from the notes on demand); two with the same
/// `names` give the same hints ([`VaultIndex::hint`]: aliases and file names).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IndexDigest {
    pub all: u64,
    pub names: u64,
}

impl VaultIndex {
    /// Index the vault's notes (`entries`: every Markdown file) and `attachments`.
    pub fn build(
        entries: &[IndexEntry],
        attachments: &[String],
        resolve_by_id: bool,
    ) -> VaultIndex {
        VaultIndex::of(entries.to_vec(), attachments.to_vec(), resolve_by_id)
    }

    /// [`VaultIndex::build`] from what it keeps.
    pub fn of(
        entries: Vec<IndexEntry>,
        attachments: Vec<String>,
        resolve_by_id: bool,
    ) -> VaultIndex {
        VaultIndex {
            digest: IndexDigest::of(&entries, &attachments, resolve_by_id),
            entries,
            attachments,
            resolve_by_id,
            ..VaultIndex::default()
        }
    }

    /// The lookups, built on first use.
    fn names(&self) -> &Names {
        self.names
            .get_or_init(|| Names::build(&self.entries, &self.attachments))
    }

    /// Record the anchors of a note.
    pub fn add_anchors(&mut self, note: &Note) {
        if let Ok(map) = self.anchors.get_mut() {
            map.insert(note.path.clone(), Some(Arc::new(Anchors::of(note))));
        }
    }

    /// Read a note's anchors with `source` when a link first asks for them. Only the notes
    /// that anchored links point at need them, and which those are is known only once the
    /// linking notes are read: so they are read on demand, once each.
    pub fn read_anchors_with(&mut self, source: AnchorSource) {
        self.anchor_source = Some(source);
    }

    /// The anchors of a note, when they were recorded or can be read.
    pub fn anchors(&self, path: &str) -> Option<Arc<Anchors>> {
        if let Ok(map) = self.anchors.lock()
            && let Some(known) = map.get(path)
        {
            return known.clone();
        }
        // Read outside the lock: two threads may read one note at once, and both get the
        // same anchors.
        let read = self
            .anchor_source
            .as_ref()
            .and_then(|s| (s.0)(path))
            .map(Arc::new);
        if let Ok(mut map) = self.anchors.lock() {
            map.insert(path.to_string(), read.clone());
        }
        read
    }

    /// The notes whose front-matter `id` is `id` (path, span of the value), in path order.
    pub fn id_users(&self, id: &str) -> &[(String, Range<usize>)] {
        self.names().ids.get(id).map_or(&[], Vec::as_slice)
    }

    /// The notes with an `anki_cards` entry of `anki_id` (path, span of the value), in path
    /// order.
    pub fn anki_id_users(&self, anki_id: i64) -> &[(String, Range<usize>)] {
        self.names()
            .anki_ids
            .get(&anki_id)
            .map_or(&[], Vec::as_slice)
    }

    /// Resolve a wikilink or front-matter reference target (no `#anchor`, no `|label`).
    pub fn resolve_name(&self, target: &str) -> Target<'_> {
        let target = target.trim().trim_start_matches('/');
        if target.is_empty() {
            return Target::Missing;
        }
        let k = key(strip_md(target));
        if k.contains('/') {
            if let Some(path) = self.names().note_paths.get(&k) {
                return Target::Note(path);
            }
            // A path ending with the target's parts has the target's last part as its stem,
            // so only notes of that stem are candidates, not the whole vault (per link).
            let tail = format!("/{k}");
            let stem = k.rsplit('/').next().unwrap_or(&k);
            if let Some(path) = self
                .names()
                .stems
                .get(stem)
                .into_iter()
                .flatten()
                .map(|p| key(strip_md(p)))
                .filter(|p| p.ends_with(&tail))
                .filter_map(|p| self.names().note_paths.get(&p))
                .min()
            {
                return Target::Note(path);
            }
            if let Some(path) = self.names().attachment_paths.get(&key(target)) {
                return Target::Attachment(path);
            }
            let name = key(target.rsplit('/').next().unwrap_or(target));
            let tail = format!("/{}", key(target));
            if let Some(paths) = self.names().attachment_names.get(&name)
                && let Some(path) = paths.iter().find(|p| key(p).ends_with(&tail))
            {
                return Target::Attachment(path);
            }
            return Target::Missing;
        }
        if let Some(paths) = self.names().stems.get(&k) {
            return Target::Note(&paths[0]);
        }
        if let Some(paths) = self.names().attachment_names.get(&key(target)) {
            return Target::Attachment(&paths[0]);
        }
        if self.resolve_by_id
            && let Some(users) = self.names().ids.get(target)
            && users.len() == 1
        {
            return Target::Note(&users[0].0);
        }
        Target::Missing
    }

    /// Resolve a Markdown link target (percent-decoded, no `#anchor`) written in `from`.
    pub fn resolve_relative(&self, from: &str, target: &str) -> Target<'_> {
        let mut parts: Vec<&str> = from.split('/').collect();
        parts.pop();
        let target = target.replace('\\', "/");
        let rooted = target.starts_with('/');
        if rooted {
            parts.clear();
        }
        for part in target.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() {
                        return Target::OutsideVault;
                    }
                }
                p => parts.push(p),
            }
        }
        let joined = parts.join("/");
        let k = key(&joined);
        if let Some(path) = self.names().note_paths.get(&key(strip_md(&joined)))
            && (joined.ends_with(".md") || !self.names().attachment_paths.contains_key(&k))
        {
            return Target::Note(path);
        }
        if let Some(path) = self.names().attachment_paths.get(&k) {
            return Target::Attachment(path);
        }
        Target::Missing
    }

    /// Resolve any body link.
    pub fn resolve_link(&self, from: &str, kind: LinkKind, target: &str) -> Target<'_> {
        match kind {
            LinkKind::Wiki => self.resolve_name(target),
            LinkKind::Markdown if target.is_empty() => Target::Missing,
            LinkKind::Markdown => {
                // Markdown links may be written like wikilinks (`[x](note)`); try the file
                // system meaning first, then the vault-wide name.
                match self.resolve_relative(from, target) {
                    Target::Missing if !target.contains('/') => self.resolve_name(target),
                    other => other,
                }
            }
            LinkKind::External => Target::Missing,
        }
    }

    /// The note whose `aliases` hold `target`, when exactly one does.
    pub fn alias_of(&self, target: &str) -> Option<&str> {
        match self.names().aliases.get(&key(target))?.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }

    /// A fix hint for an unresolved `target`: the note it is an alias of, or a close name.
    pub fn hint(&self, target: &str) -> Option<String> {
        if let Ok(memo) = self.hinted.lock()
            && let Some(hit) = memo.get(target)
        {
            return hit.clone();
        }
        let hint = self.write_hint(target);
        if let Ok(mut memo) = self.hinted.lock() {
            memo.insert(target.to_string(), hint.clone());
        }
        hint
    }

    fn write_hint(&self, target: &str) -> Option<String> {
        if let Some(path) = self.alias_of(target) {
            let name = path.rsplit('/').next().unwrap_or(path);
            let stem = strip_md(name);
            return Some(format!(
                "`{target}` is an alias of `{stem}`, but links resolve by file name: write `[[{stem}|{target}]]`"
            ));
        }
        self.suggest(target).map(|s| format!("did you mean `{s}`?"))
    }

    /// A close existing note name for an unresolved `target`, if there is a plausible one.
    pub fn suggest(&self, target: &str) -> Option<&str> {
        let target = strip_md(target.rsplit('/').next().unwrap_or(target)).to_lowercase();
        if let Ok(memo) = self.suggested.lock()
            && let Some(hit) = memo.get(&target)
        {
            return hit.map(|i| self.names().words[i].0.as_str());
        }
        let found = self.shared_words(&target).or_else(|| self.typo(&target));
        if let Ok(mut memo) = self.suggested.lock() {
            memo.insert(target, found);
        }
        found.map(|i| self.names().words[i].0.as_str())
    }

    /// The stem sharing the most words (Jaccard similarity of at least 0.6):
    /// `q-message-queues--system-design--medium` is most likely
    /// `q-message-queues-event-driven--system-design--medium`, far in edit distance.
    ///
    /// Candidates come from the postings of the target's rarest words only (prefix
    /// filtering): a stem that shares none of them cannot reach the threshold, so common
    /// words such as `q` or `medium` never make this scan the whole vault.
    fn shared_words(&self, target: &str) -> Option<usize> {
        const THRESHOLD: f64 = 0.6;
        let mut words: Vec<&str> = target.split('-').filter(|w| !w.is_empty()).collect();
        words.sort_unstable();
        words.dedup();
        if words.is_empty() {
            return None;
        }
        words.sort_by_key(|w| self.names().postings.get(*w).map_or(0, Vec::len));
        let needed = (THRESHOLD * words.len() as f64).ceil() as usize;
        let prefix = words.len() + 1 - needed.max(1);
        let mut candidates: Vec<usize> = words[..prefix]
            .iter()
            .filter_map(|w| self.names().postings.get(*w))
            .flatten()
            .copied()
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        let mut best: Option<(f64, usize)> = None;
        for i in candidates {
            let stem_words = &self.names().words[i].1;
            let common = words
                .iter()
                .filter(|w| stem_words.iter().any(|s| s == *w))
                .count();
            let union = words.len() + stem_words.len() - common;
            let score = common as f64 / union as f64;
            let better = best.is_none_or(|(b, j)| {
                score > b || (score == b && self.names().words[i].0 < self.names().words[j].0)
            });
            if better {
                best = Some((score, i));
            }
        }
        best.filter(|(score, _)| *score >= THRESHOLD)
            .map(|(_, i)| i)
    }

    /// A stem within a small edit distance (typos), among stems of about the same length.
    fn typo(&self, target: &str) -> Option<usize> {
        let len = target.chars().count();
        let limit = if len >= 5 { 2 } else { 1 };
        let names = self.names();
        let mut distance = Distance::from(target);
        let mut best: Option<(usize, &String, usize)> = None;
        let candidates = (len.saturating_sub(limit)..=len + limit)
            .filter_map(|length| names.by_length.get(&length))
            .flatten();
        let target_signature = signature(target);
        for &i in candidates {
            // Each edit changes at most two characters' presence: a name whose characters
            // differ from the target's in more than twice the limit is too far, found
            // without computing the distance (most names of about the target's length).
            if (names.signatures[i] ^ target_signature).count_ones() as usize > 2 * limit {
                continue;
            }
            let Some(d) = distance.to(&names.lower[i], limit).filter(|d| *d > 0) else {
                continue;
            };
            let found = (d, &names.words[i].0, i);
            if best.is_none_or(|b| found < b) {
                best = Some(found);
            }
        }
        best.map(|(_, _, i)| i)
    }

    /// What the index was built from, digested.
    pub fn digest(&self) -> IndexDigest {
        self.digest
    }

    /// Count inbound links for every note (needs every note summarised).
    pub fn count_inbound(&mut self, notes: &[Outbound]) {
        {
            use std::hash::{Hash, Hasher};
            let mut h = std::hash::DefaultHasher::new();
            self.digest.all.hash(&mut h);
            for note in notes {
                note.hash(&mut h);
            }
            self.digest.all = h.finish();
        }
        let mut inbound: HashMap<String, usize> = HashMap::new();
        for note in notes {
            let mut targets: Vec<String> = Vec::new();
            for (kind, target) in &note.links {
                if let Target::Note(p) = self.resolve_link(&note.path, *kind, target) {
                    targets.push(p.to_string());
                }
            }
            for target in &note.references {
                if let Target::Note(p) = self.resolve_name(target) {
                    targets.push(p.to_string());
                }
            }
            targets.sort();
            targets.dedup();
            for t in targets.into_iter().filter(|t| *t != note.path) {
                *inbound.entry(t).or_default() += 1;
            }
        }
        self.inbound = Some(inbound);
    }

    /// Inbound link count of a note, when counted.
    pub fn inbound(&self, path: &str) -> Option<usize> {
        self.inbound
            .as_ref()
            .map(|m| m.get(path).copied().unwrap_or(0))
    }
}

impl Names {
    fn build(entries: &[IndexEntry], attachments: &[String]) -> Names {
        let mut index = Names::default();
        // Normalising names is most of the work, and each note's alone: done in parallel,
        // then filed in path order.
        let keyed: Vec<Keyed> = entries.par_iter().map(Keyed::of).collect();
        for (entry, keyed) in entries.iter().zip(keyed) {
            index
                .stems
                .entry(keyed.stem)
                .or_default()
                .push(entry.path.clone());
            index.note_paths.insert(keyed.path, entry.path.clone());
            for w in &keyed.words {
                let list = index.postings.entry(w.clone()).or_default();
                if list.last() != Some(&index.words.len()) {
                    list.push(index.words.len());
                }
            }
            index
                .by_length
                .entry(keyed.length)
                .or_default()
                .push(index.words.len());
            index.signatures.push(signature(&keyed.lower));
            index.lower.push(keyed.lower);
            index.words.push((entry.stem().to_string(), keyed.words));
            for (id, span) in &entry.anki_ids {
                index
                    .anki_ids
                    .entry(*id)
                    .or_default()
                    .push((entry.path.clone(), span.clone()));
            }
            for alias in keyed.aliases {
                index
                    .aliases
                    .entry(alias)
                    .or_default()
                    .push(entry.path.clone());
            }
            if let Some(id) = &entry.id {
                index
                    .ids
                    .entry(id.clone())
                    .or_default()
                    .push((entry.path.clone(), entry.id_span.clone()));
            }
        }
        for path in attachments {
            let name = path.rsplit('/').next().unwrap_or(path);
            index
                .attachment_names
                .entry(key(name))
                .or_default()
                .push(path.clone());
            index.attachment_paths.insert(key(path), path.clone());
        }
        index
    }
}

/// The lookup keys of one note.
struct Keyed {
    stem: String,
    /// Its path without `.md`.
    path: String,
    /// The lower-case `-`-separated words of its stem, for suggestions.
    words: Vec<String>,
    /// Its stem in lower case, and the stem's length in characters.
    lower: String,
    length: usize,
    aliases: Vec<String>,
}

impl Keyed {
    fn of(entry: &IndexEntry) -> Keyed {
        let stem = entry.stem();
        Keyed {
            stem: key(stem),
            path: key(strip_md(&entry.path)),
            words: stem
                .split('-')
                .filter(|w| !w.is_empty())
                .map(str::to_lowercase)
                .collect(),
            lower: stem.to_lowercase(),
            length: stem.chars().count(),
            aliases: entry.aliases.iter().map(|a| key(a)).collect(),
        }
    }
}

impl IndexDigest {
    fn of(entries: &[IndexEntry], attachments: &[String], resolve_by_id: bool) -> IndexDigest {
        use std::hash::{BuildHasher, Hash, Hasher};
        // Fixed seeds: the check cache compares digests from one run with the next. foldhash
        // rather than SipHash, which took about 1 % of a pre-commit run hashing every entry.
        let all_state = foldhash::quality::FixedState::with_seed(0x616c_6c5f_6e6f_7465);
        let names_state = foldhash::quality::FixedState::with_seed(0x6e61_6d65_735f_6f66);
        let mut all = all_state.build_hasher();
        let mut names = names_state.build_hasher();
        resolve_by_id.hash(&mut all);
        entries.hash(&mut all);
        attachments.hash(&mut all);
        for entry in entries {
            entry.path.hash(&mut names);
            entry.aliases.hash(&mut names);
        }
        IndexDigest {
            all: all.finish(),
            names: names.finish(),
        }
    }
}

/// The edit distance from one string to others, when it is at most a limit.
///
/// Written here rather than taken from a crate: the distance crates compute the full
/// distance, and a suggestion compares a dangling target with every name of about its
/// length. Within a limit `k` only the cells within `k` of the diagonal can hold a distance
/// of at most `k` (Ukkonen's band), so a row costs `2k + 1` cells rather than the name's
/// length, and the comparison stops at the first row whose cells all exceed `k`. Names are
/// mostly ASCII, compared as bytes; the rows are kept from one comparison to the next.
struct Distance<'a> {
    from: &'a str,
    /// `from`'s characters, when it is not ASCII.
    from_chars: Vec<char>,
    /// The other string's characters, when either is not ASCII.
    to_chars: Vec<char>,
    rows: [Vec<usize>; 2],
}

impl<'a> Distance<'a> {
    fn from(from: &'a str) -> Self {
        Distance {
            from,
            from_chars: if from.is_ascii() {
                Vec::new()
            } else {
                from.chars().collect()
            },
            to_chars: Vec::new(),
            rows: [Vec::new(), Vec::new()],
        }
    }

    /// The distance to `to`, when it is at most `limit`.
    fn to(&mut self, to: &str, limit: usize) -> Option<usize> {
        if self.from.is_ascii() && to.is_ascii() {
            return bounded(self.from.as_bytes(), to.as_bytes(), limit, &mut self.rows);
        }
        if self.from_chars.is_empty() {
            self.from_chars.extend(self.from.chars());
        }
        self.to_chars.clear();
        self.to_chars.extend(to.chars());
        bounded(&self.from_chars, &self.to_chars, limit, &mut self.rows)
    }
}

/// Which characters a string holds, one bit per class of characters: the 26 ASCII
/// letters, the 10 digits, `-` and `_` each their own, every other character in one of 26
/// classes by its code. One edit changes the presence of at most two classes (a
/// substitution: the one it removes and the one it adds), so the bits in which two
/// signatures differ are at most twice the edit distance of their strings.
fn signature(s: &str) -> u64 {
    let class = |c: char| match c {
        'a'..='z' => c as u32 - 'a' as u32,
        '0'..='9' => 26 + (c as u32 - '0' as u32),
        '-' => 36,
        '_' => 37,
        _ => 38 + c as u32 % 26,
    };
    s.chars().fold(0, |sig, c| sig | 1 << class(c))
}

/// The edit distance when it is at most `limit`.
pub fn bounded_distance(a: &str, b: &str, limit: usize) -> Option<usize> {
    Distance::from(a).to(b, limit)
}

fn bounded<T: PartialEq>(
    a: &[T],
    b: &[T],
    limit: usize,
    rows: &mut [Vec<usize>; 2],
) -> Option<usize> {
    // Each extra character costs an edit.
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    // A cell outside the band stands for "more than the limit".
    let over = limit.saturating_add(1);
    let m = b.len();
    let [prev, cur] = rows;
    prev.clear();
    prev.extend((0..=m).map(|j| j.min(over)));
    cur.clear();
    cur.resize(m + 1, over);
    for (i, ca) in (1usize..).zip(a) {
        let lo = i.saturating_sub(limit).max(1);
        let hi = i.saturating_add(limit).min(m);
        cur[lo - 1] = if lo == 1 { i.min(over) } else { over };
        let mut least = cur[lo - 1];
        for j in lo..=hi {
            let cost = usize::from(*ca != b[j - 1]);
            let d = (prev[j - 1] + cost)
                .min(prev[j].saturating_add(1))
                .min(cur[j - 1].saturating_add(1))
                .min(over);
            cur[j] = d;
            least = least.min(d);
        }
        if hi < m {
            cur[hi + 1] = over;
        }
        if least > limit {
            return None;
        }
        std::mem::swap(prev, cur);
    }
    Some(prev[m]).filter(|d| *d <= limit)
}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    bounded_distance(a, b, usize::MAX).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault() -> VaultIndex {
        let notes: Vec<Note> = [
            (
                "10-Concepts/c-hilt.md",
                "---\nid: \"1\"\n---\n# Summary (EN)\nText ^blk\n",
            ),
            (
                "30-SD/q-message-queues-event-driven--system-design--medium.md",
                "---\nid: sysdes-1\n---\n",
            ),
            ("Café.md", "x\n"),
            ("a/dup.md", ""),
            ("b/dup.md", ""),
        ]
        .iter()
        .map(|(p, t)| Note::from_text(p.to_string(), t.to_string(), None))
        .collect();
        let entries: Vec<IndexEntry> = notes.iter().map(IndexEntry::of).collect();
        let mut index = VaultIndex::build(&entries, &["img/pic.png".to_string()], false);
        for note in &notes {
            index.add_anchors(note);
        }
        index
    }

    #[test]
    fn keys_of_ascii_and_other_names_agree() {
        for name in [
            "Q-Cache--Medium",
            "a\\B.md",
            "Café",
            "Cafe\u{301}",
            "ÉCOLE",
            "Straße",
        ] {
            let general = name
                .nfc()
                .collect::<String>()
                .to_lowercase()
                .replace('\\', "/");
            assert_eq!(key(name), general, "{name}");
        }
    }

    #[test]
    fn names_paths_case_and_nfc() {
        let v = vault();
        assert_eq!(
            v.resolve_name("c-hilt"),
            Target::Note("10-Concepts/c-hilt.md")
        );
        assert_eq!(
            v.resolve_name("C-Hilt.md"),
            Target::Note("10-Concepts/c-hilt.md")
        );
        assert_eq!(
            v.resolve_name("10-Concepts/c-hilt"),
            Target::Note("10-Concepts/c-hilt.md")
        );
        // Decomposed é (e + combining acute) finds the composed file name.
        assert_eq!(v.resolve_name("Cafe\u{301}"), Target::Note("Café.md"));
        assert_eq!(v.resolve_name("b/dup"), Target::Note("b/dup.md"));
        assert_eq!(v.resolve_name("dup"), Target::Note("a/dup.md"));
        assert_eq!(v.resolve_name("pic.png"), Target::Attachment("img/pic.png"));
        assert_eq!(v.resolve_name("c-hilt-missing"), Target::Missing);
        assert_eq!(v.resolve_name("sysdes-1"), Target::Missing);
    }

    #[test]
    fn ids_resolve_only_when_asked() {
        let notes = [Note::from_text(
            "n.md".into(),
            "---\nid: sysdes-1\n---\n".into(),
            None,
        )];
        let entries: Vec<IndexEntry> = notes.iter().map(IndexEntry::of).collect();
        let v = VaultIndex::build(&entries, &[], true);
        assert_eq!(v.resolve_name("sysdes-1"), Target::Note("n.md"));
    }

    #[test]
    fn path_targets_match_the_end_of_a_path() {
        let notes: Vec<Note> = ["c/b/deep.md", "a/b/deep.md", "a/x/deep.md", "deep-b.md"]
            .iter()
            .map(|p| Note::from_text(p.to_string(), String::new(), None))
            .collect();
        let entries: Vec<IndexEntry> = notes.iter().map(IndexEntry::of).collect();
        let v = VaultIndex::build(&entries, &[], false);
        // The first in path order of those that end with the target.
        assert_eq!(v.resolve_name("b/deep"), Target::Note("a/b/deep.md"));
        assert_eq!(v.resolve_name("B/Deep.md"), Target::Note("a/b/deep.md"));
        assert_eq!(v.resolve_name("c/b/deep"), Target::Note("c/b/deep.md"));
        assert_eq!(v.resolve_name("x/deep"), Target::Note("a/x/deep.md"));
        assert_eq!(v.resolve_name("y/deep"), Target::Missing);
        assert_eq!(v.resolve_name("b/eep"), Target::Missing);
    }

    #[test]
    fn relative_links() {
        let v = vault();
        assert_eq!(
            v.resolve_relative("30-SD/x.md", "../10-Concepts/c-hilt.md"),
            Target::Note("10-Concepts/c-hilt.md")
        );
        assert_eq!(
            v.resolve_relative("30-SD/x.md", "../img/pic.png"),
            Target::Attachment("img/pic.png")
        );
        assert_eq!(
            v.resolve_relative("30-SD/x.md", "../../outside.md"),
            Target::OutsideVault
        );
        assert_eq!(
            v.resolve_relative("30-SD/x.md", "nothing.md"),
            Target::Missing
        );
    }

    #[test]
    fn anchors() {
        let v = vault();
        let a = v.anchors("10-Concepts/c-hilt.md").expect("summarised");
        assert!(a.has("Summary (EN)"));
        assert!(a.has("summary-en"));
        assert!(a.has("^blk"));
        assert!(!a.has("Missing"));
    }

    #[test]
    fn aliases_give_hints_not_resolution() {
        let notes = [Note::from_text(
            "c-hilt.md".into(),
            "---\naliases: [Hilt, Dagger Hilt]\n---\n".into(),
            None,
        )];
        let entries: Vec<IndexEntry> = notes.iter().map(IndexEntry::of).collect();
        let v = VaultIndex::build(&entries, &[], false);
        assert_eq!(v.resolve_name("Hilt"), Target::Missing);
        let hint = v.hint("dagger hilt").expect("hint");
        assert!(hint.contains("[[c-hilt|dagger hilt]]"), "{hint}");
    }

    #[test]
    fn suggestions() {
        let v = vault();
        assert_eq!(
            v.suggest("q-message-queues--system-design--medium"),
            Some("q-message-queues-event-driven--system-design--medium")
        );
        assert_eq!(v.suggest("c-hlit"), Some("c-hilt"));
        assert_eq!(v.suggest("completely-unrelated-name"), None);
    }

    #[test]
    fn bounded_distances_are_edit_distances() {
        for (a, b, d) in [
            ("kitten", "sitting", 3),
            ("", "abc", 3),
            ("c-hilt", "c-hlit", 2),
            ("café", "cafe", 1),
            ("Кэш", "кэш", 1),
        ] {
            assert_eq!(edit_distance(a, b), d, "{a} {b}");
            assert_eq!(bounded_distance(a, b, d), Some(d), "{a} {b}");
            if d > 0 {
                assert_eq!(bounded_distance(a, b, d - 1), None, "{a} {b}");
            }
        }
    }

    #[test]
    fn keys_are_lower_case_composed_with_forward_slashes() {
        assert_eq!(key("Notes\\Q-One.MD"), "notes/q-one.md");
        assert_eq!(key("plain"), "plain");
        // A decomposed `É` (E and a combining acute) keys as the composed `é`.
        assert_eq!(key("Cafe\u{301}\\Kotlin"), "café/kotlin");
    }

    /// The full table, every cell computed: what the band must agree with.
    fn full_distance(a: &str, b: &str) -> usize {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.iter().enumerate() {
            let mut cur = vec![i + 1; b.len() + 1];
            for (j, cb) in b.iter().enumerate() {
                cur[j + 1] = (prev[j] + usize::from(ca != cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1);
            }
            prev = cur;
        }
        prev[b.len()]
    }

    proptest::proptest! {
        #[test]
        fn signatures_differ_in_at_most_two_bits_per_edit(
            a in "[a-zA-Z09\\-_é€Ж ]{0,12}",
            b in "[a-zA-Z09\\-_é€Ж ]{0,12}",
        ) {
            let differ = (signature(&a) ^ signature(&b)).count_ones() as usize;
            proptest::prop_assert!(differ <= 2 * full_distance(&a, &b), "{a:?} {b:?}");
        }

        #[test]
        fn banded_distances_agree_with_the_full_table(
            a in "[abc\\-é]{0,9}",
            b in "[abc\\-é]{0,9}",
            limit in 0usize..4,
        ) {
            let d = full_distance(&a, &b);
            proptest::prop_assert_eq!(bounded_distance(&a, &b, limit), (d <= limit).then_some(d));
            proptest::prop_assert_eq!(edit_distance(&a, &b), d);
            // One `Distance` compared with several strings keeps no state between them.
            let mut from = Distance::from(&a);
            proptest::prop_assert_eq!(from.to(&b, limit), (d <= limit).then_some(d));
            proptest::prop_assert_eq!(from.to(&a, limit), Some(0));
            proptest::prop_assert_eq!(from.to(&b, limit), (d <= limit).then_some(d));
        }
    }

    /// Front-matter lines the index reads, and others around them, in any order (repeats
    /// included).
    const FRONT_MATTER_LINES: &[&str] = &[
        "id: q-1",
        "id: \"q 2\"",
        "id:",
        "id: 12",
        "aliases: [a, \"b\"]",
        "aliases:\n  - Кэш\n  - 7",
        "aliases: none",
        "anki_cards:\n  - slug: s-0-en\n    anki_id: 1700000000001\n  - anki_id: \"2\"",
        "anki_cards: []",
        "anki_cards: 5",
        "title: Вопрос / Question",
        "tags: [a, {b: c}]",
        "? [complex]\n: key",
        "a: &x 1\nb: *x",
        "- a list at the root",
        "broken: [unclosed",
    ];

    proptest::proptest! {
        #[test]
        fn an_entry_read_for_the_index_alone_is_the_notes_entry(
            lines in proptest::collection::vec(proptest::sample::select(FRONT_MATTER_LINES), 0..7),
            fenced in proptest::bool::ANY,
        ) {
            let yaml = lines.join("\n");
            let text = if fenced {
                format!("---\n{yaml}\n---\n# Body\n")
            } else {
                format!("{yaml}\n# Body\n")
            };
            let note = Note::from_text("n.md".into(), text.clone(), None);
            let split = crate::vault::frontmatter::split(&text);
            proptest::prop_assert_eq!(
                IndexEntry::of_block("n.md".into(), &text, &split),
                IndexEntry::of(&note)
            );
        }
    }
}
