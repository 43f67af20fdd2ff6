//! skiff on a bad network and against AWS's real timing, through the fault
//! fixture (`tests/fixtures/fault_proxy.py`) in front of a real moto:
//! throttling in each protocol's own words, resets, answers cut half-way,
//! instances that stay pending or stopping, a node without capacity, and a
//! big account served in pages. What skiff did is checked against moto
//! directly (not through the proxy) with the tests' own SDK clients.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a failed expectation is the failure

mod common;

use std::path::Path;

use common::faults::FaultProxy;
use common::{Run, Sdk};
use serde_json::{Value, json};

/// The rates the issue asks for: 8 % throttled, 3 % reset before an answer,
/// 5 % cut half-way through their bodies.
fn bad_network(seed: u64) -> Value {
    json!({"seed": seed, "throttle": 0.08, "reset": 0.03, "cut": 0.05})
}

/// skiff through `endpoint` with its default retries (the sandbox's
/// options retry nothing; these runs use what a user gets), except that the
/// first retry waits 50 ms, not a second: what is tested is which calls are
/// retried and how often, not the clock.
fn skiff(endpoint: &str, home: &Path, args: &[&str]) -> Run {
    let config = home.join("network.toml");
    std::fs::write(
        &config,
        "[lifecycle]\npoll_interval_secs = 1\nwait_timeout_secs = 60\n[aws]\nretry_backoff_ms = 50\n",
    )
    .expect("config");
    common::run_skiff_env(endpoint, home, &[("SKIFF_CONFIG", &config)], args)
}

/// The faults the proxy injected, by kind.
fn injected(proxy: &FaultProxy) -> Value {
    proxy.stats()["faults"].clone()
}

fn count(v: &Value, kind: &str) -> u64 {
    v[kind].as_u64().unwrap_or(0)
}

/// What `ls --json` says, without what moves with the clock (costs).
fn listing(run: &Run) -> Value {
    let mut doc: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    for kind in ["instances", "clusters"] {
        if let Some(items) = doc[kind].as_array_mut() {
            for item in items {
                if let Some(o) = item.as_object_mut() {
                    o.retain(|k, _| {
                        !k.contains("usd") && !k.contains("cost") && !k.contains("hourly")
                    });
                }
            }
        }
    }
    doc
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sample_account_lists_the_same_through_a_bad_network_ten_times() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let args = [
        "--region",
        "us-east-1",
        "--region",
        "eu-west-1",
        "ls",
        "--json",
    ];
    let clean = skiff(&sb.moto.endpoint(), home.path(), &args);
    assert_eq!(clean.code, 0, "{}", clean.stderr);
    let want = listing(&clean);
    assert!(
        want["instances"].as_array().is_some_and(|a| a.len() >= 10),
        "{want}"
    );

    let proxy = FaultProxy::start(&sb.moto.endpoint(), bad_network(7));
    for run in 1..=10 {
        let got = skiff(&proxy.endpoint(), home.path(), &args);
        assert_eq!(got.code, 0, "run {run}: {}", got.stderr);
        assert_eq!(listing(&got), want, "run {run} listed something else");
    }
    let faults = injected(&proxy);
    for kind in ["throttle", "reset", "cut"] {
        assert!(count(&faults, kind) > 0, "no {kind} was injected: {faults}");
    }
    eprintln!("faults injected over 10 listings: {faults}");
}

fn digest(path: &Path) -> String {
    use md5::{Digest, Md5};
    let bytes = std::fs::read(path).expect("read");
    hex::encode(Md5::digest(&bytes))
}

