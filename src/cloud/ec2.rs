//! EC2: instances of one region, with their EBS volumes, as domain values.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ec2::types as ec2;
use chrono::{DateTime, Utc};

use super::{CloudError, Session};
use crate::model::{Instance, InstanceState, Volume};

const SERVICE: &str = "ec2";

/// Instances (and volumes) asked for per page: big accounts show their
/// first rows while the rest is still coming, and no one answer is huge.
pub const PAGE_SIZE: i32 = 500;

/// Every instance in `region` (all pages), with attached volumes filled in.
pub async fn list_instances(session: &Session, region: &str) -> Result<Vec<Instance>, CloudError> {
    list_instances_paged(session, region, &mut |_| {}).await
}

/// [`list_instances`], handing each page of instances to `on_page` as it
/// arrives (their volumes are filled in only in the final list, once every
/// page of volumes is in too). Each page has its own time limit.
pub async fn list_instances_paged(
    session: &Session,
    region: &str,
    on_page: &mut (dyn FnMut(Vec<Instance>) + Send),
) -> Result<Vec<Instance>, CloudError> {
    let client = session.ec2(region);
    let no_volumes = HashMap::new();
    let (instances, volumes) = futures::try_join!(
        async {
            let mut out = Vec::new();
            let mut pages = client
                .describe_instances()
                .into_paginator()
                .page_size(PAGE_SIZE)
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| session.page_error(SERVICE, region, &e))?;
                let listed: Vec<ec2::Instance> = page
                    .reservations
                    .unwrap_or_default()
                    .into_iter()
                    .flat_map(|r| r.instances.unwrap_or_default())
                    .collect();
                on_page(
                    listed
                        .iter()
                        .cloned()
                        .map(|i| instance_from_sdk(i, region, &no_volumes))
                        .collect(),
                );
                out.extend(listed);
            }
            Ok::<_, CloudError>(out)
        },
        async {
            let mut out = Vec::new();
            let mut pages = client
                .describe_volumes()
                .into_paginator()
                .page_size(PAGE_SIZE)
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| session.page_error(SERVICE, region, &e))?;
                out.extend(page.volumes.unwrap_or_default());
            }
            Ok::<_, CloudError>(out)
        }
    )?;
    let volumes = volumes_by_instance(volumes);
    let mut list: Vec<Instance> = instances
        .into_iter()
        .map(|i| instance_from_sdk(i, region, &volumes))
        .collect();
    list.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(list)
}

fn volumes_by_instance(volumes: Vec<ec2::Volume>) -> HashMap<String, Vec<Volume>> {
    let mut map: HashMap<String, Vec<Volume>> = HashMap::new();
    for v in volumes {
        for attachment in v.attachments() {
            let Some(instance_id) = attachment.instance_id() else {
                continue;
            };
            map.entry(instance_id.to_string())
                .or_default()
                .push(Volume {
                    id: v.volume_id().unwrap_or_default().to_string(),
                    device: attachment.device().map(str::to_string),
                    size_gib: v.size().unwrap_or_default(),
                    volume_type: v.volume_type().map(|t| t.as_str().to_string()),
                });
        }
    }
    for list in map.values_mut() {
        list.sort_by(|a, b| a.device.cmp(&b.device).then(a.id.cmp(&b.id)));
    }
    map
}

pub(crate) fn to_utc(t: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

pub(crate) fn state_from_sdk(name: Option<&ec2::InstanceStateName>) -> InstanceState {
    match name {
        Some(ec2::InstanceStateName::Pending) => InstanceState::Pending,
        Some(ec2::InstanceStateName::Running) => InstanceState::Running,
        Some(ec2::InstanceStateName::Stopping) => InstanceState::Stopping,
        Some(ec2::InstanceStateName::Stopped) => InstanceState::Stopped,
        Some(ec2::InstanceStateName::ShuttingDown) => InstanceState::ShuttingDown,
        Some(ec2::InstanceStateName::Terminated) => InstanceState::Terminated,
        _ => InstanceState::Unknown,
    }
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_string)
}

