/*!
Writing `anki_id` and `synced_at` back into a note, and the one way any note is written:
`check --fix` writes its proven repairs through [`write_atomic`] too (step 6).

Every defect in the sampled real vault entered through a writer that rebuilt front matter
from what it understood of it. This one refuses instead of guessing, edits only the
`anki_cards` entries it was asked to touch, and proves the edit before it writes:

1. **Split** with the shared splitter; refuse unless the note has exactly one block between
   two `---` lines and nothing leaked after it.
2. **Parse strictly**; refuse on YAML errors, duplicate keys, `'---id'` keys, a non-mapping
   root, anchors or aliases (editing an anchored node would change its copies too).
3. **Plan**: for each pushed card, set `anki_id` and `synced_at` in its entry (found by
   slug), or append a new entry (`slug`, `language`, `anki_id`, `synced_at`) in slug
   order. Nothing to change means the file is not touched.
4. **Edit losslessly** with `yaml-edit` on the YAML text only; the BOM, the fences and the
   body are spliced back untouched. `synced_at` is written quoted, in the quote character the
   file already uses for it (an unquoted timestamp is re-typed by YAML 1.1 readers).
5. **Verify**, all of which must hold: the bytes outside the YAML are identical; everything
   outside the `anki_cards` value is byte-identical; the new block parses strictly and its
   data equals the old data with exactly the planned changes; line endings, BOM and the
   final newline are unchanged; planning the same edit on the result changes nothing.
6. **Write atomically** ([`write_atomic`]) through a temporary file renamed over the note,
   and only over a note that still holds the bytes the edit was computed from. The note is
   refused when it has no write bit (root included: a read-only note is the user's
   decision), when this user cannot open it for writing, and when the new file would get
   another owner (only root can give a file away). The temporary file goes to the vault's
   `.decksmith-cache/tmp`, which git ignores, when that is on the note's file system (else
   to the note's folder under a dot-name); it gets the note's mode, owner and group and is
   flushed. Then the note is read once more: an editor's save that landed while the
   temporary file was written is kept and the note listed as changed. Only that last read
   and the rename are unprotected, a window of tens of microseconds
   (`docs/benchmarks.md`). On every failure the temporary file is removed; a killed run's
   leftovers are removed by the next write in the same folder (`src/fsutil.rs`).
*/

use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde_json::{Map, Value};
use yaml_edit::{Document, MappingBuilder, ScalarValue, SequenceBuilder};

use crate::fsutil;
use crate::vault::frontmatter::{self, Eol};
use crate::vault::yaml::{self, Node, NodeKind, Parsed};

/// What sync pushed for one card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pushed {
    pub slug: String,
    pub language: String,
    pub anki_id: i64,
    pub synced_at: String,
}

/// Why a note was not written. The file is byte-identical in every case.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the note has no well-formed front matter (run `decksmith check`)")]
    NoFrontMatter,
    #[error("the front matter is damaged: {0} (run `decksmith check`)")]
    Damaged(String),
    #[error("the front matter is closed by `...`; decksmith writes only `---` blocks")]
    ClosedByDots,
    #[error("the front matter uses YAML anchors or aliases; editing it could change their copies")]
    Anchors,
    #[error("`anki_cards` is not a list of mappings")]
    NotAList,
    #[error("the file changed since it was read; re-run sync to pick it up")]
    ChangedSinceRead,
    #[error("the note is read-only; make it writable to let sync record its ids")]
    ReadOnly,
    #[error("the note cannot be written: {0}")]
    NotWritable(String),
    #[error(
        "writing would change the file's owner (user {uid}, group {gid}); run sync as its owner"
    )]
    OwnerWouldChange { uid: u32, gid: u32 },
    #[error("cannot edit losslessly: {0}")]
    Unverified(String),
}

/// Apply `pushed` to a note's text. `Ok(None)`: nothing to change. A slug pushed twice
/// counts once, with its last values.
pub fn edit(text: &str, pushed: &[Pushed]) -> Result<Option<String>, Refusal> {
    let (split, parsed) = read(text)?;
    edit_parsed(text, &split, &parsed, pushed)
}

