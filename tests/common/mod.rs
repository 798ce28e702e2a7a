//! Helpers shared by the integration tests.
//!
//! Some tests drive tools from outside the repository (git, the pre-commit framework, a
//! browser, an Anki backend) or read the reference material beside it (`../shared`). A suite
//! that passes by quietly not running them proves nothing, so [`require`] fails a test whose
//! tool is missing, naming what to install; only `DECKSMITH_TEST_SKIP` turns that into a
//! skip. Absent reference material is always a skip, since users' clones do not have it.
//! Every skip is recorded in the file `DECKSMITH_SKIP_LOG` names, so `scripts/test` can count
//! the tests that passed without running: cargo counts them as passed and hides their output.
#![allow(dead_code, unreachable_pub)]

pub mod anki;
pub mod git;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use decksmith::cli::output::{self, Rendered};
use decksmith::config;
use decksmith::lint::{self, Overrides, Settings};
use decksmith::vault::load::Targets;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    repo().join("fixtures").join(rel)
}

/// Settings for a vault folder holding a decksmith.toml (or none).
pub fn settings(root: &Path, select: &[&str]) -> Settings {
    let file = root.join(config::FILE_NAME);
    let file = file.is_file().then_some(file);
    let loaded = config::load(root.to_path_buf(), file).expect("config loads");
    let overrides = Overrides {
        select: select.iter().map(|s| s.to_string()).collect(),
        ..Overrides::default()
    };
    Settings::new(loaded, &overrides).expect("settings compile")
}

/// Check a vault and render it in the `full` format without colour.
pub fn render_full(root: &Path, select: &[&str]) -> (String, lint::Report) {
    let settings = settings(root, select);
    let report = lint::check(&settings, &Targets::default()).expect("check runs");
    let text = {
        let rendered = Rendered::new(&report);
        output::full::render(&rendered, false, "")
    };
    (text, report)
}

/// Copy a folder tree (fixture vaults into temporary folders), without the caches a run
/// of decksmith on the fixture itself may have left (the README's first command does): a
/// copy starts with none.
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        if entry.file_name() == ".decksmith-cache" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Every file below `dir` with its bytes and modification time, the sync lock aside (each
/// run rewrites who holds it): what a run that must write nothing is compared on.
pub fn file_states(
    dir: &Path,
) -> std::collections::BTreeMap<PathBuf, (Vec<u8>, std::time::SystemTime)> {
    files_below(dir)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "sync.lock"))
        .map(|p| {
            let mtime = std::fs::metadata(&p)
                .and_then(|m| m.modified())
                .expect("mtime");
            let bytes = std::fs::read(&p).expect("read");
            (p, (bytes, mtime))
        })
        .collect()
}

/// Every file below `dir` (folders followed, nothing skipped), sorted.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Every Markdown file below `dir`: (path relative to `dir`, text), sorted by path.
pub fn notes(dir: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = files_below(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .map(|p| {
            let rel = p
                .strip_prefix(dir)
                .expect("inside")
                .to_string_lossy()
                .into_owned();
            (rel, std::fs::read_to_string(&p).expect("read"))
        })
        .collect();
    out.sort();
    out
}

/// A tool some tests drive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    PreCommit,
    Chromium,
    AnkiBackend,
    Git,
}

/// The names `DECKSMITH_TEST_SKIP` takes besides `all`.
const TOOLS: [Tool; 4] = [
    Tool::PreCommit,
    Tool::Chromium,
    Tool::AnkiBackend,
    Tool::Git,
];

/// The browsers the card preview test can drive, in order of preference (`scripts/provision`
/// looks for the same ones).
const BROWSERS: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

