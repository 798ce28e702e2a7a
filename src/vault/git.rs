//! Git around a vault: where its work tree starts (found without running git), and running
//! git as a child process (`git -C <root> …`) for `check --staged` and `check --fix
//! --restore-from-git` — no library has to agree with the user's git about the
//! repository's format, and git's own rename detection and history walk are used as they
//! are.
//!
//! The work tree's top is the nearest folder, from the vault upwards, holding a `.git`
//! entry. That entry is a folder in an ordinary clone and a file (`gitdir: …`) in a linked
//! work tree or a submodule; both mark the top of a work tree, which is all callers need
//! (paths that code-scanning services map to the repository's files).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The top of the git work tree holding `start` (a folder), as an absolute path, or `None`
/// outside any work tree. Only the path's ancestors are looked at, so the walk ends at the
/// file-system root.
pub fn git_work_tree(start: &Path) -> Option<PathBuf> {
    let start = std::path::absolute(start).ok()?;
    start
        .ancestors()
        .find(|dir| std::fs::symlink_metadata(dir.join(".git")).is_ok())
        .map(Path::to_path_buf)
}

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("git could not be run: {0}")]
    Spawn(std::io::Error),
    #[error("`git {args}` failed in {root}: {stderr}")]
    Failed {
        args: String,
        root: PathBuf,
        stderr: String,
    },
}

/// Run `git -C root ARGS`, feeding `input` on stdin; its stdout, or why it failed.
pub fn run(root: &Path, args: &[&str], input: Option<&[u8]>) -> Result<Vec<u8>, GitError> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(GitError::Spawn)?;
    // Feed stdin from a thread: a large batch would otherwise deadlock against a full
    // stdout pipe.
    let feeder = match (input, child.stdin.take()) {
        (Some(bytes), Some(mut stdin)) => {
            let bytes = bytes.to_vec();
            Some(std::thread::spawn(move || stdin.write_all(&bytes)))
        }
        _ => None,
    };
    let mut stdout = Vec::new();
    if let Some(out) = child.stdout.as_mut() {
        out.read_to_end(&mut stdout).map_err(GitError::Spawn)?;
    }
    let mut stderr = Vec::new();
    if let Some(err) = child.stderr.as_mut() {
        let _ = err.read_to_end(&mut stderr);
    }
    let status = child.wait().map_err(GitError::Spawn)?;
    if let Some(feeder) = feeder {
        let _ = feeder.join();
    }
    if !status.success() {
        return Err(GitError::Failed {
            args: args.join(" "),
            root: root.to_path_buf(),
            stderr: String::from_utf8_lossy(&stderr).trim().to_string(),
        });
    }
    Ok(stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_nearest_git_folder_or_file_above() {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = dir.path().join("repo");
        let vault = repo.join("notes/vault");
        std::fs::create_dir_all(&vault).expect("mkdir");
        // Nothing inside: whatever holds the temporary folder (usually nothing).
        let outside = git_work_tree(dir.path());
        assert_eq!(git_work_tree(&vault), outside);
        std::fs::create_dir(repo.join(".git")).expect("mkdir .git");
        assert_eq!(git_work_tree(&vault), Some(repo.clone()));
        assert_eq!(git_work_tree(&repo), Some(repo.clone()));
        // A linked work tree or submodule inside it: `.git` is a file.
        let sub = repo.join("notes");
        std::fs::write(sub.join(".git"), "gitdir: ../.git/modules/notes\n").expect("write");
        assert_eq!(git_work_tree(&vault), Some(sub));
    }
}
