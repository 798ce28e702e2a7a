/*!
Cards: what a note becomes in Anki.

Each note kind says how it becomes cards (`[kinds.cards]` in `decksmith.toml`): a `qa` note
gives one card per question block and language, a `list` note one card per entry of its
trap-questions list, other kinds none. A card's slug, `<note id>-<index>-<lang>`, is its
identity forever: it depends only on the id, the block's position among the questions of its
language, and the language. Everything that is pushed to Anki is hashed, so a sync can tell
an unchanged card without comparing fields.

A card that cannot be rendered safely (its HTML would nest deeper than
[`nesting::MAX_DEPTH`] levels) is not made: it is reported with the line of its section, so
nothing truncated or half-rendered ever reaches Anki.

Pure: notes and settings in, cards out.
*/

pub mod cloze;
pub mod extract;
pub mod model;
pub mod nesting;
pub mod preview;
pub mod render;
pub mod slug;

use std::collections::{BTreeSet, HashSet};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use serde::Serialize;
use serde_json::Value;

use crate::config::{CardsConfig, Kind};
use crate::vault::note::Note;
use extract::Pair;
use render::RenderOptions;

/// One Anki card (an Anki note of decksmith's note type).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Card {
    pub slug: String,
    /// Vault-relative path of the note.
    pub note: String,
    pub note_id: String,
    pub index: usize,
    pub lang: String,
    pub deck: String,
    pub tags: Vec<String>,
    pub front: String,
    pub back: String,
    /// The Source field (HTML, like the front and back): the note's path, as a link that
    /// opens the note in Obsidian when `[cards] obsidian-links` is on.
    pub source: String,
    /// Media files the fields refer to, as written in the note.
    pub media: Vec<String>,
    /// A hash of every pushed field, deck and tags (16 hex digits, FNV-1a).
    pub hash: String,
    /// The Anki note type the card goes to ([`model::NoteModel`]).
    pub note_type: String,
    /// The card is a cloze note: `front` holds its text with `{{c1::…}}` deletions.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cloze: bool,
}

#[cfg(test)]
impl Card {
    /// A card of the note `n.md` (id `n`, deck `D`, tags `decksmith` and `lang::en`) for
    /// unit tests of what is made of cards.
    pub(crate) fn sample(slug: &str) -> Card {
        Card {
            slug: slug.into(),
            note: "n.md".into(),
            note_id: "n".into(),
            index: 0,
            lang: "en".into(),
            deck: "D".into(),
            tags: vec!["decksmith".into(), "lang::en".into()],
            front: "<p>F</p>".into(),
            back: "<p>B</p>".into(),
            source: "n.md".into(),
            media: vec![],
            hash: String::new(),
            note_type: "decksmith".into(),
            cloze: false,
        }
    }
}

impl Card {
    /// The HTML of one of the card's parts.
    pub fn part(&self, part: crate::config::CardPart) -> &str {
        match part {
            crate::config::CardPart::Front => &self.front,
            crate::config::CardPart::Back => &self.back,
            crate::config::CardPart::Source => &self.source,
        }
    }
}

/// Why a note gives no cards.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Skip {
    /// Its front matter is missing or broken.
    NoFrontMatter,
    /// Its front matter parses but is damaged (duplicate keys, leaked blocks, …): the
    /// check rules say how; cards wait until it is repaired.
    DamagedFrontMatter,
    /// It has no `id` to build slugs from.
    NoId,
    /// Its `id` holds a control character (a line break, a tab, …): a slug must be one
    /// printable line, and Anki drops control characters from fields, so the card could not
    /// be found again by its slug.
    UnprintableId,
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Skip::NoFrontMatter => "no readable front matter",
            Skip::NoId => "no `id` to build slugs from",
            Skip::DamagedFrontMatter => "damaged front matter; see `decksmith check`",
            Skip::UnprintableId => {
                "`id` holds a control character (line break, tab, …); slugs are built from it"
            }
        })
    }
}

/// A card the note asks for but that is not made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refused {
    pub slug: String,
    /// The 1-based line of the heading (or list entry) of the question or answer at fault.
    pub line: usize,
    /// Why, as a sentence fragment after the slug.
    pub reason: String,
}

