//! Starting a call: the A leg's dialog from the INVITE, the B leg's INVITE to a target.

use std::time::Instant;

use super::call::{Call, CallState, EndReason, Purpose};
use super::dialog::{Dialog, contact_uri, record_route};
use super::engine::{CallTimer, Engine, EngineEvent};
use super::headers::{copy_crossing, supports};
use super::hook::{Body, BodyRole, SessionHook};
use super::ids::{CallId, Side};
use super::plan::RelayPlan;
use super::prack_uas::ReliableA;
use super::session_timer::{SessionTimer, apply_retry};
use crate::grammar::Uri;
use crate::transaction::{Peer, ServerTxId};
use crate::wire::{Known, Message, Method};

/// Why a request could not be relayed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RelayError {
    #[error("no target to relay to")]
    NoTarget,
    #[error("only INVITE starts a call")]
    NotInvite,
    #[error("the request lacks a usable {0}")]
    BadRequest(&'static str),
}

impl Engine {
    /// Relays an out-of-dialog INVITE reported by [`EngineEvent::Request`] as a new call,
    /// per `plan`. On error the request has been answered (500/488) already.
    pub fn relay(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        request: &Message,
        peer: Peer,
        plan: RelayPlan,
        hook: &mut dyn SessionHook,
    ) -> Result<CallId, RelayError> {
        if request.method() != Some(&Method::Invite) {
            self.answer(now, tx, 501, Vec::new(), Some("only calls are relayed"));
            return Err(RelayError::NotInvite);
        }
        if plan.targets.is_empty() {
            self.answer(now, tx, 503, Vec::new(), Some("no peer available"));
            return Err(RelayError::NoTarget);
        }
        let a = match self.a_dialog(request, peer, &plan) {
            Ok(d) => d,
            Err(e) => {
                self.answer(now, tx, 400, Vec::new(), Some(&e.to_string()));
                return Err(e);
            }
        };
        let id = self.new_call_id();
        let b = self.b_dialog(&plan, 0, request);
        self.dialogs
            .insert((a.call_id.clone(), a.local_tag.clone()), (id, Side::A));
        self.dialogs
            .insert((b.call_id.clone(), b.local_tag.clone()), (id, Side::B));
        let call = Call {
            id,
            plan,
            state: CallState::Calling,
            a,
            b,
            a_invite: Some(tx),
            a_request: request.clone(),
            b_invite: None,
            b_invite_cseq: 0,
            target: 0,
            provisional_seen: false,
            offer_in_invite: !request.body().is_empty(),
            cancelled: false,
            b_ack: None,
            a_ack: None,
            awaiting_ack: Vec::new(),
            open: Default::default(),
            end_reason: None,
            bye_reason: None,
            released: false,
            rel_a: supports(request, "100rel").then(|| ReliableA::new(&mut self.tokens)),
            b_forks: Vec::new(),
            b_early: Vec::new(),
            held_ok: None,
            early_answer: false,
            timer: SessionTimer {
                a_supports: supports(request, "timer"),
                ..SessionTimer::default()
            },
            transfer: None,
            retired: None,
            transfers: 0,
            resume: None,
        };
        hook.call_started(id, &call.plan);
        self.calls.insert(id, call);
        self.events.push_back(EngineEvent::CallStarted { call: id });
        self.send_b_invite(now, id, hook);
        Ok(id)
    }

    /// The A leg, as the UAS of the received INVITE sees it (§12.1.1).
    fn a_dialog(
        &mut self,
        request: &Message,
        peer: Peer,
        plan: &RelayPlan,
    ) -> Result<Dialog, RelayError> {
        let from = request.from().map_err(|_| RelayError::BadRequest("From"))?;
        let to_value = request
            .header(Known::To)
            .ok_or(RelayError::BadRequest("To"))?;
        let call_id = request.call_id().ok_or(RelayError::BadRequest("Call-ID"))?;
        let cseq = request.cseq().map_err(|_| RelayError::BadRequest("CSeq"))?;
        let remote_target = contact_uri(request).ok_or(RelayError::BadRequest("Contact"))?;
        let local_tag = self.tokens.tag();
        Ok(Dialog {
            call_id: call_id.to_owned(),
            local_party: format!("{to_value};tag={local_tag}"),
            local_tag,
            remote_tag: from.tag().map(str::to_owned),
            remote_party: request.header(Known::From).unwrap_or_default().to_owned(),
            local_cseq: 0,
            remote_cseq: Some(cseq.seq),
            remote_target,
            route_set: record_route(request),
            peer,
            contact: contact_for(&plan.inbound.advertised, peer.transport),
            via_host: plan.inbound.advertised.clone(),
            last_sdp: None,
        })
    }

