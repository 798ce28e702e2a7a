//! The one diagnostic model every rule produces and every output format renders.
//!
//! Positions are byte ranges into the file; lines and columns are derived at render time
//! (see [`crate::vault::lines::LineIndex`]) so that a rule never computes them itself.

use std::ops::Range;

use serde::Serialize;

/// How serious a finding is. `Off` only appears in configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    /// Parse a configured level; `None` means "off".
    pub fn parse_level(s: &str) -> Result<Option<Severity>, String> {
        match s {
            "error" => Ok(Some(Severity::Error)),
            "warning" | "warn" => Ok(Some(Severity::Warning)),
            "info" => Ok(Some(Severity::Info)),
            "off" => Ok(None),
            other => Err(format!(
                "unknown severity `{other}` (expected error, warning, info or off)"
            )),
        }
    }
}

/// A secondary span with a short text, possibly in another file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Label {
    /// Vault-relative path; `None` means the diagnostic's own file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip)]
    pub range: Range<usize>,
    pub message: String,
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub message: String,
    /// Vault-relative, `/`-separated.
    pub path: String,
    pub range: Range<usize>,
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    /// The sort key that makes output deterministic: path, position, code, message.
    pub fn sort_key(&self) -> (&str, usize, usize, &str, &str) {
        (
            &self.path,
            self.range.start,
            self.range.end,
            self.code,
            &self.message,
        )
    }
}

/// What a rule emits; the engine fills in code, name, severity and path.
#[derive(Clone, Debug)]
pub struct Finding {
    pub range: Range<usize>,
    pub message: String,
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Finding {
    pub fn new(range: Range<usize>, message: impl Into<String>) -> Self {
        Finding {
            range,
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn label(mut self, range: Range<usize>, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            path: None,
            range,
            message: message.into(),
        });
        self
    }

    pub fn label_in(
        mut self,
        path: impl Into<String>,
        range: Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        self.labels.push(Label {
            path: Some(path.into()),
            range,
            message: message.into(),
        });
        self
    }
}
