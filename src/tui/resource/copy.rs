//! `c` on a resource: copy one of its values (id, addresses, DNS name) to
//! the clipboard, chosen from what the row has.

use crate::lifecycle::Target;
use crate::model::{Instance, Inventory};
use crate::tui::ctx::Ctx;
use crate::tui::notify::Say;
use crate::tui::popups::choose::Choose;
use crate::tui::table::Table;

/// What can be copied of `target`: (what it is, the value). A cluster's
/// are its id or name and its master's.
pub fn values(inv: &Inventory, target: &Target) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let instance_values = |i: &Instance, out: &mut Vec<(String, String)>, whose: &str| {
        out.push((format!("{whose}instance id"), i.id.clone()));
        let named = [
            ("public IPv4", &i.public_ip),
            ("private IPv4", &i.private_ip),
            ("public DNS", &i.public_dns),
        ];
        for (what, v) in named {
            if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
                out.push((format!("{whose}{what}"), v.clone()));
            }
        }
    };
    match target {
        Target::Instance { id } => {
            if let Some(i) = inv.instance(id) {
                instance_values(i, &mut out, "");
            }
        }
        Target::Spark { region, name } => {
            out.push(("cluster name".into(), name.clone()));
            let master = inv
                .spark_cluster(region, name)
                .and_then(|c| c.master.as_deref())
                .and_then(|m| inv.instance(m));
            if let Some(m) = master {
                instance_values(m, &mut out, "master's ");
            }
        }
        Target::Emr { id, .. } => {
            out.push(("cluster id".into(), id.clone()));
            if let Some(dns) = inv
                .emr_cluster(id)
                .and_then(|c| c.master_public_dns.clone())
            {
                out.push(("master's public DNS".into(), dns));
            }
        }
    }
    out
}

/// Asks which value of the selected row to copy, then copies it.
pub fn choose(table: &Table, cx: &mut Ctx<'_>) {
    let Some(target) = super::target::selected_target(table, cx) else {
        return;
    };
    let choices: Vec<(String, String)> = values(&cx.world.inventory, &target)
        .into_iter()
        .map(|(what, v)| (format!("{what}: {v}"), v))
        .collect();
    let copy = |cx: &mut Ctx<'_>, value: String| {
        crate::tui::clipboard::copy(&value);
        cx.info(format!("copied {value}"));
    };
    match choices.as_slice() {
        [] => cx.warn("nothing to copy: the row is no longer listed"),
        [(_, v)] => copy(cx, v.clone()),
        _ => cx.open(Choose::new("Copy which?", choices, copy)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::world as demo;

    #[test]
    fn an_instance_offers_its_id_and_addresses_a_cluster_its_masters() {
        let inv = demo::inventory();
        let i = inv
            .instances
            .iter()
            .find(|i| i.public_ip.is_some())
            .expect("an instance with an address");
        let got = values(&inv, &Target::Instance { id: i.id.clone() });
        assert_eq!(got[0], ("instance id".into(), i.id.clone()));
        assert!(
            got.iter()
                .any(|(w, v)| w == "public IPv4" && Some(v) == i.public_ip.as_ref())
        );
        let c = &inv.spark_clusters[0];
        let got = values(
            &inv,
            &Target::Spark {
                region: c.region.clone(),
                name: c.name.clone(),
            },
        );
        assert_eq!(got[0], ("cluster name".into(), c.name.clone()));
        assert!(
            got.iter().any(|(w, _)| w == "master's instance id"),
            "{got:?}"
        );
    }
}