/// The cards of one note.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NoteCards {
    pub note: String,
    pub cards: Vec<Card>,
    /// Languages of the note that gave no complete card.
    pub missing: Vec<String>,
    /// Complete cards that were not made, with the reason.
    pub refused: Vec<Refused>,
    pub skipped: Option<Skip>,
}

/// FNV-1a 64 of raw bytes, as 16 hex digits (media file names).
pub fn fnv1a_bytes(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// FNV-1a 64: stable across runs, machines and Rust versions (unlike `DefaultHasher`).
pub fn fnv1a(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

fn field<'a>(json: &'a Value, name: &str) -> Option<&'a str> {
    json.get(name).and_then(Value::as_str)
}

/// Fill `{field}` placeholders; `None` when a field is missing.
fn fill(template: &str, note: &Note, kind: &Kind, lang: &str) -> Option<String> {
    let json = note.json();
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}')? + open;
        let name = &rest[open + 1..close];
        let value = match name {
            "folder" => note
                .path
                .split('/')
                .next()
                .filter(|_| note.path.contains('/'))?,
            "dir" => note.path.rsplit('/').nth(1)?,
            "kind" => kind.name.as_str(),
            "lang" => lang,
            _ => field(json, name)?,
        };
        out.push_str(value);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// An Anki tag: no spaces, `/` hierarchy written as `::`.
fn tag(s: &str) -> String {
    s.trim().replace(' ', "_").replace('/', "::")
}

fn tags(note: &Note, cfg: &CardsConfig, lang: &str) -> Vec<String> {
    let json = note.json();
    let mut set = BTreeSet::new();
    set.insert(tag(&cfg.marker_tag));
    set.insert(format!("lang::{lang}"));
    if let Some(d) = field(json, "difficulty") {
        set.insert(format!("difficulty::{}", tag(d)));
    }
    let topic = field(json, "topic").map(tag);
    if let Some(t) = &topic {
        set.insert(t.clone());
    }
    if let Some(subs) = json.get("subtopics").and_then(Value::as_array) {
        for s in subs.iter().filter_map(Value::as_str) {
            match &topic {
                Some(t) => set.insert(format!("{t}::{}", tag(s))),
                None => set.insert(tag(s)),
            };
        }
    }
    if let Some(note_tags) = json.get("tags").and_then(Value::as_array) {
        for t in note_tags.iter().filter_map(Value::as_str) {
            if !t.trim().is_empty() {
                set.insert(tag(t));
            }
        }
    }
    set.into_iter().filter(|t| !t.is_empty()).collect()
}

/// What a query value of an `obsidian://` URL keeps unencoded: URI unreserved characters,
/// and `/` so that paths stay readable. Everything else, `&` and `=` included, is
/// percent-encoded, so a vault or file name can never end the value early.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// The Obsidian URL that opens a note (`path` with or without `.md`).
pub fn obsidian_url(vault: &str, path: &str) -> String {
    let file = path.strip_suffix(".md").unwrap_or(path);
    format!(
        "obsidian://open?vault={}&file={}",
        utf8_percent_encode(vault, QUERY_VALUE),
        utf8_percent_encode(file, QUERY_VALUE)
    )
}

/// The Source field: Anki fields are HTML, so the path is escaped text, and the Obsidian
/// link a working `<a href>` whose URL is percent-encoded, then escaped as an attribute.
fn source_field(path: &str, obsidian_vault: Option<&str>) -> String {
    let mut text = String::new();
    // Writing into a String cannot fail.
    let _ = pulldown_cmark_escape::escape_html_body_text(&mut text, path);
    match obsidian_vault {
        None => text,
        Some(vault) => {
            let mut href = String::new();
            let _ = pulldown_cmark_escape::escape_html(&mut href, &obsidian_url(vault, path));
            format!("<a href=\"{href}\">{text}</a>")
        }
    }
}

