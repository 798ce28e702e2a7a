//! Card kinds beyond the bilingual question note, synced into the real Anki engine
//! (anki-connect-server): created, updated after an edit, unchanged after that.

mod common;

use std::path::Path;
use std::process::Output;

use common::anki::AnkiServer;
use decksmith::anki::Client;
use serde_json::{Value, json};

fn sync(url: &str, dir: &Path) -> Output {
    common::anki::sync_command(url, dir, &["--format", "json"])
        .output()
        .expect("runs")
}

fn outcome(o: &Output) -> Value {
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("json outcome")
}

/// A vault of one note `name` holding `text`, configured by `config`: the folder and the
/// note's path.
fn vault(config: &str, name: &str, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("decksmith.toml"), config).expect("config");
    let note = dir.path().join(name);
    std::fs::write(&note, text).expect("note");
    (dir, note)
}

const CONFIG: &str = r#"[lint]
select = ["FM", "LNK", "ANK"]

[[kinds]]
name = "note"
filename = '\.md$'
cards = { from = "headings", level = 2, default-language = "en", deck = "Notes" }
"#;

const NOTE: &str = "---\nid: caching\n---\n# Caching\n\nWhy caches exist.\n\n\
## What is a cache?\n\nA store kept *close* to where results are used.\n\n\
## When does a cache go stale?\n\nWhen the source changes and the cache does not.\n";

/// One card per `##` heading: the heading asks, its section answers.
#[test]
fn heading_cards_are_created_updated_and_then_left_alone() {
    let Some(server) = AnkiServer::start() else {
        return;
    };
    let client = Client::new(&server.url, None).expect("client");
    let (dir, note) = vault(CONFIG, "caching.md", NOTE);

    let first = outcome(&sync(&server.url, dir.path()));
    assert_eq!(
        first["created"],
        json!(["caching-0-en", "caching-1-en"]),
        "{first:#}"
    );
    let ids = client.find_notes("\"Slug:caching-0-en\"").expect("find");
    let info = client.notes_info(&ids).expect("info");
    assert_eq!(
        info[&ids[0]].field("Front"),
        Some("<p>What is a cache?</p>")
    );
    assert!(
        info[&ids[0]]
            .field("Back")
            .is_some_and(|b| b.contains("<em>close</em>")),
        "{:?}",
        info[&ids[0]].field("Back")
    );
    let written = std::fs::read_to_string(&note).expect("read");
    assert!(written.contains("slug: caching-1-en"), "{written}");
    // The note the write-back left checks clean.
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_decksmith"))
        .args(["check", "--format", "concise"])
        .arg(dir.path())
        .output()
        .expect("check runs");
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );

    // An edit of the second answer updates that card only.
    std::fs::write(
        &note,
        written.replace("the cache does not.", "the cache does not notice."),
    )
    .expect("edit");
    let second = outcome(&sync(&server.url, dir.path()));
    assert_eq!(second["updated"], json!(["caching-1-en"]), "{second:#}");
    assert_eq!(second["created"], json!([]), "{second:#}");
    let third = outcome(&sync(&server.url, dir.path()));
    assert_eq!(third["updated"], json!([]), "{third:#}");
    assert_eq!(third["written"], json!([]), "{third:#}");

    // Reviews stay when text around a card changes: a new section after it, new words in
    // the note's introduction.
    let (id, cards, _) = cards_of(&client, "caching-0-en");
    review(&client, &cards);
    let text = std::fs::read_to_string(&note).expect("read");
    std::fs::write(
        &note,
        text.replace("Why caches exist.", "Why caches exist, and when not.")
            + "\n## Who invalidates a cache?\n\nThe writer, or a time to live.\n",
    )
    .expect("edit");
    let fourth = outcome(&sync(&server.url, dir.path()));
    assert_eq!(fourth["created"], json!(["caching-2-en"]), "{fourth:#}");
    assert_eq!(fourth["updated"], json!([]), "{fourth:#}");
    assert_eq!(cards_of(&client, "caching-0-en"), (id, cards, 1));
}

