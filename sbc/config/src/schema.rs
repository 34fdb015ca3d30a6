//! The file as written: serde structs mirroring the TOML, one per section.
//!
//! Values that need checking (addresses, ranges, names, regexes) stay strings here so
//! that validation ([`crate::validate`]) can report every bad value with its key path
//! instead of stopping at the first one. Optional keys are `Option`s, so that a file
//! read and written back (the management API persists edits) keeps only what the
//! operator wrote; defaults are applied by validation. Unknown keys are refused.

use serde::{Deserialize, Serialize};

/// A whole configuration file, unvalidated. Turn it into a [`crate::Config`] with
/// [`crate::Config::validate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub system: SystemSection,
    pub management: ManagementSection,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firewall: Option<FirewallSection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<MetricsSection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hep: Option<HepSection>,
    pub log: Option<LogSection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip: Option<SipSection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<crate::media::MediaSection>,
    #[serde(default, rename = "realm", skip_serializing_if = "Vec::is_empty")]
    pub realms: Vec<RealmSection>,
    #[serde(default, rename = "trunk", skip_serializing_if = "Vec::is_empty")]
    pub trunks: Vec<TrunkSection>,
    #[serde(default, rename = "route", skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<RouteSection>,
}

/// `[system]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemSection {
    pub name: String,
    /// Default [`DEFAULT_STATE_DIR`], relative to the config file's directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_dir: Option<String>,
}

/// `[management]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagementSection {
    pub listen: String,
    /// Default [`DEFAULT_MANAGEMENT_ALLOW`] (loopback only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow: Option<Vec<String>>,
    /// PEM certificate chain of the HTTPS listener. Default: a self-signed certificate the
    /// daemon generates in `state_dir` on first start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<String>,
    /// PEM private key of `tls_cert` (the two come together).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<String>,
}

/// `[metrics]` (optional section): the Prometheus endpoint. Without it nothing listens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSection {
    /// `IP:PORT` of the plain-HTTP listener serving `/metrics`.
    pub listen: String,
    /// CIDRs of the scrapers. Default [`DEFAULT_METRICS_ALLOW`] (loopback only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow: Option<Vec<String>>,
}

/// `[hep]` (optional section): a HEP v3 (Homer) collector that gets a copy of every SIP
/// message of both legs and the RTCP reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HepSection {
    /// `udp:IP:PORT` or `tcp:IP:PORT`.
    pub collector: String,
    /// Capture agent id (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// Authentication key sent in every packet (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// `[log]` (optional section): how the daemon writes its log lines (stderr, the journal
/// under systemd).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    /// `"text"` (the default) or `"json"` (one JSON object per line, fields as keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Whether every SIP message of each call is kept for the web UI's ladder and pcap
    /// (default `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ladder: Option<bool>,
}

/// `[firewall]` (optional section).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirewallSection {
    /// Default `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Default [`DEFAULT_FIREWALL_TABLE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// `"drop"` or `"reject"`: traffic to the SBC's addresses no rule accepts. Default `"drop"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// CIDRs always accepted (never banned). Default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow: Option<Vec<String>>,
    /// CIDRs always dropped. Default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny: Option<Vec<String>>,
    /// SIP packets per second per source, in the kernel. Default [`DEFAULT_SIP_RATE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip_rate: Option<i64>,
    /// Burst above `sip_rate`. Default [`DEFAULT_SIP_BURST`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip_burst: Option<i64>,
    /// How long a ban lasts. Default [`DEFAULT_BAN_SECONDS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ban_seconds: Option<i64>,
    /// Failed authentications of one source before it is banned; 0 is off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ban_after_auth_failures: Option<i64>,
    /// SIP requests per second of one source that get it banned; 0 is off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ban_requests_per_second: Option<i64>,
    /// User-Agent substrings (any case) of scanners, banned at their first request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scanner_user_agents: Option<Vec<String>>,
    /// Addresses removed from the ban set when the file is loaded or reloaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unban: Option<Vec<String>>,
    /// Kernel lifetime of a media pinhole without refresh. Default [`DEFAULT_PINHOLE_SECONDS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinhole_seconds: Option<i64>,
}

