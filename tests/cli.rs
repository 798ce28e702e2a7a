//! The command line as a user runs it: exit codes, formats, selection, configuration errors.

mod common;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn decksmith() -> Command {
    let mut cmd = Command::cargo_bin("decksmith").expect("binary builds");
    // Many of these runs check the fixtures themselves, which no run may write into; the
    // tests of the caches turn them back on, on copies.
    cmd.env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .env("DECKSMITH_NO_CACHE", "1");
    cmd
}

/// `check` on `dir` must stop with exit 2 and a message containing `needle`.
fn expect_setup_error(dir: &std::path::Path, needle: &str) {
    decksmith()
        .arg("check")
        .arg(dir)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(needle));
}

fn vault(rel: &str) -> String {
    common::fixture(rel).to_string_lossy().into_owned()
}

/// The note of the rule fixtures.
const NOTE: &str = "q-load-balancing-basics--system-design--medium.md";

/// A copy of the fixture vault of rule `code`, and the text of its note.
fn fixture_note(code: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    common::copy_dir(&common::fixture(&format!("rules/{code}")), dir.path());
    let note = std::fs::read_to_string(dir.path().join(NOTE)).expect("fixture");
    (dir, note)
}

#[test]
fn clean_vault_exits_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = common::fixture("vault");
    common::copy_dir(&good, dir.path());
    std::fs::remove_dir_all(dir.path().join("broken")).expect("remove broken notes");
    decksmith()
        .args(["check", "--format", "concise"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "All checks passed (10 files checked).",
        ));
}

#[test]
fn findings_exit_one_and_exit_zero_overrides() {
    decksmith()
        .args(["check", "--format", "concise", &vault("vault")])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "broken/c-broken-fence.md:1:1: FM003 [error]",
        ));
    decksmith()
        .args([
            "check",
            "--exit-zero",
            "--format",
            "concise",
            &vault("vault"),
        ])
        .assert()
        .code(0);
}

#[test]
fn warnings_pass_unless_denied() {
    let v = vault("rules/sec002");
    decksmith()
        .args(["check", "--format", "concise", &v])
        .assert()
        .code(0);
    decksmith()
        .args(["check", "--deny-warnings", "--format", "concise", &v])
        .assert()
        .code(1);
}

#[test]
fn select_and_ignore_by_code_name_and_prefix() {
    let v = vault("vault");
    let out = decksmith()
        .args(["check", "--format", "concise", "--select", "FM003", &v])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FM003") && !text.contains("FM009"), "{text}");
    let out = decksmith()
        .args([
            "check",
            "--format",
            "concise",
            "--ignore",
            "FM,schema-violation",
            &v,
        ])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains(": FM0") && !text.contains("SCH001"),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(0), "{text}");
}

#[test]
fn unknown_rule_is_a_usage_error() {
    decksmith()
        .args(["check", "--select", "XYZ123", &vault("vault")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`XYZ123` is not a rule code"));
}

/// An empty vault whose `decksmith.toml` is `config`.
fn vault_with_config(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("decksmith.toml"), config).expect("write");
    dir
}

#[test]
fn bad_config_is_exit_two_with_the_file_named() {
    let dir = vault_with_config("[lint]\nselect = 5\n");
    expect_setup_error(dir.path(), "decksmith.toml");
}

#[test]
fn bad_anki_settings_are_exit_two_for_every_command() {
    for setting in [
        "chunk-size = 0",
        "prune-limit = 2.0",
        "url = \"localhost:8765\"",
    ] {
        let dir = vault_with_config(&format!("[anki]\n{setting}\n"));
        let name = setting.split(' ').next().unwrap_or_default();
        expect_setup_error_for_every_command(
            dir.path(),
            &["decksmith.toml", &format!("[anki] {name} = ")],
        );
    }
}

/// `check`, `cards` and `sync` of `dir` all exit 2, saying every one of `needles`.
fn expect_setup_error_for_every_command(dir: &std::path::Path, needles: &[&str]) {
    for command in ["check", "cards", "sync"] {
        let mut assert = decksmith().arg(command).arg(dir).assert().code(2);
        for needle in needles {
            assert = assert.stderr(predicate::str::contains(*needle));
        }
    }
}

#[test]
fn an_invalid_concept_pattern_is_exit_two_for_every_command() {
    let dir = vault_with_config("[links]\nconcept-pattern = '^c-('\n");
    expect_setup_error_for_every_command(dir.path(), &["concept-pattern: invalid regex"]);
}

#[test]
fn broken_schema_is_exit_two() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("schemas")).expect("mkdir");
    std::fs::write(dir.path().join("decksmith.toml"), "").expect("write");
    std::fs::write(
        dir.path().join("schemas/qa-note.schema.json"),
        r#"{"type": 12}"#,
    )
    .expect("write");
    expect_setup_error(dir.path(), "invalid schema");
}

