//! `skiff ls`: the inventory as a table or one JSON document.

use serde::Serialize;
use serde_json::{Map, Value};

use super::args::LsWhat;
use crate::cloud::CloudError;
use crate::cloud::inventory::Wanted;
use crate::model::Inventory;
use crate::model::{Bucket, Instance};
use crate::render::{self, Column, Row};

/// The kinds named by `ls WHAT` (an s3:// URI is handled elsewhere).
pub fn parse_what(text: &str) -> Result<LsWhat, String> {
    match text {
        "all" => Ok(LsWhat::All),
        "instances" => Ok(LsWhat::Instances),
        "clusters" => Ok(LsWhat::Clusters),
        "buckets" => Ok(LsWhat::Buckets),
        other => Err(format!(
            "`{other}`: list instances, clusters, buckets, all, or s3://bucket/prefix/"
        )),
    }
}

pub fn wanted(what: LsWhat) -> Wanted {
    match what {
        LsWhat::All => Wanted::ALL,
        LsWhat::Instances => Wanted {
            instances: true,
            clusters: false,
            buckets: false,
        },
        LsWhat::Clusters => Wanted {
            instances: false,
            clusters: true,
            buckets: false,
        },
        LsWhat::Buckets => Wanted {
            instances: false,
            clusters: false,
            buckets: true,
        },
    }
}

/// A Spark or EMR cluster in the shape of `ls --json`.
#[derive(Debug, Serialize)]
struct ClusterJson<'a> {
    name: &'a str,
    kind: &'static str,
    id: Option<&'a str>,
    state: String,
    region: &'a str,
    nodes: i64,
    /// Spark: the master's instance id; EMR: the master's public DNS name.
    master: Option<&'a str>,
    /// Spark: flintrock, spark-ec2 or tags; EMR: null.
    convention: Option<&'static str>,
    /// Spark: the worker instance ids; EMR: empty.
    workers: Vec<&'a str>,
    /// EMR: release label; Spark: null.
    release: Option<&'a str>,
    applications: Vec<&'a str>,
}

fn clusters_json(inv: &Inventory) -> Vec<ClusterJson<'_>> {
    let spark = inv.spark_clusters.iter().map(|c| ClusterJson {
        name: &c.name,
        kind: "spark",
        id: None,
        state: c.state.label().replace(' ', "-"),
        region: &c.region,
        nodes: i64::try_from(c.node_count()).unwrap_or(i64::MAX),
        master: c.master.as_deref(),
        convention: Some(c.convention.as_str()),
        workers: c.workers.iter().map(String::as_str).collect(),
        release: None,
        applications: vec![],
    });
    let emr = inv.emr_clusters.iter().map(|c| ClusterJson {
        name: &c.name,
        kind: "emr",
        id: Some(&c.id),
        state: c.state.as_str().to_string(),
        region: &c.region,
        nodes: c.node_count(),
        master: c.master_public_dns.as_deref(),
        convention: None,
        workers: vec![],
        release: c.release.as_deref(),
        applications: c.applications.iter().map(String::as_str).collect(),
    });
    spark.chain(emr).collect()
}

fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// The `--json` document: only the asked-for keys are present.
pub fn json_document(inv: &Inventory, what: Wanted) -> Value {
    let mut doc = Map::new();
    if what.instances {
        doc.insert(
            "instances".into(),
            to_value::<Vec<Instance>>(&inv.instances),
        );
    }
    if what.clusters {
        doc.insert("clusters".into(), to_value(&clusters_json(inv)));
    }
    if what.buckets {
        doc.insert("buckets".into(), to_value::<Vec<Bucket>>(&inv.buckets));
    }
    Value::Object(doc)
}

/// The width tables are fitted to: `COLUMNS` when set, else the terminal's
/// when the output is one; None (every column in full) for a pipe.
pub fn output_width() -> Option<u16> {
    use std::io::IsTerminal;
    if let Some(c) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<u16>().ok())
    {
        return Some(c);
    }
    if std::io::stdout().is_terminal() {
        return crossterm::terminal::size().ok().map(|(w, _)| w);
    }
    None
}

