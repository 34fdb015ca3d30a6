//! Connections the SBC opens: to a TLS server verified by its IP SAN, with the queue
//! written once up and the connection reused; failures (wrong CA, wrong IP, refused)
//! reported with their reason; mutual TLS; keep-alive pings.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sbc_core::{Transmit, Transport};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};

use super::pki::{Issued, Pki};
use super::{Logs, WAIT, config, core_channel, next, options, read_head};
use crate::transport::{Connector, Inbound, Outbound, StreamCtx, TlsClients, server_config};

type ServerTls = tokio_rustls::server::TlsStream<TcpStream>;

/// The SBC's listener address in the test configs: connections are keyed by it.
pub(super) fn sbc_local() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 5061))
}

/// A TLS server on 127.0.0.1 presenting `cert`, asking for client certificates of
/// `client_ca` if given. Every connection (or handshake error) is handed to the test.
pub(super) async fn peer_server(
    pki: &Pki,
    cert: &Issued,
    client_ca: Option<&Path>,
) -> (SocketAddr, mpsc::Receiver<std::io::Result<ServerTls>>) {
    let extra = client_ca.map_or(String::new(), |ca| {
        format!(
            "tls_verify_client = \"required\"\ntls_client_ca = \"{}\"",
            ca.display()
        )
    });
    let cfg = config(pki.dir(), cert, &extra, "");
    let acceptor = tokio_rustls::TlsAcceptor::from(
        server_config(cfg.realm("outside").expect("realm")).expect("server config"),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let (tx, rx) = mpsc::channel(8);
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let _ = tx.send(acceptor.accept(sock).await).await;
        }
    });
    (addr, rx)
}

/// An [`Outbound`] that opens connections with the trunks of `trunks` (TOML), the
/// system roots taken from a file that does not exist.
fn outbound(
    pki: &Pki,
    server: &Issued,
    trunks: &str,
    keepalive: Duration,
) -> (Outbound, mpsc::Receiver<Inbound>) {
    let cfg = config(pki.dir(), server, "", trunks);
    let clients = TlsClients::build(&cfg, Path::new("/nonexistent/ca-certificates.crt"))
        .expect("client configs");
    let (ctx, rx): (StreamCtx, _) = core_channel();
    let connector = Connector {
        ctx,
        tls: Arc::new(clients),
        slots: Arc::new(Semaphore::new(16)),
        keepalive,
    };
    (Outbound::new(HashMap::new()).with_connector(connector), rx)
}

fn trunk(peer: SocketAddr, keys: &str) -> String {
    format!("[[trunk]]\nname = \"peer\"\nrealm = \"outside\"\npeers = [\"tls:{peer}\"]\n{keys}\n")
}

pub(super) fn transmit(to: SocketAddr, tag: u32) -> Transmit {
    Transmit {
        transport: Transport::Tls,
        local: sbc_local(),
        remote: to,
        payload: options(sbc_local(), to, tag),
    }
}

pub(super) async fn accepted(rx: &mut mpsc::Receiver<std::io::Result<ServerTls>>) -> ServerTls {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("a connection in time")
        .expect("server running")
        .expect("handshake")
}

#[tokio::test]
async fn opens_verified_by_ip_san_flushes_the_queue_and_reuses_the_connection() {
    let pki = Pki::new("open");
    let cert = pki.server("peer", &["127.0.0.1"]);
    let (addr, mut conns) = peer_server(&pki, &cert, None).await;
    let ca = format!("tls_ca = \"{}\"", pki.ca_path().display());
    let (mut out, mut core) = outbound(&pki, &cert, &trunk(addr, &ca), Duration::from_secs(30));

    // Three transmits before the connection is up: queued, then written in order.
    for tag in 1..=3 {
        out.send(transmit(addr, tag));
    }
    let mut server = accepted(&mut conns).await;
    for tag in 1..=3 {
        let head = read_head(&mut server).await.expect("a queued message");
        let cseq = format!("CSeq: {tag} OPTIONS");
        assert!(
            String::from_utf8_lossy(&head).contains(&cseq),
            "{tag}: {head:?}"
        );
    }

    // What the peer sends arrives as from the SBC's listener address.
    server
        .write_all(&options(addr, sbc_local(), 9))
        .await
        .expect("write");
    match next(&mut core).await {
        Inbound::Message { peer, .. } => assert_eq!(
            (peer.transport, peer.local, peer.remote),
            (Transport::Tls, sbc_local(), addr)
        ),
        other => panic!("expected the peer's OPTIONS, got {other:?}"),
    }

    // The next transmit reuses the connection.
    out.send(transmit(addr, 4));
    let head = read_head(&mut server).await.expect("the fourth message");
    assert!(String::from_utf8_lossy(&head).contains("CSeq: 4 OPTIONS"));
    assert!(conns.try_recv().is_err(), "no second connection");
    assert_eq!(out.streams(), 1);
}

