//! The Session Manager fixture (`tests/fixtures/ssm_fixture.py`): the
//! StartSession/ResumeSession/TerminateSession/DescribeInstanceInformation
//! calls and both far ends of the data channel (the service and the agent:
//! port sessions to real servers on this machine, shells under a real
//! pseudo-terminal), in front of a real moto that answers every other call.
//! moto has no Session Manager; `tests/reach.rs` proves the fixture with a
//! client we did not write (npm's ssm-session) before skiff is trusted
//! through it.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdin, Command, Stdio};

use super::faults::{fixture, python};

pub struct SsmFixture {
    child: Child,
    _stdin: Option<ChildStdin>,
    pub api: u16,
    pub ws: u16,
}

impl SsmFixture {
    /// In front of moto at `upstream`, with the fixture's flags
    /// (`--map INSTANCE:PORT=HOST:PORT`, `--faults …`, `--deny-start`, …).
    pub fn start(upstream: &str, args: &[String]) -> Self {
        let mut child = Command::new(python())
            .arg(fixture("ssm_fixture.py"))
            .args(["--upstream", upstream])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the Session Manager fixture: {e}"));
        let stdin = child.stdin.take();
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        out.read_line(&mut line).expect("fixture's first line");
        let port = |key: &str| -> u16 {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(key))
                .and_then(|p| p.parse().ok())
                .unwrap_or_else(|| panic!("the fixture said `{line}`, not READY api=… ws=…"))
        };
        let (api, ws) = (port("api="), port("ws="));
        // Drain the rest of its output so it never blocks.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = out.read_to_end(&mut sink);
        });
        SsmFixture {
            child,
            _stdin: stdin,
            api,
            ws,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.api)
    }

    /// What the fixture counted (sessions, faults, resumes, bad frames).
    pub fn stats(&self) -> serde_json::Value {
        let url = format!("http://127.0.0.1:{}/stats", self.api);
        let out = Command::new(python())
            .args([
                "-c",
                "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())",
                &url,
            ])
            .output()
            .expect("python");
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
    }
}

impl Drop for SsmFixture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
