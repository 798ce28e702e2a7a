use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::yaml::NodeKind;

declare_rule! {
    /// ## What it does
    /// Reports front matter that parses as YAML but is not a mapping of keys to values
    /// (a bare list or a single string).
    ///
    /// ## Why is this bad?
    /// Properties are key/value pairs; anything else is ignored by Obsidian and cannot
    /// carry an id or cards.
    ///
    /// ## How to fix
    /// Write the metadata as `key: value` lines.
    code = "FM010",
    name = "front-matter-not-mapping",
    severity = Some(Severity::Error),
    summary = "front matter is not a mapping of keys to values",
    check = check,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(root) = ctx.note.front_matter().and_then(|p| p.root.as_ref()) else {
        return;
    };
    let what = match &root.kind {
        NodeKind::Map(_) => return,
        NodeKind::Seq(_) => "a list",
        NodeKind::Scalar { .. } => "a single value",
        NodeKind::Alias => "an alias",
    };
    out.push(
        Finding::new(
            root.span.clone(),
            format!("front matter is {what}, not `key: value` pairs"),
        )
        .help("write the metadata as `key: value` lines"),
    );
}
