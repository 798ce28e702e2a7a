//! The rule table: every rule's code, name, default severity and documentation.
//!
//! A rule's documentation is the doc comment on its declaration (see `declare_rule!`), so
//! `decksmith rule CODE`, `docs/rules.md` and the source never disagree.

use super::diagnostic::{Finding, Severity};
use super::rules;
use super::{Ctx, IndexCtx};

/// A lint rule.
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    /// `None`: off unless selected by its exact code or name, or given a severity.
    pub default_severity: Option<Severity>,
    /// One line for listings.
    pub summary: &'static str,
    /// Markdown documentation (the rule's doc comment).
    pub doc: &'static str,
    pub check: Check,
    /// Whether the rule offers fixes, and how far they can be trusted.
    pub fix: FixAvailability,
}

/// What a rule looks at, which decides when it runs.
///
/// A note is read once. The rules that look at it alone run while it is in hand; the rules
/// that compare it with the rest of the vault wait for the index, which is complete only
/// when every note has been read, and see the note's [`super::residue::Residue`] by then.
#[derive(Clone, Copy)]
pub enum Check {
    /// The note alone: its text, front matter, sections and cards.
    Note(fn(&Ctx<'_>, &mut Vec<Finding>)),
    /// The note against the vault's index (links, references, duplicate ids). Such a rule
    /// offers no fixes: a fix is proven on the note's text, which its residue does not hold.
    Index(fn(&IndexCtx<'_>, &mut Vec<Finding>)),
}

/// What fixes a rule offers (stated in `decksmith rule CODE` and `docs/rules.md`). A rule
/// may offer its fix for some findings only; its "Fix safety" section says which.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixAvailability {
    None,
    /// Always safe.
    Safe,
    /// Always unsafe.
    Unsafe,
    /// Safe in some cases, unsafe in others (the rule's docs say which).
    Mixed,
}

impl FixAvailability {
    /// `other` when this is `None` (for `declare_rule!`'s optional `fix`).
    pub const fn or(self, other: FixAvailability) -> FixAvailability {
        match self {
            FixAvailability::None => other,
            _ => self,
        }
    }

    /// A word for tables: `safe`, `unsafe`, `mixed`, `some`, or empty.
    pub fn short(self) -> &'static str {
        match self {
            FixAvailability::None => "",
            FixAvailability::Safe => "safe",
            FixAvailability::Unsafe => "unsafe",
            FixAvailability::Mixed => "safe/unsafe",
        }
    }

    /// One line for the rule's documentation.
    pub fn describe(self) -> &'static str {
        match self {
            FixAvailability::None => "no fix",
            FixAvailability::Safe => "safe fix (`--fix`)",
            FixAvailability::Unsafe => "unsafe fix (`--fix --unsafe-fixes`)",
            FixAvailability::Mixed => "safe or unsafe fix, depending on the finding",
        }
    }
}

impl Rule {
    /// The documentation with the one-space indent of `///` comments removed.
    pub fn documentation(&self) -> String {
        let mut out = String::new();
        for line in self.doc.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out
    }
}

/// Declare a rule's metadata with its doc comment as its user documentation; `check = f`
/// for a rule on a note alone, `index_check = f` for one against the index ([`Check`]).
macro_rules! declare_rule {
    (@check check $check:path) => { $crate::lint::registry::Check::Note($check) };
    (@check index_check $check:path) => { $crate::lint::registry::Check::Index($check) };
    (
        $(#[doc = $doc:literal])*
        code = $code:literal,
        name = $name:literal,
        severity = $sev:expr,
        summary = $summary:literal,
        $when:ident = $check:path
        $(, fix = $fix:ident)? $(,)?
    ) => {
        pub(crate) static RULE: $crate::lint::registry::Rule = $crate::lint::registry::Rule {
            code: $code,
            name: $name,
            default_severity: $sev,
            summary: $summary,
            doc: concat!($($doc, "\n"),*),
            check: $crate::lint::registry::declare_rule!(@check $when $check),
            fix: $crate::lint::registry::FixAvailability::None
                $(.or($crate::lint::registry::FixAvailability::$fix))?,
        };
    };
}
pub(crate) use declare_rule;

/// Every rule, in code order.
pub fn all() -> &'static [&'static Rule] {
    rules::ALL
}

/// The rule of `code`, exactly as declared (the table is in code order).
pub fn find_code(code: &str) -> Option<&'static Rule> {
    let all = all();
    all.binary_search_by(|r| r.code.cmp(code))
        .ok()
        .map(|i| all[i])
}

/// Look a rule up by code or name (case-insensitive code).
pub fn find(key: &str) -> Option<&'static Rule> {
    all()
        .iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(key) || r.name == key)
}

/// Whether `selector` (a code, a name, a code prefix such as `FM`, or `ALL`) covers `rule`.
pub fn selects(selector: &str, rule: &Rule) -> bool {
    selector.eq_ignore_ascii_case("ALL")
        || rule.name == selector
        || rule
            .code
            .to_ascii_uppercase()
            .starts_with(&selector.to_ascii_uppercase())
}

/// Whether `selector` names `rule` exactly (needed to turn on a rule that is off by default).
pub fn names_exactly(selector: &str, rule: &Rule) -> bool {
    rule.code.eq_ignore_ascii_case(selector) || rule.name == selector
}

/// Whether `selector` matches any rule at all (to reject typos with exit 2).
pub fn is_known_selector(selector: &str) -> bool {
    all().iter().any(|r| selects(selector, r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_documented() {
        let mut codes = std::collections::HashSet::new();
        let mut names = std::collections::HashSet::new();
        for rule in all() {
            assert!(codes.insert(rule.code), "duplicate code {}", rule.code);
            assert!(names.insert(rule.name), "duplicate name {}", rule.name);
            let doc = rule.documentation();
            assert!(doc.contains("## What it does"), "{} lacks docs", rule.code);
            assert!(doc.contains("## Why"), "{} lacks a why section", rule.code);
            assert!(
                matches!(rule.check, Check::Note(_)) || rule.fix == FixAvailability::None,
                "{}: a fix is proven on the note's text, which a rule against the index no longer has",
                rule.code
            );
            assert_eq!(
                doc.contains("## Fix safety"),
                rule.fix != FixAvailability::None,
                "{}: a rule with fixes says how safe they are, and only such a rule",
                rule.code
            );
        }
        let sorted: Vec<_> = all().iter().map(|r| r.code).collect();
        let mut expected = sorted.clone();
        expected.sort();
        assert_eq!(sorted, expected, "rules must be listed in code order");
    }

    #[test]
    fn selectors() {
        let fm = find("FM001").expect("FM001");
        assert!(selects("FM", fm));
        assert!(selects("ALL", fm));
        assert!(selects("missing-front-matter", fm));
        assert!(!selects("SEC", fm));
        assert!(is_known_selector("sch"));
        assert!(!is_known_selector("XYZ"));
    }
}
