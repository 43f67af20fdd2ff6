//! `skiff cost`: what is burning money now, today and this month.

use std::process::ExitCode;

use serde_json::{Value, json};

use super::args::CostArgs;
use crate::cloud::Session;
use crate::cloud::billing::{self, Billed};
use crate::cloud::inventory::{Wanted, fetch_all};
use crate::config::{Config, Dirs};
use crate::cost::{self, Amount, CostReport, Group, Money, Totals, show};

/// How to group the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum By {
    Resource,
    Cluster,
    Tag(String),
}

impl By {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "resource" => Ok(Self::Resource),
            "cluster" => Ok(Self::Cluster),
            t => match t.strip_prefix("tag:") {
                Some(key) if !key.is_empty() => Ok(Self::Tag(key.to_string())),
                _ => Err(format!(
                    "--by `{text}`: use resource, cluster or tag:KEY (e.g. tag:Project)"
                )),
            },
        }
    }
}

/// Dollars as a JSON number, to a micro-dollar.
fn number(m: Money) -> Value {
    json!(m.rounded(6).to_f64())
}

/// A complete amount as a number; null when part of it is unknown.
fn money(a: &Amount) -> Value {
    a.value().map_or(Value::Null, number)
}

/// Groups for `by` (None for per-resource). An EMR cluster's groups and
/// nodes go under its name.
pub fn groups(report: &CostReport, by: &By) -> Option<Vec<Group>> {
    match by {
        By::Resource => None,
        By::Cluster => Some(cost::group_by(&report.items, |i| i.cluster.clone())),
        By::Tag(key) => Some(cost::group_by(&report.items, |i| i.tags.get(key).cloned())),
    }
}

