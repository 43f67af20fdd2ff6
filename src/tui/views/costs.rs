//! The Costs view: what each resource, cluster or tag value costs (or S3
//! storage per bucket), with today's burn by the hour above; `b` changes
//! the breakdown, and the lifecycle keys work on its resource rows.

use std::any::Any;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout as Split, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Sparkline};

use crate::config::{Action, Binding};
use crate::render::costs::Breakdown;
use crate::render::{self, Column, Row, ellipsize};
use crate::tui::ctx::{Ctx, Event};
use crate::tui::msg::ViewId;
use crate::tui::pane::Pane;
use crate::tui::resource::{self, On};
use crate::tui::theme::Theme;
use crate::tui::view::{About, Details, View};
use crate::tui::world::World;

pub const ID: ViewId = ViewId("costs");

const HINTS: &[(Action, &str)] = &[
    (Action::Breakdown, "group by"),
    (Action::Details, "details"),
    (Action::Stop, "stop"),
    (Action::SortNext, "sort"),
    (Action::Help, "help"),
];

pub struct Costs {
    pane: Pane,
    pub breakdown: Breakdown,
    /// Where the burn chart goes, when there is room for it.
    chart: Option<Rect>,
}

impl Default for Costs {
    fn default() -> Self {
        Self {
            pane: Pane::sorted_by_name(render::costs::COLUMNS),
            breakdown: Breakdown::default(),
            chart: None,
        }
    }
}

impl Costs {
    /// The next breakdown; the rows are made again for it.
    fn next_breakdown(&mut self) {
        self.breakdown = self.breakdown.next();
        self.pane.table.invalidate();
        self.pane.table.reset_selection();
    }
}

fn rows(breakdown: Breakdown, columns: &[Column], world: &World) -> Vec<Row> {
    if breakdown == Breakdown::Storage {
        return render::costs::storage_rows(&world.storage);
    }
    let Some(report) = &world.costs else {
        return Vec::new();
    };
    let mut rows = render::costs::rows(
        report,
        breakdown,
        &world.config.costs.tag_key,
        world.remind_after_secs(),
    );
    resource::rows::overlay_transitions(columns, &mut rows, world);
    rows
}

const ABOUT: About = About {
    id: ID,
    title: "Costs",
    commands: &["costs", "cost"],
    command_args: &[],
    binding: Some(Binding {
        name: "costs",
        keys: &["4"],
        help: "Costs view: burn rate, today, month, reminders",
    }),
    under: None,
    hints: HINTS,
    help: &[
        "What each resource costs: $/hour now, today and this month from skiff's ledger of billed intervals; by cluster, by tag, or S3 storage per bucket. The chart shows today's burn per UTC hour.",
    ],
};

impl View for Costs {
    fn about(&self) -> &'static About {
        &ABOUT
    }

    fn columns(&self) -> &'static [Column] {
        if self.breakdown == Breakdown::Storage {
            render::costs::STORAGE_COLUMNS
        } else {
            render::costs::COLUMNS
        }
    }

    fn pane(&self) -> &Pane {
        &self.pane
    }

    fn pane_mut(&mut self) -> &mut Pane {
        &mut self.pane
    }

    fn sync(&mut self, world: &World, width: u16) {
        let (breakdown, columns) = (self.breakdown, self.columns());
        self.pane.table.refresh(world.version, columns, width, || {
            rows(breakdown, columns, world)
        });
    }

    fn on_action(&mut self, action: Action, cx: &mut Ctx<'_>) -> bool {
        if action == Action::Breakdown {
            self.next_breakdown();
            return true;
        }
        let on = On {
            view: ID,
            table: &mut self.pane.table,
            label_cell: 0,
        };
        resource::on_action(action, on, cx)
    }

    fn on_msg(&mut self, msg: Box<dyn Any + Send>, cx: &mut Ctx<'_>) {
        resource::on_msg(msg, ID, cx);
    }

    fn on_event(&mut self, event: &Event, _cx: &mut Ctx<'_>) {
        resource::on_event(event, &mut self.pane);
    }

    fn count(&self, _world: &World) -> Option<usize> {
        None
    }

    fn status(&self, world: &World) -> Option<String> {
        let label = self.breakdown.label(&world.config.costs.tag_key);
        if self.breakdown == Breakdown::Storage {
            // Said at every width: a fresh upload is not in these sizes.
            return Some(format!("{label}: CloudWatch sizes, a day late"));
        }
        Some(label)
    }

    fn empty_text(&self, world: &World) -> String {
        if self.breakdown == Breakdown::Storage {
            return " No bucket sizes yet: CloudWatch reports them once a day, for buckets a day old or more.".into();
        }
        let regions = world
            .session
            .as_ref()
            .map_or_else(String::new, |s| s.regions.join(", "));
        format!(" No costs in {regions}.")
    }

    fn layout(&mut self, body: Rect, world: &World) {
        let chart = world
            .costs
            .as_ref()
            .is_some_and(|r| !r.burn_by_hour.is_empty());
        if chart && body.height > 8 {
            let [chart, rest] =
                Split::vertical([Constraint::Length(3), Constraint::Min(0)]).areas(body);
            self.chart = Some(chart);
            self.pane.place(rest);
        } else {
            self.chart = None;
            self.pane.place(body);
        }
    }

    fn draw(&self, frame: &mut Frame, world: &World, theme: &Theme) {
        if let (Some(area), Some(report)) = (self.chart, &world.costs) {
            draw_burn_chart(frame, world, report, area, theme);
        }
        let empty = if world.busy() {
            " Loading…".to_string()
        } else {
            self.empty_text(world)
        };
        self.pane.draw(frame, self.columns(), theme, &empty);
    }

    fn details(&self, world: &World) -> Option<Details> {
        resource::details::details(world, &self.pane.table.selected()?.key)
    }
}

/// Today's burn per UTC hour (each bar the average over the part of the
/// hour that has passed), with the highest hour and the burn rate now.
fn draw_burn_chart(
    frame: &mut Frame,
    world: &World,
    report: &crate::cost::CostReport,
    area: Rect,
    theme: &Theme,
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
    let billed = match &world.billed {
        Some(Ok(b)) => format!(
            "· billed MTD {}{} (Cost Explorer, ≤1 day late) ",
            b.usd,
            if b.estimated { " est." } else { "" }
        ),
        Some(Err(_)) => "· billed MTD unknown (Cost Explorer failed) ".into(),
        None => String::new(),
    };
    // Two figures that cover different things, each said: a bar is an
    // hour's average (the hour in progress over the minutes passed), the
    // rate is what runs this moment.
    let title = format!(
        " hourly average today (UTC) · top {peak_hour:02}:00 {peak}/h · running now {}/h {billed}",
        crate::cost::show(&report.totals.burn_rate)
    );
    let spark = Sparkline::default()
        .block(
            Block::default()
                .borders(Borders::TOP)
                .border_style(theme.border())
                .title(Span::styled(
                    ellipsize(&title, usize::from(area.width)),
                    theme.dim(),
                )),
        )
        .data(&tenths_of_cents)
        .style(theme.info());
    frame.render_widget(spark, area);
}
