//! `decksmith sync` on a bad day, against the real Anki engine (anki-connect-server): two runs
//! at once, runs killed while Anki adds their notes, tags Anki folds to another case, tags the
//! user adds in Anki, duplicates from any cause. The invariants: no duplicate, a second sync
//! changes nothing, the user's data in Anki stays.

mod common;

use common::output_text as text;

use decksmith::anki::action;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use common::anki::AnkiServer;
use decksmith::anki::Client;
use serde_json::{Value, json};

fn vault() -> tempfile::TempDir {
    common::anki::demo_vault()
}

fn command(url: &str, dir: &Path, extra: &[&str]) -> Command {
    common::anki::sync_command(url, dir, extra)
}

fn sync(url: &str, dir: &Path, extra: &[&str]) -> Output {
    command(url, dir, extra).output().expect("runs")
}

/// The JSON outcome of a run that must have exited with 0.
fn outcome(o: &Output) -> Value {
    assert_eq!(o.status.code(), Some(0), "{}", text(o));
    serde_json::from_slice(&o.stdout).expect("json outcome")
}

/// decksmith's notes in Anki, by slug: how many notes carry each.
fn slugs(client: &Client) -> BTreeMap<String, usize> {
    let ids = client.find_notes("\"note:decksmith\"").expect("findNotes");
    let mut out = BTreeMap::new();
    for (_, info) in client.notes_info(&ids).expect("notesInfo") {
        *out.entry(info.field("Slug").unwrap_or_default().to_string())
            .or_default() += 1;
    }
    out
}

fn duplicated(client: &Client) -> Vec<(String, usize)> {
    slugs(client).into_iter().filter(|(_, n)| *n > 1).collect()
}

fn files(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, SystemTime)> {
    common::file_states(dir)
}

/// A server, its client, and a copy of the demo vault synced once into it (`None`: no
/// backend, and the test is skipped as `common::anki` decides).
fn synced_demo() -> Option<(AnkiServer, Client, tempfile::TempDir)> {
    let server = AnkiServer::start()?;
    let client = Client::new(&server.url, None).expect("client");
    let dir = vault();
    outcome(&sync(&server.url, dir.path(), &["--format", "json"]));
    Some((server, client, dir))
}

/// The id of the Anki note of `slug`, and an `addNote` note with the same fields.
fn note_of(client: &Client, slug: &str) -> (i64, Value) {
    let id = client
        .find_notes(&format!("\"Slug:{slug}\""))
        .expect("find")[0];
    let info = &client.notes_info(&[id]).expect("info")[&id];
    let mut fields = serde_json::Map::new();
    for f in ["Front", "Back", "Slug", "Source"] {
        fields.insert(f.into(), json!(info.field(f).unwrap_or_default()));
    }
    let note = json!({ "deckName": "SystemDesign", "modelName": "decksmith",
        "fields": fields, "tags": ["decksmith"] });
    (id, note)
}

/// Start over: no decksmith note in Anki, no `anki_cards` in the vault's notes.
fn forget(dir: &Path, client: &Client) {
    for (rel, text) in common::notes(dir) {
        if let Some(at) = text.find("anki_cards:") {
            let end = text[at..]
                .find("\n---\n")
                .map_or(text.len(), |n| at + n + 1);
            let cut = format!("{}{}", &text[..at], &text[end..]);
            std::fs::write(dir.join(rel), cut).expect("write");
        }
    }
    let ids = client.find_notes("\"note:decksmith\"").expect("find");
    client.delete_notes(&ids).expect("delete");
}

