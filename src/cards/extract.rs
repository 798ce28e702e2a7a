//! Cutting a note into question/answer pairs, per language. Pure: the note in, Markdown
//! snippets out; rendering is `render.rs`'s job.
//!
//! Slugs must never depend on content or on the order of languages in the file, so the
//! index of a block counts the question headings *of that language* in document order: an
//! EN-first and a RU-first note give the same `-0-en` and `-0-ru`.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use crate::config::{CardSource, Kind};
use crate::vault::markdown::Heading;
use crate::vault::note::Note;
use crate::vault::sections::{self, SectionMatch};

/// One question/answer pair before rendering.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pair {
    pub index: usize,
    pub lang: String,
    /// Markdown of the question (blockquote markers removed).
    pub question: String,
    /// Markdown of the answer.
    pub answer: String,
    /// Where the question heading (or list entry) sits.
    pub range: Range<usize>,
    /// Where the (first) answer heading (or answer line) starts, when there is one.
    pub answer_at: Option<usize>,
    /// A cloze: the question is the text with its deletions, the answer (the heading it
    /// sits under) may be empty.
    pub cloze: bool,
}

impl Pair {
    pub fn is_complete(&self) -> bool {
        !self.question.trim().is_empty() && (self.cloze || !self.answer.trim().is_empty())
    }
}

/// All pairs of a note, in (index, language) order; incomplete pairs included so that lint
/// rules can report them.
pub fn pairs(note: &Note, kind: &Kind) -> Vec<Pair> {
    let matches = sections::classify_all(note, Some(kind));
    pairs_with(note, kind, &matches)
}