/// `[sip]` (optional section): limits applied to every received message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SipSection {
    /// Default [`DEFAULT_MAX_MESSAGE_SIZE`], range [`MAX_MESSAGE_SIZE_RANGE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_message_size: Option<i64>,
    /// Default [`DEFAULT_MAX_HEADERS`], range [`MAX_HEADERS_RANGE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_headers: Option<i64>,
    /// Default [`DEFAULT_MAX_CONNECTIONS`], range [`MAX_CONNECTIONS_RANGE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<i64>,
}

/// `[[realm]]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RealmSection {
    pub name: String,
    pub listen: Vec<String>,
    pub media_ip: String,
    pub media_ports: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<String>,
    /// PEM bundle of the CAs client certificates are verified against; required when
    /// `tls_verify_client` is `"optional"` or `"required"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_client_ca: Option<String>,
    /// `"none"` (default), `"optional"` or `"required"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_verify_client: Option<String>,
    /// Default `false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open: Option<bool>,
    /// A trunk name: REGISTER requests arriving on this realm are relayed to it (phones
    /// registering through the SBC). Default: none (REGISTER is not relayed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registrar: Option<String>,
    /// Seconds of registration granted to phones of this realm, so they refresh (and keep
    /// their NAT binding open) that often. Default 60.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nat_keepalive: Option<i64>,
    /// SRTP towards the phones of this realm (they have no trunk; a trunk's own `srtp`
    /// wins for calls with it): `"off"` (default), `"optional"` or `"required"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub srtp: Option<String>,
    /// As on a trunk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub srtp_suites: Option<Vec<String>>,
    /// As on a trunk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdes_without_tls: Option<bool>,
    /// How the phones of this realm carry DTMF, and the default of its trunks (a trunk's
    /// own `dtmf` wins): `"rfc4733"` (default) or `"sip-info"` (`"inband"` needs a G.711
    /// codec list, which only a trunk has).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtmf: Option<String>,
    /// As on a trunk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtmf_info_type: Option<String>,
    /// As on a trunk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_digits: Option<bool>,
    /// What the SBC calls itself towards this realm (its Server and User-Agent
    /// headers); `""`: no such header. Default `"sbc"` (no version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_header: Option<String>,
    /// The SBC's FQDN on this realm (`sbc1.example.com`): the host of its Via sent-by,
    /// Contact and Record-Route there, and a Request-URI host that means the SBC itself.
    /// Must be a name of the realm's TLS certificate when it has one. Default: addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// More certificates of the realm's `tls:` listeners (`[[realm.certificate]]`), each
    /// served to clients whose SNI names one of its names; `tls_cert` stays the default
    /// (no SNI, or a name none of them carries).
    #[serde(default, rename = "certificate", skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<CertificateSection>,
}

/// `[[realm.certificate]]`: one more certificate a realm's TLS server may present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateSection {
    /// PEM certificate chain, leaf first (relative to the config file).
    pub cert: String,
    /// PEM private key of `cert`.
    pub key: String,
}

