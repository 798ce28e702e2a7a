//! `cargo bench --bench check`: wall time and notes per second of `decksmith check` on
//! synthetic vaults of 1,000 and 10,000 notes, in-process and as the real binary, and of
//! `check --diff` and `check --fix` on them; then the cards of single notes with hostile
//! answers of 25 to 200 KB, which must stay linear.
//!
//! Each vault is generated once and read once before timing (the machine evicts files left
//! unread for about 30 s; timing a cold read measures the disk, not decksmith). Reported
//! figures are medians of several runs. Results go to stdout; `docs/benchmarks.md` records
//! them with the machine and command.

#[path = "support/corpusgen.rs"]
mod corpusgen;
#[path = "support/measure.rs"]
mod measure;
#[path = "support/vaultgen.rs"]
mod vaultgen;

use std::time::{Duration, Instant};

use decksmith::config;
use decksmith::lint::{self, Overrides, Settings};
use decksmith::vault::load::{self, Targets};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn warm(dir: &std::path::Path) -> usize {
    let mut bytes = 0;
    for e in ignore::WalkBuilder::new(dir)
        .hidden(false)
        .build()
        .flatten()
    {
        if e.file_type().is_some_and(|t| t.is_file()) {
            bytes += std::fs::read(e.path()).map(|b| b.len()).unwrap_or(0);
        }
    }
    bytes
}

