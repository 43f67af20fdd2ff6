//! Drawing: header, tabs, the current page's table, the footer, and the
//! popups (each draws itself). Reads the app and its layout; never changes
//! them (the layout pass, `App::prepare`, runs before).

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row as TableRow, Table, Wrap};

use super::app::{App, ViewKind};
use super::command::COMMANDS;
use super::input::InputKind;
use crate::render::{self, ellipsize, ellipsize_left};

const SPINNER: [&str; 8] = ["⣾", "⣽", "⣻", "⢿", "⡿", "⣟", "⣯", "⣷"];

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    frame.render_widget(Block::default().style(app.theme.base()), area);
    if area.width == 0 || area.height == 0 {
        return;
    }
    let l = &app.layout;
    frame.render_widget(Paragraph::new(header_line(app, l.header.width)), l.header);
    frame.render_widget(Paragraph::new(tabs_line(app, l.tabs.width).0), l.tabs);
    if let Some(c) = l.completions {
        let text = format!(" {}", app.completions().join("  "));
        frame.render_widget(Paragraph::new(text).style(app.theme.dim()), c);
    }
    if let (Some(chart), Some(report)) = (l.chart, &app.costs) {
        draw_burn_chart(frame, app, report, chart);
    }
    if let Some(g) = l.gauge {
        draw_total_gauge(frame, app, g);
    }
    draw_table(frame, app, l.table);
    draw_footer(frame, app, l.footer);
    for p in &app.popups {
        p.draw(frame, area, &app.theme);
    }
}

/// The header: skiff, read-only, profile, account, regions, endpoint on
/// the left; burn rate, today, month and the refresh at the right. The
/// right side is placed first; left fields that do not fit are cut with `…`
/// or left out, never drawn over it.
fn header_line(app: &App, width: u16) -> Line<'static> {
    let t = &app.theme;
    let status = if let Some(n) = app.rows_arriving() {
        format!(
            " {} loading {} of … ",
            SPINNER[app.spinner % SPINNER.len()],
            crate::render::format::thousands(n)
        )
    } else if app.busy() {
        format!(" {} loading ", SPINNER[app.spinner % SPINNER.len()])
    } else {
        app.last_refresh.map_or_else(
            || " not loaded ".into(),
            |t| format!(" ⟳ {} ", t.format("%H:%M:%S")),
        )
    };
    let mut right = cost_summary(app);
    right.push(Span::styled(status, t.header()));
    let mut right_width: usize = right.iter().map(Span::width).sum();
    // Very narrow: the right side gives way from its end, before skiff's
    // name and the read-only badge do.
    let must = 8 + if app.read_only { 11 } else { 0 };
    while right_width + must > usize::from(width) && !right.is_empty() {
        right.pop();
        right_width = right.iter().map(Span::width).sum();
    }
    let room = usize::from(width).saturating_sub(right_width + 1);
    let mut left: Vec<Span<'static>> = Vec::new();
    let mut used = 0usize;
    let mut push = |spans: Vec<Span<'static>>, cut_last: bool| -> bool {
        let w: usize = spans.iter().map(Span::width).sum();
        if used + w <= room {
            used += w;
            left.extend(spans);
            return true;
        }
        // The value is cut with a mark, if enough of it would show.
        let fixed: usize = spans[..spans.len() - 1].iter().map(Span::width).sum();
        let free = room.saturating_sub(used + fixed);
        if cut_last && free >= 4 {
            let last = spans.last().map(|s| (s.content.to_string(), s.style));
            left.extend(spans[..spans.len() - 1].iter().cloned());
            if let Some((text, style)) = last {
                left.push(Span::styled(ellipsize(&text, free), style));
            }
            used = room;
        }
        false
    };
    push(
        vec![Span::styled(
            " skiff ",
            t.header().add_modifier(ratatui::style::Modifier::BOLD),
        )],
        false,
    );
    if app.read_only {
        let badge = t.warning().add_modifier(ratatui::style::Modifier::REVERSED);
        push(vec![Span::styled(" READ-ONLY ", badge)], false);
    }
    let labelled = width >= 120;
    let session = app.session.as_deref();
    let mut fields = vec![
        (
            "profile",
            session.map_or_else(|| "…".into(), |s| s.profile.clone()),
        ),
        ("account", app.account.clone().unwrap_or_else(|| "…".into())),
        (
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
        ),
    ];
    if let Some(url) = session.and_then(|s| s.endpoint_url.clone()) {
        fields.push(("endpoint", url));
    }
    for (label, value) in fields {
        let sep = if labelled {
            Span::styled(format!(" {label} "), t.header_label())
        } else {
            Span::styled(" │ ", t.header())
        };
        if !push(vec![sep, Span::styled(value, t.header())], true) {
            break;
        }
    }
    let gap = usize::from(width).saturating_sub(used + right_width);
    left.push(Span::styled(" ".repeat(gap), t.header()));
    left.extend(right);
    Line::from(left)
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
    let today_level = budget_level(totals.today.known, b.daily_usd, b.warn_percent);
    let month_level = budget_level(totals.projected_month.known, b.monthly_usd, b.warn_percent);
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

