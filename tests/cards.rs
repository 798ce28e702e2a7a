//! `decksmith cards` end to end: the reference bilingual note, hostile markup and ids,
//! nesting too deep to render, determinism, and the HTML preview in a real headless Chromium.

mod common;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn cards_json(dir: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_decksmith"))
        .args(["cards", "--format", "json"])
        .arg(dir)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn cards_text(dir: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_decksmith"))
        .args(["cards", "--format", "text"])
        .arg(dir)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn all_cards(doc: &Value) -> Vec<&Value> {
    doc["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .flat_map(|n| n["cards"].as_array().expect("cards"))
        .collect()
}

/// The seed note of the real vault: EN first, transliterated RU headings, one table per
/// answer. Read from the reference material beside the repository when it is there.
#[test]
fn reference_note_gives_two_cards() {
    let Some(seed) = common::reference("seeds/qa-note-example.md") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        &seed,
        dir.path()
            .join("q-sync-async-communication--system-design--medium.md"),
    )
    .expect("copy");
    let doc = cards_json(dir.path());
    let cards = all_cards(&doc);
    let slugs: Vec<&str> = cards
        .iter()
        .map(|c| c["slug"].as_str().expect("slug"))
        .collect();
    assert_eq!(slugs, vec!["sysdes-039-0-en", "sysdes-039-0-ru"]);
    let (en, ru) = (cards[0], cards[1]);
    let text = |c: &Value, f: &str| c[f].as_str().expect("field").to_string();
    assert_eq!(
        text(en, "front"),
        "<p>What is the difference between synchronous and asynchronous communication in distributed systems? When to use each?</p>"
    );
    assert!(
        text(ru, "front").contains("В чём разница между синхронной и асинхронной коммуникацией")
    );
    assert!(text(en, "back").contains("Caller waits for response"));
    assert!(text(ru, "back").contains("Вызывающий ждёт ответа"));
    for (c, header) in [(en, "<th>Aspect</th>"), (ru, "<th>Аспект</th>")] {
        assert!(text(c, "back").contains("<table>") && text(c, "back").contains(header));
    }
    // Neither back leaks into the other language or into the trailer.
    assert!(!text(en, "back").contains("Синхронная"));
    assert!(!text(ru, "back").contains("outbox pattern"));
    assert_eq!(en["deck"], "SystemDesign");
    assert!(
        en["tags"]
            .as_array()
            .expect("tags")
            .iter()
            .any(|t| t == "lang::en")
    );
}

#[test]
fn demo_vault_cards() {
    let doc = cards_json(&common::fixture("vault"));
    let slugs: Vec<&str> = all_cards(&doc)
        .iter()
        .map(|c| c["slug"].as_str().expect("slug"))
        .collect();
    for s in [
        "sysdes-101-0-en",
        "sysdes-101-0-ru",
        "kotlin-201-1-ru",
        "rate-limiting-basics-2-en",
    ] {
        assert!(slugs.contains(&s), "{s} missing from {slugs:?}");
    }
    // A note with duplicate keys gives no cards until it is repaired.
    assert!(!slugs.iter().any(|s| s.starts_with("sysdes-606")));
}

#[test]
fn hostile_markup_never_reaches_the_fields() {
    let doc = cards_json(&common::fixture("cards/hostile"));
    let cards = all_cards(&doc);
    assert_eq!(cards.len(), 3);
    for c in cards {
        for field in ["front", "back", "source"] {
            let html = c[field].as_str().expect("field").to_lowercase();
            for bad in [
                "<script",
                "onerror",
                "onload",
                "onclick",
                "onmouseover",
                "onfocus",
                "ontoggle",
                "javascript:",
                "<iframe",
                "<object",
                "<form",
                "style=",
                "<svg",
            ] {
                assert!(!html.contains(bad), "`{bad}` survived in {field}: {html}");
            }
        }
    }
}

/// The four fields of every card of the hostile vault, exactly as sync pushes them: markup in
/// the id and the path arrives as text, the Obsidian link as a working link.
#[test]
fn hostile_fields_as_pushed() {
    let (_, all) = fixture_cards("cards/hostile", None);
    let mut text = String::new();
    let model = decksmith::cards::model::NoteModel::qa("decksmith");
    for card in all.iter().flat_map(|n| &n.cards) {
        let fields = model.values(card);
        text.push_str(&format!("== {}\n", card.slug));
        for name in &model.fields {
            text.push_str(&format!("{name}: {}\n", fields[name]));
        }
        // Outside the rendered front and back, no tag but the Source link's own.
        assert!(!fields["Slug"].contains(['<', '>']), "{}", fields["Slug"]);
        let source = &fields["Source"];
        let inner = source
            .strip_prefix("<a href=\"")
            .and_then(|s| s.strip_suffix("</a>"))
            .expect("a link");
        assert_eq!(inner.matches(['<', '>', '"']).count(), 2, "{source}");
    }
    insta::assert_snapshot!("hostile_fields", text);
}

/// A card whose answer nests deeper than can be rendered is listed with its note and line,
/// and the others are unaffected.
#[test]
fn too_deep_cards_are_reported_with_their_line() {
    insta::assert_snapshot!(
        "hostile_summary",
        cards_text(&common::fixture("cards/hostile"))
    );
}

fn note_with_answer(answer: &str) -> String {
    format!(
        "---\nid: deep-1\ntopic: system-design\nlanguage_tags: [en]\n---\n# Question (EN)\n> Deep?\n\n## Answer (EN)\n\n{answer}\n"
    )
}

/// 200 KB answers nested as deep as they go: each of these took minutes to sanitise
/// (quadratic in the nesting). They are refused with the answer's line instead; no card,
/// truncated or not, is made.
#[test]
fn a_200_kb_hostile_answer_is_refused_not_rendered() {
    const SIZE: usize = 200_000;
    let unclosed_bold: String = (0..SIZE / 20)
        .map(|i| format!("<p><b id={i}>x</p>"))
        .collect();
    let hostile = [
        ("quotes", ">".repeat(SIZE)),
        ("divs", "<div>\n\n".repeat(SIZE / 7)),
        ("lists", format!("{}x", "- ".repeat(SIZE / 2))),
        ("unclosed bold", unclosed_bold),
    ];
    for (what, answer) in hostile {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("q-deep--system-design--medium.md"),
            note_with_answer(&answer),
        )
        .expect("write");
        let doc = cards_json(dir.path());
        assert!(all_cards(&doc).is_empty(), "{what}: a card was made");
        let refused = &doc["notes"][0]["refused"];
        assert_eq!(refused[0]["slug"], "deep-1-0-en", "{what}: {refused}");
        assert_eq!(refused[0]["line"], 9, "{what}: the answer heading's line");
        assert!(
            refused[0]["reason"]
                .as_str()
                .expect("reason")
                .contains("more than 100 levels deep"),
            "{what}: {refused}"
        );
    }
}

#[test]
fn output_is_byte_identical_across_runs() {
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_decksmith"))
            .args(["cards", "--format", "json"])
            .arg(common::fixture("vault"))
            .output()
            .expect("runs")
            .stdout
    };
    assert_eq!(run(), run());
}