/// [`pairs`], given the note's section matches (the linter computes them once per note).
pub fn pairs_with(note: &Note, kind: &Kind, matches: &[SectionMatch<'_>]) -> Vec<Pair> {
    match kind.cards.as_ref().map(|c| &c.from) {
        None => Vec::new(),
        Some(CardSource::Qa { stops, .. }) => qa_pairs(note, matches, stops),
        Some(CardSource::List {
            section,
            language_field,
            default_language,
            ..
        }) => list_pairs(
            note,
            section,
            &note_language(note, language_field, default_language),
        ),
        Some(CardSource::Headings {
            level,
            language_field,
            default_language,
            ..
        }) => heading_pairs(
            note,
            *level,
            &note_language(note, language_field, default_language),
        ),
        Some(CardSource::Cloze {
            highlights,
            language_field,
            default_language,
        }) => cloze_pairs(
            note,
            *highlights,
            &note_language(note, language_field, default_language),
        ),
    }
}

/// One pair per block holding cloze deletions ([`super::cloze`]): the block is the
/// question, the heading it sits under the answer (Anki's "Back Extra"). Numbered in
/// order among such blocks, so text edited around a block, or inside it, keeps its slug.
fn cloze_pairs(note: &Note, highlights: bool, lang: &str) -> Vec<Pair> {
    let from = note.split.body_start.min(note.text.len());
    super::cloze::blocks(&note.text, from, highlights)
        .into_iter()
        .enumerate()
        .map(|(index, block)| {
            let heading = note
                .headings
                .iter()
                .take_while(|h| h.range.start < block.range.start)
                .last();
            Pair {
                index,
                lang: lang.to_string(),
                question: block.text,
                answer: heading.map(|h| h.text.clone()).unwrap_or_default(),
                range: block.range,
                answer_at: None,
                cloze: true,
            }
        })
        .collect()
}

/// The one language of a note whose kind does not split it by language: the front-matter
/// field's value, else the kind's default, in lower case.
fn note_language(note: &Note, field: &Option<String>, default: &str) -> String {
    field
        .as_deref()
        .and_then(|f| note.field_str(f))
        .unwrap_or(default)
        .to_lowercase()
}

/// One pair per heading of `level`: the heading's text, and its section up to the next
/// heading of that level or above. Numbered in order, as question blocks are: a heading
/// inserted before others renumbers them.
fn heading_pairs(note: &Note, level: u8, lang: &str) -> Vec<Pair> {
    let text = &note.text;
    let headings = &note.headings;
    headings
        .iter()
        .enumerate()
        .filter(|(_, h)| h.level == level)
        .enumerate()
        .map(|(index, (i, h))| {
            let end = headings[i + 1..]
                .iter()
                .find(|n| n.level <= level)
                .map_or(text.len(), |n| n.range.start);
            let start = line_end(text, h.range.end.min(text.len())).min(end);
            Pair {
                index,
                lang: lang.to_string(),
                question: h.text.clone(),
                answer: region(text, start..end),
                range: h.range.clone(),
                answer_at: Some(start),
                cloze: false,
            }
        })
        .collect()
}

/// The text of `range`, with thematic breaks (`---`) at its ends dropped and trimmed.
fn region(text: &str, range: Range<usize>) -> String {
    let body = &text[range];
    // Without carriage returns the lines kept are one slice of the text, copied once, found
    // by looking at the lines at its two ends only: every card's answer, and every note
    // the card rules check, comes through here.
    if memchr::memchr(b'\r', body.as_bytes()).is_none() {
        return match filler_trimmed(body) {
            Some(kept) => body[kept].to_string(),
            None => String::new(),
        };
    }
    region_by_lines(body)
}

/// A line a region's ends drop: blank, or a thematic break of `-` or `*`.
fn is_filler(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || (t.len() >= 3 && (t.chars().all(|c| c == '-') || t.chars().all(|c| c == '*')))
}

/// [`region`] of any text: its lines collected, trimmed of fillers at both ends, and
/// joined with `\n` (a `\r\n` ending becomes `\n`).
fn region_by_lines(body: &str) -> String {
    let lines: Vec<&str> = body.lines().collect();
    // Slice rather than remove from the front: a section of many blank lines stays linear.
    let first = lines
        .iter()
        .position(|l| !is_filler(l))
        .unwrap_or(lines.len());
    let last = lines
        .iter()
        .rposition(|l| !is_filler(l))
        .map_or(first, |i| i + 1);
    lines[first..last.max(first)].join("\n")
}

/// The part of `body` (without carriage returns) from its first line that is not filler
/// to the end of its last one; `None` when every line is.
fn filler_trimmed(body: &str) -> Option<Range<usize>> {
    let bytes = body.as_bytes();
    let mut at = 0;
    let start = loop {
        let end = memchr::memchr(b'\n', &bytes[at..]).map_or(body.len(), |i| at + i);
        if !is_filler(&body[at..end]) {
            break at;
        }
        if end == body.len() {
            return None;
        }
        at = end + 1;
    };
    let mut end = body.len();
    loop {
        let begin = memchr::memrchr(b'\n', &bytes[..end]).map_or(0, |i| i + 1);
        // The line at `start` is not filler: the search back stops there at the latest.
        if begin <= start || !is_filler(&body[begin..end]) {
            return Some(start..end);
        }
        end = begin - 1;
    }
}

/// The blockquote of a question region, without its `>` markers; the whole region when
/// the question is not quoted (SEC004 reports that).
fn question_text(text: &str) -> String {
    let quoted: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.trim_start().starts_with('>'))
        .take_while(|l| l.trim_start().starts_with('>'))
        .map(|l| {
            let l = l.trim_start().trim_start_matches('>');
            l.strip_prefix(' ').unwrap_or(l)
        })
        .collect();
    if quoted.is_empty() {
        text.to_string()
    } else {
        quoted.join("\n").trim().to_string()
    }
}

fn line_end(text: &str, at: usize) -> usize {
    text[at..].find('\n').map_or(text.len(), |i| at + i + 1)
}

