//! Shared test harness: a real moto server on a free loopback port, seeded
//! with the sandbox's account. A missing moto_server fails the test (it is
//! installed by scripts/test), it never skips it.

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

pub mod faults;
pub mod sshd;
pub mod ssm;

use skiff::cloud::Session;
use skiff::sandbox::{MotoServer, MotoZygote, Seeded, sandbox_options, seed_sample_account};

pub struct Sandbox {
    pub moto: MotoServer,
    pub session: Session,
    pub seeded: Seeded,
}

/// SDK clients of the tests' own, for fixtures skiff has no command for
/// and for checking what skiff did: built from the session's endpoint with
/// the sandbox's keys, outside skiff's session and its gate.
pub trait Sdk {
    fn sdk_config(&self, region: &str) -> aws_types::SdkConfig;

    fn ec2_client(&self, region: &str) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::new(&self.sdk_config(region))
    }

    fn emr_client(&self, region: &str) -> aws_sdk_emr::Client {
        aws_sdk_emr::Client::new(&self.sdk_config(region))
    }

    fn s3_client(&self, region: &str) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.sdk_config(region))
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    fn cloudwatch_client(&self, region: &str) -> aws_sdk_cloudwatch::Client {
        aws_sdk_cloudwatch::Client::new(&self.sdk_config(region))
    }
}

impl Sdk for Session {
    fn sdk_config(&self, region: &str) -> aws_types::SdkConfig {
        let (id, secret) = skiff::sandbox::SANDBOX_KEYS;
        aws_types::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_types::region::Region::new(region.to_string()))
            .endpoint_url(
                self.endpoint_url
                    .clone()
                    .expect("tests use an emulator endpoint"),
            )
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    aws_credential_types::Credentials::from_keys(id, secret, None),
                ),
            )
            .build()
    }
}

/// A fresh moto server of the test's own, forked from this test binary's
/// one warm moto (see `MotoZygote`): the same state as a new `moto_server`,
/// without paying its start-up and first backends per test.
pub fn moto() -> MotoServer {
    static ZYGOTE: std::sync::Mutex<Option<MotoZygote>> = std::sync::Mutex::new(None);
    let mut zygote = ZYGOTE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if zygote.is_none() {
        *zygote = Some(
            MotoZygote::start(&skiff::sandbox::SANDBOX_REGIONS)
                .unwrap_or_else(|e| panic!("the tests need moto_server: {e}")),
        );
    }
    zygote
        .as_mut()
        .map(MotoZygote::spawn)
        .expect("started above")
        .unwrap_or_else(|e| panic!("the tests need moto_server: {e}"))
}

pub async fn empty() -> (MotoServer, Session) {
    let moto = tokio::task::spawn_blocking(moto)
        .await
        .expect("moto start task");
    let session = Session::connect(&sandbox_options(&moto.endpoint()))
        .await
        .expect("session");
    (moto, session)
}

pub async fn seeded() -> Sandbox {
    let (moto, session) = empty().await;
    let seeded = seed_sample_account(&session).await.expect("seed");
    Sandbox {
        moto,
        session,
        seeded,
    }
}