/// `decksmith sync --format json EXTRA… DIR`.
fn sync_with(url: &str, dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    common::anki::sync_command(url, dir, &args)
        .output()
        .expect("runs")
}

/// The card ids of the note holding `slug`, and how many of them have been reviewed.
fn cards_of(client: &Client, slug: &str) -> (i64, Vec<i64>, usize) {
    let ids = client
        .find_notes(&format!("\"Slug:{slug}\""))
        .expect("find");
    assert_eq!(ids.len(), 1, "one note holds {slug}: {ids:?}");
    let cards: Vec<i64> = client
        .call(
            decksmith::anki::action::FIND_CARDS,
            json!({ "query": format!("nid:{}", ids[0]) }),
            0,
        )
        .expect("findCards");
    let reviewed: Vec<i64> = client
        .call(
            decksmith::anki::action::FIND_CARDS,
            json!({ "query": format!("nid:{} -is:new", ids[0]) }),
            0,
        )
        .expect("findCards");
    (ids[0], cards, reviewed.len())
}

/// Review cards in Anki, as a user would: each answered "Good".
fn review(client: &Client, cards: &[i64]) {
    let answers: Vec<Value> = cards
        .iter()
        .map(|c| json!({ "cardId": c, "ease": 3 }))
        .collect();
    let done: Vec<bool> = client
        .call(
            decksmith::anki::action::Action::write("answerCards"),
            json!({ "answers": answers }),
            0,
        )
        .expect("answerCards");
    assert!(done.iter().all(|d| *d), "{done:?}");
}

/// Cloze cards on Anki's own `Cloze` note type: anki-connect-server cannot create a cloze
/// note type (it ignores `isCloze`), so decksmith's own is tested for its refusal below.
const CLOZE_CONFIG: &str = r#"[lint]
select = ["FM", "LNK", "ANK"]

[[kinds]]
name = "facts"
filename = '\.md$'
cards = { from = "cloze", highlights = true, default-language = "en", deck = "Facts", note-type = "Cloze", fields = { Text = "front", "Back Extra" = "back" } }
"#;

const CLOZE_NOTE: &str = "---\nid: net\n---\n# Networking\n\nWhy it matters.\n\n\
## TCP\n\nTCP is {{c1::connection-oriented}} and {{c2::reliable::a property}}.\n\n\
## UDP\n\n- UDP is ==connectionless==.\n- It has no ordering.\n";

/// A cloze paragraph becomes one Anki cloze note, a card per deletion; text edited around
/// it, and in it outside its deletions, updates the note and keeps its cards' reviews.
#[test]
fn cloze_cards_keep_their_reviews_when_the_text_around_them_changes() {
    let Some(server) = AnkiServer::start() else {
        return;
    };
    let client = Client::new(&server.url, None).expect("client");
    let (dir, note) = vault(CLOZE_CONFIG, "net.md", CLOZE_NOTE);

    let first = outcome(&sync_with(&server.url, dir.path(), &["--update-note-type"]));
    assert_eq!(
        first["created"],
        json!(["net-0-en", "net-1-en"]),
        "{first:#}"
    );
    let (tcp, tcp_cards, _) = cards_of(&client, "net-0-en");
    assert_eq!(tcp_cards.len(), 2, "one card per deletion");
    let (_, udp_cards, _) = cards_of(&client, "net-1-en");
    assert_eq!(udp_cards.len(), 1, "the highlight is a deletion");
    let info = client.notes_info(&[tcp]).expect("info");
    assert_eq!(info[&tcp].model_name, "Cloze");
    assert_eq!(
        info[&tcp].field("Text"),
        Some("<p>TCP is {{c1::connection-oriented}} and {{c2::reliable::a property}}.</p>")
    );
    assert_eq!(info[&tcp].field("Back Extra"), Some("<p>TCP</p>"));
    review(&client, &tcp_cards);
    assert_eq!(cards_of(&client, "net-0-en").2, 2);

    // Text added before the block and edited inside it, deletions untouched.
    let written = std::fs::read_to_string(&note).expect("read");
    std::fs::write(
        &note,
        written
            .replace(
                "Why it matters.",
                "Why it matters.\n\nA new paragraph, no cloze.",
            )
            .replace("TCP is", "TCP, the workhorse, is"),
    )
    .expect("edit");
    let second = outcome(&sync(&server.url, dir.path()));
    assert_eq!(second["updated"], json!(["net-0-en"]), "{second:#}");
    assert_eq!(second["created"], json!([]), "{second:#}");
    let (again, cards, reviewed) = cards_of(&client, "net-0-en");
    assert_eq!((again, cards), (tcp, tcp_cards), "the same note and cards");
    assert_eq!(reviewed, 2, "reviews are kept");
    let third = outcome(&sync(&server.url, dir.path()));
    assert_eq!(third["updated"], json!([]), "{third:#}");
    assert_eq!(third["written"], json!([]), "{third:#}");
}

