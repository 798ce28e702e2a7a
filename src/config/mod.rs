/*!
`decksmith.toml`: discovery, the settings model and the built-in defaults.

The defaults live in `default.toml` (embedded, and written out by `decksmith init`), not in
code: a vault with other topics, other headings or other note kinds changes data. A user's
file is deep-merged over the defaults table by table, so it only needs the values it
changes; arrays (and so the list of kinds) are replaced whole, never concatenated, because a
half-merged list of kinds would be impossible to reason about.
*/

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

pub const DEFAULT_TOML: &str = include_str!("default.toml");
pub const FILE_NAME: &str = "decksmith.toml";

/// Built-in schemas, used when the vault has no file at a kind's schema path.
pub const BUILTIN_SCHEMAS: &[(&str, &str)] = &[
    (
        "qa-note.schema.json",
        include_str!("../../schemas/qa-note.schema.json"),
    ),
    (
        "concept-note.schema.json",
        include_str!("../../schemas/concept-note.schema.json"),
    ),
    (
        "moc.schema.json",
        include_str!("../../schemas/moc.schema.json"),
    ),
    (
        "kb-concept.schema.json",
        include_str!("../../schemas/kb-concept.schema.json"),
    ),
    (
        "note.schema.json",
        include_str!("../../schemas/note.schema.json"),
    ),
];

/// A configuration to start from (`decksmith init --preset`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Preset {
    /// The bilingual interview-question vault decksmith was built for: every built-in kind,
    /// its schemas and vocabularies (the built-in defaults, written out).
    Interview,
    /// Any Markdown vault with front matter: integrity, links and a permissive schema.
    Generic,
}

impl Preset {
    /// The `decksmith.toml` text and the schemas the preset writes; with `cloze`, the
    /// generic preset's kind makes cloze cards rather than heading cards.
    pub fn files(self, cloze: bool) -> (String, Vec<(&'static str, &'static str)>) {
        match self {
            Preset::Interview => (
                DEFAULT_TOML.to_string(),
                BUILTIN_SCHEMAS
                    .iter()
                    .filter(|(name, _)| *name != "note.schema.json")
                    .copied()
                    .collect(),
            ),
            Preset::Generic => (
                if cloze {
                    GENERIC_TOML
                        .replace(
                            "\ncards = { from = \"headings\"",
                            "\n# cards = { from = \"headings\"",
                        )
                        .replace(
                            "\n# cards = { from = \"cloze\"",
                            "\ncards = { from = \"cloze\"",
                        )
                } else {
                    GENERIC_TOML.to_string()
                },
                BUILTIN_SCHEMAS
                    .iter()
                    .filter(|(name, _)| *name == "note.schema.json")
                    .copied()
                    .collect(),
            ),
        }
    }
}

