//! Pre-commit integration, end to end: the plain git hook that `decksmith hook install`
//! writes, and this repository's `.pre-commit-hooks.yaml` driven by the real pre-commit
//! framework. Each test builds a throwaway git repository holding a copy of the demo vault
//! in a subfolder, unmarked (the public repository's layout), stages a note with a dangling
//! wikilink, and expects `git commit` — which runs the hooks from the repository root — to
//! fail with that finding alone, then to pass once the link is fixed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Tool;
use common::git::{decksmith_bin, git_ok, subfolder_vault_repo};

/// The vault's folder: the layout of the public repository the tool was built for, with
/// READMEs at the top, no `.obsidian/` (gitignored there) and no `decksmith.toml`.
const VAULT: &str = "InterviewQuestions";

/// A repository holding the demo vault's good notes in [`VAULT`], committed.
fn vault_repo(parent: &Path) -> PathBuf {
    subfolder_vault_repo(parent, VAULT, "# Notes\n\nSee [[nowhere]].\n", false)
}

const NOTE: &str = "InterviewQuestions/10-Concepts/c-new-note.md";

fn write_note(repo: &Path, link: &str) {
    let text = std::fs::read_to_string(repo.join(VAULT).join("10-Concepts/c-caching.md"))
        .expect("read concept")
        .replace("20251030-122942", "20251201-101010")
        .replace(
            "# Summary (EN)",
            &format!("# Summary (EN)\n\nSee {link}.\n"),
        );
    std::fs::write(repo.join(NOTE), text).expect("write note");
    // The README is staged too: outside the vault, it is skipped, not linted.
    std::fs::write(repo.join("README.md"), format!("# Notes\n\n{link}\n")).expect("readme");
    git_ok(repo, &["add", NOTE, "README.md"]);
}

fn commit(repo: &Path) -> (bool, String) {
    common::git::commit(repo, "add a note")
}

fn dangling_link_blocks_the_commit_until_fixed(repo: &Path) {
    write_note(repo, "[[c-cachng]]");
    let (ok, text) = commit(repo);
    assert!(!ok, "a dangling link must block the commit:\n{text}");
    assert!(
        text.contains("LNK001") && text.contains("c-new-note.md"),
        "{text}"
    );
    // Every link in the vault resolves across folders: only the dangling one is reported.
    assert_eq!(text.matches("LNK001").count(), 1, "{text}");
    assert!(!text.contains("README.md:"), "{text}");
    write_note(repo, "[[c-caching]]");
    let (ok, text) = commit(repo);
    assert!(ok, "the fixed note must commit:\n{text}");
}

#[test]
fn plain_git_hook() {
    if common::require(Tool::Git).is_none() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = vault_repo(tmp.path());
    common::git::install_hook(&repo);
    let hook = repo.join(".git/hooks/pre-commit");
    assert!(
        std::fs::read_to_string(&hook)
            .expect("hook")
            .contains("decksmith-managed")
    );
    dangling_link_blocks_the_commit_until_fixed(&repo);
}

#[test]
fn hook_install_never_replaces_a_foreign_hook() {
    if common::require(Tool::Git).is_none() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = vault_repo(tmp.path());
    let hook = repo.join(".git/hooks/pre-commit");
    std::fs::write(&hook, "#!/bin/sh\necho mine\n").expect("write");
    let run = |action: &str| {
        Command::new(decksmith_bin())
            .args(["hook", action, "--repo"])
            .arg(&repo)
            .output()
            .expect("runs")
    };
    let out = run("install");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not written by decksmith"));
    assert_eq!(run("uninstall").status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(&hook).expect("read"),
        "#!/bin/sh\necho mine\n"
    );
    std::fs::remove_file(&hook).expect("remove");
    assert!(run("install").status.success());
    assert!(String::from_utf8_lossy(&run("install").stdout).starts_with("updated"));
    assert!(run("uninstall").status.success());
    assert!(!hook.exists());
}

/// The real pre-commit framework, using this repository's `.pre-commit-hooks.yaml` at HEAD.
#[test]
fn pre_commit_framework() {
    if common::require(Tool::PreCommit).is_none() || common::require(Tool::Git).is_none() {
        return;
    }
    let project = common::repo();
    let head = Command::new("git")
        .arg("-C")
        .arg(&project)
        .args(["rev-parse", "HEAD"])
        .output();
    let Some(rev) = head
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    else {
        common::unavailable(
            Tool::Git,
            &format!("{} is not a git checkout", project.display()),
            "the framework installs this repository's hooks from a commit: run the suite in a \
            clone",
        );
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = vault_repo(tmp.path());
    std::fs::write(
        repo.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n- repo: {}\n  rev: {rev}\n  hooks:\n  - id: decksmith-check-system\n",
            project.display()
        ),
    )
    .expect("write config");
    git_ok(&repo, &["add", ".pre-commit-config.yaml"]);
    let install = Command::new("pre-commit")
        .current_dir(&repo)
        .arg("install")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("PRE_COMMIT_HOME", tmp.path().join("pre-commit-home"))
        .output()
        .expect("pre-commit runs");
    assert!(install.status.success(), "{install:?}");
    dangling_link_blocks_the_commit_until_fixed(&repo);
}
