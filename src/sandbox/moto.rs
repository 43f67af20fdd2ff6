//! A moto server (the local AWS emulator) as an owned child process on a free
//! 127.0.0.1 port. Dropping the handle stops the server. [`MotoZygote`]
//! forks many of them from one warm interpreter (the tests start ~120).

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
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
    #[error("the moto zygote failed: {0}")]
    Zygote(String),
}

/// A running moto server.
#[derive(Debug)]
pub struct MotoServer {
    process: Process,
    port: u16,
    log: PathBuf,
}

/// Whose child the server is: ours, or the zygote's (which reaps it).
#[derive(Debug)]
enum Process {
    Own(Child),
    Forked(rustix::process::Pid),
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
                return Ok(Self {
                    process: Process::Own(child),
                    port,
                    log,
                });
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

    /// Stops the server now (also done on drop): when this returns, its
    /// port refuses connections.
    pub fn stop(&mut self) {
        match &mut self.process {
            Process::Own(child) => {
                let _ = child.kill();
                let _ = child.wait();
            }
            Process::Forked(pid) => {
                use rustix::process::{Signal, kill_process, test_kill_process};
                let _ = kill_process(*pid, Signal::KILL);
                // The zygote ignores SIGCHLD, so the kernel reaps the child
                // as it dies: the pid is gone once its sockets are closed.
                let deadline = Instant::now() + Duration::from_secs(5);
                while test_kill_process(*pid).is_ok() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
        }
        let _ = std::fs::remove_file(&self.log);
        let _ = std::fs::remove_file(self.log.with_extension("recording"));
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A Python interpreter that has imported moto and built the backends of the
/// sandbox's services and regions once, and forks a fresh server on a free
/// port for each [`MotoZygote::spawn`] in a few milliseconds (a new
/// `moto_server` takes about two seconds of CPU before it has answered its
/// first EC2 call). Each server's state is its own, as with [`MotoServer::start`].
/// The servers die with the zygote, and the zygote when its owner exits.
pub struct MotoZygote {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// Its standard error (an import that failed, moto's warnings), in a
    /// file already removed from the temporary directory.
    log: std::fs::File,
}

const ZYGOTE: &str = include_str!("moto_zygote.py");

impl MotoZygote {
    pub fn start(regions: &[&str]) -> Result<Self, MotoError> {
        let python = interpreter_of(&find_moto_server()?);
        let path =
            std::env::temp_dir().join(format!("skiff-moto-{}-zygote.log", std::process::id()));
        let spawn_error = |error| MotoError::Spawn {
            path: path.clone(),
            error,
        };
        let log = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .map_err(spawn_error)?;
        let log_file = log.try_clone().map_err(spawn_error)?;
        let _ = std::fs::remove_file(&path);
        let mut child = Command::new(&python)
            .arg("-c")
            .arg(ZYGOTE)
            .args(regions)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .map_err(|error| MotoError::Spawn {
                path: python.clone(),
                error,
            })?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(MotoError::Zygote("no pipes to the zygote".into()));
        };
        Ok(Self {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            log,
        })
    }

    /// A new server with a state of its own.
    pub fn spawn(&mut self) -> Result<MotoServer, MotoError> {
        static SERVERS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = SERVERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let log = std::env::temp_dir().join(format!("skiff-moto-{}-z{n}.log", std::process::id()));
        let recording = log.with_extension("recording");
        let mut line = String::new();
        let asked = writeln!(self.stdin, "{} {}", log.display(), recording.display())
            .and_then(|()| self.stdin.flush())
            .and_then(|_| self.stdout.read_line(&mut line));
        let mut words = line.split_whitespace().map(str::parse);
        match (asked, words.next(), words.next()) {
            (Ok(_), Some(Ok(port)), Some(Ok(pid))) => Ok(MotoServer {
                process: Process::Forked(
                    rustix::process::Pid::from_raw(pid)
                        .ok_or_else(|| MotoError::Zygote(format!("pid {pid}")))?,
                ),
                port: u16::try_from(port).map_err(|e| MotoError::Zygote(e.to_string()))?,
                log,
            }),
            (asked, ..) => {
                let why = match asked {
                    // The end of its output: it has exited (or is exiting).
                    Ok(0) => match self.child.wait() {
                        Ok(status) => format!("it exited ({status})"),
                        Err(e) => e.to_string(),
                    },
                    Ok(_) => format!("it said `{}`", line.trim()),
                    Err(e) => e.to_string(),
                };
                let mut text = String::new();
                let _ = std::io::Seek::rewind(&mut self.log)
                    .and_then(|()| std::io::Read::read_to_string(&mut self.log, &mut text));
                let tail: Vec<&str> = text.lines().rev().take(3).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                Err(MotoError::Zygote(format!("{why}: {}", tail.join(" | "))))
            }
        }
    }
}

impl Drop for MotoZygote {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Python a script's `#!` line names (moto_server's own, in its venv).
fn interpreter_of(script: &Path) -> PathBuf {
    std::fs::read_to_string(script)
        .ok()
        .and_then(|text| {
            let first = text.lines().next()?.strip_prefix("#!")?.trim().to_string();
            let path = PathBuf::from(first.split_whitespace().next()?);
            path.is_file().then_some(path)
        })
        .unwrap_or_else(|| PathBuf::from("python3"))
}
