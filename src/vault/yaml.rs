/*!
Strict, spanned reading of front matter.

The YAML text is parsed with `saphyr-parser`'s event stream and folded into a small tree of
our own rather than through `saphyr`'s loader, for three reasons found by probing real
vaults:

* the loader rejects a duplicate key as a whole-document error with one position, while
  the linter must name *both* positions and keep checking the rest (the last value wins, as
  in the PyYAML-written vaults);
* saphyr's markers count characters, not bytes; diagnostics need byte offsets into the file,
  so every position is converted here, once, with the block's start offset added;
* the JSON view used for schema validation needs a pointer → span table, which is easiest
  to build while folding.

Scalars are resolved with saphyr's YAML 1.2 core schema: `2025-01-23`, `no` and `on` stay
strings, so schemas type dates as `string` with `format: date`.

Nesting is bounded ([`MAX_DEPTH`]): everything downstream walks the tree recursively (the
JSON conversion here, schema validation, even dropping the tree), and a few kilobytes of
`- - - - …` would otherwise nest deep enough to overflow the stack. A block that nests
deeper is refused like a syntax error, at the collection that crosses the limit, before any
deeper node is built.
*/

use std::borrow::Cow;
// Every key of every note's front matter is hashed here, twice (duplicate keys, spans):
// SipHash's resistance to chosen collisions buys nothing against a note's own keys, and cost
// a tenth of reading the front matter.
use foldhash::HashMap;
use std::ops::Range;

use saphyr::Scalar;
use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use serde_json::Value;

/// A node of the front-matter tree, with byte spans into the file.
#[derive(Clone, Debug)]
pub struct Node {
    pub span: Range<usize>,
    pub kind: NodeKind,
}

#[derive(Clone, Debug)]
pub enum NodeKind {
    Scalar {
        value: Value,
        quoted: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
    /// An alias (`*name`); its target is not expanded.
    Alias,
}

impl Node {
    /// The scalar value as a string, when the node is a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar {
                value: Value::String(s),
                ..
            } => Some(s),
            _ => None,
        }
    }

    /// The value of `key` in a mapping (the last one, if the key is repeated).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(entries) => entries
                .iter()
                .rev()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The mapping's entries, or an empty slice.
    pub fn entries(&self) -> &[(Node, Node)] {
        match &self.kind {
            NodeKind::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.kind {
            NodeKind::Seq(items) => items,
            _ => &[],
        }
    }
}

/// Where a JSON pointer's value (and, for mapping entries, its key) sits in the file.
#[derive(Clone, Debug, Default)]
pub struct SpanTable {
    map: HashMap<String, (Option<Range<usize>>, Range<usize>)>,
}

impl SpanTable {
    /// The value span of `pointer`, falling back to its nearest ancestor.
    pub fn value(&self, pointer: &str) -> Option<Range<usize>> {
        self.lookup(pointer).map(|(_, v)| v.clone())
    }

    /// The key span of `pointer` (the value span for sequence items).
    pub fn key(&self, pointer: &str) -> Option<Range<usize>> {
        self.lookup(pointer)
            .map(|(k, v)| k.clone().unwrap_or_else(|| v.clone()))
    }

    fn lookup(&self, pointer: &str) -> Option<&(Option<Range<usize>>, Range<usize>)> {
        let mut p = pointer;
        loop {
            if let Some(hit) = self.map.get(p) {
                return Some(hit);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }
}

/// A key that occurs twice in one mapping.
#[derive(Clone, Debug)]
pub struct DuplicateKey {
    pub key: String,
    pub first: Range<usize>,
    pub second: Range<usize>,
}

/// How deep lists and mappings may nest in front matter, counting the root mapping as one.
///
/// Real notes nest three levels (the root, `anki_cards`, one entry); 64 leaves room for any
/// hand-written structure. The bound is what keeps every recursive walk over the tree (the
/// JSON conversion, the validator, drops) within the stack of a worker thread, with a wide
/// margin: each level costs a few recursive calls, not hundreds.
pub const MAX_DEPTH: usize = 64;

/// Why front matter could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyntaxErrorKind {
    /// The YAML parser rejected the text.
    Syntax,
    /// Lists and mappings nest deeper than [`MAX_DEPTH`].
    TooDeep,
}

/// A YAML syntax error at a byte offset.
#[derive(Clone, Debug)]
pub struct SyntaxError {
    pub offset: usize,
    pub message: String,
    pub kind: SyntaxErrorKind,
}

/// The parsed front matter.
#[derive(Clone, Debug)]
pub struct Parsed {
    /// `None` for an empty block.
    pub root: Option<Node>,
    pub json: Value,
    pub spans: SpanTable,
    pub duplicates: Vec<DuplicateKey>,
    pub uses_anchors: bool,
}

/// Converts saphyr's character indices to byte offsets in the file.
struct Positions<'a> {
    text: &'a str,
    base: usize,
    /// Byte offset of every character; empty when the text is ASCII (identity).
    offsets: Vec<usize>,
}

