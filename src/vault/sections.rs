//! Matching headings against a kind's configured sections; shared by the SEC rules and
//! card extraction.
//!
//! A heading is `<name>` or `<name> (<LANG>)`. Per-language sections must carry the suffix
//! of one of the note's languages; shared sections may carry any suffix or none. Names are
//! compared case-insensitively (vaults write both `Дополнительные Вопросы` and
//! `Дополнительные вопросы`).

use crate::config::Kind;
use crate::config::Section;
use crate::vault::markdown::Heading;
use crate::vault::note::Note;

/// A heading recognised as a section.
pub struct SectionMatch<'a> {
    pub heading: &'a Heading,
    pub section: &'a Section,
    pub lang: Option<String>,
    pub transliterated: bool,
}

/// Split `Name (EN)` into `("Name", Some("en"))`.
pub fn split_suffix(text: &str) -> (&str, Option<String>) {
    if let Some(body) = text.strip_suffix(')')
        && let Some(open) = body.rfind('(')
    {
        let code = &body[open + 1..];
        if (2..=3).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphabetic()) {
            return (body[..open].trim_end(), Some(code.to_ascii_lowercase()));
        }
    }
    (text, None)
}

/// Whether two names are equal ignoring case, as `str::to_lowercase` compares them.
///
/// Character by character and without building either lower-case string: every heading of
/// every note is compared with every section name, and most differ at once. Only a capital
/// sigma lowercases by its context (`ς` at the end of a word), which the whole-string
/// conversion handles.
fn eq(a: &str, b: &str) -> bool {
    // Most names and headings are ASCII, where lower case is ASCII's.
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    if a.contains('Σ') || b.contains('Σ') {
        return a.to_lowercase() == b.to_lowercase();
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

/// Classify one heading against one section.
pub fn classify<'a>(heading: &'a Heading, section: &'a Section) -> Option<SectionMatch<'a>> {
    if section.level.is_some_and(|l| l != heading.level) {
        return None;
    }
    let (name, lang) = split_suffix(&heading.text);
    let hit = |table: &std::collections::BTreeMap<String, Vec<String>>| -> bool {
        match &lang {
            Some(l) => {
                table
                    .get(l)
                    .is_some_and(|ns| ns.iter().any(|n| eq(n, name)))
                    || (!section.per_language && table.values().flatten().any(|n| eq(n, name)))
            }
            None => !section.per_language && table.values().flatten().any(|n| eq(n, name)),
        }
    };
    // A section name that itself ends in parentheses ("Trap questions (with answers)").
    let whole = !section.per_language
        && section
            .names
            .values()
            .flatten()
            .any(|n| eq(n, &heading.text));
    if whole || hit(&section.names) {
        return Some(SectionMatch {
            heading,
            section,
            lang,
            transliterated: false,
        });
    }
    if hit(&section.transliterated) {
        return Some(SectionMatch {
            heading,
            section,
            lang,
            transliterated: true,
        });
    }
    None
}

/// Every heading of `note` that is one of its kind's sections, in document order
/// (the linter computes this once per note).
pub fn classify_all<'a>(note: &'a Note, kind: Option<&'a Kind>) -> Vec<SectionMatch<'a>> {
    let Some(kind) = kind else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for heading in &note.headings {
        if let Some(m) = kind.sections.iter().find_map(|s| classify(heading, s)) {
            out.push(m);
        }
    }
    out
}

/// The note's languages: its languages field, else the kind's defaults.
pub fn languages(note: &Note, kind: Option<&Kind>) -> Vec<String> {
    let Some(kind) = kind else {
        return Vec::new();
    };
    let from_field = kind.languages_field.as_ref().and_then(|f| {
        note.json().get(f).and_then(|v| v.as_array()).map(|a| {
            a.iter()
                .filter_map(|l| l.as_str().map(str::to_lowercase))
                .collect::<Vec<_>>()
        })
    });
    from_field.unwrap_or_else(|| kind.default_languages.clone())
}

/// How a section's heading should be written, e.g. `# Вопрос (RU)`.
pub fn canonical(section: &Section, lang: Option<&str>) -> String {
    let hashes = "#".repeat(usize::from(section.level.unwrap_or(2)));
    match lang {
        Some(l) if section.per_language || section.names.contains_key(l) => {
            let name = section
                .names
                .get(l)
                .and_then(|n| n.first())
                .map_or("?", String::as_str);
            if section.per_language {
                format!("{hashes} {name} ({})", l.to_uppercase())
            } else {
                format!("{hashes} {name}")
            }
        }
        _ => {
            let name = section
                .names
                .get("en")
                .or_else(|| section.names.values().next())
                .and_then(|n| n.first())
                .map_or("?", String::as_str);
            format!("{hashes} {name}")
        }
    }
}

#[cfg(test)]
mod tests {
    proptest::proptest! {
        #[test]
        fn names_compare_as_their_lower_case(
            a in "[aAbBΣσςΟοİiДд ]{0,6}",
            b in "[aAbBΣσςΟοİiДд ]{0,6}",
        ) {
            proptest::prop_assert_eq!(super::eq(&a, &b), a.to_lowercase() == b.to_lowercase());
        }
    }
}