/// The preview in a real browser: the rendered DOM holds the card text, and a screenshot
/// is kept as an artifact under `target/`.
#[test]
fn preview_renders_in_chromium() {
    let Some(browser) = common::require(common::Tool::Chromium) else {
        return;
    };
    let out = tempfile::tempdir().expect("tempdir");
    let site = out.path().join("site");
    let status = Command::new(env!("CARGO_BIN_EXE_decksmith"))
        .args(["cards", "--html"])
        .arg(&site)
        .arg(common::fixture("vault"))
        .output()
        .expect("runs");
    assert!(status.status.success(), "{status:?}");
    let page =
        site.join("30-System-Design__q-cache-invalidation-strategies--system-design--medium.html");
    assert!(site.join("index.html").is_file() && page.is_file());
    let profile = out.path().join("profile");
    let base = |extra: &[&str]| {
        let mut cmd = Command::new(&browser);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()));
        cmd.output().expect("chromium runs")
    };
    let dom = base(&["--dump-dom"]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("sysdes-101-0-en") && dom.contains("sysdes-101-0-ru"),
        "{dom}"
    );
    assert!(
        dom.contains("Стратегии") || dom.contains("инвалидации"),
        "Russian card text: {dom}"
    );
    assert!(dom.contains("<table>"), "the answer's table is in the DOM");
    let shot = common::repo().join("target/preview-screenshot.png");
    let _ = std::fs::remove_file(&shot);
    base(&[
        &format!("--screenshot={}", shot.display()),
        "--window-size=1000,1400",
    ]);
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a real screenshot"
    );
}