/// Sends one transmit that cannot be delivered; returns the reason of the failure and
/// the log.
async fn failure(
    pki: &Pki,
    cert: &Issued,
    trunk_keys: &str,
    transport: Transport,
) -> (String, String) {
    let logs = Logs::capture();
    let (addr, _conns) = peer_server(pki, cert, None).await;
    let (mut out, mut core) =
        outbound(pki, cert, &trunk(addr, trunk_keys), Duration::from_secs(30));
    let mut t = transmit(addr, 1);
    t.transport = transport;
    if transport == Transport::Tcp {
        // Nobody listens there.
        let free = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        t.remote = free.local_addr().expect("address");
        t.local = SocketAddr::from(([127, 0, 0, 1], 5060));
    }
    out.send(t.clone());
    match next(&mut core).await {
        Inbound::ConnectFailed {
            transport: tr,
            local,
            remote,
            reason,
        } => {
            assert_eq!((tr, local, remote), (transport, t.local, t.remote));
            out.connect_failed(tr, local, remote, &reason);
            assert_eq!(out.streams(), 0, "the next transmit connects afresh");
            (reason, logs.text())
        }
        other => panic!("expected ConnectFailed, got {other:?}"),
    }
}

#[tokio::test]
async fn a_certificate_of_another_ca_is_refused_with_the_reason_logged() {
    let pki = Pki::new("server-ca");
    let other = Pki::new("other-ca");
    let cert = pki.server("peer", &["127.0.0.1"]);
    let keys = format!("tls_ca = \"{}\"", other.ca_path().display());
    let (reason, log) = failure(&pki, &cert, &keys, Transport::Tls).await;
    assert!(reason.contains("invalid peer certificate"), "{reason}");
    assert!(
        log.contains("cannot open tls connection to 127.0.0.1:")
            && log.contains("invalid peer certificate")
            && log.contains("1 queued message(s) dropped"),
        "{log}"
    );
}

#[tokio::test]
async fn a_certificate_for_another_ip_is_refused() {
    let pki = Pki::new("other-ip");
    let cert = pki.server("peer", &["127.0.0.2"]);
    let keys = format!("tls_ca = \"{}\"", pki.ca_path().display());
    let (reason, _) = failure(&pki, &cert, &keys, Transport::Tls).await;
    assert!(reason.contains("not valid for name"), "{reason}");
}

#[tokio::test]
async fn a_refused_tcp_connect_is_reported() {
    let pki = Pki::new("refused");
    let cert = pki.server("peer", &["127.0.0.1"]);
    let keys = format!("tls_ca = \"{}\"", pki.ca_path().display());
    let (reason, log) = failure(&pki, &cert, &keys, Transport::Tcp).await;
    assert!(reason.contains("refused"), "{reason}");
    assert!(log.contains("cannot open tcp connection"), "{log}");
}

#[test]
fn a_tls_trunk_without_tls_ca_needs_the_system_roots() {
    let pki = Pki::new("roots");
    let cert = pki.server("peer", &["127.0.0.1"]);
    let peer = SocketAddr::from(([127, 0, 0, 1], 5999));
    let cfg = config(pki.dir(), &cert, "", &trunk(peer, ""));
    let missing = Path::new("/nonexistent/ca-certificates.crt");
    let err = TlsClients::build(&cfg, missing).expect_err("no system roots");
    let text = err.to_string();
    assert!(
        text.starts_with(
            "trunk peer: a tls: peer without tls_ca is verified against the system CAs"
        ) && text.contains("/nonexistent/ca-certificates.crt"),
        "{text}"
    );
    // With the CA as the "system" bundle, the same config builds.
    TlsClients::build(&cfg, &pki.ca_path()).expect("system roots readable");
}

#[tokio::test]
async fn mutual_tls_presents_the_trunk_client_certificate() {
    let pki = Pki::new("mutual");
    let cert = pki.server("peer", &["127.0.0.1"]);
    let client = pki.client("sbc-client");
    let (addr, mut conns) = peer_server(&pki, &cert, Some(&pki.ca_path())).await;
    let keys = format!(
        "tls_ca = \"{}\"\ntls_client_cert = \"{}\"\ntls_client_key = \"{}\"",
        pki.ca_path().display(),
        client.cert.display(),
        client.key.display()
    );
    let (mut out, _core) = outbound(&pki, &cert, &trunk(addr, &keys), Duration::from_secs(30));
    out.send(transmit(addr, 1));
    let mut server = accepted(&mut conns).await;
    assert!(server.get_ref().1.peer_certificates().is_some());
    read_head(&mut server).await.expect("the message");
}

#[tokio::test]
async fn idle_opened_connections_send_pings_and_absorb_pongs() {
    let pki = Pki::new("keepalive");
    let cert = pki.server("peer", &["127.0.0.1"]);
    let (addr, mut conns) = peer_server(&pki, &cert, None).await;
    let ca = format!("tls_ca = \"{}\"", pki.ca_path().display());
    let (mut out, mut core) = outbound(&pki, &cert, &trunk(addr, &ca), Duration::from_millis(200));
    out.send(transmit(addr, 1));
    let mut server = accepted(&mut conns).await;
    read_head(&mut server).await.expect("the message");
    for _ in 0..3 {
        let ping = read_head(&mut server).await.expect("a ping");
        assert_eq!(ping, b"\r\n\r\n");
        server.write_all(b"\r\n").await.expect("pong");
        server.flush().await.expect("flush");
    }
    let nothing = tokio::time::timeout(Duration::from_millis(300), core.recv()).await;
    assert!(nothing.is_err(), "pongs do not reach the core: {nothing:?}");
}
