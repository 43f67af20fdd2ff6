//! The terminal UI: one owner of the terminal, one `select!` loop over
//! terminal events, background-task messages and a tick. Messages are
//! drained, then the screen is laid out and drawn once, and only if
//! something changed.

pub mod app;
pub mod clipboard;
pub mod command;
pub mod ctx;
pub mod draw;
pub mod folder;
pub mod help;
pub mod input;
pub mod layout;
pub mod msg;
pub mod notify;
pub mod pane;
pub mod popups;
pub mod resource;
pub mod screens;
pub mod table;
pub mod theme;
pub mod ui;
pub mod view;
pub mod views;
pub mod world;

use std::time::Duration;

use crossterm::event::{Event, EventStream, KeyCode, KeyEvent, KeyEventKind};
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc;

use crate::config::{Config, Dirs};
use crate::ops::connect::Connection;
use app::App;
use msg::Msg;
use theme::Theme;

/// What the TUI starts with.
pub struct Launch {
    pub config: Config,
    pub dirs: Dirs,
    pub connection: Connection,
    /// --read-only was given (it holds whatever profile is picked).
    pub read_only_flag: bool,
}

const TICK: Duration = Duration::from_millis(125);

/// The `[keys]` names the TUI declares beside the actions (each view's
/// key), for the config to accept.
pub fn key_names() -> Vec<&'static str> {
    views::all()
        .iter()
        .filter_map(|v| v.binding().map(|b| b.name))
        .collect()
}

/// Writes a panic to the log file before the previous hook runs. ratatui's
/// hook, installed after this one, restores the terminal first.
fn log_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        tracing::error!("panic: {info}");
        previous(info);
    }));
}

/// SIGTERM and SIGHUP (terminal closed) end the TUI like `q` does, so the
/// terminal is restored and owned children (the sandbox's moto) are stopped.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) {
            (Ok(mut term), Ok(mut hup)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = hup.recv() => {}
                }
            }
            _ => std::future::pending::<()>().await,
        }
    }
    #[cfg(not(unix))]
    std::future::pending::<()>().await
}

/// Asks for MFA codes in a dialog: the provider's question becomes a message,
/// the code comes back when the user presses enter (nothing on esc, or after
/// five minutes).
pub fn mfa_prompt(tx: mpsc::UnboundedSender<Msg>) -> crate::creds::provider::MfaPrompt {
    std::sync::Arc::new(move |serial: String| {
        let tx = tx.clone();
        Box::pin(async move {
            let (reply, answer) = tokio::sync::oneshot::channel();
            tx.send(Msg::MfaPrompt { serial, reply }).ok()?;
            tokio::time::timeout(std::time::Duration::from_secs(300), answer)
                .await
                .ok()?
                .ok()
        })
    })
}

/// Runs the TUI until the user quits. The terminal is restored on every exit
/// path, a panic included (ratatui's hook restores it, then chains the old one).
pub async fn run(launch: Launch) -> anyhow::Result<()> {
    let theme = Theme::load(&launch.config.general.theme, &launch.dirs.user_themes())?;
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut connection = launch.connection;
    if let Some(keyring) = connection.keyring.as_mut() {
        keyring.mfa_prompt = Some(mfa_prompt(tx.clone()));
    }
    let mouse = launch.config.general.mouse;
    let mut app = App::new(
        launch.config,
        launch.dirs,
        theme,
        connection,
        launch.read_only_flag,
        Some(tx),
    );
    log_panics();
    let mut terminal = ratatui::try_init()?;
    if mouse {
        let _ = crossterm::execute!(std::io::stdout(), ButtonMouse);
    }
    app.connect();
    let result = loop {
        // A fresh reader of the terminal each time: the old one is dropped
        // while a shell has the terminal, so it reads none of its keys.
        let result = run_loop(
            &mut app,
            &mut terminal,
            EventStream::new(),
            &mut rx,
            stop_signal(),
        )
        .await;
        let Some(shell) = app.take_shell() else {
            break result;
        };
        hand_over(&mut app, shell, mouse).await;
        terminal = ratatui::try_init()?;
        terminal.clear()?;
    };
    if mouse {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    }
    // No ssh process outlives skiff.
    app.shut_down().await;
    ratatui::restore();
    result
}

