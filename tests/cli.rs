//! The `skiff` binary: `ls` against moto, a dead endpoint, and config files.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a failed expectation is the failure

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn skiff(endpoint: &str, home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("skiff").expect("binary");
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(common::cli_env(endpoint, home));
    cmd
}

fn regions(cmd: &mut Command) -> &mut Command {
    cmd.args(["--region", "us-east-1", "--region", "eu-west-1"])
}

#[tokio::test(flavor = "multi_thread")]
async fn ls_all_json_lists_exactly_what_the_seed_created() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let out = regions(&mut skiff(&sb.moto.endpoint(), home.path()))
        .args(["ls", "all", "--json"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let keys: Vec<&String> = doc.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["buckets", "clusters", "instances"]);

    let instances = doc["instances"].as_array().expect("instances");
    let named: BTreeMap<String, (String, String)> = instances
        .iter()
        .filter(|i| i["name"].is_string())
        .map(|i| {
            let s = |k: &str| i[k].as_str().expect(k).to_string();
            (s("name"), (s("id"), s("region")))
        })
        .collect();
    assert_eq!(named, sb.seeded.instances);
    assert_eq!(
        instances.len(),
        sb.seeded.instances.len() + sb.seeded.emr_node_count
    );
    let master = instances
        .iter()
        .find(|i| i["name"] == "rnd-master")
        .expect("rnd-master");
    assert_eq!(master["cluster"], "rnd");
    assert_eq!(master["type"], "m5.xlarge");
    assert_eq!(master["tags"]["flintrock-role"], "master");
    let launch = master["launch_time"].as_str().expect("launch_time");
    assert!(
        chrono::DateTime::parse_from_rfc3339(launch).is_ok(),
        "{launch}"
    );

    let clusters = doc["clusters"].as_array().expect("clusters");
    let mut summary: Vec<(String, String, i64)> = clusters
        .iter()
        .map(|c| {
            (
                c["name"].as_str().expect("name").to_string(),
                c["kind"].as_str().expect("kind").to_string(),
                c["nodes"].as_i64().expect("nodes"),
            )
        })
        .collect();
    summary.sort();
    let want = [
        ("analytics", "emr", 5),
        ("legacy", "spark", 3),
        ("nightly", "spark", 2),
        ("rnd", "spark", 4),
    ];
    let want: Vec<(String, String, i64)> = want
        .iter()
        .map(|(n, k, c)| (n.to_string(), k.to_string(), *c))
        .collect();
    assert_eq!(summary, want);
    let emr = clusters.iter().find(|c| c["kind"] == "emr").expect("emr");
    assert_eq!(emr["id"], Value::String(sb.seeded.emr_cluster_id.clone()));
    assert_eq!(emr["state"], "WAITING");

    let buckets: BTreeMap<String, String> = doc["buckets"]
        .as_array()
        .expect("buckets")
        .iter()
        .map(|b| {
            (
                b["name"].as_str().expect("name").into(),
                b["region"].as_str().expect("region").into(),
            )
        })
        .collect();
    assert_eq!(buckets, sb.seeded.buckets);
}

