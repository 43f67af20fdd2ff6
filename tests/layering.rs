//! The architecture as the code must show it (ARCHITECTURE.md): which layer
//! may name which, that the SDK is reached only through `cloud`, and that
//! every mutating AWS call is written in `cloud/actions`, behind the gate.
//! A grep over the sources, so a change that breaks a rule fails here.

#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};

fn sources(dir: &str) -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    walkdir::WalkDir::new(&root)
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
        .map(|e| {
            let text = std::fs::read_to_string(e.path()).expect("read");
            (e.path().to_path_buf(), text)
        })
        .collect()
}

/// Code lines (comments left out) of `text` containing any of `needles`.
fn offending(text: &str, needles: &[&str]) -> Vec<String> {
    text.lines()
        .filter(|l| {
            let t = l.trim_start();
            !t.starts_with("//")
        })
        // A getter named like a verb (an SDK output's `create_time()`) reads.
        .filter(|l| {
            let l = l.replace(".create_time(", ".created_at(");
            needles.iter().any(|n| l.contains(n))
        })
        .map(|l| l.trim().to_string())
        .collect()
}

fn assert_none(dir: &str, skip: &[&str], needles: &[&str], rule: &str) {
    let mut found = Vec::new();
    for (path, text) in sources(dir) {
        let rel = path
            .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
            .expect("rel")
            .display()
            .to_string();
        if skip.iter().any(|s| rel.starts_with(s)) {
            continue;
        }
        for line in offending(&text, needles) {
            found.push(format!("{rel}: {line}"));
        }
    }
    assert!(found.is_empty(), "{rule}:\n{}", found.join("\n"));
}

#[test]
fn the_tui_never_imports_the_cli() {
    assert_none("tui", &[], &["crate::cli"], "src/tui names src/cli");
}

#[test]
fn clap_lives_in_the_cli_only() {
    assert_none(
        "",
        &["cli/"],
        &["clap::", "use clap"],
        "clap outside src/cli",
    );
}

#[test]
fn cloud_is_a_leaf() {
    assert_none(
        "cloud",
        &[],
        &[
            "crate::lifecycle",
            "crate::store",
            "crate::creds",
            "crate::ops",
            "crate::cli",
            "crate::tui",
            "crate::render",
            "crate::config",
        ],
        "src/cloud names a layer above it, or skiff's state",
    );
}

#[test]
fn the_pure_layer_knows_no_aws_terminal_or_faces() {
    for dir in ["model", "lifecycle", "spark.rs", "render"] {
        assert_none(
            dir,
            &[],
            &[
                "crate::cloud::actions",
                "crate::cli",
                "crate::tui",
                "ratatui",
                "crossterm",
                "aws_sdk_",
                "tokio::",
            ],
            &format!("src/{dir} reaches beyond pure logic"),
        );
    }
    assert_none(
        "render",
        &[],
        &[
            "ops::tunnel::{",
            "ops::tunnel::Tunnel",
            "ops::tunnel::registry",
            "ops::execute",
        ],
        "render reaches into the tunnel supervisor or execution (it renders ops::tunnel::status values)",
    );
}

#[test]
fn the_sdk_is_reached_through_cloud_only() {
    assert_none(
        "",
        &["cloud/"],
        &["aws_sdk_", "aws_smithy_", "aws_config::"],
        "an SDK client outside src/cloud",
    );
    let session =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cloud/session.rs"))
            .expect("session.rs");
    for client in [
        "ec2",
        "emr",
        "s3",
        "sts",
        "pricing",
        "cloudwatch",
        "cost_explorer",
        "scheduler",
        "iam",
        "ec2_writer",
        "emr_writer",
        "s3_for",
        "cloudwatch_writer",
        "scheduler_writer",
        "iam_writer",
    ] {
        assert!(
            !session.contains(&format!("    pub fn {client}(")),
            "Session::{client}() must stay private to cloud"
        );
    }
}

#[test]
fn every_mutating_call_is_written_behind_the_gate() {
    // Outside cloud the SDK cannot be named (above); inside it, only
    // cloud/actions may make a call that changes something.
    let verbs = [
        ".create_",
        ".delete_",
        ".put_",
        ".modify_",
        ".start_instances",
        ".stop_instances",
        ".reboot_",
        ".terminate_",
        ".run_",
        ".set_termination",
        ".remove_",
        ".upload_part",
        ".complete_multipart",
        ".abort_multipart",
        ".send_ssh",
        ".release_address",
        ".allocate_",
        ".attach_",
        ".detach_",
        ".associate_",
        ".disassociate_",
        ".update_",
        ".tag_",
        ".untag_",
        ".register_",
        ".deregister_",
        ".copy_object",
        ".restore_",
        ".enable_",
        ".disable_",
        ".cancel_",
    ];
    assert_none(
        "cloud",
        &["cloud/actions/"],
        &verbs,
        "a mutating AWS call outside cloud/actions (every write goes through the gate)",
    );
}

#[test]
fn no_source_file_is_longer_than_800_lines() {
    let long: Vec<String> = sources("")
        .into_iter()
        .filter(|(_, t)| t.lines().count() > 800)
        .map(|(p, t)| format!("{} ({} lines)", p.display(), t.lines().count()))
        .collect();
    assert!(long.is_empty(), "files to split: {long:?}");
}
