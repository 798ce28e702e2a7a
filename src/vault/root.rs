/*!
Where the vault is: one root for a run, whatever paths it was given.

Every path a note has in decksmith's output, its cache and Anki's Source field is relative
to the vault root, and links resolve against the whole vault below it. So the root must not
depend on how a run spells its paths: `decksmith check q-x.md` from the note's folder,
`decksmith check vault/40-Android/q-x.md` from the repository root (as pre-commit runs it),
an absolute path and a bare `decksmith check` must all find the same folder. The rule:

1. `--config FILE`: the file's folder.
2. A marked vault: the nearest folder, from the first path upwards, holding a
   `decksmith.toml`; else the nearest holding an `.obsidian/` folder (Obsidian's own mark).
3. An unmarked vault. `.obsidian/` is usually gitignored, so a fresh clone (CI, a
   colleague's machine) has no mark at all. The search then starts from a *base* that is the
   same for every path of the run: the git work tree holding the first path, else the
   current folder when it holds that path, else the path's own folder. Below the base:
   - a single topmost folder holding a mark (a vault in a subfolder of its repository,
     marked) is the root;
   - otherwise the root is the deepest folder that holds every note below the base, where
     notes are the Markdown files whose names a built-in note kind claims (`q-*.md`,
     `c-*.md`, `moc-*.md`), or every Markdown file when none is claimed. The repository of
     the interview vault keeps its READMEs and reports at the top and its notes in
     `InterviewQuestions/`: that folder is found, as Obsidian would have opened it.

Outside a git work tree and without a mark, the current folder is the base: run decksmith
from the vault, or mark it with `decksmith init`. `--show-settings` prints the root and how it
was found.

The unmarked search walks the base once (names only, hidden folders skipped, `.gitignore`
honoured); a marked vault costs a few `stat` calls.
*/

use std::path::{Path, PathBuf};

use regex::Regex;

use super::git::git_work_tree;
use crate::config::{self, FILE_NAME};

/// How the root was found (shown by `--show-settings` and `--verbose`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FoundBy {
    /// `--config FILE`.
    ConfigFlag,
    /// A `decksmith.toml` in the folder or one of its parents.
    ConfigFile,
    /// An `.obsidian/` folder in the folder or one of its parents.
    Obsidian,
    /// The single marked folder below the base.
    MarkBelow,
    /// The deepest folder holding every note below the base.
    Notes,
}

impl FoundBy {
    pub fn describe(self) -> &'static str {
        match self {
            FoundBy::ConfigFlag => "the folder of --config",
            FoundBy::ConfigFile => "the nearest folder holding decksmith.toml",
            FoundBy::Obsidian => "the nearest folder holding .obsidian/",
            FoundBy::MarkBelow => "the only marked folder (decksmith.toml or .obsidian/) below",
            FoundBy::Notes => "the deepest folder holding every note below",
        }
    }
}

/// The vault of a run.
#[derive(Clone, Debug)]
pub struct VaultRoot {
    /// Canonical.
    pub root: PathBuf,
    /// The `decksmith.toml` to read, if any.
    pub config: Option<PathBuf>,
    pub found_by: FoundBy,
    /// Where an unmarked search started (the git work tree, the current folder, or the
    /// path's folder).
    pub base: Option<PathBuf>,
    /// The git work tree holding the root, if any.
    pub work_tree: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum RootError {
    #[error("path `{0}` does not exist")]
    Missing(PathBuf),
    #[error("config file `{0}` does not exist")]
    MissingConfig(PathBuf),
    #[error("cannot resolve `{path}`: {source}")]
    Resolve {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn canonical(path: &Path) -> Result<PathBuf, RootError> {
    std::fs::canonicalize(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            RootError::Missing(path.to_path_buf())
        } else {
            RootError::Resolve {
                path: path.to_path_buf(),
                source,
            }
        }
    })
}

/// The folder a path stands for: itself, or the folder of a file.
fn folder_of(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent()
            .map_or_else(|| path.to_path_buf(), Path::to_path_buf)
    }
}