/// How many rows a tab counts: `shown/all` while a filter hides some.
fn count(app: &App, view: ViewKind) -> String {
    let table = app.pages.table(view);
    let (shown, all) = if table.total() > 0 || view == app.view {
        (table.rows().len(), table.total())
    } else {
        let inv = &app.inventory;
        let n = match view {
            ViewKind::Instances => inv.instances.len(),
            ViewKind::Clusters => inv.spark_clusters.len() + inv.emr_clusters.len(),
            ViewKind::Buckets => inv.buckets.len(),
            ViewKind::Tunnels => app.pages.tunnels.list.len(),
            ViewKind::Transfers => app.pages.transfers.list.len(),
            ViewKind::Leftovers => app.pages.leftovers.len(),
            ViewKind::Costs | ViewKind::Objects => 0,
        };
        (n, n)
    };
    if !table.filter.is_empty() && shown != all {
        format!("{shown}/{all}")
    } else {
        all.to_string()
    }
}

/// What the current page says beside the tabs: the bucket path, the
/// breakdown, the filter, the sort when its column is hidden.
fn status_text(app: &App) -> String {
    let table = app.table();
    let mut parts = Vec::new();
    if app.view == ViewKind::Objects {
        let more = if app.pages.objects.browser.next_token.is_some() {
            " (more…)"
        } else {
            ""
        };
        parts.push(format!("{}{more}", app.pages.objects.breadcrumb()));
    }
    if app.view == ViewKind::Costs {
        parts.push(app.pages.costs.breakdown.label(&app.config.costs.tag_key));
    }
    if !table.filter.is_empty() && app.input.is_none() {
        parts.push(format!("filter:{}", table.filter));
    }
    if let Some((col, desc)) = table.sort {
        let columns = app.columns();
        let visible = render::visible_columns(columns, app.layout.table_width);
        if !visible.contains(&col)
            && let Some(c) = columns.get(col)
        {
            parts.push(format!(
                "sorted by {}{}",
                c.title,
                if desc { '↓' } else { '↑' }
            ));
        }
    }
    parts.join(" · ")
}

