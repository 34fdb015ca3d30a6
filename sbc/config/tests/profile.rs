//! `profile = "teams"`: the effective trunk, what the operator overrides, what the
//! profile needs of the realm, and the root it trusts.

use std::time::Duration;

use sbc_config::profile::{TrunkProfile, teams};
use sbc_config::{Config, IceMode, ReferMode, SrtpMode};

fn file(realm_extra: &str, trunk_extra: &str) -> String {
    format!(
        r#"[system]
name = "t"

[management]
listen = "127.0.0.1:8443"

[[realm]]
name = "outside"
listen = ["tls:192.0.2.10:5061"]
media_ip = "192.0.2.10"
media_ports = "20000-29999"
tls_cert = "certs/sbc.pem"
tls_key = "certs/sbc.key"
{realm_extra}

[[trunk]]
name = "teams"
realm = "outside"
profile = "teams"
{trunk_extra}
"#
    )
}

fn errors(text: &str) -> Vec<String> {
    match Config::from_toml_str(text, "/etc/sbc") {
        Ok(_) => Vec::new(),
        Err(e) => e.iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn the_profile_alone_gives_a_whole_teams_trunk() {
    let text = file(r#"domain = "sbc1.example.com""#, "");
    let config = Config::from_toml_str(&text, "/etc/sbc").expect("valid");
    let t = config.trunk("teams").expect("the trunk");
    assert_eq!(t.profile, Some(TrunkProfile::Teams));
    let names: Vec<String> = t.peer_specs.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        names,
        [
            "tls:sip.pstnhub.microsoft.com:5061",
            "tls:sip2.pstnhub.microsoft.com:5061",
            "tls:sip3.pstnhub.microsoft.com:5061"
        ]
    );
    assert_eq!(t.sources.len(), 2);
    assert_eq!(t.srtp.mode, SrtpMode::Required);
    assert_eq!(t.srtp.suites.len(), 1);
    assert_eq!(t.srtp.suites[0].name, "AES_CM_128_HMAC_SHA1_80");
    assert_eq!(t.ice, IceMode::Lite);
    assert_eq!(t.refer, ReferMode::Handle);
    let options = t.options.as_ref().expect("OPTIONS on");
    assert_eq!(options.interval, Duration::from_secs(60));
    assert_eq!(
        t.tls.ca.as_deref(),
        Some(std::path::Path::new(teams::DIGICERT_GLOBAL_ROOT_G2))
    );
    assert!(!t.rules.is_empty(), "the X-MS-SBC rule");
    assert!(t.from_profile.contains(&"peers") && t.from_profile.contains(&"rule"));
}

#[test]
fn overridden_keys_are_the_operators_and_the_rest_stays() {
    let text = file(
        r#"domain = "sbc1.example.com""#,
        r#"peers = ["tls:198.51.100.9:5061"]
tls_ca = "lab-ca.pem"
[[trunk.rule]]
action = "remove"
header = "X-Other""#,
    );
    let config = Config::from_toml_str(&text, "/etc/sbc").expect("valid");
    let t = config.trunk("teams").expect("the trunk");
    assert_eq!(t.peers.len(), 1);
    assert_eq!(
        t.tls.ca.as_deref(),
        Some(std::path::Path::new("/etc/sbc/lab-ca.pem"))
    );
    assert!(!t.from_profile.contains(&"peers") && !t.from_profile.contains(&"tls_ca"));
    assert_eq!(t.srtp.mode, SrtpMode::Required);
    assert_eq!(t.ice, IceMode::Lite);
    assert!(
        t.from_profile.contains(&"rule"),
        "the profile's rule runs first"
    );
}

#[test]
fn teams_needs_the_realms_domain() {
    assert_eq!(
        errors(&file("", "")),
        [
            "realm[0].domain: required by trunk \"teams\" (profile = \"teams\"): the peer identifies the SBC by its FQDN in Contact and Via, and its TLS certificate must name it"
        ]
    );
}

#[test]
fn an_unknown_profile_is_named() {
    let text = file(r#"domain = "sbc1.example.com""#, "").replace("\"teams\"\n", "\"lync\"\n");
    let errs = errors(&text);
    assert!(
        errs.contains(&"trunk[0].profile: invalid value \"lync\" (expected \"teams\")".to_owned()),
        "{errs:?}"
    );
    assert!(
        errs.contains(&"trunk[0].peers: must not be empty".to_owned()),
        "without a known profile the trunk needs its own peers: {errs:?}"
    );
}

#[test]
fn teams_peers_need_a_tls_listener() {
    let text = file(r#"domain = "sbc1.example.com""#, "")
        .replace(
            r#"listen = ["tls:192.0.2.10:5061"]"#,
            r#"listen = ["udp:192.0.2.10:5060"]"#,
        )
        .replace(
            "tls_cert = \"certs/sbc.pem\"\ntls_key = \"certs/sbc.key\"\n",
            "",
        );
    let errs = errors(&text);
    assert!(
        errs.iter()
            .any(|e| e.starts_with("trunk[0].peers[0]: ") && e.contains("tls")),
        "{errs:?}"
    );
}

/// The file the profile names is DigiCert Global Root G2 (Debian's `ca-certificates`,
/// installed on the appliance by `image/packages`).
#[test]
fn the_trusted_root_is_digicert_global_root_g2() {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    use sha2::{Digest, Sha256};
    let path = teams::DIGICERT_GLOBAL_ROOT_G2;
    let der = CertificateDer::from_pem_file(path)
        .unwrap_or_else(|e| panic!("{path}: {e} (install Debian's ca-certificates)"));
    let hex: String = Sha256::digest(der.as_ref())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(hex, teams::DIGICERT_GLOBAL_ROOT_G2_SHA256);
}
