//! What a new user tripped over in the TUI, each tried the same way: most on
//! the fixed demo data, the key bursts and the mouse through the real event
//! loop (`tui::run_loop` with a test terminal and a stream of events).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use skiff::config::Config;
use skiff::tui::app::App;
use skiff::tui::msg::Msg;
use skiff::tui::notify::Level;
use skiff::tui::screens::{demo_app, demo_session, render};
use skiff::tui::theme::Theme;
use skiff::tui::ui::buffer_text;

async fn app(view: skiff::tui::msg::ViewId) -> App {
    app_with(Config::defaults(), Theme::dark(), view).await
}

async fn app_with(config: Config, theme: Theme, view: skiff::tui::msg::ViewId) -> App {
    demo_app(&config, theme, demo_session().await.expect("session"), view)
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        app.on_key(KeyEvent::from(KeyCode::Char(c)));
    }
}

fn screen(app: &mut App, w: u16, h: u16) -> String {
    buffer_text(&render(app, w, h).expect("render"))
}

fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::from(code))
}

/// Runs the real loop over `events` (then a quit) on a `w`×`h` test
/// terminal; the screen at the end.
async fn run(app: &mut App, events: Vec<Event>, w: u16, h: u16) -> String {
    app.quit = false;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    let (_tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Msg>();
    let mut all: Vec<std::io::Result<Event>> = events.into_iter().map(Ok).collect();
    all.push(Ok(Event::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    ))));
    let stream = futures::stream::iter(all).chain(futures::stream::pending());
    skiff::tui::run_loop(
        app,
        &mut terminal,
        Box::pin(stream),
        &mut rx,
        std::future::pending(),
    )
    .await
    .expect("loop");
    buffer_text(terminal.backend().buffer())
}

use futures::StreamExt;

#[tokio::test]
async fn esc_and_a_command_in_one_burst_are_two_keys_not_alt_and_letters() {
    let mut a = app(skiff::tui::views::instances::ID).await;
    // A terminal that gets ESC and ':' together reports Alt-':'.
    let mut events = vec![Event::Key(KeyEvent::new(
        KeyCode::Char(':'),
        KeyModifiers::ALT,
    ))];
    events.extend("clusters".chars().map(|c| key(KeyCode::Char(c))));
    events.push(key(KeyCode::Enter));
    run(&mut a, events, 80, 24).await;
    assert_eq!(a.view(), skiff::tui::views::clusters::ID, "the command ran");
    assert!(a.popups.is_empty(), "no dialog was opened");
    assert!(a.world.transitions.is_empty(), "nothing was started");
    assert!(
        a.view_of::<skiff::tui::views::tunnels::Tunnels>()
            .expect("tunnels")
            .list
            .is_empty(),
        "no tunnel was opened"
    );
}

#[tokio::test]
async fn the_mouse_clicks_tabs_and_rows_scrolls_and_double_click_opens() {
    let mut a = app(skiff::tui::views::instances::ID).await;
    let click = |x, y| {
        Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: x,
            row: y,
            modifiers: KeyModifiers::NONE,
        })
    };
    // Row 3 is the first data row (header, tabs, column titles above).
    run(&mut a, vec![click(5, 5)], 120, 40).await;
    assert_eq!(a.table().cursor(), Some(2), "a click selects the row");
    let tab = a
        .layout
        .tab_hits
        .iter()
        .find(|t| t.2 == skiff::tui::views::buckets::ID)
        .unwrap()
        .0;
    run(&mut a, vec![click(tab + 1, 1)], 120, 40).await;
    assert_eq!(
        a.view(),
        skiff::tui::views::buckets::ID,
        "a click opens the tab"
    );
    run(&mut a, vec![click(4, 1)], 120, 40).await;
    assert_eq!(a.view(), skiff::tui::views::instances::ID);
    let wheel = Event::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: 5,
        row: 6,
        modifiers: KeyModifiers::NONE,
    });
    run(&mut a, vec![wheel.clone(), wheel], 80, 10).await;
    assert!(a.table().offset() > 0, "the wheel scrolls");
    let text = run(&mut a, vec![click(5, 3), click(5, 3)], 120, 40).await;
    assert!(
        text.contains("Instance id"),
        "a double click opened the details:\n{text}"
    );
}

