//! The TUI rendered into a test buffer from fixed demo data and a fixed clock:
//! snapshots of every view, popups, tiny sizes, colours, and how the app
//! treats keys and background answers.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a failed expectation is the failure

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Color;
use skiff::cloud::CloudError;
use skiff::cloud::inventory::{Service, SliceData, SliceKey};
use skiff::config::Config;
use skiff::sandbox::world as demo;
use skiff::tui::app::App;
use skiff::tui::msg::Msg;
use skiff::tui::msg::ViewId;
use skiff::tui::notify::Level;
use skiff::tui::popups::confirm::Confirm;
use skiff::tui::screens::{demo_app, demo_default, demo_session, render};
use skiff::tui::theme::Theme;
use skiff::tui::ui::buffer_text;

async fn app(view: ViewId) -> App {
    demo_default(view).await.expect("session")
}

/// The views with a tab, and their titles.
fn tabs() -> Vec<(ViewId, &'static str)> {
    skiff::tui::views::all()
        .iter()
        .filter(|v| v.binding().is_some())
        .map(|v| (v.id(), v.title()))
        .collect()
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        app.on_key(key(KeyCode::Char(c)));
    }
}

fn screen(app: &mut App, w: u16, h: u16) -> String {
    buffer_text(&render(app, w, h).expect("render"))
}

#[tokio::test]
async fn every_view_at_80x24_and_120x40() {
    for (view, title) in tabs() {
        for (w, h) in [(80, 24), (120, 40)] {
            let mut app = app(view).await;
            let name = format!("{}_{w}x{h}", title.to_lowercase());
            insta::assert_snapshot!(name, screen(&mut app, w, h));
        }
    }
}

#[tokio::test]
async fn costs_view_and_its_breakdowns() {
    let mut a = app(skiff::tui::views::costs::ID).await;
    insta::assert_snapshot!("costs_80x24", screen(&mut a, 80, 24));
    typed(&mut a, "b");
    let text = screen(&mut a, 120, 40);
    assert!(
        text.contains("by cluster") && text.contains("4 nodes"),
        "{text}"
    );
    typed(&mut a, "b");
    let text = screen(&mut a, 120, 40);
    assert!(
        text.contains("by tag Project") && text.contains("research"),
        "{text}"
    );
    // The header shows the burn rate at 80 columns too.
    assert!(
        screen(&mut a, 80, 24)
            .lines()
            .next()
            .expect("header")
            .contains("/h today $")
    );
}

#[tokio::test]
async fn detail_popup_and_help() {
    let mut a = app(skiff::tui::views::instances::ID).await;
    a.on_key(key(KeyCode::Enter));
    assert_eq!(a.mode(), skiff::tui::popups::text::DETAILS);
    insta::assert_snapshot!("details_80x24", screen(&mut a, 80, 24));
    a.on_key(key(KeyCode::Esc));
    assert_eq!(a.mode(), skiff::tui::ctx::Mode::NORMAL);

    let mut a = app(skiff::tui::views::clusters::ID).await;
    typed(&mut a, "j");
    a.on_key(key(KeyCode::Enter));
    insta::assert_snapshot!("cluster_details_120x40", screen(&mut a, 120, 40));

    let mut a = app(skiff::tui::views::instances::ID).await;
    typed(&mut a, "?");
    assert_eq!(a.mode(), skiff::tui::popups::text::HELP);
    let text = screen(&mut a, 120, 40);
    // Generated from the keymap: every bound action is listed with its keys
    // (the popup scrolls, so the lines themselves are checked).
    let help: String = skiff::tui::help::lines(&a.theme, &a.world, a.views())
        .iter()
        .map(|l| format!("{l}\n"))
        .collect();
    for (action, keys) in a.world.config.keys.entries() {
        assert!(help.contains(action.description()), "help lacks {action:?}");
        assert!(
            help.contains(&keys[0].to_string()),
            "help lacks the key of {action:?}"
        );
    }
    insta::assert_snapshot!("help_120x40", text);
}

