//! Lifecycle verbs against a real moto server: through the `skiff` binary,
//! checked with the SDK and, once, with an independent client (the AWS CLI).

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a failed expectation is the failure

mod common;

use common::Sdk;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;
use skiff::cloud::Session;
use skiff::cloud::inventory::{InventoryOptions, Wanted, fetch_all};
use skiff::lifecycle::{PlanOptions, Verb, plan, resolve};
use skiff::model::{Instance, InstanceState};
use skiff::ops::execute::{ExecOptions, execute};
use skiff::spark::ClusterTags;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn skiff(endpoint: &str, home: &Path, args: &[&str]) -> Run {
    let out = Command::cargo_bin("skiff")
        .expect("binary")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(common::cli_env(endpoint, home))
        .args(["--region", "us-east-1", "--region", "eu-west-1"])
        .args(args)
        .env("SKIFF_CONFIG", write_config(home))
        .output()
        .expect("run skiff");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Polls fast: moto changes states at once.
fn write_config(home: &Path) -> std::path::PathBuf {
    let path = home.join("lifecycle.toml");
    std::fs::write(
        &path,
        "[lifecycle]\npoll_interval_secs = 1\nwait_timeout_secs = 20\n",
    )
    .expect("config");
    path
}

async fn states(session: &Session) -> BTreeMap<String, InstanceState> {
    let mut out = BTreeMap::new();
    for region in ["us-east-1", "eu-west-1"] {
        let (inv, errors) = fetch_all(
            session,
            Wanted {
                instances: true,
                clusters: false,
                buckets: false,
            },
            &InventoryOptions {
                emr_terminated_days: 0,
                cluster_tags: ClusterTags::default(),
            },
            chrono::Utc::now(),
        )
        .await;
        assert!(errors.is_empty(), "{errors:?}");
        for i in inv.instances.iter().filter(|i| i.region == region) {
            out.insert(i.display_name().to_string(), i.state);
        }
    }
    out
}

async fn group_counts(session: &Session, cluster: &str) -> BTreeMap<String, i32> {
    let out = session
        .emr_client("us-east-1")
        .list_instance_groups()
        .cluster_id(cluster)
        .send()
        .await
        .expect("groups");
    out.instance_groups()
        .iter()
        .map(|g| {
            (
                g.instance_group_type().expect("type").as_str().to_string(),
                g.requested_instance_count().expect("count"),
            )
        })
        .collect()
}

fn steps(run: &Run) -> Vec<(String, String, bool)> {
    let doc: Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    doc["results"][0]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            (
                s["name"].as_str().expect("name").to_string(),
                s["action"].as_str().expect("action").to_string(),
                s["ok"].as_bool().expect("ok"),
            )
        })
        .collect()
}

const RND: [&str; 4] = ["rnd-master", "rnd-slave-1", "rnd-slave-2", "rnd-slave-3"];