#[test]
fn missing_path_is_exit_two() {
    decksmith()
        .args(["check", "no/such/vault"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does not exist"));
}

#[test]
fn json_output_has_the_documented_shape() {
    let out = decksmith()
        .args(["check", "--format", "json", &vault("rules/nam003")])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(json["version"], 1);
    assert_eq!(json["summary"]["errors"], 2);
    let d = &json["diagnostics"][0];
    for key in [
        "code", "name", "severity", "path", "message", "start", "end", "help", "labels",
    ] {
        assert!(d.get(key).is_some(), "missing {key} in {d}");
    }
    assert_eq!(d["code"], "NAM003");
    assert_eq!(d["start"]["line"], 2);
    assert_eq!(d["start"]["column"], 5);
    assert_eq!(
        d["labels"][0]["path"],
        "q-other-note--system-design--medium.md"
    );
}

#[test]
fn concise_lines_carry_the_help() {
    let out = decksmith()
        .current_dir(common::fixture("rules/lnk001"))
        .args(["check", "--format", "concise", "--quiet"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let prefix = format!("{NOTE}:");
    assert!(
        text.contains(&format!(
            "{prefix}45:5: LNK001 [error] `[[c-load-balancr]]` does not resolve to any note \
             (help: did you mean `c-load-balancer`?)\n"
        )),
        "{text}"
    );
    // Still one line per finding, each starting with its position.
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines.iter().all(|l| l.starts_with(&prefix)), "{text}");
}

/// Characters that must not reach a terminal raw: C0 (but the line breaks of the output
/// itself), DEL, C1, and the bidirectional overrides and isolates.
fn raw_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
        })
        .collect()
}

#[cfg(unix)]
#[test]
fn hostile_names_and_text_are_escaped_in_every_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A file name with an escape sequence, a newline, a right-to-left override and DEL,
    // holding a dangling link whose target carries ESC, a bidi override and a C1 control.
    let hostile = "c-evil\u{1b}[31m\nname\u{202e}\u{7f}.md";
    std::fs::write(
        dir.path().join(hostile),
        "# Evil\n\nSee [[c-\u{1b}[2Jgone\u{202e}\u{9b}]] here.\n",
    )
    .expect("write a hostile file name");
    // A link to it across a line break.
    std::fs::write(
        dir.path().join("c-other.md"),
        "# Other\n\nSee [[c-evil\u{1b}[31m\nnam]].\n",
    )
    .expect("write");
    // Characters with a meaning in workflow commands.
    std::fs::write(dir.path().join("c-50%,a:b.md"), "# P\n\nSee [[c-100%]].\n").expect("write");
    for format in ["full", "concise", "github", "json", "sarif"] {
        let out = decksmith()
            .args([
                "check",
                "--isolated",
                "--color",
                "never",
                "--format",
                format,
            ])
            .arg(dir.path())
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1), "{format}");
        let text = String::from_utf8(out.stdout).expect("UTF-8 output");
        assert_eq!(raw_controls(&text), Vec::<char>::new(), "{format}:\n{text}");
        if matches!(format, "json" | "sarif") {
            // Escaped as JSON: the values are the real name and message.
            let json: Value = serde_json::from_str(&text).expect("valid JSON");
            let doc = json.to_string();
            let name = if format == "json" {
                "c-evil\\u001b[31m\\nname\u{202e}\u{7f}.md"
            } else {
                "c-evil%1B%5B31m%0Aname%E2%80%AE%7F.md"
            };
            assert!(doc.contains(name), "{format}: {doc}");
            assert!(doc.contains("gone\u{202e}\u{9b}"), "{format}: {doc}");
        } else {
            if format == "github" {
                assert!(text.contains("/c-50%25%2Ca%3Ab.md,line=3,"), "{text}");
                assert!(text.contains("::`[[c-100%25]]` does not resolve"), "{text}");
            }
            assert!(
                text.contains("c-evil\\x1b[31m\\nname\\u{202e}\\x7f.md"),
                "{format}:\n{text}"
            );
            assert!(
                text.contains("[[c-\\x1b[2Jgone\\u{202e}\\u{9b}]]"),
                "{format}:\n{text}"
            );
        }
    }
}