#[tokio::test]
async fn filter_keeps_matching_rows_and_bang_inverts() {
    let mut a = app(skiff::tui::views::instances::ID).await;
    typed(&mut a, "/RND");
    let text = screen(&mut a, 120, 40);
    assert_eq!(text.matches("rnd-").count(), 4, "{text}");
    assert!(!text.contains("ds-workbench"), "{text}");
    a.on_key(key(KeyCode::Enter));
    assert_eq!(a.mode(), skiff::tui::ctx::Mode::NORMAL);
    assert_eq!(a.rows().len(), 4);

    typed(&mut a, "/");
    a.on_key(key(KeyCode::Backspace));
    a.on_key(key(KeyCode::Backspace));
    a.on_key(key(KeyCode::Backspace));
    typed(&mut a, "!running");
    a.on_key(key(KeyCode::Enter));
    let states: Vec<String> = a.rows().iter().map(|r| r.cells[3].text.clone()).collect();
    assert!(
        !states.is_empty() && states.iter().all(|s| s != "running"),
        "{states:?}"
    );

    a.on_key(key(KeyCode::Esc));
    assert_eq!(
        a.rows().len(),
        demo::inventory().instances.len(),
        "esc clears the filter"
    );
}

#[tokio::test]
async fn sort_cycles_columns_and_reverses() {
    let mut a = app(skiff::tui::views::instances::ID).await;
    let names = |a: &App| {
        a.rows()
            .iter()
            .map(|r| r.cells[0].text.clone())
            .collect::<Vec<_>>()
    };
    let first = names(&a);
    let mut sorted = first.clone();
    sorted.sort();
    assert_eq!(first, sorted, "sorted by name at start");
    typed(&mut a, "S");
    let reversed = names(&a);
    assert_eq!(reversed.first(), sorted.last());
    typed(&mut a, "s"); // NAME → ID
    assert_eq!(a.current().pane().table.sort, Some((1, false)));
}

#[tokio::test]
async fn commands_switch_views_and_themes_and_report_mistakes() {
    let mut a = app(skiff::tui::views::instances::ID).await;
    typed(&mut a, ":buckets");
    a.on_key(key(KeyCode::Enter));
    assert_eq!(a.view(), skiff::tui::views::buckets::ID);

    typed(&mut a, ":th");
    a.on_key(key(KeyCode::Tab));
    assert_eq!(a.input_text(), "theme ");
    typed(&mut a, "mo");
    a.on_key(key(KeyCode::Tab));
    assert_eq!(a.input_text(), "theme mono");
    a.on_key(key(KeyCode::Enter));
    assert_eq!(a.theme.name, "mono");

    typed(&mut a, ":fly");
    a.on_key(key(KeyCode::Enter));
    let n = a.current_notification().expect("a notification");
    assert_eq!(n.level, Level::Warning);
    assert!(n.text.contains("unknown command `fly`"), "{}", n.text);
    assert!(screen(&mut a, 80, 24).contains("unknown command `fly`"));

    typed(&mut a, ":q");
    a.on_key(key(KeyCode::Enter));
    assert!(a.quit);
}

#[tokio::test]
async fn tiny_and_changing_sizes_never_panic() {
    for (view, _) in tabs() {
        let mut a = app(view).await;
        // Normal, then each of: help, details, filter, command (as keys open them).
        for opener in [None, Some('?'), Some('d'), Some('/'), Some(':')] {
            if let Some(c) = opener {
                typed(&mut a, &c.to_string());
            }
            for w in [1, 2, 5, 10, 19, 20, 21, 40] {
                for h in [1, 2, 3, 4, 5, 6, 10] {
                    render(&mut a, w, h).expect("render");
                }
            }
            a.on_key(key(KeyCode::Esc));
        }
        assert_eq!(a.mode(), skiff::tui::ctx::Mode::NORMAL);
        let small = screen(&mut a, 20, 5);
        assert_eq!(small.lines().count(), 5);
        // A resize back to full size shows everything again.
        let big = screen(&mut a, 120, 40);
        // (The Costs view's breakdown label leaves room for short tab names.)
        assert!(
            big.contains("Instances (12)") || big.contains("Inst (12)"),
            "{view:?}:\n{big}"
        );
    }
}

