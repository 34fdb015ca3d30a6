//! Configuration errors: each names the key path it is about (`trunk[1].peers[0]`) and
//! carries the offending value.

use std::fmt;
use std::path::PathBuf;

use sbc_core::ParseTransportAddrError;

use crate::cidr::CidrError;
use crate::ports::PortRangeError;

/// One problem in a configuration file.
///
/// Displays as `path: message`, e.g. `route[0].to: unknown trunk "pbx2"`; an error about
/// the file as a whole (it cannot be read) has an empty path and displays the message only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Key path in the file: `system.name`, `realm[0].listen[2]`, `trunk[1].peers[0]`.
    pub path: String,
    pub kind: ConfigErrorKind,
}

impl ConfigError {
    pub fn new(path: impl Into<String>, kind: ConfigErrorKind) -> Self {
        ConfigError {
            path: path.into(),
            kind,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "{}: {}", self.path, self.kind)
        }
    }
}

impl std::error::Error for ConfigError {}

/// A 1-based position in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCol {
    pub line: usize,
    /// In characters, not bytes.
    pub column: usize,
}

impl fmt::Display for LineCol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// What is wrong, with the offending value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigErrorKind {
    /// The file could not be read.
    #[error("cannot read {}: {reason}", file.display())]
    Read { file: PathBuf, reason: String },

    /// TOML syntax error, unknown key, wrong type or missing key, as reported by the TOML
    /// parser (1-based line and column of the offending text).
    #[error("{message}{}", at.map(|a| format!(" ({a})")).unwrap_or_default())]
    Toml {
        message: String,
        at: Option<LineCol>,
    },

    #[error("must not be empty")]
    Empty,

    #[error("invalid name \"{value}\" (use letters, digits, '_', '.' and '-')")]
    InvalidName { value: String },

    /// Two entries of a section share a name (or a trunk is named like a realm).
    #[error("duplicate name \"{name}\" (already used by {first})")]
    DuplicateName { name: String, first: String },

    #[error("{}", transport_addr_message(value, reason))]
    InvalidTransportAddr {
        value: String,
        reason: ParseTransportAddrError,
    },

    /// A trunk peer that is not `[transport:]address[:port]`.
    #[error("{}", peer_message(value, reason))]
    InvalidPeer {
        value: String,
        reason: crate::peer::PeerSpecError,
    },

    /// A realm `domain` that is not a DNS name.
    #[error("invalid domain \"{value}\": {reason}")]
    InvalidDomain { value: String, reason: String },

    /// A trunk `sources` entry that is neither a CIDR nor a host name.
    #[error("invalid source \"{value}\": {reason} (expected a CIDR or a host name)")]
    InvalidSource { value: String, reason: String },

    #[error("invalid IP address \"{value}\"")]
    InvalidIp { value: String },

    #[error("invalid socket address \"{value}\" (expected ip:port)")]
    InvalidSocketAddr { value: String },

    #[error("\"{value}\" is an unspecified address; use the interface's own address")]
    UnspecifiedAddress { value: String },

    #[error("unknown interface \"{name}\" (this host has: {known})")]
    UnknownInterface { name: String, known: String },

    #[error("interface \"{name}\" has no usable address (none, or only link-local IPv6)")]
    InterfaceWithoutAddress { name: String },

    #[error("\"{value}\" has port 0")]
    ZeroPort { value: String },

    /// The same transport address appears twice (TCP and TLS count as the same socket).
    #[error("\"{value}\" is already a listener of {first}")]
    DuplicateListener { value: String, first: String },

    /// Two trunks of one realm share a peer IP: requests from it could not be told apart.
    #[error("peer address {ip} already belongs to {first} in the same realm")]
    DuplicatePeer { ip: std::net::IpAddr, first: String },

    #[error("invalid CIDR \"{value}\": {reason}")]
    InvalidCidr { value: String, reason: CidrError },

    #[error("invalid port range \"{value}\": {reason}")]
    InvalidPortRange {
        value: String,
        reason: PortRangeError,
    },

    /// Two realms with the same `media_ip` share media ports.
    #[error("\"{value}\" overlaps {other} (same media_ip)")]
    OverlappingPorts { value: String, other: String },

    /// A UDP signalling listener lies in a media port range on the same IP.
    #[error("\"{value}\" lies in {other}")]
    ListenerInMediaPorts { value: String, other: String },

    #[error("at least one [[realm]] is required")]
    NoRealm,

    #[error("required because the realm has a tls: listener")]
    MissingTlsFile,

    #[error("tls_cert and tls_key must be given together")]
    TlsFilesNotPaired,

    #[error("tls_client_cert and tls_client_key must be given together")]
    TlsClientFilesNotPaired,

    /// A `tls_*` key where it cannot apply (a trunk without `tls:` peers, a realm
    /// without `tls:` listeners, a client CA while client certificates are not asked for).
    #[error("has no effect: {why}")]
    TlsKeyWithoutEffect { why: &'static str },

    /// `tls_verify_client` asks for client certificates but names no CA to verify them.
    #[error("required because tls_verify_client is \"{mode}\"")]
    MissingClientCa { mode: &'static str },

    /// `tls_server_name` is not a DNS name.
    #[error("invalid DNS name \"{value}\": {reason}")]
    InvalidServerName { value: String, reason: &'static str },

    /// A `[[trunk.rule]]` refused by its checks (the path names the key to blame).
    #[error("{reason}")]
    InvalidRule { reason: String },

    /// `server_header` that cannot stand in a Server or User-Agent header.
    #[error("invalid server_header \"{}\": {reason}", value.escape_debug())]
    InvalidServerHeader { value: String, reason: &'static str },

    #[error("unknown realm \"{name}\"")]
    UnknownRealm { name: String },

    #[error("unknown trunk \"{name}\"")]
    UnknownTrunk { name: String },

    #[error("unknown trunk or realm \"{name}\"")]
    UnknownSource { name: String },

    #[error("\"{name}\" is a realm; to must name a trunk")]
    RouteToRealm { name: String },

    /// A trunk peer cannot be reached from its realm: no listener of the peer's
    /// transport in the peer's address family.
    #[error("realm \"{realm}\" has no {transport} listener on {family} for peer \"{peer}\"")]
    NoListenerForPeer {
        peer: String,
        realm: String,
        transport: sbc_core::Transport,
        family: &'static str,
    },

    #[error(
        "unknown codec \"{value}\" (known: {})",
        sbc_core::registry::names(sbc_core::registry::CODECS.iter().map(|c| c.name))
    )]
    UnknownCodec { value: String },

    #[error("codec \"{value}\" is listed twice")]
    DuplicateCodec { value: String },

    #[error(
        "unknown SRTP suite \"{value}\" (known: {})",
        sbc_core::registry::names(sbc_core::registry::SRTP_SUITES.iter().map(|s| s.name))
    )]
    UnknownSrtpSuite { value: String },

    #[error("SRTP suite \"{value}\" is listed twice")]
    DuplicateSrtpSuite { value: String },

    #[error(
        "\"required\": SDES keys travel in SDP, which only TLS protects; give {what} a tls: {where_} or set sdes_without_tls = true"
    )]
    SrtpNeedsTls {
        what: &'static str,
        where_: &'static str,
    },

    #[error("\"inband\" needs a G.711 leg: {why}")]
    InbandNeedsG711 { why: &'static str },

    #[error("invalid value \"{value}\" (expected {})", one_of(expected))]
    InvalidChoice {
        value: String,
        expected: &'static [&'static str],
    },

    #[error("\"{value}\" is not built yet ({what}); use {instead}")]
    NotBuilt {
        value: String,
        what: &'static str,
        instead: &'static str,
    },

    /// A trunk's profile needs the SBC's FQDN on the trunk's realm.
    #[error(
        "required by trunk \"{trunk}\" (profile = \"{profile}\"): the peer identifies the SBC by its FQDN in Contact and Via, and its TLS certificate must name it"
    )]
    ProfileNeedsDomain {
        trunk: String,
        profile: &'static str,
    },

    #[error("invalid packet time {value} (expected 10, 20, 30, 40 or 60 ms)")]
    InvalidPtime { value: i64 },

    #[error("{value} is out of range {min}..={max}")]
    OutOfRange { value: i64, min: i64, max: i64 },

    #[error("invalid regex \"{value}\": {reason}")]
    InvalidRegex { value: String, reason: String },

    /// `rewrite_user` references a capture group `match_user` does not have.
    #[error("\"${group}\" refers to group {group} but {}", groups_message(*groups))]
    MissingGroup { group: u8, groups: usize },

    #[error("invalid \"$\" at byte {offset} in \"{value}\" (use $0..$9, or $$ for a literal $)")]
    InvalidRewrite { value: String, offset: usize },

    #[error("invalid table name \"{value}\" (use letters, digits and '_', starting with a letter)")]
    InvalidTableName { value: String },

    /// A realm's `registrar` is a trunk of the same realm (REGISTER would loop back).
    #[error("trunk \"{name}\" is on this realm; the registrar must be on another one")]
    RegistrarOnOwnRealm { name: String },

    /// A user name or domain with characters SIP would need to escape or quote.
    #[error("invalid \"{value}\": white space, quotes, '<', '>', '@' and ';' are not allowed")]
    InvalidSipToken { value: String },

    /// `media.kernel_forwarding` without the firewall: the fast path is nftables NAT in
    /// the SBC's own tables, and enables IP forwarding only behind their forward chain.
    #[error(
        "requires [firewall] enabled = true (the kernel fast path is nftables NAT in the SBC's own tables)"
    )]
    RequiresFirewall,

    #[error(
        "{value} is not below media.realtime_priority = {workers} (transcoding threads at the \
         relay workers' priority would keep them from relaying)"
    )]
    NotBelowWorkers { value: i64, workers: i64 },

    #[error(
        "requires media.realtime_priority (realtime transcoding threads above normal relay \
         workers would delay every relayed packet)"
    )]
    RequiresRealtime,
}

