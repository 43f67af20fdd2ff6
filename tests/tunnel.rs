//! Tunnels against a real OpenSSH server on 127.0.0.1 and real HTTP servers
//! behind it; the target is a moto instance whose skiff:ssh-host tag points
//! at that sshd.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a failed expectation is the failure

mod common;

use common::Sdk;

use std::io::{BufRead, BufReader};
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_ec2::types as ec2;
use common::sshd::{Http, Sshd, free_port, http_get, ssh_processes};
use skiff::ops::tunnel::spec::Forward;
use skiff::ops::tunnel::{Tunnel, TunnelSettings, TunnelState, TunnelStatus, TunnelTarget};

fn whoami() -> String {
    let out = StdCommand::new("id").arg("-un").output().expect("id");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Launches `lab` with the tags that point skiff at the test sshd.
async fn lab(session: &skiff::cloud::Session, sshd: &Sshd, running: bool) -> String {
    let client = session.ec2_client("us-east-1");
    let out = client
        .run_instances()
        .image_id("ami-1e749f67")
        .min_count(1)
        .max_count(1)
        .key_name("rnd-key")
        .tag_specifications(
            ec2::TagSpecification::builder()
                .resource_type(ec2::ResourceType::Instance)
                .tags(ec2::Tag::builder().key("Name").value("lab").build())
                .tags(
                    ec2::Tag::builder()
                        .key("skiff:ssh-host")
                        .value(format!("127.0.0.1:{}", sshd.port))
                        .build(),
                )
                .tags(
                    ec2::Tag::builder()
                        .key("skiff:ssh-user")
                        .value(whoami())
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("run");
    let id = out.instances()[0].instance_id().expect("id").to_string();
    if !running {
        client
            .stop_instances()
            .instance_ids(&id)
            .send()
            .await
            .expect("stop");
    }
    id
}

fn settings(sshd: &Sshd, home: &std::path::Path, accept: bool) -> TunnelSettings {
    TunnelSettings {
        user: None,
        key: None,
        ssh_dir: sshd.ssh_dir.clone(),
        known_hosts: home.join("known_hosts"),
        accept_new_host_key: accept,
        retry_max: Duration::from_secs(2),
        probe_interval: Duration::from_millis(500),
        instance_connect: Default::default(),
        reach: None,
        profile_reach: Default::default(),
        proxy_exe: None,
    }
}

fn forward(remote: u16, local: u16) -> Forward {
    Forward {
        name: format!("port {remote}"),
        remote,
        local,
    }
}

async fn wait_for(
    t: &Tunnel,
    what: &str,
    limit: Duration,
    pred: impl Fn(&TunnelStatus) -> bool,
) -> TunnelStatus {
    let deadline = Instant::now() + limit;
    loop {
        let s = t.current();
        if pred(&s) {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "waited {limit:?} for {what}; status: {s:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn both_forwards_carry_http_and_the_tunnel_survives_an_sshd_restart() {
    let sb = common::seeded().await;
    let dir = tempfile::tempdir().expect("dir");
    let mut sshd = Sshd::start(dir.path());
    let (jupyter, rstudio) = (
        Http::start(dir.path(), "jupyterhub"),
        Http::start(dir.path(), "rstudio"),
    );
    let id = lab(&sb.session, &sshd, true).await;
    let target = TunnelTarget {
        label: "lab".into(),
        instance_id: id.clone(),
        region: "us-east-1".into(),
        emr: false,
    };
    let (l1, l2) = (free_port(), free_port());
    let t = Tunnel::open(
        sb.session.clone(),
        target,
        vec![forward(jupyter.port, l1), forward(rstudio.port, l2)],
        settings(&sshd, dir.path(), true),
    );
    let s = wait_for(
        &t,
        "up with both forwards answering",
        Duration::from_secs(20),
        |s| s.state == TunnelState::Up && s.forwards.iter().all(|f| f.http_ok),
    )
    .await;
    assert!(
        s.accepted_fingerprint
            .as_deref()
            .is_some_and(|f| f.contains("SHA256:")),
        "{s:?}"
    );
    assert!(
        http_get(l1)
            .expect("jupyter")
            .contains("<h1>jupyterhub</h1>")
    );
    assert!(http_get(l2).expect("rstudio").contains("<h1>rstudio</h1>"));
    assert_eq!(
        ssh_processes(&id),
        1,
        "one ssh process carries both forwards"
    );

    // The server dies: the tunnel retries and says why.
    sshd.kill();
    let s = wait_for(&t, "retrying", Duration::from_secs(15), |s| {
        matches!(s.state, TunnelState::Retrying { .. })
    })
    .await;
    let TunnelState::Retrying { last_error, .. } = &s.state else {
        unreachable!()
    };
    assert!(!last_error.is_empty());

    // It comes back: the tunnel is up again within 10 seconds.
    sshd.restart();
    let back = Instant::now();
    wait_for(&t, "up again", Duration::from_secs(10), |s| {
        s.state == TunnelState::Up && s.forwards.iter().all(|f| f.http_ok)
    })
    .await;
    eprintln!("tunnel back {:?} after sshd restarted", back.elapsed());
    assert!(
        http_get(l2)
            .expect("rstudio again")
            .contains("<h1>rstudio</h1>")
    );
    assert!(t.current().restarts >= 1);
    assert_eq!(
        ssh_processes(&id),
        1,
        "no extra ssh processes after reconnecting"
    );

    t.close().await;
    assert_eq!(ssh_processes(&id), 0, "closing leaves no ssh process");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_taken_local_port_moves_to_the_next_free_one() {
    let sb = common::seeded().await;
    let dir = tempfile::tempdir().expect("dir");
    let sshd = Sshd::start(dir.path());
    let http = Http::start(dir.path(), "jupyterhub");
    let id = lab(&sb.session, &sshd, true).await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let target = TunnelTarget {
        label: "lab".into(),
        instance_id: id.clone(),
        region: "us-east-1".into(),
        emr: false,
    };
    let t = Tunnel::open(
        sb.session.clone(),
        target,
        vec![forward(http.port, port)],
        settings(&sshd, dir.path(), true),
    );
    let s = wait_for(&t, "up", Duration::from_secs(20), |s| {
        s.state == TunnelState::Up && s.forwards[0].http_ok
    })
    .await;
    let f = &s.forwards[0];
    assert_ne!(f.local, port);
    assert_eq!(f.asked_local, port);
    assert_eq!(f.url, format!("http://localhost:{}/", f.local));
    assert!(
        http_get(f.local)
            .expect("moved port")
            .contains("jupyterhub")
    );
    t.close().await;
    drop(taken);
}

#[tokio::test(flavor = "multi_thread")]
async fn problems_a_user_can_act_on_are_explained() {
    let sb = common::seeded().await;
    let dir = tempfile::tempdir().expect("dir");
    let mut sshd = Sshd::start(dir.path());
    let http = Http::start(dir.path(), "rstudio");
    let id = lab(&sb.session, &sshd, true).await;
    let target = TunnelTarget {
        label: "lab".into(),
        instance_id: id.clone(),
        region: "us-east-1".into(),
        emr: false,
    };
    let open = |s: TunnelSettings| {
        Tunnel::open(
            sb.session.clone(),
            target.clone(),
            vec![forward(http.port, free_port())],
            s,
        )
    };
    let failed = |s: &TunnelStatus| matches!(s.state, TunnelState::Failed { .. });
    let why = |s: TunnelStatus| match s.state {
        TunnelState::Failed { why } => why,
        other => panic!("{other:?}"),
    };

    // A host seen for the first time is refused without consent, with its fingerprint.
    let t = open(settings(&sshd, dir.path(), false));
    let w = why(wait_for(&t, "refusal", Duration::from_secs(15), failed).await);
    assert!(
        w.contains("seen for the first time")
            && w.contains("SHA256:")
            && w.contains("--accept-new-host-key"),
        "{w}"
    );
    t.close().await;

    // Missing key: the paths tried are listed.
    let mut s = settings(&sshd, dir.path(), true);
    s.ssh_dir = dir.path().join("empty");
    let t = open(s);
    let w = why(wait_for(&t, "missing key", Duration::from_secs(15), failed).await);
    assert!(
        w.contains("no key file found (tried") && w.contains("rnd-key.pem"),
        "{w}"
    );
    t.close().await;

    // A key others can read: the chmod to run.
    let key = sshd.ssh_dir.join("rnd-key.pem");
    set_mode(&key, 0o644);
    let t = open(settings(&sshd, dir.path(), true));
    let w = why(wait_for(&t, "open key", Duration::from_secs(15), failed).await);
    assert!(w.contains(&format!("chmod 600 {}", key.display())), "{w}");
    t.close().await;
    set_mode(&key, 0o600);

    // A key the server does not know: the user and key tried are named.
    let good = std::fs::read(&key).expect("key");
    let good_pub = std::fs::read(key.with_extension("pem.pub")).expect("pub");
    let _ = std::fs::remove_file(&key);
    let _ = std::fs::remove_file(key.with_extension("pem.pub"));
    assert!(
        StdCommand::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&key)
            .status()
            .expect("keygen")
            .success()
    );
    let t = open(settings(&sshd, dir.path(), true));
    let w = why(wait_for(&t, "auth refused", Duration::from_secs(20), failed).await);
    assert!(
        w.contains(&format!("refused the login as `{}`", whoami())) && w.contains("rnd-key.pem"),
        "{w}"
    );
    t.close().await;
    std::fs::write(&key, good).expect("restore key");
    std::fs::write(key.with_extension("pem.pub"), good_pub).expect("restore pub");
    set_mode(&key, 0o600);

    // The host key changes (recorded above under the instance id): refused, with how to check.
    let t = open(settings(&sshd, dir.path(), true));
    wait_for(&t, "up", Duration::from_secs(20), |s| {
        s.state == TunnelState::Up
    })
    .await;
    t.close().await;
    sshd.kill();
    sshd.new_host_key();
    sshd.restart();
    let t = open(settings(&sshd, dir.path(), true));
    let w = why(wait_for(&t, "changed host key", Duration::from_secs(20), failed).await);
    assert!(
        w.contains("host key of 127.0.0.1 changed") && w.contains(&format!("ssh-keygen -R {id}")),
        "{w}"
    );
    t.close().await;
    assert_eq!(ssh_processes(&id), 0);
}

fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn skiff(endpoint: &str, home: &std::path::Path, sshd: &Sshd) -> StdCommand {
    let bin = assert_cmd::cargo::cargo_bin("skiff");
    let mut cmd = StdCommand::new(bin);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(common::cli_env(endpoint, home))
        .env("SKIFF_SSH_DIR", &sshd.ssh_dir)
        .args(["--region", "us-east-1"]);
    cmd
}

/// Reads stdout lines until `want` lines containing `needle` were seen.
fn read_until(
    lines: &mut impl Iterator<Item = std::io::Result<String>>,
    needle: &str,
    want: usize,
) -> Vec<String> {
    let mut seen = Vec::new();
    let mut hits = 0;
    for line in lines.by_ref() {
        let line = line.expect("line");
        hits += usize::from(line.contains(needle));
        seen.push(line);
        if hits >= want {
            return seen;
        }
    }
    panic!("stdout ended before {want} × `{needle}`: {seen:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn skiff_tunnel_prints_urls_and_ctrl_c_leaves_no_ssh_process() {
    let sb = common::seeded().await;
    let dir = tempfile::tempdir().expect("dir");
    let sshd = Sshd::start(dir.path());
    let (a, b) = (
        Http::start(dir.path(), "jupyterhub"),
        Http::start(dir.path(), "rstudio"),
    );
    let id = lab(&sb.session, &sshd, true).await;
    let (l1, l2) = (free_port(), free_port());
    let mut child = skiff(&sb.moto.endpoint(), dir.path(), &sshd)
        .args([
            "tunnel",
            "lab",
            "--port",
            &format!("{}:{l1}", a.port),
            "--port",
            &format!("{}:{l2}", b.port),
            "--accept-new-host-key",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("skiff tunnel");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let seen = read_until(&mut lines, "http://localhost:", 2);
    assert!(
        seen.iter()
            .any(|l| l.contains("accepted the host key") && l.contains("SHA256:")),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .any(|l| l.contains(&format!("http://localhost:{l1}/"))),
        "{seen:?}"
    );
    assert!(http_get(l1).expect("a").contains("jupyterhub"));
    assert!(http_get(l2).expect("b").contains("rstudio"));
    assert_eq!(ssh_processes(&id), 1);

    assert!(
        StdCommand::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .expect("kill")
            .success()
    );
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status:?}");
    assert_eq!(ssh_processes(&id), 0, "Ctrl-C leaves no ssh process");
}

#[tokio::test(flavor = "multi_thread")]
async fn up_starts_and_tunnels_down_closes_and_stops() {
    let sb = common::seeded().await;
    let dir = tempfile::tempdir().expect("dir");
    let sshd = Sshd::start(dir.path());
    let http = Http::start(dir.path(), "rstudio");
    let id = lab(&sb.session, &sshd, false).await;
    // The port asked for is taken: the tunnel moves to the next free one,
    // and `down` names that one.
    let local = free_port();
    let _taken = std::net::TcpListener::bind(("127.0.0.1", local)).expect("take the port");
    let mut config = dir.path().join("skiff.toml");
    std::fs::write(&config, "[lifecycle]\npoll_interval_secs = 1\n").expect("config");
    let mut up = skiff(&sb.moto.endpoint(), dir.path(), &sshd)
        .env("SKIFF_CONFIG", &config)
        .args([
            "up",
            "lab",
            "--port",
            &format!("{}:{local}", http.port),
            "--accept-new-host-key",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("skiff up");
    let mut lines = BufReader::new(up.stdout.take().expect("stdout")).lines();
    let seen = read_until(&mut lines, "http://localhost:", 1);
    assert!(
        seen.iter().any(|l| l.starts_with("Start instance lab")),
        "{seen:?}"
    );
    let url = seen
        .iter()
        .find_map(|l| {
            l.split_whitespace()
                .find(|w| w.starts_with("http://localhost:"))
        })
        .expect("url")
        .to_string();
    let port: u16 = url
        .trim_start_matches("http://localhost:")
        .trim_end_matches('/')
        .parse()
        .expect("port");
    assert_ne!(port, local, "{seen:?}");
    assert!(http_get(port).expect("rstudio").contains("rstudio"));

    config = dir.path().join("skiff.toml");
    let down = skiff(&sb.moto.endpoint(), dir.path(), &sshd)
        .env("SKIFF_CONFIG", &config)
        .args(["down", "lab"])
        .output()
        .expect("skiff down");
    let text = String::from_utf8_lossy(&down.stdout);
    assert!(
        down.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&down.stderr)
    );
    assert!(text.contains("closed the tunnels of process"), "{text}");
    assert!(text.contains(&url), "the port that was open: {text}");
    assert!(!text.contains(&format!("localhost:{local}/")), "{text}");
    assert!(text.contains("ran for"), "{text}");
    let status = up.wait().expect("up exits");
    assert!(status.success(), "{status:?}");
    assert_eq!(ssh_processes(&id), 0);
    let state = skiff::cloud::ec2::describe_instance(&sb.session, "us-east-1", &id)
        .await
        .expect("describe")
        .expect("exists")
        .state;
    assert_eq!(state, skiff::model::InstanceState::Stopped);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tui_opens_a_tunnel_from_the_dialog_and_quitting_closes_it() {
    use crossterm::event::{KeyCode, KeyEvent};
    use skiff::tui::app::App;
    let sb = common::seeded().await;
    let dir = tempfile::tempdir().expect("dir");
    let sshd = Sshd::start(dir.path());
    let http = Http::start(dir.path(), "rstudio");
    let id = lab(&sb.session, &sshd, true).await;
    // The key is given in the config, as a user would.
    let mut config = skiff::config::Config::defaults();
    config.tunnel.key = sshd.ssh_dir.join("rnd-key.pem").display().to_string();
    config.tunnel.retry_max_secs = 2;
    let (mut app, mut rx) = common::tui_app(&sb.moto.endpoint(), dir.path(), config);
    common::pump_until(&mut app, &mut rx, 20, "inventory did not load", |app| {
        app.world
            .inventory
            .instances
            .iter()
            .any(|i| i.name.as_deref() == Some("lab"))
            && !app.busy()
    })
    .await;
    let key = |app: &mut App, code: KeyCode| app.on_key(KeyEvent::from(code));
    for c in "/lab".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('t'));
    assert_eq!(app.mode(), skiff::tui::popups::tunnel::TUNNEL);
    // The dialog says who it will log in as, where, with which key.
    common::pump_until(&mut app, &mut rx, 10, "the preview", |a| {
        a.popup::<skiff::tui::popups::tunnel::TunnelDialog>()
            .is_some_and(|d| d.preview.is_some())
    })
    .await;
    let text = skiff::tui::ui::buffer_text(
        &skiff::tui::screens::render(&mut app, 120, 40).expect("render"),
    );
    assert!(
        text.contains(&format!("@127.0.0.1:{}", sshd.port)) && text.contains("rnd-key.pem"),
        "{text}"
    );
    // Presets are sorted: emr-jupyterhub, jupyter, livy, rstudio, spark-ui; an
    // instance has jupyter and rstudio ticked. Untick them, add our port.
    let dialog = app
        .popup::<skiff::tui::popups::tunnel::TunnelDialog>()
        .cloned()
        .expect("dialog");
    let ticked: Vec<&str> = dialog
        .presets
        .iter()
        .filter(|p| p.2)
        .map(|p| p.0.as_str())
        .collect();
    assert_eq!(ticked, ["jupyter", "rstudio"]);
    for _ in 0..4 {
        let on = app
            .popup::<skiff::tui::popups::tunnel::TunnelDialog>()
            .map(|d| d.presets[d.cursor].2)
            .unwrap_or(false);
        if on {
            key(&mut app, KeyCode::Char(' '));
        }
        key(&mut app, KeyCode::Down);
    }
    // And a second local port to the same service, taken already: a
    // tunnel with two URLs, the second on the next free port.
    let local = free_port();
    let local2 = free_port();
    let _taken = std::net::TcpListener::bind(("127.0.0.1", local2)).expect("take the port");
    for c in format!("{}:{local} {}:{local2}", http.port, http.port).chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Char('a'));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.mode(), skiff::tui::ctx::Mode::NORMAL);
    assert_eq!(
        app.view_of::<skiff::tui::views::tunnels::Tunnels>()
            .expect("tunnels")
            .list
            .len(),
        1
    );

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        app.on_tick();
        let s = app
            .view_of::<skiff::tui::views::tunnels::Tunnels>()
            .expect("tunnels")
            .list[0]
            .tunnel
            .current();
        if s.state == TunnelState::Up && s.forwards.iter().all(|f| f.http_ok) {
            assert_eq!(
                s.forwards.len(),
                2,
                "only the typed ports: {:?}",
                s.forwards
            );
            break;
        }
        assert!(Instant::now() < deadline, "tunnel not up: {s:#?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        http_get(local)
            .expect("through the TUI's tunnel")
            .contains("rstudio")
    );
    key(&mut app, KeyCode::Char('5'));
    assert_eq!(app.view(), skiff::tui::views::tunnels::ID);
    let rows = app.rows();
    assert_eq!(rows[0].cells[1].text, "up");
    assert_eq!(rows[0].cells[3].text, format!("http://localhost:{local}/"));
    // The moved port is marked, and the mark explained, at 80 columns.
    let text = skiff::tui::ui::buffer_text(
        &skiff::tui::screens::render(&mut app, 80, 24).expect("render"),
    );
    assert!(
        text.contains("*→") && text.contains("* another local port than asked"),
        "{text}"
    );
    // c asks which URL; 2 copies the second.
    let second = app
        .view_of::<skiff::tui::views::tunnels::Tunnels>()
        .expect("tunnels")
        .list[0]
        .tunnel
        .current()
        .forwards[1]
        .url
        .clone();
    assert_ne!(second, format!("http://localhost:{local2}/"));
    key(&mut app, KeyCode::Char('c'));
    assert_eq!(app.mode(), skiff::tui::popups::choose::CHOOSE);
    key(&mut app, KeyCode::Char('2'));
    assert_eq!(app.mode(), skiff::tui::ctx::Mode::NORMAL);
    let said = app.notes.last().map(|n| n.text.clone()).unwrap_or_default();
    assert_eq!(said, format!("copied {second}"));

    assert_eq!(ssh_processes(&id), 1);

    // Stopped from elsewhere (another terminal's `skiff down`): once the
    // listing shows it, the tunnel says so instead of "up".
    sb.session
        .ec2_client("us-east-1")
        .stop_instances()
        .instance_ids(&id)
        .send()
        .await
        .expect("stop");
    app.refresh();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        while let Ok(m) = rx.try_recv() {
            app.on_msg(m);
        }
        app.on_tick();
        let s = app
            .view_of::<skiff::tui::views::tunnels::Tunnels>()
            .expect("tunnels")
            .list[0]
            .tunnel
            .current();
        if matches!(s.state, TunnelState::TargetStopped { .. }) {
            break;
        }
        assert!(Instant::now() < deadline, "still {:?}", s.state);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.shut_down().await;
    assert_eq!(ssh_processes(&id), 0, "quitting closes the TUI's tunnels");
}

#[tokio::test(flavor = "multi_thread")]
async fn starting_a_spark_cluster_runs_the_post_start_commands_on_its_master() {
    let sb = common::seeded().await;
    let dir = tempfile::tempdir().expect("dir");
    let sshd = Sshd::start(dir.path());
    let client = sb.session.ec2_client("us-east-1");
    let mut ids = Vec::new();
    for (name, role) in [("lab2-master", "master"), ("lab2-worker", "worker")] {
        let out = client
            .run_instances()
            .image_id("ami-1e749f67")
            .min_count(1)
            .max_count(1)
            .key_name("rnd-key")
            .tag_specifications(
                ec2::TagSpecification::builder()
                    .resource_type(ec2::ResourceType::Instance)
                    .tags(ec2::Tag::builder().key("Name").value(name).build())
                    .tags(
                        ec2::Tag::builder()
                            .key("skiff:cluster")
                            .value("lab2")
                            .build(),
                    )
                    .tags(ec2::Tag::builder().key("skiff:role").value(role).build())
                    .tags(
                        ec2::Tag::builder()
                            .key("skiff:ssh-host")
                            .value(format!("127.0.0.1:{}", sshd.port))
                            .build(),
                    )
                    .tags(
                        ec2::Tag::builder()
                            .key("skiff:ssh-user")
                            .value(whoami())
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("run");
        ids.push(out.instances()[0].instance_id().expect("id").to_string());
    }
    client
        .stop_instances()
        .set_instance_ids(Some(ids.clone()))
        .send()
        .await
        .expect("stop");
    let config = dir.path().join("skiff.toml");
    std::fs::write(
        &config,
        format!(
            "[lifecycle]\npoll_interval_secs = 1\n[spark]\npost_start_commands = [\"echo spark-restarted\", \"exit 3\"]\npost_start_wait_secs = 20\n[tunnel]\nkey = \"{}\"\n",
            sshd.ssh_dir.join("rnd-key.pem").display()
        ),
    )
    .expect("config");
    let start = |home: &std::path::Path| {
        skiff(&sb.moto.endpoint(), home, &sshd)
            .env("SKIFF_CONFIG", &config)
            .args(["start", "lab2", "--wait"])
            .output()
            .expect("start")
    };

    // Without a recorded host key: refused, with what to do.
    let out = start(dir.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("is not recorded yet") && text.contains("--accept-new-host-key"),
        "{text}"
    );

    // Recorded (as a first tunnel would): both commands run, in order; the
    // failing one is reported and fails the command; the output is kept.
    client
        .stop_instances()
        .set_instance_ids(Some(ids.clone()))
        .send()
        .await
        .expect("stop again");
    let known = dir.path().join("state/known_hosts");
    let lines = skiff::ops::tunnel::hostkeys::scan("127.0.0.1", sshd.port, &ids[0])
        .await
        .expect("scan");
    skiff::ops::tunnel::hostkeys::accept(&known, &lines).expect("record");
    let out = start(dir.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "exit 3 of the second command fails the start: {text}"
    );
    assert!(
        text.contains("✓ master$ echo spark-restarted: exit 0 spark-restarted"),
        "{text}"
    );
    assert!(text.contains("✗ master$ exit 3: exit 3"), "{text}");
    let log_dir = dir.path().join("state/post-start");
    let log = std::fs::read_dir(&log_dir)
        .expect("logs")
        .flatten()
        .next()
        .expect("a log")
        .path();
    let kept = std::fs::read_to_string(log).expect("log");
    assert!(
        kept.contains("$ echo spark-restarted\nspark-restarted\n[exit 0]"),
        "{kept}"
    );
}
