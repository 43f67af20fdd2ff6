//! Session Manager without ssh: `skiff ssm-proxy` (one port session on
//! standard input and output, ssh's ProxyCommand), `skiff ssm-forward`
//! (local ports on 127.0.0.1, each connection a port session of its own —
//! what a tunnel runs for a node reached with `ssm`) and `skiff ssm-shell`
//! (the agent's shell on this terminal, raw, resized with the window).

use std::io::IsTerminal;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};

use crate::cloud::Session;
use crate::cloud::ssm::{self, Counts, End, Kind, PortTarget};

/// Refuses what is not an instance id: Session Manager reaches instances
/// by id.
fn check_id(instance: &str) -> Result<(), String> {
    if instance.starts_with("i-") || instance.starts_with("mi-") {
        Ok(())
    } else {
        Err(format!(
            "`{instance}` is not an instance id (i-…): Session Manager reaches instances by id"
        ))
    }
}

/// One port session carrying `input` to `target`'s port and its answers
/// to `output`, until either side ends; the session is ended after.
async fn carry<R, W>(
    session: &Session,
    target: &PortTarget,
    input: R,
    output: W,
) -> Result<(End, Counts), String>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let opened = ssm::start_port(session, target).await?;
    let id = opened.session_id.clone();
    let resume = || ssm::resume(session, &target.region, &id);
    let ran = ssm::channel::run(opened.clone(), Kind::Port, input, output, resume).await;
    ssm::terminate(session, &target.region, &opened.session_id).await;
    ran
}

/// Standard input and output carried to `target`'s port over Session
/// Manager until either side ends.
pub async fn proxy(session: &Session, target: &PortTarget) -> Result<(), String> {
    check_id(&target.instance)?;
    match carry(session, target, tokio::io::stdin(), tokio::io::stdout()).await? {
        (End::InputDone, counts) => {
            tracing::info!("ssm-proxy {}: done, {counts:?}", target.instance);
            Ok(())
        }
        (End::Closed(why), counts) if counts.received == 0 => Err(format!(
            "{}'s agent closed the session before anything came through: {why}",
            target.instance
        )),
        (End::Closed(why), counts) => {
            tracing::info!("ssm-proxy {}: closed ({why}), {counts:?}", target.instance);
            Ok(())
        }
    }
}

/// Whether `instance`'s agent is online, in words a user can act on.
async fn agent_online(session: &Session, region: &str, instance: &str) -> Result<(), String> {
    let agents = ssm::agents(session, region, &[instance.to_string()])
        .await
        .map_err(|e| e.to_string())?;
    match agents.get(instance) {
        Some(true) => Ok(()),
        Some(false) => Err(format!(
            "{instance}'s Session Manager agent is registered but not online: is the instance running, and may it reach the ssm, ssmmessages and ec2messages endpoints?"
        )),
        None => Err(format!(
            "{instance} has no Session Manager agent registered: the agent must run on it (preinstalled on Amazon Linux and Ubuntu AMIs) and its instance profile needs the AmazonSSMManagedInstanceCore policy"
        )),
    }
}

/// Listens on 127.0.0.1 at each local port of `pairs` (local, remote) and
/// carries every connection to the remote port on `instance` over a port
/// session of its own; runs until a listener fails.
pub async fn forward(
    session: &Session,
    region: &str,
    instance: &str,
    pairs: &[(u16, u16)],
) -> Result<(), String> {
    check_id(instance)?;
    if pairs.is_empty() {
        return Err("nothing to forward: give LOCAL:REMOTE".to_string());
    }
    agent_online(session, region, instance).await?;
    let mut tasks = tokio::task::JoinSet::new();
    for &(local, remote) in pairs {
        if local < 1024 {
            return Err(format!(
                "local port {local} is under 1024: skiff binds ports from 1024 (ChromeOS forwards only those to its browser)"
            ));
        }
        let listener = TcpListener::bind(("127.0.0.1", local))
            .await
            .map_err(|e| format!("cannot listen on 127.0.0.1:{local}: {e}"))?;
        let target = PortTarget {
            region: region.to_string(),
            instance: instance.to_string(),
            port: remote,
        };
        tasks.spawn(serve(session.clone(), target, listener));
    }
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(e) => return Err(format!("a forward stopped: {e}")),
        }
    }
    Ok(())
}

