//! RFC 4028 session timers, kept by the SBC: a watchdog per call, and refreshes of the
//! SBC's own when it is the refresher on the B leg.
//!
//! Session-Expires, Min-SE and the `timer` option tag cross the call as they are
//! ([`copy_crossing`](super::headers::copy_crossing)), so each refresh an endpoint sends
//! reaches the other one as the SBC's refresh on that leg, and the refresher roles of
//! both legs stay consistent. The SBC itself:
//!
//! * always offers `Supported: timer` to B, and retries the INVITE once with the larger
//!   interval when B answers 422 (§7.4); a second 422 goes to A;
//! * reads every 2xx to an INVITE or UPDATE of the call (the initial one, relayed
//!   re-INVITEs/UPDATEs in either direction, its own refreshes) as the requester sees
//!   it: with Session-Expires it (re-)arms the watchdog for that interval and notes who
//!   refreshes; without, the session has no timer any more (§7.2);
//! * fills in for a side that does not support timers: when the answerer's 2xx lacks
//!   Session-Expires but the request asked for one (and its sender supports timers),
//!   the 2xx relayed to the sender gets `Session-Expires: <requested>;refresher=uac`
//!   and `Require: timer`, so the sender refreshes (a proxy's job in §8.2);
//! * hides timers from an A that does not support them (Session-Expires and
//!   `Require: timer` are removed from what goes to A), and refreshes the B leg itself
//!   when B's 2xx makes the A side the refresher (`refresher=uac` to a request that came
//!   from such an A): at half the interval (§10), with UPDATE without a body when B's
//!   Allow lists UPDATE, else with a re-INVITE carrying the last SDP the SBC sent to B
//!   (an unchanged offer: B's answer is ACKed and not passed to the media plane).
//!   While the SBC refreshes B, A's re-INVITEs and UPDATEs carry the SBC's
//!   Session-Expires to B (else B's 2xx would switch the timer off), and one arriving
//!   during the SBC's own refresh gets 491. B's answer to the refresh: 2xx re-arms,
//!   491 retries after T2, 405/501 to UPDATE retries at once with re-INVITE, 422 retries
//!   with B's Min-SE, 408/481 or no answer ends the call, anything else leaves it to
//!   the watchdog;
//! * ends the call with BYE on both legs ([`EndReason::SessionExpired`]) when the
//!   interval passes without a successful refresh. The deadline is the full interval
//!   (the RFC's non-refresher BYEs a little before; the SBC, between the two, is lenient).
//!
//! Who refreshes, from the 2xx's `refresher` parameter: `uac` (or none) is the side the
//! request came from (A, B, or the SBC for its own refreshes), `uas` the side that
//! answered; "A" becomes "the SBC, on the B leg" when A does not support timers.

use std::time::{Duration, Instant};

use super::call::{CallState, EndReason, Purpose, Refresh};
use super::engine::{CallTimer, Engine};
use super::headers::{lists, remove_tag, supports};
use super::hook::SessionHook;
use super::ids::{CallId, Side};
use crate::wire::{Known, Message, Method};

/// Who refreshes the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresher {
    /// The endpoint on the A leg (its refreshes are relayed to B).
    A,
    /// The endpoint on the B leg (its refreshes are relayed to A).
    B,
    /// The SBC, on the B leg (A does not support timers).
    Sbc,
}

impl From<Side> for Refresher {
    fn from(side: Side) -> Self {
        match side {
            Side::A => Refresher::A,
            Side::B => Refresher::B,
        }
    }
}

/// The interval in force and who keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    pub secs: u32,
    pub refresher: Refresher,
}

/// A call's session timer state.
#[derive(Debug, Clone, Default)]
pub struct SessionTimer {
    /// A's INVITE listed `timer` in Supported or Require.
    pub a_supports: bool,
    /// Session-Expires (and Min-SE) for the INVITE to B after B's 422.
    pub retry_se: Option<u32>,
    /// B's Allow lists UPDATE: the SBC refreshes with UPDATE, else with re-INVITE.
    pub b_allows_update: bool,
    /// Set by the last 2xx that carried Session-Expires; `None` means no timer.
    pub current: Option<Negotiated>,
}

/// The `refresher` parameter of Session-Expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Uac,
    Uas,
}

/// `Session-Expires = delta-seconds *(SEMI se-params)` (§4): the interval and refresher.
fn parse_session_expires(v: &str) -> Option<(u32, Option<Role>)> {
    let mut parts = v.split(';');
    let secs = parts.next()?.trim().parse::<u32>().ok()?;
    let mut role = None;
    for p in parts {
        if let Some((name, value)) = p.split_once('=') {
            if name.trim().eq_ignore_ascii_case("refresher") {
                let value = value.trim();
                if value.eq_ignore_ascii_case("uac") {
                    role = Some(Role::Uac);
                } else if value.eq_ignore_ascii_case("uas") {
                    role = Some(Role::Uas);
                }
            }
        }
    }
    Some((secs, role))
}

