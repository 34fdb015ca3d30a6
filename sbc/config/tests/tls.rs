//! TLS keys of realms and trunks: defaults, paths resolved against the file, names kept.

use std::path::Path;

use sbc_config::{Config, VerifyClient};

const TEXT: &str = r#"[system]
name = "t"

[management]
listen = "127.0.0.1:8443"

[[realm]]
name = "outside"
listen = ["udp:192.0.2.10:5060", "tls:192.0.2.10:5061"]
media_ip = "192.0.2.10"
media_ports = "20000-29999"
tls_cert = "certs/outside.pem"
tls_key = "/etc/keys/outside.key"
tls_verify_client = "Required"
tls_client_ca = "certs/clients.pem"

[[realm]]
name = "inside"
listen = ["tls:10.0.0.1:5061"]
media_ip = "10.0.0.1"
media_ports = "30000-39999"
tls_cert = "certs/inside.pem"
tls_key = "certs/inside.key"

[[trunk]]
name = "carrier"
realm = "outside"
peers = ["udp:198.51.100.20:5060", "tls:198.51.100.21:5061"]
tls_ca = "certs/carrier-ca.pem"
tls_server_name = "SIP.Carrier.Example."
tls_client_cert = "certs/edge.pem"
tls_client_key = "certs/edge.key"

[[trunk]]
name = "pbx"
realm = "inside"
peers = ["tls:10.0.0.20:5061"]
"#;

#[test]
fn tls_keys_are_resolved_and_defaulted() {
    let c = Config::from_toml_str(TEXT, "/etc/sbc").expect("valid");
    let dir = Path::new("/etc/sbc");

    let outside = c.realm("outside").expect("outside");
    let files = outside.tls.as_ref().expect("tls files");
    assert_eq!(files.cert, dir.join("certs/outside.pem"));
    assert_eq!(
        files.key,
        Path::new("/etc/keys/outside.key"),
        "absolute stays"
    );
    assert_eq!(outside.tls_verify_client, VerifyClient::Required);
    assert_eq!(outside.tls_client_ca, Some(dir.join("certs/clients.pem")));

    let inside = c.realm("inside").expect("inside");
    assert_eq!(inside.tls_verify_client, VerifyClient::None, "default");
    assert_eq!(inside.tls_client_ca, None);

    let carrier = c.trunk("carrier").expect("carrier");
    assert_eq!(carrier.tls.ca, Some(dir.join("certs/carrier-ca.pem")));
    assert_eq!(
        carrier.tls.server_name.as_deref(),
        Some("sip.carrier.example"),
        "lowercased, trailing dot dropped"
    );
    let client = carrier.tls.client.as_ref().expect("client files");
    assert_eq!(client.cert, dir.join("certs/edge.pem"));
    assert_eq!(client.key, dir.join("certs/edge.key"));

    let pbx = c.trunk("pbx").expect("pbx");
    assert_eq!(
        pbx.tls,
        Default::default(),
        "system roots, IP name, no client cert"
    );
}

#[test]
fn tls_keys_survive_a_write_and_read_back() {
    let file = sbc_config::ConfigFile::from_toml_str(TEXT).expect("parses");
    let again = sbc_config::ConfigFile::from_toml_str(&file.to_toml_string().expect("prints"))
        .expect("reparses");
    assert_eq!(file, again);
}
