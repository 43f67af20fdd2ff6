//! `skiff doctor`: against a real moto, a dead endpoint, a server whose
//! clock is off (a proxy in front of moto that shifts `Date`), a key file
//! others can read and a config file with an unknown key.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// `skiff doctor --json ARGS` against `endpoint`: the run and its checks.
fn doctor_json(endpoint: &str, home: &std::path::Path, args: &[&str]) -> (common::Run, Vec<Value>) {
    let mut all = vec!["doctor", "--json"];
    all.extend_from_slice(args);
    let run = common::run_skiff(endpoint, home, &all);
    let checks: Vec<Value> = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json is JSON ({e}): {}\n{}",
            run.stdout, run.stderr
        )
    });
    (run, checks)
}

/// The check named `name` (the first whose name starts with it).
fn check<'a>(checks: &'a [Value], name: &str) -> &'a Value {
    checks
        .iter()
        .find(|c| c["name"].as_str().is_some_and(|n| n.starts_with(name)))
        .unwrap_or_else(|| panic!("no check {name} in {checks:#?}"))
}

fn ok(checks: &[Value], name: &str) -> Option<bool> {
    check(checks, name)["ok"].as_bool()
}

/// moto builds a region's EC2 on its first call, which can take longer
/// than doctor's limit on a busy machine: asked once before doctor runs.
async fn warm(session: &skiff::cloud::Session, regions: &[&str]) {
    use common::Sdk;
    for region in regions {
        session
            .ec2_client(region)
            .describe_availability_zones()
            .send()
            .await
            .expect("moto answers");
    }
    session.account_id().await.expect("moto's STS answers");
}

