//! The writes that seed an emulator with a sample account: generic
//! launches, buckets and an EMR cluster from plain descriptions (the world
//! itself is described in `sandbox::world`). Writes, so they go through the
//! gate, and only into an emulator on this machine.

use aws_sdk_ec2::types as ec2;
use aws_sdk_emr::types as emr;

use super::Actions;
use crate::cloud::CloudError;

/// An instance to launch.
pub struct SeedInstance<'a> {
    pub name: &'a str,
    pub instance_type: &'a str,
    pub tags: &'a [(&'a str, &'a str)],
    pub security_groups: &'a [&'a str],
    pub volume_gib: i32,
    pub hibernation: bool,
    pub key_name: &'a str,
    pub image: &'a str,
    /// A subnet of its own (no security group names then), e.g. one that
    /// maps no public addresses.
    pub subnet: Option<&'a str>,
}

/// An EMR cluster to run; its groups are role, type, count, market.
pub struct SeedEmr<'a> {
    pub name: &'a str,
    pub region: &'a str,
    pub release: &'a str,
    pub applications: &'a [&'a str],
    pub groups: &'a [(&'a str, &'a str, i32, &'a str)],
    pub tags: &'a [(&'a str, &'a str)],
    pub key_name: &'a str,
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

fn tag(key: &str, value: &str) -> ec2::Tag {
    ec2::Tag::builder().key(key).value(value).build()
}

impl Actions {
    /// The gate allows it and the endpoint is an emulator on this machine
    /// (nothing is ever seeded into a real account).
    fn seed_allowed(&self, region: &str, what: &str) -> Result<(), CloudError> {
        self.gate.check("seed", region, what)?;
        if !self.session.is_local_emulator() {
            return Err(CloudError::new(
                "seed",
                region,
                "the sample account is only created in a local emulator (an endpoint on 127.0.0.1)",
            ));
        }
        Ok(())
    }

