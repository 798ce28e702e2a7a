//! The AnkiConnect client against recorded replies of the real add-on (Anki 26.9.3) and of
//! anki-connect-server, replayed by a small local server that, like the add-on, closes every
//! connection after one reply. These cover the error paths the test backend cannot produce.

mod common;

use decksmith::anki::action;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use common::anki::recorded;
use decksmith::anki::{Added, AnkiError, Client};
use serde_json::{Value, json};

/// What the replay server saw of one request.
#[derive(Clone, Debug)]
struct Seen {
    content_type: Option<String>,
    body: Value,
}

struct Replay {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// Answer every request with `answer(request body)`: (status, reply body), one connection
/// per request.
fn serve(answer: impl Fn(&str) -> (u16, String) + Send + 'static) -> Replay {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else {
                return;
            };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let (mut length, mut content_type) = (0usize, None);
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if lower.starts_with("content-type:") {
                    content_type = Some(line[13..].trim().to_string());
                }
            }
            let mut buf = vec![0; length];
            let _ = reader.read_exact(&mut buf);
            let request = String::from_utf8_lossy(&buf).into_owned();
            log.lock().expect("lock").push(Seen {
                content_type,
                body: serde_json::from_str(&request).unwrap_or(Value::Null),
            });
            let (status, text) = answer(&request);
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{text}",
                text.len()
            );
            // Like the add-on: close without announcing it.
        }
    });
    Replay { url, seen }
}

/// Serve `replies` (status, body) in order, one per connection.
fn replay(replies: Vec<(u16, Value)>) -> Replay {
    let replies = Mutex::new(replies.into_iter());
    serve(move |_| {
        let (status, body) = replies
            .lock()
            .expect("lock")
            .next()
            .expect("a reply for every request");
        (status, body.to_string())
    })
}

#[test]
fn envelope_and_connection_per_request() {
    let r = replay(vec![
        recorded("real", "version"),
        recorded("real", "version"),
    ]);
    let client = Client::new(&r.url, None).expect("client");
    assert_eq!(client.version().expect("version"), 6);
    assert_eq!(
        client.version().expect("second call on a new connection"),
        6
    );
    assert_eq!(client.requests(), 2);
    let seen = r.seen.lock().expect("lock").clone();
    assert_eq!(seen[0].content_type.as_deref(), Some("application/json"));
    assert_eq!(
        seen[0].body,
        json!({"action": "version", "version": 6, "params": {}})
    );
}

#[test]
fn the_key_is_sent_only_when_set_and_never_printed() {
    let r = replay(vec![recorded("real", "version")]);
    let client = Client::new(&r.url, Some("s3cret".into())).expect("client");
    client.version().expect("version");
    assert_eq!(r.seen.lock().expect("lock")[0].body["key"], "s3cret");
    assert!(!format!("{client:?}").contains("s3cret"));
    // A stray key is refused by the real add-on: the message is passed on.
    let r = replay(vec![recorded("real", "version_with_bogus_key")]);
    let err = Client::new(&r.url, Some("x".into()))
        .expect("client")
        .version()
        .expect_err("refused");
    assert!(
        err.to_string().contains("valid api key must be provided"),
        "{err}"
    );
}

#[test]
fn action_errors_whatever_the_http_status() {
    let r = replay(vec![
        recorded("real", "unknown_action"),
        recorded("server", "findNotes bad query"),
        recorded("server", "malformed_json_body"),
    ]);
    let c = Client::new(&r.url, None).expect("client");
    match c.raw(decksmith::anki::Action::write("noSuchAction"), json!({}), 0) {
        Err(AnkiError::Action { message, .. }) => assert_eq!(message, "unsupported action"),
        other => panic!("{other:?}"),
    }
    // HTTP 500 with an error envelope is still an action error.
    match c.find_notes("\"unclosed") {
        Err(AnkiError::Action { message, .. }) => assert!(message.starts_with("Invalid search")),
        other => panic!("{other:?}"),
    }
    // A 422 `{"detail": …}` is an envelope error: a decksmith bug, reported as such.
    assert!(matches!(
        c.version(),
        Err(AnkiError::Envelope { status: 422, .. })
    ));
}

#[test]
fn deleted_notes_are_absent_on_both_backends() {
    for backend in ["real", "server"] {
        let (status, reply) = recorded(backend, "notesInfo [deleted, nid1]");
        let r = replay(vec![(status, reply.clone())]);
        let c = Client::new(&r.url, None).expect("client");
        let live = reply["result"]
            .as_array()
            .expect("list")
            .iter()
            .find_map(|n| n["noteId"].as_i64())
            .expect("a live note");
        let infos = c.notes_info(&[1, live]).expect("notesInfo");
        assert_eq!(infos.len(), 1, "{backend}");
        assert!(
            infos.contains_key(&live),
            "{backend}: keyed by id, not by position"
        );
    }
}