#[tokio::test(flavor = "multi_thread")]
async fn sixty_four_mib_go_up_and_down_byte_identical_through_a_bad_network() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let data = home.path().join("64MiB.bin");
    {
        // Not a repeating pattern: a misplaced range would show.
        let mut bytes = vec![0u8; 64 << 20];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for chunk in bytes.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
        }
        std::fs::write(&data, &bytes).expect("write");
    }
    let want = digest(&data);
    let proxy = FaultProxy::start(&sb.moto.endpoint(), bad_network(11));
    let e = proxy.endpoint();
    for run in 1..=10 {
        let key = format!("s3://rnd-datasets/net/{run}.bin");
        let up = skiff(&e, home.path(), &["cp", data.to_str().unwrap(), &key]);
        assert_eq!(up.code, 0, "upload {run}: {}\n{}", up.stdout, up.stderr);
        let out = home.path().join(format!("back-{run}.bin"));
        let down = skiff(&e, home.path(), &["cp", &key, out.to_str().unwrap()]);
        assert_eq!(
            down.code, 0,
            "download {run}: {}\n{}",
            down.stdout, down.stderr
        );
        assert_eq!(digest(&out), want, "run {run}: the download differs");
        std::fs::remove_file(&out).expect("clean");
        // The object itself, read straight from moto.
        let body = sb
            .session
            .s3_client("us-east-1")
            .get_object()
            .bucket("rnd-datasets")
            .key(format!("net/{run}.bin"))
            .send()
            .await
            .expect("get")
            .body
            .collect()
            .await
            .expect("body")
            .into_bytes();
        assert_eq!(
            hex::encode(<md5::Md5 as md5::Digest>::digest(&body)),
            want,
            "run {run}: the object differs"
        );
    }
    let left = sb
        .session
        .s3_client("us-east-1")
        .list_multipart_uploads()
        .bucket("rnd-datasets")
        .send()
        .await
        .expect("uploads");
    assert!(
        left.uploads().is_empty(),
        "multipart uploads left behind: {:?}",
        left.uploads()
    );
    let faults = injected(&proxy);
    for kind in ["throttle", "reset", "cut"] {
        assert!(count(&faults, kind) > 0, "no {kind} was injected: {faults}");
    }
    eprintln!("faults injected over 10 round trips: {faults}");
}

/// Every node's id by its name, read straight from moto.
async fn ids(sb: &common::Sandbox) -> std::collections::BTreeMap<String, String> {
    let out = sb
        .session
        .ec2_client("us-east-1")
        .describe_instances()
        .send()
        .await
        .expect("describe");
    out.reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter_map(|i| {
            let name = i
                .tags()
                .iter()
                .find(|t| t.key() == Some("Name"))?
                .value()?
                .to_string();
            Some((name, i.instance_id()?.to_string()))
        })
        .collect()
}

/// The state of `name`, read straight from moto.
async fn state_of(sb: &common::Sandbox, id: &str) -> String {
    let out = sb
        .session
        .ec2_client("us-east-1")
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .expect("describe");
    out.reservations()[0].instances()[0]
        .state()
        .and_then(|s| s.name())
        .map(|n| n.as_str().to_string())
        .unwrap_or_default()
}

const RND: [&str; 4] = ["rnd-master", "rnd-slave-1", "rnd-slave-2", "rnd-slave-3"];