/// The tabs line and where each tab is (for clicks). Tabs shorten (full
/// titles, four letters, the number alone but for the current one) so the
/// page's status beside them fits; a status still too long is cut from its
/// start, keeping the end of a path.
pub fn tabs_line(app: &App, width: u16) -> (Line<'static>, Vec<(u16, u16, ViewKind)>) {
    let t = &app.theme;
    let status = status_text(app);
    let status_w = if status.is_empty() {
        0
    } else {
        status.chars().count() + 2
    };
    // 0: titles and counts; 1: short titles and counts; 2: short titles,
    // the count on the current tab only; 3: numbers, but the current tab.
    let tab_text = |view: ViewKind, i: usize, style: u8| -> String {
        let n = i + 1;
        let current = view == app.view.tab();
        // Costs has no count; Leftovers none until they were looked for.
        let countable = match view {
            ViewKind::Costs => false,
            ViewKind::Leftovers => app.pages.leftovers.found.is_some(),
            _ => true,
        };
        let counted = countable && (style < 2 || (style == 2 && current));
        let title = if style == 0 {
            view.title()
        } else {
            &view.title()[..4]
        };
        match style {
            3 if !current => format!(" {n} "),
            _ if counted => format!(" {n} {title} ({}) ", count(app, view)),
            _ => format!(" {n} {title} "),
        }
    };
    let width_of = |style: u8| -> usize {
        ViewKind::ALL
            .iter()
            .enumerate()
            .map(|(i, v)| tab_text(*v, i, style).chars().count() + usize::from(style == 0))
            .sum()
    };
    let style = (0u8..=3)
        .find(|&s| width_of(s) + status_w <= usize::from(width))
        .unwrap_or(3);
    let mut spans = Vec::new();
    let mut hits = Vec::new();
    let mut x = 0u16;
    for (i, view) in ViewKind::ALL.into_iter().enumerate() {
        let text = tab_text(view, i, style);
        let w = u16::try_from(text.chars().count()).unwrap_or(0);
        hits.push((x, x.saturating_add(w), view));
        x = x.saturating_add(w);
        spans.push(Span::styled(text, t.tab(view == app.view.tab())));
        if style == 0 {
            spans.push(Span::raw(" "));
            x = x.saturating_add(1);
        }
    }
    if !status.is_empty() {
        let room = usize::from(width.saturating_sub(x)).saturating_sub(2);
        let style = if app.view == ViewKind::Objects {
            t.title()
        } else {
            t.warning()
        };
        spans.push(Span::styled(
            format!(" {} ", ellipsize_left(&status, room)),
            style,
        ));
    }
    (Line::from(spans), hits)
}

fn draw_table(frame: &mut Frame, app: &App, area: ratatui::layout::Rect) {
    if area.height == 0 {
        return;
    }
    let t = &app.theme;
    let table = app.table();
    let columns = app.columns();
    let (start, height) = (table.offset(), usize::from(area.height.saturating_sub(1)));
    let shown = table.window(start, height);
    let fitted = render::fit_columns(columns, area.width, &shown);
    let header = TableRow::new(fitted.iter().map(|&(i, _)| {
        let mut title = columns[i].title.to_string();
        if let Some((col, desc)) = table.sort
            && col == i
        {
            title.push(if desc { '↓' } else { '↑' });
        }
        title
    }))
    .style(t.column_header());
    let widths: Vec<ratatui::layout::Constraint> = fitted
        .iter()
        .map(|&(_, w)| ratatui::layout::Constraint::Length(w))
        .collect();
    if table.is_empty() {
        let [head, rest] = ratatui::layout::Layout::vertical([
            ratatui::layout::Constraint::Length(1),
            ratatui::layout::Constraint::Min(0),
        ])
        .areas(area);
        frame.render_widget(
            Table::new(Vec::<TableRow>::new(), widths).header(header),
            head,
        );
        frame.render_widget(
            Paragraph::new(empty_message(app))
                .style(t.dim())
                .wrap(Wrap { trim: true }),
            rest,
        );
        return;
    }
    let cursor = table.cursor();
    let body: Vec<TableRow> = shown
        .iter()
        .enumerate()
        .map(|(n, r)| {
            let marked = table.marked.contains(&r.key);
            let cells = fitted.iter().enumerate().map(|(k, &(i, w))| {
                let text = r.cells.get(i).map_or("", |c| c.text.as_str());
                let text = if k == 0 && marked {
                    format!("● {text}")
                } else {
                    text.to_string()
                };
                ellipsize(&text, usize::from(w))
            });
            let style = if cursor == Some(start + n) {
                t.tone(r.tone).patch(t.selected())
            } else {
                t.tone(r.tone)
            };
            TableRow::new(cells).style(style)
        })
        .collect();
    frame.render_widget(
        Table::new(body, widths).header(header).column_spacing(1),
        area,
    );
}

