//! `skiff leftovers` against moto: what still costs money when nothing runs
//! is found and priced, each kind removed (checked with the AWS CLI), and
//! read-only and a wrong confirmation remove nothing.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a failed expectation is the failure

mod common;

use common::{Recorder, Run, Sdk, aws_json, run_skiff};
use serde_json::Value;

fn skiff(e: &str, home: &std::path::Path, args: &[&str]) -> Run {
    run_skiff(e, home, &[&["--region", "us-east-1"][..], args].concat())
}

/// What a user leaves behind: a 100 GiB gp3 volume attached to nothing,
/// an Elastic IP associated with nothing, a snapshot, an upload never
/// finished. (volume id, allocation id, snapshot id, upload id)
async fn leave_things_behind(sb: &common::Sandbox) -> (String, String, String, String) {
    let ec2 = sb.session.ec2_client("us-east-1");
    let vol = ec2
        .create_volume()
        .availability_zone("us-east-1a")
        .size(100)
        .volume_type(aws_sdk_ec2::types::VolumeType::Gp3)
        .send()
        .await
        .expect("volume");
    let vol = vol.volume_id().unwrap().to_string();
    let addr = ec2
        .allocate_address()
        .domain(aws_sdk_ec2::types::DomainType::Vpc)
        .send()
        .await
        .expect("address");
    let alloc = addr.allocation_id().unwrap().to_string();
    let small = ec2
        .create_volume()
        .availability_zone("us-east-1a")
        .size(8)
        .send()
        .await
        .expect("volume for the snapshot");
    let snap = ec2
        .create_snapshot()
        .volume_id(small.volume_id().unwrap())
        .description("before the upgrade")
        .send()
        .await
        .expect("snapshot");
    ec2.delete_volume()
        .volume_id(small.volume_id().unwrap())
        .send()
        .await
        .expect("delete the snapshot's volume");
    let s3 = sb.session.s3_client("us-east-1");
    let up = s3
        .create_multipart_upload()
        .bucket("rnd-datasets")
        .key("raw/huge.parquet")
        .send()
        .await
        .expect("upload");
    let upload_id = up.upload_id().unwrap().to_string();
    s3.upload_part()
        .bucket("rnd-datasets")
        .key("raw/huge.parquet")
        .upload_id(&upload_id)
        .part_number(1)
        .body(vec![7u8; 5 << 20].into())
        .send()
        .await
        .expect("part");
    (
        vol,
        alloc,
        snap.snapshot_id().unwrap().to_string(),
        upload_id,
    )
}

