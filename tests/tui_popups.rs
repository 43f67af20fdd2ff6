//! Every popup, rendered at 80x24 and 120x40 from fixed demo data: help,
//! details, messages, the lifecycle questions (stop, start with what it
//! adds, terminate with the typed name), the tunnel dialog, a new host key,
//! delete, the file picker in a long folder, an MFA code, and the overwrite
//! question. Each must show its whole question and the keys that answer it.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use crossterm::event::{KeyCode, KeyEvent};
use skiff::ops::transfer::copy::{CopyPlan, Direction};
use skiff::ops::transfer::expand::CopyItem;
use skiff::tui::app::App;
use skiff::tui::msg::ViewId;
use skiff::tui::popups::overwrite::{OverwritePopup, OverwriteQuestion};
use skiff::tui::popups::picker::{Entry, FilePicker, Step};
use skiff::tui::screens::{demo_default, render};
use skiff::tui::ui::buffer_text;

async fn app(view: ViewId) -> App {
    demo_default(view).await.expect("session")
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        app.on_key(KeyEvent::from(KeyCode::Char(c)));
    }
}

fn both_sizes(name: &str, app: &mut App, must_show: &[&str]) {
    for (w, h) in [(80, 24), (120, 40)] {
        let text = buffer_text(&render(app, w, h).expect("render"));
        for words in must_show {
            assert!(
                text.contains(words),
                "{name} {w}x{h} lacks `{words}`:\n{text}"
            );
        }
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text);
    }
}

#[tokio::test]
async fn help_details_and_messages() {
    let mut a = app(skiff::tui::views::instances::ID).await;
    typed(&mut a, "?");
    both_sizes("popup_help", &mut a, &["Help — esc closes", "quit"]);
    // End shows the last lines (the log file is named last).
    a.on_key(KeyEvent::from(KeyCode::End));
    let text = buffer_text(&render(&mut a, 80, 24).expect("render"));
    assert!(
        text.contains("Logs: ~/.local/state/skiff/skiff.log"),
        "{text}"
    );
    a.on_key(KeyEvent::from(KeyCode::Esc));

    a.on_key(KeyEvent::from(KeyCode::Enter));
    assert_eq!(a.mode(), skiff::tui::popups::text::DETAILS);
    both_sizes("popup_details", &mut a, &["Instance id"]);
    a.on_key(KeyEvent::from(KeyCode::Char('G')));
    let text = buffer_text(&render(&mut a, 80, 24).expect("render"));
    assert!(
        text.contains("Name "),
        "the last lines are the tags: {text}"
    );
    a.on_key(KeyEvent::from(KeyCode::Esc));

    a.notify(
        skiff::tui::notify::Level::Error,
        "an old error that scrolled away",
    );
    a.notify(skiff::tui::notify::Level::Info, "something newer");
    typed(&mut a, "m");
    assert_eq!(a.mode(), skiff::tui::popups::text::MESSAGES);
    both_sizes(
        "popup_messages",
        &mut a,
        &["an old error that scrolled away", "something newer"],
    );
}

#[tokio::test]
async fn lifecycle_questions_say_what_they_save_or_add() {
    let mut a = app(skiff::tui::views::clusters::ID).await;
    typed(&mut a, "/rnd");
    a.on_key(KeyEvent::from(KeyCode::Enter));
    typed(&mut a, "x");
    both_sizes(
        "popup_stop",
        &mut a,
        &["stop — are you sure?", "Saves $0.7880/hour", "y stop"],
    );
    typed(&mut a, "n");

    let mut a = app(skiff::tui::views::instances::ID).await;
    typed(&mut a, "/gpu");
    a.on_key(KeyEvent::from(KeyCode::Enter));
    typed(&mut a, "u");
    assert_eq!(a.mode(), skiff::tui::popups::confirm::CONFIRM, "start asks");
    // A g4dn.xlarge in us-east-1.
    both_sizes(
        "popup_start",
        &mut a,
        &["start — are you sure?", "Adds $0.5260/hour", "y start"],
    );
    typed(&mut a, "n");

    let mut a = app(skiff::tui::views::instances::ID).await;
    typed(&mut a, "/gpu");
    a.on_key(KeyEvent::from(KeyCode::Enter));
    typed(&mut a, "Tgpu-scr");
    assert_eq!(a.mode(), skiff::tui::popups::confirm::TYPE_CONFIRM);
    both_sizes(
        "popup_terminate",
        &mut a,
        &[
            "Terminate — this cannot be undone",
            "Type the name to confirm: gpu-scr",
        ],
    );
}

