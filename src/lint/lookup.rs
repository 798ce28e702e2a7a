/*!
The vault index as one note's rules see it, with the questions they asked.

A note's findings depend on its own bytes, the settings, and the answers its rules got from
the index: which note a link names, who else uses its id, what a dangling link might have
meant, which headings a linked note has. The incremental check cache ([`super::cache`])
keeps a note's findings with those questions and a digest of each answer; a later run
reuses the findings only when the note is unchanged and every question still gets the same
answer. Recording the questions as the rules ask them, rather than listing what each rule
might read, keeps that exact: a rule cannot read the index without its question being
recorded, because this type is the only way a rule reaches the index.
*/

use std::cell::RefCell;
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::vault::cache::ContentHash;
use crate::vault::index::{Anchors, Target, VaultIndex};
use crate::vault::links::LinkKind;

/// One question a rule asks the index.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Query {
    /// [`VaultIndex::resolve_link`]; `from` is empty for wikilinks, which do not depend on it.
    Link {
        from: String,
        kind: LinkKind,
        target: String,
    },
    /// [`VaultIndex::resolve_name`].
    Name(String),
    /// [`VaultIndex::hint`].
    Hint(String),
    /// [`VaultIndex::anchors`]: answered by the bytes the anchors were read from.
    Anchors(String),
    /// [`VaultIndex::inbound`].
    Inbound(String),
    /// [`VaultIndex::id_users`].
    Id(String),
    /// [`VaultIndex::anki_id_users`].
    AnkiId(i64),
}

impl Query {
    /// Whether the answer depends only on the vault's file names and aliases (the
    /// [`crate::vault::index::IndexDigest`]'s `names`).
    pub fn on_names_only(&self) -> bool {
        matches!(self, Query::Hint(_))
    }
}

/// A question and a digest of the answer it got.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Asked {
    pub query: Query,
    pub answer: u64,
}

/// The index, recording the questions asked of it when asked to.
pub struct Lookup<'a> {
    index: &'a VaultIndex,
    asked: Option<RefCell<Vec<Asked>>>,
}

/// A digest of an answer.
fn digest(answer: &impl Hash) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    answer.hash(&mut h);
    h.finish()
}

/// What an [`Anchors`] answer depends on: the bytes they were read from (`None`: no
/// anchors, or not known).
fn anchors_answer(anchors: Option<&Anchors>) -> Option<ContentHash> {
    anchors.and_then(|a| a.content)
}

impl<'a> Lookup<'a> {
    /// The index, asked without recording.
    pub fn new(index: &'a VaultIndex) -> Lookup<'a> {
        Lookup { index, asked: None }
    }

    /// The index, recording every question and its answer.
    pub fn recording(index: &'a VaultIndex) -> Lookup<'a> {
        Lookup {
            index,
            asked: Some(RefCell::new(Vec::new())),
        }
    }

    /// The questions asked, each once, sorted.
    pub fn into_asked(self) -> Vec<Asked> {
        let mut asked = self.asked.map(RefCell::into_inner).unwrap_or_default();
        asked.sort();
        asked.dedup();
        asked
    }

    fn record(&self, query: impl FnOnce() -> Query, answer: &impl Hash) {
        if let Some(asked) = &self.asked {
            asked.borrow_mut().push(Asked {
                query: query(),
                answer: digest(answer),
            });
        }
    }

    pub fn resolve_link(&self, from: &str, kind: LinkKind, target: &str) -> Target<'a> {
        let found = self.index.resolve_link(from, kind, target);
        self.record(|| link_query(from, kind, target), &found);
        found
    }

    pub fn resolve_name(&self, target: &str) -> Target<'a> {
        let found = self.index.resolve_name(target);
        self.record(|| Query::Name(target.to_string()), &found);
        found
    }

    pub fn hint(&self, target: &str) -> Option<String> {
        let hint = self.index.hint(target);
        self.record(|| Query::Hint(target.to_string()), &hint);
        hint
    }

