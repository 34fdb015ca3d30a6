//! Shared vocabulary of the Edge SBC.
//!
//! This crate holds only the words the other crates must agree on; it has no logic
//! beyond parsing and printing those words and depends on nothing. The protocol cores
//! (`sbc-sip`, later `sbc-media`) are sans-IO: they never own a socket, so whatever
//! they want sent comes out as a [`Transmit`], and the daemon — the only crate that
//! owns sockets — writes it to the wire.
//!
//! * [`Transport`] — UDP, TCP or TLS, with the `udp:` / `tcp:` / `tls:` prefixes used
//!   in config listeners and trunk peers ([`TransportAddr`]).
//! * [`Transmit`] — bytes to send, from which local listener, to which remote address.
//! * [`Side`] — the A (incoming) and B (outgoing) leg of a call, for signalling and media.
//! * [`MediaOp`] / [`MediaEvent`] — the control plane's commands to the media plane and
//!   its reports back ([`StreamKey`], [`LatchMode`], [`StreamStats`] with its
//!   [`DropCounts`] per [`DropKind`]).
//! * [`capture`] — the RTP/RTCP packets of a call picked for capture, in batches
//!   ([`CaptureBatch`]) from the media plane to the control plane.
//! * [`SrtpKey`] — SRTP master key and salt; prints as `<redacted>` (ops are logged).
//! * [`dtmf`] — a DTMF [`Digit`] (prints masked: digits can be card numbers), how a leg
//!   carries digits ([`DtmfLeg`], [`DtmfWay`]), and what the media plane heard
//!   ([`HeardDigit`]).
//! * [`registry`] — the codecs, DTMF modes, SRTP policies and suites the SBC knows, and
//!   whether it acts on each today: what config, API and web UI all read.
//! * [`rtcp`] — what a side's RTCP said (report blocks, SR sender info, RTCP XR VoIP
//!   metrics), the round-trip time to its peer, and the [`Quality`] of its media (loss,
//!   jitter, MOS, and whether the SBC measured it or read it from RTCP).
//! * [`Pseudonyms`] — the keyed names that replace a peer's RTCP CNAME, the same in SDP
//!   (rewritten by the signalling plane) and RTCP (by the media plane).

pub mod capture;
mod drops;
pub mod dtmf;
mod key;
mod media;
mod pseudonym;
pub mod registry;
pub mod rtcp;
mod side;
pub mod transcoding;
mod transmit;
mod transport;

pub use capture::{CaptureBatch, CaptureWay, CapturedPacket};
pub use drops::{DropCounts, DropKind};
pub use dtmf::{Digit, DtmfLeg, DtmfWay, HeardDigit};
pub use key::{MAX_MASTER_KEY, MAX_MASTER_SALT, SrtpKey, SrtpKeyError};
pub use media::{
    IceCredentials, LatchMode, LatchReason, MediaEvent, MediaOp, RemoteSpec, SrtpKeys, StreamKey,
    StreamStats,
};
pub use pseudonym::{MAX_NAME, Pseudonyms};
pub use rtcp::{Quality, QualitySource, ReportBlock, RtcpReport, RtcpStats, SenderInfo, XrVoip};
pub use side::Side;
pub use transcoding::{PayloadFormat, Transcoding};
pub use transmit::Transmit;
pub use transport::{ParseTransportAddrError, Transport, TransportAddr};
