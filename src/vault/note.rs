//! A note as the linter sees it: its text, the split, the parsed front matter, its kind
//! and a summary of its body. Built by a pure function of the file's bytes and the config,
//! so files can be read and summarised in parallel with no shared state.

use std::ops::Range;

use serde_json::Value;

use super::frontmatter::{self, Split};
use super::lines::LineIndex;
use super::links::Link;
use super::markdown::{self, Heading};
use super::yaml::{self, Parsed, SyntaxError};

/// Why a file could not be read as a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unreadable {
    TooLarge {
        size: u64,
        limit: u64,
    },
    Binary,
    NotUtf8 {
        offset: usize,
    },
    /// The file name is not valid UTF-8: links cannot name it, and it cannot be reported
    /// under its own name.
    BadName,
    Io(String),
}

/// One entry of a note's `anki_cards`: what sync recorded for one card. The typed fields
/// are `None` when absent or not of their type; `value` keeps the entry as written, for
/// the rules that report malformed entries.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CardEntry<'a> {
    /// Its position in the list.
    pub position: usize,
    pub value: &'a Value,
    pub slug: Option<&'a str>,
    pub language: Option<&'a str>,
    pub anki_id: Option<i64>,
    pub synced_at: Option<&'a str>,
}

impl CardEntry<'_> {
    /// The entry's JSON pointer in the front matter (`/anki_cards/3`), for spans.
    pub fn pointer(&self) -> String {
        format!("/anki_cards/{}", self.position)
    }

    /// The pointer of one of its keys.
    pub fn key_pointer(&self, key: &str) -> String {
        format!("/anki_cards/{}/{key}", self.position)
    }
}

/// The entries of the `anki_cards` list of a front matter (as JSON).
pub fn card_entries(front_matter: &Value) -> Vec<CardEntry<'_>> {
    front_matter
        .get("anki_cards")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .enumerate()
        .map(|(position, value)| CardEntry {
            position,
            value,
            slug: value.get("slug").and_then(Value::as_str),
            language: value.get("language").and_then(Value::as_str),
            anki_id: value.get("anki_id").and_then(Value::as_i64),
            synced_at: value.get("synced_at").and_then(Value::as_str),
        })
        .collect()
}

/// A file's bytes as a note's text, or why they are not one: binary (a NUL in the first
/// 8,000 bytes, git's test) or not UTF-8.
pub fn text_of(bytes: Vec<u8>) -> Result<String, Unreadable> {
    if memchr::memchr(0, &bytes[..bytes.len().min(8000)]).is_some() {
        return Err(Unreadable::Binary);
    }
    String::from_utf8(bytes).map_err(|e| Unreadable::NotUtf8 {
        offset: e.utf8_error().valid_up_to(),
    })
}

#[derive(Clone, Debug)]
pub struct Note {
    /// Vault-relative, `/`-separated.
    pub path: String,
    pub text: String,
    pub lines: LineIndex,
    pub split: Split,
    /// `None` when there is no well-formed block; `Some(Err)` on a YAML error.
    pub yaml: Option<Result<Parsed, SyntaxError>>,
    /// Index into the config's kinds.
    pub kind: Option<usize>,
    pub headings: Vec<Heading>,
    /// Body links, in document order.
    pub links: Vec<Link>,
    /// Block ids (`^id` at the end of a line), without the caret.
    pub block_ids: Vec<String>,
    /// Whether the body was summarised (headings, links, block ids). Notes that are only
    /// indexed in a subset run are read for their front matter alone.
    pub full: bool,
    pub unreadable: Option<Unreadable>,
}

impl Note {
    /// Build a note from raw bytes; `full` also summarises the body.
    pub fn from_bytes(path: String, bytes: Vec<u8>, kind: Option<usize>, full: bool) -> Note {
        match text_of(bytes) {
            Ok(text) if full => Note::from_text(path, text, kind),
            Ok(text) => Note::from_text_meta(path, text, kind),
            Err(why) => Note::unreadable(path, why, kind),
        }
    }

    pub fn unreadable(path: String, why: Unreadable, kind: Option<usize>) -> Note {
        Note {
            path,
            text: String::new(),
            lines: LineIndex::new(""),
            split: frontmatter::split(""),
            yaml: None,
            kind,
            headings: Vec::new(),
            links: Vec::new(),
            block_ids: Vec::new(),
            full: true,
            unreadable: Some(why),
        }
    }

    /// A note with its front matter and a summary of its body.
    pub fn from_text(path: String, text: String, kind: Option<usize>) -> Note {
        let mut note = Note::from_text_meta(path, text, kind);
        note.summarise_body();
        note
    }

    /// A note with its front matter only (for the index of a subset run).
    pub fn from_text_meta(path: String, text: String, kind: Option<usize>) -> Note {
        let split = frontmatter::split(&text);
        let yaml = split
            .block
            .as_ref()
            .map(|b| yaml::parse(&text[b.yaml.clone()], b.yaml.start));
        Note {
            path,
            lines: LineIndex::new(&text),
            text,
            split,
            yaml,
            kind,
            headings: Vec::new(),
            links: Vec::new(),
            block_ids: Vec::new(),
            full: false,
            unreadable: None,
        }
    }

    /// Extract headings, links and block ids, once.
    pub fn summarise_body(&mut self) {
        if self.full {
            return;
        }
        (self.headings, self.links) = markdown::summarise(&self.text, self.split.body_start);
        self.block_ids = markdown::block_ids(&self.text[self.split.body_start..]);
        self.full = true;
    }

    /// The parsed front matter, when it parsed.
    pub fn front_matter(&self) -> Option<&Parsed> {
        self.yaml.as_ref().and_then(|r| r.as_ref().ok())
    }

    /// The front matter as JSON (`Null` when absent or broken).
    pub fn json(&self) -> &Value {
        static NULL: Value = Value::Null;
        self.front_matter().map_or(&NULL, |p| &p.json)
    }

    /// Whether the front matter is intact: one well-formed block, valid YAML, no duplicate
    /// keys, no keys merged with a fence, nothing leaked after it. Only such notes give
    /// cards and may be written to.
    pub fn front_matter_intact(&self) -> bool {
        let Some(parsed) = self.front_matter() else {
            return false;
        };
        self.split.defects.is_empty()
            && parsed.duplicates.is_empty()
            && parsed.root.as_ref().is_some_and(|r| {
                r.entries()
                    .iter()
                    .all(|(k, _)| !super::yaml::key_text(k).starts_with("---"))
            })
    }

    /// The entries of `anki_cards` (empty when it is absent or not a list), read once here
    /// for the rules, the index, sync and its write-back.
    pub fn card_entries(&self) -> Vec<CardEntry<'_>> {
        card_entries(self.json())
    }

    /// A string field of the front matter.
    pub fn field_str(&self, key: &str) -> Option<&str> {
        self.json().get(key).and_then(Value::as_str)
    }

    /// The opening fence (or the first line), where file-level findings point.
    pub fn head_range(&self) -> Range<usize> {
        match &self.split.block {
            Some(b) => b.open.clone(),
            None => {
                let start = if self.split.bom { 3 } else { 0 };
                let end = self.text[start..]
                    .find(['\n', '\r'])
                    .map_or(self.text.len(), |i| start + i);
                start..end
            }
        }
    }

    /// The file stem (name without `.md`).
    pub fn stem(&self) -> &str {
        let name = self.file_name();
        name.strip_suffix(".md").unwrap_or(name)
    }

    pub fn file_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}
