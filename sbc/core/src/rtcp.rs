//! What the media plane learnt of a stream's quality: the RTCP a side's peer sent (RFC 3550
//! §6.4 sender and receiver reports, RFC 3611 §4.7 VoIP metrics), the round-trip time the
//! SBC measured to that peer, and the [`Quality`] estimate of the media the peer sent.
//!
//! Everything here is plain integers (`Copy`, no allocation): it travels inside
//! [`StreamStats`](crate::StreamStats) with every stats report.

/// One report block (RFC 3550 §6.4.1): how the reporting peer receives one source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReportBlock {
    /// The SSRC reported on.
    pub ssrc: u32,
    /// Fraction lost since the previous report, in 1/256.
    pub fraction_lost: u8,
    /// Cumulative packets lost (24-bit signed: duplicates can make it negative).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub highest_seq: u32,
    /// Interarrival jitter in RTP timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the NTP timestamp of the last SR received (0: none yet), and the
    /// delay since it in 1/65536 s.
    pub lsr: u32,
    pub dlsr: u32,
}

/// Sender information of an SR (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SenderInfo {
    /// NTP timestamp, 32.32 fixed point.
    pub ntp: u64,
    pub rtp_timestamp: u32,
    pub packets: u32,
    pub octets: u32,
}

/// The VoIP metrics report block of RTCP XR (RFC 3611 §4.7), as the endpoint wrote it.
/// 127 in the R factors and MOS fields means "unavailable".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct XrVoip {
    pub ssrc: u32,
    /// Fraction of packets lost / discarded by the jitter buffer, in 1/256.
    pub loss_rate: u8,
    pub discard_rate: u8,
    pub burst_density: u8,
    pub gap_density: u8,
    /// Milliseconds.
    pub burst_duration: u16,
    pub gap_duration: u16,
    pub round_trip_delay: u16,
    pub end_system_delay: u16,
    pub r_factor: u8,
    pub ext_r_factor: u8,
    /// MOS times 10 (RFC 3611: 10..=50; 127 unavailable).
    pub mos_lq: u8,
    pub mos_cq: u8,
    /// Jitter buffer delays, milliseconds.
    pub jb_nominal: u16,
    pub jb_maximum: u16,
}

/// One RTCP compound packet as read: its first packet's type and sender SSRC, the sender
/// information of an SR in it, its first report block, the VoIP metrics of an XR in it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RtcpReport {
    /// Packet type of the first packet (200 SR, 201 RR, 207 XR ...).
    pub packet_type: u8,
    pub ssrc: u32,
    pub sender: Option<SenderInfo>,
    /// Report blocks in the compound packet (the first is kept).
    pub blocks: u8,
    pub block: Option<ReportBlock>,
    pub xr: Option<XrVoip>,
}

/// What one side's peer told the SBC in RTCP, and the round trip to it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RtcpStats {
    /// RTCP compound packets read.
    pub reports: u64,
    /// Its latest SR's sender information.
    pub sender: Option<SenderInfo>,
    /// Its latest report block: how it receives the media the SBC sends it (which the
    /// other side's peer sent).
    pub block: Option<ReportBlock>,
    /// Round-trip time between the SBC and this peer, microseconds: from the SR the SBC
    /// relayed to it and the LSR/DLSR of its answering report (RFC 3550 §6.4.1). `None`
    /// until a report answered one.
    pub rtt_us: Option<u32>,
    /// Its latest RTCP XR VoIP metrics.
    pub xr: Option<XrVoip>,
}

/// Where a [`Quality`] estimate's loss and jitter come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum QualitySource {
    /// Nothing to judge yet (no RTP seen, no report read).
    #[default]
    None,
    /// The SBC's own receive statistics (RFC 3550 A.3, A.8): the stream's packets went
    /// through the media workers.
    Userspace,
    /// The other side's peer's receiver reports on this media: the kernel fast path
    /// forwarded it, so the SBC saw no packets to count.
    Rtcp,
}

impl QualitySource {
    /// `"userspace"`, `"rtcp"` or `"none"` (CDR, API).
    pub fn as_str(self) -> &'static str {
        match self {
            QualitySource::None => "none",
            QualitySource::Userspace => "userspace",
            QualitySource::Rtcp => "rtcp",
        }
    }
}

/// Quality of the media one side's peer sent, as far as the SBC can tell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quality {
    pub source: QualitySource,
    /// Packets lost, and the loss in 1/1000 of the packets expected.
    pub lost: u64,
    pub loss_permille: u16,
    /// Interarrival jitter, microseconds.
    pub jitter_us: u32,
    /// Round trip between the two peers through the SBC (the sum of the SBC's round trip
    /// to each side's peer; one of them when only one is known), microseconds.
    pub rtt_us: Option<u32>,
    /// E-model MOS estimate times 100 (100..=450); `None` before any media.
    pub mos_x100: Option<u16>,
}
