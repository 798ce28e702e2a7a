use serde_json::Value;

use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::index::{bounded_distance, edit_distance};

declare_rule! {
    /// ## What it does
    /// Checks front-matter values against the vault's vocabularies: the lists under
    /// `[vocabularies]` in `decksmith.toml` (topics, difficulties, statuses, languages,
    /// Android subtopics, …), as wired to keys by each kind's `vocab` entries. An entry may
    /// apply only `when` other fields have given values (Android subtopics apply when
    /// `topic = "android"`). Lists are checked item by item.
    ///
    /// ## Why is this bad?
    /// A value outside the vocabulary (`topic: patterns`, `question_kind: comparison`)
    /// falls out of every deck, tag and Dataview query built on the vocabulary.
    ///
    /// ## How to fix
    /// Use a listed value, or add the value to the vocabulary in `decksmith.toml`.
    code = "SCH002",
    name = "unknown-vocabulary-value",
    severity = Some(Severity::Error),
    summary = "value is not in the configured vocabulary",
    check = check,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let (Some(kind), Some(parsed)) = (ctx.kind, ctx.note.front_matter()) else {
        return;
    };
    let json = &parsed.json;
    for check in &kind.kind.vocab {
        let applies = check
            .when
            .iter()
            .all(|(k, v)| json.get(k).and_then(Value::as_str) == Some(v.as_str()));
        if !applies {
            continue;
        }
        let Some(words) = ctx.config().vocabularies.get(&check.vocabulary) else {
            continue;
        };
        let values: Vec<(String, &str)> = match json.get(&check.key) {
            Some(Value::String(s)) => vec![(format!("/{}", check.key), s.as_str())],
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.as_str().map(|s| (format!("/{}/{i}", check.key), s)))
                .collect(),
            _ => continue,
        };
        for (pointer, value) in values {
            if words.iter().any(|w| w == value) {
                continue;
            }
            let range = parsed
                .spans
                .value(&pointer)
                .unwrap_or(ctx.note.head_range());
            let mut finding = Finding::new(
                range,
                format!(
                    "`{value}` is not in the `{}` vocabulary (key `{}`)",
                    check.vocabulary, check.key
                ),
            );
            finding = match closest(value, words) {
                Some(best) => finding.help(format!("did you mean `{best}`?")),
                None => finding.help(format!(
                    "use a value listed under [vocabularies] `{}` in decksmith.toml, or add it there",
                    check.vocabulary
                )),
            };
            out.push(finding);
        }
    }
}

/// The closest word by edit distance, if it is close enough to be a plausible typo.
pub(crate) fn closest<'a>(value: &str, words: &'a [String]) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for w in words {
        // Only a word closer than the best so far matters: the distance stops being
        // computed once it cannot be.
        let d = match best {
            None => Some(edit_distance(value, w)),
            Some((0, _)) => break,
            Some((bd, _)) => bounded_distance(value, w, bd - 1),
        };
        if let Some(d) = d {
            best = Some((d, w));
        }
    }
    best.filter(|(d, w)| *d > 0 && *d <= (w.chars().count().max(value.chars().count()) / 3).max(1))
        .map(|(_, w)| w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let words: Vec<String> = ["system-design", "android", "kotlin"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(closest("system-desing", &words), Some("system-design"));
        assert_eq!(closest("patterns", &words), None);
    }

    /// The closest word with every distance computed whole.
    fn closest_by_full_distances<'a>(value: &str, words: &'a [String]) -> Option<&'a str> {
        let mut best: Option<(usize, &str)> = None;
        for w in words {
            let d = edit_distance(value, w);
            if best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, w));
            }
        }
        best.filter(|(d, w)| {
            *d > 0 && *d <= (w.chars().count().max(value.chars().count()) / 3).max(1)
        })
        .map(|(_, w)| w)
    }

    proptest::proptest! {
        #[test]
        fn the_closest_word_is_found_without_whole_distances(
            value in "[abk\\-]{0,7}",
            words in proptest::collection::vec("[abkи\\-]{0,7}", 0..6),
        ) {
            proptest::prop_assert_eq!(closest(&value, &words), closest_by_full_distances(&value, &words));
        }
    }
}