/// The time in a StateTransitionReason: AWS writes "User initiated
/// (2026-12-01 10:00:00 GMT)", the emulator "… UTC)".
pub fn transition_time(reason: &str) -> Option<DateTime<Utc>> {
    let inner = reason.rsplit_once('(')?.1.split_once(')')?.0;
    let stamp = inner
        .trim()
        .trim_end_matches("GMT")
        .trim_end_matches("UTC")
        .trim();
    chrono::NaiveDateTime::parse_from_str(stamp, "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|t| t.and_utc())
}

fn instance_from_sdk(
    i: ec2::Instance,
    region: &str,
    volumes: &HashMap<String, Vec<Volume>>,
) -> Instance {
    let tags: BTreeMap<String, String> = i
        .tags()
        .iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect();
    let id = i.instance_id().unwrap_or_default().to_string();
    let mut attached = volumes.get(&id).cloned().unwrap_or_default();
    if attached.is_empty() {
        // Without DescribeVolumes data, keep at least the ids from the mapping.
        attached = i
            .block_device_mappings()
            .iter()
            .filter_map(|m| {
                Some(Volume {
                    id: m.ebs()?.volume_id()?.to_string(),
                    device: m.device_name().map(str::to_string),
                    size_gib: 0,
                    volume_type: None,
                })
            })
            .collect();
    }
    Instance {
        name: tags.get("Name").filter(|n| !n.is_empty()).cloned(),
        instance_type: i
            .instance_type()
            .map_or_else(String::new, |t| t.as_str().to_string()),
        state: state_from_sdk(i.state().and_then(|s| s.name())),
        region: region.to_string(),
        az: non_empty(i.placement().and_then(|p| p.availability_zone())),
        public_ip: non_empty(i.public_ip_address()),
        public_dns: non_empty(i.public_dns_name()),
        private_ip: non_empty(i.private_ip_address()),
        key_name: non_empty(i.key_name()),
        launch_time: i.launch_time().and_then(to_utc),
        state_changed: i.state_transition_reason().and_then(transition_time),
        spot: matches!(
            i.instance_lifecycle(),
            Some(ec2::InstanceLifecycleType::Spot)
        ),
        hibernation_configured: i
            .hibernation_options()
            .and_then(|h| h.configured())
            .unwrap_or(false),
        image_id: non_empty(i.image_id()),
        security_groups: i
            .security_groups()
            .iter()
            .filter_map(|g| g.group_name().map(str::to_string))
            .collect(),
        volumes: attached,
        tags,
        cluster: None,
        id,
    }
}

/// Current spot prices (Linux) of the spot instances and EMR spot groups,
/// keyed by (region, availability zone, type). A failed lookup leaves the
/// price unknown rather than failing the caller.
pub async fn spot_prices_for(
    session: &Session,
    inv: &crate::model::Inventory,
) -> crate::cost::prices::SpotPrices {
    let mut wanted: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for i in inv.instances.iter().filter(|i| i.spot) {
        wanted
            .entry(i.region.clone())
            .or_default()
            .push(i.instance_type.clone());
    }
    // EMR's spot instance groups, priced by running count.
    for c in &inv.emr_clusters {
        for g in c
            .instance_groups
            .iter()
            .filter(|g| g.market.eq_ignore_ascii_case("SPOT"))
        {
            wanted
                .entry(c.region.clone())
                .or_default()
                .push(g.instance_type.clone());
        }
    }
    let mut out = std::collections::BTreeMap::new();
    for (region, types) in wanted {
        out.extend(spot_prices_in(session, &region, &types).await);
    }
    out
}

/// Current spot prices (Linux) of `types` in each zone of `region`. A
/// failed lookup leaves them unknown rather than failing the caller.
pub async fn spot_prices_in(
    session: &Session,
    region: &str,
    types: &[String],
) -> crate::cost::prices::SpotPrices {
    let mut types = types.to_vec();
    types.sort();
    types.dedup();
    let mut out = std::collections::BTreeMap::new();
    let sent = session
        .ec2(region)
        .describe_spot_price_history()
        .set_instance_types(Some(
            types
                .iter()
                .map(|t| ec2::InstanceType::from(t.as_str()))
                .collect(),
        ))
        .product_descriptions("Linux/UNIX")
        .start_time(aws_smithy_types::DateTime::from_secs(
            chrono::Utc::now().timestamp(),
        ))
        .send()
        .await;
    let Ok(page) = sent else { return out };
    for p in page.spot_price_history() {
        let (Some(az), Some(ty), Some(price)) =
            (p.availability_zone(), p.instance_type(), p.spot_price())
        else {
            continue;
        };
        if let Some(price) = crate::cost::Money::parse(price) {
            out.entry((region.to_string(), az.to_string(), ty.as_str().to_string()))
                .or_insert(price);
        }
    }
    out
}

/// One instance by id (None if AWS no longer knows it).
pub async fn describe_instance(
    session: &Session,
    region: &str,
    id: &str,
) -> Result<Option<Instance>, CloudError> {
    let client = session.ec2(region);
    let out = match client.describe_instances().instance_ids(id).send().await {
        Ok(out) => out,
        Err(e) => {
            let err = CloudError::from_sdk(SERVICE, region, &e);
            if err.code.as_deref() == Some("InvalidInstanceID.NotFound") {
                return Ok(None);
            }
            return Err(err);
        }
    };
    let volumes = client
        .describe_volumes()
        .filters(
            ec2::Filter::builder()
                .name("attachment.instance-id")
                .values(id)
                .build(),
        )
        .send()
        .await
        .map(|v| volumes_by_instance(v.volumes.unwrap_or_default()))
        .unwrap_or_default();
    Ok(out
        .reservations
        .unwrap_or_default()
        .into_iter()
        .flat_map(|r| r.instances.unwrap_or_default())
        .next()
        .map(|i| instance_from_sdk(i, region, &volumes)))
}

/// The name of an AMI (None when it cannot be read, e.g. deregistered).
pub async fn image_name(session: &Session, region: &str, image_id: &str) -> Option<String> {
    let out = session
        .ec2(region)
        .describe_images()
        .image_ids(image_id)
        .send()
        .await
        .ok()?;
    out.images()
        .first()
        .and_then(|i| i.name())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transition_times_as_aws_and_the_emulator_write_them() {
        let want: DateTime<Utc> = "2026-12-01T10:00:00Z".parse().expect("time");
        assert_eq!(
            transition_time("User initiated (2026-12-01 10:00:00 GMT)"),
            Some(want)
        );
        assert_eq!(
            transition_time("User initiated (2026-12-01 10:00:00 UTC)"),
            Some(want)
        );
        assert_eq!(transition_time(""), None);
        assert_eq!(
            transition_time("Server.SpotInstanceTermination: Spot instance termination"),
            None
        );
    }
}
