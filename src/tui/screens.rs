//! Deterministic renders of the main views (fixed data, fixed clock) to SVG,
//! for `screenshots/`. `scripts/screenshots` turns them into PNG.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

use super::app::App;
use super::msg::ViewId;
use super::theme::Theme;
use super::world::World;
use crate::cloud::{Session, SessionOptions};
use crate::config::Config;
use crate::sandbox::world as demo;

/// A demo session as the sandbox would show it (no network is touched).
pub async fn demo_session() -> anyhow::Result<Session> {
    let opts = SessionOptions {
        profile: Some("sandbox".into()),
        regions: vec!["us-east-1".into(), "eu-west-1".into()],
        endpoint_url: Some("http://127.0.0.1:4566".into()),
        static_credentials: Some(("demo".into(), "demo".into())),
        max_attempts: 1,
        ..SessionOptions::default()
    };
    Ok(Session::connect(&opts).await?)
}

/// An app on the demo inventory, in `view`, with the first row selected.
pub fn demo_app(config: &Config, theme: Theme, session: Session, view: ViewId) -> App {
    let world = World::fixed(
        config.clone(),
        demo::inventory(),
        session,
        "123456789012",
        demo::now(),
        demo::prices(),
    );
    let mut app = App::fixed(world, theme);
    app.switch_to(view);
    app
}

/// [`demo_app`] with the default config and the dark theme.
pub async fn demo_default(view: ViewId) -> anyhow::Result<App> {
    Ok(demo_app(
        &Config::defaults(),
        Theme::dark(),
        demo_session().await?,
        view,
    ))
}

/// Draws `app` into a `width`×`height` buffer.
pub fn render(app: &mut App, width: u16, height: u16) -> anyhow::Result<Buffer> {
    let mut terminal = Terminal::new(TestBackend::new(width, height))?;
    app.lay_out(width, height);
    terminal.draw(|f| super::draw::draw(f, app))?;
    Ok(terminal.backend().buffer().clone())
}

fn rgb(c: Color, default: &str) -> String {
    let named = |c| match c {
        Color::Black => "#1e1e1e",
        Color::Red => "#cd3131",
        Color::Green => "#0dbc79",
        Color::Yellow => "#e5e510",
        Color::Blue => "#2472c8",
        Color::Magenta => "#bc3fbc",
        Color::Cyan => "#11a8cd",
        Color::Gray => "#cccccc",
        Color::DarkGray => "#666666",
        Color::LightRed => "#f14c4c",
        Color::LightGreen => "#23d18b",
        Color::LightYellow => "#f5f543",
        Color::LightBlue => "#3b8eea",
        Color::LightMagenta => "#d670d6",
        Color::LightCyan => "#29b8db",
        Color::White => "#e5e5e5",
        _ => "",
    };
    match c {
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Reset | Color::Indexed(_) => default.to_string(),
        other => named(other).to_string(),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// An SVG picture of a terminal buffer (dark background, monospace cells).
pub fn svg(buffer: &Buffer) -> String {
    const CW: u32 = 9;
    const CH: u32 = 18;
    let (bg0, fg0) = ("#101418", "#d4d4d4");
    let area = buffer.area;
    let (w, h) = (u32::from(area.width) * CW, u32::from(area.height) * CH);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"DejaVu Sans Mono, monospace\" font-size=\"14\">\n<rect width=\"{w}\" height=\"{h}\" fill=\"{bg0}\"/>\n"
    );
    for y in 0..area.height {
        for x in 0..area.width {
            let cell = &buffer[(x, y)];
            let reversed = cell.modifier.contains(Modifier::REVERSED);
            let (mut fg, mut bg) = (rgb(cell.fg, fg0), rgb(cell.bg, bg0));
            if reversed {
                std::mem::swap(&mut fg, &mut bg);
            }
            let (px, py) = (u32::from(x) * CW, u32::from(y) * CH);
            if bg != bg0 {
                let _ = writeln!(
                    out,
                    "<rect x=\"{px}\" y=\"{py}\" width=\"{CW}\" height=\"{CH}\" fill=\"{bg}\"/>"
                );
            }
            let sym = cell.symbol();
            if !sym.trim().is_empty() {
                let weight = if cell.modifier.contains(Modifier::BOLD) {
                    " font-weight=\"bold\""
                } else {
                    ""
                };
                let opacity = if cell.modifier.contains(Modifier::DIM) {
                    " opacity=\"0.6\""
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "<text x=\"{px}\" y=\"{}\" fill=\"{fg}\"{weight}{opacity}>{}</text>",
                    py + CH - 5,
                    escape(sym)
                );
            }
        }
    }
    out.push_str("</svg>\n");
    out
}

/// Renders Instances, Clusters, Buckets, a detail popup and help at 100×30
/// into `out` as SVG files; returns the paths written.
pub fn render_all(config: &Config, out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out)?;
    let runtime = tokio::runtime::Handle::try_current();
    let session = match runtime {
        Ok(handle) => tokio::task::block_in_place(|| handle.block_on(demo_session()))?,
        Err(_) => tokio::runtime::Runtime::new()?.block_on(demo_session())?,
    };
    use super::views::{buckets, clusters, costs, instances};
    /// What is pressed before the picture: nothing, enter on the second
    /// row, or help.
    #[derive(Clone, Copy)]
    enum Keys {
        None,
        Details,
        Help,
    }
    let shots: [(&str, ViewId, Keys, &str); 7] = [
        ("costs", costs::ID, Keys::None, "dark"),
        ("instances", instances::ID, Keys::None, "dark"),
        ("clusters", clusters::ID, Keys::None, "dark"),
        ("buckets", buckets::ID, Keys::None, "dark"),
        ("details", instances::ID, Keys::Details, "dark"),
        ("help", instances::ID, Keys::Help, "dark"),
        ("instances-mono", instances::ID, Keys::None, "mono"),
    ];
    let mut written = Vec::new();
    for (name, view, mode, theme) in shots {
        let theme = Theme::builtin(theme).unwrap_or_else(Theme::dark);
        let mut app = demo_app(config, theme, session.clone(), view);
        let key = |code| crossterm::event::KeyEvent::from(code);
        match mode {
            Keys::Details => {
                app.on_key(key(crossterm::event::KeyCode::Down));
                app.on_key(key(crossterm::event::KeyCode::Enter));
            }
            Keys::Help => app.on_key(key(crossterm::event::KeyCode::Char('?'))),
            Keys::None => {}
        }
        let buffer = render(&mut app, 100, 30)?;
        let path = out.join(format!("{name}.svg"));
        std::fs::write(&path, svg(&buffer))?;
        written.push(path);
    }
    Ok(written)
}
