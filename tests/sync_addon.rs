//! Sync against the behaviours of the real AnkiConnect add-on that the test backend does not
//! reproduce, played by a small in-process server with the add-on's reply shapes (from the
//! recordings): `addNotes` ignoring `deckName` on Anki 26 (notes land in `Default`), `null`
//! slots for refused notes, the 25.x line's all-or-nothing rollback with a stringified error
//! list, `{}` placeholders for deleted notes, and `canAddNotes` refusing notes of a deck that
//! does not exist. Every connection is closed after one reply. Also the AnkiWeb sync after a
//! push (whose success and failure replies are recorded ones), a backend that echoes the
//! request with its API key, and values from Anki that would act on a terminal.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

/// The note whose front the fake add-on refuses to add (as it refuses an empty front).
const POISON: &str = "Как работает алгоритм «скользящее окно»?";

/// A note in the fake collection: fields, tags, deck.
type FakeNote = (BTreeMap<String, String>, Vec<String>, String);

#[derive(Default)]
struct State {
    notes: BTreeMap<i64, FakeNote>,
    next: i64,
    model: bool,
    decks: Vec<String>,
    /// Roll back a whole `addNotes` call when one note fails (the 25.x line).
    rollback: bool,
    /// AnkiConnect has an API key and the request carries none.
    key_required: bool,
    /// Requests with this action fail.
    failing: Option<&'static str>,
    /// A deck that `createDeck` says it created but does not (as a deck name Anki rejects).
    lost_deck: Option<&'static str>,
    /// The deck of every note `canAddNotes` was asked about.
    probed: Vec<String>,
    actions: Vec<String>,
    /// The reply to `sync` (AnkiWeb); none: `unsupported action`.
    ankiweb: Option<Value>,
    /// Answer every request with the request itself, and how.
    echo: Option<Echo>,
}

/// How a broken backend echoes the request it got.
#[derive(Clone, Copy)]
enum Echo {
    /// As the text of its error.
    InError,
    /// As the whole reply: JSON, but no AnkiConnect reply.
    AsReply,
}

fn ok(v: Value) -> Value {
    json!({ "result": v, "error": null })
}

fn err(m: &str) -> Value {
    json!({ "result": null, "error": m })
}

fn refused(note: &Value) -> bool {
    note["fields"]["Front"]
        .as_str()
        .is_some_and(|f| f.contains(POISON))
}