fn main() {
    // `cargo test --benches` runs this with `--bench` absent; keep that cheap.
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("benchmark skipped (run with `cargo bench --bench check`)");
        return;
    }
    let sizes: Vec<usize> = std::env::var("DECKSMITH_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000]);
    let exe = env!("CARGO_BIN_EXE_decksmith");
    let mut cards_rows: Vec<String> = Vec::new();
    let mut fix_rows: Vec<String> = Vec::new();
    println!(
        "| notes | files | MB | in-process | notes/s | binary | notes/s | 5 files, no cache | 5 files, cache |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for n in sizes {
        let tmp = tempfile::tempdir().expect("tempdir");
        vaultgen::generate(tmp.path(), n, true).expect("generate vault");
        // Keep a copy for profiling: DECKSMITH_BENCH_KEEP=DIR writes DIR/<n>/.
        if let Some(keep) = std::env::var_os("DECKSMITH_BENCH_KEEP") {
            let dir = std::path::Path::new(&keep).join(n.to_string());
            vaultgen::generate(&dir, n, true).expect("generate kept vault");
        }
        let bytes = warm(tmp.path());
        let loaded = config::load(tmp.path().to_path_buf(), None).expect("defaults");
        let settings = Settings::new(loaded, &Overrides::default()).expect("settings");
        let runs = if n >= 10_000 { 5 } else { 9 };
        let mut inproc = Vec::new();
        let mut files = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let report = lint::check(&settings, &Targets::default()).expect("check");
            files = report.files_checked;
            std::hint::black_box(report.diagnostics.len());
            inproc.push(t.elapsed());
        }
        let mut binary = Vec::new();
        for _ in 0..runs {
            warm(tmp.path());
            let t = Instant::now();
            // Every note checked: the check cache would serve an unchanged vault.
            let out = std::process::Command::new(exe)
                .args(["check", "--format", "concise", "--quiet", "--no-cache"])
                .arg(tmp.path())
                .output()
                .expect("run binary");
            binary.push(t.elapsed());
            assert_eq!(
                out.status.code(),
                Some(1),
                "the synthetic vault has findings"
            );
        }
        // Repairs: the fixes computed and proven without writing (`--diff`), and applied to
        // a fresh copy of the vault each run (one note in fifty is damaged).
        let mut diffs = Vec::new();
        for _ in 0..runs {
            warm(tmp.path());
            let t = Instant::now();
            let out = std::process::Command::new(exe)
                .args(["check", "--diff", "--unsafe-fixes", "--quiet"])
                .arg(tmp.path())
                .output()
                .expect("run binary");
            diffs.push(t.elapsed());
            assert_eq!(out.status.code(), Some(1), "the vault has fixable damage");
        }
        let mut fixes = Vec::new();
        let mut fixed_line = String::new();
        for _ in 0..runs {
            let fresh = tempfile::tempdir().expect("tempdir");
            vaultgen::generate(fresh.path(), n, true).expect("generate vault");
            warm(fresh.path());
            let t = Instant::now();
            let out = std::process::Command::new(exe)
                .args(["check", "--fix", "--unsafe-fixes", "--format", "concise"])
                .arg(fresh.path())
                .output()
                .expect("run binary");
            fixes.push(t.elapsed());
            fixed_line = String::from_utf8_lossy(&out.stdout)
                .lines()
                .find(|l| l.starts_with("Fixed "))
                .unwrap_or("nothing fixed")
                .to_string();
        }
        fix_rows.push(format!(
            "| {n} | {:.3} s | {:.3} s | {:.3} s | {:.2}× | {fixed_line} |",
            median(binary.clone()).as_secs_f64(),
            median(diffs).as_secs_f64(),
            median(fixes.clone()).as_secs_f64(),
            median(fixes).as_secs_f64() / median(binary.clone()).as_secs_f64(),
        ));
        // A pre-commit run: five staged notes, the whole vault indexed.
        let staged: Vec<std::path::PathBuf> = (0..5)
            .map(|k| {
                let i = k * (n / 5);
                let folder = [
                    "30-System-Design",
                    "70-Kotlin",
                    "40-Android",
                    "20-Algorithms",
                ][i % 4];
                tmp.path()
                    .join(folder)
                    .join(format!("{}.md", vaultgen::q_stem(i)))
            })
            .collect();
        let subset_run = |extra: &[&str]| {
            let mut times = Vec::new();
            for _ in 0..runs {
                warm(tmp.path());
                let t = Instant::now();
                let out = std::process::Command::new(exe)
                    .args(["check", "--format", "concise", "--quiet"])
                    .args(extra)
                    .args(&staged)
                    .output()
                    .expect("run binary");
                times.push(t.elapsed());
                assert!(
                    out.status.code().is_some_and(|c| c <= 1),
                    "subset run failed: {out:?}"
                );
            }
            median(times)
        };
        // Without the cache first (every other note's front matter is read), then with it
        // (the first of those runs writes it).
        let uncached = subset_run(&["--no-cache"]);
        let cached = subset_run(&[]);
        // Card generation: read every note whole, cut and render its cards.
        let mut cards_inproc = Vec::new();
        let mut card_count = 0;
        let cfg = &settings.loaded.config;
        for _ in 0..runs {
            let t = Instant::now();
            let notes = load::read_notes(&settings, &Targets::default())
                .expect("read")
                .notes;
            let all = decksmith::cards::vault_cards(&notes, &cfg.kinds, &cfg.cards, "bench");
            card_count = all.iter().map(|n| n.cards.len()).sum::<usize>();
            std::hint::black_box(&all);
            cards_inproc.push(t.elapsed());
        }
        let mut cards_binary = Vec::new();
        for _ in 0..runs {
            warm(tmp.path());
            let t = Instant::now();
            let out = std::process::Command::new(exe)
                .args(["cards", "--format", "json"])
                .arg(tmp.path())
                .output()
                .expect("run binary");
            cards_binary.push(t.elapsed());
            assert!(out.status.success());
        }
        let cards_time = median(cards_inproc);
        cards_rows.push(format!(
            "| {n} | {card_count} | {:.3} s | {:.0} | {:.3} s |",
            cards_time.as_secs_f64(),
            card_count as f64 / cards_time.as_secs_f64(),
            median(cards_binary).as_secs_f64()
        ));
        let (a, b) = (median(inproc), median(binary));
        println!(
            "| {n} | {files} | {:.1} | {:.3} s | {:.0} | {:.3} s | {:.0} | {:.3} s | {:.3} s |",
            bytes as f64 / 1e6,
            a.as_secs_f64(),
            files as f64 / a.as_secs_f64(),
            b.as_secs_f64(),
            files as f64 / b.as_secs_f64(),
            uncached.as_secs_f64(),
            cached.as_secs_f64()
        );
    }
    println!();
    println!(
        "| notes (Q&A) | cards | `cards` in-process | cards/s | `cards --format json`, binary |"
    );
    println!("|---|---|---|---|---|");
    for row in cards_rows {
        println!("{row}");
    }
    println!();
    println!(
        "| notes (Q&A) | `check` | `check --diff --unsafe-fixes` | `check --fix --unsafe-fixes` | fix / check | fixed |"
    );
    println!("|---|---|---|---|---|---|");
    for row in fix_rows {
        println!("{row}");
    }
    hostile_answers();
    real_shaped();
}

