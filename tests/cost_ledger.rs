//! The cost ledger end to end against moto, through the binary: launch,
//! a minute later stop, start, a minute later terminate another instance.
//! skiff's clock is moved ahead (`SKIFF_CLOCK_OFFSET`) instead of the test
//! sleeping: to skiff, the minutes pass.
//! After every step `skiff cost --json` says today never went down; at the
//! end the stopped-and-started instance costs exactly its two runs (60 s
//! minimum each), the terminated one still counts, and the TUI shows the
//! same figures as the CLI for the same moment. The emulator keeps
//! LaunchTime across a stop and start (AWS resets it): the case that used to
//! count the stopped minutes again.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code

mod common;

use std::time::Duration;

use chrono::{DateTime, Utc};
use common::Sdk;
use serde_json::Value;

/// t3.micro in us-east-1: 0.0832 × 1/8 (the embedded table, written here by
/// hand), and a gp2 root volume at $0.10/GB-month over 730 hours.
const RATE: f64 = 0.0104;
const GP2: f64 = 0.10 / 730.0;

struct Bracket {
    before: DateTime<Utc>,
    after: DateTime<Utc>,
}

fn secs(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    (b - a).num_milliseconds() as f64 / 1000.0
}

/// skiff with its clock `ahead` seconds ahead of this machine's.
fn run(endpoint: &str, home: &std::path::Path, args: &[&str], ahead: i64) -> (String, Bracket) {
    let skew = chrono::Duration::seconds(ahead);
    let before = Utc::now() + skew;
    let r = common::run_skiff_env(
        endpoint,
        home,
        &[("SKIFF_CLOCK_OFFSET", ahead.to_string())],
        args,
    );
    let after = Utc::now() + skew;
    assert_eq!(r.code, 0, "skiff {args:?}: {}{}", r.stdout, r.stderr);
    (r.stdout, Bracket { before, after })
}

fn cost(endpoint: &str, home: &std::path::Path, ahead: i64) -> (Value, Bracket) {
    let (out, b) = run(
        endpoint,
        home,
        &["--region", "us-east-1", "cost", "--json"],
        ahead,
    );
    (serde_json::from_str(&out).expect("json"), b)
}

fn item<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {doc}"))
}

fn today(doc: &Value) -> f64 {
    doc["today_usd"].as_f64().expect("today")
}

