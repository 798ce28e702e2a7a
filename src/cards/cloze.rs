//! Cloze deletions: which blocks of a note hold them, and Obsidian highlights turned into
//! them.
//!
//! A cloze card is one paragraph (or one item of a tight list): the unit a reader sees as
//! one statement, and the unit Anki makes one cloze note of, a card per deletion number.
//! Blocks are found in the Markdown parse, never by searching the text, so a `{{c1::…}}`
//! shown in code is not a deletion. Anki's own syntax is kept as written (`{{c1::text}}`,
//! `{{c2::text::hint}}`): its numbers are the user's, and a card keeps its number — and its
//! reviews — whatever text around it changes. Highlights (`==text==`) are numbered after
//! the block's own deletions, in order, each its own card.

use std::ops::Range;
use std::sync::LazyLock;

use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use regex::Regex;

/// `{{c<n>::`, the start of an Anki cloze deletion; the number is captured.
static DELETION: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::unwrap_used)] // A constant pattern, tested below.
    Regex::new(r"\{\{c([1-9][0-9]{0,3})::").unwrap()
});

/// A block that holds cloze deletions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// Where the block is in the note's text.
    pub range: Range<usize>,
    /// Its Markdown, quote markers and indentation of continuation lines removed, with
    /// highlights turned into deletions when asked.
    pub text: String,
}

/// The blocks of `text[from..]` holding cloze deletions (with `highlights`, highlights
/// too), in document order; ranges are offsets into `text`.
pub fn blocks(text: &str, from: usize, highlights: bool) -> Vec<Block> {
    leaves(text, from)
        .into_iter()
        .filter(|leaf| {
            DELETION.is_match(&leaf.plain)
                || (highlights && !highlight_spans(&leaf.plain).is_empty())
        })
        .map(|leaf| {
            let text_of = |r: &Range<usize>| &text[r.clone()];
            let source = unquote(text_of(&leaf.range), leaf.quoted);
            let text = if highlights {
                number_highlights(&source)
            } else {
                source
            };
            let trimmed = text_of(&leaf.range).trim_end().len();
            Block {
                range: leaf.range.start..leaf.range.start + trimmed,
                text,
            }
        })
        .collect()
}

/// A paragraph or tight list item, with the text of its inline events (code left out).
struct Leaf {
    range: Range<usize>,
    plain: String,
    quoted: bool,
}

/// The paragraphs and tight list items of `text[from..]`.
fn leaves(text: &str, from: usize) -> Vec<Leaf> {
    let body = &text[from..];
    let mut out: Vec<Leaf> = Vec::new();
    let mut open: Option<Leaf> = None;
    let mut in_paragraph = false;
    let mut quotes = 0usize;
    // After an item starts: its first event tells a tight item (inline content) from a
    // loose one (a paragraph).
    let mut item_starting = false;
    for (event, range) in
        Parser::new_ext(body, crate::vault::markdown::options()).into_offset_iter()
    {
        let range = from + range.start..from + range.end;
        let inline = is_inline(&event);
        if item_starting && inline && !in_paragraph {
            open = Some(Leaf {
                range: range.clone(),
                plain: String::new(),
                quoted: quotes > 0,
            });
        }
        item_starting = matches!(event, Event::Start(Tag::Item))
            || (item_starting && matches!(event, Event::TaskListMarker(_)));
        match &event {
            Event::Start(Tag::Paragraph) => {
                close(&mut open, &mut out);
                in_paragraph = true;
                open = Some(Leaf {
                    range: range.clone(),
                    plain: String::new(),
                    quoted: quotes > 0,
                });
            }
            Event::End(TagEnd::Paragraph) => {
                in_paragraph = false;
                close(&mut open, &mut out);
            }
            Event::Start(Tag::BlockQuote(_)) => {
                close(&mut open, &mut out);
                quotes += 1;
            }
            Event::End(TagEnd::BlockQuote(_)) => quotes = quotes.saturating_sub(1),
            _ if inline => {
                if let Some(leaf) = open.as_mut() {
                    if !in_paragraph {
                        leaf.range.end = leaf.range.end.max(range.end);
                    }
                    if let Event::Text(t) = &event {
                        leaf.plain.push_str(t);
                    }
                }
            }
            // Any other block boundary ends a tight item's text.
            _ if !in_paragraph => close(&mut open, &mut out),
            _ => {}
        }
    }
    close(&mut open, &mut out);
    out
}

fn close(open: &mut Option<Leaf>, out: &mut Vec<Leaf>) {
    if let Some(leaf) = open.take() {
        out.push(leaf);
    }
}

/// Events inside a paragraph or a tight item's text.
fn is_inline(event: &Event<'_>) -> bool {
    match event {
        Event::Text(_)
        | Event::Code(_)
        | Event::InlineHtml(_)
        | Event::InlineMath(_)
        | Event::DisplayMath(_)
        | Event::SoftBreak
        | Event::HardBreak
        | Event::FootnoteReference(_) => true,
        Event::Start(tag) => matches!(
            tag,
            Tag::Emphasis | Tag::Strong | Tag::Strikethrough | Tag::Link { .. } | Tag::Image { .. }
        ),
        Event::End(tag) => matches!(
            tag,
            TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Link
                | TagEnd::Image
        ),
        _ => false,
    }
}

/// A block's source as one Markdown paragraph: continuation lines lose their indentation
/// and, inside a quote, their `>` markers.
fn unquote(source: &str, quoted: bool) -> String {
    let mut lines = source.trim_end().lines();
    let mut out = lines.next().unwrap_or_default().to_string();
    for line in lines {
        let mut l = line.trim_start();
        if quoted {
            l = l.trim_start_matches(['>', ' ', '\t']);
        }
        out.push('\n');
        out.push_str(l);
    }
    out
}

