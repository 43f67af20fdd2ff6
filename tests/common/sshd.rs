//! A real OpenSSH server on 127.0.0.1 with throwaway host and client keys,
//! and real HTTP servers behind it (Python's http.server).

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Sshd {
    child: Option<Child>,
    pub port: u16,
    pub dir: PathBuf,
    /// Directory to give skiff as ~/.ssh (holds rnd-key.pem, mode 0600).
    pub ssh_dir: PathBuf,
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nothing listens on 127.0.0.1:{port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn free_port() -> u16 {
    super::dead_port()
}

impl Sshd {
    /// Starts sshd; panics (failing the test) if OpenSSH's server is missing.
    pub fn start(dir: &Path) -> Self {
        assert!(
            Path::new("/usr/sbin/sshd").is_file(),
            "the tests need OpenSSH's server (Debian: openssh-server); scripts/test installs it"
        );
        let _ = std::fs::create_dir_all("/run/sshd");
        let ssh_dir = dir.join("ssh");
        std::fs::create_dir_all(&ssh_dir).expect("ssh dir");
        let host_key = dir.join("host_key");
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&host_key));
        let client_key = ssh_dir.join("rnd-key.pem");
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&client_key));
        std::fs::copy(
            client_key.with_extension("pem.pub"),
            dir.join("authorized_keys"),
        )
        .expect("authorized_keys");
        let mut sshd = Self {
            child: None,
            port: free_port(),
            dir: dir.to_path_buf(),
            ssh_dir,
        };
        sshd.write_config();
        sshd.restart();
        sshd
    }

    fn write_config(&self) {
        let d = self.dir.display();
        let cfg = format!(
            "Port {}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nAuthorizedKeysFile {d}/authorized_keys\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPidFile none\n\
             AllowTcpForwarding yes\nPermitRootLogin prohibit-password\nLogLevel ERROR\n",
            self.port
        );
        std::fs::write(self.dir.join("sshd_config"), cfg).expect("config");
    }

    /// (Re)starts the server on the same port with the same keys.
    pub fn restart(&mut self) {
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(self.dir.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(self.dir.join("sshd.log")).expect("log"))
            .spawn()
            .expect("start sshd");
        self.child = Some(child);
        wait_for_port(self.port);
    }

    /// Kills the server and every connection it serves (their processes run
    /// in sessions of their own, so the listener's children are killed too).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("pkill")
                .args(["-KILL", "-P", &c.id().to_string()])
                .status();
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// A new host key: the server now looks like a different machine.
    pub fn new_host_key(&mut self) {
        let host_key = self.dir.join("host_key");
        let _ = std::fs::remove_file(&host_key);
        let _ = std::fs::remove_file(host_key.with_extension("pub"));
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&host_key));
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.kill();
    }
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
