//! What the control plane tells the media plane about a transcoded direction of a stream
//! ([`MediaOp::Transcode`](crate::MediaOp::Transcode)): the two payload formats as SDP
//! negotiated them (the media engine turns them into codecs), the packet duration
//! towards the receiving peer, the telephone-event payload types on each leg and the
//! sending leg's comfort noise payload type.

/// One payload format of a leg, as its SDP says (`a=rtpmap`, `a=fmtp`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadFormat {
    pub pt: u8,
    /// The encoding name (`PCMA`, `G722`, `opus`).
    pub encoding: String,
    /// The RTP clock rate SDP announces (G.722: 8000).
    pub clock_rate: u32,
    pub channels: Option<u16>,
    /// The `a=fmtp` parameters of the peer that receives this format.
    pub fmtp: Option<String>,
}

/// One transcoded direction: what the sending peer's leg carries (`input`) becomes what
/// the receiving peer's leg carries (`output`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcoding {
    pub input: PayloadFormat,
    pub output: PayloadFormat,
    /// Packet duration towards the receiving peer, ms.
    pub ptime_ms: u32,
    /// RFC 4733 telephone-event payload types (sending leg's, receiving leg's) when both
    /// legs carry events: they cross renumbered, timed on the output clock.
    pub events: Option<(u8, u8)>,
    /// The RFC 3389 comfort noise (`CN`) payload type the sending peer may use at the
    /// input codec's clock rate: its CN packets tell the transcoder to play noise
    /// through the pause that follows.
    pub comfort_noise: Option<u8>,
    /// The `CN` payload type the receiving peer negotiated at the output codec's clock
    /// rate: the SBC sends the pauses it knows of as RFC 3389 packets of its own with it
    /// (instead of noise frames in the output codec).
    pub comfort_noise_out: Option<u8>,
}
