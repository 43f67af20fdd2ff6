//! `skiff launch` and `skiff cluster` against moto through the real SDK,
//! checked with the AWS CLI and moto's request recorder: aliases, templates,
//! `--like`, spot, capacity fallbacks through the fault proxy, tags on
//! instances and volumes, the idle alarm and the one-time deadline, consent,
//! read-only and dry runs, recipes saved into a commented config, and a
//! Spark cluster created, grown, shrunk, stopped, started and deleted.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a failed expectation is the failure

mod common;

use std::path::Path;

use serde_json::Value;

const REGION: &str = "us-east-1";

fn launch(endpoint: &str, home: &Path, args: &[&str]) -> common::Run {
    let mut all = vec!["--region", REGION];
    all.extend_from_slice(args);
    common::run_skiff(endpoint, home, &all)
}

fn json(run: &common::Run) -> Value {
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

/// The instance `id` as the AWS CLI sees it.
fn instance(endpoint: &str, id: &str) -> Value {
    let doc = common::aws_json(
        endpoint,
        REGION,
        &["ec2", "describe-instances", "--instance-ids", id],
    );
    doc["Reservations"][0]["Instances"][0].clone()
}

fn tag<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v["Tags"]
        .as_array()?
        .iter()
        .find(|t| t["Key"] == key)
        .and_then(|t| t["Value"].as_str())
}

/// The ids of every instance in REGION tagged `key=value` that is not
/// terminated.
fn tagged(endpoint: &str, key: &str, value: &str) -> Vec<(String, String, String)> {
    let doc = common::aws_json(
        endpoint,
        REGION,
        &[
            "ec2",
            "describe-instances",
            "--filters",
            &format!("Name=tag:{key},Values={value}"),
        ],
    );
    let mut out = Vec::new();
    for r in doc["Reservations"].as_array().into_iter().flatten() {
        for i in r["Instances"].as_array().into_iter().flatten() {
            let state = i["State"]["Name"].as_str().unwrap_or_default().to_string();
            if state != "terminated" {
                out.push((
                    i["InstanceId"].as_str().unwrap_or_default().to_string(),
                    tag(i, "skiff:role").unwrap_or_default().to_string(),
                    state,
                ));
            }
        }
    }
    out.sort();
    out
}

