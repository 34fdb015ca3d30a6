//! How a shard behaves: timers, latching, defaults.

use std::time::Duration;

use sbc_core::Pseudonyms;

/// Settings of one [`Shard`](crate::Shard); the same for every shard of a daemon.
#[derive(Debug, Clone)]
pub struct ShardConfig {
    /// An answered call with no RTP/RTCP on any of its streams for this long is
    /// reported [`MediaEvent::Inactive`](sbc_core::MediaEvent::Inactive).
    pub inactivity: Duration,
    /// The same while a side of the call does not send ([`MediaOp::Sending`]
    /// `sends: false`: hold, inactive), when silence is expected.
    ///
    /// [`MediaOp::Sending`]: sbc_core::MediaOp::Sending
    pub hold_inactivity: Duration,
    /// How long after an SDP ([`MediaOp::Remote`](sbc_core::MediaOp::Remote)) or the answer
    /// a side may learn its peer's address from packets. Outside it a side relays only
    /// from the address it latched (or was signalled): the defence against RTP Bleed.
    pub latch_window: Duration,
    /// Consecutive packets (same source, same SSRC, increasing sequence numbers) a new
    /// source must send before a side latches to it (2..=3 is sensible; at least 1).
    pub latch_packets: u8,
    /// RTP clock rate (Hz) for jitter until [`MediaOp::ClockRate`] says otherwise.
    ///
    /// [`MediaOp::ClockRate`]: sbc_core::MediaOp::ClockRate
    pub default_clock_rate: u32,
    /// Streams to preallocate room for (the slab grows past it, on `Open`, not per packet).
    pub capacity: usize,
    /// Hand streams that need no transformation to the kernel fast path once both peers
    /// are latched (see [`offload`](crate::offload)); off by default.
    pub kernel_forwarding: bool,
    /// Pseudonyms for the CNAMEs of relayed RTCP ([`sdes`](crate::sdes)); the control plane
    /// must use the same for `a=ssrc` in SDP. The default key is fixed (for tests): the
    /// daemon sets a random one per run.
    pub pseudonyms: Pseudonyms,
    /// Packets of its own a shard can hold until the IO layer takes them
    /// ([`Shard::poll_transmit`](crate::Shard::poll_transmit)); allocated once, at
    /// [`MAX_EMITTED`](crate::MAX_EMITTED) bytes each.
    pub transmit_slots: usize,
    /// The wall clock at an instant, read by the daemon, for the NTP timestamps of the
    /// RTCP the engine writes for transcoded legs ([`rtcp_gen`](crate::rtcp_gen)); `None`
    /// (tests): NTP time counts from each leg's first report.
    pub ntp: Option<crate::rtcp_gen::NtpAnchor>,
    /// Transcoding steps hand their codec work off ([`Shard::poll_transcode`]) to be run
    /// elsewhere (the daemon's transcoding threads) and sent when it comes back
    /// ([`Shard::transcoded`]); `false` (the default, tests): run in place.
    ///
    /// [`Shard::poll_transcode`]: crate::Shard::poll_transcode
    /// [`Shard::transcoded`]: crate::Shard::transcoded
    pub transcode_offload: bool,
    /// RTCP reports copied for a capture (HEP) that a shard holds until the IO layer takes
    /// them ([`quality::copy`](crate::quality::copy)); 0 (the default): none are copied.
    pub rtcp_copies: usize,
}

impl Default for ShardConfig {
    fn default() -> Self {
        ShardConfig {
            inactivity: Duration::from_secs(60),
            hold_inactivity: Duration::from_secs(60 * 60),
            latch_window: Duration::from_secs(3),
            latch_packets: 2,
            default_clock_rate: 8000,
            capacity: 256,
            kernel_forwarding: false,
            pseudonyms: Pseudonyms::new([0; 16]),
            transmit_slots: 64,
            ntp: None,
            transcode_offload: false,
            rtcp_copies: 0,
        }
    }
}

/// Who forwards a stream's packets: the kernel fast path (nftables DNAT/SNAT maps and
/// conntrack) takes over streams that need no transformation once both peers are latched,
/// when [`ShardConfig::kernel_forwarding`] is on ([`offload`](crate::offload) decides).
/// [`Shard::stats`](crate::Shard::stats) reports counters either way
/// ([`Shard::add_offloaded`](crate::Shard::add_offloaded) folds in the kernel's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Forwarder {
    /// The worker's sockets relay it (recvmmsg/sendmmsg through the packet path).
    #[default]
    Userspace,
    /// nftables NAT and conntrack relay its RTP; the sockets stay bound (RTCP, strays).
    Kernel,
}
