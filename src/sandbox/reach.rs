//! The sandbox's nodes that ssh cannot dial: `private-lab` (no public
//! address) reached over Session Manager through the loopback fixture
//! (`tests/fixtures/ssm_fixture.py`, in front of moto, standing in for the
//! service moto lacks), and `behind-bastion` reached through a bastion —
//! both are the local SSH server, so `t`, `!` and `e` work on them in the
//! demo with no plugin installed. `private-lab` is tagged `skiff:reach=ssm`:
//! its tunnels (to the JupyterHub and RStudio stand-ins) and shells go
//! straight over Session Manager, its commands and copies as ssh over it.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

use super::hosts::LocalHosts;
use super::sshd::current_user;
use super::world;
use crate::cloud::Session;
use crate::cloud::actions::seed::SeedInstance;

pub const PRIVATE: &str = "private-lab";
pub const BEHIND_BASTION: &str = "behind-bastion";

/// The Session Manager fixture, running until dropped.
#[derive(Debug)]
pub struct SsmFixture {
    child: Child,
    _stdin: Option<ChildStdin>,
    pub endpoint: String,
}

impl Drop for SsmFixture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The fixture's script and the Python that runs it: `SKIFF_SSM_FIXTURE`,
/// else this source tree's (a build from source; a packaged skiff has none).
fn fixture_paths() -> Option<(PathBuf, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = std::env::var_os("SKIFF_SSM_FIXTURE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("tests/fixtures/ssm_fixture.py"));
    let python = root.join(".venv/bin/python3");
    (script.is_file() && python.is_file()).then_some((python, script))
}

/// Starts the fixture in front of `upstream` (moto), carrying ports of
/// nodes to local servers (`--map INSTANCE:PORT=HOST:PORT` each).
fn start_fixture(upstream: &str, maps: &[String]) -> Result<SsmFixture, String> {
    let (python, script) = fixture_paths().ok_or_else(|| {
        "the Session Manager stand-in (tests/fixtures/ssm_fixture.py and the project's .venv) is not here".to_string()
    })?;
    let mut child = Command::new(python)
        .arg(script)
        .args(["--upstream", upstream])
        .args(maps.iter().map(|m| format!("--map={m}")))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the Session Manager stand-in: {e}"))?;
    let stdin = child.stdin.take();
    let mut out = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut line = String::new();
    out.read_line(&mut line)
        .map_err(|e| format!("the Session Manager stand-in said nothing: {e}"))?;
    let api = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("api="))
        .ok_or_else(|| format!("the Session Manager stand-in said `{}`", line.trim()))?
        .to_string();
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = out.read_to_end(&mut sink);
    });
    Ok(SsmFixture {
        child,
        _stdin: stdin,
        endpoint: format!("http://127.0.0.1:{api}"),
    })
}

/// Launches `private-lab` and `behind-bastion` (the local SSH server as
/// both the bastion and the node behind it), records the server's host key
/// under their names, and starts the Session Manager stand-in; the
/// stand-in, whose endpoint the sandbox then uses for everything.
pub async fn start(
    session: &Session,
    hosts: &LocalHosts,
    upstream: &str,
    known_hosts: &Path,
) -> Result<SsmFixture, String> {
    let region = "us-east-1";
    let actions = super::seeder(session).map_err(|e| e.to_string())?;
    let subnet = actions
        .seed_private_subnet(region, "172.31.240.0/24")
        .await
        .map_err(|e| e.to_string())?;
    let user = current_user();
    let ssh = hosts.sshd.address();
    let private_tags = [("skiff:ssh-user", user.as_str()), ("skiff:reach", "ssm")];
    let reach = format!("jump:{user}@{ssh}");
    let bastion_tags = [
        ("skiff:ssh-user", user.as_str()),
        ("skiff:reach", reach.as_str()),
        ("skiff:ssh-host", ssh.as_str()),
    ];
    let mut ids = Vec::new();
    for (name, tags, subnet) in [
        (PRIVATE, &private_tags[..], Some(subnet.as_str())),
        (BEHIND_BASTION, &bastion_tags[..], None),
    ] {
        let spec = SeedInstance {
            name,
            instance_type: "t3.medium",
            tags,
            security_groups: &[],
            volume_gib: 20,
            hibernation: false,
            key_name: world::KEY_NAME,
            image: world::IMAGE,
            subnet,
        };
        ids.push(
            actions
                .seed_instance(region, &spec)
                .await
                .map_err(|e| e.to_string())?,
        );
    }
    let bastion_alias = format!("bastion-127.0.0.1-{}", hosts.sshd.port);
    let lines = ids
        .iter()
        .chain(std::iter::once(&bastion_alias))
        .map(|alias| hosts.sshd.known_hosts_line(alias))
        .collect::<Result<Vec<_>, _>>()?;
    crate::ops::tunnel::hostkeys::accept(known_hosts, &lines)
        .map_err(|e| format!("cannot record the sandbox's host key: {e}"))?;
    let private = &ids[0];
    let maps: Vec<String> = std::iter::once(format!("{private}:22={ssh}"))
        .chain(
            hosts
                .web
                .iter()
                .map(|(_, port)| format!("{private}:{port}=127.0.0.1:{port}")),
        )
        .collect();
    start_fixture(upstream, &maps)
}
