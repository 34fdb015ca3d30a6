//! The SBC's TLS identity on a realm: the certificate its listener serves is picked by
//! the SNI the client sends (`[[realm.certificate]]` besides the default `tls_cert`), and
//! the certificate naming the realm's `domain` is the client certificate the SBC presents
//! to its trunks' TLS peers when a trunk has none of its own.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use super::connect::{accepted, peer_server, transmit};
use super::pki::{Issued, Pki};
use super::{config, core_channel, read_head};
use crate::transport::{Connector, Outbound, TlsClients, certs, server_config};

/// `[[realm.certificate]]` entries for `certs`.
fn more_certificates(certs: &[&Issued]) -> String {
    certs
        .iter()
        .map(|c| {
            format!(
                "[[realm.certificate]]\ncert = \"{}\"\nkey = \"{}\"\n",
                c.cert.display(),
                c.key.display()
            )
        })
        .collect()
}

/// The leaf certificate of a PEM file.
fn leaf(issued: &Issued) -> CertificateDer<'static> {
    certs::load_certs(&issued.cert).expect("certificate file")[0].clone()
}

/// The leaf the server at `to` presents to a client asking for `name` (`None`: no SNI,
/// the IP verified), verified against `ca`.
async fn served(to: SocketAddr, ca: &Path, name: Option<&str>) -> CertificateDer<'static> {
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(certs::load_certs(ca).expect("CA file"));
    let config = ClientConfig::builder_with_provider(certs::provider())
        .with_protocol_versions(certs::VERSIONS)
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let server_name = match name {
        Some(n) => ServerName::try_from(n.to_owned()).expect("DNS name"),
        None => ServerName::IpAddress(to.ip().into()),
    };
    let tcp = TcpStream::connect(to).await.expect("connect");
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(server_name, tcp)
        .await
        .unwrap_or_else(|e| panic!("handshake asking for {name:?}: {e}"));
    tls.get_ref().1.peer_certificates().expect("a certificate")[0].clone()
}

#[tokio::test]
async fn the_listener_serves_the_certificate_naming_the_sni_and_the_default_otherwise() {
    let pki = Pki::new("sni");
    let default = pki.server("edge", &["edge.example.net", "127.0.0.1"]);
    let carrier = pki.server("sbc1", &["sbc1.example.com"]);
    let pbx = pki.server("wild", &["*.pbx.example.org"]);
    let cfg = config(
        pki.dir(),
        &default,
        &format!(
            "domain = \"sbc1.example.com\"\n{}",
            more_certificates(&[&carrier, &pbx])
        ),
        "",
    );
    let tls = server_config(cfg.realm("outside").expect("realm")).expect("server config");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = acceptor.accept(sock).await;
            });
        }
    });

    let ca = pki.ca_path();
    assert_eq!(
        served(addr, &ca, Some("sbc1.example.com")).await,
        leaf(&carrier)
    );
    assert_eq!(
        served(addr, &ca, Some("SBC1.Example.com")).await,
        leaf(&carrier)
    );
    assert_eq!(
        served(addr, &ca, Some("a.pbx.example.org")).await,
        leaf(&pbx)
    );
    assert_eq!(
        served(addr, &ca, Some("edge.example.net")).await,
        leaf(&default)
    );
    // No SNI (a client connecting by IP): the default, which carries the IP.
    assert_eq!(served(addr, &ca, None).await, leaf(&default));
}

#[test]
fn an_unknown_sni_gets_the_default_certificate() {
    let pki = Pki::new("sni-unknown");
    let default = pki.server("edge", &["edge.example.net"]);
    let other = pki.server("sbc1", &["sbc1.example.com"]);
    let more = [certs::load_identity(&sbc_config::TlsFiles {
        cert: other.cert.clone(),
        key: other.key.clone(),
    })
    .expect("identity")];
    let default_key = certs::load_identity(&sbc_config::TlsFiles {
        cert: default.cert.clone(),
        key: default.key.clone(),
    })
    .expect("identity");
    let picker = crate::transport::sni::CertBySni::new(default_key, more.to_vec());
    let picked = |sni| picker.pick(sni).end_entity_cert().expect("leaf").clone();
    assert_eq!(picked(Some("sbc2.example.com")), leaf(&default));
    assert_eq!(picked(None), leaf(&default));
    assert_eq!(picked(Some("sbc1.example.com")), leaf(&other));
}

#[test]
fn the_domain_may_be_named_by_any_certificate_of_the_realm_but_by_one() {
    let pki = Pki::new("sni-domain");
    let default = pki.server("edge", &["edge.example.net"]);
    let carrier = pki.server("sbc1", &["sbc1.example.com"]);
    let more = more_certificates(&[&carrier]);
    let ok = config(
        pki.dir(),
        &default,
        &format!("domain = \"sbc1.example.com\"\n{more}"),
        "",
    );
    let realm = ok.realm("outside").expect("realm");
    let named = certs::domain_certificate(realm).expect("a certificate names it");
    assert_eq!(named.map(|f| f.cert.clone()), Some(carrier.cert.clone()));

    let bad = config(
        pki.dir(),
        &default,
        &format!("domain = \"sbc9.example.com\"\n{more}"),
        "",
    );
    let e = server_config(bad.realm("outside").expect("realm"))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.starts_with("domain \"sbc9.example.com\" is not a name of the certificate")
            && e.contains("nor of the realm's 1 other certificate(s)"),
        "{e}"
    );
    let refused = crate::mgmt::apply::check_tls(&bad).expect_err("refused");
    assert!(
        format!("{refused:?}").contains("realm[0].domain"),
        "{refused:?}"
    );

    // A key that is not its certificate's, on an extra certificate: its key path.
    let mixed = Issued {
        cert: carrier.cert.clone(),
        key: default.key.clone(),
    };
    let more = more_certificates(&[&mixed]);
    let bad = config(pki.dir(), &default, &more, "");
    let refused = crate::mgmt::apply::check_tls(&bad).expect_err("refused");
    assert!(
        format!("{refused:?}").contains("realm[0].certificate[0].cert"),
        "{refused:?}"
    );
}