#[tokio::test]
async fn start_and_resume_ask_with_what_they_add() {
    let mut a = app(skiff::tui::views::instances::ID).await;
    typed(&mut a, "/gpu");
    a.on_key(KeyEvent::from(KeyCode::Enter));
    for k in ["u", "P"] {
        typed(&mut a, k);
        assert_eq!(a.mode(), skiff::tui::popups::confirm::CONFIRM, "{k} asks");
        let lines = a
            .popup::<skiff::tui::popups::confirm::Confirm>()
            .unwrap()
            .text()
            .join("\n");
        assert!(lines.contains("Adds $0.5260/hour"), "{lines}");
        typed(&mut a, "n");
        assert!(a.world.transitions.is_empty());
    }
}

#[tokio::test]
async fn the_header_never_draws_over_its_right_side_and_marks_what_it_cuts() {
    let mut a = app(skiff::tui::views::instances::ID).await;
    a.world.force_read_only();
    for w in [60u16, 80, 100, 120, 160] {
        let text = screen(&mut a, w, 24);
        let header = text.lines().next().unwrap();
        if w >= 80 {
            assert!(header.contains("⟳ 10:00:00"), "{w}: {header}");
        }
        assert!(header.contains("/h today $"), "{w}: {header}");
        assert!(header.contains("READ-ONLY"), "{w}: {header}");
        // The account is whole, cut with …, or left out — never `1` or `123456789`.
        let whole = header.contains("123456789012");
        assert!(
            whole || !header.contains("1234") || header.contains('…'),
            "{w}: {header}"
        );
        assert!(
            !header.contains(" endpoint  ") && !header.ends_with("endpoint"),
            "{w}: {header}"
        );
    }
    // Mono: bold only on skiff's own name at 80 columns (no labels there).
    let mut m = app_with(
        Config::defaults(),
        Theme::builtin("mono").unwrap(),
        skiff::tui::views::instances::ID,
    )
    .await;
    let buf = render(&mut m, 80, 24).unwrap();
    let bold: Vec<u16> = (0..80)
        .filter(|&x| {
            buf[(x, 0)]
                .modifier
                .contains(ratatui::style::Modifier::BOLD)
        })
        .collect();
    assert_eq!(
        bold,
        (0..7).collect::<Vec<u16>>(),
        "bold cells of the header"
    );
}

#[tokio::test]
async fn at_80_columns_what_matters_is_not_cut() {
    // The filter and the Costs breakdown beside the tabs.
    let mut a = app(skiff::tui::views::instances::ID).await;
    typed(&mut a, "/!rnd");
    a.on_key(KeyEvent::from(KeyCode::Enter));
    let tabs = screen(&mut a, 80, 24).lines().nth(1).unwrap().to_string();
    assert!(tabs.contains("filter:!rnd"), "{tabs}");
    assert!(
        tabs.contains("(8/12)"),
        "the count says what the filter hides: {tabs}"
    );
    let mut c = app(skiff::tui::views::costs::ID).await;
    let tabs = screen(&mut c, 80, 24).lines().nth(1).unwrap().to_string();
    assert!(tabs.contains("by resource"), "{tabs}");
    // A long notification wraps instead of losing its remedy.
    let mut a = app(skiff::tui::views::clusters::ID).await;
    typed(&mut a, "/analytics");
    a.on_key(KeyEvent::from(KeyCode::Enter));
    typed(&mut a, "T");
    let text = screen(&mut a, 80, 24);
    assert!(
        text.contains("protect j-2DEMO0ANALYTICS off"),
        "the remedy is on screen:\n{text}"
    );
    // Cut cells are marked.
    let mut a = app(skiff::tui::views::instances::ID).await;
    a.world.inventory.instances[0].name = Some("a-very-long-instance-name-for-the-column".into());
    a.world.recompute_costs(&mut Default::default());
    let text = screen(&mut a, 80, 24);
    let line = text
        .lines()
        .find(|l| l.starts_with("a-very-long-"))
        .expect("the row");
    assert!(
        line.contains('…') && !line.contains("for-the-column"),
        "cut, and marked: {line}"
    );
}

#[tokio::test]
async fn sorting_by_a_hidden_column_says_so_and_s_cycles_what_is_visible() {
    let mut a = app(skiff::tui::views::instances::ID).await;
    screen(&mut a, 80, 24);
    for _ in 0..20 {
        typed(&mut a, "s");
        if let Some((c, _)) = a.table().sort {
            let visible = skiff::render::visible_columns(a.columns(), 80);
            assert!(visible.contains(&c), "s sorted by hidden column {c}");
        }
    }
    // Hidden after a resize: the tabs line says what the rows are sorted by.
    screen(&mut a, 160, 40);
    let last = skiff::render::visible_columns(a.columns(), 158)
        .last()
        .copied()
        .unwrap();
    while a.table().sort.map(|s| s.0) != Some(last) {
        typed(&mut a, "s");
    }
    let tabs = screen(&mut a, 80, 24).lines().nth(1).unwrap().to_string();
    assert!(tabs.contains("sorted by"), "{tabs}");
}