/// [`edit`] a note that was already split and parsed (with [`frontmatter::split`] and
/// [`yaml::parse`] of its text): it is vetted the same way, and not parsed again.
pub fn edit_note(
    note: &crate::vault::note::Note,
    pushed: &[Pushed],
) -> Result<Option<String>, Refusal> {
    let parsed = match &note.yaml {
        None => return Err(Refusal::NoFrontMatter),
        Some(Err(e)) => return Err(Refusal::Damaged(format!("YAML error: {}", e.message))),
        Some(Ok(parsed)) => parsed,
    };
    vet(&note.split, parsed)?;
    edit_parsed(&note.text, &note.split, parsed, pushed)
}

fn edit_parsed(
    text: &str,
    split: &frontmatter::Split,
    parsed: &Parsed,
    pushed: &[Pushed],
) -> Result<Option<String>, Refusal> {
    let mut unique: Vec<Pushed> = Vec::with_capacity(pushed.len());
    for p in pushed.iter().rev() {
        if !unique.iter().any(|u| u.slug == p.slug) {
            unique.push(p.clone());
        }
    }
    unique.reverse();
    let pushed = unique.as_slice();
    let Some(block) = split.block.clone() else {
        return Err(Refusal::NoFrontMatter);
    };
    let root = parsed.root.as_ref().ok_or(Refusal::NotAList)?;
    let cards = root.get("anki_cards");
    let list: &[Node] = match cards.map(|n| &n.kind) {
        None => &[],
        Some(NodeKind::Seq(items)) => items,
        Some(NodeKind::Scalar {
            value: Value::Null, ..
        }) => &[],
        Some(_) => return Err(Refusal::NotAList),
    };
    if list.iter().any(|n| !matches!(n.kind, NodeKind::Map(_))) {
        return Err(Refusal::NotAList);
    }
    let changes = plan(&parsed.json, pushed);
    if changes.is_empty() {
        return Ok(None);
    }
    let quote = quote_char(text, list);
    // yaml-edit's cost grows with its input: an existing list is edited as a document of its
    // own (the `anki_cards` lines alone) and spliced back. The whole front matter is the
    // fallback, and both are held to the same verification.
    let region = cards_region(text, parsed, block.yaml.end)
        .filter(|_| matches!(cards.map(|n| &n.kind), Some(NodeKind::Seq(_))));
    if let Some(region) = region {
        let edited = apply(&text[region.clone()], &changes, true, quote).map(|new_region| {
            format!(
                "{}{}{}",
                &text[..region.start],
                new_region,
                &text[region.end..]
            )
        });
        if let Ok(new_text) = edited
            && verify(text, split, parsed, &new_text, pushed).is_ok()
        {
            return Ok(Some(new_text));
        }
    }
    let yaml_text = &text[block.yaml.clone()];
    let new_yaml = apply(yaml_text, &changes, cards.is_some(), quote)?;
    let new_text = format!(
        "{}{}{}",
        &text[..block.yaml.start],
        new_yaml,
        &text[block.yaml.end..]
    );
    verify(text, split, parsed, &new_text, pushed)?;
    Ok(Some(new_text))
}

/// Split and parse strictly, refusing anything damaged.
fn read(text: &str) -> Result<(frontmatter::Split, Parsed), Refusal> {
    let split = frontmatter::split(text);
    let block = vet_split(&split)?;
    let parsed = yaml::parse(&text[block.yaml.clone()], block.yaml.start)
        .map_err(|e| Refusal::Damaged(format!("YAML error: {}", e.message)))?;
    vet(&split, &parsed)?;
    Ok((split, parsed))
}

/// Refuse a note without exactly one well-formed `---` block (step 1 of the module
/// documentation); the block.
fn vet_split(split: &frontmatter::Split) -> Result<&frontmatter::Block, Refusal> {
    let Some(block) = &split.block else {
        return Err(Refusal::NoFrontMatter);
    };
    if let Some(d) = split.defects.first() {
        return Err(Refusal::Damaged(format!("{d:?}")));
    }
    if block.closed_by_dots {
        return Err(Refusal::ClosedByDots);
    }
    Ok(block)
}

