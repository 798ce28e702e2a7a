//! Property tests of the write-back path: over generated front matter (comments, quoting
//! styles, flow and block lists, block scalars, CRLF, BOM, no final newline, lists with and
//! without entries) an edit changes only `anki_cards`, keeps every other byte, and applying it
//! twice is a no-op.

mod common;

use decksmith::sync::writeback::{Pushed, edit};
use decksmith::vault::frontmatter::split;
use proptest::prelude::*;

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("plain".to_string()),
        Just("'single: quoted'".to_string()),
        Just("\"double \\\"quoted\\\" В\"".to_string()),
        Just("[a, b, 'c d']".to_string()),
        Just("[]".to_string()),
        Just("42".to_string()),
        Just("2025-01-23".to_string()),
        Just("plain # trailing comment".to_string()),
        Just("\n- one\n- two".to_string()),
        Just("\n  - indented\n  - list".to_string()),
        Just("|\n  block line\n  second: line".to_string()),
        Just(">\n  folded\n  text".to_string()),
        Just("Кириллица / Latin".to_string()),
    ]
}

fn entry(slug: &str, quote: &str, synced: bool) -> String {
    let lang = slug.rsplit('-').next().unwrap_or("en");
    let mut e = format!("- slug: {slug}\n  language: {lang}\n");
    if synced {
        e.push_str(&format!(
            "  anki_id: 17691595{:05}\n  synced_at: {quote}2026-01-23T13:49:17.865498{quote}\n",
            slug.len()
        ));
    }
    e
}

prop_compose! {
    fn note()(
        keys in prop::collection::vec((prop::sample::select(vec!["title", "aliases", "tags", "topic", "summary", "created", "related", "extra_key"]), value(), any::<bool>()), 0..6),
        cards in prop_oneof![Just(0u8), Just(1), Just(2), Just(3), Just(4)],
        position in 0usize..7,
        quote in prop::sample::select(vec!["'", "\"", ""]),
        crlf in any::<bool>(),
        bom in any::<bool>(),
        final_newline in any::<bool>(),
    ) -> String {
        let mut lines = String::from("id: n-1\n");
        let mut seen = std::collections::HashSet::new();
        let mut fields: Vec<String> = Vec::new();
        for (k, v, comment) in keys {
            if !seen.insert(k) { continue; }
            let mut f = String::new();
            if comment { f.push_str("# a comment line\n"); }
            let sep = if v.starts_with('\n') || v.starts_with('|') || v.starts_with('>') { ":" } else { ": " };
            let v = if v.starts_with('|') || v.starts_with('>') { format!(" {v}") } else { v };
            f.push_str(&format!("{k}{sep}{v}\n"));
            fields.push(f);
        }
        let cards_text = match cards {
            0 => None,
            1 => Some("anki_cards:\n".to_string()),
            2 => Some("anki_cards: []\n".to_string()),
            3 => Some(format!("anki_cards:\n{}", entry("n-1-0-en", quote, true))),
            _ => Some(format!("anki_cards:\n{}{}", entry("n-1-0-en", quote, true), entry("n-1-0-ru", quote, false))),
        };
        if let Some(c) = cards_text {
            let at = position.min(fields.len());
            fields.insert(at, c);
        }
        for f in fields { lines.push_str(&f); }
        let mut text = format!("---\n{lines}---\n# Question (EN)\n> q\n\nbody ---\n---\ntail");
        if final_newline { text.push('\n'); }
        if crlf { text = text.replace('\n', "\r\n"); }
        if bom { text.insert(0, '\u{feff}'); }
        text
    }
}

fn pushed(slug: &str, id: i64) -> Pushed {
    Pushed {
        slug: slug.into(),
        language: slug.rsplit('-').next().unwrap_or("en").into(),
        anki_id: id,
        synced_at: "2026-02-01T10:00:00.000000+00:00".into(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn edits_touch_only_anki_cards_and_are_idempotent(
        text in note(),
        which in prop::collection::vec(prop::sample::select(vec!["n-1-0-en", "n-1-0-ru", "n-1-1-en", "n-1-1-ru"]), 0..4),
    ) {
        let pushes: Vec<Pushed> = which.iter().enumerate().map(|(i, s)| pushed(s, 1_769_200_000_000 + i as i64)).collect();
        let out = edit(&text, &pushes);
        let new = match out {
            Ok(Some(new)) => new,
            Ok(None) => { prop_assert!(pushes.is_empty() || text.contains("2026-02-01T10:00:00")); return Ok(()); }
            Err(e) => { prop_assert!(false, "refused: {e}\n{text:?}"); unreachable!() }
        };
        let (old_s, new_s) = (split(&text), split(&new));
        let (ob, nb) = (old_s.block.expect("old block"), new_s.block.expect("new block"));
        prop_assert_eq!(&text[..ob.yaml.start], &new[..nb.yaml.start]);
        prop_assert_eq!(&text[ob.yaml.end..], &new[nb.yaml.end..]);
        for p in &pushes {
            prop_assert!(new.contains(&format!("slug: {}", p.slug)), "{} missing:\n{}", p.slug, new);
        }
        prop_assert_eq!(edit(&new, &pushes), Ok(None));
    }
}

/// Real notes (the sample beside the repository, when present): every note with intact
/// front matter takes an edit that changes nothing but `anki_cards`; every damaged one is
/// refused and left alone.
#[test]
fn real_notes_are_edited_or_refused() {
    let Some(dir) = common::reference("corpus/interview-vault-sample") else {
        return;
    };
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "md") && !p.ends_with("MANIFEST.md") {
                files.push(p);
            }
        }
    }
    files.sort();
    let (mut edited, mut refused) = (Vec::new(), Vec::new());
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read");
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let push = [pushed("zz-new-0-en", 1_769_300_000_000)];
        match edit(&text, &push) {
            Ok(Some(new)) => {
                assert_eq!(edit(&new, &push), Ok(None), "{name}");
                edited.push(name);
            }
            Ok(None) => panic!("{name}: a new entry must change the file"),
            Err(_) => refused.push(name),
        }
    }
    for damaged in [
        "c-activity.md",
        "q-git-merge-vs-rebase--tools--medium.md",
        "q-list-vs-sequence--kotlin--medium.md",
        "q-stable-annotation-compose--android--hard.md",
        "q-singleton-object-keyword--kotlin--easy.md",
        "q-actor-pattern--kotlin--hard.md",
        "moc-android.md",
        "q-coroutine-memory-leak-detection--kotlin--hard.md",
    ] {
        assert!(
            refused.iter().any(|r| r == damaged),
            "{damaged} must be refused; edited: {edited:?}"
        );
    }
    for intact in [
        "q-sync-async-communication--system-design--medium.md",
        "q-hilt-entry-points--android--medium.md",
        "q-how-to-start-drawing-ui-in-android--android--easy.md",
        "q-stateflow-flow-sharedflow-livedata--android--medium.md",
        "c-kotlin.md",
        "moc-cs.md",
    ] {
        assert!(
            edited.iter().any(|e| e == intact),
            "{intact} must be edited; refused: {refused:?}"
        );
    }
}