fn handle(s: &mut State, action: &str, p: &Value) -> Value {
    s.actions.push(action.to_string());
    if s.key_required {
        return err("valid api key must be provided");
    }
    // A whole request fails, as when Anki is closed part-way through a sync.
    let subs = p["actions"].as_array().map_or(&[][..], Vec::as_slice);
    if s.failing
        .is_some_and(|f| f == action || subs.iter().any(|a| a["action"] == f))
    {
        return err("collection is not available");
    }
    match action {
        "version" => ok(json!(6)),
        "apiReflect" => ok(json!({"scopes": ["actions"], "actions": [
            "addNotes", "addNote", "canAddNotes", "updateNoteFields", "addTags", "removeTags",
            "changeDeck", "createDeck", "getDecks", "findCards", "findNotes", "notesInfo", "multi"]})),
        "modelFieldNames" if s.model => ok(json!(["Front", "Back", "Slug", "Source"])),
        "modelFieldNames" => err("model was not found: decksmith"),
        "createModel" => {
            s.model = true;
            ok(json!({"name": "decksmith"}))
        }
        // Anki always has `Default`.
        "deckNames" => ok(json!(std::iter::once("Default").chain(s.decks.iter().map(String::as_str)).collect::<Vec<_>>())),
        "createDeck" => {
            let deck = p["deck"].as_str().unwrap_or("");
            if s.lost_deck != Some(deck) {
                s.decks.push(deck.to_string());
            }
            ok(json!(1))
        }
        "findNotes" => {
            // `"note:decksmith" "deck:D" -"deck:D::*"` lists the notes of deck D.
            let q = p["query"].as_str().unwrap_or("");
            let deck = q.split("\"deck:").nth(1).and_then(|r| r.split('"').next());
            ok(json!(s.notes.iter().filter(|(_, n)| deck.is_none_or(|d| n.2 == d)).map(|(id, _)| *id).collect::<Vec<_>>()))
        }
        "getDecks" => {
            let mut by_deck: BTreeMap<String, Vec<i64>> = BTreeMap::new();
            for c in p["cards"].as_array().map_or(&vec![], |a| a) {
                let cid = c.as_i64().unwrap_or(0);
                if let Some(n) = s.notes.get(&(cid - 1)) {
                    by_deck.entry(n.2.clone()).or_default().push(cid);
                }
            }
            ok(json!(by_deck))
        }
        "findCards" => {
            // `nid:1,2 -("deck:D" -"deck:D::*")`: those of the notes whose card is not in D.
            let q = p["query"].as_str().unwrap_or("");
            let (nids, rest) = q.split_once(' ').unwrap_or((q, ""));
            let not_in = rest.split("\"deck:").nth(1).and_then(|r| r.split('"').next());
            let ids: Vec<i64> = match nids.strip_prefix("nid:") {
                Some(list) => list.split(',').filter_map(|n| n.parse().ok()).filter(|n| s.notes.contains_key(n)).collect(),
                None => s.notes.keys().copied().collect(),
            };
            let ids = ids.into_iter().filter(|n| not_in.is_none_or(|d| s.notes[n].2 != d));
            // Card id = note id + 1.
            ok(json!(ids.map(|i| i + 1).collect::<Vec<_>>()))
        }
        "notesInfo" => ok(Value::Array(
            p["notes"].as_array().map_or(&vec![], |a| a).iter().map(|id| {
                let id = id.as_i64().unwrap_or(0);
                match s.notes.get(&id) {
                    // The add-on keeps a `{}` placeholder for a deleted note.
                    None => json!({}),
                    Some((f, t, _)) => json!({"noteId": id, "modelName": "decksmith", "tags": t, "cards": [id + 1],
                        "fields": f.iter().map(|(k, v)| (k.clone(), json!({"value": v, "order": 0}))).collect::<serde_json::Map<_, _>>()}),
                }
            }).collect(),
        )),
        "cardsInfo" => ok(Value::Array(
            p["cards"].as_array().map_or(&vec![], |a| a).iter().map(|c| {
                let nid = c.as_i64().unwrap_or(0) - 1;
                match s.notes.get(&nid) {
                    None => json!({}),
                    Some((_, _, d)) => json!({"cardId": nid + 1, "note": nid, "deckName": d}),
                }
            }).collect(),
        )),
        // Duplicates are allowed: only a missing deck (or an empty front) refuses a note.
        "canAddNotes" => {
            let notes = p["notes"].as_array().cloned().unwrap_or_default();
            let verdicts: Vec<bool> = notes
                .iter()
                .map(|n| {
                    let deck = n["deckName"].as_str().unwrap_or("").to_string();
                    let known = deck == "Default" || s.decks.contains(&deck);
                    s.probed.push(deck);
                    known && n["fields"]["Front"].as_str().is_some_and(|f| !f.is_empty())
                })
                .collect();
            ok(json!(verdicts))
        }
        "addNotes" => {
            let notes = p["notes"].as_array().cloned().unwrap_or_default();
            if s.rollback && notes.iter().any(refused) {
                return err("['cannot create note because it is a duplicate']");
            }
            let slots: Vec<Value> = notes.iter().map(|n| if refused(n) { Value::Null } else { json!(add(s, n)) }).collect();
            ok(Value::Array(slots))
        }
        "addNote" if refused(&p["note"]) => err("cannot create note because it is a duplicate"),
        "addNote" => ok(json!(add(s, &p["note"]))),
        "changeDeck" => {
            let deck = p["deck"].as_str().unwrap_or("").to_string();
            for c in p["cards"].as_array().map_or(&vec![], |a| a) {
                if let Some(n) = s.notes.get_mut(&(c.as_i64().unwrap_or(0) - 1)) {
                    n.2 = deck.clone();
                }
            }
            ok(Value::Null)
        }
        "updateNoteFields" | "addTags" | "removeTags" | "deleteNotes" => ok(Value::Null),
        "sync" => s.ankiweb.clone().unwrap_or_else(|| err("unsupported action")),
        "multi" => ok(Value::Array(
            p["actions"].as_array().map_or(&vec![], |a| a).iter()
                .map(|a| handle(s, a["action"].as_str().unwrap_or(""), &a["params"])).collect(),
        )),
        _ => err("unsupported action"),
    }
}

