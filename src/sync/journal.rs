/*!
The notes a sync has asked Anki to add and not yet heard back about.

A sync killed (or interrupted) while Anki still processes its `addNotes` leaves notes that
Anki adds *after* the process died. A re-run that reads Anki at once does not see them yet,
plans them again, and duplicates them once the first request lands (measured: 150–287
duplicates in 5 of 5 runs against anki-connect-server). Finding notes by slug, which repairs
every other interruption, cannot help: the notes do not exist yet when it looks.

So before each request that adds notes, sync records their slugs here
(`.decksmith-cache/sync-journal.json`, written atomically) and clears the record once Anki has
answered. A run that finds a record (its writer died mid-request; the sync lock says no other
run is alive) settles it before reading Anki: it searches for the recorded slugs until all of
them exist — the dead run's request has then been processed — or until the time that
request could still take has passed ([`settle_bound`]), and only then plans. On the real add-on, which runs requests one at a time, the first search is
answered after the pending request, so settling costs one request; on anki-connect-server,
which runs them concurrently, it waits for the pending one to commit.

What remains: a request that Anki takes longer to process than its time-out bound (the
record is then dropped and the notes may be planned again). Duplicates from that, or from any
other cause, are detected by slug on every run and removed by `--dedupe`.
*/

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::anki::{AnkiError, Client, action};
use crate::vault::cache;

const FILE: &str = "sync-journal.json";

/// Slugs per search: a query of a few hundred alternatives stays small.
const SLUGS_PER_QUERY: usize = 200;

/// A request that adds notes, in flight.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub pid: u32,
    /// When it was sent (milliseconds since the Unix epoch).
    pub sent_ms: u64,
    /// How long Anki may take to process it once received, in milliseconds.
    pub bound_ms: u64,
    pub slugs: Vec<String>,
}

fn path(root: &Path) -> PathBuf {
    root.join(cache::DIR).join(FILE)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// How long a backend may still be adding `notes` notes after their sender died.
///
/// The real add-on runs requests one at a time, so the first search of the next run is
/// answered only after a pending add: there the bound never matters. anki-connect-server runs
/// requests concurrently and adds 500 notes in about 85 ms; the bound allows thirty times
/// that and more, and stays short when the request never reached the backend (a run killed
/// between writing the record and sending), since nothing then tells the two cases apart.
pub fn settle_bound(notes: usize) -> Duration {
    Duration::from_millis(3_000 + 10 * notes as u64)
}

/// Record the slugs of a request about to be sent, with how long Anki may take for it.
pub fn record(root: &Path, slugs: &[&str], bound: Duration) -> std::io::Result<()> {
    let entry = Entry {
        pid: std::process::id(),
        sent_ms: now_ms(),
        bound_ms: u64::try_from(bound.as_millis()).unwrap_or(u64::MAX),
        slugs: slugs.iter().map(|s| s.to_string()).collect(),
    };
    let bytes = serde_json::to_vec(&entry).map_err(std::io::Error::other)?;
    cache::write_file(&root.join(cache::DIR), FILE, &bytes)
}

/// Anki answered: nothing is in flight.
pub fn clear(root: &Path) {
    let _ = std::fs::remove_file(path(root));
}

/// The record a dead run left, if any.
pub fn pending(root: &Path) -> Option<Entry> {
    let bytes = std::fs::read(path(root)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// How settling a record went.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Settled {
    /// Slugs the interrupted request carried.
    pub slugs: usize,
    /// Of those, how many Anki holds now.
    pub found: usize,
    /// How long this run waited for them.
    pub waited_ms: u64,
}

/// A field search for exactly `value`.
fn slug_term(value: &str) -> String {
    let mut v = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        if matches!(c, '\\' | '"' | '*' | '_' | ':' | '(' | ')') {
            v.push('\\');
        }
        v.push(c);
    }
    format!("\"{}:{v}\"", crate::cards::model::SLUG_FIELD)
}

/// How many of `slugs` Anki has, in one `multi` of searches.
fn count_present(client: &Client, all: &str, slugs: &[String]) -> Result<usize, AnkiError> {
    let subs: Vec<(action::Action, serde_json::Value)> = slugs
        .chunks(SLUGS_PER_QUERY)
        .map(|chunk| {
            let terms: Vec<String> = chunk.iter().map(|s| slug_term(s)).collect();
            let q = format!("{all} ({})", terms.join(" OR "));
            (action::FIND_NOTES, json!({ "query": q }))
        })
        .collect();
    let mut found = 0;
    for r in client.multi(&subs)? {
        let ids: Vec<i64> = super::snapshot::sub_ok(r, action::FIND_NOTES)?;
        found += ids.len();
    }
    Ok(found)
}

/// Wait until the notes of `entry` exist in Anki, or until the request could no longer be
/// running; then drop the record. `poll` is the pause between searches.
pub fn settle(
    root: &Path,
    client: &Client,
    models: &crate::cards::model::Models,
    entry: &Entry,
    poll: Duration,
) -> Result<Settled, AnkiError> {
    let start = Instant::now();
    let all = super::snapshot::query(models);
    let deadline_ms = entry.sent_ms.saturating_add(entry.bound_ms);
    let mut found;
    loop {
        // A backend busy with the pending add may drop a request (anki-connect-server resets
        // the connection now and then while its collection is being written): the searches
        // only read, so they are repeated until the bound, and only then is the error final.
        match count_present(client, &all, &entry.slugs) {
            Ok(n) => found = n,
            Err(e) if now_ms() >= deadline_ms => return Err(e),
            Err(_) => {
                std::thread::sleep(poll);
                continue;
            }
        }
        if found >= entry.slugs.len() || now_ms() >= deadline_ms {
            break;
        }
        std::thread::sleep(poll);
    }
    clear(root);
    Ok(Settled {
        slugs: entry.slugs.len(),
        found,
        waited_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_and_clears() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(pending(dir.path()).is_none());
        record(dir.path(), &["a-0-en", "a-0-ru"], Duration::from_secs(55)).expect("record");
        let entry = pending(dir.path()).expect("pending");
        assert_eq!(entry.slugs, ["a-0-en", "a-0-ru"]);
        assert_eq!(entry.bound_ms, 55_000);
        assert_eq!(entry.pid, std::process::id());
        clear(dir.path());
        assert!(pending(dir.path()).is_none());
    }

    #[test]
    fn slug_searches_escape_what_anki_search_treats_specially() {
        assert_eq!(slug_term("sysdes-039-0-en"), "\"Slug:sysdes-039-0-en\"");
        assert_eq!(slug_term("a_b*c\"d"), "\"Slug:a\\_b\\*c\\\"d\"");
    }
}
