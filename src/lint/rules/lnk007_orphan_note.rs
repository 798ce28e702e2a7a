use crate::lint::IndexCtx;
use crate::lint::diagnostic::Finding;
use crate::lint::registry::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports a note of a declared kind that no other note links to, by a body link or a
    /// front-matter reference.
    ///
    /// **Off by default**: maps of content often list notes through Dataview queries, which
    /// are not links, so "orphans" are over-counted. Enable it with `--select LNK007`.
    /// It reads every note's body, so it makes subset runs slower.
    ///
    /// ## Why is this bad?
    /// A note nothing links to is only found by search; it is easy to forget and to
    /// duplicate.
    ///
    /// ## How to fix
    /// Link it from a related note or its map of content.
    code = "LNK007",
    name = "orphan-note",
    severity = None,
    summary = "no other note links to this note (off by default)",
    index_check = check,
}

fn check(ctx: &IndexCtx<'_>, out: &mut Vec<Finding>) {
    if ctx.kind.is_none() {
        return;
    }
    if ctx.index.inbound(&ctx.note.path) == Some(0) {
        out.push(
            Finding::new(
                ctx.note.head_range.clone(),
                "no other note links to this note",
            )
            .help("link it from a related note or its map of content"),
        );
    }
}