fn qa_pairs(note: &Note, matches: &[SectionMatch<'_>], stops: &[String]) -> Vec<Pair> {
    let text = &note.text;
    let headings: &[Heading] = &note.headings;
    // Looked up by address, once per heading: a note of many headings stays linear.
    let by_heading: HashMap<*const Heading, &SectionMatch<'_>> = matches
        .iter()
        .map(|m| (std::ptr::from_ref(m.heading), m))
        .collect();
    let role_of = |h: &Heading| {
        by_heading
            .get(&std::ptr::from_ref(h))
            .map(|m| (m.section.role.as_str(), m.lang.clone()))
    };
    let mut pairs: BTreeMap<(usize, String), Pair> = BTreeMap::new();
    let mut questions: BTreeMap<String, usize> = BTreeMap::new();
    for (i, h) in headings.iter().enumerate() {
        let Some((role, Some(lang))) = role_of(h) else {
            continue;
        };
        let start = line_end(text, h.range.end.min(text.len()));
        match role {
            "question" => {
                let end = headings.get(i + 1).map_or(text.len(), |n| n.range.start);
                let count = questions.entry(lang.clone()).or_insert(0);
                let index = *count;
                *count += 1;
                let pair = pairs.entry((index, lang.clone())).or_default();
                pair.index = index;
                pair.lang = lang;
                pair.question = question_text(&region(text, start.min(end)..end));
                pair.range = h.range.clone();
            }
            "answer" => {
                // The answer runs to the next question or answer heading, a stop section,
                // or a heading above its own level; its own subsections stay in it.
                let end = headings[i + 1..]
                    .iter()
                    .find(|n| {
                        n.level < h.level
                            || role_of(n).is_some_and(|(r, _)| {
                                r == "question" || r == "answer" || stops.iter().any(|s| s == r)
                            })
                    })
                    .map_or(text.len(), |n| n.range.start);
                let index = questions.get(&lang).map_or(0, |n| n.saturating_sub(1));
                let pair = pairs.entry((index, lang.clone())).or_default();
                pair.index = index;
                pair.lang = lang;
                if pair.range.is_empty() {
                    pair.range = h.range.clone();
                }
                pair.answer_at.get_or_insert(h.range.start);
                let answer = region(text, start.min(end)..end);
                // Appended in place: a note of many answer headings stays linear.
                if !pair.answer.is_empty() {
                    pair.answer.push_str("\n\n");
                }
                pair.answer.push_str(&answer);
            }
            _ => {}
        }
    }
    pairs.into_values().collect()
}

fn list_pairs(note: &Note, section: &str, lang: &str) -> Vec<Pair> {
    let text = &note.text;
    let want = crate::vault::markdown::anchor_key(section);
    let headings = &note.headings;
    let Some(i) = headings
        .iter()
        .position(|h| crate::vault::markdown::anchor_matches(&h.text, &want))
    else {
        return Vec::new();
    };
    let h = &headings[i];
    let end = headings[i + 1..]
        .iter()
        .find(|n| n.level <= h.level)
        .map_or(text.len(), |n| n.range.start);
    let start = line_end(text, h.range.end.min(text.len()));
    let mut pairs: Vec<Pair> = Vec::new();
    // `1) **Q:** …` then `- **A:** …`; continuation lines extend the current part.
    let mut in_answer = false;
    let mut offset = start;
    for line in text[start.min(end)..end].split_inclusive('\n') {
        let line_start = offset;
        offset += line.len();
        let t = line.trim();
        let body = strip_list_marker(t);
        if let Some(q) = body
            .strip_prefix("**Q:**")
            .or_else(|| body.strip_prefix("**Q**:"))
        {
            pairs.push(Pair {
                index: pairs.len(),
                lang: lang.to_string(),
                question: q.trim().to_string(),
                answer: String::new(),
                range: line_start..line_start + line.trim_end().len(),
                answer_at: None,
                cloze: false,
            });
            in_answer = false;
        } else if let Some(a) = body
            .strip_prefix("**A:**")
            .or_else(|| body.strip_prefix("**A**:"))
        {
            if let Some(p) = pairs.last_mut() {
                p.answer = a.trim().to_string();
                p.answer_at = Some(line_start);
                in_answer = true;
            }
        } else if !t.is_empty()
            && line.starts_with([' ', '\t'])
            && let Some(p) = pairs.last_mut()
        {
            let part = if in_answer {
                &mut p.answer
            } else {
                &mut p.question
            };
            part.push('\n');
            part.push_str(t);
        }
    }
    pairs
}

/// `1) x`, `1. x`, `- x`, `* x` → `x`.
fn strip_list_marker(t: &str) -> &str {
    let digits = t.trim_start_matches(|c: char| c.is_ascii_digit());
    if digits.len() < t.len()
        && let Some(rest) = digits
            .strip_prefix(')')
            .or_else(|| digits.strip_prefix('.'))
    {
        return rest.trim_start();
    }
    for marker in ["- ", "* ", "+ "] {
        if let Some(rest) = t.strip_prefix(marker) {
            return rest.trim_start();
        }
    }
    t
}

#[cfg(test)]
mod tests {
    proptest::proptest! {
        #[test]
        fn a_region_is_its_lines_without_fillers(
            lines in proptest::collection::vec("(| |---|\\*\\*\\*|- a|x y|Ответ|\r)", 0..8),
        ) {
            let text = lines.join("\n");
            // The slice found from the two ends is what collecting every line gives.
            proptest::prop_assert_eq!(
                super::region(&text, 0..text.len()),
                super::region_by_lines(&text)
            );
        }
    }

    use super::*;
    use crate::config;

    fn kind(name: &str) -> Kind {
        let loaded = config::load(std::path::PathBuf::from("."), None).expect("defaults");
        loaded
            .config
            .kinds
            .into_iter()
            .find(|k| k.name == name)
            .expect("kind")
    }

    const EN_FIRST: &str = "---\nid: x-1\n---\n# Question (EN)\n> What?\n\n# Vopros (RU)\n> Что?\n\n---\n\n## Answer (EN)\n\nThis.\n\n### Detail\n\nMore.\n\n---\n\n## Ответ (RU)\n\nЭто.\n\n## Follow-ups\n\n- Later?\n";

    #[test]
    fn bilingual_pairs_and_answer_bounds() {
        let note = Note::from_text("q.md".into(), EN_FIRST.into(), None);
        let ps = pairs(&note, &kind("qa-note"));
        let got: Vec<(usize, &str, &str, &str)> = ps
            .iter()
            .map(|p| {
                (
                    p.index,
                    p.lang.as_str(),
                    p.question.as_str(),
                    p.answer.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (0, "en", "What?", "This.\n\n### Detail\n\nMore."),
                (0, "ru", "Что?", "Это."),
            ]
        );
    }

    #[test]
    fn language_order_does_not_change_indices() {
        let ru_first = "---\nid: x-1\n---\n# Вопрос (RU)\n> Что?\n\n# Question (EN)\n> What?\n\n## Ответ (RU)\nЭто.\n\n## Answer (EN)\nThis.\n\n# Вопрос (RU)\n> Второй?\n\n# Question (EN)\n> Second?\n\n## Ответ (RU)\nДа.\n\n## Answer (EN)\nYes.\n";
        let note = Note::from_text("q.md".into(), ru_first.into(), None);
        let ps = pairs(&note, &kind("qa-note"));
        let got: Vec<(usize, &str, &str)> = ps
            .iter()
            .map(|p| (p.index, p.lang.as_str(), p.answer.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (0, "en", "This."),
                (0, "ru", "Это."),
                (1, "en", "Yes."),
                (1, "ru", "Да.")
            ]
        );
    }

    #[test]
    fn trap_question_lists() {
        let text = "---\nid: k\n---\n# T\n### Trap questions (with answers)\n1) **Q:** Is it fast?\n   - **A:** Not always;\n     it depends.\n2) **Q:** Is it safe?\n   - **A:** No.\n\n### Quick self-check\n- [ ] x\n";
        let note = Note::from_text("topics/a/k.md".into(), text.into(), None);
        let ps = pairs(&note, &kind("kb-concept"));
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0].question, "Is it fast?");
        assert_eq!(ps[0].answer, "Not always;\nit depends.");
        assert_eq!(ps[1].lang, "en");
        assert!(ps.iter().all(Pair::is_complete));
    }
}
