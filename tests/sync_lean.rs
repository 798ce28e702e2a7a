//! A sync that changes nothing reads nothing it need not, against the real Anki engine
//! (anki-connect-server): after a sync some days ago, a run reads only the Anki notes edited
//! since and renders only the notes whose cards changed. The invariant: whatever happened in
//! Anki or the vault, the lean run plans exactly what a run that reads every note plans.
//!
//! "Days ago" is made by moving the collection's note modification times back (the server
//! stopped meanwhile) and the push state's mark with them.

mod common;

use common::output_text as text;

use decksmith::anki::action;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::SystemTime;

use common::anki::AnkiServer;
use decksmith::anki::Client;
use serde_json::{Value, json};

const DAY: i64 = 86_400;

fn sync(url: &str, dir: &Path, extra: &[&str]) -> Output {
    common::anki::sync_command(url, dir, extra)
        .output()
        .expect("runs")
}

/// The JSON outcome of a run that exited with `code`.
fn outcome_with(o: &Output, code: i32) -> Value {
    assert_eq!(o.status.code(), Some(code), "{}", text(o));
    serde_json::from_slice(&o.stdout).expect("json outcome")
}

fn outcome(o: &Output) -> Value {
    outcome_with(o, 0)
}

fn state_file(dir: &Path) -> PathBuf {
    dir.join(".decksmith-cache/sync-v1.json")
}

/// Move the push state's mark back by `days`, with the collection (see the module doc).
fn age(server: &mut AnkiServer, dir: &Path, days: i64) {
    server.age_notes(days);
    let path = state_file(dir);
    let mut state: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("state")).expect("state JSON");
    let mark = state["verified"]
        .as_i64()
        .expect("a complete run left a mark");
    state["verified"] = json!(mark - days * DAY);
    std::fs::write(&path, serde_json::to_vec(&state).expect("JSON")).expect("write state");
}

fn files(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, SystemTime)> {
    common::file_states(dir)
}

fn notes_read(o: &Value) -> u64 {
    o["notes_read"].as_u64().expect("notes_read")
}

fn all_unchanged(o: &Value) -> bool {
    o["plan"]["steps"].as_array().is_some_and(|steps| {
        steps.iter().all(|s| {
            s["action"].get("unchanged").is_some()
                && s["add_tags"].as_array().is_some_and(Vec::is_empty)
                && s["remove_tags"].as_array().is_some_and(Vec::is_empty)
                && s["move_deck"] == json!(false)
        })
    })
}

/// A server, its client and the demo vault, synced once, then left alone for three days and
/// synced again (that run reads the notes pushed three days ago once more and moves the
/// mark): from here on nothing needs reading. `None`: no backend, and the test is skipped
/// as `common::anki` decides.
fn synced_days_ago() -> Option<(AnkiServer, Client, tempfile::TempDir, usize)> {
    let mut server = AnkiServer::start()?;
    let client = Client::new(&server.url, None).expect("client");
    let dir = common::anki::demo_vault();
    let first = outcome(&sync(&server.url, dir.path(), &["--format", "json"]));
    let cards = first["created"].as_array().map_or(0, Vec::len);
    assert!(cards > 10, "{first:#}");
    age(&mut server, dir.path(), 3);
    let o = outcome(&sync(&server.url, dir.path(), &["--format", "json"]));
    assert!(all_unchanged(&o), "{o:#}");
    Some((server, client, dir, cards))
}

#[test]
fn a_sync_right_after_a_sync_reads_what_was_pushed_and_writes_nothing() {
    let Some(server) = AnkiServer::start() else {
        return;
    };
    let dir = common::anki::demo_vault();
    let first = outcome(&sync(&server.url, dir.path(), &["--format", "json"]));
    let cards = first["created"].as_array().map_or(0, Vec::len) as u64;
    let before = files(dir.path());
    let o = outcome(&sync(&server.url, dir.path(), &["--format", "json"]));
    assert!(all_unchanged(&o), "{o:#}");
    // Anki's search knows edits by day: what was pushed today is read again.
    assert_eq!(notes_read(&o), cards, "{o:#}");
    assert_eq!(files(dir.path()), before, "a no-op sync touched a file");
}

#[test]
fn a_vault_synced_days_ago_is_synced_without_reading_a_note() {
    let Some((server, _client, dir, _)) = synced_days_ago() else {
        return;
    };
    let before = files(dir.path());
    for _ in 0..2 {
        let o = outcome(&sync(&server.url, dir.path(), &["--format", "json"]));
        assert!(all_unchanged(&o), "{o:#}");
        assert_eq!(notes_read(&o), 0, "{o:#}");
        assert!(o["requests"].as_u64().is_some_and(|n| n <= 4), "{o:#}");
        assert_eq!(o["written"], json!([]), "{o:#}");
        assert_eq!(files(dir.path()), before, "a no-op sync touched a file");
    }
}

