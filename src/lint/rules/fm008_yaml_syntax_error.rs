use crate::lint::Ctx;
use crate::lint::diagnostic::{Edit, Finding, Fix, Severity};
use crate::lint::registry::declare_rule;
use crate::vault::yaml::SyntaxErrorKind;

declare_rule! {
    /// ## What it does
    /// Reports front matter that is not valid YAML, at the position the parser stopped.
    /// Lists and mappings nested more than 64 levels deep are refused the same way, at the
    /// collection that crosses the limit: no real note comes close, and reading deeper
    /// would risk the tool itself.
    ///
    /// ## Why is this bad?
    /// Nothing in the block can be read: not the id, not the cards. Obsidian shows the
    /// properties as broken and sync skips the note.
    ///
    /// ## How to fix
    /// Fix the syntax at the reported position. Common causes: a `:` followed by a space
    /// inside an unquoted value (quote the value), tabs used for indentation, an unclosed
    /// `[` or quote. For nesting, flatten the structure.
    ///
    /// ## Fix safety
    /// Offered only for one cause: a broken fence line (`---\`) inside the block, left
    /// from a closing fence after which more metadata was written. Safe: the line is
    /// deleted, so the metadata on both sides of it is one front matter again. Other
    /// syntax errors need a person.
    code = "FM008",
    name = "yaml-syntax-error",
    severity = Some(Severity::Error),
    summary = "front matter is not valid YAML",
    check = check,
    fix = Safe,
}

fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if let Some(Err(e)) = &ctx.note.yaml {
        let text = &ctx.note.text;
        let start = e.offset.min(text.len());
        let end = text[start..]
            .chars()
            .next()
            .map_or(start, |c| start + c.len_utf8());
        let finding = match e.kind {
            SyntaxErrorKind::Syntax => {
                Finding::new(start..end, format!("YAML syntax error: {}", e.message))
                    .help("quote values that contain `: ` or start with special characters")
            }
            SyntaxErrorKind::TooDeep => {
                Finding::new(start..end, format!("front matter {}", e.message))
                    .help("flatten the structure; the rest of the front matter is not checked")
            }
        };
        let stray = crate::vault::frontmatter::broken_fences_inside(text, &ctx.note.split);
        let fix = (!stray.is_empty()).then(|| {
            Fix::safe(
                "delete the broken fence inside the front matter",
                stray.into_iter().map(Edit::delete).collect(),
            )
        });
        out.push(finding.fix_if(fix));
    }
}
