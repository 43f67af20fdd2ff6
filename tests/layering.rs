//! The architecture as the code must show it (ARCHITECTURE.md): which layer
//! may name which, that the SDK is reached only through `cloud`, and that
//! every mutating AWS call is written in `cloud/actions`, behind the gate.
//! A grep over the sources, so a change that breaks a rule fails here.

#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};

fn sources(dir: &str) -> Vec<(PathBuf, String)> {
    let root =
        Path::new(&std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("src")
            .join(dir);
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
        // Session Manager's TerminateSession ends a session to a node and
        // changes nothing in AWS: its client lets through only reads and
        // the session calls (checked below).
        .filter(|l| {
            let l = l
                .replace(".create_time(", ".created_at(")
                .replace(".terminate_session(", ".end_session(");
            needles.iter().any(|n| l.contains(n))
        })
        .map(|l| l.trim().to_string())
        .collect()
}

fn assert_none(dir: &str, skip: &[&str], needles: &[&str], rule: &str) {
    let mut found = Vec::new();
    for (path, text) in sources(dir) {
        let rel = path
            .strip_prefix(
                Path::new(
                    &std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
                )
                .join("src"),
            )
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
    let session = std::fs::read_to_string(
        Path::new(&std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("src/cloud/session.rs"),
    )
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

#[test]
fn views_popups_and_what_they_share_never_name_the_app() {
    for dir in ["tui/views", "tui/popups", "tui/resource", "tui/world"] {
        assert_none(
            dir,
            &[],
            &["tui::app", "super::app", "super::super::app", "app::App"],
            &format!("src/{dir} reaches into the App (views get a context, not the app)"),
        );
    }
}

#[test]
fn a_gate_is_built_only_where_a_session_is_connected() {
    assert_none(
        "",
        &["ops/connect.rs", "cloud/actions/mod.rs"],
        &["Gate::new(", "Gate {", "Gate::default"],
        "a Gate built outside ops::connect (the gate has no default; read-only comes from the flags and config)",
    );
    let gate = std::fs::read_to_string(
        Path::new(&std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("src/cloud/actions/mod.rs"),
    )
    .expect("actions");
    assert!(
        gate.contains("    read_only: bool,\n    dry_run: bool,\n}"),
        "Gate's fields are private"
    );
    assert!(
        !gate.contains("derive(Debug, Clone, Copy, PartialEq, Eq, Default)"),
        "Gate has no Default"
    );
}

#[test]
fn every_sdk_client_is_made_in_the_session_and_read_clients_send_only_reads() {
    assert_none(
        "cloud",
        &["cloud/session.rs", "cloud/sts.rs"],
        &["::from_conf(", "Client::new("],
        "an SDK client made outside cloud/session.rs (read clients carry the read-only interceptor there)",
    );
    // Before a session exists, STS exchanges keys for session credentials:
    // a read, by a client that carries the interceptor too.
    let sts = std::fs::read_to_string(
        Path::new(&std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("src/cloud/sts.rs"),
    )
    .expect("sts.rs");
    assert!(
        sts.contains("reads::ReadsOnly"),
        "cloud/sts.rs's client reads only"
    );
    let session = std::fs::read_to_string(
        Path::new(&std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("src/cloud/session.rs"),
    )
    .expect("session.rs");
    let read_arm = session
        .split("Read) => {")
        .nth(1)
        .and_then(|rest| rest.split("};").next())
        .expect("the conf! macro's Read arm");
    assert!(
        read_arm.contains("reads::ReadsOnly"),
        "every read client carries the ReadsOnly interceptor: {read_arm}"
    );
    let sessions_arm = session
        .split("Sessions) => {")
        .nth(1)
        .and_then(|rest| rest.split("};").next())
        .expect("the conf! macro's Sessions arm");
    assert!(
        sessions_arm.contains("reads::ReadsAnd(super::reads::SESSION_CALLS)"),
        "the session client lets through only reads and session calls: {sessions_arm}"
    );
    // Every client the session makes goes through conf! (Read or Write).
    let made = session.matches("::from_conf(").count();
    let through_conf = session.matches("from_conf(conf!(").count()
        + session.matches("from_conf(\n            conf!(").count()
        + session.matches("from_conf(conf.").count();
    assert_eq!(made, through_conf, "a client made without conf!");
}

/// The `use` declarations of `text`, each expanded into full paths
/// (`use a::{b, c::{d}}` → `a::b`, `a::c::d`).
fn use_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut rest = code.as_str();
    while let Some(i) = rest.find("use ") {
        let before = rest[..i].chars().last();
        let at_start = before.is_none_or(|c| c == '\n' || c == ' ' || c == ';' || c == '{');
        rest = &rest[i + 4..];
        if !at_start {
            continue;
        }
        let Some(end) = rest.find(';') else { break };
        let stmt: String = rest[..end].split_whitespace().collect();
        expand("", &stmt, &mut out);
        rest = &rest[end..];
    }
    out
}

fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
    match tree.find('{') {
        None => {
            for part in tree.split(',').filter(|p| !p.is_empty()) {
                let part = part.split(" as ").next().unwrap_or(part);
                out.push(format!("{prefix}{part}"));
            }
        }
        Some(open) => {
            let head = &tree[..open];
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            // Split the inner list at top-level commas.
            let (mut depth, mut start) = (0, 0);
            let mut parts = Vec::new();
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        parts.push(&inner[start..i]);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            parts.push(&inner[start..]);
            for p in parts.into_iter().filter(|p| !p.is_empty()) {
                if p == "self" {
                    out.push(format!("{prefix}{}", head.trim_end_matches("::")));
                } else {
                    expand(&format!("{prefix}{head}"), p, out);
                }
            }
        }
    }
}

#[test]
fn no_file_of_the_tui_imports_a_file_that_imports_it_back() {
    let src =
        Path::new(&std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("src");
    // Each file as its module path: src/tui/app/mod.rs → tui::app.
    let files: Vec<(Vec<String>, String)> = sources("tui")
        .into_iter()
        .map(|(path, text)| {
            let rel = path.strip_prefix(&src).expect("rel").with_extension("");
            let mut module: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if module.last().is_some_and(|l| l == "mod") {
                module.pop();
            }
            (module, text)
        })
        .collect();
    let modules: Vec<&Vec<String>> = files.iter().map(|(m, _)| m).collect();
    // A path resolves to the longest module that is a file of its own.
    let resolve = |from: &[String], path: &str| -> Option<usize> {
        let mut segs: Vec<String> = Vec::new();
        for (n, seg) in path.split("::").enumerate() {
            match (n, seg) {
                (0, "crate") => {}
                (_, "super") => {
                    if segs.is_empty() {
                        segs = from.to_vec();
                    }
                    segs.pop();
                }
                (0, "self") => segs = from.to_vec(),
                (0, _) => return None, // an outside crate, or a child by name
                _ => segs.push(seg.to_string()),
            }
        }
        (1..=segs.len())
            .rev()
            .find_map(|k| modules.iter().position(|m| m.as_slice() == &segs[..k]))
    };
    let edges: Vec<Vec<usize>> = files
        .iter()
        .enumerate()
        .map(|(me, (module, text))| {
            let mut to: Vec<usize> = use_paths(text)
                .iter()
                .filter_map(|p| resolve(module, p))
                .filter(|&t| t != me)
                .collect();
            to.sort_unstable();
            to.dedup();
            to
        })
        .collect();
    // Depth-first search for a way back.
    fn visit(
        n: usize,
        edges: &[Vec<usize>],
        state: &mut [u8],
        stack: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        state[n] = 1;
        stack.push(n);
        for &m in &edges[n] {
            if state[m] == 1 {
                let from = stack.iter().position(|&s| s == m).unwrap_or(0);
                let mut cycle = stack[from..].to_vec();
                cycle.push(m);
                return Some(cycle);
            }
            if state[m] == 0
                && let Some(c) = visit(m, edges, state, stack)
            {
                return Some(c);
            }
        }
        stack.pop();
        state[n] = 2;
        None
    }
    let mut state = vec![0u8; files.len()];
    for n in 0..files.len() {
        if state[n] == 0
            && let Some(cycle) = visit(n, &edges, &mut state, &mut Vec::new())
        {
            let names: Vec<String> = cycle.iter().map(|&i| files[i].0.join("::")).collect();
            panic!("an import cycle in src/tui: {}", names.join(" → "));
        }
    }
    assert!(
        edges.iter().map(Vec::len).sum::<usize>() > 50,
        "the imports were read"
    );
}

#[test]
fn the_use_parser_expands_nested_groups() {
    let paths = use_paths(
        "use super::{Scroll, box_layout};\npub use crate::tui::{ctx::{Ctx, Mode}, msg::ViewId};\nlet x = 1; // use nothing::here\n",
    );
    assert_eq!(
        paths,
        [
            "super::Scroll",
            "super::box_layout",
            "crate::tui::ctx::Ctx",
            "crate::tui::ctx::Mode",
            "crate::tui::msg::ViewId"
        ]
    );
}

/// `text` with its comments, string literals and char literals blanked to
/// spaces (line breaks kept), so what is left counts braces as code.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                match (chars[i], chars.get(i + 1).copied()) {
                    ('/', Some('*')) => depth += 1,
                    ('*', Some('/')) => depth -= 1,
                    _ => {}
                }
                out.push(blank(chars[i]));
                if depth == 0 {
                    out.push(' ');
                    i += 2;
                    break;
                }
                i += 1;
            }
        } else if c == 'r' && matches!(next, Some('"' | '#')) && {
            let hashes = chars[i + 1..].iter().take_while(|&&h| h == '#').count();
            chars.get(i + 1 + hashes) == Some(&'"')
        } {
            // A raw string: r"…", r#"…"#; it ends at a quote and as many #.
            let hashes = chars[i + 1..].iter().take_while(|&&h| h == '#').count();
            let close: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let start = i + 2 + hashes;
            let end = (start..chars.len())
                .find(|&j| chars[j..].starts_with(&close))
                .map_or(chars.len(), |j| j + close.len());
            out.extend(chars[i..end].iter().map(|&c| blank(c)));
            i = end;
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if let Some(&c) = chars.get(i) {
                    out.push(blank(c));
                }
                i += 1;
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && next == Some('\\') {
            // An escaped char literal: '\n', '\'', '\u{7f}'.
            let end = (i + 3..chars.len())
                .find(|&j| chars[j] == '\'')
                .map_or(chars.len(), |j| j + 1);
            out.extend(chars[i..end].iter().map(|&c| blank(c)));
            i = end;
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            out.push_str("   ");
            i += 3;
        } else {
            // Anything else, a lifetime's tick included, is code.
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The functions of `text` that have a body, before its tests: each one's
/// name, first line (from 1) and length in lines, signature to closing brace.
fn functions(text: &str) -> Vec<(String, usize, usize)> {
    let code = code_only(text);
    let lines: Vec<&str> = code
        .lines()
        .take_while(|l| !l.trim_start().starts_with("#[cfg(test)]"))
        .collect();
    let mut found = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        // `fn` after nothing but qualifiers: `pub(crate) async fn name`.
        let words: Vec<&str> = line
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '(' || c == ')'))
            .filter(|w| !w.is_empty())
            .collect();
        let Some(at) = words.iter().position(|w| *w == "fn") else {
            continue;
        };
        let qualifiers = ["pub", "const", "async", "unsafe", "extern", "default"];
        if !words[..at]
            .iter()
            .all(|w| qualifiers.contains(w) || w.starts_with("pub("))
        {
            continue;
        }
        let Some(name) = words.get(at + 1) else {
            continue;
        };
        let name = name.split('(').next().unwrap_or(name).to_string();
        let (mut depth, mut opened) = (0usize, false);
        'scan: for (end, l) in lines.iter().enumerate().skip(start) {
            let from = if end == start {
                l.find("fn ").unwrap_or(0)
            } else {
                0
            };
            for c in l[from..].chars() {
                match c {
                    ';' if !opened => break 'scan, // no body: a trait's declaration
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth = depth.saturating_sub(1),
                    _ => {}
                }
                if opened && depth == 0 {
                    found.push((name.clone(), start + 1, end - start + 1));
                    break 'scan;
                }
            }
        }
    }
    found
}

#[test]
fn the_function_finder_counts_code_not_literals_or_comments() {
    let text = concat!(
        "pub(crate) async fn a(x: &str) -> char {\n",
        "    let s = \"{ not a brace\"; // nor this }\n",
        "    let r = r#\"}\"#;\n",
        "    let c = '{';\n",
        "    let e = '\\'';\n",
        "    if x.is_empty() { '}' } else { c }\n",
        "}\n",
        "trait T {\n",
        "    fn declared(&self);\n",
        "    fn defaulted<'a>(&'a self) {}\n",
        "}\n",
        "fn takes(f: fn(u8)) {\n",
        "    /* { */\n",
        "}\n",
        "#[cfg(test)]\n",
        "mod tests {\n",
        "    fn helper() {}\n",
        "}\n",
    );
    assert_eq!(
        functions(text),
        [
            ("a".to_string(), 1, 7),
            ("defaulted".to_string(), 10, 1),
            ("takes".to_string(), 12, 3)
        ]
    );
}

#[test]
fn no_function_in_src_is_longer_than_80_lines() {
    // A function reads in one sitting; a long one is split at its seams (a
    // phase, a decision, a loop body). Declarative tables are consts and
    // statics, which this does not count.
    let src =
        Path::new(&std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("src");
    let mut long: Vec<String> = sources("")
        .into_iter()
        .flat_map(|(path, text)| {
            let rel = path.strip_prefix(&src).expect("rel").display().to_string();
            functions(&text)
                .into_iter()
                .filter(|(_, _, lines)| *lines > 80)
                .map(move |(name, line, lines)| format!("{rel}:{line} {name} ({lines} lines)"))
                .collect::<Vec<_>>()
        })
        .collect();
    long.sort();
    assert!(
        long.is_empty(),
        "functions to split at their seams:\n{}",
        long.join("\n")
    );
    assert!(
        sources("")
            .iter()
            .map(|(_, t)| functions(t).len())
            .sum::<usize>()
            > 500,
        "the functions were found"
    );
}
