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
//!   its reports back ([`StreamKey`], [`LatchMode`], [`StreamStats`]).
//! * [`Pseudonyms`] — the keyed names that replace a peer's RTCP CNAME, the same in SDP
//!   (rewritten by the signalling plane) and RTCP (by the media plane).

mod media;
mod pseudonym;
mod side;
mod transmit;
mod transport;

pub use media::{LatchMode, LatchReason, MediaEvent, MediaOp, RemoteSpec, StreamKey, StreamStats};
pub use pseudonym::{MAX_NAME, Pseudonyms};
pub use side::Side;
pub use transmit::Transmit;
pub use transport::{ParseTransportAddrError, Transport, TransportAddr};