/// `[[trunk]]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrunkSection {
    pub name: String,
    pub realm: String,
    /// A preset of defaults for a kind of peer (`"teams"`): fills every key this section
    /// leaves out, see [`crate::profile`]. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Required unless the profile gives peers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub peers: Vec<String>,
    /// Where this trunk's requests may come from besides its peers: CIDRs or host names
    /// (resolved to A/AAAA). Never targets of calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<String>>,
    /// Default: every codec the SBC knows, in the offer's order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codecs: Option<Vec<String>>,
    /// `"when-needed"` (default): when the two sides share no codec, the SBC offers codecs
    /// it can transcode to; `"never"`: such a call gets 488.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcode: Option<String>,
    /// Whether the SBC offers and accepts G.729 Annex B (VAD/DTX with SID frames) on the
    /// G.729 legs it transcodes towards this trunk's peers. Default `false`: it writes
    /// `annexb=no` (RFC 4856: an absent `annexb` means yes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub g729_annexb: Option<bool>,
    /// Packet time (ms) towards this trunk's peers: 10, 20, 30, 40 or 60. The SBC's SDP to
    /// them says `a=ptime:<ptime>`, and G.711, G.722 or G.729 it relays from a peer that
    /// packetises otherwise is re-cut to it (transcoded legs are cut to it too). Default: none (each
    /// peer's own `a=ptime` is relayed, packets are not re-cut).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ptime: Option<i64>,
    /// `"rfc4733"`, `"sip-info"` or `"inband"` (G.711 codecs only). Default: the realm's
    /// `dtmf`, else `"rfc4733"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtmf: Option<String>,
    /// The body of the INFOs the SBC sends to a `sip-info` leg: `"dtmf-relay"`
    /// (application/dtmf-relay, default) or `"dtmf"` (application/dtmf). Default: the
    /// realm's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtmf_info_type: Option<String>,
    /// Show the DTMF digits of this trunk's calls in logs and the API. Default `false`
    /// (masked: digits can be card numbers); the realm's when set there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_digits: Option<bool>,
    /// Default `"off"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub srtp: Option<String>,
    /// SRTP suites in order of preference (SDES names). Default: every suite the SBC knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub srtp_suites: Option<Vec<String>>,
    /// Offer and accept SDES keys (`a=crypto`) over UDP/TCP signalling too. Default `false`:
    /// keys travel only over TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdes_without_tls: Option<bool>,
    /// PEM bundle the certificates of `tls:` peers are verified against. Default: the
    /// system roots (`/etc/ssl/certs/ca-certificates.crt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_ca: Option<String>,
    /// DNS name the certificates of `tls:` peers must carry. Default: the peer's IP
    /// address (an IP SAN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_server_name: Option<String>,
    /// Client certificate chain (PEM) presented to `tls:` peers (mutual TLS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_client_cert: Option<String>,
    /// Private key (PEM) of `tls_client_cert`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_client_key: Option<String>,
    /// The scheme of the SBC's own URIs towards `tls:` peers (Request-URI, To, Contact of
    /// its INVITEs and OPTIONS): `"sip"` (default, with `;transport=tls`) or `"sips"`
    /// (RFC 5630: TLS asked for on every hop behind the peer too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri_scheme: Option<String>,
    /// Seconds between OPTIONS health checks of each peer; 0 (default) is off. Range
    /// [`crate::health::OPTIONS_INTERVAL_RANGE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options_interval: Option<i64>,
    /// Failed OPTIONS in a row before a peer is Down (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options_down_after: Option<i64>,
    /// Answered OPTIONS in a row before a Down peer is Up again (default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options_up_after: Option<i64>,
    /// Concurrent calls from and to the trunk (default: unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_calls: Option<i64>,
    /// New calls per second from and to the trunk (default: unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_cps: Option<i64>,
    /// The SBC registers itself at this trunk (`[trunk.register]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register: Option<RegisterSection>,
    /// Milliseconds a peer has to send any answer (provisional or final) to an INVITE
    /// before the next peer is tried. Default 4000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_timeout_ms: Option<i64>,
    /// The status the caller gets when no peer of this trunk is left (timeouts, 408,
    /// 503). Default 503, sent without Retry-After.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_target_code: Option<i64>,
    /// Header manipulation rules (`[[trunk.rule]]`), applied in file order.
    #[serde(default, rename = "rule", skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleSection>,
    /// What the SBC does with an in-dialog REFER from this trunk's peers: `"reject"`
    /// (default: answered 403, the call stays), `"handle"` (the SBC completes the blind
    /// transfer) or `"relay"` (passed to the other leg with Refer-To mapped to the SBC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refer: Option<String>,
    /// `"off"` (default: ICE attributes removed, checks dropped) or `"lite"`: the SBC is
    /// an ICE-lite agent on this trunk's legs (RFC 8445 §2.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ice: Option<String>,
    /// `"follow"` (default: rtcp-mux offered to the trunk when the other side offered
    /// it, used when both sides accept it) or `"offer"`: always offered to the trunk's
    /// peers and used with them when they accept it, whatever the other side does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtcp_mux: Option<String>,
}

