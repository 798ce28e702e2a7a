/*!
The check cache: each note's findings, kept so that an unchanged note is not checked again.

A note's findings are a function of three things, and the cache keeps all three with them:

1. **the settings** (decksmith's version and build, the configuration's text, the rules
   enabled and their severities, the schemas' texts): one key for the whole file, which is
   thrown away when the key changes;
2. **the note's bytes**: its stamp (size, modification and change time) and a hash of its
   bytes. An unchanged stamp vouches for the bytes, unless the file was written too close to
   the run that stored it ([`Stamp::is_settled`]); a changed stamp with the same hash (a
   checkout, a copy) still counts as unchanged;
3. **what its rules asked the index**: every question, with a digest of its answer
   ([`super::lookup`]). A note is reused only when each question still gets the same
   answer. The index's own digest makes that cheap: when the index is built from exactly
   what it was built from when the note's answers were last confirmed, only questions about
   other notes' anchors are asked again, and those are answered by the linked notes' hashes,
   known from their own stamps without reading them.

So editing a note re-checks it and the notes whose links, ids or anchors involve it, and
nothing else; renaming or adding a note asks every note's questions again (cheap lookups),
and hints again only if file names or aliases changed. The cache can never change a result:
a finding is reused only where checking again would give it (`tests/check_cache.rs` checks
this over random edits, renames, deletions and additions).

The file (`.decksmith-cache/check-v1.bin`, postcard) holds a table of questions and, per
note, its stamp, hash, the index digest its answers were confirmed against, its questions (by
number in the table) and its findings, encoded. A write keeps the table as it is and adds
the questions of the notes the run checked. Its size is bounded by the vault: notes that left
the vault are dropped at every write, questions no note asks are dropped once they are half
the table, and a note whose findings would take more than [`MAX_RECORD_BYTES`] is not kept
(it is checked every time). It is written only when something changed, atomically.
*/

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::diagnostic::{Applicability, Diagnostic, Edit, Fix, Label, Severity};
use super::lookup::{self, Asked};
use super::registry;
use crate::vault::cache::{ContentHash, Stamp};
use crate::vault::index::{IndexDigest, VaultIndex};
use crate::vault::lines::Position;

const FILE: &str = "check-v1.bin";

/// The most a note's encoded findings may take and still be kept.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// One note as the cache keeps it, borrowed from the file's bytes (or the run's outcomes).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Record<'a> {
    path: &'a str,
    /// `None` when the file was written too close to the run to vouch for its bytes.
    stamp: Option<Stamp>,
    /// `None`: the bytes could not be read (the findings say why); only the stamp vouches.
    hash: Option<ContentHash>,
    /// The index the answers were last confirmed against.
    digest: IndexDigest,
    /// Numbers of the file's questions.
    asked: Vec<u32>,
    /// The findings, postcard-encoded ([`Stored`]): decoded only when reused.
    #[serde(serialize_with = "as_bytes")]
    findings: &'a [u8],
}