#[test]
fn notes_edited_in_anki_are_read_and_their_edits_kept() {
    let Some((server, client, dir, _)) = synced_days_ago() else {
        return;
    };
    let edited = client.find_notes("\"Slug:sysdes-101-0-en\"").expect("find");
    client
        .call::<Value>(
            action::UPDATE_NOTE_FIELDS,
            json!({ "note": { "id": edited[0], "fields": { "Back": "edited in Anki" } } }),
            0,
        )
        .expect("update");
    let tagged = client.find_notes("\"Slug:kotlin-201-0-en\"").expect("find");
    client
        .call::<Value>(
            action::ADD_TAGS,
            json!({ "notes": tagged, "tags": "mine" }),
            0,
        )
        .expect("addTags");
    // A conflict exits with 1.
    let o = outcome_with(&sync(&server.url, dir.path(), &["--format", "json"]), 1);
    assert_eq!(notes_read(&o), 2, "{o:#}");
    let steps = o["plan"]["steps"].as_array().expect("steps");
    let step = |slug: &str| {
        steps
            .iter()
            .find(|s| s["slug"] == slug)
            .unwrap_or_else(|| panic!("{slug}: {o:#}"))
    };
    assert!(
        step("sysdes-101-0-en")["action"].get("conflict").is_some(),
        "{o:#}"
    );
    assert_eq!(step("kotlin-201-0-en")["remove_tags"], json!([]), "{o:#}");
    let info = client.notes_info(&edited).expect("info");
    assert_eq!(info[&edited[0]].field("Back"), Some("edited in Anki"));
    let tags = &client.notes_info(&tagged).expect("info")[&tagged[0]].tags;
    assert!(tags.iter().any(|t| t == "mine"), "{tags:?}");
}

#[test]
fn an_edited_note_is_rendered_and_pushed_whole() {
    let Some((server, client, dir, _)) = synced_days_ago() else {
        return;
    };
    let path = dir
        .path()
        .join("30-System-Design/q-rate-limiting-algorithms--system-design--hard.md");
    let text = std::fs::read_to_string(&path).expect("read");
    let (head, tail) = text.split_at(text.find("## Answer (EN)").expect("answer"));
    let tail = tail.replacen("\n\n", "\n\nA sentence added in the vault.\n\n", 1);
    std::fs::write(&path, format!("{head}{tail}")).expect("write");
    let o = outcome(&sync(&server.url, dir.path(), &["--format", "json"]));
    assert_eq!(o["updated"], json!(["sysdes-102-0-en"]), "{o:#}");
    assert_eq!(notes_read(&o), 1, "{o:#}");
    let ids = client.find_notes("\"Slug:sysdes-102-0-en\"").expect("find");
    let info = client.notes_info(&ids).expect("info");
    let note = &info[&ids[0]];
    let back = note.field("Back").expect("Back");
    assert!(back.contains("A sentence added in the vault."), "{back}");
    assert!(
        note.field("Front").is_some_and(|f| f.len() > 20),
        "{:?}",
        note.field("Front")
    );
}

#[test]
fn a_note_gone_from_anki_has_every_note_read() {
    let Some((server, client, dir, cards)) = synced_days_ago() else {
        return;
    };
    let gone = client.find_notes("\"Slug:sysdes-101-0-ru\"").expect("find");
    client.delete_notes(&gone).expect("delete");
    let o = outcome(&sync(&server.url, dir.path(), &["--format", "json"]));
    // The collection may have been replaced by an older one: nothing is taken on trust.
    assert_eq!(notes_read(&o) as usize, cards - 1, "{o:#}");
    assert_eq!(o["created"], json!(["sysdes-101-0-ru"]), "{o:#}");
}

/// A small deterministic generator (xorshift), so a failing round can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// The plan of a dry run, without what says how it was read.
fn dry_plan(url: &str, dir: &Path, read_all: bool) -> Value {
    let mut extra = vec!["--dry-run", "--format", "json"];
    if read_all {
        extra.push("--read-all");
    }
    let o = sync(url, dir, &extra);
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", text(&o));
    let mut v: Value = serde_json::from_slice(&o.stdout).expect("json");
    let map = v.as_object_mut().expect("object");
    map.remove("notes_read");
    map.remove("requests");
    v
}

