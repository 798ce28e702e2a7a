/*!
The AnkiConnect client: the only code in decksmith that talks HTTP.

Written against the measured behaviour of the real add-on (see `docs/ankiconnect.md` in the
reference material), tolerating the quirks of other backends:

* Every request is `{"action", "version": 6, "params", "key"?}` with
  `Content-Type: application/json`; the reply's `error` decides success whatever the HTTP
  status (the add-on answers 200 for errors, anki-connect-server 500 for some); a 422
  `{"detail": …}` is an envelope error, i.e. a bug on our side.
* No connection reuse: the add-on closes every connection after replying, without saying so,
  and a pooled client would write into a dead socket.
* A short connect time-out ("Anki is not running" must be fast) and a request time-out
  scaled to the batch size; no proxy, ever, for loopback traffic.
* Retries only for failures to connect, and only for read-only actions: a write that may
  have reached Anki is never repeated blindly (sync re-reads by slug instead).
* The API key is sent only when configured, and never printed.
* Replies are keyed by id, never zipped by position: `notesInfo` answers `{}` for a deleted
  note on the add-on and drops it on the server.
*/

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The default address of AnkiConnect.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8765";

/// Actions that only read: safe to retry after a connection failure.
const READ_ONLY: &[&str] = &[
    "version",
    "requestPermission",
    "apiReflect",
    "deckNames",
    "modelNames",
    "modelFieldNames",
    "findNotes",
    "findCards",
    "notesInfo",
    "cardsInfo",
    "canAddNotes",
    "canAddNotesWithErrorDetail",
    "getMediaFilesNames",
];

/// A failed call.
#[derive(Debug, thiserror::Error)]
pub enum AnkiError {
    /// Nothing answers at the address: Anki is not running, AnkiConnect is not installed, or
    /// it listens elsewhere.
    #[error("cannot reach AnkiConnect at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("AnkiConnect did not answer `{action}` within {seconds} s")]
    Timeout { action: String, seconds: u64 },
    /// AnkiConnect answered with an error for the action.
    #[error("AnkiConnect refused `{action}`: {message}")]
    Action { action: String, message: String },
    /// The request itself was malformed (a bug in decksmith).
    #[error("AnkiConnect rejected the request for `{action}` (HTTP {status}): {body}")]
    Envelope {
        action: String,
        status: u16,
        body: String,
    },
    #[error("unexpected reply to `{action}`: {detail}")]
    Decode { action: String, detail: String },
}

impl AnkiError {
    /// Whether the backend could not be reached at all (sync exit code 3).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, AnkiError::Unreachable { .. })
    }
}

/// A blocking AnkiConnect client.
pub struct Client {
    url: String,
    key: Option<String>,
    http: reqwest::blocking::Client,
    requests: AtomicUsize,
}

impl std::fmt::Debug for Client {
    // The key is a secret: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("url", &self.url)
            .field("key", &self.key.as_ref().map(|_| "<set>"))
            .finish()
    }
}

/// One note as `notesInfo` describes it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct NoteInfo {
    pub note_id: i64,
    #[serde(default)]
    pub model_name: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub fields: HashMap<String, FieldValue>,
    /// Card ids; absent on some backends.
    #[serde(default)]
    pub cards: Option<Vec<i64>>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct FieldValue {
    pub value: String,
    #[serde(default)]
    pub order: i64,
}

impl NoteInfo {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(|f| f.value.as_str())
    }
}

/// One card as `cardsInfo` describes it (only what sync needs).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CardInfo {
    pub card_id: i64,
    pub note: i64,
    pub deck_name: String,
}

/// The outcome of one `addNotes` chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Added {
    /// One slot per note: the new id, or `None` where the add-on refused that note.
    Slots(Vec<Option<i64>>),
    /// The whole chunk was refused (the 25.x add-on rolls back every note of the call).
    Rejected(String),
}

/// How long a request of `items` items may take before the client gives up on it.
fn time_limit(items: usize) -> Duration {
    Duration::from_secs(30 + (items as u64) / 20)
}

