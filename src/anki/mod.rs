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
* Every action is an [`Action`] defined once in [`action`], never a bare name. Retries only
  for read-only actions (and `multi` batches of nothing else), after a failure to connect or
  a connection that broke before the reply: a write that may have reached Anki is never
  repeated blindly (sync re-reads by slug instead).
* The API key is sent only when configured, and never printed: a backend may echo the
  request (FastAPI's 422 quotes the body it refused; a proxy or a broken add-on may put it in
  an error), so every text the client takes from a reply passes one redaction
  ([`Client::scrub`]) that replaces the key, in each form JSON may spell it, by
  `<redacted>`, escapes control characters and cuts excerpts short. Text from the backend
  can then be printed as it is, on a terminal too.
* A reply that is not AnkiConnect's envelope (not JSON, no `result`/`error`, a result of
  the wrong type) is a malformed reply, told apart from AnkiConnect refusing an action: it
  means the backend is not a compatible AnkiConnect.
* The address must be an `http`/`https` URL with a host, checked before anything is sent
  ([`check_url`]), so a typo is a usage error and not "Anki is not running".
* Replies are keyed by id, never zipped by position: `notesInfo` answers `{}` for a deleted
  note on the add-on and drops it on the server.
*/

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

pub mod action;

pub use action::Action;

/// The default address of AnkiConnect.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8765";

/// What stands for the API key wherever a reply echoed it.
pub const REDACTED: &str = "<redacted>";

/// How much of a malformed reply an error quotes: enough to recognise what answered (an
/// HTML page, a proxy's message), short enough for one line.
const EXCERPT_CHARS: usize = 160;

/// How much of an error text from the backend is kept. Anki's own texts are far shorter; a
/// backend that answers with a whole document must not flood the terminal.
const MESSAGE_CHARS: usize = 1000;

/// How long Anki may take to sync with AnkiWeb: a normal sync takes seconds, a first one of
/// a large collection minutes, and the add-on answers only when it is done.
const ANKIWEB_TIMEOUT: Duration = Duration::from_secs(600);

/// Whether a request only reads: a read-only action, or a `multi` of nothing else.
fn only_reads(act: Action, subs: &[(Action, Value)]) -> bool {
    if act == action::MULTI {
        return subs.iter().all(|(a, _)| a.read_only);
    }
    act.read_only
}

/// A failed call. Every text in it that came from the backend has been through
/// [`Client::scrub`] when the client built it.
#[derive(Debug, thiserror::Error)]
pub enum AnkiError {
    /// The address is not one AnkiConnect can listen at.
    #[error("`{url}` is not an AnkiConnect address: {reason}")]
    Address { url: String, reason: String },
    /// Nothing answers at the address: Anki is not running, AnkiConnect is not installed, or
    /// it listens elsewhere.
    #[error("cannot reach AnkiConnect at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("AnkiConnect did not answer `{action}` within {seconds} s")]
    Timeout { action: String, seconds: u64 },
    /// AnkiConnect answered with an error for the action.
    #[error("AnkiConnect refused `{action}`: {message}")]
    Action { action: String, message: String },
    /// The backend refused the request itself, with an HTTP error and no AnkiConnect reply
    /// (anki-connect-server's 422 for a malformed envelope, a bug in decksmith; the add-on's
    /// 403 for a foreign `Origin`; a proxy in the way).
    #[error("AnkiConnect rejected the request for `{action}` (HTTP {status}): {body}")]
    Envelope {
        action: String,
        status: u16,
        body: String,
    },
    /// A malformed reply: not JSON, no `result`/`error` envelope, or a result of the wrong
    /// type for the action. Whatever answered is not a compatible AnkiConnect.
    #[error("AnkiConnect sent a malformed reply to `{action}`: {detail}")]
    Decode { action: String, detail: String },
}

impl AnkiError {
    /// Whether the backend could not be reached at all (sync exit code 3).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, AnkiError::Unreachable { .. })
    }
}

