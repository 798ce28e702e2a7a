use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;

declare_rule! {
    /// ## What it does
    /// Checks the number of entries under `[links] related-key` (default `related`)
    /// against `related-min` and `related-max` (default 2 to 5).
    ///
    /// An empty list (`related: []`) is taken as "not curated yet" and left alone.
    /// Info by default: a vault convention, not an error.
    ///
    /// ## Why is this bad?
    /// One related note gives little context; dozens (one real note lists 99) make the
    /// list meaningless.
    ///
    /// ## How to fix
    /// Keep the most relevant entries, or add some.
    code = "REF003",
    name = "related-count",
    severity = Some(Severity::Info),
    summary = "`related` has fewer or more entries than configured",
    check = check,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if ctx.kind.is_none() {
        return;
    }
    let links = &ctx.config().links;
    let Some(parsed) = ctx.note.front_matter() else {
        return;
    };
    let Some(list) = parsed
        .json
        .get(&links.related_key)
        .and_then(|v| v.as_array())
    else {
        return;
    };
    let n = list.len();
    if n > 0 && (n < links.related_min || n > links.related_max) {
        let range = parsed
            .spans
            .key(&format!("/{}", links.related_key))
            .unwrap_or(ctx.note.head_range());
        out.push(
            Finding::new(
                range,
                format!(
                    "`{}` has {n} {}; {} to {} are expected",
                    links.related_key,
                    if n == 1 { "entry" } else { "entries" },
                    links.related_min,
                    links.related_max
                ),
            )
            .help("keep the most relevant related notes"),
        );
    }
}
