use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;
use crate::lint::suppress::{self, Directive};

declare_rule! {
    /// ## What it does
    /// Reports an inline suppression (`<!-- decksmith-disable… -->`,
    /// `%% decksmith-disable… %%`, or a `decksmith-disable` front-matter key) that
    /// suppressed nothing, or that names a code no rule has.
    ///
    /// ## Why is this bad?
    /// Stale suppressions hide the next real finding on that line and mislead readers.
    ///
    /// ## How to fix
    /// Delete the suppression, or correct its code.
    code = "SUP001",
    name = "unused-suppression",
    severity = Some(Severity::Warning),
    summary = "inline suppression that suppresses nothing",
    check = check,
}

/// Suppressions are applied after all rules ran, so the engine calls [`findings`] itself.
fn check(_: &Ctx<'_>, _: &mut Vec<Finding>) {}

pub(crate) fn findings(directives: &[Directive]) -> Vec<Finding> {
    let mut out = Vec::new();
    for d in suppress::unused(directives) {
        let unknown = d.unknown_codes();
        let message = if unknown.is_empty() {
            format!("suppression of {} suppresses nothing", d.describe())
        } else {
            format!("suppression names unknown rule(s) {}", unknown.join(", "))
        };
        out.push(Finding::new(d.range.clone(), message).help("delete the suppression"));
    }
    out
}
