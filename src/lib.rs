//! decksmith: lint Obsidian-style Markdown study notes, generate Anki cards from them and
//! sync the cards through AnkiConnect.
//!
//! The crate is a library plus a thin binary. `vault` reads notes (pure functions over
//! bytes, plus the walker), `lint` checks them, `cli` turns results into output and exit
//! codes. See `docs/architecture.md` for how the pieces fit.

pub mod anki;
pub mod cards;
pub mod cli;
pub mod config;
mod fsutil;
pub mod lint;
pub mod sync;
pub mod vault;

/// Where the documentation lives: the repository's `docs/` folder. Links in output (SARIF's
/// `helpUri`) are built from it.
pub const DOCS_URL: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs");

/// The link to a rule's section of `docs/rules.md`. The section's heading is the rule's
/// code, so its anchor is the code in lower case (`#fm003`), as in the file's own table.
pub fn rule_docs_url(code: &str) -> String {
    format!("{DOCS_URL}/rules.md#{}", code.to_ascii_lowercase())
}