/// The real sample grown to 1,000 and 10,000 notes (`DECKSMITH_BENCH_REAL_SIZES`, e.g.
/// `1000,10000,50000`): `check`, `check` of 5 files (index cache warm), `cards` and
/// `check --diff --unsafe-fixes`, each as the binary: wall time, CPU time and peak memory,
/// medians of 5 runs (3 from 50,000 notes on).
fn real_shaped() {
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/interview-vault-sample");
    if !sample.is_dir() {
        println!(
            "\nreal-shaped vaults skipped: {} is absent",
            sample.display()
        );
        return;
    }
    let sizes: Vec<usize> = std::env::var("DECKSMITH_BENCH_REAL_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000]);
    let exe = env!("CARGO_BIN_EXE_decksmith");
    println!();
    println!("| notes | MB | command | wall | CPU | peak RSS |");
    println!("|---|---|---|---|---|---|");
    for n in sizes {
        let tmp = tempfile::tempdir().expect("tempdir");
        let notes = corpusgen::generate(&sample, tmp.path(), n).expect("the sample");
        // Keep a copy for profiling: DECKSMITH_BENCH_KEEP=DIR writes DIR/real-<n>/.
        if let Some(keep) = std::env::var_os("DECKSMITH_BENCH_KEEP") {
            let dir = std::path::Path::new(&keep).join(format!("real-{n}"));
            corpusgen::generate(&sample, &dir, n).expect("the kept sample");
        }
        let bytes = warm(tmp.path());
        let runs = if n >= 50_000 { 3 } else { 5 };
        let five: Vec<std::path::PathBuf> = common_files(tmp.path(), 5);
        let ten: Vec<std::path::PathBuf> = common_files(tmp.path(), 10);
        let whole = |extra: &[&str]| {
            let mut args = vec!["check", "--format", "concise", "--quiet"];
            args.extend_from_slice(extra);
            os(&args, &[tmp.path()])
        };
        let commands: Vec<(&str, Vec<std::ffi::OsString>)> = vec![
            ("`check`, no cache", whole(&["--no-cache"])),
            ("`check`, cache warm, vault unchanged", whole(&[])),
            ("`check`, cache warm, 10 notes edited", whole(&[])),
            (
                "`check` 5 files, cache warm",
                os(&["check", "--format", "concise", "--quiet"], &five),
            ),
            ("`cards`", os(&["cards", "--format", "json"], &[tmp.path()])),
            (
                "`check --diff --unsafe-fixes`",
                os(&["check", "--diff", "--unsafe-fixes"], &[tmp.path()]),
            ),
        ];
        for (name, args) in commands {
            // A run with the caches first fills them (not timed); stamps vouch for files
            // only once two seconds old, so a second run after that stamps the rest.
            if name.contains("cache warm") {
                measure::run(std::process::Command::new(exe).args(&args));
                std::thread::sleep(std::time::Duration::from_millis(2_100));
                measure::run(std::process::Command::new(exe).args(&args));
            }
            let mut costs = Vec::new();
            for round in 0..runs {
                if name.contains("edited") {
                    edit(&ten, round);
                }
                warm(tmp.path());
                costs.push(measure::run(std::process::Command::new(exe).args(&args)));
            }
            let code = costs[0].code;
            assert!(code.is_some_and(|c| c <= 1), "{name} failed: {code:?}");
            let mid = |f: &dyn Fn(&measure::Cost) -> f64| {
                let mut v: Vec<f64> = costs.iter().map(f).collect();
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            };
            println!(
                "| {notes} | {:.0} | {name} | {:.3} s | {:.3} s | {:.0} MB |",
                bytes as f64 / 1e6,
                mid(&|c| c.wall.as_secs_f64()),
                mid(&|c| c.cpu.as_secs_f64()),
                mid(&|c| c.peak_mb),
            );
        }
    }
}

/// Edit each of `notes` as a writer does between two checks: a sentence added to its end.
fn edit(notes: &[std::path::PathBuf], round: usize) {
    for p in notes {
        let mut text = std::fs::read_to_string(p).expect("note");
        text.push_str(&format!("\nEdited in round {round}.\n"));
        std::fs::write(p, text).expect("write");
    }
}

/// Arguments, then paths, as one argument list.
fn os(args: &[&str], paths: &[impl AsRef<std::ffi::OsStr>]) -> Vec<std::ffi::OsString> {
    args.iter()
        .map(std::ffi::OsString::from)
        .chain(paths.iter().map(|p| p.as_ref().to_os_string()))
        .collect()
}

/// `k` Q&A notes spread over the vault, as a pre-commit run names them.
fn common_files(dir: &std::path::Path, k: usize) -> Vec<std::path::PathBuf> {
    let mut all: Vec<std::path::PathBuf> = ignore::WalkBuilder::new(dir)
        .build()
        .flatten()
        .map(|e| e.into_path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("q-"))
        })
        .collect();
    all.sort();
    let step = (all.len() / k).max(1);
    all.into_iter().step_by(step).take(k).collect()
}

