//! Drawing: header, view tabs, the resource table, the footer and popups.
//! Reads the app, never changes what it shows (only scroll/selection clamps).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row as TableRow, Table, Wrap};

use super::app::{App, Level, Mode, ViewKind};
use super::command::COMMANDS;
use crate::config::Action;
use crate::render;

const SPINNER: [&str; 8] = ["⣾", "⣽", "⣻", "⢿", "⡿", "⣟", "⣯", "⣷"];

pub fn draw(frame: &mut Frame, app: &mut App) {
    let area = frame.area();
    frame.render_widget(Block::default().style(app.theme.base()), area);
    if area.width == 0 || area.height == 0 {
        return;
    }
    let [header, tabs, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(frame, app, header);
    draw_tabs(frame, app, tabs);
    let body = if app.mode == Mode::Command && !app.completions.is_empty() && body.height > 1 {
        let [table, completions] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(body);
        let text = format!(" {}", app.completions.join("  "));
        frame.render_widget(Paragraph::new(text).style(app.theme.dim()), completions);
        table
    } else {
        body
    };
    // The Transfers view ends with a gauge of all bytes together.
    let body = if app.view == ViewKind::Transfers && !app.transfers.is_empty() && body.height > 2 {
        let [table, gauge] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(body);
        draw_total_gauge(frame, app, gauge);
        table
    } else {
        body
    };
    // The Costs view starts with the burn rate over today's hours.
    let body = match (&app.costs, app.view) {
        (Some(report), ViewKind::Costs) if body.height > 8 && !report.burn_by_hour.is_empty() => {
            let [chart, table] =
                Layout::vertical([Constraint::Length(3), Constraint::Min(0)]).areas(body);
            draw_burn_chart(frame, app, report, chart);
            table
        }
        _ => body,
    };
    draw_table(frame, app, body);
    draw_footer(frame, app, footer);
    match app.mode {
        Mode::Help => draw_help(frame, app, area),
        Mode::Details => draw_details(frame, app, area),
        Mode::Confirm | Mode::TypeConfirm => draw_confirm(frame, app, area),
        Mode::TunnelDialog => draw_tunnel_dialog(frame, app, area),
        Mode::HostKey => draw_hostkey(frame, app, area),
        Mode::MfaCode => draw_mfa(frame, app, area),
        Mode::FilePicker => {
            if let Some(p) = &app.file_picker {
                let t = &app.theme;
                let mut lines: Vec<Line<'static>> = p.lines().into_iter().map(Line::from).collect();
                lines.push(Line::from(""));
                let dest_style = if p.editing_dest { t.input() } else { t.label() };
                lines.push(Line::from(vec![
                    Span::raw("to "),
                    Span::styled(
                        format!("{}{}", p.dest, if p.editing_dest { "▏" } else { "" }),
                        dest_style,
                    ),
                ]));
                lines.push(Line::from(Span::styled("space choose · enter/→ open folder · ←/backspace up · e edit destination · u upload · esc cancel", t.dim())));
                popup(
                    frame,
                    app,
                    area,
                    format!("Upload ({} chosen)", p.chosen.len()),
                    lines,
                );
            }
        }
        Mode::ConfirmDelete => {
            let t = &app.theme;
            let mut lines: Vec<Line<'static>> =
                app.delete_lines().into_iter().map(Line::from).collect();
            lines.push(Line::from(""));
            lines.push(Line::from(vec![
                Span::styled("y", t.key()),
                Span::raw(" delete  "),
                Span::styled("n", t.key()),
                Span::raw(" keep them"),
            ]));
            popup(frame, app, area, "Delete objects".to_string(), lines);
        }
        Mode::Overwrite => {
            if let Some(q) = &app.overwrite {
                let left = q.clashes.len() - q.answers.len();
                let lines: Vec<Line<'static>> = q.lines().into_iter().map(Line::from).collect();
                let title = format!(
                    "Download: {left} local file{} exist{}",
                    if left == 1 { "" } else { "s" },
                    if left == 1 { "s" } else { "" }
                );
                popup(frame, app, area, title, lines);
            }
        }
        _ => {}
    }
}

fn draw_header(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let mut spans = vec![Span::styled(
        " skiff ",
        t.header().add_modifier(ratatui::style::Modifier::BOLD),
    )];
    if app.read_only {
        let badge = t.warning().add_modifier(ratatui::style::Modifier::REVERSED);
        spans.push(Span::styled(" READ-ONLY ", badge));
    }
    // Labels only where there is room; narrow terminals get the values alone.
    let labelled = area.width >= 120;
    let mut field = |label: &str, value: String| {
        if labelled {
            spans.push(Span::styled(format!(" {label} "), t.header_label()));
        } else {
            spans.push(Span::styled(" │ ", t.header_label()));
        }
        spans.push(Span::styled(value, t.header()));
    };
    let session = app.session.as_deref();
    field(
        "profile",
        session.map_or_else(|| "…".into(), |s| s.profile.clone()),
    );
    field("account", app.account.clone().unwrap_or_else(|| "…".into()));
    field(
        "region",
        session.map_or_else(
            || "…".into(),
            |s| {
                if s.regions.len() > 3 {
                    format!("{} regions", s.regions.len())
                } else {
                    s.regions.join(",")
                }
            },
        ),
    );
    if let Some(url) = session.and_then(|s| s.endpoint_url.clone()) {
        field("endpoint", url);
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(t.header()), area);
    // The refresh status is drawn last, at the right, so it stays visible
    // when the fields are too long for the terminal.
    let status = if app.busy() {
        format!(" {} loading ", SPINNER[app.spinner % SPINNER.len()])
    } else {
        app.last_refresh.map_or_else(
            || " not loaded ".into(),
            |t| format!(" ⟳ {} ", t.format("%H:%M:%S")),
        )
    };
    let mut right_spans = cost_summary(app);
    right_spans.push(Span::styled(status, t.header_label()));
    let line = Line::from(right_spans);
    let width = u16::try_from(line.width())
        .unwrap_or(u16::MAX)
        .min(area.width);
    let right = Rect::new(area.right() - width, area.y, width, 1);
    frame.render_widget(Paragraph::new(line).style(t.header()), right);
}

fn count(app: &App, view: ViewKind) -> usize {
    let inv = &app.inventory;
    match view {
        ViewKind::Instances => inv.instances.len(),
        ViewKind::Clusters => inv.spark_clusters.len() + inv.emr_clusters.len(),
        ViewKind::Buckets => inv.buckets.len(),
        ViewKind::Costs => inv.instances.len(),
        ViewKind::Tunnels => app.tunnels.list.len(),
        ViewKind::Transfers => app.transfers.len(),
        ViewKind::Objects => app.browser.entries.len(),
    }
}

fn draw_tabs(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let mut spans = Vec::new();
    // Narrow terminals get short titles, leaving room for the costs.
    let short = area.width < 110;
    for (i, view) in ViewKind::ALL.into_iter().enumerate() {
        let title = if short {
            &view.title()[..4]
        } else {
            view.title()
        };
        let text = if view == ViewKind::Costs {
            format!(" {} {title} ", i + 1)
        } else {
            format!(" {} {title} ({}) ", i + 1, count(app, view))
        };
        // A bucket being browsed belongs to the Buckets tab.
        let active =
            view == app.view || (view == ViewKind::Buckets && app.view == ViewKind::Objects);
        spans.push(Span::styled(text, t.tab(active)));
        spans.push(Span::raw(if short { "" } else { " " }));
    }
    let state = app.view_state();
    if !state.filter.is_empty() && app.mode != Mode::Filter {
        spans.push(Span::styled(
            format!(" filter:{} ", state.filter),
            t.warning(),
        ));
    }
    if app.view == ViewKind::Costs {
        let label = app.breakdown.label(&app.config.costs.tag_key);
        spans.push(Span::styled(format!(" {label} "), t.dim()));
    }
    if app.view == ViewKind::Objects {
        let more = if app.browser.next_token.is_some() {
            " (more…)"
        } else {
            ""
        };
        spans.push(Span::styled(
            format!(" {}{more} ", app.breadcrumb()),
            t.title(),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Burn rate, today and the projected month, for the right of the header,
/// in the warning or alert colour as the budgets are approached or passed.
fn cost_summary(app: &App) -> Vec<Span<'static>> {
    use crate::cost::{BudgetLevel, budget_level, show};
    let Some(report) = &app.costs else {
        return Vec::new();
    };
    let totals = &report.totals;
    let b = &app.config.budget;
    let style = |level: BudgetLevel| match level {
        BudgetLevel::Fine => app.theme.header(),
        BudgetLevel::Warning => app.theme.warning(),
        BudgetLevel::Over => app.theme.error(),
    };
    let today_level = budget_level(totals.today.known_usd, b.daily_usd, b.warn_percent);
    let month_level = budget_level(
        totals.projected_month.known_usd,
        b.monthly_usd,
        b.warn_percent,
    );
    vec![
        Span::styled(
            format!(" {}/h ", show(&totals.burn_rate)),
            style(today_level.max(month_level)),
        ),
        Span::styled(
            format!("today {} ", show(&totals.today)),
            style(today_level),
        ),
        Span::styled(
            format!("month≈{} ", show(&totals.projected_month)),
            style(month_level),
        ),
    ]
}

fn draw_table(frame: &mut Frame, app: &mut App, area: Rect) {
    if area.height == 0 {
        return;
    }
    app.table_width = area.width;
    let rows = app.rows();
    app.sync_selection(&rows);
    app.page_rows = usize::from(area.height.saturating_sub(1)).max(1);
    let columns = app.columns();
    let visible = render::visible_columns(columns, area.width);
    let sort = app.view_state().sort;
    let t = &app.theme;
    let header = TableRow::new(visible.iter().map(|&i| {
        let mut title = columns[i].title.to_string();
        if let Some((col, desc)) = sort
            && col == i
        {
            title.push(if desc { '↓' } else { '↑' });
        }
        title
    }))
    .style(t.column_header());
    if rows.is_empty() {
        let message = empty_message(app);
        let [head, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        frame.render_widget(
            Table::new(Vec::<TableRow>::new(), widths(columns, &visible)).header(header),
            head,
        );
        frame.render_widget(
            Paragraph::new(message)
                .style(t.dim())
                .wrap(Wrap { trim: true }),
            rest,
        );
        return;
    }
    let marked = &app.view_state().marked;
    let table_rows: Vec<TableRow> = rows
        .iter()
        .map(|r| {
            let is_marked = marked.contains(&r.key);
            let cells = visible.iter().enumerate().map(|(n, &i)| {
                let text = r.cells.get(i).map_or("", |c| c.text.as_str());
                if n == 0 && is_marked {
                    format!("● {text}")
                } else {
                    text.to_string()
                }
            });
            let style = t.tone(r.tone);
            let style = if is_marked {
                style.add_modifier(ratatui::style::Modifier::BOLD)
            } else {
                style
            };
            TableRow::new(cells).style(style)
        })
        .collect();
    let table = Table::new(table_rows, widths(columns, &visible))
        .header(header)
        .column_spacing(1)
        .row_highlight_style(t.selected());
    let state = &mut app.views[app.view.index()].table;
    frame.render_stateful_widget(table, area, state);
}

fn widths(columns: &[render::Column], visible: &[usize]) -> Vec<Constraint> {
    let last = visible.len().saturating_sub(1);
    visible
        .iter()
        .enumerate()
        .map(|(n, &i)| {
            if n == last {
                Constraint::Min(columns[i].width)
            } else {
                Constraint::Length(columns[i].width)
            }
        })
        .collect()
}

fn empty_message(app: &App) -> String {
    let filter = &app.view_state().filter;
    if !filter.is_empty() && count(app, app.view) > 0 {
        return format!(
            " No {} match the filter `{filter}` (esc clears it).",
            app.view.title().to_lowercase()
        );
    }
    if app.busy() {
        return " Loading…".to_string();
    }
    let regions = app
        .session
        .as_ref()
        .map_or_else(String::new, |s| s.regions.join(", "));
    match app.view {
        ViewKind::Objects if app.browser.loading => " Loading…".to_string(),
        ViewKind::Objects => format!(
            " {} is empty. U uploads into it; esc goes up.",
            app.breadcrumb()
        ),
        ViewKind::Transfers => {
            " No transfers yet: open a bucket (3, enter), then D downloads, U uploads.".to_string()
        }
        ViewKind::Tunnels => " No tunnels: select an instance or cluster and press t.".to_string(),
        ViewKind::Buckets => " No buckets in this account.".to_string(),
        v => format!(" No {} in {regions}.", v.title().to_lowercase()),
    }
}

fn key_hint<'a>(app: &App, action: Action, label: &'a str) -> Vec<Span<'a>> {
    let keys = app.config.keys.keys_for(action);
    match keys.first() {
        Some(k) => vec![
            Span::styled(k.to_string(), app.theme.key()),
            Span::raw(format!(" {label}  ")),
        ],
        None => vec![],
    }
}

fn draw_footer(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let line = match app.mode {
        Mode::Filter => Line::from(vec![
            Span::styled("/", t.key()),
            Span::styled(format!("{}▏", app.input), t.input()),
            Span::styled("  enter keep · esc clear · !text inverts", t.dim()),
        ]),
        Mode::Command => Line::from(vec![
            Span::styled(":", t.key()),
            Span::styled(format!("{}▏", app.input), t.input()),
            Span::styled("  tab complete · enter run · esc cancel", t.dim()),
        ]),
        _ => match app.current_notification() {
            Some(n) => {
                let style = match n.level {
                    Level::Info => t.info(),
                    Level::Warning => t.warning(),
                    Level::Error => t.error(),
                };
                let repeats = if n.repeats > 1 {
                    format!(" (×{})", n.repeats)
                } else {
                    String::new()
                };
                Line::from(Span::styled(format!(" {}{repeats} ", n.text), style))
            }
            None => {
                let mut spans = vec![Span::raw(" ")];
                for (action, _) in app.config.keys.entries() {
                    if let Some(label) = action.footer_label() {
                        spans.extend(key_hint(app, action, label));
                    }
                }
                Line::from(spans)
            }
        },
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// A rectangle of at most `w`×`h` centred in `area`, never larger than it.
fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn popup(
    frame: &mut Frame,
    app: &App,
    area: Rect,
    title: String,
    lines: Vec<Line<'static>>,
) -> u16 {
    let width = area.width.saturating_sub(4).clamp(area.width.min(20), 100);
    // Long lines wrap: count the rows they will take at this width.
    let inner_width = usize::from(width.saturating_sub(2)).max(1);
    let rows: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner_width).max(1))
        .sum();
    let rows = u16::try_from(rows).unwrap_or(u16::MAX);
    let wanted = rows.saturating_add(2);
    let rect = centered(
        area,
        width,
        wanted.min(area.height.saturating_sub(2).max(3)),
    );
    let inner_height = rect.height.saturating_sub(2);
    let max_scroll = rows.saturating_sub(inner_height);
    let scroll = app.scroll.min(max_scroll);
    let more = if max_scroll > 0 {
        format!(" {}/{} ", scroll, max_scroll)
    } else {
        String::new()
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border())
        .title(Span::styled(format!(" {title} "), app.theme.title()))
        .title_bottom(Line::from(Span::styled(more, app.theme.dim())).right_aligned());
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .style(app.theme.base())
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        rect,
    );
    max_scroll
}

fn draw_details(frame: &mut Frame, app: &mut App, area: Rect) {
    let Some((title, fields)) = app.selected_details() else {
        app.mode = Mode::Normal;
        return;
    };
    let label_width = fields
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0)
        .min(24);
    let lines: Vec<Line<'static>> = fields
        .into_iter()
        .map(|(label, value)| {
            if label.is_empty() {
                Line::from(Span::styled(value, app.theme.title()))
            } else {
                Line::from(vec![
                    Span::styled(format!("{label:<label_width$} "), app.theme.label()),
                    Span::raw(value),
                ])
            }
        })
        .collect();
    let max = popup(frame, app, area, title, lines);
    app.scroll = app.scroll.min(max);
}

/// Today's burn rate per UTC hour, as a sparkline with its peak and now.
fn draw_burn_chart(frame: &mut Frame, app: &App, report: &crate::cost::CostReport, area: Rect) {
    let cents: Vec<u64> = report
        .burn_by_hour
        .iter()
        .map(|b| (b * 100.0).round().max(0.0) as u64)
        .collect();
    let peak = report.burn_by_hour.iter().copied().fold(0.0_f64, f64::max);
    let billed = match &app.billed {
        Some(Ok(b)) => format!(
            "· billed MTD {}{} (Cost Explorer, ≤1 day late) ",
            crate::cost::usd(b.usd),
            if b.estimated { " est." } else { "" }
        ),
        Some(Err(_)) => "· billed MTD unknown (Cost Explorer failed) ".into(),
        None => String::new(),
    };
    let title = format!(
        " burn today (UTC hours 0–{}): peak {}/h, now {}/h {billed}",
        cents.len().saturating_sub(1),
        crate::cost::usd(peak),
        crate::cost::show(&report.totals.burn_rate)
    );
    let spark = ratatui::widgets::Sparkline::default()
        .block(
            Block::default()
                .borders(Borders::TOP)
                .border_style(app.theme.border())
                .title(Span::styled(title, app.theme.dim())),
        )
        .data(&cents)
        .style(app.theme.info());
    frame.render_widget(spark, area);
}

fn draw_total_gauge(frame: &mut Frame, app: &App, area: Rect) {
    use std::sync::atomic::Ordering;
    let (mut done, mut total) = (0u64, 0u64);
    for t in &app.transfers {
        total += t.progress.total.load(Ordering::SeqCst);
        done += t.progress.done.load(Ordering::SeqCst) + t.progress.resumed.load(Ordering::SeqCst);
    }
    let ratio = if total == 0 {
        1.0
    } else {
        (done as f64 / total as f64).clamp(0.0, 1.0)
    };
    let gauge = ratatui::widgets::Gauge::default()
        .gauge_style(app.theme.info())
        .ratio(ratio)
        .label(format!(
            "all transfers: {} of {}",
            bytesize::ByteSize(done),
            bytesize::ByteSize(total)
        ));
    frame.render_widget(gauge, area);
}

fn draw_tunnel_dialog(frame: &mut Frame, app: &mut App, area: Rect) {
    let Some(d) = &app.tunnel_dialog else { return };
    let t = &app.theme;
    let mut lines: Vec<Line<'static>> = vec![Line::from(format!(
        "Forward ports of {} ({}) to localhost:",
        d.target.label, d.target.instance_id
    ))];
    for (n, (name, port, on)) in d.presets.iter().enumerate() {
        let mark = if *on { "[x]" } else { "[ ]" };
        let style = if n == d.cursor {
            t.selected()
        } else {
            t.base()
        };
        lines.push(Line::from(Span::styled(
            format!(" {mark} {name:<16} {port}"),
            style,
        )));
    }
    lines.push(Line::from(vec![
        Span::styled("More ports (REMOTE[:LOCAL] …): ", t.label()),
        Span::styled(format!("{}▏", d.extra), t.input()),
    ]));
    let accept = if d.accept_new_host_key { "[x]" } else { "[ ]" };
    lines.push(Line::from(format!(
        " {accept} accept the host key if the host is new (a)"
    )));
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "↑↓ move · space choose · digits add ports · enter open · esc cancel",
        t.dim(),
    )));
    popup(frame, app, area, "Tunnel".to_string(), lines);
}

