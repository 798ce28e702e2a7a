//! `check --fix --unsafe-fixes --restore-from-git` in a real git repository whose history
//! holds intact versions of damaged notes: lost keys come back from the last intact
//! version (found through a rename), the body and `anki_cards` stay, nothing else in the
//! work tree or the index changes, and a second run has nothing to do.

mod common;

use common::output_text as text;

use std::path::Path;
use std::process::Output;

use common::git::{git, git_ok, subfolder_vault_repo};

fn decksmith(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_decksmith"))
        .arg("check")
        .args(args)
        .arg(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("runs")
}

/// The note's front matter reduced to its `anki_cards`, as a sync tool left it.
fn cards_only(note: &str) -> String {
    let fm_end = note[4..]
        .find("\n---\n")
        .map(|i| i + 4)
        .expect("front matter");
    let cards = note[..fm_end].find("anki_cards:").expect("anki_cards");
    format!("---\n{}{}", &note[cards..fm_end], &note[fm_end..])
}

#[test]
fn lost_metadata_comes_back_from_the_last_intact_commit_through_a_rename() {
    if common::require(common::Tool::Git).is_none() {
        return;
    }
    let parent = tempfile::tempdir().expect("tempdir");
    let repo = subfolder_vault_repo(parent.path(), "vault", "# Notes\n", false);
    let vault = repo.join("vault");
    let rel = "70-Kotlin/q-launch-vs-async--kotlin--easy.md";
    let intact = std::fs::read_to_string(vault.join(rel)).expect("read");
    let head = String::from_utf8(git(&repo, &["rev-parse", "--short", "HEAD"]).stdout)
        .expect("utf-8")
        .trim()
        .to_string();

    // A tool drops the metadata (committed), then the note is renamed (committed).
    std::fs::write(vault.join(rel), cards_only(&intact)).expect("damage");
    git_ok(
        &repo,
        &["commit", "-qam", "sync dropped the metadata", "--no-verify"],
    );
    let renamed = "70-Kotlin/q-launch-vs-async-renamed--kotlin--easy.md";
    git_ok(
        &repo,
        &["mv", &format!("vault/{rel}"), &format!("vault/{renamed}")],
    );
    git_ok(&repo, &["commit", "-qm", "rename", "--no-verify"]);
    // A note that never had metadata in any commit: nothing to restore it from.
    let orphan = "70-Kotlin/q-never-intact--kotlin--easy.md";
    std::fs::write(
        vault.join(orphan),
        "---\nanki_cards:\n- slug: kotlin-999-0-en\n  language: en\n---\n# Question (EN)\n> Why?\n\n## Answer (EN)\n\nBecause.\n",
    )
    .expect("write");
    git_ok(&repo, &["add", "-A"]);
    git_ok(
        &repo,
        &["commit", "-qm", "a note without history", "--no-verify"],
    );
    let damaged = std::fs::read_to_string(vault.join(renamed)).expect("read");
    let before = common::file_states(&repo);

    // Without --unsafe-fixes the flag is refused: a restore is unsafe.
    let refused = decksmith(&vault, &["--fix", "--restore-from-git"]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    // Nor does it mean anything without --fix or --diff.
    let alone = decksmith(&vault, &["--unsafe-fixes", "--restore-from-git"]);
    assert_eq!(alone.status.code(), Some(2), "{}", text(&alone));
    assert!(
        text(&alone).contains("use it with --fix or --diff"),
        "{}",
        text(&alone)
    );

    let fixed = decksmith(
        &vault,
        &[
            "--fix",
            "--unsafe-fixes",
            "--restore-from-git",
            "--show-fixes",
            "--select",
            "FM,SCH001",
            "--format",
            "concise",
        ],
    );
    let out = text(&fixed);
    assert!(
        out.contains("FM009 restore `id`, `title`") && out.contains(&format!("from commit {head}")),
        "{out}"
    );
    let restored = std::fs::read_to_string(vault.join(renamed)).expect("read");
    // Every key of the intact version, the current anki_cards and body unchanged.
    assert!(
        restored.starts_with("---\nid: kotlin-201\ntitle: "),
        "{restored}"
    );
    let body_at = |t: &str| t[4..].find("\n---\n").map(|i| i + 4).expect("fm");
    assert_eq!(
        &restored[body_at(&restored)..],
        &damaged[body_at(&damaged)..]
    );
    assert!(
        restored.contains(&damaged[4..body_at(&damaged)]),
        "{restored}"
    );
    for line in intact[..body_at(&intact)].lines() {
        assert!(restored.contains(line), "{line} lost:\n{restored}");
    }
    assert!(
        !out.contains(&format!("{renamed}:2:1: FM009")),
        "the restored note's FM009 is gone: {out}"
    );
    assert!(
        out.contains(&format!("{orphan}:")) && out.contains("FM009"),
        "the note without history is still reported: {out}"
    );

    // Only that note changed in the work tree; the index is untouched.
    let after = common::file_states(&repo);
    for (path, state) in &after {
        if path.starts_with(vault.join(".decksmith-cache")) {
            continue;
        }
        let changed = before.get(path).map(|b| &b.0) != Some(&state.0);
        assert_eq!(changed, path.ends_with(renamed), "{}", path.display());
    }
    let staged = git(&repo, &["diff", "--cached", "--name-only"]);
    assert!(staged.stdout.is_empty(), "{}", text(&staged));

    // Settled: a second run restores nothing.
    let again = decksmith(
        &vault,
        &[
            "--diff",
            "--unsafe-fixes",
            "--restore-from-git",
            "--select",
            "FM,SCH001",
        ],
    );
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
}
