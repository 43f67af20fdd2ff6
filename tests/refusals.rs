//! What skiff refuses, and how it says so, from both faces, against moto:
//! an EMR node is part of its cluster; a target in a region the session does
//! not list is found and named; a read-only refusal is said once per target;
//! the sandbox's made-up public addresses are never dialled.

#![allow(clippy::expect_used)]

mod common;

use common::{Recorder, run_skiff};
use crossterm::event::{KeyCode, KeyEvent};
use serde_json::Value;
use skiff::model::Instance;

fn core_node(instances: &[Instance]) -> Instance {
    instances
        .iter()
        .find(|i| i.emr_role() == Some("CORE"))
        .cloned()
        .expect("a CORE node of the sample EMR cluster")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_emr_node_is_shown_in_its_cluster_and_cannot_be_stopped_alone() {
    let sb = common::seeded().await;
    let e = sb.moto.endpoint();
    let home = tempfile::tempdir().expect("home");
    let listed = run_skiff(
        &e,
        home.path(),
        &["--region", "us-east-1", "ls", "instances", "--json"],
    );
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let doc: Value = serde_json::from_str(&listed.stdout).expect("json");
    let nodes: Vec<&Value> = doc["instances"]
        .as_array()
        .expect("instances")
        .iter()
        .filter(|i| i["tags"]["aws:elasticmapreduce:job-flow-id"].is_string())
        .collect();
    assert_eq!(nodes.len(), sb.seeded.emr_node_count);
    assert!(
        nodes.iter().all(|i| i["cluster"] == "analytics"),
        "the CLUSTER of an EMR node is its EMR cluster: {nodes:?}"
    );
    let core = nodes
        .iter()
        .find(|i| i["tags"]["aws:elasticmapreduce:instance-group-role"] == "CORE")
        .expect("core")["id"]
        .as_str()
        .expect("id")
        .to_string();

    let recorder = Recorder::start(&e);
    for (args, words) in [
        (vec!["stop", core.as_str()], "`skiff pause analytics`"),
        (vec!["pause", core.as_str()], "`skiff pause analytics`"),
        (vec!["reboot", core.as_str()], "does not offer it"),
        (
            vec!["terminate", core.as_str(), "--confirm", core.as_str()],
            "`skiff terminate analytics --confirm analytics`",
        ),
    ] {
        let mut all = vec!["--region", "us-east-1"];
        all.extend(&args);
        let run = run_skiff(&e, home.path(), &all);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stdout);
        assert!(
            run.stderr.contains("CORE node of EMR cluster analytics") && run.stderr.contains(words),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!run.stdout.contains("stopping"), "{}", run.stdout);
    }
    assert_eq!(recorder.mutations().len(), 0, "{:?}", recorder.mutations());

    // The TUI says the same, and asks nothing.
    let (mut app, mut rx) = common::tui_app(&e, home.path(), skiff::config::Config::defaults());
    common::pump_until(&mut app, &mut rx, 20, "inventory", |app| {
        !app.world.inventory.instances.is_empty() && !app.busy()
    })
    .await;
    let node = core_node(&app.world.inventory.instances);
    app.on_key(KeyEvent::from(KeyCode::Char('1')));
    assert_eq!(app.view(), skiff::tui::views::instances::ID);
    app.on_key(KeyEvent::from(KeyCode::Char('/')));
    for c in node.id.chars() {
        app.on_key(KeyEvent::from(KeyCode::Char(c)));
    }
    app.on_key(KeyEvent::from(KeyCode::Enter));
    assert_eq!(app.rows().len(), 1);
    app.on_key(KeyEvent::from(KeyCode::Char('x')));
    assert_eq!(
        app.mode(),
        skiff::tui::ctx::Mode::NORMAL,
        "no question about stopping it"
    );
    assert!(
        app.popup::<skiff::tui::popups::confirm::Confirm>()
            .is_none()
    );
    let said = &app.notes.last().expect("a notification").text;
    assert!(
        said.contains("CORE node of EMR cluster analytics") && said.contains("pause the cluster"),
        "{said}"
    );
    let details = app.selected_details().expect("details").1;
    assert!(
        details
            .iter()
            .any(|(k, v)| k == "EMR cluster" && v.starts_with("analytics (j-")),
        "{details:?}"
    );
    assert_eq!(recorder.mutations().len(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_in_a_region_not_listed_is_found_and_named() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let run = run_skiff(
        &sb.moto.endpoint(),
        home.path(),
        &["--region", "us-east-1", "stop", "eu-etl"],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("eu-etl is in eu-west-1, which this session does not list")
            && run.stderr.contains("add --region eu-west-1"),
        "{}",
        run.stderr
    );
    let run = run_skiff(
        &sb.moto.endpoint(),
        home.path(),
        &["--region", "us-east-1", "stop", "no-such-thing"],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("nothing is called `no-such-thing`"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_says_so_once_for_a_whole_cluster() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let recorder = Recorder::start(&sb.moto.endpoint());
    let run = run_skiff(
        &sb.moto.endpoint(),
        home.path(),
        &["--read-only", "--region", "us-east-1", "stop", "rnd"],
    );
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr.matches("read-only mode").count(),
        1,
        "once, not once per node: {}",
        run.stderr
    );
    assert!(run.stderr.contains("Spark cluster rnd"), "{}", run.stderr);
    assert_eq!(recorder.mutations().len(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sandbox_never_dials_its_made_up_public_addresses() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    // ds-workbench has the emulator's public IP and no skiff:ssh-host tag.
    let run = run_skiff(
        &sb.moto.endpoint(),
        home.path(),
        &["--region", "us-east-1", "tunnel", "ds-workbench"],
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("skiff does not dial addresses off this machine for a local emulator"),
        "{}",
        run.stderr
    );
    // Refused before anything was dialled: the refusal comes from reading
    // the address, ahead of the host-key scan and of ssh itself.
    assert!(!run.stderr.contains("host key"), "{}", run.stderr);
}