/// Anki 26 with the add-on: the note lands in `Default`, whatever `deckName` said.
fn add(s: &mut State, note: &Value) -> i64 {
    s.next += 10;
    let id = 1_795_000_000_000 + s.next;
    let fields = note["fields"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default();
    let tags = note["tags"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    s.notes.insert(id, (fields, tags, "Default".to_string()));
    id
}

fn serve(state: Arc<Mutex<State>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut buf = vec![0; length];
            let _ = reader.read_exact(&mut buf);
            let req: Value = serde_json::from_slice(&buf).unwrap_or(Value::Null);
            let reply = {
                let mut s = state.lock().expect("lock");
                let raw = String::from_utf8_lossy(&buf).into_owned();
                match s.echo {
                    Some(Echo::InError) => err(&raw),
                    Some(Echo::AsReply) => req.clone(),
                    None => handle(&mut s, req["action"].as_str().unwrap_or(""), &req["params"]),
                }
            };
            let text = reply.to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{text}",
                text.len()
            );
        }
    });
    url
}

/// A fake add-on in `state`, its URL, and a copy of the demo vault.
fn start(state: State) -> (Arc<Mutex<State>>, String, tempfile::TempDir) {
    let state = Arc::new(Mutex::new(state));
    let url = serve(Arc::clone(&state));
    (state, url, vault())
}

fn vault() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    common::copy_dir(&common::fixture("vault"), dir.path());
    std::fs::remove_dir_all(dir.path().join("broken")).expect("drop broken notes");
    dir
}

fn sync(url: &str, dir: &std::path::Path) -> std::process::Output {
    sync_with(url, dir, &[], None)
}

/// `decksmith sync` with `extra` arguments and, when given, an API key.
fn sync_with(
    url: &str,
    dir: &std::path::Path,
    extra: &[&str],
    key: Option<&str>,
) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_decksmith"));
    cmd.args(["sync", "--anki-url", url])
        .args(extra)
        .arg(dir)
        .env("DECKSMITH_SYNCED_AT", "2026-02-01T10:00:00.000000+00:00")
        .env_remove("DECKSMITH_ANKI_KEY");
    if let Some(key) = key {
        cmd.env("DECKSMITH_ANKI_KEY", key);
    }
    cmd.output().expect("runs")
}

/// A recorded reply of the real add-on.
fn recorded(name: &str) -> Value {
    common::anki::recorded("real", name).1
}

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn poison(dir: &std::path::Path) {
    // Make the Russian question of one note the one the add-on refuses.
    let p = dir.join("30-System-Design/q-rate-limiting-algorithms--system-design--hard.md");
    let text = std::fs::read_to_string(&p).expect("read");
    let start = text.find("# Вопрос (RU)\n> ").expect("RU question") + "# Вопрос (RU)\n> ".len();
    let end = start + text[start..].find('\n').expect("line");
    std::fs::write(&p, format!("{}{POISON}{}", &text[..start], &text[end..])).expect("write");
}