/// Heading cards, every field as sync pushes it: one card per `##` heading with its section
/// (subsections included, an empty section giving none), the language from the note.
#[test]
fn heading_cards_fields_as_pushed() {
    let (_, all) = fixture_cards("cards/headings", Some("v"));
    let model = decksmith::cards::model::NoteModel::qa("decksmith");
    let mut text = String::new();
    for card in all.iter().flat_map(|n| &n.cards) {
        let fields = model.values(card);
        text.push_str(&format!(
            "== {} ({}; {})\n",
            card.slug,
            card.deck,
            card.tags.join(" ")
        ));
        for name in &model.fields {
            text.push_str(&format!("{name}: {}\n", fields[name]));
        }
    }
    insta::assert_snapshot!("heading_fields", text);
}

/// Cloze and reversed cards: every field as sync pushes it, and every card Anki makes of
/// each note as the preview shows it (a card per deletion, asked and revealed; a reversed
/// card asked backwards), through the note types' own templates.
#[test]
fn cloze_and_reversed_cards_as_pushed_and_shown() {
    let (settings, all) = fixture_cards("cards/cloze", Some("v"));
    let cfg = &settings.loaded.config;
    let models =
        decksmith::cards::model::Models::new(&cfg.kinds, &cfg.anki.note_type).expect("models");
    let mut text = String::new();
    for card in all.iter().flat_map(|n| &n.cards) {
        let model = models.get(&card.note_type).expect("a configured note type");
        let fields = model.values(card);
        text.push_str(&format!(
            "== {} ({}; {}; {})\n",
            card.slug,
            card.note_type,
            card.deck,
            card.tags.join(" ")
        ));
        for name in &model.fields {
            text.push_str(&format!("{name}: {}\n", fields[name]));
        }
        for shown in model.shown(card) {
            text.push_str(&format!(
                "-- {}\nquestion: {}\nanswer: {}\n",
                shown.name, shown.question, shown.answer
            ));
        }
    }
    insta::assert_snapshot!("cloze_and_reversed", text);
    assert!(
        all.iter()
            .all(|n| n.note != "cs/empty.md" || n.cards.is_empty()),
        "a note without deletions gives no card"
    );
}

/// A heading card's empty section leaves its number taken: `anki_cards` holding 0, 1 and 3
/// is complete (no ANK005), while a missing entry for a section that gives a card is a gap.
#[test]
fn an_empty_section_s_number_is_not_an_index_gap() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::copy_dir(&common::fixture("cards/headings"), dir.path());
    let note = dir.path().join("networking/tcp.md");
    let text = std::fs::read_to_string(&note).expect("read");
    let with = |indices: &[usize]| {
        let entries: String = indices
            .iter()
            .map(|i| format!("- slug: tcp-{i}-en\n  language: en\n"))
            .collect();
        text.replacen(
            "tags: [networking, transport]\n",
            &format!("tags: [networking, transport]\nanki_cards:\n{entries}"),
            1,
        )
    };
    let check = || {
        Command::new(env!("CARGO_BIN_EXE_decksmith"))
            .args(["check", "--format", "concise", "--select", "ANK005"])
            .arg(dir.path())
            .output()
            .expect("check runs")
    };
    std::fs::write(&note, with(&[0, 1, 3])).expect("write");
    let clean = check();
    let out = String::from_utf8_lossy(&clean.stdout);
    assert!(clean.status.success() && !out.contains("ANK005"), "{out}");
    // ANK005 is a warning: reported, and the exit code stays 0.
    std::fs::write(&note, with(&[0, 3])).expect("write");
    let gap = check();
    let out = String::from_utf8_lossy(&gap.stdout);
    assert!(
        out.contains("ANK005") && out.contains("`tcp-3-en` but no `tcp-1-en`"),
        "{out}"
    );
}

/// The settings of a fixture vault and the cards of its notes, the vault named `vault` (the
/// configured name when `None`).
fn fixture_cards(
    rel: &str,
    vault: Option<&str>,
) -> (decksmith::lint::Settings, Vec<decksmith::cards::NoteCards>) {
    let settings = common::settings(&common::fixture(rel), &[]);
    let notes =
        decksmith::vault::load::read_notes(&settings, &decksmith::vault::load::Targets::default())
            .expect("read")
            .notes;
    let cfg = &settings.loaded.config;
    let vault = vault.unwrap_or(&cfg.cards.vault_name);
    let all = decksmith::cards::vault_cards(&notes, &cfg.kinds, &cfg.cards, vault);
    (settings, all)
}
