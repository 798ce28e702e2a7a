//! The pre-flight: asking Anki whether it would add the new notes, before adding any.
//!
//! The add-on's 25.x line rolls back a whole `addNotes` call when one note fails, so a chunk
//! must not contain a note Anki refuses. Asking about every note costs 0.2–0.3 ms a note on
//! the add-on, and the backend's check grows with the collection; asking one stand-in per
//! deck, plus the notes whose front may look empty, gives the same answers (see
//! [`preflight`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Value, json};

use super::snapshot::sub_ok;
use crate::anki::{AnkiError, Client, action};
use crate::cards::Card;
use crate::cards::model::Models;
use crate::config::AnkiConfig;

/// Whether an HTML field plainly has text for Anki: a letter or digit outside tags and
/// character references.
fn has_text(html: &str) -> bool {
    let (mut in_tag, mut in_reference) = (false, false);
    for c in html.chars() {
        match c {
            '<' if !in_tag => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if in_tag => {}
            '&' => in_reference = true,
            ';' if in_reference => in_reference = false,
            c if in_reference => in_reference = c.is_ascii_alphanumeric() || c == '#',
            c if c.is_alphanumeric() => return true,
            _ => {}
        }
    }
    false
}

/// Ask Anki whether it would add each new note, before any is added.
///
/// With duplicates allowed, Anki refuses a new note for three reasons only: its note type,
/// its deck, or an empty first field. The note types and the decks were checked or created
/// just before, so one probe per note type and deck stands for every note of them whose front
/// plainly has text, and only a note whose front may look empty to Anki (markup, media or
/// character references alone) is probed itself. A stand-in that is refused has all the
/// notes it stood for probed. A card of no configured note type is refused. The probes go out in one request before anything is added: the backend's
/// check grows with the collection. A note that Anki refuses anyway is still named, from
/// the `addNotes` reply.
pub(super) fn preflight(
    client: &Client,
    cfg: &AnkiConfig,
    models: &Models,
    cards: &[&Card],
) -> Result<Vec<bool>, AnkiError> {
    if cards.is_empty() {
        return Ok(Vec::new());
    }
    let group = |c: &&Card| (c.note_type.clone(), c.deck.clone());
    let mut stand_in: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut own: Vec<usize> = Vec::new();
    for (i, c) in cards.iter().enumerate() {
        let Some(model) = models.get(&c.note_type) else {
            continue;
        };
        if has_text(model.first_value(c)) {
            stand_in.entry(group(c)).or_insert(i);
        } else {
            own.push(i);
        }
    }
    let mut asked: Vec<usize> = stand_in.values().copied().chain(own).collect();
    let mut answers = probe(client, cfg, models, cards, &asked)?;
    let refused: BTreeSet<&(String, String)> = stand_in
        .iter()
        .filter(|(_, i)| answers.get(i) != Some(&true))
        .map(|(g, _)| g)
        .collect();
    if !refused.is_empty() {
        asked = (0..cards.len())
            .filter(|i| refused.contains(&group(&cards[*i])) && !answers.contains_key(i))
            .collect();
        answers.extend(probe(client, cfg, models, cards, &asked)?);
    }
    Ok((0..cards.len())
        .map(|i| {
            answers
                .get(&i)
                .or_else(|| answers.get(stand_in.get(&group(&cards[i]))?))
                .copied()
                .unwrap_or(false)
        })
        .collect())
}

/// `canAddNotes` for `cards[i]` of every `i` in `which`, in one request. A probe carries
/// the first field alone: the verdict depends on nothing else, and the add-on reads bodies
/// in quadratic time.
fn probe(
    client: &Client,
    cfg: &AnkiConfig,
    models: &Models,
    cards: &[&Card],
    which: &[usize],
) -> Result<HashMap<usize, bool>, AnkiError> {
    // Only cards of a configured note type are ever asked about ([`preflight`]).
    let which: Vec<usize> = which
        .iter()
        .copied()
        .filter(|i| models.get(&cards[*i].note_type).is_some())
        .collect();
    let subs: Vec<(action::Action, Value)> = which
        .chunks(cfg.chunk_size)
        .map(|chunk| {
            let notes: Vec<Value> = chunk
                .iter()
                .filter_map(|i| {
                    let model = models.get(&cards[*i].note_type)?;
                    Some(json!({
                        "deckName": cards[*i].deck,
                        "modelName": model.name,
                        "fields": { model.first_field(): model.first_value(cards[*i]) },
                        "options": { "allowDuplicate": true },
                    }))
                })
                .collect();
            (action::CAN_ADD_NOTES, json!({ "notes": notes }))
        })
        .collect();
    let mut verdicts = Vec::with_capacity(which.len());
    if !subs.is_empty() {
        for r in client.multi(&subs)? {
            verdicts.extend(sub_ok::<Vec<bool>>(r, action::CAN_ADD_NOTES)?);
        }
    }
    Ok(which.iter().copied().zip(verdicts).collect())
}

#[cfg(test)]
mod tests {
    use super::has_text;

    #[test]
    fn text_is_told_from_markup() {
        assert!(has_text("<p>What is a <code>Mutex</code>?</p>"));
        assert!(has_text("\\(x^2\\)"));
        assert!(has_text("&amp;x"));
        assert!(has_text("Что такое"));
        assert!(!has_text(""));
        assert!(!has_text("<p> </p><br>"));
        assert!(!has_text("<img src=\"decksmith-1.png\">"));
        assert!(!has_text("&nbsp;&#160;"));
        assert!(
            !has_text("&x"),
            "an unfinished reference is not plainly text"
        );
    }
}