/// The byte ranges of `==…==` highlights in `text` outside code spans: the markers
/// included, the inside not empty and not starting or ending with a space.
fn highlight_spans(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    let mut open: Option<usize> = None;
    while i < bytes.len() {
        match bytes[i] {
            b'`' => {
                // Skip a code span: from a run of backticks to the next run as long.
                let run = bytes[i..].iter().take_while(|b| **b == b'`').count();
                let fence = &text[i..i + run];
                match text[i + run..].find(fence) {
                    Some(end) => i += run + end + run,
                    None => i += run,
                }
                continue;
            }
            b'=' if bytes.get(i + 1) == Some(&b'=') => {
                match open {
                    Some(start) => {
                        let inside = &text[start + 2..i];
                        if !inside.is_empty()
                            && !inside.starts_with(char::is_whitespace)
                            && !inside.ends_with(char::is_whitespace)
                        {
                            spans.push(start..i + 2);
                            open = None;
                        } else {
                            open = Some(i);
                        }
                    }
                    None => open = Some(i),
                }
                i += 2;
                continue;
            }
            b'\n' if bytes.get(i + 1) == Some(&b'\n') => open = None,
            _ => {}
        }
        i += 1;
    }
    spans
}

/// `text` with each highlight made a deletion numbered after the block's own deletions.
fn number_highlights(text: &str) -> String {
    let mut next = DELETION
        .captures_iter(text)
        .filter_map(|c| c[1].parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for span in highlight_spans(text) {
        next += 1;
        out.push_str(&text[at..span.start]);
        out.push_str(&format!(
            "{{{{c{next}::{}}}}}",
            &text[span.start + 2..span.end - 2]
        ));
        at = span.end;
    }
    out.push_str(&text[at..]);
    out
}

/// The deletion numbers of a cloze text, sorted: one card each.
pub fn numbers(text: &str) -> Vec<u32> {
    let mut n: Vec<u32> = DELETION
        .captures_iter(text)
        .filter_map(|c| c[1].parse().ok())
        .collect();
    n.sort_unstable();
    n.dedup();
    n
}

/// A cloze text as Anki shows card `n`: its deletion asked (`[...]`, or `[hint]`), or
/// revealed; other deletions shown as their text. HTML in, HTML out.
pub fn show(text: &str, n: u32, revealed: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(m) = DELETION.captures(rest) {
        let (Some(whole), Some(number)) = (m.get(0), m.get(1)) else {
            break;
        };
        let Some(close) = rest[whole.end()..].find("}}") else {
            break;
        };
        let inner = &rest[whole.end()..whole.end() + close];
        let (answer, hint) = match inner.split_once("::") {
            Some((a, h)) => (a, Some(h)),
            None => (inner, None),
        };
        out.push_str(&rest[..whole.start()]);
        if number.as_str().parse() == Ok(n) {
            let shown = if revealed {
                answer.to_string()
            } else {
                format!("[{}]", hint.unwrap_or("..."))
            };
            out.push_str(&format!("<span class=\"cloze\">{shown}</span>"));
        } else {
            out.push_str(answer);
        }
        rest = &rest[whole.end() + close + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(md: &str, highlights: bool) -> Vec<String> {
        blocks(md, 0, highlights)
            .into_iter()
            .map(|b| b.text)
            .collect()
    }

    #[test]
    fn paragraphs_and_tight_items_with_deletions_are_blocks() {
        let md = "# T\n\nPlain text.\n\nA {{c1::cache}} is\n  {{c2::fast::speed}}.\n\n- one {{c1::item}}\n- two\n  - nested {{c1::x}}\n\n> quoted {{c1::q}}\n> more\n\n```\n{{c1::code}}\n```\n\nIn `{{c1::code}}` only.\n";
        assert_eq!(
            texts(md, false),
            vec![
                "A {{c1::cache}} is\n{{c2::fast::speed}}.",
                "one {{c1::item}}",
                "nested {{c1::x}}",
                "quoted {{c1::q}}\nmore",
            ]
        );
    }

    #[test]
    fn highlights_are_numbered_after_the_block_s_own_deletions() {
        let md = "A ==one== and {{c2::two}} and ==three==, not == spaced == nor `==code==`.\n";
        assert_eq!(
            texts(md, true),
            vec![
                "A {{c3::one}} and {{c2::two}} and {{c4::three}}, not == spaced == nor `==code==`."
            ]
        );
        assert!(texts(md.replace("{{c2::two}}", "two").as_str(), false).is_empty());
    }

    #[test]
    fn a_card_is_shown_as_anki_shows_it() {
        let text = "A {{c1::cache}} is {{c2::fast::speed}}.";
        assert_eq!(numbers(text), vec![1, 2]);
        assert_eq!(
            show(text, 2, false),
            "A cache is <span class=\"cloze\">[speed]</span>."
        );
        assert_eq!(
            show(text, 1, false),
            "A <span class=\"cloze\">[...]</span> is fast."
        );
        assert_eq!(
            show(text, 1, true),
            "A <span class=\"cloze\">cache</span> is fast."
        );
    }

    #[test]
    fn ranges_point_into_the_whole_text() {
        let md = "---\nid: x\n---\nSee {{c1::this}}.\n";
        let from = md.find("See").unwrap_or(0);
        let b = blocks(md, from, false);
        assert_eq!(&md[b[0].range.clone()], "See {{c1::this}}.");
    }
}