#[test]
fn add_notes_reply_shapes() {
    // Real add-on: a `null` hole for the duplicate.
    let r = replay(vec![
        recorded("real", "addNotes [new, dup, new]"),
        (
            200,
            json!({"result": null, "error": "['cannot create note because it is a duplicate']"}),
        ),
    ]);
    let c = Client::new(&r.url, None).expect("client");
    let notes = vec![json!({}), json!({}), json!({})];
    match c.add_notes(&notes).expect("addNotes") {
        Added::Slots(slots) => {
            assert!(slots[0].is_some() && slots[1].is_none() && slots[2].is_some());
        }
        other => panic!("{other:?}"),
    }
    // The 25.x add-on rolls the whole chunk back (hand-written from the documented reply).
    assert_eq!(
        c.add_notes(&notes).expect("addNotes"),
        Added::Rejected("['cannot create note because it is a duplicate']".into())
    );
}

#[test]
fn missing_note_type_on_both_backends() {
    let r = replay(vec![
        recorded("real", "modelFieldNames missing model"),
        recorded("server", "modelFieldNames missing model"),
    ]);
    let c = Client::new(&r.url, None).expect("client");
    assert_eq!(c.model_field_names("NoSuchModel").expect("real"), None);
    assert_eq!(c.model_field_names("NoSuchModel").expect("server"), None);
}

#[test]
fn the_deck_bug_is_visible_in_cards_info() {
    let r = replay(vec![recorded("real", "cardsInfo")]);
    let c = Client::new(&r.url, None).expect("client");
    let cards = c.cards_info(&[1]).expect("cardsInfo");
    // Added to `Probe`, the card sits in `Default` on Anki 26 (the deck is ignored).
    assert_eq!(cards[0].deck_name, "Default");
}

#[test]
fn multi_answers_per_action() {
    let r = replay(vec![recorded("real", "multi")]);
    let c = Client::new(&r.url, None).expect("client");
    let out = c
        .multi(&[
            (action::DECK_NAMES, json!({})),
            (action::VERSION, json!({})),
            (action::UPDATE_NOTE_FIELDS, json!({})),
        ])
        .expect("multi");
    assert!(out[0].is_ok() && out[1].as_ref().is_ok_and(|v| v == &json!(6)));
    let sent = r.seen.lock().expect("lock")[0].body.clone();
    assert!(
        sent["params"]["actions"]
            .as_array()
            .expect("actions")
            .iter()
            .all(|a| a["version"] == 6)
    );
}

#[test]
fn nothing_listening_is_unreachable_and_fast() {
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let c = Client::new(&format!("http://127.0.0.1:{port}"), None).expect("client");
    let t = std::time::Instant::now();
    let err = c.version().expect_err("nothing listens");
    assert!(err.is_unreachable(), "{err}");
    // A read-only call is retried twice with a short backoff, writes never.
    assert_eq!(c.requests(), 3);
    assert!(t.elapsed() < std::time::Duration::from_secs(5));
    let before = c.requests();
    assert!(c.delete_notes(&[1]).is_err());
    assert_eq!(c.requests(), before + 1);
}

/// An API key with characters that JSON escapes (quotes) and that Python's `json` escapes by
/// default (Cyrillic), so each spelling of it a backend may echo is exercised.
const KEY: &str = "k3y-\"quoted\"-ключ-0123456789abcdef";

/// Whether `text` shows the key or a telling piece of it, in any spelling.
fn shows_key(text: &str) -> bool {
    ["k3y", "0123456789abcdef", "ключ", "\\u043a", "quoted"]
        .iter()
        .any(|piece| text.contains(piece))
}

/// `text` as Python's `json.dumps` writes it by default: every non-ASCII character escaped.
fn ascii_json(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii() {
                c.to_string()
            } else {
                format!("\\u{:04x}", c as u32)
            }
        })
        .collect()
}

/// How a fake backend answers a request: (HTTP status, reply body).
type Answer = dyn Fn(&str) -> (u16, String) + Send;

/// The message of a failed `version` call against a backend answering with `answer`.
fn version_error(answer: impl Fn(&str) -> (u16, String) + Send + 'static) -> AnkiError {
    let r = serve(answer);
    Client::new(&r.url, Some(KEY.into()))
        .expect("client")
        .version()
        .expect_err("the backend fails")
}