    /// A region's key pair and security groups.
    pub async fn seed_region(
        &self,
        region: &str,
        key_name: &str,
        groups: &[&str],
    ) -> Result<(), CloudError> {
        self.seed_allowed(region, "prepare a region")?;
        let client = self.session.ec2_writer(region);
        client
            .create_key_pair()
            .key_name(key_name)
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

    /// Launches one instance; its id.
    pub async fn seed_instance(
        &self,
        region: &str,
        spec: &SeedInstance<'_>,
    ) -> Result<String, CloudError> {
        self.seed_allowed(region, "launch a sample instance")?;
        let mut tags = vec![tag("Name", spec.name)];
        tags.extend(spec.tags.iter().map(|(k, v)| tag(k, v)));
        let volume = ec2::EbsBlockDevice::builder()
            .volume_size(spec.volume_gib)
            .volume_type(ec2::VolumeType::Gp3)
            .encrypted(spec.hibernation)
            .build();
        let out = self
            .session
            .ec2_writer(region)
            .run_instances()
            .image_id(spec.image)
            .instance_type(ec2::InstanceType::from(spec.instance_type))
            .min_count(1)
            .max_count(1)
            .key_name(spec.key_name)
            .set_security_groups(
                spec.subnet
                    .is_none()
                    .then(|| spec.security_groups.iter().map(|g| g.to_string()).collect()),
            )
            .set_subnet_id(spec.subnet.map(str::to_string))
            .hibernation_options(
                ec2::HibernationOptionsRequest::builder()
                    .configured(spec.hibernation)
                    .build(),
            )
            .block_device_mappings(
                ec2::BlockDeviceMapping::builder()
                    .device_name("/dev/sda1")
                    .ebs(volume)
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

    /// A subnet of the default VPC that gives its instances no public
    /// address; its id.
    pub async fn seed_private_subnet(
        &self,
        region: &str,
        cidr: &str,
    ) -> Result<String, CloudError> {
        self.seed_allowed(region, "make a private subnet")?;
        let vpc = crate::cloud::launch::vpc_for(&self.session, region, None)
            .await?
            .ok_or_else(|| CloudError::new("seed", region, "no default VPC"))?;
        let client = self.session.ec2_writer(region);
        let out = client
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(cidr)
            .send()
            .await
            .map_err(|e| sdk_err("CreateSubnet", region, &e))?;
        out.subnet()
            .and_then(|s| s.subnet_id())
            .map(str::to_string)
            .ok_or_else(|| CloudError::new("seed", region, "CreateSubnet returned no subnet"))
    }

    /// Stops sample instances (all at once).
    pub async fn seed_stop(&self, region: &str, ids: &[String]) -> Result<(), CloudError> {
        self.seed_allowed(region, "stop sample instances")?;
        if ids.is_empty() {
            return Ok(());
        }
        self.session
            .ec2_writer(region)
            .stop_instances()
            .set_instance_ids(Some(ids.to_vec()))
            .send()
            .await
            .map_err(|e| sdk_err("StopInstances", region, &e))?;
        Ok(())
    }

    /// Runs the EMR cluster and tags its nodes as EMR does (moto does not;
    /// skiff adds the EMR fee by that tag): its id. `others`: the instances
    /// launched directly, which are not its nodes.
    pub async fn seed_emr(
        &self,
        spec: &SeedEmr<'_>,
        others: &[String],
    ) -> Result<String, CloudError> {
        let region = spec.region;
        self.seed_allowed(region, "run the sample EMR cluster")?;
        let groups = spec
            .groups
            .iter()
            .map(|(role, ty, count, market)| {
                emr::InstanceGroupConfig::builder()
                    .instance_role(emr::InstanceRoleType::from(*role))
                    .instance_type(*ty)
                    .instance_count(*count)
                    .market(emr::MarketType::from(*market))
                    .build()
            })
            .collect();
        let mut run = self
            .session
            .emr_writer(region)
            .run_job_flow()
            .name(spec.name)
            .release_label(spec.release)
            .set_applications(Some(
                spec.applications
                    .iter()
                    .map(|a| emr::Application::builder().name(*a).build())
                    .collect(),
            ))
            .instances(
                emr::JobFlowInstancesConfig::builder()
                    .set_instance_groups(Some(groups))
                    .keep_job_flow_alive_when_no_steps(true)
                    .termination_protected(true)
                    .ec2_key_name(spec.key_name)
                    .build(),
            )
            .job_flow_role("EMR_EC2_DefaultRole")
            .service_role("EMR_DefaultRole")
            .visible_to_all_users(true);
        for (k, v) in spec.tags {
            run = run.tags(emr::Tag::builder().key(*k).value(*v).build());
        }
        let out = run
            .send()
            .await
            .map_err(|e| sdk_err("RunJobFlow", region, &e))?;
        let id = out.job_flow_id().unwrap_or_default().to_string();
        self.tag_emr_nodes(spec, &id, others).await?;
        Ok(id)
    }

    /// Tags the EMR cluster's nodes with its id and their group's role:
    /// the first of the master's type is the master, the rest by type.
    async fn tag_emr_nodes(
        &self,
        spec: &SeedEmr<'_>,
        cluster_id: &str,
        others: &[String],
    ) -> Result<(), CloudError> {
        let region = spec.region;
        let out = self
            .session
            .ec2(region)
            .describe_instances()
            .send()
            .await
            .map_err(|e| sdk_err("DescribeInstances", region, &e))?;
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
            .filter(|(id, _)| !others.contains(id))
            .collect();
        nodes.sort();
        // Groups of a type of their own are known by it; MASTER and CORE
        // share one, the first node of it is the master.
        let mut left: Vec<(&str, &str, i32)> = spec
            .groups
            .iter()
            .map(|(role, ty, n, _)| (*role, *ty, *n))
            .collect();
        let writer = self.session.ec2_writer(region);
        for (id, ty) in nodes {
            let Some(slot) = left.iter_mut().find(|(_, t, n)| *t == ty && *n > 0) else {
                continue;
            };
            slot.2 -= 1;
            let mut call = writer
                .create_tags()
                .resources(&id)
                .tags(tag("aws:elasticmapreduce:job-flow-id", cluster_id))
                .tags(tag("aws:elasticmapreduce:instance-group-role", slot.0));
            for (k, v) in spec.tags {
                call = call.tags(tag(k, v));
            }
            call.send()
                .await
                .map_err(|e| sdk_err("CreateTags", region, &e))?;
        }
        Ok(())
    }

    /// Makes a bucket and puts its objects (deterministic filler: the
    /// sandbox needs sizes, not meaning).
    pub async fn seed_bucket(
        &self,
        name: &str,
        region: &str,
        objects: &[(&str, usize)],
    ) -> Result<(), CloudError> {
        self.seed_allowed(region, "make a sample bucket")?;
        let client = self
            .session
            .s3_for(region, crate::cloud::session::Use::Write);
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
        Ok(())
    }
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
            .ec2_writer(region)
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
}