#[tokio::test]
async fn tunnel_host_key_delete_and_mfa() {
    let mut a = app(skiff::tui::views::instances::ID).await;
    typed(&mut a, "t");
    assert_eq!(a.mode(), skiff::tui::popups::tunnel::TUNNEL);
    both_sizes(
        "popup_tunnel",
        &mut a,
        &[
            "Forward ports of ds-workbench",
            "reading the instance's address",
            "enter open",
        ],
    );
    a.on_key(KeyEvent::from(KeyCode::Esc));

    a.open(skiff::tui::views::tunnels::host_key_question(
        "i-1#1".into(),
        "the host 127.0.0.1 is seen for the first time; its key is SHA256:abcdef".into(),
    ));
    both_sizes(
        "popup_hostkey",
        &mut a,
        &["New host key", "SHA256:abcdef", "y accept and connect"],
    );
    a.on_key(KeyEvent::from(KeyCode::Esc));

    a.open(skiff::tui::views::objects::delete_question(
        "rnd-datasets".into(),
        (0..15).map(|n| format!("raw/part-{n:03}.csv")).collect(),
    ));
    both_sizes(
        "popup_delete",
        &mut a,
        &[
            "Delete 15 objects from s3://rnd-datasets/ ?",
            "… and 3 more",
            "y delete",
        ],
    );
    a.on_key(KeyEvent::from(KeyCode::Esc));

    let (reply, _answer) = tokio::sync::oneshot::channel();
    a.open(skiff::tui::popups::mfa::MfaPopup::new(
        "arn:aws:iam::123456789012:mfa/me".into(),
        reply,
    ));
    typed(&mut a, "1234");
    both_sizes("popup_mfa", &mut a, &["MFA code", "Code: 1234"]);
}

#[tokio::test]
async fn the_file_picker_in_a_long_folder_keeps_its_cursor_destination_and_keys_on_screen() {
    let mut a = app(skiff::tui::views::buckets::ID).await;
    let mut picker = FilePicker::new(
        "/home/me/data".into(),
        "s3://rnd-datasets/raw/".into(),
        |_, _| {},
    );
    let entries: Vec<Entry> = (0..23)
        .map(|n| Entry {
            name: if n < 4 {
                format!("run-{n:02}")
            } else {
                format!("events-{n:02}.parquet")
            },
            folder: n < 4,
            size: (n >= 4).then_some(1_500_000 * n),
        })
        .collect();
    let generation = match picker.go("/home/me/data".into(), None) {
        Step::List { generation, .. } => generation,
        _ => panic!("a listing is asked for"),
    };
    picker.listed(generation, Ok(entries));
    a.open(picker);
    for _ in 0..22 {
        a.on_key(KeyEvent::from(KeyCode::Down));
    }
    both_sizes(
        "popup_picker_end",
        &mut a,
        &[
            "›[ ] events-22.parquet",
            "to s3://rnd-datasets/raw/",
            "esc cancel",
            "31.5 MiB",
        ],
    );
    let text = buffer_text(&render(&mut a, 80, 24).expect("render"));
    assert!(
        text.contains(" 23/23 "),
        "where the cursor is, when not all fit: {text}"
    );
    a.on_key(KeyEvent::from(KeyCode::Home));
    let text = buffer_text(&render(&mut a, 80, 24).expect("render"));
    assert!(
        text.contains("›[ ] run-00/") && text.contains("/home/me/data/"),
        "{text}"
    );
    assert!(!text.contains("/home/me/data//"), "one slash: {text}");
}

#[tokio::test]
async fn the_overwrite_question() {
    let mut a = app(skiff::tui::views::buckets::ID).await;
    let session = a.world.session.as_deref().expect("session").clone();
    let plan = CopyPlan {
        direction: Direction::Download,
        bucket: session.bucket_in("rnd-datasets", "us-east-1"),
        items: ["README.md", "notes.txt"]
            .iter()
            .map(|n| CopyItem {
                local: format!("/home/me/downloads/{n}").into(),
                key: (*n).to_string(),
                size: 900,
            })
            .collect(),
        skipped: Vec::new(),
    };
    a.open(OverwritePopup::new(
        OverwriteQuestion::new(plan, vec![0, 1]),
        |_, _| {},
    ));
    both_sizes(
        "popup_overwrite",
        &mut a,
        &[
            "/home/me/downloads/README.md exists already.",
            "k keep both",
            "O K S: the same for this and the 1 other existing file",
        ],
    );
}

