//! `refer = "relay"`: a REFER from the trunk's leg is passed to the other leg, whose peer
//! places the new call itself — with nothing of the referrer's side in it.
//!
//! 1. The REFER is read as for `"handle"` ([`TransferRequest::from_refer`]: exactly one
//!    `sip:`/`sips:` Refer-To, 400/416 otherwise, URI headers such as `?Replaces=` 403,
//!    a loop back to the SBC or to a party of the call 482).
//! 2. The SBC keeps the Refer-To under a token ([`ReferTokens`]: 128 bits of the engine's
//!    keyed token generator, `xfer-` and 32 hex digits — unguessable without the daemon's
//!    random seed, never a counter) and relays the REFER with `Refer-To:
//!    <sip:TOKEN@SBC>` (the SBC's address on the other leg) and `Referred-By` the party
//!    the other side knows the referrer as (the SBC's own URI for that leg). Its 202 and
//!    the far side's NOTIFYs cross back like any in-dialog request and response; a
//!    `message/sipfrag` body crosses as its status line only.
//! 3. The far side's INVITE to `sip:TOKEN@...` is a new call: the daemon takes the
//!    token ([`Engine::take_relayed_refer`]), once, only from the trunk the REFER went to,
//!    and routes the call to the original Refer-To as received — on the referrer's trunk
//!    when its host is that trunk's peer, else through that trunk's routes.
//!
//! The tokens are bounded: [`RELAYED_REFERS`] at once (a REFER beyond that gets 503), each
//! kept [`RELAYED_REFER_LIFETIME`] (the far side calls within seconds of its 202; an
//! INVITE after that gets whatever routing says of the token's user, a 404 in practice).
//! A REFER the far side refuses (a final response above 2xx), leaves unanswered (the call
//! ends) or that cannot be sent frees its token at once: nobody was told to call it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::call::CallState;
use super::engine::Engine;
use super::ids::{CallId, Side};
use super::transfer::TransferRequest;
use crate::grammar::{NameAddr, Uri};
use crate::transaction::ServerTxId;
use crate::wire::{Known, Message};

/// Relayed REFERs whose token may still be called.
pub const RELAYED_REFERS: usize = 1024;

/// How long a relayed REFER's token maps back (RFC 3515's implicit subscription is said
/// to last as long: [`SUBSCRIPTION_SECS`](super::transfer::SUBSCRIPTION_SECS)).
pub const RELAYED_REFER_LIFETIME: Duration = Duration::from_secs(60);

/// The prefix of a relayed REFER's token (the user part of the SBC URI in its Refer-To).
pub const TOKEN_PREFIX: &str = "xfer-";

/// What an INVITE to a relayed REFER's token is mapped back to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayedRefer {
    /// The Refer-To as the referrer sent it: the new call's Request-URI.
    pub request: TransferRequest,
    /// The name (trunk or realm) of the referrer's leg: the target is on that trunk or
    /// routed from it.
    pub referrer: String,
    /// The name of the leg the REFER was relayed to: only its INVITE maps back.
    pub relayed_to: String,
}

/// The tokens of relayed REFERs, bounded in number and lifetime.
#[derive(Debug, Default)]
pub struct ReferTokens {
    /// By token: the REFER, and when its token stops mapping back.
    live: HashMap<String, (RelayedRefer, Instant)>,
}

impl ReferTokens {
    /// Keeps `refer` under `token` until `now` + [`RELAYED_REFER_LIFETIME`]; `false`
    /// when [`RELAYED_REFERS`] are live already.
    fn insert(&mut self, now: Instant, token: String, refer: RelayedRefer) -> bool {
        self.live.retain(|_, (_, expires)| *expires > now);
        if self.live.len() >= RELAYED_REFERS {
            return false;
        }
        self.live
            .insert(token, (refer, now + RELAYED_REFER_LIFETIME));
        true
    }

    /// The REFER relayed under `token`, forgotten (a token maps back once), if it is
    /// live and `from` is the leg it was relayed to.
    fn take(&mut self, now: Instant, token: &str, from: &str) -> Option<RelayedRefer> {
        let (refer, expires) = self.live.get(token)?;
        if *expires <= now {
            self.live.remove(token);
            return None;
        }
        if refer.relayed_to != from {
            return None;
        }
        self.live.remove(token).map(|(refer, _)| refer)
    }

    /// Forgets `token` (its REFER was refused, or never reached the far side).
    fn remove(&mut self, token: &str) {
        self.live.remove(token);
    }

    /// Live tokens (for tests and views).
    pub fn len(&self) -> usize {
        self.live.len()
    }
}

/// A REFER about to be relayed: what it carries instead of the referrer's Refer-To and
/// Referred-By, and the token that Refer-To names.
pub(crate) struct RelayedHeaders {
    pub headers: Vec<(Known, String)>,
    pub token: String,
}