impl<'a> Positions<'a> {
    fn new(text: &'a str, base: usize) -> Self {
        let offsets = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices().map(|(i, _)| i).collect()
        };
        Positions {
            text,
            base,
            offsets,
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        let local = if self.offsets.is_empty() {
            char_index.min(self.text.len())
        } else {
            self.offsets
                .get(char_index)
                .copied()
                .unwrap_or(self.text.len())
        };
        self.base + local
    }

    fn span(&self, span: &Span) -> Range<usize> {
        let start = self.byte(span.start.index());
        let end = self.byte(span.end.index()).max(start);
        start..end
    }
}

enum Frame {
    Seq {
        start: usize,
        items: Vec<Node>,
    },
    Map {
        start: usize,
        entries: Vec<(Node, Node)>,
        pending_key: Option<Node>,
    },
}

/// Parse `yaml` (which starts at byte `base` of the file) strictly.
pub fn parse(yaml: &str, base: usize) -> Result<Parsed, SyntaxError> {
    let (root, uses_anchors) = tree(yaml, base)?;
    Ok(Parsed::of_tree(root, uses_anchors, None))
}

/// [`parse`], keeping in `json` (and `spans`) only the root mapping's entries named in
/// `keys`, and finding no duplicate keys: what the vault's index reads of every note, for
/// a fraction of the cost of converting the whole front matter (a JSON pointer and a
/// value for every node). A syntax error anywhere is still an error.
pub fn parse_keys(yaml: &str, base: usize, keys: &[&str]) -> Result<Parsed, SyntaxError> {
    let (root, uses_anchors) = tree(yaml, base)?;
    Ok(Parsed::of_tree(root, uses_anchors, Some(keys)))
}

/// The node tree of `yaml`, and whether it uses anchors or aliases.
fn tree(yaml: &str, base: usize) -> Result<(Option<Node>, bool), SyntaxError> {
    let pos = Positions::new(yaml, base);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0;
    let mut uses_anchors = false;
    for event in Parser::new_from_str(yaml) {
        let (event, span) = event.map_err(|e| SyntaxError {
            offset: pos.byte(e.marker().index()),
            message: e.info().to_string(),
            kind: SyntaxErrorKind::Syntax,
        })?;
        if matches!(event, Event::SequenceStart(..) | Event::MappingStart(..))
            && stack.len() >= MAX_DEPTH
        {
            return Err(too_deep(pos.span(&span).start));
        }
        let node = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(SyntaxError {
                        offset: pos.span(&span).start,
                        message: "a second YAML document inside the front matter".into(),
                        kind: SyntaxErrorKind::Syntax,
                    });
                }
                continue;
            }
            Event::SequenceStart(anchor, _) => {
                uses_anchors |= anchor != 0;
                stack.push(Frame::Seq {
                    start: pos.span(&span).start,
                    items: Vec::new(),
                });
                continue;
            }
            Event::MappingStart(anchor, _) => {
                uses_anchors |= anchor != 0;
                stack.push(Frame::Map {
                    start: pos.span(&span).start,
                    entries: Vec::new(),
                    pending_key: None,
                });
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq { start, items }) => {
                    let end = pos
                        .span(&span)
                        .end
                        .max(items.last().map_or(start, |n| n.span.end));
                    Node {
                        span: start..end,
                        kind: NodeKind::Seq(items),
                    }
                }
                _ => continue,
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map { start, entries, .. }) => {
                    let event_end = pos.span(&span).end;
                    let end = match entries.last() {
                        Some((_, v))
                            if !yaml[..event_end.saturating_sub(base).min(yaml.len())]
                                .trim_end()
                                .ends_with('}') =>
                        {
                            v.span.end
                        }
                        _ => event_end.max(entries.last().map_or(start, |(_, v)| v.span.end)),
                    };
                    Node {
                        span: start..end,
                        kind: NodeKind::Map(entries),
                    }
                }
                _ => continue,
            },
            Event::Scalar(text, style, anchor, tag) => {
                uses_anchors |= anchor != 0;
                let quoted = style != ScalarStyle::Plain;
                let value = scalar_value(text, style, tag.as_ref());
                Node {
                    span: pos.span(&span),
                    kind: NodeKind::Scalar { value, quoted },
                }
            }
            Event::Alias(_) => {
                uses_anchors = true;
                Node {
                    span: pos.span(&span),
                    kind: NodeKind::Alias,
                }
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {
                continue;
            }
        };
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key) => entries.push((key, node)),
            },
        }
    }
    Ok((root, uses_anchors))
}

