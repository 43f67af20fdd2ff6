//! Reaching nodes with no public address and no port 22: Session Manager
//! spoken natively (no plugin) and bastions. Real parts throughout: moto
//! for EC2, a real OpenSSH server on 127.0.0.1 as the node (and a second as
//! the bastion), and the Session Manager fixture (tests/fixtures/
//! ssm_fixture.py) in front of moto for what moto lacks — proven first by
//! a client we did not write (npm's ssm-session).

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a failed expectation is the failure

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};

use std::time::{Duration, Instant};

use common::Run;
use common::faults::python;
use common::sshd::{Http, Sshd, free_port, http_get};
use common::ssm::SsmFixture;
use skiff::ops::tunnel::spec::Forward;
use skiff::ops::tunnel::{Tunnel, TunnelSettings, TunnelState, TunnelTarget};
use skiff::sandbox::sshd::current_user;

/// A tunnel to `instance`'s `remote` port through whatever reaches it;
/// waits until it carries HTTP and returns the page.
async fn tunnel_page(
    session: &skiff::cloud::Session,
    instance: &str,
    ssh_dir: &Path,
    home: &Path,
    remote: u16,
) -> String {
    let settings = TunnelSettings {
        user: None,
        key: None,
        ssh_dir: ssh_dir.to_path_buf(),
        known_hosts: home.join("state/known_hosts"),
        accept_new_host_key: true,
        retry_max: Duration::from_secs(2),
        probe_interval: Duration::from_millis(500),
        instance_connect: Default::default(),
        reach: None,
        profile_reach: Default::default(),
        proxy_exe: Some(env!("CARGO_BIN_EXE_skiff").to_string()),
    };
    let local = free_port();
    let t = Tunnel::open(
        session.clone(),
        TunnelTarget {
            label: instance.into(),
            instance_id: instance.into(),
            region: "us-east-1".into(),
            emr: false,
        },
        vec![Forward {
            name: format!("port {remote}"),
            remote,
            local,
        }],
        settings,
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let s = t.current();
        if s.state == TunnelState::Up && s.forwards.iter().all(|f| f.http_ok) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the tunnel never carried HTTP: {s:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let page = http_get(local).expect("a page through the tunnel");
    t.close().await;
    page
}

/// skiff against `endpoint` with `ssh_dir` as ~/.ssh.
fn skiff(endpoint: &str, home: &Path, ssh_dir: &Path, args: &[&str]) -> Run {
    let args: Vec<&str> = ["--region", "us-east-1"]
        .into_iter()
        .chain(args.iter().copied())
        .collect();
    common::run_skiff_env(
        endpoint,
        home,
        &[
            ("SKIFF_SSH_DIR", ssh_dir.as_os_str()),
            (
                "SKIFF_EXE",
                std::ffi::OsStr::new(env!("CARGO_BIN_EXE_skiff")),
            ),
        ],
        &args,
    )
}

/// A node with no public address (a subnet that maps none), tagged to log
/// in as this user; its id.
fn private_node(moto: &str, name: &str) -> String {
    let vpcs = common::aws_json(moto, "us-east-1", &["ec2", "describe-vpcs"]);
    let vpc = vpcs["Vpcs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["IsDefault"] == true)
        .expect("a default VPC")["VpcId"]
        .as_str()
        .unwrap()
        .to_string();
    let subnet = common::aws_json(
        moto,
        "us-east-1",
        &[
            "ec2",
            "create-subnet",
            "--vpc-id",
            &vpc,
            "--cidr-block",
            "172.31.250.0/24",
        ],
    );
    let subnet = subnet["Subnet"]["SubnetId"].as_str().unwrap().to_string();
    let images = common::aws_json(
        moto,
        "us-east-1",
        &["ec2", "describe-images", "--owners", "amazon"],
    );
    let image = images["Images"][0]["ImageId"].as_str().unwrap().to_string();
    let tags = format!(
        "ResourceType=instance,Tags=[{{Key=Name,Value={name}}},{{Key=skiff:ssh-user,Value={}}}]",
        current_user()
    );
    let run = common::aws_json(
        moto,
        "us-east-1",
        &[
            "ec2",
            "run-instances",
            "--image-id",
            &image,
            "--instance-type",
            "t3.micro",
            "--subnet-id",
            &subnet,
            "--key-name",
            "rnd-key",
            "--tag-specifications",
            &tags,
        ],
    );
    let node = &run["Instances"][0];
    assert!(
        node["PublicIpAddress"].is_null(),
        "the node has no public address: {node}"
    );
    node["InstanceId"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_private_node_is_reached_over_session_manager_with_strict_host_keys() {
    let sb = common::seeded().await;
    let dir = tempfile::tempdir().expect("dir");
    let mut sshd = Sshd::start(dir.path());
    let moto = sb.moto.endpoint();
    let node = private_node(&moto, "private-box");
    let ssm = SsmFixture::start(&moto, &[format!("--map={node}:22={}", sshd.address())]);
    let e = ssm.endpoint();
    let home = tempfile::tempdir().expect("home");
    let keys = sshd.ssh_dir.clone();
    let ssh = |args: &[&str]| skiff(&e, home.path(), &keys, args);

    // The host key is unknown: refused, its fingerprint shown — read
    // through Session Manager, since nothing can dial the node.
    let first = ssh(&["ssh", "private-box", "--", "echo", "hello"]);
    assert_eq!(first.code, 1, "{}", first.stderr);
    assert!(first.stderr.contains("SHA256:"), "{}", first.stderr);

    let ok = ssh(&[
        "ssh",
        "private-box",
        "--accept-new-host-key",
        "--",
        "echo",
        "hello",
    ]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert_eq!(ok.stdout.trim(), "hello");
    assert!(ok.stderr.contains("over Session Manager"), "{}", ok.stderr);

    // Read-only does not stop a session: it changes nothing in AWS.
    let ro = ssh(&[
        "--read-only",
        "ssh",
        "private-box",
        "--",
        "echo",
        "read-only",
    ]);
    assert_eq!(ro.code, 0, "{}", ro.stderr);
    assert_eq!(ro.stdout.trim(), "read-only");

    // OpenSSH's semantics: the exit code comes back.
    let three = ssh(&["ssh", "private-box", "--", "sh", "-c", "exit 3"]);
    assert_eq!(three.code, 3, "{}", three.stderr);

    // A copy there and back, byte-identical.
    let local = dir.path().join("data.bin");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&local, &data).unwrap();
    let remote = dir.path().join("remote.bin");
    let put = ssh(&[
        "put",
        "private-box",
        local.to_str().unwrap(),
        remote.to_str().unwrap(),
    ]);
    assert_eq!(put.code, 0, "{}", put.stderr);
    let back = dir.path().join("back.bin");
    let get = ssh(&[
        "get",
        "private-box",
        remote.to_str().unwrap(),
        back.to_str().unwrap(),
    ]);
    assert_eq!(get.code, 0, "{}", get.stderr);
    assert_eq!(std::fs::read(&back).unwrap(), data);

    // A tunnel carries HTTP from the node over Session Manager.
    let jupyter = Http::start(dir.path(), "jupyterhub");
    let session = skiff::cloud::Session::connect(&skiff::sandbox::sandbox_options(&e))
        .await
        .expect("session");
    let page = tunnel_page(&session, &node, &keys, home.path(), jupyter.port).await;
    assert!(page.contains("jupyterhub"), "{page}");

    // A node whose key changed is refused before anything is sent.
    sshd.new_host_key();
    let changed = ssh(&["ssh", "private-box", "--", "echo", "hello"]);
    assert_eq!(changed.code, 1, "{}", changed.stderr);
    assert!(changed.stdout.trim().is_empty(), "{}", changed.stdout);

    // The tag wins over the automatic choice: straight ssh to a private
    // address is refused on an emulator (it would leave this machine).
    common::aws(
        &moto,
        "us-east-1",
        &[
            "ec2",
            "create-tags",
            "--resources",
            &node,
            "--tags",
            "Key=skiff:reach,Value=ssh",
        ],
    );
    let direct = ssh(&["ssh", "private-box", "--", "echo", "hello"]);
    assert_eq!(direct.code, 1, "{}", direct.stderr);
    assert!(
        direct.stderr.contains("made-up address"),
        "{}",
        direct.stderr
    );

    let stats = ssm.stats();
    assert!(stats["sessions"].as_u64().unwrap_or(0) >= 4, "{stats}");
}

/// `skiff ssm-shell NODE` with `input` on its standard input (no
/// terminal), which stays open: skiff must end when the remote shell does,
/// not when its keyboard does (a read of the keyboard that never returns
/// once held it open).
/// With `close`, standard input ends after `input` (a script piped in):
/// skiff must then end the remote shell, not wait for an `exit`.
fn ssm_shell(endpoint: &str, home: &Path, node: &str, input: &str, close: bool) -> Run {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_skiff"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(common::cli_env(endpoint, home))
        .args(["--region", "us-east-1", "ssm-shell", node])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run skiff");
    let mut keyboard = child.stdin.take().unwrap();
    keyboard.write_all(input.as_bytes()).unwrap();
    let keyboard = (!close).then_some(keyboard);
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("skiff ssm-shell did not end when the remote shell did");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(keyboard);
    let out = child.wait_with_output().expect("skiff ssm-shell");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_reached_with_ssm_takes_tunnels_and_shells_with_no_ssh_server_and_no_key() {
    let sb = common::seeded().await;
    let dir = tempfile::tempdir().expect("dir");
    let moto = sb.moto.endpoint();
    let node = private_node(&moto, "ssm-only");
    common::aws(
        &moto,
        "us-east-1",
        &[
            "ec2",
            "create-tags",
            "--resources",
            &node,
            "--tags",
            "Key=skiff:reach,Value=ssm",
        ],
    );
    // No SSH server anywhere and no key file: only the web server and the
    // agent's shell are behind the node.
    let rstudio = Http::start(dir.path(), "rstudio");
    let ssm = SsmFixture::start(
        &moto,
        &[
            format!("--map={node}:{0}=127.0.0.1:{0}", rstudio.port),
            "--offline=i-0ffffffffffffffff".into(),
        ],
    );
    let e = ssm.endpoint();
    let home = tempfile::tempdir().expect("home");
    let no_keys = tempfile::tempdir().expect("empty ssh dir");

    // A supervised tunnel, as `t` opens one: HTTP through `ssm-forward`.
    let session = skiff::cloud::Session::connect(&skiff::sandbox::sandbox_options(&e))
        .await
        .expect("session");
    let page = tunnel_page(&session, &node, no_keys.path(), home.path(), rstudio.port).await;
    assert!(page.contains("rstudio"), "{page}");
    assert!(
        !home.path().join("state/known_hosts").exists()
            || std::fs::read_to_string(home.path().join("state/known_hosts"))
                .unwrap()
                .is_empty(),
        "no host key is needed, none is recorded"
    );

    // The agent's shell: output, and the session ends when the shell does.
    let shell = ssm_shell(&e, home.path(), &node, "echo sum=$((40+2))\nexit\n", false);
    assert_eq!(shell.code, 0, "{}", shell.stderr);
    assert!(shell.stdout.contains("sum=42"), "{}", shell.stdout);
    // A script piped in, with no `exit`: its end ends the shell.
    let piped = ssm_shell(&e, home.path(), &node, "echo eof=$((6*7))\n", true);
    assert_eq!(piped.code, 0, "{}", piped.stderr);
    assert!(piped.stdout.contains("eof=42"), "{}", piped.stdout);

    // Read-only does not stop a session (an agent that is not online is
    // named; a port under 1024 refused).
    let ro = common::run_skiff(
        &e,
        home.path(),
        &[
            "--read-only",
            "--region",
            "us-east-1",
            "ssm-forward",
            "i-0ffffffffffffffff",
            "20000:80",
        ],
    );
    assert_eq!(ro.code, 1, "{}", ro.stderr);
    assert!(ro.stderr.contains("not online"), "{}", ro.stderr);
    let low = skiff(
        &e,
        home.path(),
        no_keys.path(),
        &["ssm-forward", &node, "80:80"],
    );
    assert_eq!(low.code, 1, "{}", low.stderr);
    assert!(low.stderr.contains("under 1024"), "{}", low.stderr);

    // Commands log in with ssh over Session Manager (a one-time key pushed
    // with EC2 Instance Connect, no key file being here): with no SSH
    // server on the node, the message says what needs one.
    let cmd = skiff(
        &e,
        home.path(),
        no_keys.path(),
        &["ssh", "ssm-only", "--", "true"],
    );
    assert_eq!(cmd.code, 1, "{}", cmd.stderr);
    assert!(
        cmd.stderr
            .contains("no SSH server answered on port 22 over Session Manager"),
        "{}",
        cmd.stderr
    );

    let stats = ssm.stats();
    assert!(stats["sessions"].as_u64().unwrap_or(0) >= 2, "{stats}");
}

/// A TCP server on 127.0.0.1 that sends back what it receives.
fn echo_server() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut r = conn.try_clone().unwrap();
                let mut w = conn;
                let _ = std::io::copy(&mut r, &mut w);
            });
        }
    });
    port
}

