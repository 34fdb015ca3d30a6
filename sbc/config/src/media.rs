//! `[media]`: the media plane's timers and worker threads.
//!
//! ```toml
//! [media]
//! inactivity_seconds = 60          # no RTP/RTCP on an answered call for this long: BYE both legs
//! hold_inactivity_seconds = 3600   # the same while a side is on hold (sends nothing)
//! latch_window_ms = 3000           # after an SDP/answer, how long a side may latch to a new source
//! workers = 2                      # media worker threads; default: one per core
//! realtime_priority = 50           # SCHED_FIFO workers (1..=99); default: normal scheduling
//! kernel_forwarding = false        # kernel fast path for plain RTP (nftables NAT + conntrack)
//! max_transcoded = 200             # transcoded calls at once; over it: 488
//! transcode_threads = 2            # threads the codecs run on (0: inline in the workers); default: one per core
//! transcode_priority = 40          # SCHED_FIFO transcoding threads, below realtime_priority
//! io = "epoll"                     # or "io_uring": how the workers drive their sockets
//! ```
//!
//! `io = "io_uring"` takes the per-packet syscalls out of the workers (multishot receive
//! into provided buffers, sends queued on the ring, one `io_uring_enter` per turn of the
//! loop): 0.16–0.5 syscalls per packet instead of 2.2–2.4, 0.79–0.86x the CPU at 100k
//! packets/s per worker, no measurable gain at 50k (README, "Media relay"). Opt-in: io_uring
//! is a large kernel attack surface that hardened hosts often refuse (Docker's default
//! seccomp profile, systemd's `@system-service` set, the appliance's unit); a worker whose
//! ring cannot be set up logs it and uses epoll. Read at start only.
//!
//! `kernel_forwarding = true` (needs `[firewall] enabled = true`, and root): once both peers
//! of a stream that needs no transformation are latched and the latch window is over, its
//! RTP is forwarded by the kernel (nftables DNAT/SNAT maps in table `inet sbc_fast`,
//! conntrack) instead of the media workers; a new SDP takes it back until relatched. The
//! daemon switches `net.ipv4.conf.all.forwarding` on while it runs (restored at stop); the
//! table's forward chain (policy drop) forwards only those relays. IPv4 only; RTCP stays
//! in userspace. Read at start only.
//!
//! `transcode_priority`: by default the transcoding threads run under normal scheduling,
//! so on a core shared with other work they get only their fair share, and a transcoded
//! call loses what they cannot finish in time (`transcode-queue` drops; measured: 40–64 %
//! of 300 Opus calls on a core shared with compilers, README "Transcoded sessions against
//! rtpengine"). A nice value does not help against other services (the kernel shares CPU
//! between sessions and cgroups first). With `transcode_priority` they run `SCHED_FIFO` at
//! that priority, which must be below `realtime_priority` (required): a relay worker still
//! preempts them, everything else on the host waits for them. The price: codecs that fall
//! behind (more calls than the cores carry; `max_transcoded` is the guard) hold their cores
//! but for the kernel's realtime throttling (5 %), the SIP core task included. Needs
//! CAP_SYS_NICE (root); a thread that cannot set it logs it and runs normally. Read at
//! start only.
//!
//! The whole section and each key are optional. On reload, the timers apply to calls set
//! up from then on (calls in progress keep theirs; a latch window opens with each SDP, so
//! the new one applies to the next SDP of any call); `workers` and `realtime_priority` take
//! effect at the next start of the daemon.

