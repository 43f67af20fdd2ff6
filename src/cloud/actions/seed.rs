//! Seeds an emulated account with a realistic R&D setup: writes, so they go
//! through the gate, and only into an emulator on this machine. Used by the
//! sandbox (`skiff sandbox`) and by the integration tests, so both see the
//! same world.
//!
//! us-east-1: the data-science workbench (JupyterHub + RStudio), a
//! flintrock-style Spark cluster `rnd` (master + 3 workers), a stopped
//! spark-ec2-style cluster `legacy`, a stopped GPU box, an EMR cluster with
//! Spark, JupyterHub and Livy, and two buckets; eu-west-1: an ETL instance, a
//! cluster tagged with skiff's own tags (`nightly`) and a notebooks bucket.

use std::collections::BTreeMap;

use aws_sdk_ec2::types as ec2;
use aws_sdk_emr::types as emr;

use super::Actions;
use crate::cloud::{CloudError, Session};

/// What the seed created, for tests to compare against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seeded {
    /// Name tag → (instance id, region), for every instance launched directly.
    pub instances: BTreeMap<String, (String, String)>,
    pub emr_cluster_id: String,
    pub emr_cluster_name: String,
    /// EC2 nodes EMR is asked to run (moto launches them as instances).
    pub emr_node_count: usize,
    /// Bucket name → region.
    pub buckets: BTreeMap<String, String>,
    /// Spark cluster name → (convention, node count).
    pub spark_clusters: BTreeMap<String, (String, usize)>,
}

struct Launch<'a> {
    name: &'a str,
    instance_type: ec2::InstanceType,
    tags: &'a [(&'a str, &'a str)],
    groups: &'a [&'a str],
    hibernation: bool,
    volume_gib: i32,
}

fn sdk_err<E>(
    what: &str,
    region: &str,
    e: &aws_smithy_runtime_api::client::result::SdkError<
        E,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
) -> CloudError
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
{
    let mut err = CloudError::from_sdk("seed", region, e);
    err.message = format!("{what}: {}", err.message);
    err
}

async fn launch(
    client: &aws_sdk_ec2::Client,
    region: &str,
    spec: &Launch<'_>,
) -> Result<String, CloudError> {
    let mut tags = vec![ec2::Tag::builder().key("Name").value(spec.name).build()];
    tags.extend(
        spec.tags
            .iter()
            .map(|(k, v)| ec2::Tag::builder().key(*k).value(*v).build()),
    );
    let out = client
        .run_instances()
        .image_id("ami-1e749f67")
        .instance_type(spec.instance_type.clone())
        .min_count(1)
        .max_count(1)
        .key_name("rnd-key")
        .set_security_groups(Some(spec.groups.iter().map(|g| g.to_string()).collect()))
        .hibernation_options(
            ec2::HibernationOptionsRequest::builder()
                .configured(spec.hibernation)
                .build(),
        )
        .block_device_mappings(
            ec2::BlockDeviceMapping::builder()
                .device_name("/dev/sda1")
                .ebs(
                    ec2::EbsBlockDevice::builder()
                        .volume_size(spec.volume_gib)
                        .volume_type(ec2::VolumeType::Gp3)
                        .encrypted(spec.hibernation)
                        .build(),
                )
                .build(),
        )
        .tag_specifications(
            ec2::TagSpecification::builder()
                .resource_type(ec2::ResourceType::Instance)
                .set_tags(Some(tags))
                .build(),
        )
        .send()
        .await
        .map_err(|e| sdk_err(&format!("RunInstances {}", spec.name), region, &e))?;
    out.instances()
        .first()
        .and_then(|i| i.instance_id())
        .map(str::to_string)
        .ok_or_else(|| CloudError::new("seed", region, "RunInstances returned no instance"))
}

async fn prepare_region(
    client: &aws_sdk_ec2::Client,
    region: &str,
    groups: &[&str],
) -> Result<(), CloudError> {
    client
        .create_key_pair()
        .key_name("rnd-key")
        .send()
        .await
        .map_err(|e| sdk_err("CreateKeyPair", region, &e))?;
    for group in groups {
        client
            .create_security_group()
            .group_name(*group)
            .description(format!("{group} (skiff sandbox)"))
            .send()
            .await
            .map_err(|e| sdk_err("CreateSecurityGroup", region, &e))?;
    }
    Ok(())
}

