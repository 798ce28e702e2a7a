use super::resolved;
use crate::lint::IndexCtx;
use crate::lint::diagnostic::{Finding, MAX_PER_RULE, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::index::Target;

declare_rule! {
    /// ## What it does
    /// Reports a wikilink (`[[target]]`, `[[target|label]]`, `[[target#Heading]]`) or a
    /// Markdown link (`[text](../dir/note.md)`) whose target is no note or file of the vault.
    /// Resolution follows Obsidian: by file name anywhere in the vault, case-insensitively,
    /// `.md` optional, `folder/note` paths honoured; Markdown links are resolved against
    /// the linking file's folder. Links inside code and `%% %%` comments are not links;
    /// external URLs are never checked. When a close name exists, or the target is another
    /// note's alias (Obsidian does not resolve aliases), the help says so.
    ///
    /// ## Why is this bad?
    /// A dangling link is a dead end in Obsidian (it silently creates an empty note when
    /// clicked) and a missing prerequisite in a card's context.
    ///
    /// ## How to fix
    /// Correct the target (see the suggestion), create the note, or unlink the text.
    code = "LNK001",
    name = "unresolved-link",
    severity = Some(Severity::Error),
    summary = "link target is no note or file of the vault",
    index_check = check,
}

fn check(ctx: &IndexCtx<'_>, out: &mut Vec<Finding>) {
    for r in ctx.links() {
        if r.link.embed || r.target != Target::Missing {
            continue;
        }
        let mut f = Finding::new(
            r.link.range.clone(),
            format!("`{}` does not resolve to any note", resolved::shown(r.link)),
        );
        // A suggestion searches the vault; only the findings that are listed get one
        // (see `MAX_PER_RULE`), so a note of 20,000 dangling links stays quick.
        if out.len() < MAX_PER_RULE
            && let Some(hint) = ctx.index.hint(&r.link.target)
        {
            f = f.help(hint);
        }
        out.push(f);
    }
}
