/*!
The front-matter splitter: the one place that decides where a note's YAML block is.

Every consumer (the linter, card extraction, the write-back path) calls [`split`], so a
note is never read one way and written another. The rule is deliberately strict, because
real vaults were damaged by tools that guessed: front matter exists only when the file
starts (after an optional UTF-8 BOM) with a line that is exactly `---`, and it ends at the
next line that is exactly `---` or `...`. Bodies are full of `---` thematic breaks; only
the block at byte 0 counts.

Anything that looks *almost* like front matter is not guessed at but classified into a
[`Defect`], each of which becomes its own lint rule: a `---\` fence written by a bulk
reformat, a fence merged into the first key (`---id: x`), an unterminated block, stray
fences and `key: value` lines leaking into the body after a writer prepended a second block.

The splitter is pure and total: it never fails and never panics, and
`prefix + yaml + suffix` always re-joins to the input (a property test holds it to that).
*/

use std::ops::Range;

/// The line ending a file uses, taken from its first line break.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Eol {
    Lf,
    Crlf,
}

impl Eol {
    /// The line break itself.
    pub fn as_str(self) -> &'static str {
        match self {
            Eol::Lf => "\n",
            Eol::Crlf => "\r\n",
        }
    }
}

/// A well-formed front-matter block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The opening `---` line, without its line break.
    pub open: Range<usize>,
    /// The YAML text between the fences, including the line break of its last line.
    pub yaml: Range<usize>,
    /// The closing `---` or `...` line, without its line break.
    pub close: Range<usize>,
    /// Whether the block was closed by `...` rather than `---`.
    pub closed_by_dots: bool,
}

/// Something that looks like front matter but is not well formed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Defect {
    /// The file does not start with a `---` line at all.
    Missing,
    /// An opening `---` with no closing fence.
    Unterminated { open: Range<usize> },
    /// A fence line written as `---\` (or with other trailing junk), so that no parser sees
    /// properties. `lines` holds the offending fence lines (opening and, if found, closing).
    BrokenFence { lines: Vec<Range<usize>> },
    /// The first line is `---key: value`: the line break after the fence was lost.
    MergedFence { line: Range<usize>, key: String },
    /// Stray fences and/or `key: value` lines right after the closing fence: a second
    /// block, or metadata that leaked into the body.
    MetadataInBody {
        range: Range<usize>,
        fences: usize,
        keys: usize,
    },
}

/// The result of splitting one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    pub bom: bool,
    pub eol: Eol,
    pub trailing_newline: bool,
    pub block: Option<Block>,
    /// Where the body starts (after the closing fence's line break, or after the BOM).
    pub body_start: usize,
    pub defects: Vec<Defect>,
}

impl Split {
    /// Bytes before the YAML text (BOM and opening fence line).
    pub fn prefix<'a>(&self, text: &'a str) -> &'a str {
        match &self.block {
            Some(b) => &text[..b.yaml.start],
            None => &text[..self.body_start],
        }
    }

    /// The YAML text, empty when there is no block.
    pub fn yaml<'a>(&self, text: &'a str) -> &'a str {
        match &self.block {
            Some(b) => &text[b.yaml.clone()],
            None => "",
        }
    }

    /// Bytes after the YAML text (closing fence and body).
    pub fn suffix<'a>(&self, text: &'a str) -> &'a str {
        match &self.block {
            Some(b) => &text[b.yaml.end..],
            None => &text[self.body_start..],
        }
    }
}

const BOM: &str = "\u{feff}";

/// One line of the input: its content range (no line break) and the offset after its break.
#[derive(Clone, Debug)]
struct Line {
    content: Range<usize>,
    next: usize,
}

fn lines_from(text: &str, start: usize) -> impl Iterator<Item = Line> + '_ {
    let mut pos = start;
    std::iter::from_fn(move || {
        if pos >= text.len() {
            return None;
        }
        let rest = &text[pos..];
        let (len, brk) = match memchr::memchr(b'\n', rest.as_bytes()) {
            Some(i) => (i, 1),
            None => (rest.len(), 0),
        };
        let mut end = pos + len;
        if brk == 1 && end > pos && text.as_bytes()[end - 1] == b'\r' {
            end -= 1;
        }
        let line = Line {
            content: pos..end,
            next: pos + len + brk,
        };
        pos = line.next;
        Some(line)
    })
}