#[tokio::test(flavor = "multi_thread")]
async fn stop_start_and_terminate_never_count_twice_or_take_back() {
    let (moto, session) = common::empty().await;
    let e = moto.endpoint();
    let home = tempfile::tempdir().expect("home");
    let ec2 = session.ec2_client("us-east-1");
    let launched = ec2
        .run_instances()
        .image_id("ami-1e749f67")
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
        .min_count(2)
        .max_count(2)
        .send()
        .await
        .expect("launch");
    let ids: Vec<String> = launched
        .instances()
        .iter()
        .map(|i| i.instance_id().expect("id").to_string())
        .collect();
    let (a, b) = (ids[0].as_str(), ids[1].as_str());
    let launch_time = |id: &str| {
        let i = launched
            .instances()
            .iter()
            .find(|i| i.instance_id() == Some(id))
            .expect("launched");
        let t = i.launch_time().expect("launch time");
        DateTime::<Utc>::from_timestamp(t.secs(), t.subsec_nanos()).expect("time")
    };
    let launch = launch_time(a);
    // While running it holds a public IPv4 address ($0.005/h) if it got one.
    let public = launched.instances()[0]
        .public_ip_address()
        .is_some_and(|ip| !ip.is_empty());
    let run_rate = RATE + if public { 0.005 } else { 0.0 };
    let volumes = ec2.describe_volumes().send().await.expect("volumes");
    let gib = |id: &str| -> f64 {
        volumes
            .volumes()
            .iter()
            .filter(|v| v.attachments().iter().any(|x| x.instance_id() == Some(id)))
            .map(|v| f64::from(v.size().unwrap_or(0)))
            .sum()
    };

    // Today never goes down within a UTC day, the month within a month
    // (a run of this test may cross midnight).
    let mut last: Option<(String, f64, String, f64)> = None;
    let mut step = |doc: &Value, what: &str| {
        let at = doc["at"].as_str().expect("at");
        let (day, month) = (at[..10].to_string(), at[..7].to_string());
        let (t, m) = (
            today(doc),
            doc["month_to_date_usd"].as_f64().expect("month"),
        );
        if let Some((d0, t0, m0, mm0)) = &last {
            if *d0 == day {
                assert!(t >= *t0, "today went down {what}: {t0} → {t}");
            }
            if *m0 == month {
                assert!(m >= *mm0, "the month went down {what}: {mm0} → {m}");
            }
        }
        last = Some((day, t, month, m));
    };
    let mut ahead = 0i64;
    let (doc, _) = cost(&e, home.path(), ahead);
    step(&doc, "at launch");
    ahead += 61;
    let (doc, _) = cost(&e, home.path(), ahead);
    step(&doc, "after a minute");

    let (_, stop) = run(
        &e,
        home.path(),
        &["--region", "us-east-1", "stop", a, "--wait"],
        ahead,
    );
    let (doc, _) = cost(&e, home.path(), ahead);
    step(&doc, "after the stop");
    assert_eq!(item(&doc, a)["state"], "stopped");
    ahead += 20;
    let (doc, _) = cost(&e, home.path(), ahead);
    step(&doc, "while stopped");
    let (_, start) = run(
        &e,
        home.path(),
        &["--region", "us-east-1", "start", a, "--wait"],
        ahead,
    );
    let (doc, _) = cost(&e, home.path(), ahead);
    step(&doc, "after the start");
    // The emulator kept LaunchTime across the stop and start.
    let described = ec2
        .describe_instances()
        .instance_ids(a)
        .send()
        .await
        .expect("describe");
    let kept = described.reservations()[0].instances()[0]
        .launch_time()
        .expect("launch time")
        .secs();
    assert_eq!(
        kept,
        launch.timestamp(),
        "the emulator's LaunchTime is kept"
    );

    ahead += 61;
    let (doc, _) = cost(&e, home.path(), ahead);
    step(&doc, "a minute after the start");
    // Someone else terminates B (through the SDK, not skiff).
    ec2.terminate_instances()
        .instance_ids(b)
        .send()
        .await
        .expect("terminate");
    let (doc, last_cost) = cost(&e, home.path(), ahead);
    step(&doc, "after the terminate");

    // A: run 1 from LaunchTime to the stop skiff sent, run 2 from the start
    // AWS answered to the last listing; EBS since LaunchTime.
    let first_at = launch.format("%Y-%m").to_string();
    if !doc["at"].as_str().expect("at").starts_with(&first_at) {
        return; // the month turned during the test: nothing to add up
    }
    let got = item(&doc, a)["month_to_date_usd"]
        .as_f64()
        .expect("a month");
    let ebs = gib(a) * GP2;
    let lowest = run_rate / 3600.0
        * (secs(launch, stop.before) + secs(start.after, last_cost.before).max(60.0))
        + ebs / 3600.0 * secs(launch, last_cost.before);
    let highest = run_rate / 3600.0
        * (secs(launch, stop.after) + secs(start.before, last_cost.after).max(60.0))
        + ebs / 3600.0 * secs(launch, last_cost.after);
    let cent_thousandth = 1e-5;
    assert!(
        got >= lowest - cent_thousandth && got <= highest + cent_thousandth,
        "A costs {got}, its two runs {lowest}..{highest}; launched {launch}, stop sent \
         {}..{}, start answered {}..{}, last listing {}..{}; the ledger: {}",
        stop.before,
        stop.after,
        start.before,
        start.after,
        last_cost.before,
        last_cost.after,
        std::fs::read_to_string(home.path().join("state/ledger.json")).unwrap_or_default()
    );
    // Counting the stopped time, or run 1 again from the kept LaunchTime,
    // would have been far outside that.
    let stopped = secs(stop.after, start.before);
    assert!(
        run_rate / 3600.0 * stopped > 5.0 * cent_thousandth,
        "stopped {stopped} s"
    );

    // B: terminated, and what it cost today is still there.
    let b_item = item(&doc, b);
    assert_eq!(b_item["state"], "terminated");
    let b_today = b_item["month_to_date_usd"].as_f64().expect("b month");
    let b_ran = secs(launch_time(b), last_cost.before);
    assert!(
        b_today >= RATE / 3600.0 * (b_ran - 2.0),
        "B's {b_ran} s of running kept: {b_today}"
    );

    // The TUI, on the same ledger at the same moment, shows the same.
    let at: DateTime<Utc> = doc["at"].as_str().expect("at").parse().expect("time");
    let dirs = skiff::config::Dirs {
        config: home.path().join("config"),
        state: home.path().join("state"),
        cache: home.path().join("cache"),
    };
    let mut app = skiff::tui::app::App::new(
        skiff::config::Config::defaults(),
        dirs,
        skiff::tui::theme::Theme::dark(),
        Default::default(),
        false,
        None,
    );
    app.world.clock = skiff::tui::world::Clock::Fixed(at);
    app.world.recompute_costs(&mut Default::default());
    let tui = app.world.costs.as_ref().expect("the TUI's costs");
    let six = |m: skiff::cost::Money| m.rounded(6).to_f64();
    assert_eq!(six(tui.totals.today.known), today(&doc));
    assert_eq!(
        six(tui.totals.month_to_date.known),
        doc["month_to_date_usd"].as_f64().expect("month")
    );
    assert_eq!(
        six(tui.totals.burn_rate.known),
        doc["burn_rate_usd_per_hour"].as_f64().expect("burn")
    );
    for id in [a, b] {
        let t = tui.item(id).expect("item in the TUI");
        assert_eq!(
            six(t.today.known),
            item(&doc, id)["today_usd"].as_f64().expect("today")
        );
    }
}