/// A loopback port where nothing listens (bound, read, released).
pub fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// Environment for running the binary against `endpoint` with no trace of
/// the developer's own AWS setup, and no instance-metadata lookups.
pub fn cli_env(endpoint: &str, home: &std::path::Path) -> Vec<(&'static str, String)> {
    let (id, secret) = skiff::sandbox::SANDBOX_KEYS;
    vec![
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_ACCESS_KEY_ID", id.to_string()),
        ("AWS_SECRET_ACCESS_KEY", secret.to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        (
            "AWS_CONFIG_FILE",
            home.join("no-aws-config").display().to_string(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            home.join("no-aws-credentials").display().to_string(),
        ),
        ("SKIFF_HOME", home.display().to_string()),
    ]
}

/// A TUI app against `endpoint` with its directories under `home`, already
/// connecting, and the receiving end of its message channel.
pub fn tui_app(
    endpoint: &str,
    home: &std::path::Path,
    config: skiff::config::Config,
) -> (
    skiff::tui::app::App,
    tokio::sync::mpsc::UnboundedReceiver<skiff::tui::msg::Msg>,
) {
    let dirs = skiff::config::Dirs {
        config: home.join("c"),
        state: home.join("s"),
        cache: home.join("k"),
    };
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut app = skiff::tui::app::App::new(
        config,
        dirs,
        skiff::tui::theme::Theme::dark(),
        skiff::ops::connect::Connection::plain(skiff::sandbox::sandbox_options(endpoint)),
        false,
        Some(tx),
    );
    app.connect();
    (app, rx)
}

/// Feeds the app its messages until `done` holds; fails the test, naming
/// `what`, after `secs` seconds.
pub async fn pump_until(
    app: &mut skiff::tui::app::App,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<skiff::tui::msg::Msg>,
    secs: u64,
    what: &str,
    done: impl Fn(&skiff::tui::app::App) -> bool,
) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !done(app) {
        assert!(
            std::time::Instant::now() < deadline,
            "{what} (waited {secs} s)"
        );
        if let Ok(Some(m)) =
            tokio::time::timeout(std::time::Duration::from_millis(100), rx.recv()).await
        {
            app.on_msg(m);
        }
    }
}

/// What a run of the binary printed and returned.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `skiff ARGS` against `endpoint` with `home` as its home, nothing of
/// the developer's AWS setup, and no standard input.
pub fn run_skiff(endpoint: &str, home: &std::path::Path, args: &[&str]) -> Run {
    run_skiff_env::<&str>(endpoint, home, &[], args)
}

/// [`run_skiff`] with more environment variables (`SKIFF_LOG`, `SKIFF_SSH_DIR`…).
pub fn run_skiff_env<V: AsRef<std::ffi::OsStr>>(
    endpoint: &str,
    home: &std::path::Path,
    env: &[(&str, V)],
    args: &[&str],
) -> Run {
    let out = assert_cmd::Command::cargo_bin("skiff")
        .expect("binary")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(cli_env(endpoint, home))
        .envs(env.iter().map(|(k, v)| (*k, v.as_ref())))
        .args(args)
        .output()
        .expect("run skiff");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// moto's own record of the requests it received (its recorder API): an
/// independent account of what skiff sent.
pub struct Recorder {
    base: String,
}

/// One request as moto recorded it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub url: String,
    /// S3, EC2, EMR, … (from the signature's credential scope).
    pub service: String,
    /// The operation: the query protocol's Action, the JSON protocol's
    /// X-Amz-Target, or (S3) the method and path.
    pub operation: String,
}

impl Recorded {
    /// Whether the request changes something: every operation but Describe*,
    /// List*, Get*, Head* (and S3's GET and HEAD).
    pub fn mutates(&self) -> bool {
        // REST services (S3, EventBridge Scheduler): a GET or HEAD reads.
        if self.service == "s3" || matches!(self.method.as_str(), "GET" | "HEAD") {
            return !matches!(self.method.as_str(), "GET" | "HEAD");
        }
        let op = self.operation.rsplit('.').next().unwrap_or(&self.operation);
        !["Describe", "List", "Get", "Head"]
            .iter()
            .any(|p| op.starts_with(p))
    }
}

impl Recorder {
    pub fn start(endpoint: &str) -> Self {
        let r = Self {
            base: endpoint.trim_end_matches('/').to_string(),
        };
        r.post("/moto-api/recorder/reset-recording");
        r.post("/moto-api/recorder/start-recording");
        r
    }

    /// A plain HTTP/1.0 request to moto's own API; the body of the answer.
    fn http(&self, method: &str, path: &str) -> String {
        use std::io::{Read, Write};
        let addr = self
            .base
            .trim_start_matches("http://")
            .split('/')
            .next()
            .expect("host:port")
            .to_string();
        let mut conn = std::net::TcpStream::connect(&addr).expect("moto");
        write!(
            conn,
            "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: 0\r\n\r\n"
        )
        .expect("request");
        let mut answer = String::new();
        conn.read_to_string(&mut answer).expect("answer");
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        assert!(head.contains(" 200 "), "moto {method} {path}: {head}");
        body.to_string()
    }

    fn post(&self, path: &str) {
        self.http("POST", path);
    }

    /// Every request since `start`.
    pub fn requests(&self) -> Vec<Recorded> {
        use base64::Engine;
        self.http("GET", "/moto-api/recorder/download-recording")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                let v: serde_json::Value = serde_json::from_str(line).expect("recorded json");
                let header = |name: &str| {
                    v["headers"]
                        .as_object()
                        .and_then(|h| {
                            h.iter()
                                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                                .and_then(|(_, v)| v.as_str())
                        })
                        .unwrap_or("")
                        .to_string()
                };
                let auth = header("Authorization");
                let service = auth
                    .split("Credential=")
                    .nth(1)
                    .and_then(|c| c.split('/').nth(3))
                    .unwrap_or("")
                    .to_string();
                let body = match (v["body"].as_str(), v["body_encoded"].as_bool()) {
                    (Some(b), Some(true)) => String::from_utf8_lossy(
                        &base64::engine::general_purpose::STANDARD
                            .decode(b)
                            .unwrap_or_default(),
                    )
                    .into_owned(),
                    (Some(b), _) => b.to_string(),
                    _ => String::new(),
                };
                let method = v["method"].as_str().unwrap_or("").to_string();
                let url = v["url"].as_str().unwrap_or("").to_string();
                let target = header("X-Amz-Target");
                let operation = if !target.is_empty() {
                    target
                } else if let Some(action) = body
                    .split('&')
                    .chain(url.split(['?', '&']))
                    .find_map(|kv| kv.strip_prefix("Action="))
                {
                    action.to_string()
                } else {
                    format!("{method} {url}")
                };
                Recorded {
                    method,
                    url,
                    service,
                    operation,
                }
            })
            .filter(|r| !r.url.contains("/moto-api/"))
            .collect()
    }

    /// The requests that changed something.
    pub fn mutations(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(Recorded::mutates)
            .collect()
    }
}

