use super::resolved;
use crate::lint::IndexCtx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::index::Target;

declare_rule! {
    /// ## What it does
    /// Reports an embed (`![[diagram.png]]`, `![[other-note]]`, `![alt](img/x.png)`) whose
    /// file is not in the vault.
    ///
    /// ## Why is this bad?
    /// The note renders a broken image or an empty box, in Obsidian and on the card.
    ///
    /// ## How to fix
    /// Add the file to the vault or correct its name or path.
    code = "LNK004",
    name = "missing-embed",
    severity = Some(Severity::Error),
    summary = "embedded file is not in the vault",
    index_check = check,
}

fn check(ctx: &IndexCtx<'_>, out: &mut Vec<Finding>) {
    for r in ctx.links() {
        if r.link.embed && r.target == Target::Missing {
            out.push(
                Finding::new(
                    r.link.range.clone(),
                    format!("embedded `{}` is not in the vault", resolved::shown(r.link)),
                )
                .help("add the file to the vault, or correct its name or path"),
            );
        }
    }
}