#[test]
fn new_notes_are_moved_to_their_deck() {
    let (state, url, dir) = start(State::default());
    let out = sync(&url, dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let s = state.lock().expect("lock");
    assert_eq!(s.notes.len(), 14);
    // The add-on put every note in `Default`; sync saw it and moved them.
    assert!(
        s.notes
            .values()
            .all(|n| n.2 == "SystemDesign" || n.2 == "Kotlin"),
        "{:?}",
        s.notes.values().map(|n| &n.2).collect::<Vec<_>>()
    );
    assert!(s.actions.iter().any(|a| a == "changeDeck"));
}

#[test]
fn refused_notes_are_named_and_the_rest_synced() {
    for rollback in [false, true] {
        let (state, url, dir) = start(State {
            rollback,
            ..State::default()
        });
        poison(dir.path());
        let out = sync(&url, dir.path());
        let text = String::from_utf8_lossy(&out.stdout);
        // Exit 1: finished, but a card failed; the failure is named.
        assert_eq!(out.status.code(), Some(1), "rollback={rollback}: {text}");
        assert!(
            text.contains("failed     sysdes-102-0-ru"),
            "rollback={rollback}: {text}"
        );
        assert!(text.contains("13 created"), "rollback={rollback}: {text}");
        assert_eq!(state.lock().expect("lock").notes.len(), 13);
        // The refused card gets no entry; its sibling does.
        let note = std::fs::read_to_string(
            dir.path()
                .join("30-System-Design/q-rate-limiting-algorithms--system-design--hard.md"),
        )
        .expect("read");
        assert!(
            note.contains("slug: sysdes-102-0-en") && !note.contains("slug: sysdes-102-0-ru"),
            "{note}"
        );
    }
}

#[test]
fn deleted_notes_answer_with_placeholders_and_are_recreated() {
    let (state, url, dir) = start(State::default());
    assert_eq!(sync(&url, dir.path()).status.code(), Some(0));
    {
        let mut s = state.lock().expect("lock");
        let first = *s.notes.keys().next().expect("a note");
        s.notes.remove(&first);
        s.actions.clear();
    }
    let out = sync(&url, dir.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1 created") && text.contains("recreate"),
        "{text}"
    );
    assert_eq!(state.lock().expect("lock").notes.len(), 14);
}

#[test]
fn notes_sharing_an_id_are_held_back() {
    let (state, url, dir) = start(State::default());
    let original = dir
        .path()
        .join("30-System-Design/q-rate-limiting-algorithms--system-design--hard.md");
    let copy = dir
        .path()
        .join("30-System-Design/q-rate-limiting-copy--system-design--hard.md");
    std::fs::copy(&original, &copy).expect("copy");
    let out = sync(&url, dir.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("failed     sysdes-102-0-en: the slug is claimed by"),
        "{text}"
    );
    // The other cards are synced; the clashing ones are not.
    assert_eq!(state.lock().expect("lock").notes.len(), 12);
}

#[test]
fn a_required_api_key_is_explained() {
    let (_state, url, dir) = start(State {
        key_required: true,
        ..State::default()
    });
    let out = sync(&url, dir.path());
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("DECKSMITH_ANKI_KEY") && err.contains("apiKey"),
        "{err}"
    );
}

#[test]
fn a_failure_after_adding_still_records_what_was_added() {
    let (state, url, dir) = start(State {
        failing: Some("changeDeck"),
        ..State::default()
    });
    let out = sync(&url, dir.path());
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("stopped: ") && text.contains("collection is not available"),
        "{text}"
    );
    assert!(text.contains("Synced: 14 created"), "{text}");
    // Every added note's id is in its file, though the run stopped before the deck fix.
    let ids: Vec<i64> = state.lock().expect("lock").notes.keys().copied().collect();
    let mut recorded = 0;
    for id in &ids {
        let found = common::notes(dir.path())
            .iter()
            .any(|(_, t)| t.contains(&format!("anki_id: {id}\n")));
        recorded += usize::from(found);
    }
    assert_eq!(recorded, ids.len());

    // The next run finishes the job: the cards are moved, nothing is added twice.
    state.lock().expect("lock").failing = None;
    let out = sync(&url, dir.path());
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}");
    let s = state.lock().expect("lock");
    assert_eq!(s.notes.len(), 14, "no duplicates");
    assert!(s.notes.values().all(|n| n.2 != "Default"), "{text}");
}

