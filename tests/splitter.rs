//! Property tests of the front-matter splitter and the YAML reader: they never panic, and
//! prefix + YAML + suffix always re-joins to the original bytes, whatever the BOM, line
//! endings or trailing newline.

use decksmith::vault::frontmatter::{Defect, Eol, split};
use decksmith::vault::note::Note;
use decksmith::vault::yaml;
use proptest::prelude::*;

fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("---".to_string()),
        Just("---\\".to_string()),
        Just("...".to_string()),
        Just("---id: x".to_string()),
        Just("id: a-1".to_string()),
        Just("title: 'Вопрос: «да»'".to_string()),
        Just("# Heading (RU)".to_string()),
        Just("> quoted".to_string()),
        Just("- item".to_string()),
        Just("".to_string()),
        "[a-zа-я :#>%|!()\\-\\[\\]{}'\"|]{0,20}",
    ]
}

fn document() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(line(), 0..14),
    )
        .prop_map(|(bom, crlf, final_newline, lines)| {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut s = String::new();
            if bom {
                s.push('\u{feff}');
            }
            s.push_str(&lines.join(eol));
            if final_newline && !lines.is_empty() {
                s.push_str(eol);
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn split_rejoins_to_the_original(text in document()) {
        let s = split(&text);
        let joined = format!("{}{}{}", s.prefix(&text), s.yaml(&text), s.suffix(&text));
        prop_assert_eq!(joined, text.clone());
        prop_assert_eq!(s.bom, text.starts_with('\u{feff}'));
        prop_assert_eq!(s.trailing_newline, text.ends_with('\n'));
        if let Some(b) = &s.block {
            prop_assert_eq!(&text[b.open.clone()], "---");
            let close = &text[b.close.clone()];
            prop_assert!(close == "---" || close == "...");
            prop_assert!(s.body_start <= text.len());
        } else {
            prop_assert!(!s.defects.is_empty(), "no block means a defect is reported");
        }
        if text.contains("\r\n") && !text.replace("\r\n", "").contains('\n') {
            prop_assert_eq!(s.eol, Eol::Crlf);
        }
    }

    #[test]
    fn notes_never_panic(text in document()) {
        let note = Note::from_text("q-x--kotlin--easy.md".into(), text.clone(), Some(0));
        // Every position a reader reports lies inside the file, on a char boundary.
        if let Some(Ok(parsed)) = &note.yaml {
            for d in &parsed.duplicates {
                prop_assert!(text.is_char_boundary(d.first.start) && d.second.end <= text.len());
            }
        }
        if let Some(Err(e)) = &note.yaml {
            prop_assert!(e.offset <= text.len());
        }
        for link in decksmith::vault::links::extract(&text, note.split.body_start) {
            prop_assert!(link.range.end <= text.len() && text.is_char_boundary(link.range.start));
        }
        for h in &note.headings {
            prop_assert!(h.range.end <= text.len() && text.is_char_boundary(h.range.start));
        }
    }

    #[test]
    fn yaml_spans_point_at_their_values(key in "[a-z]{1,8}", value in "[a-zA-Zа-яё0-9 ]{1,12}") {
        let value = value.trim().to_string();
        prop_assume!(!value.is_empty());
        let doc = format!("pad: Ёжик\n{key}: '{value}'\n");
        if key == "pad" { return Ok(()); }
        let parsed = yaml::parse(&doc, 0).expect("valid yaml");
        let span = parsed.spans.value(&format!("/{key}")).expect("span");
        prop_assert_eq!(&doc[span], format!("'{value}'"));
    }
}

#[test]
fn the_defects_of_real_vaults_are_classified() {
    type Case = (&'static str, fn(&Defect) -> bool);
    let cases: &[Case] = &[
        ("# Title\n", |d| matches!(d, Defect::Missing)),
        ("---\\\nid: a\n---\\\n", |d| {
            matches!(d, Defect::BrokenFence { .. })
        }),
        ("---id: a\n---\n", |d| {
            matches!(d, Defect::MergedFence { .. })
        }),
        ("---\nid: a\n", |d| matches!(d, Defect::Unterminated { .. })),
        ("---\nx: 1\n---\n---\n---\\\nid: a\nt: b\n---\\\n", |d| {
            matches!(d, Defect::MetadataInBody { .. })
        }),
    ];
    for (text, expected) in cases {
        let s = split(text);
        assert!(
            s.defects.iter().any(expected),
            "{text:?} gave {:?}",
            s.defects
        );
    }
}