/// The cards of a note of `kind`. `vault` is the vault's name, for Obsidian links.
pub fn note_cards(note: &Note, kind: &Kind, cfg: &CardsConfig, vault: &str) -> NoteCards {
    let mut out = NoteCards {
        note: note.path.clone(),
        cards: Vec::new(),
        missing: Vec::new(),
        refused: Vec::new(),
        skipped: None,
    };
    if kind.cards.is_none() {
        return out;
    }
    if note.front_matter().is_none() {
        out.skipped = Some(Skip::NoFrontMatter);
        return out;
    }
    if !note.front_matter_intact() {
        out.skipped = Some(Skip::DamagedFrontMatter);
        return out;
    }
    let Some(id) = note.field_str("id").filter(|s| !s.trim().is_empty()) else {
        out.skipped = Some(Skip::NoId);
        return out;
    };
    if id.chars().any(char::is_control) {
        out.skipped = Some(Skip::UnprintableId);
        return out;
    }
    let pairs = extract::pairs(note, kind);
    let languages: Vec<String> = match kind.cards.as_ref().map(|c| &c.from) {
        Some(crate::config::CardSource::Qa { .. }) => {
            crate::vault::sections::languages(note, Some(kind))
        }
        _ => pairs.iter().map(|p| p.lang.clone()).collect(),
    };
    let opts = RenderOptions {
        obsidian_vault: cfg.obsidian_links.then(|| vault.to_string()),
    };
    let source = source_field(&note.path, opts.obsidian_vault.as_deref());
    for lang in &languages {
        if !pairs.iter().any(|p| &p.lang == lang && p.is_complete()) {
            out.missing.push(lang.clone());
        }
    }
    for pair in pairs
        .iter()
        .filter(|p| p.is_complete() && languages.contains(&p.lang))
    {
        match card(note, kind, cfg, id, pair, &opts, &source) {
            Ok(c) => out.cards.push(c),
            Err(refused) => out.refused.push(refused),
        }
    }
    out.missing.sort();
    out.missing.dedup();
    out
}

fn card(
    note: &Note,
    kind: &Kind,
    cfg: &CardsConfig,
    id: &str,
    pair: &Pair,
    opts: &RenderOptions,
    source: &str,
) -> Result<Card, Refused> {
    let slug = slug::Slug::new(id, pair.index, &pair.lang).to_string();
    let refuse = |side: &str, at: usize, why: render::TooDeep| Refused {
        slug: slug.clone(),
        line: note.lines.line_of(at) + 1,
        reason: format!("its {side} {why}; it is not rendered"),
    };
    let front = render::render(&pair.question, opts)
        .map_err(|e| refuse("question", pair.range.start, e))?;
    let back = render::render(&pair.answer, opts)
        .map_err(|e| refuse("answer", pair.answer_at.unwrap_or(pair.range.start), e))?;
    let mut media = front.media;
    let mut seen: HashSet<String> = media.iter().cloned().collect();
    media.extend(back.media.into_iter().filter(|m| seen.insert(m.clone())));
    let cards = kind.cards.as_ref();
    let template = cards.and_then(|c| c.deck.as_ref()).unwrap_or(&cfg.deck);
    let deck = fill(template, note, kind, &pair.lang)
        .map(|d| cfg.deck_names.get(&d).cloned().unwrap_or(d))
        .filter(|d| !d.trim().is_empty())
        .unwrap_or_else(|| cfg.fallback_deck.clone());
    let tags = tags(note, cfg, &pair.lang);
    let joined_tags = tags.join(" ");
    let joined_media = media.join("\n");
    let hash = fnv1a(&[
        &slug,
        &front.html,
        &back.html,
        source,
        &deck,
        &joined_tags,
        &joined_media,
    ]);
    Ok(Card {
        slug,
        note: note.path.clone(),
        note_id: id.to_string(),
        index: pair.index,
        lang: pair.lang.clone(),
        deck,
        tags,
        front: front.html,
        back: back.html,
        source: source.to_string(),
        media,
        hash,
        note_type: cards.map_or_else(String::new, |c| c.model.name(DEFAULT_NOTE_TYPE)),
        cloze: cards.is_some_and(|c| c.model.cloze),
    })
}