#[test]
fn github_annotations() {
    decksmith()
        .args(["check", "--format", "github", &vault("rules/dat001")])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("::warning file="))
        .stdout(predicate::str::contains(
            ",line=22,endLine=22,col=10,endColumn=20,title=DAT001 updated-before-created::",
        ));
}

/// The official SARIF 2.1.0 schema, compiled.
fn sarif_validator() -> jsonschema::Validator {
    let schema_path = common::repo().join("tests/data/sarif-schema-2.1.0.json");
    let mut schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).expect("schema file"))
            .expect("schema JSON");
    // The official file has an invalid regex (a stray `]`) in two `language` patterns.
    for p in [
        "/definitions/run/properties/language/pattern",
        "/definitions/toolComponent/properties/language/pattern",
    ] {
        if let Some(v) = schema.pointer_mut(p) {
            *v = Value::from("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
        }
    }
    jsonschema::draft7::new(&schema).expect("schema compiles")
}

fn check_json(format: &str, vault: &std::path::Path) -> Value {
    let out = decksmith()
        .args(["check", "--format", format])
        .arg(vault)
        .output()
        .expect("runs");
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// Where a SARIF location points: its URI resolved against its base.
fn resolve(run: &Value, location: &Value) -> std::path::PathBuf {
    let artifact = &location["physicalLocation"]["artifactLocation"];
    let base_id = artifact["uriBaseId"].as_str().expect("uriBaseId");
    let base = run["originalUriBaseIds"][base_id]["uri"]
        .as_str()
        .expect("base URI");
    let base = url::Url::parse(base).expect("absolute base URI");
    let uri = artifact["uri"].as_str().expect("uri");
    base.join(uri)
        .expect("relative URI")
        .to_file_path()
        .expect("a file")
}

#[test]
fn sarif_validates_against_the_2_1_0_schema() {
    // A vault in a subfolder of a git work tree, under a name that needs encoding.
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    let vault = repo.join("my notes #1 100% ü").join("vault");
    std::fs::create_dir_all(&vault).expect("mkdir");
    std::fs::create_dir(repo.join(".git")).expect("mkdir .git");
    common::copy_dir(&common::fixture("vault"), &vault);
    let log = check_json("sarif", &vault);
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let run = &log["runs"][0];
    let results = run["results"].as_array().expect("results");
    assert!(results.len() >= 9);
    // Locations are relative to the repository's top and resolve to the files reported.
    let base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .expect("base");
    assert_eq!(
        url::Url::parse(base).expect("URI").to_file_path(),
        Ok(repo.clone())
    );
    let json = check_json("json", &vault);
    let paths: Vec<&str> = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| d["path"].as_str().expect("path"))
        .collect();
    assert_eq!(paths.len(), results.len());
    for (result, path) in results.iter().zip(&paths) {
        let file = resolve(run, &result["locations"][0]);
        assert_eq!(file, vault.join(path), "{result}");
        assert!(file.is_file(), "{}", file.display());
        let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .expect("uri");
        assert!(
            uri.starts_with("my%20notes%20%231%20100%25%20%C3%BC/vault/"),
            "{uri}"
        );
        for related in result["relatedLocations"].as_array().into_iter().flatten() {
            assert!(resolve(run, related).is_file(), "{related}");
        }
    }
    // Every rule links to its own section of docs/rules.md.
    let docs = std::fs::read_to_string(common::repo().join("docs/rules.md")).expect("docs");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert!(!rules.is_empty());
    for rule in rules {
        let id = rule["id"].as_str().expect("id");
        let uri = rule["helpUri"].as_str().expect("helpUri");
        assert_eq!(
            uri,
            format!(
                "{}#{}",
                decksmith::DOCS_URL.to_string() + "/rules.md",
                id.to_lowercase()
            )
        );
        assert!(
            docs.contains(&format!("\n## {id}\n")),
            "no section for {id}"
        );
    }
    // Fingerprints: one per result, no two alike.
    let mut prints: Vec<&str> = results
        .iter()
        .map(|r| {
            r["partialFingerprints"]["decksmith/v1"]
                .as_str()
                .expect("fingerprint")
        })
        .collect();
    prints.sort_unstable();
    prints.dedup();
    assert_eq!(prints.len(), results.len());
    // The validator must be able to fail.
    let mut bad = log.clone();
    bad["version"] = Value::from("2.0.0");
    assert!(!validator.is_valid(&bad));
}

