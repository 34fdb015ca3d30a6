//! SDP (RFC 8866, RFC 4566) for the Edge SBC, which anchors all media: every offer and
//! answer that crosses it is parsed, rewritten so that each side sees only the SBC's
//! addresses, ports and origin, and printed again. Pure functions, no IO.
//!
//! # Model
//!
//! [`SessionDescription::parse`] turns bytes into a [`SessionDescription`]: the
//! session-level lines (`o=` as [`Origin`], `s= i= u= e= p=`, `c=` as [`Connection`],
//! `b=` as [`Bandwidth`], `t=` with its `r=` lines as [`Timing`], `z= k=`) and
//! [`Attributes`], followed by one [`MediaDescription`] per `m=` line (media, port,
//! optional number of ports, proto, formats as strings, then `i= c= b= k=` and
//! attributes). `v=0` is checked and not stored. Addresses are `IN IP4` or `IN IP6`: an
//! IP literal, or a domain name kept as text ([`Address::Name`]; the caller decides
//! whether to refuse it). `c=0.0.0.0` is accepted.
//!
//! Attributes are an ordered list of `(name, Option<value>)` with typed views parsed on
//! demand: [`RtpMap`], [`Fmtp`], ptime and maxptime, [`Direction`], [`Rtcp`]
//! (RFC 3605), rtcp-mux, [`Crypto`] (RFC 4568), the ICE attributes ([`Candidate`],
//! ufrag, pwd, options, ice-lite, end-of-candidates, remote-candidates), mid, label.
//! `rtpmap`, `fmtp`, `rtcp`, `crypto`, `ptime` and `maxptime` are validated while
//! parsing, so a malformed one refuses the description.
//!
//! # What is kept byte-exact
//!
//! Every attribute (name and value, unknown ones included), the text lines `s= i= u= e=
//! p= k= r= z=`, and lines with a type letter SDP does not define (`y=`, printed at the
//! end of their section). Structured lines (`o= c= b= t= m=`) print canonically: single
//! spaces, no leading zeros, IPv6 in RFC 5952 form. Input may end lines in CRLF or bare
//! LF, may skip blank lines and may order lines within a section freely; output always
//! uses CRLF and the RFC order. So `parse(to_bytes(x)) == x` for every parsed `x`, but
//! the printed text may differ in length from the input (LF becomes CRLF).
//!
//! # Refused input
//!
//! Errors are [`SdpError`] `{ line, kind }`: the 1-based line and an [`SdpErrorKind`]
//! carrying the bad value. Refused: non-UTF-8 lines, NUL or stray CR, lines not
//! `<a-z>=...`, a missing `v= o= s= t=`, duplicates of single lines, session-only lines
//! in a media section, bad numbers, other network or address types, invalid IP
//! literals (`IN IP4 999.1.1.1`), media ports above 65535 or port ranges past it, an
//! active stream with no connection address at either level, and anything beyond
//! [`SdpLimits`] (default 8 KiB in total, 1024 bytes per line, 64 media sections, 256
//! attributes per section). Parsing stops at the first problem, so it is linear in the
//! input.
//!
//! # Keys stay out of copies
//!
//! `a=crypto` lines carry the SRTP master keys of a leg. [`mask_inline_keys`] turns each
//! key into `A`s of the same length (valid base64 of all-zero bytes): the daemon applies
//! it to every copy of a message it keeps or sends for observation. Within this crate, a
//! refused `a=crypto` value is carried in its error masked, and the `Debug` output of
//! [`KeyParam`] and of a `crypto` [`Attribute`] masks the key, so no log or error text
//! prints one.
//!
//! # Rewriting
//!
//! What the B2BUA does to a peer's description before sending it to the other leg:
//!
//! 1. [`SessionDescription::normalize_old_hold`]: `c=0.0.0.0` becomes a direction
//!    attribute, since the SBC's address is about to replace it.
//! 2. [`SessionDescription::strip_ice`]; [`SessionDescription::strip_crypto`] or
//!    [`MediaDescription::set_crypto`] with this leg's own keys.
//! 3. [`MediaDescription::retain_codecs`] with the trunk's codec list; on
//!    [`Retained::NoCodec`] reject that stream or answer 488.
//! 4. [`SessionDescription::anchor_connections`] (or [`MediaDescription::set_connection`]
//!    per stream), [`MediaDescription::set_port`], [`MediaDescription::set_rtcp`] /
//!    [`MediaDescription::remove_rtcp`], [`MediaDescription::set_rtcp_mux`].
//! 5. [`LegOrigin::stamp`]: this leg's `o=`, version bumped when the content changed.
//!
//! ```
//! use sbc_sdp::{LegOrigin, Origin, Retained, SessionDescription};
//!
//! let offer = b"v=0\r\no=alice 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\n\
//!     t=0 0\r\nm=audio 49170 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n";
//! let sbc = "192.0.2.1".parse().unwrap();
//! let mut leg = LegOrigin::new(Origin::new("sbc", 1, 1, sbc));
//!
//! let mut sdp = SessionDescription::parse(offer)?;
//! sdp.normalize_old_hold();
//! sdp.strip_ice();
//! let m = &mut sdp.media[0];
//! if m.retain_codecs(&["PCMA", "telephone-event"]) == Retained::NoCodec {
//!     m.reject(); // or answer 488 when no stream is left
//! }
//! m.set_port(30000);
//! sdp.anchor_connections(sbc);
//! let bytes = leg.stamp(&mut sdp);
//! assert!(bytes.ends_with(b"m=audio 30000 RTP/AVP 8 101\r\nc=IN IP4 192.0.2.1\r\n\
//!     a=rtpmap:101 telephone-event/8000\r\n"));
//! # Ok::<(), sbc_sdp::SdpError>(())
//! ```
//!
//! [`Stream`] gives the effective connection and direction of a section (media level,
//! else session level, else `sendrecv`) and [`Stream::is_hold`].
//!
//! Invariants the helpers keep: the number and order of `m=` sections never change (a
//! rejected stream stays, with port 0: RFC 3264 §6); port 0 stays 0 ([`MediaDescription::set_port`]
//! leaves a rejected stream alone); [`Retained::NoCodec`] leaves the section untouched,
//! so no section ever loses its last format. Values written through public fields must
//! not contain CR or LF.

mod address;
mod attr;
pub mod codec;
mod error;
mod limits;
mod media;
mod model;
mod origin;
mod parse;
mod print;
mod session;
mod stream;

pub use address::{AddrType, Address, Connection};
pub use attr::{
    Attribute, Attributes, Candidate, Crypto, Direction, Fmtp, ICE_ATTRIBUTES, InlineKey, KEY_MASK,
    KeyParam, Rtcp, RtpMap, mask_inline_keys, masked_inline_keys,
};
pub use codec::{Retained, static_rtpmap};
pub use error::{AttributeError, SdpError, SdpErrorKind};
pub use limits::SdpLimits;
pub use model::{Bandwidth, MediaDescription, Origin, OtherLine, SessionDescription, Timing};
pub use origin::LegOrigin;
pub use stream::Stream;
