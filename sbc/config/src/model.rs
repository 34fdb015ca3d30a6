//! The validated configuration: typed values, defaults applied, paths resolved, cross
//! references checked. Only [`Config::validate`] builds one, so holding a [`Config`]
//! means holding a consistent one.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use sbc_core::TransportAddr;

use crate::cidr::Cidr;
use crate::health::{OptionsPing, TrunkLimits};
use crate::ports::PortRange;
use crate::route::Route;
use crate::schema::ConfigFile;

/// A valid configuration. Read-only: to change it, edit [`Config::file`] and validate
/// the result again.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub(crate) file: ConfigFile,
    pub(crate) base_dir: PathBuf,
    /// The interface table names were resolved against (see [`crate::Interfaces`]).
    pub(crate) interfaces: crate::Interfaces,
    pub(crate) system: System,
    pub(crate) management: Management,
    pub(crate) firewall: Firewall,
    pub(crate) metrics: Option<Metrics>,
    pub(crate) hep: Option<Hep>,
    pub(crate) log: LogFormat,
    /// `[log] ladder`.
    pub(crate) ladder: bool,
    pub(crate) sip: SipLimits,
    pub(crate) media: crate::media::MediaSettings,
    pub(crate) realms: Vec<Realm>,
    pub(crate) trunks: Vec<Trunk>,
    pub(crate) routes: Vec<Route>,
    /// Trunk indices by peer IP (canonical form), in file order. Validation refuses an
    /// IP on two trunks of the same realm.
    pub(crate) peer_index: HashMap<IpAddr, Vec<usize>>,
}

/// `[system]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct System {
    pub name: String,
    /// Absolute: resolved against the config file's directory.
    pub state_dir: PathBuf,
}

/// `[management]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Management {
    pub listen: SocketAddr,
    pub allow: Vec<Cidr>,
    /// The HTTPS certificate and key (absolute); `None`: the daemon's self-signed one.
    pub tls: Option<TlsFiles>,
}

impl Management {
    /// Whether a client at `ip` may reach the management interface.
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.allow.iter().any(|c| c.contains(ip))
    }
}

/// `[log] format`: how log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (`time LEVEL span: message key=value ...`).
    #[default]
    Text,
    /// One JSON object per line: `timestamp`, `level`, `fields` (with `message`), `spans`.
    Json,
}

/// `[metrics]`: where `/metrics` is served (plain HTTP) and who may scrape it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metrics {
    pub listen: SocketAddr,
    pub allow: Vec<Cidr>,
}

impl Metrics {
    /// Whether a scraper at `ip` may read the metrics.
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.allow.iter().any(|c| c.contains(ip))
    }
}

/// `[hep]`: the HEP v3 collector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hep {
    /// `udp:` or `tcp:` and the collector's address.
    pub collector: sbc_core::TransportAddr,
    /// Capture agent id.
    pub id: u32,
    pub password: Option<String>,
}

/// `[firewall]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firewall {
    pub enabled: bool,
    /// The nftables table (family `inet`) the SBC owns; it touches no other.
    pub table: String,
    /// What happens to traffic to the SBC's addresses that no rule accepts.
    pub policy: FirewallPolicy,
    /// Sources always accepted and never banned.
    pub allow: Vec<Cidr>,
    /// Sources always dropped.
    pub deny: Vec<Cidr>,
    /// SIP packets per second per source (kernel limit; trunk peers are exempt).
    pub sip_rate: u32,
    /// Packets above `sip_rate` a source may send in a burst.
    pub sip_burst: u32,
    /// Lifetime of a ban in the kernel.
    pub ban_seconds: u32,
    /// Failed authentications of one source before a ban; 0 is off.
    pub ban_after_auth_failures: u32,
    /// Requests per second of one source that get it banned; 0 is off.
    pub ban_requests_per_second: u32,
    /// Lower-case User-Agent substrings of scanners.
    pub scanner_user_agents: Vec<String>,
    /// Addresses taken out of the ban set on load and reload.
    pub unban: Vec<IpAddr>,
    /// Kernel lifetime of a media pinhole that is not refreshed.
    pub pinhole_seconds: u32,
}

