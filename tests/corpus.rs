//! The real-vault sample beside the repository (`../shared/corpus/interview-vault-sample`,
//! reference material that is not part of a user's clone): every front-matter defect its
//! MANIFEST lists is reported under its own code at the listed line, and the clean notes
//! stay clean. When the sample is absent the tests are skipped, and counted as skipped.

mod common;

use assert_cmd::Command;

fn sample() -> Option<std::path::PathBuf> {
    common::reference("corpus/interview-vault-sample")
}

/// `check` of the sample where it is: the reference material is read, never written, so no
/// cache is kept.
fn run(dir: &std::path::Path) -> (Option<i32>, String) {
    run_with(dir, &["--no-cache"])
}

fn run_with(dir: &std::path::Path, extra: &[&str]) -> (Option<i32>, String) {
    let out = Command::cargo_bin("decksmith")
        .expect("binary")
        .current_dir(dir)
        .args(["check", "--format", "concise", "--isolated"])
        .args(extra)
        .env_remove("DECKSMITH_NO_CACHE")
        .output()
        .expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn manifest_front_matter_defects_are_reported() {
    let Some(dir) = sample() else { return };
    let (code, text) = run(&dir);
    assert_eq!(code, Some(1));
    let expected = [
        // FM-BROKEN-FENCE: concept notes and MOCs, line 1.
        ("10-Concepts/c-activity.md:1:1: FM003", true),
        ("10-Concepts/c-hilt.md:1:1: FM003", true),
        ("10-Concepts/c-dependency-injection.md:1:1: FM003", true),
        ("10-Concepts/c-collections.md:1:1: FM003", true),
        ("10-Concepts/c-architecture-patterns.md:1:1: FM003", true),
        ("90-MOCs/moc-system-design.md:1:1: FM003", true),
        ("90-MOCs/moc-android.md:1:1: FM003", true),
        ("90-MOCs/moc-kotlin.md:1:1: FM003", true),
        ("90-MOCs/moc-tools.md:1:1: FM003", true),
        ("90-MOCs/moc-algorithms.md:1:1: FM003", true),
        ("90-MOCs/moc-architecture-patterns.md:1:1: FM003", true),
        // FM-MERGED-FENCE.
        (
            "80-Tools/q-git-merge-vs-rebase--tools--medium.md:1:1: FM004",
            true,
        ),
        // FM-BOGUS-KEY on line 2.
        (
            "70-Kotlin/q-list-vs-sequence--kotlin--medium.md:2:1: FM005",
            true,
        ),
        (
            "70-Kotlin/q-kotlin-partition-function--kotlin--easy.md:2:1: FM005",
            true,
        ),
        (
            "70-Kotlin/q-coroutine-memory-leak-detection--kotlin--hard.md:2:1: FM005",
            true,
        ),
        // FM-DUPLICATE-KEY: `id` on line 3 repeats line 2.
        (
            "40-Android/q-stable-annotation-compose--android--hard.md:3:1: FM007",
            true,
        ),
        // FM-ONLY-ANKI.
        (
            "70-Kotlin/q-singleton-object-keyword--kotlin--easy.md:2:1: FM009",
            true,
        ),
        (
            "70-Kotlin/q-stateflow-purpose--kotlin--medium.md:2:1: FM009",
            true,
        ),
        (
            "70-Kotlin/q-kotlin-val-vs-var--kotlin--easy.md:2:1: FM009",
            true,
        ),
        (
            "70-Kotlin/q-why-data-sealed-classes-needed--kotlin--medium.md:2:1: FM009",
            true,
        ),
        // FM-METADATA-IN-BODY from line 12; FM-SPLIT from line 17.
        (
            "70-Kotlin/q-singleton-object-keyword--kotlin--easy.md:12:1: FM006",
            true,
        ),
        (
            "70-Kotlin/q-stateflow-purpose--kotlin--medium.md:12:1: FM006",
            true,
        ),
        (
            "70-Kotlin/q-actor-pattern--kotlin--hard.md:17:1: FM006",
            true,
        ),
        // Cross-file duplicate ids, at the id value.
        (
            "30-System-Design/q-design-tinder--system-design--medium.md:2:5: NAM003",
            true,
        ),
        (
            "30-System-Design/q-design-yelp--system-design--medium.md:2:5: NAM003",
            true,
        ),
        ("10-Concepts/c-git.md:2:5: NAM003", true),
        ("10-Concepts/c-version-control.md:2:5: NAM003", true),
        // DATES-ORDER.
        (
            "20-Algorithms/q-data-structures-overview--algorithms--easy.md:24:10: DAT001",
            true,
        ),
        // HEADING-TRANSLIT.
        (
            "30-System-Design/q-sync-async-communication--system-design--medium.md:43:1: SEC002",
            true,
        ),
        (
            "30-System-Design/q-sync-async-communication--system-design--medium.md:115:1: SEC002",
            true,
        ),
    ];
    let links = [
        // RELATED-UNRESOLVED and LINK-UNRESOLVED (unresolved in the whole vault).
        "30-System-Design/q-sync-async-communication--system-design--medium.md:21:3: REF001",
        "30-System-Design/q-design-yelp--system-design--medium.md:526:",
        "40-Android/q-configuration-change-recreation--lifecycle--medium.md:158:",
        "10-Concepts/c-activity.md:193:",
        // Self-references and self-links.
        "40-Android/q-android-auto-guidelines--android--hard.md:20:3: REF002",
        "40-Android/q-android-auto-guidelines--android--hard.md:225:3: LNK002",
        "40-Android/q-android-auto-guidelines--android--hard.md:233:3: LNK002",
        "70-Kotlin/q-list-vs-sequence--kotlin--medium.md:119:3: REF002",
    ];
    let cards = [
        // ANKI-NULL and ANKI-NO-LANGUAGE (lines 32–37).
        "30-System-Design/q-design-airbnb--system-design--medium.md:33:3: ANK003",
        "30-System-Design/q-design-airbnb--system-design--medium.md:34:3: ANK004",
        // ANKI-SLUG-BASE: an old id and the file name.
        "40-Android/q-how-to-start-drawing-ui-in-android--android--easy.md:4:3: ANK002",
        "40-Android/q-how-to-start-drawing-ui-in-android--android--easy.md:16:3: ANK002",
        // ANKI-SYNCED-AT-FORMAT (lines 41, 45).
        "40-Android/q-stateflow-flow-sharedflow-livedata--android--medium.md:41:14: ANK007",
        "40-Android/q-stateflow-flow-sharedflow-livedata--android--medium.md:45:14: ANK007",
        // Malformed base, ANKI-PAIR, ANKI-LANG-VS-TAGS.
        "70-Kotlin/q-custom-dispatchers-limited-parallelism--kotlin--hard.md:9:3: ANK002",
        "70-Kotlin/q-custom-dispatchers-limited-parallelism--kotlin--hard.md:13:3: ANK005",
        "70-Kotlin/q-custom-dispatchers-limited-parallelism--kotlin--hard.md:24:1: ANK009",
    ];
    for needle in cards {
        assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
    }
    // Consistent entries draw nothing: four synced entries of one note, and the compsci
    // notes' twelve.
    for quiet in [
        "20-Algorithms/q-data-structures-overview--algorithms--easy.md:",
        "compsci/q-algorithms-sorting.md:",
    ] {
        assert!(
            !text
                .lines()
                .any(|l| l.contains(quiet) && l.contains(": ANK")),
            "card findings in {quiet}:\n{text}"
        );
    }
    for needle in links {
        assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
    }
    // Links that resolve inside the sample: `|alias` links (with backticks too), MOC and
    // concept links, and links into notes whose own front matter is broken.
    for resolved in [
        "40-Android/q-hilt-entry-points--android--medium.md:53:",
        "40-Android/q-hilt-entry-points--android--medium.md:193:",
        "40-Android/q-how-to-start-drawing-ui-in-android--android--easy.md:64:",
        "40-Android/q-how-to-start-drawing-ui-in-android--android--easy.md:133:",
        "10-Concepts/c-activity.md:195:",
        "10-Concepts/c-dependency-injection.md:148:",
        "10-Concepts/c-recomposition.md:210:",
    ] {
        assert!(
            !text.contains(resolved),
            "false positive at `{resolved}`:\n{text}"
        );
    }
    for (needle, _) in expected {
        assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
    }
    // Negative controls: no finding at all in the clean notes.
    for clean in [
        "40-Android/q-hilt-entry-points--android--medium.md",
        "70-Kotlin/q-kotlin-immutable-collections--kotlin--easy.md",
        "90-MOCs/moc-cs.md",
    ] {
        assert!(!text.contains(clean), "false positive in {clean}:\n{text}");
    }
    // A merged fence is not read as front matter (no schema noise for lines 2–15).
    assert!(
        !text.contains("q-git-merge-vs-rebase--tools--medium.md:2:"),
        "{text}"
    );
}

/// The same bytes every time: without the caches, and on a copy with them (the first run
/// fills them, the second reads them).
#[test]
fn output_is_byte_identical_across_runs() {
    let Some(dir) = sample() else { return };
    let first = run(&dir);
    assert_eq!(run(&dir), first);
    let copy = tempfile::tempdir().expect("tempdir");
    common::copy_dir(&dir, copy.path());
    assert_eq!(run_with(copy.path(), &[]), first);
    assert_eq!(run_with(copy.path(), &[]), first);
    assert!(copy.path().join(".decksmith-cache/check-v1.bin").is_file());
}

/// `check --fix --unsafe-fixes` on a copy of the sample: every front-matter defect that can
/// be repaired without history is; what is left is exactly the damage no fix may guess at
/// (each listed by its finding); and a second run changes no byte.
#[test]
fn fixing_the_sample_repairs_all_it_can_and_settles() {
    let Some(dir) = sample() else { return };
    let copy = tempfile::tempdir().expect("tempdir");
    common::copy_dir(&dir, copy.path());
    for path in common::files_below(copy.path()) {
        let mut perms = std::fs::metadata(&path).expect("meta").permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&path, perms).expect("writable");
    }
    let fix = Command::cargo_bin("decksmith")
        .expect("binary")
        .current_dir(copy.path())
        .args([
            "check",
            "--isolated",
            "--fix",
            "--unsafe-fixes",
            "--format",
            "concise",
        ])
        .output()
        .expect("runs");
    let out = String::from_utf8_lossy(&fix.stdout).into_owned();
    assert!(out.contains("Fixed "), "{out}");
    assert!(!out.contains("Left "), "no proven fix was refused: {out}");
    let (_, after) = run(copy.path());
    let mut left: Vec<String> = after
        .lines()
        .filter_map(|l| {
            let (path, rest) = l.split_once(':')?;
            let code = rest.split_whitespace().nth(1)?;
            code.starts_with("FM").then(|| format!("{path} {code}"))
        })
        .collect();
    left.sort();
    left.dedup();
    assert_eq!(
        left,
        [
            // Two different ids: which names the cards is the user's call.
            "40-Android/q-stable-annotation-compose--android--hard.md FM007",
            // The leaked block repeats `anki_cards`: which copy is right is the user's call.
            "70-Kotlin/q-actor-pattern--kotlin--hard.md FM006",
            // Metadata lost with no leaked copy: only history (--restore-from-git) has it.
            "70-Kotlin/q-kotlin-val-vs-var--kotlin--easy.md FM009",
            "70-Kotlin/q-why-data-sealed-classes-needed--kotlin--medium.md FM009",
        ],
        "{after}"
    );
    let before = common::file_states(copy.path());
    let again = Command::cargo_bin("decksmith")
        .expect("binary")
        .current_dir(copy.path())
        .args(["check", "--isolated", "--diff", "--unsafe-fixes"])
        .output()
        .expect("runs");
    assert_eq!(again.status.code(), Some(0), "{again:?}");
    assert!(again.stdout.is_empty());
    assert_eq!(common::file_states(copy.path()), before);
}
