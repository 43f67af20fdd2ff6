//! Every field and tag of one item, as label/value lines for the detail popup.

use chrono::{DateTime, Utc};

use super::format;
use crate::model::{Bucket, EmrCluster, Instance, SparkCluster};

/// A detail line: a label and its value; an empty label makes the value a
/// section title.
pub type Line = (String, String);

fn line(label: &str, value: impl Into<String>) -> Line {
    (label.to_string(), value.into())
}

fn opt(v: Option<&str>) -> String {
    v.unwrap_or("-").to_string()
}

fn section(title: &str) -> Line {
    (String::new(), title.to_string())
}

fn tags<'a>(out: &mut Vec<Line>, tags: impl Iterator<Item = (&'a String, &'a String)>) {
    out.push(section("Tags"));
    let before = out.len();
    out.extend(tags.map(|(k, v)| line(k, v.clone())));
    if out.len() == before {
        out.push(line("(none)", ""));
    }
}

pub fn instance(i: &Instance, now: DateTime<Utc>) -> Vec<Line> {
    let mut out = vec![
        line("Name", opt(i.name.as_deref())),
        line("Instance id", i.id.clone()),
        line("Type", i.instance_type.clone()),
        line("State", i.state.as_str()),
        line("Region", i.region.clone()),
        line("Availability zone", opt(i.az.as_deref())),
        line("Public IP", opt(i.public_ip.as_deref())),
        line("Public DNS", opt(i.public_dns.as_deref())),
        line("Private IP", opt(i.private_ip.as_deref())),
        line("Key pair", opt(i.key_name.as_deref())),
        line("Image", opt(i.image_id.as_deref())),
        line(
            "Launched (last start)",
            i.launch_time.map_or("-".into(), format::timestamp),
        ),
        line("Uptime", i.uptime(now).map_or("-".into(), format::duration)),
        line("Market", if i.spot { "spot" } else { "on-demand" }),
        line(
            "Hibernation",
            if i.hibernation_configured {
                "configured"
            } else {
                "not configured"
            },
        ),
        match i.emr_cluster() {
            Some(id) => line(
                "EMR cluster",
                format!(
                    "{} ({id}), {} node: stop, pause and terminate it with the cluster",
                    i.cluster.as_deref().unwrap_or(id),
                    i.emr_role().unwrap_or("a")
                ),
            ),
            None => line("Spark cluster", opt(i.cluster.as_deref())),
        },
        line(
            "Security groups",
            if i.security_groups.is_empty() {
                "-".into()
            } else {
                i.security_groups.join(", ")
            },
        ),
    ];
    out.push(section(&format!(
        "EBS volumes ({} GiB)",
        i.total_volume_gib()
    )));
    if i.volumes.is_empty() {
        out.push(line("(none)", ""));
    }
    for v in &i.volumes {
        let kind = v.volume_type.as_deref().unwrap_or("?");
        out.push(line(
            v.device.as_deref().unwrap_or("?"),
            format!("{} {} GiB {kind}", v.id, v.size_gib),
        ));
    }
    tags(&mut out, i.tags.iter());
    out
}

pub fn spark(c: &SparkCluster, instances: &[Instance]) -> Vec<Line> {
    let describe = |id: &str| match instances.iter().find(|i| i.id == id) {
        Some(i) => format!(
            "{} {} {} {}",
            i.display_name(),
            i.id,
            i.instance_type,
            i.state
        ),
        None => id.to_string(),
    };
    let mut out = vec![
        line("Name", c.name.clone()),
        line("Kind", "Spark on EC2"),
        line("Convention", c.convention.as_str()),
        line("State", c.state.label()),
        line("Region", c.region.clone()),
        line(
            "Master",
            c.master.as_deref().map_or("(none found)".into(), describe),
        ),
    ];
    out.push(section(&format!("Workers ({})", c.workers.len())));
    out.extend(c.workers.iter().map(|w| line("worker", describe(w))));
    out
}

pub fn emr(c: &EmrCluster) -> Vec<Line> {
    let mut out = vec![
        line("Name", c.name.clone()),
        line("Cluster id", c.id.clone()),
        line("Kind", "EMR"),
        line("State", c.state.as_str()),
        line("Region", c.region.clone()),
        line("Release", opt(c.release.as_deref())),
        line("Applications", c.applications.join(", ")),
        line("Master public DNS", opt(c.master_public_dns.as_deref())),
        line("Created", c.created.map_or("-".into(), format::timestamp)),
        line(
            "Termination protection",
            if c.termination_protected { "on" } else { "off" },
        ),
    ];
    out.push(section("Instance groups"));
    for g in &c.instance_groups {
        out.push(line(
            &g.role,
            format!(
                "{} {} running {}/{} requested, {}",
                g.id, g.instance_type, g.running, g.requested, g.market
            ),
        ));
    }
    tags(&mut out, c.tags.iter());
    out
}

pub fn bucket(b: &Bucket) -> Vec<Line> {
    vec![
        line("Name", b.name.clone()),
        line(
            "Region",
            b.region
                .clone()
                .unwrap_or_else(|| "unknown (GetBucketLocation failed)".into()),
        ),
        line("Created", b.created.map_or("-".into(), format::timestamp)),
        line("URI", format!("s3://{}/", b.name)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::world as demo;

    #[test]
    fn instance_details_include_volumes_and_every_tag() {
        let inv = demo::inventory();
        let i = &inv.instances[0];
        let lines = instance(i, demo::now());
        for (k, v) in &i.tags {
            assert!(lines.contains(&(k.clone(), v.clone())), "tag {k}");
        }
        for v in &i.volumes {
            assert!(
                lines.iter().any(|(_, text)| text.contains(&v.id)),
                "volume {}",
                v.id
            );
        }
    }

    #[test]
    fn emr_details_list_each_instance_group() {
        let inv = demo::inventory();
        let lines = emr(&inv.emr_clusters[0]);
        for role in ["MASTER", "CORE", "TASK"] {
            assert!(lines.iter().any(|(l, _)| l == role), "{role}");
        }
    }
}