/// `firewall.policy`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirewallPolicy {
    /// Silently discard.
    Drop,
    /// Answer with ICMP unreachable / TCP reset.
    Reject,
}

impl Firewall {
    /// Whether `ip` is in the global allow list (never banned).
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.allow.iter().any(|c| c.contains(ip))
    }

    /// Whether a User-Agent value names a scanner (case-insensitive substring).
    pub fn is_scanner(&self, user_agent: &str) -> bool {
        let ua = user_agent.to_ascii_lowercase();
        self.scanner_user_agents
            .iter()
            .any(|s| ua.contains(s.as_str()))
    }
}

/// `[sip]`: limits on received messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SipLimits {
    /// Bytes, headers and body together; larger messages are dropped (UDP) or the
    /// connection closed (TCP/TLS).
    pub max_message_size: usize,
    /// Header fields per message.
    pub max_headers: usize,
    /// TCP and TLS connections open at once, accepted and opened together; read at start.
    pub max_connections: usize,
}

/// What the SBC calls itself when a realm's `server_header` is not set: its product,
/// never its version (scanners fingerprint versions).
pub const DEFAULT_SERVER_HEADER: &str = "sbc";

/// `[[realm]]`: one network side of the SBC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Realm {
    pub name: String,
    /// Specific addresses (never unspecified), each unique across all realms.
    pub listen: Vec<TransportAddr>,
    pub media_ip: IpAddr,
    pub media_ports: PortRange,
    /// Advertised in SIP and SDP instead of the local addresses (1:1 NAT).
    pub public_ip: Option<IpAddr>,
    /// Present whenever a `tls:` listener exists.
    pub tls: Option<TlsFiles>,
    /// Whether TLS clients must present a certificate (`tls_verify_client`).
    pub tls_verify_client: VerifyClient,
    /// CAs client certificates are verified against (`tls_client_ca`, absolute). Present
    /// exactly when `tls_verify_client` is not [`VerifyClient::None`].
    pub tls_client_ca: Option<PathBuf>,
    /// Accept requests from sources that are not trunk peers (registering phones).
    pub open: bool,
    /// The trunk REGISTERs arriving on this realm are relayed to (`registrar`).
    pub registrar: Option<String>,
    /// Registration interval granted to phones (`nat_keepalive`).
    pub nat_keepalive: std::time::Duration,
    /// SRTP towards the phones of this realm (`srtp`, `srtp_suites`, `sdes_without_tls`).
    pub srtp: SrtpPolicy,
    /// DTMF of the phones of this realm, and its trunks' default.
    pub dtmf: DtmfPolicy,
    /// What the SBC calls itself in Server and User-Agent headers towards this realm
    /// (`server_header`); empty: no such header.
    pub server_header: String,
    /// The SBC's FQDN on this realm (`domain`, lowercase); `None`: its addresses.
    pub domain: Option<String>,
    /// More certificates of the `tls:` listeners (`[[realm.certificate]]`), picked by the
    /// SNI a client sends; [`Realm::tls`] is the default. Empty without `tls:` listeners.
    pub certificates: Vec<TlsFiles>,
}

/// How the legs of one trunk or realm carry DTMF (`dtmf`, `dtmf_info_type`,
/// `show_digits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfPolicy {
    pub mode: DtmfMode,
    /// The body of the INFOs the SBC sends on a `sip-info` leg.
    pub info_type: DtmfInfoType,
    /// Digits shown in logs and the API (else masked).
    pub show_digits: bool,
}

impl Default for DtmfPolicy {
    fn default() -> Self {
        DtmfPolicy {
            mode: DtmfMode::Rfc4733,
            info_type: DtmfInfoType::DtmfRelay,
            show_digits: false,
        }
    }
}

/// How SRTP is negotiated on the legs of one trunk or realm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrtpPolicy {
    pub mode: SrtpMode,
    /// Suites in order of preference (registry entries).
    pub suites: Vec<sbc_core::registry::SrtpSuite>,
    /// SDES keys may travel over UDP/TCP signalling (`sdes_without_tls`).
    pub sdes_without_tls: bool,
}

