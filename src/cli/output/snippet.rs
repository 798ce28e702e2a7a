//! The part of a note that one finding's snippet shows, cut out once per finding.
//!
//! miette reads source text through `SourceCode::read_span`, and its implementation for
//! strings scans from the start of the file on every call, so N findings in one large note
//! cost N × the note's size (a note with 40,000 unknown keys took 41 s to render). An
//! [`Excerpt`] holds only the lines around one finding's spans, found through the note's
//! [`LineIndex`], so a finding costs the size of its own snippet whatever the note's size:
//!
//! - a line longer than [`LONG_LINE`] bytes is cut to windows around the ends of the spans
//!   on it, joined by `…`, so findings on a huge one-line file each print a short line;
//! - control characters in the note are escaped as in every text format
//!   ([`super::escape_control`]; tabs and line ends stay, miette lays them out), so a note
//!   cannot drive the terminal;
//! - line numbers and the position in the snippet's header are the note's, not the
//!   excerpt's, so they always agree with the other formats.
//!
//! Offsets into the excerpt differ from offsets into the note: [`Excerpt::span`] gives the
//! spans the excerpt was cut for, translated; no other offsets can be.

use std::ops::Range;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use super::{is_unsafe, push_escaped};
use crate::vault::lines::{LineIndex, Position};

/// Lines shown before and after a span; the renderer gives miette the same number.
pub(super) const CONTEXT_LINES: usize = 1;

/// Lines longer than this many bytes are shown in windows around the spans' ends.
const LONG_LINE: usize = 1_000;

/// Bytes kept on each side of a span's end on a long line.
const WINDOW: usize = 100;

/// Snippets this many lines apart or closer are shown as one, the lines between included:
/// one box reads better than two, and its header then names the finding's own position.
const MERGE_GAP: usize = 3;

/// Marks text of a long line left out of the snippet.
const ELISION: &str = "…";

/// One finding's lines of a note, with the finding's spans translated into it.
pub(super) struct Excerpt {
    name: String,
    text: String,
    /// Runs of consecutive note lines, in order; spans never cross runs.
    runs: Vec<Run>,
    /// Note offset → excerpt offset, for every end of the spans the excerpt was cut for.
    points: Vec<(usize, usize)>,
    /// The note position of every span start, by excerpt offset (miette's header).
    starts: Vec<(usize, Position)>,
    /// The spans the excerpt was cut for, in their order, as excerpt offset and length.
    spans: Vec<(usize, usize)>,
}

struct Run {
    /// 0-based note line of the run's first line.
    first_line: usize,
    /// Excerpt offset of each line's start, then the run's end.
    bounds: Vec<usize>,
}

impl Run {
    fn line_count(&self) -> usize {
        self.bounds.len() - 1
    }

    /// The run's line (0-based within the run) holding excerpt offset `offset`.
    fn line_of(&self, offset: usize) -> usize {
        let starts = &self.bounds[..self.line_count()];
        starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
            .min(self.line_count().saturating_sub(1))
    }
}

/// A span to show, in note offsets, with the note position of its start.
pub(super) struct Span {
    pub range: Range<usize>,
    pub start: Position,
}

impl Excerpt {
    /// Cut the lines of `text` that `spans` and their context cover. `name` is what the
    /// snippet's header calls the file.
    pub(super) fn new(name: String, text: &str, lines: &LineIndex, spans: &[Span]) -> Excerpt {
        let clamped: Vec<Range<usize>> = spans.iter().map(|s| clamp(text, &s.range)).collect();
        let mut ends: Vec<usize> = clamped.iter().flat_map(|r| [r.start, r.end]).collect();
        ends.sort_unstable();
        ends.dedup();
        let mut excerpt = Excerpt {
            name,
            text: String::new(),
            runs: Vec::new(),
            points: Vec::with_capacity(ends.len()),
            starts: Vec::new(),
            spans: Vec::new(),
        };
        let mut pending = ends.as_slice();
        for lines_of_run in line_runs(text, lines, &clamped) {
            let mut run = Run {
                first_line: *lines_of_run.start(),
                bounds: Vec::new(),
            };
            for line in lines_of_run {
                run.bounds.push(excerpt.text.len());
                pending = excerpt.push_line(text, lines, line, pending);
            }
            run.bounds.push(excerpt.text.len());
            excerpt.runs.push(run);
        }
        excerpt.starts = spans
            .iter()
            .zip(&clamped)
            .map(|(s, r)| (excerpt.map(r.start), s.start))
            .collect();
        excerpt.starts.sort_unstable_by_key(|(offset, _)| *offset);
        excerpt.spans = clamped
            .iter()
            .map(|r| {
                let start = excerpt.map(r.start);
                (start, excerpt.map(r.end).saturating_sub(start))
            })
            .collect();
        excerpt
    }

