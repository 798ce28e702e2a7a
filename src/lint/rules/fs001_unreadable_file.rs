use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::note::Unreadable;

declare_rule! {
    /// ## What it does
    /// Reports a `.md` file that cannot be read as a note: it is not valid UTF-8, it looks
    /// binary (it contains NUL bytes), it is larger than `vault.max-file-size`, or its file
    /// name is not valid UTF-8 (the name is then shown with its invalid bytes escaped, as
    /// `\xFF`).
    ///
    /// ## Why is this bad?
    /// Such a file is skipped by every other rule, so its links, metadata and cards go
    /// unchecked. A Markdown file in a legacy encoding also renders as mojibake in Obsidian
    /// and in Anki.
    ///
    /// ## How to fix
    /// Re-save the file as UTF-8, move binary files out of `.md` names, rename files whose
    /// names are not UTF-8, or raise `max-file-size` under `[vault]` in `decksmith.toml`.
    code = "FS001",
    name = "unreadable-file",
    severity = Some(Severity::Error),
    summary = "file is not UTF-8, is binary, or is too large",
    check = check,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(why) = &ctx.note.unreadable else {
        return;
    };
    let message = match why {
        Unreadable::TooLarge { size, limit } => {
            format!("file is {size} bytes, larger than the {limit}-byte limit; not checked")
        }
        Unreadable::Binary => "file contains NUL bytes (binary); not checked".to_string(),
        Unreadable::NotUtf8 { offset } => {
            format!("file is not valid UTF-8 (first bad byte at offset {offset}); not checked")
        }
        Unreadable::BadName => {
            "file name is not valid UTF-8 (shown with its bytes escaped); rename it".to_string()
        }
        Unreadable::Io(e) => format!("cannot read file: {e}"),
    };
    out.push(Finding::new(0..0, message));
}