/// A fence line that is not exactly `---`: `---\`, `--- \`, `---   `.
/// How to move metadata leaked after the front matter ([`Defect::MetadataInBody`]) back
/// into it, as byte replacements: the closing fence and the stray fences before the leaked
/// keys go, the fence after them (repaired when broken, added when missing) closes the
/// block. `None` when the note has no block or no such leak, when the leak holds no key, or
/// when a leaked key is in the front matter already (`has_key`): which value is right is
/// then the user's call.
pub fn merge_leaked(
    text: &str,
    split: &Split,
    has_key: impl Fn(&str) -> bool,
) -> Option<Vec<(Range<usize>, String)>> {
    let block = split.block.as_ref()?;
    let range = split.defects.iter().find_map(|d| match d {
        Defect::MetadataInBody { range, keys, .. } if *keys > 0 => Some(range.clone()),
        _ => None,
    })?;
    let close_line = block.close.start..lines_from(text, block.close.start).next()?.next;
    let mut edits = vec![(close_line, String::new())];
    let mut seen_key = false;
    let mut closed = false;
    for line in lines_from(text, split.body_start) {
        if line.content.start >= range.end {
            break;
        }
        let t = &text[line.content.clone()];
        if t == "---" || is_broken_fence(t) {
            if seen_key {
                if t != "---" {
                    edits.push((line.content.clone(), "---".to_string()));
                }
                closed = true;
                break;
            }
            edits.push((line.content.start..line.next, String::new()));
            continue;
        }
        if key_line(t) {
            seen_key = true;
            let key = &t[..t.find(':').unwrap_or(t.len())];
            if has_key(key) {
                return None;
            }
        }
    }
    if !seen_key {
        return None;
    }
    if !closed {
        // The leak ran into the body: close the block after its last line.
        let end = lines_from(text, range.end.saturating_sub(1))
            .next()
            .map_or(text.len(), |l| l.next);
        let eol = if end == text.len() && !text.ends_with('\n') {
            format!("{}---{}", split.eol.as_str(), split.eol.as_str())
        } else {
            format!("---{}", split.eol.as_str())
        };
        edits.push((end..end, eol));
    }
    Some(edits)
}

/// For a block opened but never closed ([`Defect::Unterminated`]): the first broken fence
/// line (`---\`) after the opening one, when only YAML-looking lines lie between: the
/// block's closing fence, broken. `None` otherwise (where the block ends is then unknown).
pub fn broken_close(text: &str, split: &Split) -> Option<Range<usize>> {
    let open = split.defects.iter().find_map(|d| match d {
        Defect::Unterminated { open } => Some(open.clone()),
        _ => None,
    })?;
    let first = lines_from(text, open.start).next()?;
    broken_fence_after(text, first.next)
}

/// The first broken fence line (`---\`) from `from` on, when only YAML-looking lines lie
/// before it: a block's closing fence, broken.
pub fn broken_fence_after(text: &str, from: usize) -> Option<Range<usize>> {
    for line in lines_from(text, from) {
        let t = &text[line.content.clone()];
        if is_broken_fence(t) {
            return Some(line.content);
        }
        // A quoted key (`'---id': …`, a dashed key re-serialised) is metadata too.
        let quoted_key = t.starts_with(['\'', '"']) && t.contains(':');
        if t == "---" || !(yamlish(t) || quoted_key) {
            return None;
        }
    }
    None
}

/// The broken fence lines (`---\`) inside a block's YAML, with their line breaks: what is
/// left of a closing fence after which more metadata was written, and which no YAML
/// parser accepts.
pub fn broken_fences_inside(text: &str, split: &Split) -> Vec<Range<usize>> {
    let Some(block) = &split.block else {
        return Vec::new();
    };
    lines_from(&text[..block.yaml.end], block.yaml.start)
        .filter(|l| is_broken_fence(&text[l.content.clone()]))
        .map(|l| l.content.start..l.next)
        .collect()
}

fn is_broken_fence(line: &str) -> bool {
    line != "---"
        && line.starts_with("---")
        && !line.starts_with("----")
        && line[3..].trim_end().chars().all(|c| c == '\\')
}

/// `key:` or `key: value` at column 0, as a YAML mapping line would look.
fn key_line(line: &str) -> bool {
    let Some(colon) = line.find(':') else {
        return false;
    };
    let key = &line[..colon];
    let after = &line[colon + 1..];
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && key
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && (after.is_empty() || after.starts_with(' '))
}

