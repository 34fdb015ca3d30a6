//! The seam between management and the running daemon: plain view structs and channels.
//!
//! The management crate never imports SIP, media or firewall code. The daemon's core
//! task publishes a [`Snapshot`] on a `watch` channel (refreshed about once a second)
//! and executes the [`Command`]s it receives on an `mpsc` channel. Handlers read the
//! latest snapshot without waiting on the SIP path, and nothing is shared under a lock.

use std::net::IpAddr;
use std::sync::Arc;

use sbc_config::Config;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot, watch};

/// What the core task knows right now.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Calls in progress (all of them; `calls` lists at most a thousand).
    #[serde(default)]
    pub active_calls: u64,
    /// The calls, each with its legs and streams: filled only while somebody looks
    /// ([`Demand`]: a dashboard open, a `GET /api/calls`), so that an SBC nobody watches
    /// does no per-call work for the UI. `calls_listed` says whether this snapshot has them.
    pub calls: Vec<CallView>,
    #[serde(default)]
    pub calls_listed: bool,
    /// New calls per second, averaged over the last few seconds.
    pub cps: f64,
    pub trunks: Vec<TrunkView>,
    /// Phones registered through the SBC (relayed to a realm's registrar).
    pub registrations: Vec<RegistrationView>,
    /// The SBC's own registrations at trunks (`[trunk.register]`).
    #[serde(default)]
    pub trunk_registrations: Vec<TrunkRegistrationView>,
    pub bans: Vec<BanView>,
    /// Whether the SBC is draining (`POST /api/drain`): new calls and OPTIONS get 503
    /// while the calls in progress (`active_calls`) run to their end.
    #[serde(default)]
    pub draining: bool,
}

/// A trunk and the health of its peers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrunkView {
    pub name: String,
    pub realm: String,
    pub peers: Vec<PeerView>,
    pub active_calls: u64,
    /// Why the trunk has no target at all (every peer a name that does not resolve);
    /// `None` while it has one.
    #[serde(default)]
    pub down: Option<String>,
    /// Each peer or source given by name (RFC 3263), and what it resolved to.
    #[serde(default)]
    pub names: Vec<NameView>,
    /// The trunk's `profile` (`"teams"`), if any.
    #[serde(default)]
    pub profile: Option<String>,
    /// The values the profile gave (keys the file does not set), each as TOML writes
    /// it; the header rules it adds under key `profile.rule`.
    #[serde(default)]
    pub from_profile: Vec<ProfileValueView>,
    /// The OPTIONS health check of each probed peer (empty when `options_interval = 0`).
    #[serde(default)]
    pub options: Vec<OptionsView>,
    /// The realm's `domain` against its TLS certificate (`None`: the realm has no
    /// domain).
    #[serde(default)]
    pub certificate: Option<CertificateCheckView>,
}

/// One trunk key whose value came from the trunk's profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileValueView {
    /// `options_interval`, `profile.rule`.
    pub key: String,
    /// As TOML writes it: `60`, `"lite"`, `["52.112.0.0/14", "52.122.0.0/15"]`.
    pub value: String,
}

/// What the SBC's OPTIONS to one peer found out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionsView {
    /// `transport:ip:port` of the peer.
    pub address: String,
    /// `"unknown"` (no verdict yet), `"up"` (it answers) or `"down"` (it does not).
    pub state: String,
    /// The status code of its last final answer.
    pub last_code: Option<u16>,
    /// Seconds since that answer.
    pub last_answer_ago: Option<u64>,
    /// OPTIONS sent to it so far.
    pub probes_sent: u64,
    /// Failed probes in a row.
    pub failures: u32,
    /// Why the last failed probe failed (`no answer`, `status 503`).
    pub last_failure: Option<String>,
}

/// A realm's FQDN (`domain`) checked against the names of its TLS certificate, as a
/// peer verifying the SBC would (wildcards included).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateCheckView {
    pub domain: String,
    /// The certificate file.
    pub certificate: String,
    /// Whether the certificate is valid for `domain` (a subjectAltName names it).
    pub ok: bool,
    /// Why not, or why the file could not be read.
    pub reason: Option<String>,
}

/// A trunk peer or source given by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameView {
    /// As written: `sip.carrier.example`, `tls:sbc.pbx.example:5061`.
    pub name: String,
    /// `true` for a `sources` name (identifies requests, never called).
    pub source_only: bool,
    /// `pending`, `resolved` or `failed`.
    pub state: String,
    /// Why the last resolution failed.
    pub reason: Option<String>,
    /// When what the name gives last changed (Unix seconds).
    pub changed: u64,
    /// In the order calls try them.
    pub targets: Vec<TargetView>,
}

/// One address a name resolved to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetView {
    pub address: String,
    pub transport: String,
    pub port: u16,
    pub priority: u16,
    pub weight: u16,
    /// Seconds until its TTL runs out (it is resolved again then).
    pub ttl_left: u64,
    /// The record that gave it.
    pub source: String,
    /// The OPTIONS health of this target (`true` without probing).
    pub up: bool,
}