/// The generic preset's `decksmith.toml`.
pub const GENERIC_TOML: &str = include_str!("generic.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Config {
    pub vault: VaultConfig,
    pub lint: LintConfig,
    pub links: LinksConfig,
    pub cards: CardsConfig,
    pub anki: AnkiConfig,
    #[serde(default)]
    pub vocabularies: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub kinds: Vec<Kind>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct VaultConfig {
    #[serde(default)]
    pub exclude: Vec<String>,
    /// File extensions of notes (without the dot); other files are attachments.
    #[serde(default = "default_extensions")]
    pub extensions: Vec<String>,
    pub max_file_size: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct LintConfig {
    #[serde(default)]
    pub select: Vec<String>,
    #[serde(default)]
    pub ignore: Vec<String>,
    #[serde(default)]
    pub deny_warnings: bool,
    #[serde(default)]
    pub severity: BTreeMap<String, String>,
    #[serde(default)]
    pub per_file_ignores: BTreeMap<String, Vec<String>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct LinksConfig {
    pub resolve_by_id: bool,
    #[serde(default)]
    pub reference_keys: Vec<String>,
    #[serde(default)]
    pub link_sections: Vec<String>,
    pub related_key: String,
    pub related_min: usize,
    pub related_max: usize,
    pub concept_pattern: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CardsConfig {
    pub deck: String,
    pub fallback_deck: String,
    pub marker_tag: String,
    pub obsidian_links: bool,
    pub vault_name: String,
    #[serde(default)]
    pub deck_names: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct AnkiConfig {
    pub url: String,
    pub note_type: String,
    pub chunk_size: usize,
    pub prune_limit: f64,
    pub synced_at_format: crate::vault::timestamp::SyncedAtFormat,
    #[serde(default)]
    pub keep_tags: Vec<String>,
    /// Ask Anki to sync with AnkiWeb after a sync that did everything it planned.
    #[serde(default)]
    pub anki_web: bool,
}

/// The largest `[anki] chunk-size`. AnkiConnect reads a request body in time quadratic in
/// its size, with Anki's window frozen meanwhile: 500–1,000 notes take a few seconds, ten
/// times that would take minutes, so larger chunks only make a sync slower.
pub const MAX_CHUNK_SIZE: usize = 5000;

/// How a kind's notes become cards: where the cards come from in a note, and what they
/// become in Anki. The keys every source shares (`deck`, `reversed`, `note-type`, `fields`)
/// are read here, the source's own keys by [`CardSource`], each refusing unknown keys.
#[derive(Clone, Debug)]
pub struct KindCards {
    pub from: CardSource,
    /// A deck template for this kind, instead of `[cards] deck`.
    pub deck: Option<String>,
    /// Which Anki note type the cards go to ([`crate::cards::model`]).
    pub model: ModelChoice,
}

/// Where a kind's cards come from in a note.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "from", rename_all = "kebab-case", deny_unknown_fields)]
pub enum CardSource {
    /// One card per question block and language.
    #[serde(rename_all = "kebab-case")]
    Qa {
        /// Section roles that end an answer.
        #[serde(default)]
        stops: Vec<String>,
    },
    /// One card per Q/A entry of a list section.
    #[serde(rename_all = "kebab-case")]
    List {
        section: String,
        language_field: Option<String>,
        default_language: String,
    },
    /// One card per heading of a level: its text is the question, its section (up to the
    /// next heading of that level or above) the answer.
    #[serde(rename_all = "kebab-case")]
    Headings {
        /// 1 for `#`, 2 for `##`, ….
        level: u8,
        language_field: Option<String>,
        default_language: String,
    },
    /// One cloze note per paragraph (or list item) holding Anki cloze deletions
    /// (`{{c1::…}}`, `{{c1::…::hint}}`), and with `highlights`, Obsidian highlights
    /// (`==…==`), each its own deletion.
    #[serde(rename_all = "kebab-case")]
    Cloze {
        #[serde(default)]
        highlights: bool,
        language_field: Option<String>,
        default_language: String,
    },
}

/// What a kind's cards become in Anki: one of decksmith's own note types, or a note type
/// of the user's with a map from its fields to the card's parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelChoice {
    /// The note type's name; `None` for decksmith's default one of the shape, named after
    /// `[anki] note-type` ([`ModelChoice::name`]).
    pub note_type: Option<String>,
    /// Cards also asked backwards (a second card per note, answer to question).
    pub reversed: bool,
    /// For a note type of the user's: its field → the card's part it holds. The slug always
    /// goes to the field `Slug`.
    pub fields: Option<BTreeMap<String, CardPart>>,
    /// The cards are cloze notes (set by the source).
    pub cloze: bool,
}

impl ModelChoice {
    /// The note type's name, given `[anki] note-type`: the explicit one, else the base name
    /// for plain cards, with ` (reversed)` or ` (cloze)` after it for those shapes.
    pub fn name(&self, base: &str) -> String {
        match (&self.note_type, self.cloze, self.reversed) {
            (Some(name), _, _) => name.clone(),
            (None, true, _) => format!("{base} (cloze)"),
            (None, false, true) => format!("{base} (reversed)"),
            (None, false, false) => base.to_string(),
        }
    }
}

/// A part of a card that a field of the user's note type can hold.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum CardPart {
    /// The question (for cloze cards, the text with its deletions).
    Front,
    /// The answer (for cloze cards, the heading the text sits under).
    Back,
    /// The note's path, as a link when `[cards] obsidian-links` is on.
    Source,
}

impl<'de> Deserialize<'de> for KindCards {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        #[derive(Deserialize)]
        #[serde(rename_all = "kebab-case")]
        struct Shared {
            deck: Option<String>,
            #[serde(default)]
            reversed: bool,
            note_type: Option<String>,
            fields: Option<BTreeMap<String, CardPart>>,
            #[serde(flatten)]
            source: toml::Table,
        }
        let shared = Shared::deserialize(d)?;
        let from = CardSource::deserialize(toml::Value::Table(shared.source))
            .map_err(|e| D::Error::custom(e.message()))?;
        let cloze = matches!(from, CardSource::Cloze { .. });
        if cloze && shared.reversed {
            return Err(D::Error::custom(
                "cloze cards cannot be `reversed` (a cloze has no answer to ask from)",
            ));
        }
        if let Some(fields) = &shared.fields {
            if shared.note_type.is_none() {
                return Err(D::Error::custom(
                    "`fields` maps the fields of your own note type: name it with `note-type`",
                ));
            }
            if shared.reversed {
                return Err(D::Error::custom(
                    "`reversed` shapes decksmith's own note types; a note type of yours with `fields` has its own card templates",
                ));
            }
            if fields.contains_key(crate::cards::model::SLUG_FIELD) {
                return Err(D::Error::custom(
                    "the slug always goes to the field `Slug`: leave it out of `fields`",
                ));
            }
            if !fields.values().any(|p| *p == CardPart::Front) {
                return Err(D::Error::custom(
                    "`fields` maps no field to `front`: a card without its question cannot be pushed",
                ));
            }
        }
        Ok(KindCards {
            from,
            deck: shared.deck,
            model: ModelChoice {
                note_type: shared.note_type,
                reversed: shared.reversed,
                fields: shared.fields,
                cloze,
            },
        })
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Kind {
    pub name: String,
    #[serde(default)]
    pub paths: Vec<String>,
    pub filename: Option<String>,
    pub schema: Option<String>,
    pub filename_pattern: Option<String>,
    pub languages_field: Option<String>,
    pub original_language_field: Option<String>,
    #[serde(default)]
    pub default_languages: Vec<String>,
    #[serde(default)]
    pub date_pairs: Vec<[String; 2]>,
    #[serde(default)]
    pub derived_tags: Vec<String>,
    #[serde(default)]
    pub vocab: Vec<VocabCheck>,
    #[serde(default)]
    pub language_order: Vec<String>,
    #[serde(default)]
    pub sections: Vec<Section>,
    /// How the kind's notes become cards; none when absent.
    pub cards: Option<KindCards>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct VocabCheck {
    pub key: String,
    pub vocabulary: String,
    #[serde(default)]
    pub when: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Section {
    pub role: String,
    pub level: Option<u8>,
    #[serde(default)]
    pub per_language: bool,
    #[serde(default = "yes")]
    pub required: bool,
    #[serde(default)]
    pub names: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub transliterated: BTreeMap<String, Vec<String>>,
}

fn default_extensions() -> Vec<String> {
    vec!["md".to_string()]
}

fn yes() -> bool {
    true
}

/// Where the settings came from.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub config: Config,
    /// The vault root: the config file's folder, an Obsidian vault folder, or the start.
    pub root: PathBuf,
    /// The config file, when one was read.
    pub file: Option<PathBuf>,
    /// A hash of the effective settings (for caches).
    pub text: String,
    /// The defaults with the user's file merged over them.
    merged: toml::Table,
}

impl Loaded {
    /// The effective configuration as TOML (`--show-settings`).
    pub fn effective_toml(&self) -> String {
        toml::to_string_pretty(&self.merged).unwrap_or_default()
    }
}

/// Load settings: defaults, overlaid with `file` when given.
pub fn load(root: PathBuf, file: Option<PathBuf>) -> Result<Loaded, ConfigError> {
    let mut merged: toml::Table = toml::from_str(DEFAULT_TOML).map_err(|e| ConfigError::Parse {
        path: PathBuf::from("<built-in defaults>"),
        message: e.to_string(),
    })?;
    let mut text = DEFAULT_TOML.to_string();
    if let Some(path) = &file {
        let user_text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let user: toml::Table = toml::from_str(&user_text).map_err(|e| ConfigError::Parse {
            path: path.clone(),
            message: e.to_string(),
        })?;
        merge(&mut merged, user);
        text.push_str(&user_text);
    }
    let path = file
        .clone()
        .unwrap_or_else(|| PathBuf::from("<built-in defaults>"));
    let config: Config =
        toml::Value::Table(merged.clone())
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Parse {
                path: path.clone(),
                message: e.to_string(),
            })?;
    let mut config = config;
    name_note_types(&mut config);
    validate(&config).map_err(|message| ConfigError::Invalid { path, message })?;
    Ok(Loaded {
        config,
        root,
        file,
        text,
        merged,
    })
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Give every kind's cards the name of their note type, so that a card says where it goes
/// without knowing `[anki] note-type`.
fn name_note_types(config: &mut Config) {
    let base = config.anki.note_type.clone();
    for cards in config.kinds.iter_mut().filter_map(|k| k.cards.as_mut()) {
        cards.model.note_type = Some(cards.model.name(&base));
    }
}

fn validate(config: &Config) -> Result<(), String> {
    crate::cards::model::Models::new(&config.kinds, &config.anki.note_type)?;
    for kind in &config.kinds {
        for check in &kind.vocab {
            if !config.vocabularies.contains_key(&check.vocabulary) {
                return Err(format!(
                    "kind `{}` checks `{}` against vocabulary `{}`, which is not defined under [vocabularies]",
                    kind.name, check.key, check.vocabulary
                ));
            }
        }
        for pattern in kind.filename.iter().chain(&kind.filename_pattern) {
            regex::Regex::new(pattern)
                .map_err(|e| format!("kind `{}`: invalid regex `{pattern}`: {e}", kind.name))?;
        }
        for glob in &kind.paths {
            globset::Glob::new(glob)
                .map_err(|e| format!("kind `{}`: invalid glob `{glob}`: {e}", kind.name))?;
        }
    }
    regex::Regex::new(&config.links.concept_pattern).map_err(|e| {
        format!(
            "[links] concept-pattern: invalid regex `{}`: {e}",
            config.links.concept_pattern
        )
    })?;
    for glob in config
        .vault
        .exclude
        .iter()
        .chain(config.lint.per_file_ignores.keys())
    {
        globset::Glob::new(glob).map_err(|e| format!("invalid glob `{glob}`: {e}"))?;
    }
    validate_anki(&config.anki)
}

/// The `[anki]` values, checked when the config is read, so that every command refuses a
/// bad one the same way and `sync` never sends anything with it.
fn validate_anki(anki: &AnkiConfig) -> Result<(), String> {
    crate::anki::check_url(&anki.url).map_err(|reason| {
        format!(
            "[anki] url = {:?} is not an AnkiConnect address: {reason}",
            anki.url
        )
    })?;
    if !(1..=MAX_CHUNK_SIZE).contains(&anki.chunk_size) {
        return Err(format!(
            "[anki] chunk-size = {} must be between 1 and {MAX_CHUNK_SIZE} (notes per request)",
            anki.chunk_size
        ));
    }
    // `contains` is false for NaN too.
    if !(0.0..=1.0).contains(&anki.prune_limit) {
        return Err(format!(
            "[anki] prune-limit = {} must be a share between 0 and 1 (0.1 is 10%)",
            anki.prune_limit
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load() {
        let loaded = load(PathBuf::from("."), None).expect("defaults are valid");
        assert_eq!(loaded.config.kinds[0].name, "qa-note");
        assert_eq!(loaded.config.vocabularies["android-subtopics"].len(), 92);
        assert_eq!(loaded.config.vocabularies["topics"].len(), 22);
    }

    #[test]
    fn user_file_overrides_tables_and_replaces_arrays() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join(FILE_NAME);
        std::fs::write(
            &file,
            "[vocabularies]\ntopics = [\"go\"]\n[lint]\nignore = [\"SEC\"]\n",
        )
        .expect("write");
        let loaded = load(dir.path().to_path_buf(), Some(file)).expect("loads");
        assert_eq!(loaded.config.vocabularies["topics"], vec!["go".to_string()]);
        assert_eq!(loaded.config.vocabularies["difficulties"].len(), 3);
        assert_eq!(loaded.config.lint.ignore, vec!["SEC".to_string()]);
        assert_eq!(loaded.config.kinds.len(), 4);
    }

    #[test]
    fn bad_anki_values_are_refused_with_the_file_named() {
        for (text, needle) in [
            (
                "chunk-size = 0",
                "[anki] chunk-size = 0 must be between 1 and",
            ),
            ("chunk-size = 5001", "[anki] chunk-size = 5001"),
            ("prune-limit = 1.5", "[anki] prune-limit = 1.5 must be"),
            ("prune-limit = -0.1", "[anki] prune-limit = -0.1"),
            ("prune-limit = nan", "[anki] prune-limit = NaN"),
            (
                "url = \"notaurl\"",
                "[anki] url = \"notaurl\" is not an AnkiConnect address",
            ),
            (
                "url = \"localhost:8765\"",
                "must start with http:// or https://",
            ),
            ("url = \"http://\"", "empty host"),
        ] {
            let dir = tempfile::tempdir().expect("tempdir");
            let file = dir.path().join(FILE_NAME);
            std::fs::write(&file, format!("[anki]\n{text}\n")).expect("write");
            let err = load(dir.path().to_path_buf(), Some(file.clone())).expect_err(text);
            let message = err.to_string();
            assert!(
                message.starts_with(&file.display().to_string()) && message.contains(needle),
                "{text}: {message}"
            );
        }
        for text in [
            "chunk-size = 1",
            "chunk-size = 5000",
            "prune-limit = 0",
            "prune-limit = 1",
            "url = \"https://anki.example/api\"",
        ] {
            let dir = tempfile::tempdir().expect("tempdir");
            let file = dir.path().join(FILE_NAME);
            std::fs::write(&file, format!("[anki]\n{text}\n")).expect("write");
            load(dir.path().to_path_buf(), Some(file)).expect(text);
        }
    }

    /// A kind's cards: shared keys and the source's own, each checked, every mistake named.
    #[test]
    fn card_settings_are_checked_when_read() {
        let load_kinds = |cards: &str| {
            let dir = tempfile::tempdir().expect("tempdir");
            let file = dir.path().join(FILE_NAME);
            std::fs::write(&file, format!("[[kinds]]\nname = \"a\"\ncards = {cards}\n"))
                .expect("write");
            load(dir.path().to_path_buf(), Some(file)).map(|l| l.config)
        };
        for (cards, needle) in [
            (
                r#"{ from = "cloze", default-language = "en", reversed = true }"#,
                "cannot be `reversed`",
            ),
            (
                r#"{ from = "qa", fields = { Front = "front" } }"#,
                "name it with `note-type`",
            ),
            (
                r#"{ from = "qa", note-type = "Basic", fields = { Front = "front", Slug = "back" } }"#,
                "leave it out of `fields`",
            ),
            (
                r#"{ from = "qa", note-type = "Basic", fields = { Back = "back" } }"#,
                "maps no field to `front`",
            ),
            (
                r#"{ from = "qa", note-type = "Basic", fields = { Front = "question" } }"#,
                "unknown variant `question`",
            ),
            (
                r#"{ from = "headings", level = 2, default-language = "en", levl = 3 }"#,
                "levl",
            ),
            (r#"{ from = "flashcards" }"#, "flashcards"),
        ] {
            let err = load_kinds(cards).expect_err(cards).to_string();
            assert!(err.contains(needle), "{cards}: {err}");
        }
        let config = load_kinds(
            r#"{ from = "cloze", highlights = true, default-language = "en", deck = "D" }"#,
        )
        .expect("a cloze kind");
        let cards = config.kinds[0].cards.as_ref().expect("cards");
        assert_eq!(cards.deck.as_deref(), Some("D"));
        assert!(cards.model.cloze && !cards.model.reversed);
        // Loading names every kind's note type after `[anki] note-type`.
        assert_eq!(cards.model.note_type.as_deref(), Some("decksmith (cloze)"));
    }

    #[test]
    fn two_kinds_naming_one_note_type_must_agree_on_its_shape() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join(FILE_NAME);
        std::fs::write(
            &file,
            "[[kinds]]\nname = \"a\"\ncards = { from = \"qa\", note-type = \"X\" }\n\
             [[kinds]]\nname = \"b\"\ncards = { from = \"qa\", note-type = \"X\", reversed = true }\n",
        )
        .expect("write");
        let err = load(dir.path().to_path_buf(), Some(file))
            .expect_err("refused")
            .to_string();
        assert!(
            err.contains("kind `b` pushes to the note type `X` in another shape"),
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join(FILE_NAME);
        std::fs::write(&file, "[lint]\nselekt = []\n").expect("write");
        let err = load(dir.path().to_path_buf(), Some(file)).expect_err("rejects");
        assert!(err.to_string().contains("selekt"), "{err}");
    }
}
