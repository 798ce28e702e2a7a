//! A note's history in git, for `check --fix --restore-from-git`: its most recent committed
//! version whose front matter was intact.
//!
//! Metadata a tool dropped is rarely lost: the vault is in git, and an earlier commit holds
//! the note as it was. The history is read with `git log --follow` (so a note renamed since
//! keeps its past) and each version with `git show <commit>:<path>`; neither touches the
//! work tree, the index or any other file. A note is followed through at most
//! [`MAX_VERSIONS`] commits, newest first, and the first version whose front matter is
//! intact and holds more than `anki_cards` is the one restored from.

use std::path::Path;

use super::git::{GitError, run};
use super::note::Note;

/// Commits of one note's history read at most.
pub const MAX_VERSIONS: usize = 200;

/// A committed version of a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    /// The commit, abbreviated as git abbreviates it.
    pub commit: String,
    /// Its commit date, `YYYY-MM-DD`.
    pub date: String,
    /// The note's path in that commit, relative to the repository's top.
    pub path: String,
    pub text: String,
}

/// The most recent committed version of the note at `rel` (relative to `root`, the vault's
/// root) whose front matter is intact and holds more than `anki_cards`. `None` when there
/// is none, or when `root` is not in a git repository.
pub fn last_intact(root: &Path, rel: &str) -> Result<Option<Version>, GitError> {
    let log = match run(
        root,
        &[
            "-c",
            "core.quotePath=false",
            "log",
            "--follow",
            "--format=%x01%h %cs",
            "--name-only",
            "-n",
            &MAX_VERSIONS.to_string(),
            "--",
            rel,
        ],
        None,
    ) {
        Ok(out) => out,
        // Not a repository, or the note was never committed: no history to restore from.
        Err(GitError::Failed { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let log = String::from_utf8_lossy(&log);
    for (commit, date, path) in versions(&log) {
        let Ok(bytes) = run(root, &["show", &format!("{commit}:{path}")], None) else {
            continue;
        };
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        if has_metadata(&text) {
            return Ok(Some(Version {
                commit: commit.to_string(),
                date: date.to_string(),
                path: path.to_string(),
                text,
            }));
        }
    }
    Ok(None)
}

/// `(commit, date, path)` of each commit of a `git log --format=%x01%h %cs --name-only`.
fn versions(log: &str) -> impl Iterator<Item = (&str, &str, &str)> {
    log.split('\u{1}').filter_map(|record| {
        let mut lines = record.lines().filter(|l| !l.trim().is_empty());
        let (commit, date) = lines.next()?.split_once(' ')?;
        let path = lines.next()?;
        Some((commit, date, path))
    })
}

/// The text's front matter is intact and holds a key other than `anki_cards`.
fn has_metadata(text: &str) -> bool {
    let note = Note::from_text_meta(String::new(), text.to_string(), None);
    note.front_matter_intact()
        && note
            .front_matter()
            .and_then(|p| p.root.as_ref())
            .is_some_and(|root| {
                root.entries()
                    .iter()
                    .any(|(k, _)| super::yaml::key_text(k) != "anki_cards")
            })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_names_each_commit_with_its_path() {
        let log = "\u{1}abc1234 2026-01-02\n\nnotes/b.md\n\u{1}def5678 2025-12-01\n\nnotes/a.md\n";
        let v: Vec<_> = versions(log).collect();
        assert_eq!(
            v,
            [
                ("abc1234", "2026-01-02", "notes/b.md"),
                ("def5678", "2025-12-01", "notes/a.md")
            ]
        );
        assert!(has_metadata("---\nid: a\nanki_cards: []\n---\n"));
        assert!(!has_metadata("---\nanki_cards: []\n---\n"));
        assert!(!has_metadata("---\\\nid: a\n---\\\n"));
    }
}
