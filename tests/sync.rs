//! `decksmith sync` end to end against a real Anki engine (anki-connect-server on a free
//! loopback port with a fresh collection; see `tests/common/anki.rs`). Nothing is mocked.

mod common;

use decksmith::anki::action;

use std::path::Path;
use std::process::Output;

use common::anki::AnkiServer;
use decksmith::anki::Client;
use serde_json::json;

use common::anki::SYNCED_AT;

fn vault() -> tempfile::TempDir {
    common::anki::demo_vault()
}

fn sync(url: &str, dir: &Path, extra: &[&str]) -> Output {
    common::anki::sync_command(url, dir, extra)
        .output()
        .expect("runs")
}

/// The run exited with 0 (else its output is shown).
fn assert_success(o: &Output) {
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        stdout(o),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The note id Anki holds for a slug.
fn id_of(client: &Client, slug: &str) -> i64 {
    let ids = client
        .find_notes(&format!("\"note:decksmith\" \"Slug:{slug}\""))
        .expect("findNotes");
    assert_eq!(ids.len(), 1, "one note for {slug}: {ids:?}");
    ids[0]
}

/// The rate-limiting note after its first sync is, byte for byte, the golden file (ids vary
/// by run: they are taken from Anki).
fn assert_golden(client: &Client, after: &[(String, String)]) {
    let rate = &after
        .iter()
        .find(|(p, _)| p.ends_with("q-rate-limiting-algorithms--system-design--hard.md"))
        .expect("note")
        .1;
    let golden = std::fs::read_to_string(
        common::repo().join("tests/golden/q-rate-limiting-algorithms--system-design--hard.md"),
    )
    .expect("golden file");
    let expected = golden
        .replace("<id-en>", &id_of(client, "sysdes-102-0-en").to_string())
        .replace("<id-ru>", &id_of(client, "sysdes-102-0-ru").to_string());
    assert_eq!(rate, &expected, "write-back differs from the golden file");
}

fn anki_id_in(text: &str, slug: &str) -> Option<i64> {
    let at = text.find(&format!("slug: {slug}\n"))?;
    let rest = &text[at..];
    let line = rest
        .lines()
        .take(4)
        .find(|l| l.trim_start().starts_with("anki_id:"))?;
    line.split(':').nth(1)?.trim().parse().ok()
}

#[test]
fn first_sync_then_no_op_then_one_edit() {
    let Some(server) = AnkiServer::start() else {
        return;
    };
    let dir = vault();
    let before = common::notes(dir.path());
    let out = sync(&server.url, dir.path(), &[]);
    assert_success(&out);
    assert!(stdout(&out).contains("14 created"), "{}", stdout(&out));

    // Anki holds the notes with their fields, deck and tags.
    let client = Client::new(&server.url, None).expect("client");
    let id = id_of(&client, "sysdes-102-0-ru");
    let info = client
        .notes_info(&[id])
        .expect("notesInfo")
        .remove(&id)
        .expect("note");
    assert!(
        info.field("Front").expect("Front").contains("ограничени"),
        "{info:?}"
    );
    assert!(
        info.field("Back").expect("Back").contains("<table>")
            || info.field("Back").expect("Back").contains("<p>")
    );
    assert_eq!(
        info.field("Source"),
        Some("30-System-Design/q-rate-limiting-algorithms--system-design--hard.md")
    );
    for tag in ["decksmith", "lang::ru", "difficulty::hard", "system-design"] {
        assert!(
            info.tags.iter().any(|t| t == tag),
            "{tag} missing: {:?}",
            info.tags
        );
    }
    let cards = client
        .call::<Vec<i64>>(action::FIND_CARDS, json!({"query": format!("nid:{id}")}), 1)
        .expect("findCards");
    assert_eq!(
        client.cards_info(&cards).expect("cardsInfo")[0].deck_name,
        "SystemDesign"
    );

    // The write-back, byte for byte (ids vary by run: compared with what Anki returned).
    let after = common::notes(dir.path());
    let changed: Vec<&str> = after
        .iter()
        .zip(&before)
        .filter(|(a, b)| a.1 != b.1)
        .map(|(a, _)| a.0.as_str())
        .collect();
    assert_eq!(changed.len(), 5, "{changed:?}");
    assert_golden(&client, &after);

    // A second sync changes nothing: two read requests, no file touched.
    let out = sync(&server.url, dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains("0 created, 0 updated") && stdout(&out).contains("; 2 requests"),
        "{}",
        stdout(&out)
    );
    assert_eq!(common::notes(dir.path()), after);

    // Editing one note's answer updates exactly that Anki note.
    let path = dir
        .path()
        .join("70-Kotlin/q-launch-vs-async--kotlin--easy.md");
    let text = std::fs::read_to_string(&path).expect("read");
    let edited = text.replacen(
        "## Answer (EN)\n",
        "## Answer (EN)\n\nA freshly added sentence.\n",
        1,
    );
    assert_ne!(text, edited);
    std::fs::write(&path, &edited).expect("write");
    let plan = sync(&server.url, dir.path(), &["--dry-run", "--diff"]);
    assert!(
        stdout(&plan).contains("update Back of note")
            && stdout(&plan).contains("+ <p>A freshly added sentence.</p>"),
        "{}",
        stdout(&plan)
    );
    let out = sync(&server.url, dir.path(), &[]);
    assert!(
        stdout(&out).contains("0 created, 1 updated"),
        "{}",
        stdout(&out)
    );
    let en0 = id_of(&client, "kotlin-201-0-en");
    let back = client
        .notes_info(&[en0])
        .expect("info")
        .remove(&en0)
        .expect("note");
    assert!(
        back.field("Back")
            .expect("Back")
            .contains("A freshly added sentence.")
    );
}

#[test]
fn lost_ids_are_recovered_and_deleted_notes_recreated() {
    let Some(server) = AnkiServer::start() else {
        return;
    };
    let dir = vault();
    assert_eq!(sync(&server.url, dir.path(), &[]).status.code(), Some(0));
    let client = Client::new(&server.url, None).expect("client");
    let path = dir
        .path()
        .join("30-System-Design/q-rate-limiting-algorithms--system-design--hard.md");
    let synced = std::fs::read_to_string(&path).expect("read");
    let en = anki_id_in(&synced, "sysdes-102-0-en").expect("id written");

    // Lose the ids of the whole list: the cards are found by slug, not duplicated.
    let cut = synced.find("anki_cards:\n").expect("list");
    let end = synced[cut..].find("---\n").expect("fence") + cut;
    std::fs::write(&path, format!("{}{}", &synced[..cut], &synced[end..])).expect("write");
    let out = sync(&server.url, dir.path(), &[]);
    assert!(stdout(&out).contains("0 created"), "{}", stdout(&out));
    let recovered = std::fs::read_to_string(&path).expect("read");
    assert_eq!(anki_id_in(&recovered, "sysdes-102-0-en"), Some(en));
    assert_eq!(
        client.find_notes("\"note:decksmith\"").expect("find").len(),
        14
    );

    // Delete a note in Anki: the next sync recreates it and records the new id.
    client.delete_notes(&[en]).expect("delete");
    let out = sync(&server.url, dir.path(), &[]);
    assert!(stdout(&out).contains("1 created"), "{}", stdout(&out));
    let again = anki_id_in(
        &std::fs::read_to_string(&path).expect("read"),
        "sysdes-102-0-en",
    )
    .expect("id");
    assert_ne!(again, en);
    assert_eq!(id_of(&client, "sysdes-102-0-en"), again);
}

#[test]
fn small_chunks_give_the_same_result() {
    let Some(server) = AnkiServer::start() else {
        return;
    };
    // Chunks of three cards: some notes' cards straddle two chunks, and notes are written
    // back while Anki adds the next chunk.
    let dir = vault();
    std::fs::write(
        dir.path().join("decksmith.toml"),
        "[anki]\nchunk-size = 3\n",
    )
    .expect("config");
    let out = sync(&server.url, dir.path(), &[]);
    assert_success(&out);
    assert!(
        stdout(&out).contains(
            "14 created, 0 updated, 0 deleted, 0 failed; 0 media stored; 5 notes written"
        ),
        "{}",
        stdout(&out)
    );
    let client = Client::new(&server.url, None).expect("client");
    let after = common::notes(dir.path());
    let mut recorded = 0;
    for (_, text) in &after {
        for line in text
            .lines()
            .filter(|l| l.trim_start().starts_with("- slug: "))
        {
            let slug = line.trim_start().trim_start_matches("- slug: ");
            if let Some(id) = anki_id_in(text, slug)
                && text.contains(&format!("synced_at: '{SYNCED_AT}'"))
            {
                assert_eq!(id, id_of(&client, slug), "{slug}");
                recorded += 1;
            }
        }
    }
    assert_eq!(recorded, 14, "every card's id is in its note");
    assert_golden(&client, &after);
    let out = sync(&server.url, dir.path(), &[]);
    assert!(
        stdout(&out).contains("0 created, 0 updated") && stdout(&out).contains("; 2 requests"),
        "{}",
        stdout(&out)
    );
    assert_eq!(common::notes(dir.path()), after);
}

#[test]
fn a_note_edited_in_anki_is_kept_until_overwrite() {
    let Some(server) = AnkiServer::start() else {
        return;
    };
    let dir = vault();
    assert_success(&sync(&server.url, dir.path(), &[]));
    let client = Client::new(&server.url, None).expect("client");
    let en = id_of(&client, "kotlin-201-0-en");
    let back = |client: &Client| {
        client
            .notes_info(&[en])
            .expect("notesInfo")
            .remove(&en)
            .expect("note")
            .field("Back")
            .expect("Back")
            .to_string()
    };
    let pushed = back(&client);
    // The user fixes a typo in Anki.
    client
        .raw(
            action::UPDATE_NOTE_FIELDS,
            json!({"note": {"id": en, "fields": {"Back": "<p>Fixed in Anki.</p>"}}}),
            1,
        )
        .expect("updateNoteFields");
    let before = common::notes(dir.path());
    let out = sync(&server.url, dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains(&format!(
            "conflict: Back of note {en} edited in Anki since the last sync (kept; --overwrite replaces it): kotlin-201-0-en"
        )) && stdout(&out).contains("13 unchanged, 1 edited in Anki and kept"),
        "{}",
        stdout(&out)
    );
    assert_eq!(back(&client), "<p>Fixed in Anki.</p>", "the edit survives");
    assert_eq!(common::notes(dir.path()), before, "nothing written");
    // Asked to, the vault's version wins; then all is quiet again.
    let out = sync(&server.url, dir.path(), &["--overwrite"]);
    assert_success(&out);
    assert!(
        stdout(&out).contains("0 created, 1 updated"),
        "{}",
        stdout(&out)
    );
    assert_eq!(back(&client), pushed);
    let out = sync(&server.url, dir.path(), &[]);
    assert_success(&out);
    assert!(
        stdout(&out).contains("0 created, 0 updated") && stdout(&out).contains("; 2 requests"),
        "{}",
        stdout(&out)
    );
}

fn field_names(client: &Client) -> Vec<String> {
    client
        .call(
            action::MODEL_FIELD_NAMES,
            json!({"modelName": "decksmith"}),
            0,
        )
        .expect("modelFieldNames")
}

#[test]
fn a_foreign_note_type_is_refused_and_changed_only_on_request() {
    let Some(server) = AnkiServer::start() else {
        return;
    };
    let client = Client::new(&server.url, None).expect("client");
    client
        .raw(action::CREATE_MODEL,
            json!({"modelName": "decksmith", "inOrderFields": ["Back", "Extra", "Front"], "isCloze": false,
                   "cardTemplates": [{"Name": "C", "Front": "{{Front}}", "Back": "{{Back}}"}]}),
            0,
        )
        .expect("createModel");
    let dir = vault();
    let before = common::notes(dir.path());
    let out = sync(&server.url, dir.path(), &[]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("note type `decksmith`")
            && err.contains("changes a note type only when asked")
            && err.contains("--update-note-type"),
        "{err}"
    );
    assert_eq!(common::notes(dir.path()), before, "nothing written");
    assert!(
        client
            .find_notes("\"note:decksmith\"")
            .expect("find")
            .is_empty()
    );

    // A dry run with the flag says what it would change and changes nothing.
    let out = sync(
        &server.url,
        dir.path(),
        &["--update-note-type", "--dry-run"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains(
            "note type: add the fields Slug, Source; put the fields Front, Back, Slug, Source first, in that order; replace the card template `C`; replace the styling"
        ),
        "{}",
        stdout(&out)
    );
    assert_eq!(field_names(&client), ["Back", "Extra", "Front"]);

    // With the flag: decksmith's fields first, the user's field kept, the template replaced.
    let out = sync(&server.url, dir.path(), &["--update-note-type"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(
        field_names(&client),
        ["Front", "Back", "Slug", "Source", "Extra"]
    );
    let templates: serde_json::Value = client
        .call(
            action::MODEL_TEMPLATES,
            json!({"modelName": "decksmith"}),
            0,
        )
        .expect("modelTemplates");
    assert_eq!(
        templates["C"]["Back"],
        decksmith::cards::model::NoteModel::qa("decksmith").templates[0].back
    );
    let en = id_of(&client, "sysdes-102-0-en");
    let info: Vec<serde_json::Value> = client
        .call(action::NOTES_INFO, json!({"notes": [en]}), 1)
        .expect("notesInfo");
    assert_eq!(info[0]["fields"]["Slug"]["value"], "sysdes-102-0-en");

    // Now it is decksmith's: nothing left to change or report.
    let out = sync(&server.url, dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(!stdout(&out).contains("note type"), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("0 created, 0 updated"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn styling_drift_is_reported_and_left_alone() {
    let Some(server) = AnkiServer::start() else {
        return;
    };
    let client = Client::new(&server.url, None).expect("client");
    let dir = vault();
    assert_eq!(sync(&server.url, dir.path(), &[]).status.code(), Some(0));
    // The user styles the cards in Anki and adds a field of their own.
    client
        .raw(
            action::UPDATE_MODEL_STYLING,
            json!({"model": {"name": "decksmith", "css": ".card { color: red; }"}}),
            0,
        )
        .expect("styling");
    client
        .raw(
            action::MODEL_FIELD_ADD,
            json!({"modelName": "decksmith", "fieldName": "My notes", "index": 4}),
            0,
        )
        .expect("field");
    let before = common::notes(dir.path());
    let out = sync(&server.url, dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("note type differs from this decksmith's: it would replace the styling; `sync --update-note-type` does that"),
        "{}",
        stdout(&out)
    );
    let css: serde_json::Value = client
        .call(action::MODEL_STYLING, json!({"modelName": "decksmith"}), 0)
        .expect("modelStyling");
    assert_eq!(css["css"], ".card { color: red; }");
    assert_eq!(common::notes(dir.path()), before, "nothing written");

    let out = sync(&server.url, dir.path(), &["--update-note-type"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let css: serde_json::Value = client
        .call(action::MODEL_STYLING, json!({"modelName": "decksmith"}), 0)
        .expect("modelStyling");
    assert_eq!(css["css"], decksmith::cards::model::CARD_CSS);
    assert_eq!(
        field_names(&client),
        ["Front", "Back", "Slug", "Source", "My notes"],
        "the user's field is kept"
    );
}

#[test]
fn unreachable_anki_exits_3_with_a_hint() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let dir = vault();
    let out = sync(&format!("http://127.0.0.1:{port}"), dir.path(), &[]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot reach AnkiConnect") && err.contains("start Anki"),
        "{err}"
    );
}

#[test]
fn dry_run_plans_without_writing() {
    let Some(server) = AnkiServer::start() else {
        return;
    };
    let dir = vault();
    // An entry left from the note's old id: listed, and left in place.
    let kotlin = dir
        .path()
        .join("70-Kotlin/q-launch-vs-async--kotlin--easy.md");
    let text = std::fs::read_to_string(&kotlin).expect("read");
    let text = text.replacen(
        "anki_cards:\n",
        "anki_cards:\n- slug: kotlin-old-0-en\n  language: en\n",
        1,
    );
    std::fs::write(&kotlin, text).expect("write");
    let before = common::notes(dir.path());
    let out = sync(&server.url, dir.path(), &["--dry-run"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).starts_with("Plan for 14 cards: 8 to create, 6 to recreate"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains(
            "  stale      kotlin-old-0-en  70-Kotlin/q-launch-vs-async--kotlin--easy.md (an `anki_cards` entry"
        ),
        "{}",
        stdout(&out)
    );
    assert_eq!(common::notes(dir.path()), before);
    let client = Client::new(&server.url, None).expect("client");
    assert!(
        client
            .model_field_names("decksmith")
            .expect("fields")
            .is_none(),
        "not even the note type"
    );
}

#[test]
fn orphans_are_listed_and_pruned_only_within_the_limit() {
    let Some(server) = AnkiServer::start() else {
        return;
    };
    let dir = vault();
    assert_eq!(sync(&server.url, dir.path(), &[]).status.code(), Some(0));
    std::fs::remove_file(
        dir.path()
            .join("30-System-Design/q-rate-limiting-algorithms--system-design--hard.md"),
    )
    .expect("remove a note");
    let out = sync(&server.url, dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains("orphan     sysdes-102-0-en") && stdout(&out).contains("2 orphaned"),
        "{}",
        stdout(&out)
    );
    let client = Client::new(&server.url, None).expect("client");
    // 2 of 14 notes is more than the 10% limit: refused without --force.
    let out = sync(&server.url, dir.path(), &["--prune"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("prune refused"), "{}", stdout(&out));
    assert_eq!(
        client.find_notes("\"note:decksmith\"").expect("find").len(),
        14
    );
    let out = sync(&server.url, dir.path(), &["--prune", "--force"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("2 deleted"), "{}", stdout(&out));
    assert_eq!(
        client.find_notes("\"note:decksmith\"").expect("find").len(),
        12
    );
}

#[test]
fn images_are_stored_under_content_names() {
    let Some(server) = AnkiServer::start() else {
        return;
    };
    let dir = vault();
    std::fs::create_dir_all(dir.path().join("img")).expect("mkdir");
    let png: &[u8] = b"\x89PNG\r\n\x1a\n decksmith test image";
    std::fs::write(dir.path().join("img/diagram.png"), png).expect("write image");
    let path = dir
        .path()
        .join("30-System-Design/q-rate-limiting-algorithms--system-design--hard.md");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(
        &path,
        text.replacen(
            "## Answer (EN)\n",
            "## Answer (EN)\n\n![[diagram.png]]\n",
            1,
        ),
    )
    .expect("write");
    let out = sync(&server.url, dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("1 media stored"), "{}", stdout(&out));
    let client = Client::new(&server.url, None).expect("client");
    let names: Vec<String> = client
        .call(
            action::GET_MEDIA_FILES_NAMES,
            json!({"pattern": "decksmith-*"}),
            0,
        )
        .expect("media names");
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0].starts_with("decksmith-") && names[0].ends_with(".png"));
    let id = id_of(&client, "sysdes-102-0-en");
    let back = client
        .notes_info(&[id])
        .expect("info")
        .remove(&id)
        .expect("note");
    assert!(
        back.field("Back")
            .expect("Back")
            .contains(&format!("src=\"{}\"", names[0])),
        "{:?}",
        back.field("Back")
    );
    // Nothing changes on the next run: the image is not stored again.
    let out = sync(&server.url, dir.path(), &[]);
    assert!(
        stdout(&out).contains("0 created, 0 updated") && stdout(&out).contains("0 media stored"),
        "{}",
        stdout(&out)
    );
}

/// A read-only note is listed as not written and left as it is (root, which could write
/// it, included); the other notes are written, and no temporary file is left in the vault.
#[cfg(unix)]
#[test]
fn a_read_only_note_is_listed_and_left_alone() {
    use std::os::unix::fs::PermissionsExt;
    let Some(server) = AnkiServer::start() else {
        return;
    };
    let dir = vault();
    let rel = "70-Kotlin/q-launch-vs-async--kotlin--easy.md";
    let note = dir.path().join(rel);
    std::fs::set_permissions(&note, std::fs::Permissions::from_mode(0o444)).expect("chmod");
    let before = std::fs::read(&note).expect("read");
    let out = sync(&server.url, dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains(&format!(
            "not written {rel}: the note is read-only; make it writable to let sync record its ids"
        )),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("4 notes written"), "{}", stdout(&out));
    assert_eq!(std::fs::read(&note).expect("read"), before);
    assert_eq!(
        std::fs::metadata(&note).expect("stat").permissions().mode() & 0o777,
        0o444
    );
    let tmp = dir.path().join(".decksmith-cache/tmp");
    assert_eq!(std::fs::read_dir(&tmp).expect("tmp").count(), 0);
}

/// An Anki search for the note holding exactly `field` in its Slug field: quoted, with
/// Anki's search syntax (`"`, `*`, `_`, `:`, `\`) escaped.
fn slug_query(field: &str) -> String {
    let mut escaped = String::new();
    for c in field.chars() {
        if matches!(c, '\\' | '"' | '*' | '_' | ':') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    format!("\"note:decksmith\" \"Slug:{escaped}\"")
}

/// Markup in a note's id and path reaches Anki as text, and an Obsidian link as a working
/// link; the card is found again by its slug, and a second sync changes nothing.
#[test]
fn hostile_slugs_and_sources_round_trip() {
    let Some(server) = AnkiServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    common::copy_dir(&common::fixture("cards/hostile"), dir.path());
    let slug = r#"<img src=x onerror=alert(1)>&"*_:-0-en"#;
    let out = sync(&server.url, dir.path(), &[]);
    // The card too deep to render is listed with its line, and not pushed (exit 1).
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains(
            "sysdes-667-0-en: q-deep-quotes--system-design--medium.md:18: its answer nests more than 100 levels deep"
        ) && stdout(&out).contains("3 created, 0 updated"),
        "{}",
        stdout(&out)
    );
    let client = Client::new(&server.url, None).expect("client");
    let field = r#"&lt;img src=x onerror=alert(1)&gt;&amp;"*_:-0-en"#;
    let ids = client.find_notes(&slug_query(field)).expect("findNotes");
    assert_eq!(ids.len(), 1, "one note holds the escaped slug: {ids:?}");
    let info = client
        .notes_info(&ids)
        .expect("notesInfo")
        .remove(&ids[0])
        .expect("note");
    assert_eq!(info.field("Slug"), Some(field));
    assert_eq!(
        info.field("Source"),
        Some(
            "<a href=\"obsidian://open?vault=Hostile%20%3CVault%3E%20%26%20%22Co%22&amp;file=q-rock-%26-roll-ids--system-design--medium\">q-rock-&amp;-roll-ids--system-design--medium.md</a>"
        )
    );
    let path = dir
        .path()
        .join("q-rock-&-roll-ids--system-design--medium.md");
    let written = std::fs::read_to_string(&path).expect("read");
    assert!(written.contains(&ids[0].to_string()), "{written}");

    // A second sync finds every field equal: nothing created or updated, no file touched.
    let after = common::notes(dir.path());
    let again = sync(&server.url, dir.path(), &[]);
    assert!(
        stdout(&again).contains("0 created, 0 updated")
            && stdout(&again).contains("3 unchanged")
            && stdout(&again).contains("; 2 requests"),
        "{}",
        stdout(&again)
    );
    assert_eq!(common::notes(dir.path()), after);

    // With its id lost, the card is found by its slug, not duplicated.
    let cut = written.find("anki_cards:").expect("entries written");
    let end = written[cut..].find("---\n").expect("fence") + cut;
    std::fs::write(&path, format!("{}{}", &written[..cut], &written[end..])).expect("write");
    let recovered = sync(&server.url, dir.path(), &[]);
    assert!(
        stdout(&recovered).contains("0 created"),
        "{}",
        stdout(&recovered)
    );
    assert!(
        std::fs::read_to_string(&path)
            .expect("read")
            .contains(&ids[0].to_string())
    );
    assert!(
        std::fs::read_to_string(&path).expect("read").contains(slug),
        "the entry names the slug"
    );
    assert_eq!(
        client.find_notes("\"note:decksmith\"").expect("find").len(),
        3
    );

    // A card that becomes too deep to render is reported, and its Anki note kept: neither
    // an orphan (even under --prune) nor a stale entry.
    let markup = dir
        .path()
        .join("q-hostile-markup--system-design--medium.md");
    let text = std::fs::read_to_string(&markup).expect("read");
    let deep = text.replacen(
        "## Ответ (RU)\n\n",
        &format!("## Ответ (RU)\n\n{} ", ">".repeat(101)),
        1,
    );
    assert_ne!(text, deep);
    std::fs::write(&markup, deep).expect("write");
    let out = sync(&server.url, dir.path(), &["--prune", "--force"]);
    let line = text
        .lines()
        .position(|l| l == "## Ответ (RU)")
        .expect("heading")
        + 1;
    assert!(
        stdout(&out).contains(&format!(
            "sysdes-666-0-ru: q-hostile-markup--system-design--medium.md:{line}: its answer nests"
        )) && stdout(&out).contains("0 orphaned")
            && !stdout(&out).contains("stale")
            && stdout(&out).contains("0 deleted"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        client.find_notes("\"note:decksmith\"").expect("find").len(),
        3
    );
}
