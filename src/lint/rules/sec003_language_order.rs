use crate::lint::Ctx;
use crate::lint::diagnostic::Finding;
use crate::lint::registry::declare_rule;

declare_rule! {
    /// ## What it does
    /// Checks the order of language blocks against the kind's `language-order` (default
    /// for `qa-note`: `["ru", "en"]`): the first per-language section of each language must
    /// appear in that order.
    ///
    /// **Off by default**: vaults contradict themselves on this (templates say EN first,
    /// validators RU first), and the order does not change the cards decksmith generates.
    /// Enable it with `--select SEC003` or `SEC003 = "warning"` under `[lint.severity]`.
    ///
    /// ## Why is this bad?
    /// A consistent order makes notes easier to scan; some vault validators require it.
    ///
    /// ## How to fix
    /// Move the blocks, or change `language-order`.
    code = "SEC003",
    name = "language-order",
    severity = None,
    summary = "language blocks are not in the configured order (off by default)",
    check = check,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(kind) = ctx.kind else {
        return;
    };
    let order = &kind.kind.language_order;
    if order.is_empty() {
        return;
    }
    let Some(first_section) = kind.kind.sections.iter().find(|s| s.per_language) else {
        return;
    };
    let mut seen: Vec<(String, std::ops::Range<usize>)> = Vec::new();
    for m in ctx.sections() {
        if !std::ptr::eq(m.section, first_section) {
            continue;
        }
        if let Some(lang) = m.lang.clone()
            && !seen.iter().any(|(l, _)| *l == lang)
        {
            seen.push((lang, m.heading.range.clone()));
        }
    }
    let rank = |l: &str| order.iter().position(|o| o == l).unwrap_or(usize::MAX);
    for pair in seen.windows(2) {
        if rank(&pair[1].0) < rank(&pair[0].0) {
            out.push(
                Finding::new(
                    pair[1].1.clone(),
                    format!(
                        "{} block comes after the {} block; expected order: {}",
                        pair[1].0.to_uppercase(),
                        pair[0].0.to_uppercase(),
                        order.join(", ").to_uppercase()
                    ),
                )
                .help("move the block, or change `language-order` in decksmith.toml"),
            );
            break;
        }
    }
}
