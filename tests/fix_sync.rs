//! A note repaired by `check --fix` gives its cards and syncs: before the repair its broken
//! fences hide its front matter and sync skips it; after, its cards are created in the real
//! Anki engine (anki-connect-server), written back, and a second sync changes nothing.

mod common;

use common::anki::AnkiServer;
use serde_json::{Value, json};

fn sync(url: &str, dir: &std::path::Path) -> Value {
    let out = common::anki::sync_command(url, dir, &["--format", "json"])
        .output()
        .expect("runs");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn a_note_repaired_by_fix_gives_its_cards_and_syncs() {
    let Some(server) = AnkiServer::start() else {
        return;
    };
    let vault = common::anki::demo_vault();
    let rel = "70-Kotlin/q-launch-vs-async--kotlin--easy.md";
    let path = vault.path().join(rel);
    let intact = std::fs::read_to_string(&path).expect("read");
    // Both fences broken, as one bulk reformat left 222 notes of the real vault (the
    // collection is fresh: the ids the note records are not in it).
    let fm_end = intact[4..]
        .find("\n---\n")
        .map(|i| i + 4)
        .expect("front matter");
    let broken = format!(
        "---\\{}\n---\\\n{}",
        &intact[3..fm_end],
        &intact[fm_end + 5..]
    );
    std::fs::write(&path, &broken).expect("break");

    let first = sync(&server.url, vault.path());
    let skipped = first["skipped_notes"].to_string();
    assert!(skipped.contains(rel), "{first:#}");
    assert!(
        !first["created"].to_string().contains("kotlin-201"),
        "{first:#}"
    );

    let fix = std::process::Command::new(env!("CARGO_BIN_EXE_decksmith"))
        .args(["check", "--fix", "--select", "FM", "--format", "concise"])
        .arg(vault.path())
        .output()
        .expect("check --fix runs");
    let fixed = String::from_utf8_lossy(&fix.stdout);
    assert!(fixed.contains("Fixed 1 finding in 1 note."), "{fixed}");

    let second = sync(&server.url, vault.path());
    let created: Vec<String> = serde_json::from_value(second["created"].clone()).expect("list");
    assert!(
        created.contains(&"kotlin-201-0-en".to_string())
            && created.contains(&"kotlin-201-0-ru".to_string()),
        "{second:#}"
    );
    assert!(second["written"].to_string().contains(rel), "{second:#}");
    let written = std::fs::read_to_string(&path).expect("read");
    assert!(written.starts_with("---\nid: kotlin-201\n"), "{written}");
    assert!(written.contains("slug: kotlin-201-0-ru"), "{written}");
    let third = sync(&server.url, vault.path());
    assert_eq!(third["created"], json!([]), "{third:#}");
    assert_eq!(third["updated"], json!([]), "{third:#}");
    assert_eq!(third["written"], json!([]), "{third:#}");
}