/// The `--json` document.
pub fn json_document(report: &CostReport, by: &By) -> Value {
    let t = &report.totals;
    let mut unknown: Vec<&String> = t
        .burn_rate
        .unknown
        .iter()
        .chain(&t.month_to_date.unknown)
        .collect();
    unknown.sort();
    unknown.dedup();
    let items: Vec<Value> = report
        .items
        .iter()
        .map(|i| {
            json!({
                "id": i.id, "name": i.name, "kind": i.kind, "state": i.state, "region": i.region,
                "cluster": i.cluster, "emr_cluster": i.emr_cluster,
                "hourly_usd": money(&i.hourly),
                "since_start_usd": i.since_start.as_ref().map_or(Value::Null, money),
                "today_usd": money(&i.today),
                "month_to_date_usd": money(&i.month_to_date),
                "price_source": i.price_source,
                "unknown": i.hourly.unknown.iter().chain(&i.month_to_date.unknown).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut doc = json!({
        "at": report.at,
        "as_of": report.as_of,
        "burn_rate_usd_per_hour": number(t.burn_rate.known),
        "today_usd": number(t.today.known),
        "month_to_date_usd": number(t.month_to_date.known),
        "projected_month_usd": number(t.projected_month.known),
        "complete": t.burn_rate.is_complete() && t.month_to_date.is_complete(),
        "unknown": unknown,
        "items": items,
    });
    if let Some(groups) = groups(report, by) {
        doc["groups"] = groups
            .iter()
            .map(|g| {
                json!({
                    "key": g.key, "hourly_usd": money(&g.hourly), "since_start_usd": money(&g.since_start),
                    "today_usd": money(&g.today), "month_to_date_usd": money(&g.month_to_date), "members": g.members,
                })
            })
            .collect();
    }
    doc
}

/// The readable report.
pub fn text(report: &CostReport, by: &By) -> String {
    let mut out = totals(&report.totals);
    out.push('\n');
    let rows = match groups(report, by) {
        None => item_rows(report),
        Some(groups) => group_rows(&groups, by),
    };
    out.push_str(&columns(rows));
    out
}

/// The totals line, and why they are only lower bounds where they are.
fn totals(t: &Totals) -> String {
    let mut out = format!(
        "Burn rate {}/h · today {} · month to date {} · projected month {}\n",
        show(&t.burn_rate),
        show(&t.today),
        show(&t.month_to_date),
        show(&t.projected_month)
    );
    if !t.burn_rate.is_complete() || !t.month_to_date.is_complete() {
        out.push_str("Incomplete (≥ marks a lower bound):\n");
        let mut reasons: Vec<&String> = t
            .burn_rate
            .unknown
            .iter()
            .chain(&t.month_to_date.unknown)
            .collect();
        reasons.sort();
        reasons.dedup();
        for r in reasons {
            out.push_str(&format!("  - {r}\n"));
        }
    }
    out
}

/// A header, and a row per resource, the costliest first.
fn item_rows(report: &CostReport) -> Vec<Vec<String>> {
    let mut rows = vec![
        [
            "NAME",
            "ID",
            "STATE",
            "$/H",
            "SINCE START",
            "TODAY",
            "MONTH",
            "PRICE",
        ]
        .map(String::from)
        .to_vec(),
    ];
    let mut items: Vec<_> = report.items.iter().collect();
    items.sort_by(|a, b| {
        b.hourly
            .known
            .cmp(&a.hourly.known)
            .then(b.today.known.cmp(&a.today.known))
            .then(a.name.cmp(&b.name))
    });
    for i in items {
        rows.push(vec![
            i.name.clone(),
            i.id.clone(),
            i.state.to_string(),
            show(&i.hourly),
            i.since_start.as_ref().map_or("-".into(), show),
            show(&i.today),
            show(&i.month_to_date),
            i.price_source.clone(),
        ]);
    }
    rows
}

/// A header naming the grouping, and a row per group.
fn group_rows(groups: &[Group], by: &By) -> Vec<Vec<String>> {
    let title = match by {
        By::Cluster => "CLUSTER".to_string(),
        By::Tag(k) => format!("TAG {k}"),
        By::Resource => String::new(),
    };
    let mut rows = vec![vec![
        title,
        "NODES".into(),
        "$/H".into(),
        "SINCE START".into(),
        "TODAY".into(),
        "MONTH".into(),
    ]];
    for g in groups {
        rows.push(vec![
            g.key.clone(),
            g.members.len().to_string(),
            show(&g.hourly),
            show(&g.since_start),
            show(&g.today),
            show(&g.month_to_date),
        ]);
    }
    rows
}

/// `rows` as left-aligned columns, each as wide as its widest cell.
fn columns(rows: Vec<Vec<String>>) -> String {
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// S3 storage and the billed month to date, beside the running costs.
#[derive(Debug, Default)]
pub struct Extras {
    pub storage: Vec<cost::StorageCost>,
    /// None: Cost Explorer is off in the configuration.
    pub billed: Option<Result<Billed, String>>,
}

const BILLED_NOTE: &str = "billed by AWS (Cost Explorer): delayed by up to a day";

impl Extras {
    /// Adds `storage` and `billed_month_to_date` to the `--json` document.
    pub fn add_json(&self, doc: &mut Value) {
        doc["storage"] = self
            .storage
            .iter()
            .map(|s| {
                json!({
                    "bucket": s.bucket, "region": s.region, "bytes": s.bytes, "size_at": s.at,
                    "monthly_usd": money(&s.monthly), "hourly_usd": money(&s.hourly),
                    "unknown": s.monthly.unknown,
                })
            })
            .collect();
        doc["billed_month_to_date"] = match &self.billed {
            None => Value::Null,
            Some(Ok(b)) => json!({
                "usd": number(b.usd), "estimated": b.estimated,
                "fetched_at": b.fetched_at, "note": BILLED_NOTE,
            }),
            Some(Err(e)) => json!({ "error": e }),
        };
    }

    /// The readable lines after the report.
    pub fn text(&self) -> String {
        let mut out = String::new();
        if !self.storage.is_empty() {
            let total: Amount = self.storage.iter().map(|s| s.monthly.clone()).sum();
            out.push_str(&format!(
                "\nS3 STANDARD STORAGE (CloudWatch BucketSizeBytes)  {}/month\n",
                show(&total)
            ));
            for s in &self.storage {
                out.push_str(&format!(
                    "  {:<28} {:<14} {:>10}  {}/month\n",
                    s.bucket,
                    s.region,
                    s.bytes
                        .map_or_else(|| "?".to_string(), |b| bytesize::ByteSize(b).to_string()),
                    show(&s.monthly)
                ));
            }
        }
        match &self.billed {
            None => {}
            Some(Ok(b)) => out.push_str(&format!(
                "\nBilled month to date {}{} — {BILLED_NOTE}; fetched {}\n",
                b.usd,
                if b.estimated { " (estimated)" } else { "" },
                b.fetched_at.format("%Y-%m-%d %H:%M UTC")
            )),
            Some(Err(e)) => out.push_str(&format!("\nBilled month to date unknown: {e}\n")),
        }
        out
    }
}

pub async fn run(
    session: &Session,
    config: &Config,
    dirs: &Dirs,
    args: &CostArgs,
) -> anyhow::Result<ExitCode> {
    let by = By::parse(&args.by).map_err(anyhow::Error::msg)?;
    let now = crate::clock::now();
    let wanted = Wanted {
        instances: true,
        clusters: true,
        buckets: config.costs.bucket_storage,
    };
    if let Some((outcomes, saved)) = crate::ops::prices::refresh_if_stale(
        session,
        &dirs.cache,
        config.costs.prices_max_age_days,
        now,
    )
    .await
    {
        for o in outcomes {
            if let Err(e) = o.result {
                err!("skiff: warning: automatic price refresh: {e}");
            }
        }
        if let Err(e) = saved {
            err!("skiff: warning: automatic price refresh: {e}");
        }
    }
    let (inv, errors) = fetch_all(
        session,
        wanted,
        &crate::ops::connect::inventory_options(config),
        now,
    )
    .await;
    if !errors.is_empty() && inv.instances.is_empty() {
        anyhow::bail!(super::ls::failure_line(&errors, &session.profile).unwrap_or_default());
    }
    for e in &errors {
        err!("skiff: warning: could not list {e}");
    }
    let listed = crate::ops::costs::listed(&session.regions, wanted, &errors);
    let (report, prices, warnings) =
        crate::ops::costs::report_listing(session, dirs, &inv, &listed, now).await;
    for w in warnings {
        err!("skiff: warning: {w}");
    }
    let mut extras = Extras::default();
    if config.costs.bucket_storage {
        let mut sizes = Vec::new();
        for r in billing::bucket_sizes(session, &inv.buckets, now).await {
            match r {
                Ok(s) => sizes.push(s),
                Err(e) => err!("skiff: warning: bucket size unknown: {e}"),
            }
        }
        extras.storage = cost::storage_costs(&sizes, &prices);
    }
    if config.costs.cost_explorer {
        extras.billed = Some(
            crate::ops::billing::billed_cached(session, &dirs.cache, now)
                .await
                .map_err(|e| e.to_string()),
        );
    }
    if args.json {
        let mut doc = json_document(&report, &by);
        extras.add_json(&mut doc);
        out!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        out_part!("{}{}", text(&report, &by), extras.text());
    }
    Ok(if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::world as demo;

    fn demo_report() -> CostReport {
        cost::report_now(&demo::inventory(), &demo::prices(), demo::now())
    }

    #[test]
    fn by_parses_and_explains() {
        assert_eq!(By::parse("cluster"), Ok(By::Cluster));
        assert_eq!(By::parse("tag:Project"), Ok(By::Tag("Project".into())));
        assert!(By::parse("tag:").expect_err("empty").contains("tag:KEY"));
        assert!(By::parse("team").is_err());
    }

    #[test]
    fn json_has_the_documented_fields_and_marks_unknown_prices() {
        let doc = json_document(&demo_report(), &By::Resource);
        for k in [
            "burn_rate_usd_per_hour",
            "today_usd",
            "month_to_date_usd",
            "projected_month_usd",
            "complete",
            "items",
        ] {
            assert!(doc.get(k).is_some(), "{k}");
        }
        let items = doc["items"].as_array().expect("items");
        for k in [
            "id",
            "name",
            "kind",
            "state",
            "hourly_usd",
            "since_start_usd",
            "price_source",
        ] {
            assert!(items[0].get(k).is_some(), "item {k}");
        }
        // The demo's legacy nodes are m4.large, which the table does not price;
        // they are stopped, so only their (known) EBS costs now.
        assert_eq!(doc["complete"], true, "{}", doc["unknown"]);
        let groups = json_document(&demo_report(), &By::Cluster)["groups"].clone();
        assert!(
            groups
                .as_array()
                .expect("groups")
                .iter()
                .any(|g| g["key"] == "rnd")
        );
    }

    #[test]
    fn text_report_leads_with_the_burn_rate() {
        let text = text(&demo_report(), &By::Tag("Project".into()));
        assert!(text.starts_with("Burn rate $"), "{text}");
        assert!(text.contains("TAG Project"), "{text}");
        assert!(text.contains("research"), "{text}");
    }
}
