//! Where the git work tree around a vault starts.
//!
//! Found without running git: the nearest folder, from the vault upwards, holding a `.git`
//! entry. That entry is a folder in an ordinary clone and a file (`gitdir: …`) in a linked
//! work tree or a submodule; both mark the top of a work tree, which is all callers need
//! (paths that code-scanning services map to the repository's files).

use std::path::{Path, PathBuf};

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
