//! Replacing a file atomically: the one way decksmith writes a file that another program (an
//! editor, a second run) may read at the same time.
//!
//! New contents go to a temporary file, which is flushed and then renamed over the target: a
//! reader, or a crash, sees the old file or the new one, never a mix. The caller picks the
//! folder of the temporary file (it must be on the target's file system, or the rename fails)
//! and may adjust the staged file (owner, mode) and re-check the target before the rename.
//!
//! Temporary files are named after the process that wrote them
//! (`[PREFIX]decksmith-PID-XXXXXX.tmp`), so a file left by a killed run can be told from one
//! that a live run is about to rename. The first time a process stages a file in a folder, it
//! removes the leftovers of processes that no longer run there, and any older than an hour
//! (where process ids cannot be checked, the hour alone decides). Doing this once per folder
//! and process, in folders the run writes to anyway, costs one folder listing per folder and
//! touches no folder a run would not otherwise touch; a dry run touches none.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

/// Past this age a temporary file is a leftover whoever wrote it: a write lasts milliseconds.
const STALE_AFTER: Duration = Duration::from_secs(3600);

/// Folder entries looked at per clean-up; a folder holding more is only partly cleaned.
const MAX_SCANNED: usize = 100_000;

/// Length of the random part of a temporary file's name.
const RANDOM_CHARS: usize = 6;

/// What may be removed from a folder: everything in a folder of temporary files only, or,
/// next to notes, only the dot-names of decksmith's temporary files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Folder {
    /// A folder holding nothing but decksmith's temporary files (`.decksmith-cache/tmp`).
    Scratch,
    /// A folder of the user's: only `.NAME.decksmith-PID[-XXXXXX].tmp` files are candidates.
    Shared,
}

/// A temporary file holding new contents, not yet renamed over its target. Dropping it
/// removes the file: every path that does not reach [`Staged::persist`] leaves nothing.
#[derive(Debug)]
pub(crate) struct Staged(tempfile::NamedTempFile);

impl Staged {
    pub(crate) fn file(&self) -> &std::fs::File {
        self.0.as_file()
    }

    /// Flush contents and metadata (owner and mode included) to the disk.
    pub(crate) fn sync(&self) -> std::io::Result<()> {
        self.0.as_file().sync_all()
    }

    /// Rename the file over `target`. On failure the temporary file is removed.
    pub(crate) fn persist(self, target: &Path) -> std::io::Result<()> {
        self.0.persist(target).map(drop).map_err(|e| e.error)
    }
}