impl Engine {
    /// A REFER from leg `side` of `id` whose trunk relays transfers: the headers the
    /// relayed REFER carries instead of the referrer's Refer-To and Referred-By (and its
    /// token), or the REFER has been answered (refused) and `None` comes back.
    pub(crate) fn refer_to_relay(
        &mut self,
        now: Instant,
        id: CallId,
        side: Side,
        tx: ServerTxId,
        request: &Message,
    ) -> Option<RelayedHeaders> {
        let call = self.calls.get(&id)?;
        if call.state != CallState::Confirmed {
            let why = "no transfer before the call is up";
            self.answer(now, tx, 403, Vec::new(), Some(why));
            return None;
        }
        let own = [
            call.plan.inbound.advertised.as_str(),
            call.plan.outbound.advertised.as_str(),
        ];
        let parties = [call.a.remote_target.as_str(), call.b.remote_target.as_str()];
        let transfer = match TransferRequest::from_refer(request, &own, &parties) {
            Ok(t) => t,
            Err(e) => {
                self.answer(now, tx, e.status(), Vec::new(), Some(&e.to_string()));
                return None;
            }
        };
        let (referrer, relayed_to) = match side {
            Side::A => (call.plan.from_name.clone(), call.plan.to_name.clone()),
            Side::B => (call.plan.to_name.clone(), call.plan.from_name.clone()),
        };
        let other = call.dialog(side.other());
        let sbc = other.via_host.clone();
        let referred_by = presented(&other.local_party, &sbc);
        let token = format!(
            "{TOKEN_PREFIX}{:016x}{:016x}",
            self.tokens.next_u64(),
            self.tokens.next_u64()
        );
        let refer = RelayedRefer {
            request: transfer,
            referrer,
            relayed_to,
        };
        if !self.refer_tokens.insert(now, token.clone(), refer) {
            let why = format!("{RELAYED_REFERS} relayed transfers are waiting already");
            self.answer(
                now,
                tx,
                503,
                vec![(Known::RetryAfter, "5".into())],
                Some(&why),
            );
            return None;
        }
        Some(RelayedHeaders {
            headers: vec![
                (Known::ReferTo, format!("<sip:{token}@{sbc}>")),
                (Known::ReferredBy, referred_by),
            ],
            token,
        })
    }

    /// Forgets a relayed REFER's token: the far side refused the REFER (a final response
    /// above 2xx), did not answer it, or it could not be sent. Its INVITE could only come
    /// from a peer that ignored its own refusal; the slot is free for another at once.
    pub(crate) fn forget_relayed_refer(&mut self, token: &str) {
        self.refer_tokens.remove(token);
    }

    /// The relayed REFER an INVITE whose Request-URI user is `user` maps back to, once;
    /// `from` is the name (trunk or realm) of the leg the INVITE came from.
    pub fn take_relayed_refer(
        &mut self,
        now: Instant,
        user: &str,
        from: &str,
    ) -> Option<RelayedRefer> {
        if !user.starts_with(TOKEN_PREFIX) {
            return None;
        }
        self.refer_tokens.take(now, user, from)
    }

    /// Relayed REFERs whose token may still be called.
    pub fn relayed_refers(&self) -> usize {
        self.refer_tokens.len()
    }
}

/// `<sip:USER@sbc>` of a dialog's local party (the name the far side knows the referrer
/// by, at the SBC).
fn presented(local_party: &str, sbc: &str) -> String {
    let user = NameAddr::parse(local_party)
        .ok()
        .and_then(|a| match a.uri {
            Uri::Sip(u) => u.user.map(str::to_owned),
            Uri::Other { .. } => None,
        })
        .unwrap_or_else(|| "anonymous".into());
    format!("<sip:{user}@{sbc}>")
}

/// A sipfrag body (RFC 3420) as it may cross: its start line only (a NOTIFY's sipfrag may
/// carry headers of the far side's messages).
pub(crate) fn sipfrag_status_line(body: &[u8]) -> Vec<u8> {
    let end = body
        .windows(2)
        .position(|w| w == b"\r\n")
        .or_else(|| body.iter().position(|&b| b == b'\n'))
        .unwrap_or(body.len());
    let mut line = body[..end].to_vec();
    line.extend_from_slice(b"\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relayed(to: &str) -> RelayedRefer {
        RelayedRefer {
            request: TransferRequest {
                target: "sip:1@192.0.2.1".into(),
                user: Some("1".into()),
                host: "192.0.2.1".into(),
                referred_by: None,
            },
            referrer: "teams".into(),
            relayed_to: to.into(),
        }
    }

    #[test]
    fn tokens_are_bounded_in_number_and_lifetime() {
        let now = Instant::now();
        let mut t = ReferTokens::default();
        for i in 0..RELAYED_REFERS {
            assert!(t.insert(now, format!("xfer-{i}"), relayed("pbx")));
        }
        assert!(!t.insert(now, "xfer-more".into(), relayed("pbx")), "full");
        let later = now + RELAYED_REFER_LIFETIME;
        assert!(t.take(later, "xfer-0", "pbx").is_none(), "expired");
        assert!(
            t.insert(later, "xfer-more".into(), relayed("pbx")),
            "expired ones make room"
        );
        assert_eq!(t.len(), 1);
        assert!(
            t.take(later, "xfer-more", "carrier").is_none(),
            "another leg"
        );
        assert!(t.take(later, "xfer-more", "pbx").is_some());
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn a_sipfrag_crosses_as_its_status_line() {
        assert_eq!(
            sipfrag_status_line(b"SIP/2.0 180 Ringing\r\nContact: <sip:x@10.0.0.1>\r\n"),
            b"SIP/2.0 180 Ringing\r\n"
        );
        assert_eq!(
            sipfrag_status_line(b"SIP/2.0 200 OK"),
            b"SIP/2.0 200 OK\r\n"
        );
        assert_eq!(
            sipfrag_status_line(b"SIP/2.0 200 OK\nX: y"),
            b"SIP/2.0 200 OK\r\n"
        );
        assert_eq!(sipfrag_status_line(b""), b"\r\n");
    }
}
