//! The check cache never changes a result: after any sequence of edits, renames, deletions
//! and additions, a run that reuses cached findings reports exactly what a run without the
//! caches reports, byte for byte; and it re-checks only the notes an edit can affect.

mod common;

use std::path::{Path, PathBuf};

use decksmith::cli::output::{self, Rendered};
use decksmith::lint::{self, Report};
use decksmith::vault::load::{Caching, Targets};
use proptest::prelude::*;

/// Words for new names, headings, aliases and near-miss links.
const WORDS: &[&str] = &["cache", "queue", "Summary", "kotlin", "rate", "Кэш"];

#[derive(Clone, Debug)]
enum Op {
    /// Append a wikilink to another note, to one of its headings, or to a near miss.
    Link {
        note: usize,
        to: usize,
        how: u8,
    },
    /// Give a note another note's id (or its own back).
    SetId {
        note: usize,
        like: usize,
    },
    /// Append a heading.
    Heading {
        note: usize,
        word: usize,
    },
    /// Add an alias (a hint changes).
    Alias {
        note: usize,
        word: usize,
    },
    /// Cut the last line.
    Cut {
        note: usize,
    },
    /// Rename a note in its folder.
    Rename {
        note: usize,
        word: usize,
    },
    Delete {
        note: usize,
    },
    /// A new note: a copy of another under a new name.
    Add {
        like: usize,
        word: usize,
    },
    /// Write a note's bytes again, unchanged (its stamp moves, its hash does not).
    Rewrite {
        note: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let n = 0..64usize;
    let w = 0..WORDS.len();
    prop_oneof![
        (n.clone(), n.clone(), 0..3u8).prop_map(|(note, to, how)| Op::Link { note, to, how }),
        (n.clone(), n.clone()).prop_map(|(note, like)| Op::SetId { note, like }),
        (n.clone(), w.clone()).prop_map(|(note, word)| Op::Heading { note, word }),
        (n.clone(), w.clone()).prop_map(|(note, word)| Op::Alias { note, word }),
        n.clone().prop_map(|note| Op::Cut { note }),
        (n.clone(), w.clone()).prop_map(|(note, word)| Op::Rename { note, word }),
        n.clone().prop_map(|note| Op::Delete { note }),
        (n.clone(), w).prop_map(|(like, word)| Op::Add { like, word }),
        n.prop_map(|note| Op::Rewrite { note }),
    ]
}

/// The vault's notes, sorted.
fn notes(root: &Path) -> Vec<PathBuf> {
    common::files_below(root)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .filter(|p| !p.components().any(|c| c.as_os_str() == ".decksmith-cache"))
        .collect()
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Apply `op` to the vault at `root` (a no-op when it does not apply).
fn apply(root: &Path, op: &Op, step: usize) {
    let all = notes(root);
    if all.is_empty() {
        return;
    }
    let pick = |i: usize| all[i % all.len()].clone();
    let write = |p: &Path, text: &str| std::fs::write(p, text).expect("write");
    match *op {
        Op::Link { note, to, how } => {
            let (p, target) = (pick(note), stem(&pick(to)));
            let link = match how {
                0 => format!("[[{target}]]"),
                1 => format!("[[{target}#{}]]", WORDS[step % WORDS.len()]),
                _ => format!("[[{}x]]", &target[..target.len().saturating_sub(1)]),
            };
            write(&p, &format!("{}\nSee {link}.\n", read(&p)));
        }
        Op::SetId { note, like } => {
            let (p, other) = (pick(note), read(&pick(like)));
            let Some(id) = other.lines().find(|l| l.starts_with("id: ")) else {
                return;
            };
            let text = read(&p);
            let Some(own) = text.lines().find(|l| l.starts_with("id: ")) else {
                return;
            };
            write(&p, &text.replacen(own, id, 1));
        }
        Op::Heading { note, word } => {
            let p = pick(note);
            write(&p, &format!("{}\n## {}\n\nText.\n", read(&p), WORDS[word]));
        }
        Op::Alias { note, word } => {
            let p = pick(note);
            let text = read(&p);
            if text.contains("aliases:\n") {
                let alias = format!("aliases:\n- {} {step}\n", WORDS[word]);
                write(&p, &text.replacen("aliases:\n", &alias, 1));
            }
        }
        Op::Cut { note } => {
            let p = pick(note);
            let text = read(&p);
            let trimmed = text.trim_end_matches('\n');
            let cut = trimmed.rfind('\n').map_or("", |i| &trimmed[..=i]);
            write(&p, cut);
        }
        Op::Rename { note, word } => {
            let p = pick(note);
            let name = format!("q-{}-{step}--system-design--medium.md", WORDS[word]);
            std::fs::rename(&p, p.with_file_name(name)).expect("rename");
        }
        Op::Delete { note } => std::fs::remove_file(pick(note)).expect("delete"),
        Op::Add { like, word } => {
            let p = pick(like);
            let name = format!("c-{}-{step}.md", WORDS[word].to_lowercase());
            write(&p.with_file_name(name), &read(&p));
        }
        Op::Rewrite { note } => {
            let p = pick(note);
            write(&p, &read(&p));
        }
    }
}

/// Check the vault at `root` (the paths of `only`, else all of it), with or without the
/// caches: the full output and the report.
fn check(root: &Path, cached: bool, only: &[PathBuf]) -> (String, Report) {
    let settings = common::settings(root, &[]);
    let targets = Targets {
        cache: if cached { Caching::On } else { Caching::Off },
        paths: only.to_vec(),
        ..Targets::default()
    };
    let report = lint::check(&settings, &targets).expect("check runs");
    let text = output::full::render(&Rendered::new(&report), false, "");
    (text, report)
}

fn assert_same(root: &Path, only: &[PathBuf], context: &str) -> Report {
    let (plain, plain_report) = check(root, false, only);
    let (cached, report) = check(root, true, only);
    assert_eq!(cached, plain, "{context}");
    assert_eq!(report.diagnostics, plain_report.diagnostics, "{context}");
    assert_eq!(
        report.files_checked, plain_report.files_checked,
        "{context}"
    );
    report
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn cached_runs_report_what_uncached_runs_do(ops in prop::collection::vec(op(), 1..10)) {
        let dir = tempfile::tempdir().expect("tempdir");
        common::copy_dir(&common::fixture("vault"), dir.path());
        let root = dir.path();
        assert_same(root, &[], "first run");
        for (step, op) in ops.iter().enumerate() {
            apply(root, op, step);
            let context = format!("after {:?}", &ops[..=step]);
            assert_same(root, &[], &context);
            // A run on half of the notes reads the same cache, and keeps the rest of it.
            let half: Vec<PathBuf> = notes(root).into_iter().step_by(2).collect();
            assert_same(root, &half, &format!("{context}, half the notes"));
        }
        // Nothing changed since the last run: every note's findings are reused.
        let report = assert_same(root, &[], "a run after a run");
        prop_assert_eq!(report.files_cached, report.files_checked);
    }
}

/// The path of the fixture note whose file name starts with `prefix`.
fn note(root: &Path, prefix: &str) -> PathBuf {
    notes(root)
        .into_iter()
        .find(|p| stem(p).starts_with(prefix))
        .expect("fixture note")
}

#[test]
fn an_edit_rechecks_the_notes_it_can_affect_and_no_other() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::copy_dir(&common::fixture("vault"), dir.path());
    let root = dir.path();
    let first = assert_same(root, &[], "first run");
    assert_eq!(first.files_cached, 0);
    let all = first.files_checked;
    assert!(all > 10, "{all} notes");

    // A new sentence in a body: that note alone.
    let rate = note(root, "q-rate-limiting");
    std::fs::write(&rate, format!("{}\nOne more line.\n", read(&rate))).expect("write");
    let report = assert_same(root, &[], "a body edit");
    assert_eq!(report.files_cached, all - 1);

    // The caching note takes the id of the rate-limiting note: those two (the rule on
    // duplicate ids asks who else has each of their ids), and no other.
    let cache = note(root, "q-cache-invalidation");
    let text = read(&cache).replacen("id: sysdes-101", "id: sysdes-102", 1);
    assert!(read(&rate).contains("id: sysdes-102"), "fixture ids");
    std::fs::write(&cache, text).expect("write");
    let report = assert_same(root, &[], "a duplicate id");
    assert_eq!(report.files_cached, all - 2);

    // A note links to a heading of another: that note alone. Then the heading is renamed:
    // the note that has it, and the note that links to it (its anchors changed).
    let moc = note(root, "moc-system-design");
    let linked = format!("{}\nSee [[c-caching#Key Points (EN)]].\n", read(&moc));
    std::fs::write(&moc, linked).expect("write");
    let report = assert_same(root, &[], "an anchored link");
    assert_eq!(report.files_cached, all - 1);
    let caching = note(root, "c-caching");
    let text = read(&caching).replacen("## Key Points (EN)", "## Main Points (EN)", 1);
    std::fs::write(&caching, text).expect("write");
    let (text, report) = check(root, true, &[]);
    assert!(text.contains("no heading `Key Points (EN)`"), "{text}");
    assert_eq!(report.files_cached, all - 2);

    // A renamed note: every note's questions are asked again, and each gets its answer.
    std::fs::rename(&caching, caching.with_file_name("c-caching-basics.md")).expect("rename");
    assert_same(root, &[], "a rename");
    let report = assert_same(root, &[], "nothing changed");
    assert_eq!(report.files_cached, report.files_checked);
}

#[test]
fn settled_stamps_vouch_for_unchanged_notes_and_a_changed_stamp_is_looked_into() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::copy_dir(&common::fixture("vault"), dir.path());
    let root = dir.path();
    assert_same(root, &[], "first run");
    // Files this recent are not trusted by their stamps; two seconds on, they are.
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    let report = assert_same(root, &[], "stamps settle");
    assert_eq!(report.files_cached, report.files_checked);
    let report = assert_same(root, &[], "by stamps");
    assert_eq!(report.files_cached, report.files_checked);