/// A vault of `notes` generated Q&A notes (two cards each), for runs long enough to kill.
fn big_vault(notes: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(
        common::fixture("vault")
            .join("30-System-Design/q-cache-invalidation-strategies--system-design--medium.md"),
    )
    .expect("read");
    let (front, body) = text[4..].split_once("\n---\n").expect("front matter");
    let front: String = front
        .lines()
        .take_while(|l| !l.starts_with("anki_cards:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::create_dir_all(dir.path().join("notes")).expect("mkdir");
    for i in 0..notes {
        let name = format!("q-generated-{i:04}--system-design--medium.md");
        let note = format!(
            "---\n{}---\n{body}",
            front.replace("id: sysdes-101", &format!("id: gen-{i:04}"))
        );
        std::fs::write(dir.path().join("notes").join(name), note).expect("write");
    }
    std::fs::write(
        dir.path().join("decksmith.toml"),
        "[anki]\nchunk-size = 40\n",
    )
    .expect("config");
    dir
}

#[test]
fn two_syncs_at_once_create_no_duplicate() {
    let Some(server) = AnkiServer::start() else {
        return;
    };
    let client = Client::new(&server.url, None).expect("client");
    let dir = big_vault(60);
    let a = command(&server.url, dir.path(), &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("first");
    let b = command(&server.url, dir.path(), &["--wait"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("second");
    let c = sync(&server.url, dir.path(), &[]);
    let a = a.wait_with_output().expect("first ends");
    let b = b.wait_with_output().expect("second ends");
    // A run without --wait that finds the vault busy says who holds it and changes nothing;
    // the one with --wait runs after the others.
    for o in [&a, &c] {
        match o.status.code() {
            Some(0) => {}
            Some(2) => assert!(
                // The holder is named once it has written its pid; a moment before, it
                // is reported as starting.
                text(o).contains("another sync of this vault is running (process ")
                    || text(o).contains(
                        "another sync of this vault is running (its process is starting)"
                    ),
                "{}",
                text(o)
            ),
            _ => panic!("{}", text(o)),
        }
    }
    assert_eq!(b.status.code(), Some(0), "{}", text(&b));
    assert!(duplicated(&client).is_empty(), "{:?}", duplicated(&client));
    assert_eq!(slugs(&client).len(), 120);
}

/// Kill sync while Anki adds its notes, re-run at once, and again: never a duplicate, and the
/// vault converges.
#[test]
fn a_sync_killed_during_its_adds_and_rerun_at_once_duplicates_nothing() {
    let Some(server) = AnkiServer::start() else {
        return;
    };
    let client = Client::new(&server.url, None).expect("client");
    let kills: usize = std::env::var("DECKSMITH_KILL_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
    let dir = big_vault(100);
    let journal = dir.path().join(".decksmith-cache/sync-journal.json");
    let mut killed_with_journal = 0;
    for round in 0..kills {
        // Fresh notes each round.
        forget(dir.path(), &client);
        let mut child = command(&server.url, dir.path(), &[])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sync");
        // Once the adds have begun, at a different moment each round.
        let deadline = Instant::now() + Duration::from_secs(60);
        while !journal.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        let delay = (round as u64 * 37) % 120;
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill();
        let _ = child.wait();
        if journal.exists() {
            killed_with_journal += 1;
        }
        let again = sync(&server.url, dir.path(), &[]);
        assert!(
            again.status.code().is_some_and(|c| c <= 1),
            "round {round}: {}",
            text(&again)
        );
        let dups = duplicated(&client);
        assert!(
            dups.is_empty(),
            "round {round} (killed after {delay} ms): {dups:?}"
        );
        let third = sync(&server.url, dir.path(), &["--format", "json"]);
        let o = outcome(&third);
        assert_eq!(
            o["created"].as_array().map(Vec::len),
            Some(0),
            "round {round}"
        );
    }
    eprintln!("{kills} kills, {killed_with_journal} while a request was in flight");
    assert!(
        killed_with_journal > 0,
        "no kill landed while Anki was adding notes: the test proves nothing"
    );
}

#[test]
fn tags_anki_folds_to_another_case_converge_and_a_second_sync_writes_nothing() {
    let Some(server) = AnkiServer::start() else {
        return;
    };
    let dir = vault();
    for (rel, tag) in [
        (
            "30-System-Design/q-rate-limiting-algorithms--system-design--hard.md",
            "Database",
        ),
        ("70-Kotlin/q-launch-vs-async--kotlin--easy.md", "database"),
    ] {
        let path = dir.path().join(rel);
        let text = std::fs::read_to_string(&path).expect("read");
        let text = text.replacen("tags:\n", &format!("tags:\n- {tag}\n"), 1);
        std::fs::write(&path, text).expect("write");
    }
    outcome(&sync(&server.url, dir.path(), &["--format", "json"]));
    let before = files(dir.path());
    let o = outcome(&sync(&server.url, dir.path(), &["--format", "json"]));
    let steps = o["plan"]["steps"].as_array().expect("steps");
    assert!(
        steps.iter().all(|s| s["action"].get("unchanged").is_some()
            && s["add_tags"].as_array().is_some_and(Vec::is_empty)
            && s["remove_tags"].as_array().is_some_and(Vec::is_empty)),
        "{o:#}"
    );
    assert_eq!(o["written"], json!([]), "{o:#}");
    // Reads only: the version, note type, decks and notes, then their fields.
    assert!(o["requests"].as_u64().is_some_and(|n| n <= 2), "{o:#}");
    assert_eq!(files(dir.path()), before, "a no-op sync touched a file");
}

#[test]
fn a_tag_added_in_anki_survives_and_only_decksmiths_own_tags_are_removed() {
    let Some((server, client, dir)) = synced_demo() else {
        return;
    };
    let ids = client.find_notes("\"Slug:sysdes-102-0-en\"").expect("find");
    client
        .call::<Value>(
            action::ADD_TAGS,
            json!({ "notes": ids, "tags": "my-own-tag" }),
            0,
        )
        .expect("addTags");
    // The vault drops one of its tags: decksmith removes that one and keeps the user's.
    let path = dir
        .path()
        .join("30-System-Design/q-rate-limiting-algorithms--system-design--hard.md");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, text.replace("- rate-limiting\n", "")).expect("write");
    let o = outcome(&sync(&server.url, dir.path(), &["--format", "json"]));
    let tags = &client.notes_info(&ids).expect("info")[&ids[0]].tags;
    assert!(tags.iter().any(|t| t == "my-own-tag"), "{tags:?} {o:#}");
    assert!(!tags.iter().any(|t| t == "rate-limiting"), "{tags:?}");
}

#[test]
fn notes_sharing_a_slug_are_reported_and_dedupe_keeps_the_recorded_one() {
    let Some((server, client, dir)) = synced_demo() else {
        return;
    };
    let slug = "sysdes-102-0-en";
    let (recorded, mut copy) = note_of(&client, slug);
    // Another tool (or a crash) added a second note with the slug.
    copy["options"] = json!({ "allowDuplicate": true });
    let extra: i64 = client
        .call(action::ADD_NOTE, json!({ "note": copy }), 0)
        .expect("addNote");
    let out = sync(&server.url, dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(&format!(
            "duplicate  {slug}  (Anki notes {extra} carry it too"
        )),
        "{}",
        text(&out)
    );
    let out = sync(&server.url, dir.path(), &["--dedupe"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let left = client
        .find_notes(&format!("\"Slug:{slug}\""))
        .expect("find");
    assert_eq!(left, vec![recorded]);
}

#[test]
fn an_interrupted_request_is_settled_before_the_next_run_plans() {
    let Some((server, client, dir)) = synced_demo() else {
        return;
    };
    let slug = "sysdes-102-0-en";
    let (_, late) = note_of(&client, slug);
    forget(dir.path(), &client);
    // A run that died while Anki was adding that note: the journal names its slug, and the
    // note lands after the new run has started.
    decksmith::sync::journal::record(dir.path(), &[slug], Duration::from_secs(20))
        .expect("journal");
    let started = Instant::now();
    let child = command(&server.url, dir.path(), &["--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sync");
    std::thread::sleep(Duration::from_millis(600));
    client
        .call::<Value>(action::ADD_NOTE, json!({ "note": late }), 0)
        .expect("the late note");
    let o = outcome(&child.wait_with_output().expect("ends"));
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(duplicated(&client).is_empty(), "{:?}", duplicated(&client));
    assert!(
        o["created"]
            .as_array()
            .is_some_and(|c| !c.iter().any(|s| s == slug)),
        "{o:#}"
    );
    assert!(
        !dir.path()
            .join(".decksmith-cache/sync-journal.json")
            .exists()
    );
}