/// Bytes written as one run of bytes: serde writes a slice of bytes byte by byte.
fn as_bytes<S: serde::Serializer>(bytes: &&[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_bytes(bytes)
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile<'a> {
    #[serde(borrow)]
    tool: Cow<'a, str>,
    key: u64,
    asked: Vec<Asked>,
    /// Sorted by path.
    #[serde(borrow)]
    records: Vec<Record<'a>>,
}

/// The bytes of the check cache of the vault at `root` (empty when there is none): the
/// cache borrows from them ([`CheckCache::open`]).
pub fn read(root: &Path) -> Vec<u8> {
    std::fs::read(root.join(crate::vault::cache::DIR).join(FILE)).unwrap_or_default()
}

/// The questions of a run's records, each stored once and known by its number.
#[derive(Default)]
struct Questions {
    list: Vec<Asked>,
    /// By a hash of the question and its answer. Two that share a hash (never seen with 64
    /// bits) are both stored, under different numbers.
    numbers: HashMap<u64, u32>,
}

impl Questions {
    fn number(&mut self, asked: Asked) -> u32 {
        let hash = {
            use std::hash::{Hash, Hasher};
            let mut h = std::hash::DefaultHasher::new();
            asked.hash(&mut h);
            h.finish()
        };
        if let Some(&n) = self.numbers.get(&hash)
            && self.list.get(n as usize) == Some(&asked)
        {
            return n;
        }
        let n = u32::try_from(self.list.len()).unwrap_or(u32::MAX);
        self.list.push(asked);
        self.numbers.entry(hash).or_insert(n);
        n
    }
}

/// The check cache of one vault, as read at a run's start.
pub struct CheckCache<'a> {
    dir: PathBuf,
    file: CacheFile<'a>,
    /// Whether the file read was this run's (same version and settings).
    valid: bool,
    /// When the run started, in nanoseconds since the epoch.
    started: u64,
    /// Answers already confirmed (or not) in this run, by question number.
    confirmed: Mutex<HashMap<u32, bool>>,
    /// The questions of the notes checked in this run.
    questions: Mutex<Questions>,
}

/// What the run knows of the vault's files to confirm a record: the index, each note's
/// stamp, and the hash of a note's bytes (read when its stamp cannot vouch for them).
pub struct Now<'a> {
    pub index: &'a VaultIndex,
    /// The stamp of the run's file at a path, taken before it was read.
    pub stamp: &'a (dyn Fn(&str) -> Option<Stamp> + Sync),
    /// The hash of the run's file at a path, read now (`None`: not a readable file of the
    /// run).
    pub read_hash: &'a (dyn Fn(&str) -> Option<ContentHash> + Sync),
}

/// The outcome of looking a note up.
pub enum Hit {
    /// Its findings, reused, and its record as the next file keeps it.
    Reused(Vec<Diagnostic>, Reuse),
    /// Check it.
    Stale,
}

/// What changes in a reused note's record.
pub struct Reuse {
    record: usize,
    stamp: Option<Stamp>,
    digest: IndexDigest,
    hash: Option<ContentHash>,
}

impl Reuse {
    /// The hash of the bytes the reused findings were found on.
    pub fn hash(&self) -> Option<ContentHash> {
        self.hash
    }
}

/// A note checked in this run, as the next file keeps it.
pub struct Fresh {
    stamp: Option<Stamp>,
    hash: Option<ContentHash>,
    asked: Vec<u32>,
    findings: Vec<u8>,
}

/// A note's outcome in this run, for [`CheckCache::save`].
pub enum Outcome {
    Reused(Reuse),
    Fresh(Fresh),
    /// Checked, not kept.
    Dropped,
}

