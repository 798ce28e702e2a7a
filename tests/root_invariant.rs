//! One answer per file: for every note F, `decksmith check F` reports exactly what the
//! whole-vault run reports for F, however F is spelled (bare name, `./F`, a path from the
//! repository root or the vault root, an absolute path) and however the vault is marked
//! (`decksmith.toml`, `.obsidian/`, nothing) or placed (the repository root, a subfolder).
//!
//! The vaults are generated from the demo vault's notes (real-shaped: links between folders,
//! references, broken notes), scattered over generated folders, with links into excluded
//! folders.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;
use serde_json::Value;

#[derive(Clone, Copy, Debug)]
enum Mark {
    None,
    Obsidian,
    Config,
}

#[derive(Clone, Debug)]
struct Layout {
    git: bool,
    /// The vault's folder inside the repository ("" is the repository root).
    prefix: &'static str,
    mark: Mark,
    /// A folder for each demo note, by index into FOLDERS.
    folders: Vec<usize>,
    /// Notes whose single-file runs are compared (indexes into the note list).
    probes: Vec<usize>,
}

const FOLDERS: &[&str] = &["", "10-Concepts", "40-Android/deep/er", "inbox"];

fn demo_notes() -> Vec<(String, String)> {
    common::notes(&common::fixture("vault"))
        .into_iter()
        .map(|(rel, text)| {
            let name = rel.rsplit('/').next().unwrap_or(&rel).to_string();
            // Every note also links into the excluded folders, which must still resolve.
            (
                name,
                format!("{text}\nSee [[tpl-qna]] and [[TAXONOMY]] and [[no-such-note]].\n"),
            )
        })
        .collect()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// Build the layout in `repo`; returns the vault folder and each note's vault-relative path.
fn build(repo: &Path, layout: &Layout) -> (PathBuf, Vec<String>) {
    if layout.git {
        let ok = Command::new("git")
            .args(["init", "-q"])
            .current_dir(repo)
            .status()
            .expect("git runs")
            .success();
        assert!(ok, "git init");
    }
    // Repository files that are not notes: they must not move the root.
    write(&repo.join("README.md"), "# A repository\n\nSee [[q-x]].\n");
    write(&repo.join("AGENTS.md"), "Instructions.\n");
    let vault = repo.join(layout.prefix);
    std::fs::create_dir_all(&vault).expect("mkdir");
    match layout.mark {
        Mark::None => {}
        Mark::Obsidian => std::fs::create_dir_all(vault.join(".obsidian")).expect("mark"),
        Mark::Config => write(&vault.join("decksmith.toml"), "[lint]\nignore = []\n"),
    }
    write(
        &vault.join("_templates/tpl-qna.md"),
        "---\nid: <% tp.file.title %>\n---\n# Question (EN)\n",
    );
    write(
        &vault.join("00-Administration/Vault-Rules/TAXONOMY.md"),
        "# Taxonomy\n",
    );
    let mut rels = Vec::new();
    for ((name, text), folder) in demo_notes().into_iter().zip(&layout.folders) {
        let folder = FOLDERS[*folder];
        let rel = if folder.is_empty() {
            name
        } else {
            format!("{folder}/{name}")
        };
        write(&vault.join(&rel), &text);
        rels.push(rel);
    }
    (std::fs::canonicalize(vault).expect("canonical"), rels)
}

/// `decksmith check --format json ARGS` from `cwd`: the diagnostics, keyed by their path.
fn check(cwd: &Path, args: &[&str]) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_decksmith"))
        .args(["check", "--format", "json"])
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("decksmith runs");
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "exit {:?} in {} for {args:?}: {}",
        out.status,
        cwd.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    doc["diagnostics"].as_array().cloned().unwrap_or_default()
}

fn of_path(diags: &[Value], rel: &str) -> Vec<Value> {
    diags.iter().filter(|d| d["path"] == rel).cloned().collect()
}

