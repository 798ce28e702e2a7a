//! Paths as users and hooks spell them: bare names, files that are not notes, names that are
//! not UTF-8, empty folders, files outside the vault, and the Source field of cards.

mod common;

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn decksmith(cwd: &Path) -> Command {
    let mut cmd = Command::cargo_bin("decksmith").expect("binary builds");
    cmd.current_dir(cwd)
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR");
    cmd
}

fn demo_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    common::copy_dir(&common::fixture("vault"), dir.path());
    dir
}

/// A git work tree with a README at its top and the demo vault, unmarked, in `Vault/`.
fn repo_with_vault_in_subfolder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path();
    std::fs::create_dir(repo.join(".git")).expect("git");
    std::fs::write(repo.join("README.md"), "# Repo\n").expect("write");
    common::copy_dir(&common::fixture("vault"), &repo.join("Vault"));
    std::fs::remove_dir_all(repo.join("Vault/.obsidian")).expect("unmark");
    dir
}

const NOTE: &str = "q-cache-invalidation-strategies--system-design--medium.md";

#[test]
fn a_bare_name_gives_cards_whose_source_is_vault_relative() {
    let dir = demo_copy();
    let folder = dir.path().join("30-System-Design");
    let out = decksmith(&folder)
        .args(["cards", "--format", "json", NOTE])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let note = &doc["notes"][0];
    let expected = format!("30-System-Design/{NOTE}");
    let cards = note["cards"].as_array().expect("cards");
    assert!(!cards.is_empty());
    for card in cards {
        assert_eq!(card["source"], expected.as_str(), "{card}");
    }
}

#[test]
fn findings_of_a_bare_name_print_clickable_paths_and_no_cache_lands_beside_the_note() {
    let dir = demo_copy();
    // The caches keep nothing of files changed in the last two seconds (their stamps
    // cannot vouch for them yet): the copy must age before a run writes one.
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    let folder = dir.path().join("broken");
    let out = decksmith(&folder)
        .args(["check", "--format", "concise", "c-broken-fence.md"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("../broken/c-broken-fence.md:1:1: FM003"),
        "{text}"
    );
    assert!(!text.contains("//"), "{text}");
    assert!(!folder.join(".decksmith-cache").exists());
    assert!(dir.path().join(".decksmith-cache").is_dir());
}

#[test]
fn a_file_that_is_not_a_note_is_skipped_with_a_warning() {
    let dir = demo_copy();
    std::fs::write(dir.path().join("notes.txt"), "---\nbroken: [\n---\n").expect("write");
    decksmith(dir.path())
        .args(["check", "--format", "concise", "notes.txt"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("FM").not())
        .stderr(predicate::str::contains(
            "notes.txt is not a note (its extension is not in [vault] extensions); skipped",
        ));
    // Configured, it is one.
    std::fs::write(
        dir.path().join("decksmith.toml"),
        "[vault]\nextensions = [\"md\", \"txt\"]\n",
    )
    .expect("config");
    decksmith(dir.path())
        .args(["check", "--format", "concise", "notes.txt"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("notes.txt:3:1: FM008"));
}

#[test]
fn a_folder_without_notes_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join(".obsidian")).expect("mark");
    decksmith(dir.path())
        .args(["check", "--format", "concise"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("warning: no notes found in"));
}

#[cfg(unix)]
#[test]
fn a_file_name_that_is_not_utf8_gets_a_finding_naming_it() {
    use std::os::unix::ffi::OsStrExt;
    let dir = demo_copy();
    let name = std::ffi::OsStr::from_bytes(b"q-bad\xffname.md");
    std::fs::write(dir.path().join(name), "---\nid: x\n---\n").expect("write");
    decksmith(dir.path())
        .args(["check", "--format", "concise", "--select", "FS001"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "q-bad\\xFFname.md:1:1: FS001 [error] file name is not valid UTF-8",
        ));
}

#[test]
fn files_outside_the_vault_are_an_error_unless_force_exclude_skips_them() {
    let dir = repo_with_vault_in_subfolder();
    let repo = dir.path();
    let note = format!("Vault/30-System-Design/{NOTE}");
    decksmith(repo)
        .args(["check", "--format", "concise", "README.md", &note])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is outside the vault root"));
    decksmith(repo)
        .args([
            "check",
            "--format",
            "concise",
            "--force-exclude",
            "README.md",
        ])
        .arg(&note)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("1 file checked"))
        .stderr(predicate::str::contains("README.md is outside the vault"));
}

#[test]
fn a_folder_holding_the_vault_checks_all_of_it() {
    let dir = repo_with_vault_in_subfolder();
    let repo = dir.path();
    let run = |args: &[&str]| {
        let out = decksmith(repo)
            .env("DECKSMITH_NO_CACHE", "1")
            .args(["check", "--format", "concise"])
            .args(args)
            .output()
            .expect("runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, whole) = run(&["Vault"]);
    assert_eq!(code, Some(1), "{whole}");
    // The top of the repository, however it is spelt, is the vault and nothing more: the
    // README beside it is not a note of the vault.
    for top in [".", "./", repo.to_str().expect("utf-8 temp path")] {
        let (code, text) = run(&[top]);
        assert_eq!((code, &text), (Some(1), &whole), "check {top}");
    }
    assert!(!whole.contains("README.md"), "{whole}");
}

#[test]
fn show_settings_names_the_root_and_how_it_was_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = std::fs::canonicalize(dir.path()).expect("canonical");
    std::fs::create_dir(repo.join(".git")).expect("git");
    common::copy_dir(&common::fixture("vault"), &repo.join("Vault"));
    std::fs::remove_dir_all(repo.join("Vault/.obsidian")).expect("unmark");
    let out = decksmith(&repo)
        .args(["check", "--show-settings"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let root = repo.join("Vault");
    assert!(
        text.contains(&format!("# Vault root: {}\n", root.display())),
        "{text}"
    );
    assert!(
        text.contains("the deepest folder holding every note below"),
        "{text}"
    );
    assert!(text.contains("# Config file: none"), "{text}");
    assert!(text.contains("[vault]"), "{text}");
    decksmith(&repo)
        .args([
            "check",
            "--verbose",
            "--format",
            "concise",
            "Vault/10-Concepts",
        ])
        .assert()
        .stderr(predicate::str::contains(format!(
            "decksmith: vault {} (",
            root.display()
        )));
}