impl<'a> CheckCache<'a> {
    /// The cache of the vault at `root` read from `bytes` ([`read`]), for settings of key
    /// `key`, at a run started at `started`.
    pub fn open(root: &Path, bytes: &'a [u8], key: u64, started: u64) -> CheckCache<'a> {
        let read = postcard::from_bytes::<CacheFile<'a>>(bytes)
            .ok()
            .filter(|f| f.tool == crate::vault::cache::tool() && f.key == key)
            .filter(|f| f.records.is_sorted_by(|a, b| a.path < b.path));
        let valid = read.is_some();
        CheckCache {
            dir: root.join(crate::vault::cache::DIR),
            file: read.unwrap_or_else(|| CacheFile {
                tool: Cow::Owned(crate::vault::cache::tool()),
                key,
                ..CacheFile::default()
            }),
            valid,
            started,
            confirmed: Mutex::new(HashMap::new()),
            questions: Mutex::new(Questions::default()),
        }
    }

    fn record(&self, path: &str) -> Option<(usize, &Record<'a>)> {
        let i = self
            .file
            .records
            .binary_search_by(|r| r.path.cmp(path))
            .ok()?;
        Some((i, &self.file.records[i]))
    }

    /// The hash of a note's bytes now, as far as its record vouches for it: `None` when it
    /// has no record or its stamp changed.
    fn vouched_hash(&self, path: &str, stamp: Option<Stamp>) -> Option<ContentHash> {
        let (_, record) = self.record(path)?;
        record.stamp.filter(|s| Some(*s) == stamp)?;
        record.hash
    }

    /// Look the note at `path` up: its findings, if its bytes and its answers are unchanged.
    pub fn lookup(&self, path: &Arc<str>, now: &Now<'_>) -> Hit {
        let Some((i, record)) = self.record(path) else {
            return Hit::Stale;
        };
        let stamp = (now.stamp)(path);
        let unchanged = stamp.is_some() && record.stamp == stamp
            || record.hash.is_some() && (now.read_hash)(path) == record.hash;
        if !unchanged || !self.answers_hold(record, now) {
            return Hit::Stale;
        }
        let Some(diagnostics) = decode(record.findings, path) else {
            return Hit::Stale;
        };
        let reuse = Reuse {
            record: i,
            stamp: stamp.filter(|s| s.is_settled(self.started)),
            digest: now.index.digest(),
            hash: record.hash,
        };
        Hit::Reused(diagnostics, reuse)
    }

    /// Whether every question of `record` gets the answer it got.
    fn answers_hold(&self, record: &Record<'_>, now: &Now<'_>) -> bool {
        let digest = now.index.digest();
        let content = |path: &str| {
            let stamp = (now.stamp)(path);
            self.vouched_hash(path, stamp)
                .or_else(|| (now.read_hash)(path))
        };
        record.asked.iter().all(|&n| {
            let Some(asked) = self.file.asked.get(n as usize) else {
                return false;
            };
            let same_index = match &asked.query {
                lookup::Query::Anchors(_) => false,
                q if q.on_names_only() => record.digest.names == digest.names,
                _ => record.digest.all == digest.all,
            };
            if same_index {
                return true;
            }
            if let Some(known) = self.confirmed.lock().ok().and_then(|m| m.get(&n).copied()) {
                return known;
            }
            let holds = lookup::answer(now.index, &asked.query, &content) == asked.answer;
            if let Ok(mut m) = self.confirmed.lock() {
                m.insert(n, holds);
            }
            holds
        })
    }

    /// The record of a note checked from bytes of stamp `stamp` and hash `hash`, which
    /// asked `asked` and found `diagnostics`; `Dropped` when its findings are too many to
    /// keep.
    pub fn fresh(
        &self,
        stamp: Option<Stamp>,
        hash: Option<ContentHash>,
        asked: Vec<Asked>,
        diagnostics: &[Diagnostic],
    ) -> Outcome {
        let Some(findings) = encode(diagnostics) else {
            return Outcome::Dropped;
        };
        let Ok(mut questions) = self.questions.lock() else {
            return Outcome::Dropped;
        };
        let asked = asked.into_iter().map(|a| questions.number(a)).collect();
        Outcome::Fresh(Fresh {
            stamp,
            hash,
            asked,
            findings,
        })
    }

    /// Write the cache for the run's outcomes (by path) against an index of digest
    /// `digest`, keeping the records of the notes of `live` the run did not report on,
    /// when anything changed. Failures are ignored: the cache is an optimisation.
    pub fn save(
        self,
        digest: IndexDigest,
        outcomes: Vec<(Arc<str>, Outcome)>,
        live: &dyn Fn(&str) -> bool,
    ) {
        if !self.changed(&outcomes, live) {
            return;
        }
        let CheckCache {
            dir,
            file,
            started,
            questions,
            ..
        } = self;
        let fresh_questions = questions.into_inner().unwrap_or_default().list;
        // Old records keep their numbers and the old questions stay where they are; the
        // questions of the notes checked in this run are numbered after them. Reading and
        // writing the table unchanged costs far less than numbering it again.
        let offset = u32::try_from(file.asked.len()).unwrap_or(u32::MAX);
        let reported = reported_records(&file.records, &outcomes);
        let mut records = Vec::with_capacity(file.records.len().max(outcomes.len()));
        for (record, reported) in file.records.iter().zip(reported) {
            if !reported && live(record.path) {
                records.push(record.clone());
            }
        }
        for (path, outcome) in &outcomes {
            let record = match outcome {
                Outcome::Reused(r) => Record {
                    stamp: r.stamp,
                    digest: r.digest,
                    ..file.records[r.record].clone()
                },
                Outcome::Fresh(f) => Record {
                    path,
                    stamp: f.stamp.filter(|s| s.is_settled(started)),
                    hash: f.hash,
                    digest,
                    asked: f.asked.iter().map(|n| n.saturating_add(offset)).collect(),
                    findings: &f.findings,
                },
                Outcome::Dropped => continue,
            };
            records.push(record);
        }
        records.sort_by(|a, b| a.path.cmp(b.path));
        let tables = [file.asked.as_slice(), fresh_questions.as_slice()];
        // Questions no record asks any more (their notes changed) are dropped once they are
        // half the table, so the file stays in proportion to the vault.
        let compacted = compact(&mut records, &tables);
        let asked = match &compacted {
            Some(list) => Tables([list.as_slice(), &[]]),
            None => Tables(tables),
        };
        let next = NextFile {
            tool: crate::vault::cache::tool(),
            key: file.key,
            asked,
            records: &records,
        };
        let _ = crate::vault::cache::write_file_with(&dir, FILE, |w| {
            postcard::to_io(&next, w)
                .map(drop)
                .map_err(std::io::Error::other)
        });
    }

    /// Whether the run's outcomes change the file.
    fn changed(&self, outcomes: &[(Arc<str>, Outcome)], live: &dyn Fn(&str) -> bool) -> bool {
        if !self.valid {
            return true;
        }
        for (_, outcome) in outcomes {
            match outcome {
                Outcome::Reused(r) => {
                    let old = &self.file.records[r.record];
                    if old.stamp != r.stamp || old.digest != r.digest {
                        return true;
                    }
                }
                Outcome::Fresh(_) | Outcome::Dropped => return true,
            }
        }
        // A note that left the vault.
        let reported = reported_records(&self.file.records, outcomes);
        self.file
            .records
            .iter()
            .zip(reported)
            .any(|(r, reported)| !reported && !live(r.path))
    }
}

/// Which of `records` the run reported on: a reused note names its record, a checked one
/// is found by path. (Marking by position spares hashing every path of the vault.)
fn reported_records(records: &[Record<'_>], outcomes: &[(Arc<str>, Outcome)]) -> Vec<bool> {
    let mut reported = vec![false; records.len()];
    for (path, outcome) in outcomes {
        let i = match outcome {
            Outcome::Reused(r) => Some(r.record),
            Outcome::Fresh(_) | Outcome::Dropped => {
                records.binary_search_by(|r| r.path.cmp(path)).ok()
            }
        };
        if let Some(slot) = i.and_then(|i| reported.get_mut(i)) {
            *slot = true;
        }
    }
    reported
}

/// The file as written: [`CacheFile`]'s layout, with the questions of two tables in turn.
#[derive(Serialize)]
struct NextFile<'s, 'a> {
    tool: String,
    key: u64,
    asked: Tables<'s>,
    records: &'s [Record<'a>],
}

/// Two tables of questions, written as one.
struct Tables<'s>([&'s [Asked]; 2]);