impl Parsed {
    /// Convert a tree: all of it, or only the root mapping's entries named in `keys`.
    fn of_tree(root: Option<Node>, uses_anchors: bool, keys: Option<&[&str]>) -> Parsed {
        let mut parsed = Parsed {
            json: Value::Null,
            spans: SpanTable::default(),
            duplicates: Vec::new(),
            uses_anchors,
            root: None,
        };
        if let Some(root) = &root {
            let (spans, dups) = (&mut parsed.spans, &mut parsed.duplicates);
            parsed.json = match (keys, &root.kind) {
                (Some(keys), NodeKind::Map(entries)) => {
                    let mut map = serde_json::Map::new();
                    for (k, v) in entries {
                        let key = key_text(k);
                        if keys.contains(&key.as_str()) {
                            let child = format!("/{}", escape_pointer(&key));
                            let value = to_json(v, child, Some(k.span.clone()), spans, dups);
                            // As in a whole conversion: the last of repeated keys is kept.
                            map.remove(&key);
                            map.insert(key, value);
                        }
                    }
                    spans.map.insert(String::new(), (None, root.span.clone()));
                    Value::Object(map)
                }
                _ => to_json(root, String::new(), None, spans, dups),
            };
        }
        parsed.root = root;
        parsed
    }
}

fn too_deep(offset: usize) -> SyntaxError {
    SyntaxError {
        offset,
        message: format!(
            "lists and mappings nest more than {MAX_DEPTH} levels deep here; decksmith reads no deeper"
        ),
        kind: SyntaxErrorKind::TooDeep,
    }
}

fn scalar_value(
    text: Cow<'_, str>,
    style: ScalarStyle,
    tag: Option<&Cow<'_, saphyr_parser::Tag>>,
) -> Value {
    match Scalar::parse_from_cow_and_metadata(text.clone(), style, tag) {
        Some(Scalar::Null) => Value::Null,
        Some(Scalar::Boolean(b)) => Value::Bool(b),
        Some(Scalar::Integer(i)) => Value::from(i),
        Some(Scalar::FloatingPoint(f)) => serde_json::Number::from_f64(f.into_inner())
            .map_or_else(|| Value::String(text.into_owned()), Value::Number),
        Some(Scalar::String(s)) => Value::String(s.into_owned()),
        None => Value::String(text.into_owned()),
    }
}

/// The text a key is compared and reported by.
/// The lines of a top-level entry of the front matter whose key starts at `key_start`:
/// its key line and every line that continues its value (indented, or a `- ` item at the
/// margin), with their line breaks. `None` when the key is not at the start of a line.
/// A blank line, a comment or the next key ends the entry: they belong to what follows.
pub fn entry_lines(text: &str, key_start: usize, yaml_end: usize) -> Option<Range<usize>> {
    let line_start = text[..key_start].rfind('\n').map_or(0, |i| i + 1);
    if line_start != key_start {
        return None;
    }
    let next_line = |at: usize| {
        text[at..yaml_end]
            .find('\n')
            .map_or(yaml_end, |i| at + i + 1)
    };
    let mut end = next_line(key_start);
    while end < yaml_end {
        let line = &text[end..next_line(end)];
        let continues = line.starts_with([' ', '\t']) && !line.trim().is_empty()
            || line.starts_with("- ")
            || line.trim_end() == "-";
        if !continues {
            break;
        }
        end = next_line(end);
    }
    Some(key_start..end)
}

pub fn key_text(node: &Node) -> String {
    match &node.kind {
        NodeKind::Scalar {
            value: Value::String(s),
            ..
        } => s.clone(),
        NodeKind::Scalar { value, .. } => value.to_string(),
        NodeKind::Seq(_) | NodeKind::Map(_) => "<complex key>".into(),
        NodeKind::Alias => "<alias>".into(),
    }
}

fn escape_pointer(key: &str) -> std::borrow::Cow<'_, str> {
    if key.contains(['~', '/']) {
        key.replace('~', "~0").replace('/', "~1").into()
    } else {
        key.into()
    }
}

/// [`key_text`], borrowed when the key is a string (nearly every key is).
fn key_str(node: &Node) -> std::borrow::Cow<'_, str> {
    match &node.kind {
        NodeKind::Scalar {
            value: Value::String(s),
            ..
        } => s.as_str().into(),
        _ => key_text(node).into(),
    }
}

