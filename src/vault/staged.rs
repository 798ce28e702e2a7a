/*!
The vault as the next commit will have it: git's index, not the work tree.

A plain pre-commit hook that lints the files on disk lints the wrong content: stage a broken
note, repair it on disk without staging, and the broken version is committed while the hook
passes (and the reverse: a repaired-but-unstaged file fails a commit that is fine). So
`check --staged` reads the vault from the index:

- the files are those the index lists below the vault root (`git ls-files --stage`), hidden
  folders skipped as the walk skips them; an untracked file on disk does not exist for it, so
  it cannot satisfy a link that would dangle in every other clone;
- a file's bytes are the staged blob where the work tree differs from the index (`git diff
  --name-only`, read with one `git cat-file --batch`), and the file on disk otherwise — the
  same bytes, read without a git process per file;
- the notes reported on are the staged ones (added, copied, modified, renamed), plus the
  notes whose links pointed at a note the commit deletes or renames (reported for those links
  only), so a rename cannot silently break the notes that link to the old name.

Git is run as a child process (`git -C <root> …`, paths NUL-separated): no library has to
agree with the user's git about the index format, and the user's git config (for example
`core.quotePath`) cannot change how names are read.
*/

use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::GlobSet;

use super::walk::{self, Entry, Listing};

/// What is staged for the next commit.
#[derive(Debug, Default)]
pub struct Staged {
    /// The vault's files as the index has them.
    pub listing: Listing,
    /// Vault-relative paths of the notes the commit adds, copies, modifies or renames to.
    pub changed: Vec<String>,
    /// Vault-relative paths of the notes the commit deletes or renames away.
    pub removed: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StagedError {
    #[error("--staged needs git: {0}")]
    Spawn(std::io::Error),
    #[error("--staged: `git {args}` failed in {root}: {stderr}")]
    Git {
        args: String,
        root: PathBuf,
        stderr: String,
    },
    #[error("--staged: unexpected output from `git {0}`")]
    Parse(String),
}

fn git(root: &Path, args: &[&str], input: Option<&[u8]>) -> Result<Vec<u8>, StagedError> {
    super::git::run(root, args, input).map_err(|e| match e {
        super::git::GitError::Spawn(e) => StagedError::Spawn(e),
        super::git::GitError::Failed { args, root, stderr } => {
            StagedError::Git { args, root, stderr }
        }
    })
}

/// NUL-separated records, the last one possibly empty.
fn records(out: &[u8]) -> impl Iterator<Item = &[u8]> {
    out.split(|&b| b == 0).filter(|r| !r.is_empty())
}

/// A path as git prints it (relative to the root, `/`-separated), and whether it is UTF-8.
fn path_of(bytes: &[u8]) -> (String, bool) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), true),
        Err(_) => (walk::escape_bytes(bytes), false),
    }
}

/// Hidden folders and files are not part of the vault, as in the walk.
fn is_hidden(rel: &str) -> bool {
    rel.split('/').any(|c| c.starts_with('.'))
}