/// Refuse damaged front matter (steps 1 and 2 of the module documentation).
fn vet(split: &frontmatter::Split, parsed: &Parsed) -> Result<(), Refusal> {
    vet_split(split)?;
    if let Some(d) = parsed.duplicates.first() {
        return Err(Refusal::Damaged(format!("duplicate key `{}`", d.key)));
    }
    if parsed.uses_anchors {
        return Err(Refusal::Anchors);
    }
    match &parsed.root {
        None => {}
        Some(root) => {
            let NodeKind::Map(entries) = &root.kind else {
                return Err(Refusal::Damaged("the front matter is not a mapping".into()));
            };
            if entries
                .iter()
                .any(|(k, _)| yaml::key_text(k).starts_with("---"))
            {
                return Err(Refusal::Damaged("a key starts with `---`".into()));
            }
        }
    }
    Ok(())
}

/// One planned change.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Change {
    /// Set `anki_id` and `synced_at` (and a missing `language`) of entry `index`.
    Update {
        index: usize,
        pushed: Pushed,
        add_language: bool,
    },
    /// Append a new entry.
    Append(Pushed),
}

/// What to change in `json` (the parsed front matter) for `pushed`.
fn plan(json: &Value, pushed: &[Pushed]) -> Vec<Change> {
    let entries = crate::vault::note::card_entries(json);
    let mut changes = Vec::new();
    let mut appends: Vec<Pushed> = Vec::new();
    for p in pushed {
        let found = entries.iter().find(|e| e.slug == Some(p.slug.as_str()));
        match found {
            Some(e) => {
                let same =
                    e.anki_id == Some(p.anki_id) && e.synced_at == Some(p.synced_at.as_str());
                // Present in any form (even `null`) counts: only a missing key is added.
                let add_language = e.value.get("language").is_none();
                if !same || add_language {
                    changes.push(Change::Update {
                        index: e.position,
                        pushed: p.clone(),
                        add_language,
                    });
                }
            }
            None => appends.push(p.clone()),
        }
    }
    appends.sort_by(|a, b| a.slug.cmp(&b.slug));
    appends.dedup_by(|a, b| a.slug == b.slug);
    changes.extend(appends.into_iter().map(Change::Append));
    changes
}

/// The quote character of existing `synced_at` values (`'` when there are none).
fn quote_char(text: &str, list: &[Node]) -> char {
    for item in list {
        if let Some(v) = item.get("synced_at")
            && let NodeKind::Scalar { quoted: true, .. } = v.kind
            && let Some(c) = text[v.span.clone()].chars().next()
            && (c == '"' || c == '\'')
        {
            return c;
        }
    }
    '\''
}

fn quoted(value: &str, quote: char) -> ScalarValue {
    if quote == '"' {
        ScalarValue::double_quoted(value)
    } else {
        ScalarValue::single_quoted(value)
    }
}

fn entry(p: &Pushed, quote: char) -> MappingBuilder {
    MappingBuilder::new()
        .pair("slug", p.slug.as_str())
        .pair("language", p.language.as_str())
        .pair("anki_id", p.anki_id)
        .pair("synced_at", quoted(&p.synced_at, quote))
}

