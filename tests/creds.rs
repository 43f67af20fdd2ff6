//! Keys in a real keyring store (the Linux kernel keyring; scripts/test runs
//! the tests in a session keyring of their own): add, list, use against moto
//! with no AWS_* variables, precedence of ~/.aws/config, no secret in debug
//! logs, and a store that is not there.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a failed expectation is the failure

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const KEY_ID: &str = "AKIAKEYRINGTEST00001";

fn secret() -> String {
    format!("keyring-secret-{}-do-not-leak", std::process::id())
}

/// skiff with no AWS_* credentials in its environment, the kernel keyring as
/// its store, and `home` as SKIFF_HOME.
fn skiff(endpoint: &str, home: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let config = home.join("skiff.toml");
    std::fs::write(&config, "[credentials]\nstore = \"keyutils\"\n").expect("config");
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("skiff"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SKIFF_HOME", home)
        .env("SKIFF_CONFIG", &config)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", home.join("aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("aws-credentials"))
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("skiff");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write");
    }
    child.wait_with_output().expect("wait")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn add_list_use_and_remove_a_keyring_profile() {
    let (moto, _session) = common::empty().await;
    let home = tempfile::tempdir().expect("home");
    let e = moto.endpoint();
    let profile = format!("kr-use-{}", std::process::id());
    let ls = [
        "--profile",
        profile.as_str(),
        "--region",
        "us-east-1",
        "ls",
        "buckets",
        "--json",
    ];

    // Before: no credentials anywhere.
    let before = skiff(&e, home.path(), &ls, None);
    assert!(!before.status.success());
    assert!(
        text(&before).contains("no usable AWS credentials"),
        "{}",
        text(&before)
    );

    let add = skiff(
        &e,
        home.path(),
        &["creds", "add", &profile, "--stdin"],
        Some(&format!("{KEY_ID}\n{}\n", secret())),
    );
    assert!(add.status.success(), "{}", text(&add));
    assert!(
        text(&add).contains(&format!(
            "stored the key {KEY_ID} of profile {profile} in the Linux kernel keyring"
        )),
        "{}",
        text(&add)
    );
    assert!(!text(&add).contains(&secret()));

    let list = skiff(&e, home.path(), &["creds", "ls", "--json"], None);
    let doc: serde_json::Value = serde_json::from_slice(&list.stdout).expect("json");
    let entry = doc["profiles"]
        .as_array()
        .expect("profiles")
        .iter()
        .find(|p| p["profile"] == profile.as_str())
        .expect("listed");
    assert_eq!(entry["access_key_id"], KEY_ID);
    assert!(
        !String::from_utf8_lossy(&list.stdout).contains(&secret()),
        "ls never shows secrets"
    );

    // Used: keyring-only credentials, no AWS_* variables, against moto.
    let used = skiff(&e, home.path(), &ls, None);
    assert!(used.status.success(), "{}", text(&used));
    assert!(String::from_utf8_lossy(&used.stdout).contains("\"buckets\""));

    let rm = skiff(&e, home.path(), &["creds", "rm", &profile], None);
    assert!(rm.status.success(), "{}", text(&rm));
    let after = skiff(&e, home.path(), &ls, None);
    assert!(!after.status.success(), "removed: no credentials again");
    let again = skiff(&e, home.path(), &["creds", "rm", &profile], None);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again).contains("no key for"), "{}", text(&again));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_in_aws_config_wins_and_debug_logs_hold_no_secret() {
    let (moto, _session) = common::empty().await;
    let home = tempfile::tempdir().expect("home");
    let e = moto.endpoint();
    let profile = format!("kr-both-{}", std::process::id());
    let add = skiff(
        &e,
        home.path(),
        &["creds", "add", &profile, "--stdin"],
        Some(&format!("{KEY_ID}\n{}\n", secret())),
    );
    assert!(add.status.success(), "{}", text(&add));

    // Keyring only, with the SDK's own debug logging on: the secret appears
    // nowhere (log, stdout, stderr).
    let log = home.path().join("state/skiff.log");
    let cmd_env_log = |extra: &[(&str, &str)]| {
        let config = home.path().join("skiff.toml");
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("skiff"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("SKIFF_HOME", home.path())
            .env("SKIFF_CONFIG", &config)
            .env("SKIFF_LOG", "trace")
            .env("AWS_ENDPOINT_URL", &e)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", home.path().join("aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                home.path().join("aws-credentials"),
            )
            .envs(extra.iter().copied())
            .args([
                "--profile",
                &profile,
                "--region",
                "us-east-1",
                "ls",
                "buckets",
                "--json",
            ]);
        cmd.output().expect("run")
    };
    let out = cmd_env_log(&[]);
    assert!(out.status.success(), "{}", text(&out));
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(
        logged.len() > 1000,
        "debug logging was on: {} bytes",
        logged.len()
    );
    assert!(
        logged.contains("skiff keyring"),
        "the keyring provider supplied the credentials"
    );
    assert!(
        !logged.contains(&secret()) && !text(&out).contains(&secret()),
        "the secret leaked"
    );

    // The same profile in ~/.aws/credentials: that one wins.
    std::fs::write(
        home.path().join("aws-credentials"),
        format!("[{profile}]\naws_access_key_id = AKIAFROMAWSCONFIG001\naws_secret_access_key = from-the-file\n"),
    )
    .expect("credentials file");
    std::fs::remove_file(&log).expect("fresh log");
    let out = cmd_env_log(&[]);
    assert!(out.status.success(), "{}", text(&out));
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(
        logged.contains("AKIAFROMAWSCONFIG001"),
        "the file's key id was used"
    );
    assert!(
        !logged.contains("provider=skiff keyring") && !logged.contains(KEY_ID),
        "the keyring was not needed"
    );
    let rm = skiff(&e, home.path(), &["creds", "rm", &profile], None);
    assert!(rm.status.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_that_is_not_there_says_so_quickly() {
    let home = tempfile::tempdir().expect("home");
    let config = home.path().join("skiff.toml");
    std::fs::write(
        &config,
        "[credentials]\nstore = \"secret-service\"\ntimeout_secs = 3\n",
    )
    .expect("config");
    let started = std::time::Instant::now();
    let out = Command::new(assert_cmd::cargo::cargo_bin("skiff"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SKIFF_HOME", home.path())
        .env("SKIFF_CONFIG", &config)
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", home.path().join("no-bus").display()),
        )
        .args(["creds", "add", "x", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin
                .take()
                .expect("stdin")
                .write_all(format!("{KEY_ID}\nsecret\n").as_bytes())?;
            c.wait_with_output()
        })
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no Secret Service is reachable"), "{err}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "gave up instead of hanging"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_mfa_profile_asks_for_its_code_in_the_tui_once_and_gets_session_credentials() {
    use aws_credential_types::provider::ProvideCredentials;
    use crossterm::event::{KeyCode, KeyEvent};
    use skiff::creds::provider::{KeyringProvider, KeyringSettings};
    use skiff::tui::app::App;
    use skiff::tui::msg::Msg;

    let (moto, _session) = common::empty().await;
    let home = tempfile::tempdir().expect("home");
    let e = moto.endpoint();
    let profile = format!("kr-mfa-{}", std::process::id());
    let serial = "arn:aws:iam::123456789012:mfa/data-scientist";
    let add = skiff(
        &e,
        home.path(),
        &["creds", "add", &profile, "--stdin", "--mfa-serial", serial],
        Some(&format!("{KEY_ID}\n{}\n", secret())),
    );
    assert!(add.status.success(), "{}", text(&add));

    // The TUI's prompt: questions arrive as messages in an app, answered
    // with keys as a user would.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let settings = KeyringSettings {
        store: "keyutils".into(),
        timeout: std::time::Duration::from_secs(5),
        state_dir: home.path().join("state"),
        endpoint_url: Some(e.clone()),
        region: "us-east-1".into(),
        mfa_prompt: Some(skiff::tui::mfa_prompt(tx)),
    };
    let mut app = App::new(
        skiff::config::Config::defaults(),
        skiff::config::Dirs {
            config: home.path().join("c"),
            state: home.path().join("state"),
            cache: home.path().join("k"),
        },
        skiff::tui::theme::Theme::dark(),
        skiff::ops::connect::Connection::plain(Default::default()),
        false,
        None,
    );
    let provider = std::sync::Arc::new(KeyringProvider::new(&profile, settings.clone()));
    let first = tokio::spawn({
        let p = provider.clone();
        async move { p.provide_credentials().await }
    });
    let Some(Msg::MfaPrompt {
        serial: asked,
        reply,
    }) = rx.recv().await
    else {
        panic!("no MFA question");
    };
    assert_eq!(asked, serial);
    app.on_msg(Msg::MfaPrompt {
        serial: asked,
        reply,
    });
    assert_eq!(app.mode(), skiff::tui::popups::mfa::MFA);
    for c in "12x3456".chars() {
        app.on_key(KeyEvent::from(KeyCode::Char(c)));
    }
    assert_eq!(app.input_text(), "123456", "digits only");
    app.on_key(KeyEvent::from(KeyCode::Enter));
    assert_eq!(app.mode(), skiff::tui::ctx::Mode::NORMAL);
    let creds = first.await.expect("task").expect("session credentials");
    assert!(creds.session_token().is_some(), "STS session credentials");
    assert_ne!(creds.access_key_id(), KEY_ID, "not the long-term key");
    // Cached: a second call asks nothing.
    let again = provider.provide_credentials().await.expect("cached");
    assert_eq!(again.access_key_id(), creds.access_key_id());
    assert!(rx.try_recv().is_err(), "asked only once");

    // Esc: no code, an error that says so, and no question on the next call.
    let provider = std::sync::Arc::new(KeyringProvider::new(&profile, settings));
    let declined = tokio::spawn({
        let p = provider.clone();
        async move { p.provide_credentials().await }
    });
    let Some(msg @ Msg::MfaPrompt { .. }) = rx.recv().await else {
        panic!("no MFA question");
    };
    app.on_msg(msg);
    app.on_key(KeyEvent::from(KeyCode::Esc));
    let err = declined.await.expect("task").expect_err("declined");
    assert!(
        err.to_string().contains("no MFA code given")
            || format!("{err:?}").contains("no MFA code given"),
        "{err:?}"
    );
    assert!(provider.provide_credentials().await.is_err());
    assert!(rx.try_recv().is_err(), "not asked again after esc");

    let _ = skiff(&e, home.path(), &["creds", "rm", &profile], None);
}

/// An instance metadata service that refuses everything with HTTP 403, as
/// some containers' do. Answers until the test ends.
async fn refusing_metadata_service() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf).await;
                let _ = conn
                    .write_all(
                        b"HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\nConnection: close\r\n\r\nForbidden",
                    )
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_keyring_is_asked_when_instance_metadata_refuses() {
    let (moto, _session) = common::empty().await;
    let home = tempfile::tempdir().expect("home");
    let e = moto.endpoint();
    let profile = format!("kr-imds-{}", std::process::id());
    let add = skiff(
        &e,
        home.path(),
        &["creds", "add", &profile, "--stdin"],
        Some(&format!("{KEY_ID}\n{}\n", secret())),
    );
    assert!(add.status.success(), "{}", text(&add));
    let imds = refusing_metadata_service().await;
    let config = home.path().join("skiff.toml");
    let run = |profile: &str| {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("skiff"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("SKIFF_HOME", home.path())
            .env("SKIFF_CONFIG", &config)
            .env("AWS_ENDPOINT_URL", &e)
            // Instance metadata on: it answers 403 to everything.
            .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds)
            .env("AWS_CONFIG_FILE", home.path().join("aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                home.path().join("aws-credentials"),
            )
            .args([
                "--profile",
                profile,
                "--region",
                "us-east-1",
                "ls",
                "buckets",
                "--json",
            ]);
        cmd.output().expect("run")
    };
    let out = run(&profile);
    assert!(
        out.status.success(),
        "the keyring's key was used although the metadata service refused: {}",
        text(&out)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"buckets\""));
    // A profile the keyring does not hold either: the standard chain's own
    // answer is what the user reads.
    let none = run("kr-imds-nobody");
    assert!(!none.status.success());
    assert!(
        text(&none).contains("no usable AWS credentials"),
        "{}",
        text(&none)
    );
    let rm = skiff(&e, home.path(), &["creds", "rm", &profile], None);
    assert!(rm.status.success());
}

/// Feeds the app its messages until `done` holds, answering each MFA
/// question with a code typed as a user would; how many were asked.
async fn pump_answering_mfa(
    app: &mut skiff::tui::app::App,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<skiff::tui::msg::Msg>,
    secs: u64,
    what: &str,
    done: impl Fn(&skiff::tui::app::App) -> bool,
) -> usize {
    use crossterm::event::{KeyCode, KeyEvent};
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let mut asked = 0;
    while !done(app) {
        assert!(
            std::time::Instant::now() < deadline,
            "{what} (waited {secs} s); said: {:?}",
            app.notes.iter().map(|n| &n.text).collect::<Vec<_>>()
        );
        while let Ok(m) = rx.try_recv() {
            let question = matches!(m, skiff::tui::msg::Msg::MfaPrompt { .. });
            app.on_msg(m);
            if question {
                asked += 1;
                assert_eq!(app.mode(), skiff::tui::popups::mfa::MFA);
                for c in "123456".chars() {
                    app.on_key(KeyEvent::from(KeyCode::Char(c)));
                }
                app.on_key(KeyEvent::from(KeyCode::Enter));
            }
        }
        app.on_tick();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    asked
}

/// Session credentials that expire while the TUI is open (every service
/// answers ExpiredToken to them): one message naming the fix, not one per
/// service; the MFA question again by itself; and the lists come back with
/// the new session — no restart, no key but the code.
#[tokio::test(flavor = "multi_thread")]
async fn expired_session_credentials_are_said_once_and_renewed_without_a_restart() {
    let (moto, _session) = common::empty().await;
    let e = moto.endpoint();
    let (made, _, err) = common::aws(
        &e,
        "us-east-1",
        &["s3api", "create-bucket", "--bucket", "kr-expiry"],
    );
    assert!(made, "{err}");
    let home = tempfile::tempdir().expect("home");
    let profile = format!("kr-exp-{}", std::process::id());
    let serial = "arn:aws:iam::123456789012:mfa/data-scientist";
    let add = skiff(
        &e,
        home.path(),
        &["creds", "add", &profile, "--stdin", "--mfa-serial", serial],
        Some(&format!("{KEY_ID}\n{}\n", secret())),
    );
    assert!(add.status.success(), "{}", text(&add));

    let proxy =
        common::faults::FaultProxy::start(&e, serde_json::json!({"fresh_session_keys": true}));
    let mut config = skiff::config::Config::defaults();
    config.credentials.store = "keyutils".into();
    let dirs = skiff::config::Dirs {
        config: home.path().join("c"),
        state: home.path().join("state"),
        cache: home.path().join("k"),
    };
    let mut opts = skiff::sandbox::sandbox_options(&proxy.endpoint());
    opts.profile = Some(profile.clone());
    opts.static_credentials = None;
    opts.regions = vec!["us-east-1".into()];
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let connection = skiff::ops::connect::Connection::new(
        opts,
        &config,
        &dirs,
        Some(skiff::tui::mfa_prompt(tx.clone())),
    );
    let mut app = skiff::tui::app::App::new(
        config,
        dirs,
        skiff::tui::theme::Theme::dark(),
        connection,
        false,
        Some(tx),
    );
    app.connect();
    let listed = |a: &skiff::tui::app::App| !a.busy() && !a.world.inventory.buckets.is_empty();
    let asked = pump_answering_mfa(&mut app, &mut rx, 60, "the first listing", listed).await;
    assert_eq!(asked, 1, "the code is asked for once at the start");

    let keys = proxy.stats()["keys"].clone();
    let session_key = keys
        .as_object()
        .expect("keys")
        .keys()
        .find(|k| k.as_str() != KEY_ID)
        .expect("calls signed with a session key")
        .clone();
    assert!(keys[KEY_ID].as_u64().is_some(), "the long-term key got it");
    proxy.configure(serde_json::json!({
        "fresh_session_keys": true,
        "refuse_key": {session_key.clone(): "ExpiredToken"},
    }));
    let notes_before = app.notes.len();
    app.refresh();
    let asked = pump_answering_mfa(&mut app, &mut rx, 60, "signed in again", |a| {
        listed(a) && a.notes.iter().any(|n| n.text == "signed in again")
    })
    .await;
    assert_eq!(asked, 1, "the code is asked for again, once");
    let said: Vec<&str> = app
        .notes
        .iter()
        .skip(notes_before)
        .map(|n| n.text.as_str())
        .filter(|t| t.contains("expired"))
        .collect();
    assert_eq!(said.len(), 1, "said once, not per service: {said:?}");
    assert!(
        said[0].contains(&format!(
            "the session credentials of profile {profile} have expired"
        )) && said[0].contains("MFA code"),
        "{said:?}"
    );
    let refused = proxy.stats()["faults"]["refuse"].as_u64().unwrap_or(0);
    assert!(refused >= 1, "the old session was refused");
    let renewed = proxy.stats()["keys"]
        .as_object()
        .expect("keys")
        .keys()
        .filter(|k| *k != &session_key && k.as_str() != KEY_ID)
        .count();
    assert_eq!(renewed, 1, "a new session key signs the calls");

    let _ = skiff(&e, home.path(), &["creds", "rm", &profile], None);
}
