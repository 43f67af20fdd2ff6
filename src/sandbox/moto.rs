//! A moto server (the local AWS emulator) as an owned child process on a free
//! 127.0.0.1 port. Dropping the handle stops the server.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Why a moto server could not be started.
#[derive(Debug, thiserror::Error)]
pub enum MotoError {
    #[error(
        "moto_server not found (looked for {tried}). Install it with `scripts/setup-python` \
         (it creates .venv with moto[server]) or set SKIFF_MOTO_SERVER to its path"
    )]
    NotFound { tried: String },
    #[error("cannot start {path}: {error}")]
    Spawn {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("moto_server exited before it was ready: {log}")]
    Exited { log: String },
    #[error("moto_server did not answer on 127.0.0.1:{port} within {secs} s")]
    Timeout { port: u16, secs: u64 },
    #[error("cannot find a free local port: {0}")]
    Port(std::io::Error),
}

/// A running moto server.
#[derive(Debug)]
pub struct MotoServer {
    child: Child,
    port: u16,
    log: PathBuf,
}

const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// Where moto_server is: `SKIFF_MOTO_SERVER`, the project's `.venv`, then PATH.
pub fn find_moto_server() -> Result<PathBuf, MotoError> {
    let mut tried = Vec::new();
    if let Some(p) = std::env::var_os("SKIFF_MOTO_SERVER") {
        let p = PathBuf::from(p);
        if p.is_file() {
            return Ok(p);
        }
        tried.push(p.display().to_string());
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server");
    if venv.is_file() {
        return Ok(venv);
    }
    tried.push(venv.display().to_string());
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join("moto_server");
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    tried.push("moto_server on PATH".to_string());
    Err(MotoError::NotFound {
        tried: tried.join(", "),
    })
}

fn free_port() -> Result<u16, MotoError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(MotoError::Port)?;
    Ok(listener.local_addr().map_err(MotoError::Port)?.port())
}

impl MotoServer {
    /// Starts moto on a free loopback port and waits until it accepts
    /// connections. Retries on another port if the chosen one was taken in
    /// the meantime.
    pub fn start() -> Result<Self, MotoError> {
        let path = find_moto_server()?;
        let mut last = None;
        for _ in 0..3 {
            match Self::start_once(&path) {
                Ok(server) => return Ok(server),
                Err(e @ MotoError::Exited { .. }) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or(MotoError::Timeout { port: 0, secs: 0 }))
    }

    /// A server on `port` (tests that take one down and bring it back on
    /// the same address).
    pub fn start_on(port: u16) -> Result<Self, MotoError> {
        Self::start_on_port(&find_moto_server()?, port)
    }

    fn start_once(path: &Path) -> Result<Self, MotoError> {
        Self::start_on_port(path, free_port()?)
    }

    fn start_on_port(path: &Path, port: u16) -> Result<Self, MotoError> {
        let log =
            std::env::temp_dir().join(format!("skiff-moto-{}-{port}.log", std::process::id()));
        let log_file = std::fs::File::create(&log).map_err(|error| MotoError::Spawn {
            path: log.clone(),
            error,
        })?;
        // moto's request recorder (used by the tests) writes here, not into
        // whatever directory skiff was started from.
        let recording = log.with_extension("recording");
        let mut child = Command::new(path)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_RECORDER_FILEPATH", &recording)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .map_err(|error| MotoError::Spawn {
                path: path.to_path_buf(),
                error,
            })?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let started = Instant::now();
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(Self { child, port, log });
            }
            if let Ok(Some(_)) = child.try_wait() {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                let _ = std::fs::remove_file(&log);
                let tail: Vec<&str> = text.lines().rev().take(3).collect();
                return Err(MotoError::Exited {
                    log: tail.into_iter().rev().collect::<Vec<_>>().join(" | "),
                });
            }
            if started.elapsed() > READY_TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                let _ = std::fs::remove_file(&log);
                return Err(MotoError::Timeout {
                    port,
                    secs: READY_TIMEOUT.as_secs(),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The endpoint URL to give the SDK.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops the server now (also done on drop).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
        let _ = std::fs::remove_file(self.log.with_extension("recording"));
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        self.stop();
    }
}