/// Apply the changes to the YAML text with yaml-edit.
fn apply(
    yaml_text: &str,
    changes: &[Change],
    has_key: bool,
    quote: char,
) -> Result<String, Refusal> {
    let unverified = |what: &str| Refusal::Unverified(what.to_string());
    // An empty block has no mapping to edit: build one from a placeholder key.
    let source = if yaml_text.trim().is_empty() {
        ""
    } else {
        yaml_text
    };
    let doc = Document::from_str(source).map_err(|e| Refusal::Unverified(e.to_string()))?;
    let mapping = doc
        .as_mapping()
        .ok_or_else(|| unverified("no mapping at the root"))?;
    let appends: Vec<&Pushed> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Append(p) => Some(p),
            Change::Update { .. } => None,
        })
        .collect();
    let existing = mapping.get("anki_cards");
    let sequence = existing.as_ref().and_then(|n| n.as_sequence());
    if has_key && sequence.is_some() {
        let seq = sequence.ok_or_else(|| unverified("anki_cards"))?;
        let items: Vec<_> = seq.values().collect();
        for c in changes {
            if let Change::Update {
                index,
                pushed,
                add_language,
            } = c
            {
                let item = items
                    .get(*index)
                    .and_then(|i| i.as_mapping())
                    .ok_or_else(|| unverified("entry not found"))?;
                if *add_language {
                    item.set("language", pushed.language.as_str());
                }
                item.set("anki_id", pushed.anki_id);
                item.set("synced_at", quoted(&pushed.synced_at, quote));
            }
        }
        for p in appends {
            let built = entry(p, quote).build_document();
            let m = built.as_mapping().ok_or_else(|| unverified("entry"))?;
            seq.push(m);
        }
    } else {
        // No list yet (or `anki_cards:` with no value): write a block list at the end.
        if changes.iter().any(|c| matches!(c, Change::Update { .. })) {
            return Err(unverified("entries to update but no list"));
        }
        if has_key {
            mapping.remove("anki_cards");
        }
        let mut builder = SequenceBuilder::new();
        let built: Vec<_> = appends
            .iter()
            .map(|p| entry(p, quote).build_document())
            .collect();
        for b in &built {
            builder = builder.item(b.as_mapping().ok_or_else(|| unverified("entry"))?);
        }
        let list = builder.build_document();
        mapping.set(
            "anki_cards",
            list.as_sequence().ok_or_else(|| unverified("list"))?,
        );
    }
    let mut out = doc.to_string();
    // yaml-edit writes the file's own line endings when it has some; an empty or one-line
    // block gives it none to copy, so the file's style is applied here.
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// The byte range of `anki_cards` (key through the end of its value's last line, within the
/// YAML that ends at `yaml_end`), if any.
fn cards_region(text: &str, parsed: &Parsed, yaml_end: usize) -> Option<Range<usize>> {
    let root = parsed.root.as_ref()?;
    let (key, value) = root
        .entries()
        .iter()
        .find(|(k, _)| k.as_str() == Some("anki_cards"))?;
    let start = text[..key.span.start].rfind('\n').map_or(0, |i| i + 1);
    let end_of_value = value.span.end.max(key.span.end);
    let end = text[end_of_value..]
        .find('\n')
        .map_or(text.len(), |i| end_of_value + i + 1)
        .min(yaml_end.max(end_of_value));
    Some(start..end)
}

/// The expected front-matter data after the edit.
fn expected(old: &Value, pushed: &[Pushed]) -> Value {
    let mut json = match old {
        Value::Object(_) => old.clone(),
        _ => Value::Object(Map::new()),
    };
    let Value::Object(map) = &mut json else {
        return json;
    };
    let list = map
        .entry("anki_cards")
        .or_insert_with(|| Value::Array(Vec::new()));
    if list.is_null() {
        *list = Value::Array(Vec::new());
    }
    let Value::Array(items) = list else {
        return json;
    };
    let mut appends: Vec<&Pushed> = Vec::new();
    for p in pushed {
        match items
            .iter_mut()
            .find(|e| e.get("slug").and_then(Value::as_str) == Some(p.slug.as_str()))
        {
            Some(Value::Object(e)) => {
                if !e.contains_key("language") {
                    e.insert("language".into(), Value::from(p.language.clone()));
                }
                e.insert("anki_id".into(), Value::from(p.anki_id));
                e.insert("synced_at".into(), Value::from(p.synced_at.clone()));
            }
            _ => appends.push(p),
        }
    }
    appends.sort_by(|a, b| a.slug.cmp(&b.slug));
    appends.dedup_by(|a, b| a.slug == b.slug);
    for p in appends {
        let mut e = Map::new();
        e.insert("slug".into(), Value::from(p.slug.clone()));
        e.insert("language".into(), Value::from(p.language.clone()));
        e.insert("anki_id".into(), Value::from(p.anki_id));
        e.insert("synced_at".into(), Value::from(p.synced_at.clone()));
        items.push(Value::Object(e));
    }
    json
}

fn without(text: &str, range: Option<Range<usize>>) -> String {
    match range {
        Some(r) => format!("{}{}", &text[..r.start], &text[r.end..]),
        None => text.to_string(),
    }
}

