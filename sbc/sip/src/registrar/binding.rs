//! A registration relayed for a phone: what the SBC knows of it on both sides.

use std::time::Instant;

use crate::transaction::Peer;

/// One phone contact registered for an address of record, through the SBC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The address of record (`user@domain`, domain lower-cased), as the phone's To.
    pub aor: String,
    /// The phone's Contact URI, as it registered it.
    pub phone_contact: String,
    /// Where the phone really is: the transport, the SBC listener it reached, and its
    /// observed source address (rport/received: not what its Contact claims).
    pub phone: Peer,
    /// The phone's Call-ID for this registration.
    pub phone_call_id: String,
    /// The user part of the SBC's Contact upstream: the registrar sends calls for this
    /// phone to `sip:<token>@<SBC>`, and the token leads back here.
    pub token: String,
    /// The upstream registration's dialog-like state (RFC 3261 §10.2: one Call-ID per
    /// binding, CSeq increasing).
    pub upstream_call_id: String,
    pub upstream_from_tag: String,
    pub upstream_cseq: u32,
    /// Until when the registrar holds the binding (`None` until the first 2xx).
    pub upstream_until: Option<Instant>,
    /// Until when the phone's registration with the SBC lasts (short: NAT keep-alive).
    pub phone_until: Instant,
    /// Names for logs and the UI: the phone's realm and the registrar trunk.
    pub realm: String,
    pub trunk: String,
}

impl Binding {
    /// Whether the registrar has this binding and will still have it at `at`.
    pub fn upstream_valid_at(&self, at: Instant) -> bool {
        self.upstream_until.is_some_and(|u| u > at)
    }
}