impl Default for SrtpPolicy {
    /// Plain RTP; every known suite; keys only over TLS.
    fn default() -> Self {
        SrtpPolicy {
            mode: SrtpMode::Off,
            suites: sbc_core::registry::SRTP_SUITES.to_vec(),
            sdes_without_tls: false,
        }
    }
}

impl Realm {
    /// Every certificate of the realm's `tls:` listeners: the default (`tls_cert`)
    /// first, then `[[realm.certificate]]` in file order.
    pub fn all_certificates(&self) -> impl Iterator<Item = &TlsFiles> {
        self.tls.iter().chain(&self.certificates)
    }

    /// The address to write into SDP for media anchored in this realm.
    pub fn advertised_media_ip(&self) -> IpAddr {
        self.public_ip.unwrap_or(self.media_ip)
    }

    /// Whether `addr` is one of this realm's listeners.
    pub fn listens_on(&self, addr: &TransportAddr) -> bool {
        self.listen.contains(addr)
    }
}

/// Certificate chain and private key (PEM), absolute paths. Their existence is checked
/// by the daemon when it starts, not by validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// `[[trunk]]`: a set of peers (a carrier, a PBX) reached through one realm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trunk {
    pub name: String,
    /// Name of an existing realm (see [`Config::realm_of`]).
    pub realm: String,
    /// Where calls for this trunk go, in order. Requests from these IPs (any port, any
    /// transport) belong to this trunk. As validated: the IP literals of `peers`; in the
    /// daemon's effective configuration ([`Config::with_resolved`]) also every address
    /// the names resolved to, in place of each name.
    pub peers: Vec<TransportAddr>,
    /// `peers` as written, in order (names and literals).
    pub peer_specs: Vec<crate::PeerSpec>,
    /// `sources` networks: requests from them are this trunk's too (never targets).
    pub sources: Vec<crate::Cidr>,
    /// `sources` names (resolved by the daemon to addresses that identify the trunk).
    pub source_names: Vec<String>,
    /// Addresses identifying the trunk besides its literal peers: resolved peers and
    /// sources, and retired addresses calls still use (effective configuration only).
    pub resolved_sources: Vec<IpAddr>,
    /// Each name's resolution state (effective configuration only; empty as validated).
    pub resolution: Vec<crate::resolved::PeerResolution>,
    /// Allowed codecs in order of preference; `None` allows all.
    pub codecs: Option<Vec<Codec>>,
    /// Whether calls of this trunk may be transcoded (`transcode`).
    pub transcode: TranscodeMode,
    /// G.729 Annex B allowed on this trunk's transcoded G.729 legs (`g729_annexb`).
    pub g729_annexb: bool,
    /// Packet time towards the trunk's peers, ms (`ptime`).
    pub ptime: Option<u32>,
    /// `dtmf` (the realm's when the trunk sets none).
    pub dtmf: DtmfMode,
    /// `dtmf_info_type` and `show_digits`, with `dtmf` (each the realm's when unset).
    pub dtmf_policy: DtmfPolicy,
    pub srtp: SrtpPolicy,
    /// How the SBC connects to the trunk's `tls:` peers. All `None` for a trunk without
    /// one (validation refuses `tls_*` keys there).
    pub tls: TrunkTls,
    /// OPTIONS health checks of the peers; `None`: off (`options_interval = 0`).
    pub options: Option<OptionsPing>,
    /// `max_calls`, `max_cps`.
    pub limits: TrunkLimits,
    /// The SBC's own registration at this trunk (`[trunk.register]`).
    pub register: Option<TrunkRegistration>,
    /// How long a peer has to answer an INVITE at all before the next is tried
    /// (`invite_timeout_ms`).
    pub invite_timeout: std::time::Duration,
    /// The caller's answer when no peer is left (`no_target_code`).
    pub no_target_code: u16,
    /// Header manipulation rules (`[[trunk.rule]]`), checked, in file order.
    pub rules: sbc_rules::RuleSet,
    /// What becomes of an in-dialog REFER from the trunk's peers (`refer`).
    pub refer: ReferMode,
    /// ICE on the trunk's legs (`ice`).
    pub ice: IceMode,
    /// rtcp-mux on the trunk's legs (`rtcp_mux`).
    pub rtcp_mux: RtcpMuxMode,
    /// The trunk's `profile`, if it names one.
    pub profile: Option<crate::profile::TrunkProfile>,
    /// The keys whose effective value the profile gave (the operator wrote none), in the
    /// profile table's order; `"rule"` when it added header rules (they run first).
    pub from_profile: Vec<&'static str>,
}

