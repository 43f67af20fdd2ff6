//! Guards that work while skiff is closed, set up in moto and checked with
//! the AWS CLI (not with skiff's own reads): idle alarms per node with the
//! EC2 stop action, schedules with their cron expressions, time zone,
//! targets and role, the role's policies, `guard ls`, `guard off`, and
//! read-only creating nothing.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a failed expectation is the failure

mod common;

use std::collections::BTreeSet;

use common::{Recorder, Run, aws, aws_json, run_skiff};
use serde_json::Value;

fn skiff(e: &str, home: &std::path::Path, args: &[&str]) -> Run {
    run_skiff(e, home, &[&["--region", "us-east-1"][..], args].concat())
}

const RND: [&str; 4] = ["rnd-master", "rnd-slave-1", "rnd-slave-2", "rnd-slave-3"];

fn alarms(e: &str) -> Vec<Value> {
    aws_json(e, "us-east-1", &["cloudwatch", "describe-alarms"])["MetricAlarms"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn schedules(e: &str) -> Vec<Value> {
    let (ok, out, err) = aws(
        e,
        "us-east-1",
        &["scheduler", "list-schedules", "--group-name", "skiff"],
    );
    if !ok {
        assert!(err.contains("ResourceNotFound"), "{err}");
        return Vec::new();
    }
    let names: Vec<String> = serde_json::from_str::<Value>(&out).unwrap()["Schedules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Name"].as_str().unwrap().to_string())
        .collect();
    names
        .iter()
        .map(|n| {
            aws_json(
                e,
                "us-east-1",
                &[
                    "scheduler",
                    "get-schedule",
                    "--group-name",
                    "skiff",
                    "--name",
                    n,
                ],
            )
        })
        .collect()
}

fn role_exists(e: &str) -> bool {
    aws(
        e,
        "us-east-1",
        &["iam", "get-role", "--role-name", "skiff-scheduler"],
    )
    .0
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_and_schedule_guards_are_made_listed_and_removed() {
    let sb = common::seeded().await;
    let e = sb.moto.endpoint();
    let home = tempfile::tempdir().expect("home");
    let id = |n: &str| sb.seeded.instances[n].0.clone();

    // Idle: one alarm per node, stopping it after 45 minutes under 5 %.
    let run = skiff(&e, home.path(), &["guard", "idle", "rnd", "--after", "45m"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("not hibernate"),
        "says alarms cannot hibernate: {}",
        run.stdout
    );
    let made = alarms(&e);
    assert_eq!(made.len(), 4, "{made:?}");
    let watched: BTreeSet<String> = made
        .iter()
        .map(|a| {
            assert_eq!(a["Namespace"], "AWS/EC2");
            assert_eq!(a["MetricName"], "CPUUtilization");
            assert_eq!(a["Statistic"], "Average");
            assert_eq!(a["ComparisonOperator"], "LessThanThreshold");
            assert_eq!(a["Threshold"], 5.0);
            assert_eq!(
                a["Period"].as_i64().unwrap() * a["EvaluationPeriods"].as_i64().unwrap(),
                45 * 60,
                "period × evaluation periods is the duration asked"
            );
            assert_eq!(
                a["AlarmActions"],
                serde_json::json!(["arn:aws:automate:us-east-1:ec2:stop"])
            );
            let name = a["AlarmName"].as_str().unwrap();
            assert!(name.starts_with("skiff-idle-rnd-"), "{name}");
            assert_eq!(a["Dimensions"][0]["Name"], "InstanceId");
            a["Dimensions"][0]["Value"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(watched, RND.iter().map(|n| id(n)).collect());

    // Schedule: without a terminal and without --yes the role is shown,
    // not made, and nothing is scheduled.
    let args = [
        "guard",
        "schedule",
        "rnd",
        "--stop",
        "mon-fri 20:00",
        "--start",
        "mon-fri 08:30",
        "--tz",
        "Europe/London",
    ];
    let asked = skiff(&e, home.path(), &args);
    assert_eq!(asked.code, 1, "{}\n{}", asked.stdout, asked.stderr);
    assert!(
        asked.stderr.contains("scheduler.amazonaws.com"),
        "the trust policy is shown: {}",
        asked.stderr
    );
    assert!(
        asked.stderr.contains("ec2:StopInstances"),
        "the permission policy is shown"
    );
    assert!(asked.stderr.contains("--yes"), "{}", asked.stderr);
    assert!(
        !role_exists(&e) && schedules(&e).is_empty(),
        "nothing was made"
    );

    let run = skiff(&e, home.path(), &[&args[..], &["--yes"]].concat());
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let role = aws_json(
        &e,
        "us-east-1",
        &["iam", "get-role", "--role-name", "skiff-scheduler"],
    );
    let role_arn = role["Role"]["Arn"].as_str().unwrap().to_string();
    let trust = &role["Role"]["AssumeRolePolicyDocument"];
    let trust: Value = match trust {
        Value::String(s) => serde_json::from_str(&percent_decode(s)).unwrap(),
        v => v.clone(),
    };
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"],
        "scheduler.amazonaws.com"
    );
    let policy = aws_json(
        &e,
        "us-east-1",
        &[
            "iam",
            "get-role-policy",
            "--role-name",
            "skiff-scheduler",
            "--policy-name",
            "skiff-start-stop-guarded-instances",
        ],
    );
    let doc = match &policy["PolicyDocument"] {
        Value::String(s) => serde_json::from_str(&percent_decode(s)).unwrap(),
        v => v.clone(),
    };
    let allowed: BTreeSet<String> = doc["Statement"][0]["Resource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().rsplit('/').next().unwrap().to_string())
        .collect();
    assert_eq!(
        allowed,
        RND.iter().map(|n| id(n)).collect(),
        "only the guarded instances"
    );
    assert_eq!(
        doc["Statement"][0]["Action"],
        serde_json::json!(["ec2:StartInstances", "ec2:StopInstances"])
    );

    let made = schedules(&e);
    let by_name = |n: &str| {
        made.iter()
            .find(|s| s["Name"] == n)
            .unwrap_or_else(|| panic!("{n} in {made:?}"))
    };
    let workers: BTreeSet<String> = ["rnd-slave-1", "rnd-slave-2", "rnd-slave-3"]
        .iter()
        .map(|n| id(n))
        .collect();
    for (name, cron, api, ids) in [
        (
            "skiff-start-rnd-master",
            "cron(30 8 ? * MON-FRI *)",
            "startInstances",
            BTreeSet::from([id("rnd-master")]),
        ),
        (
            "skiff-start-rnd-workers",
            "cron(35 8 ? * MON-FRI *)",
            "startInstances",
            workers.clone(),
        ),
        (
            "skiff-stop-rnd-workers",
            "cron(0 20 ? * MON-FRI *)",
            "stopInstances",
            workers.clone(),
        ),
        (
            "skiff-stop-rnd-master",
            "cron(5 20 ? * MON-FRI *)",
            "stopInstances",
            BTreeSet::from([id("rnd-master")]),
        ),
    ] {
        let s = by_name(name);
        assert_eq!(s["ScheduleExpression"], cron, "{name}");
        assert_eq!(s["ScheduleExpressionTimezone"], "Europe/London", "{name}");
        assert_eq!(s["State"], "ENABLED");
        assert_eq!(
            s["Target"]["Arn"],
            format!("arn:aws:scheduler:::aws-sdk:ec2:{api}"),
            "{name}"
        );
        assert_eq!(s["Target"]["RoleArn"], role_arn.as_str(), "{name}");
        let input: Value = serde_json::from_str(s["Target"]["Input"].as_str().unwrap()).unwrap();
        let got: BTreeSet<String> = input["InstanceIds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(got, ids, "{name}");
    }
    assert_eq!(made.len(), 4);

    // guard ls lists all eight, schedules with their next run.
    let ls = skiff(&e, home.path(), &["guard", "ls", "--json"]);
    assert_eq!(ls.code, 0, "{}", ls.stderr);
    let doc: Value = serde_json::from_str(&ls.stdout).unwrap();
    let guards = doc["guards"].as_array().unwrap();
    assert_eq!(guards.len(), 8, "{}", ls.stdout);
    assert!(guards.iter().all(|g| g["target"] == "rnd"));
    assert!(
        guards
            .iter()
            .filter(|g| g["kind"] == "schedule")
            .all(|g| g["next_run"].is_string() && g["timezone"] == "Europe/London")
    );
    let text = skiff(&e, home.path(), &["guard", "ls"]);
    assert!(
        text.stdout.contains("stop 20:00 mon-fri (workers)"),
        "{}",
        text.stdout
    );

    // guard off: every alarm and schedule, and the role nothing uses now.
    let off = skiff(&e, home.path(), &["guard", "off", "rnd"]);
    assert_eq!(off.code, 0, "{}\n{}", off.stdout, off.stderr);
    assert!(alarms(&e).is_empty(), "alarms left");
    assert!(schedules(&e).is_empty(), "schedules left");
    assert!(!role_exists(&e), "the role nothing uses is gone");
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lone_instance_pauses_on_schedule_and_what_cannot_be_guarded_says_why() {
    let sb = common::seeded().await;
    let e = sb.moto.endpoint();
    let home = tempfile::tempdir().expect("home");
    // ds-workbench was launched with hibernation: --pause hibernates it.
    let run = skiff(
        &e,
        home.path(),
        &[
            "guard",
            "schedule",
            "ds-workbench",
            "--stop",
            "daily 19:00",
            "--pause",
            "--tz",
            "UTC",
            "--yes",
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let s = aws_json(
        &e,
        "us-east-1",
        &[
            "scheduler",
            "get-schedule",
            "--group-name",
            "skiff",
            "--name",
            "skiff-stop-ds-workbench",
        ],
    );
    let input: Value = serde_json::from_str(s["Target"]["Input"].as_str().unwrap()).unwrap();
    assert_eq!(input["Hibernate"], true);
    assert_eq!(s["ScheduleExpression"], "cron(0 19 ? * * *)");
    // legacy's nodes were not: --pause is refused, naming them.
    let run = skiff(
        &e,
        home.path(),
        &[
            "guard",
            "schedule",
            "legacy",
            "--stop",
            "daily 19:00",
            "--pause",
            "--yes",
        ],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("not launched with hibernation"),
        "{}",
        run.stderr
    );
    // An EMR cluster cannot be stopped: the refusal says what can be done.
    let run = skiff(
        &e,
        home.path(),
        &["guard", "idle", "analytics", "--after", "1h"],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("EMR clusters cannot be stopped") && run.stderr.contains("--terminate"),
        "{}",
        run.stderr
    );
    // Bad input is said clearly and changes nothing.
    for (args, words) in [
        (vec!["guard", "idle", "rnd", "--after", "1m"], "too short"),
        (vec!["guard", "idle", "rnd", "--after", "soon"], "--after"),
        (
            vec!["guard", "schedule", "rnd", "--stop", "someday 20:00"],
            "not a set of days",
        ),
        (
            vec![
                "guard",
                "schedule",
                "rnd",
                "--stop",
                "mon-fri 20:00",
                "--tz",
                "Mars/Base",
            ],
            "IANA",
        ),
        (vec!["guard", "schedule", "rnd"], "say when"),
    ] {
        let run = skiff(&e, home.path(), &args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stdout);
        assert!(run.stderr.contains(words), "{args:?}: {}", run.stderr);
    }
    assert!(alarms(&e).is_empty());
    let off = skiff(
        &e,
        home.path(),
        &["guard", "off", "ds-workbench", "--schedule"],
    );
    assert_eq!(off.code, 0, "{}", off.stderr);
    assert!(!role_exists(&e));
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_makes_no_guard() {
    let sb = common::seeded().await;
    let e = sb.moto.endpoint();
    let home = tempfile::tempdir().expect("home");
    let recorder = Recorder::start(&e);
    for args in [
        vec!["--read-only", "guard", "idle", "rnd", "--after", "45m"],
        vec![
            "--read-only",
            "guard",
            "schedule",
            "rnd",
            "--stop",
            "mon-fri 20:00",
            "--yes",
        ],
        vec!["--read-only", "guard", "off", "rnd"],
    ] {
        let run = skiff(&e, home.path(), &args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stdout);
        assert!(run.stderr.contains("read-only"), "{args:?}: {}", run.stderr);
    }
    let sent = recorder.mutations();
    assert!(sent.is_empty(), "read-only sent {sent:?}");
    assert!(alarms(&e).is_empty() && schedules(&e).is_empty() && !role_exists(&e));
}

/// A second target's schedules never cost the first its own: the schedule
/// group is made once, when it is missing (the emulator replaced it, and
/// its schedules, on every CreateScheduleGroup; AWS refuses one).
#[tokio::test(flavor = "multi_thread")]
async fn schedules_of_one_target_survive_another_targets() {
    let sb = common::seeded().await;
    let e = sb.moto.endpoint();
    let home = tempfile::tempdir().expect("home");
    let recorder = Recorder::start(&e);
    for (target, when) in [("rnd", "mon-fri 20:00"), ("ds-workbench", "daily 19:00")] {
        let run = skiff(
            &e,
            home.path(),
            &[
                "guard", "schedule", target, "--stop", when, "--tz", "UTC", "--yes",
            ],
        );
        assert_eq!(run.code, 0, "{target}: {}\n{}", run.stdout, run.stderr);
    }
    let names: BTreeSet<String> = schedules(&e)
        .iter()
        .map(|s| s["Name"].as_str().unwrap().to_string())
        .collect();
    for name in [
        "skiff-stop-rnd-workers",
        "skiff-stop-rnd-master",
        "skiff-stop-ds-workbench",
    ] {
        assert!(names.contains(name), "{name} in {names:?}");
    }
    let listed = skiff(&e, home.path(), &["guard", "ls"]);
    assert!(
        listed.stdout.lines().any(|l| l.starts_with("rnd "))
            && listed
                .stdout
                .lines()
                .any(|l| l.starts_with("ds-workbench ")),
        "{}",
        listed.stdout
    );
    let groups_made = recorder
        .requests()
        .iter()
        .filter(|r| r.operation.contains("schedule-groups") && r.method == "POST")
        .count();
    assert_eq!(groups_made, 1, "{:?}", recorder.requests());
}
