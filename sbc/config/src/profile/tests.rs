use super::*;

fn section(profile: Option<&str>) -> TrunkSection {
    let text = r#"
name = "teams"
realm = "outside"
"#;
    let mut t: TrunkSection = toml::from_str(text).expect("a trunk section");
    t.profile = profile.map(str::to_owned);
    t
}

#[test]
fn a_section_without_profile_is_left_alone() {
    let raw = section(None);
    let applied = apply(&raw);
    assert_eq!(applied.section, raw);
    assert_eq!(applied.profile, None);
    assert!(applied.from_profile.is_empty() && applied.rules.is_empty());
}

#[test]
fn teams_fills_what_the_operator_left_out() {
    let applied = apply(&section(Some("Teams")));
    let t = &applied.section;
    assert_eq!(applied.profile, Some(TrunkProfile::Teams));
    assert_eq!(
        t.peers,
        [
            "tls:sip.pstnhub.microsoft.com:5061",
            "tls:sip2.pstnhub.microsoft.com:5061",
            "tls:sip3.pstnhub.microsoft.com:5061"
        ]
    );
    assert_eq!(
        t.sources.as_deref(),
        Some(&["52.112.0.0/14".to_owned(), "52.122.0.0/15".to_owned()][..])
    );
    assert_eq!(t.srtp.as_deref(), Some("required"));
    assert_eq!(
        t.srtp_suites.as_deref(),
        Some(&["AES_CM_128_HMAC_SHA1_80".to_owned()][..])
    );
    assert_eq!(t.options_interval, Some(60));
    assert_eq!(t.ice.as_deref(), Some("lite"));
    assert_eq!(t.refer.as_deref(), Some("handle"));
    assert_eq!(t.tls_ca.as_deref(), Some(teams::DIGICERT_GLOBAL_ROOT_G2));
    assert_eq!(
        t.tls_server_name, None,
        "each peer is verified by its own name"
    );
    assert_eq!(
        applied.from_profile,
        [
            "peers",
            "sources",
            "codecs",
            "transcode",
            "dtmf",
            "srtp",
            "srtp_suites",
            "tls_ca",
            "options_interval",
            "refer",
            "ice",
            "rtcp_mux",
            "rule"
        ]
    );
    let rule = &applied.rules[0];
    assert_eq!(
        (rule.action.as_str(), rule.header.as_str()),
        ("add", "X-MS-SBC")
    );
    assert_eq!(
        rule.value.as_deref(),
        Some(concat!("EdgeSBC/sbc/", env!("CARGO_PKG_VERSION")))
    );
}

#[test]
fn the_operators_keys_win() {
    let mut raw = section(Some("teams"));
    raw.peers = vec!["tls:10.0.0.9:5061".into()];
    raw.tls_ca = Some("lab-ca.pem".into());
    raw.options_interval = Some(0);
    let applied = apply(&raw);
    assert_eq!(applied.section.peers, ["tls:10.0.0.9:5061"]);
    assert_eq!(applied.section.tls_ca.as_deref(), Some("lab-ca.pem"));
    assert_eq!(applied.section.options_interval, Some(0));
    for key in ["peers", "tls_ca", "options_interval"] {
        assert!(!applied.from_profile.contains(&key), "{key}");
    }
    assert!(applied.from_profile.contains(&"srtp"));
}

#[test]
fn an_unknown_profile_fills_nothing() {
    let applied = apply(&section(Some("skype")));
    assert_eq!(applied.profile, None);
    assert!(applied.section.peers.is_empty());
    assert!(applied.from_profile.is_empty());
}

#[test]
fn values_name_each_key_path_and_its_toml() {
    let mut file: crate::ConfigFile = toml::from_str(
        r#"
[system]
name = "t"
[management]
listen = "127.0.0.1:8443"
[[trunk]]
name = "carrier"
realm = "outside"
peers = ["udp:192.0.2.1"]
[[trunk]]
name = "teams"
realm = "outside"
options_interval = 30
"#,
    )
    .expect("a file");
    file.trunks[1].profile = Some("teams".into());
    let values = values(&file);
    let line = |path: &str| {
        values
            .iter()
            .find(|v| v.path == path)
            .map(|v| v.value.clone())
    };
    assert_eq!(
        line("trunk[1].sources").as_deref(),
        Some(r#"["52.112.0.0/14", "52.122.0.0/15"]"#)
    );
    assert_eq!(line("trunk[1].ice").as_deref(), Some(r#""lite""#));
    assert_eq!(line("trunk[1].options_interval"), None, "the operator's");
    assert!(line("trunk[1].profile.rule").is_some_and(|r| r.contains("X-MS-SBC")));
    assert!(values.iter().all(|v| v.path.starts_with("trunk[1].")));
}