    /// Span `i` of those given to [`Excerpt::new`], as excerpt offset and length.
    pub(super) fn span(&self, i: usize) -> (usize, usize) {
        self.spans.get(i).copied().unwrap_or_default()
    }

    /// The file name shown in the header.
    pub(super) fn name(&self) -> &str {
        &self.name
    }

    /// The excerpt offset of an end of the spans given to [`Excerpt::new`] (clamped to the
    /// note's characters).
    fn map(&self, note_offset: usize) -> usize {
        match self.points.binary_search_by_key(&note_offset, |(n, _)| *n) {
            Ok(i) => self.points[i].1,
            // Not an end the excerpt was cut for: the nearest one before it.
            Err(i) => i.checked_sub(1).map_or(0, |i| self.points[i].1),
        }
    }

    /// Append note line `line`, recording the excerpt offsets of the span ends on it;
    /// returns the span ends still to place.
    fn push_line<'e>(
        &mut self,
        text: &str,
        lines: &LineIndex,
        line: usize,
        mut pending: &'e [usize],
    ) -> &'e [usize] {
        let start = lines.line_start(line).min(text.len());
        let end = lines.line_start(line + 1).min(text.len());
        let full = &text[start..end];
        let content = full
            .strip_suffix('\n')
            .map_or(full, |c| c.strip_suffix('\r').unwrap_or(c));
        let content_end = start + content.len();
        let mut on_line = 0;
        while on_line < pending.len() && pending[on_line] <= content_end {
            on_line += 1;
        }
        let windows = windows(content, start, &pending[..on_line]);
        let mut shown = start;
        for window in windows {
            if window.start > shown {
                // Ends inside the left-out text sit on the elision mark.
                pending = self.place(pending, window.start - 1);
                self.text.push_str(ELISION);
            }
            for (i, c) in text[window.clone()].char_indices() {
                pending = self.place(pending, window.start + i);
                // Tabs stay: miette lays them out. Line ends are not in `content`.
                if c != '\t' && is_unsafe(c) {
                    push_escaped(&mut self.text, c);
                } else {
                    self.text.push(c);
                }
            }
            shown = window.end;
        }
        if shown < content_end {
            pending = self.place(pending, content_end - 1);
            self.text.push_str(ELISION);
        }
        // The line end is copied as it is: miette reads `\r\n` and `\n` as line ends.
        for (i, c) in text[content_end..end].char_indices() {
            pending = self.place(pending, content_end + i);
            self.text.push(c);
        }
        // An end at the next line's start (or past the note's last byte) is where the next
        // line starts in the excerpt too.
        self.place(pending, end)
    }

    /// Record the current excerpt offset for the pending ends at or before `note_offset`.
    fn place<'e>(&mut self, pending: &'e [usize], note_offset: usize) -> &'e [usize] {
        let n = pending.partition_point(|&p| p <= note_offset);
        let here = self.text.len();
        self.points.extend(pending[..n].iter().map(|&p| (p, here)));
        &pending[n..]
    }

    fn run_of(&self, offset: usize) -> Option<&Run> {
        let i = self.runs.partition_point(|r| r.bounds[0] <= offset);
        self.runs.get(i.checked_sub(1)?)
    }

    /// The note column (0-based) of a span starting at excerpt offset `offset`.
    fn column(&self, offset: usize) -> usize {
        match self.starts.binary_search_by_key(&offset, |(o, _)| *o) {
            Ok(i) => usize::try_from(self.starts[i].1.column.saturating_sub(1)).unwrap_or(0),
            Err(_) => 0,
        }
    }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let offset = span.offset();
        let end = offset.saturating_add(span.len());
        if end > self.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let run = self.run_of(offset).ok_or(MietteError::OutOfBounds)?;
        let first = run.line_of(offset);
        let last = run.line_of(end.saturating_sub(1).max(offset));
        let from_line = first.saturating_sub(context_lines_before);
        let to_line = (last + context_lines_after).min(run.line_count().saturating_sub(1));
        // Without lines before, the data starts at the span (miette reads the header's
        // position that way).
        let (data_start, column) = if context_lines_before == 0 {
            (offset, self.column(offset))
        } else {
            (run.bounds[from_line], 0)
        };
        let data_end = run.bounds[(to_line + 1).min(run.line_count())].max(data_start);
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            &self.text.as_bytes()[data_start..data_end],
            SourceSpan::from((data_start, data_end - data_start)),
            run.first_line
                + if context_lines_before == 0 {
                    first
                } else {
                    from_line
                },
            column,
            // Not the lines of the data but those up to the run's end: miette merges two
            // labels' snippets when the first one's line count reaches the second, so the
            // labels of one run share a snippet and those of different runs never do.
            run.line_count() - from_line,
        )))
    }
}