/// Check an AnkiConnect address: an `http` or `https` URL with a host. The reason is
/// returned; callers name where the address came from.
pub fn check_url(text: &str) -> Result<url::Url, String> {
    const FORM: &str = "write it like http://127.0.0.1:8765";
    let parsed = url::Url::parse(text).map_err(|e| format!("{e}; {FORM}"))?;
    // The parser itself refuses an http(s) URL without a host ("empty host").
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("it must start with http:// or https://; {FORM}"));
    }
    Ok(parsed)
}

/// `text` with every control character escaped (`\u{1b}`, `\n`), so that text from outside
/// can be printed without moving the cursor, recolouring or rewriting a terminal. Other
/// characters, including Anki's bidi isolation marks around its messages, are kept.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The forms the API key may take in a reply or in a message about one: as sent; as JSON
/// writes it inside a string (quotes, backslashes and control characters escaped); as
/// Python's `json` writes it by default (every non-ASCII character as `\uXXXX` too); and
/// each of these as Rust quotes a string (serde's "invalid type: string \"…\"" messages).
/// Longest first, so that no form is replaced inside another.
fn key_forms(key: &str) -> Vec<String> {
    let inner = |quoted: String| {
        quoted
            .strip_prefix('"')
            .and_then(|q| q.strip_suffix('"'))
            .map_or_else(|| quoted.clone(), str::to_string)
    };
    let json = inner(serde_json::to_string(key).unwrap_or_default());
    let mut ascii = String::new();
    for c in json.chars() {
        if c.is_ascii() {
            ascii.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                ascii.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    let mut forms = Vec::new();
    for form in [key.to_string(), json, ascii] {
        forms.push(inner(format!("{form:?}")));
        forms.push(form);
    }
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    forms.dedup();
    forms
}

/// A blocking AnkiConnect client.
pub struct Client {
    url: String,
    endpoint: url::Url,
    key: Option<String>,
    /// The forms of the key that [`Client::scrub`] replaces.
    key_forms: Vec<String>,
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
    /// A client for `url`, which must pass [`check_url`]. `key` is sent only when set.
    pub fn new(url: &str, key: Option<String>) -> Result<Client, AnkiError> {
        let endpoint = check_url(url).map_err(|reason| AnkiError::Address {
            url: escape_controls(url).into_owned(),
            reason,
        })?;
        let http = reqwest::blocking::Client::builder()
            .pool_max_idle_per_host(0)
            .connect_timeout(Duration::from_secs(3))
            .no_proxy()
            .build()
            .map_err(|e| AnkiError::Unreachable {
                url: url.to_string(),
                reason: e.to_string(),
            })?;
        let key = key.filter(|k| !k.is_empty());
        Ok(Client {
            url: url.trim_end_matches('/').to_string(),
            endpoint,
            key_forms: key.as_deref().map(key_forms).unwrap_or_default(),
            key,
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

    /// Text from the backend made safe to print: the API key replaced by `<redacted>` in
    /// each form a reply may spell it, control characters escaped. The key is replaced
    /// before anything is cut, so no part of it can survive at a cut.
    pub fn scrub(&self, text: &str) -> String {
        self.scrub_cut(text, usize::MAX)
    }

    /// [`Client::scrub`], keeping at most `limit` characters of the redacted text.
    fn scrub_cut(&self, text: &str, limit: usize) -> String {
        let mut redacted = Cow::Borrowed(text);
        for form in &self.key_forms {
            if redacted.contains(form.as_str()) {
                redacted = Cow::Owned(redacted.replace(form.as_str(), REDACTED));
            }
        }
        let cut = match redacted.char_indices().nth(limit) {
            Some((at, _)) => format!("{}…", &redacted[..at]),
            None => redacted.into_owned(),
        };
        escape_controls(&cut).into_owned()
    }

    /// The one place where the client's errors are finished: every text in them that may
    /// come from the backend is scrubbed, excerpts of replies are cut short.
    fn fail(&self, e: AnkiError) -> AnkiError {
        match e {
            AnkiError::Address { .. } | AnkiError::Timeout { .. } => e,
            AnkiError::Unreachable { url, reason } => AnkiError::Unreachable {
                url,
                reason: self.scrub_cut(&reason, MESSAGE_CHARS),
            },
            AnkiError::Action { action, message } => AnkiError::Action {
                action,
                message: self.scrub_cut(&message, MESSAGE_CHARS),
            },
            AnkiError::Envelope {
                action,
                status,
                body,
            } => AnkiError::Envelope {
                action,
                status,
                body: self.scrub_cut(&body, EXCERPT_CHARS),
            },
            AnkiError::Decode { action, detail } => AnkiError::Decode {
                action,
                detail: self.scrub_cut(&detail, EXCERPT_CHARS),
            },
        }
    }

    fn envelope(&self, action: Action, params: Value) -> Value {
        let mut body = json!({ "action": action.name, "version": 6, "params": params });
        if let Some(key) = &self.key {
            body["key"] = Value::from(key.clone());
        }
        body
    }

    /// Call `action` and decode its result. `items` scales the time-out (batch size).
    pub fn call<T: DeserializeOwned>(
        &self,
        action: Action,
        params: Value,
        items: usize,
    ) -> Result<T, AnkiError> {
        let result = self.raw(action, params, items)?;
        self.decode(action, result)
    }

    /// Decode a result; a value of the wrong type is a malformed reply.
    fn decode<T: DeserializeOwned>(&self, action: Action, value: Value) -> Result<T, AnkiError> {
        serde_json::from_value(value).map_err(|e| {
            self.fail(AnkiError::Decode {
                action: action.to_string(),
                detail: e.to_string(),
            })
        })
    }

    /// Call `action`; the `result` value.
    pub fn raw(&self, action: Action, params: Value, items: usize) -> Result<Value, AnkiError> {
        self.send(action, params, time_limit(items), action.read_only)
            .map_err(|e| self.fail(e))
    }

    /// One request, retried after connection failures when it only reads; errors are not
    /// yet scrubbed.
    fn send(
        &self,
        action: Action,
        params: Value,
        timeout: Duration,
        read_only: bool,
    ) -> Result<Value, AnkiError> {
        let body = self.envelope(action, params);
        let attempts = if read_only { 3 } else { 1 };
        let mut last = None;
        for attempt in 0..attempts {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(200 * (1 << attempt)));
            }
            self.requests.fetch_add(1, Ordering::Relaxed);
            let sent = self
                .http
                .post(self.endpoint.clone())
                .timeout(timeout)
                .json(&body)
                .send();
            match sent {
                Ok(reply) => return read_reply(action.name, reply, timeout),
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
                // The connection broke before a reply (anki-connect-server resets one now and
                // then while its collection is being written): a read is asked again, a write
                // may have been processed and is not.
                Err(e) if read_only => {
                    last = Some(AnkiError::Unreachable {
                        url: self.url.clone(),
                        reason: e.to_string(),
                    });
                }
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

    /// `multi`: one request, one `Result` per sub-action (each carries `version: 6`, and the
    /// key, which the add-on checks per sub-action). Error texts are scrubbed.
    pub fn multi(
        &self,
        actions: &[(Action, Value)],
    ) -> Result<Vec<Result<Value, String>>, AnkiError> {
        let subs: Vec<Value> = actions
            .iter()
            .map(|(a, p)| self.envelope(*a, p.clone()))
            .collect();
        let params = json!({ "actions": subs });
        let timeout = time_limit(actions.len());
        let result = self
            .send(
                action::MULTI,
                params,
                timeout,
                only_reads(action::MULTI, actions),
            )
            .map_err(|e| self.fail(e))?;
        let replies: Vec<Value> = self.decode(action::MULTI, result)?;
        Ok(replies
            .into_iter()
            .map(|r| match r {
                Value::Object(mut m) if m.contains_key("error") => match m.remove("error") {
                    Some(Value::Null) | None => Ok(m.remove("result").unwrap_or(Value::Null)),
                    Some(e) => {
                        let text = e.as_str().map_or_else(|| e.to_string(), str::to_string);
                        Err(self.scrub_cut(&text, MESSAGE_CHARS))
                    }
                },
                other => Ok(other),
            })
            .collect())
    }

    pub fn version(&self) -> Result<i64, AnkiError> {
        self.call(action::VERSION, json!({}), 0)
    }

    pub fn create_deck(&self, deck: &str) -> Result<i64, AnkiError> {
        self.call(action::CREATE_DECK, json!({ "deck": deck }), 0)
    }

    /// The fields of a note type; `None` when it does not exist.
    pub fn model_field_names(&self, model: &str) -> Result<Option<Vec<String>>, AnkiError> {
        match self.call::<Vec<String>>(action::MODEL_FIELD_NAMES, json!({ "modelName": model }), 0)
        {
            Ok(fields) => Ok((!fields.is_empty()).then_some(fields)),
            Err(AnkiError::Action { message, .. }) if missing_model(&message) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn find_notes(&self, query: &str) -> Result<Vec<i64>, AnkiError> {
        self.call(action::FIND_NOTES, json!({ "query": query }), 0)
    }

    /// `notesInfo`, keyed by note id: deleted notes are simply absent (`{}` placeholders
    /// and dropped entries both mean "gone").
    pub fn notes_info(&self, ids: &[i64]) -> Result<HashMap<i64, NoteInfo>, AnkiError> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(1000) {
            let infos: Vec<Value> =
                self.call(action::NOTES_INFO, json!({ "notes": chunk }), chunk.len())?;
            for v in infos {
                if v.as_object().is_some_and(|o| !o.is_empty()) {
                    let info: NoteInfo = self.decode(action::NOTES_INFO, v)?;
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
                self.call(action::CARDS_INFO, json!({ "cards": chunk }), chunk.len())?;
            for v in infos
                .into_iter()
                .filter(|v| v.as_object().is_some_and(|o| !o.is_empty()))
            {
                out.push(self.decode(action::CARDS_INFO, v)?);
            }
        }
        Ok(out)
    }

    /// `addNotes` for one chunk, accepting both reply shapes.
    pub fn add_notes(&self, notes: &[Value]) -> Result<Added, AnkiError> {
        match self.call::<Vec<Option<i64>>>(
            action::ADD_NOTES,
            json!({ "notes": notes }),
            notes.len(),
        ) {
            Ok(slots) if slots.len() == notes.len() => Ok(Added::Slots(slots)),
            Ok(slots) => Err(self.fail(AnkiError::Decode {
                action: action::ADD_NOTES.to_string(),
                detail: format!("{} results for {} notes", slots.len(), notes.len()),
            })),
            Err(AnkiError::Action { message, .. }) => Ok(Added::Rejected(message)),
            Err(e) => Err(e),
        }
    }

    pub fn delete_notes(&self, notes: &[i64]) -> Result<(), AnkiError> {
        self.raw(action::DELETE_NOTES, json!({ "notes": notes }), notes.len())
            .map(|_| ())
    }

    /// Ask Anki to sync its collection with AnkiWeb (the `sync` action: what the Sync
    /// button does). It reaches the network, and answers only when AnkiWeb has, so it gets
    /// a long time-out; it is never retried.
    pub fn sync_ankiweb(&self) -> Result<(), AnkiError> {
        self.send(
            action::SYNC,
            json!({}),
            ANKIWEB_TIMEOUT,
            action::SYNC.read_only,
        )
        .map(|_| ())
        .map_err(|e| self.fail(e))
    }
}

/// The `result` of a reply, or why there is none. AnkiConnect's envelope decides, whatever
/// the HTTP status: the add-on answers 200 for errors, anki-connect-server 500 for some.
/// Without an envelope, an HTTP error status means the backend refused the request itself;
/// a success status means the reply is malformed.
fn read_reply(
    action: &str,
    reply: reqwest::blocking::Response,
    timeout: Duration,
) -> Result<Value, AnkiError> {
    let status = reply.status();
    let url = reply.url().to_string();
    let text = reply.text().map_err(|e| {
        if e.is_timeout() {
            AnkiError::Timeout {
                action: action.to_string(),
                seconds: timeout.as_secs(),
            }
        } else {
            AnkiError::Unreachable {
                url,
                reason: format!("the reply to `{action}` broke off: {e}"),
            }
        }
    })?;
    let malformed = |detail: String| {
        if status.is_success() {
            AnkiError::Decode {
                action: action.to_string(),
                detail,
            }
        } else {
            AnkiError::Envelope {
                action: action.to_string(),
                status: status.as_u16(),
                body: text.clone(),
            }
        }
    };
    let value: Value =
        serde_json::from_str(&text).map_err(|_| malformed(format!("not JSON: {text}")))?;
    let Value::Object(mut map) = value else {
        return Err(malformed(format!("not an object: {value}")));
    };
    match map.remove("error") {
        Some(Value::String(message)) => Err(AnkiError::Action {
            action: action.to_string(),
            message,
        }),
        Some(Value::Null) => match map.remove("result") {
            Some(result) => Ok(result),
            None => Err(malformed(format!("no `result`: {}", Value::Object(map)))),
        },
        Some(other) => Err(malformed(format!("an `error` that is not text: {other}"))),
        None => Err(malformed(format!(
            "no `result`/`error` envelope: {}",
            Value::Object(map)
        ))),
    }
}

/// Whether an error text says the note type does not exist (the add-on's text).
fn missing_model(message: &str) -> bool {
    message.starts_with("model was not found")
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
        Err(message) if missing_model(&message) => Ok(None),
        Err(message) => Err(message),
    }
}

#[cfg(test)]
mod tests {
    use super::{action, escape_controls, key_forms, model_fields, only_reads};
    use serde_json::json;

    #[test]
    fn a_multi_of_reads_is_a_read_and_one_write_makes_it_a_write() {
        let reads = [
            (action::FIND_NOTES, json!({})),
            (action::NOTES_INFO, json!({})),
        ];
        assert!(only_reads(action::MULTI, &reads));
        let mixed = [
            (action::FIND_NOTES, json!({})),
            (action::ADD_NOTE, json!({})),
        ];
        assert!(!only_reads(action::MULTI, &mixed));
        assert!(only_reads(action::FIND_NOTES, &[]));
        assert!(!only_reads(action::ADD_NOTES, &[]));
    }

    #[test]
    fn every_spelling_of_the_key_is_known() {
        let forms = key_forms("a\"b🔑");
        for form in [
            "a\"b🔑",
            r#"a\"b🔑"#,
            r#"a\"b\ud83d\udd11"#,
            r#"a\\\"b\\ud83d\\udd11"#,
        ] {
            assert!(forms.iter().any(|f| f == form), "{form} in {forms:?}");
        }
        assert!(forms.windows(2).all(|w| w[0].len() >= w[1].len()));
    }

    #[test]
    fn control_characters_are_escaped_and_nothing_else() {
        assert_eq!(
            escape_controls("\u{1b}[31mred\u{7f}\n\u{2068}ok\u{2069} é"),
            "\\u{1b}[31mred\\u{7f}\\n\u{2068}ok\u{2069} é"
        );
        assert!(matches!(
            escape_controls("plain"),
            std::borrow::Cow::Borrowed("plain")
        ));
    }

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