async fn seed_us_east_1(session: &Session, seeded: &mut Seeded) -> Result<(), CloudError> {
    let region = "us-east-1";
    let client = session.ec2(region);
    prepare_region(
        &client,
        region,
        &["datascience", "legacy-master", "legacy-slaves"],
    )
    .await?;
    const PROJECT: (&str, &str) = ("Project", "research");
    let mut launched = Vec::new();
    launched.push(Launch {
        name: "ds-workbench",
        instance_type: ec2::InstanceType::T3Medium,
        tags: &[
            PROJECT,
            ("Stack", "datascience"),
            ("Services", "jupyterhub:8000 rstudio:8787"),
        ],
        groups: &["datascience"],
        hibernation: true,
        volume_gib: 20,
    });
    launched.push(Launch {
        name: "rnd-master",
        instance_type: ec2::InstanceType::M5Xlarge,
        tags: &[
            PROJECT,
            ("flintrock-name", "rnd"),
            ("flintrock-role", "master"),
        ],
        groups: &[],
        hibernation: true,
        volume_gib: 50,
    });
    for name in ["rnd-slave-1", "rnd-slave-2", "rnd-slave-3"] {
        launched.push(Launch {
            name,
            instance_type: ec2::InstanceType::M5Xlarge,
            tags: &[
                PROJECT,
                ("flintrock-name", "rnd"),
                ("flintrock-role", "slave"),
            ],
            groups: &[],
            hibernation: true,
            volume_gib: 100,
        });
    }
    launched.push(Launch {
        name: "legacy-master",
        instance_type: ec2::InstanceType::M4Large,
        tags: &[("Project", "archive")],
        groups: &["legacy-master"],
        hibernation: false,
        volume_gib: 30,
    });
    for name in ["legacy-slave-1", "legacy-slave-2"] {
        launched.push(Launch {
            name,
            instance_type: ec2::InstanceType::M4Large,
            tags: &[("Project", "archive")],
            groups: &["legacy-slaves"],
            hibernation: false,
            volume_gib: 30,
        });
    }
    launched.push(Launch {
        name: "gpu-scratch",
        instance_type: ec2::InstanceType::G4dnXlarge,
        tags: &[("Project", "vision")],
        groups: &[],
        hibernation: false,
        volume_gib: 200,
    });
    let mut to_stop = Vec::new();
    for spec in &launched {
        let id = launch(&client, region, spec).await?;
        if spec.name.starts_with("legacy") || spec.name == "gpu-scratch" {
            to_stop.push(id.clone());
        }
        seeded
            .instances
            .insert(spec.name.to_string(), (id, region.to_string()));
    }
    client
        .stop_instances()
        .set_instance_ids(Some(to_stop))
        .send()
        .await
        .map_err(|e| sdk_err("StopInstances", region, &e))?;
    seeded
        .spark_clusters
        .insert("rnd".into(), ("flintrock".into(), 4));
    seeded
        .spark_clusters
        .insert("legacy".into(), ("spark-ec2".into(), 3));
    seed_emr(session, seeded).await
}