/// The delta-seconds of a Session-Expires or Min-SE value.
pub(crate) fn interval_of(v: &str) -> Option<u32> {
    v.split(';').next()?.trim().parse().ok()
}

/// The Session-Expires interval a request asks for, when its sender supports timers.
pub(crate) fn requested(request: &Message) -> Option<u32> {
    if !supports(request, "timer") {
        return None;
    }
    request
        .header(Known::SessionExpires)
        .and_then(interval_of)
        .filter(|s| *s > 0)
}

/// Removes what only a timer-capable peer may receive (for an A that is not one).
pub(crate) fn hide_timer(msg: &mut Message) {
    msg.remove_header(Known::SessionExpires);
    msg.remove_header(Known::MinSe);
    remove_tag(msg, Known::Require, "timer");
}

/// Makes the requester of a refresh its refresher when the answer has no timer but the
/// request asked for one (§8.2).
pub(crate) fn fill_in(response: &mut Message, requested: Option<u32>) {
    if let Some(secs) = requested {
        if !response.has_header(Known::SessionExpires) {
            response.push_header(Known::SessionExpires, format!("{secs};refresher=uac"));
            if !lists(response, Known::Require, "timer") {
                response.push_header(Known::Require, "timer");
            }
        }
    }
}

/// The Session-Expires of the INVITE to B once B answered 422 with `min`: the same
/// parameters with the larger interval (§7.4).
pub(crate) fn apply_retry(invite: &mut Message, min: u32) {
    let params = invite
        .header(Known::SessionExpires)
        .and_then(|v| v.find(';').map(|i| v[i..].to_owned()))
        .unwrap_or_default();
    invite.set_header(Known::SessionExpires, format!("{min}{params}"));
    invite.set_header(Known::MinSe, min.to_string());
}

impl Engine {
    /// A 2xx to an INVITE or UPDATE of call `id`, as `requester` will receive it from
    /// the `answerer` side: (re-)arms the watchdog, or stops it (§7.2, §9).
    pub(crate) fn session_refreshed(
        &mut self,
        now: Instant,
        id: CallId,
        requester: Refresher,
        answerer: Side,
        response: &Message,
    ) {
        self.disarm(id, CallTimer::SessionExpires);
        self.disarm(id, CallTimer::SessionRefresh);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let parsed = response
            .header(Known::SessionExpires)
            .and_then(parse_session_expires)
            .filter(|(secs, _)| *secs > 0);
        let Some((secs, role)) = parsed else {
            call.timer.current = None;
            return;
        };
        let mut refresher = match role {
            Some(Role::Uas) => Refresher::from(answerer),
            Some(Role::Uac) | None => requester,
        };
        if refresher == Refresher::A && !call.timer.a_supports {
            refresher = Refresher::Sbc;
        }
        call.timer.current = Some(Negotiated { secs, refresher });
        let interval = Duration::from_secs(secs.into());
        self.arm(now + interval, id, CallTimer::SessionExpires);
        if refresher == Refresher::Sbc {
            self.arm(now + interval / 2, id, CallTimer::SessionRefresh);
        }
    }

    /// B answered the INVITE 422 (§7.4): retries once with B's Min-SE; `false` when
    /// the 422 is for A.
    pub(crate) fn retry_after_422(
        &mut self,
        now: Instant,
        id: CallId,
        response: &Message,
        hook: &mut dyn SessionHook,
    ) -> bool {
        let Some(call) = self.calls.get_mut(&id) else {
            return false;
        };
        let min = response.header(Known::MinSe).and_then(interval_of);
        let Some(min) = min.filter(|m| *m > 0) else {
            return false;
        };
        if call.timer.retry_se.is_some() {
            return false;
        }
        call.timer.retry_se = Some(min);
        call.b_forks.clear();
        call.b_early.clear();
        self.send_b_invite(now, id, hook);
        true
    }

    /// The watchdog fired: nobody refreshed the session in time (§10).
    pub(crate) fn session_expired(&mut self, now: Instant, id: CallId, hook: &mut dyn SessionHook) {
        if let Some(call) = self.calls.get_mut(&id) {
            call.timer.current = None;
        }
        self.hang_up_call(now, id, EndReason::SessionExpired, hook);
    }

