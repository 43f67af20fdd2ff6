//! Shells, commands on every node and copies, against a real OpenSSH
//! server on 127.0.0.1 that the sandbox's instances are pointed at (their
//! `skiff:ssh-host` tags): output and exit codes, per-node prefixes and
//! summaries, a node that cannot be reached, byte-identical copies, unknown
//! and changed host keys refused, and EC2 Instance Connect proven end to end
//! (sshd lets in the key skiff pushed, read from moto's request recorder).

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a failed expectation is the failure

mod common;

use std::path::Path;

use common::Run;
use common::sshd::Sshd;
use skiff::sandbox::sshd::current_user;

const RND: [&str; 4] = ["rnd-master", "rnd-slave-1", "rnd-slave-2", "rnd-slave-3"];

/// ds-workbench and every node of rnd point at `sshd`.
async fn point(sb: &common::Sandbox, sshd: &Sshd) {
    let ids: Vec<String> = std::iter::once("ds-workbench")
        .chain(RND)
        .map(|n| sb.seeded.instances[n].0.clone())
        .collect();
    skiff::sandbox::seeder(&sb.session)
        .expect("a local emulator")
        .point_at_local_ssh("us-east-1", &ids, &sshd.address(), &current_user())
        .await
        .expect("tags");
}

/// skiff with `ssh_dir` as ~/.ssh.
fn skiff(e: &str, home: &Path, ssh_dir: &Path, args: &[&str]) -> Run {
    let args: Vec<&str> = ["--region", "us-east-1"]
        .into_iter()
        .chain(args.iter().copied())
        .collect();
    common::run_skiff_env(e, home, &[("SKIFF_SSH_DIR", ssh_dir)], &args)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_command_on_a_node_its_output_exit_code_and_host_keys() {
    let sb = common::seeded().await;
    let dir = tempfile::tempdir().expect("dir");
    let mut sshd = Sshd::start(dir.path());
    point(&sb, &sshd).await;
    let home = tempfile::tempdir().expect("home");
    let e = sb.moto.endpoint();
    let keys = sshd.ssh_dir.clone();
    let ssh = |args: &[&str]| skiff(&e, home.path(), &keys, args);

    // A host seen for the first time is refused, with its fingerprint.
    let first = ssh(&["ssh", "ds-workbench", "--", "echo", "hello"]);
    assert_eq!(first.code, 1, "{}", first.stderr);
    assert!(
        first.stderr.contains("seen for the first time") && first.stderr.contains("SHA256:"),
        "{}",
        first.stderr
    );
    assert!(!first.stdout.contains("hello"), "nothing ran");
    let ok = ssh(&[
        "ssh",
        "ds-workbench",
        "--accept-new-host-key",
        "--",
        "echo",
        "hello",
    ]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert_eq!(ok.stdout.trim(), "hello");
    assert!(ok.stderr.contains("recorded the host key"), "{}", ok.stderr);
    assert!(
        ok.stderr.contains("with the key file"),
        "says which method: {}",
        ok.stderr
    );
    // The command's exit code is skiff's.
    let three = ssh(&["ssh", "ds-workbench", "--", "sh", "-c", "exit 3"]);
    assert_eq!(three.code, 3, "{}", three.stderr);
    // A stopped target says so and how to start it.
    let stopped = ssh(&["ssh", "gpu-scratch", "--", "true"]);
    assert_eq!(stopped.code, 1);
    assert!(
        stopped.stderr.contains("is stopped") && stopped.stderr.contains("skiff start gpu-scratch"),
        "{}",
        stopped.stderr
    );
    // Without a terminal and without a command: said, not hung.
    let no_tty = ssh(&["ssh", "ds-workbench"]);
    assert_eq!(no_tty.code, 1);
    assert!(
        no_tty.stderr.contains("needs a terminal"),
        "{}",
        no_tty.stderr
    );
    // A changed host key is refused before anything runs.
    sshd.kill();
    sshd.new_host_key();
    sshd.restart();
    let changed = ssh(&[
        "ssh",
        "ds-workbench",
        "--",
        "touch",
        "/tmp/skiff-should-not-exist",
    ]);
    assert_eq!(changed.code, 1);
    assert!(
        changed.stderr.contains("changed since it was recorded"),
        "{}",
        changed.stderr
    );
    assert!(!Path::new("/tmp/skiff-should-not-exist").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn run_on_every_node_with_prefixes_a_summary_and_a_failing_node() {
    let sb = common::seeded().await;
    let dir = tempfile::tempdir().expect("dir");
    let sshd = Sshd::start(dir.path());
    point(&sb, &sshd).await;
    let home = tempfile::tempdir().expect("home");
    let e = sb.moto.endpoint();
    let run = skiff(
        &e,
        home.path(),
        &sshd.ssh_dir,
        &[
            "run",
            "rnd",
            "--accept-new-host-key",
            "--",
            "echo",
            "ok-from-node",
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for n in RND {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.starts_with(&format!("[{n}")) && l.ends_with("ok-from-node")),
            "{n} prefixed: {}",
            run.stdout
        );
        assert!(run.stdout.contains(&format!("✓ {n}")), "{}", run.stdout);
    }
    assert!(
        run.stdout.contains("4 of 4 nodes succeeded"),
        "{}",
        run.stdout
    );
    let workers = skiff(
        &e,
        home.path(),
        &sshd.ssh_dir,
        &["run", "rnd", "--workers", "--", "true"],
    );
    assert!(
        workers.stdout.contains("3 of 3 nodes succeeded"),
        "{}",
        workers.stdout
    );

    // rnd-slave-3's SSH cannot be reached: the others run, it is named.
    let dead = format!("127.0.0.1:{}", common::dead_port());
    skiff::sandbox::seeder(&sb.session)
        .expect("a local emulator")
        .point_at_local_ssh(
            "us-east-1",
            &[sb.seeded.instances["rnd-slave-3"].0.clone()],
            &dead,
            &current_user(),
        )
        .await
        .expect("tag");
    let run = skiff(
        &e,
        home.path(),
        &sshd.ssh_dir,
        &["run", "rnd", "--json", "--", "echo", "hi"],
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let nodes = doc["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 4);
    for n in nodes {
        let failing = n["node"] == "rnd-slave-3";
        assert_eq!(n["ok"], !failing, "{n}");
        if failing {
            assert!(n["error"].as_str().is_some_and(|e| !e.is_empty()), "{n}");
        } else {
            assert_eq!(n["exit_code"], 0);
        }
    }
    // A command that fails on every node: exit 1, each exit code said.
    let fail = skiff(
        &e,
        home.path(),
        &sshd.ssh_dir,
        &["run", "rnd", "--master", "--", "sh", "-c", "exit 7"],
    );
    assert_eq!(fail.code, 1);
    assert!(fail.stdout.contains("exit 7"), "{}", fail.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn put_to_every_node_and_get_back_byte_identical() {
    let sb = common::seeded().await;
    let dir = tempfile::tempdir().expect("dir");
    let sshd = Sshd::start(dir.path());
    point(&sb, &sshd).await;
    let home = tempfile::tempdir().expect("home");
    let e = sb.moto.endpoint();
    let local = home.path().join("model.bin");
    let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&local, &bytes).expect("write");
    let remote_dir = tempfile::tempdir().expect("remote dir");
    // All nodes are one machine here: {node} keeps their copies apart.
    let remote = format!("{}/{{node}}.bin", remote_dir.path().display());
    let put = skiff(
        &e,
        home.path(),
        &sshd.ssh_dir,
        &[
            "put",
            "rnd",
            local.to_str().unwrap(),
            &remote,
            "--accept-new-host-key",
        ],
    );
    assert_eq!(put.code, 0, "{}\n{}", put.stdout, put.stderr);
    for n in RND {
        let copy = std::fs::read(remote_dir.path().join(format!("{n}.bin"))).expect(n);
        assert!(copy == bytes, "{n}: the copy differs");
        assert!(put.stdout.contains(&format!("✓ {n}")), "{}", put.stdout);
    }
    let back = home.path().join("back.bin");
    let get = skiff(
        &e,
        home.path(),
        &sshd.ssh_dir,
        &[
            "get",
            "rnd",
            &format!("{}/rnd-slave-2.bin", remote_dir.path().display()),
            back.to_str().unwrap(),
        ],
    );
    assert_eq!(get.code, 0, "{}\n{}", get.stdout, get.stderr);
    assert!(
        std::fs::read(&back).expect("back") == bytes,
        "get is byte-identical"
    );
    let missing = skiff(
        &e,
        home.path(),
        &sshd.ssh_dir,
        &["get", "rnd", "/nonexistent/file", back.to_str().unwrap()],
    );
    assert_eq!(missing.code, 1);
    assert!(
        missing.stdout.contains("No such file"),
        "{}",
        missing.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_key_file_a_one_time_key_is_pushed_with_instance_connect() {
    let sb = common::seeded().await;
    let e = sb.moto.endpoint();
    // sshd lets in exactly the keys moto recorded as pushed.
    let script =
        Path::new(&std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/eic_keys.py");
    let dir = tempfile::tempdir().expect("dir");
    let sshd = Sshd::start_with(
        dir.path(),
        &format!(
            "AuthorizedKeysCommand /usr/bin/python3 {} {e} %u\nAuthorizedKeysCommandUser root\n",
            script.display()
        ),
    );
    point(&sb, &sshd).await;
    let recorder = common::Recorder::start(&e);
    let home = tempfile::tempdir().expect("home");
    let empty_ssh = tempfile::tempdir().expect("no keys here");
    let run = skiff(
        &e,
        home.path(),
        empty_ssh.path(),
        &[
            "ssh",
            "ds-workbench",
            "--accept-new-host-key",
            "--",
            "echo",
            "via-instance-connect",
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.stdout.trim(), "via-instance-connect");
    assert!(
        run.stderr.contains("EC2 Instance Connect"),
        "says which method: {}",
        run.stderr
    );
    let pushes: Vec<_> = recorder
        .requests()
        .into_iter()
        .filter(|r| r.operation.ends_with("SendSSHPublicKey"))
        .collect();
    assert_eq!(pushes.len(), 1, "one key pushed: {pushes:?}");
    // The one-time key is gone once the connection ended.
    let left: Vec<_> = walkdir::WalkDir::new(home.path())
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name() == "id_ed25519")
        .collect();
    assert!(left.is_empty(), "one-time keys left: {left:?}");

    // Read-only pushes nothing and says why.
    let ro = skiff(
        &e,
        home.path(),
        empty_ssh.path(),
        &["--read-only", "ssh", "ds-workbench", "--", "true"],
    );
    assert_eq!(ro.code, 1);
    assert!(ro.stderr.contains("read-only"), "{}", ro.stderr);
    // AWS refusing the push is explained.
    let proxy = common::faults::FaultProxy::start(
        &e,
        serde_json::json!({"refuse": {"SendSSHPublicKey": "AccessDeniedException"}}),
    );
    let refused = skiff(
        &proxy.endpoint(),
        home.path(),
        empty_ssh.path(),
        &["ssh", "ds-workbench", "--", "true"],
    );
    assert_eq!(refused.code, 1);
    assert!(
        refused
            .stderr
            .contains("EC2 Instance Connect refused the one-time key")
            && refused
                .stderr
                .contains("ec2-instance-connect:SendSSHPublicKey"),
        "{}",
        refused.stderr
    );
}

/// A tmux server of the test's own: the TUI runs in it like in a terminal.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> String {
        let out = std::process::Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("the tests need tmux (scripts/test installs it): {e}"));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.cmd(&["capture-pane", "-p", "-t", "t"])
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend(keys);
        self.cmd(&args);
    }

    fn wait_for(&self, what: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let s = self.screen();
            if s.contains(what) {
                return s;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no `{what}` on screen:\n{s}"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.cmd(&["kill-server"]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tui_hands_the_terminal_to_a_shell_and_takes_it_back() {
    let sb = common::seeded().await;
    let dir = tempfile::tempdir().expect("dir");
    let sshd = Sshd::start(dir.path());
    point(&sb, &sshd).await;
    let home = tempfile::tempdir().expect("home");
    let e = sb.moto.endpoint();
    // Its host key is recorded first (the CLI and the TUI share it).
    let first = skiff(
        &e,
        home.path(),
        &sshd.ssh_dir,
        &["ssh", "ds-workbench", "--accept-new-host-key", "--", "true"],
    );
    assert_eq!(first.code, 0, "{}", first.stderr);
    let mut env: Vec<String> = common::cli_env(&e, home.path())
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    env.push(format!("SKIFF_SSH_DIR={}", sshd.ssh_dir.display()));
    env.push(format!(
        "PATH={}",
        std::env::var("PATH").unwrap_or_default()
    ));
    env.push("TERM=xterm-256color".into());
    let bin = assert_cmd::cargo::cargo_bin("skiff");
    let command = format!(
        "env -i {} {} --region us-east-1",
        env.join(" "),
        bin.display()
    );
    let tmux = Tmux {
        socket: format!("skiff-test-{}", std::process::id()),
    };
    tmux.cmd(&[
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "100",
        "-y",
        "30",
        &command,
    ]);
    tmux.wait_for("ds-workbench");
    tmux.keys(&["/ds-workbench", "Enter"]);
    let before = tmux.wait_for("filter:ds-workbench");
    tmux.keys(&["!"]);
    tmux.wait_for("Exit it to return to skiff");
    tmux.keys(&["echo tui-shell-$((6*7))", "Enter"]);
    tmux.wait_for("tui-shell-42");
    tmux.keys(&["exit", "Enter"]);
    let after = tmux.wait_for("the shell on ds-workbench ended");
    // The TUI is back as it was: the same view, filter and rows.
    let rows = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.starts_with("ds-workbench") || l.contains("filter:"))
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .collect()
    };
    assert_eq!(
        rows(&after),
        rows(&before),
        "before:\n{before}\nafter:\n{after}"
    );
    tmux.keys(&["2"]);
    tmux.wait_for("KIND");
    tmux.keys(&["q"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tuis_e_key_runs_a_command_on_every_node() {
    use crossterm::event::{KeyCode, KeyEvent};
    let sb = common::seeded().await;
    let dir = tempfile::tempdir().expect("dir");
    let sshd = Sshd::start(dir.path());
    point(&sb, &sshd).await;
    let home = tempfile::tempdir().expect("home");
    let mut config = skiff::config::Config::defaults();
    config.tunnel.key = sshd.ssh_dir.join("rnd-key.pem").display().to_string();
    let (mut app, mut rx) = common::tui_app(&sb.moto.endpoint(), home.path(), config);
    common::pump_until(&mut app, &mut rx, 60, "the inventory", |a| {
        !a.busy() && !a.world.inventory.instances.is_empty()
    })
    .await;
    let lines: Vec<String> = RND
        .iter()
        .map(|n| {
            sshd.known_hosts_line(&sb.seeded.instances[*n].0)
                .expect("line")
        })
        .collect();
    // Only the master's host key is known: the workers' are new.
    skiff::ops::tunnel::hostkeys::accept(&app.world.dirs.state.join("known_hosts"), &lines[..1])
        .expect("known");
    let keys = |app: &mut skiff::tui::app::App, text: &str| {
        for c in text.chars() {
            app.on_key(KeyEvent::from(KeyCode::Char(c)));
        }
    };
    keys(&mut app, "2/rnd");
    app.on_key(KeyEvent::from(KeyCode::Enter));
    keys(&mut app, "e");
    assert_eq!(app.mode(), skiff::tui::resource::shell::RUN_COMMAND);
    keys(&mut app, "echo e-works");
    app.on_key(KeyEvent::from(KeyCode::Enter));
    // The master ran; the workers' new keys are offered, as the CLI's
    // --accept-new-host-key does.
    common::pump_until(&mut app, &mut rx, 60, "the new keys question", |a| {
        a.mode() == skiff::tui::resource::shell::NEW_HOST_KEYS
    })
    .await;
    let text = skiff::tui::ui::buffer_text(
        &skiff::tui::screens::render(&mut app, 100, 40).expect("render"),
    );
    assert!(
        text.contains("3 nodes did not run `echo e-works`"),
        "{text}"
    );
    keys(&mut app, "y");
    common::pump_until(&mut app, &mut rx, 60, "the results", |a| {
        a.mode() == skiff::tui::popups::text::DETAILS
            && a.popup::<skiff::tui::popups::text::TextPopup>()
                .is_some_and(|p| p.lines.iter().any(|l| l.to_string().contains("3 of 3")))
    })
    .await;
    let text = skiff::tui::ui::buffer_text(
        &skiff::tui::screens::render(&mut app, 100, 40).expect("render"),
    );
    assert!(text.contains("3 of 3 nodes succeeded"), "{text}");
    for n in &RND[1..] {
        assert!(text.contains(&format!("✓ {n}")), "{n}: {text}");
    }
    assert!(text.contains("e-works"), "{text}");
    // Under it, the first run's results: the master ran.
    app.on_key(KeyEvent::from(KeyCode::Esc));
    let text = skiff::tui::ui::buffer_text(
        &skiff::tui::screens::render(&mut app, 100, 40).expect("render"),
    );
    assert!(text.contains(&format!("✓ {}", RND[0])), "{text}");
}

#[test]
fn the_sandbox_points_its_instances_at_a_local_ssh_server() {
    use std::io::{BufRead, BufReader};
    let home = tempfile::tempdir().expect("home");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("skiff"))
        .args(["sandbox", "--no-tui"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SKIFF_HOME", home.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env(
            "SKIFF_MOTO_SERVER",
            skiff::sandbox::find_moto_server().expect("moto_server"),
        )
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("skiff sandbox");
    let mut env: Vec<(String, String)> = Vec::new();
    let stdout = child.stdout.take().expect("stdout");
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        if line.starts_with("# then") {
            break;
        }
        for pair in line.trim_start_matches("export ").split_whitespace() {
            if let Some((k, v)) = pair.split_once('=') {
                env.push((k.to_string(), v.to_string()));
            }
        }
    }
    assert!(env.iter().any(|(k, _)| k == "SKIFF_SSH_DIR"), "{env:?}");
    // The state directory is exported too: its known_hosts holds the
    // server's key, so nothing asks about it.
    assert!(
        env.iter()
            .any(|(k, v)| k == "SKIFF_HOME" && std::path::Path::new(v) == home.path()),
        "{env:?}"
    );
    // A second `skiff sandbox --no-tui` joins this one: the same endpoint,
    // printed at once, and no second emulator.
    let second = assert_cmd::Command::cargo_bin("skiff")
        .expect("binary")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SKIFF_HOME", home.path())
        .args(["sandbox", "--no-tui"])
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .expect("second sandbox");
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let endpoint = env
        .iter()
        .find(|(k, _)| k == "AWS_ENDPOINT_URL")
        .map(|(_, v)| v.clone())
        .expect("endpoint");
    assert!(
        String::from_utf8_lossy(&second.stdout).contains(&format!("AWS_ENDPOINT_URL={endpoint}")),
        "{}",
        String::from_utf8_lossy(&second.stdout)
    );
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("joining the sandbox already running")
    );
    // The CLI with only what was printed, as the README has it.
    let run = |args: &[&str]| {
        assert_cmd::Command::cargo_bin("skiff")
            .expect("binary")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .args(["--region", "us-east-1"])
            .args(args)
            .output()
            .expect("run")
    };
    // No host-key question: the sandbox recorded its server's key.
    let out = run(&["ssh", "ds-workbench", "--", "echo", "sandbox-shell"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "sandbox-shell");
    // The node with no public address, over Session Manager (no plugin),
    // and the one behind a bastion: no question either.
    for (node, way) in [
        ("private-lab", "over Session Manager"),
        ("behind-bastion", "through the bastion"),
    ] {
        let out = run(&["ssh", node, "--", "echo", "reached"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{node}: {err}");
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "reached");
        assert!(err.contains(way), "{node}: {err}");
    }
    let out = run(&["run", "rnd", "--", "true"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("4 of 4 nodes succeeded"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Never a made-up address: an instance not pointed at the server says why.
    let out = run(&["ssh", "gpu-scratch", "--", "true"]);
    assert!(!out.status.success());
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}
