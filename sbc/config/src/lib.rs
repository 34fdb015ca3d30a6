//! Edge SBC configuration: the TOML file, its validation, and the lookups the daemon
//! makes against it.
//!
//! # Reading a file
//!
//! [`Config::load`] reads a file; [`Config::from_toml_str`] takes the text and the
//! directory relative paths are resolved against. Both run two passes:
//!
//! 1. **Parse** into [`ConfigFile`] — serde structs mirroring the file, every section
//!    `deny_unknown_fields`. TOML syntax errors, unknown keys, wrong types and missing
//!    keys stop here (one error; the parser cannot go on).
//! 2. **Validate** into [`Config`] — every value checked, defaults applied, paths made
//!    absolute, names cross-referenced, regexes compiled. This pass reports *every*
//!    error, not just the first.
//!
//! A [`Config`] exists only if both passes succeeded and is read-only; to change it,
//! edit a [`ConfigFile`] (also [`serde::Serialize`]) and call [`Config::validate`].
//!
//! ```
//! # use sbc_config::Config;
//! let text = r#"
//! [system]
//! name = "edge-1"
//! [management]
//! listen = "127.0.0.1:8443"
//! [[realm]]
//! name = "outside"
//! listen = ["udp:192.0.2.10:5060"]
//! media_ip = "192.0.2.10"
//! media_ports = "20000-29999"
//! [[trunk]]
//! name = "carrier"
//! realm = "outside"
//! peers = ["udp:198.51.100.20:5060"]
//! [[route]]
//! from = "carrier"
//! match_user = "^\\+?49(\\d+)$"
//! rewrite_user = "0$1"
//! to = "carrier"
//! "#;
//! let config = Config::from_toml_str(text, "/etc/sbc").map_err(|e| e.to_string())?;
//! let carrier = config.trunk_for_source("198.51.100.20".parse()?).expect("a peer");
//! let (route, user) = config.route_for(&carrier.name, "+4930123").expect("a route");
//! assert_eq!((route.to.as_str(), user.as_str()), ("carrier", "030123"));
//! assert_eq!(config.system().state_dir, std::path::Path::new("/etc/sbc/state"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The file
//!
//! `config/sbc.toml` is the commented default; `config/examples/` shows a carrier and a
//! PBX with TLS, registering phones and IPv6. Optional keys and their defaults:
//!
//! | key | meaning | default |
//! |---|---|---|
//! | `system.name` | `[A-Za-z0-9_.-]+` | required |
//! | `system.state_dir` | relative to the file's directory | `"state"` |
//! | `management.listen` | `ip:port` of the HTTPS UI/API | required |
//! | `management.allow` | CIDRs, non-empty; a bare address is one host | `["127.0.0.0/8", "::1/128"]` |
//! | `management.tls_cert`, `management.tls_key` | PEM paths, together: the HTTPS certificate | self-signed, generated into `state_dir` |
//! | `log.format` | `"text"` or `"json"` (one JSON object per line); read at start | `"text"` |
//! | `log.ladder` | keep every SIP message of each call for its ladder and pcap (web UI); applies on reload | `true` |
//! | `firewall.enabled` | program nftables | `true` |
//! | `firewall.table` | the SBC's own `inet` table | `"sbc"` |
//! | `firewall.policy` | `"drop"` or `"reject"`: traffic to the SBC's addresses no rule accepts | `"drop"` |
//! | `firewall.allow` | CIDRs always accepted, never banned | `[]` |
//! | `firewall.deny` | CIDRs always dropped (before anything else but established flows) | `[]` |
//! | `firewall.sip_rate`, `firewall.sip_burst` | SIP packets per second per source and burst, limited in the kernel (trunk peers exempt), `1..=1000000` | `100`, `200` |
//! | `firewall.ban_seconds` | lifetime of a ban, `1..=2592000` | `3600` |
//! | `firewall.ban_after_auth_failures` | failed REGISTER authentications (403, or 401/407 to credentials) of one source before a ban, `0..=1000`; `0` is off | `5` |
//! | `firewall.ban_requests_per_second` | SIP requests per second of one source that get it banned, `0..=1000000`; `0` is off | `50` |
//! | `firewall.scanner_user_agents` | User-Agent substrings (any case) banned at the first request; entries non-empty | friendly-scanner, sipvicious, sipcli, sip-scan, sundayddr, iwar, vaxsipuseragent, sipptk, smap, pplsip |
//! | `firewall.unban` | IP addresses removed from the ban set on load and reload | `[]` |
//! | `firewall.pinhole_seconds` | kernel lifetime of a media pinhole not refreshed by traffic, `10..=86400` | `120` |
//! | `sip.max_message_size` | bytes, `1024..=1048576` | `65535` |
//! | `sip.max_headers` | header fields, `16..=1024` | `128` |
//! | `sip.max_connections` | TCP and TLS connections open at once (accepted and opened), `16..=1000000`; more are refused at accept; read at start only | `16384` |
//! | `media.inactivity_seconds` | no RTP/RTCP on an answered call this long ends it (BYE both legs), `1..=86400` | `60` |
//! | `media.hold_inactivity_seconds` | the same while a side is on hold, `1..=86400` | `3600` |
//! | `media.latch_window_ms` | after an SDP or the answer, how long a side may latch to a new source, `100..=60000` | `3000` |
//! | `media.workers` | media worker threads, `1..=256`; read at start only (reload: restart needed) | one per core |
//! | `media.io` | `"epoll"` or `"io_uring"`: how the media workers drive their sockets (io_uring: multishot receive into provided buffers, sends queued on the ring; falls back to epoll where refused); read at start only | `"epoll"` |
//! | `media.realtime_priority` | run the media workers `SCHED_FIFO` at this priority, `1..=99`; read at start only | normal scheduling |
//! | `media.kernel_forwarding` | hand latched plain-RTP streams to the kernel (nftables NAT maps in `inet sbc_fast` + conntrack; switches `net.ipv4.conf.all.forwarding` on while running, its forward chain accepting only those relays); requires `firewall.enabled`; IPv4; read at start only | `false` |
//! | `realm.listen` | `udp:`/`tcp:`/`tls:` `ip:port`, non-empty | required |
//! | `trunk.invite_timeout_ms` | milliseconds a peer has to answer an INVITE at all (even 100 Trying) before it is abandoned for the next peer (late 1xx: CANCEL, late 2xx: ACK + BYE), `200..=32000` | `4000` |
//! | `trunk.no_target_code` | the caller's answer when no peer is left (timeouts, 408, 503 before any provisional), `400..=699`, without Retry-After | `503` |
//! | `trunk.refer` | what becomes of an in-dialog REFER from the trunk's peers: `"reject"` (answered 403, the call stays); `"handle"` (the SBC completes the blind transfer); `"relay"` (passed to the other leg, Refer-To rewritten to an SBC URI that maps back) | `"reject"` |
//! | `trunk.ice` | `"off"` (ICE attributes removed, STUN dropped) or `"lite"`: the SBC is an ICE-lite agent on the trunk's legs (its `a=ice-lite`, ufrag/password and one host candidate per component on the realm's media address, `public_ip` when set; checks answered, media following their nominations) | `"off"` |
//! | `trunk.rtcp_mux` | `"follow"` (rtcp-mux offered to the trunk when the other side offered it, used when both accept it) or `"offer"` (always offered to the trunk's peers, used with them when they accept or offer it, whatever the other side does) | `"follow"` |
//! | `trunk.rule` (`[[trunk.rule]]`) | header manipulation rules, see `sbc_rules`: `direction`, `method`, `message`, `status`, `if_header`, `if_match`, `action`, `header`, `param`, `uri_part`, `match`, `value`; each refused with its key path (`trunk[0].rule[1].match`) when it could break a message | none |
//! | `trunk.profile` | `"teams"`: a table of defaults ([`profile`]) filling every trunk key left out, before validation; the values it gave are in [`Trunk::from_profile`] and [`profile::values`] | none |
//! | `trunk.peers` | `[transport:]host[:port]`, non-empty (may be left out when the profile gives peers), in the order calls try them; an IP takes RFC 3263's defaults (UDP, port 5060, `tls:` 5061); a DNS name is resolved by the daemon (RFC 3263: NAPTR when no transport, SRV when no port, A/AAAA; see [`resolved`]); a transport written with a name needs a listener of it in the realm | required |
//! | `trunk.sources` | CIDRs or DNS names (A/AAAA) whose requests are this trunk's too, besides its peers' addresses; never targets | none |
//! | `realm.media_ip`, `realm.media_ports` | `"start-end"`, even start, >= 1024 | required |
//! | `realm.domain` | the SBC's FQDN on the realm (DNS name): host of its Via sent-by, Contact and Record-Route there; a Request-URI with it is addressed to the SBC; the daemon checks it against the realm's certificate | addresses |
//! | `realm.public_ip` | advertised instead of local addresses (1:1 NAT) | none |
//! | `realm.tls_cert`, `realm.tls_key` | PEM paths; required with a `tls:` listener | none |
//! | `realm.tls_verify_client` | `"none"`, `"optional"` or `"required"` (client certificates) | `"none"` |
//! | `realm.tls_client_ca` | PEM bundle; required unless `tls_verify_client` is `"none"` | none |
//! | `trunk.tls_ca` | PEM bundle verifying the trunk's `tls:` peers | system roots |
//! | `trunk.tls_server_name` | DNS name the peers' certificates carry | the peer's IP (IP SAN) |
//! | `trunk.tls_client_cert`, `trunk.tls_client_key` | PEM paths, together: mutual TLS | the realm's certificate naming its `domain` (when the realm has one) |
//! | `trunk.uri_scheme` | `"sip"` or `"sips"`: the scheme of the SBC's own URIs towards the trunk's `tls:` peers (Request-URI, To and Contact of its INVITEs and OPTIONS); `"sip"` writes `;transport=tls` | `"sip"` |
//! | `realm.certificate` (`[[realm.certificate]]`) | more certificates of the realm's `tls:` listeners: `cert`, `key` (PEM paths); a client's SNI picks the first (`tls_cert` first) carrying that name | none |
//! | `realm.open` | accept requests from non-peers (phones) | `false` |
//! | `realm.server_header` | what the SBC calls itself in Server and User-Agent headers towards the realm, one line of printable text, at most 128 bytes; `""`: no such header | `"sbc"` (no version) |
//! | `realm.registrar` | trunk (on another realm) REGISTERs from this realm are relayed to | none |
//! | `realm.nat_keepalive` | seconds of registration granted to phones, `10..=3600` | `60` |
//! | `trunk.codecs` | the codecs of `sbc_core::registry::CODECS`: PCMU, PCMA, G722, opus, G729, telephone-event, CN (any case) | all |
//! | `trunk.transcode` | `"when-needed"`: when the two sides share no codec, the offer to the other side lists the codecs the SBC can transcode to (PCMU, PCMA, G722, opus, G729, as that trunk's `codecs` allow) after the shared ones and the answer decides; `"never"`: no shared codec is 488 with a Warning naming the policy | `"when-needed"` |
//! | `trunk.ptime` | packet time towards the trunk's peers, ms: 10, 20, 30, 40 or 60; the SBC's SDP to them says `a=ptime:<ptime>`, G.711, G.722 and G.729 relayed from a peer that asks for another packet time are re-cut to it (G.722 and G.729 without decoding), and transcoded legs towards the trunk are cut to it | none (the peers' own `a=ptime` relayed, nothing re-cut) |
//! | `trunk.g729_annexb` | G.729 Annex B (silence suppression with SID frames) on the G.729 legs the SBC transcodes towards the trunk: `false` makes it offer and answer `annexb=no` and never send SID frames (SID frames it receives are always decoded to comfort noise) | `false` |
//! | `media.transcode_threads` | threads the transcoding codecs run on, fed by the media workers through bounded queues (a full queue drops the packet, counted `transcode-queue`), `0..=256`; `0`: inline in the media workers; read at start only | one per core |
//! | `media.transcode_priority` | run the transcoding threads `SCHED_FIFO` at this priority, `1..=99`, below `media.realtime_priority` (which it requires): transcoded calls lose nothing on a core shared with other work; read at start only | normal scheduling |
//! | `media.max_transcoded` | transcoded calls at once, `0..=100000`; an offer that needs transcoding beyond it gets 488 with a Warning | `200` |
//! | `trunk.dtmf`, `realm.dtmf` | `"rfc4733"`, `"sip-info"` or `"inband"` (a trunk whose `codecs` are PCMU/PCMA, and telephone-event, only); a trunk's value wins over its realm's | `"rfc4733"` |
//! | `trunk.dtmf_info_type`, `realm.dtmf_info_type` | body of the INFOs the SBC sends to a `sip-info` leg: `"dtmf-relay"` (application/dtmf-relay) or `"dtmf"` (application/dtmf); a trunk's value wins | `"dtmf-relay"` |
//! | `trunk.show_digits`, `realm.show_digits` | DTMF digits shown in logs and the API (a call's only when every leg shows them); a trunk's value wins | `false` (masked) |
//! | `trunk.srtp`, `realm.srtp` | `"off"`, `"optional"` (OSRTP offered, SRTP or RTP accepted) or `"required"`; `required` needs a `tls:` peer (trunk) or listener (realm) unless `sdes_without_tls`; a trunk's value wins over its realm's | `"off"` |
//! | `trunk.srtp_suites`, `realm.srtp_suites` | SDES suite names of `sbc_core::registry::SRTP_SUITES`, in order of preference | all of them |
//! | `trunk.sdes_without_tls`, `realm.sdes_without_tls` | offer and accept `a=crypto` keys over UDP/TCP signalling | `false` |
//! | `trunk.options_interval` | seconds between OPTIONS health checks of each peer, `0..=3600`; `0` is off | `0` |
//! | `trunk.options_down_after` | failed OPTIONS in a row (no answer, 408, 503) before a peer is Down, `1..=100` | `3` |
//! | `trunk.options_up_after` | answered OPTIONS in a row before a Down peer is Up again, `1..=100` | `2` |
//! | `trunk.max_calls` | concurrent calls from and to the trunk, `1..=1000000` | unlimited |
//! | `trunk.max_cps` | new calls per second from and to the trunk, `1..=10000` (burst: the same number) | unlimited |
//! | `trunk.register.user`, `.password` | the SBC registers itself at the trunk (digest) | no registration |
//! | `trunk.register.auth_user` | authentication user name | `user` |
//! | `trunk.register.domain` | AOR and Request-URI domain | the first peer's address |
//! | `trunk.register.expires` | seconds asked for, `60..=86400` | `3600` |
//! | `route.match_user` | regex on the request-URI user (unanchored; `\d \w \s` are ASCII; at most 256 KiB compiled) | every user |
//! | `route.rewrite_user` | new user in full; `$0`..`$9`, `$$` | unchanged |
//!
//! Sections `[firewall]`, `[sip]` and `[media]` may be left out entirely. On reload the
//! media timers apply to calls set up from then on; calls in progress keep theirs. There
//! must be at least one `[[realm]]`; trunks and routes may be absent.
//!
//! # What validation guarantees
//!
//! * Realm and trunk names are unique, and also unique *across* the two (a route's
//!   `from` may name either).
//! * Listeners bind specific addresses (never `0.0.0.0`/`::`, never port 0) and no two
//!   share a socket; `tcp:` and `tls:` on one `ip:port` conflict. No UDP listener lies
//!   inside a media range on the same IP, and realms sharing a `media_ip` have disjoint
//!   port ranges.
//! * Every trunk names an existing realm, has at least one peer, and each peer is
//!   reachable from a listener of the realm with the peer's transport and IP family.
//!   Within one realm a peer IP belongs to one trunk only; trunks of different realms
//!   may share one (everything is on 127.0.0.1 in the dev config).
//! * Routes name an existing trunk or realm in `from` and a trunk in `to`; `match_user`
//!   compiles; `rewrite_user` refers only to groups `match_user` has.
//! * TLS file paths are resolved but not opened: the daemon checks them when it starts.
//!   `tls_*` keys that cannot apply are errors naming the key: trunk keys on a trunk with
//!   no `tls:` peer, client-verification keys on a realm with no `tls:` listener, a
//!   `tls_client_ca` while `tls_verify_client` is `"none"`. Certificate and key paths
//!   come in pairs; `tls_server_name` is a DNS name (not an IP address).
//!
//! # Lookups
//!
//! * [`Config::realm`], [`Config::trunk`] by name; [`Config::realm_of`] a trunk's realm;
//!   [`Config::realm_for_listener`] the realm owning a local listener.
//! * [`Config::trunk_for_source_in`] (realm, source IP) → trunk: requests from a peer's
//!   IP, any port, any transport, belong to its trunk. [`Config::trunk_for_source`] does
//!   the same without the realm and yields `None` for an IP shared across realms.
//! * [`Config::route_for`] (source name, user) → (route, new user): routes are tried in
//!   file order, the first that applies wins. A route applies when its `from` is the
//!   source itself or — for a trunk — the trunk's realm, and its regex (compiled once,
//!   at validation) matches. `None` means no route: the request should be refused.
//!
//! # Editing and saving (the management API)
//!
//! * [`Document`] edits the file's text through `toml_edit`, so comments, blank lines
//!   and key order survive: [`Document::set_entry`] replaces or appends one
//!   `[[trunk]]`/`[[realm]]`/`[[route]]` from its section struct (merged key by key),
//!   [`Document::remove_entry`] deletes one, [`Document::set_key`] sets one key
//!   (`firewall.allow`). Validate the rendered text with [`Config::from_toml_str`] before
//!   saving it.
//! * [`write_atomic`] writes a temporary file in the same directory, fsyncs it, renames
//!   it over the target and fsyncs the directory: after a crash the file is the old or
//!   the new text, never a torn one (`tests/atomic_save.rs` kills a writer to check).
//!   [`remove_stale_temps`] clears what a killed writer left.
//! * [`Versions`] keeps the last N saved texts (`N.toml` + `N.meta`) for rollback.
//!
//! # Errors
//!
//! A [`ConfigError`] is a key path and a typed [`ConfigErrorKind`] carrying the bad
//! value; it displays as `path: message`. [`ConfigErrors`] displays one per line, in
//! file order:
//!
//! ```text
//! system.name: must not be empty
//! realm[0].media_ports: invalid port range "20001-29999": start 20001 must be even (...)
//! trunk[1].peers[0]: invalid address "10.0.0.300:5060"
//! route[1].to: unknown trunk "pbx2"
//! ```
//!
//! Parse errors carry the TOML parser's message and position, located by key path
//! where the scanner in `locate` can tell:
//!
//! ```text
//! trunk[0].codec: unknown field `codec`, expected one of `name`, `realm`, ... (line 23, column 1)
//! realm[1].open: invalid type: string "yes", expected a boolean (line 18, column 8)
//! trunk[1]: missing field `realm` (line 25, column 1)
//! ```