/// The name `[anki] note-type` has by default: a kind's note type is named after it when
/// its settings were not read through [`crate::config::load`], which names them all.
const DEFAULT_NOTE_TYPE: &str = "decksmith";

/// A key for the settings rendering reads — decksmith's version, every kind, the card
/// settings and the vault name — computed once per run for [`source_key`].
pub fn settings_key(kinds: &[Kind], cfg: &CardsConfig, vault: &str) -> String {
    fnv1a(&[
        env!("CARGO_PKG_VERSION"),
        &format!("{kinds:?}"),
        &format!("{cfg:?}"),
        vault,
    ])
}

/// A key for everything [`note_cards`] reads: equal keys give equal cards. It covers the
/// settings ([`settings_key`]), the note's path, kind, front matter, body and integrity, so
/// a card kept from an earlier run under its key is exactly the card rendering would give.
/// `anki_cards` is left out: no card is made of it, and sync's write-back changes nothing
/// else, so a note's key is the same before and after its ids are written back.
pub fn source_key(note: &Note, settings: &str) -> String {
    let mut front = note.json().clone();
    if let Some(map) = front.as_object_mut() {
        map.remove("anki_cards");
    }
    let body = note.text.get(note.split.body_start..).unwrap_or_default();
    let integrity = match (note.front_matter().is_some(), note.front_matter_intact()) {
        (false, _) => "none",
        (true, false) => "damaged",
        (true, true) => "intact",
    };
    let kind = note.kind.map(|k| k.to_string()).unwrap_or_default();
    fnv1a(&[
        settings,
        &note.path,
        &kind,
        &front.to_string(),
        integrity,
        body,
    ])
}

/// The kind of `note` when it produces cards.
pub fn card_kind<'k>(note: &Note, kinds: &'k [Kind]) -> Option<&'k Kind> {
    let kind = kinds.get(note.kind?)?;
    kind.cards.as_ref()?;
    Some(kind)
}

/// The cards of every note that has a kind producing cards, in note order.
pub fn vault_cards(
    notes: &[Note],
    kinds: &[Kind],
    cfg: &CardsConfig,
    vault: &str,
) -> Vec<NoteCards> {
    use rayon::prelude::*;
    notes
        .par_iter()
        .filter_map(|n| cards_of(n, kinds, cfg, vault))
        .collect()
}