#[tokio::test(flavor = "multi_thread")]
async fn a_cluster_waits_out_slow_transitions_and_a_node_without_capacity() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let proxy = FaultProxy::start(
        &sb.moto.endpoint(),
        json!({"hold_pending_s": 3, "hold_stopping_s": 3}),
    );
    let e = proxy.endpoint();
    let r = ["--region", "us-east-1"];

    let started = std::time::Instant::now();
    let stop = skiff(
        &e,
        home.path(),
        &[&r[..], &["stop", "rnd", "--wait"]].concat(),
    );
    assert_eq!(stop.code, 0, "{}\n{}", stop.stdout, stop.stderr);
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(3),
        "--wait returned before the nodes had stopped"
    );
    assert!(
        stop.stdout.contains("is stopping"),
        "the wait shows the state AWS reports: {}",
        stop.stdout
    );
    let last = stop.stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("Stopped Spark cluster rnd (us-east-1): 4 of 4 nodes stopped in ")
            && last.contains("; saves $"),
        "{}",
        stop.stdout
    );

    // One worker has no capacity: the others start, the failure is said in
    // words, the exit code is 1.
    let ids = ids(&sb).await;
    let short = ids["rnd-slave-2"].clone();
    proxy.configure(json!({"hold_pending_s": 3, "insufficient_capacity": [short]}));
    let start = skiff(
        &e,
        home.path(),
        &[&r[..], &["start", "rnd", "--wait", "--json"]].concat(),
    );
    assert_eq!(start.code, 1, "{}\n{}", start.stdout, start.stderr);
    let doc: Value = serde_json::from_str(&start.stdout).expect("json");
    let steps = doc["results"][0]["steps"].as_array().expect("steps");
    let order: Vec<&str> = steps.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(
        order.first(),
        Some(&"rnd-master"),
        "master first: {order:?}"
    );
    let failed: Vec<&Value> = steps.iter().filter(|s| s["ok"] == false).collect();
    assert_eq!(failed.len(), 1, "{steps:?}");
    assert_eq!(failed[0]["name"], "rnd-slave-2");
    assert!(
        failed[0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("AWS has no spare capacity of this instance type"),
        "{}",
        failed[0]
    );
    for n in RND.iter().filter(|n| **n != "rnd-slave-2") {
        assert_eq!(state_of(&sb, &ids[*n]).await, "running", "{n}");
    }
    assert_eq!(state_of(&sb, &short).await, "stopped");

    // Capacity is back: the same command finishes the job, starting only
    // what is still stopped.
    proxy.configure(json!({"hold_pending_s": 3, "insufficient_capacity": []}));
    let again = skiff(
        &e,
        home.path(),
        &[&r[..], &["start", "rnd", "--wait"]].concat(),
    );
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert_eq!(
        again.stdout.matches("is already running").count(),
        3,
        "{}",
        again.stdout
    );
    let last = again.stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("Started Spark cluster rnd (us-east-1): ") && last.contains("running in "),
        "{}",
        again.stdout
    );
    for n in RND {
        assert_eq!(state_of(&sb, &ids[n]).await, "running", "{n}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_start_whose_answer_is_lost_is_checked_not_failed() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let proxy = FaultProxy::start(&sb.moto.endpoint(), json!({}));
    let e = proxy.endpoint();
    let r = ["--region", "us-east-1"];
    let gpu = ids(&sb).await["gpu-scratch"].clone();
    assert_eq!(state_of(&sb, &gpu).await, "stopped");
    // Every StartInstances reaches moto, and no answer comes back.
    proxy.configure(json!({"lost_answer": 1.0, "lost_answer_ops": ["StartInstances"]}));
    let run = skiff(
        &e,
        home.path(),
        &[&r[..], &["start", "gpu-scratch", "--wait"]].concat(),
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("AWS's answer was lost; the instance is"),
        "{}",
        run.stdout
    );
    assert_eq!(state_of(&sb, &gpu).await, "running");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corporate_ca_bundle_and_proxy_are_honoured() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let certs = tempfile::tempdir().expect("certs");
    let tls = FaultProxy::start_tls(&sb.moto.endpoint(), certs.path());
    let e = tls.endpoint();
    assert!(e.starts_with("https://127.0.0.1:"), "{e}");
    let bundle = certs.path().join("ca.pem");
    let bundle = bundle.to_str().unwrap();
    let ls = ["--region", "us-east-1", "ls", "buckets", "--json"];

    // The system's roots do not know the throwaway CA: refused, in words.
    let system = common::run_skiff(&e, home.path(), &ls);
    assert_ne!(system.code, 0, "{}", system.stdout);
    assert!(
        system
            .stderr
            .contains("the endpoint's certificate was refused"),
        "the refusal names the certificate: {}",
        system.stderr
    );
    // AWS_CA_BUNDLE names the CA: trusted.
    let trusted = common::run_skiff_env(&e, home.path(), &[("AWS_CA_BUNDLE", bundle)], &ls);
    assert_eq!(trusted.code, 0, "{}", trusted.stderr);
    assert!(
        trusted.stdout.contains("rnd-datasets"),
        "{}",
        trusted.stdout
    );
    // A bundle that is not there is said so, not ignored.
    let missing = common::run_skiff_env(
        &e,
        home.path(),
        &[("AWS_CA_BUNDLE", "/nonexistent/ca.pem")],
        &ls,
    );
    assert_ne!(missing.code, 0);
    assert!(
        missing
            .stderr
            .contains("AWS_CA_BUNDLE=/nonexistent/ca.pem: cannot read it"),
        "{}",
        missing.stderr
    );

    // HTTPS_PROXY: every call goes through the proxy, as CONNECT.
    let forward = FaultProxy::start_forward();
    let via = forward.endpoint();
    let proxied = common::run_skiff_env(
        &e,
        home.path(),
        &[("AWS_CA_BUNDLE", bundle), ("HTTPS_PROXY", via.as_str())],
        &ls,
    );
    assert_eq!(proxied.code, 0, "{}", proxied.stderr);
    let tls_target = e.trim_start_matches("https://").to_string();
    let targets = forward.stats()["targets"].clone();
    let asked: Vec<&Value> = targets.as_array().expect("targets").iter().collect();
    assert!(
        !asked.is_empty()
            && asked
                .iter()
                .all(|t| t["method"] == "CONNECT" && t["target"] == tls_target.as_str()),
        "every call went through the proxy to {tls_target}: {targets}"
    );
    // NO_PROXY: this host is reached directly.
    forward.reset_stats();
    let direct = common::run_skiff_env(
        &e,
        home.path(),
        &[
            ("AWS_CA_BUNDLE", bundle),
            ("HTTPS_PROXY", via.as_str()),
            ("NO_PROXY", "127.0.0.1"),
        ],
        &ls,
    );
    assert_eq!(direct.code, 0, "{}", direct.stderr);
    assert_eq!(
        forward.stats()["targets"],
        json!([]),
        "NO_PROXY kept the calls off the proxy"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_outage_does_not_use_up_the_retries_of_later_calls() {
    use skiff::cloud::inventory::{InventoryOptions, Service, SliceKey, fetch_slice};
    let sb = common::seeded().await;
    let proxy = FaultProxy::start(&sb.moto.endpoint(), json!({"reset": 1.0}));
    let opts = skiff::cloud::SessionOptions {
        read_attempts: 6,
        max_attempts: 3,
        initial_backoff: Some(std::time::Duration::from_millis(5)),
        ..skiff::sandbox::sandbox_options(&proxy.endpoint())
    };
    let session = skiff::cloud::Session::connect(&opts)
        .await
        .expect("session");
    let key = SliceKey {
        service: Service::Ec2,
        region: Some("us-east-1".into()),
    };
    let inv_opts = InventoryOptions {
        emr_terminated_days: 0,
        cluster_tags: Default::default(),
    };
    let now = chrono::Utc::now();
    // An outage: 40 listings fail, every one of them retried (200 retries,
    // twice the SDK's default retry quota).
    let failed =
        futures::future::join_all((0..40).map(|_| fetch_slice(&session, &key, &inv_opts, now)))
            .await;
    assert!(failed.iter().all(Result::is_err));
    // Attempts the client gave up on under load must not count below.
    proxy.quiesce();
    // The network comes back, but answers are cut: the next listing still
    // gets all its tries.
    proxy.configure(json!({"cut": 1.0, "ops": ["DescribeInstances"]}));
    proxy.reset_stats();
    let _ = fetch_slice(&session, &key, &inv_opts, now).await;
    let asked = proxy.stats()["requests"]["DescribeInstances"]
        .as_u64()
        .unwrap_or(0);
    assert_eq!(asked, 6, "every read attempt was made after the outage");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_part_damaged_on_the_way_is_caught_not_stored_silently() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let data = home.path().join("20MiB.bin");
    let bytes: Vec<u8> = (0..20u32 << 20).map(|i| (i % 253) as u8).collect();
    std::fs::write(&data, &bytes).expect("write");
    // One bit of every part's body flips between skiff and the server,
    // which (moto) checks no checksum: skiff's own check must catch it.
    let proxy = FaultProxy::start(&sb.moto.endpoint(), json!({"corrupt": {"UploadPart": 1.0}}));
    let e = proxy.endpoint();
    let up = skiff(
        &e,
        home.path(),
        &["cp", data.to_str().unwrap(), "s3://rnd-datasets/bad.bin"],
    );
    assert_eq!(up.code, 1, "{}\n{}", up.stdout, up.stderr);
    assert!(up.stderr.contains("verification failed"), "{}", up.stderr);
    // Caught by the object's full-object CRC64NVME, which the server
    // computed from what it stored (no MD5 was hashed on the way).
    assert!(up.stderr.contains("CRC64NVME"), "{}", up.stderr);
    assert!(injected(&proxy)["corrupt"].as_u64() >= Some(1));
    // Without the damage the same copy succeeds.
    proxy.configure(json!({}));
    let again = skiff(
        &e,
        home.path(),
        &["cp", data.to_str().unwrap(), "s3://rnd-datasets/bad.bin"],
    );
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_small_file_is_checked_by_its_own_answer_in_one_request() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let data = home.path().join("small.csv");
    let bytes: Vec<u8> = (0..100_000u32).map(|i| (i % 227) as u8).collect();
    std::fs::write(&data, &bytes).expect("write");
    let proxy = FaultProxy::start(&sb.moto.endpoint(), json!({"corrupt": {"PutObject": 1.0}}));
    let e = proxy.endpoint();
    let dest = "s3://rnd-datasets/small.csv";
    // A bit flipped on the way: the answer's ETag (the MD5 of what the
    // server stored) differs from the file's.
    let up = skiff(&e, home.path(), &["cp", data.to_str().unwrap(), dest]);
    assert_eq!(up.code, 1, "{}\n{}", up.stdout, up.stderr);
    assert!(up.stderr.contains("verification failed"), "{}", up.stderr);
    assert!(up.stderr.contains("ETag"), "{}", up.stderr);
    // Undamaged: one PutObject, and no HeadObject to check it.
    proxy.configure(json!({}));
    proxy.reset_stats();
    let again = skiff(&e, home.path(), &["cp", data.to_str().unwrap(), dest]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    let requests = proxy.stats()["requests"].clone();
    assert_eq!(requests["PutObject"].as_u64(), Some(1), "{requests}");
    assert_eq!(requests["HeadObject"].as_u64(), None, "{requests}");
    // An answer that says nothing of the bytes (no checksum, no ETag): the
    // object is asked for, and what HeadObject shows decides.
    let silent = json!({"PutObject": ["x-amz-checksum-crc64nvme", "ETag"]});
    proxy.configure(json!({"strip_headers": silent, "corrupt": {"PutObject": 1.0}}));
    let bad = skiff(&e, home.path(), &["cp", data.to_str().unwrap(), dest]);
    assert_eq!(bad.code, 1, "{}\n{}", bad.stdout, bad.stderr);
    assert!(bad.stderr.contains("verification failed"), "{}", bad.stderr);
    proxy.configure(json!({"strip_headers": silent}));
    proxy.reset_stats();
    let good = skiff(&e, home.path(), &["cp", data.to_str().unwrap(), dest]);
    assert_eq!(good.code, 0, "{}\n{}", good.stdout, good.stderr);
    let requests = proxy.stats()["requests"].clone();
    assert_eq!(requests["HeadObject"].as_u64(), Some(1), "{requests}");
    let back = home.path().join("back.csv");
    let (ok, _, err) = common::aws(
        &sb.moto.endpoint(),
        "us-east-1",
        &["s3", "cp", dest, back.to_str().unwrap()],
    );
    assert!(ok, "{err}");
    assert_eq!(std::fs::read(&back).expect("read"), bytes);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_promised_a_checksum_and_shows_none_is_checked_by_the_file_again() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let data = home.path().join("20MiB.bin");
    let bytes: Vec<u8> = (0..20u32 << 20).map(|i| (i % 239) as u8).collect();
    std::fs::write(&data, &bytes).expect("write");
    let log = home.path().join("state").join("skiff.log");
    let debug = [("SKIFF_LOG", "skiff=debug")];
    // The emulator answers CreateMultipartUpload with a full-object
    // CRC64NVME, so skiff hashes no MD5 while sending; here HeadObject then
    // shows no checksum. A bit flipped in every part must still be caught.
    let hide = json!({"HeadObject": ["x-amz-checksum-crc64nvme", "x-amz-checksum-type"]});
    let proxy = FaultProxy::start(
        &sb.moto.endpoint(),
        json!({"strip_headers": hide, "corrupt": {"UploadPart": 1.0}}),
    );
    let e = proxy.endpoint();
    let dest = "s3://rnd-datasets/promised.bin";
    let up = common::run_skiff_env(
        &e,
        home.path(),
        &debug,
        &["cp", data.to_str().unwrap(), dest],
    );
    assert_eq!(up.code, 1, "{}\n{}", up.stdout, up.stderr);
    assert!(up.stderr.contains("verification failed"), "{}", up.stderr);
    assert!(
        up.stderr.contains("ETag"),
        "checked by the ETag: {}",
        up.stderr
    );
    assert!(count(&injected(&proxy), "strip_headers") >= 1);
    // Undamaged, the same upload passes that check.
    proxy.configure(json!({"strip_headers": hide}));
    let again = common::run_skiff_env(
        &e,
        home.path(),
        &debug,
        &["cp", data.to_str().unwrap(), dest],
    );
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(
        text.contains("no CRC64NVME shown; checking the ETag from the file"),
        "{text}"
    );
    let head = common::aws_json(
        &sb.moto.endpoint(),
        "us-east-1",
        &[
            "s3api",
            "head-object",
            "--bucket",
            "rnd-datasets",
            "--key",
            "promised.bin",
        ],
    );
    assert_eq!(
        head["ContentLength"].as_u64(),
        Some(bytes.len() as u64),
        "{head}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_damaged_on_the_way_is_caught_and_nothing_is_kept() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    // Put by the AWS CLI, straight to moto: a small object (one GET) and a
    // multipart one of 8 MiB parts (ranged GETs), neither made by skiff.
    let small = home.path().join("small.bin");
    let large = home.path().join("large.bin");
    std::fs::write(
        &small,
        (0..300_000u32).map(|i| (i % 251) as u8).collect::<Vec<_>>(),
    )
    .expect("write");
    std::fs::write(
        &large,
        (0..20u32 << 20)
            .map(|i| (i % 241) as u8)
            .collect::<Vec<_>>(),
    )
    .expect("write");
    for (file, key) in [(&small, "damage/small.bin"), (&large, "damage/large.bin")] {
        let (ok, _, err) = common::aws(
            &sb.moto.endpoint(),
            "us-east-1",
            &[
                "s3",
                "cp",
                file.to_str().unwrap(),
                &format!("s3://rnd-datasets/{key}"),
            ],
        );
        assert!(ok, "{err}");
    }
    // One bit of every GetObject answer flips between the server and skiff.
    let proxy = FaultProxy::start(
        &sb.moto.endpoint(),
        json!({"corrupt_answer": {"GetObject": 1.0}}),
    );
    let e = proxy.endpoint();
    let out = home.path().join("out");
    std::fs::create_dir(&out).expect("dir");
    for (file, key) in [(&small, "damage/small.bin"), (&large, "damage/large.bin")] {
        let dest = out.join(file.file_name().unwrap());
        let uri = format!("s3://rnd-datasets/{key}");
        let down = skiff(&e, home.path(), &["cp", &uri, dest.to_str().unwrap()]);
        assert_eq!(down.code, 1, "{key}: {}\n{}", down.stdout, down.stderr);
        assert!(
            down.stderr.contains("verification failed"),
            "{key}: {}",
            down.stderr
        );
        let kept: Vec<_> = std::fs::read_dir(&out).expect("ls").collect();
        assert!(kept.is_empty(), "{key}: a damaged download left {kept:?}");
        // Without the damage the same copy brings the same bytes.
        proxy.configure(json!({}));
        let again = skiff(&e, home.path(), &["cp", &uri, dest.to_str().unwrap()]);
        assert_eq!(again.code, 0, "{key}: {}\n{}", again.stdout, again.stderr);
        assert_eq!(digest(&dest), digest(file), "{key}");
        std::fs::remove_file(&dest).expect("clean");
        proxy.configure(json!({"corrupt_answer": {"GetObject": 1.0}}));
    }
    assert!(injected(&proxy)["corrupt_answer"].as_u64() >= Some(2));
}