mod cidr;
mod edit;
mod error;
mod health;
mod interfaces;
mod load;
mod locate;
mod media;
mod model;
pub mod network;
mod peer;
mod persist;
mod ports;
pub mod profile;
pub mod resolved;
mod route;
mod schema;
mod validate;

pub use validate::check_rules;

pub use cidr::{Cidr, CidrError};
pub use edit::{Document, EditError};
pub use error::{ConfigError, ConfigErrorKind, ConfigErrors, LineCol};
pub use health::{
    DEFAULT_OPTIONS_DOWN_AFTER, DEFAULT_OPTIONS_INTERVAL, DEFAULT_OPTIONS_UP_AFTER,
    MAX_CALLS_RANGE, MAX_CPS_RANGE, OPTIONS_INTERVAL_RANGE, OPTIONS_THRESHOLD_RANGE, OptionsPing,
    TrunkLimits,
};
pub use interfaces::{Interfaces, is_interface_name};
pub use media::{
    DEFAULT_HOLD_INACTIVITY_SECONDS, DEFAULT_INACTIVITY_SECONDS, DEFAULT_LATCH_WINDOW_MS,
    DEFAULT_MAX_TRANSCODED, INACTIVITY_SECONDS_RANGE, LATCH_WINDOW_MS_RANGE, MAX_TRANSCODED_RANGE,
    MediaSection, MediaSettings, REALTIME_PRIORITY_RANGE, WORKERS_RANGE,
};
pub use model::{
    Codec, Config, DEFAULT_SERVER_HEADER, DtmfInfoType, DtmfMode, DtmfPolicy, Firewall,
    FirewallPolicy, Hep, IceMode, LogFormat, Management, MediaIo, Metrics, Realm, ReferMode,
    RtcpMuxMode, SipLimits, SrtpMode, SrtpPolicy, System, TlsFiles, TranscodeMode, Trunk,
    TrunkRegistration, TrunkTls, VerifyClient,
};
pub use peer::{Host, PeerSpec, PeerSpecError};
pub use persist::{PersistError, VersionInfo, Versions, remove_stale_temps, write_atomic};
pub use ports::{MIN_MEDIA_PORT, PortRange, PortRangeError};
pub use route::{Rewrite, Route, UserPattern};
pub use schema::{
    ConfigFile, DEFAULT_BAN_SECONDS, DEFAULT_FIREWALL_TABLE, DEFAULT_MANAGEMENT_ALLOW,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_HEADERS, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_METRICS_ALLOW,
    DEFAULT_PINHOLE_SECONDS, DEFAULT_SCANNER_USER_AGENTS, DEFAULT_SIP_BURST, DEFAULT_SIP_RATE,
    DEFAULT_STATE_DIR, FirewallSection, MAX_CONNECTIONS_RANGE, MAX_HEADERS_RANGE,
    MAX_MESSAGE_SIZE_RANGE, ManagementSection, MetricsSection, RealmSection, RegisterSection,
    RouteSection, RuleSection, SipSection, SystemSection, TrunkSection,
};