/// The AWS CLI (from the project's virtualenv) against `endpoint`: an
/// independent client to check what skiff did. Its JSON answer; fails the
/// test when the command fails.
pub fn aws_json(endpoint: &str, region: &str, args: &[&str]) -> serde_json::Value {
    let (ok, stdout, stderr) = aws(endpoint, region, args);
    assert!(ok, "aws {}: {stderr}", args.join(" "));
    if stdout.trim().is_empty() {
        return serde_json::Value::Null;
    }
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("aws {}: {e}: {stdout}", args.join(" ")))
}

/// The AWS CLI's (success, stdout, stderr).
pub fn aws(endpoint: &str, region: &str, args: &[&str]) -> (bool, String, String) {
    let mut all = vec![
        "--endpoint-url",
        endpoint,
        "--region",
        region,
        "--output",
        "json",
    ];
    all.extend(args);
    aws_in(std::path::Path::new("/"), &all)
}

/// `aws ARGS` run in `dir` with the keys `x`/`y` and no AWS config: the AWS
/// CLI's own entry point, forked from one warm interpreter per test binary
/// (`tests/fixtures/aws_zygote.py`) rather than started afresh each time
/// (half a second of CPU before its first request). (success, stdout, stderr).
pub fn aws_in(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    use std::io::{BufRead, Read, Write};
    static ZYGOTE: std::sync::Mutex<Option<(std::process::Child, u16)>> =
        std::sync::Mutex::new(None);
    let port = {
        let mut zygote = ZYGOTE
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (_, port) = zygote.get_or_insert_with(|| {
            let python = faults::python();
            let mut child = std::process::Command::new(&python)
                .arg(faults::fixture("aws_zygote.py"))
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("the AWS CLI ({}) is needed: {e}", python.display()));
            let mut line = String::new();
            std::io::BufReader::new(child.stdout.take().expect("stdout"))
                .read_line(&mut line)
                .expect("the AWS CLI zygote's port");
            let port = line
                .strip_prefix("PORT ")
                .and_then(|p| p.trim().parse().ok())
                .unwrap_or_else(|| panic!("the AWS CLI zygote said `{line}`, not PORT N"));
            (child, port)
        });
        *port
    };
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).expect("the AWS CLI zygote");
    let request = serde_json::json!({ "args": args, "cwd": dir });
    writeln!(conn, "{request}").expect("send to the AWS CLI zygote");
    let mut answer = String::new();
    conn.read_to_string(&mut answer)
        .expect("the AWS CLI's answer");
    let answer: serde_json::Value = serde_json::from_str(&answer)
        .unwrap_or_else(|e| panic!("aws {}: no answer ({e}): {answer}", args.join(" ")));
    let text = |k: &str| answer[k].as_str().unwrap_or_default().to_string();
    (answer["rc"] == 0, text("stdout"), text("stderr"))
}

/// Waits until no view has work moving (no transfer runs, no listing is on
/// its way); false after `limit`.
pub async fn settle(
    app: &mut skiff::tui::app::App,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<skiff::tui::msg::Msg>,
    limit: std::time::Duration,
) -> bool {
    let deadline = std::time::Instant::now() + limit;
    while app.views().iter().any(|v| v.busy()) {
        if std::time::Instant::now() > deadline {
            return false;
        }
        if let Ok(Some(m)) =
            tokio::time::timeout(std::time::Duration::from_millis(100), rx.recv()).await
        {
            app.on_msg(m);
        }
    }
    true
}