#[tokio::test]
async fn the_guard_dialog_the_role_question_and_a_leftover_removal() {
    use skiff::tui::popups::guard::GuardDialog;
    let mut a = app(skiff::tui::views::clusters::ID).await;
    // rnd: the Spark cluster, sorted last by name.
    typed(&mut a, "/rnd");
    a.on_key(KeyEvent::from(KeyCode::Enter));
    typed(&mut a, "a");
    assert_eq!(
        a.mode(),
        skiff::tui::popups::guard::GUARD,
        "a opens the guard dialog"
    );
    both_sizes(
        "popup_guard",
        &mut a,
        &[
            "Spark cluster rnd",
            "Stop when idle",
            "45m",
            "time zone",
            "UTC",
            "esc",
        ],
    );
    // Bad input is said and loses nothing.
    a.on_key(KeyEvent::from(KeyCode::Down));
    for _ in 0.."mon-fri 20:00".len() {
        a.on_key(KeyEvent::from(KeyCode::Backspace));
    }
    typed(&mut a, "someday 20:00");
    a.on_key(KeyEvent::from(KeyCode::Enter));
    assert_eq!(a.mode(), skiff::tui::popups::guard::GUARD, "still open");
    let d = a.popup::<GuardDialog>().expect("the dialog");
    assert_eq!(d.fields[1], "someday 20:00", "what was typed is kept");
    assert!(
        a.current_notification()
            .is_some_and(|n| n.text.contains("not a set of days")),
        "the reason is shown"
    );
    a.on_key(KeyEvent::from(KeyCode::Esc));
    assert_eq!(a.mode(), skiff::tui::ctx::Mode::NORMAL);

    // The role question shows both policies before anything is made.
    typed(&mut a, "a");
    let guarded = a
        .popup::<GuardDialog>()
        .expect("the dialog")
        .guarded
        .clone();
    a.popups.pop();
    let question = skiff::tui::resource::guard::role_question(
        skiff::tui::views::clusters::ID,
        skiff::tui::popups::guard::GuardRequest {
            guarded,
            what: skiff::tui::popups::guard::GuardWhat::Clear,
        },
        &skiff::ops::guard::RoleDocuments {
            trust: skiff::guard::trust_policy("123456789012"),
            permission: skiff::guard::permission_policy(
                "123456789012",
                &[("us-east-1".into(), "i-0d3m0000000a11ce2".into())],
            ),
        },
        &a.theme,
    );
    a.open(question);
    both_sizes(
        "popup_role",
        &mut a,
        &["skiff-scheduler", "Trust policy", "scheduler.amazonaws.com"],
    );
    // No: the dialog comes back with what was asked, nothing lost.
    typed(&mut a, "n");
    assert_eq!(a.mode(), skiff::tui::popups::guard::GUARD);
    a.on_key(KeyEvent::from(KeyCode::Esc));
    assert_eq!(a.mode(), skiff::tui::ctx::Mode::NORMAL);

    a.open(skiff::tui::views::leftovers::remove_question(
        "vol-0abc".into(),
        vec![
            "delete volume vol-0abc (us-east-1): 100 GiB gp3 attached to nothing".into(),
            "It costs $8.00/month. This cannot be undone.".into(),
        ],
        skiff::ops::leftovers::Found {
            items: Vec::new(),
            monthly: skiff::cost::Amount::zero(),
            errors: Vec::new(),
        },
    ));
    typed(&mut a, "vol-0ab");
    a.on_key(KeyEvent::from(KeyCode::Enter));
    assert_eq!(
        a.mode(),
        skiff::tui::popups::confirm::TYPE_CONFIRM,
        "a wrong id removes nothing"
    );
    typed(&mut a, "c");
    both_sizes(
        "popup_remove",
        &mut a,
        &["vol-0abc", "$8.00/month", "enter"],
    );
}

#[tokio::test]
async fn the_command_line_for_every_node_and_a_shells_new_host_key() {
    let mut a = app(skiff::tui::views::clusters::ID).await;
    typed(&mut a, "/rnd");
    a.on_key(KeyEvent::from(KeyCode::Enter));
    typed(&mut a, "e");
    assert_eq!(a.mode(), skiff::tui::resource::shell::RUN_COMMAND);
    typed(&mut a, "df -h /");
    both_sizes(
        "popup_run",
        &mut a,
        &["Run on 4 nodes at once", "rnd-master", "df -h /", "enter"],
    );
    a.on_key(KeyEvent::from(KeyCode::Esc));
    let node = skiff::ops::tunnel::TunnelTarget {
        label: "rnd-master".into(),
        instance_id: "i-0d3m0000000a11ce2".into(),
        region: "us-east-1".into(),
        emr: false,
    };
    a.open(skiff::tui::resource::shell::host_key_question(
        skiff::tui::views::clusters::ID,
        node,
        "rnd-master (127.0.0.1) is seen for the first time; its host key fingerprint is SHA256:abc (ED25519)".into(),
    ));
    both_sizes("popup_shell_hostkey", &mut a, &["SHA256:abc", "accept"]);
    typed(&mut a, "n");
    assert_eq!(a.mode(), skiff::tui::ctx::Mode::NORMAL);
}
