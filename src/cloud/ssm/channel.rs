//! The data channel of one Session Manager session: a WebSocket carrying
//! [`Frame`]s. Bytes read from `input` go to the agent as numbered
//! `input_stream_data` frames, kept until acknowledged and sent again when
//! no acknowledgement came within [`RESEND_AFTER`]; the agent's
//! `output_stream_data` frames are acknowledged, put back in order (a gap is
//! held, a duplicate dropped, a frame whose digest does not match ignored so
//! that the agent sends it again) and written to `output`. A WebSocket that
//! breaks is opened again through ResumeSession with the numbering kept and
//! every unacknowledged frame sent again.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use super::frame::{self, Frame, PayloadType};

/// How long an input frame waits for its acknowledgement before it is sent
/// again.
pub const RESEND_AFTER: Duration = Duration::from_millis(1000);
/// Input bytes in flight (sent, not yet acknowledged) before skiff stops
/// reading its input.
const IN_FLIGHT: usize = 1 << 20;
/// Output frames held ahead of a gap before the channel is given up.
const AHEAD: usize = 4096;
/// Bytes per input frame.
const CHUNK: usize = 16 * 1024;
/// The version skiff says it speaks (the plugin's numbering: the agent
/// enables the handshake for clients from 1.1.70).
pub const CLIENT_VERSION: &str = "1.2.0.0";
/// WebSocket reconnections in a row before the session is given up.
const RECONNECTS: u32 = 5;

/// Where a data channel is, and the token that opens it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub session_id: String,
    pub stream_url: String,
    pub token: String,
}

/// What the session carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A TCP port on the node (`Port`).
    Port,
    /// A shell with a terminal of this size (`Standard_Stream`).
    Shell { cols: u16, rows: u16 },
}

/// How a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// The agent closed the channel, saying this.
    Closed(String),
    /// The input ended and everything sent was acknowledged.
    InputDone,
}

/// What the channel saw, for tests and the log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub resent: u64,
    pub duplicates: u64,
    pub held: u64,
    pub bad_frames: u64,
    pub reconnects: u64,
    /// Stream bytes received.
    pub received: u64,
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the WebSocket at `opened` and says who is calling.
async fn open(opened: &Opened) -> Result<Ws, String> {
    let (mut ws, _) = tokio_tungstenite::connect_async(opened.stream_url.as_str())
        .await
        .map_err(|e| format!("cannot open the session's data channel: {e}"))?;
    let hello = json!({
        "MessageSchemaVersion": "1.0",
        "RequestId": Uuid::new_v4().to_string(),
        "TokenValue": opened.token,
        "ClientId": Uuid::new_v4().to_string(),
        "ClientVersion": CLIENT_VERSION,
    });
    ws.send(Message::Text(hello.to_string().into()))
        .await
        .map_err(|e| format!("cannot open the session's data channel: {e}"))?;
    Ok(ws)
}

/// The state of one channel across its WebSockets.
struct Channel {
    kind: Kind,
    next_out: i64,
    unacked: BTreeMap<i64, (Vec<u8>, Instant, usize)>,
    in_flight: usize,
    next_in: i64,
    ahead: BTreeMap<i64, Frame>,
    ready: bool,
    paused: bool,
    input_done: bool,
    /// A new WebSocket: every unacknowledged frame goes again.
    resend_all: bool,
    /// A frame came through this WebSocket.
    heard: bool,
    counts: Counts,
}

/// What one received message asks of the loop: frames to send (acks
/// first), bytes to write, and whether the session ended.
#[derive(Default)]
struct Reply {
    send: Vec<Vec<u8>>,
    write: Vec<u8>,
    end: Option<Result<End, String>>,
}

impl Channel {
    fn new(kind: Kind) -> Self {
        Channel {
            kind,
            next_out: 0,
            unacked: BTreeMap::new(),
            in_flight: 0,
            next_in: 0,
            ahead: BTreeMap::new(),
            ready: false,
            paused: false,
            input_done: false,
            resend_all: false,
            heard: false,
            counts: Counts::default(),
        }
    }

