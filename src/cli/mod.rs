//! The command line: argument definitions, subcommands and exit statuses.
//!
//! Errors about the tool (bad arguments, bad config, an invalid schema) are not findings:
//! they print one message and exit with 2. A single unreadable note is a finding.

mod fixes;
mod hook;
pub mod output;
mod sync;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config;
use crate::lint::diagnostic::Severity;
use crate::lint::{self, Overrides, Settings, registry};
use crate::vault::load::{self, Targets, VaultSettings};

/// The process exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// No error-level findings.
    Success,
    /// Findings at error level (or warnings with `--deny-warnings`).
    Failure,
    /// A usage, configuration or internal error.
    Error,
    /// `sync` could not reach a compatible Anki; nothing was changed.
    Unavailable,
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> ExitCode {
        match s {
            ExitStatus::Success => ExitCode::SUCCESS,
            ExitStatus::Failure => ExitCode::from(1),
            ExitStatus::Error => ExitCode::from(2),
            ExitStatus::Unavailable => ExitCode::from(3),
        }
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "decksmith",
    version,
    about = "Lint Markdown study notes and turn them into Anki cards"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check notes: front-matter integrity, schemas, naming, sections, links.
    Check(CheckArgs),
    /// Generate the Anki cards of notes: a summary, JSON, or an HTML preview.
    Cards(CardsArgs),
    /// Push cards to Anki through AnkiConnect and write `anki_id`/`synced_at` back.
    ///
    /// Exit codes: 0 everything planned was done; 1 some cards failed or were edited in Anki
    /// (conflicts), notes were skipped or not written, Anki holds duplicates of a card (see
    /// --dedupe), Anki failed part-way (each listed with its reason; what was done is written
    /// back), or the AnkiWeb sync failed; 2 usage or configuration error (a bad `--anki-url`
    /// or `[anki]` value included), or another sync of the vault is running; 3 Anki
    /// unreachable or incompatible, nothing changed (a malformed reply, one that is not
    /// AnkiConnect's, counts as incompatible: 3 before anything changed, 1 part-way).
    Sync(SyncArgs),
    /// Show the documentation of a rule, or list all rules.
    Rule(RuleArgs),
    /// Write a starter decksmith.toml and the schemas into a vault (never overwrites).
    Init(InitArgs),
    /// Install or remove a plain git pre-commit hook (without the pre-commit framework).
    Hook(HookArgs),
}

#[derive(Args, Debug)]
pub struct HookArgs {
    #[command(subcommand)]
    pub action: HookAction,
    /// The git repository (default: the current folder).
    #[arg(long, global = true, default_value = ".")]
    pub repo: PathBuf,
}