/// `[trunk.register]`, validated.
#[derive(Clone, PartialEq, Eq)]
pub struct TrunkRegistration {
    pub user: String,
    pub auth_user: String,
    pub password: String,
    /// AOR and Request-URI domain (a host name, or the first peer's `ip[:port]`).
    pub domain: String,
    pub expires: u32,
}

impl fmt::Debug for TrunkRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrunkRegistration")
            .field("user", &self.user)
            .field("auth_user", &self.auth_user)
            .field("password", &"(hidden)")
            .field("domain", &self.domain)
            .field("expires", &self.expires)
            .finish()
    }
}

/// `tls_*` keys of a trunk: how its `tls:` peers are verified and what the SBC presents.
/// The files are opened by the daemon when it starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrunkTls {
    /// Trust anchors (PEM bundle, absolute path); `None`: the system roots.
    pub ca: Option<PathBuf>,
    /// The DNS name peers' certificates must carry; `None`: the peer's IP address.
    pub server_name: Option<String>,
    /// Client certificate chain and key for mutual TLS; `None`: the certificate of the
    /// realm that names its `domain`, if the realm has one, else no client certificate.
    pub client: Option<TlsFiles>,
    /// `uri_scheme = "sips"`: the SBC's own URIs towards `tls:` peers are `sips:` (RFC
    /// 5630) instead of `sip:` with `;transport=tls`.
    pub sips: bool,
}

impl Trunk {
    /// Whether `ip` is the IP of one of this trunk's peers.
    pub fn has_peer_ip(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.peers.iter().any(|p| p.addr.ip().to_canonical() == ip)
    }

    /// Whether the trunk's codec policy allows `codec`.
    pub fn allows_codec(&self, codec: Codec) -> bool {
        self.codecs.as_ref().is_none_or(|c| c.contains(&codec))
    }
}

macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vm])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The spellings accepted in the file.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// The spelling used in the file.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Case-insensitive lookup of a name as written in the file.
            pub fn from_name(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(s))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named_enum! {
    /// rtcp-mux (RFC 5761) on a trunk's legs (`rtcp_mux = ...`).
    RtcpMuxMode {
        /// As the other side negotiates it: offered to the trunk when the other side
        /// offered it, used only when both sides accept it.
        Follow = "follow",
        /// Always offered to the trunk's peers (the SBC's RTCP port stays in the offer
        /// for peers that decline), and used with them when they accept it or offer it,
        /// whatever the other side does (the SBC anchors both).
        Offer = "offer",
    }
}

named_enum! {
    /// A codec a trunk may allow (`codecs = [...]`). Names match the SDP encoding name.
    Codec {
        Pcmu = "PCMU",
        Pcma = "PCMA",
        G722 = "G722",
        Opus = "opus",
        /// G.729 / G.729A (Annex B as `g729_annexb` allows).
        G729 = "G729",
        /// RFC 4733 DTMF events.
        TelephoneEvent = "telephone-event",
        /// RFC 3389 comfort noise.
        ComfortNoise = "CN",
    }
}

named_enum! {
    /// How the media workers drive their sockets (`[media] io = ...`).
    MediaIo {
        /// epoll readiness, `recvmmsg`/`sendmmsg` batches (default).
        Epoll = "epoll",
        /// io_uring: multishot receive into provided buffers, sends queued on the ring;
        /// falls back to epoll where the kernel or a seccomp filter refuses io_uring.
        IoUring = "io_uring",
    }
}

named_enum! {
    /// Whether a trunk's calls may be transcoded (`transcode = ...`).
    TranscodeMode {
        /// When the two sides share no codec, offer codecs the SBC can transcode to
        /// (default).
        WhenNeeded = "when-needed",
        /// Never: a call whose sides share no codec gets 488.
        Never = "never",
    }
}

