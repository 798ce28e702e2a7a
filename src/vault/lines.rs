//! Byte offset → line and column, computed once per file.
//!
//! Columns are counted in characters for people (what an editor's status bar shows) and in
//! UTF-16 code units where a format asks for them (SARIF's default `columnKind`).

/// Line starts of one file.
#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
}

/// A 1-based line and column.
///
/// Kept in 32 bits: a report carries two of these per finding, hundreds of thousands of
/// findings in a large vault, and no note comes near 4 G lines or columns (a larger count
/// saturates).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Position {
    pub line: u32,
    /// 1-based, in Unicode scalar values.
    pub column: u32,
    /// 1-based, in UTF-16 code units.
    pub column_utf16: u32,
}

/// A count as a [`Position`] field.
fn narrow(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Position {
    /// Line 1, column 1: where a finding of a file without text points.
    pub const START: Position = Position {
        line: 1,
        column: 1,
        column_utf16: 1,
    };
}

impl Default for Position {
    fn default() -> Position {
        Position::START
    }
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        // memchr's vectorised search: `str::match_indices` scans a byte at a time, and this
        // runs over every byte of every note.
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex { starts }
    }

    /// 0-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    pub fn line_start(&self, line: usize) -> usize {
        self.starts.get(line).copied().unwrap_or(usize::MAX)
    }

    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_of(offset);
        let (chars, utf16) = widths(&text[self.starts[line]..offset]);
        Position {
            line: narrow(line + 1),
            column: narrow(chars + 1),
            column_utf16: narrow(utf16 + 1),
        }
    }

    /// The position of byte `offset` (floored to a character boundary), and the offset it
    /// was floored to. With `from`, an earlier offset and its position, the columns are
    /// counted on from there when both are on one line: counting from the line's start made
    /// N findings on one long line cost N × the line's length. Findings come sorted by
    /// start, so each one counts on from the previous one.
    pub fn locate(
        &self,
        text: &str,
        offset: usize,
        from: Option<(usize, Position)>,
    ) -> (usize, Position) {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = narrow(self.line_of(offset) + 1);
        match from {
            Some((earlier, pos)) if pos.line == line && earlier <= offset => {
                let (chars, utf16) = widths(&text[earlier..offset]);
                let pos = Position {
                    line,
                    column: pos.column.saturating_add(narrow(chars)),
                    column_utf16: pos.column_utf16.saturating_add(narrow(utf16)),
                };
                (offset, pos)
            }
            _ => (offset, self.position(text, offset)),
        }
    }
}

/// A file's text with its line index: what output needs to show a finding's lines.
#[derive(Clone, Debug)]
pub struct Text {
    pub text: String,
    pub lines: LineIndex,
}

impl Text {
    pub fn new(text: String) -> Text {
        let lines = LineIndex::new(&text);
        Text { text, lines }
    }
}

/// The width of `s` in characters and in UTF-16 code units.
///
/// Every finding's columns are counted so; encoding each character to UTF-16 cost more than
/// the count itself. ASCII is one of each per byte; otherwise a character takes two UTF-16
/// units exactly when it takes four bytes, whose first byte is 0xF0 or above.
fn widths(s: &str) -> (usize, usize) {
    if s.is_ascii() {
        return (s.len(), s.len());
    }
    let chars = s.chars().count();
    let astral = s.bytes().filter(|&b| b >= 0xF0).count();
    (chars, chars + astral)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters() {
        let text = "ab\nВопрос x\n";
        let idx = LineIndex::new(text);
        let x = text.find('x').expect("x");
        let p = idx.position(text, x);
        assert_eq!((p.line, p.column, p.column_utf16), (2, 8, 8));
        assert_eq!(idx.position(text, 0).line, 1);
        assert_eq!(idx.position(text, text.len()).line, 3);
    }

    #[test]
    fn counting_on_gives_the_positions_counted_from_the_line_start() {
        let text = "ab\nВопрос 😀 x y\n\nz";
        let idx = LineIndex::new(text);
        let mut from = None;
        for offset in 0..=text.len() + 2 {
            let (floored, pos) = idx.locate(text, offset, from);
            assert_eq!(pos, idx.position(text, offset), "offset {offset}");
            from = Some((floored, pos));
        }
        // Counting on never runs backwards or across lines.
        let (floored, pos) = idx.locate(text, text.len(), None);
        assert_eq!(idx.locate(text, 0, Some((floored, pos))).1.line, 1);
    }

    proptest::proptest! {
        #[test]
        fn widths_are_the_counts_of_characters_and_utf16_units(s in "\\PC{0,40}|[a-z😀é]{0,20}") {
            proptest::prop_assert_eq!(widths(&s), (s.chars().count(), s.encode_utf16().count()));
        }
    }
}
