//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

pub mod anki;
pub mod git;

use std::path::{Path, PathBuf};

use decksmith::cli::output::{self, Rendered};
use decksmith::config;
use decksmith::lint::{self, Overrides, Settings, Targets};

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
        let rendered = Rendered::new(&report, &[]);
        output::full::render(&rendered, false, "")
    };
    (text, report)
}

/// Copy a folder tree (fixture vaults into temporary folders).
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Every Markdown file below `dir`: (path relative to `dir`, text), sorted by path.
pub fn notes(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "md") {
                let rel = p
                    .strip_prefix(dir)
                    .expect("inside")
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, std::fs::read_to_string(&p).expect("read")));
            }
        }
    }
    out.sort();
    out
}