fn item<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["leftovers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("{id} not among {doc}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn leftovers_are_found_priced_and_removed_one_by_one() {
    let sb = common::seeded().await;
    let e = sb.moto.endpoint();
    let home = tempfile::tempdir().expect("home");
    let (vol, alloc, snap, upload) = leave_things_behind(&sb).await;
    // ds-workbench ran all day with its CPU never above 1 %; eu-etl... is
    // not looked at here (another region), rnd-master peaked at 60 %.
    let cw = sb.session.cloudwatch_client("us-east-1");
    let now = chrono::Utc::now();
    for (name, peak) in [("ds-workbench", 0.8), ("rnd-master", 60.0)] {
        let id = &sb.seeded.instances[name].0;
        for h in 1..=24 {
            let at = now - chrono::Duration::hours(h) + chrono::Duration::minutes(5);
            cw.put_metric_data()
                .namespace("AWS/EC2")
                .metric_data(
                    aws_sdk_cloudwatch::types::MetricDatum::builder()
                        .metric_name("CPUUtilization")
                        .dimensions(
                            aws_sdk_cloudwatch::types::Dimension::builder()
                                .name("InstanceId")
                                .value(id)
                                .build(),
                        )
                        .timestamp(aws_smithy_types::DateTime::from_secs(at.timestamp()))
                        .value(if h == 7 { peak } else { 0.3 })
                        .build(),
                )
                .send()
                .await
                .expect("metric");
        }
    }

    let run = skiff(&e, home.path(), &["leftovers", "--json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let v = item(&doc, &vol);
    assert_eq!(v["kind"], "volume");
    assert_eq!(v["monthly_usd"], 8.0, "100 GiB gp3 at $0.08");
    assert_eq!(v["region"], "us-east-1");
    let a = item(&doc, &alloc);
    assert_eq!(a["kind"], "address");
    assert_eq!(a["monthly_usd"], 3.65, "$0.005/h × 730 h");
    let s = item(&doc, &snap);
    assert_eq!(s["kind"], "snapshot");
    assert_eq!(s["monthly_usd"], 0.4, "8 GiB at $0.05, at most");
    assert!(s["detail"].as_str().unwrap().contains("at most"), "{s}");
    let u = item(&doc, &upload);
    assert_eq!(u["kind"], "multipart_upload");
    assert!(
        u["detail"]
            .as_str()
            .unwrap()
            .contains("s3://rnd-datasets/raw/huge.parquet"),
        "{u}"
    );
    let idle = item(&doc, &sb.seeded.instances["ds-workbench"].0);
    assert_eq!(idle["kind"], "idle_instance", "{idle}");
    assert!(
        idle["monthly_usd"].as_f64().unwrap() > 20.0,
        "a t3.medium all month: {idle}"
    );
    assert!(
        !doc.to_string()
            .contains(&sb.seeded.instances["rnd-master"].0),
        "a node that worked is not idle"
    );
    // Stopped instances keep paying for their disks.
    let gpu = &sb.seeded.instances["gpu-scratch"].0;
    assert_eq!(item(&doc, gpu)["kind"], "stopped_instance");
    // The total is the sum of what is known, and says whether it is all.
    let known: f64 = doc["leftovers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["monthly_usd"].as_f64())
        .sum();
    assert!(
        (doc["monthly_usd"].as_f64().unwrap() - known).abs() < 1e-6,
        "{doc}"
    );
    let text = skiff(&e, home.path(), &["leftovers"]);
    assert!(
        text.stdout.contains("$8.00") && text.stdout.contains("$3.65"),
        "{}",
        text.stdout
    );

    // A wrong confirmation, and read-only: nothing is removed.
    let wrong = skiff(
        &e,
        home.path(),
        &["leftovers", "rm", &vol, "--confirm", "vol-other"],
    );
    assert_eq!(wrong.code, 1);
    assert!(
        wrong.stderr.contains("nothing was removed"),
        "{}",
        wrong.stderr
    );
    let recorder = Recorder::start(&e);
    let ro = skiff(
        &e,
        home.path(),
        &["--read-only", "leftovers", "rm", &vol, "--confirm", &vol],
    );
    assert_eq!(ro.code, 1);
    assert!(ro.stderr.contains("read-only"), "{}", ro.stderr);
    assert!(
        recorder.mutations().is_empty(),
        "{:?}",
        recorder.mutations()
    );
    let not_removable = skiff(&e, home.path(), &["leftovers", "rm", gpu, "--confirm", gpu]);
    assert_eq!(not_removable.code, 1);
    assert!(
        not_removable.stderr.contains("does not remove"),
        "{}",
        not_removable.stderr
    );

    // Each removed, each checked with the AWS CLI.
    for id in [&vol, &alloc, &snap, &upload] {
        let run = skiff(&e, home.path(), &["leftovers", "rm", id, "--confirm", id]);
        assert_eq!(run.code, 0, "{id}: {}\n{}", run.stdout, run.stderr);
        assert!(run.stdout.contains("saves"), "{}", run.stdout);
    }
    let vols = aws_json(&e, "us-east-1", &["ec2", "describe-volumes"]);
    assert!(!vols.to_string().contains(&vol), "the volume is gone");
    let addrs = aws_json(&e, "us-east-1", &["ec2", "describe-addresses"]);
    assert!(
        !addrs.to_string().contains(&alloc),
        "the address is released"
    );
    let snaps = aws_json(
        &e,
        "us-east-1",
        &["ec2", "describe-snapshots", "--owner-ids", "self"],
    );
    assert!(!snaps.to_string().contains(&snap), "the snapshot is gone");
    let ups = aws_json(
        &e,
        "us-east-1",
        &[
            "s3api",
            "list-multipart-uploads",
            "--bucket",
            "rnd-datasets",
        ],
    );
    assert!(
        !ups.to_string().contains(&upload),
        "the upload is aborted: {ups}"
    );
    let after: Value =
        serde_json::from_str(&skiff(&e, home.path(), &["leftovers", "--json"]).stdout).unwrap();
    for id in [&vol, &alloc, &snap, &upload] {
        assert!(
            !after.to_string().contains(id.as_str()),
            "{id} still listed"
        );
    }
}