/// Opens a connection from the SBC to a peer asking for a client certificate, for a
/// trunk with `trunk_keys`, on a realm with `realm_extra`; returns the certificate the
/// peer received.
async fn client_certificate_sent(
    pki: &Pki,
    realm_cert: &Issued,
    realm_extra: &str,
    trunk_keys: &str,
) -> CertificateDer<'static> {
    let peer_cert = pki.server("peer", &["127.0.0.1"]);
    let (addr, mut conns) = peer_server(pki, &peer_cert, Some(&pki.ca_path())).await;
    let trunks = format!(
        "[[trunk]]\nname = \"peer\"\nrealm = \"outside\"\npeers = [\"tls:{addr}\"]\ntls_ca = \"{}\"\n{trunk_keys}\n",
        pki.ca_path().display()
    );
    let cfg = config(pki.dir(), realm_cert, realm_extra, &trunks);
    let clients = TlsClients::build(&cfg, Path::new("/nonexistent/ca-certificates.crt"))
        .expect("client configs");
    let (ctx, _core) = core_channel();
    let connector = Connector {
        ctx,
        tls: Arc::new(clients),
        slots: Arc::new(Semaphore::new(4)),
        keepalive: Duration::from_secs(30),
    };
    let mut out = Outbound::new(HashMap::new()).with_connector(connector);
    out.send(transmit(addr, 1));
    let mut server = accepted(&mut conns).await;
    read_head(&mut server).await.expect("the message");
    server
        .get_ref()
        .1
        .peer_certificates()
        .expect("a client certificate")[0]
        .clone()
}

#[tokio::test]
async fn a_trunk_without_its_own_client_certificate_presents_the_realms_domain_certificate() {
    let pki = Pki::new("mtls-domain");
    let default = pki.identity("edge", &["edge.example.net", "127.0.0.1"]);
    let domain = pki.identity("sbc1", &["sbc1.example.com"]);
    let realm = format!(
        "domain = \"sbc1.example.com\"\n{}",
        more_certificates(&[&domain])
    );
    let sent = client_certificate_sent(&pki, &default, &realm, "").await;
    assert_eq!(sent, leaf(&domain));

    // The trunk's own certificate wins.
    let own = pki.client("own");
    let keys = format!(
        "tls_client_cert = \"{}\"\ntls_client_key = \"{}\"",
        own.cert.display(),
        own.key.display()
    );
    let sent = client_certificate_sent(&pki, &default, &realm, &keys).await;
    assert_eq!(sent, leaf(&own));
}

/// A chain file of `leaf` followed by the CA that issued it.
fn with_issuer(pki: &Pki, leaf: &Issued, name: &str) -> Issued {
    let chain = pki.dir().join(format!("{name}-chain.pem"));
    let text = std::fs::read_to_string(&leaf.cert).expect("leaf")
        + &std::fs::read_to_string(pki.ca_path()).expect("CA");
    std::fs::write(&chain, text).expect("write chain");
    Issued {
        cert: chain,
        key: leaf.key.clone(),
    }
}

#[test]
fn a_domain_certificate_without_client_auth_is_not_presented() {
    let pki = Pki::new("mtls-eku");
    let default = pki.identity("edge", &["127.0.0.1"]);
    let peer: SocketAddr = "127.0.0.1:5999".parse().expect("address");
    let presents = |domain_cert: &Issued| {
        let realm = format!(
            "domain = \"sbc1.example.com\"\n{}",
            more_certificates(&[domain_cert])
        );
        let trunks = format!(
            "[[trunk]]\nname = \"peer\"\nrealm = \"outside\"\npeers = [\"tls:{peer}\"]\ntls_ca = \"{}\"\n",
            pki.ca_path().display()
        );
        let cfg = config(pki.dir(), &default, &realm, &trunks);
        let clients = TlsClients::build(&cfg, Path::new("/nonexistent/ca-certificates.crt"))
            .expect("client configs");
        let tls = clients
            .for_link(super::connect::sbc_local(), peer)
            .expect("the trunk's configuration");
        tls.config.client_auth_cert_resolver.has_certs()
    };
    let server_only = pki.server("server-only", &["sbc1.example.com"]);
    assert!(
        !presents(&with_issuer(&pki, &server_only, "server-only")),
        "serverAuth only, decided against its issuer: not presented"
    );
    let both = pki.identity("both", &["sbc1.example.com"]);
    assert!(presents(&with_issuer(&pki, &both, "both")));
    // Without its issuer in the file it cannot be decided: presented, the peer decides.
    assert!(presents(&server_only));
}