impl Serialize for Tables<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0[0].iter().chain(self.0[1]))
    }
}

/// When fewer than half of the questions of `tables` (numbered in turn) are asked by
/// `records`, the questions asked, numbered again, with the records' numbers changed to
/// match; else `None`.
fn compact(records: &mut [Record<'_>], tables: &[&[Asked]; 2]) -> Option<Vec<Asked>> {
    let total = tables[0].len() + tables[1].len();
    let mut asked = vec![false; total];
    for n in records.iter().flat_map(|r| &r.asked) {
        if let Some(slot) = asked.get_mut(*n as usize) {
            *slot = true;
        }
    }
    if asked.iter().filter(|a| **a).count() * 2 >= total {
        return None;
    }
    let question = |n: usize| {
        tables[0]
            .get(n)
            .or_else(|| tables[1].get(n.checked_sub(tables[0].len())?))
    };
    let mut list = Vec::new();
    let mut numbers: Vec<Option<u32>> = vec![None; total];
    for record in records.iter_mut() {
        record.asked = record
            .asked
            .iter()
            .filter_map(|&n| {
                let slot = numbers.get_mut(n as usize)?;
                if slot.is_none() {
                    list.push(question(n as usize)?.clone());
                    *slot = Some(u32::try_from(list.len() - 1).unwrap_or(u32::MAX));
                }
                *slot
            })
            .collect();
    }
    Some(list)
}

/// A finding as the cache stores it: every field, positions included (labels into other
/// files are located again by each run, from those files). Its texts are borrowed from the
/// cache's bytes when read: a warm run decodes hundreds of thousands of findings, and each
/// text is copied once, into the finding.
#[derive(Serialize, Deserialize)]
struct Stored<'a> {
    code: &'a str,
    severity: Severity,
    #[serde(borrow)]
    message: Cow<'a, str>,
    range: (usize, usize),
    start: Position,
    end: Position,
    #[serde(borrow)]
    labels: Vec<StoredLabel<'a>>,
    #[serde(borrow)]
    help: Option<Cow<'a, str>>,
    #[serde(borrow)]
    fix: Option<StoredFix<'a>>,
}

