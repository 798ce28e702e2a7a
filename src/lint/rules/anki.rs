//! Reading a note's `anki_cards` entries; shared by the ANK rules.

use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

use crate::lint::Ctx;

/// One `anki_cards` entry with the parts of its slug.
pub(crate) struct Entry<'a> {
    /// JSON pointer of the entry (`/anki_cards/3`).
    pub pointer: String,
    pub value: &'a Value,
    pub slug: Option<&'a str>,
    /// `(base, index, lang)` when the slug has the `<base>-<index>-<lang>` shape.
    pub parts: Option<(&'a str, usize, &'a str)>,
}

impl Entry<'_> {
    pub(crate) fn field(&self, name: &str) -> Option<&Value> {
        self.value.get(name)
    }

    pub(crate) fn range(&self, ctx: &Ctx<'_>, field: Option<&str>) -> Range<usize> {
        let spans = ctx.note.front_matter().map(|p| &p.spans);
        let pointer = match field {
            Some(f) => format!("{}/{f}", self.pointer),
            None => self.pointer.clone(),
        };
        spans
            .and_then(|s| {
                if field.is_some() {
                    s.key(&pointer)
                } else {
                    s.value(&pointer)
                }
            })
            .unwrap_or(ctx.note.head_range())
    }
}

fn slug_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^(.+)-([0-9]+)-([a-z]{2,3})$").expect("static regex"))
}

/// Split `<base>-<index>-<lang>`.
pub(crate) fn parse_slug(slug: &str) -> Option<(&str, usize, &str)> {
    let caps = slug_re().captures(slug)?;
    let base = caps.get(1)?.as_str();
    let index = caps.get(2)?.as_str().parse().ok()?;
    let lang = caps.get(3)?.as_str();
    Some((base, index, lang))
}

/// The entries of a note whose kind produces cards (empty otherwise).
pub(crate) fn entries<'a>(ctx: &Ctx<'a>) -> Vec<Entry<'a>> {
    let produces_cards = ctx.kind.is_some_and(|k| k.kind.cards.is_some());
    if !produces_cards {
        return Vec::new();
    }
    ctx.note
        .anki_cards()
        .iter()
        .enumerate()
        .map(|(i, value)| {
            let slug = value.get("slug").and_then(Value::as_str);
            Entry {
                pointer: format!("/anki_cards/{i}"),
                value,
                slug,
                parts: slug.and_then(parse_slug),
            }
        })
        .collect()
}

/// Whether a `synced_at` value has an accepted form: `YYYY-MM-DDTHH:MM:SS`, optional
/// fraction, optional `Z` or `±HH:MM` offset.
pub(crate) fn timestamp_ok(s: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$",
        )
        .expect("static regex")
    });
    let Some(c) = re.captures(s) else {
        return false;
    };
    let n = |i: usize| {
        c.get(i)
            .and_then(|m| m.as_str().parse::<u32>().ok())
            .unwrap_or(99)
    };
    (1..=12).contains(&n(2)) && (1..=31).contains(&n(3)) && n(4) < 24 && n(5) < 60 && n(6) < 61
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_timestamps() {
        assert_eq!(parse_slug("sysdes-039-0-en"), Some(("sysdes-039", 0, "en")));
        assert_eq!(
            parse_slug("q-x--kotlin--easy-12-ru"),
            Some(("q-x--kotlin--easy", 12, "ru"))
        );
        assert_eq!(parse_slug("sysdes-en"), None);
        assert_eq!(parse_slug("sysdes-039-0-EN"), None);
        assert!(timestamp_ok("2026-01-23T13:49:17.865498"));
        assert!(timestamp_ok("2026-01-23T13:49:17Z"));
        assert!(timestamp_ok("2026-01-23T13:49:17.1+02:00"));
        assert!(!timestamp_ok("2026-01-14 23:56:58.692029"));
        assert!(!timestamp_ok("2026-13-14T23:56:58"));
    }
}