async fn seed_emr(session: &Session, seeded: &mut Seeded) -> Result<(), CloudError> {
    let region = "us-east-1";
    let group = |role: emr::InstanceRoleType, ty: &str, count: i32, market: emr::MarketType| {
        emr::InstanceGroupConfig::builder()
            .instance_role(role)
            .instance_type(ty)
            .instance_count(count)
            .market(market)
            .build()
    };
    let groups = vec![
        group(
            emr::InstanceRoleType::Master,
            "m5.xlarge",
            1,
            emr::MarketType::OnDemand,
        ),
        group(
            emr::InstanceRoleType::Core,
            "m5.xlarge",
            2,
            emr::MarketType::OnDemand,
        ),
        group(
            emr::InstanceRoleType::Task,
            "m5.large",
            2,
            emr::MarketType::Spot,
        ),
    ];
    let name = "analytics";
    let out = session
        .emr(region)
        .run_job_flow()
        .name(name)
        .release_label("emr-7.1.0")
        .set_applications(Some(
            ["Hadoop", "Spark", "JupyterHub", "Livy"]
                .iter()
                .map(|a| emr::Application::builder().name(*a).build())
                .collect(),
        ))
        .instances(
            emr::JobFlowInstancesConfig::builder()
                .set_instance_groups(Some(groups))
                .keep_job_flow_alive_when_no_steps(true)
                .termination_protected(true)
                .ec2_key_name("rnd-key")
                .build(),
        )
        .job_flow_role("EMR_EC2_DefaultRole")
        .service_role("EMR_DefaultRole")
        .visible_to_all_users(true)
        .tags(emr::Tag::builder().key("Project").value("research").build())
        .send()
        .await
        .map_err(|e| sdk_err("RunJobFlow", region, &e))?;
    seeded.emr_cluster_id = out.job_flow_id().unwrap_or_default().to_string();
    seeded.emr_cluster_name = name.to_string();
    seeded.emr_node_count = 5;
    tag_emr_nodes(session, seeded).await
}

/// EMR tags its nodes with the cluster id and instance-group role; moto does
/// not, so the seed does what EMR would (skiff adds the EMR fee by that tag).
async fn tag_emr_nodes(session: &Session, seeded: &Seeded) -> Result<(), CloudError> {
    let region = "us-east-1";
    let client = session.ec2(region);
    let out = client
        .describe_instances()
        .send()
        .await
        .map_err(|e| sdk_err("DescribeInstances", region, &e))?;
    let ours: Vec<&str> = seeded
        .instances
        .values()
        .map(|(id, _)| id.as_str())
        .collect();
    let mut nodes: Vec<(String, String)> = out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter_map(|i| {
            Some((
                i.instance_id()?.to_string(),
                i.instance_type()?.as_str().to_string(),
            ))
        })
        .filter(|(id, _)| !ours.contains(&id.as_str()))
        .collect();
    nodes.sort();
    let mut master_done = false;
    for (id, ty) in nodes {
        let role = match ty.as_str() {
            "m5.large" => "TASK",
            _ if !master_done => {
                master_done = true;
                "MASTER"
            }
            _ => "CORE",
        };
        client
            .create_tags()
            .resources(&id)
            .tags(
                ec2::Tag::builder()
                    .key("aws:elasticmapreduce:job-flow-id")
                    .value(&seeded.emr_cluster_id)
                    .build(),
            )
            .tags(
                ec2::Tag::builder()
                    .key("aws:elasticmapreduce:instance-group-role")
                    .value(role)
                    .build(),
            )
            .tags(ec2::Tag::builder().key("Project").value("research").build())
            .send()
            .await
            .map_err(|e| sdk_err("CreateTags", region, &e))?;
    }
    Ok(())
}

async fn seed_eu_west_1(session: &Session, seeded: &mut Seeded) -> Result<(), CloudError> {
    let region = "eu-west-1";
    let client = session.ec2(region);
    prepare_region(&client, region, &[]).await?;
    let specs = [
        Launch {
            name: "eu-etl",
            instance_type: ec2::InstanceType::T3Large,
            tags: &[("Project", "etl")],
            groups: &[],
            hibernation: false,
            volume_gib: 40,
        },
        Launch {
            name: "nightly-driver",
            instance_type: ec2::InstanceType::R5Large,
            tags: &[
                ("Project", "etl"),
                ("skiff:cluster", "nightly"),
                ("skiff:role", "master"),
            ],
            groups: &[],
            hibernation: false,
            volume_gib: 40,
        },
        Launch {
            name: "nightly-worker-1",
            instance_type: ec2::InstanceType::R5Large,
            tags: &[
                ("Project", "etl"),
                ("skiff:cluster", "nightly"),
                ("skiff:role", "worker"),
            ],
            groups: &[],
            hibernation: false,
            volume_gib: 40,
        },
    ];
    for spec in &specs {
        let id = launch(&client, region, spec).await?;
        seeded
            .instances
            .insert(spec.name.to_string(), (id, region.to_string()));
    }
    seeded
        .spark_clusters
        .insert("nightly".into(), ("tags".into(), 2));
    Ok(())
}