/// Write `bytes` to a new temporary file in `dir`, named `{prefix}decksmith-PID-XXXXXX.tmp`.
/// It is created readable by its owner alone when `private` (the caller then gives it the
/// mode of the file it replaces: until then, a private note is not readable by others),
/// else with mode `0666` less the umask, as a plain file creation. Leftovers in `dir` are
/// removed first, once per process.
pub(crate) fn stage(
    dir: &Path,
    folder: Folder,
    prefix: &str,
    bytes: &[u8],
    private: bool,
) -> std::io::Result<Staged> {
    clean_once(dir, folder);
    let prefix = format!("{prefix}decksmith-{}-", std::process::id());
    let mut builder = tempfile::Builder::new();
    builder
        .prefix(&prefix)
        .suffix(".tmp")
        .rand_bytes(RANDOM_CHARS);
    #[cfg(unix)]
    if !private {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = builder.tempfile_in(dir)?;
    file.write_all(bytes)?;
    Ok(Staged(file))
}

/// Replace `target` with `bytes` through a temporary file in `tmp_dir` (a folder of
/// temporary files only, on the target's file system).
pub(crate) fn write_atomic(tmp_dir: &Path, target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_with(tmp_dir, target, |w| w.write_all(bytes))
}

/// [`write_atomic`] of what `write` writes, streamed to the temporary file: a large file
/// (the check cache) is never held whole in memory.
pub(crate) fn write_atomic_with(
    tmp_dir: &Path,
    target: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let staged = stage(tmp_dir, Folder::Scratch, "", &[], false)?;
    let mut out = std::io::BufWriter::new(staged.file());
    write(&mut out)?;
    out.flush()?;
    drop(out);
    staged.sync()?;
    staged.persist(target)
}

/// The process id in the name of a decksmith temporary file, and whether the name is a
/// dot-name (`.NAME.decksmith-PID[-XXXXXX].tmp`, the form used next to notes, which earlier
/// versions wrote without the random part).
fn temp_name_pid(name: &str) -> Option<(u32, bool)> {
    let stem = name.strip_suffix(".tmp")?;
    let (head, tail) = stem.rsplit_once("decksmith-")?;
    let dotted = match head {
        "" => false,
        h if h.len() >= 3 && h.starts_with('.') && h.ends_with('.') => true,
        _ => return None,
    };
    let (pid, random) = tail
        .split_once('-')
        .map_or((tail, None), |(pid, random)| (pid, Some(random)));
    if random.is_some_and(|r| r.is_empty() || !r.chars().all(|c| c.is_ascii_alphanumeric())) {
        return None;
    }
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((pid.parse().ok()?, dotted))
}

/// Whether process `pid` runs; `None` where that cannot be told without `/proc`.
fn running(pid: u32) -> Option<bool> {
    let proc = Path::new("/proc");
    proc.join("self")
        .exists()
        .then(|| proc.join(pid.to_string()).exists())
}

/// Whether the file `name` (with metadata `meta`) in a folder of kind `folder` is a leftover
/// to remove at time `now`.
fn is_leftover(name: &str, meta: &std::fs::Metadata, folder: Folder, now: SystemTime) -> bool {
    if !meta.is_file() {
        return false;
    }
    let parsed = temp_name_pid(name);
    let candidate = match folder {
        Folder::Scratch => true,
        Folder::Shared => parsed.is_some_and(|(_, dotted)| dotted),
    };
    if !candidate {
        return false;
    }
    let stale = meta
        .modified()
        .ok()
        .and_then(|m| now.duration_since(m).ok())
        .is_some_and(|age| age > STALE_AFTER);
    let dead =
        parsed.is_some_and(|(pid, _)| pid != std::process::id() && running(pid) == Some(false));
    stale || dead
}

/// Remove the leftovers in `dir` (see the module documentation). Best effort: a file that
/// cannot be removed stays, and the write goes on.
fn clean(dir: &Path, folder: Folder) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.take(MAX_SCANNED).flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        if let Ok(meta) = entry.metadata()
            && is_leftover(name, &meta, folder, now)
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// [`clean`] `dir` unless this process already did.
pub(crate) fn clean_once(dir: &Path, folder: Folder) {
    static DONE: OnceLock<Mutex<BTreeSet<(PathBuf, Folder)>>> = OnceLock::new();
    let done = DONE.get_or_init(|| Mutex::new(BTreeSet::new()));
    let first = done
        .lock()
        .map(|mut d| d.insert((dir.to_path_buf(), folder)))
        .unwrap_or(false);
    if first {
        clean(dir, folder);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_are_recognised_exactly() {
        assert_eq!(temp_name_pid("decksmith-42-aB3xY9.tmp"), Some((42, false)));
        assert_eq!(
            temp_name_pid(".n.md.decksmith-42-aB3xY9.tmp"),
            Some((42, true))
        );
        // The form earlier versions left next to notes.
        assert_eq!(temp_name_pid(".n.md.decksmith-42.tmp"), Some((42, true)));
        for other in [
            "n.md",
            "decksmith-42.md",
            ".decksmith-42-abc.tmp",
            "x.decksmith-42.tmp",
            ".n.md.decksmith-.tmp",
            ".n.md.decksmith-4x2.tmp",
            ".n.md.decksmith-42-.tmp",
            ".n.md.decksmith-42-a_b.tmp",
            ".n.md.decksmith-99999999999.tmp",
            "..decksmith-42.tmp",
        ] {
            assert_eq!(temp_name_pid(other), None, "{other}");
        }
    }

    #[test]
    fn a_failed_write_leaves_nothing_and_the_target_unchanged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("missing-folder").join("t.json");
        assert!(write_atomic(dir.path(), &target, b"new").is_err());
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .flatten()
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
