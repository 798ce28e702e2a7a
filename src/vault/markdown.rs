//! What the linter needs from a note body, extracted in one pulldown-cmark pass.
//!
//! Only summaries are kept (headings with their byte ranges and what follows them), never
//! the event stream: a vault of ten thousand notes must fit in memory as metadata.

use std::ops::Range;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::links::{Collector, Link};

/// An ATX or setext heading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heading {
    pub level: u8,
    /// The heading's plain text (inline markup dropped, whitespace trimmed).
    pub text: String,
    pub range: Range<usize>,
    /// Whether the first block after the heading is a blockquote.
    pub followed_by_quote: bool,
}

pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_MATH
        | Options::ENABLE_WIKILINKS
}

/// Extract headings from `text[from..]`; ranges are offsets into `text`.
pub fn headings(text: &str, from: usize) -> Vec<Heading> {
    summarise(text, from).0
}

/// Headings and links of `text[from..]` in one parse; ranges are offsets into `text`.
pub fn summarise(text: &str, from: usize) -> (Vec<Heading>, Vec<Link>) {
    let body = &text[from..];
    let mut links = Collector::new(text, from);
    let mut out: Vec<Heading> = Vec::new();
    let mut current: Option<(u8, usize, String)> = None;
    // After a heading ends, the next block start decides `followed_by_quote`.
    let mut awaiting_block = false;
    for (event, range) in Parser::new_ext(body, options()).into_offset_iter() {
        links.event(&event, &range);
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                awaiting_block = false;
                current = Some((level_number(level), range.start, String::new()));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, start, text)) = current.take() {
                    out.push(Heading {
                        level,
                        text: text.trim().to_string(),
                        range: from + start..from + trim_end(body, range.end),
                        followed_by_quote: false,
                    });
                    awaiting_block = true;
                }
            }
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) => {
                if let Some((_, _, text)) = current.as_mut() {
                    text.push_str(&t);
                }
            }
            Event::Start(tag) if awaiting_block => {
                awaiting_block = false;
                if matches!(tag, Tag::BlockQuote(_))
                    && let Some(last) = out.last_mut()
                {
                    last.followed_by_quote = true;
                }
            }
            Event::Rule if awaiting_block => awaiting_block = false,
            _ => {}
        }
    }
    (out, links.links)
}

/// Block ids: `^id` at the end of a line (`Some text ^my-block`), as Obsidian writes them.
pub fn block_ids(body: &str) -> Vec<String> {
    // Only the lines that hold a caret are looked at, found from the carets: most notes
    // have none, and the others a few.
    let bytes = body.as_bytes();
    let mut out = Vec::new();
    // The end of the last line looked at.
    let mut done = 0;
    for caret in memchr::memchr_iter(b'^', bytes) {
        if caret < done {
            continue;
        }
        let start = memchr::memrchr(b'\n', &bytes[..caret]).map_or(0, |i| i + 1);
        let end = memchr::memchr(b'\n', &bytes[caret..]).map_or(bytes.len(), |i| caret + i);
        done = end;
        if let Some(id) = block_id(&body[start..end]) {
            out.push(id.to_string());
        }
    }
    out
}

/// The block id a line ends with, if any.
fn block_id(line: &str) -> Option<&str> {
    let line = line.trim_end();
    let caret = line.rfind('^')?;
    let id = &line[caret + 1..];
    let before = &line[..caret];
    (!id.is_empty()
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && (before.is_empty() || before.ends_with([' ', '\t'])))
    .then_some(id)
}

/// The key an anchor is compared by: lower case, runs of spaces and punctuation folded to
/// one `-`, so `#Why it matters`, `#why-it-matters` and `#Why it matters?` agree.
pub fn anchor_key(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    out.extend(AnchorChars::new(text));
    out
}

/// Whether `text`'s anchor key is `key`, without building it: rules compare every heading
/// of every note with a few section names, and most differ at the first character.
pub fn anchor_matches(text: &str, key: &str) -> bool {
    AnchorChars::new(text).eq(key.chars())
}

/// The first character of `text`'s anchor key (`None` when the key is empty).
pub fn anchor_key_start(text: &str) -> Option<char> {
    AnchorChars::new(text).next()
}

