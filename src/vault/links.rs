//! Links in a note body, with byte spans.
//!
//! pulldown-cmark finds wikilinks (`[[target|label]]`, `[[target#Heading]]`, embeds
//! `![[file.png]]`) and Markdown links with offsets, and already ignores code spans and
//! fenced code. Obsidian's `%% comment %%` blocks are not Markdown, so links inside them are
//! dropped here. External URLs are recorded as such and never resolved (no network).

use std::ops::Range;

use pulldown_cmark::{Event, LinkType, Parser, Tag};

use super::markdown;

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum LinkKind {
    /// `[[target]]`, `[[target|label]]`, or the embed `![[target]]`.
    Wiki,
    /// `[text](path.md)` or `![alt](image.png)`.
    Markdown,
    /// A URL with a scheme (`https:`, `mailto:`, `obsidian:`): never resolved.
    External,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub kind: LinkKind,
    /// The target without `#anchor` (percent-decoded for Markdown links).
    pub target: String,
    /// `Heading` or `^block`, without the `#`.
    pub anchor: Option<String>,
    /// `![[…]]` or `![…](…)`: the target is shown inline, not linked.
    pub embed: bool,
    /// The whole link's byte range in the file.
    pub range: Range<usize>,
}

/// Byte ranges of `%% … %%` comments in `text[from..]`, as file offsets.
fn comment_ranges(text: &str, from: usize) -> Vec<Range<usize>> {
    // Every note's body is searched, and most hold no comment: `str::find` with a
    // two-byte needle sets up a general substring search each time, `memmem` a vector
    // scan for the first byte.
    let marker = memchr::memmem::Finder::new(b"%%");
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut pos = from;
    while let Some(open) = marker.find(&bytes[pos..]) {
        let start = pos + open;
        match marker.find(&bytes[start + 2..]) {
            Some(close) => {
                let end = start + 2 + close + 2;
                out.push(start..end);
                pos = end;
            }
            None => {
                // An unclosed comment hides the rest of the note in Obsidian.
                out.push(start..text.len());
                break;
            }
        }
    }
    out
}