/// From an alias, with a deadline: the plan names the image and its
/// parameter; the machine, its volume, its idle alarm, its deadline and
/// skiff's role are all there, as the AWS CLI sees them.
#[tokio::test(flavor = "multi_thread")]
async fn an_alias_launch_is_tagged_guarded_and_has_a_deadline() {
    let (moto, _s) = common::empty().await;
    let e = moto.endpoint();
    let home = tempfile::tempdir().expect("home");
    let plan = launch(
        &e,
        home.path(),
        &[
            "launch",
            "box",
            "--ami",
            "al2023",
            "--type",
            "t3.micro",
            "--for",
            "4h",
            "--dry-run",
        ],
    );
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout.contains(
            "al2023 → /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
        ),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("t3.micro: on demand $"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("guard:    idle 1h"), "{}", plan.stdout);
    assert!(plan.stdout.contains("deadline: stop at"), "{}", plan.stdout);
    assert!(plan.stdout.contains("(dry run)"), "{}", plan.stdout);
    assert!(
        tagged(&e, "Name", "box").is_empty(),
        "a dry run launches nothing"
    );

    let before = chrono::Utc::now();
    let run = launch(
        &e,
        home.path(),
        &[
            "launch", "box", "--ami", "al2023", "--type", "t3.micro", "--for", "4h", "--disk",
            "30", "--yes", "--json",
        ],
    );
    let doc = json(&run);
    let id = doc["launched"]["instance_ids"][0]
        .as_str()
        .expect("an id")
        .to_string();
    let i = instance(&e, &id);
    assert_eq!(i["InstanceType"], "t3.micro");
    assert_eq!(tag(&i, "Name"), Some("box"));
    assert!(
        tag(&i, "skiff:launched-by").is_some_and(|a| a.starts_with("arn:aws:")),
        "{i}"
    );
    let volumes = common::aws_json(
        &e,
        REGION,
        &[
            "ec2",
            "describe-volumes",
            "--filters",
            &format!("Name=attachment.instance-id,Values={id}"),
        ],
    );
    let vol = &volumes["Volumes"][0];
    assert_eq!(
        tag(vol, "Name"),
        Some("box"),
        "volumes are tagged too: {vol}"
    );
    assert_eq!(vol["Size"], 30);

    let alarms = common::aws_json(
        &e,
        REGION,
        &[
            "cloudwatch",
            "describe-alarms",
            "--alarm-name-prefix",
            "skiff-idle-box-",
        ],
    );
    let alarm = &alarms["MetricAlarms"][0];
    assert_eq!(
        alarm["AlarmActions"][0],
        "arn:aws:automate:us-east-1:ec2:stop"
    );
    // On the instance's own CPU metric, as AWS documents for EC2 actions.
    assert_eq!(alarm["Namespace"], "AWS/EC2");
    assert_eq!(alarm["MetricName"], "CPUUtilization");
    assert_eq!(alarm["Dimensions"][0]["Value"], id.as_str());
    assert_eq!(alarm["ComparisonOperator"], "LessThanThreshold");
    assert_eq!(
        alarm["EvaluationPeriods"], 12,
        "an hour of 5-minute periods"
    );
    // CPU and network together, by metric math, where asked for.
    let net = launch(
        &e,
        home.path(),
        &[
            "guard",
            "idle",
            "box",
            "--after",
            "1h",
            "--net-below",
            "5MB",
        ],
    );
    assert_eq!(net.code, 0, "{}{}", net.stdout, net.stderr);
    let alarms = common::aws_json(
        &e,
        REGION,
        &[
            "cloudwatch",
            "describe-alarms",
            "--alarm-name-prefix",
            "skiff-idle-box-",
        ],
    );
    let alarm = &alarms["MetricAlarms"][0];
    let queries = alarm["Metrics"].as_array().expect("metric math");
    let query = |id: &str| queries.iter().find(|q| q["Id"] == id).expect(id);
    assert_eq!(
        query("cpu")["MetricStat"]["Metric"]["Dimensions"][0]["Value"],
        id.as_str()
    );
    assert_eq!(
        query("netin")["MetricStat"]["Metric"]["MetricName"],
        "NetworkIn"
    );
    assert_eq!(query("netout")["MetricStat"]["Stat"], "Sum");
    assert_eq!(
        query("idle")["Expression"],
        "IF(cpu < 5 AND (netin + netout) < 5000000, 1, 0)"
    );
    assert_eq!(alarm["ComparisonOperator"], "GreaterThanOrEqualToThreshold");

    let schedule = common::aws_json(
        &e,
        REGION,
        &[
            "scheduler",
            "get-schedule",
            "--group-name",
            "skiff",
            "--name",
            &format!("skiff-until-box-{id}"),
        ],
    );
    assert_eq!(schedule["ActionAfterCompletion"], "DELETE", "{schedule}");
    assert_eq!(
        schedule["Target"]["Arn"],
        "arn:aws:scheduler:::aws-sdk:ec2:stopInstances"
    );
    let input: Value =
        serde_json::from_str(schedule["Target"]["Input"].as_str().expect("input")).expect("json");
    assert_eq!(input["InstanceIds"][0], id.as_str());
    let at = skiff::launch::deadline_of(schedule["ScheduleExpression"].as_str().expect("expr"))
        .expect("an at() expression");
    let after = at - before;
    assert!(
        after >= chrono::Duration::minutes(239) && after <= chrono::Duration::minutes(241),
        "four hours from the launch: {after}"
    );
    let role = common::aws_json(
        &e,
        REGION,
        &["iam", "get-role", "--role-name", "skiff-scheduler"],
    );
    assert!(role["Role"]["Arn"].is_string(), "{role}");

    // Listed as a guard of the machine, by skiff.
    let guards = json(&launch(&e, home.path(), &["guard", "ls", "--json"]));
    let kinds: Vec<&str> = guards["guards"]
        .as_array()
        .expect("guards")
        .iter()
        .filter(|g| g["target"] == "box")
        .filter_map(|g| g["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"deadline") && kinds.contains(&"idle"),
        "{guards}"
    );
    let rules: Vec<&str> = guards["guards"]
        .as_array()
        .expect("guards")
        .iter()
        .filter_map(|g| g["rule"].as_str())
        .collect();
    assert!(
        rules.contains(&"idle 1h +net<5.0 MB"),
        "read back from AWS: {rules:?}"
    );

    // A second launch of the same name has its own deadline; the first's stays.
    let again = json(&launch(
        &e,
        home.path(),
        &[
            "launch", "box", "--ami", "al2023", "--type", "t3.micro", "--for", "2h", "--yes",
            "--json",
        ],
    ));
    let second = again["launched"]["instance_ids"][0]
        .as_str()
        .expect("id")
        .to_string();
    for machine in [&id, &second] {
        let (found, _, err) = common::aws(
            &e,
            REGION,
            &[
                "scheduler",
                "get-schedule",
                "--group-name",
                "skiff",
                "--name",
                &format!("skiff-until-box-{machine}"),
            ],
        );
        assert!(found, "{machine}'s deadline: {err}");
    }

    // Terminated: its alarm and its deadline go with it; the other's stay.
    let gone = launch(&e, home.path(), &["terminate", &id, "--confirm", &id]);
    assert_eq!(gone.code, 0, "{}{}", gone.stdout, gone.stderr);
    assert!(
        gone.stdout.contains("removed skiff's guards of it"),
        "{}",
        gone.stdout
    );
    let alarms = common::aws_json(
        &e,
        REGION,
        &[
            "cloudwatch",
            "describe-alarms",
            "--alarm-name-prefix",
            &format!("skiff-idle-box-{id}"),
        ],
    );
    assert_eq!(
        alarms["MetricAlarms"].as_array().map(Vec::len),
        Some(0),
        "{alarms}"
    );
    let name = |m: &str| format!("skiff-until-box-{m}");
    let (found, _, _) = common::aws(
        &e,
        REGION,
        &[
            "scheduler",
            "get-schedule",
            "--group-name",
            "skiff",
            "--name",
            &name(&id),
        ],
    );
    assert!(!found, "the deadline went with the machine");
    let (found, _, _) = common::aws(
        &e,
        REGION,
        &[
            "scheduler",
            "get-schedule",
            "--group-name",
            "skiff",
            "--name",
            &name(&second),
        ],
    );
    assert!(found, "the other machine's deadline stays");
}

/// Spot machines cannot be stopped: their idle alarm and their deadline
/// terminate them (said in the plan); a cluster's deadline covers every
/// node, its spot workers by a terminating schedule of their own.
#[tokio::test(flavor = "multi_thread")]
async fn spot_machines_are_terminated_and_a_clusters_deadline_covers_every_node() {
    let (moto, _s) = common::empty().await;
    let e = moto.endpoint();
    let home = tempfile::tempdir().expect("home");
    let run = launch(
        &e,
        home.path(),
        &[
            "launch", "cheap", "--ami", "al2023", "--type", "m5.large", "--spot", "--for", "3h",
            "--yes", "--json",
        ],
    );
    assert!(
        run.stderr.contains("deadline terminates them"),
        "{}",
        run.stderr
    );
    let doc = json(&run);
    let id = doc["launched"]["instance_ids"][0]
        .as_str()
        .expect("id")
        .to_string();
    assert!(
        doc["plan"]["idle"]
            .as_str()
            .is_some_and(|r| r.ends_with("→ terminate")),
        "{doc}"
    );
    let alarms = common::aws_json(
        &e,
        REGION,
        &[
            "cloudwatch",
            "describe-alarms",
            "--alarm-name-prefix",
            "skiff-idle-cheap-",
        ],
    );
    assert_eq!(
        alarms["MetricAlarms"][0]["AlarmActions"][0],
        "arn:aws:automate:us-east-1:ec2:terminate"
    );
    let schedule = common::aws_json(
        &e,
        REGION,
        &[
            "scheduler",
            "get-schedule",
            "--group-name",
            "skiff",
            "--name",
            &format!("skiff-until-cheap-{id}"),
        ],
    );
    assert_eq!(
        schedule["Target"]["Arn"],
        "arn:aws:scheduler:::aws-sdk:ec2:terminateInstances"
    );

    for (name, spot) in [("night", false), ("day", true)] {
        let mut args = vec![
            "cluster",
            "create",
            name,
            "--workers",
            "2",
            "--ami",
            "al2023",
            "--type",
            "m5.large",
            "--idle",
            "off",
            "--for",
            "2h",
            "--yes",
        ];
        if spot {
            args.push("--spot-workers");
        }
        let made = launch(&e, home.path(), &args);
        assert_eq!(made.code, 0, "{}{}", made.stdout, made.stderr);
    }
    let guards = json(&launch(&e, home.path(), &["guard", "ls", "--json"]));
    let deadlines = |target: &str| -> Vec<(String, usize)> {
        guards["guards"]
            .as_array()
            .expect("guards")
            .iter()
            .filter(|g| g["kind"] == "deadline" && g["target"] == target)
            .map(|g| {
                (
                    g["rule"].as_str().unwrap_or_default().to_string(),
                    g["instance_ids"].as_array().map_or(0, Vec::len),
                )
            })
            .collect()
    };
    let night = deadlines("night");
    assert_eq!(night.len(), 1, "one schedule over every node: {guards}");
    assert_eq!(night[0].1, 3, "{night:?}");
    assert!(night[0].0.starts_with("stop at"), "{night:?}");
    let mut day = deadlines("day");
    day.sort();
    assert_eq!(day.len(), 2, "{guards}");
    assert!(
        day[0].0.starts_with("stop at") && day[0].1 == 1,
        "the master stops: {day:?}"
    );
    assert!(
        day[1].0.starts_with("terminate at") && day[1].1 == 2,
        "the spot workers are terminated: {day:?}"
    );
}

/// A launch template gives the type; `--like` copies an instance; `--spot`
/// asks for spot capacity.
#[tokio::test(flavor = "multi_thread")]
async fn templates_like_and_spot_launch_what_they_say() {
    let (moto, _s) = common::empty().await;
    let e = moto.endpoint();
    let home = tempfile::tempdir().expect("home");
    let ami = common::aws_json(
        &e,
        REGION,
        &[
            "ssm",
            "get-parameter",
            "--name",
            "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
        ],
    )["Parameter"]["Value"]
        .as_str()
        .expect("ami")
        .to_string();
    common::aws_json(
        &e,
        REGION,
        &[
            "ec2",
            "create-launch-template",
            "--launch-template-name",
            "gpu-lt",
            "--launch-template-data",
            &format!("{{\"ImageId\":\"{ami}\",\"InstanceType\":\"c5.large\"}}"),
        ],
    );
    let doc = json(&launch(
        &e,
        home.path(),
        &[
            "launch",
            "from-lt",
            "--template",
            "gpu-lt",
            "--idle",
            "off",
            "--yes",
            "--json",
        ],
    ));
    let id = doc["launched"]["instance_ids"][0]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(
        instance(&e, &id)["InstanceType"],
        "c5.large",
        "the template's type"
    );
    assert!(
        doc["launched"]["alarms"]
            .as_array()
            .is_some_and(Vec::is_empty),
        "--idle off"
    );

    let doc = json(&launch(
        &e,
        home.path(),
        &[
            "launch", "twin", "--like", "from-lt", "--idle", "off", "--yes", "--json",
        ],
    ));
    let twin = doc["launched"]["instance_ids"][0]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(doc["plan"]["like"]["id"], id.as_str(), "found by its Name");
    let t = instance(&e, &twin);
    assert_eq!(t["InstanceType"], "c5.large");
    assert_eq!(t["ImageId"], ami.as_str());

    let doc = json(&launch(
        &e,
        home.path(),
        &[
            "launch", "cheap", "--ami", &ami, "--type", "m5.large", "--spot", "--idle", "off",
            "--yes", "--json",
        ],
    ));
    let spot = doc["launched"]["instance_ids"][0]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(instance(&e, &spot)["InstanceLifecycle"], "spot");
    assert_eq!(doc["launched"]["spot"], true);
}

/// No capacity for the first type: the second is launched, and the output
/// says which was refused and what came next.
#[tokio::test(flavor = "multi_thread")]
async fn no_capacity_for_the_first_type_launches_the_second_and_says_so() {
    let (moto, _s) = common::empty().await;
    let proxy = common::faults::FaultProxy::start(
        &moto.endpoint(),
        serde_json::json!({"insufficient_types": ["g5.xlarge"]}),
    );
    let home = tempfile::tempdir().expect("home");
    let run = launch(
        &proxy.endpoint(),
        home.path(),
        &[
            "launch",
            "gpu",
            "--ami",
            "al2023",
            "--type",
            "g5.xlarge,g4dn.xlarge",
            "--idle",
            "off",
            "--yes",
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(
            "no capacity for g5.xlarge on demand (InsufficientInstanceCapacity): trying g4dn.xlarge on demand"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("launched gpu: 1 g4dn.xlarge on demand"),
        "{}",
        run.stdout
    );
    let ids = tagged(&moto.endpoint(), "Name", "gpu");
    assert_eq!(ids.len(), 1, "one machine, of the second type");
    assert_eq!(
        instance(&moto.endpoint(), &ids[0].0)["InstanceType"],
        "g4dn.xlarge"
    );
}

/// Nothing is launched without consent: no terminal and no --yes; and
/// read-only refuses launch and every cluster verb before anything is
/// sent.
#[tokio::test(flavor = "multi_thread")]
async fn without_consent_or_read_only_nothing_is_sent() {
    let sb = common::seeded().await;
    let e = sb.moto.endpoint();
    let home = tempfile::tempdir().expect("home");
    let recorder = common::Recorder::start(&e);
    let run = launch(
        &e,
        home.path(),
        &["launch", "box", "--ami", "al2023", "--type", "t3.micro"],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("no terminal to ask on (add --yes)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("launch 1 × box"),
        "the plan is shown: {}",
        run.stdout
    );
    let refused: Vec<Vec<&str>> = vec![
        vec![
            "launch", "box", "--ami", "al2023", "--type", "t3.micro", "--yes",
        ],
        vec![
            "cluster",
            "create",
            "new",
            "--workers",
            "2",
            "--ami",
            "al2023",
            "--type",
            "t3.micro",
            "--yes",
        ],
        vec!["cluster", "grow", "rnd", "1", "--yes"],
        vec!["cluster", "shrink", "rnd", "1", "--yes"],
        vec!["cluster", "delete", "rnd", "--confirm", "rnd"],
    ];
    for args in &refused {
        let mut all = vec!["--read-only"];
        all.extend_from_slice(args);
        let run = launch(&e, home.path(), &all);
        assert_ne!(run.code, 0, "{args:?}: {}{}", run.stdout, run.stderr);
        assert!(run.stderr.contains("read-only"), "{args:?}: {}", run.stderr);
    }
    let mutations = recorder.mutations();
    assert!(
        mutations.is_empty(),
        "nothing mutating was sent: {mutations:?}"
    );
}

/// A cluster from nothing: created, grown by 2, shrunk by 1 (the newest
/// worker goes), stopped, started master first, deleted — checked with the
/// AWS CLI at each step.
#[tokio::test(flavor = "multi_thread")]
async fn a_cluster_is_created_grown_shrunk_stopped_started_and_deleted() {
    let (moto, _s) = common::empty().await;
    let e = moto.endpoint();
    let home = tempfile::tempdir().expect("home");
    let made = launch(
        &e,
        home.path(),
        &[
            "cluster",
            "create",
            "lab",
            "--workers",
            "2",
            "--ami",
            "al2023",
            "--type",
            "m5.large",
            "--worker-type",
            "m5.xlarge",
            "--spot-workers",
            "--yes",
        ],
    );
    assert_eq!(made.code, 0, "{}{}", made.stdout, made.stderr);
    let nodes = tagged(&e, "skiff:cluster", "lab");
    assert_eq!(nodes.len(), 3, "{nodes:?}");
    let roles: Vec<&str> = nodes.iter().map(|n| n.1.as_str()).collect();
    assert_eq!(roles.iter().filter(|r| **r == "master").count(), 1);
    let master = nodes
        .iter()
        .find(|n| n.1 == "master")
        .expect("master")
        .0
        .clone();
    assert_eq!(instance(&e, &master)["InstanceType"], "m5.large");
    assert!(
        instance(&e, &master)["InstanceLifecycle"].is_null(),
        "the master on demand"
    );
    let worker = nodes
        .iter()
        .find(|n| n.1 == "worker")
        .expect("worker")
        .0
        .clone();
    assert_eq!(instance(&e, &worker)["InstanceType"], "m5.xlarge");
    assert_eq!(instance(&e, &worker)["InstanceLifecycle"], "spot");

    let ls = json(&launch(&e, home.path(), &["ls", "clusters", "--json"]));
    assert!(
        ls["clusters"]
            .as_array()
            .expect("clusters")
            .iter()
            .any(|c| c["name"] == "lab"),
        "every verb sees it: {ls}"
    );

    let grown = launch(&e, home.path(), &["cluster", "grow", "lab", "2", "--yes"]);
    assert_eq!(grown.code, 0, "{}{}", grown.stdout, grown.stderr);
    let after_grow = tagged(&e, "skiff:cluster", "lab");
    assert_eq!(after_grow.len(), 5, "{after_grow:?}");
    let new: Vec<String> = after_grow
        .iter()
        .map(|n| n.0.clone())
        .filter(|id| !nodes.iter().any(|n| &n.0 == id))
        .collect();
    assert_eq!(new.len(), 2);
    for id in &new {
        let i = instance(&e, id);
        assert_eq!(i["InstanceType"], "m5.xlarge", "like the workers");
        assert_eq!(tag(&i, "skiff:role"), Some("worker"));
    }

    let shrunk = json(&launch(
        &e,
        home.path(),
        &["cluster", "shrink", "lab", "1", "--yes", "--json"],
    ));
    let gone = shrunk["terminated"][0].as_str().expect("one").to_string();
    assert!(
        new.contains(&gone),
        "the newest worker goes: {gone} of {new:?}"
    );
    assert_eq!(tagged(&e, "skiff:cluster", "lab").len(), 4);

    let stop = launch(&e, home.path(), &["stop", "lab", "--wait"]);
    assert_eq!(stop.code, 0, "{}{}", stop.stdout, stop.stderr);
    assert!(
        tagged(&e, "skiff:cluster", "lab")
            .iter()
            .all(|n| n.2 == "stopped"),
        "{:?}",
        tagged(&e, "skiff:cluster", "lab")
    );
    let start = launch(&e, home.path(), &["start", "lab", "--wait"]);
    assert_eq!(start.code, 0, "{}{}", start.stdout, start.stderr);
    assert!(
        tagged(&e, "skiff:cluster", "lab")
            .iter()
            .all(|n| n.2 == "running")
    );

    let wrong = launch(
        &e,
        home.path(),
        &["cluster", "delete", "lab", "--confirm", "lbe"],
    );
    assert_eq!(wrong.code, 1);
    assert_eq!(
        tagged(&e, "skiff:cluster", "lab").len(),
        4,
        "nothing deleted"
    );
    let deleted = launch(
        &e,
        home.path(),
        &["cluster", "delete", "lab", "--confirm", "lab"],
    );
    assert_eq!(deleted.code, 0, "{}{}", deleted.stdout, deleted.stderr);
    assert!(tagged(&e, "skiff:cluster", "lab").is_empty());
    assert!(
        deleted.stdout.contains("deleted lab: terminated"),
        "{}",
        deleted.stdout
    );
    let alarms = common::aws_json(
        &e,
        REGION,
        &[
            "cloudwatch",
            "describe-alarms",
            "--alarm-name-prefix",
            "skiff-idle-lab-",
        ],
    );
    assert_eq!(
        alarms["MetricAlarms"].as_array().map(Vec::len),
        Some(0),
        "the idle alarms go with the nodes: {alarms}"
    );
}

/// `--save-recipe` writes [recipes.NAME] into a config file with comments,
/// keeping them and its order; the recipe then launches by name, and
/// `skiff recipes` lists it with its price.
#[tokio::test(flavor = "multi_thread")]
async fn a_saved_recipe_keeps_the_config_and_launches_by_name() {
    let (moto, _s) = common::empty().await;
    let e = moto.endpoint();
    let home = tempfile::tempdir().expect("home");
    let config = home.path().join("config.toml");
    let before = "# mine\n[general]\n# quicker\nrefresh_interval_secs = 30 # s\n\n[aws]\nregions = [\"us-east-1\"]\n";
    std::fs::write(&config, before).unwrap();
    let env = [("SKIFF_CONFIG", config.display().to_string())];
    let run = common::run_skiff_env(
        &e,
        home.path(),
        &env,
        &[
            "launch",
            "x",
            "--ami",
            "al2023",
            "--type",
            "m5.large",
            "--idle",
            "45m",
            "--save-recipe",
            "small",
            "--dry-run",
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let after = std::fs::read_to_string(&config).unwrap();
    assert!(
        after.starts_with(before),
        "comments and order kept:\n{after}"
    );
    assert!(after.contains("[recipes.small]"), "{after}");
    let listed = common::run_skiff_env(&e, home.path(), &env, &["recipes"]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let line = listed
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("small"))
        .unwrap_or_else(|| panic!("{}", listed.stdout));
    assert!(
        line.contains("m5.large") && line.contains("on demand $0.0960/h"),
        "{line}"
    );
    let run = common::run_skiff_env(
        &e,
        home.path(),
        &env,
        &["launch", "small", "--yes", "--json"],
    );
    let doc = json(&run);
    assert_eq!(doc["plan"]["spec"]["recipe"], "small");
    assert_eq!(doc["plan"]["idle"], "idle 45m");
    let id = doc["launched"]["instance_ids"][0]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(tag(&instance(&e, &id), "skiff:recipe"), Some("small"));
}

/// The TUI at 80x24: `L` checks the fields as they are typed, shows the
/// plan with its $/hour and launches on `y`; with workers it creates a
/// Spark cluster; `+` asks with the $/hour change and grows it, `-` asks
/// and shrinks it; `x`, `u` and `T` stop, start and delete it — the
/// cluster's whole life in the TUI, checked with the AWS CLI.
#[tokio::test(flavor = "multi_thread")]
async fn the_tui_launches_and_takes_a_cluster_through_its_life() {
    use crossterm::event::{KeyCode, KeyEvent};
    use skiff::tui::app::App;
    let (moto, _s) = common::empty().await;
    let e = moto.endpoint();
    let home = tempfile::tempdir().expect("home");
    let (mut app, mut rx) = common::tui_app(&e, home.path(), skiff::config::Config::defaults());
    common::pump_until(&mut app, &mut rx, 60, "connected", |a| {
        !a.busy() && a.world.context().is_some()
    })
    .await;
    let key = |app: &mut App, code: KeyCode| app.on_key(KeyEvent::from(code));
    let typed = |app: &mut App, text: &str| {
        for c in text.chars() {
            app.on_key(KeyEvent::from(KeyCode::Char(c)));
        }
    };
    let screen = |app: &mut App| {
        skiff::tui::ui::buffer_text(&skiff::tui::screens::render(app, 80, 24).expect("render"))
    };
    let said = |app: &App, start: &str| app.notes.iter().any(|n| n.text.starts_with(start));
    let question = skiff::tui::resource::launch::LAUNCH_QUESTION;
    let nodes = |state: &str| {
        tagged(&e, "skiff:cluster", "lab")
            .iter()
            .filter(|n| n.2 == state)
            .count()
    };

    key(&mut app, KeyCode::Char('L'));
    assert_eq!(app.mode(), skiff::tui::popups::launch::LAUNCH);
    assert!(
        screen(&mut app).contains("✓ 1 × cpu"),
        "{}",
        screen(&mut app)
    );
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Backspace);
    typed(&mut app, "x");
    assert!(
        screen(&mut app).contains("✗ count: `x` is not a number"),
        "{}",
        screen(&mut app)
    );
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.mode(),
        skiff::tui::popups::launch::LAUNCH,
        "bad input keeps the dialog"
    );
    key(&mut app, KeyCode::Backspace);
    typed(&mut app, "2");
    key(&mut app, KeyCode::Enter);
    common::pump_until(&mut app, &mut rx, 30, "the plan", |a| a.mode() == question).await;
    let text = screen(&mut app);
    assert!(
        text.contains("Launch cpu?") && text.contains("launch 2 × cpu"),
        "{text}"
    );
    assert!(text.contains("costs:"), "the $/hour: {text}");
    key(&mut app, KeyCode::Char('y'));
    common::pump_until(&mut app, &mut rx, 30, "launched", |a| {
        said(a, "launched cpu")
    })
    .await;
    assert_eq!(tagged(&e, "Name", "cpu").len(), 2);

    // A cluster: the same dialog with a name and workers.
    key(&mut app, KeyCode::Char('L'));
    key(&mut app, KeyCode::Down);
    for _ in 0..3 {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "lab");
    for _ in 0..4 {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Backspace);
    typed(&mut app, "1");
    assert!(
        screen(&mut app).contains("✓ Spark cluster lab: a master (on demand) and 1 workers"),
        "{}",
        screen(&mut app)
    );
    key(&mut app, KeyCode::Enter);
    common::pump_until(&mut app, &mut rx, 30, "the cluster plan", |a| {
        a.mode() == question
    })
    .await;
    assert!(
        screen(&mut app).contains("Create the cluster lab?"),
        "{}",
        screen(&mut app)
    );
    key(&mut app, KeyCode::Char('y'));
    common::pump_until(&mut app, &mut rx, 30, "created", |a| said(a, "created lab")).await;
    assert_eq!(
        nodes("running") + nodes("pending"),
        2,
        "a master and a worker"
    );

    key(&mut app, KeyCode::Char('2'));
    common::pump_until(&mut app, &mut rx, 30, "listed", |a| {
        !a.busy()
            && a.world
                .inventory
                .spark_clusters
                .iter()
                .any(|c| c.name == "lab")
    })
    .await;
    key(&mut app, KeyCode::Char('+'));
    common::pump_until(&mut app, &mut rx, 30, "the grow plan", |a| {
        a.mode() == question
    })
    .await;
    let text = screen(&mut app);
    assert!(text.contains("Grow lab?"), "{text}");
    assert!(text.contains("goes up by $"), "{text}");
    key(&mut app, KeyCode::Char('y'));
    common::pump_until(&mut app, &mut rx, 30, "grown", |a| {
        said(a, "launched lab-worker")
    })
    .await;
    assert_eq!(
        tagged(&e, "skiff:cluster", "lab").len(),
        3,
        "a master and two workers"
    );
    common::pump_until(&mut app, &mut rx, 30, "relisted", |a| {
        !a.busy()
            && a.world
                .inventory
                .spark_clusters
                .iter()
                .any(|c| c.name == "lab" && c.workers.len() == 2)
    })
    .await;
    key(&mut app, KeyCode::Char('-'));
    assert_eq!(app.mode(), question);
    assert!(
        screen(&mut app).contains("Shrink lab?"),
        "{}",
        screen(&mut app)
    );
    key(&mut app, KeyCode::Char('y'));
    common::pump_until(&mut app, &mut rx, 30, "shrunk", |a| {
        said(a, "lab: terminating")
    })
    .await;
    assert_eq!(tagged(&e, "skiff:cluster", "lab").len(), 2);

    // Stop, start and delete with the lifecycle keys.
    common::pump_until(&mut app, &mut rx, 30, "relisted", |a| {
        !a.busy()
            && a.world
                .inventory
                .spark_clusters
                .iter()
                .any(|c| c.name == "lab" && c.workers.len() == 1)
    })
    .await;
    key(&mut app, KeyCode::Char('x'));
    key(&mut app, KeyCode::Char('y'));
    until(&mut app, &mut rx, "stopped", || nodes("stopped") == 2).await;
    let lab_is = |state: skiff::model::ClusterState| {
        move |a: &App| {
            !a.busy()
                && a.world
                    .inventory
                    .spark_clusters
                    .iter()
                    .any(|c| c.name == "lab" && c.state == state)
        }
    };
    app.refresh();
    common::pump_until(
        &mut app,
        &mut rx,
        30,
        "listed stopped",
        lab_is(skiff::model::ClusterState::Stopped),
    )
    .await;
    key(&mut app, KeyCode::Char('u'));
    if app.mode() != skiff::tui::ctx::Mode::NORMAL {
        key(&mut app, KeyCode::Char('y'));
    }
    until(&mut app, &mut rx, "started", || nodes("running") == 2).await;
    app.refresh();
    common::pump_until(
        &mut app,
        &mut rx,
        30,
        "listed running",
        lab_is(skiff::model::ClusterState::Running),
    )
    .await;
    key(&mut app, KeyCode::Char('T'));
    typed(&mut app, "lab");
    key(&mut app, KeyCode::Enter);
    until(&mut app, &mut rx, "deleted", || {
        tagged(&e, "skiff:cluster", "lab").is_empty()
    })
    .await;
}

/// Feeds the app its messages and ticks until `done` (checked against AWS)
/// holds; fails naming `what` after a minute.
async fn until(
    app: &mut skiff::tui::app::App,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<skiff::tui::msg::Msg>,
    what: &str,
    done: impl Fn() -> bool,
) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: {:?}",
            app.notes.iter().map(|n| &n.text).collect::<Vec<_>>()
        );
        for _ in 0..5 {
            while let Ok(m) = rx.try_recv() {
                app.on_msg(m);
            }
            app.on_tick();
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

/// A what-is-my-address service on loopback (standing in for
/// checkip.amazonaws.com), answering `address` to every GET.
async fn address_service(address: &'static str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = [0u8; 2048];
            let _ = s.read(&mut buf).await;
            let body = format!("{address}\n");
            let _ = s
                .write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                )
                .await;
        }
    });
    format!("http://{addr}/")
}

