//! `decksmith hook install|uninstall`: a plain git pre-commit hook for people who do not use
//! the pre-commit framework.
//!
//! The hook runs `decksmith check --staged`: the staged notes (added, copied, modified,
//! renamed) as git's index holds them — not as they are on disk, which is not what the commit
//! records — against the whole vault as it will be committed, plus the notes whose links a
//! staged deletion or rename breaks. decksmith asks git for the names itself, so no file
//! name passes through the shell (a note named `-x.md` cannot become a flag). It never
//! replaces a hook it did not write: a hook carries a marker line, and a file without it is
//! left alone with an error.

use std::path::{Path, PathBuf};
use std::process::Command;

const MARKER: &str = "# decksmith-managed hook";

fn hooks_dir(repo: &Path) -> Result<PathBuf, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["rev-parse", "--path-format=absolute", "--git-path", "hooks"])
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{} is not inside a git repository: {}",
            repo.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

fn script() -> String {
    // The absolute path of this binary, so the hook works without decksmith on PATH;
    // PATH is the fallback when the binary moves.
    let exe = std::env::current_exe()
        .ok()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
        .replace('\'', "'\\''");
    format!(
        "#!/bin/sh\n\
         {MARKER}: written by `decksmith hook install`; `decksmith hook uninstall` removes it.\n\
         # Checks the staged notes as they will be committed (git's index, not the files on\n\
         # disk); the whole vault is indexed for links and ids.\n\
         exe='{exe}'\n\
         [ -x \"$exe\" ] || exe=decksmith\n\
         exec \"$exe\" check --staged --force-exclude --format concise\n"
    )
}

fn is_ours(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| t.contains(MARKER))
}

/// Install (or update) the hook; refuse to replace a foreign one.
pub(crate) fn install(repo: &Path) -> Result<String, String> {
    let dir = hooks_dir(repo)?;
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join("pre-commit");
    if path.exists() && !is_ours(&path) {
        return Err(format!(
            "{} exists and was not written by decksmith; not replacing it. Add `decksmith check --force-exclude` to it yourself, or use the pre-commit framework (see the README).",
            path.display()
        ));
    }
    let existed = path.exists();
    std::fs::write(&path, script()).map_err(|e| format!("{}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(format!(
        "{} {}\n",
        if existed { "updated" } else { "installed" },
        path.display()
    ))
}

/// Remove the hook if decksmith wrote it.
pub(crate) fn uninstall(repo: &Path) -> Result<String, String> {
    let path = hooks_dir(repo)?.join("pre-commit");
    if !path.exists() {
        return Ok(format!("no hook at {}\n", path.display()));
    }
    if !is_ours(&path) {
        return Err(format!(
            "{} was not written by decksmith; leaving it in place",
            path.display()
        ));
    }
    std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(format!("removed {}\n", path.display()))
}