/// One peer of a trunk: `up` is false once OPTIONS probes failed (always true when
/// probing is off).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerView {
    pub address: String,
    pub up: bool,
}

/// A phone's registration relayed by the SBC.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationView {
    pub aor: String,
    pub contact: String,
    pub expires_in: u64,
}

/// The SBC's own registration at a trunk's registrar (`[trunk.register]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrunkRegistrationView {
    pub trunk: String,
    /// The registrar's URI (`sip:<domain>`) and where the REGISTERs go.
    pub registrar: String,
    pub peer: String,
    pub aor: String,
    /// `"registered"`; `"registering"` (first attempt in flight); `"failed"` (refused:
    /// credentials, 4xx/6xx; needs the operator, retried all the same); `"backoff"` (no
    /// answer or 5xx: retried after a delay); `"unregistering"`.
    pub state: String,
    /// Seconds the binding has left (`registered` only).
    pub expires_in: Option<u64>,
    /// Seconds until the next attempt (`failed`, `backoff`).
    pub retry_in: Option<u64>,
    /// Why the last attempt failed.
    pub reason: Option<String>,
}

/// A banned source address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanView {
    pub address: String,
    pub expires_in: u64,
}

/// An active call with both legs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallView {
    pub id: String,
    /// RFC 3339, UTC.
    pub started: String,
    pub duration_seconds: u64,
    /// `"early"`, `"answered"`, `"ending"`.
    pub state: String,
    pub from: String,
    pub to: String,
    pub a: LegView,
    pub b: LegView,
    pub streams: Vec<StreamView>,
    /// DTMF digits of the call (the last 32), oldest first.
    #[serde(default)]
    pub digits: Vec<DigitView>,
}

/// A DTMF digit that crossed a call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigitView {
    /// The digit, or `x` unless both legs' `show_digits` allow it (card numbers, PINs).
    pub digit: String,
    /// `"a-to-b"` or `"b-to-a"`.
    pub direction: String,
    /// How it came (`rfc4733`, `sip-info`, `inband`) and went (the same, or `dropped`).
    pub from_mode: String,
    pub to_mode: String,
    /// RFC 3339, UTC.
    pub time: String,
    pub duration_ms: u32,
}

/// One leg of a call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegView {
    pub trunk: String,
    pub realm: String,
    pub remote: String,
    pub codec: String,
    pub srtp: bool,
    /// The SRTP suite this leg negotiated (`None`: plain RTP).
    #[serde(default)]
    pub srtp_suite: Option<String>,
    /// The SBC transcodes between this leg's codec and the other leg's.
    #[serde(default)]
    pub transcoded: bool,
}

/// One anchored media stream and what each side's peer sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamView {
    pub media: String,
    pub a: StreamSideView,
    pub b: StreamSideView,
}

/// One side of a stream: the SBC's port, the latched peer, RTP counters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamSideView {
    pub local: String,
    /// The address the stream latched to (`None` until a packet came).
    pub latched: Option<String>,
    pub packets: u64,
    pub bytes: u64,
    pub lost: i64,
    /// Interarrival jitter, milliseconds.
    pub jitter: f64,
    /// Packets from this side that went no further, per reason (`unprotect`: SRTP
    /// authentication failed, `replay`, `foreign`, `junk`, ...); only reasons that counted.
    #[serde(default)]
    pub dropped: std::collections::BTreeMap<String, u64>,
    /// Call quality of what this side's peer sent, and what the peer reported in RTCP.
    #[serde(default)]
    pub quality: QualityView,
    /// ICE-lite on this side (`None`: no ICE).
    #[serde(default)]
    pub ice: Option<IceView>,
}

/// The SBC's ICE-lite agent on one side of a stream.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IceView {
    /// The SBC's `a=ice-ufrag` on this side (its credentials are set).
    pub local_ufrag: String,
    /// The peers' `a=ice-ufrag`s (one per fork that gave one).
    pub remote_ufrags: Vec<String>,
    /// Connectivity checks answered (authenticated).
    pub checks: u64,
    /// Checks refused (bad MESSAGE-INTEGRITY, unknown ufrag): the `ice-auth` drops.
    pub refused: u64,
    /// Where media goes: the source of the last nominating check (`None`: not yet).
    pub nominated: Option<String>,
}

/// Call quality of one side of a stream (what its peer sent).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QualityView {
    /// `userspace` (the SBC's own counts), `rtcp` (the other peer's receiver reports: the
    /// kernel forwarded the media) or `none` (nothing to judge yet).
    pub source: String,
    /// Packets lost, as a percentage of those expected.
    pub loss_pct: f64,
    /// Interarrival jitter, milliseconds.
    pub jitter_ms: f64,
    /// Round trip between the two peers through the SBC, milliseconds.
    pub rtt_ms: Option<f64>,
    /// This side's share of it: the SBC to this side's peer.
    pub leg_rtt_ms: Option<f64>,
    /// E-model MOS estimate (1.0 ..= 4.5).
    pub mos: Option<f64>,
    /// RTCP packets this side's peer sent, and its latest report block: how it receives
    /// the media the SBC sends it.
    pub rtcp_reports: u64,
    pub reported_fraction_lost_pct: Option<f64>,
    pub reported_lost: Option<i64>,
    pub reported_jitter_ms: Option<f64>,
    /// MOS-LQ of its RTCP XR VoIP metrics, when it sends them.
    pub xr_mos_lq: Option<f64>,
}