/// Deterministic bytes: block `i` of the stream.
fn block(i: u64, out: &mut [u8]) {
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for b in out.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sixty_four_mib_cross_a_port_session_intact_through_lost_doubled_reordered_and_cut_frames()
{
    let moto = tokio::task::spawn_blocking(common::moto).await.unwrap();
    let port = echo_server();
    let node = "i-0123456789abcdef0";
    let ssm = SsmFixture::start(
        &moto.endpoint(),
        &[
            format!("--map={node}:7000={}", format_args!("127.0.0.1:{port}")),
            "--faults=drop=0.02,dup=0.02,reorder=0.02,bad_digest=0.01,cut_after=20000000".into(),
            "--seed=7".into(),
        ],
    );
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_skiff"));
    for (k, v) in common::cli_env(&ssm.endpoint(), home.path()) {
        cmd.env(k, v);
    }
    let mut child = cmd
        .args(["--region", "us-east-1", "ssm-proxy", node, "7000"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    const BLOCK: usize = 64 * 1024;
    const BLOCKS: u64 = 1024; // 64 MiB
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let mut buf = vec![0u8; BLOCK];
        for i in 0..BLOCKS {
            block(i, &mut buf);
            stdin.write_all(&buf).unwrap();
        }
        stdin
    });
    let mut stdout = child.stdout.take().unwrap();
    let mut got = vec![0u8; BLOCK];
    let mut want = vec![0u8; BLOCK];
    for i in 0..BLOCKS {
        stdout
            .read_exact(&mut got)
            .expect("the bytes sent come back");
        block(i, &mut want);
        assert!(got == want, "block {i} differs");
    }
    // Input ends: the proxy ends the session and exits.
    drop(writer.join().unwrap());
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "{err}");
    let stats = ssm.stats();
    let faults = &stats["faults"];
    for kind in ["drop", "dup", "reorder", "bad_digest"] {
        assert!(
            faults[kind].as_u64().unwrap_or(0) > 0,
            "no {kind} fault: {stats}"
        );
    }
    assert!(stats["resumes"].as_u64().unwrap_or(0) >= 1, "{stats}");
    assert!(stats["terminated"].as_u64().unwrap_or(0) >= 1, "{stats}");
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_say_what_to_do() {
    let moto = tokio::task::spawn_blocking(common::moto).await.unwrap();
    let port = echo_server();
    let node = "i-0aaaaaaaaaaaaaaaa";
    let home = tempfile::tempdir().unwrap();
    let proxy = |fixture: &SsmFixture, target: &str| {
        let r = common::run_skiff(
            &fixture.endpoint(),
            home.path(),
            &["--region", "us-east-1", "ssm-proxy", target, "7000"],
        );
        assert_eq!(r.code, 1, "{}", r.stderr);
        r.stderr
    };
    let map = format!("--map={node}:7000=127.0.0.1:{port}");
    let plain = SsmFixture::start(&moto.endpoint(), std::slice::from_ref(&map));
    let offline = proxy(&plain, "i-0bbbbbbbbbbbbbbbb");
    assert!(
        offline.contains("agent is not online") && offline.contains("AmazonSSMManagedInstanceCore"),
        "{offline}"
    );
    assert!(proxy(&plain, "my-box").contains("not an instance id"));

    let denied = SsmFixture::start(&moto.endpoint(), &[map.clone(), "--deny-start".into()]);
    let said = proxy(&denied, node);
    assert!(said.contains("ssm:StartSession"), "{said}");

    let kms = SsmFixture::start(&moto.endpoint(), &[map.clone(), "--kms".into()]);
    let said = proxy(&kms, node);
    assert!(said.contains("KMS encryption"), "{said}");

    // A port nothing listens on: the agent's words come through.
    let closed = format!("--map={node}:7000=127.0.0.1:{}", common::dead_port());
    let refused = SsmFixture::start(&moto.endpoint(), &[closed]);
    let said = proxy(&refused, node);
    assert!(said.contains("closed the session"), "{said}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_independent_client_completes_a_shell_session_through_the_fixture() {
    let moto = tokio::task::spawn_blocking(common::moto).await.unwrap();
    let node = "i-0123456789abcdef0";
    for faults in ["", "--faults=drop=0.1,dup=0.1,reorder=0.1,bad_digest=0.05"] {
        let mut args = vec![format!("--map={node}:22=127.0.0.1:22")];
        if !faults.is_empty() {
            args.push(faults.into());
        }
        let ssm = SsmFixture::start(&moto.endpoint(), &args);
        // botocore opens the session (an AWS client we did not write)…
        let opened = Command::new(python())
            .args([
                "-c",
                "import sys, json, botocore.session as s\n\
                 c = s.get_session().create_client('ssm', region_name='us-east-1', endpoint_url=sys.argv[1], aws_access_key_id='x', aws_secret_access_key='y')\n\
                 r = c.start_session(Target=sys.argv[2])\n\
                 print(json.dumps({'url': r['StreamUrl'], 'token': r['TokenValue']}))",
                &ssm.endpoint(),
                node,
            ])
            .output()
            .unwrap();
        assert!(
            opened.status.success(),
            "{}",
            String::from_utf8_lossy(&opened.stderr)
        );
        let opened: serde_json::Value = serde_json::from_slice(&opened.stdout).unwrap();
        // …and npm's ssm-session speaks the data channel.
        let out = Command::new("node")
            .arg(common::faults::fixture("ssm-js/shell.js"))
            .args([
                opened["url"].as_str().unwrap(),
                opened["token"].as_str().unwrap(),
                "echo ssm-$((6*7))",
            ])
            .output()
            .unwrap_or_else(|e| panic!("the tests need node (scripts/test installs it): {e}"));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{text} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("ssm-42"), "{faults}: {text}");
    }
}

/// The fixture's own checks (tests/fixtures/ssm_fixture_check.py): botocore
/// and ssm-session through it, its faults, resumes, refusals, and every
/// other call reaching moto.
#[test]
fn the_fixture_passes_its_own_checks() {
    let out = Command::new(python())
        .arg(common::faults::fixture("ssm_fixture_check.py"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(" 0 failed"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_behind_a_bastion_takes_shells_commands_and_copies() {
    let sb = common::seeded().await;
    let bdir = tempfile::tempdir().expect("dir");
    let ndir = tempfile::tempdir().expect("dir");
    let bastion = Sshd::start(bdir.path());
    let node = Sshd::start(ndir.path());
    // One key opens both.
    std::fs::copy(
        bdir.path().join("authorized_keys"),
        ndir.path().join("authorized_keys"),
    )
    .unwrap();
    let moto = sb.moto.endpoint();
    let id = sb.seeded.instances["ds-workbench"].0.clone();
    let reach = format!(
        "Key=skiff:reach,Value=jump:{}@{}",
        current_user(),
        bastion.address()
    );
    let host = format!("Key=skiff:ssh-host,Value={}", node.address());
    let user = format!("Key=skiff:ssh-user,Value={}", current_user());
    let (ok, _, err) = common::aws(
        &moto,
        "us-east-1",
        &[
            "ec2",
            "create-tags",
            "--resources",
            &id,
            "--tags",
            &reach,
            &host,
            &user,
        ],
    );
    assert!(ok, "{err}");
    let home = tempfile::tempdir().expect("home");
    let keys = bastion.ssh_dir.clone();
    let ssh = |args: &[&str]| skiff(&moto, home.path(), &keys, args);

    let first = ssh(&["ssh", "ds-workbench", "--", "echo", "via-bastion"]);
    assert_eq!(first.code, 1, "{}", first.stderr);
    assert!(first.stderr.contains("SHA256:"), "{}", first.stderr);
    let ok = ssh(&[
        "ssh",
        "ds-workbench",
        "--accept-new-host-key",
        "--",
        "echo",
        "via-bastion",
    ]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert_eq!(ok.stdout.trim(), "via-bastion");
    assert!(ok.stderr.contains("through the bastion"), "{}", ok.stderr);
    // Both host keys are recorded, each under its own name.
    let known =
        std::fs::read_to_string(home.path().join("state/known_hosts")).expect("known_hosts");
    assert!(known.contains(&id), "{known}");
    assert!(
        known.contains(&format!("bastion-127.0.0.1-{}", bastion.port)),
        "{known}"
    );

    let three = ssh(&["ssh", "ds-workbench", "--", "sh", "-c", "exit 3"]);
    assert_eq!(three.code, 3, "{}", three.stderr);
    let local = bdir.path().join("up.txt");
    std::fs::write(&local, "through the bastion\n").unwrap();
    let remote = ndir.path().join("there.txt");
    let put = ssh(&[
        "put",
        "ds-workbench",
        local.to_str().unwrap(),
        remote.to_str().unwrap(),
    ]);
    assert_eq!(put.code, 0, "{}", put.stderr);
    assert_eq!(
        std::fs::read_to_string(&remote).unwrap(),
        "through the bastion\n"
    );

    // A tunnel carries HTTP from the node through the bastion.
    let rstudio = Http::start(ndir.path(), "rstudio");
    let page = tunnel_page(&sb.session, &id, &keys, home.path(), rstudio.port).await;
    assert!(page.contains("rstudio"), "{page}");

    // A bastion that is down is named.
    drop(bastion);
    let down = ssh(&["ssh", "ds-workbench", "--", "true"]);
    assert_ne!(down.code, 0);
}