fn draw_hostkey(frame: &mut Frame, app: &mut App, area: Rect) {
    let Some((_, why)) = &app.hostkey_prompt else {
        return;
    };
    let t = &app.theme;
    let lines = vec![
        Line::from(why.clone()),
        Line::from(""),
        Line::from(vec![
            Span::styled("y", t.key()),
            Span::raw(" accept and connect  "),
            Span::styled("n", t.key()),
            Span::raw(" leave it"),
        ]),
    ];
    popup(frame, app, area, "New host key".to_string(), lines);
}

fn draw_mfa(frame: &mut Frame, app: &mut App, area: Rect) {
    let Some((serial, _)) = &app.mfa_prompt else {
        return;
    };
    let t = &app.theme;
    let lines = vec![
        Line::from(format!("The profile's keys need a code from {serial}.")),
        Line::from(""),
        Line::from(vec![
            Span::styled("Code: ", t.label()),
            Span::styled(format!("{}▏", app.input), t.input()),
        ]),
        Line::from(""),
        Line::from(Span::styled("enter send · esc cancel", t.dim())),
    ];
    popup(frame, app, area, "MFA code".to_string(), lines);
}

fn draw_confirm(frame: &mut Frame, app: &mut App, area: Rect) {
    let Some(pending) = &app.pending else {
        return;
    };
    let t = &app.theme;
    let mut lines: Vec<Line<'static>> = pending
        .lines
        .iter()
        .map(|l| Line::from(l.clone()))
        .collect();
    lines.push(Line::from(""));
    let title = if app.mode == Mode::TypeConfirm {
        lines.push(Line::from(vec![
            Span::styled("Type the name to confirm: ", t.warning()),
            Span::styled(format!("{}▏", app.input), t.input()),
        ]));
        lines.push(Line::from(Span::styled(
            "enter terminate · esc cancel",
            t.dim(),
        )));
        "Terminate — this cannot be undone".to_string()
    } else {
        lines.push(Line::from(vec![
            Span::styled("y", t.key()),
            Span::raw(format!(" {}  ", pending.word())),
            Span::styled("n", t.key()),
            Span::raw(" cancel"),
        ]));
        format!("{} — are you sure?", pending.word())
    };
    popup(frame, app, area, title, lines);
}

/// The help lines: generated from the keymap, so they never drift from it.
pub fn help_lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut lines = vec![Line::from(Span::styled("Keys", t.title()))];
    for (action, _) in app.config.keys.entries() {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<14} ", app.config.keys.label(action)), t.key()),
            Span::raw(action.description()),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled("Commands (after :)", t.title())));
    for (cmd, arg) in COMMANDS {
        if *cmd == "q" {
            continue;
        }
        lines.push(Line::from(vec![
            Span::styled(format!(":{cmd} "), t.key()),
            Span::styled(arg.to_string(), t.dim()),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        format!(
            "Times are UTC. Logs: {}",
            app.dirs.state.join("skiff.log").display()
        ),
        t.dim(),
    )));
    lines
}

fn draw_help(frame: &mut Frame, app: &mut App, area: Rect) {
    let lines = help_lines(app);
    let max = popup(frame, app, area, "Help — esc closes".to_string(), lines);
    app.scroll = app.scroll.min(max);
}

/// The whole screen as plain text lines (tests and screenshots use it).
pub fn buffer_text(buffer: &ratatui::buffer::Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        for x in 0..area.width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