    /// Time for the SBC's own refresh on the B leg (§10: half the interval).
    pub(crate) fn send_refresh(&mut self, now: Instant, id: CallId) {
        let retry = self.t2();
        let branch = self.tokens.branch();
        let agent = self.agent.clone();
        let busy = self.offer_in_progress(id);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(n) = call.timer.current.filter(|n| n.refresher == Refresher::Sbc) else {
            return;
        };
        if call.state == CallState::Ending {
            return;
        }
        if busy || call.state != CallState::Confirmed || !call.awaiting_ack.is_empty() {
            // Whatever is in progress may refresh the session itself; look again soon.
            self.arm(now + retry, id, CallTimer::SessionRefresh);
            return;
        }
        let sdp = call.b.last_sdp.clone();
        let method = match sdp {
            Some(_) if !call.timer.b_allows_update => Method::Invite,
            _ => Method::Update,
        };
        let mut request = call.b.request(method.clone(), &branch);
        request.push_header(Known::SessionExpires, format!("{};refresher=uac", n.secs));
        request.push_header(Known::Supported, "timer");
        request.push_header(Known::UserAgent, agent);
        if method == Method::Invite {
            if let Some(sdp) = sdp {
                request.push_header(Known::ContentType, "application/sdp");
                request.set_body(sdp);
            }
        }
        let cseq = call.b.local_cseq;
        let peer = call.b.peer;
        if let Ok(tx) = self.layer.start_client(now, request, peer) {
            call.open.insert(tx);
            self.clients.insert(
                tx,
                (
                    id,
                    Purpose::Refresh(Refresh {
                        method,
                        cseq,
                        answered: false,
                    }),
                ),
            );
        }
    }

    /// Whether an offer/answer or refresh transaction of call `id` is in progress.
    pub(crate) fn offer_in_progress(&mut self, id: CallId) -> bool {
        // Unanswered transactions are among the call's open ones.
        let Some(call) = self.calls.get(&id) else {
            return false;
        };
        self.visited += call.open.len() as u64;
        call.open.iter().any(|tx| match self.clients.get(tx) {
            Some((_, Purpose::Relay(r))) => {
                !r.answered && matches!(r.method, Method::Invite | Method::Update)
            }
            Some((_, Purpose::Refresh(r))) => !r.answered,
            Some((_, Purpose::Resume(r))) => !r.answered,
            _ => false,
        })
    }

    /// B's response to the SBC's own refresh.
    pub(crate) fn refresh_response(
        &mut self,
        now: Instant,
        id: CallId,
        refresh: Refresh,
        response: &Message,
        hook: &mut dyn SessionHook,
    ) {
        let Some(code) = response.status() else {
            return;
        };
        let retry = self.t2();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        match code {
            100..=199 => {}
            200..=299 => {
                if refresh.method == Method::Invite {
                    call.b.refresh_target(response);
                    let ack =
                        call.b
                            .request_with_cseq(Method::Ack, refresh.cseq, &self.tokens.branch());
                    self.layer.send_stateless(&ack, call.b.peer);
                    call.b_ack = Some(ack);
                }
                if call.state != CallState::Ending {
                    self.session_refreshed(now, id, Refresher::Sbc, Side::B, response);
                }
            }
            // §14.1: the other side's offer crossed ours; try again shortly.
            491 => self.arm(now + retry, id, CallTimer::SessionRefresh),
            405 | 501 if refresh.method == Method::Update && call.b.last_sdp.is_some() => {
                // Try again at once with a re-INVITE (never with UPDATE again).
                call.timer.b_allows_update = false;
                self.send_refresh(now, id);
            }
            422 => {
                let min = response.header(Known::MinSe).and_then(interval_of);
                if let (Some(min), Some(n)) = (min, call.timer.current.as_mut()) {
                    if min > n.secs {
                        n.secs = min;
                        self.send_refresh(now, id);
                    }
                }
            }
            // §10: the session is gone.
            408 | 481 => self.hang_up_call(now, id, EndReason::DialogLost(Side::B), hook),
            // Not refreshed: the watchdog decides.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_expires_values() {
        assert_eq!(
            parse_session_expires("1800;refresher=uac"),
            Some((1800, Some(Role::Uac)))
        );
        assert_eq!(
            parse_session_expires(" 90 ; Refresher = UAS"),
            Some((90, Some(Role::Uas)))
        );
        assert_eq!(parse_session_expires("90"), Some((90, None)));
        assert_eq!(parse_session_expires("x;refresher=uac"), None);
        assert_eq!(interval_of("120;foo"), Some(120));
    }

    #[test]
    fn retry_keeps_the_parameters() {
        let mut m = Message::request(Method::Invite, "sip:b@example.com");
        m.push_header(Known::SessionExpires, "90;refresher=uac");
        apply_retry(&mut m, 300);
        assert_eq!(m.header(Known::SessionExpires), Some("300;refresher=uac"));
        assert_eq!(m.header(Known::MinSe), Some("300"));
    }

    #[test]
    fn timers_are_hidden_and_filled_in() {
        let mut m = Message::response(200, "OK");
        m.push_header(Known::SessionExpires, "90;refresher=uac");
        m.push_header(Known::Require, "timer, foo");
        hide_timer(&mut m);
        assert_eq!(m.header(Known::SessionExpires), None);
        assert_eq!(m.header(Known::Require), Some("foo"));
        fill_in(&mut m, Some(120));
        assert_eq!(m.header(Known::SessionExpires), Some("120;refresher=uac"));
        assert!(lists(&m, Known::Require, "timer"));
    }
}
