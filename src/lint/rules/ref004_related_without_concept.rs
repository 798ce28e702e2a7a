use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::links;

declare_rule! {
    /// ## What it does
    /// Checks that the `related` list (`[links] related-key`) names at least one concept
    /// note: an entry whose name matches `[links] concept-pattern` (default `^c-`).
    ///
    /// Info by default: a vault convention, not an error.
    ///
    /// ## Why is this bad?
    /// Question notes are reviewed best with the concept they rest on one click away.
    ///
    /// ## How to fix
    /// Add the concept note the question is about.
    code = "REF004",
    name = "related-without-concept",
    severity = Some(Severity::Info),
    summary = "`related` lists no concept note",
    check = check,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if ctx.kind.is_none() {
        return;
    }
    let cfg = &ctx.config().links;
    let pattern = &ctx.settings.concept_pattern;
    let Some(parsed) = ctx.note.front_matter() else {
        return;
    };
    if parsed.json.get(&cfg.related_key).is_none() {
        return;
    }
    let refs = links::references(ctx.note, std::slice::from_ref(&cfg.related_key));
    if refs.is_empty() {
        return;
    }
    if !refs.iter().any(|r| {
        let name = r.target.rsplit('/').next().unwrap_or(&r.target);
        pattern.is_match(name)
    }) {
        let range = parsed
            .spans
            .key(&format!("/{}", cfg.related_key))
            .unwrap_or(ctx.note.head_range());
        out.push(
            Finding::new(
                range,
                format!("`{}` lists no concept note", cfg.related_key),
            )
            .help("add the concept note the question rests on"),
        );
    }
}