#[test]
fn a_lean_run_plans_what_a_run_reading_everything_plans() {
    let Some((mut server, client, dir, _)) = synced_days_ago() else {
        return;
    };
    let rounds: usize = std::env::var("DECKSMITH_LEAN_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(12);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let notes: Vec<PathBuf> = common::files_below(dir.path())
        .into_iter()
        .filter(|p| {
            p.extension().is_some_and(|e| e == "md")
                && std::fs::read_to_string(p).is_ok_and(|t| t.contains("anki_cards"))
        })
        .collect();
    assert!(notes.len() > 3, "{notes:?}");
    let mut lean_rounds = 0;
    for round in 0..rounds {
        let ids = client.find_notes("\"note:decksmith\"").expect("find");
        let id = ids[rng.below(ids.len())];
        let what = match rng.below(7) {
            0 => {
                client
                    .call::<Value>(action::UPDATE_NOTE_FIELDS,
                        json!({ "note": { "id": id, "fields": { "Front": format!("front {round}") } } }),
                        0,
                    )
                    .expect("update");
                "a field edited in Anki"
            }
            1 => {
                client
                    .call::<Value>(
                        action::ADD_TAGS,
                        json!({ "notes": [id], "tags": format!("user-{round}") }),
                        0,
                    )
                    .expect("addTags");
                "a tag added in Anki"
            }
            2 => {
                let info = client.notes_info(&[id]).expect("info");
                let fields: BTreeMap<String, String> = info[&id]
                    .fields
                    .iter()
                    .map(|(k, v)| (k.clone(), v.value.clone()))
                    .collect();
                client
                    .call::<Value>(
                        action::ADD_NOTE,
                        json!({ "note": {
                            "deckName": "Default",
                            "modelName": "decksmith",
                            "fields": fields,
                            "options": { "allowDuplicate": true },
                        } }),
                        0,
                    )
                    .expect("addNote");
                "a note duplicated in Anki"
            }
            3 => {
                let cards = client
                    .call::<Vec<i64>>(
                        action::FIND_CARDS,
                        json!({ "query": format!("nid:{id}") }),
                        0,
                    )
                    .expect("findCards");
                client
                    .call::<Value>(
                        action::CHANGE_DECK,
                        json!({ "cards": cards, "deck": "Elsewhere" }),
                        0,
                    )
                    .expect("changeDeck");
                "a card moved to another deck in Anki"
            }
            4 => {
                let path = &notes[rng.below(notes.len())];
                let text = std::fs::read_to_string(path).expect("read");
                let changed =
                    text.replacen("\n\n", &format!("\n\nEdited in round {round}.\n\n"), 2);
                std::fs::write(path, changed).expect("write");
                "a note edited in the vault"
            }
            5 => {
                let path = &notes[rng.below(notes.len())];
                let text = std::fs::read_to_string(path).expect("read");
                std::fs::write(path, text.replacen("tags:\n", "tags:\n- round-tag\n", 1))
                    .expect("write");
                "a tag added in the vault"
            }
            _ => {
                age(&mut server, dir.path(), 3);
                lean_rounds += 1;
                "three days without a change"
            }
        };
        let lean = dry_plan(&server.url, dir.path(), false);
        let full = dry_plan(&server.url, dir.path(), true);
        assert_eq!(lean, full, "round {round}, after {what}");
        // The real run, overwriting Anki's edits so the next round starts from a synced
        // state, then once more: that one must find nothing to do.
        let o = sync(
            &server.url,
            dir.path(),
            &["--overwrite", "--dedupe", "--format", "json"],
        );
        assert!(
            o.status.code().is_some_and(|c| c <= 1),
            "round {round}: {}",
            text(&o)
        );
        let again = outcome(&sync(&server.url, dir.path(), &["--format", "json"]));
        assert!(
            all_unchanged(&again),
            "round {round}, after {what}: {again:#}"
        );
    }
    assert!(
        lean_rounds > 0 || rounds < 7,
        "no round exercised the lean read"
    );
}

/// A note longer than what an index-only read takes (8 KB): read whole, written back, and an
/// edit at its very end is seen.
#[test]
fn a_long_note_is_written_back_and_an_edit_at_its_end_is_seen() {
    let Some(mut server) = AnkiServer::start() else {
        return;
    };
    let client = Client::new(&server.url, None).expect("client");
    let dir = common::anki::demo_vault();
    let rel = "30-System-Design/q-rate-limiting-algorithms--system-design--hard.md";
    let path = dir.path().join(rel);
    let text = std::fs::read_to_string(&path).expect("read");
    let filler = "Filler sentence in the English answer.\n".repeat(400);
    let long = text.replacen(
        "## Answer (EN)\n",
        &format!("## Answer (EN)\n\n{filler}"),
        1,
    );
    std::fs::write(&path, &long).expect("write");
    assert!(long.len() > 12_000);
    let o = outcome(&sync(&server.url, dir.path(), &["--format", "json"]));
    assert!(
        o["written"]
            .as_array()
            .is_some_and(|w| w.iter().any(|p| p == rel)),
        "{o:#}"
    );
    age(&mut server, dir.path(), 3);
    outcome(&sync(&server.url, dir.path(), &["--format", "json"]));
    let quiet = outcome(&sync(&server.url, dir.path(), &["--format", "json"]));
    assert_eq!(notes_read(&quiet), 0, "{quiet:#}");
    let text = std::fs::read_to_string(&path).expect("read");
    let at = text.rfind("Filler sentence").expect("filler");
    assert!(
        at > 8 * 1024,
        "the edit is past what an index-only read takes"
    );
    let edited = format!("{}The very last line, new.\n{}", &text[..at], &text[at..]);
    std::fs::write(&path, edited).expect("write");
    let o = outcome(&sync(&server.url, dir.path(), &["--format", "json"]));
    let updated = o["updated"].as_array().expect("updated");
    assert!(!updated.is_empty(), "{o:#}");
    for slug in updated {
        let ids = client
            .find_notes(&format!("\"Slug:{}\"", slug.as_str().expect("slug")))
            .expect("find");
        let info = client.notes_info(&ids).expect("info");
        let back = info[&ids[0]].field("Back").expect("Back");
        assert!(back.contains("The very last line, new."), "{back}");
    }
}