/// With no security group given, skiff's own: made only once the user
/// agreed, it lets exactly this machine's address (/32) reach port 22 and
/// nothing else; the next launch reuses it.
#[tokio::test(flavor = "multi_thread")]
async fn skiffs_ssh_group_opens_port_22_to_one_address_only() {
    let (moto, _s) = common::empty().await;
    let e = moto.endpoint();
    let home = tempfile::tempdir().expect("home");
    let env = [("SKIFF_MY_IP_URL", address_service("203.0.113.7").await)];
    let run = |args: &[&str]| {
        let mut all = vec!["--region", REGION];
        all.extend_from_slice(args);
        common::run_skiff_env(&e, home.path(), &env, &all)
    };
    let groups = || {
        common::aws_json(
            &e,
            REGION,
            &[
                "ec2",
                "describe-security-groups",
                "--filters",
                "Name=group-name,Values=skiff-ssh",
            ],
        )["SecurityGroups"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let asked = run(&["launch", "box", "--ami", "al2023", "--type", "t3.micro"]);
    assert_eq!(asked.code, 1, "{}{}", asked.stdout, asked.stderr);
    assert!(
        asked
            .stdout
            .contains("security group skiff-ssh (new in vpc-")
            && asked.stdout.contains("tcp 22 from 203.0.113.7/32 only"),
        "the rule is shown: {}",
        asked.stdout
    );
    assert!(groups().is_empty(), "nothing made without consent");

    let doc = json(&run(&[
        "launch", "box", "--ami", "al2023", "--type", "t3.micro", "--yes", "--json",
    ]));
    let id = doc["launched"]["instance_ids"][0]
        .as_str()
        .expect("id")
        .to_string();
    let made = groups();
    assert_eq!(made.len(), 1, "{made:?}");
    let group = &made[0];
    let rules = group["IpPermissions"].as_array().expect("rules");
    assert_eq!(rules.len(), 1, "{rules:?}");
    assert_eq!(rules[0]["IpProtocol"], "tcp");
    assert_eq!(rules[0]["FromPort"], 22);
    assert_eq!(rules[0]["ToPort"], 22);
    let ranges: Vec<&str> = rules[0]["IpRanges"]
        .as_array()
        .expect("ranges")
        .iter()
        .filter_map(|r| r["CidrIp"].as_str())
        .collect();
    assert_eq!(ranges, ["203.0.113.7/32"], "never 0.0.0.0/0");
    let launched = instance(&e, &id);
    let attached: Vec<&str> = launched["SecurityGroups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["GroupName"].as_str())
        .collect();
    assert_eq!(attached, ["skiff-ssh"]);

    let again = run(&[
        "launch", "box2", "--ami", "al2023", "--type", "t3.micro", "--yes",
    ]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    assert!(
        again.stdout.contains(", has the rule): tcp 22"),
        "{}",
        again.stdout
    );
    assert_eq!(groups().len(), 1, "reused, not made again");
}

/// The plan's $/hour (compute, disk, public address) is what `skiff cost`
/// then bills the launched machines at.
#[tokio::test(flavor = "multi_thread")]
async fn the_plans_price_is_what_skiff_cost_bills_afterwards() {
    let (moto, _s) = common::empty().await;
    let e = moto.endpoint();
    let home = tempfile::tempdir().expect("home");
    let doc = json(&launch(
        &e,
        home.path(),
        &[
            "launch", "priced", "--ami", "al2023", "--type", "m5.large", "--count", "2", "--disk",
            "30", "--idle", "off", "--yes", "--json",
        ],
    ));
    let planned = doc["usd_per_hour"].as_str().map_or_else(
        || doc["usd_per_hour"].as_f64().expect("a price"),
        |s| s.parse::<f64>().expect("a number"),
    );
    let ids: Vec<String> = doc["launched"]["instance_ids"]
        .as_array()
        .expect("ids")
        .iter()
        .filter_map(|i| i.as_str().map(str::to_string))
        .collect();
    assert_eq!(ids.len(), 2);
    let cost = json(&launch(&e, home.path(), &["cost", "--json"]));
    let billed: f64 = cost["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| ids.iter().any(|id| i["id"] == id.as_str()))
        .map(|i| i["hourly_usd"].as_f64().expect("hourly"))
        .sum();
    assert!(
        (planned - billed).abs() < 1e-6,
        "planned {planned}/h, billed {billed}/h: {cost}"
    );
}