#[test]
fn sarif_fingerprints_survive_lines_added_above_and_paths_are_vault_relative_outside_git() {
    let (dir, note) = fixture_note("lnk001");
    let run_of = |dir: &std::path::Path| check_json("sarif", dir)["runs"][0].clone();
    let findings = |run: &Value| -> Vec<(u64, String)> {
        run["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| {
                let line = r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .expect("line");
                let print = r["partialFingerprints"]["decksmith/v1"]
                    .as_str()
                    .expect("fingerprint");
                (line, print.to_string())
            })
            .collect()
    };
    let before = run_of(dir.path());
    // Outside git the base is the vault.
    let base = before["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .expect("base");
    assert_eq!(
        url::Url::parse(base).expect("URI").to_file_path(),
        Ok(std::path::absolute(dir.path()).expect("absolute"))
    );
    assert_eq!(
        before["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        NOTE
    );
    // Two lines added after the front matter move every finding down by two.
    let edited = note.replacen("\n# ", "\nNew text.\n\n# ", 1);
    assert_ne!(edited, note);
    std::fs::write(dir.path().join(NOTE), edited).expect("write");
    let after = run_of(dir.path());
    let (before, after) = (findings(&before), findings(&after));
    assert_eq!(before.len(), 3);
    assert_eq!(before.len(), after.len());
    for ((line_before, print_before), (line_after, print_after)) in before.iter().zip(&after) {
        assert_eq!(line_before + 2, *line_after);
        assert_eq!(print_before, print_after);
    }
}

#[test]
fn full_format_shows_snippets_and_honours_no_color() {
    let out = decksmith()
        .args([
            "check",
            "--format",
            "full",
            "--color",
            "auto",
            &vault("rules/fm007"),
        ])
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("first defined here"), "{text}");
    assert!(!text.contains('\u{1b}'), "no escape codes with NO_COLOR");
    let out = decksmith()
        .args([
            "check",
            "--format",
            "full",
            "--color",
            "always",
            &vault("rules/fm007"),
        ])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&out.stdout).contains('\u{1b}'));
}

#[test]
fn explicit_files_report_only_on_themselves() {
    // On a copy: a run on some files of a vault writes the index cache at the vault root.
    let dir = tempfile::tempdir().expect("tempdir");
    common::copy_dir(&common::fixture("vault"), dir.path());
    let file = dir.path().join("broken/c-broken-fence.md");
    decksmith()
        .args(["check", "--format", "concise"])
        .arg(&file)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FM003"))
        .stdout(predicate::str::contains("(1 file checked)"));
}

#[test]
fn force_exclude_applies_config_excludes_to_named_files() {
    let dir = vault_with_config("[vault]\nexclude = [\"_templates/**\"]\n");
    std::fs::create_dir(dir.path().join("_templates")).expect("mkdir");
    let tpl = dir.path().join("_templates/q-template--kotlin--easy.md");
    std::fs::write(&tpl, "# no front matter\n").expect("write");
    decksmith()
        .args(["check", "--format", "concise"])
        .arg(&tpl)
        .assert()
        .code(1);
    decksmith()
        .args(["check", "--format", "concise", "--force-exclude"])
        .arg(&tpl)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("(0 files checked)"));
}

