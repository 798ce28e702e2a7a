//! A real AnkiConnect-compatible backend for the sync tests: anki-connect-server (the Anki
//! engine, no GUI) on a free loopback port with a fresh collection, stopped when dropped.
//! `scripts/test` provisions it and sets `DECKSMITH_ANKI_SERVER`. And the replies recorded
//! from the real add-on and the server, for the fakes that replay them.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct AnkiServer {
    child: Child,
    pub url: String,
    exe: std::path::PathBuf,
    port: u16,
    dir: tempfile::TempDir,
}

impl AnkiServer {
    /// Start a server; `None` when it is not provisioned and `DECKSMITH_TEST_SKIP` allows
    /// the test to be skipped (see [`super::require`]).
    pub fn start() -> Option<AnkiServer> {
        let exe = super::require(super::Tool::AnkiBackend)?;
        let dir = tempfile::tempdir().expect("tempdir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let child = spawn(&exe, dir.path(), port);
        let server = AnkiServer {
            child,
            url: format!("http://127.0.0.1:{port}"),
            exe,
            port,
            dir,
        };
        server.wait_ready();
        Some(server)
    }

    fn wait_ready(&self) {
        let client = decksmith::anki::Client::new(&self.url, None).expect("client");
        let deadline = Instant::now() + Duration::from_secs(60);
        while client.version().is_err() {
            assert!(
                Instant::now() < deadline,
                "anki-connect-server did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Make every note look last modified `days` earlier, as if the collection had been
    /// left alone that long: the server is stopped, the collection's note modification
    /// times moved back (with Python's sqlite3, on the SQLite file Anki keeps), and the
    /// server started again on the same collection and port.
    pub fn age_notes(&mut self, days: i64) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let python = ["python3", "python"]
            .iter()
            .map(|name| self.exe.with_file_name(name))
            .find(|p| p.exists())
            .unwrap_or_else(|| "python3".into());
        let script = format!(
            "import sqlite3, sys\n\
             c = sqlite3.connect(sys.argv[1])\n\
             c.execute('update notes set mod = mod - {}')\n\
             c.commit()\n",
            days * 86_400
        );
        let status = Command::new(python)
            .args(["-c", &script])
            .arg(self.dir.path().join("collection.anki2"))
            .status()
            .expect("python3 runs");
        assert!(status.success(), "the collection could not be aged");
        self.child = spawn(&self.exe, self.dir.path(), self.port);
        self.wait_ready();
    }
}

fn spawn(exe: &std::path::Path, dir: &std::path::Path, port: u16) -> Child {
    Command::new(exe)
        .arg("api")
        .current_dir(dir)
        .env("ANKICONNECT_COLLECTION_PATH", dir.join("collection.anki2"))
        .env("ANKICONNECT_BIND", "127.0.0.1")
        .env("ANKICONNECT_PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start anki-connect-server")
}

impl Drop for AnkiServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A recorded reply, (HTTP status, body), by its name in `tests/data/ankiconnect-replies.json`;
/// `backend` is `real` (the add-on) or `server`.
pub fn recorded(backend: &str, name: &str) -> (u16, serde_json::Value) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/ankiconnect-replies.json"
    );
    let all: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("replies")).expect("JSON");
    let e = all[backend]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no recorded `{name}` for {backend}"));
    (
        e["status"].as_u64().expect("status") as u16,
        e["reply"].clone(),
    )
}

/// The `synced_at` sync tests write (`DECKSMITH_SYNCED_AT`), for reproducible files.
pub const SYNCED_AT: &str = "2026-02-01T10:00:00.000000+00:00";

/// A copy of the demo vault without its damaged notes (which sync skips) and without a
/// cache.
pub fn demo_vault() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    super::copy_dir(&super::fixture("vault"), dir.path());
    std::fs::remove_dir_all(dir.path().join("broken")).expect("drop broken notes");
    let _ = std::fs::remove_dir_all(dir.path().join(".decksmith-cache"));
    dir
}

/// `decksmith sync --anki-url URL EXTRA… DIR`, with a fixed `synced_at` and no API key.
pub fn sync_command(url: &str, dir: &std::path::Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_decksmith"));
    cmd.args(["sync", "--anki-url", url])
        .args(extra)
        .arg(dir)
        .env("DECKSMITH_SYNCED_AT", SYNCED_AT)
        .env_remove("DECKSMITH_ANKI_KEY");
    cmd
}
