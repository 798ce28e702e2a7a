//! A card's slug, `<note id>-<index>-<lang>`: its identity in Anki and in `anki_cards`.
//!
//! The slug is built when cards are made and read back by the card-bookkeeping rules and
//! the sync; this type is the one place that writes and reads the format. The index counts
//! the note's question blocks of that language from 0, and the language is two or three
//! lower-case letters, so the last two `-` of a slug always end its id, whatever the id
//! holds.

use std::fmt;

/// The parts of a slug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slug<'a> {
    /// The note's `id` (or, in a stale slug, whatever it was built from).
    pub base: &'a str,
    pub index: usize,
    pub lang: &'a str,
}

impl<'a> Slug<'a> {
    pub fn new(base: &'a str, index: usize, lang: &'a str) -> Slug<'a> {
        Slug { base, index, lang }
    }

    /// Read a slug; `None` when it does not have the `<base>-<index>-<lang>` shape.
    pub fn parse(slug: &'a str) -> Option<Slug<'a>> {
        let (rest, lang) = slug.rsplit_once('-')?;
        let (base, index) = rest.rsplit_once('-')?;
        let lang_ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase());
        let index_ok = !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit());
        // A slug is one line: Anki drops line breaks from fields.
        if base.is_empty() || base.contains('\n') || !lang_ok || !index_ok {
            return None;
        }
        Some(Slug {
            base,
            index: index.parse().ok()?,
            lang,
        })
    }
}

impl fmt::Display for Slug<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.base, self.index, self.lang)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn slugs_read_as_written() {
        assert_eq!(
            Slug::parse("sysdes-039-0-en"),
            Some(Slug::new("sysdes-039", 0, "en"))
        );
        assert_eq!(
            Slug::parse("q-x--kotlin--easy-12-ru"),
            Some(Slug::new("q-x--kotlin--easy", 12, "ru"))
        );
        for bad in [
            "sysdes-en",
            "sysdes-039-0-EN",
            "-0-en",
            "a--en",
            "a-1-e",
            "a-1-engl",
            "a-x1-en",
            "a-+1-en",
            "a-1-én",
            "a\nb-0-en",
            "",
        ] {
            assert_eq!(Slug::parse(bad), None, "{bad}");
        }
        // An index too large for a number is no slug either.
        assert_eq!(Slug::parse("a-99999999999999999999999-en"), None);
    }

    proptest! {
        #[test]
        fn every_slug_written_is_read_back(
            base in "[^\\n]{1,20}",
            index in 0usize..100_000,
            lang in "[a-z]{2,3}",
        ) {
            let written = Slug::new(&base, index, &lang).to_string();
            prop_assert_eq!(Slug::parse(&written), Some(Slug::new(&base, index, &lang)));
        }
    }
}