#[derive(Subcommand, Debug, Clone, Copy)]
pub enum HookAction {
    /// Write .git/hooks/pre-commit; refuses to replace a hook decksmith did not write.
    Install,
    /// Remove the hook, if decksmith wrote it.
    Uninstall,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Source snippets with labels and help.
    Full,
    /// One line per finding: `path:line:col: CODE [severity] message`.
    Concise,
    /// A versioned JSON document (see docs/output.md).
    Json,
    /// GitHub Actions workflow annotations.
    Github,
    /// SARIF 2.1.0.
    Sarif,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

/// Where the vault and its settings are.
#[derive(Args, Debug)]
pub struct VaultArgs {
    /// Use this config file (its folder is the vault root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore decksmith.toml files and use the built-in defaults.
    #[arg(long, conflicts_with = "config")]
    pub isolated: bool,
    /// Print the vault root, how it was found, the config file and the effective settings,
    /// then exit.
    #[arg(long)]
    pub show_settings: bool,
    /// Say on stderr which vault root and config are used.
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CardsFormat {
    /// A summary per note: slugs, deck, tags, sizes.
    Text,
    /// Every card with all its fields.
    Json,
}

/// `sync --format`: the same value names as `cards --format`, describing sync's output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SyncFormat {
    /// The plan (what each card needs, conflicts, orphans, skipped notes) and a summary of
    /// what was done.
    Text,
    /// The plan and what was done as one JSON document (see docs/output.md).
    Json,
}

#[derive(Args, Debug)]
pub struct CardsArgs {
    /// Notes or folders to generate cards for (default: the whole vault).
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub vault: VaultArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: CardsFormat,
    /// Also write a static HTML preview (index and one page per note) into this folder.
    #[arg(long, value_name = "DIR")]
    pub html: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct SyncArgs {
    /// Notes or folders to sync (default: the whole vault).
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub vault: VaultArgs,
    /// Print the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Show the changed lines of every field to update.
    #[arg(long)]
    pub diff: bool,
    /// Output format of the plan and summary.
    #[arg(long, value_enum, default_value = "text")]
    pub format: SyncFormat,
    /// AnkiConnect's address [default: `[anki] url`, http://127.0.0.1:8765].
    #[arg(long, value_name = "URL")]
    pub anki_url: Option<String>,
    /// Delete decksmith's notes in Anki whose card no longer exists in the vault (whole-vault
    /// syncs only; refused beyond `[anki] prune-limit` of the notes unless --force).
    #[arg(long)]
    pub prune: bool,
    /// Delete the extra Anki notes of a slug that several notes carry (a crash or another
    /// tool can create them; sync always lists them). Keeps the note the vault records, else
    /// the one with reviews, else the oldest; refused beyond `[anki] prune-limit` unless
    /// --force.
    #[arg(long)]
    pub dedupe: bool,
    /// Allow --prune and --dedupe beyond their safety limit.
    #[arg(long)]
    pub force: bool,
    /// When another sync of the vault runs, wait for it instead of stopping (exit 2).
    #[arg(long)]
    pub wait: bool,
    /// Make Anki's note type match this decksmith's: add missing fields and put decksmith's
    /// first (other fields are kept), replace its card template and styling.
    ///
    /// Changing fields or templates is a schema change: on its next sync with AnkiWeb, Anki
    /// demands a one-way full sync, and reviews made on other devices since their last sync
    /// can be lost. Sync every device with AnkiWeb first. Without this flag decksmith never
    /// changes a note type: it stops when the fields differ and reports other differences.
    #[arg(long)]
    pub update_note_type: bool,
    /// Replace notes edited in Anki since decksmith last pushed them with the vault's
    /// version. Without it such notes are listed as conflicts and left alone (exit 1).
    #[arg(long)]
    pub overwrite: bool,
    /// Read every decksmith note from Anki. By default a sync reads only the notes Anki
    /// reports edited since the last complete sync (by day), the notes whose card changed in
    /// the vault and those the push state cannot vouch for; use this once after restoring an
    /// Anki backup or replacing the collection with an older one from AnkiWeb.
    #[arg(long)]
    pub read_all: bool,
    /// After a run that did everything it planned (even with nothing to change), ask Anki to
    /// sync with AnkiWeb, so other devices get the cards now [default: `[anki] anki-web`].
    /// Never in a dry run; a failed AnkiWeb sync exits with 1 and undoes nothing.
    #[arg(long, overrides_with = "no_anki_web")]
    pub anki_web: bool,
    /// Do not sync with AnkiWeb, whatever `[anki] anki-web` says.
    #[arg(long, overrides_with = "anki_web")]
    pub no_anki_web: bool,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Files or folders to report on (default: the whole vault). The vault is always
    /// indexed whole, so checks that need other notes stay correct.
    pub paths: Vec<PathBuf>,
    /// Output format [default: full on a terminal, concise otherwise].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    #[command(flatten)]
    pub vault: VaultArgs,
    /// Only these rules (codes, names or prefixes; comma-separated). Replaces `select`.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,
    /// Rules to add to the selection.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub extend_select: Vec<String>,
    /// Rules to skip.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,
    /// Apply the config's excludes to files named on the command line too (pre-commit).
    #[arg(long)]
    pub force_exclude: bool,
    /// Check what is staged in git for the next commit, not the work tree: the staged notes
    /// (narrowed to PATHS if given) as git's index holds them, against the vault as it will
    /// be committed, plus notes whose links break because the commit deletes or renames a note.
    #[arg(long)]
    pub staged: bool,
    /// Do not read or write the caches in `.decksmith-cache/` (the index of the vault's
    /// notes, and each note's findings): check every note from its bytes.
    #[arg(long, env = "DECKSMITH_NO_CACHE", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_cache: bool,
    /// Exit with 0 even when errors are found.
    #[arg(long)]
    pub exit_zero: bool,
    /// Exit with 1 when warnings are found too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Print findings only, no summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// Print a count of findings per rule after the report.
    #[arg(long)]
    pub statistics: bool,
    /// When to use colours.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,
    /// Apply the rules' safe fixes to the notes (each proven, then written atomically), and
    /// report what is left.
    #[arg(long, conflicts_with = "staged")]
    pub fix: bool,
    /// With --fix or --diff: unsafe fixes too (they may change what a note says).
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Print the fixes as unified diffs and write nothing; exit 1 when there is any.
    #[arg(long, conflicts_with_all = ["staged", "fix"])]
    pub diff: bool,
    /// With --fix: list every fix applied.
    #[arg(long)]
    pub show_fixes: bool,
    /// With --fix or --diff, and --unsafe-fixes: bring back front-matter keys a note lost
    /// (its front matter holds only `anki_cards`, or lacks required keys) from its most
    /// recent committed version whose front matter was intact, following renames.
    #[arg(long, requires = "unsafe_fixes")]
    pub restore_from_git: bool,
}

#[derive(Args, Debug)]
pub struct RuleArgs {
    /// A rule code or name, e.g. FM003 or broken-fence.
    pub rule: Option<String>,
    /// List every rule.
    #[arg(long, conflicts_with = "rule")]
    pub all: bool,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// The vault folder (default: the current folder).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// The configuration to start from (default: `interview` when the vault holds notes
    /// named like `q-<slug>--<topic>--<difficulty>.md`, else `generic`).
    #[arg(long, value_enum)]
    pub preset: Option<config::Preset>,
}

/// Run the parsed command line.
pub fn run(cli: Cli) -> ExitStatus {
    let result = match cli.command {
        Command::Check(args) => check(&args),
        Command::Cards(args) => cards(&args),
        Command::Sync(args) => sync::sync(&args),
        Command::Rule(args) => rule(&args),
        Command::Init(args) => init(&args),
        Command::Hook(args) => {
            let done = match args.action {
                HookAction::Install => hook::install(&args.repo),
                HookAction::Uninstall => hook::uninstall(&args.repo),
            };
            done.and_then(|text| write_stdout(&text).map(|()| ExitStatus::Success))
        }
    };
    match result {
        Ok(status) => status,
        Err(message) => {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "decksmith: error: {message}");
            ExitStatus::Error
        }
    }
}

fn use_color(choice: Color) -> bool {
    match choice {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                false
            } else if std::env::var_os("FORCE_COLOR").is_some_and(|v| !v.is_empty()) {
                true
            } else {
                std::io::stdout().is_terminal()
            }
        }
    }
}