    pub fn anchors(&self, path: &str) -> Option<Arc<Anchors>> {
        let anchors = self.index.anchors(path);
        self.record(
            || Query::Anchors(path.to_string()),
            &anchors_answer(anchors.as_deref()),
        );
        anchors
    }

    pub fn inbound(&self, path: &str) -> Option<usize> {
        let count = self.index.inbound(path);
        self.record(|| Query::Inbound(path.to_string()), &count);
        count
    }

    pub fn id_users(&self, id: &str) -> &'a [(String, Range<usize>)] {
        let users = self.index.id_users(id);
        self.record(|| Query::Id(id.to_string()), &users);
        users
    }

    pub fn anki_id_users(&self, anki_id: i64) -> &'a [(String, Range<usize>)] {
        let users = self.index.anki_id_users(anki_id);
        self.record(|| Query::AnkiId(anki_id), &users);
        users
    }
}

fn link_query(from: &str, kind: LinkKind, target: &str) -> Query {
    Query::Link {
        from: match kind {
            LinkKind::Wiki | LinkKind::External => String::new(),
            LinkKind::Markdown => from.to_string(),
        },
        kind,
        target: target.to_string(),
    }
}

/// The digest of the answer `index` gives `query` now; an anchors question is answered by
/// `content`, the hash of the bytes of the note at a path (`None`: not a readable note of
/// the run), which the cache knows without reading an unchanged note.
pub fn answer(
    index: &VaultIndex,
    query: &Query,
    content: &dyn Fn(&str) -> Option<ContentHash>,
) -> u64 {
    match query {
        Query::Link { from, kind, target } => digest(&index.resolve_link(from, *kind, target)),
        Query::Name(target) => digest(&index.resolve_name(target)),
        Query::Hint(target) => digest(&index.hint(target)),
        Query::Anchors(path) => digest(&content(path)),
        Query::Inbound(path) => digest(&index.inbound(path)),
        Query::Id(id) => digest(&index.id_users(id)),
        Query::AnkiId(id) => digest(&index.anki_id_users(*id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::index::IndexEntry;
    use crate::vault::note::Note;

    fn index(notes: &[(&str, &str)]) -> VaultIndex {
        let entries: Vec<IndexEntry> = notes
            .iter()
            .map(|(p, t)| IndexEntry::of(&Note::from_text(p.to_string(), t.to_string(), None)))
            .collect();
        VaultIndex::build(&entries, &[], false)
    }

    #[test]
    fn a_recorded_answer_is_the_answer_replayed() {
        let before = index(&[("a.md", "---\nid: x\n---\n"), ("b.md", "")]);
        let lookup = Lookup::recording(&before);
        assert_eq!(lookup.resolve_name("b"), Target::Note("b.md"));
        assert_eq!(lookup.id_users("x").len(), 1);
        assert!(lookup.hint("bb").is_some());
        let asked = lookup.into_asked();
        assert_eq!(asked.len(), 3);
        let none = |_: &str| None;
        for a in &asked {
            assert_eq!(answer(&before, &a.query, &none), a.answer, "{a:?}");
        }
        // Another note with the id, and `b` renamed: each question now gets another answer.
        let after = index(&[("a.md", "---\nid: x\n---\n"), ("c.md", "---\nid: x\n---\n")]);
        for a in &asked {
            assert_ne!(answer(&after, &a.query, &none), a.answer, "{a:?}");
        }
    }

    #[test]
    fn wikilinks_do_not_depend_on_the_linking_note() {
        assert_eq!(
            link_query("a/x.md", LinkKind::Wiki, "t"),
            link_query("b/y.md", LinkKind::Wiki, "t")
        );
        assert_ne!(
            link_query("a/x.md", LinkKind::Markdown, "t.md"),
            link_query("b/y.md", LinkKind::Markdown, "t.md")
        );
    }
}