impl Tool {
    /// Its name in `DECKSMITH_TEST_SKIP`.
    pub fn name(self) -> &'static str {
        match self {
            Tool::PreCommit => "pre-commit",
            Tool::Chromium => "chromium",
            Tool::AnkiBackend => "anki",
            Tool::Git => "git",
        }
    }

    /// The program to run, when it is there and runs.
    fn locate(self) -> Option<PathBuf> {
        match self {
            Tool::PreCommit => runs("pre-commit"),
            Tool::Chromium => BROWSERS.into_iter().find_map(runs),
            Tool::Git => runs("git"),
            Tool::AnkiBackend => std::env::var_os("DECKSMITH_ANKI_SERVER")
                .map(PathBuf::from)
                .filter(|p| p.is_file()),
        }
    }

    /// What is missing, for the failure and the skip log.
    fn absence(self) -> String {
        match self {
            Tool::PreCommit => "the pre-commit framework is not on PATH".to_string(),
            Tool::Chromium => format!("no browser on PATH ({})", BROWSERS.join(", ")),
            Tool::AnkiBackend => match std::env::var_os("DECKSMITH_ANKI_SERVER") {
                Some(p) => format!(
                    "DECKSMITH_ANKI_SERVER={} is not a file",
                    Path::new(&p).display()
                ),
                None => "DECKSMITH_ANKI_SERVER is not set".to_string(),
            },
            Tool::Git => "git is not on PATH".to_string(),
        }
    }

    /// How to get it, for the failure.
    fn remedy(self) -> &'static str {
        match self {
            Tool::PreCommit => {
                "run the suite through scripts/test, which installs it under target/, or install \
                pre-commit"
            }
            Tool::Chromium => {
                "run the suite through scripts/test, which installs Debian's chromium package, or \
                install Chromium"
            }
            Tool::AnkiBackend => {
                "run the suite through scripts/test, which provisions anki-connect-server, or set \
                DECKSMITH_ANKI_SERVER=$(scripts/anki-server)"
            }
            Tool::Git => "install git",
        }
    }
}

/// `program` when `program --version` succeeds.
fn runs(program: &str) -> Option<PathBuf> {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
        .then(|| PathBuf::from(program))
}

/// The program of `tool`. When it is missing the test fails, unless `DECKSMITH_TEST_SKIP`
/// lists the tool: then the skip is recorded and `None` tells the test to return early.
#[track_caller]
pub fn require(tool: Tool) -> Option<PathBuf> {
    let found = tool.locate();
    if found.is_none() {
        unavailable(tool, &tool.absence(), tool.remedy());
    }
    found
}

/// `tool` cannot serve this test (`reason`; `remedy` says what to do): the test fails unless
/// `DECKSMITH_TEST_SKIP` lists the tool. Returns only when the skip is allowed and recorded.
#[track_caller]
pub fn unavailable(tool: Tool, reason: &str, remedy: &str) {
    let name = tool.name();
    assert!(
        may_skip(tool),
        "{reason}: {remedy}; or set DECKSMITH_TEST_SKIP={name} to skip the tests that need it"
    );
    record_skip(&format!("{reason} (DECKSMITH_TEST_SKIP lists {name})"));
}

/// A file or folder of the reference material beside the repository (`../shared/<rel>`), or
/// `None`, with the skip recorded, when it is absent.
pub fn reference(rel: &str) -> Option<PathBuf> {
    let path = repo().join("../shared").join(rel);
    if path.exists() {
        return Some(path);
    }
    record_skip(&format!(
        "../shared/{rel} is absent (reference material, not shipped)"
    ));
    None
}

/// Whether `DECKSMITH_TEST_SKIP` (comma-separated tool names, or `all`) lists `tool`. An
/// unknown name fails the test: a misspelt name would otherwise turn a skip into a failure
/// far from its cause.
fn may_skip(tool: Tool) -> bool {
    let list = match std::env::var("DECKSMITH_TEST_SKIP") {
        Ok(list) => list,
        Err(std::env::VarError::NotPresent) => return false,
        Err(e) => panic!("DECKSMITH_TEST_SKIP: {e}"),
    };
    let mut listed = false;
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let name = name.to_ascii_lowercase();
        let known = name == "all" || TOOLS.iter().any(|t| t.name() == name);
        assert!(
            known,
            "DECKSMITH_TEST_SKIP: unknown name `{name}` (known: all, {})",
            TOOLS.map(Tool::name).join(", ")
        );
        listed |= name == "all" || name == tool.name();
    }
    listed
}

/// Report a skip on stderr and, for `scripts/test` to count, as one line
/// `<test>: <reason>` appended to `DECKSMITH_SKIP_LOG`. A log that cannot be written fails
/// the test rather than hide the skip.
fn record_skip(reason: &str) {
    let line = format!("{}: {reason}", test_name());
    eprintln!("skipped {line}");
    let Some(log) = std::env::var_os("DECKSMITH_SKIP_LOG") else {
        return;
    };
    // One write of one line in append mode: concurrent tests never interleave their lines.
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()));
    if let Err(e) = written {
        panic!("DECKSMITH_SKIP_LOG={}: {e}", Path::new(&log).display());
    }
}

/// `<test binary>::<test>`: the test harness names each test's thread after the test.
fn test_name() -> String {
    let binary = env!("CARGO_CRATE_NAME");
    match std::thread::current().name() {
        Some(test) if test != "main" => format!("{binary}::{test}"),
        _ => binary.to_string(),
    }
}

/// What a command printed: its stdout, then its stderr (for assertion messages).
pub fn output_text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