#[test]
fn hidden_and_gitignored_folders_are_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join(".obsidian")).expect("mkdir");
    std::fs::create_dir_all(dir.path().join(".trash")).expect("mkdir");
    std::fs::create_dir_all(dir.path().join("drafts")).expect("mkdir");
    std::fs::write(dir.path().join(".gitignore"), "drafts/\n").expect("write");
    for p in [
        ".trash/q-a--kotlin--easy.md",
        "drafts/q-b--kotlin--easy.md",
        "q-c--kotlin--easy.md",
    ] {
        std::fs::write(dir.path().join(p), "no front matter\n").expect("write");
    }
    decksmith()
        .args(["check", "--format", "concise", "--select", "FM001"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("q-c--kotlin--easy.md"))
        .stdout(predicate::str::contains("(1 file checked)"));
}

#[test]
fn sync_help_describes_sync_formats() {
    let out = decksmith().args(["sync", "--help"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let format = &text[text.find("--format").expect("--format")..];
    let format = &format[..format.find("--anki-url").expect("next option")];
    assert!(format.contains("- text: The plan"), "{format}");
    assert!(
        format.contains("- json: The plan and what was done"),
        "{format}"
    );
    // Not the card listing's texts.
    assert!(!format.contains("A summary per note"), "{format}");
    assert!(
        !format.contains("Every card with all its fields"),
        "{format}"
    );
}

#[test]
fn rule_command_prints_documentation() {
    decksmith()
        .args(["rule", "broken-fence"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("# broken-fence (FM003)"))
        .stdout(predicate::str::contains("## What it does"));
    decksmith()
        .args(["rule", "--all"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("SEC003  language-order"));
    decksmith().args(["rule", "NOPE"]).assert().code(2);
}

#[test]
fn init_writes_config_and_schemas_and_never_overwrites() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("decksmith.toml"), "# mine\n").expect("write");
    decksmith()
        .args(["init", "--preset", "interview"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("kept"))
        .stdout(predicate::str::contains("qa-note.schema.json"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("decksmith.toml")).expect("read"),
        "# mine\n"
    );
    assert!(dir.path().join("schemas/kb-concept.schema.json").is_file());
    // The written files of either preset load.
    for preset in ["interview", "generic"] {
        let other = tempfile::tempdir().expect("tempdir");
        decksmith()
            .args(["init", "--preset", preset])
            .arg(other.path())
            .assert()
            .code(0);
        decksmith()
            .args(["check", "--format", "concise"])
            .arg(other.path())
            .assert()
            .code(0);
    }
}

#[test]
fn statistics_and_quiet() {
    decksmith()
        .args([
            "check",
            "--format",
            "concise",
            "--statistics",
            &vault("vault"),
        ])
        .assert()
        .stdout(predicate::str::contains("FM003   broken-fence"));
    decksmith()
        .args(["check", "--format", "concise", "--quiet", &vault("vault")])
        .assert()
        .stdout(predicate::str::contains("Found").not());
}

#[test]
fn config_severity_per_file_ignores_and_off_by_default_rules() {
    let (dir, note) = fixture_note("sec002");
    std::fs::create_dir(dir.path().join("drafts")).expect("mkdir");
    std::fs::write(
        dir.path()
            .join("drafts/q-other-balancing--system-design--medium.md"),
        note.replace("sysdes-500", "sysdes-509"),
    )
    .expect("write");
    let config = dir.path().join("decksmith.toml");
    // Default: SEC002 is a warning, so the run passes.
    std::fs::write(&config, "").expect("write");
    decksmith()
        .args(["check", "--format", "concise"])
        .arg(dir.path())
        .assert()
        .code(0);
    // Raised to error: it fails, in both files.
    std::fs::write(&config, "[lint.severity]\nSEC002 = \"error\"\n").expect("write");
    decksmith()
        .args(["check", "--format", "concise"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "drafts/q-other-balancing--system-design--medium.md:30:1: SEC002 [error]",
        ));
    // Ignored under drafts/: only the top-level note remains.
    std::fs::write(
        &config,
        "[lint.severity]\nSEC002 = \"error\"\n[lint.per-file-ignores]\n\"drafts/**\" = [\"transliterated-heading\"]\n",
    )
    .expect("write");
    let out = decksmith()
        .args(["check", "--format", "concise"])
        .arg(dir.path())
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("drafts/"), "{text}");
    assert!(text.contains("SEC002 [error]"), "{text}");
    // SEC003 is off unless named; EN-first notes then break the RU-first default order.
    std::fs::write(&config, "").expect("write");
    let off = decksmith()
        .args(["check", "--format", "concise"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert!(!String::from_utf8_lossy(&off.stdout).contains("SEC003"));
    decksmith()
        .args(["check", "--format", "concise", "--extend-select", "SEC003"])
        .arg(dir.path())
        .assert()
        .stdout(predicate::str::contains(
            "SEC003 [warning] RU block comes after the EN block",
        ));
    // An unknown severity is a configuration error.
    std::fs::write(&config, "[lint.severity]\nSEC002 = \"loud\"\n").expect("write");
    expect_setup_error(dir.path(), "unknown severity `loud`");
}

#[test]
fn unreadable_files_are_findings_not_aborts() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("decksmith.toml"),
        "[vault]\nmax-file-size = 100\n",
    )
    .expect("write");
    std::fs::write(dir.path().join("big.md"), "x".repeat(500)).expect("write");
    std::fs::write(dir.path().join("latin1.md"), b"caf\xe9\n").expect("write");
    std::fs::write(dir.path().join("ok.md"), "# fine\n").expect("write");
    decksmith()
        .args(["check", "--format", "concise"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "big.md:1:1: FS001 [error] file is 500 bytes, larger than the 100-byte limit",
        ))
        .stdout(predicate::str::contains(
            "latin1.md:1:1: FS001 [error] file is not valid UTF-8",
        ))
        .stdout(predicate::str::contains("(3 files checked)"));
}

#[test]
fn crlf_and_bom_notes_are_read() {
    let (dir, note) = fixture_note("dat001");
    let crlf = format!("\u{feff}{}", note.replace('\n', "\r\n"));
    std::fs::write(dir.path().join(NOTE), crlf).expect("write");
    decksmith()
        .args(["check", "--format", "concise"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains(":22:10: DAT001"));
}

#[test]
fn subset_runs_use_the_cache_without_changing_results() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::copy_dir(&common::fixture("rules/nam003"), dir.path());
    let a = dir
        .path()
        .join("q-load-balancing-basics--system-design--medium.md");
    let b = dir.path().join("q-other-note--system-design--medium.md");
    let run = |extra: &[&str]| {
        let out = decksmith()
            .env_remove("DECKSMITH_NO_CACHE")
            .args(["check", "--format", "concise", "--select", "NAM003"])
            .args(extra)
            .arg(&a)
            .output()
            .expect("runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let first = run(&[]);
    assert!(first.contains("NAM003"), "{first}");
    let cache = dir.path().join(".decksmith-cache");
    assert!(cache.join("CACHEDIR.TAG").is_file());
    assert_eq!(
        std::fs::read_to_string(cache.join(".gitignore"))
            .expect("read")
            .lines()
            .last(),
        Some("*")
    );
    // Served from the cache: the same bytes.
    assert_eq!(run(&[]), first);
    // The other note changes (same size, new mtime): the entry is stale and not used.
    let text = std::fs::read_to_string(&b).expect("read");
    std::fs::write(&b, text.replace("id: sysdes-500", "id: sysdes-777")).expect("write");
    let after = run(&[]);
    assert!(
        !after.contains("NAM003"),
        "stale cache entry was used:\n{after}"
    );
    assert_eq!(after, run(&["--no-cache"]));
    // Back to the clash, again with the same size: the mtime tells.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&b, text).expect("write");
    assert_eq!(run(&[]), first);
}

/// A mistake in the rule settings is a `check` error; `cards` (and `sync`, which reads the
/// vault the same way) never compile the rule settings and carry on.
#[test]
fn a_typo_in_the_rule_settings_stops_check_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::copy_dir(&common::fixture("vault"), dir.path());
    let config = dir.path().join("decksmith.toml");
    let text = std::fs::read_to_string(&config).unwrap_or_default();
    std::fs::write(&config, format!("{text}\n[lint]\nselect = [\"NOPE999\"]\n"))
        .expect("write config");
    expect_setup_error(dir.path(), "NOPE999");
    decksmith()
        .args(["cards", "--format", "json"])
        .arg(dir.path())
        .assert()
        .success();
    // sync stops at Anki (exit 3, nothing listens on port 9), not at the rule settings.
    decksmith()
        .args(["sync", "--dry-run", "--anki-url", "http://127.0.0.1:9"])
        .arg(dir.path())
        .assert()
        .code(3);
}

/// `decksmith init` picks the preset a vault fits, and a generic Markdown vault checks
/// clean with the generic preset — a `q-…` note there is not taken for an interview question.
#[test]
fn init_writes_the_preset_the_vault_fits() {
    let generic = tempfile::tempdir().expect("tempdir");
    common::copy_dir(&common::fixture("generic-vault"), generic.path());
    decksmith()
        .arg("init")
        .arg(generic.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("preset   generic"));
    assert!(generic.path().join("schemas/note.schema.json").is_file());
    decksmith()
        .args(["check", "--format", "concise"])
        .arg(generic.path())
        .assert()
        .code(0);
    // The schema is the vault's to tighten: a wrong type is then reported.
    let note = generic.path().join("notes/caching.md");
    let text = std::fs::read_to_string(&note).expect("read");
    std::fs::write(
        &note,
        text.replace("tags: [performance]", "tags: performance"),
    )
    .expect("write");
    decksmith()
        .args(["check", "--format", "concise"])
        .arg(generic.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("SCH001"));

    let interview = tempfile::tempdir().expect("tempdir");
    common::copy_dir(&common::fixture("vault"), interview.path());
    decksmith()
        .arg("init")
        .arg(interview.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("preset   interview"));
    let written = std::fs::read_to_string(interview.path().join("decksmith.toml")).expect("toml");
    assert!(written.contains("name = \"qa-note\""));
    // --preset overrides what the notes suggest.
    let forced = tempfile::tempdir().expect("tempdir");
    common::copy_dir(&common::fixture("vault"), forced.path());
    decksmith()
        .args(["init", "--preset", "generic"])
        .arg(forced.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("preset   generic\n"));
}

/// In a generic vault whose notes write cloze deletions, `init` makes the kind's cards cloze
/// cards; elsewhere heading cards. Either way the notes with an `id` give cards at once.
#[test]
fn init_picks_cloze_cards_for_a_vault_that_writes_deletions() {
    let vault = tempfile::tempdir().expect("tempdir");
    common::copy_dir(&common::fixture("generic-vault"), vault.path());
    std::fs::write(
        vault.path().join("notes/tcp.md"),
        "---\nid: tcp\n---\n# TCP\n\nTCP is {{c1::connection-oriented}}.\n\n## Handshake\n\nSYN, SYN-ACK, ACK.\n",
    )
    .expect("note");
    let plain = tempfile::tempdir().expect("tempdir");
    common::copy_dir(vault.path(), plain.path());
    std::fs::write(
        plain.path().join("notes/tcp.md"),
        "---\nid: tcp\n---\n# TCP\n\nConnection-oriented.\n\n## Handshake\n\nSYN, SYN-ACK, ACK.\n",
    )
    .expect("note");
    for (dir, expect, slugs) in [
        (&vault, "cards    cloze cards", "tcp-0-en"),
        (&plain, "cards    one per `##` heading", "tcp-0-en"),
    ] {
        decksmith()
            .arg("init")
            .arg(dir.path())
            .assert()
            .success()
            .stdout(predicate::str::contains(expect));
        let cards = decksmith()
            .args(["cards", "--format", "json"])
            .arg(dir.path())
            .output()
            .expect("cards runs");
        assert!(cards.status.success(), "{cards:?}");
        let doc: serde_json::Value = serde_json::from_slice(&cards.stdout).expect("json");
        let made: Vec<(String, String)> = doc["notes"]
            .as_array()
            .expect("notes")
            .iter()
            .flat_map(|n| n["cards"].as_array().cloned().unwrap_or_default())
            .map(|c| {
                (
                    c["slug"].as_str().unwrap_or_default().to_string(),
                    c["note_type"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let wanted_type = if expect.contains("cloze") {
            "decksmith (cloze)"
        } else {
            "decksmith"
        };
        assert_eq!(
            made,
            vec![(slugs.to_string(), wanted_type.to_string())],
            "{expect}"
        );
        decksmith()
            .args(["check", "--format", "concise"])
            .arg(dir.path())
            .assert()
            .code(0);
    }
}
