//! `cargo bench --bench writeback`: how long an editor's save can still be lost while sync
//! writes a note back, on real-sized notes (the ~14 KB question notes of
//! `support/vaultgen.rs`), without Anki.
//!
//! The write-back reads the note one last time before renaming its new version over it; a
//! save that lands between the start of that read and the end of the rename is the only one
//! it cannot see. That window is measured from the moment the temporary file is flushed
//! (just before the read) to the end of the rename. Writes run one at a time and two at a
//! time (sync writes notes in parallel on two cores).
//!
//! Then an editor's saves (in place, as Obsidian saves) are fired at random moments of the
//! writes, and the lost ones counted: a save is lost when the note ends with the
//! write-back's text. A save is lost when it begins inside the window, even if it ends long
//! after: it opened the version the rename replaces.

#[path = "support/vaultgen.rs"]
mod vaultgen;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use decksmith::sync::writeback::{Pushed, Step, edit, replace_with_hook};

/// A note and the text a push of one more card gives it.
struct Note {
    path: PathBuf,
    original: String,
    new: String,
}

fn notes(root: &Path) -> Vec<Note> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("q-"))
            {
                let original = std::fs::read_to_string(&p).expect("read");
                let push = Pushed {
                    slug: "zz-9-en".into(),
                    language: "en".into(),
                    anki_id: 1_769_300_000_000,
                    synced_at: "2026-02-01T10:00:00.000000+00:00".into(),
                };
                // Damaged notes are refused by the edit; they are not written.
                if let Ok(Some(new)) = edit(&original, &[push]) {
                    out.push(Note {
                        path: p,
                        original,
                        new,
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Write each note back once; (window, whole write) of each.
fn write_all(root: &Path, notes: &[Note]) -> Vec<(Duration, Duration)> {
    notes
        .iter()
        .map(|n| {
            std::fs::write(&n.path, &n.original).expect("reset");
            let start = Instant::now();
            let (mut staged, mut renamed) = (None, None);
            replace_with_hook(
                root,
                &n.path,
                n.original.as_bytes(),
                &n.new,
                &mut |step| match step {
                    Step::Staged => staged = Some(Instant::now()),
                    Step::Renamed => renamed = Some(Instant::now()),
                    Step::Checked => {}
                },
            )
            .expect("writes");
            let end = Instant::now();
            let (staged, renamed) = (staged.expect("staged"), renamed.expect("renamed"));
            (renamed - staged, end - start)
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn micros(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

fn row(label: &str, samples: &[(Duration, Duration)]) {
    let mut window: Vec<Duration> = samples.iter().map(|s| s.0).collect();
    let mut whole: Vec<Duration> = samples.iter().map(|s| s.1).collect();
    window.sort();
    whole.sort();
    println!(
        "| {label} | {} | {} | {} | {} | {} |",
        samples.len(),
        micros(percentile(&window, 0.5)),
        micros(percentile(&window, 0.99)),
        micros(window[window.len() - 1]),
        micros(percentile(&whole, 0.5)),
    );
}

/// A small deterministic generator of save times.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// What became of saves fired while notes were written.
#[derive(Default)]
struct Race {
    /// Saves that began while the write ran.
    during: usize,
    /// Saves the write-back overwrote.
    lost: usize,
    /// Lost saves that began within the measured window (from the flushed temporary file
    /// to the end of the rename): all of them, if the window is what it claims to be.
    lost_in_window: usize,
}

/// Fire one save at a random moment within `span` of the start of each of `rounds` writes.
fn race(root: &Path, notes: &[Note], rounds: usize, span: Duration) -> Race {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut race = Race::default();
    for i in 0..rounds {
        let n = &notes[i % notes.len()];
        std::fs::write(&n.path, &n.original).expect("reset");
        let saved_text = format!("{}\nsaved in the editor {i}\n", n.original);
        let delay = Duration::from_nanos(rng.below(span.as_nanos() as u64));
        let start = Instant::now();
        let (mut staged, mut renamed) = (start, start);
        let (result, save_began, end) = std::thread::scope(|s| {
            let editor = s.spawn(|| {
                // Spin, not sleep: a sleep's granularity is coarser than the window.
                while start.elapsed() < delay {
                    std::hint::spin_loop();
                }
                let began = Instant::now();
                std::fs::write(&n.path, &saved_text).expect("save");
                began
            });
            let result =
                replace_with_hook(root, &n.path, n.original.as_bytes(), &n.new, &mut |step| {
                    match step {
                        Step::Staged => staged = Instant::now(),
                        Step::Renamed => renamed = Instant::now(),
                        Step::Checked => {}
                    }
                });
            let end = Instant::now();
            (result, editor.join().expect("editor"), end)
        });
        if save_began <= end {
            race.during += 1;
        }
        let now = std::fs::read_to_string(&n.path).expect("read");
        if now == n.new {
            race.lost += 1;
            if result.is_ok() && staged <= save_began && save_began <= renamed {
                race.lost_in_window += 1;
            }
        } else {
            assert_eq!(
                now, saved_text,
                "the note is the save or the write: {result:?}"
            );
        }
    }
    race
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("benchmark skipped (run with `cargo bench --bench writeback`)");
        return;
    }
    let rounds: usize = std::env::var("DECKSMITH_BENCH_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    // On the disk the build is on, not a memory file system: flushes and renames cost what
    // they cost in a vault.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let root = dir.path();
    vaultgen::generate(root, 204, false).expect("generate");
    let notes = notes(root);
    let size = notes.iter().map(|n| n.original.len()).sum::<usize>() / notes.len();
    eprintln!("{} notes of {size} bytes on average", notes.len());

    let mut one = Vec::new();
    let mut two = Vec::new();
    for _ in 0..rounds {
        one.extend(write_all(root, &notes));
        let (a, b) = notes.split_at(notes.len() / 2);
        let (ra, rb) = std::thread::scope(|s| {
            let ta = s.spawn(|| write_all(root, a));
            let rb = write_all(root, b);
            (ta.join().expect("writer"), rb)
        });
        two.extend(ra);
        two.extend(rb);
    }
    println!(
        "| writes | notes written | unprotected window, median | p99 | max | whole write, median |"
    );
    println!("|---|---|---|---|---|---|");
    row("one at a time", &one);
    row("two at a time", &two);

    let mut whole: Vec<Duration> = one.iter().map(|s| s.1).collect();
    whole.sort();
    let span = percentile(&whole, 0.5) * 5 / 4;
    let saves = rounds * 100;
    let r = race(root, &notes, saves, span);
    println!();
    println!(
        "| saves fired within {} of a write's start | began while it ran | lost | lost, begun inside the window |",
        micros(span)
    );
    println!("|---|---|---|---|");
    println!(
        "| {saves} | {} | {} | {} |",
        r.during, r.lost, r.lost_in_window
    );
}
