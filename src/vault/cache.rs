/*!
The index cache: what a run's index takes from each note, and the stamps and hashes by which
the caches know a file is unchanged.

Every run indexes the whole vault, even a pre-commit run on a handful of staged files: ids can
clash with any note and links can point anywhere. Reading and parsing the front matter of ten
thousand notes costs about half a second; this cache keeps, per note, the only facts the index
takes from it (its `id` and where the value sits, its aliases, and its `anki_id` values),
keyed by path and [`Stamp`], under `.decksmith-cache/` at the vault root. The check cache
(`lint::cache`), which keeps findings, is keyed the same way.

The cache never changes results: an entry is used only when the file's stamp is unchanged,
and a stamp is kept only once it can vouch for its file ([`Stamp::is_settled`]); the whole
file is ignored when decksmith's version or the configuration changed, and anything
unreadable is treated as a miss. Writing is best effort and atomic (temp file + rename). The
folder carries a `CACHEDIR.TAG` (backup tools skip it) and a `.gitignore` of `*`; its `tmp/`
folder holds the temporary files of every atomic write of the vault, the notes' included.
*/

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use super::index::IndexEntry;

pub const DIR: &str = ".decksmith-cache";
const FILE: &str = "index-v2.bin";
/// The folder of temporary files inside [`DIR`].
const TMP: &str = "tmp";

/// A file's identity for the caches: its size, its modification time and, on Unix, its
/// change time, which also moves when the file's permissions change (a file made
/// unreadable is read again) or when it is renamed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub size: u64,
    pub mtime_ns: u64,
    pub ctime_ns: u64,
}

/// How recent a stamp may be and still vouch for its file. A file written again within the
/// file system's clock tick of the write before keeps its stamp (git calls such files
/// "racily clean"), so a file modified this close to a run's start is not trusted by its
/// stamp: the caches keep no stamp for it, and the next run compares its content instead.
const SETTLE_NS: u64 = 2_000_000_000;

impl Stamp {
    pub fn of(path: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        let mtime = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
        Some(Stamp {
            size: meta.len(),
            mtime_ns: u64::try_from(mtime.as_nanos()).ok()?,
            ctime_ns: change_time(&meta),
        })
    }

    /// Whether the stamp vouches for the file's content at a run started at `started`
    /// (nanoseconds since the epoch): its file was last changed well before.
    pub fn is_settled(&self, started: u64) -> bool {
        self.mtime_ns.max(self.ctime_ns).saturating_add(SETTLE_NS) < started
    }
}

#[cfg(unix)]
fn change_time(meta: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    u64::try_from(meta.ctime())
        .ok()
        .and_then(|s| s.checked_mul(1_000_000_000))
        .and_then(|ns| ns.checked_add(u64::try_from(meta.ctime_nsec()).ok()?))
        .unwrap_or(0)
}

#[cfg(not(unix))]
fn change_time(_meta: &std::fs::Metadata) -> u64 {
    0
}

/// Now, in nanoseconds since the epoch: when a run started, for [`Stamp::is_settled`].
pub fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| u64::try_from(d.as_nanos()).ok())
        .unwrap_or(0)
}

/// A hash of a file's bytes, which the caches compare when a file's stamp changed (a
/// checkout or a copy rewrites files without changing them) and which the check cache
/// records of the notes a note's rules looked into.
///
/// 64 bits of foldhash's quality hasher with a fixed seed: every byte of every note read
/// for its rules is hashed, and SipHash, std's, was 3 % of a whole-vault check. The same
/// bytes hash the same within one build of decksmith, and each cache is thrown away when
/// the build changes. No one gains by forging a collision: a file's stamp must also
/// change for its hash to be looked at, and the worst outcome is a stale finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ContentHash(pub u64);

