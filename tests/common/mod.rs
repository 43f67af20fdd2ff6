//! Shared test harness: a real moto server on a free loopback port, seeded
//! with the sandbox's account. A missing moto_server fails the test (it is
//! installed by scripts/test), it never skips it.

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

pub mod sshd;

use skiff::cloud::Session;
use skiff::sandbox::{MotoServer, Seeded, sandbox_options, seed_sample_account};

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

pub fn moto() -> MotoServer {
    MotoServer::start().unwrap_or_else(|e| panic!("the tests need moto_server: {e}"))
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
    tokio::sync::mpsc::UnboundedReceiver<skiff::tui::app::Msg>,
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
        Some(tx),
    );
    app.connect();
    (app, rx)
}

/// Feeds the app its messages until `done` holds; fails the test, naming
/// `what`, after `secs` seconds.
pub async fn pump_until(
    app: &mut skiff::tui::app::App,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<skiff::tui::app::Msg>,
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
