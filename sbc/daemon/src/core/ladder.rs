//! The core's side of the SIP ladders ([`crate::observe::ladder`]): each message read and
//! written recorded against its call, Q.850 causes handed to the CDR, ladders answered to
//! management.

use super::*;
use crate::observe::ladder::{Ending, Way, Wire};

/// Microseconds since the Unix epoch, now.
fn unix_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

impl Core {
    /// A message read from `peer`, as it came (before header rules).
    pub(super) fn ladder_received(&mut self, msg: &Message, peer: &Peer) {
        let call_id = msg.call_id().unwrap_or("");
        let invite = msg.method() == Some(&sbc_sip::Method::Invite);
        if !invite && !self.ladders.wants(call_id) {
            return;
        }
        let wire = Wire {
            transport: peer.transport,
            local: peer.local,
            remote: peer.remote,
        };
        let ending = self.ladders.received(unix_us(), wire, msg.to_bytes());
        self.note_ending(ending);
    }

    /// A message written to the wire.
    pub(super) fn ladder_sent(&mut self, t: &sbc_core::Transmit) {
        let wire = Wire {
            transport: t.transport,
            local: t.local,
            remote: t.remote,
        };
        let ending = self.ladders.sent(unix_us(), wire, &t.payload);
        self.note_ending(ending);
    }

    fn note_ending(&mut self, ending: Option<Ending>) {
        if let Some(e) = ending {
            let how = match e.way {
                Way::In => "received",
                Way::Out => "sent",
            };
            self.cdr.q850(e.call, e.side, e.cause, how);
        }
    }

    /// The call was relayed: its legs' messages are recorded from now on (the INVITE
    /// that started it included). Digits are shown only when both ends allow it.
    pub(super) fn ladder_started(&mut self, call: sbc_sip::b2bua::CallId, from: &str, to: &str) {
        let Some([a, b]) = self.engine.legs(call) else {
            return;
        };
        let shows = |name: &str| {
            self.config
                .trunk(name)
                .is_some_and(|t| t.dtmf_policy.show_digits)
        };
        let show = shows(from) && shows(to);
        self.ladders
            .started(call.get(), &a.call_id, &b.call_id, show);
    }
}