impl Client {
    /// A client for `url`. `key` is sent only when set.
    pub fn new(url: &str, key: Option<String>) -> Result<Client, AnkiError> {
        let http = reqwest::blocking::Client::builder()
            .pool_max_idle_per_host(0)
            .connect_timeout(Duration::from_secs(3))
            .no_proxy()
            .build()
            .map_err(|e| AnkiError::Unreachable {
                url: url.to_string(),
                reason: e.to_string(),
            })?;
        Ok(Client {
            url: url.trim_end_matches('/').to_string(),
            key: key.filter(|k| !k.is_empty()),
            http,
            requests: AtomicUsize::new(0),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// How many HTTP requests this client has sent.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    fn envelope(&self, action: &str, params: Value) -> Value {
        let mut body = json!({ "action": action, "version": 6, "params": params });
        if let Some(key) = &self.key {
            body["key"] = Value::from(key.clone());
        }
        body
    }

    /// Call `action` and decode its result. `items` scales the time-out (batch size).
    pub fn call<T: DeserializeOwned>(
        &self,
        action: &str,
        params: Value,
        items: usize,
    ) -> Result<T, AnkiError> {
        let result = self.raw(action, params, items)?;
        serde_json::from_value(result).map_err(|e| AnkiError::Decode {
            action: action.to_string(),
            detail: e.to_string(),
        })
    }

    /// Call `action`; the `result` value.
    pub fn raw(&self, action: &str, params: Value, items: usize) -> Result<Value, AnkiError> {
        let body = self.envelope(action, params);
        let timeout = time_limit(items);
        let attempts = if READ_ONLY.contains(&action) { 3 } else { 1 };
        let mut last = None;
        for attempt in 0..attempts {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(200 * (1 << attempt)));
            }
            self.requests.fetch_add(1, Ordering::Relaxed);
            let sent = self
                .http
                .post(&self.url)
                .timeout(timeout)
                .json(&body)
                .send();
            match sent {
                Ok(reply) => return self.decode(action, reply),
                Err(e) if e.is_connect() => {
                    last = Some(AnkiError::Unreachable {
                        url: self.url.clone(),
                        reason: e.to_string(),
                    });
                }
                Err(e) if e.is_timeout() => {
                    return Err(AnkiError::Timeout {
                        action: action.to_string(),
                        seconds: timeout.as_secs(),
                    });
                }
                // The request may have been processed: do not retry.
                Err(e) => {
                    return Err(AnkiError::Unreachable {
                        url: self.url.clone(),
                        reason: e.to_string(),
                    });
                }
            }
        }
        Err(last.unwrap_or_else(|| AnkiError::Unreachable {
            url: self.url.clone(),
            reason: "no attempt made".into(),
        }))
    }

    fn decode(&self, action: &str, reply: reqwest::blocking::Response) -> Result<Value, AnkiError> {
        let status = reply.status().as_u16();
        let text = reply.text().map_err(|e| AnkiError::Decode {
            action: action.to_string(),
            detail: e.to_string(),
        })?;
        let value: Value = serde_json::from_str(&text).map_err(|_| AnkiError::Envelope {
            action: action.to_string(),
            status,
            body: text.chars().take(300).collect(),
        })?;
        match value {
            Value::Object(mut map) if map.contains_key("error") => match map.remove("error") {
                Some(Value::Null) | None => Ok(map.remove("result").unwrap_or(Value::Null)),
                Some(Value::String(message)) => Err(AnkiError::Action {
                    action: action.to_string(),
                    message,
                }),
                Some(other) => Err(AnkiError::Action {
                    action: action.to_string(),
                    message: other.to_string(),
                }),
            },
            other => Err(AnkiError::Envelope {
                action: action.to_string(),
                status,
                body: other.to_string().chars().take(300).collect(),
            }),
        }
    }

    /// `multi`: one request, one `Result` per sub-action (each carries `version: 6`, and the
    /// key, which the add-on checks per sub-action).
    pub fn multi(
        &self,
        actions: &[(&str, Value)],
    ) -> Result<Vec<Result<Value, String>>, AnkiError> {
        let subs: Vec<Value> = actions
            .iter()
            .map(|(a, p)| self.envelope(a, p.clone()))
            .collect();
        let replies: Vec<Value> = self.call("multi", json!({ "actions": subs }), actions.len())?;
        Ok(replies
            .into_iter()
            .map(|r| match r {
                Value::Object(mut m) if m.contains_key("error") => match m.remove("error") {
                    Some(Value::Null) | None => Ok(m.remove("result").unwrap_or(Value::Null)),
                    Some(e) => Err(e.as_str().map_or_else(|| e.to_string(), str::to_string)),
                },
                other => Ok(other),
            })
            .collect())
    }

    pub fn version(&self) -> Result<i64, AnkiError> {
        self.call("version", json!({}), 0)
    }

