//! `profile = "teams"`: Microsoft Teams Direct Routing.
//!
//! Sources, Microsoft Learn as read on 2026-12-06: "Plan Direct Routing" (the SIP
//! proxies' names, the signalling ranges 52.112.0.0/14 and 52.122.0.0/15, the media
//! servers' ports) and "Direct Routing - SIP protocol" (OPTIONS exchanged before any
//! call, no userinfo in OPTIONS URIs, no SIPS URIs, no Replaces). The media values
//! (SDES suite, codecs, ICE-lite for media bypass, REFER) follow issue #17's reading of
//! "Direct Routing - media protocol"; `X-MS-SBC` (vendor/model/firmware) is what SBCs
//! on Microsoft's list send.
//!
//! | key | value | why |
//! |---|---|---|
//! | `peers` | `tls:sip.pstnhub.microsoft.com:5061`, `tls:sip2...`, `tls:sip3...` | the SIP proxies, tried in this order (failover) |
//! | `sources` | `52.112.0.0/14`, `52.122.0.0/15` | Microsoft's published SIP signalling ranges: requests come from any address in them, not only from the names' addresses |
//! | `tls_ca` | [`DIGICERT_GLOBAL_ROOT_G2`] | the root the proxies' certificates chain to |
//! | `options_interval` | 60 | Microsoft refuses calls from an SBC whose OPTIONS it has not seen; it expects one a minute |
//! | `srtp`, `srtp_suites` | `required`, `AES_CM_128_HMAC_SHA1_80` | the one SDES suite Direct Routing offers and accepts |
//! | `codecs` | PCMU, PCMA, G722, telephone-event | G.711 and G.722 (SILK and Opus are Microsoft-internal); RFC 4733 DTMF |
//! | `transcode` | `when-needed` | the other trunk's codecs are transcoded to these when nothing is shared |
//! | `dtmf` | `rfc4733` | telephone-events |
//! | `ice` | `lite` | media bypass: Teams clients run ICE against the SBC as a lite agent |
//! | `rtcp_mux` | `offer` | rtcp-mux offered to Microsoft whatever the other side does |
//! | `refer` | `handle` | Teams transfers with REFER and expects the SBC to complete them |
//! | rule | `add X-MS-SBC: EdgeSBC/sbc/<version>` | vendor/model/firmware, on every message to Microsoft |
//!
//! `tls_server_name` stays unset: each `tls:` peer given by name is verified against
//! that name and gets it as SNI. The realm needs a `domain` (the SBC's FQDN: Contact,
//! Via and Record-Route host, and a name of its certificate); validation says so.

use crate::schema::{RuleSection, TrunkSection};

/// Where Debian's (and the appliance's) `ca-certificates` package puts DigiCert Global
/// Root G2, the root Microsoft's SIP proxies' certificates chain to. The appliance image
/// installs `ca-certificates` (`image/packages`); a test checks this file's fingerprint.
pub const DIGICERT_GLOBAL_ROOT_G2: &str =
    "/usr/share/ca-certificates/mozilla/DigiCert_Global_Root_G2.crt";

/// SHA-256 of DigiCert Global Root G2's DER certificate, as DigiCert publishes it.
pub const DIGICERT_GLOBAL_ROOT_G2_SHA256: &str =
    "cb3ccbb76031e5e0138f8dd39a23f9de47ffc35e43c1144cea27d46a5ab1cb5f";

/// The value of the `X-MS-SBC` header: vendor / model / firmware version.
pub const X_MS_SBC: &str = concat!("EdgeSBC/sbc/", env!("CARGO_PKG_VERSION"));

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// The keys Teams sets (all others left to the SBC's defaults).
pub(super) fn defaults() -> TrunkSection {
    TrunkSection {
        name: String::new(),
        realm: String::new(),
        profile: None,
        peers: strings(&[
            "tls:sip.pstnhub.microsoft.com:5061",
            "tls:sip2.pstnhub.microsoft.com:5061",
            "tls:sip3.pstnhub.microsoft.com:5061",
        ]),
        // "Plan Direct Routing", SIP Signaling: FQDNs, read 2026-12-06.
        sources: Some(strings(&["52.112.0.0/14", "52.122.0.0/15"])),
        codecs: Some(strings(&["PCMU", "PCMA", "G722", "telephone-event"])),
        transcode: Some("when-needed".into()),
        g729_annexb: None,
        ptime: None,
        dtmf: Some("rfc4733".into()),
        dtmf_info_type: None,
        show_digits: None,
        srtp: Some("required".into()),
        srtp_suites: Some(strings(&["AES_CM_128_HMAC_SHA1_80"])),
        sdes_without_tls: None,
        tls_ca: Some(DIGICERT_GLOBAL_ROOT_G2.into()),
        tls_server_name: None,
        tls_client_cert: None,
        tls_client_key: None,
        // `sip:` with `;transport=tls` (the default): Microsoft refuses SIPS URIs.
        uri_scheme: None,
        options_interval: Some(60),
        options_down_after: None,
        options_up_after: None,
        max_calls: None,
        max_cps: None,
        register: None,
        invite_timeout_ms: None,
        no_target_code: None,
        rules: Vec::new(),
        refer: Some("handle".into()),
        ice: Some("lite".into()),
        rtcp_mux: Some("offer".into()),
    }
}

/// `X-MS-SBC` on every request and response the SBC sends to the trunk.
pub(super) fn rules() -> Vec<RuleSection> {
    vec![RuleSection {
        action: "add".into(),
        header: "X-MS-SBC".into(),
        value: Some(X_MS_SBC.into()),
        ..RuleSection::default()
    }]
}
