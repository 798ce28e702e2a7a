//! A real-shaped vault for benchmarks: the real notes of `../shared/corpus/interview-vault-
//! sample` (with their real defects, links and sizes), grown to N notes by copies that do
//! not collide. Each copy renames every note file, id and `anki_id`, and rewrites every
//! link, reference and slug to match, so the link graph and the defects of each copy are
//! the real ones and nothing is duplicated across copies.
//!
//! Renaming is by token: a maximal run of `[A-Za-z0-9_-]` that is a note's file stem is
//! replaced by that stem's copy, one that is an id (or starts with an id and `-`, a slug)
//! by the id's copy. Ids `<subject>-<number>` keep their shape (the number grows by
//! 100,000 per copy), so the schemas see what they see in the real vault.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One note of the sample.
struct Source {
    /// Path below the sample, `/`-separated.
    rel: String,
    stem: String,
    text: String,
}

/// The sample's notes, or `None` when the reference material is absent.
fn sources(sample: &Path) -> Option<Vec<Source>> {
    let mut out = Vec::new();
    let mut stack = vec![sample.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).ok()?.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "md")
                && p.file_name().is_some_and(|n| n != "MANIFEST.md")
            {
                let rel = p
                    .strip_prefix(sample)
                    .ok()?
                    .to_string_lossy()
                    .replace('\\', "/");
                let stem = p.file_stem()?.to_string_lossy().into_owned();
                let text = std::fs::read_to_string(&p).ok()?;
                out.push(Source { rel, stem, text });
            }
        }
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Some(out)
}

/// A stem's name in copy `k` (copy 0 keeps the real names): the copy mark goes before the
/// `--topic--difficulty` part, so file-name patterns still match.
fn stem_of(stem: &str, k: usize) -> String {
    if k == 0 {
        return stem.to_string();
    }
    match stem.split_once("--") {
        Some((head, rest)) => format!("{head}-k{k}--{rest}"),
        None => format!("{stem}-k{k}"),
    }
}

/// An id's name in copy `k`: `<subject>-<number>` grows its number; other ids get a mark.
fn id_of(id: &str, k: usize) -> String {
    if k == 0 {
        return id.to_string();
    }
    match id.rsplit_once('-') {
        Some((subject, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            let n: u64 = n.parse().unwrap_or(0);
            format!("{subject}-{}", n + 100_000 * k as u64)
        }
        _ => format!("{id}k{k}"),
    }
}

/// The front-matter `id` of a note's text, when it has a plain one.
fn id_in(text: &str) -> Option<String> {
    text.lines()
        .take(80)
        .find_map(|l| l.strip_prefix("id:"))
        .map(|v| v.trim().trim_matches(['"', '\'']).to_string())
        .filter(|v| !v.is_empty())
}

/// `text` with every token renamed for copy `k`, and `anki_id` values moved out of the
/// other copies' way.
fn rewrite(
    text: &str,
    k: usize,
    stems: &HashMap<&str, String>,
    ids: &HashMap<String, String>,
) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| {
        if let Some(new) = stems.get(token.as_str()) {
            out.push_str(new);
        } else if let Some(new) = ids.get(token.as_str()) {
            out.push_str(new);
        } else if let Some(at) = token
            .rmatch_indices('-')
            .map(|(i, _)| i)
            .find(|i| ids.contains_key(&token[..*i]))
        {
            // A slug: an id, then `-<index>-<lang>`.
            out.push_str(&ids[&token[..at]]);
            out.push_str(&token[at..]);
        } else {
            out.push_str(token);
        }
        token.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            token.push(c);
        } else {
            flush(&mut token, &mut out);
            out.push(c);
        }
    }
    flush(&mut token, &mut out);
    if k == 0 {
        return out;
    }
    out.lines()
        .map(|l| match l.split_once("anki_id: ") {
            Some((head, n))
                if n.trim().bytes().all(|b| b.is_ascii_digit()) && !n.trim().is_empty() =>
            {
                let n: u64 = n.trim().parse().unwrap_or(0);
                format!("{head}anki_id: {}", n + 1_000_000_000 * k as u64)
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + if out.ends_with('\n') { "\n" } else { "" }
}

/// Write at least `n` notes grown from the sample at `sample` under `dir`; the number of
/// notes written, or `None` when the sample is absent.
pub(crate) fn generate(sample: &Path, dir: &Path, n: usize) -> Option<usize> {
    let notes = sources(sample)?;
    if notes.is_empty() {
        return None;
    }
    // Marked as an Obsidian vault, so files named alone find the same root.
    std::fs::create_dir_all(dir.join(".obsidian")).ok()?;
    let copies = n.div_ceil(notes.len());
    let mut written = 0;
    for k in 0..copies {
        let stems: HashMap<&str, String> = notes
            .iter()
            .map(|s| (s.stem.as_str(), stem_of(&s.stem, k)))
            .collect();
        let ids: HashMap<String, String> = notes
            .iter()
            .filter_map(|s| id_in(&s.text))
            .map(|id| {
                let new = id_of(&id, k);
                (id, new)
            })
            .collect();
        for s in &notes {
            let folder = Path::new(&s.rel)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            let target: PathBuf = dir.join(folder).join(format!("{}.md", stem_of(&s.stem, k)));
            std::fs::create_dir_all(target.parent()?).ok()?;
            std::fs::write(&target, rewrite(&s.text, k, &stems, &ids)).ok()?;
            written += 1;
        }
    }
    Some(written)
}