/// The exit code says what the checks say: 0 iff none failed.
fn assert_exit_matches(run: &common::Run, checks: &[Value]) {
    let failed = checks.iter().any(|c| c["ok"] == Value::Bool(false));
    assert_eq!(
        run.code,
        i32::from(failed),
        "exit code vs checks: {checks:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn against_moto_credentials_regions_and_clock_hold() {
    let (moto, session) = common::empty().await;
    warm(&session, &["eu-west-1"]).await;
    let home = tempfile::tempdir().expect("home");
    let (run, checks) = doctor_json(&moto.endpoint(), home.path(), &["--region", "eu-west-1"]);
    for c in &checks {
        for field in ["name", "detail", "fix"] {
            assert!(c[field].is_string(), "{field} of {c}");
        }
        assert!(c["ok"].is_boolean() || c["ok"].is_null(), "{c}");
    }
    assert_eq!(ok(&checks, "config"), Some(true), "{checks:#?}");
    assert_eq!(ok(&checks, "credentials"), Some(true), "{checks:#?}");
    let creds = check(&checks, "credentials")["detail"].as_str().unwrap();
    assert!(
        creds.contains("123456789012") && creds.contains("arn:aws:"),
        "{creds}"
    );
    let region = check(&checks, "region eu-west-1");
    assert_eq!(region["ok"], Value::Bool(true), "{region}");
    assert!(
        region["detail"]
            .as_str()
            .unwrap()
            .contains(&moto.endpoint()),
        "the endpoint override is named: {region}"
    );
    assert_eq!(ok(&checks, "clock"), Some(true), "{checks:#?}");
    // moto has no policy simulator: not checked, never a guess.
    assert_ne!(ok(&checks, "permissions"), Some(false), "{checks:#?}");
    assert_exit_matches(&run, &checks);

    let text = common::run_skiff(&moto.endpoint(), home.path(), &["doctor"]);
    assert_eq!(text.code, run.code, "{}", text.stdout);
    assert!(text.stdout.contains("✓ credentials"), "{}", text.stdout);
    assert!(text.stdout.contains("✓ clock"), "{}", text.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_endpoint_fails_the_region_within_five_seconds() {
    let home = tempfile::tempdir().expect("home");
    let endpoint = format!("http://127.0.0.1:{}", common::dead_port());
    let started = Instant::now();
    let (run, checks) = doctor_json(&endpoint, home.path(), &[]);
    let took = started.elapsed();
    assert!(took <= Duration::from_secs(5), "doctor took {took:?}");
    let region = check(&checks, "region ");
    assert_eq!(region["ok"], Value::Bool(false), "{region}");
    assert!(
        region["fix"].as_str().unwrap().contains(&endpoint),
        "the fix names the endpoint: {region}"
    );
    assert_eq!(ok(&checks, "credentials"), Some(false), "{checks:#?}");
    assert_eq!(ok(&checks, "clock"), None, "{checks:#?}");
    assert_eq!(run.code, 1);
    assert_exit_matches(&run, &checks);

    let text = common::run_skiff(&endpoint, home.path(), &["doctor"]);
    assert_eq!(text.code, 1);
    assert!(text.stdout.contains("✗ region"), "{}", text.stdout);
    assert!(text.stdout.contains("fix: "), "{}", text.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_file_others_can_read_is_named_with_its_chmod() {
    use std::os::unix::fs::PermissionsExt;
    let (moto, session) = common::empty().await;
    warm(&session, &["us-east-1"]).await;
    let home = tempfile::tempdir().expect("home");
    let key = home.path().join("lab key.pem");
    std::fs::write(&key, "not really a key\n").expect("key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        format!("[tunnel]\nkey = {:?}\n", key.display().to_string()),
    )
    .expect("config");
    let config = config.display().to_string();
    let (run, checks) = doctor_json(&moto.endpoint(), home.path(), &["--config", &config]);
    let line = check(&checks, &format!("key {}", key.display()));
    assert_eq!(line["ok"], Value::Bool(false), "{line}");
    assert_eq!(
        line["fix"].as_str().unwrap(),
        format!("chmod 600 {}", key.display())
    );
    assert_exit_matches(&run, &checks);

    let text = common::run_skiff(
        &moto.endpoint(),
        home.path(),
        &["doctor", "--config", &config],
    );
    assert!(
        text.stdout
            .contains(&format!("chmod 600 {}", key.display())),
        "{}",
        text.stdout
    );

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let (_, checks) = doctor_json(&moto.endpoint(), home.path(), &["--config", &config]);
    assert_eq!(ok(&checks, &format!("key {}", key.display())), Some(true));
}

/// tests/fixtures/date_skew_proxy.py in front of `upstream`, shifting
/// `Date` by `shift_secs`; it stops when dropped.
struct SkewProxy {
    child: Child,
    _stdin: Option<ChildStdin>,
    endpoint: String,
}

impl SkewProxy {
    fn start(upstream: &str, shift_secs: i64) -> Self {
        let mut child = Command::new(common::faults::python())
            .arg(common::faults::fixture("date_skew_proxy.py"))
            .args(["--upstream", upstream, "--port", "0", "--shift-secs"])
            .arg(shift_secs.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start date_skew_proxy.py");
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut first)
            .expect("its first line");
        let endpoint = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("date_skew_proxy.py said {first:?}"))
            .to_string();
        let stdin = child.stdin.take();
        Self {
            child,
            _stdin: stdin,
            endpoint,
        }
    }
}

impl Drop for SkewProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_clock_ten_minutes_off_fails_the_clock_and_names_the_skew() {
    let (moto, session) = common::empty().await;
    warm(&session, &["us-east-1"]).await;
    let proxy = SkewProxy::start(&moto.endpoint(), 600);
    let home = tempfile::tempdir().expect("home");
    let (run, checks) = doctor_json(&proxy.endpoint, home.path(), &[]);
    assert_eq!(ok(&checks, "credentials"), Some(true), "{checks:#?}");
    let clock = check(&checks, "clock");
    assert_eq!(clock["ok"], Value::Bool(false), "{clock}");
    let detail = clock["detail"].as_str().unwrap();
    let named = (598..=602).any(|s| detail.contains(&format!("{s} s behind")));
    assert!(named, "the skew is named: {detail}");
    assert!(
        clock["fix"].as_str().unwrap().contains("timedatectl"),
        "{clock}"
    );
    assert_eq!(run.code, 1);
    assert_exit_matches(&run, &checks);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_config_key_fails_the_config_line_and_the_rest_still_runs() {
    let (moto, session) = common::empty().await;
    warm(&session, &["us-east-1"]).await;
    let home = tempfile::tempdir().expect("home");
    let config = home.path().join("config.toml");
    std::fs::write(&config, "[ssh]\nparallel = 4\nbogus = 1\n").expect("config");
    let config = config.display().to_string();
    let (run, checks) = doctor_json(&moto.endpoint(), home.path(), &["--config", &config]);
    let line = check(&checks, "config");
    assert_eq!(line["ok"], Value::Bool(false), "{line}");
    let detail = line["detail"].as_str().unwrap();
    assert!(
        detail.contains("bogus") && detail.contains(":3"),
        "key and line: {detail}"
    );
    assert!(line["fix"].as_str().unwrap().contains("`bogus`"), "{line}");
    assert_eq!(ok(&checks, "credentials"), Some(true), "{checks:#?}");
    assert_eq!(run.code, 1);
    assert_exit_matches(&run, &checks);
}
