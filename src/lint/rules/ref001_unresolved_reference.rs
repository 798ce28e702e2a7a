use crate::lint::IndexCtx;
use crate::lint::diagnostic::{Finding, MAX_PER_RULE, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::index::Target;

declare_rule! {
    /// ## What it does
    /// Reports a front-matter reference that resolves to no note: an entry of `related`,
    /// the `moc`, or any key listed in `[links] reference-keys`. Bare names (`c-hilt`) and
    /// Obsidian's property form (`"[[c-hilt]]"`, `"[[c-hilt|Hilt]]"`) are both accepted
    /// and resolved like wikilinks.
    ///
    /// ## Why is this bad?
    /// Related-note lists and MOC membership drive navigation and card context; a dangling
    /// entry points at a note that was renamed, deleted or never written.
    ///
    /// ## How to fix
    /// Correct the name (see the suggestion: a close name, or the note whose alias was
    /// written) or remove the entry.
    code = "REF001",
    name = "unresolved-reference",
    severity = Some(Severity::Error),
    summary = "front-matter reference (`related`, `moc`) resolves to no note",
    index_check = check,
}

fn check(ctx: &IndexCtx<'_>, out: &mut Vec<Finding>) {
    for r in &ctx.note.references {
        if ctx.index.resolve_name(&r.target) != Target::Missing {
            continue;
        }
        let mut f = Finding::new(
            r.range.clone(),
            format!(
                "`{}` entry `{}` does not resolve to any note",
                r.key, r.target
            ),
        );
        // As in LNK001: only the findings that are listed get a suggestion.
        if out.len() < MAX_PER_RULE
            && let Some(hint) = ctx.index.hint(&r.target)
        {
            f = f.help(hint);
        }
        out.push(f);
    }
}
