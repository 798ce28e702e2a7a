/*!
One sync of a vault at a time.

Two syncs of one vault at once both see a card missing from Anki and both create it: every
new note is duplicated (measured: 12 of 12 concurrent runs against anki-connect-server, 4 of
4 against the real add-on). A lock file in the vault's cache folder serialises them. The
lock is the operating system's advisory file lock (`flock` on Unix, `LockFileEx` on
Windows), so it is released when the process ends however it ends — a `kill -9` cannot leave
a stale lock behind, unlike a lock that is a file's existence. The file also says who holds
it (process id, start time), for the message a second sync prints.
*/

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

use crate::vault::cache;

const FILE: &str = "sync.lock";

/// A held lock; released when dropped or when the process ends.
#[derive(Debug)]
pub struct SyncLock {
    _file: File,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another sync of this vault is running ({holder}); wait for it, or pass --wait to wait for it"
    )]
    Busy { holder: String },
    #[error("cannot lock {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// Lock the vault at `root` for a sync; with `wait`, block until the other sync ends.
pub fn acquire(root: &Path, wait: bool) -> Result<SyncLock, LockError> {
    let dir = root.join(cache::DIR);
    let path = dir.join(FILE);
    let io = |source| LockError::Io {
        path: path.display().to_string(),
        source,
    };
    cache::prepare_dir(&dir).map_err(io)?;
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) if wait => file.lock().map_err(io)?,
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            return Err(LockError::Busy {
                holder: if holder.is_empty() {
                    "its process is starting".to_string()
                } else {
                    holder.to_string()
                },
            });
        }
        Err(TryLockError::Error(e)) => return Err(io(e)),
    }
    let started = crate::vault::timestamp::format(
        std::time::SystemTime::now(),
        crate::vault::timestamp::SyncedAtFormat::Rfc3339,
    );
    let note = format!("process {}, started {started}", std::process::id());
    // Best effort: the lock holds whether or not the note is written.
    let _ = file
        .set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| file.write_all(note.as_bytes()))
        .and_then(|()| file.flush());
    Ok(SyncLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_with_the_holder_named_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = acquire(dir.path(), false).expect("first");
        let err = acquire(dir.path(), false).expect_err("busy");
        let text = err.to_string();
        assert!(
            text.contains(&format!("process {}", std::process::id())),
            "{text}"
        );
        drop(first);
        let again = acquire(dir.path(), false).expect("free again");
        drop(again);
        assert!(dir.path().join(cache::DIR).join("CACHEDIR.TAG").is_file());
    }
}
