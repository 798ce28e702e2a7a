//! The reports of `decksmith sync`: text and JSON.
//!
//! Some of what they show comes from Anki (field values in diffs, the slugs of orphans, the
//! note type's templates, error texts), so it cannot be trusted to be printable: control
//! characters are escaped in both reports, so nothing Anki holds can move the cursor or
//! rewrite a terminal. Error texts arrive scrubbed by the client already.

use std::fmt::Write;

use crate::anki::escape_controls;
use crate::sync::ankiweb::AnkiWeb;
use crate::sync::apply::Outcome;
use crate::sync::plan::{Action, Step};

/// The `--format json` document. serde escapes the C0 controls inside strings; DEL and the
/// C1 controls, which it leaves and some terminals obey, are escaped here. Outside strings
/// the document is printable ASCII and newlines, so every other control character is inside
/// a string, where a `\u` escape keeps its value.
pub fn json(o: &Outcome) -> Result<String, String> {
    let text = serde_json::to_string_pretty(o).map_err(|e| e.to_string())?;
    let mut out = String::with_capacity(text.len() + 1);
    for c in text.chars() {
        if c.is_control() && c != '\n' {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out.push('\n');
    Ok(out)
}

fn line(s: &Step) -> String {
    let what = match &s.action {
        Action::Create => "create".to_string(),
        Action::Recreate { gone } => format!("recreate (note {gone} is gone from Anki)"),
        Action::UpdateFields { id, fields } => format!("update {} of note {id}", fields.join(", ")),
        Action::Unchanged { .. } => "unchanged".to_string(),
        Action::Conflict { id, fields } => format!(
            "conflict: {} of note {id} edited in Anki since the last sync (kept; --overwrite replaces it)",
            fields.join(", ")
        ),
    };
    let mut extra = Vec::new();
    if s.adopted {
        extra.push("found by slug".to_string());
    }
    if !s.add_tags.is_empty() {
        extra.push(format!("+tags {}", s.add_tags.join(" ")));
    }
    if !s.remove_tags.is_empty() {
        extra.push(format!("-tags {}", s.remove_tags.join(" ")));
    }
    if s.move_deck {
        extra.push("move to its deck".to_string());
    }
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(" ({})", extra.join(", "))
    };
    format!(
        "  {what}: {}  {}{extra}",
        escape_controls(&s.slug),
        escape_controls(&s.note)
    )
}

/// Lines of `old` missing from `new` as `-`, lines of `new` missing from `old` as `+`.
fn field_diff(out: &mut String, field: &str, old: &str, new: &str) {
    let _ = writeln!(out, "      {field}:");
    let (o, n): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    for l in o.iter().filter(|l| !n.contains(l)) {
        let _ = writeln!(out, "      - {}", escape_controls(l));
    }
    for l in n.iter().filter(|l| !o.contains(l)) {
        let _ = writeln!(out, "      + {}", escape_controls(l));
    }
}

pub fn render(o: &Outcome, dry_run: bool, diff: bool) -> String {
    let mut out = String::new();
    let p = &o.plan;
    let count = |f: &dyn Fn(&Step) -> bool| p.steps.iter().filter(|s| f(s)).count();
    let creates = count(&|s| matches!(s.action, Action::Create));
    let recreates = count(&|s| matches!(s.action, Action::Recreate { .. }));
    let updates = count(&|s| matches!(s.action, Action::UpdateFields { .. }));
    let conflicts = count(&|s| matches!(s.action, Action::Conflict { .. }));
    let unchanged = count(&|s| !s.writes() && !matches!(s.action, Action::Conflict { .. }));
    let conflicts = if conflicts == 0 {
        String::new()
    } else {
        format!(", {conflicts} edited in Anki and kept")
    };
    let _ = writeln!(
        out,
        "{}{} cards: {creates} to create, {recreates} to recreate, {updates} to update, {} with tag or deck changes, {unchanged} unchanged{conflicts}; {} orphaned in Anki.",
        if dry_run { "Plan for " } else { "" },
        p.steps.len(),
        count(&|s| matches!(s.action, Action::Unchanged { .. }) && s.writes()),
        p.orphans.len()
    );
    if !o.note_type_changes.is_empty() {
        let _ = writeln!(
            out,
            "  note type: {} (--update-note-type)",
            escape_controls(&o.note_type_changes.join("; "))
        );
    }
    if !o.note_type_drift.is_empty() {
        let _ = writeln!(
            out,
            "  note type differs from this decksmith's: it would {}; `sync --update-note-type` does that",
            escape_controls(&o.note_type_drift.join("; "))
        );
    }
    for s in p
        .steps
        .iter()
        .filter(|s| s.writes() || s.adopted || matches!(s.action, Action::Conflict { .. }))
    {
        let _ = writeln!(out, "{}", line(s));
        if diff {
            for (field, old, new) in &s.diffs {
                field_diff(&mut out, field, old, new);
            }
        }
    }
    for (id, slug) in &p.orphans {
        let _ = writeln!(
            out,
            "  orphan     {}  (Anki note {id}; `sync --prune` deletes it)",
            escape_controls(slug)
        );
    }
    for d in &p.duplicates {
        let extra: Vec<String> = d.extra.iter().map(i64::to_string).collect();
        let _ = writeln!(
            out,
            "  duplicate  {}  (Anki notes {} carry it too; `sync --dedupe` deletes them, keeping {})",
            d.slug,
            extra.join(", "),
            d.keep
        );
    }
    for (note, slug) in &p.stale {
        let _ = writeln!(
            out,
            "  stale      {slug}  {note} (an `anki_cards` entry for a card the note no longer gives; see ANK002)"
        );
    }
    for (note, why) in &o.skipped_notes {
        let _ = writeln!(out, "  skipped    {note}: {why}");
    }
    if dry_run {
        return out;
    }
    for (slug, why) in &o.failed {
        let _ = writeln!(
            out,
            "  failed     {}: {}",
            escape_controls(slug),
            escape_controls(why)
        );
    }
    for (slug, reference) in &o.missing_media {
        let _ = writeln!(
            out,
            "  missing media {reference} (card {slug}): no such file in the vault"
        );
    }
    for (note, why) in &o.write_refused {
        let _ = writeln!(out, "  not written {note}: {why}");
    }
    if let Some(why) = &o.stopped {
        let _ = writeln!(
            out,
            "  stopped: {}\n    what was done is listed and written back; run `decksmith sync` again to finish \
             (notes added to Anki but not yet recorded are found again by their slug)",
            escape_controls(why)
        );
    }
    if let Some(why) = &o.prune_refused {
        let _ = writeln!(out, "  prune refused: {why}");
    }
    if let Some(why) = &o.dedupe_refused {
        let _ = writeln!(out, "  dedupe refused: {why}");
    }
    let _ = writeln!(
        out,
        "Synced: {} created, {} updated, {} deleted, {} failed; {} media stored; {} notes written; {} requests to AnkiConnect.",
        o.created.len(),
        o.updated.len(),
        o.pruned + o.deduped,
        o.failed.len(),
        o.media_stored,
        o.written.len(),
        o.requests
    );
    match &o.anki_web {
        None => {}
        Some(AnkiWeb::Synced) => out.push_str("AnkiWeb: synced.\n"),
        Some(AnkiWeb::Skipped(why)) => {
            let _ = writeln!(out, "AnkiWeb: not synced: {why}.");
        }
        Some(AnkiWeb::Failed(why)) => {
            let _ = writeln!(
                out,
                "AnkiWeb: sync failed: {}\n  what was pushed stays in Anki and reaches AnkiWeb with its next sync; \
                 press Sync in Anki to see why (it may ask you to sign in, or to choose between \
                 uploading and downloading the whole collection)",
                escape_controls(why)
            );
        }
    }
    out
}