/// Answers of a given size that nest as deep as they can: the kinds that made sanitising
/// quadratic, and the deepest nesting that is still rendered (99 levels, repeated).
fn hostile_answer(kind: &str, size: usize) -> String {
    let mut out = String::new();
    let mut i = 0;
    while out.len() < size {
        match kind {
            "quotes on one line" => out.push('>'),
            "nested lists" => out.push_str("- "),
            "nested `<div>` blocks" => out.push_str("<div>\n\n"),
            "unclosed `<b id>`" => out.push_str(&format!("<p><b id={i}>x</p>")),
            _ => out.push_str(&format!("{}x{}\n", "<div>".repeat(99), "</div>".repeat(99))),
        }
        i += 1;
    }
    out.push('x');
    out
}

/// `note_cards` of one note with a hostile answer, median of 5 runs, per answer size.
fn hostile_answers() {
    let loaded = config::load(std::path::PathBuf::from("."), None).expect("defaults");
    let cfg = &loaded.config;
    let qa = cfg
        .kinds
        .iter()
        .position(|k| k.name == "qa-note")
        .expect("qa-note kind");
    let sizes = [25_000, 50_000, 100_000, 200_000];
    println!();
    println!("| hostile answer | 25 KB | 50 KB | 100 KB | 200 KB | card |");
    println!("|---|---|---|---|---|---|");
    for kind in [
        "quotes on one line",
        "nested lists",
        "nested `<div>` blocks",
        "unclosed `<b id>`",
        "99 levels of `<div>`, repeated",
    ] {
        let mut row = format!("| {kind} |");
        let mut outcome = "";
        for size in sizes {
            let text = format!(
                "---\nid: deep-1\nlanguage_tags: [en]\n---\n# Question (EN)\n> Q?\n\n## Answer (EN)\n\n{}\n",
                hostile_answer(kind, size)
            );
            let mut times = Vec::new();
            for _ in 0..5 {
                let t = Instant::now();
                let note = decksmith::vault::note::Note::from_text(
                    "q-deep--system-design--medium.md".into(),
                    text.clone(),
                    Some(qa),
                );
                let cards = decksmith::cards::note_cards(&note, &cfg.kinds[qa], &cfg.cards, "v");
                times.push(t.elapsed());
                outcome = if cards.refused.is_empty() {
                    "rendered"
                } else {
                    "refused"
                };
                std::hint::black_box(cards);
            }
            row.push_str(&format!(" {:.3} s |", median(times).as_secs_f64()));
        }
        println!("{row} {outcome} |");
    }
}