    pub fn create_deck(&self, deck: &str) -> Result<i64, AnkiError> {
        self.call("createDeck", json!({ "deck": deck }), 0)
    }

    /// The fields of a note type; `None` when it does not exist.
    pub fn model_field_names(&self, model: &str) -> Result<Option<Vec<String>>, AnkiError> {
        let reply = match self.raw("modelFieldNames", json!({ "modelName": model }), 0) {
            Ok(v) => Ok(v),
            Err(AnkiError::Action { message, .. }) => Err(message),
            Err(e) => return Err(e),
        };
        model_fields(reply).map_err(|message| AnkiError::Action {
            action: "modelFieldNames".into(),
            message,
        })
    }

    pub fn find_notes(&self, query: &str) -> Result<Vec<i64>, AnkiError> {
        self.call("findNotes", json!({ "query": query }), 0)
    }

    /// `notesInfo`, keyed by note id: deleted notes are simply absent (`{}` placeholders
    /// and dropped entries both mean "gone").
    pub fn notes_info(&self, ids: &[i64]) -> Result<HashMap<i64, NoteInfo>, AnkiError> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(1000) {
            let infos: Vec<Value> =
                self.call("notesInfo", json!({ "notes": chunk }), chunk.len())?;
            for v in infos {
                if v.as_object().is_some_and(|o| !o.is_empty()) {
                    let info: NoteInfo =
                        serde_json::from_value(v).map_err(|e| AnkiError::Decode {
                            action: "notesInfo".into(),
                            detail: e.to_string(),
                        })?;
                    out.insert(info.note_id, info);
                }
            }
        }
        Ok(out)
    }

    /// `cardsInfo`, skipping `{}` placeholders of deleted cards.
    pub fn cards_info(&self, ids: &[i64]) -> Result<Vec<CardInfo>, AnkiError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(1000) {
            let infos: Vec<Value> =
                self.call("cardsInfo", json!({ "cards": chunk }), chunk.len())?;
            for v in infos
                .into_iter()
                .filter(|v| v.as_object().is_some_and(|o| !o.is_empty()))
            {
                out.push(serde_json::from_value(v).map_err(|e| AnkiError::Decode {
                    action: "cardsInfo".into(),
                    detail: e.to_string(),
                })?);
            }
        }
        Ok(out)
    }

    /// `addNotes` for one chunk, accepting both reply shapes.
    pub fn add_notes(&self, notes: &[Value]) -> Result<Added, AnkiError> {
        match self.call::<Vec<Option<i64>>>("addNotes", json!({ "notes": notes }), notes.len()) {
            Ok(slots) if slots.len() == notes.len() => Ok(Added::Slots(slots)),
            Ok(slots) => Err(AnkiError::Decode {
                action: "addNotes".into(),
                detail: format!("{} results for {} notes", slots.len(), notes.len()),
            }),
            Err(AnkiError::Action { message, .. }) => Ok(Added::Rejected(message)),
            Err(e) => Err(e),
        }
    }

    pub fn delete_notes(&self, notes: &[i64]) -> Result<(), AnkiError> {
        self.raw("deleteNotes", json!({ "notes": notes }), notes.len())
            .map(|_| ())
    }
}

/// Read a `modelFieldNames` reply: `None` when the note type does not exist (an error on
/// the add-on, `[]` on the server). Any other error is an error: taking it for a missing
/// note type would create a second one (the server silently names it `<name>-<hex>`).
pub fn model_fields(reply: Result<Value, String>) -> Result<Option<Vec<String>>, String> {
    match reply {
        Ok(v) => {
            let fields: Vec<String> = serde_json::from_value(v).map_err(|e| e.to_string())?;
            Ok((!fields.is_empty()).then_some(fields))
        }
        Err(message) if message.starts_with("model was not found") => Ok(None),
        Err(message) => Err(message),
    }
}

#[cfg(test)]
mod tests {
    use super::model_fields;
    use serde_json::json;

    #[test]
    fn only_a_missing_note_type_reads_as_missing() {
        assert_eq!(model_fields(Ok(json!([]))), Ok(None));
        assert_eq!(
            model_fields(Err("model was not found: decksmith".into())),
            Ok(None)
        );
        assert_eq!(
            model_fields(Ok(json!(["Front", "Back"]))),
            Ok(Some(vec!["Front".to_string(), "Back".to_string()]))
        );
        assert_eq!(
            model_fields(Err("collection is not available".into())),
            Err("collection is not available".to_string())
        );
    }
}
