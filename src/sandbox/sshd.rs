//! A real OpenSSH server on 127.0.0.1 with throwaway host and client keys:
//! the sandbox's stand-in for its instances' SSH (tunnels, shells, `run`
//! work in the demo without dialling the emulator's made-up addresses), and
//! the tests' server. It runs as the current user, accepts only the
//! throwaway client key, and stops when dropped.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SSHD: &str = "/usr/sbin/sshd";

/// A running sshd.
#[derive(Debug)]
pub struct LocalSshd {
    child: Option<Child>,
    pub port: u16,
    /// Its keys, config and log.
    pub dir: PathBuf,
    /// A directory to use as ~/.ssh: it holds `rnd-key.pem` (mode 0600),
    /// the key the sandbox's instances name.
    pub ssh_dir: PathBuf,
    /// Lines added to sshd_config (the tests add an AuthorizedKeysCommand).
    extra: String,
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}

fn keygen(path: &Path) -> Result<(), String> {
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "skiff-sandbox", "-f"])
        .arg(path))
}

/// Waits until something accepts connections on 127.0.0.1:`port`.
pub fn wait_for_port(port: u16, within: Duration) -> Result<(), String> {
    let deadline = Instant::now() + within;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() >= deadline {
            return Err(format!("nothing listens on 127.0.0.1:{port}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// The login name of the user skiff runs as (the one sshd lets in).
pub fn current_user() -> String {
    Command::new("id")
        .arg("-un")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|u| !u.is_empty())
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "root".into())
}

impl LocalSshd {
    /// Whether OpenSSH's server is installed.
    pub fn available() -> bool {
        Path::new(SSHD).is_file()
    }

    /// Starts sshd with fresh keys in `dir`.
    pub fn start(dir: &Path) -> Result<Self, String> {
        Self::start_with(dir, "")
    }

    /// [`LocalSshd::start`] with `extra` lines in its config.
    pub fn start_with(dir: &Path, extra: &str) -> Result<Self, String> {
        if !Self::available() {
            return Err(format!(
                "OpenSSH's server is not installed ({SSHD}; Debian: apt-get install openssh-server)"
            ));
        }
        // sshd wants its privilege-separation directory when run as root.
        let _ = std::fs::create_dir_all("/run/sshd");
        let ssh_dir = dir.join("ssh");
        std::fs::create_dir_all(&ssh_dir).map_err(|e| format!("{}: {e}", ssh_dir.display()))?;
        let host_key = dir.join("host_key");
        keygen(&host_key)?;
        let client_key = ssh_dir.join("rnd-key.pem");
        keygen(&client_key)?;
        std::fs::copy(
            client_key.with_extension("pem.pub"),
            dir.join("authorized_keys"),
        )
        .map_err(|e| format!("authorized_keys: {e}"))?;
        let mut sshd = Self {
            child: None,
            port: free_port()?,
            dir: dir.to_path_buf(),
            ssh_dir,
            extra: extra.to_string(),
        };
        sshd.write_config()?;
        sshd.restart()?;
        Ok(sshd)
    }

    fn write_config(&self) -> Result<(), String> {
        let d = self.dir.display();
        // One server stands in for every node of a cluster: `skiff run` on
        // four nodes scans each one's keys (a connection per key type) at
        // once. sshd's default MaxStartups (10:30:100) drops 30 % of the
        // unauthenticated connections beyond ten, so a node's scan came
        // back empty now and then on a loaded machine.
        let cfg = format!(
            "Port {}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nAuthorizedKeysFile {d}/authorized_keys\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPidFile none\n\
             AllowTcpForwarding yes\nPermitRootLogin prohibit-password\nLogLevel ERROR\nSubsystem sftp internal-sftp\nMaxStartups 100:30:200\n{}",
            self.port, self.extra
        );
        std::fs::write(self.dir.join("sshd_config"), cfg).map_err(|e| format!("sshd_config: {e}"))
    }

    /// (Re)starts the server on the same port with the same keys.
    pub fn restart(&mut self) -> Result<(), String> {
        let log = std::fs::File::create(self.dir.join("sshd.log"))
            .map_err(|e| format!("sshd.log: {e}"))?;
        let child = Command::new(SSHD)
            .args(["-D", "-e", "-f"])
            .arg(self.dir.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {SSHD}: {e}"))?;
        self.child = Some(child);
        wait_for_port(self.port, Duration::from_secs(10))
    }

    /// Kills the server and every connection it serves (their processes
    /// run in sessions of their own, so the listener's children too).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("pkill")
                .args(["-KILL", "-P", &c.id().to_string()])
                .status();
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// A new host key: the server now looks like a different machine
    /// (takes effect at the next restart).
    pub fn new_host_key(&mut self) -> Result<(), String> {
        let host_key = self.dir.join("host_key");
        let _ = std::fs::remove_file(&host_key);
        let _ = std::fs::remove_file(host_key.with_extension("pub"));
        keygen(&host_key)
    }

    /// The known_hosts line of this server under `alias` (an instance id).
    pub fn known_hosts_line(&self, alias: &str) -> Result<String, String> {
        let public = std::fs::read_to_string(self.dir.join("host_key.pub"))
            .map_err(|e| format!("host_key.pub: {e}"))?;
        let mut parts = public.split_whitespace();
        let (kind, key) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        Ok(format!("{alias} {kind} {key}"))
    }

    /// `127.0.0.1:PORT`, the `skiff:ssh-host` tag's value.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for LocalSshd {
    fn drop(&mut self) {
        self.kill();
    }
}