    /// A fresh B leg towards target `index` (§12.1.2 once answered).
    pub(crate) fn b_dialog(&mut self, plan: &RelayPlan, index: usize, request: &Message) -> Dialog {
        let target = &plan.targets[index];
        let host = &plan.outbound.advertised;
        let from_user = request
            .from()
            .ok()
            .and_then(|f| uri_user(&f.uri))
            .unwrap_or_else(|| "anonymous".into());
        let from_display = request
            .from()
            .ok()
            .and_then(|f| f.display.map(str::to_owned));
        let to_user = request
            .to()
            .ok()
            .and_then(|t| uri_user(&t.uri))
            .unwrap_or_else(|| plan.user.clone());
        let local_tag = self.tokens.tag();
        let transport_param = transport_param(target.peer.transport);
        let display = from_display.map(|d| format!("{d} ")).unwrap_or_default();
        let remote_target = target
            .request_uri
            .clone()
            .unwrap_or_else(|| format!("sip:{}@{}{transport_param}", plan.user, target.host));
        // A sips: Request-URI asks for TLS on every hop (RFC 5630): the SBC's Contact must
        // be sips: too (RFC 3261 §8.1.1.8), and To names the peer the same way.
        let sips = is_sips(&remote_target);
        let (scheme, contact) = if sips {
            ("sips", format!("<sips:{host}>"))
        } else {
            ("sip", contact_for(host, target.peer.transport))
        };
        Dialog {
            call_id: self.tokens.call_id(),
            local_party: format!("{display}<sip:{from_user}@{host}>;tag={local_tag}"),
            local_tag,
            remote_tag: None,
            remote_party: format!("<{scheme}:{to_user}@{}>", target.host),
            local_cseq: 0,
            remote_cseq: None,
            remote_target,
            route_set: Vec::new(),
            peer: target.peer,
            contact,
            via_host: host.clone(),
            last_sdp: None,
        }
    }

    /// Sends the INVITE on the B leg of `id` to its current target.
    pub(crate) fn send_b_invite(
        &mut self,
        now: Instant,
        id: crate::b2bua::CallId,
        hook: &mut dyn SessionHook,
    ) {
        let branch = self.tokens.branch();
        let agent = self.agent.clone();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let mut invite = call.b.request(Method::Invite, &branch);
        let max_forwards = call
            .a_request
            .max_forwards()
            .map_or(70, |m| m.saturating_sub(1));
        invite.set_header(Known::MaxForwards, max_forwards.to_string());
        copy_crossing(&call.a_request, &mut invite, call.plan.trust_identity);
        // The SBC's own options on this leg: it PRACKs B's reliable 18x itself (but an
        // offer from B in one needs A's answer, which only a reliable 18x to A brings
        // back), and keeps session timers (RFC 4028) whatever A supports.
        invite.remove_header(Known::Supported);
        if call.offer_in_invite || call.rel_a.is_some() {
            invite.push_header(Known::Supported, "100rel, timer");
        } else {
            invite.push_header(Known::Supported, "timer");
        }
        if let Some(min) = call.timer.retry_se {
            apply_retry(&mut invite, min);
        }
        invite.push_header(Known::UserAgent, agent);
        if !call.a_request.body().is_empty() {
            let ct = call.a_request.header(Known::ContentType);
            match hook.relay_body(Body {
                call: id,
                from: Side::A,
                role: BodyRole::Offer,
                fork: None,
                content_type: ct,
                bytes: call.a_request.body(),
            }) {
                Ok(body) => {
                    call.b.last_sdp = Some(body.clone());
                    invite.set_body(body);
                }
                Err(e) => {
                    let why = e.0;
                    self.reject_a(now, id, 488, &why, EndReason::Failed(why.clone()), hook);
                    return;
                }
            }
        }
        call.b_invite_cseq = call.b.local_cseq;
        let peer = call.b.peer;
        match self.layer.start_client(now, invite, peer) {
            Ok(tx) => {
                let mut timeout = None;
                if let Some(call) = self.calls.get_mut(&id) {
                    call.b_invite = Some(tx);
                    call.open.insert(tx);
                    timeout = call.plan.invite_timeout;
                }
                self.clients.insert(tx, (id, Purpose::Invite));
                if let Some(after) = timeout {
                    self.arm(now + after, id, CallTimer::InviteTimeout(tx));
                }
            }
            Err(e) => {
                let why = format!("INVITE not sent: {e}");
                self.reject_a(now, id, 500, &why, EndReason::Failed(why.clone()), hook);
            }
        }
    }

    /// Answers A's INVITE with a final error and ends the call.
    pub(crate) fn reject_a(
        &mut self,
        now: Instant,
        id: crate::b2bua::CallId,
        code: u16,
        why: &str,
        reason: EndReason,
        hook: &mut dyn SessionHook,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if let Some(tx) = call.a_invite.take() {
            let tag = call.a.local_tag.clone();
            if let Ok(mut r) =
                self.layer
                    .response_to(tx, code, crate::wire::reason_phrase(code), Some(&tag))
            {
                r.push_header(Known::Server, self.agent.as_str());
                r.push_header(Known::Warning, super::engine::warning(&self.agent, why));
                let _ = self.layer.respond(now, tx, r);
            }
        }
        self.end_call(id, reason, hook);
    }
}

/// Our Contact on a side: `<sip:host:port;transport=..>`.
pub(crate) fn contact_for(advertised: &str, transport: sbc_core::Transport) -> String {
    format!("<sip:{advertised}{}>", transport_param(transport))
}

/// Whether `uri` has the `sips` scheme (any case).
fn is_sips(uri: &str) -> bool {
    uri.get(..5)
        .is_some_and(|s| s.eq_ignore_ascii_case("sips:"))
}

fn transport_param(t: sbc_core::Transport) -> &'static str {
    match t {
        sbc_core::Transport::Udp => "",
        sbc_core::Transport::Tcp => ";transport=tcp",
        sbc_core::Transport::Tls => ";transport=tls",
    }
}

fn uri_user(uri: &Uri<'_>) -> Option<String> {
    match uri {
        Uri::Sip(u) => u.user.map(str::to_owned),
        Uri::Other { scheme, rest } if scheme.eq_ignore_ascii_case("tel") => {
            Some(rest.split(';').next().unwrap_or_default().to_owned())
        }
        Uri::Other { .. } => None,
    }
}