#[tokio::test]
async fn each_page_names_its_own_keys_as_bound() {
    let config = Config::from_user_text(std::path::Path::new("k.toml"), "[keys]\nstop = [\"X\"]\n")
        .expect("config");
    let mut a = app_with(config, Theme::dark(), skiff::tui::views::instances::ID).await;
    let footer = |a: &mut App| screen(a, 100, 24).lines().last().unwrap().to_string();
    assert!(footer(&mut a).contains("X stop"), "{}", footer(&mut a));
    typed(&mut a, "6");
    let f = footer(&mut a);
    assert!(
        f.contains("X cancel") && f.contains("R retry") && !f.contains("start"),
        "{f}"
    );
    typed(&mut a, "5");
    let f = footer(&mut a);
    assert!(f.contains("o open") && f.contains("X close"), "{f}");
}

#[tokio::test]
async fn esc_clears_marks_and_a_grown_terminal_shows_the_first_rows() {
    let mut a = app(skiff::tui::views::instances::ID).await;
    typed(&mut a, "  ");
    assert_eq!(a.table().marked.len(), 2);
    a.on_key(KeyEvent::from(KeyCode::Esc));
    assert!(a.table().marked.is_empty(), "esc clears marks");
    typed(&mut a, "g");
    screen(&mut a, 30, 8);
    for _ in 0..6 {
        typed(&mut a, "j");
    }
    screen(&mut a, 30, 8);
    typed(&mut a, "kkkkkk");
    let text = screen(&mut a, 80, 24);
    assert!(
        text.lines().nth(3).unwrap().starts_with("ds-workbench"),
        "the first row is back:\n{text}"
    );
}

#[tokio::test]
async fn a_switch_of_region_drops_a_bucket_page_still_on_its_way() {
    let mut a = app(skiff::tui::views::buckets::ID).await;
    a.browse("rnd-datasets", "");
    let asked = a
        .view_of::<skiff::tui::views::objects::Objects>()
        .expect("objects")
        .browser
        .generation;
    a.run_command("region eu-west-1");
    a.on_msg(Msg::View(
        skiff::tui::views::objects::ID,
        Box::new(skiff::tui::views::objects::Answer::Page {
            generation: asked,
            result: Ok((
                vec![skiff::model::ObjectEntry {
                    key: "from-the-old-session.csv".into(),
                    folder: false,
                    size: 1,
                    last_modified: None,
                    storage_class: None,
                }],
                None,
            )),
        }),
    ));
    assert!(
        a.view_of::<skiff::tui::views::objects::Objects>()
            .expect("objects")
            .browser
            .entries
            .is_empty(),
        "a stale page is dropped"
    );
}

#[tokio::test]
async fn a_notification_that_scrolled_away_can_be_read_again() {
    let mut a = app(skiff::tui::views::instances::ID).await;
    a.notify(Level::Error, "the first thing that went wrong");
    for n in 0..5 {
        a.notify(Level::Info, format!("later {n}"));
    }
    a.run_command("messages");
    let text = screen(&mut a, 100, 30);
    assert!(text.contains("the first thing that went wrong"), "{text}");
}

#[tokio::test]
async fn the_newest_message_is_reachable_at_any_width() {
    let mut a = app(skiff::tui::views::instances::ID).await;
    for n in 0..40 {
        a.notify(
            Level::Info,
            format!(
                "ec2 us-east-1: ListObjectsV2 s3://rnd-datasets/processed/features-{n}.parquet: request failed: connection closed before message completed"
            ),
        );
    }
    a.notify(Level::Warning, "the very newest one");
    typed(&mut a, "m");
    assert_eq!(a.mode(), skiff::tui::popups::text::MESSAGES);
    for (w, h) in [(30, 8), (40, 12), (80, 24)] {
        a.on_key(KeyEvent::from(KeyCode::End));
        let text = screen(&mut a, w, h);
        assert!(
            text.contains("newest one"),
            "{w}x{h}: End reaches the last message:\n{text}"
        );
    }
}