#[test]
fn a_backend_echoing_the_request_never_shows_the_key() {
    let echoes: Vec<(&str, Box<Answer>)> = vec![
        (
            "in its error",
            Box::new(|req: &str| (200, json!({"result": null, "error": req}).to_string())),
        ),
        (
            "in its error, ASCII-escaped",
            Box::new(|req: &str| {
                (
                    200,
                    json!({"result": null, "error": ascii_json(req)}).to_string(),
                )
            }),
        ),
        (
            "as the whole reply",
            Box::new(|req: &str| (200, req.to_string())),
        ),
        (
            "as a reply that is not JSON",
            Box::new(|req: &str| (200, format!("echo: {req}"))),
        ),
        (
            "as a result of the wrong type",
            Box::new(|req: &str| (200, json!({"result": req, "error": null}).to_string())),
        ),
        (
            "in a 422 like FastAPI's",
            Box::new(|req: &str| {
                let input: Value = serde_json::from_str(req).unwrap_or(Value::Null);
                (422, json!({"detail": [{"input": input}]}).to_string())
            }),
        ),
    ];
    for (how, answer) in echoes {
        let err = version_error(answer);
        let (text, debug) = (err.to_string(), format!("{err:?}"));
        assert!(!shows_key(&text) && !shows_key(&debug), "{how}: {text}");
        assert!(text.contains("<redacted>"), "{how}: {text}");
    }
}

#[test]
fn the_key_is_redacted_before_an_excerpt_is_cut() {
    // The reply puts the key across the end of the excerpt: a cut made before redacting
    // would print its first characters.
    let err = version_error(|req: &str| {
        let at = req.find("k3y").expect("the request carries the key");
        (
            200,
            format!("{}{req}", "x".repeat(150 - "not JSON: ".len() - at)),
        )
    });
    let text = err.to_string();
    assert!(matches!(err, AnkiError::Decode { .. }), "{text}");
    assert!(!text.contains("k3y") && !text.contains("k3"), "{text}");
    assert!(
        text.chars().count() < 260,
        "an excerpt, not the reply: {text}"
    );
}

#[test]
fn errors_of_single_actions_in_multi_are_redacted_too() {
    let r = serve(|req: &str| {
        let sub = json!({"result": null, "error": req});
        (200, json!({"result": [sub], "error": null}).to_string())
    });
    let c = Client::new(&r.url, Some(KEY.into())).expect("client");
    let out = c.multi(&[(action::DECK_NAMES, json!({}))]).expect("multi");
    let message = out[0].as_ref().expect_err("the action failed");
    assert!(
        !shows_key(message) && message.contains("<redacted>"),
        "{message}"
    );
}

#[test]
fn a_malformed_reply_is_named_as_such() {
    let malformed = [
        (200, "<html><body>502 Bad Gateway</body></html>".to_string()),
        (200, json!({"detail": "Not Found"}).to_string()),
        (200, json!([6]).to_string()),
        (200, json!({"result": "six", "error": null}).to_string()),
        (200, json!({"result": null, "error": 42}).to_string()),
        (200, json!({"error": null}).to_string()),
    ];
    for (status, body) in malformed {
        let shown = body.clone();
        let err = version_error(move |_| (status, body.clone()));
        assert!(matches!(err, AnkiError::Decode { .. }), "{shown}: {err:?}");
        assert!(
            err.to_string()
                .starts_with("AnkiConnect sent a malformed reply to `version`: "),
            "{shown}: {err}"
        );
    }
    // An error in the envelope is AnkiConnect refusing the action, not a malformed reply.
    let err = version_error(|_| (200, json!({"result": null, "error": "boom"}).to_string()));
    assert_eq!(err.to_string(), "AnkiConnect refused `version`: boom");
}

#[test]
fn text_from_the_backend_has_no_control_characters() {
    let nasty = "\u{1b}]0;owned\u{7}\u{1b}[2J\rboom\u{9b}";
    let err = version_error(move |_| (200, json!({"result": null, "error": nasty}).to_string()));
    let text = err.to_string();
    assert!(!text.chars().any(char::is_control), "{text:?}");
    assert!(
        text.contains("\\u{1b}]0;owned") && text.ends_with("boom\\u{9b}"),
        "{text}"
    );
    let err = version_error(move |_| (200, format!("{nasty} is not JSON")));
    let text = err.to_string();
    assert!(!text.chars().any(char::is_control), "{text:?}");
}

#[test]
fn ankiweb_sync_is_one_request_never_retried() {
    // The add-on's `sync` answers nothing on success: the recorded reply of another action
    // that returns nothing stands in for it (a real `sync` reaches AnkiWeb, so none was
    // recorded).
    let r = replay(vec![
        recorded("real", "deleteNotes"),
        recorded("real", "unknown_action"),
    ]);
    let c = Client::new(&r.url, None).expect("client");
    c.sync_ankiweb().expect("synced");
    assert_eq!(r.seen.lock().expect("lock")[0].body["action"], "sync");
    match c.sync_ankiweb() {
        Err(AnkiError::Action { action, message }) => {
            assert_eq!(
                (action.as_str(), message.as_str()),
                ("sync", "unsupported action")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(c.requests(), 2);
}

#[test]
fn an_address_that_is_no_url_is_refused_before_anything_is_sent() {
    for bad in [
        "notaurl",
        "localhost:8765",
        "ftp://127.0.0.1:8765",
        "http://",
        "http://:8765",
    ] {
        match Client::new(bad, None) {
            Err(e @ AnkiError::Address { .. }) => {
                assert!(e.to_string().contains(&format!("`{bad}`")), "{e}");
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
}