fn has_scheme(url: &str) -> bool {
    match url.find(':') {
        Some(i) if i > 0 => url[..i]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')),
        _ => false,
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        // Both digits are checked as ASCII first, so the slice is on char boundaries.
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

fn split_anchor(dest: &str) -> (String, Option<String>) {
    match dest.split_once('#') {
        Some((t, a)) => (t.to_string(), Some(a.to_string()).filter(|a| !a.is_empty())),
        None => (dest.to_string(), None),
    }
}

/// Collects links from a pulldown-cmark event stream, so the body is parsed once for
/// headings and links together (see [`markdown::summarise`]).
pub(crate) struct Collector {
    from: usize,
    comments: Vec<Range<usize>>,
    pub links: Vec<Link>,
}

impl Collector {
    pub(crate) fn new(text: &str, from: usize) -> Collector {
        Collector {
            from,
            comments: comment_ranges(text, from),
            links: Vec::new(),
        }
    }

    /// Whether `range` lies inside a `%% %%` comment. Comments are in order and never
    /// overlap, so only the last one starting before the range can hold it: a binary
    /// search, as a note may hold many thousands of both.
    fn in_comment(&self, range: &Range<usize>) -> bool {
        let before = self.comments.partition_point(|c| c.start <= range.start);
        before
            .checked_sub(1)
            .and_then(|i| self.comments.get(i))
            .is_some_and(|c| range.end <= c.end)
    }

    /// Look at one event; `range` is relative to the body (as the parser reports it).
    pub(crate) fn event(&mut self, event: &Event<'_>, range: &Range<usize>) {
        let Event::Start(tag) = event else {
            return;
        };
        let (link_type, dest, embed) = match tag {
            Tag::Link {
                link_type,
                dest_url,
                ..
            } => (link_type, dest_url, false),
            Tag::Image {
                link_type,
                dest_url,
                ..
            } => (link_type, dest_url, true),
            _ => return,
        };
        let range = self.from + range.start..self.from + range.end;
        if self.in_comment(&range) {
            return;
        }
        let dest = dest.to_string();
        let (kind, target, anchor) = match link_type {
            LinkType::WikiLink { .. } => {
                let (target, anchor) = split_anchor(&dest);
                (LinkKind::Wiki, target, anchor)
            }
            _ if has_scheme(&dest) => (LinkKind::External, dest, None),
            LinkType::Inline
            | LinkType::Reference
            | LinkType::Collapsed
            | LinkType::Shortcut
            | LinkType::Autolink => {
                let (target, anchor) = split_anchor(&dest);
                (LinkKind::Markdown, percent_decode(&target), anchor)
            }
            _ => return,
        };
        self.links.push(Link {
            kind,
            target,
            anchor,
            embed,
            range,
        });
    }
}

/// Every link in `text[from..]`, in document order.
pub fn extract(text: &str, from: usize) -> Vec<Link> {
    let mut collector = Collector::new(text, from);
    for (event, range) in Parser::new_ext(&text[from..], markdown::options()).into_offset_iter() {
        collector.event(&event, &range);
    }
    collector.links
}

/// A front-matter reference to another note (`related: [c-hilt]`, `moc: moc-android`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// The front-matter key it sits under.
    pub key: String,
    pub target: String,
    pub anchor: Option<String>,
    /// The value's byte range in the file.
    pub range: Range<usize>,
}

/// Parse one reference value: a bare name, or Obsidian's property form `"[[name|Label]]"`.
pub fn parse_reference(value: &str) -> Option<(String, Option<String>)> {
    let v = value.trim();
    let v = v
        .strip_prefix("[[")
        .and_then(|r| r.strip_suffix("]]"))
        .unwrap_or(v);
    let v = v.split('|').next().unwrap_or(v).trim();
    if v.is_empty() {
        return None;
    }
    let (target, anchor) = split_anchor(v);
    Some((target, anchor))
}

/// The references under `keys` in a note's front matter, in key then list order.
pub fn references(note: &super::note::Note, keys: &[String]) -> Vec<Reference> {
    let mut out = Vec::new();
    let Some(root) = note.front_matter().and_then(|p| p.root.as_ref()) else {
        return out;
    };
    for key in keys {
        let Some(node) = root.get(key) else { continue };
        let values: Vec<&super::yaml::Node> = match node.as_str() {
            Some(_) => vec![node],
            None => node.items().iter().collect(),
        };
        for v in values {
            if let Some(text) = v.as_str()
                && let Some((target, anchor)) = parse_reference(text)
            {
                out.push(Reference {
                    key: key.clone(),
                    target,
                    anchor,
                    range: v.span.clone(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(text: &str) -> Vec<(LinkKind, String, Option<String>)> {
        extract(text, 0)
            .into_iter()
            .map(|l| (l.kind, l.target, l.anchor))
            .collect()
    }

    #[test]
    fn embeds_are_marked() {
        let embeds: Vec<bool> = extract("![[a.png]] [[b]] ![i](c.png) [d](e.md)\n", 0)
            .iter()
            .map(|l| l.embed)
            .collect();
        assert_eq!(embeds, vec![true, false, true, false]);
    }

    #[test]
    fn wikilinks_labels_anchors_and_embeds() {
        let text =
            "See [[c-hilt|Entry `Points`]], [[note#Heading]], [[note#^block]] and ![[img.png]].\n";
        assert_eq!(
            targets(text),
            vec![
                (LinkKind::Wiki, "c-hilt".into(), None),
                (LinkKind::Wiki, "note".into(), Some("Heading".into())),
                (LinkKind::Wiki, "note".into(), Some("^block".into())),
                (LinkKind::Wiki, "img.png".into(), None),
            ]
        );
        let first = &extract(text, 0)[0];
        assert_eq!(&text[first.range.clone()], "[[c-hilt|Entry `Points`]]");
    }

    #[test]
    fn markdown_links_are_decoded_and_urls_are_external() {
        let text = "[A](../arch/event%20driven.md#why) [B](https://example.org) ![i](pic.png)\n";
        assert_eq!(
            targets(text),
            vec![
                (
                    LinkKind::Markdown,
                    "../arch/event driven.md".into(),
                    Some("why".into())
                ),
                (LinkKind::External, "https://example.org".into(), None),
                (LinkKind::Markdown, "pic.png".into(), None),
            ]
        );
    }

    #[test]
    fn code_and_obsidian_comments_hold_no_links() {
        let text = "`[[in-code]]`\n\n```\n[[in-fence]]\n```\n\n%% [[in-comment]] %%\n\n%%\n[[block-comment]]\n%%\n\n[[real]]\n";
        assert_eq!(targets(text), vec![(LinkKind::Wiki, "real".into(), None)]);
    }

    #[test]
    fn percent_decoding_never_splits_characters() {
        assert_eq!(percent_decode("a%йb%2"), "a%йb%2");
        assert_eq!(percent_decode("%D0%B9"), "й");
    }

    #[test]
    fn reference_forms() {
        assert_eq!(parse_reference("c-hilt"), Some(("c-hilt".into(), None)));
        assert_eq!(
            parse_reference("[[c-hilt|Hilt]]"),
            Some(("c-hilt".into(), None))
        );
        assert_eq!(
            parse_reference(" [[note#Part]] "),
            Some(("note".into(), Some("Part".into())))
        );
        assert_eq!(parse_reference("[[]]"), None);
        let note = crate::vault::note::Note::from_text(
            "n.md".into(),
            "---\nrelated:\n- c-a\n- \"[[c-b]]\"\nmoc: moc-x\n---\n".into(),
            None,
        );
        let refs = references(&note, &["related".into(), "moc".into()]);
        let got: Vec<_> = refs
            .iter()
            .map(|r| (r.key.as_str(), r.target.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![("related", "c-a"), ("related", "c-b"), ("moc", "moc-x")]
        );
        assert_eq!(&note.text[refs[1].range.clone()], "\"[[c-b]]\"");
    }

    #[test]
    fn offsets_are_file_offsets() {
        let text = "---\nid: a\n---\n[[x]]\n";
        let links = extract(text, 14);
        assert_eq!(&text[links[0].range.clone()], "[[x]]");
    }
}