/// Every `.decksmith-cache` folder below `dir`.
fn caches(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() && !p.ends_with(".git") {
                if p.file_name().is_some_and(|n| n == ".decksmith-cache") {
                    out.push(p.clone());
                }
                stack.push(p);
            }
        }
    }
    out
}

fn layout() -> impl Strategy<Value = Layout> {
    let notes = demo_notes().len();
    (
        any::<bool>(),
        prop::sample::select(vec!["", "Vault", "a/Vault"]),
        prop::sample::select(vec![Mark::None, Mark::Obsidian, Mark::Config]),
        prop::collection::vec(0..FOLDERS.len(), notes),
        prop::collection::vec(0..notes, 3),
    )
        .prop_map(|(git, prefix, mark, folders, probes)| Layout {
            git,
            prefix,
            mark,
            folders,
            probes,
        })
}

fn assert_invariant(layout: &Layout) {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = std::fs::canonicalize(dir.path()).expect("canonical");
    let (vault, rels) = build(&repo, layout);
    // Outside git, an unmarked vault is found from the current folder: the vault's own.
    let unanchored = !layout.git && matches!(layout.mark, Mark::None);
    let whole = check(&vault, &[]);
    if !unanchored {
        assert_eq!(
            check(&repo, &[]),
            whole,
            "the whole run from the repository root differs"
        );
    }
    let unresolved: Vec<&str> = whole
        .iter()
        .filter(|d| d["code"] == "LNK001")
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert!(
        unresolved.iter().any(|m| m.contains("no-such-note")),
        "the dangling link is reported: {unresolved:?}"
    );
    // Excluded folders are still part of the vault: links into them resolve.
    assert!(
        !unresolved
            .iter()
            .any(|m| m.contains("tpl-qna") || m.contains("TAXONOMY")),
        "a link into an excluded folder was reported: {unresolved:?}"
    );
    for &i in &layout.probes {
        let rel = &rels[i];
        let expected = of_path(&whole, rel);
        let abs = vault.join(rel);
        let folder = abs.parent().expect("parent").to_path_buf();
        let name = abs
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let from_repo = abs
            .strip_prefix(&repo)
            .expect("inside")
            .to_string_lossy()
            .into_owned();
        let mut spellings: Vec<(PathBuf, String)> = vec![
            (vault.clone(), rel.clone()),
            (vault.clone(), abs.to_string_lossy().into_owned()),
        ];
        if !unanchored {
            spellings.push((folder.clone(), name.clone()));
            spellings.push((folder.clone(), format!("./{name}")));
            spellings.push((repo.clone(), from_repo));
            spellings.push((PathBuf::from("/"), abs.to_string_lossy().into_owned()));
        }
        for (cwd, spelled) in spellings {
            let got = check(&cwd, &[&spelled]);
            assert_eq!(
                got,
                expected,
                "`decksmith check {spelled}` from {} differs from the whole run for {rel}",
                cwd.display()
            );
        }
    }
    // Caches are only ever written at the vault root.
    for cache in caches(&repo) {
        assert_eq!(
            cache.parent(),
            Some(vault.as_path()),
            "stray cache {cache:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn a_file_checked_alone_gets_the_whole_vault_answer(layout in layout()) {
        assert_invariant(&layout);
    }
}

/// The layout of the public repository the tool was built for: the vault in
/// `InterviewQuestions/`, no `.obsidian/` (it is gitignored), no `decksmith.toml`, runs from
/// the repository root as pre-commit makes them.
#[test]
fn the_real_repository_layout_gets_the_whole_vault_answer() {
    let notes = demo_notes().len();
    assert_invariant(&Layout {
        git: true,
        prefix: "InterviewQuestions",
        mark: Mark::None,
        folders: (0..notes).map(|i| 1 + i % (FOLDERS.len() - 1)).collect(),
        probes: (0..notes).collect(),
    });
}
