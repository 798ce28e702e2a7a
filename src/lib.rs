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