/// Prove the edit (step 5 of the module documentation).
fn verify(
    old: &str,
    old_split: &frontmatter::Split,
    old_parsed: &Parsed,
    new: &str,
    pushed: &[Pushed],
) -> Result<(), Refusal> {
    let fail = |what: &str| Err(Refusal::Unverified(what.to_string()));
    let eol = old_split.eol;
    let (new_split, new_parsed) = read(new)
        .map_err(|e| Refusal::Unverified(format!("the result does not read back: {e}")))?;
    let (Some(ob), Some(nb)) = (&old_split.block, &new_split.block) else {
        return fail("the block disappeared");
    };
    if old[..ob.yaml.start] != new[..nb.yaml.start] || old[ob.yaml.end..] != new[nb.yaml.end..] {
        return fail("bytes outside the front matter changed");
    }
    if old_split.bom != new_split.bom || old_split.trailing_newline != new_split.trailing_newline {
        return fail("the BOM or the final newline changed");
    }
    let new_yaml = &new[nb.yaml.clone()];
    match eol {
        Eol::Crlf if new_yaml.replace("\r\n", "").contains('\n') => {
            return fail("line endings changed");
        }
        Eol::Lf if new_yaml.contains('\r') && !old[ob.yaml.clone()].contains('\r') => {
            return fail("line endings changed");
        }
        _ => {}
    }
    if new_parsed.json != expected(&old_parsed.json, pushed) {
        return fail("the data differs from the planned change");
    }
    let old_rest = without(old, cards_region(old, old_parsed, ob.yaml.end));
    let new_rest = without(new, cards_region(new, &new_parsed, nb.yaml.end));
    if old_rest != new_rest {
        return fail("text outside `anki_cards` changed");
    }
    // The result already parsed strictly above; planning the same edit on it must find
    // nothing left to do.
    if !plan(&new_parsed.json, pushed).is_empty() {
        return fail("applying the edit again would change the file");
    }
    Ok(())
}

/// Write `new` over `path` if the file still holds `original` (step 6 of the module
/// documentation), and make the rename durable. `root` is the vault's root, whose
/// `.decksmith-cache/tmp` holds the temporary file.
pub fn write_atomic(
    root: &Path,
    path: &Path,
    original: &[u8],
    new: &str,
) -> Result<(), WriteError> {
    let dir = replace(root, path, original, new)?;
    sync_dir(&dir);
    Ok(())
}

/// [`write_atomic`] without making the rename durable: the folder it returns must be given
/// to [`sync_dir`] (once for many files; one folder flush per file costs as much as the
/// write itself). Until then a crash can only leave the old file in place, never a mix.
pub fn replace(
    root: &Path,
    path: &Path,
    original: &[u8],
    new: &str,
) -> Result<PathBuf, WriteError> {
    replace_with_hook(root, path, original, new, &mut |_| {})
}

/// The points of [`replace_with_hook`] where a test acts as an editor saving the note, or a
/// benchmark takes the time.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The note was opened for writing and still holds the bytes the edit was made from.
    Checked,
    /// The new contents are in a flushed temporary file; the note is read once more next.
    Staged,
    /// The rename is done (or failed): the end of the window in which a save is lost.
    Renamed,
}

/// [`replace`], calling `hook` at each [`Step`].
#[doc(hidden)]
pub fn replace_with_hook(
    root: &Path,
    path: &Path,
    original: &[u8],
    new: &str,
    hook: &mut dyn FnMut(Step),
) -> Result<PathBuf, WriteError> {
    let target = resolve(path)?;
    let meta = check_writable(&target, original)?;
    hook(Step::Checked);
    let dir = parent_of(&target)?;
    // Earlier versions staged notes beside them; what a killed run of theirs left is
    // removed from the folders written to now.
    fsutil::clean_once(&dir, fsutil::Folder::Shared);
    for place in staging_places(root, &dir, &target, &meta) {
        match write_through(&place, &target, &meta, original, new, hook) {
            Ok(()) => return Ok(dir),
            Err(Attempt::Failed(e)) => return Err(e),
            Err(Attempt::NextPlace) => {}
        }
    }
    Err(WriteError::Io(
        target,
        "no folder on the note's file system takes a temporary file".into(),
    ))
}

/// The file `path` names: a symlink's target is written, not the link. Resolving every path
/// would cost a `readlink` per component: only links are resolved.
fn resolve(path: &Path) -> Result<PathBuf, WriteError> {
    let io = |e: std::io::Error| read_error(path, e);
    if std::fs::symlink_metadata(path)
        .map_err(io)?
        .file_type()
        .is_symlink()
    {
        std::fs::canonicalize(path).map_err(io)
    } else {
        Ok(path.to_path_buf())
    }
}

