//! The views' registry: every view registered has what the app needs of it
//! (a title, a `:` command, help lines, footer hints, a key of its own that
//! no other view takes), and a view written only here can be registered and
//! driven through the real event loop — its key, its `:` command, its own
//! key handling and its own background work.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::any::Any;
use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use skiff::config::{Action, Binding, Config};
use skiff::render::{Cell, Column, Row, RowKey, Tone};
use skiff::sandbox::world as demo;
use skiff::tui::app::App;
use skiff::tui::ctx::Ctx;
use skiff::tui::msg::{Msg, ViewId};
use skiff::tui::notify::Say;
use skiff::tui::pane::Pane;
use skiff::tui::theme::Theme;
use skiff::tui::ui::buffer_text;
use skiff::tui::view::{About, View};
use skiff::tui::world::World;

#[test]
fn every_registered_view_has_a_title_a_command_help_and_hints() {
    let views = skiff::tui::views::all();
    let ids: Vec<ViewId> = views.iter().map(|v| v.id()).collect();
    let config = Config::defaults();
    let mut keys = Vec::new();
    let mut words = Vec::new();
    for v in &views {
        let id = v.id();
        assert!(!v.title().is_empty(), "{id} has a title");
        assert!(!v.commands().is_empty(), "{id} has a : command");
        assert!(!v.help().is_empty(), "{id} has help lines");
        assert!(!v.hints().is_empty(), "{id} names keys in the footer");
        assert!(!v.columns().is_empty(), "{id} has columns");
        assert_eq!(ids.iter().filter(|i| **i == id).count(), 1, "{id} once");
        words.extend(v.commands().iter().copied());
        match (v.binding(), v.under()) {
            (Some(b), None) => {
                assert_eq!(b.name, id.0, "its [keys] name is its own");
                keys.extend(config.keys.bound(&b));
            }
            (None, Some(tab)) => assert!(ids.contains(&tab), "{id} is under {tab}"),
            _ => panic!("{id}: a tab of its own, or under another's"),
        }
    }
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), keys.len(), "no two views share a key");
    for k in &keys {
        assert_eq!(
            config.keys.action_for(k),
            None,
            "{k} opens a view and does something else"
        );
    }
    let mut unique = words.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), words.len(), "no two views share a : word");
    // Every config key name the TUI declares is accepted by the config.
    let named: Vec<&str> = skiff::tui::key_names();
    assert_eq!(named.len(), keys.len());
}

const NOTES: ViewId = ViewId("notes");

/// A view that exists only in this test: its rows come from background work
/// it starts when opened; `x` counts on its own.
#[derive(Default)]
struct Notes {
    pane: Pane,
    lines: Vec<String>,
    version: u64,
    pressed: u32,
}

struct Listed(Vec<String>);

const COLUMNS: &[Column] = &[Column {
    title: "NOTE",
    width: 20,
    priority: 0,
}];

const ABOUT: About = About {
    id: NOTES,
    title: "Notes",
    commands: &["notes"],
    command_args: &[],
    binding: Some(Binding {
        name: "notes",
        keys: &["9"],
        help: "Notes view (a test's)",
    }),
    under: None,
    hints: &[(Action::Stop, "count")],
    help: &["Notes made in the background."],
};

impl View for Notes {
    fn about(&self) -> &'static About {
        &ABOUT
    }
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }
    fn pane(&self) -> &Pane {
        &self.pane
    }
    fn pane_mut(&mut self) -> &mut Pane {
        &mut self.pane
    }
    fn sync(&mut self, _world: &World, width: u16) {
        let lines = &self.lines;
        self.pane.table.refresh(self.version, COLUMNS, width, || {
            lines
                .iter()
                .map(|l| Row {
                    key: RowKey::Group(l.clone()),
                    cells: vec![Cell::text(l.clone())],
                    tone: Tone::Normal,
                })
                .collect()
        });
    }
    fn on_action(&mut self, action: Action, cx: &mut Ctx<'_>) -> bool {
        if action != Action::Stop {
            return false;
        }
        self.pressed += 1;
        cx.info(format!("counted {}", self.pressed));
        true
    }
    fn on_enter(&mut self, cx: &mut Ctx<'_>) {
        cx.spawn(NOTES, async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Listed(vec!["first note".into(), "second note".into()])
        });
    }
    fn on_msg(&mut self, msg: Box<dyn Any + Send>, _cx: &mut Ctx<'_>) {
        if let Ok(listed) = msg.downcast::<Listed>() {
            self.lines = listed.0;
            self.version += 1;
        }
    }
}

#[tokio::test]
async fn a_view_written_in_a_test_is_registered_and_driven_through_the_event_loop() {
    let session = skiff::tui::screens::demo_session().await.expect("session");
    let mut world = World::fixed(
        Config::defaults(),
        demo::inventory(),
        session,
        "123456789012",
        demo::now(),
        demo::prices(),
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Msg>();
    world.set_sender(tx);
    let mut views = skiff::tui::views::all();
    views.push(Box::new(Notes::default()));
    let mut app = App::with_views(world, Theme::dark(), views);
    let key = |c: KeyCode| Ok(Event::Key(KeyEvent::from(c)));
    let mut events: Vec<std::io::Result<Event>> = vec![key(KeyCode::Char('9'))];
    events.extend([KeyCode::Char('j'), KeyCode::Char('x'), KeyCode::Char('x')].map(key));
    // Then away by the tab key and back by its `:` command.
    events.push(key(KeyCode::Char('1')));
    events.extend(":notes".chars().map(|c| key(KeyCode::Char(c))));
    events.push(key(KeyCode::Enter));
    events.push(Ok(Event::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    ))));
    // Keys a little apart, so the background work's answer comes between.
    let stream = futures::stream::iter(events)
        .then(|e| async {
            tokio::time::sleep(Duration::from_millis(40)).await;
            e
        })
        .chain(futures::stream::pending());
    let mut terminal = Terminal::new(TestBackend::new(160, 20)).expect("terminal");
    skiff::tui::run_loop(
        &mut app,
        &mut terminal,
        Box::pin(stream),
        &mut rx,
        std::future::pending(),
    )
    .await
    .expect("loop");
    let screen = buffer_text(terminal.backend().buffer());
    assert_eq!(app.view(), NOTES, "its : command opened it");
    let notes = app.view_of::<Notes>().expect("registered");
    assert_eq!(notes.pressed, 2, "its own key went to it");
    assert_eq!(
        notes.lines,
        ["first note", "second note"],
        "its work came back"
    );
    assert!(screen.contains("second note"), "{screen}");
    assert!(screen.contains("9 Notes (2)"), "its tab, counted: {screen}");
    assert!(
        app.notes.iter().any(|n| n.text == "counted 2"),
        "it spoke through its context"
    );
}
