//! Finding the notes of a vault.
//!
//! The walk uses the `ignore` crate (ripgrep's walker): hidden folders such as `.obsidian/`,
//! `.trash/` and `.git/` are skipped, `.gitignore` and `.ignore` files are honoured even
//! outside a git repository (vaults are often synced folders, not clones), and the config's
//! excludes prune whole folders. The result is sorted so every run sees the same order.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

/// A Markdown file found in the vault.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    /// Vault-relative, `/`-separated.
    pub rel: String,
    pub path: PathBuf,
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
    let abs = std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .ok()?;
    let rel = abs.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(parts.join("/"))
}

/// What a walk finds: the notes, and every other file (embeds and links may point at them).
#[derive(Clone, Debug, Default)]
pub struct Listing {
    pub notes: Vec<Entry>,
    /// Vault-relative paths of non-Markdown files, sorted.
    pub attachments: Vec<String>,
}

/// Every file under `root`, minus excludes, sorted by relative path.
pub fn walk(root: &Path, exclude: &GlobSet) -> Listing {
    let mut out = Vec::new();
    let mut attachments = Vec::new();
    let root_owned = root.to_path_buf();
    let exclude_filter = exclude.clone();
    let walker = ignore::WalkBuilder::new(root)
        .hidden(true)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(false)
        .require_git(false)
        .ignore(true)
        .parents(false)
        .filter_entry(move |e| {
            let rel = e.path().strip_prefix(&root_owned).unwrap_or(e.path());
            rel.as_os_str().is_empty() || !exclude_filter.is_match(rel)
        })
        .build();
    for entry in walker.flatten() {
        let path = entry.path();
        let is_file = entry
            .file_type()
            .is_some_and(|t| t.is_file() || t.is_symlink());
        if !is_file {
            continue;
        }
        let Some(rel) = relative(root, path) else {
            continue;
        };
        if path.extension().is_some_and(|e| e == "md") {
            out.push(Entry {
                rel,
                path: path.to_path_buf(),
            });
        } else {
            attachments.push(rel);
        }
    }
    out.sort();
    attachments.sort();
    Listing {
        notes: out,
        attachments,
    }
}