/// Refuse a note this user may not replace, or that no longer holds `original`; its
/// metadata (mode and owner, for the new file).
///
/// Replacing a file by rename needs only the folder's permission, so the file's own is
/// checked here: a note without any write bit is the user's decision to keep it as it is
/// (root included, which the kernel would let through), and opening it for writing asks
/// the kernel whether this user may write it (owner, group, ACLs, read-only mounts).
fn check_writable(target: &Path, original: &[u8]) -> Result<std::fs::Metadata, WriteError> {
    let io = |e: std::io::Error| read_error(target, e);
    let meta = std::fs::metadata(target).map_err(io)?;
    if !meta.is_file() {
        return Err(WriteError::Io(
            target.to_path_buf(),
            "not a regular file".into(),
        ));
    }
    if meta.permissions().readonly() {
        return Err(Refusal::ReadOnly.into());
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(target)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::PermissionDenied => {
                Refusal::NotWritable("you have no permission to write it".into()).into()
            }
            std::io::ErrorKind::ReadOnlyFilesystem => {
                Refusal::NotWritable("its file system is read-only".into()).into()
            }
            _ => io(e),
        })?;
    if !holds(&file, original).map_err(io)? {
        return Err(Refusal::ChangedSinceRead.into());
    }
    Ok(meta)
}

/// Whether `file` holds exactly `original`. At most one byte more than `original` is read:
/// a note that grew has changed. Only the bytes count: a save of the same bytes lost
/// nothing, and comparing times or inodes would refuse notes a tool merely touched.
fn holds(file: &std::fs::File, original: &[u8]) -> std::io::Result<bool> {
    let mut current = Vec::with_capacity(original.len() + 1);
    file.take(original.len() as u64 + 1)
        .read_to_end(&mut current)?;
    Ok(current == original)
}

/// The folder holding `target`.
fn parent_of(target: &Path) -> Result<PathBuf, WriteError> {
    match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => Ok(d.to_path_buf()),
        Some(_) => Ok(PathBuf::from(".")),
        None => Err(WriteError::Io(
            target.to_path_buf(),
            "no parent folder".into(),
        )),
    }
}

/// Where a temporary file can be written and then renamed over a note.
struct Place {
    dir: PathBuf,
    folder: fsutil::Folder,
    /// The start of the temporary file's name.
    prefix: String,
}

/// The folders to try, in order: the vault's `.decksmith-cache/tmp`, where git never shows
/// a file, when it is on the note's file system (a rename cannot cross file systems); else,
/// or when that fails, the note's own folder under a dot-name.
fn staging_places(root: &Path, dir: &Path, target: &Path, meta: &std::fs::Metadata) -> Vec<Place> {
    let mut places = Vec::with_capacity(2);
    if let Ok((tmp, tmp_meta)) = crate::vault::cache::staging_dir(root)
        && same_device(&tmp_meta, meta)
    {
        places.push(Place {
            dir: tmp,
            folder: fsutil::Folder::Scratch,
            prefix: String::new(),
        });
    }
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    places.push(Place {
        dir: dir.to_path_buf(),
        folder: fsutil::Folder::Shared,
        prefix: format!(".{name}."),
    });
    places
}

/// Whether two files are on the same file system. Elsewhere than on unix the rename tells
/// (see [`Attempt::NextPlace`]).
fn same_device(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        a.dev() == b.dev()
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        true
    }
}

/// Why one [`Place`] did not take the write.
enum Attempt {
    /// Try the next place (the temporary file could not be made there, or the rename
    /// crossed file systems); the note is untouched.
    NextPlace,
    Failed(WriteError),
}

impl From<WriteError> for Attempt {
    fn from(e: WriteError) -> Attempt {
        Attempt::Failed(e)
    }
}

