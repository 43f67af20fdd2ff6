//! `skiff prices refresh` and `skiff prices status`.

use std::process::ExitCode;

use crate::cloud::Session;
use crate::config::{Config, Dirs};
use crate::cost::Prices;
use crate::cost::cache::PriceCache;
use crate::ops::prices::refresh_cache;

pub async fn refresh(session: &Session, dirs: &Dirs) -> anyhow::Result<ExitCode> {
    let (outcomes, saved) =
        refresh_cache(session, &dirs.cache, &session.regions, chrono::Utc::now()).await;
    let mut failed = false;
    for o in &outcomes {
        match &o.result {
            Ok(p) => out!(
                "{}: {} instance types, {} EBS volume types, {} EMR fees, S3 Standard {}{}",
                o.region,
                p.table.ec2.len(),
                p.table.ebs.len(),
                p.table.emr_fee.len(),
                p.table
                    .s3_standard
                    .map_or_else(|| "not found".to_string(), |m| format!("{m}/GB-month")),
                if p.unreadable > 0 {
                    format!(" ({} unreadable entries skipped)", p.unreadable)
                } else {
                    String::new()
                }
            ),
            Err(e) => {
                failed = true;
                err!("skiff: {e}");
            }
        }
    }
    match saved {
        Ok(path) => out!("saved to {}", path.display()),
        Err(e) => {
            err!("skiff: {e}");
            failed = true;
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

pub fn status(config: &Config, dirs: &Dirs) -> anyhow::Result<ExitCode> {
    let table = Prices::embedded();
    out!(
        "embedded table of {} ({})",
        table.table_date(),
        table.table_source()
    );
    let path = PriceCache::path(&dirs.cache);
    match PriceCache::load(&dirs.cache) {
        Ok(None) => out!(
            "no Pricing API cache yet ({}); run `skiff prices refresh`",
            path.display()
        ),
        Ok(Some(c)) => {
            out!(
                "Pricing API cache {} (wins over the table):",
                path.display()
            );
            let now = chrono::Utc::now();
            for (region, at) in &c.fetched {
                out!(
                    "  {region}: {} instance types, {} EBS volume types, fetched {} ({} days ago)",
                    c.ec2.get(region).map_or(0, std::collections::BTreeMap::len),
                    c.ebs.get(region).map_or(0, std::collections::BTreeMap::len),
                    at.format("%Y-%m-%d %H:%M UTC"),
                    now.signed_duration_since(*at).num_days()
                );
            }
        }
        Err(e) => out!("price cache unreadable, ignored: {e}"),
    }
    match config.costs.prices_max_age_days {
        0 => out!("automatic refresh: off ([costs] prices_max_age_days = 0)"),
        n => out!("automatic refresh: when older than {n} days"),
    }
    Ok(ExitCode::SUCCESS)
}