/// How to print vault-relative paths so they are clickable from the current folder: the
/// root relative to it (`vault/`, `../../`), or absolute when they share nothing useful.
fn root_prefix(root: &Path) -> String {
    let cwd = std::env::current_dir().and_then(std::fs::canonicalize).ok();
    let Some(cwd) = cwd else {
        return format!("{}/", root.display());
    };
    if let Ok(rel) = root.strip_prefix(&cwd) {
        return if rel.as_os_str().is_empty() {
            String::new()
        } else {
            format!("{}/", rel.to_string_lossy().replace('\\', "/"))
        };
    }
    // The current folder is inside the vault (a note's folder): climb to the root.
    match cwd.strip_prefix(root) {
        Ok(below) => "../".repeat(below.components().count()),
        Err(_) => format!("{}/", root.display()),
    }
}

/// Warnings about the run (named files skipped, an empty vault) go to stderr, so they never
/// mix with a machine-readable report.
fn print_warnings(warnings: &[String]) {
    let mut err = std::io::stderr().lock();
    for w in warnings {
        let _ = writeln!(err, "decksmith: warning: {}", output::escape_control(w));
    }
}

/// Standard output as a `fmt::Write`, buffered: findings are written as they are rendered.
/// The first write error is kept for [`StdoutSink::finish`]; a closed pipe
/// (`decksmith check | head`) is not an error.
struct StdoutSink {
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
    error: Option<std::io::Error>,
}

impl StdoutSink {
    fn new() -> StdoutSink {
        StdoutSink {
            out: std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock()),
            error: None,
        }
    }

    fn finish(mut self) -> Result<(), String> {
        if self.error.is_none()
            && let Err(e) = self.out.flush()
        {
            self.error = Some(e);
        }
        match self.error {
            Some(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(format!("cannot write output: {e}"))
            }
            _ => Ok(()),
        }
    }
}

