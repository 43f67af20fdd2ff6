//! Costs on the sandbox, checked against list prices written here by hand
//! (not skiff's price code) and the SDK's own view of the instances.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a failed expectation is the failure

mod common;

use common::Sdk;

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

/// Expected $/hour per cost item, from the SDK: an instance's compute while
/// running, IPv4 while it holds a public address, EBS always; an EMR node's
/// IPv4 and EBS, its compute and EMR fee in its instance group (running
/// count × (EC2 rate + EMR fee), spot from the spot price history). Items are
/// (run part, EBS part) by id (an instance id, or `cluster/group`).
async fn expected(session: &skiff::cloud::Session) -> HashMap<String, (f64, f64)> {
    let mut out = HashMap::new();
    for region in ["us-east-1", "eu-west-1"] {
        let ec2 = session.ec2_client(region);
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
            let compute = if running && !emr {
                list_price(region, &ty)
            } else {
                0.0
            };
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
    // EMR (the emulator answers for us-east-1 whatever the region).
    let emr = session.emr_client("us-east-1");
    let ec2 = session.ec2_client("us-east-1");
    for c in emr
        .list_clusters()
        .send()
        .await
        .expect("clusters")
        .clusters()
    {
        let id = c.id().expect("id");
        let described = emr
            .describe_cluster()
            .cluster_id(id)
            .send()
            .await
            .expect("cluster");
        let az = described
            .cluster()
            .and_then(|c| c.ec2_instance_attributes())
            .and_then(|a| a.ec2_availability_zone())
            .map(str::to_string);
        let groups = emr
            .list_instance_groups()
            .cluster_id(id)
            .send()
            .await
            .expect("groups");
        for g in groups.instance_groups() {
            let ty = g.instance_type().expect("type");
            let running = f64::from(g.running_instance_count().unwrap_or(0));
            let ec2_rate = if g.market().map(|m| m.as_str()) == Some("SPOT") {
                let history = ec2
                    .describe_spot_price_history()
                    .instance_types(ty.into())
                    .availability_zone(az.clone().expect("the cluster's zone"))
                    .send()
                    .await
                    .expect("spot history");
                history.spot_price_history()[0]
                    .spot_price()
                    .expect("price")
                    .parse::<f64>()
                    .expect("number")
            } else {
                list_price("us-east-1", ty)
            };
            out.insert(
                format!("{id}/{}", g.id().expect("group id")),
                (running * (ec2_rate + emr_fee(ty)), 0.0),
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
    // The ledger kept the run: today's cost did not go back to zero.
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

/// Runs the binary against moto with `extra` environment; (status, stdout, stderr).
fn skiff(
    endpoint: &str,
    home: &std::path::Path,
    extra: &[(&str, String)],
    args: &[&str],
) -> (bool, String, String) {
    let out = Command::cargo_bin("skiff")
        .expect("binary")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(common::cli_env(endpoint, home))
        .envs(extra.iter().cloned())
        .args(args)
        .output()
        .expect("run");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The fake Pricing API (tests/fixtures/pricing_server.py) on a free port.
struct PricingServer {
    child: std::process::Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl PricingServer {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let port = common::sshd::free_port();
        let script = std::path::Path::new(
            &std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
        )
        .join("tests/fixtures/pricing_server.py");
        let child = std::process::Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .current_dir(dir.path())
            .stdin(std::process::Stdio::null())
            .spawn()
            .expect("python3 pricing server");
        common::sshd::wait_for_port(port);
        Self { child, port, dir }
    }

    fn requests(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.path().join("requests.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("logged request"))
            .collect()
    }
}

impl Drop for PricingServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn hourly_by_id(doc: &Value) -> HashMap<String, (f64, String, String)> {
    doc["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["id"].as_str().expect("id").to_string(),
                (
                    i["hourly_usd"].as_f64().unwrap_or(f64::NAN),
                    i["price_source"].as_str().unwrap_or_default().to_string(),
                    i["state"].as_str().unwrap_or_default().to_string(),
                ),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn refreshed_prices_win_over_the_table_and_a_failed_region_keeps_nothing_wrong() {
    let sb = common::seeded().await;
    let e = sb.moto.endpoint();
    let pricing = PricingServer::start();
    let home = tempfile::tempdir().expect("home");
    let with_pricing = [(
        "AWS_ENDPOINT_URL_PRICING",
        format!("http://127.0.0.1:{}", pricing.port),
    )];

    // Without a cache: the embedded table.
    let table = hourly_by_id(&cost_json(&e, home.path()));

    // The fake API knows us-east-1 only: eu-west-1 fails, us-east-1 is kept.
    let (ok, stdout, stderr) = skiff(
        &e,
        home.path(),
        &with_pricing,
        &[
            "--region",
            "us-east-1",
            "--region",
            "eu-west-1",
            "prices",
            "refresh",
        ],
    );
    assert!(!ok, "a failed region makes the exit code non-zero");
    assert!(
        stdout.contains(
            "us-east-1: 3 instance types, 2 EBS volume types, 2 EMR fees, S3 Standard $0.0241/GB-month"
        ),
        "{stdout}"
    );
    assert!(stderr.contains("eu-west-1"), "{stderr}");
    // Every instance query pinned the one Linux, shared, on-demand SKU.
    let instance_queries: Vec<Value> = pricing
        .requests()
        .into_iter()
        .filter(|r| {
            r["Filters"]
                .as_array()
                .expect("filters")
                .iter()
                .any(|f| f["Value"] == "Compute Instance")
        })
        .collect();
    assert!(instance_queries.len() >= 2, "paged: {instance_queries:?}");
    for q in &instance_queries {
        assert_eq!(q["ServiceCode"], "AmazonEC2");
        for (field, value) in [
            ("operatingSystem", "Linux"),
            ("tenancy", "Shared"),
            ("preInstalledSw", "NA"),
            ("capacitystatus", "Used"),
        ] {
            assert!(
                q["Filters"]
                    .as_array()
                    .expect("filters")
                    .iter()
                    .any(|f| f["Field"] == field
                        && f["Value"] == value
                        && f["Type"] == "TERM_MATCH"),
                "{field} in {q}"
            );
        }
    }
    let (_, status, _) = skiff(&e, home.path(), &[], &["prices", "status"]);
    assert!(status.contains("us-east-1: 3 instance types"), "{status}");

    // The cache now wins for us-east-1's m5.large, m5.xlarge and t3.medium;
    // eu-west-1 still uses the table.
    let cached = hourly_by_id(&cost_json(&e, home.path()));
    let fetched = |ty: &str| match ty {
        "m5.large" => 0.1234,
        "m5.xlarge" => 0.2468,
        "t3.medium" => 0.0555,
        _ => f64::NAN,
    };
    let mut changed = 0;
    for region in ["us-east-1", "eu-west-1"] {
        let described = sb
            .session
            .ec2_client(region)
            .describe_instances()
            .send()
            .await
            .expect("instances");
        for i in described.reservations().iter().flat_map(|r| r.instances()) {
            let id = i.instance_id().expect("id");
            let ty = i.instance_type().expect("type").as_str();
            let (before, _, state) = &table[id];
            let (after, source, _) = &cached[id];
            let emr_node = i
                .tags()
                .iter()
                .any(|t| t.key() == Some("aws:elasticmapreduce:job-flow-id"));
            if region == "us-east-1" && state == "running" && !emr_node {
                let delta = fetched(ty) - list_price(region, ty);
                assert!(
                    close(after - before, delta),
                    "{id} {ty}: {before} → {after}"
                );
                assert_eq!(source, "pricing API", "{id}");
                changed += 1;
            } else {
                assert!(close(*after, *before), "{id} {ty} in {region} unchanged");
            }
        }
    }
    assert!(
        changed >= 5,
        "running us-east-1 instances repriced: {changed}"
    );
    // The EMR groups: the fetched on-demand rate and the fetched EMR fee
    // (MASTER 1 and CORE 2 × m5.xlarge: 0.2468 + 0.0555), the TASK group's
    // spot price with the fetched fee for m5.large (0.0277).
    let groups: Vec<(&String, &(f64, String, String))> = cached
        .iter()
        .filter(|(id, _)| id.starts_with("j-"))
        .collect();
    assert_eq!(groups.len(), 3, "{groups:?}");
    let on_demand: f64 = groups
        .iter()
        .filter(|(_, (_, source, _))| !source.starts_with("spot"))
        .map(|(_, (h, _, _))| h)
        .sum();
    assert!(close(on_demand, 3.0 * (0.2468 + 0.0555)), "{groups:?}");
    let task = groups
        .iter()
        .find(|(_, (_, source, _))| source.starts_with("spot"))
        .expect("the spot TASK group");
    let table_task = &table[task.0.as_str()];
    assert!(
        close(task.1.0 - table_task.0, 2.0 * (0.0277 - 0.024)),
        "{task:?} vs {table_task:?}"
    );

    // Automatic refresh: with prices_max_age_days set, `skiff cost` fills an
    // empty cache itself (and says that eu-west-1 could not be fetched).
    let auto = tempfile::tempdir().expect("home");
    std::fs::create_dir_all(auto.path().join("config")).expect("config dir");
    std::fs::write(
        auto.path().join("config/config.toml"),
        "[costs]\nprices_max_age_days = 7\n",
    )
    .expect("config");
    let (ok, stdout, stderr) = skiff(
        &e,
        auto.path(),
        &with_pricing,
        &[
            "--region",
            "us-east-1",
            "--region",
            "eu-west-1",
            "cost",
            "--json",
        ],
    );
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("automatic price refresh") && stderr.contains("eu-west-1"),
        "{stderr}"
    );
    assert!(auto.path().join("cache/prices.json").exists());
    let auto_doc = hourly_by_id(&serde_json::from_str(&stdout).expect("json"));
    for (id, (hourly, source, _)) in &cached {
        assert!(close(auto_doc[id].0, *hourly), "{id}");
        assert_eq!(&auto_doc[id].1, source, "{id}");
    }

    // A damaged cache is ignored (the table again), never a crash or $0.
    std::fs::write(home.path().join("cache/prices.json"), "{damaged").expect("damage");
    let again = hourly_by_id(&cost_json(&e, home.path()));
    for (id, (hourly, _, _)) in &table {
        assert!(close(again[id].0, *hourly), "{id}");
    }
}

/// POST a JSON body to moto's control API.
fn moto_api(endpoint: &str, path: &str, body: &str) {
    use std::io::{Read, Write};
    let addr = endpoint.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).expect("moto");
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("read");
    assert!(answer.starts_with("HTTP/1.1 20"), "{answer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bucket_storage_and_the_billed_month_come_from_cloudwatch_and_cost_explorer() {
    let sb = common::seeded().await;
    let e = sb.moto.endpoint();
    let home = tempfile::tempdir().expect("home");
    std::fs::create_dir_all(home.path().join("config")).expect("config dir");
    std::fs::write(
        home.path().join("config/config.toml"),
        "[costs]\ncost_explorer = true\n",
    )
    .expect("config");
    let result = |usd: &str| {
        format!(
            r#"{{"results":[{{"ResultsByTime":[{{"TimePeriod":{{"Start":"2026-11-01","End":"2026-11-22"}},"Total":{{"UnblendedCost":{{"Amount":"{usd}","Unit":"USD"}}}},"Groups":[],"Estimated":true}}]}}]}}"#
        )
    };
    moto_api(
        &e,
        "/moto-api/static/ce/cost-and-usage-results",
        &result("42.17"),
    );

    let doc = cost_json(&e, home.path());
    // Sizes: what CloudWatch reports, asked here through the SDK. (moto's
    // BucketSizeBytes is its own approximation, not the objects' byte sum,
    // so the test compares with CloudWatch, not with a listing.)
    let now = aws_smithy_types::DateTime::from_secs(chrono::Utc::now().timestamp());
    let stats = sb
        .session
        .cloudwatch_client("us-east-1")
        .get_metric_statistics()
        .namespace("AWS/S3")
        .metric_name("BucketSizeBytes")
        .dimensions(
            aws_sdk_cloudwatch::types::Dimension::builder()
                .name("BucketName")
                .value("rnd-datasets")
                .build(),
        )
        .dimensions(
            aws_sdk_cloudwatch::types::Dimension::builder()
                .name("StorageType")
                .value("StandardStorage")
                .build(),
        )
        .start_time(aws_smithy_types::DateTime::from_secs(
            now.secs() - 3 * 86_400,
        ))
        .end_time(aws_smithy_types::DateTime::from_secs(now.secs() + 1))
        .period(86_400)
        .statistics(aws_sdk_cloudwatch::types::Statistic::Average)
        .send()
        .await
        .expect("statistics");
    let bytes = stats.datapoints()[0].average().expect("average") as i64;
    assert!(bytes > 0);
    let storage = doc["storage"].as_array().expect("storage");
    let datasets = storage
        .iter()
        .find(|s| s["bucket"] == "rnd-datasets")
        .expect("rnd-datasets");
    assert_eq!(datasets["bytes"].as_i64(), Some(bytes));
    let monthly = datasets["monthly_usd"].as_f64().expect("priced");
    assert!(close(monthly, bytes as f64 / 1_073_741_824.0 * 0.023));
    assert_eq!(storage.len(), 3, "every bucket: {storage:?}");

    let billed = &doc["billed_month_to_date"];
    assert!(
        close(billed["usd"].as_f64().expect("usd"), 42.17),
        "{billed}"
    );
    assert_eq!(billed["estimated"], true);
    assert!(billed["note"].as_str().expect("note").contains("delayed"));

    // Within 12 hours the cached figure is used: no new (paid) request. The
    // cache is marked to tell its figure from Cost Explorer's.
    let cache = home.path().join("cache/cost-explorer.json");
    let mut cached: Value =
        serde_json::from_slice(&std::fs::read(&cache).expect("cached")).expect("json");
    cached["usd"] = 7.0.into();
    std::fs::write(&cache, cached.to_string()).expect("mark");
    let billed = |doc: Value| doc["billed_month_to_date"]["usd"].as_f64().expect("usd");
    assert!(close(billed(cost_json(&e, home.path())), 7.0));
    // Older than 12 hours: asked again.
    let at = chrono::Utc::now() - chrono::Duration::hours(13);
    cached["fetched_at"] = serde_json::to_value(at).expect("time");
    std::fs::write(&cache, cached.to_string()).expect("age");
    assert!(close(billed(cost_json(&e, home.path())), 42.17));

    // Off by default: no Cost Explorer figure, no request.
    let plain = tempfile::tempdir().expect("home");
    assert!(cost_json(&e, plain.path())["billed_month_to_date"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_costs_view_shows_storage_per_bucket_fetched_in_the_background() {
    use crossterm::event::{KeyCode, KeyEvent};
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let (mut app, mut rx) = common::tui_app(
        &sb.moto.endpoint(),
        home.path(),
        skiff::config::Config::defaults(),
    );
    // The sizes arrive after the inventory, without a key press.
    common::pump_until(&mut app, &mut rx, 30, "bucket sizes", |app| {
        app.world.storage.len() == 3 && !app.busy()
    })
    .await;
    app.on_key(KeyEvent::from(KeyCode::Char('4')));
    assert_eq!(app.view(), skiff::tui::views::costs::ID);
    for _ in 0..3 {
        app.on_key(KeyEvent::from(KeyCode::Char('b')));
    }
    let rows = app.rows();
    let names: Vec<&str> = rows.iter().map(|r| r.cells[0].text.as_str()).collect();
    assert_eq!(
        names.len(),
        3,
        "one row per bucket in the storage breakdown: {names:?}"
    );
    let datasets = rows
        .iter()
        .find(|r| r.cells[0].text == "rnd-datasets")
        .expect("rnd-datasets row");
    assert!(
        datasets.cells[1].text.ends_with('B'),
        "size shown: {:?}",
        datasets.cells[1].text
    );
    assert!(
        datasets.cells[3].text.starts_with('$'),
        "us-east-1 storage is priced: {:?}",
        datasets.cells[3].text
    );
    assert_eq!(app.columns()[1].title, "SIZE");
    // Cost Explorer is off by default: nothing asked, nothing shown.
    assert!(app.world.billed.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_spot_instance_is_priced_from_the_spot_price_history_in_the_cli_and_the_tui() {
    use aws_sdk_ec2::types::{InstanceMarketOptionsRequest, InstanceType, MarketType};
    let (moto, session) = common::empty().await;
    let ec2 = session.ec2_client("us-east-1");
    let launched = ec2
        .run_instances()
        .image_id("ami-1e749f67")
        .instance_type(InstanceType::M5Large)
        .min_count(1)
        .max_count(1)
        .instance_market_options(
            InstanceMarketOptionsRequest::builder()
                .market_type(MarketType::Spot)
                .build(),
        )
        .send()
        .await
        .expect("spot instance");
    let id = launched.instances()[0]
        .instance_id()
        .expect("id")
        .to_string();
    // What the spot market says, asked here through the SDK.
    let az = launched.instances()[0]
        .placement()
        .and_then(|p| p.availability_zone())
        .expect("az")
        .to_string();
    let history = ec2
        .describe_spot_price_history()
        .instance_types(InstanceType::M5Large)
        .availability_zone(&az)
        .send()
        .await
        .expect("history");
    let spot: f64 = history.spot_price_history()[0]
        .spot_price()
        .expect("price")
        .parse()
        .expect("number");
    assert!(!close(spot, 0.096), "the spot price differs from on-demand");

    let home = tempfile::tempdir().expect("home");
    let (ok, stdout, stderr) = skiff(
        &moto.endpoint(),
        home.path(),
        &[],
        &["--region", "us-east-1", "cost", "--json"],
    );
    assert!(ok, "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).expect("json");
    let item = doc["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == id.as_str())
        .expect("the spot instance")
        .clone();
    assert_eq!(item["price_source"], "spot", "{item}");
    assert_eq!(doc["complete"], true, "{}", doc["unknown"]);

    // The TUI fetches the same price in the background.
    let (mut app, mut rx) = common::tui_app(
        &moto.endpoint(),
        home.path(),
        skiff::config::Config::defaults(),
    );
    common::pump_until(&mut app, &mut rx, 30, "the TUI's spot price", |app| {
        app.world
            .costs
            .as_ref()
            .and_then(|c| c.item(&id))
            .is_some_and(|i| i.price_source == "spot")
    })
    .await;
    let tui = app
        .world
        .costs
        .as_ref()
        .and_then(|c| c.item(&id))
        .expect("item");
    assert!(
        close(
            tui.hourly.known.to_f64(),
            item["hourly_usd"].as_f64().expect("hourly")
        ),
        "TUI and CLI agree on the spot instance's $/h"
    );
}
