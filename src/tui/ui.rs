//! The app's own lines, as widgets made from plain values: the header
//! (who, where, what it costs, whether it is loading), the tabs line, the
//! footer (the input line, a notification, or the keys of the view), and
//! the text of a whole screen for tests. Views draw their own bodies.

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::input::{InputKind, InputLine};
use super::msg::ViewId;
use super::notify::Notification;
use super::theme::Theme;
use super::world::World;
use crate::render::{ellipsize, ellipsize_left};

const SPINNER: [&str; 8] = ["⣾", "⣽", "⣻", "⢿", "⡿", "⣟", "⣯", "⣷"];

/// The header: skiff, read-only, profile, account, regions, endpoint on
/// the left; burn rate, today, month and the refresh at the right. The
/// right side is placed first; left fields that do not fit are cut with `…`
/// or left out, never drawn over it.
pub fn header_line(world: &World, theme: &Theme, spinner: usize, width: u16) -> Line<'static> {
    let t = theme;
    let spin = SPINNER[spinner % SPINNER.len()];
    let status = if let Some(n) = world.rows_arriving() {
        format!(
            " {spin} loading {} of … ",
            crate::render::format::thousands(n)
        )
    } else if world.busy() {
        format!(" {spin} loading ")
    } else {
        world.last_refresh.map_or_else(
            || " not loaded ".into(),
            |t| format!(" ⟳ {} ", t.format("%H:%M:%S")),
        )
    };
    let read_only = world.read_only();
    let mut right = cost_summary(world, theme);
    right.push(Span::styled(status, t.header()));
    let mut right_width: usize = right.iter().map(Span::width).sum();
    // Very narrow: the right side gives way from its end, before skiff's
    // name and the read-only badge do.
    let must = 8 + if read_only { 11 } else { 0 };
    while right_width + must > usize::from(width) && !right.is_empty() {
        right.pop();
        right_width = right.iter().map(Span::width).sum();
    }
    let room = usize::from(width).saturating_sub(right_width + 1);
    let mut left = Fitter {
        spans: Vec::new(),
        used: 0,
        room,
    };
    left.push(
        vec![Span::styled(
            " skiff ",
            t.header().add_modifier(Modifier::BOLD),
        )],
        false,
    );
    if read_only {
        let badge = t.warning().add_modifier(Modifier::REVERSED);
        left.push(vec![Span::styled(" READ-ONLY ", badge)], false);
    }
    if world.offline.is_some() {
        let badge = t.error().add_modifier(Modifier::REVERSED);
        left.push(vec![Span::styled(" OFFLINE ", badge)], false);
    }
    let labelled = width >= 120;
    for (label, value) in header_fields(world) {
        let sep = if labelled {
            Span::styled(format!(" {label} "), t.header_label())
        } else {
            Span::styled(" │ ", t.header())
        };
        if !left.push(vec![sep, Span::styled(value, t.header())], true) {
            break;
        }
    }
    let gap = usize::from(width).saturating_sub(left.used + right_width);
    let mut spans = left.spans;
    spans.push(Span::styled(" ".repeat(gap), t.header()));
    spans.extend(right);
    Line::from(spans)
}

/// Spans laid left to right within `room` columns.
struct Fitter {
    spans: Vec<Span<'static>>,
    used: usize,
    room: usize,
}

impl Fitter {
    /// Adds `spans` if they fit; else, with `cut_last`, the last one is cut
    /// with a mark if enough of it would show. False: nothing more fits.
    fn push(&mut self, spans: Vec<Span<'static>>, cut_last: bool) -> bool {
        let w: usize = spans.iter().map(Span::width).sum();
        if self.used + w <= self.room {
            self.used += w;
            self.spans.extend(spans);
            return true;
        }
        let fixed: usize = spans[..spans.len() - 1].iter().map(Span::width).sum();
        let free = self.room.saturating_sub(self.used + fixed);
        if cut_last && free >= 4 {
            let last = spans.last().map(|s| (s.content.to_string(), s.style));
            self.spans.extend(spans[..spans.len() - 1].iter().cloned());
            if let Some((text, style)) = last {
                self.spans.push(Span::styled(ellipsize(&text, free), style));
            }
            self.used = self.room;
        }
        false
    }
}