const REVERSED_CONFIG: &str = r#"[[kinds]]
name = "note"
filename = '\.md$'
cards = { from = "headings", level = 2, default-language = "en", deck = "Notes", reversed = true }
"#;

/// A reversed kind gives two cards per note, asked both ways; a kind moved to another note
/// type gets notes of that type, and its old notes are orphans (`--prune` deletes them).
#[test]
fn reversed_cards_are_asked_both_ways_and_a_kind_can_change_its_note_type() {
    let Some(server) = AnkiServer::start() else {
        return;
    };
    let client = Client::new(&server.url, None).expect("client");
    let (dir, note) = vault(CONFIG, "caching.md", NOTE);
    let plain = outcome(&sync(&server.url, dir.path()));
    assert_eq!(plain["created"], json!(["caching-0-en", "caching-1-en"]));

    std::fs::write(dir.path().join("decksmith.toml"), REVERSED_CONFIG).expect("config");
    let dry = outcome(&sync_with(&server.url, dir.path(), &["--dry-run"]));
    assert_eq!(
        dry["plan"]["orphans"].as_array().map(Vec::len),
        Some(2),
        "{dry:#}"
    );
    // Every note of the vault moves: more than `prune-limit`, so deleting needs --force.
    let moved = outcome(&sync_with(&server.url, dir.path(), &["--prune", "--force"]));
    assert_eq!(
        moved["created"],
        json!(["caching-0-en", "caching-1-en"]),
        "{moved:#}"
    );
    assert_eq!(moved["pruned"], json!(2), "{moved:#}");
    let (id, cards, _) = cards_of(&client, "caching-0-en");
    assert_eq!(cards.len(), 2, "asked both ways");
    let info = client.notes_info(&[id]).expect("info");
    assert_eq!(info[&id].model_name, "decksmith (reversed)");
    review(&client, &cards[..1]);

    let written = std::fs::read_to_string(&note).expect("read");
    std::fs::write(&note, written.replace("*close*", "*near*")).expect("edit");
    let edited = outcome(&sync(&server.url, dir.path()));
    assert_eq!(edited["updated"], json!(["caching-0-en"]), "{edited:#}");
    assert_eq!(cards_of(&client, "caching-0-en"), (id, cards, 1));
    let again = outcome(&sync(&server.url, dir.path()));
    assert_eq!(again["updated"], json!([]), "{again:#}");
    assert_eq!(again["written"], json!([]), "{again:#}");
}

const BASIC_CONFIG: &str = r#"[[kinds]]
name = "note"
filename = '\.md$'
cards = { from = "headings", level = 2, default-language = "en", deck = "Notes", note-type = "Basic", fields = { Front = "front", Back = "back" } }
"#;

