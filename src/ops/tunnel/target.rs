//! Where a tunnel (or a command over SSH) to a TARGET goes: the instance it
//! reaches and the presets it opens by default; and opening a tunnel's URL
//! in the browser.

use super::TunnelTarget;
use crate::config::Config;
use crate::lifecycle::Target;
use crate::model::Inventory;

/// The instance a tunnel to `target` reaches, and its default presets: an
/// instance itself, a Spark cluster's master, an EMR cluster's master.
pub fn tunnel_target(
    inv: &Inventory,
    target: &Target,
    label: &str,
    config: &Config,
) -> Result<(TunnelTarget, Vec<String>), String> {
    let t = &config.tunnel;
    match target {
        Target::Instance { id } => {
            let i = inv
                .instance(id)
                .ok_or_else(|| format!("{id} is not listed"))?;
            let emr = i.emr_cluster().is_some();
            let presets = if emr {
                t.emr_presets.clone()
            } else {
                t.instance_presets.clone()
            };
            Ok((
                TunnelTarget {
                    label: label.into(),
                    instance_id: id.clone(),
                    region: i.region.clone(),
                    emr,
                },
                presets,
            ))
        }
        Target::Spark { region, name } => {
            let c = inv
                .spark_cluster(region, name)
                .ok_or("cluster not listed")?;
            let master = c
                .master
                .clone()
                .ok_or_else(|| format!("Spark cluster {name} has no master node"))?;
            Ok((
                TunnelTarget {
                    label: label.into(),
                    instance_id: master,
                    region: region.clone(),
                    emr: false,
                },
                t.spark_presets.clone(),
            ))
        }
        Target::Emr { region, id } => {
            let master = inv
                .instances
                .iter()
                .find(|i| i.emr_cluster() == Some(id.as_str()) && i.emr_role() == Some("MASTER"))
                .ok_or_else(|| {
                    format!(
                        "the master instance of EMR cluster {id} is not listed (is the cluster running?)"
                    )
                })?;
            Ok((
                TunnelTarget {
                    label: label.into(),
                    instance_id: master.id.clone(),
                    region: region.clone(),
                    emr: true,
                },
                t.emr_presets.clone(),
            ))
        }
    }
}

/// Every instance a TARGET stands for: the instance, a Spark cluster's
/// nodes, an EMR cluster's nodes.
pub fn node_ids(inv: &Inventory, target: &Target) -> Vec<String> {
    match target {
        Target::Instance { id } => vec![id.clone()],
        Target::Spark { region, name } => inv
            .spark_cluster(region, name)
            .map(|c| c.master.iter().chain(&c.workers).cloned().collect())
            .unwrap_or_default(),
        Target::Emr { id, .. } => inv
            .instances
            .iter()
            .filter(|i| i.emr_cluster() == Some(id.as_str()))
            .map(|i| i.id.clone())
            .collect(),
    }
}

/// Opens `url` in the browser: $BROWSER, ChromeOS's garcon-url-handler, or
/// xdg-open.
pub fn open_browser(url: &str) -> Result<(), String> {
    let mut candidates: Vec<String> = std::env::var("BROWSER")
        .ok()
        .filter(|b| !b.is_empty())
        .into_iter()
        .collect();
    candidates.extend(["garcon-url-handler".to_string(), "xdg-open".to_string()]);
    for c in candidates {
        if std::process::Command::new(&c)
            .arg(url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .is_ok()
        {
            return Ok(());
        }
    }
    Err(format!(
        "no browser found (set BROWSER); open {url} yourself"
    ))
}