/// What management asks the daemon to do.
#[derive(Debug)]
pub enum Command {
    /// A new, valid configuration, not saved yet: apply it like a SIGHUP reload (new
    /// calls use it, calls in progress keep theirs), after checking what validation
    /// cannot (TLS files load, the kernel takes the firewall ruleset). The reply says
    /// whether it runs now; management saves the file only then, so the file on disk
    /// always is what runs (apart from settings read only at start, see
    /// [`crate::restart`]). On an error nothing changed in the daemon.
    Apply {
        config: Arc<Config>,
        reply: oneshot::Sender<Result<(), ApplyError>>,
    },
    /// Lift a ban. The reply says whether the address was banned.
    Unban {
        address: IpAddr,
        reply: oneshot::Sender<Result<bool, String>>,
    },
    /// Start (`true`) or end (`false`) draining: new calls and OPTIONS answered 503 with
    /// Retry-After, calls in progress left alone. The reply comes once the core took it.
    Drain {
        drain: bool,
        reply: oneshot::Sender<()>,
    },
    /// Restart the daemon (stop cleanly, then start again with the saved file).
    Restart,
    /// The SIP messages kept of call `call` (`None`: none kept); with `media`, also its
    /// captured RTP/RTCP packets ([`LadderView::media`](crate::ladder::LadderView::media)).
    Ladder {
        call: u64,
        media: bool,
        reply: oneshot::Sender<Option<crate::ladder::LadderView>>,
    },
    /// Start (`on`) or stop capturing the RTP/RTCP of live call `call`; the reply is the
    /// capture's state afterwards.
    Capture {
        call: u64,
        on: bool,
        reply: oneshot::Sender<Result<crate::ladder::RtpCapture, CaptureRefused>>,
    },
}

/// Why a call's RTP capture was not started (or stopped).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaptureRefused {
    /// No such call in progress (ended, too old, or never was).
    #[error("call {call} is not in progress")]
    NotLive { call: u64 },
    /// As many calls as allowed are captured already.
    #[error("{max} calls are captured already: stop one first")]
    Full { max: usize },
}

/// Why the daemon did not apply a configuration (it keeps running the old one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// The configuration is valid but cannot run here: a TLS file that does not load, a
    /// ruleset the kernel refuses. `field` is the key path when one is to blame.
    #[error("{reason}")]
    Refused {
        field: Option<String>,
        reason: String,
    },
    /// The daemon failed for a reason of its own (it is stopping, ...).
    #[error("{reason}")]
    Failed { reason: String },
}

/// Whether anybody is looking at the calls: the management side asks ([`Demand::want`])
/// whenever it shows them, the core lists them in its snapshots only while asked
/// ([`Demand::wanted`]). One atomic, no lock.
#[derive(Debug)]
pub struct Demand {
    origin: std::time::Instant,
    /// Milliseconds after `origin` until which the calls are wanted.
    until_ms: std::sync::atomic::AtomicU64,
}

impl Demand {
    /// How long one request keeps the calls listed.
    pub const HOLD: std::time::Duration = std::time::Duration::from_secs(5);

    fn new() -> Self {
        Demand {
            origin: std::time::Instant::now(),
            until_ms: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn millis(&self, at: std::time::Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.origin).as_millis()).unwrap_or(u64::MAX)
    }

    /// The calls are wanted for the next [`Demand::HOLD`].
    pub fn want(&self) {
        let until = self.millis(std::time::Instant::now() + Self::HOLD);
        self.until_ms
            .fetch_max(until, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether the calls are wanted at `now`.
    pub fn wanted(&self, now: std::time::Instant) -> bool {
        self.millis(now) < self.until_ms.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The management side's ends of the two channels.
#[derive(Debug, Clone)]
pub struct LiveLink {
    pub snapshot: watch::Receiver<Snapshot>,
    pub commands: mpsc::Sender<Command>,
    pub demand: Arc<Demand>,
}

/// The daemon's ends of the two channels.
#[derive(Debug)]
pub struct LiveDaemon {
    pub snapshot: watch::Sender<Snapshot>,
    pub commands: mpsc::Receiver<Command>,
    pub demand: Arc<Demand>,
}

/// A connected pair of ends.
pub fn link() -> (LiveLink, LiveDaemon) {
    let (snap_tx, snap_rx) = watch::channel(Snapshot::default());
    let (cmd_tx, cmd_rx) = mpsc::channel(16);
    let demand = Arc::new(Demand::new());
    (
        LiveLink {
            snapshot: snap_rx,
            commands: cmd_tx,
            demand: demand.clone(),
        },
        LiveDaemon {
            snapshot: snap_tx,
            commands: cmd_rx,
            demand,
        },
    )
}