#[tokio::test]
async fn a_bucket_that_could_not_be_listed_is_not_called_empty() {
    let mut a = app(skiff::tui::views::buckets::ID).await;
    a.browse("rnd-datasets", "raw/");
    a.switch_to(skiff::tui::views::objects::ID);
    let generation = a
        .view_of::<skiff::tui::views::objects::Objects>()
        .expect("objects")
        .browser
        .generation;
    a.on_msg(Msg::View(
        skiff::tui::views::objects::ID,
        Box::new(skiff::tui::views::objects::Answer::Page {
            generation,
            result: Err(skiff::cloud::CloudError::new(
                "s3",
                "us-east-1",
                "ListObjectsV2 s3://rnd-datasets/raw/: request failed",
            )),
        }),
    ));
    let text = screen(&mut a, 100, 20);
    assert!(!text.contains("is empty"), "{text}");
    assert!(
        text.contains("could not be listed") && text.contains("r tries again"),
        "{text}"
    );
}

#[tokio::test]
async fn at_80_columns_every_command_completion_is_shown() {
    let mut a = app(skiff::tui::views::instances::ID).await;
    a.on_key(KeyEvent::from(KeyCode::Char(':')));
    a.on_key(KeyEvent::from(KeyCode::Tab));
    let all = a.completions().to_vec();
    assert!(all.len() > 8, "{all:?}");
    let text = screen(&mut a, 80, 24);
    for word in &all {
        assert!(text.contains(word.as_str()), "{word} not shown:\n{text}");
    }
}

#[tokio::test]
async fn the_mouse_asks_for_buttons_not_every_motion_and_help_says_how_to_select() {
    let mut sent = String::new();
    crossterm::Command::write_ansi(&skiff::tui::ButtonMouse, &mut sent).expect("ansi");
    assert!(
        sent.contains("?1002h") && sent.contains("?1006h"),
        "{sent:?}"
    );
    assert!(!sent.contains("1003"), "all-motion tracking: {sent:?}");
    let mut a = app(skiff::tui::views::instances::ID).await;
    a.on_key(KeyEvent::from(KeyCode::Char('?')));
    let help: Vec<String> = a
        .popup::<skiff::tui::popups::text::TextPopup>()
        .expect("help")
        .lines
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(help.iter().any(|l| l.contains("hold Shift")), "{help:#?}");
}

#[tokio::test]
async fn s3_storage_says_its_sizes_are_a_day_old_at_80_columns() {
    let mut a = app(skiff::tui::views::costs::ID).await;
    for _ in 0..6 {
        if a.view_of::<skiff::tui::views::costs::Costs>()
            .and_then(|c| skiff::tui::view::View::status(c, &a.world))
            .is_some_and(|s| s.contains("S3"))
        {
            break;
        }
        a.on_key(KeyEvent::from(KeyCode::Char('b')));
    }
    let text = screen(&mut a, 80, 24);
    assert!(text.contains("CloudWatch sizes, a day late"), "{text}");
    assert!(text.contains("No bucket sizes yet"), "{text}");
}

/// Whether a character may never reach the terminal as it is.
fn raw(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c as u32, 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2069 | 0xFEFF | 0x061C)
}

#[tokio::test]
async fn hostile_names_and_tags_reach_the_screen_as_visible_escapes() {
    let mut a = app(skiff::tui::views::instances::ID).await;
    let evil = "evil\u{9b}2J\u{1b}]52;c;aGk=\u{7}\u{7f}\u{202e}gpj.exe";
    let i = &mut a.world.inventory.instances[0];
    i.name = Some(evil.to_string());
    i.tags.insert("Name".into(), evil.to_string());
    i.tags.insert("Project".into(), evil.to_string());
    a.world.version += 1;
    a.notes
        .push(Level::Warning, format!("about {evil}"), chrono::Utc::now());
    for (w, h) in [(80, 24), (200, 40)] {
        let buf = render(&mut a, w, h).expect("render");
        let text = buffer_text(&buf);
        assert!(!text.chars().any(raw), "{w}x{h}: {text:?}");
        if w == 200 {
            assert!(text.contains("evil\\u{9b}2J"), "shown, visibly: {text}");
        }
    }
    // Its details too (every tag).
    typed(&mut a, "/evil");
    a.on_key(KeyEvent::from(KeyCode::Enter));
    a.on_key(KeyEvent::from(KeyCode::Enter));
    assert_eq!(a.mode(), skiff::tui::popups::text::DETAILS);
    let text = screen(&mut a, 120, 40);
    assert!(!text.chars().any(raw), "{text:?}");
    assert!(text.contains("\\u{202e}"), "{text}");
}