/// Profile, account, regions and endpoint, as the header names them.
fn header_fields(world: &World) -> Vec<(&'static str, String)> {
    let session = world.session.as_deref();
    let mut fields = vec![
        (
            "profile",
            session.map_or_else(|| "…".into(), |s| s.profile.clone()),
        ),
        (
            "account",
            world.account.clone().unwrap_or_else(|| "…".into()),
        ),
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
    fields
}

/// Burn rate, today and the projected month, for the right of the header,
/// in the warning or alert colour as the budgets are approached or passed.
fn cost_summary(world: &World, theme: &Theme) -> Vec<Span<'static>> {
    use crate::cost::{BudgetLevel, budget_level, show};
    let Some(report) = &world.costs else {
        return Vec::new();
    };
    let totals = &report.totals;
    let b = &world.config.budget;
    let style = |level: BudgetLevel| match level {
        BudgetLevel::Fine => theme.header(),
        BudgetLevel::Warning => theme.warning(),
        BudgetLevel::Over => theme.error(),
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

/// A tab as the tabs line shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tab {
    pub id: ViewId,
    /// The key that opens it, as the keymap binds it.
    pub key: String,
    pub title: &'static str,
    /// Rows it counts (None: no count).
    pub count: Option<String>,
    pub current: bool,
}

/// The tabs line and where each tab is (for clicks). Tabs shorten (full
/// titles, four letters, the number alone but for the current one) so the
/// view's status beside them fits; a status still too long is cut from its
/// start, keeping the end of a path.
pub fn tabs_line(
    theme: &Theme,
    tabs: &[Tab],
    status: (&str, ratatui::style::Style),
    width: u16,
) -> (Line<'static>, Vec<(u16, u16, ViewId)>) {
    let (status, status_style) = status;
    let status_w = if status.is_empty() {
        0
    } else {
        status.chars().count() + 2
    };
    // 0: titles and counts; 1: short titles and counts; 2: short titles,
    // the count on the current tab only; 3: numbers, but the current tab.
    let tab_text = |tab: &Tab, style: u8| -> String {
        let n = &tab.key;
        let counted = tab.count.is_some() && (style < 2 || (style == 2 && tab.current));
        let title: String = if style == 0 {
            tab.title.to_string()
        } else {
            tab.title.chars().take(4).collect()
        };
        match (style, &tab.count) {
            (3, _) if !tab.current => format!(" {n} "),
            (_, Some(count)) if counted => format!(" {n} {title} ({count}) "),
            _ => format!(" {n} {title} "),
        }
    };
    let width_of = |style: u8| -> usize {
        tabs.iter()
            .map(|t| tab_text(t, style).chars().count() + usize::from(style == 0))
            .sum()
    };
    let style = (0u8..=3)
        .find(|&s| width_of(s) + status_w <= usize::from(width))
        .unwrap_or(3);
    let mut spans = Vec::new();
    let mut hits = Vec::new();
    let mut x = 0u16;
    for tab in tabs {
        let text = tab_text(tab, style);
        let w = u16::try_from(text.chars().count()).unwrap_or(0);
        hits.push((x, x.saturating_add(w), tab.id));
        x = x.saturating_add(w);
        spans.push(Span::styled(text, theme.tab(tab.current)));
        if style == 0 {
            spans.push(Span::raw(" "));
            x = x.saturating_add(1);
        }
    }
    if !status.is_empty() {
        let room = usize::from(width.saturating_sub(x)).saturating_sub(2);
        spans.push(Span::styled(
            format!(" {} ", ellipsize_left(status, room)),
            status_style,
        ));
    }
    (Line::from(spans), hits)
}

/// The footer: the input line, a notification (wrapped when long), or the
/// keys of the view as the keymap binds them.
pub fn footer_line(
    theme: &Theme,
    input: Option<&InputLine>,
    note: Option<&Notification>,
    keys: &[(String, &'static str)],
) -> Line<'static> {
    let t = theme;
    match (input, note) {
        (Some(i), _) if i.kind == InputKind::Filter => Line::from(vec![
            Span::styled("/", t.key()),
            Span::styled(format!("{}▏", i.text), t.input()),
            Span::styled("  enter keep · esc clear · !text inverts", t.dim()),
        ]),
        (Some(i), _) => Line::from(vec![
            Span::styled(":", t.key()),
            Span::styled(format!("{}▏", i.text), t.input()),
            Span::styled("  tab complete · enter run · esc cancel", t.dim()),
        ]),
        (None, Some(n)) => Line::from(Span::styled(
            format!(" {}{} ", n.text, n.repeats_suffix()),
            t.level(n.level),
        )),
        (None, None) => {
            let mut spans = vec![Span::raw(" ")];
            for (key, label) in keys {
                spans.push(Span::styled(key.clone(), t.key()));
                spans.push(Span::raw(format!(" {label}  ")));
            }
            Line::from(spans)
        }
    }
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
