use crate::lint::Ctx;
use crate::lint::diagnostic::{Finding, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::sections;

declare_rule! {
    /// ## What it does
    /// Checks that a note has the sections its kind requires (`[[kinds.sections]]` in
    /// `decksmith.toml`). Per-language sections (the question and answer of a `qa-note`)
    /// are required once for every language in the note's `language_tags` (or the kind's
    /// `default-languages` when that field cannot be read); shared sections (Follow-ups,
    /// References, Related Questions) are required once, in any of their languages, with or
    /// without a `(EN)`/`(RU)` suffix. Transliterated spellings count as present (SEC002
    /// reports them).
    ///
    /// ## Why is this bad?
    /// Cards are cut from these sections: a missing question or answer heading means a
    /// missing card for that language.
    ///
    /// ## How to fix
    /// Add the heading named in the message, or adjust the kind's sections.
    code = "SEC001",
    name = "missing-section",
    severity = Some(Severity::Warning),
    summary = "a required section heading is missing",
    check = check,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(kind) = ctx.kind else {
        return;
    };
    if ctx.note.unreadable.is_some() {
        return;
    }
    let found = ctx.sections();
    let langs = sections::languages(ctx.note, ctx.kind.map(|k| &k.kind));
    for section in kind.kind.sections.iter().filter(|s| s.required) {
        if section.per_language {
            for lang in &langs {
                if !section.names.contains_key(lang) {
                    continue;
                }
                let present = found.iter().any(|m| {
                    std::ptr::eq(m.section, section) && m.lang.as_deref() == Some(lang.as_str())
                });
                if !present {
                    let want = sections::canonical(section, Some(lang));
                    out.push(
                        Finding::new(
                            ctx.note.head_range(),
                            format!(
                                "missing `{want}` ({} {})",
                                lang.to_uppercase(),
                                section.role
                            ),
                        )
                        .help(format!("add a `{want}` heading")),
                    );
                }
            }
        } else if !found.iter().any(|m| std::ptr::eq(m.section, section)) {
            let want = sections::canonical(section, None);
            out.push(
                Finding::new(ctx.note.head_range(), format!("missing `{want}` section"))
                    .help(format!("add a `{want}` heading")),
            );
        }
    }
}
