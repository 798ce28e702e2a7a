//! Sync: pushing cards to Anki and writing `anki_id`/`synced_at` back into notes.
//!
//! `writeback` is the only code in decksmith that writes a note.

pub mod ankiweb;
pub mod apply;
pub mod journal;
pub mod lock;
pub mod media;
pub mod notetype;
pub mod plan;
mod preflight;
pub mod reuse;
mod snapshot;
pub mod state;
pub mod writeback;
