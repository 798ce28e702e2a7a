//! `decksmith sync`: reads Anki while the vault is read, runs the sync, reports it.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};

use super::{
    ExitStatus, SyncArgs, SyncFormat, Targets, VaultSettings, load_config, output, vault_name,
    write_stdout,
};
use crate::vault::load;

/// A progress bar on stderr, drawn only when stderr is a terminal (never under pre-commit,
/// CI or a pipe).
struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    fn new() -> Bar {
        Bar(std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::hidden();
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            bar
        }))
    }
}

impl crate::sync::apply::Progress for Bar {
    fn start(&self, phase: &str, total: usize) {
        if let Some(b) = &self.0 {
            b.reset();
            b.set_length(total as u64);
            b.set_message(phase.to_string());
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{msg:>16} [{bar:40}] {pos}/{len}")
            {
                b.set_style(style.progress_chars("=> "));
            }
        }
    }

    fn advance(&self, n: usize) {
        if let Some(b) = &self.0 {
            b.inc(n as u64);
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

/// The vault side of a sync: notes, their cards (media renamed), media to store.
struct SyncVault {
    notes: Vec<crate::vault::note::Note>,
    cards: Vec<crate::cards::NoteCards>,
    media: Vec<crate::sync::media::MediaFile>,
    missing_media: Vec<(String, String)>,
    /// The source key of every note rendered in this run, by path.
    keys: HashMap<String, String>,
    /// Cards kept from the last run: slug → their fields' hash.
    kept: HashMap<String, String>,
}

/// A note's cards; the source key when they were rendered, else the fields' hash of each
/// kept card by slug.
type Made = (
    crate::cards::NoteCards,
    Option<String>,
    Vec<(String, String)>,
);

/// The vault's side of a sync: cards rendered, or kept from the last run when the push
/// state vouches for them ([`crate::sync::reuse`]), and the images they show.
fn sync_vault(
    settings: &VaultSettings,
    notes: Vec<crate::vault::note::Note>,
    state: &crate::sync::state::PushState,
    known: &HashMap<i64, crate::sync::state::Known>,
) -> SyncVault {
    use rayon::prelude::*;
    let cfg = &settings.loaded.config;
    let vault = vault_name(settings);
    let by_slug: HashMap<&str, &crate::sync::state::Known> =
        known.values().map(|k| (k.slug.as_str(), k)).collect();
    // Notes were read for their front matter: that, and the body's bytes, make the key. Only
    // a note whose cards cannot be kept has its body parsed and its cards rendered.
    let mut notes = notes;
    let settings_key = crate::cards::settings_key(&cfg.kinds, &cfg.cards, &vault);
    let kept_of: Vec<Option<Made>> = notes
        .par_iter()
        .map(|n| {
            crate::cards::card_kind(n, &cfg.kinds)?;
            let key = crate::cards::source_key(n, &settings_key);
            Some(
                match state
                    .rendered(&n.path)
                    .filter(|r| r.key == key)
                    .and_then(|r| r.reuse(&n.path, &by_slug))
                {
                    Some((nc, hashes)) => (nc, None, hashes),
                    None => (crate::cards::NoteCards::default(), Some(key), Vec::new()),
                },
            )
        })
        .collect();
    let made: Vec<Made> = notes
        .par_iter_mut()
        .zip(kept_of)
        .filter_map(|(n, made)| {
            let (nc, key, hashes) = made?;
            if key.is_none() {
                return Some((nc, key, hashes));
            }
            n.summarise_body();
            let kind = crate::cards::card_kind(n, &cfg.kinds)?;
            Some((
                crate::cards::note_cards(n, kind, &cfg.cards, &vault),
                key,
                hashes,
            ))
        })
        .collect();
    let mut cards = Vec::with_capacity(made.len());
    let mut keys = HashMap::new();
    let mut kept = HashMap::new();
    for (nc, key, hashes) in made {
        if let Some(key) = key {
            keys.insert(nc.note.clone(), key);
        }
        kept.extend(hashes);
        cards.push(nc);
    }
    // Images are resolved against the whole vault and stored under content names. Without
    // any, the vault is neither indexed nor walked a second time.
    let (media, missing_media) = if cards
        .iter()
        .any(|n| n.cards.iter().any(|c| !c.media.is_empty()))
    {
        let entries: Vec<crate::vault::index::IndexEntry> = notes
            .iter()
            .map(crate::vault::index::IndexEntry::of)
            .collect();
        let index =
            crate::vault::index::VaultIndex::build(&entries, &load::attachments(settings), false);
        crate::sync::media::prepare(
            cards.iter_mut().flat_map(|n| n.cards.iter_mut()),
            &index,
            settings.root(),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    SyncVault {
        notes,
        cards,
        media,
        missing_media,
        keys,
        kept,
    }
}

/// Seconds since the Unix epoch (the push state's marks; 0 on a clock before 1970).
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Report a sync that could not reach a compatible Anki (exit code 3). The message passes
/// the client's scrub: some errors are built outside the client from what Anki sent.
fn anki_unavailable(e: &crate::sync::apply::SyncError, client: &crate::anki::Client) -> ExitStatus {
    let url = client.url();
    let hint = match e {
        crate::sync::apply::SyncError::Anki(a) if a.to_string().contains("valid api key") => {
            "\n  hint: AnkiConnect has an API key (its `apiKey` setting): put the same key in \
             DECKSMITH_ANKI_KEY, or unset DECKSMITH_ANKI_KEY if AnkiConnect has none"
                .to_string()
        }
        crate::sync::apply::SyncError::Anki(a) if a.is_unreachable() => format!(
            "\n  hint: start Anki with the AnkiConnect add-on installed (add-on code 2055492159), \
             or check the address ({url}); AnkiConnect's API key, if set, goes in DECKSMITH_ANKI_KEY"
        ),
        crate::sync::apply::SyncError::Anki(crate::anki::AnkiError::Decode { .. }) => format!(
            "\n  hint: what answers at {url} is not a compatible AnkiConnect: check the address, \
             and that the AnkiConnect add-on is up to date"
        ),
        _ => String::new(),
    };
    let message = client.scrub(&e.to_string());
    let _ = writeln!(std::io::stderr().lock(), "decksmith: {message}{hint}");
    ExitStatus::Unavailable
}

pub(super) fn sync(args: &SyncArgs) -> Result<ExitStatus, String> {
    let Some(loaded) = load_config(&args.paths, &args.vault)? else {
        return Ok(ExitStatus::Success);
    };
    // Sync needs the vault's settings only: a mistake in `[lint]` does not stop it.
    let settings = VaultSettings::new(loaded).map_err(|e| e.to_string())?;
    let cfg = &settings.loaded.config;
    let targets = Targets {
        keep_fixable: false,
        staged: None,
        paths: args.paths.clone(),
        force_exclude: true,
        cache: load::Caching::Off,
        skip_label_positions: false,
    };
    // `[anki] url` was checked with the config; the option is checked here, before the
    // vault is read or anything is sent.
    let url = match &args.anki_url {
        Some(url) => {
            crate::anki::check_url(url).map_err(|reason| {
                format!("--anki-url {url:?} is not an AnkiConnect address: {reason}")
            })?;
            url.clone()
        }
        None => cfg.anki.url.clone(),
    };
    let key = std::env::var("DECKSMITH_ANKI_KEY").ok();
    let client = crate::anki::Client::new(&url, key).map_err(|e| e.to_string())?;
    // One sync of a vault at a time (a dry run changes nothing and needs no lock); held until
    // this function returns, the write-back and the push state included.
    let models = crate::cards::model::Models::new(&cfg.kinds, &cfg.anki.note_type)?;
    let _lock = if args.dry_run {
        None
    } else {
        Some(crate::sync::lock::acquire(settings.root(), args.wait).map_err(|e| e.to_string())?)
    };
    if !args.dry_run
        && let Some(entry) = crate::sync::journal::pending(settings.root())
    {
        let _ = writeln!(
            std::io::stderr().lock(),
            "decksmith: an interrupted sync sent {} notes to Anki; waiting for Anki to finish them (at most {:.1} s)",
            entry.slugs.len(),
            entry.bound_ms as f64 / 1000.0
        );
        let settled = crate::sync::journal::settle(
            settings.root(),
            &client,
            &models,
            &entry,
            std::time::Duration::from_millis(200),
        );
        match settled {
            Ok(s) => {
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "decksmith: Anki holds {} of them (waited {} ms); they are recorded, not added again",
                    s.found,
                    s.waited_ms
                );
            }
            Err(e) => {
                return Ok(anki_unavailable(
                    &crate::sync::apply::SyncError::Anki(e),
                    &client,
                ));
            }
        }
    }
    let mut state = crate::sync::state::PushState::open(settings.root());
    let started = unix_now();
    let window = if args.read_all {
        None
    } else {
        state.window(started)
    };
    // Anki's side does not depend on the vault: it is read while the vault is read and its
    // cards rendered. Only which notes the push state vouches for passes from one to the
    // other (cards of those notes need no rendering), as soon as Anki said which were edited.
    let (vouched, vouched_rx) = std::sync::mpsc::channel();
    let (anki, vault) = std::thread::scope(|scope| {
        let state = &state;
        let client = &client;
        let models = &models;
        let reader = scope.spawn(move || {
            let first = crate::sync::apply::read_anki(client, models, window)?;
            let edited = first.edited().cloned();
            let known = first.trusted(edited.as_ref().map(|e| state.known(e)).unwrap_or_default());
            let _ = vouched.send(known.clone());
            crate::sync::apply::read_unknown(client, first, known, models)
                .map(|partial| (partial, edited))
        });
        let vault = load::read_notes_with(&settings, &targets, false).map(|read| {
            super::print_warnings(&read.warnings);
            let known = vouched_rx.recv().unwrap_or_default();
            sync_vault(&settings, read.notes, state, &known)
        });
        (reader.join(), vault)
    });
    let vault = vault.map_err(|e| e.to_string())?;
    let (anki, edited) = match anki {
        Ok(Ok(read)) => read,
        Ok(Err(e)) => return Ok(anki_unavailable(&e, &client)),
        Err(_) => return Err("reading Anki failed unexpectedly".into()),
    };
    // A fixed value makes runs reproducible (tests, golden files).
    let synced_at = std::env::var("DECKSMITH_SYNCED_AT").unwrap_or_else(|_| {
        crate::vault::timestamp::format(std::time::SystemTime::now(), cfg.anki.synced_at_format)
    });
    let opts = crate::sync::apply::Options {
        dry_run: args.dry_run,
        prune: args.prune,
        force: args.force,
        synced_at,
        update_note_type: args.update_note_type,
        overwrite: args.overwrite,
        dedupe: args.dedupe,
        // Naming the vault's root is syncing all of it; orphans are only known then.
        all: args.paths.is_empty()
            || args.paths.iter().any(|p| {
                crate::vault::walk::relative(settings.root(), p).is_some_and(|r| r.is_empty())
            }),
    };
    let pushed = state.pushed();
    let vault_label = vault_name(&settings);
    let render = |path: &str| {
        let mut note = vault.notes.iter().find(|n| n.path == path)?.clone();
        note.summarise_body();
        let kind = crate::cards::card_kind(&note, &cfg.kinds)?;
        Some(crate::cards::note_cards(
            &note,
            kind,
            &cfg.cards,
            &vault_label,
        ))
    };
    let input = crate::sync::apply::Input {
        root: settings.root(),
        notes: &vault.notes,
        cards: &vault.cards,
        media: &vault.media,
        models: &models,
        pushed: &pushed,
        kept: vault.kept.clone(),
        render: &render,
    };
    let mut outcome =
        match crate::sync::apply::sync(&client, &cfg.anki, input, anki, &opts, &Bar::new()) {
            Ok(mut o) => {
                o.missing_media = vault.missing_media;
                o.stopped = o.stopped.map(|why| client.scrub(&why));
                o
            }
            Err(e) => return Ok(anki_unavailable(&e, &client)),
        };
    if !args.dry_run {
        state.update(&outcome.state, &outcome.exact, &outcome.deleted);
        let rendered: Vec<(&crate::cards::NoteCards, &str)> = vault
            .cards
            .iter()
            .filter_map(|nc| Some((nc, vault.keys.get(&nc.note)?.as_str())))
            .collect();
        let paths: Option<std::collections::HashSet<&str>> = opts
            .all
            .then(|| vault.notes.iter().map(|n| n.path.as_str()).collect());
        state.remember_rendered(&rendered, &outcome.exact, paths.as_ref());
        state.close_run(
            started,
            outcome.complete,
            unix_now(),
            edited.as_ref(),
            &outcome.exact,
        );
        if let Err(e) = state.save() {
            let _ = writeln!(
                std::io::stderr().lock(),
                "decksmith: warning: cannot record what was pushed ({e}); the next sync cannot tell \
                 notes edited in Anki from notes changed in the vault"
            );
        }
    }
    let incomplete = outcome.stopped.is_some()
        || outcome
            .plan
            .steps
            .iter()
            .any(|s| matches!(s.action, crate::sync::plan::Action::Conflict { .. }))
        || !outcome.failed.is_empty()
        || !outcome.missing_media.is_empty()
        || !outcome.skipped_notes.is_empty()
        || !outcome.write_refused.is_empty()
        || outcome.prune_refused.is_some()
        || outcome.dedupe_refused.is_some()
        || (!outcome.plan.duplicates.is_empty() && outcome.deduped == 0);
    if !args.dry_run && (args.anki_web || (cfg.anki.anki_web && !args.no_anki_web)) {
        outcome.anki_web = Some(crate::sync::ankiweb::after_run(&client, !incomplete));
        outcome.requests = client.requests();
    }
    let text = match args.format {
        SyncFormat::Json => output::sync::json(&outcome)?,
        SyncFormat::Text => output::sync::render(&outcome, args.dry_run, args.diff),
    };
    write_stdout(&text)?;
    let web_failed = matches!(
        outcome.anki_web,
        Some(crate::sync::ankiweb::AnkiWeb::Failed(_))
    );
    Ok(if (incomplete && !args.dry_run) || web_failed {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}