/// Stage `new` in `place`, give it the note's owner and mode, flush it, check the note once
/// more and rename. The temporary file is removed on every failure.
fn write_through(
    place: &Place,
    target: &Path,
    meta: &std::fs::Metadata,
    original: &[u8],
    new: &str,
    hook: &mut dyn FnMut(Step),
) -> Result<(), Attempt> {
    let io = |e: std::io::Error| io_error(target, e);
    let staged = match fsutil::stage(
        &place.dir,
        place.folder,
        &place.prefix,
        new.as_bytes(),
        true,
    ) {
        Ok(staged) => staged,
        Err(_) if place.folder == fsutil::Folder::Scratch => return Err(Attempt::NextPlace),
        Err(e) => return Err(folder_error(target, e).into()),
    };
    keep_owner(staged.file(), meta, target)?;
    staged
        .file()
        .set_permissions(meta.permissions())
        .map_err(io)?;
    staged.sync().map_err(io)?;
    hook(Step::Staged);
    // An edit saved from here to the end of the rename is lost: the window holds only one
    // read of the note and the rename (see docs/benchmarks.md for its length).
    let current = std::fs::File::open(target).map_err(|e| read_error(target, e))?;
    if !holds(&current, original).map_err(io)? {
        return Err(WriteError::from(Refusal::ChangedSinceRead).into());
    }
    let renamed = match staged.persist(target) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::CrossesDevices => Err(Attempt::NextPlace),
        Err(e) => Err(folder_error(target, e).into()),
    };
    hook(Step::Renamed);
    // The replaced version is freed when its last handle closes, which on ext4 can take
    // milliseconds; inside the window it made the window 4 to 100 times longer (median 60 µs
    // to 4 ms instead of 12 to 45 µs), so the handle is closed only now.
    drop(current);
    renamed
}

/// Give the staged file the note's owner and group. Only root may give a file away; anyone
/// else is refused rather than leave the note owned by someone new.
fn keep_owner(
    staged: &std::fs::File,
    meta: &std::fs::Metadata,
    target: &Path,
) -> Result<(), WriteError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let io = |e: std::io::Error| io_error(target, e);
        let (uid, gid) = (meta.uid(), meta.gid());
        let now = staged.metadata().map_err(io)?;
        if (now.uid(), now.gid()) != (uid, gid) {
            std::os::unix::fs::fchown(staged, Some(uid), Some(gid)).map_err(|e| {
                if e.kind() == std::io::ErrorKind::PermissionDenied {
                    WriteError::Refused(Refusal::OwnerWouldChange { uid, gid })
                } else {
                    io(e)
                }
            })?;
        }
    }
    #[cfg(not(unix))]
    let _ = (staged, meta, target);
    Ok(())
}

/// A failed creation or rename in the note's folder: a folder that does not let this user
/// create or replace files is a refusal, anything else an I/O error.
fn folder_error(target: &Path, e: std::io::Error) -> WriteError {
    let why = match e.kind() {
        std::io::ErrorKind::PermissionDenied => {
            "you have no permission to replace files in its folder"
        }
        std::io::ErrorKind::ReadOnlyFilesystem => "its file system is read-only",
        _ => return io_error(target, e),
    };
    Refusal::NotWritable(why.into()).into()
}

/// A failed look at the note: gone (deleted or renamed away since it was read) is a change,
/// which writing would undo by bringing it back.
fn read_error(path: &Path, e: std::io::Error) -> WriteError {
    if e.kind() == std::io::ErrorKind::NotFound {
        return Refusal::ChangedSinceRead.into();
    }
    io_error(path, e)
}

fn io_error(path: &Path, e: std::io::Error) -> WriteError {
    WriteError::Io(path.to_path_buf(), e.to_string())
}