/// The characters of an anchor key, one at a time.
///
/// ASCII, which nearly every heading is, is folded without Unicode's tables (the same
/// result: an ASCII character lowercases to one ASCII character, alphanumeric exactly
/// when `is_ascii_alphanumeric`).
struct AnchorChars<'a> {
    chars: std::str::Chars<'a>,
    /// The rest of a non-ASCII character's lower case (one character may become several).
    lower: Option<std::char::ToLowercase>,
    /// A character held back behind the `-` that joins it to the key so far.
    held: Option<char>,
    /// Whether a separator was seen since the last alphanumeric character.
    dash: bool,
    /// Whether the key has a character yet (a key never starts with `-`).
    started: bool,
}

impl<'a> AnchorChars<'a> {
    fn new(text: &'a str) -> Self {
        AnchorChars {
            chars: text.chars(),
            lower: None,
            held: None,
            dash: false,
            started: false,
        }
    }

    /// The next lower-case character of the text, with whether it is alphanumeric.
    fn next_lower(&mut self) -> Option<(char, bool)> {
        if let Some(c) = self.lower.as_mut().and_then(Iterator::next) {
            return Some((c, c.is_alphanumeric()));
        }
        self.lower = None;
        let c = self.chars.next()?;
        if c.is_ascii() {
            let c = c.to_ascii_lowercase();
            return Some((c, c.is_ascii_alphanumeric()));
        }
        let mut lower = c.to_lowercase();
        let first = lower.next().unwrap_or(c);
        self.lower = Some(lower);
        Some((first, first.is_alphanumeric()))
    }
}

impl Iterator for AnchorChars<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        if let Some(c) = self.held.take() {
            return Some(c);
        }
        loop {
            let (c, alphanumeric) = self.next_lower()?;
            if !alphanumeric {
                self.dash = true;
                continue;
            }
            let joined = self.dash && self.started;
            self.dash = false;
            self.started = true;
            if joined {
                self.held = Some(c);
                return Some('-');
            }
            return Some(c);
        }
    }
}

fn trim_end(body: &str, end: usize) -> usize {
    let mut end = end.min(body.len());
    while end > 0 && matches!(body.as_bytes()[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    end
}

fn level_number(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_ids_and_anchor_keys() {
        assert_eq!(
            block_ids("a line ^abc-1\n^solo\nno^id\n"),
            vec!["abc-1", "solo"]
        );
        assert_eq!(anchor_key("Why it matters?"), anchor_key("why-it-matters"));
        assert_eq!(anchor_key("Ответ (RU)"), "ответ-ru");
        assert!(anchor_matches("Связанные вопросы", "связанные-вопросы"));
        assert!(!anchor_matches("Связанные", "связанные-вопросы"));
    }

    /// The key as first defined: every character lowercased by Unicode's tables.
    fn anchor_key_by_tables(text: &str) -> String {
        let mut out = String::new();
        let mut dash = false;
        for c in text.chars().flat_map(char::to_lowercase) {
            if c.is_alphanumeric() {
                if dash && !out.is_empty() {
                    out.push('-');
                }
                dash = false;
                out.push(c);
            } else {
                dash = true;
            }
        }
        out
    }

    /// Block ids as first defined: every line looked at.
    fn block_ids_by_lines(body: &str) -> Vec<String> {
        body.lines()
            .filter_map(block_id)
            .map(str::to_string)
            .collect()
    }

    proptest::proptest! {
        #[test]
        fn block_ids_agree_with_a_scan_of_every_line(body in "[a^ \\t\\n\\r\\-é\u{a0}1]{0,40}") {
            proptest::prop_assert_eq!(block_ids(&body), block_ids_by_lines(&body));
        }

        #[test]
        fn anchor_keys_agree_with_unicode_tables(text in "[a-zA-Z0-9 ?()#_\\-ÅİẞΣσДжёⅠ́!]{0,24}", other in "[a-zа-я\\-]{0,8}") {
            let key = anchor_key_by_tables(&text);
            proptest::prop_assert_eq!(anchor_key(&text), key.clone());
            proptest::prop_assert!(anchor_matches(&text, &key));
            proptest::prop_assert_eq!(anchor_matches(&text, &other), key == other);
        }
    }

    #[test]
    fn headings_with_offsets_and_quotes() {
        let text =
            "---\nid: a\n---\n# Вопрос (RU)\n> вопрос\n\n## Ответ (`RU`)\ntext\n```\n# not\n```\n";
        let hs = headings(text, 14);
        assert_eq!(hs.len(), 2);
        assert_eq!(hs[0].text, "Вопрос (RU)");
        assert_eq!(&text[hs[0].range.clone()], "# Вопрос (RU)");
        assert!(hs[0].followed_by_quote);
        assert_eq!(hs[1].text, "Ответ (RU)");
        assert!(!hs[1].followed_by_quote);
    }
}
