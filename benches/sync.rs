//! `cargo bench --bench sync`: `decksmith sync` against the real Anki engine
//! (anki-connect-server; `DECKSMITH_ANKI_SERVER` names its executable, as `scripts/test`
//! sets it). Measures a first sync of a ~2,000-card vault against the backend's own time
//! for one `addNotes` of the same notes, and a no-op sync: wall time and HTTP requests.

#[path = "support/vaultgen.rs"]
mod vaultgen;

// The test helpers as a whole: the backend's start goes through their rule for missing tools.
#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::anki;
use decksmith::anki::Client;
use decksmith::config;
use decksmith::vault::load::{self, Targets, VaultSettings};

/// One sync: its wall time, requests and notes read from Anki.
fn run_sync(url: &str, vault: &Path) -> (Duration, u64, u64) {
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_decksmith"))
        .args(["sync", "--format", "json", "--anki-url", url])
        .arg(vault)
        .output()
        .expect("sync runs");
    let elapsed = t.elapsed();
    // Exit 1 is expected: the synthetic vault has damaged notes, which sync skips and lists.
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let o: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON outcome");
    let count = |key: &str| o[key].as_u64().expect(key);
    (elapsed, count("requests"), count("notes_read"))
}

/// Five no-op syncs: the median time, and the requests and notes read of the last.
fn no_ops(url: &str, vault: &Path) -> (Duration, u64, u64) {
    let mut times = Vec::new();
    let (mut requests, mut read) = (0, 0);
    for _ in 0..5 {
        let (t, r, n) = run_sync(url, vault);
        times.push(t);
        (requests, read) = (r, n);
    }
    eprintln!(
        "no-op rounds: {}",
        times
            .iter()
            .map(|t| format!("{:.3}", t.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(" / ")
    );
    times.sort();
    (times[2], requests, read)
}

/// Leave the collection and the push state alone for `days` (see `common::anki`).
fn age(server: &mut anki::AnkiServer, vault: &Path, days: i64) {
    server.age_notes(days);
    let path = vault.join(".decksmith-cache/sync-v1.json");
    let mut state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("state")).expect("JSON");
    let mark = state["verified"].as_i64().expect("mark");
    state["verified"] = serde_json::json!(mark - days * 86_400);
    std::fs::write(&path, serde_json::to_vec(&state).expect("JSON")).expect("state");
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("benchmark skipped (run with `cargo bench --bench sync`)");
        return;
    }
    if std::env::var_os("DECKSMITH_ANKI_SERVER").is_none() {
        eprintln!("skipped: set DECKSMITH_ANKI_SERVER (scripts/anki-server prints it)");
        return;
    }
    let notes: usize = std::env::var("DECKSMITH_BENCH_NOTES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1021);
    let vault = tempfile::tempdir().expect("tempdir");
    vaultgen::generate(vault.path(), notes, false).expect("generate");
    // Keep a copy for profiling: DECKSMITH_BENCH_KEEP=DIR writes DIR/sync-<n>/.
    if let Some(keep) = std::env::var_os("DECKSMITH_BENCH_KEEP") {
        let dir = Path::new(&keep).join(format!("sync-{notes}"));
        vaultgen::generate(&dir, notes, false).expect("generate kept vault");
    }

    // The backend's own time for one `addNotes` of exactly the notes sync creates.
    let loaded = config::load(vault.path().to_path_buf(), None).expect("defaults");
    let settings = VaultSettings::new(loaded).expect("settings");
    let cfg = &settings.loaded.config;
    let read = load::read_notes(&settings, &Targets::default())
        .expect("read")
        .notes;
    let cards = decksmith::cards::vault_cards(&read, &cfg.kinds, &cfg.cards, "bench");
    let models = decksmith::cards::model::Models::new(&cfg.kinds, &cfg.anki.note_type)
        .expect("the settings' note types");
    let payload: Vec<serde_json::Value> = cards
        .iter()
        .flat_map(|n| n.cards.iter())
        .map(|c| decksmith::sync::apply::note_json(c, &models))
        .collect();
    let baseline_once = || {
        let server = anki::AnkiServer::start().expect("server");
        let client = Client::new(&server.url, None).expect("client");
        for model in models.iter() {
            decksmith::sync::apply::create_model(&client, model).expect("model");
        }
        let decks: std::collections::BTreeSet<&str> = payload
            .iter()
            .filter_map(|n| n["deckName"].as_str())
            .collect();
        for d in decks {
            client.create_deck(d).expect("deck");
        }
        let t = Instant::now();
        client.add_notes(&payload).expect("addNotes");
        t.elapsed()
    };
    // The machine's speed drifts: baseline and first sync are measured in turns, each on a
    // fresh server (and the sync on a fresh copy of the vault), and the medians compared.
    const ROUNDS: usize = 3;
    let mut baselines = Vec::new();
    let mut firsts = Vec::new();
    let mut first_requests = 0;
    for _ in 0..ROUNDS {
        baselines.push(baseline_once());
        let copy = tempfile::tempdir().expect("tempdir");
        vaultgen::generate(copy.path(), notes, false).expect("generate");
        let server = anki::AnkiServer::start().expect("server");
        let (t, r, _) = run_sync(&server.url, copy.path());
        firsts.push(t);
        first_requests = r;
    }
    let secs = |v: &[Duration]| {
        v.iter()
            .map(|d| format!("{:.3}", d.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    eprintln!(
        "rounds: addNotes {} s; first sync {} s",
        secs(&baselines),
        secs(&firsts)
    );
    baselines.sort();
    firsts.sort();
    let (baseline, first) = (baselines[ROUNDS / 2], firsts[ROUNDS / 2]);

    // No-op syncs of the vault synced once: right after (Anki's search knows edits by day,
    // so what was pushed today is read again), and three days later, once one sync has
    // read the notes pushed back then (from then on they are known).
    let mut server = anki::AnkiServer::start().expect("server");
    run_sync(&server.url, vault.path());
    let same_day = no_ops(&server.url, vault.path());
    age(&mut server, vault.path(), 3);
    let (t, r, n) = run_sync(&server.url, vault.path());
    let days_later = no_ops(&server.url, vault.path());
    println!(
        "| cards | backend `addNotes` alone (median of {ROUNDS}) | first sync (median of {ROUNDS}) | ratio | first-sync requests |"
    );
    println!("|---|---|---|---|---|");
    println!(
        "| {} | {:.3} s | {:.3} s | {:.2}× | {first_requests} |",
        payload.len(),
        baseline.as_secs_f64(),
        first.as_secs_f64(),
        first.as_secs_f64() / baseline.as_secs_f64(),
    );
    println!();
    println!(
        "| no-op sync of {} cards | wall (median of 5) | requests | notes read |",
        payload.len()
    );
    println!("|---|---|---|---|");
    let row = |what: &str, (t, r, n): (Duration, u64, u64)| {
        println!("| {what} | {:.3} s | {r} | {n} |", t.as_secs_f64());
    };
    row("right after the first sync", same_day);
    row("the first sync three days later (one run)", (t, r, n));
    row("after that", days_later);
}