fn empty_message(app: &App) -> String {
    let table = app.table();
    if !table.filter.is_empty() && table.total() > 0 {
        return format!(
            " No {} match the filter `{}` (esc clears it).",
            app.view.title().to_lowercase(),
            table.filter
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
        ViewKind::Objects if app.pages.objects.browser.loading => " Loading…".to_string(),
        ViewKind::Objects if app.pages.objects.browser.error.is_some() => format!(
            " {} could not be listed: {} (r tries again; esc goes up)",
            app.pages.objects.breadcrumb(),
            app.pages
                .objects
                .browser
                .error
                .as_deref()
                .unwrap_or_default()
        ),
        ViewKind::Objects => format!(
            " {} is empty. U uploads into it; esc goes up.",
            app.pages.objects.breadcrumb()
        ),
        ViewKind::Transfers => {
            " No transfers yet: open a bucket (3, enter), then D downloads, U uploads.".to_string()
        }
        ViewKind::Tunnels => " No tunnels: select an instance or cluster and press t.".to_string(),
        ViewKind::Leftovers => app.pages.leftovers.empty_text(),
        ViewKind::Buckets => " No buckets in this account.".to_string(),
        v => format!(" No {} in {regions}.", v.title().to_lowercase()),
    }
}

/// The footer: the input line, a notification (wrapped when long), or the
/// keys of this page as the keymap binds them.
fn draw_footer(frame: &mut Frame, app: &App, area: ratatui::layout::Rect) {
    let t = &app.theme;
    let line = match &app.input {
        Some(i) if i.kind == InputKind::Filter => Line::from(vec![
            Span::styled("/", t.key()),
            Span::styled(format!("{}▏", i.text), t.input()),
            Span::styled("  enter keep · esc clear · !text inverts", t.dim()),
        ]),
        Some(i) => Line::from(vec![
            Span::styled(":", t.key()),
            Span::styled(format!("{}▏", i.text), t.input()),
            Span::styled("  tab complete · enter run · esc cancel", t.dim()),
        ]),
        None => match app.current_notification() {
            Some(n) => {
                let style = t.level(n.level);
                let repeats = n.repeats_suffix();
                Line::from(Span::styled(format!(" {}{repeats} ", n.text), style))
            }
            None => {
                let mut spans = vec![Span::raw(" ")];
                for (action, label) in app.pages.hints(app.view) {
                    if let Some(k) = app.config.keys.keys_for(action).first() {
                        spans.push(Span::styled(k.to_string(), t.key()));
                        spans.push(Span::raw(format!(" {label}  ")));
                    }
                }
                Line::from(spans)
            }
        },
    };
    frame.render_widget(Paragraph::new(line).wrap(Wrap { trim: false }), area);
}

/// Today's burn per UTC hour (each bar the average over the part of the
/// hour that has passed), with the highest hour and the burn rate now.
fn draw_burn_chart(
    frame: &mut Frame,
    app: &App,
    report: &crate::cost::CostReport,
    area: ratatui::layout::Rect,
) {
    let tenths_of_cents: Vec<u64> = report
        .burn_by_hour
        .iter()
        .map(|b| u64::try_from(b.micros() / 1000).unwrap_or(0))
        .collect();
    let (peak_hour, peak) = report
        .burn_by_hour
        .iter()
        .copied()
        .enumerate()
        .max_by_key(|(_, b)| *b)
        .unwrap_or_default();
    let billed = match &app.billed {
        Some(Ok(b)) => format!(
            "· billed MTD {}{} (Cost Explorer, ≤1 day late) ",
            b.usd,
            if b.estimated { " est." } else { "" }
        ),
        Some(Err(_)) => "· billed MTD unknown (Cost Explorer failed) ".into(),
        None => String::new(),
    };
    let title = format!(
        " burn today, average per UTC hour: highest {peak}/h ({peak_hour:02}:00), now {}/h {billed}",
        crate::cost::show(&report.totals.burn_rate)
    );
    let spark = ratatui::widgets::Sparkline::default()
        .block(
            Block::default()
                .borders(Borders::TOP)
                .border_style(app.theme.border())
                .title(Span::styled(
                    ellipsize(&title, usize::from(area.width)),
                    app.theme.dim(),
                )),
        )
        .data(&tenths_of_cents)
        .style(app.theme.info());
    frame.render_widget(spark, area);
}

fn draw_total_gauge(frame: &mut Frame, app: &App, area: ratatui::layout::Rect) {
    let (done, total) = app.pages.transfers.totals();
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
        "Mouse: click a tab or a row, the wheel scrolls, a double click opens.",
        t.dim(),
    )));
    lines.push(Line::from(Span::styled(
        format!(
            "Times are UTC. Logs: {}",
            app.dirs.state.join("skiff.log").display()
        ),
        t.dim(),
    )));
    lines
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