async fn seed_buckets(session: &Session, seeded: &mut Seeded) -> Result<(), CloudError> {
    /// Bucket name, region, and (key, size) of each object.
    type BucketSeed<'a> = (&'a str, &'a str, &'a [(&'a str, usize)]);
    let buckets: [BucketSeed; 3] = [
        (
            "rnd-datasets",
            "us-east-1",
            &[
                ("raw/2026/11/events-0001.csv", 48_000),
                ("raw/2026/11/events-0002.csv", 51_200),
                ("raw/clients/acme/orders.csv", 12_000),
                ("processed/features.parquet", 96_000),
                ("processed/labels.parquet", 8_000),
                ("models/xgb/v3/model.bin", 64_000),
                ("README.md", 900),
            ],
        ),
        (
            "rnd-emr-logs",
            "us-east-1",
            &[("logs/j-analytics/steps/s-1/stderr.gz", 2_000)],
        ),
        (
            "rnd-notebooks-eu",
            "eu-west-1",
            &[
                ("notebooks/exploration.ipynb", 20_000),
                ("notebooks/sparklyr-demo.Rmd", 6_000),
            ],
        ),
    ];
    for (name, region, objects) in buckets {
        let client = session.s3(region);
        let mut create = client.create_bucket().bucket(name);
        if region != "us-east-1" {
            create = create.create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(region))
                    .build(),
            );
        }
        create
            .send()
            .await
            .map_err(|e| sdk_err(&format!("CreateBucket {name}"), region, &e))?;
        for (key, size) in objects {
            // Deterministic filler: the sandbox needs sizes, not meaning.
            let body: Vec<u8> = (0..*size).map(|i| b"skiff,sandbox\n"[i % 14]).collect();
            client
                .put_object()
                .bucket(name)
                .key(*key)
                .body(body.into())
                .send()
                .await
                .map_err(|e| sdk_err(&format!("PutObject {name}/{key}"), region, &e))?;
        }
        seeded.buckets.insert(name.to_string(), region.to_string());
    }
    Ok(())
}

impl Actions {
    /// Points instances of the sandbox at an SSH server on this machine
    /// (the `skiff:ssh-host` and `skiff:ssh-user` tags), so tunnels and
    /// shells work in the demo without dialling the emulator's made-up
    /// addresses. Refused unless the endpoint is an emulator here.
    pub async fn point_at_local_ssh(
        &self,
        region: &str,
        ids: &[String],
        host: &str,
        user: &str,
    ) -> Result<(), CloudError> {
        let session = &self.session;
        self.gate
            .check("seed", region, "tag the sandbox's instances")?;
        if !session.is_local_emulator()
            || !crate::cloud::is_loopback_host(host.split(':').next().unwrap_or(""))
        {
            return Err(CloudError::new(
                "seed",
                region,
                "only a local emulator's instances are pointed at a server on this machine",
            ));
        }
        session
            .ec2(region)
            .create_tags()
            .set_resources(Some(ids.to_vec()))
            .tags(
                ec2::Tag::builder()
                    .key("skiff:ssh-host")
                    .value(host)
                    .build(),
            )
            .tags(
                ec2::Tag::builder()
                    .key("skiff:ssh-user")
                    .value(user)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| sdk_err("CreateTags", region, &e))?;
        Ok(())
    }

    /// Creates the sample R&D account. Call once on a fresh emulator: the
    /// gate must allow writes, and the endpoint must be an emulator on this
    /// machine (nothing is ever seeded into a real account).
    pub async fn seed_sample_account(&self) -> Result<Seeded, CloudError> {
        let session = &self.session;
        self.gate
            .check("seed", session.home_region(), "create the sample account")?;
        if !session.is_local_emulator() {
            return Err(CloudError::new(
                "seed",
                session.home_region(),
                "the sample account is only created in a local emulator (an endpoint on 127.0.0.1)",
            ));
        }
        let mut seeded = Seeded::default();
        seed_us_east_1(session, &mut seeded).await?;
        seed_eu_west_1(session, &mut seeded).await?;
        seed_buckets(session, &mut seeded).await?;
        Ok(seeded)
    }
}