/// Mouse reporting for clicks, drags and the wheel only (xterm's
/// button-event tracking, SGR coordinates): crossterm's capture also asks
/// for every motion, which is chatty over a slow link and which nothing
/// here uses. crossterm's `DisableMouseCapture` turns it off.
#[derive(Debug, Clone, Copy)]
pub struct ButtonMouse;

impl crossterm::Command for ButtonMouse {
    fn write_ansi(&self, f: &mut impl std::fmt::Write) -> std::fmt::Result {
        // 1000: presses and releases; 1002: motion only while a button is
        // held; 1006: SGR coordinates (any width). No 1003 (all motion).
        f.write_str("\x1b[?1000h\x1b[?1002h\x1b[?1006h")
    }
}

/// Gives the terminal to ssh for an interactive shell, and takes it back
/// when the shell exits: the screen is restored, the keys are ssh's (a
/// Ctrl-C goes to the remote shell), and the TUI redraws as it was.
async fn hand_over(app: &mut App, shell: ctx::ShellHandOver, mouse: bool) {
    if mouse {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    }
    ratatui::restore();
    println!(
        "skiff: a shell on {} as {}. Exit it to return to skiff.",
        shell.label, shell.method
    );
    // skiff ignores Ctrl-C while ssh has the terminal.
    let ignore = tokio::spawn(async {
        loop {
            if tokio::signal::ctrl_c().await.is_err() {
                break;
            }
        }
    });
    let status = tokio::process::Command::new(&shell.program)
        .args(&shell.args)
        .status()
        .await;
    ignore.abort();
    drop(shell.ready);
    app.shell_ended(
        &shell.label,
        status.map(|s| s.code()).map_err(|e| e.to_string()),
    );
    if mouse {
        let _ = crossterm::execute!(std::io::stdout(), ButtonMouse);
    }
}

/// The loop itself, over any terminal and any stream of terminal events
/// (the tests drive it with a test backend and a burst of events).
pub async fn run_loop<B, E>(
    app: &mut App,
    terminal: &mut Terminal<B>,
    mut events: E,
    rx: &mut mpsc::UnboundedReceiver<Msg>,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    E: Stream<Item = std::io::Result<Event>> + Unpin,
{
    tokio::pin!(stop);
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;
    let mut last_draw = std::time::Instant::now();
    // A shell ready to take the terminal ends this loop (run() hands it over).
    while !app.quit && !app.shell_waiting() {
        if dirty {
            let size = terminal.size()?;
            app.lay_out(size.width, size.height);
            terminal.draw(|f| draw::draw(f, app))?;
            dirty = false;
            last_draw = std::time::Instant::now();
        }
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
                    app.on_key(key);
                    dirty = true;
                }
                Some(Ok(Event::Mouse(m))) => {
                    app.on_mouse(m);
                    dirty = true;
                }
                // A paste is the keys it holds (bracketed paste is off; this
                // is for terminals that send it anyway).
                Some(Ok(Event::Paste(text))) => {
                    for c in text.chars() {
                        let code = if c == '\n' || c == '\r' { KeyCode::Enter } else { KeyCode::Char(c) };
                        app.on_key(KeyEvent::from(code));
                    }
                    dirty = true;
                }
                Some(Ok(Event::Resize(_, _))) => dirty = true,
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(anyhow::Error::from(e).context("reading the terminal")),
                None => break,
            },
            Some(msg) = rx.recv() => {
                app.on_msg(msg);
                while let Ok(msg) = rx.try_recv() {
                    app.on_msg(msg);
                }
                dirty = true;
            }
            () = &mut stop => {
                tracing::info!("quitting on a signal");
                app.quit = true;
            }
            _ = tick.tick() => {
                app.on_tick();
                // The spinner moves while loading; clocks and notification
                // expiry need a redraw about once a second.
                if app.animating() || last_draw.elapsed() >= Duration::from_secs(1) {
                    dirty = true;
                }
            }
        }
    }
    Ok(())
}