#[test]
fn the_preflight_asks_one_note_per_deck_and_every_note_of_a_refused_deck() {
    let (state, url, dir) = start(State {
        lost_deck: Some("Kotlin"),
        ..State::default()
    });
    let out = sync(&url, dir.path());
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{text}");
    for slug in [
        "kotlin-201-0-en",
        "kotlin-201-0-ru",
        "kotlin-201-1-en",
        "kotlin-201-1-ru",
    ] {
        assert!(
            text.contains(&format!(
                "failed     {slug}: Anki refuses the note (empty front or missing deck)"
            )),
            "{slug}: {text}"
        );
    }
    assert!(text.contains("Synced: 10 created"), "{text}");
    let s = state.lock().expect("lock");
    // One stand-in for each of the two decks; then, Kotlin's being refused, its other three.
    let mut probed = s.probed.clone();
    probed.sort();
    assert_eq!(
        probed,
        ["Kotlin", "Kotlin", "Kotlin", "Kotlin", "SystemDesign"],
        "{text}"
    );
    assert!(s.notes.values().all(|n| n.2 != "Kotlin"));
}

#[test]
fn anki_web_is_synced_after_a_complete_run_even_with_nothing_to_change() {
    // The add-on's `sync` answers nothing on success, as the recorded `deleteNotes` does.
    let (state, url, dir) = start(State {
        ankiweb: Some(recorded("deleteNotes")),
        ..State::default()
    });
    let out = sync_with(&url, dir.path(), &["--anki-web"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(report.ends_with("AnkiWeb: synced.\n"), "{report}");
    {
        let mut s = state.lock().expect("lock");
        // Once, after everything else.
        assert_eq!(s.actions.iter().filter(|a| *a == "sync").count(), 1);
        assert_eq!(s.actions.last().map(String::as_str), Some("sync"));
        s.actions.clear();
    }
    // Nothing to change: still synced, and the JSON says so.
    let out = sync_with(&url, dir.path(), &["--anki-web", "--format", "json"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["anki_web"], "synced", "{doc}");
    assert!(doc["created"].as_array().is_some_and(Vec::is_empty));
    assert_eq!(
        state
            .lock()
            .expect("lock")
            .actions
            .last()
            .map(String::as_str),
        Some("sync")
    );
}

#[test]
fn a_failed_anki_web_sync_exits_1_and_undoes_nothing() {
    // A backend without `sync` answers as the add-on does for any action it lacks.
    let (state, url, dir) = start(State {
        ankiweb: Some(recorded("unknown_action")),
        ..State::default()
    });
    let out = sync_with(&url, dir.path(), &["--anki-web", "--format", "json"], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        doc["anki_web"]["failed"], "AnkiConnect refused `sync`: unsupported action",
        "{doc}"
    );
    // The push stands: every note is in Anki and its id in the vault.
    assert_eq!(doc["created"].as_array().map(Vec::len), Some(14), "{doc}");
    assert_eq!(state.lock().expect("lock").notes.len(), 14);
    assert!(
        common::notes(dir.path())
            .iter()
            .any(|(_, t)| t.contains("anki_id: 1795"))
    );
    let out = sync_with(&url, dir.path(), &["--anki-web"], None);
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(
        report.contains("AnkiWeb: sync failed: AnkiConnect refused `sync`: unsupported action"),
        "{report}"
    );
}

#[test]
fn anki_web_is_left_alone_by_dry_runs_incomplete_runs_and_by_default() {
    let (state, url, dir) = start(State {
        ankiweb: Some(recorded("deleteNotes")),
        ..State::default()
    });
    let synced = |state: &Arc<Mutex<State>>| {
        let mut s = state.lock().expect("lock");
        let n = s.actions.iter().filter(|a| *a == "sync").count();
        s.actions.clear();
        n
    };
    let out = sync_with(&url, dir.path(), &["--anki-web", "--dry-run"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(synced(&state), 0, "a dry run");
    // A run with a refused card did not do everything it planned.
    poison(dir.path());
    let out = sync_with(&url, dir.path(), &["--anki-web"], None);
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(
        report.contains("AnkiWeb: not synced: the run did not do everything"),
        "{report}"
    );
    assert_eq!(synced(&state), 0, "an incomplete run");
    // Without the flag or the setting nothing is asked; the setting asks, the flag overrides.
    let dir = vault();
    assert_eq!(sync(&url, dir.path()).status.code(), Some(0));
    assert_eq!(synced(&state), 0, "not asked for");
    std::fs::write(
        dir.path().join("decksmith.toml"),
        "[anki]\nanki-web = true\n",
    )
    .expect("write");
    assert_eq!(
        sync_with(&url, dir.path(), &["--no-anki-web"], None)
            .status
            .code(),
        Some(0)
    );
    assert_eq!(synced(&state), 0, "--no-anki-web");
    assert_eq!(sync(&url, dir.path()).status.code(), Some(0));
    assert_eq!(synced(&state), 1, "[anki] anki-web = true");
}

#[test]
fn bad_anki_settings_stop_before_anything_is_sent() {
    let (state, url, dir) = start(State::default());
    let before = common::notes(dir.path());
    std::fs::write(
        dir.path().join("decksmith.toml"),
        "[anki]\nchunk-size = 0\n",
    )
    .expect("write");
    let out = sync(&url, dir.path());
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        err.contains("decksmith.toml") && err.contains("[anki] chunk-size = 0"),
        "{err}"
    );
    std::fs::remove_file(dir.path().join("decksmith.toml")).expect("remove");
    let out = sync("notaurl", dir.path());
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--anki-url \"notaurl\" is not an AnkiConnect address"),
        "{err}"
    );
    assert!(
        state.lock().expect("lock").actions.is_empty(),
        "nothing was sent"
    );
    assert_eq!(common::notes(dir.path()), before, "no note was written");
}

#[test]
fn a_backend_echoing_the_request_never_shows_the_api_key() {
    const KEY: &str = "sekr1t-0123456789abcdef";
    for (echo, what) in [
        (Echo::InError, "AnkiConnect refused `multi`: "),
        (
            Echo::AsReply,
            "AnkiConnect sent a malformed reply to `multi`: ",
        ),
    ] {
        let (_state, url, dir) = start(State {
            echo: Some(echo),
            ..State::default()
        });
        let out = sync_with(&url, dir.path(), &[], Some(KEY));
        let all = text(&out);
        // Nothing was changed: the first request failed.
        assert_eq!(out.status.code(), Some(3), "{all}");
        assert!(all.contains(what) && all.contains("<redacted>"), "{all}");
        if matches!(echo, Echo::AsReply) {
            assert!(all.contains("is not a compatible AnkiConnect"), "{all}");
        }
        assert!(
            !all.contains("sekr1t") && !all.contains("0123456789abcdef"),
            "{all}"
        );
    }
}

#[test]
fn what_anki_holds_cannot_act_on_a_terminal() {
    // A decksmith note in Anki whose card left the vault, with escape sequences in its slug.
    let mut state = State {
        model: true,
        ..State::default()
    };
    let slug = "evil\u{1b}]0;owned\u{7}\u{1b}[2J\u{9b}31m";
    let fields = [
        ("Front", "f"),
        ("Back", "b"),
        ("Slug", slug),
        ("Source", "s"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    state.notes.insert(
        1_795_000_000_001,
        (fields, vec!["decksmith".into()], "Default".into()),
    );
    let (_state, url, dir) = start(state);
    let out = sync_with(&url, dir.path(), &["--dry-run"], None);
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        report.contains("orphan     evil\\u{1b}]0;owned\\u{7}\\u{1b}[2J\\u{9b}31m"),
        "{report}"
    );
    assert!(
        !report.chars().any(|c| c.is_control() && c != '\n'),
        "{report:?}"
    );
    let out = sync_with(&url, dir.path(), &["--dry-run", "--format", "json"], None);
    let json = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        !json.chars().any(|c| c.is_control() && c != '\n'),
        "{json:?}"
    );
    // Escaped, not changed: the value reads back as Anki holds it.
    let doc: Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(doc["plan"]["orphans"][0][1], slug, "{doc}");
}
