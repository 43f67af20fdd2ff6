//! The inventory against a real moto server, through the real SDK.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a failed expectation is the failure

mod common;

use common::Sdk;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_ec2::types as ec2;
use skiff::cloud::inventory::{InventoryOptions, Wanted, fetch_all};
use skiff::cloud::{Session, SessionOptions};
use skiff::model::{ClusterState, EmrState, InstanceState, SparkConvention};
use skiff::spark::ClusterTags;

fn options() -> InventoryOptions {
    InventoryOptions {
        emr_terminated_days: 7,
        cluster_tags: ClusterTags::default(),
    }
}

#[tokio::test]
async fn inventory_across_two_regions_is_what_the_seed_created() {
    let sb = common::seeded().await;
    let (inv, errors) = fetch_all(&sb.session, Wanted::ALL, &options(), chrono::Utc::now()).await;
    assert!(errors.is_empty(), "{errors:?}");

    // Every named instance, in the region it was launched in.
    let named: BTreeMap<String, (String, String)> = inv
        .instances
        .iter()
        .filter_map(|i| Some((i.name.clone()?, (i.id.clone(), i.region.clone()))))
        .collect();
    assert_eq!(named, sb.seeded.instances);
    assert_eq!(
        inv.instances.len(),
        sb.seeded.instances.len() + sb.seeded.emr_node_count
    );
    let regions: BTreeSet<&str> = inv.instances.iter().map(|i| i.region.as_str()).collect();
    assert_eq!(regions, BTreeSet::from(["eu-west-1", "us-east-1"]));

    // Fields converted from the SDK.
    let ds = inv
        .instances
        .iter()
        .find(|i| i.name.as_deref() == Some("ds-workbench"))
        .expect("ds-workbench");
    assert_eq!(ds.instance_type, "t3.medium");
    assert_eq!(ds.state, InstanceState::Running);
    assert!(ds.hibernation_configured);
    assert_eq!(ds.key_name.as_deref(), Some("rnd-key"));
    assert!(ds.public_ip.is_some() && ds.private_ip.is_some() && ds.launch_time.is_some());
    assert_eq!(ds.tags.get("Project").map(String::as_str), Some("research"));
    assert_eq!(ds.total_volume_gib(), 20, "{:?}", ds.volumes);
    let gpu = inv
        .instances
        .iter()
        .find(|i| i.name.as_deref() == Some("gpu-scratch"))
        .expect("gpu");
    assert_eq!(gpu.state, InstanceState::Stopped);

    // Spark clusters by each convention.
    let spark: BTreeMap<String, (String, usize)> = inv
        .spark_clusters
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                (c.convention.as_str().to_string(), c.node_count()),
            )
        })
        .collect();
    assert_eq!(spark, sb.seeded.spark_clusters);
    let rnd = inv
        .spark_clusters
        .iter()
        .find(|c| c.name == "rnd")
        .expect("rnd");
    assert_eq!(
        rnd.master.as_deref(),
        Some(sb.seeded.instances["rnd-master"].0.as_str())
    );
    assert_eq!(rnd.state, ClusterState::Running);
    let legacy = inv
        .spark_clusters
        .iter()
        .find(|c| c.name == "legacy")
        .expect("legacy");
    assert_eq!(legacy.state, ClusterState::Stopped);
    assert_eq!(legacy.convention, SparkConvention::SparkEc2);

    // EMR, listed once although two regions were asked.
    assert_eq!(inv.emr_clusters.len(), 1, "{:?}", inv.emr_clusters);
    let emr = &inv.emr_clusters[0];
    assert_eq!(emr.id, sb.seeded.emr_cluster_id);
    assert_eq!(emr.state, EmrState::Waiting);
    assert_eq!(emr.release.as_deref(), Some("emr-7.1.0"));
    for app in ["Spark", "JupyterHub", "Livy"] {
        assert!(
            emr.applications.iter().any(|a| a == app),
            "{app} in {:?}",
            emr.applications
        );
    }
    let roles: Vec<(&str, i32, &str)> = emr
        .instance_groups
        .iter()
        .map(|g| (g.role.as_str(), g.requested, g.market.as_str()))
        .collect();
    assert_eq!(
        roles,
        [
            ("MASTER", 1, "ON_DEMAND"),
            ("CORE", 2, "ON_DEMAND"),
            ("TASK", 2, "SPOT")
        ]
    );
    assert!(emr.termination_protected);
    assert!(emr.master_public_dns.is_some());

    // Buckets with their regions.
    let buckets: BTreeMap<String, String> = inv
        .buckets
        .iter()
        .map(|b| (b.name.clone(), b.region.clone().unwrap_or_default()))
        .collect();
    assert_eq!(buckets, sb.seeded.buckets);
}