#[derive(Serialize, Deserialize)]
struct StoredLabel<'a> {
    #[serde(borrow)]
    path: Option<Cow<'a, str>>,
    range: (usize, usize),
    #[serde(borrow)]
    message: Cow<'a, str>,
    start: Position,
    end: Position,
}

#[derive(Serialize, Deserialize)]
struct StoredFix<'a> {
    #[serde(borrow)]
    message: Cow<'a, str>,
    applicability: Applicability,
    #[serde(borrow)]
    edits: Vec<((usize, usize), Cow<'a, str>)>,
}

fn encode(diagnostics: &[Diagnostic]) -> Option<Vec<u8>> {
    let stored: Vec<Stored<'_>> = diagnostics
        .iter()
        .map(|d| Stored {
            code: d.code,
            severity: d.severity,
            message: Cow::Borrowed(&d.message),
            range: (d.range.start, d.range.end),
            start: d.start,
            end: d.end,
            labels: d
                .labels
                .iter()
                .map(|l| StoredLabel {
                    path: l.path.as_deref().map(Cow::Borrowed),
                    range: (l.range.start, l.range.end),
                    message: Cow::Borrowed(&l.message),
                    start: l.start,
                    end: l.end,
                })
                .collect(),
            help: d.help.as_deref().map(Cow::Borrowed),
            fix: d.fix.as_deref().map(|f| StoredFix {
                message: Cow::Borrowed(&f.message),
                applicability: f.applicability,
                edits: f
                    .edits
                    .iter()
                    .map(|e| {
                        (
                            (e.range.start, e.range.end),
                            Cow::Borrowed(e.content.as_str()),
                        )
                    })
                    .collect(),
            }),
        })
        .collect();
    postcard::to_allocvec(&stored)
        .ok()
        .filter(|b| b.len() <= MAX_RECORD_BYTES)
}

/// The findings of the note at `path` from their encoding; `None` when it does not decode
/// or names a rule this build does not have.
fn decode(bytes: &[u8], path: &Arc<str>) -> Option<Vec<Diagnostic>> {
    use serde::de::DeserializeSeed;
    let mut deserializer = postcard::Deserializer::from_bytes(bytes);
    Findings { path }.deserialize(&mut deserializer).ok()
}