impl std::fmt::Write for StdoutSink {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.error.is_some() {
            return Err(std::fmt::Error);
        }
        self.out.write_all(s.as_bytes()).map_err(|e| {
            self.error = Some(e);
            std::fmt::Error
        })
    }
}

fn write_stdout(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        // A closed pipe (`decksmith check | head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("cannot write output: {e}")),
        Ok(()) => Ok(()),
    }
}

/// Find the vault of a run and load its settings; `--show-settings` and `--verbose` say
/// which root and config were used.
/// `None` when `--show-settings` printed them and the run ends there.
fn load_config(paths: &[PathBuf], args: &VaultArgs) -> Result<Option<config::Loaded>, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current folder: {e}"))?;
    let found = crate::vault::root::discover(
        paths.first().map(PathBuf::as_path),
        &cwd,
        args.config.as_deref(),
    )
    .map_err(|e| e.to_string())?;
    let file = if args.isolated {
        None
    } else {
        found.config.clone()
    };
    let loaded = config::load(found.root.clone(), file).map_err(|e| e.to_string())?;
    if args.verbose {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "decksmith: vault {} ({}), config {}",
            found.root.display(),
            found.found_by.describe(),
            loaded.file.as_ref().map_or_else(
                || "built-in defaults".to_string(),
                |f| f.display().to_string()
            )
        );
    }
    if args.show_settings {
        write_stdout(&show_settings(&found, &loaded))?;
        return Ok(None);
    }
    Ok(Some(loaded))
}

fn show_settings(found: &crate::vault::root::VaultRoot, loaded: &config::Loaded) -> String {
    let mut out = String::new();
    let path_or =
        |p: Option<&Path>, none: &str| p.map_or(none.to_string(), |p| p.display().to_string());
    out.push_str(&format!("# Vault root: {}\n", found.root.display()));
    let how = match &found.base {
        Some(base) => format!("{} {}", found.found_by.describe(), base.display()),
        None => found.found_by.describe().to_string(),
    };
    out.push_str(&format!("# Found as: {how}\n"));
    out.push_str(&format!(
        "# Config file: {}\n",
        path_or(loaded.file.as_deref(), "none (built-in defaults)")
    ));
    out.push_str(&format!(
        "# Git work tree: {}\n",
        path_or(found.work_tree.as_deref(), "none")
    ));
    out.push_str(&format!(
        "# Cache: {}\n",
        found.root.join(crate::vault::cache::DIR).display()
    ));
    out.push_str("# Effective configuration:\n");
    out.push_str(&loaded.effective_toml());
    out
}

fn load_settings(args: &CheckArgs) -> Result<Option<Settings>, String> {
    let Some(loaded) = load_config(&args.paths, &args.vault)? else {
        return Ok(None);
    };
    let overrides = Overrides {
        select: args.select.clone(),
        extend_select: args.extend_select.clone(),
        ignore: args.ignore.clone(),
    };
    Settings::new(loaded, &overrides)
        .map(Some)
        .map_err(|e| e.to_string())
}

