//! The help screen: generated from the keymap, the views and the commands,
//! so it never drifts from what the keys and words do.

use ratatui::text::{Line, Span};

use super::command::COMMANDS;
use super::theme::Theme;
use super::view::View;
use super::world::World;

pub fn lines(theme: &Theme, world: &World, views: &[Box<dyn View>]) -> Vec<Line<'static>> {
    let t = theme;
    let keys = &world.config.keys;
    let mut lines = vec![Line::from(Span::styled("Keys", t.title()))];
    for (action, _) in keys.entries() {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<14} ", keys.label(action)), t.key()),
            Span::raw(action.description()),
        ]));
    }
    for b in views.iter().filter_map(|v| v.binding()) {
        let label: Vec<String> = keys.bound(&b).iter().map(ToString::to_string).collect();
        lines.push(Line::from(vec![
            Span::styled(format!("{:<14} ", label.join("/")), t.key()),
            Span::raw(b.help),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled("Views", t.title())));
    for v in views {
        for (n, text) in v.help().iter().enumerate() {
            let head = if n == 0 {
                format!("{:<14} ", v.title())
            } else {
                " ".repeat(15)
            };
            lines.push(Line::from(vec![
                Span::styled(head, t.label()),
                Span::raw(text.to_string()),
            ]));
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled("Commands (after :)", t.title())));
    let words = views
        .iter()
        .filter_map(|v| Some((*v.commands().first()?, format!("({} view)", v.title()))));
    let with_args = views
        .iter()
        .flat_map(|v| v.command_args().iter().map(|(w, a)| (*w, a.to_string())));
    let core = COMMANDS
        .iter()
        .filter(|(c, _)| *c != "q")
        .map(|(c, a)| (*c, a.to_string()));
    for (cmd, arg) in words.chain(with_args).chain(core) {
        lines.push(Line::from(vec![
            Span::styled(format!(":{cmd} "), t.key()),
            Span::styled(arg, t.dim()),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "Mouse: click a tab or a row, the wheel scrolls, a double click opens. To select text, hold Shift while dragging (or set general.mouse = false).",
        t.dim(),
    )));
    lines.push(Line::from(Span::styled(
        format!(
            "Times are UTC. Logs: {}",
            world.dirs.state.join("skiff.log").display()
        ),
        t.dim(),
    )));
    lines
}
