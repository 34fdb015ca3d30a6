//! A realm's `domain` against its certificate: accepted when a SAN carries it (wildcards
//! too), refused at start (and on reload) with the domain and the file named otherwise.

use super::pki::Pki;
use super::{certs, config};

#[test]
fn the_domain_must_be_a_name_of_the_realms_certificate() {
    let pki = Pki::new("domain");
    let server = pki.server("sbc1", &["sbc1.example.com", "127.0.0.1"]);
    let ok = config(pki.dir(), &server, "domain = \"SBC1.example.com\"", "");
    assert_eq!(ok.realms()[0].domain.as_deref(), Some("sbc1.example.com"));
    certs::server_config(&ok.realms()[0]).expect("a SAN carries the domain");

    let wrong = config(pki.dir(), &server, "domain = \"sbc2.example.com\"", "");
    let e = certs::server_config(&wrong.realms()[0])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.starts_with("domain \"sbc2.example.com\" is not a name of the certificate")
            && e.contains(&server.cert.display().to_string()),
        "{e}"
    );
    let refused = crate::mgmt::apply::check_tls(&wrong).expect_err("refused");
    assert!(
        format!("{refused:?}").contains("realm[0].domain"),
        "{refused:?}"
    );

    let wildcard = pki.server("wild", &["*.example.com"]);
    let ok = config(pki.dir(), &wildcard, "domain = \"sbc3.example.com\"", "");
    certs::server_config(&ok.realms()[0]).expect("a wildcard SAN covers the domain");
}