fn check(args: &CheckArgs) -> Result<ExitStatus, String> {
    let Some(settings) = load_settings(args)? else {
        return Ok(ExitStatus::Success);
    };
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Full
    } else {
        Format::Concise
    });
    let targets = Targets {
        keep_fixable: args.fix || args.diff,
        skip_label_positions: format == Format::Concise,
        staged: None,
        paths: args.paths.clone(),
        force_exclude: args.force_exclude,
        cache: match (args.no_cache, args.fix || args.diff) {
            (true, _) => load::Caching::Off,
            (false, true) => load::Caching::Read,
            (false, false) => load::Caching::On,
        },
    };
    let report = if args.staged {
        let staged = settings.staged().map_err(|e| e.to_string())?;
        let targets = Targets {
            keep_fixable: false,
            staged: Some(load::StagedTargets {
                changed: staged.changed,
                removed: staged.removed,
            }),
            ..targets
        };
        lint::check_listing(&settings, &targets, staged.listing)
    } else {
        lint::check(&settings, &targets)
    }
    .map_err(|e| e.to_string())?;
    print_warnings(&report.warnings);
    let mode = lint::fix::FixMode {
        unsafe_fixes: args.unsafe_fixes,
    };
    if args.restore_from_git && !(args.fix || args.diff) {
        return Err("--restore-from-git offers fixes: use it with --fix or --diff".into());
    }
    let mut report = report;
    if args.restore_from_git {
        fixes::offer_restores(&settings, &mut report);
    }
    if args.diff {
        return fixes::diff(&settings, &report, mode);
    }
    let fixed = if args.fix {
        Some(fixes::fix(&settings, &mut report, mode))
    } else {
        None
    };
    let rendered = output::Rendered::new(&report);
    let prefix = root_prefix(settings.root());
    let mut text = match format {
        Format::Full => output::full::render(&rendered, use_color(args.color), &prefix),
        Format::Concise => {
            let mut out = StdoutSink::new();
            let _ = output::concise::render_into(&rendered, &prefix, &mut out);
            out.finish()?;
            String::new()
        }
        Format::Json => output::json::render(&rendered),
        Format::Github => output::github::render(&rendered, &prefix),
        Format::Sarif => output::sarif::render(&rendered, settings.root()),
    };
    let human = matches!(format, Format::Full | Format::Concise);
    if human && args.statistics {
        text.push_str(&statistics(&report));
    }
    if let Some(fixed) = &fixed
        && human
        && !args.quiet
    {
        text.push_str(&fixed.describe(args.show_fixes, &prefix));
    }
    if human && !args.quiet {
        text.push_str(&rendered.summary());
        text.push('\n');
        text.push_str(&fixes::still_fixable(&report, mode, fixed.is_some()));
    }
    write_stdout(&text)?;
    let deny_warnings = args.deny_warnings || settings.loaded.config.lint.deny_warnings;
    let failing = report.diagnostics.iter().any(|d| {
        d.severity == Severity::Error || (deny_warnings && d.severity == Severity::Warning)
    });
    drop(rendered);
    // The process ends with this command: freeing a report of hundreds of thousands of
    // findings one allocation at a time would cost more than the exit, which frees it whole.
    std::mem::forget(report);
    Ok(if failing && !args.exit_zero {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

fn statistics(report: &lint::Report) -> String {
    let mut counts: std::collections::BTreeMap<(&str, &str), usize> = Default::default();
    for d in &report.diagnostics {
        *counts.entry((d.code, d.name())).or_default() += 1;
    }
    let mut out = String::new();
    for ((code, name), n) in counts {
        out.push_str(&format!("{n:>5}  {code:<7} {name}\n"));
    }
    out
}

fn cards(args: &CardsArgs) -> Result<ExitStatus, String> {
    let Some(loaded) = load_config(&args.paths, &args.vault)? else {
        return Ok(ExitStatus::Success);
    };
    // Cards need the vault's settings only: the rule settings are not compiled.
    let settings = VaultSettings::new(loaded).map_err(|e| e.to_string())?;
    let targets = Targets {
        staged: None,
        paths: args.paths.clone(),
        force_exclude: false,
        cache: load::Caching::Off,
        keep_fixable: false,
        skip_label_positions: false,
    };
    let cfg = &settings.loaded.config;
    let vault = vault_name(&settings);
    // Each note is cut and rendered as it is read, and dropped: only the cards are kept.
    let (all, warnings) = load::map_notes(&settings, &targets, true, |note| {
        crate::cards::cards_of(&note, &cfg.kinds, &cfg.cards, &vault)
    })
    .map_err(|e| e.to_string())?;
    print_warnings(&warnings);
    if let Some(dir) = &args.html {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let models = crate::cards::model::Models::new(&cfg.kinds, &cfg.anki.note_type)?;
        for (name, text) in crate::cards::preview::site(&all, &models) {
            let path = dir.join(name);
            std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    let text = match args.format {
        CardsFormat::Json => {
            // Serialised from the cards themselves: a JSON tree of them first was a copy.
            #[derive(serde::Serialize)]
            struct Doc<'a> {
                version: u32,
                notes: &'a [crate::cards::NoteCards],
            }
            let doc = Doc {
                version: 1,
                notes: &all,
            };
            let mut s = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
            s.push('\n');
            s
        }
        CardsFormat::Text => output::cards::render(&all, args.html.as_deref()),
    };
    write_stdout(&text)?;
    Ok(ExitStatus::Success)
}

fn vault_name(settings: &VaultSettings) -> String {
    let cfg = &settings.loaded.config.cards;
    if cfg.vault_name.is_empty() {
        settings
            .root()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    } else {
        cfg.vault_name.clone()
    }
}

fn rule(args: &RuleArgs) -> Result<ExitStatus, String> {
    if args.all || args.rule.is_none() {
        let mut text = String::new();
        for r in registry::all() {
            let sev = r.default_severity.map_or("off", Severity::as_str);
            text.push_str(&format!(
                "{:<7} {:<30} {:<8} {}\n",
                r.code, r.name, sev, r.summary
            ));
        }
        write_stdout(&text)?;
        return Ok(ExitStatus::Success);
    }
    let key = args.rule.as_deref().unwrap_or_default();
    let r = registry::find(key)
        .ok_or_else(|| format!("no rule `{key}` (see `decksmith rule --all`)"))?;
    let sev = r.default_severity.map_or("off", Severity::as_str);
    let text = format!(
        "# {} ({})\n\nDefault severity: {sev}\nFix: {}\n\n{}",
        r.name,
        r.code,
        r.fix.describe(),
        r.documentation()
    );
    write_stdout(&text)?;
    Ok(ExitStatus::Success)
}

fn init(args: &InitArgs) -> Result<ExitStatus, String> {
    let dir = &args.dir;
    if !dir.is_dir() {
        return Err(format!("`{}` is not a folder", dir.display()));
    }
    let found = detect_preset(dir);
    let preset = args.preset.unwrap_or(found.preset);
    let (toml, schemas) = preset.files(found.cloze);
    let mut files: Vec<(PathBuf, &str)> = vec![(dir.join(config::FILE_NAME), &toml)];
    for (name, text) in schemas {
        files.push((dir.join("schemas").join(name), text));
    }
    let mut out = format!(
        "preset   {}{}\n",
        preset_name(preset),
        if args.preset.is_none() {
            " (found from the vault's notes; --preset picks another)"
        } else {
            ""
        }
    );
    if preset == config::Preset::Generic {
        out.push_str(if found.cloze {
            "cards    cloze cards (the notes hold {{c1::…}} deletions)\n"
        } else {
            "cards    one per `##` heading\n"
        });
    }
    for (path, text) in files {
        if path.exists() {
            out.push_str(&format!("kept     {} (exists)\n", path.display()));
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        // `create_new` refuses to replace a file created since the check above.
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        file.write_all(text.as_bytes())
            .map_err(|e| format!("{}: {e}", path.display()))?;
        out.push_str(&format!("created  {}\n", path.display()));
    }
    write_stdout(&out)?;
    Ok(ExitStatus::Success)
}

fn preset_name(preset: config::Preset) -> &'static str {
    match preset {
        config::Preset::Interview => "interview",
        config::Preset::Generic => "generic",
    }
}

/// What `init` finds in a vault's notes.
struct Found {
    preset: config::Preset,
    /// The notes hold Anki cloze deletions: the generic preset then makes cloze cards.
    cloze: bool,
}

/// The notes `init` reads for cloze deletions, at most: enough to tell a vault's habits,
/// bounded whatever its size.
const INIT_SAMPLE: usize = 2000;

/// The interview preset when the vault holds a question note named as that vault names
/// them (`q-<slug>--<topic>--<difficulty>.md`), the generic one otherwise; and whether its
/// notes write cloze deletions (`{{c1::…}}`, in the first notes read, up to 1 MB each).
fn detect_preset(dir: &Path) -> Found {
    let none = globset::GlobSet::empty();
    let notes = crate::vault::walk::walk(dir, &none, &["md".to_string()]).notes;
    let interview = regex::Regex::new(r"^q-[a-z0-9-]+--[a-z0-9-]+--(easy|medium|hard)\.md$")
        .map(|re| {
            notes
                .iter()
                .any(|e| re.is_match(e.rel.rsplit('/').next().unwrap_or(&e.rel)))
        })
        .unwrap_or(false);
    let deletion = regex::Regex::new(r"\{\{c[1-9][0-9]*::").ok();
    let cloze = deletion.is_some_and(|re| {
        notes.iter().take(INIT_SAMPLE).any(|e| {
            std::fs::metadata(&e.path).is_ok_and(|m| m.len() <= 1 << 20)
                && std::fs::read_to_string(&e.path).is_ok_and(|t| re.is_match(&t))
        })
    });
    Found {
        preset: if interview {
            config::Preset::Interview
        } else {
            config::Preset::Generic
        },
        cloze,
    }
}