fn is_marked(dir: &Path) -> bool {
    dir.join(FILE_NAME).is_file() || dir.join(".obsidian").is_dir()
}

fn config_in(dir: &Path) -> Option<PathBuf> {
    let file = dir.join(FILE_NAME);
    file.is_file().then_some(file)
}

/// Find the vault of a run that names `start` (or the current folder `cwd` when it names
/// nothing), reading `config` when given.
pub fn discover(
    start: Option<&Path>,
    cwd: &Path,
    config: Option<&Path>,
) -> Result<VaultRoot, RootError> {
    if let Some(file) = config {
        let file = canonical(file).map_err(|e| match e {
            RootError::Missing(p) => RootError::MissingConfig(p),
            other => other,
        })?;
        if !file.is_file() {
            return Err(RootError::MissingConfig(file));
        }
        let root = folder_of(&file);
        return Ok(VaultRoot {
            work_tree: git_work_tree(&root),
            root,
            config: Some(file),
            found_by: FoundBy::ConfigFlag,
            base: None,
        });
    }
    let cwd = canonical(cwd)?;
    let start = match start {
        Some(p) => canonical(&cwd.join(p))?,
        None => cwd.clone(),
    };
    let folder = folder_of(&start);
    if let Some(found) = marked_ancestor(&folder) {
        return Ok(found);
    }
    let work_tree = git_work_tree(&folder);
    let base = match &work_tree {
        Some(top) => top.clone(),
        None if folder.starts_with(&cwd) => cwd,
        None => folder,
    };
    let (root, found_by) = search_below(&base);
    Ok(VaultRoot {
        config: config_in(&root),
        root,
        found_by,
        base: Some(base),
        work_tree,
    })
}

/// Step 2: the nearest `decksmith.toml`, else the nearest `.obsidian/`.
fn marked_ancestor(folder: &Path) -> Option<VaultRoot> {
    let found = |root: &Path, config: Option<PathBuf>, found_by| VaultRoot {
        root: root.to_path_buf(),
        config,
        found_by,
        base: None,
        work_tree: git_work_tree(root),
    };
    if let Some(dir) = folder.ancestors().find(|d| d.join(FILE_NAME).is_file()) {
        return Some(found(dir, config_in(dir), FoundBy::ConfigFile));
    }
    folder
        .ancestors()
        .find(|d| d.join(".obsidian").is_dir())
        .map(|dir| found(dir, None, FoundBy::Obsidian))
}

/// Step 3: the vault below an unmarked base.
fn search_below(base: &Path) -> (PathBuf, FoundBy) {
    let survey = survey(base);
    let mut marks = survey.marks;
    marks.sort();
    // Topmost marks only: a vault's own sub-vaults (fixtures, say) do not compete with it.
    let topmost: Vec<&PathBuf> = marks
        .iter()
        .filter(|m| !marks.iter().any(|o| o != *m && m.starts_with(o)))
        .collect();
    if let [only] = topmost.as_slice() {
        return ((*only).clone(), FoundBy::MarkBelow);
    }
    let notes = if survey.claimed.is_empty() {
        &survey.markdown
    } else {
        &survey.claimed
    };
    let root = notes
        .iter()
        .filter_map(|n| n.parent())
        .fold(None::<PathBuf>, |common, dir| {
            Some(match common {
                None => dir.to_path_buf(),
                Some(c) => common_ancestor(&c, dir),
            })
        })
        .unwrap_or_else(|| base.to_path_buf());
    (root, FoundBy::Notes)
}

fn common_ancestor(a: &Path, b: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for (x, y) in a.components().zip(b.components()) {
        if x != y {
            break;
        }
        out.push(x);
    }
    out
}

/// What lies below a base: marked folders, Markdown files, and those a note kind claims.
struct Survey {
    marks: Vec<PathBuf>,
    markdown: Vec<PathBuf>,
    claimed: Vec<PathBuf>,
}

