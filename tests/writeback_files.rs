//! The write-back on disk: an edit saved while a note is written is never lost, the note keeps
//! its mode and owner, notes this user may not write are left alone, and temporary files
//! live where git does not show them and do not outlive the run that made them.

mod common;

use std::path::{Path, PathBuf};

use decksmith::sync::writeback::{
    Pushed, Refusal, Step, WriteError, edit, replace, replace_with_hook,
};
use proptest::prelude::*;

const NOTE: &str = "---\nid: a-1\ntitle: Q\nanki_cards:\n- slug: a-1-0-en\n  language: en\n---\n# Question (EN)\n> q\n";

/// A vault with one note at `rel` holding [`NOTE`], and the text a push of one card gives it.
struct Vault {
    dir: tempfile::TempDir,
    note: PathBuf,
    new: String,
}

/// [`NOTE`] after a push of its card.
fn new_text() -> String {
    let push = Pushed {
        slug: "a-1-0-en".into(),
        language: "en".into(),
        anki_id: 1_769_200_000_000,
        synced_at: "2026-02-01T10:00:00.000000+00:00".into(),
    };
    edit(NOTE, &[push]).expect("edits").expect("changes")
}

impl Vault {
    fn new(rel: &str) -> Vault {
        let dir = tempfile::tempdir().expect("tempdir");
        let note = dir.path().join(rel);
        std::fs::create_dir_all(note.parent().expect("folder")).expect("mkdir");
        std::fs::write(&note, NOTE).expect("write");
        Vault {
            dir,
            note,
            new: new_text(),
        }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn text(&self) -> String {
        std::fs::read_to_string(&self.note).expect("read")
    }

    fn write(&self) -> Result<PathBuf, WriteError> {
        replace(self.root(), &self.note, NOTE.as_bytes(), &self.new)
    }
}

/// Every file below `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let p = e.path();
            if e.file_type().expect("type").is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("inside");
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

/// What a vault holds besides its notes once a write-back is over: the cache folder's
/// markers, and no temporary file.
fn assert_no_temporary_file(root: &Path, notes: &[&str]) {
    let mut want: Vec<String> = notes.iter().map(|n| n.to_string()).collect();
    want.extend([
        ".decksmith-cache/.gitignore".to_string(),
        ".decksmith-cache/CACHEDIR.TAG".to_string(),
    ]);
    want.sort();
    assert_eq!(files(root), want);
}

/// How an editor saves a note.
#[derive(Clone, Copy, Debug)]
enum Save {
    /// Rewrites the file in place.
    InPlace,
    /// Writes a new file and renames it over the note (most editors).
    Rename,
    /// Deletes the note (or renames it away).
    Delete,
}

fn save(note: &Path, text: &str, how: Save) {
    match how {
        Save::InPlace => std::fs::write(note, text).expect("save"),
        Save::Rename => {
            let swap = note.with_extension("swp-new");
            std::fs::write(&swap, text).expect("save");
            std::fs::rename(&swap, note).expect("rename");
        }
        Save::Delete => std::fs::remove_file(note).expect("delete"),
    }
}

#[test]
fn an_edit_saved_while_the_note_is_written_is_kept() {
    for how in [Save::InPlace, Save::Rename] {
        let v = Vault::new("folder/n.md");
        let edited = format!("{NOTE}\nwritten in the editor meanwhile\n");
        // The editor saves after the new text is on disk and flushed, before the rename:
        // the write must see the save and give up.
        let result = replace_with_hook(v.root(), &v.note, NOTE.as_bytes(), &v.new, &mut |step| {
            if step == Step::Staged {
                save(&v.note, &edited, how);
            }
        });
        assert_eq!(
            result,
            Err(WriteError::Refused(Refusal::ChangedSinceRead)),
            "{how:?}"
        );
        assert_eq!(v.text(), edited, "{how:?}: the edit is kept");
        // What sync lists as not written, which makes it exit with 1.
        assert_eq!(
            WriteError::Refused(Refusal::ChangedSinceRead).to_string(),
            "the file changed since it was read; re-run sync to pick it up"
        );
        assert_no_temporary_file(v.root(), &["folder/n.md"]);
    }
}

#[test]
fn a_note_deleted_while_it_is_written_stays_deleted() {
    let v = Vault::new("n.md");
    let result = replace_with_hook(v.root(), &v.note, NOTE.as_bytes(), &v.new, &mut |step| {
        if step == Step::Staged {
            save(&v.note, "", Save::Delete);
        }
    });
    assert_eq!(result, Err(WriteError::Refused(Refusal::ChangedSinceRead)));
    assert!(!v.note.exists());
    assert_no_temporary_file(v.root(), &[]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Whatever the contents and wherever an editor's save lands, the note ends as the save
    /// made it, or, without a save, as the write-back made it; nothing else, and no temporary
    /// file remains.
    #[test]
    fn a_note_ends_as_the_racing_save_or_the_write(
        original in "(?s).{0,300}",
        new in "(?s).{0,300}",
        edited in "(?s).{0,300}",
        // 0: no save; 1: before the write starts; 2: after the first check; 3: after the
        // temporary file is flushed.
        when in 0u8..4,
        how in prop_oneof![Just(Save::InPlace), Just(Save::Rename), Just(Save::Delete)],
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let note = dir.path().join("sub").join("n.md");
        std::fs::create_dir_all(note.parent().expect("folder")).expect("mkdir");
        std::fs::write(&note, &original).expect("write");
        if when == 1 {
            save(&note, &edited, how);
        }
        let result = replace_with_hook(dir.path(), &note, original.as_bytes(), &new, &mut |step| {
            if (when == 2 && step == Step::Checked) || (when == 3 && step == Step::Staged) {
                save(&note, &edited, how);
            }
        });
        let now = std::fs::read_to_string(&note).ok();
        let saved_same_bytes = !matches!(how, Save::Delete) && edited == original;
        if when == 0 || saved_same_bytes {
            prop_assert!(result.is_ok(), "{result:?}");
            prop_assert_eq!(now.as_deref(), Some(new.as_str()));
        } else {
            prop_assert_eq!(result, Err(WriteError::Refused(Refusal::ChangedSinceRead)));
            let want = match how {
                Save::Delete => None,
                Save::InPlace | Save::Rename => Some(edited.as_str()),
            };
            prop_assert_eq!(now.as_deref(), want);
        }
        let markers = [".decksmith-cache/.gitignore", ".decksmith-cache/CACHEDIR.TAG", "sub/n.md"];
        let left: Vec<String> = files(dir.path())
            .into_iter()
            .filter(|f| !markers.contains(&f.as_str()))
            .collect();
        prop_assert!(left.is_empty(), "left behind: {:?}", left);
    }
}

#[cfg(unix)]
#[test]
fn a_read_only_note_is_not_written() {
    use std::os::unix::fs::PermissionsExt;
    let v = Vault::new("n.md");
    std::fs::set_permissions(&v.note, std::fs::Permissions::from_mode(0o444)).expect("chmod");
    // Root may write any file, but a note without a write bit is the user's decision.
    assert_eq!(v.write(), Err(WriteError::Refused(Refusal::ReadOnly)));
    assert_eq!(v.text(), NOTE);
    assert_eq!(
        Refusal::ReadOnly.to_string(),
        "the note is read-only; make it writable to let sync record its ids"
    );
    assert!(
        files(v.root())
            .iter()
            .all(|f| !f.starts_with(".decksmith-cache/tmp/")),
        "no temporary file"
    );
}

/// Whether this process runs as root (files it creates belong to user 0).
#[cfg(unix)]
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    let probe = tempfile::NamedTempFile::new().expect("probe");
    probe.as_file().metadata().expect("stat").uid() == 0
}

#[cfg(unix)]
#[test]
fn the_mode_and_the_owner_are_kept() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let v = Vault::new("n.md");
    std::fs::set_permissions(&v.note, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let root = is_root();
    if root {
        std::os::unix::fs::chown(&v.note, Some(12_345), Some(23_456)).expect("chown");
    } else {
        eprintln!("not root: only the mode is checked (giving a file away needs root)");
    }
    v.write().expect("writes");
    assert_eq!(v.text(), v.new);
    let meta = std::fs::metadata(&v.note).expect("stat");
    assert_eq!(meta.permissions().mode() & 0o7777, 0o640);
    if root {
        assert_eq!((meta.uid(), meta.gid()), (12_345, 23_456));
    }
}

/// A process id no process can have (Linux caps them at 2^22).
const DEAD_PID: u32 = 4_000_000_000;

#[test]
fn leftovers_of_killed_runs_are_removed_by_the_next_write() {
    let v = Vault::new("sub/n.md");
    let (root, sub) = (v.root(), v.root().join("sub"));
    let tmp = root.join(".decksmith-cache/tmp");
    std::fs::create_dir_all(&tmp).expect("mkdir");
    let me = std::process::id();
    let hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    let put = |path: PathBuf, old: bool| {
        std::fs::write(&path, "partial").expect("write");
        if old {
            let f = std::fs::File::options()
                .write(true)
                .open(&path)
                .expect("open");
            f.set_modified(hours_ago).expect("mtime");
        }
    };
    let linux = cfg!(target_os = "linux");
    let cases: [(PathBuf, bool, bool); 8] = [
        // (file, two hours old, removed)
        (
            tmp.join(format!("decksmith-{DEAD_PID}-aB3xY9.tmp")),
            false,
            linux,
        ),
        (
            sub.join(format!(".n.md.decksmith-{DEAD_PID}.tmp")),
            false,
            linux,
        ),
        (
            sub.join(format!(".x.md.decksmith-{me}-q1w2e3.tmp")),
            true,
            true,
        ),
        (tmp.join("unknown.tmp"), true, true),
        // A live run's, and files that are not decksmith's, stay.
        (sub.join(format!(".n.md.decksmith-{me}.tmp")), false, false),
        (tmp.join(format!("decksmith-{me}-zzzzzz.tmp")), false, false),
        (sub.join(format!("n.decksmith-{DEAD_PID}.tmp")), true, false),
        (sub.join(".n.md.swp"), true, false),
    ];
    for (path, old, _) in &cases {
        put(path.clone(), *old);
    }
    v.write().expect("writes");
    for (path, _, removed) in &cases {
        assert_eq!(!path.exists(), *removed, "{}", path.display());
    }
}

#[cfg(unix)]
#[test]
fn temporary_files_live_in_the_vault_cache_which_git_ignores() {
    let v = Vault::new("topic/deep/n.md");
    common::git::init_and_commit(v.root());
    let mut seen = None;
    let result = replace_with_hook(v.root(), &v.note, NOTE.as_bytes(), &v.new, &mut |step| {
        if step == Step::Staged {
            let status = common::git::git(
                v.root(),
                &["status", "--porcelain", "--untracked-files=all"],
            );
            seen = Some((
                String::from_utf8_lossy(&status.stdout).into_owned(),
                files(&v.root().join(".decksmith-cache/tmp")),
            ));
        }
    });
    result.expect("writes");
    let (status, staged) = seen.expect("the hook ran");
    assert_eq!(status, "", "git shows nothing while the note is written");
    assert_eq!(staged.len(), 1, "{staged:?}");
    assert!(
        staged[0].starts_with(&format!("decksmith-{}-", std::process::id())),
        "{staged:?}"
    );
    // The cache folder is made at the vault's root only.
    let caches: Vec<String> = files(v.root())
        .into_iter()
        .filter(|f| f.contains(".decksmith-cache/"))
        .filter(|f| !f.starts_with(".decksmith-cache/"))
        .collect();
    assert!(caches.is_empty(), "{caches:?}");
    assert_eq!(
        common::git::git(
            v.root(),
            &["status", "--porcelain", "--untracked-files=all"]
        )
        .stdout,
        b" M topic/deep/n.md\n"
    );
}

/// A note on another file system than the vault's root (through a symlink) is written
/// through a temporary file in its own folder: a rename cannot cross file systems.
#[cfg(unix)]
#[test]
fn a_note_on_another_file_system_is_staged_beside_it() {
    use std::os::unix::fs::MetadataExt;
    let Ok(elsewhere) = tempfile::tempdir_in("/dev/shm") else {
        eprintln!("skipped: no /dev/shm");
        return;
    };
    let v = Vault::new("n.md");
    let dev = |p: &Path| std::fs::metadata(p).expect("stat").dev();
    if dev(elsewhere.path()) == dev(v.root()) {
        eprintln!("skipped: /dev/shm is on the vault's file system");
        return;
    }
    let real = elsewhere.path().join("n.md");
    std::fs::write(&real, NOTE).expect("write");
    std::fs::remove_file(&v.note).expect("rm");
    std::os::unix::fs::symlink(&real, &v.note).expect("symlink");
    let mut beside = Vec::new();
    replace_with_hook(v.root(), &v.note, NOTE.as_bytes(), &v.new, &mut |step| {
        if step == Step::Staged {
            beside = files(elsewhere.path());
        }
    })
    .expect("writes");
    assert_eq!(beside.len(), 2, "{beside:?}");
    assert!(
        beside[0].starts_with(&format!(".n.md.decksmith-{}-", std::process::id())),
        "{beside:?}"
    );
    assert_eq!(std::fs::read_to_string(&real).expect("read"), v.new);
    assert!(v.note.is_symlink(), "the link is kept");
    assert_eq!(files(elsewhere.path()), ["n.md"]);
}

/// Set by [`notes_another_user_cannot_write_are_left_alone`] for the copy of this test
/// binary it runs as another user: the vault to write in.
#[cfg(unix)]
const AS_OTHER_USER: &str = "DECKSMITH_TEST_WRITE_AS_OTHER_USER";

/// The user the write-back runs as (`nobody` on most systems).
#[cfg(unix)]
const OTHER: u32 = 65_534;

/// Run as root, this sets up notes of root's and of another user's, runs this same test as
/// that user (through `setpriv`), which writes each note and prints what happened, and
/// checks the results and the files. Run as that user, it only writes.
#[cfg(unix)]
#[test]
fn notes_another_user_cannot_write_are_left_alone() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    if let Some(vault) = std::env::var_os(AS_OTHER_USER) {
        let root = Path::new(&vault);
        let new = new_text();
        for name in [
            "open/a.md",
            "open/b.md",
            "open/c.md",
            "open/e.md",
            "closed/d.md",
        ] {
            let path = root.join(name);
            let result = replace(root, &path, NOTE.as_bytes(), &new);
            println!("RESULT {name} {result:?}");
        }
        return;
    }
    if !is_root() {
        eprintln!("skipped: needs root to run the write-back as another user");
        return;
    }
    let Ok(setpriv) = which("setpriv") else {
        eprintln!("skipped: no setpriv");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let mode = |p: &Path, m: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).expect("chmod")
    };
    let own =
        |p: &Path, uid: u32| std::os::unix::fs::chown(p, Some(uid), Some(uid)).expect("chown");
    mode(root, 0o777);
    for (folder, m) in [("open", 0o777), ("closed", 0o755)] {
        std::fs::create_dir(root.join(folder)).expect("mkdir");
        mode(&root.join(folder), m);
    }
    // (note, owner, mode, what the other user gets)
    let cases = [
        (
            "open/a.md",
            0,
            0o666,
            "Err(Refused(OwnerWouldChange { uid: 0, gid: 0 }))",
        ),
        (
            "open/b.md",
            0,
            0o644,
            "Err(Refused(NotWritable(\"you have no permission to write it\")))",
        ),
        ("open/c.md", OTHER, 0o444, "Err(Refused(ReadOnly))"),
        (
            "closed/d.md",
            OTHER,
            0o644,
            "Err(Refused(NotWritable(\"you have no permission to replace files in its folder\")))",
        ),
        ("open/e.md", OTHER, 0o640, "Ok(\"%ROOT%/open\")"),
    ];
    for (name, uid, m, _) in &cases {
        let p = root.join(name);
        std::fs::write(&p, NOTE).expect("write");
        own(&p, *uid);
        mode(&p, *m);
    }
    let out = std::process::Command::new(setpriv)
        .args([
            format!("--reuid={OTHER}"),
            format!("--regid={OTHER}"),
            "--clear-groups".into(),
        ])
        .arg(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "notes_another_user_cannot_write_are_left_alone",
            "--nocapture",
        ])
        .env(AS_OTHER_USER, root)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let root_text = root.to_string_lossy();
    for (name, uid, m, want) in &cases {
        let want = want.replace("%ROOT%", &root_text);
        assert!(
            stdout.lines().any(|l| l == format!("RESULT {name} {want}")),
            "{name}: want {want}\n{stdout}"
        );
        let p = root.join(name);
        let meta = std::fs::metadata(&p).expect("stat");
        assert_eq!(meta.uid(), *uid, "{name}: owner kept");
        assert_eq!(meta.permissions().mode() & 0o777, *m, "{name}: mode kept");
        let text = std::fs::read_to_string(&p).expect("read");
        assert_eq!(
            text != NOTE,
            name.ends_with("e.md"),
            "{name}: written only if writable"
        );
    }
    let left: Vec<String> = files(root)
        .into_iter()
        .filter(|f| f.contains(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// The path of an executable on `PATH`.
#[cfg(unix)]
fn which(name: &str) -> Result<PathBuf, ()> {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or(())
}