named_enum! {
    /// What the SBC does with an in-dialog REFER (RFC 3515) from a trunk's peers
    /// (`refer = ...`).
    ReferMode {
        /// Blind transfer completed by the SBC: 202, a new INVITE to the Refer-To target
        /// (on this trunk when its host is this trunk's peer, else through the routes),
        /// progress NOTIFYed to the referrer, and on success the new leg bridged in the
        /// referrer's place.
        Handle = "handle",
        /// Forwarded to the other leg with Refer-To and Referred-By rewritten to SBC URIs;
        /// the far side's INVITE to that Refer-To is mapped back to the original target
        /// (on this trunk, or through its routes).
        Relay = "relay",
        /// Answered 403 by the SBC; the call goes on (default).
        Reject = "reject",
    }
}

named_enum! {
    /// ICE on a trunk's legs (`ice = ...`).
    IceMode {
        /// No ICE: ICE attributes are removed from SDP, STUN to the media ports dropped
        /// (default).
        Off = "off",
        /// The SBC is an ICE-lite agent (RFC 8445 §2.5): `a=ice-lite`, its credentials
        /// and one host candidate per component in the SDP it sends; it answers the
        /// peer's connectivity checks and media follows their nominations.
        Lite = "lite",
    }
}

named_enum! {
    /// How DTMF is carried on a trunk (`dtmf = ...`).
    DtmfMode {
        /// RTP telephone-events, RFC 4733 (default).
        Rfc4733 = "rfc4733",
        /// SIP INFO, application/dtmf-relay or application/dtmf.
        SipInfo = "sip-info",
        /// Dual tones in G.711 audio (Q.23).
        Inband = "inband",
    }
}

named_enum! {
    /// The body of the SIP INFOs the SBC sends (`dtmf_info_type = ...`).
    DtmfInfoType {
        /// `application/dtmf-relay`: `Signal=5` and `Duration=160` lines (default).
        DtmfRelay = "dtmf-relay",
        /// `application/dtmf`: the digit alone.
        Dtmf = "dtmf",
    }
}

impl DtmfInfoType {
    /// Its Content-Type.
    pub fn content_type(self) -> &'static str {
        match self {
            DtmfInfoType::DtmfRelay => "application/dtmf-relay",
            DtmfInfoType::Dtmf => "application/dtmf",
        }
    }
}

named_enum! {
    /// Client-certificate policy of a realm's TLS listeners (`tls_verify_client = ...`).
    VerifyClient {
        /// No certificate is asked for (default).
        None = "none",
        /// A certificate is asked for; one that is presented must verify against
        /// `tls_client_ca`, but clients without one are served.
        Optional = "optional",
        /// Clients without a certificate that verifies are refused in the handshake.
        Required = "required",
    }
}

named_enum! {
    /// SRTP policy of a trunk (`srtp = ...`).
    SrtpMode {
        /// Plain RTP only (default); SRTP offers are answered with RTP.
        Off = "off",
        /// Offer SRTP (SDES), accept RTP.
        Optional = "optional",
        /// SRTP only; calls that cannot negotiate it fail.
        Required = "required",
    }
}

impl Config {
    /// The unvalidated file this config was built from.
    pub fn file(&self) -> &ConfigFile {
        &self.file
    }

    /// The directory relative paths were resolved against (absolute).
    pub fn base_dir(&self) -> &Path {
        &self.base_dir
    }

    /// The interface table this configuration's interface names were looked up in; edits
    /// validated against it resolve names the same way.
    pub fn interfaces(&self) -> &crate::Interfaces {
        &self.interfaces
    }

    pub fn system(&self) -> &System {
        &self.system
    }

    pub fn management(&self) -> &Management {
        &self.management
    }

    /// `[hep]`, when a HEP collector is configured.
    pub fn hep(&self) -> Option<&Hep> {
        self.hep.as_ref()
    }

    /// `[metrics]`, when the Prometheus endpoint is configured.
    pub fn metrics(&self) -> Option<&Metrics> {
        self.metrics.as_ref()
    }

    /// `[log] format` (read at start).
    pub fn log_format(&self) -> LogFormat {
        self.log
    }

    /// `[log] ladder`: whether calls' SIP messages are kept for their ladder and pcap.
    pub fn ladder(&self) -> bool {
        self.ladder
    }

