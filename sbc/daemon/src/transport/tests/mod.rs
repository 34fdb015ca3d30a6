//! Transport tests over real sockets on 127.0.0.1, with rcgen certificates. The test
//! plays the core: it reads [`Inbound`] events and drives an [`Outbound`].
//!
//! * `listener`: TLS listeners (OPTIONS exchange, client certificates, non-TLS clients).
//! * `connect`: connections the SBC opens (verification by IP SAN, wrong CA, refused,
//!   queued messages flushed, reuse, mutual TLS, keep-alive pings).
//! * `identity`: a realm's certificates picked by SNI, and its `domain` certificate
//!   presented as the client certificate of trunks without their own.

mod connect;
mod domain;
mod identity;
mod listener;
mod pki;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::ServerName;
use sbc_config::Config;
use sbc_sip::Limits;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::{Inbound, Ingest, StreamCtx, certs};
use pki::Issued;

/// Longest wait for anything in these tests.
const WAIT: Duration = Duration::from_secs(5);

/// A config with realm "outside" listening on `tls:127.0.0.1:5061` with `server`'s
/// files, plus `extra` TOML (realm keys first, then trunks).
fn config(dir: &std::path::Path, server: &Issued, realm_extra: &str, trunks: &str) -> Config {
    let text = format!(
        r#"[system]
name = "test"
[management]
listen = "127.0.0.1:8443"
[[realm]]
name = "outside"
listen = ["tls:127.0.0.1:5061", "tcp:127.0.0.1:5060"]
media_ip = "127.0.0.1"
media_ports = "20000-20999"
tls_cert = "{cert}"
tls_key = "{key}"
{realm_extra}
{trunks}
"#,
        cert = server.cert.display(),
        key = server.key.display(),
    );
    Config::from_toml_str(&text, dir).expect("test config is valid")
}

/// The channel to the "core" and the context connection tasks use.
fn core_channel() -> (StreamCtx, mpsc::Receiver<Inbound>) {
    let (tx, rx) = mpsc::channel(256);
    let ctx = StreamCtx {
        ingest: Arc::new(Ingest {
            limits: Limits::default(),
            agent: "test".into(),
        }),
        core: tx,
    };
    (ctx, rx)
}

/// The next event for the core, within [`WAIT`].
async fn next(rx: &mut mpsc::Receiver<Inbound>) -> Inbound {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("an event for the core in time")
        .expect("channel open")
}

/// An OPTIONS request (no body).
fn options(from: SocketAddr, to: SocketAddr, tag: u32) -> Vec<u8> {
    format!(
        "OPTIONS sip:{to};transport=tls SIP/2.0\r\n\
         Via: SIP/2.0/TLS {from};branch=z9hG4bK-test-{tag}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:test@{from}>;tag=t{tag}\r\n\
         To: <sip:{to}>\r\n\
         Call-ID: test-{tag}@{from}\r\n\
         CSeq: {tag} OPTIONS\r\n\
         Content-Length: 0\r\n\
         \r\n"
    )
    .into_bytes()
}

/// A 200 response without body.
fn ok_response(tag: u32) -> Vec<u8> {
    format!(
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS 127.0.0.1;branch=z9hG4bK-test-{tag}\r\n\
         From: <sip:a@127.0.0.1>;tag=a\r\nTo: <sip:b@127.0.0.1>;tag=b\r\n\
         Call-ID: test-{tag}\r\nCSeq: {tag} OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

/// A TLS client trusting `ca`, verifying `name` (or the IP of `to`), presenting `client`.
async fn tls_client(
    to: SocketAddr,
    ca: &std::path::Path,
    client: Option<&Issued>,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(certs::load_certs(ca).expect("CA file"));
    let builder = ClientConfig::builder_with_provider(certs::provider())
        .with_protocol_versions(certs::VERSIONS)
        .expect("versions")
        .with_root_certificates(roots);
    let config = match client {
        None => builder.with_no_client_auth(),
        Some(c) => builder
            .with_client_auth_cert(
                certs::load_certs(&c.cert).expect("client cert"),
                certs::load_key(&c.key).expect("client key"),
            )
            .expect("client auth"),
    };
    let tcp = TcpStream::connect(to).await?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    connector
        .connect(ServerName::IpAddress(to.ip().into()), tcp)
        .await
}

/// Reads one message without body (up to CRLFCRLF) within [`WAIT`]; `Err` with what was
/// read when the stream ends or fails first.
async fn read_head<S: AsyncRead + Unpin>(s: &mut S) -> Result<Vec<u8>, String> {
    let mut got = Vec::new();
    let read = async {
        let mut byte = [0u8; 1];
        loop {
            match s.read(&mut byte).await {
                Ok(0) => return Err(format!("closed after {got:?}")),
                Ok(_) => got.push(byte[0]),
                Err(e) => return Err(format!("{e} after {got:?}")),
            }
            if got.ends_with(b"\r\n\r\n") {
                return Ok(got.clone());
            }
        }
    };
    tokio::time::timeout(WAIT, read)
        .await
        .unwrap_or_else(|_| Err("timed out".into()))
}

/// Log lines written while the guard lives (current-thread runtimes only: spawned tasks
/// run on the test's thread, where the subscriber is the default).
pub(crate) struct Logs {
    buf: Arc<Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

impl Logs {
    pub(crate) fn capture() -> Logs {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || Sink(sink.clone()))
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        Logs { buf, _guard: guard }
    }

    pub(crate) fn text(&self) -> String {
        let buf = self.buf.lock().expect("log buffer lock");
        String::from_utf8_lossy(&buf).into_owned()
    }
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("log buffer lock")
            .extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What an idle connection's task holds is what bounds how many connections fit in memory
/// (tests/examples/tls_idle.rs measures it): the futures waited on while idle must stay
/// small. Work after a wake-up (reading, writing, the TLS handshake) runs in boxed futures;
/// an `.await` on a large future added to those paths shows up here.
#[tokio::test]
async fn idle_connection_futures_stay_small() {
    use super::stream::{Link, run_future_size};
    let pki = pki::Pki::new("sizes");
    let server = pki.server("server", &["127.0.0.1"]);
    let cfg = config(pki.dir(), &server, "", "");
    let tls = super::server_config(cfg.realm("outside").expect("realm")).expect("config");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let _client = TcpStream::connect(addr).await.expect("connect");
    let (sock, _) = listener.accept().await.expect("accept");
    let (ctx, _core) = core_channel();
    let link = Link {
        transport: sbc_core::Transport::Tls,
        local: addr,
        remote: addr,
    };
    let slots = Arc::new(tokio::sync::Semaphore::new(1));
    let permit = slots.try_acquire_owned().expect("a slot");
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let task = super::tls::connection_for_size(acceptor, sock, link, ctx.clone(), permit);
    let task = std::mem::size_of_val(&task);
    let other = TcpStream::connect(addr).await.expect("connect");
    let run = run_future_size(other, link, &ctx);
    // Measured 832 and 560 bytes (rustc 1.95); the bounds leave room for toolchains.
    assert!(task <= 1536, "TLS connection task future: {task} bytes");
    assert!(run <= 1024, "connection loop future: {run} bytes");
}