/// Make renames in `dir` durable. Not every platform can open a folder; there it is a no-op.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// A failed write.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("{0}: {1}")]
    Io(PathBuf, String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pushed(slug: &str, id: i64) -> Pushed {
        Pushed {
            slug: slug.into(),
            language: slug.rsplit('-').next().unwrap_or("en").into(),
            anki_id: id,
            synced_at: "2026-02-01T10:00:00.000000+00:00".into(),
        }
    }

    const NOTE: &str = "---\nid: a-1 # keep me\ntitle: \"Q / В\"\ntags: [x, y]\nanki_cards:\n- slug: a-1-0-en\n  language: en\n  anki_id: 1\n  synced_at: '2026-01-01T00:00:00'\n- slug: a-1-0-ru\n  language: ru\nsources: []\n---\n# Question (EN)\n> q\n";

    #[test]
    fn updates_in_place_and_appends() {
        let out = edit(NOTE, &[pushed("a-1-0-ru", 2), pushed("a-1-1-en", 3)])
            .expect("edits")
            .expect("changes");
        assert!(out.contains("- slug: a-1-0-ru\n  language: ru\n  anki_id: 2\n  synced_at: '2026-02-01T10:00:00.000000+00:00'\n"), "{out}");
        assert!(
            out.contains("- slug: a-1-1-en\n  language: en\n  anki_id: 3\n"),
            "{out}"
        );
        assert!(out.contains("id: a-1 # keep me\ntitle: \"Q / В\"\ntags: [x, y]\n"));
        assert!(
            out.ends_with("sources: []\n---\n# Question (EN)\n> q\n"),
            "{out}"
        );
        // Applying again changes nothing.
        assert_eq!(
            edit(&out, &[pushed("a-1-0-ru", 2), pushed("a-1-1-en", 3)]),
            Ok(None)
        );
    }

    #[test]
    fn nothing_pushed_touches_nothing() {
        assert_eq!(edit(NOTE, &[]), Ok(None));
        let same = Pushed {
            synced_at: "2026-01-01T00:00:00".into(),
            ..pushed("a-1-0-en", 1)
        };
        assert_eq!(edit(NOTE, &[same]), Ok(None));
    }

    #[test]
    fn creates_the_list_and_keeps_crlf_bom_and_missing_newline() {
        let text = "\u{feff}---\r\nid: b-2\r\ntitle: T\r\n---\r\nbody";
        let out = edit(text, &[pushed("b-2-0-en", 9)])
            .expect("edits")
            .expect("changes");
        assert!(
            out.starts_with(
                "\u{feff}---\r\nid: b-2\r\ntitle: T\r\nanki_cards:\r\n- slug: b-2-0-en\r\n"
            ),
            "{out:?}"
        );
        assert!(out.ends_with("---\r\nbody"));
    }

    #[test]
    fn double_quotes_are_kept() {
        let text = "---\nid: c\nanki_cards:\n- slug: c-0-en\n  language: en\n  anki_id: 1\n  synced_at: \"2026-01-01T00:00:00\"\n---\n";
        let out = edit(text, &[pushed("c-0-en", 5)])
            .expect("edits")
            .expect("changes");
        assert!(
            out.contains("synced_at: \"2026-02-01T10:00:00.000000+00:00\""),
            "{out}"
        );
    }

    #[test]
    fn damaged_notes_are_refused() {
        let cases = [
            ("# no front matter\n", Refusal::NoFrontMatter),
            (
                "---\nid: a\nid: b\n---\n",
                Refusal::Damaged("duplicate key `id`".into()),
            ),
            ("---\nid: a\n...\n", Refusal::ClosedByDots),
            ("---\nx: &a 1\ny: *a\n---\n", Refusal::Anchors),
            ("---\nanki_cards: 5\n---\n", Refusal::NotAList),
        ];
        for (text, want) in cases {
            assert_eq!(edit(text, &[pushed("a-0-en", 1)]), Err(want), "{text:?}");
        }
        assert!(matches!(
            edit("---\\\nid: a\n---\\\n", &[pushed("a-0-en", 1)]),
            Err(Refusal::NoFrontMatter)
        ));
        assert!(matches!(
            edit("---\n'---id': a\n---\n", &[pushed("a-0-en", 1)]),
            Err(Refusal::Damaged(_))
        ));
    }

    #[test]
    fn atomic_write_refuses_changed_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("n.md");
        std::fs::write(&path, NOTE).expect("write");
        let new = edit(NOTE, &[pushed("a-1-0-ru", 2)])
            .expect("edit")
            .expect("change");
        std::fs::write(&path, format!("{NOTE}edited meanwhile\n")).expect("write");
        assert_eq!(
            write_atomic(dir.path(), &path, NOTE.as_bytes(), &new),
            Err(WriteError::Refused(Refusal::ChangedSinceRead))
        );
        std::fs::write(&path, NOTE).expect("write");
        write_atomic(dir.path(), &path, NOTE.as_bytes(), &new).expect("writes");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), new);
        let tmp = dir.path().join(crate::vault::cache::DIR).join("tmp");
        let leftovers: Vec<_> = std::fs::read_dir(&tmp).expect("tmp").collect();
        assert!(leftovers.is_empty(), "no temporary file left behind");
    }
}