    pub fn firewall(&self) -> &Firewall {
        &self.firewall
    }

    pub fn sip(&self) -> &SipLimits {
        &self.sip
    }

    /// `[media]`: timers and worker threads of the media plane.
    pub fn media(&self) -> &crate::media::MediaSettings {
        &self.media
    }

    /// Realms in file order (at least one).
    pub fn realms(&self) -> &[Realm] {
        &self.realms
    }

    /// Trunks in file order.
    pub fn trunks(&self) -> &[Trunk] {
        &self.trunks
    }

    /// Routes in file order (the order they are evaluated in).
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    pub fn realm(&self, name: &str) -> Option<&Realm> {
        self.realms.iter().find(|r| r.name == name)
    }

    pub fn trunk(&self, name: &str) -> Option<&Trunk> {
        self.trunks.iter().find(|t| t.name == name)
    }

    /// The realm a trunk belongs to.
    pub fn realm_of(&self, trunk: &Trunk) -> &Realm {
        // Invariant: validation refused any trunk whose realm does not exist, and a
        // `Trunk` is only reachable through the `Config` it was validated in.
        self.realm(&trunk.realm)
            .expect("validated trunk names an existing realm")
    }

    /// The trunk a request from `ip` (any source port, any transport) belongs to, if
    /// exactly one trunk has a peer at `ip`.
    ///
    /// Trunks of *different* realms may share a peer IP (the default config puts
    /// every peer on 127.0.0.1); such an IP is ambiguous here and yields `None`. The
    /// daemon knows the realm of the listener a request arrived on and should prefer
    /// [`Config::trunk_for_source_in`], which is never ambiguous.
    /// IPv4-mapped IPv6 sources (`::ffff:192.0.2.1`) match IPv4 peers.
    pub fn trunk_for_source(&self, ip: IpAddr) -> Option<&Trunk> {
        match self.peer_index.get(&ip.to_canonical())?.as_slice() {
            [only] => self.trunks.get(*only),
            _ => None,
        }
    }

    /// The trunk of realm `realm` a request from `ip` (any source port, any transport)
    /// belongs to. Validation guarantees at most one.
    pub fn trunk_for_source_in(&self, realm: &str, ip: IpAddr) -> Option<&Trunk> {
        let ip = ip.to_canonical();
        let by_address = self
            .peer_index
            .get(&ip)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.trunks.get(i))
            .find(|t| t.realm == realm);
        // Then `sources` networks, in file order.
        by_address.or_else(|| {
            self.trunks
                .iter()
                .find(|t| t.realm == realm && t.sources.iter().any(|c| c.contains(ip)))
        })
    }

    /// The realm owning the local listener a message arrived on.
    pub fn realm_for_listener(&self, local: &TransportAddr) -> Option<&Realm> {
        self.realms.iter().find(|r| r.listens_on(local))
    }
}

#[cfg(test)]
mod registry_agrees {
    use super::{Codec, DtmfInfoType, DtmfMode, SrtpMode};
    use sbc_core::registry;

    /// The config's names are the registry's, in the same order: what the file accepts is
    /// what the API serves and the UI offers.
    #[test]
    fn the_config_accepts_exactly_the_registry() {
        let codecs: Vec<&str> = Codec::ALL.iter().map(|c| c.as_str()).collect();
        let known: Vec<&str> = registry::CODECS.iter().map(|c| c.name).collect();
        assert_eq!(codecs, known);
        let dtmf: Vec<&str> = DtmfMode::ALL.iter().map(|c| c.as_str()).collect();
        let known: Vec<&str> = registry::DTMF_MODES.iter().map(|c| c.value).collect();
        assert_eq!(dtmf, known);
        let types: Vec<&str> = DtmfInfoType::ALL.iter().map(|c| c.as_str()).collect();
        let known: Vec<&str> = registry::DTMF_INFO_TYPES.iter().map(|c| c.value).collect();
        assert_eq!(types, known);
        let srtp: Vec<&str> = SrtpMode::ALL.iter().map(|c| c.as_str()).collect();
        let known: Vec<&str> = registry::SRTP_MODES.iter().map(|c| c.value).collect();
        assert_eq!(srtp, known);
    }
}