/// Cards pushed to a note type of the user's: its fields filled by the map, the slug in a
/// `Slug` field that sync adds only when asked; the user's other notes of that type are not
/// decksmith's and never touched.
#[test]
fn a_note_type_of_the_user_s_gets_the_mapped_fields_and_a_slug() {
    let Some(server) = AnkiServer::start() else {
        return;
    };
    let client = Client::new(&server.url, None).expect("client");
    let mine: i64 = client
        .call(
            decksmith::anki::action::ADD_NOTE,
            json!({ "note": { "deckName": "Default", "modelName": "Basic",
                "fields": { "Front": "my own", "Back": "note" }, "tags": [] } }),
            0,
        )
        .expect("a note of the user's");
    let (dir, note) = vault(BASIC_CONFIG, "caching.md", NOTE);
    let before = std::fs::read(&note).expect("read");

    let refused = sync(&server.url, dir.path());
    assert_eq!(refused.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("`Basic` has no field `Slug`"), "{stderr}");
    assert_eq!(
        std::fs::read(&note).expect("read"),
        before,
        "nothing written"
    );

    let first = outcome(&sync_with(&server.url, dir.path(), &["--update-note-type"]));
    assert_eq!(
        first["created"],
        json!(["caching-0-en", "caching-1-en"]),
        "{first:#}"
    );
    let (id, cards, _) = cards_of(&client, "caching-0-en");
    assert_eq!(cards.len(), 1);
    let info = client.notes_info(&[id, mine]).expect("info");
    assert_eq!(info[&id].model_name, "Basic");
    assert_eq!(info[&id].field("Front"), Some("<p>What is a cache?</p>"));
    assert_eq!(info[&mine].field("Front"), Some("my own"));
    assert_eq!(info[&mine].field("Slug"), Some(""));

    // An edit updates the mapped field in place: the note and its reviews stay.
    review(&client, &cards);
    let written = std::fs::read_to_string(&note).expect("read");
    std::fs::write(&note, written.replace("*close*", "*near*")).expect("edit");
    let edited = outcome(&sync(&server.url, dir.path()));
    assert_eq!(edited["updated"], json!(["caching-0-en"]), "{edited:#}");
    assert_eq!(cards_of(&client, "caching-0-en"), (id, cards, 1));
    let info = client.notes_info(&[id]).expect("info");
    assert!(
        info[&id]
            .field("Back")
            .is_some_and(|b| b.contains("<em>near</em>")),
        "{:?}",
        info[&id].field("Back")
    );

    // The user's own note is not decksmith's: not an orphan, not pruned.
    let again = outcome(&sync_with(&server.url, dir.path(), &["--prune"]));
    assert_eq!(again["plan"]["orphans"], json!([]), "{again:#}");
    assert_eq!(again["updated"], json!([]), "{again:#}");
    assert_eq!(again["written"], json!([]), "{again:#}");
    assert!(
        client
            .notes_info(&[mine])
            .expect("info")
            .contains_key(&mine)
    );
}

/// Cloze cards are never added to a note type that is not a cloze type (it would give one
/// card whatever the deletions): anki-connect-server creates decksmith's cloze note type as
/// a standard one, and the run stops before adding a note.
#[test]
fn cloze_cards_are_refused_by_a_note_type_that_is_not_a_cloze_type() {
    let Some(server) = AnkiServer::start() else {
        return;
    };
    let client = Client::new(&server.url, None).expect("client");
    let own = CLOZE_CONFIG.replace(
        r#", note-type = "Cloze", fields = { Text = "front", "Back Extra" = "back" }"#,
        "",
    );
    assert_ne!(own, CLOZE_CONFIG);
    let (dir, note) = vault(&own, "net.md", CLOZE_NOTE);
    let refused = sync(&server.url, dir.path());
    assert_eq!(refused.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("`decksmith (cloze)` in Anki is not a cloze note type"),
        "{stderr}"
    );
    assert_eq!(
        client.find_notes("\"Slug:_*\"").expect("find"),
        Vec::<i64>::new()
    );
    assert_eq!(std::fs::read_to_string(&note).expect("read"), CLOZE_NOTE);
}