fn table(title: &str, columns: &[Column], rows: &[Row], out: &mut String) {
    match output_width() {
        Some(width) => fitted_table(title, columns, rows, width, out),
        None => full_table(title, columns, rows, out),
    }
}

/// A table fitted to `width` as the TUI fits it: the columns that matter
/// most that fit, each cell cut with … where it must be.
fn fitted_table(title: &str, columns: &[Column], rows: &[Row], width: u16, out: &mut String) {
    let refs: Vec<&Row> = rows.iter().collect();
    let fitted = render::fit_columns(columns, width, &refs);
    let line = |cell: &dyn Fn(usize) -> String| {
        let padded: Vec<String> = fitted
            .iter()
            .map(|&(i, w)| {
                let w = usize::from(w);
                pad(&render::ellipsize(&shown(&cell(i)), w), w)
            })
            .collect();
        padded.join(" ").trim_end().to_string()
    };
    out.push_str(&format!("{title} ({})\n", rows.len()));
    out.push_str(&line(&|i| columns[i].title.to_string()));
    out.push('\n');
    for row in rows {
        out.push_str(&line(&|i| {
            row.cells.get(i).map(|c| c.text.clone()).unwrap_or_default()
        }));
        out.push('\n');
    }
}

/// A cell as printed: cleaned for the terminal first, so that what is
/// measured is what is shown.
fn shown(text: &str) -> String {
    render::text::clean_output(text).into_owned()
}

/// `text` padded with spaces to `width` terminal columns (wide characters
/// take two).
fn pad(text: &str, width: usize) -> String {
    let w = unicode_width::UnicodeWidthStr::width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(w)))
}

fn full_table(title: &str, columns: &[Column], rows: &[Row], out: &mut String) {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.cells.iter().map(|c| shown(&c.text)).collect())
        .collect();
    let mut widths: Vec<usize> = columns.iter().map(|c| c.title.len()).collect();
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(unicode_width::UnicodeWidthStr::width(cell.as_str()));
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| pad(c, *w)).collect();
        padded.join("  ").trim_end().to_string()
    };
    out.push_str(&format!("{title} ({})\n", rows.len()));
    out.push_str(&line(columns.iter().map(|c| c.title).collect()));
    out.push('\n');
    for row in &cells {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
        out.push('\n');
    }
}

/// The readable tables, one per asked-for kind.
pub fn text_tables(
    inv: &Inventory,
    what: Wanted,
    now: chrono::DateTime<chrono::Utc>,
    costs: &crate::cost::CostReport,
    guards: &crate::ops::guard::RulesByInstance,
) -> String {
    let mut out = String::new();
    if what.instances {
        let rows: Vec<Row> = inv
            .instances
            .iter()
            .map(|i| {
                let g = render::format::guard_cell(&crate::ops::guard::rules_of(guards, [&i.id]));
                render::instances::row(i, now, costs.item(&i.id), None, &g)
            })
            .collect();
        table("Instances", render::instances::COLUMNS, &rows, &mut out);
    }
    if what.clusters {
        if !out.is_empty() {
            out.push('\n');
        }
        let mut rows: Vec<Row> = inv
            .spark_clusters
            .iter()
            .map(|c| {
                let g = render::format::guard_cell(&crate::ops::guard::rules_of(
                    guards,
                    c.master.iter().chain(&c.workers),
                ));
                render::clusters::spark_row(c, &inv.instances, Some(costs), &g)
            })
            .collect();
        rows.extend(
            inv.emr_clusters
                .iter()
                .map(|c| render::clusters::emr_row(c, Some(costs), "")),
        );
        table("Clusters", render::clusters::COLUMNS, &rows, &mut out);
    }
    if what.buckets {
        if !out.is_empty() {
            out.push('\n');
        }
        let rows: Vec<Row> = inv.buckets.iter().map(render::buckets::row).collect();
        table("Buckets", render::buckets::COLUMNS, &rows, &mut out);
    }
    out
}

