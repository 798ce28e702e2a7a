//! The text summary of `decksmith cards`.

use std::fmt::Write;
use std::path::Path;

use crate::cards::NoteCards;

fn size(n: usize) -> String {
    if n < 1024 {
        format!("{n} B")
    } else {
        format!("{:.1} KB", n as f64 / 1024.0)
    }
}

pub fn render(notes: &[NoteCards], html: Option<&Path>) -> String {
    let mut out = String::new();
    let (mut cards, mut with, mut without) = (0, 0, 0);
    for n in notes {
        if let Some(skip) = &n.skipped {
            without += 1;
            let _ = writeln!(out, "{}: no cards ({skip})", n.note);
            continue;
        }
        if n.cards.is_empty() {
            without += 1;
        } else {
            with += 1;
        }
        cards += n.cards.len();
        let _ = writeln!(
            out,
            "{}: {} card{}",
            n.note,
            n.cards.len(),
            if n.cards.len() == 1 { "" } else { "s" }
        );
        for c in &n.cards {
            let _ = writeln!(
                out,
                "  {}  deck {}  {} tags  front {}  back {}{}",
                c.slug,
                c.deck,
                c.tags.len(),
                size(c.front.len()),
                size(c.back.len()),
                if c.media.is_empty() {
                    String::new()
                } else {
                    format!("  media {}", c.media.join(", "))
                }
            );
        }
        for lang in &n.missing {
            let _ = writeln!(out, "  {lang}: no card (question or answer missing)");
        }
        for r in &n.refused {
            let _ = writeln!(
                out,
                "  {}  refused: {}:{}: {}",
                r.slug, n.note, r.line, r.reason
            );
        }
    }
    let refused: usize = notes.iter().map(|n| n.refused.len()).sum();
    let _ = writeln!(
        out,
        "{cards} cards from {with} notes ({without} notes gave none){}.",
        if refused == 0 {
            String::new()
        } else {
            format!("; {refused} refused")
        }
    );
    if let Some(dir) = html {
        let _ = writeln!(out, "Preview written to {}/index.html", dir.display());
    }
    out
}