fn transport_addr_message(value: &str, reason: &ParseTransportAddrError) -> String {
    match reason {
        ParseTransportAddrError::MissingTransport => {
            format!("invalid address \"{value}\": {reason}")
        }
        ParseTransportAddrError::UnknownTransport(_) => {
            format!("{reason} in \"{value}\"")
        }
        // "invalid address \"10.0.0.300:5060\"", the DESIGN.md wording.
        ParseTransportAddrError::BadAddress(_) => reason.to_string(),
    }
}

fn peer_message(value: &str, reason: &crate::peer::PeerSpecError) -> String {
    match reason {
        crate::peer::PeerSpecError::UnknownTransport(_) => format!("{reason} in \"{value}\""),
        _ => reason.to_string(),
    }
}

fn one_of(expected: &[&str]) -> String {
    let quoted: Vec<String> = expected.iter().map(|e| format!("\"{e}\"")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

fn groups_message(groups: usize) -> String {
    match groups {
        0 => "match_user has no groups".to_owned(),
        1 => "match_user has only 1 group".to_owned(),
        n => format!("match_user has only {n} groups"),
    }
}

/// Every problem found in a file, in file order. Displays one error per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    pub fn single(path: impl Into<String>, kind: ConfigErrorKind) -> Self {
        ConfigErrors(vec![ConfigError::new(path, kind)])
    }

    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl<'a> IntoIterator for &'a ConfigErrors {
    type Item = &'a ConfigError;
    type IntoIter = std::slice::Iter<'a, ConfigError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for ConfigErrors {
    type Item = ConfigError;
    type IntoIter = std::vec::IntoIter<ConfigError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
