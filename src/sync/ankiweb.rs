//! Syncing Anki with AnkiWeb after a push (`sync --anki-web`, `[anki] anki-web`).
//!
//! decksmith pushes cards into the desktop app; phones and AnkiWeb get them only when Anki
//! next syncs, which may be hours later. Asking Anki to sync at once (AnkiConnect's `sync`
//! action: what the Sync button does) closes that gap.
//!
//! It is asked for only after a run that did everything it planned, the runs that exit with
//! 0: also when nothing changed, because that costs AnkiWeb little and still carries what
//! was reviewed or edited in Anki since its last sync, so phones get it earlier. A run with
//! failures, conflicts or skipped notes wants attention first and leaves AnkiWeb alone; a
//! dry run never syncs. A failed AnkiWeb sync is reported and fails the run (exit 1), but
//! undoes nothing: the cards are in Anki and reach AnkiWeb with its next sync.

use serde::Serialize;

use crate::anki::Client;

/// What became of the AnkiWeb sync of a run that asked for one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnkiWeb {
    /// Anki synced with AnkiWeb.
    Synced,
    /// Anki could not sync: why (AnkiConnect's message).
    Failed(String),
    /// Not asked for, because the run did not do everything it planned: why.
    Skipped(String),
}

/// Sync with AnkiWeb if the run did everything it planned (`complete`).
pub fn after_run(client: &Client, complete: bool) -> AnkiWeb {
    if !complete {
        return AnkiWeb::Skipped(
            "the run did not do everything it planned (see above); sync again once it does".into(),
        );
    }
    match client.sync_ankiweb() {
        Ok(()) => AnkiWeb::Synced,
        Err(e) => AnkiWeb::Failed(e.to_string()),
    }
}
