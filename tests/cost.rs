//! Costs on the sandbox, checked against list prices written here by hand
//! (not skiff's price code) and the SDK's own view of the instances.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a failed expectation is the failure

mod common;

use std::collections::HashMap;

use assert_cmd::Command;
use serde_json::Value;

/// On-demand $/hour by (region, type) for the sandbox's types, and EMR fees.
fn list_price(region: &str, ty: &str) -> f64 {
    match (region, ty) {
        ("us-east-1", "t3.medium") => 0.0416,
        ("us-east-1", "m5.large") => 0.096,
        ("us-east-1", "m5.xlarge") => 0.192,
        ("eu-west-1", "t3.large") => 0.0912,
        ("eu-west-1", "r5.large") => 0.141,
        other => panic!("no list price in the test for {other:?}"),
    }
}

fn emr_fee(ty: &str) -> f64 {
    match ty {
        "m5.large" => 0.024,
        "m5.xlarge" => 0.048,
        other => panic!("no EMR fee in the test for {other}"),
    }
}

fn ebs_gb_month(region: &str, kind: &str) -> f64 {
    match (region, kind) {
        ("us-east-1", "gp2") => 0.10,
        ("us-east-1", "gp3") => 0.08,
        ("eu-west-1", "gp2") => 0.11,
        ("eu-west-1", "gp3") => 0.088,
        other => panic!("no EBS price in the test for {other:?}"),
    }
}

fn cost_json(endpoint: &str, home: &std::path::Path) -> Value {
    let out = Command::cargo_bin("skiff")
        .expect("binary")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(common::cli_env(endpoint, home))
        .args([
            "--region",
            "us-east-1",
            "--region",
            "eu-west-1",
            "cost",
            "--json",
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

/// Expected $/hour per instance id, from the SDK: compute + EMR fee while
/// running, IPv4 while it holds a public address, EBS always.
async fn expected(session: &skiff::cloud::Session) -> HashMap<String, (f64, f64)> {
    let mut out = HashMap::new();
    for region in ["us-east-1", "eu-west-1"] {
        let ec2 = session.ec2(region);
        let volumes = ec2.describe_volumes().send().await.expect("volumes");
        let mut ebs: HashMap<String, f64> = HashMap::new();
        for v in volumes.volumes() {
            let gb = f64::from(v.size().expect("size"));
            let kind = v.volume_type().expect("type").as_str().to_string();
            for a in v.attachments() {
                *ebs.entry(a.instance_id().expect("id").to_string())
                    .or_default() += gb * ebs_gb_month(region, &kind) / 730.0;
            }
        }
        let described = ec2.describe_instances().send().await.expect("instances");
        for i in described.reservations().iter().flat_map(|r| r.instances()) {
            let id = i.instance_id().expect("id").to_string();
            let ty = i.instance_type().expect("type").as_str().to_string();
            let running = i.state().and_then(|s| s.name()).map(|n| n.as_str()) == Some("running");
            let emr = i
                .tags()
                .iter()
                .any(|t| t.key() == Some("aws:elasticmapreduce:job-flow-id"));
            let mut compute = 0.0;
            if running {
                compute = list_price(region, &ty) + if emr { emr_fee(&ty) } else { 0.0 };
            }
            let ipv4 = if i.public_ip_address().is_some_and(|a| !a.is_empty()) {
                0.005
            } else {
                0.0
            };
            out.insert(
                id.clone(),
                (compute + ipv4, ebs.get(&id).copied().unwrap_or(0.0)),
            );
        }
    }
    out
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-5
}

#[tokio::test(flavor = "multi_thread")]
async fn the_burn_rate_is_the_sum_of_list_prices_and_a_stop_removes_exactly_compute() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let e = sb.moto.endpoint();

    let before = cost_json(&e, home.path());
    let want = expected(&sb.session).await;
    // The stopped m4.large nodes have no embedded price, but they are not
    // running: nothing unknown is being paid for.
    assert_eq!(before["complete"], true, "{}", before["unknown"]);
    let total: f64 = want.values().map(|(run, ebs)| run + ebs).sum();
    let burn = before["burn_rate_usd_per_hour"].as_f64().expect("burn");
    assert!(close(burn, total), "burn {burn} != list-price sum {total}");
    for item in before["items"].as_array().expect("items") {
        let id = item["id"].as_str().expect("id");
        let (run, ebs) = want[id];
        assert!(
            close(item["hourly_usd"].as_f64().expect("hourly"), run + ebs),
            "{id}"
        );
    }

    // Stop rnd: its compute goes (and the public IPv4 addresses AWS releases
    // on stop); its EBS keeps accruing.
    let out = Command::cargo_bin("skiff")
        .expect("binary")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(common::cli_env(&e, home.path()))
        .args([
            "--region",
            "us-east-1",
            "stop",
            "rnd",
            "--wait",
            "--timeout",
            "30",
        ])
        .output()
        .expect("stop");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = cost_json(&e, home.path());
    let rnd: Vec<&String> = sb
        .seeded
        .instances
        .iter()
        .filter(|(n, _)| n.starts_with("rnd-"))
        .map(|(_, (id, _))| id)
        .collect();
    assert_eq!(rnd.len(), 4);
    let dropped = burn - after["burn_rate_usd_per_hour"].as_f64().expect("burn");
    let rnd_compute: f64 = rnd.iter().map(|id| want[id.as_str()].0).sum();
    assert!(
        close(dropped, rnd_compute),
        "dropped {dropped}, rnd's compute + IPv4 {rnd_compute}"
    );
    assert!(close(rnd_compute, 4.0 * (0.192 + 0.005)));
    for item in after["items"].as_array().expect("items") {
        let id = item["id"].as_str().expect("id");
        if rnd.iter().any(|r| r.as_str() == id) {
            assert_eq!(item["state"], "stopped");
            assert!(
                close(item["hourly_usd"].as_f64().expect("hourly"), want[id].1),
                "{id}: EBS only"
            );
            assert!(want[id].1 > 0.0);
        }
    }
    // The journal kept the run: today's cost did not go back to zero.
    let today = after["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == rnd[0].as_str())
        .expect("node")["today_usd"]
        .as_f64()
        .expect("today");
    assert!(today > 0.0, "the stopped node's run today is remembered");
}
