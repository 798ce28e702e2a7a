use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;

declare_rule! {
    /// ## What it does
    /// Checks a note's file name against its kind's `filename-pattern` (a regex in
    /// `decksmith.toml`), e.g. `q-<slug>--<topic>--<difficulty>.md` for `qa-note`.
    ///
    /// ## Why is this bad?
    /// Obsidian links by file name. A vault whose names follow one pattern can be navigated,
    /// queried and linked predictably; off-pattern names (uppercase, spaces, a missing
    /// `--topic--` part) break that.
    ///
    /// ## How to fix
    /// Rename the file (and update the links to it), or change the kind's pattern.
    code = "NAM001",
    name = "filename-pattern",
    severity = Some(Severity::Warning),
    summary = "file name does not match the kind's naming pattern",
    check = check,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(kind) = ctx.kind else {
        return;
    };
    let Some(pattern) = &kind.filename_pattern else {
        return;
    };
    let name = ctx.note.file_name();
    if !pattern.is_match(name) {
        out.push(
            Finding::new(
                0..0,
                format!(
                    "file name `{name}` does not match the `{}` naming pattern",
                    kind.kind.name
                ),
            )
            .help(format!("expected a name matching `{}`", pattern.as_str())),
        );
    }
}