fn to_json(
    node: &Node,
    pointer: String,
    key_span: Option<Range<usize>>,
    spans: &mut SpanTable,
    dups: &mut Vec<DuplicateKey>,
) -> Value {
    let value = match &node.kind {
        NodeKind::Scalar { value, .. } => value.clone(),
        NodeKind::Alias => Value::Null,
        NodeKind::Seq(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| to_json(item, format!("{pointer}/{i}"), None, spans, dups))
                .collect(),
        ),
        NodeKind::Map(entries) => {
            let mut map = serde_json::Map::new();
            // Every node of every note's front matter comes through here: keys are
            // borrowed from the tree, and copied once, into the map.
            let mut seen: HashMap<std::borrow::Cow<'_, str>, Range<usize>> = HashMap::default();
            for (k, v) in entries {
                let key = key_str(k);
                let repeated = match seen.get(&key) {
                    Some(first) => {
                        dups.push(DuplicateKey {
                            key: key.to_string(),
                            first: first.clone(),
                            second: k.span.clone(),
                        });
                        true
                    }
                    None => false,
                };
                let mut child = String::with_capacity(pointer.len() + 1 + key.len());
                child.push_str(&pointer);
                child.push('/');
                child.push_str(&escape_pointer(&key));
                let value = to_json(v, child, Some(k.span.clone()), spans, dups);
                // A repeated key moves to its last position, as the last value is the one
                // kept.
                if repeated {
                    map.remove(&*key);
                }
                map.insert(key.to_string(), value);
                seen.insert(key, k.span.clone());
            }
            Value::Object(map)
        }
    };
    let value_span = if node.span.is_empty() {
        // An implicit null (`key:`) has an empty span; point at the key instead.
        key_span.clone().unwrap_or(node.span.clone())
    } else {
        node.span.clone()
    };
    spans.map.insert(pointer, (key_span, value_span));
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_spans_after_cyrillic() {
        let yaml = "title: Вопрос\nid: x\n";
        let p = parse(yaml, 4).expect("parses");
        let span = p.spans.value("/id").expect("span");
        assert_eq!(&format!("----{yaml}")[span], "x");
        let key = p.spans.key("/id").expect("key");
        assert_eq!(&format!("----{yaml}")[key], "id");
    }

    #[test]
    fn duplicates_keep_last_and_report_both() {
        let yaml = "id: a\nid: b\n";
        let p = parse(yaml, 0).expect("parses");
        assert_eq!(p.json["id"], "b");
        assert_eq!(p.duplicates.len(), 1);
        assert_eq!(p.duplicates[0].first, 0..2);
        assert_eq!(p.duplicates[0].second, 6..8);
    }

    #[test]
    fn core_schema() {
        let p = parse("d: 2025-01-23\nn: no\ni: 12\nz:\nq: '5'\n", 0).expect("parses");
        assert_eq!(p.json["d"], "2025-01-23");
        assert_eq!(p.json["n"], "no");
        assert_eq!(p.json["i"], 12);
        assert_eq!(p.json["z"], Value::Null);
        assert_eq!(p.json["q"], "5");
    }

    #[test]
    fn nested_pointers() {
        let yaml = "tags:\n- a\n- b\ncards:\n- slug: s\n  n: 1\n";
        let p = parse(yaml, 0).expect("parses");
        assert_eq!(&yaml[p.spans.value("/tags/1").expect("span")], "b");
        assert_eq!(&yaml[p.spans.key("/cards/0/n").expect("span")], "n");
        // Unknown pointers fall back to the nearest ancestor.
        assert_eq!(&yaml[p.spans.key("/tags/9").expect("span")], "tags");
    }

    #[test]
    fn syntax_error_position_is_bytes() {
        let yaml = "title: Вопрос\nkey: [unclosed\n";
        let err = parse(yaml, 0).expect_err("fails");
        assert!(err.offset <= yaml.len());
        assert!(err.offset > "title: Вопрос".len());
    }

    #[test]
    fn nesting_is_bounded_at_the_collection_that_crosses_the_limit() {
        // `MAX_DEPTH` levels parse: the root mapping and nested lists below it.
        let at_limit = format!("x:\n{}end\n", "- ".repeat(MAX_DEPTH - 1));
        assert!(parse(&at_limit, 0).is_ok());
        let over = format!("x:\n{}end\n", "- ".repeat(MAX_DEPTH));
        let err = parse(&over, 0).expect_err("too deep");
        assert_eq!(err.kind, SyntaxErrorKind::TooDeep);
        assert_eq!(err.offset, "x:\n".len() + 2 * (MAX_DEPTH - 1));
        assert!(
            err.message.contains(&MAX_DEPTH.to_string()),
            "{}",
            err.message
        );
        // Flow collections and nested mappings count the same way.
        let flow = format!("x: {}{}\n", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(
            parse(&flow, 0).map(|_| ()).map_err(|e| e.kind),
            Err(SyntaxErrorKind::TooDeep)
        );
        let maps: String = (0..=MAX_DEPTH)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        assert_eq!(
            parse(&maps, 0).map(|_| ()).map_err(|e| e.kind),
            Err(SyntaxErrorKind::TooDeep)
        );
    }
}
