//! A static HTML preview of the cards: an index page and one page per note, styled with the
//! same CSS the Anki note types use ([`super::model`]), readable in light and dark mode.
//! Each card is shown through its note type's templates, as Anki shows it. Pure: it
//! returns the files to write; the command line writes them.

use super::model::{CARD_CSS, CLOZE_CSS, Models, NoteModel};
use super::{Card, NoteCards};

const PAGE_CSS: &str = r#"body { margin: 0; padding: 1.5em; background: #f6f6f8; color: #1d1d1f;
  font-family: -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif; }
a { color: #2060c0; }
.meta { font-size: 14px; color: #555; margin: 1.5em 0 .4em; }
.meta code { background: #e8e8ec; padding: .1em .3em; border-radius: 4px; }
.card { border-radius: 10px; box-shadow: 0 1px 4px rgba(0,0,0,.15); }
@media (prefers-color-scheme: dark) {
  body { background: #121214; color: #e8e8ea; }
  a { color: #80b0ff; }
  .meta { color: #aaa; }
  .meta code { background: #2a2a2e; }
}
"#;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The page file name of a note: its path with `/` as `__` and `.html` for `.md`.
pub fn page_name(note_path: &str) -> String {
    let stem = note_path.strip_suffix(".md").unwrap_or(note_path);
    format!("{}.html", stem.replace('/', "__"))
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"color-scheme\" content=\"light dark\">\n<title>{}</title>\n<style>\n{CARD_CSS}{CLOZE_CSS}{PAGE_CSS}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

/// The cards Anki makes of one card's note, each as Anki shows its answer side (the
/// question, then the answer), through the note type's templates: a reversed card asked
/// backwards, a cloze one card per deletion.
fn shown_cards(card: &Card, models: &Models) -> String {
    let fallback;
    let model = match models.get(&card.note_type) {
        Some(m) => m,
        None => {
            fallback = NoteModel::qa(&card.note_type);
            &fallback
        }
    };
    let mut out = String::new();
    for shown in model.shown(card) {
        out.push_str(&format!(
            "<p class=\"meta\">{}</p>\n<div class=\"card\">\n<div class=\"front\">{}</div>\n<div class=\"back\">{}</div>\n</div>\n",
            escape(&shown.name),
            shown.question,
            shown.answer
        ));
    }
    out
}

/// The preview site: (file name, contents) pairs, in a stable order.
pub fn site(notes: &[NoteCards], models: &Models) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut index = String::from("<h1>decksmith cards</h1>\n<ul>\n");
    let total: usize = notes.iter().map(|n| n.cards.len()).sum();
    for n in notes.iter().filter(|n| !n.cards.is_empty()) {
        let name = page_name(&n.note);
        index.push_str(&format!(
            "<li><a href=\"{}\">{}</a> — {} card{}</li>\n",
            escape(&name),
            escape(&n.note),
            n.cards.len(),
            if n.cards.len() == 1 { "" } else { "s" }
        ));
        let mut body = format!(
            "<p><a href=\"index.html\">← all notes</a></p>\n<h1>{}</h1>\n",
            escape(&n.note)
        );
        for c in &n.cards {
            body.push_str(&format!(
                "<section id=\"{slug}\">\n<p class=\"meta\"><code>{slug}</code> · note type <code>{note_type}</code> · deck <code>{deck}</code> · {tags}</p>\n",
                slug = escape(&c.slug),
                note_type = escape(&c.note_type),
                deck = escape(&c.deck),
                tags = c
                    .tags
                    .iter()
                    .map(|t| format!("<code>{}</code>", escape(t)))
                    .collect::<Vec<_>>()
                    .join(" "),
            ));
            body.push_str(&shown_cards(c, models));
            body.push_str("</section>\n");
        }
        files.push((name, page(&n.note, &body)));
    }
    index.push_str(&format!("</ul>\n<p class=\"meta\">{total} cards</p>\n"));
    files.insert(
        0,
        ("index.html".to_string(), page("decksmith cards", &index)),
    );
    files
}
