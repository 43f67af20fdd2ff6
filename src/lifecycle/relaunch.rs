//! Relaunching a terminated EMR cluster: which cluster a name means, and
//! what creating it again would cost per hour (pure).

use crate::cost::{Amount, Prices};
use crate::model::{EmrBlueprint, EmrCluster, Inventory};

/// What relaunching would create: the blueprint read from AWS, each
/// group's rate per node and the whole per hour once running.
#[derive(Debug, Clone)]
pub struct RelaunchPlan {
    pub blueprint: EmrBlueprint,
    pub each: Vec<Amount>,
    pub hourly: Amount,
}

impl RelaunchPlan {
    pub fn new(blueprint: EmrBlueprint, prices: &Prices) -> Self {
        let (each, hourly) = relaunch_hourly(&blueprint, prices);
        Self {
            blueprint,
            each,
            hourly,
        }
    }
}

/// The EMR cluster `query` names for relaunch: by id, else by name, the
/// most recently created terminated one first. Refuses one that still runs.
pub fn relaunch_source<'a>(
    inv: &'a Inventory,
    query: &str,
    listed_days: u32,
) -> Result<&'a EmrCluster, String> {
    let source = match inv.emr_cluster(query) {
        Some(c) => c,
        None => {
            let mut named: Vec<&EmrCluster> = inv
                .emr_clusters
                .iter()
                .filter(|c| c.name == query)
                .collect();
            named.sort_by_key(|c| (c.state.is_active(), std::cmp::Reverse(c.created)));
            named.first().copied().ok_or_else(|| {
                format!(
                    "no EMR cluster is called `{query}` (terminated clusters are listed for inventory.emr_terminated_days = {listed_days} days)"
                )
            })?
        }
    };
    if source.state.is_active() {
        return Err(format!(
            "EMR cluster {} ({}) is {}: relaunch re-creates a terminated cluster; this one still runs",
            source.name,
            source.id,
            source.state.as_str()
        ));
    }
    Ok(source)
}

/// What a relaunched EMR cluster adds per hour once running: each group's
/// rate per node (EC2 on demand and the EMR fee; a spot group's price is
/// the market's, so unknown) and the whole, EBS not counted.
pub fn relaunch_hourly(
    bp: &crate::model::EmrBlueprint,
    prices: &crate::cost::Prices,
) -> (Vec<crate::cost::Amount>, crate::cost::Amount) {
    let each: Vec<Amount> = bp
        .groups
        .iter()
        .map(|g| {
            if g.market.eq_ignore_ascii_case("spot") {
                return Amount::unknown(format!(
                    "{} group is spot: its price is set by the market",
                    g.role
                ));
            }
            let mut a = Amount::zero();
            a.add(
                prices
                    .on_demand(&bp.region, &g.instance_type)
                    .map(|r| r.usd_per_hour),
            );
            a.add(prices.emr_fee(&bp.region, &g.instance_type));
            a
        })
        .collect();
    let total = bp
        .groups
        .iter()
        .zip(&each)
        .map(|(g, a)| a.times(i64::from(g.count)))
        .sum();
    (each, total)
}
