//! Lifecycle questions and summaries in words, the same for both faces.

use crate::cost::show;
use crate::lifecycle::relaunch::RelaunchPlan;

/// What relaunching creates, group by group (master, core, task), and what
/// it costs per hour once running.
pub fn relaunch_lines(plan: &RelaunchPlan, dry_run: bool) -> Vec<String> {
    let bp = &plan.blueprint;
    let mut lines = vec![
        format!(
            "Relaunch EMR cluster {} ({}) as a new cluster in {}{}",
            bp.name,
            bp.source_id,
            bp.region,
            if dry_run { " (dry run)" } else { "" }
        ),
        format!(
            "  release {}, applications {}",
            bp.release.as_deref().unwrap_or("?"),
            bp.applications.join(", ")
        ),
    ];
    let mut groups: Vec<_> = bp.groups.iter().zip(&plan.each).collect();
    groups.sort_by_key(|(g, _)| match g.role.as_str() {
        "MASTER" => 0,
        "CORE" => 1,
        _ => 2,
    });
    for (g, rate) in groups {
        lines.push(format!(
            "  {} {} × {} ({}) {}/h each",
            g.role,
            g.count,
            g.instance_type,
            g.market.to_lowercase(),
            show(rate)
        ));
    }
    for b in &bp.bootstrap_actions {
        lines.push(format!(
            "  bootstrap {}: {} {}",
            b.name,
            b.path,
            b.args.join(" ")
        ));
    }
    lines.push(String::new());
    lines.push(format!(
        "Adds {}/h once running (instances and EMR fees; EBS not counted)",
        show(&plan.hourly)
    ));
    lines
}