/// The cards of one note, when its kind gives cards.
pub fn cards_of(note: &Note, kinds: &[Kind], cfg: &CardsConfig, vault: &str) -> Option<NoteCards> {
    Some(note_cards(note, card_kind(note, kinds)?, cfg, vault))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_key_ignores_anki_cards_and_nothing_else() {
        let (kind, cfg) = qa_kind();
        let key = |text: &str| {
            let note = Note::from_text("q.md".into(), text.into(), None);
            source_key(&note, &settings_key(std::slice::from_ref(&kind), &cfg, "v"))
        };
        let base = format!("{HEAD}# Question (EN)\n> Q?\n");
        let with_ids = base.replacen(
            "---\n#",
            "anki_cards:\n- slug: x-1-0-en\n  anki_id: 5\n---\n#",
            1,
        );
        assert_ne!(with_ids, base);
        assert_eq!(key(&base), key(&with_ids), "ids written back");
        for changed in [
            base.replace("Q?", "Q!"),
            base.replace("x-1", "x-2"),
            base.replace("[en, ru]", "[en]"),
            base.replace("id: x-1\n", "id: x-1\nid: x-1\n"),
        ] {
            assert_ne!(key(&base), key(&changed), "{changed}");
        }
    }

    #[test]
    fn heading_cards_ask_each_heading_of_their_level() {
        let kind: Kind = toml::from_str(
            "name = \"notes\"\nfilename = 'x'\ncards = { from = \"headings\", level = 2, default-language = \"en\", deck = \"Notes\" }",
        )
        .expect("kind");
        let cfg = qa_kind().1;
        let text = "---\nid: caching\n---\n# Caching\n\nIntro.\n\n## What is a cache?\n\nA store *close* to use.\n\n### Detail\n\nMore.\n\n## When does it go stale?\n\nWhen the source changes.\n\n## Empty\n";
        let note = Note::from_text("caching.md".into(), text.into(), None);
        let out = note_cards(&note, &kind, &cfg, "v");
        let slugs: Vec<&str> = out.cards.iter().map(|c| c.slug.as_str()).collect();
        // The empty section gives no card; the slugs keep the scheme `<id>-<index>-<lang>`.
        assert_eq!(slugs, ["caching-0-en", "caching-1-en"]);
        assert_eq!(out.cards[0].front, "<p>What is a cache?</p>");
        assert!(
            out.cards[0].back.contains("<em>close</em>"),
            "{}",
            out.cards[0].back
        );
        assert!(
            out.cards[0].back.contains("More."),
            "subsections belong to the answer"
        );
        assert!(
            !out.cards[0].back.contains("stale"),
            "{}",
            out.cards[0].back
        );
        assert_eq!(out.cards[1].deck, "Notes");
    }

    #[test]
    fn hash_is_stable() {
        assert_eq!(fnv1a(&["a", "b"]), fnv1a(&["a", "b"]));
        assert_ne!(fnv1a(&["ab", ""]), fnv1a(&["a", "b"]));
        // A fixed value: changing the hash function would make every card look changed.
        assert_eq!(fnv1a(&[""]), "af63bd4c8601b7df");
    }

    #[test]
    fn tags_map_hierarchy() {
        assert_eq!(tag("difficulty/medium"), "difficulty::medium");
        assert_eq!(tag("a b"), "a_b");
    }

    #[test]
    fn source_is_escaped_text_or_a_working_link() {
        assert_eq!(source_field("a/<b>&c.md", None), "a/&lt;b&gt;&amp;c.md");
        assert_eq!(
            source_field("a/<b>&\"c\".md", Some("My \"Vault\" & co")),
            "<a href=\"obsidian://open?vault=My%20%22Vault%22%20%26%20co&amp;file=a/%3Cb%3E%26%22c%22\">a/&lt;b&gt;&amp;\"c\".md</a>"
        );
    }

    fn qa_kind() -> (Kind, CardsConfig) {
        let loaded = crate::config::load(std::path::PathBuf::from("."), None).expect("defaults");
        let kind = loaded
            .config
            .kinds
            .iter()
            .find(|k| k.name == "qa-note")
            .expect("kind")
            .clone();
        (kind, loaded.config.cards)
    }

    fn cards_of(text: &str) -> NoteCards {
        let (kind, cfg) = qa_kind();
        let note = Note::from_text("q.md".into(), text.into(), None);
        note_cards(&note, &kind, &cfg, "v")
    }

    const HEAD: &str = "---\nid: x-1\nlanguage_tags: [en, ru]\n---\n";

    #[test]
    fn a_card_too_deep_to_render_is_refused_with_its_line() {
        let deep = ">".repeat(nesting::MAX_DEPTH + 1);
        let text = format!(
            "{HEAD}# Question (EN)\n> Q?\n\n# Вопрос (RU)\n> {deep} В?\n\n## Answer (EN)\n\n{deep} A\n\n## Ответ (RU)\n\nО.\n"
        );
        let out = cards_of(&text);
        assert!(out.cards.is_empty(), "{:?}", out.cards);
        let got: Vec<(&str, usize, bool)> = out
            .refused
            .iter()
            .map(|r| (r.slug.as_str(), r.line, r.reason.starts_with("its answer")))
            .collect();
        // The EN answer under its heading (line 11), the RU question under its (line 8).
        assert_eq!(got, vec![("x-1-0-en", 11, true), ("x-1-0-ru", 8, false)]);
        assert!(out.missing.is_empty());
    }

    #[test]
    fn an_id_with_a_control_character_gives_no_slugs() {
        let text = "---\nid: \"x\\n1\"\nlanguage_tags: [en]\n---\n# Question (EN)\n> Q?\n\n## Answer (EN)\n\nA.\n";
        let out = cards_of(text);
        assert_eq!(out.skipped, Some(Skip::UnprintableId));
        assert!(out.cards.is_empty());
    }
}