    /// A numbered input frame, kept until acknowledged.
    fn input(&mut self, payload_type: PayloadType, payload: Vec<u8>) -> Vec<u8> {
        let len = payload.len();
        let f = Frame::new(frame::INPUT, self.next_out, payload_type, payload);
        let bytes = f.encode();
        self.unacked
            .insert(self.next_out, (bytes.clone(), Instant::now(), len));
        self.in_flight += len;
        self.next_out += 1;
        bytes
    }

    fn may_read(&self) -> bool {
        self.ready && !self.paused && !self.input_done && self.in_flight < IN_FLIGHT
    }

    /// Frames due to be sent again.
    fn due(&mut self, now: Instant) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for (bytes, sent, _) in self.unacked.values_mut() {
            if now.duration_since(*sent) >= RESEND_AFTER {
                *sent = now;
                out.push(bytes.clone());
            }
        }
        self.counts.resent += out.len() as u64;
        out
    }

    fn everything(&mut self) -> Vec<Vec<u8>> {
        let now = Instant::now();
        self.unacked
            .values_mut()
            .map(|(b, sent, _)| {
                *sent = now;
                b.clone()
            })
            .collect()
    }

    fn on_binary(&mut self, bytes: &[u8]) -> Reply {
        let mut r = Reply::default();
        let f = match Frame::decode(bytes) {
            Ok(f) => f,
            Err(e) => {
                tracing::debug!("data channel: {e}; the agent sends it again");
                self.counts.bad_frames += 1;
                return r;
            }
        };
        self.heard = true;
        match f.message_type.as_str() {
            frame::ACK => self.on_ack(&f.payload),
            frame::OUTPUT => self.on_output(f, &mut r),
            frame::CHANNEL_CLOSED => r.end = Some(Ok(End::Closed(closed_reason(&f.payload)))),
            frame::PAUSE_PUBLICATION => self.paused = true,
            frame::START_PUBLICATION => self.paused = false,
            _ => {}
        }
        r
    }

    fn on_ack(&mut self, payload: &[u8]) {
        let Ok(v) = serde_json::from_slice::<Value>(payload) else {
            return;
        };
        if let Some(seq) = v["AcknowledgedMessageSequenceNumber"].as_i64()
            && let Some((_, _, len)) = self.unacked.remove(&seq)
        {
            self.in_flight -= len;
        }
    }

    /// Acknowledges `f`, then handles it and any held frames now in order.
    fn on_output(&mut self, f: Frame, r: &mut Reply) {
        r.send.push(ack_for(&f));
        if f.sequence < self.next_in {
            self.counts.duplicates += 1;
            return;
        }
        if f.sequence > self.next_in {
            if self.ahead.len() >= AHEAD {
                r.end = Some(Err(
                    "the session's data channel lost a message for good".into()
                ));
            } else if self.ahead.insert(f.sequence, f).is_none() {
                self.counts.held += 1;
            }
            return;
        }
        let mut next = Some(f);
        while let Some(f) = next {
            self.next_in += 1;
            if let Err(e) = self.handle(f, r) {
                r.end = Some(Err(e));
                return;
            }
            next = self.ahead.remove(&self.next_in);
        }
    }

    fn handle(&mut self, f: Frame, r: &mut Reply) -> Result<(), String> {
        match f.kind() {
            Some(PayloadType::Output) => {
                // An agent too old for the handshake starts with the stream.
                self.ready = true;
                self.counts.received += f.payload.len() as u64;
                r.write.extend_from_slice(&f.payload);
            }
            Some(PayloadType::StdErr) => r.write.extend_from_slice(&f.payload),
            Some(PayloadType::HandshakeRequest) => {
                let (answer, refusal) = handshake_response(&f.payload, self.kind);
                r.send
                    .push(self.input(PayloadType::HandshakeResponse, answer));
                if let Some(e) = refusal {
                    return Err(e);
                }
            }
            Some(PayloadType::HandshakeComplete) => {
                self.ready = true;
                if let Kind::Shell { cols, rows } = self.kind {
                    r.send
                        .push(self.input(PayloadType::Size, size_payload(cols, rows)));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// The acknowledgement of an output frame.
fn ack_for(f: &Frame) -> Vec<u8> {
    let body = json!({
        "AcknowledgedMessageType": f.message_type,
        "AcknowledgedMessageId": f.message_id.to_string(),
        "AcknowledgedMessageSequenceNumber": f.sequence,
        "IsSequentialMessage": true,
    });
    let mut ack = Frame::new(
        frame::ACK,
        0,
        PayloadType::Null,
        body.to_string().into_bytes(),
    );
    ack.flags = 3;
    ack.encode()
}

fn size_payload(cols: u16, rows: u16) -> Vec<u8> {
    json!({"cols": cols, "rows": rows}).to_string().into_bytes()
}

/// What `channel_closed` says (its `Output`), or a plain phrase.
fn closed_reason(payload: &[u8]) -> String {
    serde_json::from_slice::<Value>(payload)
        .ok()
        .and_then(|v| v["Output"].as_str().map(str::to_string))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "the agent closed the session".to_string())
}

/// The answer to the agent's handshake request, and a refusal to report
/// when the agent asks for what skiff does not do (KMS encryption).
fn handshake_response(request: &[u8], kind: Kind) -> (Vec<u8>, Option<String>) {
    let req: Value = serde_json::from_slice(request).unwrap_or(Value::Null);
    let mut processed = Vec::new();
    let mut refusal = None;
    let wanted = match kind {
        Kind::Port => "Port",
        Kind::Shell { .. } => "Standard_Stream",
    };
    for action in req["RequestedClientActions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let kind = action["ActionType"].as_str().unwrap_or_default();
        let (status, error) = match kind {
            "SessionType" => {
                let asked = action["ActionParameters"]["SessionType"]
                    .as_str()
                    .unwrap_or_default();
                if asked == wanted {
                    (1, String::new())
                } else {
                    (
                        2,
                        format!("skiff asked for a {wanted} session, the agent offers {asked}"),
                    )
                }
            }
            "KMSEncryption" => (2, "skiff does not encrypt sessions with KMS".to_string()),
            other => (2, format!("skiff does not know the action {other}")),
        };
        if status != 1 && refusal.is_none() {
            refusal = Some(match kind {
                "KMSEncryption" => "this account's Session Manager preferences require KMS encryption (Systems Manager → Session Manager → Preferences → \"Enable KMS encryption\"), which skiff does not do yet: turn it off for this account, or reach the node with ssh or through a bastion (tag it skiff:reach=ssh or skiff:reach=jump:HOST)".to_string(),
                _ => format!("the node's agent asked for what skiff cannot do: {error}"),
            });
        }
        processed.push(json!({
            "ActionType": kind,
            "ActionStatus": status,
            "ActionResult": null,
            "Error": error,
        }));
    }
    let answer = json!({
        "ClientVersion": CLIENT_VERSION,
        "ProcessedClientActions": processed,
        "Errors": [],
    });
    (answer.to_string().into_bytes(), refusal)
}

/// Runs the session until the agent closes it or (a port session) `input`
/// ends and every byte was acknowledged. `resume` gives a new WebSocket
/// address and token for the same session (ResumeSession) when one breaks.
pub async fn run<R, W, F, Fut>(
    first: Opened,
    kind: Kind,
    input: R,
    output: W,
    resume: F,
) -> Result<(End, Counts), String>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Opened, String>>,
{
    run_sized(first, kind, input, output, resume, None).await
}

/// [`run`], telling the agent each new terminal size `sizes` gives
/// (columns, rows) — a shell's window resized.
pub async fn run_sized<R, W, F, Fut>(
    first: Opened,
    kind: Kind,
    mut input: R,
    mut output: W,
    mut resume: F,
    mut sizes: Option<tokio::sync::watch::Receiver<(u16, u16)>>,
) -> Result<(End, Counts), String>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Opened, String>>,
{
    let mut ch = Channel::new(kind);
    let mut ws = open(&first).await?;
    let mut broken_in_a_row = 0u32;
    loop {
        let io = Io {
            input: &mut input,
            output: &mut output,
            sizes: &mut sizes,
        };
        match pump(&mut ch, &mut ws, io).await {
            Ok(end) => return Ok((end, ch.counts)),
            Err(Broken::Fatal(e)) => return Err(e),
            Err(Broken::Socket(why)) => {
                if std::mem::take(&mut ch.heard) {
                    broken_in_a_row = 0;
                }
                broken_in_a_row += 1;
                if broken_in_a_row > RECONNECTS {
                    return Err(format!(
                        "the session's data channel broke {RECONNECTS} times in a row: {why}"
                    ));
                }
                tracing::info!("data channel broke ({why}); resuming the session");
                tokio::time::sleep(Duration::from_millis(200 * u64::from(broken_in_a_row))).await;
                let again = resume().await?;
                ws = open(&again).await?;
                ch.counts.reconnects += 1;
                ch.resend_all = true;
            }
        }
    }
}

enum Broken {
    /// The WebSocket broke: resume.
    Socket(String),
    /// The session cannot go on.
    Fatal(String),
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Broken::Socket(e) | Broken::Fatal(e) => f.write_str(e),
        }
    }
}

async fn send(ws: &mut Ws, bytes: Vec<u8>) -> Result<(), Broken> {
    ws.send(Message::Binary(bytes.into()))
        .await
        .map_err(|e| Broken::Socket(e.to_string()))
}

/// What the session reads from and writes to.
struct Io<'a, R, W> {
    input: &'a mut R,
    output: &'a mut W,
    sizes: &'a mut Option<tokio::sync::watch::Receiver<(u16, u16)>>,
}