/// Twenty CLI calls at once on one state directory while the TUI lists and
/// records on it too: every call ends well, every state file still parses,
/// nothing was set aside or left half-written, and the ledger keeps its
/// rules (`Book::check`); the CLI's today is the one the ledger file gives.
#[tokio::test(flavor = "multi_thread")]
async fn twenty_skiffs_at_once_keep_every_state_file_whole() {
    use std::process::{Command, Stdio};
    let sb = common::seeded().await;
    let e = sb.moto.endpoint();
    let home = tempfile::tempdir().expect("home");
    // The TUI on the directories SKIFF_HOME gives the CLI.
    let dirs = skiff::config::Dirs {
        config: home.path().join("config"),
        state: home.path().join("state"),
        cache: home.path().join("cache"),
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut app = skiff::tui::app::App::new(
        skiff::config::Config::defaults(),
        dirs.clone(),
        skiff::tui::theme::Theme::dark(),
        skiff::ops::connect::Connection::plain(skiff::sandbox::sandbox_options(&e)),
        false,
        Some(tx),
    );
    app.connect();
    let mut children: Vec<_> = (0..20)
        .map(|n| {
            let args: &[&str] = match n % 4 {
                0 => &["ls"],
                1 => &["cost", "--json"],
                2 => &["ls", "instances"],
                _ => &["cost"],
            };
            Command::new(assert_cmd::cargo::cargo_bin("skiff"))
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .envs(common::cli_env(&e, home.path()))
                .args(["--region", "us-east-1"])
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    // The TUI works on while they run.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while children
        .iter_mut()
        .any(|c| c.try_wait().ok().flatten().is_none())
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the calls did not end"
        );
        while let Ok(m) = rx.try_recv() {
            app.on_msg(m);
        }
        app.on_tick();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for c in children {
        let out = c.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for entry in walkdir::WalkDir::new(&dirs.state) {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(!name.contains(".damaged"), "set aside: {name}");
        assert!(!name.ends_with(".tmp"), "left half-written: {name}");
        if name.ends_with(".json") {
            let bytes = std::fs::read(entry.path()).expect("read");
            serde_json::from_slice::<Value>(&bytes)
                .unwrap_or_else(|err| panic!("{name} does not parse: {err}"));
        }
    }
    let (ledger, note) = skiff::cost::Ledger::open(&dirs.state).expect("ledger");
    assert_eq!(note, None);
    ledger.book().check().expect("the ledger's rules hold");
    // Today from the CLI equals today recomputed from the file, bracketed
    // by the time the call took (what runs keeps costing meanwhile).
    let (doc, b) = cost(&e, home.path(), 0);
    let (ledger, _) = skiff::cost::Ledger::open(&dirs.state).expect("ledger");
    let regions = vec!["us-east-1".to_string()];
    let at = |t| {
        skiff::cost::report(ledger.book(), Some(&regions), t)
            .totals
            .today
            .known
    };
    let (lo, hi) = (at(b.before), at(b.after));
    let got = today(&doc);
    assert!(
        lo.to_f64() - 1e-6 <= got && got <= hi.to_f64() + 1e-6,
        "CLI today {got} not within [{lo}, {hi}]"
    );
}
