//! Finding the notes of a vault.
//!
//! The walk uses the `ignore` crate (ripgrep's walker): hidden folders such as `.obsidian/`,
//! `.trash/` and `.git/` are skipped, `.gitignore` and `.ignore` files are honoured even
//! outside a git repository (vaults are often synced folders, not clones). The result is
//! sorted so every run sees the same order.
//!
//! The config's excludes do not prune the walk: they mean "do not report on these", never
//! "these do not exist". Obsidian resolves links into `_templates/` or `00-Administration/`
//! like any other, so an excluded note is still indexed (its name, id and anchors) and an
//! excluded image can still be embedded; it is only marked, and the linter does not report
//! on it.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

/// A note file found in the vault.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    /// Vault-relative, `/`-separated.
    pub rel: String,
    pub path: PathBuf,
    /// Matched by `[vault] exclude`: indexed, not reported on.
    pub excluded: bool,
    /// The name is not valid UTF-8: `rel` holds it with the invalid bytes escaped (`\xFF`),
    /// and the note is reported as unreadable instead of being read under a lossy name.
    pub bad_name: bool,
    /// The note's bytes when they are not the file's on disk (the staged version).
    pub content: Option<std::sync::Arc<[u8]>>,
}

pub fn globset(globs: &[String]) -> Result<GlobSet, globset::Error> {
    let mut builder = GlobSetBuilder::new();
    for g in globs {
        builder.add(Glob::new(g)?);
        // `folder/**` should also prune the folder itself.
        if let Some(dir) = g.strip_suffix("/**") {
            builder.add(Glob::new(dir)?);
        }
    }
    builder.build()
}

/// The vault-relative, `/`-separated form of `path`, if it is inside `root`.
pub fn relative(root: &Path, path: &Path) -> Option<String> {
    relative_checked(root, path).map(|(rel, _)| rel)
}

/// [`relative`], and whether every component was valid UTF-8 (invalid bytes are escaped as
/// `\xFF`, so two different bad names never print the same).
pub fn relative_checked(root: &Path, path: &Path) -> Option<(String, bool)> {
    let abs = std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .ok()?;
    rel_parts(abs.strip_prefix(root).ok()?)
}

/// A path below the root as vault-relative text, and whether it was valid UTF-8.
fn rel_parts(rel: &Path) -> Option<(String, bool)> {
    let mut valid = true;
    let parts: Vec<String> = rel
        .components()
        .map(|c| {
            let os = c.as_os_str();
            match os.to_str() {
                Some(s) => s.to_string(),
                None => {
                    valid = false;
                    escape_name(os)
                }
            }
        })
        .collect();
    Some((parts.join("/"), valid))
}

/// A name's bytes as text, each byte that is not part of valid UTF-8 written `\xFF`: the
/// one spelling of a bad name, for the walk and for names git lists.
pub fn escape_bytes(bytes: &[u8]) -> String {
    bytes
        .utf8_chunks()
        .map(|chunk| {
            let mut s = chunk.valid().to_string();
            for b in chunk.invalid() {
                s.push_str(&format!("\\x{b:02X}"));
            }
            s
        })
        .collect()
}

fn escape_name(os: &std::ffi::OsStr) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        escape_bytes(os.as_bytes())
    }
    #[cfg(not(unix))]
    {
        os.to_string_lossy().into_owned()
    }
}

/// Whether `path` names a note: its extension is one of `[vault] extensions`.
pub fn is_note_file(path: &Path, extensions: &[String]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// What a walk finds: the notes, and every other file (embeds and links may point at them).
#[derive(Clone, Debug, Default)]
pub struct Listing {
    pub notes: Vec<Entry>,
    /// Vault-relative paths of non-Markdown files, sorted.
    pub attachments: Vec<String>,
}

/// Whether a vault-relative path is excluded: the path or one of its folders matches.
pub fn is_excluded(exclude: &GlobSet, rel: &str) -> bool {
    Path::new(rel)
        .ancestors()
        .filter(|p| !p.as_os_str().is_empty())
        .any(|p| exclude.is_match(p))
}

/// The walk of a vault, or of the folder a vault is searched in: hidden entries skipped,
/// `.gitignore`/`.ignore` honoured with or without git, the user's global git excludes not
/// (they differ between machines, and results must not).
pub fn walker(root: &Path) -> ignore::Walk {
    ignore::WalkBuilder::new(root)
        .hidden(true)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(false)
        .require_git(false)
        .ignore(true)
        .parents(false)
        .build()
}

/// Every file under `root`, sorted by relative path; notes are the files whose extension is
/// one of `extensions`, and those matching `exclude` are marked.
pub fn walk(root: &Path, exclude: &GlobSet, extensions: &[String]) -> Listing {
    use rayon::prelude::*;
    let files: Vec<ignore::DirEntry> = walker(root)
        .flatten()
        .filter(|e| e.file_type().is_some_and(|t| t.is_file() || t.is_symlink()))
        .collect();
    // Naming and classifying each file (its parts, the exclude globs of each of its
    // folders) costs more than listing the folders: done in parallel.
    let found: Vec<(Entry, bool)> = files
        .par_iter()
        .filter_map(|entry| {
            let path = entry.path();
            // The walk's paths are the root's own, joined with what it found: only a link
            // needs resolving (it may lead out of the vault). Resolving every path would
            // cost a system call per component of every file, a fifth of a pre-commit run.
            let (rel, valid) = if entry.path_is_symlink() {
                relative_checked(root, path)
            } else {
                path.strip_prefix(root).ok().and_then(rel_parts)
            }?;
            let note = is_note_file(path, extensions);
            let found = Entry {
                excluded: note && is_excluded(exclude, &rel),
                rel,
                path: path.to_path_buf(),
                bad_name: !valid,
                content: None,
            };
            Some((found, note))
        })
        .collect();
    let (mut notes, mut attachments) = (Vec::new(), Vec::new());
    for (entry, note) in found {
        if note {
            notes.push(entry);
        } else {
            attachments.push(entry.rel);
        }
    }
    notes.sort();
    attachments.sort();
    Listing { notes, attachments }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn notes_are_named_from_the_root_and_a_link_out_of_the_vault_is_left_out() {
        let outside = tempfile::tempdir().expect("tempdir");
        std::fs::write(outside.path().join("secret.md"), "# out\n").expect("write");
        let dir = tempfile::tempdir().expect("tempdir");
        let root = std::fs::canonicalize(dir.path()).expect("canonical");
        std::fs::create_dir_all(root.join("a/b")).expect("mkdir");
        std::fs::write(root.join("a/b/note.md"), "# n\n").expect("write");
        std::fs::write(root.join("a/pic.png"), [0u8]).expect("write");
        std::os::unix::fs::symlink(outside.path().join("secret.md"), root.join("a/away.md"))
            .expect("symlink");
        let listing = walk(&root, &GlobSet::empty(), &["md".to_string()]);
        let rels: Vec<&str> = listing.notes.iter().map(|e| e.rel.as_str()).collect();
        assert_eq!(rels, ["a/b/note.md"]);
        assert_eq!(listing.attachments, ["a/pic.png"]);
    }
}