    // One byte changed, size and modification time kept: the change time still moves.
    let p = note(root, "q-launch-vs-async");
    let meta = std::fs::metadata(&p).expect("meta");
    let text = read(&p)
        .replacen("id: ", "id:  ", 1)
        .replacen("\n\n", "\n", 1);
    assert_eq!(text.len() as u64, meta.len());
    std::fs::write(&p, text).expect("write");
    let file = std::fs::File::options().write(true).open(&p).expect("open");
    file.set_modified(meta.modified().expect("mtime"))
        .expect("set mtime");
    let report = assert_same(root, &[], "same size and mtime");
    assert_eq!(report.files_cached, report.files_checked - 1);

    // Made unreadable, unchanged: reported as such, not from the cache.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let q = note(root, "c-consistency");
        std::fs::set_permissions(&q, std::fs::Permissions::from_mode(0o000)).expect("chmod");
        // Root reads any file: the case only holds for other users.
        if std::fs::read(&q).is_err() {
            let (text, _) = check(root, true, &[]);
            assert!(text.contains("FS001"), "{text}");
        }
        std::fs::set_permissions(&q, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
}

#[test]
fn no_cache_neither_reads_nor_writes_the_caches() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::copy_dir(&common::fixture("vault"), dir.path());
    let (_, report) = check(dir.path(), false, &[]);
    assert_eq!(report.files_cached, 0);
    assert!(!dir.path().join(".decksmith-cache").exists());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_decksmith"))
        .args(["check", "--format", "concise"])
        .arg(dir.path())
        .env("DECKSMITH_NO_CACHE", "1")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(!dir.path().join(".decksmith-cache").exists());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_decksmith"))
        .args(["check", "--format", "concise"])
        .arg(dir.path())
        .env_remove("DECKSMITH_NO_CACHE")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(dir.path().join(".decksmith-cache/check-v1.bin").is_file());
}

/// `--fix` reads the cache: a note whose findings are reused is offered its fixes on the
/// bytes they were found on, read again when it is fixed.
#[test]
fn fixes_are_offered_on_reused_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::copy_dir(&common::fixture("vault"), dir.path());
    let root = dir.path();
    let settings = common::settings(root, &[]);
    let fixing = |cache| Targets {
        cache,
        keep_fixable: true,
        ..Targets::default()
    };
    let plain = lint::check(&settings, &fixing(Caching::Off)).expect("check runs");
    check(root, true, &[]);
    let cached = lint::check(&settings, &fixing(Caching::Read)).expect("check runs");
    assert_eq!(cached.files_cached, cached.files_checked);
    assert_eq!(cached.diagnostics, plain.diagnostics);
    let paths = |r: &Report| r.fixable.iter().map(|f| f.path.clone()).collect::<Vec<_>>();
    assert!(!paths(&plain).is_empty());
    assert_eq!(paths(&cached), paths(&plain));
    for f in &cached.fixable {
        let note = cached.read_again(f).expect("unchanged");
        assert_eq!(note.path, f.path);
    }
}