use std::ops::RangeInclusive;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// `[media]` as written (optional section).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaSection {
    /// Default [`DEFAULT_INACTIVITY_SECONDS`], range [`INACTIVITY_SECONDS_RANGE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactivity_seconds: Option<i64>,
    /// Default [`DEFAULT_HOLD_INACTIVITY_SECONDS`], range [`INACTIVITY_SECONDS_RANGE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_inactivity_seconds: Option<i64>,
    /// Default [`DEFAULT_LATCH_WINDOW_MS`], range [`LATCH_WINDOW_MS_RANGE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latch_window_ms: Option<i64>,
    /// Default: the number of cores; range [`WORKERS_RANGE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workers: Option<i64>,
    /// Default: none (normal scheduling); range [`REALTIME_PRIORITY_RANGE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realtime_priority: Option<i64>,
    /// Default false: every stream relayed by the media workers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_forwarding: Option<bool>,
    /// Default [`DEFAULT_MAX_TRANSCODED`], range [`MAX_TRANSCODED_RANGE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_transcoded: Option<i64>,
    /// Default: the number of cores; range `0..=256` (0: inline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcode_threads: Option<i64>,
    /// Default: none (normal scheduling); range [`REALTIME_PRIORITY_RANGE`], below
    /// `realtime_priority`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcode_priority: Option<i64>,
    /// `"epoll"` (default) or `"io_uring"` ([`crate::model::MediaIo`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub io: Option<String>,
}

pub const DEFAULT_INACTIVITY_SECONDS: usize = 60;
pub const DEFAULT_HOLD_INACTIVITY_SECONDS: usize = 3600;
/// For both inactivity timers: a second to a day.
pub const INACTIVITY_SECONDS_RANGE: RangeInclusive<i64> = 1..=86_400;
pub const DEFAULT_LATCH_WINDOW_MS: usize = 3000;
pub const LATCH_WINDOW_MS_RANGE: RangeInclusive<i64> = 100..=60_000;
pub const WORKERS_RANGE: RangeInclusive<i64> = 1..=256;
pub const DEFAULT_MAX_TRANSCODED: usize = 200;
pub const MAX_TRANSCODED_RANGE: RangeInclusive<i64> = 0..=100_000;
pub const TRANSCODE_THREADS_RANGE: RangeInclusive<i64> = 0..=256;
pub const REALTIME_PRIORITY_RANGE: RangeInclusive<i64> = 1..=99;

/// `[media]`, validated: defaults applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaSettings {
    /// An answered call with no RTP/RTCP on any of its streams for this long is ended
    /// (BYE on both legs).
    pub inactivity: Duration,
    /// The same while a side of the call does not send (hold, inactive).
    pub hold_inactivity: Duration,
    /// After an SDP (or the answer), how long a side may latch to where its packets come
    /// from; outside it only the latched source is relayed (RTP Bleed defence).
    pub latch_window: Duration,
    /// Media worker threads; `None`: one per core. Read at start only.
    pub workers: Option<usize>,
    /// `SCHED_FIFO` priority of the media workers, so that other work on the host does not
    /// delay packets by a scheduler tick; `None`: normal scheduling. Read at start only.
    pub realtime_priority: Option<u8>,
    /// Hand plain RTP streams to the kernel fast path once latched. Read at start only.
    pub kernel_forwarding: bool,
    /// Calls transcoded at once; an offer that needs one more gets 488.
    pub max_transcoded: usize,
    /// Threads the transcoding codecs run on, fed by the workers through bounded queues;
    /// `Some(0)`: inline in the workers; `None`: one per core. Read at start only.
    pub transcode_threads: Option<usize>,
    /// `SCHED_FIFO` priority of the transcoding threads, below `realtime_priority`;
    /// `None`: normal scheduling. Read at start only.
    pub transcode_priority: Option<u8>,
    /// How the workers drive their sockets.
    pub io: crate::model::MediaIo,
}

impl Default for MediaSettings {
    fn default() -> Self {
        MediaSettings {
            inactivity: Duration::from_secs(DEFAULT_INACTIVITY_SECONDS as u64),
            hold_inactivity: Duration::from_secs(DEFAULT_HOLD_INACTIVITY_SECONDS as u64),
            latch_window: Duration::from_millis(DEFAULT_LATCH_WINDOW_MS as u64),
            workers: None,
            realtime_priority: None,
            kernel_forwarding: false,
            max_transcoded: DEFAULT_MAX_TRANSCODED,
            transcode_threads: None,
            transcode_priority: None,
            io: crate::model::MediaIo::Epoll,
        }
    }
}