#[cfg(unix)]
fn os_path(root: &Path, bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    root.join(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn os_path(root: &Path, bytes: &[u8]) -> PathBuf {
    root.join(String::from_utf8_lossy(bytes).as_ref())
}

/// Read what is staged in the vault at `root` (which must be inside a git work tree).
pub fn read(root: &Path, exclude: &GlobSet, extensions: &[String]) -> Result<Staged, StagedError> {
    let index = git(root, &["ls-files", "--stage", "-z"], None)?;
    let differs: std::collections::HashSet<Vec<u8>> = records(&git(
        root,
        &["diff", "--name-only", "-z", "--no-renames", "--relative"],
        None,
    )?)
    .map(<[u8]>::to_vec)
    .collect();
    let mut staged = Staged::default();
    let mut wanted_blobs: Vec<(usize, String)> = Vec::new();
    for record in records(&index) {
        // `<mode> <object> <stage>\t<path>`
        let tab = record
            .iter()
            .position(|&b| b == b'\t')
            .ok_or_else(|| StagedError::Parse("ls-files --stage".into()))?;
        let meta = std::str::from_utf8(&record[..tab])
            .map_err(|_| StagedError::Parse("ls-files --stage".into()))?;
        let mut fields = meta.split(' ');
        let (Some(mode), Some(object), Some(stage)) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(StagedError::Parse("ls-files --stage".into()));
        };
        // Submodules and unmerged entries are not notes of this commit.
        if mode == "160000" || stage != "0" {
            continue;
        }
        let raw = &record[tab + 1..];
        let (rel, valid) = path_of(raw);
        if is_hidden(&rel) {
            continue;
        }
        let path = os_path(root, raw);
        if !walk::is_note_file(&path, extensions) {
            staged.listing.attachments.push(rel);
            continue;
        }
        if differs.contains(raw) {
            wanted_blobs.push((staged.listing.notes.len(), object.to_string()));
        }
        staged.listing.notes.push(Entry {
            excluded: walk::is_excluded(exclude, &rel),
            rel,
            path,
            bad_name: !valid,
            content: None,
        });
    }
    load_blobs(root, &mut staged.listing.notes, &wanted_blobs)?;
    staged.listing.notes.sort();
    staged.listing.attachments.sort();
    read_changes(root, extensions, &mut staged)?;
    Ok(staged)
}

/// Read the staged bytes of the notes whose work-tree copy differs, in one `cat-file`.
fn load_blobs(
    root: &Path,
    notes: &mut [Entry],
    wanted: &[(usize, String)],
) -> Result<(), StagedError> {
    if wanted.is_empty() {
        return Ok(());
    }
    let input: String = wanted.iter().map(|(_, o)| format!("{o}\n")).collect();
    let out = git(root, &["cat-file", "--batch"], Some(input.as_bytes()))?;
    let mut pos = 0;
    for (i, _) in wanted {
        // `<object> blob <size>\n<bytes>\n`
        let header_end = out[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|n| pos + n)
            .ok_or_else(|| StagedError::Parse("cat-file --batch".into()))?;
        let header = std::str::from_utf8(&out[pos..header_end])
            .map_err(|_| StagedError::Parse("cat-file --batch".into()))?;
        let size: usize = header
            .rsplit(' ')
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| StagedError::Parse(format!("cat-file --batch: {header}")))?;
        let start = header_end + 1;
        let bytes = out
            .get(start..start + size)
            .ok_or_else(|| StagedError::Parse("cat-file --batch".into()))?;
        notes[*i].content = Some(Arc::from(bytes));
        pos = start + size + 1;
    }
    Ok(())
}

/// The notes the commit changes, and those it removes (deleted, or renamed away).
fn read_changes(
    root: &Path,
    extensions: &[String],
    staged: &mut Staged,
) -> Result<(), StagedError> {
    let out = git(
        root,
        &[
            "diff",
            "--cached",
            "--name-status",
            "-z",
            "-M",
            "--relative",
            "--no-ext-diff",
        ],
        None,
    )?;
    let mut fields = records(&out);
    while let Some(status) = fields.next() {
        let status = std::str::from_utf8(status)
            .map_err(|_| StagedError::Parse("diff --name-status".into()))?;
        let letter = status.chars().next().unwrap_or('?');
        let first = fields
            .next()
            .ok_or_else(|| StagedError::Parse("diff --name-status".into()))?;
        let second = if matches!(letter, 'R' | 'C') {
            Some(
                fields
                    .next()
                    .ok_or_else(|| StagedError::Parse("diff --name-status".into()))?,
            )
        } else {
            None
        };
        let is_note = |raw: &[u8]| {
            let (rel, _) = path_of(raw);
            (!is_hidden(&rel) && walk::is_note_file(Path::new(&rel), extensions)).then_some(rel)
        };
        match (letter, second) {
            ('A' | 'M' | 'T', _) => staged.changed.extend(is_note(first)),
            ('C', Some(to)) => staged.changed.extend(is_note(to)),
            ('R', Some(to)) => {
                staged.removed.extend(is_note(first));
                staged.changed.extend(is_note(to));
            }
            ('D', _) => staged.removed.extend(is_note(first)),
            _ => {}
        }
    }
    staged.changed.sort();
    staged.changed.dedup();
    staged.removed.sort();
    staged.removed.dedup();
    Ok(())
}