#[tokio::test(flavor = "multi_thread")]
async fn ls_of_one_kind_prints_only_that_kind() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let out = regions(&mut skiff(&sb.moto.endpoint(), home.path()))
        .args(["ls", "buckets", "--json"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        doc.as_object().expect("object").keys().collect::<Vec<_>>(),
        ["buckets"]
    );

    let out = regions(&mut skiff(&sb.moto.endpoint(), home.path()))
        .args(["ls", "clusters"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf8");
    assert!(text.starts_with("Clusters (4)\nKIND"), "{text}");
    assert!(!text.contains("Instances"), "{text}");

    // A terminal 80 columns wide: one line per cluster, none wider.
    for what in ["clusters", "instances"] {
        let out = regions(&mut skiff(&sb.moto.endpoint(), home.path()))
            .env("COLUMNS", "80")
            .args(["ls", what])
            .output()
            .expect("run");
        let text = String::from_utf8(out.stdout).expect("utf8");
        assert!(
            text.lines().all(|l| l.chars().count() <= 80),
            "{what}:\n{text}"
        );
        let n: usize = text
            .lines()
            .next()
            .and_then(|l| l.split(['(', ')']).nth(1))
            .and_then(|n| n.parse().ok())
            .expect("count");
        assert_eq!(text.lines().count(), n + 2, "{what}:\n{text}");
    }
}

#[test]
fn ls_against_a_dead_endpoint_fails_with_one_clear_line() {
    let home = tempfile::tempdir().expect("home");
    let endpoint = format!("http://127.0.0.1:{}", common::dead_port());
    let started = std::time::Instant::now();
    let out = skiff(&endpoint, home.path())
        .args(["--region", "us-east-1", "ls"])
        .output()
        .expect("run");
    let elapsed = started.elapsed();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).expect("utf8");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("skiff: ") && err.contains("nothing listens at the endpoint"),
        "{err}"
    );
    assert!(err.contains("connection refused"), "{err}");
    eprintln!("dead endpoint reported after {elapsed:?}");
    // A name that does not resolve says there is no network.
    let out = skiff("http://nonexistent.invalid:4566", home.path())
        .args(["--region", "us-east-1", "ls"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).expect("utf8");
    assert!(
        err.contains("no network: the endpoint's name does not resolve"),
        "{err}"
    );
}

fn config_error(text: &str) -> String {
    let home = tempfile::tempdir().expect("home");
    let path = home.path().join("bad.toml");
    std::fs::write(&path, text).expect("write");
    let out = skiff("http://127.0.0.1:9", home.path())
        .arg("--config")
        .arg(&path)
        .args(["ls"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "a bad config must fail");
    let err = String::from_utf8(out.stderr).expect("utf8");
    assert!(
        err.contains(&path.display().to_string()),
        "names the file: {err}"
    );
    assert_eq!(
        err.matches(&path.display().to_string()).count(),
        1,
        "said once: {err}"
    );
    err
}

#[test]
fn bad_config_files_name_file_line_and_key() {
    let err = config_error("[general]\nrefresh_interval_secs = 30\nrefresh_intervl = 5\n");
    assert!(err.contains("bad.toml:3: key `refresh_intervl`"), "{err}");
    assert!(err.contains("unknown field"), "{err}");

    let err = config_error("[aws]\nmax_attempts = \"three\"\n");
    assert!(err.contains("bad.toml:2: key `max_attempts`"), "{err}");

    let err = config_error("[keys]\nquit = [\"ctrl-nope\"]\n");
    assert!(
        err.contains("bad.toml:2: key `quit`") && err.contains("is not a key"),
        "{err}"
    );

    let err = config_error("[general\n");
    assert!(err.contains("bad.toml:1"), "{err}");
}

#[test]
fn a_missing_config_file_is_named() {
    let home = tempfile::tempdir().expect("home");
    let out = skiff("http://127.0.0.1:9", home.path())
        .args(["--config", "/nonexistent/skiff.toml", "ls"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).expect("utf8");
    assert!(
        err.contains("cannot read config file /nonexistent/skiff.toml"),
        "{err}"
    );
    assert_eq!(err.matches("No such file").count(), 1, "said once: {err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_valid_config_sets_regions_and_spark_tags() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let path = home.path().join("skiff.toml");
    std::fs::write(
        &path,
        "[aws]\nregions = [\"eu-west-1\"]\n[spark]\ncluster_tag = \"Project\"\n",
    )
    .expect("write");
    let out = skiff(&sb.moto.endpoint(), home.path())
        .env("SKIFF_CONFIG", &path)
        .args(["ls", "clusters", "--json"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let names: Vec<&str> = doc["clusters"]
        .as_array()
        .expect("clusters")
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    // Only eu-west-1, grouped by the Project tag: both `nightly` nodes are Project=etl.
    assert!(names.contains(&"etl"), "{names:?}");
    assert!(!names.contains(&"rnd"), "{names:?}");
}

#[test]
fn cp_help_names_sources_and_destination_once() {
    let home = tempfile::tempdir().expect("home");
    let out = skiff("http://127.0.0.1:9", home.path())
        .args(["cp", "--help"])
        .output()
        .expect("run");
    let help = String::from_utf8(out.stdout).expect("utf8");
    assert!(
        help.contains("Usage: skiff cp [OPTIONS] <SRC>... <DST>"),
        "{help}"
    );
    assert!(!help.contains("DST> <SRC"), "{help}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reader_that_goes_away_ends_skiff_quietly() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let bin = assert_cmd::cargo::cargo_bin("skiff");
    // `true` exits without reading: every line skiff writes meets a closed pipe.
    let script = format!(
        "set -o pipefail; '{}' --region us-east-1 cost | true; echo \"exit ${{PIPESTATUS[0]}}\"",
        bin.display()
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &script])
        .envs(common::cli_env(&sb.moto.endpoint(), home.path()))
        .output()
        .expect("bash");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{stderr}"
    );
    assert!(stdout.contains("exit 0"), "{stdout}{stderr}");
}

#[test]
fn completions_and_the_manual_page_come_from_the_command_definitions() {
    let home = tempfile::tempdir().expect("home");
    let run = |args: &[&str]| {
        let out = skiff("http://127.0.0.1:9", home.path())
            .args(args)
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf8")
    };
    let bash = run(&["completions", "bash"]);
    assert!(
        bash.contains("_skiff()") && bash.contains("terminate"),
        "bash"
    );
    let zsh = run(&["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef skiff"), "zsh");
    let fish = run(&["completions", "fish"]);
    assert!(fish.contains("complete -c skiff"), "fish");
    let man = run(&["man"]);
    assert!(
        man.contains(".TH skiff") && man.contains("terminate"),
        "man"
    );
    // The generated bash script is valid bash.
    let check = std::process::Command::new("bash")
        .args(["-n", "-c", &bash])
        .output()
        .expect("bash");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

/// Files that hold history, damaged three ways (cut in half, garbage,
/// empty): no panic, the bytes kept aside, one line naming the file.
#[tokio::test(flavor = "multi_thread")]
async fn damaged_history_files_are_kept_aside_and_named_once() {
    let sb = common::seeded().await;
    let good = {
        let home = tempfile::tempdir().expect("home");
        let out = regions(&mut skiff(&sb.moto.endpoint(), home.path()))
            .args(["ls"])
            .output()
            .expect("run");
        assert!(out.status.success());
        std::fs::read(home.path().join("state/ledger.json")).expect("a ledger")
    };
    let damaged: [(&str, Vec<u8>); 3] = [
        ("cut in half", good[..good.len() / 2].to_vec()),
        ("garbage", b"\x00\xffnot json at all".to_vec()),
        ("empty", Vec::new()),
    ];
    for (how, bytes) in damaged {
        for (file, args, what) in [
            ("ledger.json", vec!["ls"], "the cost ledger"),
            ("keyring-profiles.json", vec!["creds", "ls"], "keyring"),
        ] {
            let home = tempfile::tempdir().expect("home");
            let state = home.path().join("state");
            std::fs::create_dir_all(&state).unwrap();
            std::fs::write(state.join(file), &bytes).unwrap();
            let out = regions(&mut skiff(&sb.moto.endpoint(), home.path()))
                .args(&args)
                .output()
                .expect("run");
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(
                out.status.code().is_some_and(|c| c < 100),
                "{how} {file}: no panic: {err}"
            );
            let lines: Vec<&str> = err.lines().filter(|l| l.contains(file)).collect();
            assert_eq!(lines.len(), 1, "{how} {file}: once: {err}");
            assert!(
                lines[0].contains(what) && lines[0].contains(&format!("{file}.damaged")),
                "{how} {file}: {err}"
            );
            assert_eq!(
                std::fs::read(state.join(format!("{file}.damaged"))).expect("kept"),
                bytes,
                "{how} {file}: the bytes kept"
            );
        }
    }
}

/// An SSO login that has expired: one line naming the command that renews
/// it, not one error per region and service.
#[test]
fn an_expired_sso_login_is_one_line_naming_the_fix() {
    let home = tempfile::tempdir().expect("home");
    let aws = home.path().join(".aws");
    std::fs::create_dir_all(aws.join("sso/cache")).unwrap();
    std::fs::write(
        aws.join("config"),
        "[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Dev\nregion = us-east-1\n\
         [sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n",
    )
    .unwrap();
    // The SDK's token cache, named by the SHA-1 of the session's name
    // (hashlib.sha1(b"corp").hexdigest()).
    let name = "ee0bfd2552fbd840c02cc48b6e823320543c450f";
    std::fs::write(
        aws.join(format!("sso/cache/{name}.json")),
        r#"{"startUrl":"https://example.awsapps.com/start","region":"us-east-1","accessToken":"x","expiresAt":"2020-01-01T00:00:00Z"}"#,
    )
    .unwrap();
    let out = Command::cargo_bin("skiff")
        .expect("binary")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("AWS_CONFIG_FILE", aws.join("config"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env(
            "AWS_ENDPOINT_URL",
            format!("http://127.0.0.1:{}", common::dead_port()),
        )
        .env("SKIFF_HOME", home.path().join("skiff"))
        .args([
            "--profile",
            "dev",
            "--region",
            "us-east-1",
            "--region",
            "eu-west-1",
            "ls",
        ])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("SSO login of profile dev has expired")
            && err.contains("aws sso login --profile dev"),
        "{err}"
    );
}

/// Session credentials the services refuse as expired: one line naming
/// the fix, not one error per region and service.
#[tokio::test(flavor = "multi_thread")]
async fn expired_session_credentials_are_one_line_naming_the_fix() {
    let sb = common::seeded().await;
    let proxy = common::faults::FaultProxy::start(
        &sb.moto.endpoint(),
        serde_json::json!({"refuse_key": {"ASIAEXPIREDSESSION01": "ExpiredToken"}}),
    );
    let home = tempfile::tempdir().expect("home");
    let out = Command::cargo_bin("skiff")
        .expect("binary")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("AWS_CONFIG_FILE", home.path().join("none"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "ASIAEXPIREDSESSION01")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_SESSION_TOKEN", "token")
        .env("AWS_ENDPOINT_URL", proxy.endpoint())
        .env("SKIFF_HOME", home.path().join("skiff"))
        .args(["--region", "us-east-1", "--region", "eu-west-1", "ls"])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("the session credentials of profile default have expired")
            && err.contains("then try again"),
        "{err}"
    );
    assert!(proxy.stats()["faults"]["refuse"].as_u64().unwrap_or(0) >= 2);
}