impl ContentHash {
    pub fn of(bytes: &[u8]) -> ContentHash {
        use std::hash::{BuildHasher, Hasher};
        const SEED: u64 = 0x6465_636b_736d_6974; // "decksmit"
        let mut h = foldhash::quality::FixedState::with_seed(SEED).build_hasher();
        h.write(bytes);
        ContentHash(h.finish())
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Entry {
    stamp: Stamp,
    id: Option<String>,
    id_span: (usize, usize),
    aliases: Vec<String>,
    anki_ids: Vec<(i64, usize, usize)>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    tool: String,
    settings: u64,
    /// Hashed with foldhash: a warm run looks every note of the vault up.
    entries: foldhash::HashMap<String, Entry>,
}

/// The cache of one vault.
#[derive(Debug)]
pub struct IndexCache {
    dir: PathBuf,
    file: CacheFile,
    dirty: bool,
}

/// What wrote a cache file: a file another version wrote is not read (both caches).
pub(crate) fn tool() -> String {
    format!("decksmith {}", env!("CARGO_PKG_VERSION"))
}

impl IndexCache {
    /// Open the cache of the vault at `root` for settings hashing to `settings`.
    pub fn open(root: &Path, settings: u64) -> IndexCache {
        let dir = root.join(DIR);
        let file = std::fs::read(dir.join(FILE))
            .ok()
            .and_then(|bytes| postcard::from_bytes::<CacheFile>(&bytes).ok())
            .filter(|f| f.tool == tool() && f.settings == settings)
            .unwrap_or_else(|| CacheFile {
                tool: tool(),
                settings,
                entries: foldhash::HashMap::default(),
            });
        IndexCache {
            dir,
            file,
            dirty: false,
        }
    }

    /// The cached index entry of `rel`, if the file is unchanged.
    pub fn get(&self, rel: &str, stamp: Stamp) -> Option<IndexEntry> {
        let e = self.file.entries.get(rel).filter(|e| e.stamp == stamp)?;
        Some(IndexEntry {
            path: rel.to_string(),
            id: e.id.clone(),
            id_span: e.id_span.0..e.id_span.1,
            aliases: e.aliases.clone(),
            anki_ids: e.anki_ids.iter().map(|(id, s, t)| (*id, *s..*t)).collect(),
        })
    }

    /// Keep `entry` for its file of stamp `stamp`, unless that stamp is too recent to
    /// vouch for the file at a run started at `started` ([`Stamp::is_settled`]).
    pub fn put(&mut self, entry: &IndexEntry, stamp: Stamp, started: u64) {
        if !stamp.is_settled(started) {
            return;
        }
        self.file.entries.insert(
            entry.path.clone(),
            Entry {
                stamp,
                id: entry.id.clone(),
                id_span: (entry.id_span.start, entry.id_span.end),
                aliases: entry.aliases.clone(),
                anki_ids: entry
                    .anki_ids
                    .iter()
                    .map(|(id, r)| (*id, r.start, r.end))
                    .collect(),
            },
        );
        self.dirty = true;
    }

    /// Drop entries of files that no longer exist.
    pub fn retain(&mut self, live: impl Fn(&str) -> bool) {
        let before = self.file.entries.len();
        self.file.entries.retain(|k, _| live(k));
        self.dirty |= self.file.entries.len() != before;
    }

    /// Write the cache if it changed; failures are ignored (the cache is an optimisation).
    pub fn save(&self) {
        if self.dirty {
            let _ = self.write();
        }
    }

    fn write(&self) -> std::io::Result<()> {
        let bytes = postcard::to_allocvec(&self.file).map_err(std::io::Error::other)?;
        write_file(&self.dir, FILE, &bytes)
    }
}

/// Write `name` in the cache folder `dir` atomically (through its folder of temporary files),
/// creating the folder when it is missing.
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    write_file_with(dir, name, |w| w.write_all(bytes))
}

/// [`write_file`] of what `write` writes, streamed.
pub fn write_file_with(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let tmp = create_tmp(dir)?;
    crate::fsutil::write_atomic_with(&tmp, &dir.join(name), write)
}

/// The folder of temporary files of the vault at `root` (`.decksmith-cache/tmp`), created
/// when missing, with its metadata. Every temporary file decksmith writes goes there when
/// it can: git never shows it, and the next run removes what a killed run left.
pub fn staging_dir(root: &Path) -> std::io::Result<(PathBuf, std::fs::Metadata)> {
    let tmp = root.join(DIR).join(TMP);
    // The folder almost always exists: one `stat` per write.
    if let Ok(meta) = std::fs::metadata(&tmp)
        && meta.is_dir()
    {
        return Ok((tmp, meta));
    }
    let tmp = create_tmp(&root.join(DIR))?;
    let meta = std::fs::metadata(&tmp)?;
    Ok((tmp, meta))
}

/// Create the cache folder `dir` (tagged as a cache for backup tools, and ignored by git)
/// when missing.
pub fn prepare_dir(dir: &Path) -> std::io::Result<()> {
    create_tmp(dir).map(|_| ())
}

/// Create the cache folder `dir` (tagged as a cache for backup tools, and ignored by git)
/// and its folder of temporary files, when missing; the latter's path.
fn create_tmp(dir: &Path) -> std::io::Result<PathBuf> {
    let tmp = dir.join(TMP);
    std::fs::create_dir_all(&tmp)?;
    // Written atomically like the rest: a cut-off `.gitignore` would stay, and stop ignoring
    // the folder. It goes first, so git never sees the folder's other files.
    let files: [(&str, &str); 2] = [
        (".gitignore", "# Created by decksmith.\n*\n"),
        (
            "CACHEDIR.TAG",
            "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by decksmith.\n",
        ),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        if !path.exists() {
            crate::fsutil::write_atomic(&tmp, &path, text.as_bytes())?;
        }
    }
    Ok(tmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_invalidation() {
        let dir = tempfile::tempdir().expect("tempdir");
        let note = dir.path().join("n.md");
        std::fs::write(&note, "---\nid: a-1\n---\n").expect("write");
        let stamp = Stamp::of(&note).expect("stamp");
        let entry = IndexEntry {
            path: "n.md".into(),
            id: Some("a-1".into()),
            id_span: 8..11,
            aliases: vec!["A".into()],
            anki_ids: vec![(1_769_159_522_547, 20..33)],
        };
        let mut cache = IndexCache::open(dir.path(), 7);
        assert!(cache.get("n.md", stamp).is_none());
        // A stamp taken at the run's start does not vouch for its file yet.
        cache.put(&entry, stamp, stamp.mtime_ns);
        assert!(!cache.dirty);
        cache.put(&entry, stamp, now_ns() + 3_000_000_000);
        cache.save();
        assert!(dir.path().join(DIR).join("CACHEDIR.TAG").is_file());
        let cache = IndexCache::open(dir.path(), 7);
        assert_eq!(
            cache.get("n.md", stamp).map(|e| e.id),
            Some(Some("a-1".into()))
        );
        // A changed file, or other settings, miss.
        let other = Stamp {
            size: stamp.size + 1,
            ..stamp
        };
        assert!(cache.get("n.md", other).is_none());
        assert!(IndexCache::open(dir.path(), 8).get("n.md", stamp).is_none());
    }
}