/// The file-name patterns of the built-in kinds that are matched by name alone (a kind
/// matched by `paths` depends on the root being searched for).
fn claiming_patterns() -> Vec<Regex> {
    config::load(PathBuf::new(), None)
        .map(|loaded| {
            loaded
                .config
                .kinds
                .iter()
                .filter(|k| k.paths.is_empty())
                .filter_map(|k| k.filename.as_deref())
                .filter_map(|p| Regex::new(p).ok())
                .collect()
        })
        .unwrap_or_default()
}

fn survey(base: &Path) -> Survey {
    let patterns = claiming_patterns();
    let mut out = Survey {
        marks: Vec::new(),
        markdown: Vec::new(),
        claimed: Vec::new(),
    };
    for entry in super::walk::walker(base).flatten() {
        let path = entry.path();
        let Some(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if path != base && is_marked(path) {
                out.marks.push(path.to_path_buf());
            }
            continue;
        }
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        if patterns.iter().any(|p| p.is_match(&name)) {
            out.claimed.push(path.to_path_buf());
        }
        out.markdown.push(path.to_path_buf());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, rel: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, "x\n").expect("write");
    }

    #[test]
    fn unmarked_vault_in_a_repository_subfolder_is_found_by_its_notes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = std::fs::canonicalize(dir.path()).expect("canonical");
        std::fs::create_dir(repo.join(".git")).expect("git");
        touch(&repo, "README.md");
        touch(&repo, "AGENTS.md");
        touch(&repo, "Vault/40-Android/q-a--android--easy.md");
        touch(&repo, "Vault/10-Concepts/c-b.md");
        touch(&repo, "Vault/00-Administration/TAXONOMY.md");
        for start in [
            Some(repo.join("Vault/40-Android/q-a--android--easy.md")),
            Some(repo.join("Vault/10-Concepts")),
            Some(repo.join("README.md")),
            None,
        ] {
            let found = discover(start.as_deref(), &repo, None).expect("found");
            assert_eq!(found.root, repo.join("Vault"), "{start:?}");
            assert_eq!(found.found_by, FoundBy::Notes);
            assert_eq!(found.work_tree.as_deref(), Some(repo.as_path()));
        }
        // From inside the vault, with a bare name.
        let found = discover(
            Some(Path::new("q-a--android--easy.md")),
            &repo.join("Vault/40-Android"),
            None,
        )
        .expect("found");
        assert_eq!(found.root, repo.join("Vault"));
    }

    #[test]
    fn marks_win_and_a_single_mark_below_is_the_root() {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = std::fs::canonicalize(dir.path()).expect("canonical");
        std::fs::create_dir(repo.join(".git")).expect("git");
        touch(&repo, "docs/c-not-a-note.md");
        touch(&repo, "Vault/notes/q-a.md");
        std::fs::create_dir_all(repo.join("Vault/.obsidian")).expect("mark");
        let from_repo = discover(None, &repo, None).expect("found");
        assert_eq!(from_repo.root, repo.join("Vault"));
        assert_eq!(from_repo.found_by, FoundBy::MarkBelow);
        let from_note =
            discover(Some(&repo.join("Vault/notes/q-a.md")), &repo, None).expect("found");
        assert_eq!(from_note.root, repo.join("Vault"));
        assert_eq!(from_note.found_by, FoundBy::Obsidian);
    }

    #[test]
    fn without_git_the_current_folder_is_the_base() {
        let dir = tempfile::tempdir().expect("tempdir");
        let vault = std::fs::canonicalize(dir.path()).expect("canonical");
        touch(&vault, "q-root-note.md");
        touch(&vault, "sub/c-x.md");
        let found = discover(Some(Path::new("sub/c-x.md")), &vault, None).expect("found");
        assert_eq!(found.root, vault);
        assert_eq!(found.base.as_deref(), Some(vault.as_path()));
        assert!(found.work_tree.is_none());
    }

    #[test]
    fn missing_paths_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = discover(Some(Path::new("nope.md")), dir.path(), None).expect_err("missing");
        assert!(matches!(err, RootError::Missing(_)), "{err}");
        let err = discover(None, dir.path(), Some(Path::new("x.toml"))).expect_err("missing");
        assert!(matches!(err, RootError::MissingConfig(_)), "{err}");
    }
}
