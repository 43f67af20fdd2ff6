//! What the sandbox's instances are on this machine: an OpenSSH server that
//! ds-workbench and the `rnd` cluster are pointed at (their `skiff:ssh-host`
//! tags), with its host key recorded in skiff's known_hosts, and two small
//! web pages standing in for JupyterHub (:8000) and RStudio Server (:8787)
//! behind it — so tunnels, shells and `skiff run` work in the demo, and
//! nothing ever dials the emulator's made-up public addresses.

use std::convert::Infallible;
use std::path::{Path, PathBuf};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

use super::Seeded;
use super::sshd::{LocalSshd, current_user};
use crate::cloud::Session;

/// The instances pointed at the local SSH server.
pub const ON_SSH: [&str; 5] = [
    "ds-workbench",
    "rnd-master",
    "rnd-slave-1",
    "rnd-slave-2",
    "rnd-slave-3",
];

/// The stand-ins, running until dropped.
#[derive(Debug)]
pub struct LocalHosts {
    pub sshd: LocalSshd,
    /// (name, port) of each web stand-in that could bind its port.
    pub web: Vec<(&'static str, u16)>,
    /// Why a stand-in is missing (its port was taken).
    pub notes: Vec<String>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for LocalHosts {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl LocalHosts {
    /// The key skiff uses for them (`rnd-key.pem`, the instances' key pair).
    pub fn key(&self) -> PathBuf {
        self.sshd.ssh_dir.join("rnd-key.pem")
    }
}

/// Starts sshd and the web stand-ins, points the instances at sshd and
/// records its host key under each instance id in `known_hosts`.
pub async fn start(
    session: &Session,
    seeded: &Seeded,
    known_hosts: &Path,
) -> Result<LocalHosts, String> {
    let dir = tempfile::Builder::new()
        .prefix("skiff-sandbox-ssh-")
        .tempdir()
        .map_err(|e| format!("cannot make a directory for the sandbox's SSH server: {e}"))?;
    let sshd = LocalSshd::start(dir.path())?;
    let ids: Vec<String> = ON_SSH
        .iter()
        .filter_map(|n| seeded.instances.get(*n).map(|(id, _)| id.clone()))
        .collect();
    super::seeder(session)
        .map_err(|e| e.to_string())?
        .point_at_local_ssh("us-east-1", &ids, &sshd.address(), &current_user())
        .await
        .map_err(|e| e.to_string())?;
    let lines = ids
        .iter()
        .map(|id| sshd.known_hosts_line(id))
        .collect::<Result<Vec<_>, _>>()?;
    crate::ops::tunnel::hostkeys::accept(known_hosts, &lines)
        .map_err(|e| format!("cannot record the sandbox's host key: {e}"))?;
    let mut hosts = LocalHosts {
        sshd,
        web: Vec::new(),
        notes: Vec::new(),
        tasks: Vec::new(),
        _dir: dir,
    };
    for (name, port) in [("JupyterHub", 8000u16), ("RStudio Server", 8787)] {
        match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
            Ok(listener) => {
                hosts.tasks.push(tokio::spawn(serve(listener, name)));
                hosts.web.push((name, port));
            }
            Err(e) => hosts.notes.push(format!(
                "the {name} stand-in is off: 127.0.0.1:{port} is taken ({e})"
            )),
        }
    }
    Ok(hosts)
}

/// A page that says what it stands for.
async fn serve(listener: tokio::net::TcpListener, name: &'static str) {
    let page = format!(
        "<!doctype html><title>{name} (skiff sandbox)</title>\
         <h1>{name}</h1><p>A stand-in served by <code>skiff sandbox</code> behind its local SSH \
         server: this page reached you through a skiff tunnel.</p>"
    );
    while let Ok((stream, _)) = listener.accept().await {
        let page = page.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |_req| {
                let page = page.clone();
                async move {
                    Ok::<_, Infallible>(
                        hyper::Response::builder()
                            .header("content-type", "text/html; charset=utf-8")
                            .body(Full::new(Bytes::from(page)))
                            .unwrap_or_default(),
                    )
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
