//! The terminal UI: one owner of the terminal, one `select!` loop over
//! terminal events, background-task messages and a tick. Messages are drained,
//! then the screen is drawn once, and only if something changed.

pub mod app;
pub mod command;
pub mod costs;
pub mod keys;
pub mod lifecycle;
pub mod picker;
pub mod rows;
pub mod s3;
pub mod screens;
pub mod theme;
pub mod transfers;
pub mod tunnels;
pub mod ui;

use std::time::Duration;

use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::sync::mpsc;

use crate::config::{Config, Dirs};
use crate::ops::connect::Connection;
use app::{App, Msg};
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
struct StopSignals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hup: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn new() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                term: signal(SignalKind::terminate())?,
                hup: signal(SignalKind::hangup())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.hup.recv() => {}
        }
        #[cfg(not(unix))]
        std::future::pending::<()>().await
    }
}

/// Runs the TUI until the user quits. The terminal is restored on every exit
/// path, a panic included (ratatui's hook restores it, then chains the old one).
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

pub async fn run(launch: Launch) -> anyhow::Result<()> {
    let theme = Theme::load(&launch.config.general.theme, &launch.dirs.user_themes())?;
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut connection = launch.connection;
    if let Some(keyring) = connection.keyring.as_mut() {
        keyring.mfa_prompt = Some(mfa_prompt(tx.clone()));
    }
    let profile = crate::cloud::profile_name(&connection.opts);
    let read_only = crate::ops::connect::read_only(launch.read_only_flag, &launch.config, &profile);
    let mut app = App::new(launch.config, launch.dirs, theme, connection, Some(tx));
    app.read_only = read_only;
    app.read_only_flag = launch.read_only_flag;
    log_panics();
    let mut terminal = ratatui::try_init()?;
    let result = async {
        app.connect();
        let mut events = EventStream::new();
        let mut stop = StopSignals::new()?;
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut dirty = true;
        let mut last_draw = std::time::Instant::now();
        while !app.quit {
            if dirty {
                terminal.draw(|f| ui::draw(f, &mut app))?;
                dirty = false;
                last_draw = std::time::Instant::now();
            }
            tokio::select! {
                event = events.next() => match event {
                    Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
                        app.on_key(key);
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
                _ = stop.recv() => {
                    tracing::info!("quitting on a signal");
                    app.quit = true;
                }
                _ = tick.tick() => {
                    app.on_tick();
                    // The spinner moves while loading; clocks and notification
                    // expiry need a redraw about once a second.
                    if app.busy() || last_draw.elapsed() >= Duration::from_secs(1) {
                        dirty = true;
                    }
                }
            }
        }
        Ok(())
    }
    .await;
    // No ssh process outlives skiff.
    app.close_tunnels().await;
    ratatui::restore();
    result
}