#[tokio::test(flavor = "multi_thread")]
async fn stop_and_start_rnd_with_wait_orders_master_and_workers() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let e = sb.moto.endpoint();

    let run = skiff(&e, home.path(), &["stop", "rnd", "--wait", "--json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let order: Vec<String> = steps(&run).into_iter().map(|(n, _, _)| n).collect();
    assert_eq!(
        order.last().map(String::as_str),
        Some("rnd-master"),
        "master stops last: {order:?}"
    );
    let now = states(&sb.session).await;
    for n in RND {
        assert_eq!(now[n], InstanceState::Stopped, "{n}");
    }
    assert_eq!(
        now["ds-workbench"],
        InstanceState::Running,
        "nothing else was touched"
    );

    let run = skiff(&e, home.path(), &["start", "rnd", "--wait", "--json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let order: Vec<String> = steps(&run).into_iter().map(|(n, _, _)| n).collect();
    assert_eq!(
        order.first().map(String::as_str),
        Some("rnd-master"),
        "master starts first: {order:?}"
    );
    assert_eq!(order.len(), 4);
    let now = states(&sb.session).await;
    for n in RND {
        assert_eq!(now[n], InstanceState::Running, "{n}");
    }

    // Without --json: the last line says what happened and what it saves.
    let run = skiff(&e, home.path(), &["stop", "rnd", "--wait"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let last = run.stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("Stopped Spark cluster rnd (us-east-1): 4 of 4 nodes stopped in ")
            && last.contains("; saves $"),
        "{}",
        run.stdout
    );
    let run = skiff(&e, home.path(), &["start", "rnd", "--wait"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let last = run.stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("Started Spark cluster rnd (us-east-1): 4 of 4 nodes running in ")
            && last.contains("; adds $0.7680/hour"),
        "{}",
        run.stdout
    );

    // Again: nothing to do, and it says so.
    let run = skiff(&e, home.path(), &["start", "rnd"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout.matches("is already running").count(),
        4,
        "{}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_aws_cli_sees_what_skiff_did() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let e = sb.moto.endpoint();
    let run = skiff(
        &e,
        home.path(),
        &["stop", "legacy-master", "ds-workbench", "--wait"],
    );
    // legacy-master is already stopped: a no-op; ds-workbench stops.
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);

    let (id, _) = &sb.seeded.instances["ds-workbench"];
    let (ok, out, err) = common::aws_in(
        std::path::Path::new("/"),
        &[
            "--endpoint-url",
            &e,
            "--region",
            "us-east-1",
            "--output",
            "text",
            "ec2",
            "describe-instances",
            "--instance-ids",
            id,
            "--query",
            "Reservations[].Instances[].State.Name",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "stopped");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_verb_on_an_instance_and_a_cluster() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let e = sb.moto.endpoint();
    let ok = |args: &[&str]| {
        let run = skiff(&e, home.path(), args);
        assert_eq!(run.code, 0, "{args:?}\n{}\n{}", run.stdout, run.stderr);
        run
    };

    // Pause = hibernate (moto treats it as a stop); resume = start.
    let run = ok(&["pause", "ds-workbench", "--wait"]);
    assert!(
        run.stdout.contains("hibernate: hibernating"),
        "{}",
        run.stdout
    );
    assert_eq!(
        states(&sb.session).await["ds-workbench"],
        InstanceState::Stopped
    );
    ok(&["resume", "ds-workbench", "--wait"]);
    assert_eq!(
        states(&sb.session).await["ds-workbench"],
        InstanceState::Running
    );
    let run = ok(&["reboot", "ds-workbench"]);
    assert!(run.stdout.contains("reboot: rebooting"), "{}", run.stdout);

    // The same for a whole cluster (rnd's nodes have hibernation configured).
    ok(&["pause", "rnd", "--wait"]);
    let now = states(&sb.session).await;
    assert!(
        RND.iter().all(|n| now[*n] == InstanceState::Stopped),
        "{now:?}"
    );
    let run = ok(&["resume", "rnd", "--wait"]);
    // What it adds is said before anything runs: rnd's 4 m5.xlarge.
    let (head, _) = run.stdout.split_once("  ✓").unwrap_or((&run.stdout, ""));
    assert!(
        head.contains("Adds $0.7680/hour once running"),
        "{}",
        run.stdout
    );
    let now = states(&sb.session).await;
    assert!(
        RND.iter().all(|n| now[*n] == InstanceState::Running),
        "{now:?}"
    );
    ok(&["reboot", "rnd"]);

    // A cluster whose nodes cannot hibernate: refused, with the alternative.
    let run = skiff(&e, home.path(), &["pause", "nightly"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("(use `stop` instead)"),
        "{}",
        run.stderr
    );

    // Terminate needs the name typed, and respects protection.
    let (gpu, _) = &sb.seeded.instances["gpu-scratch"];
    ok(&["protect", "gpu-scratch", "on"]);
    let run = skiff(
        &e,
        home.path(),
        &["terminate", "gpu-scratch", "--confirm", "gpu-scratch"],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("termination protection on"),
        "{}",
        run.stdout
    );
    ok(&["protect", gpu, "off"]);
    let run = skiff(
        &e,
        home.path(),
        &["terminate", "gpu-scratch", "--confirm", "gpu"],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("nothing was terminated"),
        "{}",
        run.stderr
    );
    assert_eq!(
        states(&sb.session).await["gpu-scratch"],
        InstanceState::Stopped,
        "wrong --confirm changes nothing"
    );
    ok(&[
        "terminate",
        "gpu-scratch",
        "--confirm",
        "gpu-scratch",
        "--wait",
    ]);
    assert_eq!(
        states(&sb.session).await["gpu-scratch"],
        InstanceState::Terminated
    );

    ok(&["terminate", "legacy", "--confirm", "legacy", "--wait"]);
    let now = states(&sb.session).await;
    for n in ["legacy-master", "legacy-slave-1", "legacy-slave-2"] {
        assert_eq!(now[n], InstanceState::Terminated, "{n}");
    }
}

/// `skiff cost --json`: the burn, today, and each EMR group's $/hour by
/// role (its items are named "CLUSTER ROLE TYPE").
fn emr_costs(endpoint: &str, home: &Path, cluster: &str) -> (f64, f64, BTreeMap<String, f64>) {
    let run = skiff(endpoint, home, &["cost", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).expect("json");
    let groups = doc["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["kind"] == "emr-group" && i["emr_cluster"] == cluster)
        .map(|i| {
            let role = i["name"]
                .as_str()
                .expect("name")
                .split(' ')
                .nth(1)
                .expect("role");
            (
                role.to_string(),
                i["hourly_usd"].as_f64().unwrap_or(f64::NAN),
            )
        })
        .collect();
    (
        doc["burn_rate_usd_per_hour"].as_f64().expect("burn"),
        doc["today_usd"].as_f64().expect("today"),
        groups,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn emr_pause_and_resume_round_trip_the_group_counts() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let e = sb.moto.endpoint();
    let id = sb.seeded.emr_cluster_id.clone();
    let before = group_counts(&sb.session, &id).await;
    assert_eq!(
        before,
        BTreeMap::from([("CORE".into(), 2), ("MASTER".into(), 1), ("TASK".into(), 2)])
    );

    let run = skiff(&e, home.path(), &["stop", "analytics"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("EMR clusters cannot be stopped"),
        "{}",
        run.stderr
    );

    let (burn, today, groups) = emr_costs(&e, home.path(), &id);
    // m5.xlarge 0.192 + EMR fee 0.048 a node (the table, by hand here).
    assert!((groups["MASTER"] - 0.24).abs() < 1e-9, "{groups:?}");
    assert!((groups["CORE"] - 0.48).abs() < 1e-9, "{groups:?}");
    let task = groups["TASK"];

    let run = skiff(&e, home.path(), &["pause", "analytics"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        group_counts(&sb.session, &id).await,
        BTreeMap::from([("CORE".into(), 1), ("MASTER".into(), 1), ("TASK".into(), 0)])
    );
    // The emulator keeps the removed nodes' instances running; the groups'
    // running counts are what EMR bills, and $/hour follows them at once.
    let (paused_burn, paused_today, paused) = emr_costs(&e, home.path(), &id);
    assert!((paused["CORE"] - 0.24).abs() < 1e-9, "{paused:?}");
    assert_eq!(paused["TASK"], 0.0, "{paused:?}");
    assert!(
        (burn - paused_burn - (0.24 + task)).abs() < 1e-6,
        "{burn} → {paused_burn}, TASK was {task}"
    );
    assert!(paused_today >= today, "today went down on a pause");
    assert!(
        home.path()
            .join("state/emr-paused")
            .join(format!("{id}.json"))
            .is_file()
    );

    // A second pause keeps the first counts; resume restores them.
    assert_eq!(skiff(&e, home.path(), &["pause", &id]).code, 0);
    let run = skiff(&e, home.path(), &["resume", "analytics"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(group_counts(&sb.session, &id).await, before);
    let (resumed_burn, resumed_today, _) = emr_costs(&e, home.path(), &id);
    assert!(
        (resumed_burn - burn).abs() < 1e-6,
        "{burn} vs {resumed_burn}"
    );
    assert!(resumed_today >= paused_today);
    assert!(
        !home
            .path()
            .join("state/emr-paused")
            .join(format!("{id}.json"))
            .exists()
    );

    // Terminate: protected until switched off.
    let run = skiff(
        &e,
        home.path(),
        &["terminate", "analytics", "--confirm", "analytics"],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("termination protection on"),
        "{}",
        run.stderr
    );
    assert_eq!(
        skiff(&e, home.path(), &["protect", "analytics", "off"]).code,
        0
    );
    let run = skiff(
        &e,
        home.path(),
        &["terminate", "analytics", "--confirm", "analytics"],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let state = sb
        .session
        .emr_client("us-east-1")
        .describe_cluster()
        .cluster_id(&id)
        .send()
        .await
        .expect("describe");
    let state = state
        .cluster()
        .and_then(|c| c.status())
        .and_then(|s| s.state())
        .expect("state")
        .as_str()
        .to_string();
    assert!(state.starts_with("TERMINAT"), "{state}");
    // Its groups stop billing, and what they cost today stays.
    let (_, gone_today, gone) = emr_costs(&e, home.path(), &id);
    assert!(gone.values().all(|h| *h == 0.0), "{gone:?}");
    assert!(gone_today >= resumed_today);
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_and_dry_run_change_nothing() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let e = sb.moto.endpoint();
    let id = sb.seeded.emr_cluster_id.clone();
    let before = states(&sb.session).await;
    let counts = group_counts(&sb.session, &id).await;
    let verbs: [&[&str]; 12] = [
        &["stop", "rnd", "ds-workbench", "eu-etl"],
        &["start", "legacy", "gpu-scratch"],
        &["pause", "rnd", "analytics"],
        &["resume", "legacy"],
        &["reboot", "rnd"],
        &["terminate", "eu-etl", "--confirm", "eu-etl"],
        &["terminate", "nightly", "--confirm", "nightly"],
        &["protect", "analytics", "off"],
        &["protect", "rnd", "on"],
        &["stop", "rnd", "ds-workbench", "--dry-run"],
        &["terminate", "eu-etl", "--confirm", "eu-etl", "--dry-run"],
        &["pause", "analytics", "--dry-run"],
    ];
    for (n, args) in verbs.iter().enumerate() {
        let dry = args.contains(&"--dry-run");
        let mut all = vec![];
        if !dry {
            all.push("--read-only");
        }
        all.extend_from_slice(args);
        let run = skiff(&e, home.path(), &all);
        if dry {
            assert_eq!(run.code, 0, "{args:?}: {}\n{}", run.stdout, run.stderr);
        } else {
            assert_eq!(
                run.code, 1,
                "{args:?} must fail in read-only mode: {}",
                run.stdout
            );
            assert!(
                run.stdout.contains("read-only mode") || run.stderr.contains("read-only mode"),
                "{n}: {}{}",
                run.stdout,
                run.stderr
            );
        }
    }
    assert_eq!(
        states(&sb.session).await,
        before,
        "no instance changed state"
    );
    assert_eq!(
        group_counts(&sb.session, &id).await,
        counts,
        "no EMR group changed"
    );
    assert!(
        !home.path().join("state/emr-paused").exists(),
        "no counts were saved"
    );
    let protected = skiff::sandbox::seeder(&sb.session).expect("a local emulator");
    let (rnd_master, _) = &sb.seeded.instances["rnd-master"];
    assert!(
        !protected
            .instance_protected("us-east-1", rnd_master)
            .await
            .expect("read")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ambiguous_and_unknown_targets_are_errors_that_help() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let e = sb.moto.endpoint();
    // An instance named like a cluster makes the name ambiguous.
    sb.session
        .ec2_client("us-east-1")
        .run_instances()
        .image_id("ami-1e749f67")
        .min_count(1)
        .max_count(1)
        .tag_specifications(
            aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::Instance)
                .tags(
                    aws_sdk_ec2::types::Tag::builder()
                        .key("Name")
                        .value("rnd")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("run");
    let before = states(&sb.session).await;
    let run = skiff(&e, home.path(), &["stop", "rnd"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("`rnd` matches 2 things"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Spark cluster rnd (us-east-1)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("instance rnd (i-"), "{}", run.stderr);

    let run = skiff(&e, home.path(), &["start", "ds-workbnch"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("nothing is called `ds-workbnch`; did you mean `ds-workbench`?"),
        "{}",
        run.stderr
    );
    assert_eq!(states(&sb.session).await, before, "errors change nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cluster_stop_with_one_failing_node_stops_the_others_and_reports_it() {
    let sb = common::seeded().await;
    let opts = InventoryOptions {
        emr_terminated_days: 0,
        cluster_tags: ClusterTags::default(),
    };
    let (mut inv, _) = fetch_all(&sb.session, Wanted::ALL, &opts, chrono::Utc::now()).await;
    // A worker that AWS does not know (gone between listing and stopping).
    let mut ghost: Instance = inv
        .instances
        .iter()
        .find(|i| i.name.as_deref() == Some("rnd-slave-1"))
        .expect("node")
        .clone();
    ghost.id = "i-0123456789abcdef0".into();
    ghost.name = Some("rnd-ghost".into());
    inv.instances.push(ghost);
    inv.spark_clusters
        .iter_mut()
        .find(|c| c.name == "rnd")
        .expect("rnd")
        .workers
        .push("i-0123456789abcdef0".into());

    let target = resolve(&inv, "rnd").expect("target");
    let plan = plan(
        &inv,
        &target,
        Verb::Stop,
        &PlanOptions {
            emr_pause_core_count: 1,
        },
        None,
    )
    .expect("plan");
    let actions = skiff::sandbox::seeder(&sb.session).expect("a local emulator");
    let state_dir = tempfile::tempdir().expect("state");
    let opts = ExecOptions {
        wait: true,
        timeout: Duration::from_secs(20),
        poll: Duration::from_millis(200),
    };
    let report = execute(&actions, &plan, &opts, state_dir.path(), &|_| {}).await;

    assert!(!report.ok());
    let failed: Vec<_> = report.steps.iter().filter(|s| !s.ok).collect();
    assert_eq!(failed.len(), 1, "{:?}", report.steps);
    assert_eq!(failed[0].name, "rnd-ghost");
    assert!(
        failed[0].detail.contains("InvalidInstanceID"),
        "{}",
        failed[0].detail
    );
    let now = states(&sb.session).await;
    for n in RND {
        assert_eq!(
            now[n],
            InstanceState::Stopped,
            "{n} stopped although one node failed"
        );
    }
}

/// Drives the real TUI app (keys in, messages from its spawned tasks out)
/// until nothing is in flight.
async fn pump(
    app: &mut skiff::tui::app::App,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<skiff::tui::msg::Msg>,
    until_done: bool,
) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut done = false;
    while std::time::Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
            Ok(Some(msg)) => {
                done |= matches!(msg, skiff::tui::msg::Msg::LifecycleDone(_));
                app.on_msg(msg);
            }
            Ok(None) => break,
            Err(_) if !app.busy() && (!until_done || done) => return,
            Err(_) => {}
        }
    }
    panic!("the app did not settle in time");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tui_stops_and_starts_a_cluster_after_confirmation() {
    use crossterm::event::{KeyCode, KeyEvent};
    use skiff::tui::app::App;
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let mut config = skiff::config::Config::defaults();
    config.lifecycle.poll_interval_secs = 1;
    let (mut app, mut rx) = common::tui_app(&sb.moto.endpoint(), home.path(), config);
    pump(&mut app, &mut rx, false).await;
    assert_eq!(app.world.inventory.spark_clusters.len(), 3);

    let keys = |app: &mut App, text: &str| {
        for c in text.chars() {
            app.on_key(KeyEvent::from(KeyCode::Char(c)));
        }
    };
    keys(&mut app, "2/rnd");
    app.on_key(KeyEvent::from(KeyCode::Enter));
    assert_eq!(app.view(), skiff::tui::views::clusters::ID);
    keys(&mut app, "x");
    assert_eq!(app.mode(), skiff::tui::popups::confirm::CONFIRM);
    keys(&mut app, "y");
    pump(&mut app, &mut rx, true).await;
    let now = states(&sb.session).await;
    assert!(
        RND.iter().all(|n| now[*n] == InstanceState::Stopped),
        "{now:?}"
    );
    assert_eq!(
        app.rows()[0].cells[3].text,
        "stopped",
        "the row followed the cluster to its new state"
    );

    // Start asks too, saying what the cluster will add per hour (4 ×
    // m5.xlarge at $0.192).
    keys(&mut app, "u");
    assert_eq!(
        app.mode(),
        skiff::tui::popups::confirm::CONFIRM,
        "start asks first"
    );
    let lines = app
        .popup::<skiff::tui::popups::confirm::Confirm>()
        .expect("pending")
        .text()
        .join("\n");
    assert!(lines.contains("Adds $0.7680/hour once running"), "{lines}");
    keys(&mut app, "y");
    pump(&mut app, &mut rx, true).await;
    let now = states(&sb.session).await;
    assert!(
        RND.iter().all(|n| now[*n] == InstanceState::Running),
        "{now:?}"
    );
    assert!(
        app.world.transitions.is_empty(),
        "{:?}",
        app.world.transitions
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn relaunch_recreates_a_terminated_emr_cluster_like_it_was() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let e = sb.moto.endpoint();
    let old = sb.seeded.emr_cluster_id.clone();

    let run = skiff(&e, home.path(), &["relaunch", "analytics"]);
    assert_eq!(run.code, 1, "a running cluster is not relaunched");
    assert!(run.stderr.contains("this one still runs"), "{}", run.stderr);

    assert_eq!(
        skiff(&e, home.path(), &["protect", "analytics", "off"]).code,
        0
    );
    assert_eq!(
        skiff(
            &e,
            home.path(),
            &["terminate", "analytics", "--confirm", "analytics"]
        )
        .code,
        0
    );
    let run = skiff(&e, home.path(), &["--read-only", "relaunch", "analytics"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("read-only mode"), "{}", run.stderr);

    let run = skiff(&e, home.path(), &["relaunch", "analytics", "--json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).expect("json");
    let new = doc["new_cluster_id"].as_str().expect("new id").to_string();
    assert_ne!(new, old);

    let before = skiff::cloud::emr::blueprint(&sb.session, "us-east-1", &old)
        .await
        .expect("old");
    let after = skiff::cloud::emr::blueprint(&sb.session, "us-east-1", &new)
        .await
        .expect("new");
    assert_eq!(after.name, before.name);
    assert_eq!(after.release, before.release);
    assert_eq!(after.applications, before.applications);
    assert_eq!(after.tags, before.tags);
    assert_eq!(after.key_name.as_deref(), Some("rnd-key"));
    let shape = |b: &skiff::model::EmrBlueprint| {
        let mut g: Vec<(String, String, i32, String)> = b
            .groups
            .iter()
            .map(|g| {
                (
                    g.role.clone(),
                    g.instance_type.clone(),
                    g.count,
                    g.market.clone(),
                )
            })
            .collect();
        g.sort();
        g
    };
    assert_eq!(shape(&after), shape(&before));
    assert_eq!(shape(&after).len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_timeout_reports_what_aws_says_and_respects_read_only() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let e = sb.moto.endpoint();
    let run = skiff(&e, home.path(), &["idle-timeout", "analytics", "5s"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("1 minute to 7 days"), "{}", run.stderr);
    let run = skiff(&e, home.path(), &["idle-timeout", "rnd", "2h"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("is not an EMR cluster"),
        "{}",
        run.stderr
    );
    let run = skiff(
        &e,
        home.path(),
        &["--read-only", "idle-timeout", "analytics", "2h"],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("read-only mode: skiff did not set the idle timeout"),
        "{}",
        run.stderr
    );
    // moto 5.2.5 answers PutAutoTerminationPolicy with HTTP 500: skiff must
    // say so plainly rather than claim success.
    let run = skiff(&e, home.path(), &["idle-timeout", "analytics", "2h"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stderr.contains("HTTP 500"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn start_on_a_terminated_emr_cluster_in_the_tui_relaunches_it_after_asking() {
    use crossterm::event::{KeyCode, KeyEvent};
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let e = sb.moto.endpoint();
    let old = sb.seeded.emr_cluster_id.clone();
    assert_eq!(
        skiff(&e, home.path(), &["protect", "analytics", "off"]).code,
        0
    );
    assert_eq!(
        skiff(
            &e,
            home.path(),
            &["terminate", "analytics", "--confirm", "analytics"]
        )
        .code,
        0
    );
    let clusters = |session: skiff::cloud::Session| async move {
        session
            .emr_client("us-east-1")
            .list_clusters()
            .send()
            .await
            .expect("list")
            .clusters()
            .iter()
            .filter(|c| c.name() == Some("analytics"))
            .map(|c| c.id().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(clusters(sb.session.clone()).await, vec![old.clone()]);

    let (mut app, mut rx) = common::tui_app(&e, home.path(), skiff::config::Config::defaults());
    common::pump_until(&mut app, &mut rx, 30, "inventory", |app| {
        !app.world.inventory.emr_clusters.is_empty() && !app.busy()
    })
    .await;
    let keys = |app: &mut skiff::tui::app::App, text: &str| {
        for c in text.chars() {
            app.on_key(KeyEvent::from(KeyCode::Char(c)));
        }
    };
    keys(&mut app, "2/analytics");
    app.on_key(KeyEvent::from(KeyCode::Enter));
    keys(&mut app, "u");
    // The configuration is read first; then the dialog says what it creates.
    common::pump_until(&mut app, &mut rx, 20, "relaunch dialog", |app| {
        app.mode() == skiff::tui::popups::confirm::CONFIRM
    })
    .await;
    let pending = app
        .popup::<skiff::tui::popups::confirm::Confirm>()
        .expect("pending");
    assert_eq!(pending.word(), "relaunch");
    let text = pending.text().join("\n");
    assert!(text.contains("Relaunch EMR cluster analytics"), "{text}");
    assert!(text.contains("MASTER 1 × m5.xlarge"), "{text}");
    assert!(text.contains("/h once running"), "{text}");

    // No: nothing is created.
    keys(&mut app, "n");
    assert_eq!(clusters(sb.session.clone()).await.len(), 1);

    // Yes: a new cluster with the same name.
    keys(&mut app, "u");
    common::pump_until(&mut app, &mut rx, 20, "relaunch dialog", |app| {
        app.mode() == skiff::tui::popups::confirm::CONFIRM
    })
    .await;
    keys(&mut app, "y");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let ids = clusters(sb.session.clone()).await;
        if ids.len() == 2 {
            assert!(ids.contains(&old));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no new cluster: {ids:?}"
        );
        if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(100), rx.recv()).await {
            app.on_msg(m);
        }
    }
}
