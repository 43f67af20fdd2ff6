//! Reads a launch needs: the public parameter behind an AMI alias, an
//! image's name, a launch template's settings, what an existing instance
//! was launched with, the caller's ARN, the default VPC's subnets.

use aws_sdk_ec2::types as ec2;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::Serialize;

use super::{CloudError, Session};

/// The value of a public SSM parameter (None: there is no such parameter).
pub async fn parameter(
    session: &Session,
    region: &str,
    name: &str,
) -> Result<Option<String>, CloudError> {
    match session.ssm(region).get_parameter().name(name).send().await {
        Ok(out) => Ok(out.parameter().and_then(|p| p.value()).map(str::to_string)),
        Err(e) if e.code() == Some("ParameterNotFound") => Ok(None),
        Err(e) => Err(CloudError::from_sdk("ssm", region, &e)),
    }
}

/// What the plan shows of an image, and where its root disk is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Image {
    pub id: String,
    pub name: String,
    pub architecture: String,
    pub root_device: Option<String>,
    /// The root disk it asks for: GB and volume type.
    pub root_disk: Option<(i32, String)>,
}

/// An image (None: no such image, or not visible).
pub async fn image(
    session: &Session,
    region: &str,
    ami: &str,
) -> Result<Option<Image>, CloudError> {
    let out = match session
        .ec2(region)
        .describe_images()
        .image_ids(ami)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) if e.code().is_some_and(|c| c.starts_with("InvalidAMIID")) => return Ok(None),
        Err(e) => return Err(CloudError::from_sdk("ec2", region, &e)),
    };
    Ok(out.images().first().map(|i| Image {
        root_disk: i
            .block_device_mappings()
            .iter()
            .find(|m| m.device_name() == i.root_device_name())
            .and_then(|m| m.ebs())
            .and_then(|e| {
                Some((
                    e.volume_size()?,
                    e.volume_type().map_or("gp2", |t| t.as_str()).to_string(),
                ))
            }),
        id: ami.to_string(),
        name: i.name().unwrap_or_default().to_string(),
        architecture: i
            .architecture()
            .map(|a| a.as_str().to_string())
            .unwrap_or_default(),
        root_device: i.root_device_name().map(str::to_string),
    }))
}

/// What a launch template gives (its version's data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Template {
    pub id: String,
    pub name: String,
    /// The version used (its default when none was asked for).
    pub version: String,
    pub instance_type: Option<String>,
    pub image_id: Option<String>,
}

/// A launch template by name or id, at `version` (None: its default).
pub async fn template(
    session: &Session,
    region: &str,
    name_or_id: &str,
    version: Option<&str>,
) -> Result<Option<Template>, CloudError> {
    let mut req = session
        .ec2(region)
        .describe_launch_template_versions()
        .versions(version.unwrap_or("$Default"));
    req = if name_or_id.starts_with("lt-") {
        req.launch_template_id(name_or_id)
    } else {
        req.launch_template_name(name_or_id)
    };
    let out = match req.send().await {
        Ok(out) => out,
        Err(e)
            if e.code().is_some_and(|c| {
                c.starts_with("InvalidLaunchTemplate")
                    || c == "InvalidLaunchTemplateName.NotFoundException"
            }) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(CloudError::from_sdk("ec2", region, &e)),
    };
    Ok(out.launch_template_versions().first().map(|v| {
        let data = v.launch_template_data();
        Template {
            id: v.launch_template_id().unwrap_or_default().to_string(),
            name: v.launch_template_name().unwrap_or_default().to_string(),
            version: v.version_number().unwrap_or(1).to_string(),
            instance_type: data
                .and_then(|d| d.instance_type())
                .map(|t| t.as_str().to_string()),
            image_id: data.and_then(|d| d.image_id()).map(str::to_string),
        }
    }))
}

/// What an existing instance was launched with (`--like`, growing a
/// cluster like its workers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Like {
    pub id: String,
    pub image_id: String,
    pub instance_type: String,
    pub subnet_id: Option<String>,
    pub key_name: Option<String>,
    pub security_group_ids: Vec<String>,
    pub spot: bool,
    /// Its root disk: GB and volume type.
    pub root_disk: Option<(i32, String)>,
}