/// The findings of one note, decoded one at a time straight into the note's list (no list
/// of [`Stored`] in between).
struct Findings<'p> {
    path: &'p Arc<str>,
}

impl<'de> serde::de::DeserializeSeed<'de> for Findings<'_> {
    type Value = Vec<Diagnostic>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Findings<'_> {
    type Value = Vec<Diagnostic>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a note's findings")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // The count comes from the file: it sizes the list only up to a bound.
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(s) = seq.next_element::<Stored<'de>>()? {
            let rule = registry::find_code(s.code)
                .ok_or_else(|| serde::de::Error::custom("a rule this build does not have"))?;
            out.push(diagnostic(s, rule.code, self.path));
        }
        Ok(out)
    }
}

fn diagnostic(s: Stored<'_>, code: &'static str, path: &Arc<str>) -> Diagnostic {
    Diagnostic {
        code,
        severity: s.severity,
        message: s.message.into(),
        path: path.clone(),
        range: s.range.0..s.range.1,
        labels: s
            .labels
            .into_iter()
            .map(|l| Label {
                path: l.path.map(Cow::into_owned),
                range: l.range.0..l.range.1,
                message: l.message.into_owned(),
                start: l.start,
                end: l.end,
            })
            .collect(),
        help: s.help.map(Into::into),
        fix: s.fix.map(|f| {
            Box::new(Fix {
                message: f.message.into_owned(),
                applicability: f.applicability,
                edits: f
                    .edits
                    .into_iter()
                    .map(|((a, b), c)| Edit::replace(a..b, c.into_owned()))
                    .collect(),
            })
        }),
        start: s.start,
        end: s.end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::diagnostic::Finding;

    fn asked(target: &str) -> Asked {
        Asked {
            query: lookup::Query::Name(target.to_string()),
            answer: 1,
        }
    }

    fn record(asked: Vec<u32>) -> Record<'static> {
        Record {
            path: "n.md",
            stamp: None,
            hash: None,
            digest: IndexDigest::default(),
            asked,
            findings: &[],
        }
    }

    #[test]
    fn questions_no_record_asks_are_dropped_once_they_are_half_the_table() {
        let old = [asked("a"), asked("b"), asked("c")];
        let fresh = [asked("d"), asked("e")];
        // Three of five asked: kept as they are.
        let mut records = [record(vec![0, 2]), record(vec![4])];
        assert_eq!(compact(&mut records, &[&old, &fresh]), None);
        assert_eq!(records[0].asked, [0, 2]);
        // Two of five: numbered again, each record still naming its own questions.
        let mut records = [record(vec![2, 4]), record(vec![4])];
        let list = compact(&mut records, &[&old, &fresh]).expect("compacted");
        assert_eq!(list, [asked("c"), asked("e")]);
        assert_eq!(records[0].asked, [0, 1]);
        assert_eq!(records[1].asked, [1]);
    }

    #[test]
    fn findings_round_trip() {
        let path: Arc<str> = "a/n.md".into();
        let finding = Finding::new(3..9, "message")
            .help("help")
            .label_in("b.md", 1..2, "there")
            .fix(Fix::unsafe_("do", vec![Edit::replace(3..9, "x")]));
        let mut d = Diagnostic::from_finding(finding, "NAM003", Severity::Error, path.clone());
        d.start = Position {
            line: 2,
            column: 3,
            column_utf16: 3,
        };
        let bytes = encode(std::slice::from_ref(&d)).expect("encodes");
        assert_eq!(decode(&bytes, &path), Some(vec![d]));
        // A rule this build does not know is not reused.
        let mut unknown = decode(&bytes, &path).expect("decodes");
        unknown[0].code = "XYZ999";
        let bytes = encode(&unknown).expect("encodes");
        assert_eq!(decode(&bytes, &path), None);
    }
}