/// A range of `text` on character boundaries, `start <= end`.
fn clamp(text: &str, range: &Range<usize>) -> Range<usize> {
    let start = floor_boundary(text, range.start.min(text.len()));
    let end = ceil_boundary(text, range.end.min(text.len())).max(start);
    start..end
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// The note lines to show: every span's lines with their context, merged where they are at
/// most [`MERGE_GAP`] lines apart.
fn line_runs(
    text: &str,
    lines: &LineIndex,
    spans: &[Range<usize>],
) -> Vec<std::ops::RangeInclusive<usize>> {
    // A final newline ends the last line; it does not start an empty one.
    let last_line = lines.line_of(text.len().saturating_sub(1));
    let mut wanted: Vec<(usize, usize)> = spans
        .iter()
        .map(|r| {
            let first = lines.line_of(r.start);
            let last = lines.line_of(r.end.saturating_sub(1).max(r.start));
            (
                first.saturating_sub(CONTEXT_LINES),
                (last + CONTEXT_LINES).min(last_line.max(last)),
            )
        })
        .collect();
    wanted.sort_unstable();
    let mut runs: Vec<(usize, usize)> = Vec::with_capacity(wanted.len());
    for (first, last) in wanted {
        match runs.last_mut() {
            Some(run) if first <= run.1 + 1 + MERGE_GAP => run.1 = run.1.max(last),
            _ => runs.push((first, last)),
        }
    }
    runs.into_iter().map(|(a, b)| a..=b).collect()
}

/// The byte ranges of a line's content to show: all of it, or on a long line windows around
/// the span ends on it (the line's start when none is).
fn windows(content: &str, start: usize, ends: &[usize]) -> Vec<Range<usize>> {
    if content.len() <= LONG_LINE {
        return std::iter::once(start..start + content.len()).collect();
    }
    let centres: Vec<usize> = if ends.is_empty() {
        vec![WINDOW]
    } else {
        ends.iter().map(|e| e.saturating_sub(start)).collect()
    };
    let mut out: Vec<Range<usize>> = Vec::with_capacity(centres.len());
    for c in centres {
        let from = floor_boundary(content, c.saturating_sub(WINDOW).min(content.len()));
        let to = ceil_boundary(content, (c + WINDOW).min(content.len()));
        match out.last_mut() {
            Some(w) if from <= w.end - start => w.end = w.end.max(start + to),
            _ => out.push(start + from..start + to),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn span(text: &str, lines: &LineIndex, range: Range<usize>) -> Span {
        Span {
            start: lines.position(text, range.start),
            range,
        }
    }

    fn read(e: &Excerpt, range: Range<usize>, before: usize, after: usize) -> (String, usize) {
        let c = e
            .read_span(&SourceSpan::from(range), before, after)
            .expect("in bounds");
        (String::from_utf8_lossy(c.data()).into_owned(), c.line())
    }

    #[test]
    fn keeps_the_lines_around_each_span_with_note_line_numbers() {
        let text: String = (1..=100).map(|i| format!("line {i}\n")).collect();
        let lines = LineIndex::new(&text);
        let at = |i: usize| lines.line_start(i - 1);
        let spans = [
            span(&text, &lines, at(50)..at(50) + 4),
            span(&text, &lines, at(90)..at(90) + 4),
        ];
        let e = Excerpt::new("n.md".into(), &text, &lines, &spans);
        assert_eq!(
            e.text,
            "line 49\nline 50\nline 51\nline 89\nline 90\nline 91\n"
        );
        let s = e.map(at(90));
        assert_eq!(&e.text[s..s + 4], "line");
        let (data, line) = read(&e, s..s + 4, 1, 1);
        assert_eq!((data.as_str(), line), ("line 89\nline 90\nline 91\n", 88));
        let header = e
            .read_span(&SourceSpan::from(s..s + 4), 0, 0)
            .expect("in bounds");
        assert_eq!((header.line(), header.column()), (89, 0));
    }

    #[test]
    fn long_lines_are_cut_around_the_spans() {
        let text = format!("{}[[x]]{}\nnext\n", "a".repeat(5_000), "b".repeat(5_000));
        let lines = LineIndex::new(&text);
        let spans = [span(&text, &lines, 5_000..5_005)];
        let e = Excerpt::new("n.md".into(), &text, &lines, &spans);
        assert!(e.text.len() < 2 * WINDOW + 50, "{}", e.text);
        assert!(e.text.starts_with(ELISION) && e.text.ends_with("…\nnext\n"));
        let (s, t) = (e.map(5_000), e.map(5_005));
        assert_eq!(&e.text[s..t], "[[x]]");
    }

    #[test]
    fn spans_off_character_boundaries_or_past_the_end_are_clamped() {
        let text = "x Вопрос";
        let lines = LineIndex::new(text);
        // Byte 3 is inside `В`, byte 99 past the end.
        let e = Excerpt::new("n.md".into(), text, &lines, &[span(text, &lines, 3..99)]);
        let (start, len) = e.span(0);
        assert_eq!(&e.text[start..start + len], "Вопрос");
    }

    #[test]
    fn control_characters_are_escaped_and_spans_follow() {
        let text = "a\u{1b}[2J\tb [[x\u{202e}y]] c\r\nnext\n";
        let lines = LineIndex::new(text);
        let link = text.find("[[").expect("link");
        let end = text.find("]]").expect("end") + 2;
        let e = Excerpt::new(
            "n.md".into(),
            text,
            &lines,
            &[span(text, &lines, link..end)],
        );
        assert_eq!(e.text, "a\\x1b[2J\tb [[x\\u{202e}y]] c\r\nnext\n");
        assert_eq!(&e.text[e.map(link)..e.map(end)], "[[x\\u{202e}y]]");
        // The header's column is the note's: the escape before the link does not count.
        let header = e
            .read_span(&SourceSpan::from(e.map(link)..e.map(end)), 0, 0)
            .expect("in bounds");
        assert_eq!(
            header.column() + 1,
            lines.position(text, link).column as usize
        );
    }

    #[test]
    fn empty_and_final_positions() {
        let lines = LineIndex::new("");
        let e = Excerpt::new("n.md".into(), "", &lines, &[span("", &lines, 0..0)]);
        assert_eq!(read(&e, 0..0, 1, 1), (String::new(), 0));
        let text = "a\nb\n";
        let lines = LineIndex::new(text);
        let e = Excerpt::new("n.md".into(), text, &lines, &[span(text, &lines, 4..4)]);
        assert_eq!(e.map(4), e.text.len());
        assert!(
            e.read_span(&SourceSpan::from(e.map(4)..e.map(4)), 1, 1)
                .is_ok()
        );
    }

    proptest! {
        /// Whatever the text and spans, cutting never panics, every span lands on character
        /// boundaries of the excerpt, and miette can read it with and without context.
        #[test]
        fn any_text_and_spans_cut_cleanly(
            text in "[a\u{1b}\u{202e}\t\r\nВ😀]{0,40}(x{0,1200})[a\r\n]{0,20}",
            ranges in proptest::collection::vec((0usize..1400, 0usize..1400), 1..6),
        ) {
            let lines = LineIndex::new(&text);
            let spans: Vec<Span> = ranges
                .iter()
                .map(|&(a, b)| span(&text, &lines, a.min(b)..a.max(b)))
                .collect();
            let e = Excerpt::new("n.md".into(), &text, &lines, &spans);
            prop_assert!(e.text.len() <= 12 * text.len() + 64);
            for i in 0..spans.len() {
                let (start, len) = e.span(i);
                prop_assert!(e.text.get(start..start + len).is_some());
                for context in [0, CONTEXT_LINES] {
                    let read = e.read_span(&SourceSpan::from((start, len)), context, context);
                    prop_assert!(read.is_ok());
                }
            }
        }
    }
}
