//! The fault fixture (`tests/fixtures/fault_proxy.py`) between skiff and a
//! real moto: it throttles with each protocol's own error, resets and cuts
//! answers, delays them, holds instances in pending/stopping, refuses a
//! node's start for lack of capacity and pages what moto does not. Started
//! on a free loopback port; it stops when this handle is dropped (its
//! standard input closes) or when the test process dies.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

pub struct FaultProxy {
    child: Child,
    /// Held open: the proxy exits when it closes.
    _stdin: Option<ChildStdin>,
    port: u16,
    /// http, or https for a TLS front.
    scheme: String,
}

/// The project's Python (the one with moto), for the fixtures.
pub fn python() -> PathBuf {
    let venv =
        Path::new(&std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join(".venv/bin/python3");
    assert!(
        venv.is_file(),
        "the tests need the project's virtualenv ({}): run scripts/setup-python",
        venv.display()
    );
    venv
}

/// A fixture script under tests/fixtures.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(&std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

impl FaultProxy {
    /// Starts the proxy in front of `upstream` (moto's endpoint) with
    /// `config` (JSON; see the fixture for the keys).
    pub fn start(upstream: &str, config: serde_json::Value) -> Self {
        Self::spawn(
            "fault_proxy.py",
            &[
                "--upstream",
                upstream,
                "--port",
                "0",
                "--config",
                &config.to_string(),
            ],
        )
    }

    /// An HTTPS front for `upstream` whose certificate only `dir`/ca.pem
    /// (a throwaway CA made there) vouches for.
    pub fn start_tls(upstream: &str, dir: &Path) -> Self {
        let dir = dir.to_str().expect("utf-8 path");
        Self::spawn(
            "fault_proxy.py",
            &["--upstream", upstream, "--port", "0", "--tls-dir", dir],
        )
    }

    /// A forward proxy (CONNECT and absolute-form) that records every
    /// target it was asked for and reaches only this machine.
    pub fn start_forward() -> Self {
        Self::spawn("tls_and_proxy.py", &["forward", "--port", "0"])
    }

    fn spawn(script: &str, args: &[&str]) -> Self {
        let mut child = Command::new(python())
            .arg(fixture(script))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("start tests/fixtures/{script}: {e}"));
        let stdout = child.stdout.take().expect("stdout");
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("the fixture's first line");
        let url = first.trim().trim_start_matches("listening on ").to_string();
        let (scheme, rest) = url
            .split_once("://")
            .unwrap_or_else(|| panic!("{script} said {first:?}, not where it listens"));
        let port = rest
            .rsplit(':')
            .next()
            .and_then(|p| p.trim_end_matches('/').parse().ok())
            .unwrap_or_else(|| panic!("{script} said {first:?}, not where it listens"));
        let stdin = child.stdin.take();
        Self {
            child,
            _stdin: stdin,
            port,
            scheme: scheme.to_string(),
        }
    }

    /// The endpoint to give skiff.
    pub fn endpoint(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.port)
    }

    /// The control API (plain HTTP; not for a TLS front).
    fn http(&self, method: &str, path: &str, body: &str) -> String {
        assert_eq!(
            self.scheme, "http",
            "the control API of a TLS front is not reachable here"
        );
        let mut conn =
            std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("the fault proxy");
        write!(
            conn,
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.port,
            body.len()
        )
        .expect("request");
        let mut answer = String::new();
        conn.read_to_string(&mut answer).expect("answer");
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        assert!(
            head.contains(" 200 "),
            "fault proxy {method} {path}: {head}"
        );
        body.to_string()
    }

    /// Replaces the faults (keys left out are off).
    pub fn configure(&self, config: serde_json::Value) {
        self.http("POST", "/__fixture/config", &config.to_string());
    }

    /// What it did: requests and faults, by kind and by operation.
    pub fn stats(&self) -> serde_json::Value {
        serde_json::from_str(&self.http("GET", "/__fixture/stats", "")).expect("stats json")
    }

    pub fn reset_stats(&self) {
        self.http("POST", "/__fixture/reset-stats", "");
    }

    /// Waits until the requests it has seen stop changing (three looks,
    /// 100 ms apart): a client that gave up on a slow attempt may have left
    /// the request in the proxy's queue, to be counted later.
    pub fn quiesce(&self) {
        let mut last = self.stats()["requests"].clone();
        let mut same = 0;
        while same < 3 {
            std::thread::sleep(std::time::Duration::from_millis(100));
            let now = self.stats()["requests"].clone();
            same = if now == last { same + 1 } else { 0 };
            last = now;
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