/// Split a file into BOM, front matter and body, and classify near-misses.
pub fn split(text: &str) -> Split {
    let bom = text.starts_with(BOM);
    let start = if bom { BOM.len() } else { 0 };
    let eol = match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => Eol::Crlf,
        _ => Eol::Lf,
    };
    let trailing_newline = text.ends_with('\n');
    let mut split = Split {
        bom,
        eol,
        trailing_newline,
        block: None,
        body_start: start,
        defects: Vec::new(),
    };
    let mut lines = lines_from(text, start);
    let Some(first) = lines.next() else {
        split.defects.push(Defect::Missing);
        return split;
    };
    let first_text = &text[first.content.clone()];
    if first_text != "---" {
        if is_broken_fence(first_text) {
            let mut fences = vec![first.content.clone()];
            // The closing fence of a `---\` block is usually `---\` too; report it with the
            // opener so the user fixes both at once.
            if let Some(close) = lines.take(200).find(|l| {
                text[l.content.clone()] == *"---" || is_broken_fence(&text[l.content.clone()])
            }) && is_broken_fence(&text[close.content.clone()])
            {
                fences.push(close.content);
            }
            split.defects.push(Defect::BrokenFence { lines: fences });
        } else if let Some(rest) = first_text.strip_prefix("---") {
            if key_line(rest) {
                let key = rest[..rest.find(':').unwrap_or(rest.len())].to_string();
                split.defects.push(Defect::MergedFence {
                    line: first.content,
                    key,
                });
            } else {
                split.defects.push(Defect::Missing);
            }
        } else {
            split.defects.push(Defect::Missing);
        }
        return split;
    }
    let yaml_start = first.next;
    let close = lines.find(|l| {
        let t = &text[l.content.clone()];
        t == "---" || t == "..."
    });
    let Some(close) = close else {
        split.defects.push(Defect::Unterminated {
            open: first.content,
        });
        return split;
    };
    // A block that runs into Markdown was never closed: the `---` found is the body's
    // thematic break. A heading followed by prose (not by more YAML) gives it away; YAML
    // comments such as `# Timestamps` are followed by keys.
    if runs_into_body(text, yaml_start, close.content.start) {
        split.defects.push(Defect::Unterminated {
            open: first.content,
        });
        return split;
    }
    split.block = Some(Block {
        open: first.content.clone(),
        yaml: yaml_start..close.content.start,
        close: close.content.clone(),
        closed_by_dots: &text[close.content.clone()] == "...",
    });
    split.body_start = close.next;
    if let Some(defect) = leaked_metadata(text, close.next) {
        split.defects.push(defect);
    }
    split
}

fn yamlish(line: &str) -> bool {
    key_line(line)
        || line.starts_with([' ', '\t', '#'])
        || line.starts_with("- ")
        || line == "-"
        || line.trim().is_empty()
}

fn runs_into_body(text: &str, from: usize, to: usize) -> bool {
    let region: Vec<Line> = lines_from(&text[..to], from).collect();
    region.iter().enumerate().any(|(i, line)| {
        let t = &text[line.content.clone()];
        let heading = t.starts_with('#') && {
            let rest = t.trim_start_matches('#');
            rest.starts_with(' ') && t.len() - rest.len() <= 6
        };
        heading
            && region[i + 1..]
                .iter()
                .map(|l| &text[l.content.clone()])
                .find(|l| !l.trim().is_empty())
                .is_some_and(|next| !yamlish(next))
    })
}

