//! Throwaway git repositories for the hook tests, isolated from the user's and the system's
//! git configuration (a global `core.hooksPath` would otherwise bypass the hooks under test).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn decksmith_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_decksmith"))
}

/// `PATH` with the decksmith under test first.
pub fn path_with_decksmith() -> std::ffi::OsString {
    let dir = decksmith_bin().parent().expect("bin dir").to_path_buf();
    let mut paths = vec![dir];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).expect("PATH")
}

/// Run git in `repo`, isolated.
pub fn git(repo: &Path, args: &[&str]) -> Output {
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

/// Run git and insist it succeeds.
pub fn git_ok(repo: &Path, args: &[&str]) {
    let out = git(repo, args);
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

/// Make `repo` a repository and commit everything in it, without hooks.
pub fn init_and_commit(repo: &Path) {
    git_ok(repo, &["init", "-q", "-b", "main"]);
    for (k, v) in [
        ("user.email", "test@example.invalid"),
        ("user.name", "Test"),
        ("commit.gpgsign", "false"),
    ] {
        git_ok(repo, &["config", k, v]);
    }
    git_ok(repo, &["add", "-A"]);
    git_ok(repo, &["commit", "-q", "-m", "vault", "--no-verify"]);
}

/// `git commit`: whether it passed, and what it printed.
pub fn commit(repo: &Path, message: &str) -> (bool, String) {
    let out = git(repo, &["commit", "-m", message]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// A repository in `parent/repo` holding the demo vault's good notes in the folder `vault`,
/// unmarked (no `.obsidian/`, as in a fresh clone), with a README at the top, committed, and
/// decksmith's plain hook installed when `hook`.
pub fn subfolder_vault_repo(parent: &Path, vault: &str, readme: &str, hook: bool) -> PathBuf {
    let repo = parent.join("repo");
    let dir = repo.join(vault);
    std::fs::create_dir_all(&dir).expect("mkdir");
    super::copy_dir(&super::fixture("vault"), &dir);
    std::fs::remove_dir_all(dir.join("broken")).expect("drop broken notes");
    std::fs::remove_dir_all(dir.join(".obsidian")).expect("unmark");
    std::fs::write(repo.join("README.md"), readme).expect("readme");
    init_and_commit(&repo);
    if hook {
        install_hook(&repo);
    }
    repo
}

/// `decksmith hook install` in `repo`, which must succeed.
pub fn install_hook(repo: &Path) {
    let install = Command::new(decksmith_bin())
        .args(["hook", "install", "--repo"])
        .arg(repo)
        .output()
        .expect("runs");
    assert!(install.status.success(), "{install:?}");
}