#[tokio::test]
async fn colours_follow_state_and_selection() {
    let mut a = app(skiff::tui::views::instances::ID).await;
    let buf = render(&mut a, 120, 40).expect("render");
    let theme = Theme::dark();
    // Row 3 is the first data row (header, tabs, column titles above): selected.
    assert_eq!(buf[(0, 3)].bg, theme.selected().bg.expect("selected bg"));
    let line_of = |name: &str| {
        (0..40u16).find(|&y| {
            buffer_text(&buf)
                .lines()
                .nth(usize::from(y))
                .is_some_and(|l| l.starts_with(name))
        })
    };
    let running = line_of("eu-etl").expect("eu-etl row");
    assert_eq!(buf[(0, running)].fg, Color::Green);
    let stopped = line_of("gpu-scratch").expect("gpu row");
    assert_eq!(buf[(0, stopped)].fg, Color::Gray);
}

fn slice_key() -> SliceKey {
    SliceKey {
        service: Service::Ec2,
        region: Some("us-east-1".into()),
    }
}

#[test]
fn a_failed_slice_keeps_its_data_and_stale_answers_are_dropped() {
    let home = tempfile::tempdir().expect("home");
    let mut a = App::new(
        Config::defaults(),
        skiff::config::Dirs {
            config: home.path().join("config"),
            state: home.path().join("state"),
            cache: home.path().join("cache"),
        },
        Theme::dark(),
        Default::default(),
        false,
        None,
    );
    let instances = demo::inventory().instances;
    a.on_msg(Msg::Slice {
        generation: 0,
        key: slice_key(),
        at: demo::now(),
        result: Ok(SliceData::Instances(instances.clone())),
    });
    assert_eq!(a.world.inventory.instances.len(), instances.len());
    assert_eq!(
        a.world.inventory.spark_clusters.len(),
        3,
        "grouped on arrival"
    );

    a.on_msg(Msg::Slice {
        generation: 0,
        key: slice_key(),
        at: demo::now(),
        result: Err(CloudError::new(
            "ec2",
            "us-east-1",
            "AccessDenied: not allowed",
        )),
    });
    assert_eq!(
        a.world.inventory.instances.len(),
        instances.len(),
        "old data stays on screen"
    );
    let n = a.current_notification().expect("error shown");
    assert_eq!(n.level, Level::Error);
    assert!(n.text.contains("AccessDenied"));

    a.on_msg(Msg::Slice {
        generation: 7,
        key: slice_key(),
        at: demo::now(),
        result: Ok(SliceData::Instances(vec![])),
    });
    assert_eq!(
        a.world.inventory.instances.len(),
        instances.len(),
        "an answer for another session is dropped"
    );
}

#[tokio::test]
async fn remapped_keys_work_and_show_in_help() {
    let config = Config::from_user_text(
        std::path::Path::new("k.toml"),
        "[keys]\nquit = [\"x\"]\nhelp = [\"f1\"]\n",
    )
    .expect("config");
    let mut a = demo_app(
        &config,
        Theme::dark(),
        demo_session().await.expect("session"),
        skiff::tui::views::instances::ID,
    );
    typed(&mut a, "q");
    assert!(!a.quit, "q is no longer bound");
    a.on_key(key(KeyCode::F(1)));
    assert_eq!(a.mode(), skiff::tui::popups::text::HELP);
    assert!(screen(&mut a, 120, 40).contains("f1"));
    a.on_key(key(KeyCode::Esc));
    typed(&mut a, "x");
    assert!(a.quit);
}

#[tokio::test]
async fn stop_asks_first_and_no_cancels_without_change() {
    let mut a = app(skiff::tui::views::clusters::ID).await;
    typed(&mut a, "/rnd");
    a.on_key(key(KeyCode::Enter));
    typed(&mut a, "x");
    assert_eq!(a.mode(), skiff::tui::popups::confirm::CONFIRM);
    let pending = a.popup::<Confirm>().expect("pending");
    assert!(
        pending.text()[0].starts_with("Stop Spark cluster rnd"),
        "{:?}",
        pending.text()
    );
    let text = screen(&mut a, 100, 30);
    assert!(text.contains("stop — are you sure?"), "{text}");
    assert!(text.contains("1. stopping workers"), "{text}");
    // 4 × m5.xlarge (0.192) + 4 public IPv4 addresses (0.005).
    assert!(text.contains("Saves $0.7880/hour"), "{text}");
    insta::assert_snapshot!("confirm_stop_100x30", text);
    typed(&mut a, "n");
    assert_eq!(a.mode(), skiff::tui::ctx::Mode::NORMAL);
    assert!(a.popup::<Confirm>().is_none());
    assert!(a.world.transitions.is_empty(), "nothing was started");
}

