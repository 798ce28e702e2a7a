//! The plain hook lints what will be committed, in the layout of the public repository the
//! tool was built for: the vault in `InterviewQuestions/`, no `.obsidian/` (gitignored), no
//! `decksmith.toml`, git running the hook from the repository root.

mod common;

use std::path::{Path, PathBuf};

use common::git::{commit, git_ok, init_and_commit, subfolder_vault_repo};

const VAULT: &str = "InterviewQuestions";
const NOTE: &str = "InterviewQuestions/10-Concepts/c-new-note.md";

/// A repository with the demo vault's good notes in a subfolder, committed, hook installed.
fn repo(parent: &Path) -> PathBuf {
    subfolder_vault_repo(parent, VAULT, "# Interview questions\n", true)
}

/// A concept note of the vault linking to `link`.
fn note_text(repo: &Path, link: &str) -> String {
    std::fs::read_to_string(repo.join(VAULT).join("10-Concepts/c-caching.md"))
        .expect("read concept")
        .replace("20251030-122942", "20251201-101010")
        .replace(
            "# Summary (EN)",
            &format!("# Summary (EN)\n\nSee {link}.\n"),
        )
}

fn write(repo: &Path, rel: &str, text: &str) {
    std::fs::write(repo.join(rel), text).expect("write");
}

#[test]
fn a_staged_broken_note_is_refused_though_its_working_copy_is_fixed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = repo(tmp.path());
    write(&repo, NOTE, &note_text(&repo, "[[c-cachng]]"));
    git_ok(&repo, &["add", NOTE]);
    // Repaired on disk, not staged: the commit would still record the broken link.
    write(&repo, NOTE, &note_text(&repo, "[[c-caching]]"));
    let (ok, text) = commit(&repo, "broken staged");
    assert!(!ok, "the staged broken note must be refused:\n{text}");
    assert!(
        text.contains("10-Concepts/c-new-note.md") && text.contains("LNK001"),
        "{text}"
    );
    // Staging the repair lets it through; the reverse (good staged, broken on disk) too.
    git_ok(&repo, &["add", NOTE]);
    write(&repo, NOTE, &note_text(&repo, "[[c-cachng]]"));
    let (ok, text) = commit(&repo, "good staged");
    assert!(ok, "the staged note is fine:\n{text}");
}

#[test]
fn an_untracked_file_does_not_satisfy_a_staged_link() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = repo(tmp.path());
    let untracked = format!("{VAULT}/10-Concepts/c-local-only.md");
    let local = note_text(&repo, "[[c-caching]]").replace("20251201-101010", "20251202-101010");
    write(&repo, &untracked, &local);
    write(&repo, NOTE, &note_text(&repo, "[[c-local-only]]"));
    git_ok(&repo, &["add", NOTE]);
    let (ok, text) = commit(&repo, "links an untracked note");
    assert!(!ok, "the link dangles in every clone:\n{text}");
    assert!(text.contains("c-local-only"), "{text}");
    git_ok(&repo, &["add", &untracked]);
    let (ok, text) = commit(&repo, "both");
    assert!(ok, "{text}");
}

#[test]
fn a_note_named_like_a_flag_is_a_note() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = repo(tmp.path());
    let text = note_text(&repo, "[[c-cachng]]");
    // In the vault folder, and at the top of a repository that is the vault, where git
    // names it bare: `-dash-note.md`.
    let flat = tmp.path().join("flat");
    std::fs::create_dir_all(&flat).expect("mkdir");
    common::copy_dir(&repo.join(VAULT), &flat);
    std::fs::create_dir(flat.join(".obsidian")).expect("mark");
    init_and_commit(&flat);
    common::git::install_hook(&flat);
    for (repo, rel) in [
        (&repo, format!("{VAULT}/-dash-note.md")),
        (&flat, "-dash-note.md".to_string()),
    ] {
        write(repo, &rel, &text);
        git_ok(repo, &["add", "--", &rel]);
        let (ok, out) = commit(repo, "dash");
        assert!(!ok, "{out}");
        assert!(
            out.contains(&format!("{rel}:")) && out.contains("LNK001"),
            "{rel}: {out}"
        );
    }
}

#[test]
fn renaming_or_deleting_a_linked_note_reports_the_notes_that_link_to_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = repo(tmp.path());
    let from = format!("{VAULT}/10-Concepts/c-caching.md");
    let to = format!("{VAULT}/10-Concepts/c-caching-basics.md");
    git_ok(&repo, &["mv", &from, &to]);
    let (ok, text) = commit(&repo, "rename");
    assert!(!ok, "links to the old name break:\n{text}");
    // Reported at those links only: every line names the old target.
    let findings: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(": LNK") || l.contains(": REF"))
        .collect();
    assert!(!findings.is_empty(), "{text}");
    assert!(
        findings.iter().all(|l| l.contains("c-caching")),
        "only the broken links are reported:\n{text}"
    );
    assert!(
        findings
            .iter()
            .any(|l| l.contains("q-cache-invalidation-strategies")),
        "{text}"
    );
    git_ok(&repo, &["mv", &to, &from]);
    let (ok, text) = commit(&repo, "nothing");
    assert!(!ok && text.contains("nothing to commit"), "{text}");
    git_ok(&repo, &["rm", "-q", &from]);
    let (ok, text) = commit(&repo, "delete");
    assert!(!ok, "links to a deleted note break:\n{text}");
    assert!(text.contains("c-caching"), "{text}");
}