/// `[[trunk.rule]]`: one header manipulation rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSection {
    /// `"outbound"` (default: what the SBC sends on this trunk's leg) or `"inbound"`
    /// (what the trunk sent, before routing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    /// Condition: requests of this method and responses to them (by CSeq).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Condition: `"request"`, `"response"` or `"any"` (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Condition: response codes, `"183"` or a class `"4xx"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Condition: this header is present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_header: Option<String>,
    /// Condition: the `if_header` header's value matches this regex (captures `$1`..).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_match: Option<String>,
    /// `"add"`, `"set"`, `"remove"` or `"replace"`.
    pub action: String,
    /// The header acted on (`Request-URI` for the request line's URI).
    pub header: String,
    /// A header parameter of `header` instead of its whole value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    /// A part of the URI in `header`: `"user"`, `"host"` or `"port"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri_part: Option<String>,
    /// `replace`: the regex whose match is replaced.
    #[serde(default, rename = "match", skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// The new text (`add`, `set`, `replace`): `$1`..`$9` captures of `match` (or of
    /// `if_match`), `$$` a dollar sign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// `[trunk.register]`: the SBC's own registration at a trunk (digest authentication).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterSection {
    /// The user part of the address of record.
    pub user: String,
    pub password: String,
    /// Authentication user name. Default: `user`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_user: Option<String>,
    /// Domain of the address of record and of the Request-URI. Default: the first
    /// peer's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Seconds asked for. Default 3600.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<i64>,
}

/// `[[route]]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSection {
    pub from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rewrite_user: Option<String>,
    pub to: String,
}

pub const DEFAULT_STATE_DIR: &str = "state";
pub const DEFAULT_MANAGEMENT_ALLOW: &[&str] = &["127.0.0.0/8", "::1/128"];
pub const DEFAULT_METRICS_ALLOW: &[&str] = &["127.0.0.0/8", "::1/128"];
pub const DEFAULT_FIREWALL_TABLE: &str = "sbc";
pub const DEFAULT_SIP_RATE: u32 = 100;
pub const DEFAULT_SIP_BURST: u32 = 200;
pub const SIP_RATE_RANGE: std::ops::RangeInclusive<i64> = 1..=1_000_000;
pub const DEFAULT_BAN_SECONDS: u32 = 3600;
pub const BAN_SECONDS_RANGE: std::ops::RangeInclusive<i64> = 1..=2_592_000;
pub const DEFAULT_BAN_AFTER_AUTH_FAILURES: u32 = 5;
pub const BAN_AFTER_AUTH_FAILURES_RANGE: std::ops::RangeInclusive<i64> = 0..=1000;
pub const DEFAULT_BAN_REQUESTS_PER_SECOND: u32 = 50;
pub const BAN_REQUESTS_PER_SECOND_RANGE: std::ops::RangeInclusive<i64> = 0..=1_000_000;
pub const DEFAULT_PINHOLE_SECONDS: u32 = 120;
pub const PINHOLE_SECONDS_RANGE: std::ops::RangeInclusive<i64> = 10..=86_400;
/// User-Agent substrings of well-known SIP scanners (matched in any case).
pub const DEFAULT_SCANNER_USER_AGENTS: &[&str] = &[
    "friendly-scanner",
    "sipvicious",
    "sipcli",
    "sip-scan",
    "sundayddr",
    "iwar",
    "vaxsipuseragent",
    "sipptk",
    "smap",
    "pplsip",
];
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 65535;
pub const MAX_MESSAGE_SIZE_RANGE: std::ops::RangeInclusive<i64> = 1024..=1_048_576;
pub const DEFAULT_MAX_HEADERS: usize = 128;
pub const MAX_HEADERS_RANGE: std::ops::RangeInclusive<i64> = 16..=1024;
pub const DEFAULT_MAX_CONNECTIONS: usize = 16384;
pub const MAX_CONNECTIONS_RANGE: std::ops::RangeInclusive<i64> = 16..=1_000_000;

impl ConfigFile {
    /// Read the TOML text into the unvalidated structs. Errors are TOML syntax, unknown
    /// keys, wrong types and missing keys, located by key path and line/column.
    pub fn from_toml_str(text: &str) -> Result<ConfigFile, crate::ConfigErrors> {
        toml::from_str(text).map_err(|e| crate::load::toml_error(text, &e))
    }

    /// Print the file back as TOML (comments are not kept).
    pub fn to_toml_string(&self) -> Result<String, toml::ser::Error> {
        toml::to_string(self)
    }
}