#[tokio::test]
async fn configured_cluster_tags_group_nodes_and_unknown_tags_do_not() {
    let (_moto, session) = common::empty().await;
    let client = session.ec2_client("us-east-1");
    for (name, role) in [
        ("lab-a", "master"),
        ("lab-b", "worker"),
        ("lab-c", "worker"),
    ] {
        client
            .run_instances()
            .image_id("ami-1e749f67")
            .min_count(1)
            .max_count(1)
            .tag_specifications(
                ec2::TagSpecification::builder()
                    .resource_type(ec2::ResourceType::Instance)
                    .tags(ec2::Tag::builder().key("Name").value(name).build())
                    .tags(ec2::Tag::builder().key("team:cluster").value("lab").build())
                    .tags(ec2::Tag::builder().key("team:role").value(role).build())
                    .build(),
            )
            .send()
            .await
            .expect("run");
    }
    let wanted = Wanted {
        instances: false,
        clusters: true,
        buckets: false,
    };
    let (inv, errors) = fetch_all(&session, wanted, &options(), chrono::Utc::now()).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert!(
        inv.spark_clusters.is_empty(),
        "default tags must not match team:* tags"
    );

    let custom = InventoryOptions {
        emr_terminated_days: 0,
        cluster_tags: ClusterTags {
            cluster: "team:cluster".into(),
            role: "team:role".into(),
        },
    };
    let (inv, _) = fetch_all(&session, wanted, &custom, chrono::Utc::now()).await;
    assert_eq!(inv.spark_clusters.len(), 1);
    let lab = &inv.spark_clusters[0];
    assert_eq!(
        (lab.name.as_str(), lab.convention, lab.node_count()),
        ("lab", SparkConvention::Tags, 3)
    );
    let master = inv
        .instance(lab.master.as_deref().expect("master"))
        .expect("master instance");
    assert_eq!(master.name.as_deref(), Some("lab-a"));
}

#[tokio::test]
async fn stopping_one_node_makes_the_cluster_partly_running() {
    let sb = common::seeded().await;
    let slave = &sb.seeded.instances["rnd-slave-2"].0;
    sb.session
        .ec2_client("us-east-1")
        .stop_instances()
        .instance_ids(slave)
        .send()
        .await
        .expect("stop");
    let (inv, _) = fetch_all(&sb.session, Wanted::ALL, &options(), chrono::Utc::now()).await;
    let rnd = inv
        .spark_clusters
        .iter()
        .find(|c| c.name == "rnd")
        .expect("rnd");
    assert_eq!(rnd.state, ClusterState::PartlyRunning);
}

#[tokio::test]
async fn all_regions_come_from_describe_regions() {
    let moto = tokio::task::spawn_blocking(common::moto)
        .await
        .expect("moto");
    let mut opts = skiff::sandbox::sandbox_options(&moto.endpoint());
    opts.regions.clear();
    opts.all_regions = true;
    let session = Session::connect(&opts).await.expect("connect");
    assert!(session.regions.len() > 10, "{:?}", session.regions);
    for r in ["us-east-1", "eu-west-1", "ap-southeast-2"] {
        assert!(session.regions.iter().any(|x| x == r), "{r}");
    }
    assert_eq!(session.account_id().await.expect("account"), "123456789012");
}

#[tokio::test]
async fn an_endpoint_that_is_down_gives_errors_not_a_hang() {
    let endpoint = format!("http://127.0.0.1:{}", common::dead_port());
    let opts = SessionOptions {
        max_attempts: 2,
        connect_timeout: Duration::from_secs(2),
        attempt_timeout: Duration::from_secs(5),
        operation_timeout: Duration::from_secs(10),
        ..skiff::sandbox::sandbox_options(&endpoint)
    };
    let session = Session::connect(&opts)
        .await
        .expect("connect needs no network");
    // The guard only turns a hang into a failure; the time is measured by hand.
    let (inv, errors) = tokio::time::timeout(
        Duration::from_secs(60),
        fetch_all(&session, Wanted::ALL, &options(), chrono::Utc::now()),
    )
    .await
    .expect("fetch_all must not hang on a dead endpoint");
    assert!(inv.instances.is_empty() && inv.buckets.is_empty());
    assert_eq!(
        errors.len(),
        5,
        "ec2+emr in two regions, and s3: {errors:?}"
    );
    for e in &errors {
        assert!(e.message.contains("nothing listens at the endpoint"), "{e}");
        assert_eq!(e.code.as_deref(), Some(skiff::cloud::OFFLINE), "{e}");
    }
}

/// The tests' servers are forked from one warm moto: each must still be a
/// server of its own — nothing one test writes is seen by another, the
/// identifiers moto draws differ, and a stopped server's port refuses
/// connections at once (tests that take moto down rely on it).
#[tokio::test(flavor = "multi_thread")]
async fn forked_moto_servers_share_nothing() {
    let (mut one, a) = common::empty().await;
    let (two, b) = common::empty().await;
    assert_ne!(one.port(), two.port());
    let launch = |s: &Session| {
        s.ec2_client("us-east-1")
            .run_instances()
            .image_id("ami-1e749f67")
            .instance_type(ec2::InstanceType::T3Micro)
            .min_count(1)
            .max_count(1)
            .send()
    };
    let first = launch(&a).await.expect("run in one");
    let second = launch(&b).await.expect("run in two");
    let id = |r: &aws_sdk_ec2::operation::run_instances::RunInstancesOutput| {
        r.instances()[0]
            .instance_id()
            .unwrap_or_default()
            .to_string()
    };
    assert_ne!(id(&first), id(&second), "both forks drew the same id");
    a.s3_client("us-east-1")
        .create_bucket()
        .bucket("only-in-one")
        .send()
        .await
        .expect("bucket");
    let listed = b
        .s3_client("us-east-1")
        .list_buckets()
        .send()
        .await
        .expect("list");
    assert!(listed.buckets().is_empty(), "{listed:?}");
    let described = b
        .ec2_client("us-east-1")
        .describe_instances()
        .send()
        .await
        .expect("describe");
    let ids: Vec<String> = described
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter_map(|i| i.instance_id().map(str::to_string))
        .collect();
    assert_eq!(ids, vec![id(&second)]);
    let port = one.port();
    one.stop();
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "a stopped server still answers"
    );
}