/// Look right after the closing fence for a second block or metadata lines.
///
/// Two shapes occur in damaged vaults: stray fence lines (`---`, `---\`) followed by an old
/// block, and a block that was closed early at a `# comment` line so that the remaining
/// `key: value` lines render as body text. Blank lines and `#` lines between metadata lines
/// are absorbed. A single `key: value` line is not enough (a body may open with
/// "Note: …"), so at least two key lines or one stray fence are required.
fn leaked_metadata(text: &str, from: usize) -> Option<Defect> {
    let (mut fences, mut keys) = (0, 0);
    let mut start: Option<usize> = None;
    let mut end = from;
    let mut in_keys = false;
    let mut comment_start: Option<usize> = None;
    for line in lines_from(text, from) {
        let t = &text[line.content.clone()];
        if t.trim().is_empty() {
            continue;
        }
        if t == "---" || is_broken_fence(t) {
            // A fence after metadata closes the leaked block; one before it opens it.
            fences += 1;
            start.get_or_insert(line.content.start);
            end = line.content.end;
            if in_keys {
                break;
            }
            continue;
        }
        if key_line(t) {
            keys += 1;
            in_keys = true;
            start.get_or_insert(comment_start.unwrap_or(line.content.start));
            comment_start = None;
            end = line.content.end;
            continue;
        }
        if in_keys && comment_start.is_none() && (t.starts_with([' ', '\t']) || t.starts_with("- "))
        {
            end = line.content.end;
            continue;
        }
        // A YAML comment that now renders as a heading belongs to the leak only when a key
        // line follows it; the next key line decides.
        if t.starts_with("# ") {
            comment_start.get_or_insert(line.content.start);
            continue;
        }
        break;
    }
    if keys >= 2 || fences > 0 {
        return Some(Defect::MetadataInBody {
            range: start?..end,
            fences,
            keys,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str) -> (String, String, String) {
        let s = split(text);
        (
            s.prefix(text).to_string(),
            s.yaml(text).to_string(),
            s.suffix(text).to_string(),
        )
    }

    #[test]
    fn plain_block() {
        let t = "---\nid: a\n---\n# Body\n";
        let s = split(t);
        assert_eq!(s.yaml(t), "id: a\n");
        assert_eq!(&t[s.body_start..], "# Body\n");
        assert!(s.defects.is_empty());
    }

    #[test]
    fn bom_crlf_and_dots() {
        let t = "\u{feff}---\r\nid: a\r\n...\r\nbody";
        let s = split(t);
        assert!(s.bom);
        assert_eq!(s.eol, Eol::Crlf);
        assert!(!s.trailing_newline);
        let b = s.block.clone().expect("block");
        assert!(b.closed_by_dots);
        assert_eq!(s.yaml(t), "id: a\r\n");
        assert_eq!(parts(t).0, "\u{feff}---\r\n");
    }

    #[test]
    fn empty_block() {
        let t = "---\n---\nbody\n";
        let s = split(t);
        assert_eq!(s.yaml(t), "");
        assert!(s.block.is_some());
    }

    #[test]
    fn broken_fence_reports_both_lines() {
        let t = "---\\\nid: a\n---\\\nbody\n";
        let s = split(t);
        assert!(s.block.is_none());
        assert_eq!(
            s.defects,
            vec![Defect::BrokenFence {
                lines: vec![0..4, 11..15]
            }]
        );
    }

    #[test]
    fn merged_fence() {
        let t = "---id: tools-003\ntitle: x\n---\n";
        let s = split(t);
        assert!(matches!(&s.defects[0], Defect::MergedFence { key, .. } if key == "id"));
    }

    #[test]
    fn unterminated() {
        let s = split("---\nid: a\nbody\n");
        assert!(matches!(s.defects[0], Defect::Unterminated { .. }));
    }

    #[test]
    fn thematic_break_in_body_is_not_a_second_block() {
        let t = "---\nid: a\n---\n# Q\n> q\n\n---\n\n## A\n";
        assert!(split(t).defects.is_empty());
    }

    #[test]
    fn stray_fences_and_old_block() {
        let t = "---\nanki_cards: []\n---\n---\n---\n---\\\nid: k\ntitle: t\n---\\\n# Body\n";
        let s = split(t);
        match &s.defects[..] {
            [
                Defect::MetadataInBody {
                    range,
                    fences,
                    keys,
                },
            ] => {
                assert_eq!(*fences, 4);
                assert_eq!(*keys, 2);
                assert_eq!(&t[range.clone()], "---\n---\n---\\\nid: k\ntitle: t\n---\\");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn block_closed_at_comment() {
        let t = "---\nid: a\n---\n# Classification\ntopic: kotlin\nsubtopics: [a]\n---\n# Real\n";
        let s = split(t);
        match &s.defects[..] {
            [Defect::MetadataInBody { range, keys, .. }] => {
                assert_eq!(*keys, 2);
                assert!(t[range.clone()].starts_with("# Classification"));
                assert!(t[range.clone()].ends_with("---"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn one_prose_line_is_not_metadata() {
        let t = "---\nid: a\n---\nNote: read this first.\n\nMore text.\n";
        assert!(split(t).defects.is_empty());
    }

    #[test]
    fn block_running_into_the_body_is_unterminated() {
        let t = "---\nid: a\n# Question (EN)\n> q?\n\n---\n\n## Answer\n";
        let s = split(t);
        assert!(s.block.is_none());
        assert!(matches!(s.defects[..], [Defect::Unterminated { .. }]));
        // YAML comments followed by keys are fine.
        let t = "---\nid: a\n# Timestamps\ncreated: x\n---\nbody\n";
        assert!(split(t).defects.is_empty());
    }

    #[test]
    fn missing() {
        assert_eq!(split("# Title\n").defects, vec![Defect::Missing]);
        assert_eq!(split("").defects, vec![Defect::Missing]);
    }
}
