//! The TUI never overwrites a local file without asking: a download that
//! meets one asks (overwrite, keep both, skip; or the same for all), drawn
//! as a popup; each answer does what it says, checked on disk.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent};
use skiff::tui::app::App;
use skiff::tui::msg::Msg;
use tokio::sync::mpsc::UnboundedReceiver;

const README: usize = 900;

async fn until(
    app: &mut App,
    rx: &mut UnboundedReceiver<Msg>,
    what: &str,
    done: impl Fn(&App) -> bool,
) {
    common::pump_until(app, rx, 20, what, done).await;
}

fn select(app: &mut App, text: &str) {
    app.on_key(KeyEvent::from(KeyCode::Char('/')));
    for c in text.chars() {
        app.on_key(KeyEvent::from(KeyCode::Char(c)));
    }
    app.on_key(KeyEvent::from(KeyCode::Enter));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_download_that_meets_a_local_file_asks_and_does_what_was_answered() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let downloads = home.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let mine = downloads.join("README.md");
    std::fs::write(&mine, "my own edits").unwrap();
    let mut config = skiff::config::Config::defaults();
    config.transfer.download_dir = downloads.display().to_string();
    let (mut app, mut rx) = common::tui_app(&sb.moto.endpoint(), home.path(), config);
    until(&mut app, &mut rx, "connect", |a| {
        a.world.session.is_some() && !a.busy()
    })
    .await;
    app.browse("rnd-datasets", "");
    assert!(common::settle(&mut app, &mut rx, Duration::from_secs(10)).await);
    select(&mut app, "README");

    // Keep both: the download gets a new name, the local file is untouched.
    app.on_key(KeyEvent::from(KeyCode::Char('D')));
    until(&mut app, &mut rx, "the question", |a| {
        a.mode() == skiff::tui::popups::overwrite::OVERWRITE
    })
    .await;
    for (w, h) in [(80, 24), (120, 40)] {
        let text = skiff::tui::ui::buffer_text(
            &skiff::tui::screens::render(&mut app, w, h).expect("render"),
        );
        assert!(
            text.contains("README.md exists already") && text.contains("k keep both"),
            "{w}x{h}:\n{text}"
        );
    }
    app.on_key(KeyEvent::from(KeyCode::Char('k')));
    assert!(common::settle(&mut app, &mut rx, Duration::from_secs(20)).await);
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "my own edits");
    assert_eq!(
        std::fs::read(downloads.join("README (1).md"))
            .unwrap()
            .len(),
        README
    );

    // Skip: nothing is written.
    app.on_key(KeyEvent::from(KeyCode::Char('D')));
    until(&mut app, &mut rx, "the question", |a| {
        a.mode() == skiff::tui::popups::overwrite::OVERWRITE
    })
    .await;
    app.on_key(KeyEvent::from(KeyCode::Char('s')));
    assert!(common::settle(&mut app, &mut rx, Duration::from_secs(20)).await);
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "my own edits");
    assert!(!downloads.join("README (2).md").exists());

    // Esc: the download is cancelled before anything is written.
    app.on_key(KeyEvent::from(KeyCode::Char('D')));
    until(&mut app, &mut rx, "the question", |a| {
        a.mode() == skiff::tui::popups::overwrite::OVERWRITE
    })
    .await;
    app.on_key(KeyEvent::from(KeyCode::Esc));
    assert!(common::settle(&mut app, &mut rx, Duration::from_secs(20)).await);
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "my own edits");

    // Overwrite, when that is the answer.
    app.on_key(KeyEvent::from(KeyCode::Char('D')));
    until(&mut app, &mut rx, "the question", |a| {
        a.mode() == skiff::tui::popups::overwrite::OVERWRITE
    })
    .await;
    app.on_key(KeyEvent::from(KeyCode::Char('o')));
    assert!(common::settle(&mut app, &mut rx, Duration::from_secs(20)).await);
    assert_eq!(std::fs::read(&mine).unwrap().len(), README);

    // A folder with two files already here: one answer for all of them.
    let local = downloads.join("processed");
    std::fs::create_dir_all(&local).unwrap();
    for f in ["features.parquet", "labels.parquet"] {
        std::fs::write(local.join(f), "local").unwrap();
    }
    app.on_key(KeyEvent::from(KeyCode::Esc)); // clear the filter
    select(&mut app, "processed");
    app.on_key(KeyEvent::from(KeyCode::Char('D')));
    until(&mut app, &mut rx, "the question", |a| {
        a.mode() == skiff::tui::popups::overwrite::OVERWRITE
    })
    .await;
    let q = app
        .popup::<skiff::tui::popups::overwrite::OverwritePopup>()
        .map(|p| &p.question)
        .expect("question");
    assert_eq!(q.clashes.len(), 2);
    assert!(
        q.lines()
            .iter()
            .any(|l| l.contains("1 other existing file")),
        "{:?}",
        q.lines()
    );
    app.on_key(KeyEvent::from(KeyCode::Char('S')));
    assert_eq!(
        app.mode(),
        skiff::tui::ctx::Mode::NORMAL,
        "one answer for all"
    );
    assert!(common::settle(&mut app, &mut rx, Duration::from_secs(20)).await);
    for f in ["features.parquet", "labels.parquet"] {
        assert_eq!(
            std::fs::read_to_string(local.join(f)).unwrap(),
            "local",
            "{f} kept"
        );
    }
}
