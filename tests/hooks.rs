//! Pre-commit integration, end to end: the plain git hook that `decksmith hook install`
//! writes, and this repository's `.pre-commit-hooks.yaml` driven by the real pre-commit
//! framework. Each test builds a throwaway git repository holding a copy of the demo vault,
//! stages a note with a dangling wikilink, and expects `git commit` to fail with the
//! finding, then to pass once the link is fixed.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::Tool;

fn decksmith_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_decksmith"))
}

/// A git command isolated from the user's and system's configuration (a global
/// `core.hooksPath` would otherwise bypass the hooks under test).
fn git(repo: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("PRE_COMMIT_HOME", repo.join("..").join("pre-commit-home"))
        .env("PATH", path_with_decksmith())
        .output()
        .expect("git runs")
}

fn path_with_decksmith() -> std::ffi::OsString {
    let dir = decksmith_bin().parent().expect("bin dir").to_path_buf();
    let mut paths = vec![dir];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).expect("PATH")
}

/// A repository holding the demo vault's good notes, committed.
fn vault_repo(parent: &Path) -> PathBuf {
    let repo = parent.join("vault");
    std::fs::create_dir_all(&repo).expect("mkdir");
    common::copy_dir(&common::fixture("vault"), &repo);
    std::fs::remove_dir_all(repo.join("broken")).expect("drop broken notes");
    assert!(git(&repo, &["init", "-q", "-b", "main"]).status.success());
    for (k, v) in [
        ("user.email", "test@example.invalid"),
        ("user.name", "Test"),
        ("commit.gpgsign", "false"),
    ] {
        assert!(git(&repo, &["config", k, v]).status.success());
    }
    assert!(git(&repo, &["add", "-A"]).status.success());
    let out = git(&repo, &["commit", "-q", "-m", "vault", "--no-verify"]);
    assert!(out.status.success(), "{out:?}");
    repo
}

const NOTE: &str = "10-Concepts/c-new-note.md";

fn write_note(repo: &Path, link: &str) {
    let text = std::fs::read_to_string(repo.join("10-Concepts/c-caching.md"))
        .expect("read concept")
        .replace("20251030-122942", "20251201-101010")
        .replace(
            "# Summary (EN)",
            &format!("# Summary (EN)\n\nSee {link}.\n"),
        );
    std::fs::write(repo.join(NOTE), text).expect("write note");
    assert!(git(repo, &["add", NOTE]).status.success());
}

fn commit(repo: &Path) -> (bool, String) {
    let out = git(repo, &["commit", "-m", "add a note"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn dangling_link_blocks_the_commit_until_fixed(repo: &Path) {
    write_note(repo, "[[c-cachng]]");
    let (ok, text) = commit(repo);
    assert!(!ok, "a dangling link must block the commit:\n{text}");
    assert!(
        text.contains("LNK001") && text.contains("c-new-note.md"),
        "{text}"
    );
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
    let install = Command::new(decksmith_bin())
        .args(["hook", "install", "--repo"])
        .arg(&repo)
        .output()
        .expect("runs");
    assert!(install.status.success(), "{install:?}");
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
    assert!(
        git(&repo, &["add", ".pre-commit-config.yaml"])
            .status
            .success()
    );
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