/// The next terminal size, or never (no sizes, or their sender gone).
async fn next_size(sizes: &mut Option<tokio::sync::watch::Receiver<(u16, u16)>>) -> (u16, u16) {
    if let Some(rx) = sizes.as_mut() {
        if rx.changed().await.is_ok() {
            return *rx.borrow_and_update();
        }
        *sizes = None;
    }
    std::future::pending().await
}

/// One WebSocket's life.
async fn pump<R, W>(ch: &mut Channel, ws: &mut Ws, io: Io<'_, R, W>) -> Result<End, Broken>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let Io {
        input,
        output,
        sizes,
    } = io;
    let mut buf = vec![0u8; CHUNK];
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    if std::mem::take(&mut ch.resend_all) {
        for f in ch.everything() {
            send(ws, f).await?;
        }
    }
    loop {
        // A shell ends when the agent closes it (its output may still
        // come after the input ended); a port session when its input did.
        if ch.input_done && ch.unacked.is_empty() && ch.kind == Kind::Port {
            return Ok(End::InputDone);
        }
        tokio::select! {
            msg = ws.next() => {
                let bytes = match msg {
                    Some(Ok(Message::Binary(b))) => b,
                    Some(Ok(Message::Close(c))) => {
                        return Err(Broken::Socket(c.map_or_else(|| "closed".to_string(), |c| c.reason.to_string())))
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return Err(Broken::Socket(e.to_string())),
                    None => return Err(Broken::Socket("closed".to_string())),
                };
                let reply = ch.on_binary(&bytes);
                for f in reply.send {
                    send(ws, f).await?;
                }
                if !reply.write.is_empty() {
                    output.write_all(&reply.write).await.map_err(|e| Broken::Fatal(format!("cannot write the session's output: {e}")))?;
                    output.flush().await.map_err(|e| Broken::Fatal(format!("cannot write the session's output: {e}")))?;
                }
                match reply.end {
                    Some(Ok(end)) => return Ok(end),
                    Some(Err(e)) => return Err(Broken::Fatal(e)),
                    None => {}
                }
            }
            n = input.read(&mut buf), if ch.may_read() => {
                match n {
                    Ok(0) => {
                        ch.input_done = true;
                        if ch.kind == Kind::Port {
                            let f = ch.input(PayloadType::Flag, 1u32.to_be_bytes().to_vec());
                            send(ws, f).await?;
                        }
                    }
                    Ok(n) => {
                        let f = ch.input(PayloadType::Output, buf[..n].to_vec());
                        send(ws, f).await?;
                    }
                    Err(e) => return Err(Broken::Fatal(format!("cannot read the session's input: {e}"))),
                }
            }
            (cols, rows) = next_size(sizes), if ch.ready && matches!(ch.kind, Kind::Shell { .. }) => {
                let f = ch.input(PayloadType::Size, size_payload(cols, rows));
                send(ws, f).await?;
            }
            _ = tick.tick() => {
                for f in ch.due(Instant::now()) {
                    send(ws, f).await?;
                }
            }
        }
    }
}
