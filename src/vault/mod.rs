//! The vault: finding notes, splitting and parsing them, and indexing them.
//!
//! Everything here except [`walk`], [`root`], [`git`], [`history`], [`staged`] and [`cache`]
//! is pure: bytes in, values out.

pub mod cache;
pub mod frontmatter;
pub mod git;
pub mod history;
pub mod index;
pub mod lines;
pub mod links;
pub mod load;
pub mod markdown;
pub mod note;
pub mod root;
pub mod sections;
pub mod staged;
pub mod timestamp;
pub mod walk;
pub mod yaml;
