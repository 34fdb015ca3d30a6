//! TLS listeners: a verified client exchanges an OPTIONS; client certificates are asked
//! for and enforced per realm; a client that does not speak TLS is dropped.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sbc_core::{Transmit, Transport};
use sbc_sip::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};

use super::pki::Pki;
use super::{config, core_channel, next, ok_response, options, read_head, tls_client};
use crate::transport::{Inbound, Outbound, ServerIdentities, server_config, tls};

/// Starts a TLS listener on 127.0.0.1 for realm "outside" of a config with
/// `realm_extra`; returns its address and the core's end of the channel.
async fn listener(pki: &Pki, realm_extra: &str) -> (SocketAddr, mpsc::Receiver<Inbound>) {
    let server = pki.server("server", &["127.0.0.1"]);
    let cfg = config(pki.dir(), &server, realm_extra, "");
    let realm = cfg.realm("outside").expect("realm");
    let tls_config = server_config(realm).expect("server config");
    let socket = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let local = socket.local_addr().expect("local address");
    let (ctx, rx) = core_channel();
    let slots = Arc::new(Semaphore::new(16));
    let live = ServerIdentities::default().add(local, tls_config);
    tokio::spawn(tls::serve(socket, local, live, ctx, slots));
    (local, rx)
}

#[tokio::test]
async fn a_tls_client_exchanges_options() {
    let pki = Pki::new("listener");
    let (local, mut core) = listener(&pki, "").await;
    let mut client = tls_client(local, &pki.ca_path(), None)
        .await
        .expect("handshake with the listener");
    let me = client.get_ref().0.local_addr().expect("client address");
    client
        .write_all(&options(me, local, 1))
        .await
        .expect("write");

    let mut outbound = Outbound::new(HashMap::new());
    match next(&mut core).await {
        Inbound::Connected {
            local: l,
            remote,
            writer,
        } => {
            assert_eq!((l, remote), (local, me));
            outbound.connected(l, remote, writer);
        }
        other => panic!("expected Connected, got {other:?}"),
    }
    let peer = match next(&mut core).await {
        Inbound::Message { msg, peer } => {
            assert_eq!(msg.method(), Some(&Method::Options));
            peer
        }
        other => panic!("expected the OPTIONS, got {other:?}"),
    };
    assert_eq!(
        (peer.transport, peer.local, peer.remote),
        (Transport::Tls, local, me)
    );
    // The answer goes back over the connection the client opened.
    outbound.send(Transmit {
        transport: Transport::Tls,
        local,
        remote: me,
        payload: ok_response(1),
    });
    let reply = read_head(&mut client).await.expect("a response");
    assert!(reply.starts_with(b"SIP/2.0 200 OK\r\n"), "{reply:?}");
}

#[tokio::test]
async fn required_client_certificate_refuses_clients_without_one() {
    let pki = Pki::new("mtls");
    let extra = format!(
        "tls_verify_client = \"required\"\ntls_client_ca = \"{}\"",
        pki.ca_path().display()
    );
    let (local, mut core) = listener(&pki, &extra).await;

    // Without a certificate: the server refuses in the handshake. With TLS 1.3 the
    // client may believe it is done before the server's alert arrives; either way
    // nothing reaches the core and the connection ends.
    match tls_client(local, &pki.ca_path(), None).await {
        Err(_) => {}
        Ok(mut client) => {
            let me = client.get_ref().0.local_addr().expect("client address");
            let _ = client.write_all(&options(me, local, 2)).await;
            let mut buf = [0u8; 64];
            let read = tokio::time::timeout(super::WAIT, client.read(&mut buf)).await;
            assert!(
                matches!(read, Ok(Ok(0)) | Ok(Err(_))),
                "the connection ends: {read:?}"
            );
        }
    }
    let nothing = tokio::time::timeout(Duration::from_millis(300), core.recv()).await;
    assert!(nothing.is_err(), "no event for the core: {nothing:?}");

    // With a certificate of the CA: served.
    let cert = pki.client("client");
    let mut client = tls_client(local, &pki.ca_path(), Some(&cert))
        .await
        .expect("handshake with a client certificate");
    let me = client.get_ref().0.local_addr().expect("client address");
    client
        .write_all(&options(me, local, 3))
        .await
        .expect("write");
    // Kept, as the core keeps the writer: a connection whose writer is dropped closes.
    let connected = next(&mut core).await;
    assert!(matches!(connected, Inbound::Connected { .. }));
    let ev = next(&mut core).await;
    assert!(matches!(ev, Inbound::Message { .. }), "{ev:?}");
}

#[tokio::test]
async fn optional_client_certificate_serves_clients_without_one() {
    let pki = Pki::new("optional");
    let extra = format!(
        "tls_verify_client = \"optional\"\ntls_client_ca = \"{}\"",
        pki.ca_path().display()
    );
    let (local, mut core) = listener(&pki, &extra).await;
    let mut client = tls_client(local, &pki.ca_path(), None)
        .await
        .expect("handshake");
    let me = client.get_ref().0.local_addr().expect("client address");
    client
        .write_all(&options(me, local, 4))
        .await
        .expect("write");
    let connected = next(&mut core).await;
    assert!(matches!(connected, Inbound::Connected { .. }));
    assert!(matches!(next(&mut core).await, Inbound::Message { .. }));
}

#[tokio::test]
async fn plain_sip_on_the_tls_port_is_dropped() {
    let pki = Pki::new("plain");
    let (local, mut core) = listener(&pki, "").await;
    let mut plain = TcpStream::connect(local).await.expect("connect");
    let me = plain.local_addr().expect("client address");
    plain
        .write_all(&options(me, local, 5))
        .await
        .expect("write");
    // The server answers with at most a TLS alert, then closes.
    let mut got = Vec::new();
    let read = tokio::time::timeout(super::WAIT, plain.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "the connection is closed");
    assert!(!got.starts_with(b"SIP/2.0"), "no SIP answer: {got:?}");
    let nothing = tokio::time::timeout(Duration::from_millis(300), core.recv()).await;
    assert!(nothing.is_err(), "no event for the core: {nothing:?}");
}

#[tokio::test]
async fn a_bad_certificate_file_names_the_file() {
    let pki = Pki::new("badfile");
    let server = pki.server("server", &["127.0.0.1"]);
    std::fs::write(&server.cert, "not a certificate\n").expect("overwrite");
    let cfg = config(pki.dir(), &server, "", "");
    let err = server_config(cfg.realm("outside").expect("realm"))
        .expect_err("no certificate in the file");
    let text = err.to_string();
    assert!(
        text.contains(&server.cert.display().to_string()) && text.contains("no certificate"),
        "{text}"
    );

    // A key that is not the certificate's.
    let other = pki.server("other", &["127.0.0.1"]);
    let mixed = super::pki::Issued {
        cert: other.cert.clone(),
        key: pki.server("third", &["127.0.0.1"]).key,
    };
    let cfg = config(pki.dir(), &mixed, "", "");
    let err = server_config(cfg.realm("outside").expect("realm")).expect_err("key does not match");
    assert!(err.to_string().contains("other.pem"), "{err}");
}
