//! STUN and an ICE-lite agent for the Edge SBC's media ports (sans-IO, no clock, no
//! socket, no allocation per check beyond a new remote's ufrag).
//!
//! Towards a trunk that does ICE (Microsoft Teams Direct Routing with media bypass) the
//! SBC is a *lite* agent (RFC 8445 §2.5): its SDP says `a=ice-lite`, gives its
//! `a=ice-ufrag`/`a=ice-pwd` and one host candidate per component (its media address);
//! the far end (a full agent, always controlling) sends connectivity checks — STUN
//! Binding requests — to the SBC's media port, and the SBC answers them. It never sends
//! checks of its own.
//!
//! * [`message`]: reading a STUN message (RFC 8489 §5, §14): header, the attributes ICE
//!   uses, where MESSAGE-INTEGRITY and FINGERPRINT sit.
//! * [`integrity`]: checking MESSAGE-INTEGRITY (HMAC-SHA1, short-term credentials) and
//!   FINGERPRINT (CRC-32 XOR 0x5354554e).
//! * [`encode`]: writing a message into a caller's buffer.
//! * [`credentials`]: ufrag/password grammar, and the SBC's own from caller-given
//!   randomness.
//! * [`agent`]: [`LiteAgent`], one per stream: answers checks (the response written over
//!   the request, in the packet's own buffer), tracks each remote agent (fork) and its
//!   USE-CANDIDATE nominations, names the address media should follow, restarts.
//!
//! The media pipeline's demux phase hands it datagrams whose first byte is 0..=3
//! (RFC 7983), before anything is unprotected; a dropped check never moves a latch.
//!
//! Checked against RFC 5769's sample messages (`tests/rfc5769.rs`): parsed, their
//! MESSAGE-INTEGRITY and FINGERPRINT verified, and rebuilt byte for byte.

pub mod agent;
mod crc32;
pub mod credentials;
pub mod encode;
pub mod integrity;
pub mod message;

pub use agent::{Answered, Drop, LiteAgent, MAX_REMOTES, RemoteId};
pub use crc32::crc32;
pub use credentials::{Credentials, CredentialsError};
pub use encode::{TooSmall, Writer};
pub use message::{Class, Message, ParseError};
