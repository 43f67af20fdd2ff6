//! Health probes of a forward: a TCP connection to the local end, then an
//! HTTP request through it (any HTTP answer means the service is there).

use std::time::Duration;

use http_body_util::Empty;
use hyper::body::Bytes;
use tokio::net::TcpStream;

const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// Whether something accepts connections on 127.0.0.1:`port`.
pub async fn tcp(port: u16) -> bool {
    matches!(
        tokio::time::timeout(PROBE_TIMEOUT, TcpStream::connect(("127.0.0.1", port))).await,
        Ok(Ok(_))
    )
}

/// Whether an HTTP server answers on 127.0.0.1:`port` (any status).
pub async fn http(port: u16) -> bool {
    let attempt = async {
        let stream = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .ok()?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let request = hyper::Request::get("/")
            .header(hyper::header::HOST, format!("localhost:{port}"))
            .body(Empty::<Bytes>::new())
            .ok()?;
        sender.send_request(request).await.ok().map(|_| ())
    };
    matches!(
        tokio::time::timeout(PROBE_TIMEOUT, attempt).await,
        Ok(Some(()))
    )
}

/// Whether 127.0.0.1:`port` can be bound right now (nothing listens there).
pub fn port_is_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// Whether `host`:`port` accepts TCP connections.
pub async fn tcp_host(host: &str, port: u16) -> bool {
    matches!(
        tokio::time::timeout(PROBE_TIMEOUT, TcpStream::connect((host, port))).await,
        Ok(Ok(_))
    )
}