/// The launch settings of instance `id` (None: AWS does not know it).
/// `what` is an instance id or a Name tag (the first live instance of that
/// name).
pub async fn like(session: &Session, region: &str, what: &str) -> Result<Option<Like>, CloudError> {
    let req = session.ec2(region).describe_instances();
    let req = if what.starts_with("i-") {
        req.instance_ids(what)
    } else {
        req.filters(ec2::Filter::builder().name("tag:Name").values(what).build())
            .filters(
                ec2::Filter::builder()
                    .name("instance-state-name")
                    .values("pending")
                    .values("running")
                    .values("stopping")
                    .values("stopped")
                    .build(),
            )
    };
    let out = match req.send().await {
        Ok(out) => out,
        Err(e) if e.code() == Some("InvalidInstanceID.NotFound") => return Ok(None),
        Err(e) if e.code() == Some("InvalidInstanceID.Malformed") => return Ok(None),
        Err(e) => return Err(CloudError::from_sdk("ec2", region, &e)),
    };
    let Some(i) = out.reservations().iter().flat_map(|r| r.instances()).next() else {
        return Ok(None);
    };
    let root = i.root_device_name().unwrap_or_default();
    let mappings = i.block_device_mappings();
    let root_volume = mappings
        .iter()
        .find(|m| m.device_name() == Some(root))
        .or_else(|| mappings.first())
        .and_then(|m| m.ebs())
        .and_then(|e| e.volume_id())
        .map(str::to_string);
    let root_disk = match root_volume {
        Some(v) => volume_disk(session, region, &v).await?,
        None => None,
    };
    Ok(Some(Like {
        id: i.instance_id().unwrap_or(what).to_string(),
        image_id: i.image_id().unwrap_or_default().to_string(),
        instance_type: i
            .instance_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        subnet_id: i.subnet_id().map(str::to_string),
        key_name: i.key_name().map(str::to_string),
        security_group_ids: i
            .security_groups()
            .iter()
            .filter_map(|g| g.group_id().map(str::to_string))
            .collect(),
        spot: i.instance_lifecycle() == Some(&ec2::InstanceLifecycleType::Spot),
        root_disk,
    }))
}

async fn volume_disk(
    session: &Session,
    region: &str,
    id: &str,
) -> Result<Option<(i32, String)>, CloudError> {
    let out = session
        .ec2(region)
        .describe_volumes()
        .volume_ids(id)
        .send()
        .await
        .map_err(|e| CloudError::from_sdk("ec2", region, &e))?;
    Ok(out.volumes().first().and_then(|v| {
        Some((
            v.size()?,
            v.volume_type().map_or("gp2", |t| t.as_str()).to_string(),
        ))
    }))
}

/// The ARN of the credentials in use (STS GetCallerIdentity).
pub async fn caller_arn(session: &Session) -> Result<String, CloudError> {
    let out = session
        .sts()
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| CloudError::from_sdk("sts", session.home_region(), &e))?;
    Ok(out.arn().unwrap_or_default().to_string())
}

/// The availability zone of each subnet given (in the order given), and
/// whether the first gives its machines a public address (no subnet: the
/// default VPC's, which do).
pub async fn subnet_zones(
    session: &Session,
    region: &str,
    subnets: &[String],
) -> Result<(Vec<(String, String)>, bool), CloudError> {
    if subnets.is_empty() {
        return Ok((Vec::new(), true));
    }
    let out = session
        .ec2(region)
        .describe_subnets()
        .set_subnet_ids(Some(subnets.to_vec()))
        .send()
        .await
        .map_err(|e| CloudError::from_sdk("ec2", region, &e))?;
    let public = out
        .subnets()
        .iter()
        .find(|n| n.subnet_id() == subnets.first().map(String::as_str))
        .and_then(|n| n.map_public_ip_on_launch())
        .unwrap_or(false);
    let zones = subnets
        .iter()
        .map(|s| {
            let az = out
                .subnets()
                .iter()
                .find(|n| n.subnet_id() == Some(s))
                .and_then(|n| n.availability_zone())
                .unwrap_or("?");
            (s.clone(), az.to_string())
        })
        .collect();
    Ok((zones, public))
}

/// The VPC to make a security group in: the first subnet's, else the
/// region's default VPC (None: there is none).
pub async fn vpc_for(
    session: &Session,
    region: &str,
    subnet: Option<&str>,
) -> Result<Option<String>, CloudError> {
    let client = session.ec2(region);
    if let Some(subnet) = subnet {
        let out = client
            .describe_subnets()
            .subnet_ids(subnet)
            .send()
            .await
            .map_err(|e| CloudError::from_sdk("ec2", region, &e))?;
        return Ok(out
            .subnets()
            .first()
            .and_then(|s| s.vpc_id())
            .map(str::to_string));
    }
    let out = client
        .describe_vpcs()
        .filters(
            ec2::Filter::builder()
                .name("is-default")
                .values("true")
                .build(),
        )
        .send()
        .await
        .map_err(|e| CloudError::from_sdk("ec2", region, &e))?;
    Ok(out
        .vpcs()
        .first()
        .and_then(|v| v.vpc_id())
        .map(str::to_string))
}

/// A security group named `name` in `vpc`: its id and the addresses its
/// inbound rules let reach port 22.
pub async fn ssh_group(
    session: &Session,
    region: &str,
    vpc: &str,
    name: &str,
) -> Result<Option<(String, Vec<String>)>, CloudError> {
    let out = session
        .ec2(region)
        .describe_security_groups()
        .filters(ec2::Filter::builder().name("vpc-id").values(vpc).build())
        .filters(
            ec2::Filter::builder()
                .name("group-name")
                .values(name)
                .build(),
        )
        .send()
        .await
        .map_err(|e| CloudError::from_sdk("ec2", region, &e))?;
    Ok(out.security_groups().first().map(|g| {
        let cidrs = g
            .ip_permissions()
            .iter()
            .filter(|p| p.from_port() == Some(22) || p.ip_protocol() == Some("-1"))
            .flat_map(|p| p.ip_ranges())
            .filter_map(|r| r.cidr_ip().map(str::to_string))
            .collect();
        (g.group_id().unwrap_or_default().to_string(), cidrs)
    }))
}
