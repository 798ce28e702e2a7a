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
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("decksmith.toml"), CONFIG).expect("config");
    let note = dir.path().join("caching.md");
    std::fs::write(&note, NOTE).expect("note");

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
}