async fn serve(session: Session, target: PortTarget, listener: TcpListener) -> Result<(), String> {
    loop {
        let (stream, _) = listener
            .accept()
            .await
            .map_err(|e| format!("127.0.0.1:{}: {e}", target.port))?;
        let session = session.clone();
        let target = target.clone();
        tokio::spawn(async move { one_connection(&session, &target, stream).await });
    }
}

async fn one_connection(session: &Session, target: &PortTarget, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let (read, write) = stream.into_split();
    match carry(session, target, read, write).await {
        Ok((end, counts)) => tracing::info!(
            "ssm-forward {}:{}: {end:?}, {counts:?}",
            target.instance,
            target.port
        ),
        Err(e) => tracing::warn!("ssm-forward {}:{}: {e}", target.instance, target.port),
    }
}

/// Puts the terminal in raw mode for as long as it lives (keys go to the
/// remote shell as typed, Ctrl-C included).
struct Raw(bool);

impl Raw {
    fn new(on: bool) -> Raw {
        Raw(on && crossterm::terminal::enable_raw_mode().is_ok())
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        if self.0 {
            let _ = crossterm::terminal::disable_raw_mode();
        }
    }
}

/// Standard input, read by a thread of its own that nobody waits for: the
/// shell can end while a read of the terminal is pending (tokio's stdin
/// would hold the program open until the next key).
fn keyboard(terminal: bool) -> Result<tokio::net::UnixStream, String> {
    use std::io::Write;
    let (mut writer, reader) = std::os::unix::net::UnixStream::pair()
        .map_err(|e| format!("cannot read the keyboard: {e}"))?;
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut writer);
        // A script piped in has ended: the remote shell (on a terminal of
        // its own, which knows no end of input) is told so with Ctrl-D at
        // the start of a line, as a terminal would.
        if !terminal {
            let _ = writer.write_all(b"\n\x04");
        }
    });
    reader
        .set_nonblocking(true)
        .and_then(|()| tokio::net::UnixStream::from_std(reader))
        .map_err(|e| format!("cannot read the keyboard: {e}"))
}

/// The agent's shell on `instance`, on this terminal (or on standard input
/// and output when they are not one), until the shell exits.
pub async fn shell(session: &Session, region: &str, instance: &str) -> Result<(), String> {
    check_id(instance)?;
    let terminal = std::io::stdin().is_terminal();
    let (cols, rows) = crossterm::terminal::size().unwrap_or((80, 24));
    let opened = ssm::start_shell(session, region, instance).await?;
    let id = opened.session_id.clone();
    let (sizes, rx) = tokio::sync::watch::channel((cols, rows));
    let resized = tokio::spawn(async move {
        let Ok(mut winch) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change())
        else {
            return;
        };
        while winch.recv().await.is_some() {
            if let Ok(size) = crossterm::terminal::size() {
                let _ = sizes.send(size);
            }
        }
    });
    let raw = Raw::new(terminal);
    let resume = || ssm::resume(session, region, &id);
    let ran = ssm::channel::run_sized(
        opened.clone(),
        Kind::Shell { cols, rows },
        keyboard(terminal)?,
        tokio::io::stdout(),
        resume,
        Some(rx),
    )
    .await;
    drop(raw);
    resized.abort();
    ssm::terminate(session, region, &opened.session_id).await;
    let (end, counts) = ran?;
    tracing::info!("ssm-shell {instance}: {end:?}, {counts:?}");
    Ok(())
}
