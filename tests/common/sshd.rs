//! A real OpenSSH server on 127.0.0.1 with throwaway host and client keys,
//! and real HTTP servers behind it (Python's http.server).

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The server is the sandbox's own (src/sandbox/sshd.rs); a test that cannot
/// start it fails.
pub struct Sshd(skiff::sandbox::sshd::LocalSshd);

impl std::ops::Deref for Sshd {
    type Target = skiff::sandbox::sshd::LocalSshd;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Sshd {
    /// Starts sshd; panics (failing the test) if OpenSSH's server is missing.
    pub fn start(dir: &Path) -> Self {
        Self::start_with(dir, "")
    }

    pub fn start_with(dir: &Path, extra: &str) -> Self {
        assert!(
            skiff::sandbox::sshd::LocalSshd::available(),
            "the tests need OpenSSH's server (Debian: openssh-server); scripts/test installs it"
        );
        Self(
            skiff::sandbox::sshd::LocalSshd::start_with(dir, extra)
                .unwrap_or_else(|e| panic!("{e}")),
        )
    }

    pub fn restart(&mut self) {
        self.0.restart().unwrap_or_else(|e| panic!("{e}"));
    }

    pub fn kill(&mut self) {
        self.0.kill();
    }

    pub fn new_host_key(&mut self) {
        self.0.new_host_key().unwrap_or_else(|e| panic!("{e}"));
    }
}

pub fn wait_for_port(port: u16) {
    skiff::sandbox::sshd::wait_for_port(port, Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));
}

pub fn free_port() -> u16 {
    super::dead_port()
}

/// An HTTP server answering with a page that contains `marker`.
pub struct Http {
    child: Child,
    pub port: u16,
}

impl Http {
    pub fn start(dir: &Path, marker: &str) -> Self {
        let root = dir.join(marker);
        std::fs::create_dir_all(&root).expect("root");
        std::fs::write(root.join("index.html"), format!("<h1>{marker}</h1>")).expect("page");
        let port = free_port();
        let child = Command::new("python3")
            .args([
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                &port.to_string(),
            ])
            .current_dir(&root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 http.server");
        wait_for_port(port);
        Self { child, port }
    }
}

impl Drop for Http {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// GET / on 127.0.0.1:`port`, the body as text.
pub fn http_get(port: u16) -> Result<String, String> {
    use std::io::{Read, Write};
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    s.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut out = String::new();
    s.read_to_string(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// ssh client processes that use `alias` (the tunnel's HostKeyAlias).
pub fn ssh_processes(alias: &str) -> usize {
    let out = Command::new("pgrep")
        .args(["-f", &format!("ssh -N .*HostKeyAlias={alias}")])
        .output()
        .expect("pgrep");
    String::from_utf8_lossy(&out.stdout).lines().count()
}