/// One line that says what failed: the first error, and how many more.
/// One line for every slice that failed; `profile`: the session's, named
/// where the fix needs it (expired credentials are one message, not one
/// per region and service).
pub fn failure_line(errors: &[CloudError], profile: &str) -> Option<String> {
    let first = errors.first()?;
    if let Some(fix) = errors
        .iter()
        .find_map(|e| crate::cloud::sign_in_fix(e.code.as_deref(), profile))
    {
        return Some(format!("{fix}, then try again"));
    }
    let more = errors.len() - 1;
    Some(if more == 0 {
        first.to_string()
    } else {
        format!(
            "{first} (and {more} more failed: {})",
            errors[1..]
                .iter()
                .map(|e| format!("{} {}", e.service, e.region))
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_and_control_characters_keep_the_columns_aligned() {
        use crate::render::{Cell, Tone};
        let columns = [
            Column {
                title: "NAME",
                width: 4,
                priority: 0,
            },
            Column {
                title: "TYPE",
                width: 4,
                priority: 0,
            },
        ];
        let row = |name: &str| Row {
            key: crate::render::RowKey::Storage(name.into()),
            cells: vec![Cell::text(name), Cell::text("t3")],
            tone: Tone::Normal,
        };
        let rows = [row("数据集"), row("a\u{9b}2Jb"), row("plain")];
        let mut out = String::new();
        full_table("T", &columns, &rows, &mut out);
        let starts: Vec<usize> = out
            .lines()
            .skip(1)
            .map(|l| {
                let i = l.rfind(['T', 't']).expect("second column");
                unicode_width::UnicodeWidthStr::width(&l[..i])
            })
            .collect();
        assert!(starts.windows(2).all(|w| w[0] == w[1]), "{starts:?}\n{out}");
        assert!(!out.contains('\u{9b}'), "{out}");
    }
    use crate::sandbox::world as demo;

    #[test]
    fn json_has_only_the_asked_keys_and_the_documented_fields() {
        let inv = demo::inventory();
        let doc = json_document(&inv, wanted(LsWhat::Clusters));
        let obj = doc.as_object().expect("object");
        assert_eq!(obj.keys().collect::<Vec<_>>(), ["clusters"]);
        let all = json_document(&inv, Wanted::ALL);
        let inst = &all["instances"][0];
        for key in [
            "id",
            "name",
            "type",
            "state",
            "region",
            "az",
            "public_ip",
            "private_ip",
            "key_name",
            "launch_time",
            "cluster",
            "tags",
        ] {
            assert!(inst.get(key).is_some(), "instance field {key}");
        }
        assert_eq!(inst["launch_time"], "2026-11-21T07:45:00Z");
        let rnd = all["clusters"]
            .as_array()
            .expect("array")
            .iter()
            .find(|c| c["name"] == "rnd")
            .expect("rnd");
        assert_eq!(rnd["kind"], "spark");
        assert_eq!(rnd["nodes"], 4);
        assert_eq!(rnd["id"], Value::Null);
        let emr = all["clusters"]
            .as_array()
            .expect("array")
            .iter()
            .find(|c| c["kind"] == "emr")
            .expect("emr");
        assert_eq!(emr["id"], "j-2DEMO0ANALYTICS");
        for key in ["name", "region", "created"] {
            assert!(all["buckets"][0].get(key).is_some(), "bucket field {key}");
        }
    }

    #[test]
    fn text_tables_have_a_header_and_a_line_per_item() {
        let inv = demo::inventory();
        let costs = crate::cost::report_now(&inv, &crate::cost::Prices::embedded(), demo::now());
        let text = text_tables(&inv, Wanted::ALL, demo::now(), &costs, &Default::default());
        assert!(text.contains("Instances (12)\nNAME"));
        assert!(text.contains("Buckets (3)\nNAME"));
        assert_eq!(
            text.lines().filter(|l| l.starts_with("rnd-slave-")).count(),
            3
        );
    }

    #[test]
    fn failure_line_is_one_line_naming_the_rest() {
        let errs = vec![
            CloudError::new("ec2", "us-east-1", "cannot connect: Connection refused"),
            CloudError::new("emr", "us-east-1", "cannot connect: Connection refused"),
        ];
        let line = failure_line(&errs, "default").expect("line");
        assert!(!line.contains('\n'));
        assert!(line.starts_with("ec2 us-east-1: cannot connect"));
        assert!(line.ends_with("(and 1 more failed: emr us-east-1)"));
        assert_eq!(failure_line(&[], "default"), None);
    }
}