#[tokio::test]
async fn pause_without_hibernation_offers_stop_and_read_only_explains() {
    let mut a = app(skiff::tui::views::instances::ID).await;
    typed(&mut a, "/eu-etl");
    a.on_key(key(KeyCode::Enter));
    typed(&mut a, "p");
    assert_eq!(a.mode(), skiff::tui::popups::confirm::CONFIRM);
    let pending = a.popup::<Confirm>().expect("pending");
    assert_eq!(pending.word(), skiff::lifecycle::Verb::Stop.to_string());
    assert!(
        pending.text()[0].contains("cannot be paused")
            && pending.text()[0].ends_with("stop instead?"),
        "{:?}",
        pending.text()
    );
    a.on_key(key(KeyCode::Esc));

    a.world.force_read_only();
    typed(&mut a, "x");
    assert_eq!(a.mode(), skiff::tui::ctx::Mode::NORMAL);
    let n = a.current_notification().expect("explained");
    assert!(
        n.text.starts_with("read-only mode: stop is disabled"),
        "{}",
        n.text
    );
    assert!(screen(&mut a, 120, 40).contains("READ-ONLY"));
}

#[tokio::test]
async fn terminate_needs_the_name_typed() {
    let mut a = app(skiff::tui::views::instances::ID).await;
    typed(&mut a, "/gpu");
    a.on_key(key(KeyCode::Enter));
    typed(&mut a, "T");
    assert_eq!(a.mode(), skiff::tui::popups::confirm::TYPE_CONFIRM);
    typed(&mut a, "gpu");
    assert!(screen(&mut a, 100, 30).contains("Type the name to confirm: gpu"));
    a.on_key(key(KeyCode::Enter));
    assert_eq!(a.mode(), skiff::tui::ctx::Mode::NORMAL);
    assert!(
        a.current_notification()
            .expect("said")
            .text
            .contains("nothing was terminated")
    );
    assert!(a.world.transitions.is_empty());

    // Two marked rows cannot be terminated with one name.
    a.on_key(key(KeyCode::Esc));
    typed(&mut a, "  T");
    assert_eq!(a.mode(), skiff::tui::ctx::Mode::NORMAL);
    assert!(
        a.current_notification()
            .expect("said")
            .text
            .starts_with("terminate one thing at a time")
    );
}

#[test]
fn profile_picker_lists_keyring_profiles_and_switching_drops_old_data() {
    let home = tempfile::tempdir().expect("home");
    let dirs = skiff::config::Dirs {
        config: home.path().join("c"),
        state: home.path().join("s"),
        cache: home.path().join("k"),
    };
    std::fs::create_dir_all(&dirs.state).expect("state");
    std::fs::write(
        dirs.state.join("keyring-profiles.json"),
        r#"{"lab-keys":{"access_key_id":"AKIAEXAMPLE000000001","mfa_serial":null,"store":"keyutils"}}"#,
    )
    .expect("index");
    let mut a = App::new(
        Config::defaults(),
        dirs,
        Theme::dark(),
        Default::default(),
        false,
        None,
    );
    a.world.inventory = demo::inventory();
    assert!(a.profiles().contains(&"lab-keys".to_string()));

    a.on_key(KeyEvent::new(KeyCode::Char('p'), KeyModifiers::CONTROL));
    assert_eq!(
        (a.mode(), a.input_text()),
        (skiff::tui::ctx::Mode::COMMAND, "profile ")
    );
    assert!(
        a.completions().contains(&"lab-keys".to_string()),
        "{:?}",
        a.completions()
    );
    typed(&mut a, "lab");
    a.on_key(key(KeyCode::Tab));
    assert_eq!(a.input_text(), "profile lab-keys");
    a.on_key(key(KeyCode::Enter));
    assert!(
        a.world.inventory.instances.is_empty(),
        "the old account's data is gone at once"
    );
    assert!(
        a.current_notification()
            .expect("said")
            .text
            .contains("switching to profile lab-keys")
    );

    typed(&mut a, ":profile nope");
    a.on_key(key(KeyCode::Enter));
    assert!(
        a.current_notification()
            .expect("said")
            .text
            .contains("no profile `nope`")
    );
}
