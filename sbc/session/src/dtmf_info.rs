//! SIP INFO with DTMF crossing a call (`SessionHook::in_dialog`).
//!
//! From a `sip-info` leg, an INFO whose body is DTMF (`application/dtmf-relay`,
//! `application/dtmf`) is
//!
//! * answered 400 when the body is malformed (nothing played);
//! * answered 503 beyond the leg's budget ([`info_limit`](super::info_limit): a flood in
//!   one dialog, other calls untouched);
//! * relayed to the other leg when that one is `sip-info` too, its body rewritten when the
//!   two legs' `dtmf_info_type` differ;
//! * otherwise answered 200 by the SBC and never forwarded: the digit is played as RFC
//!   4733 events or tones on the other leg ([`MediaOp::PlayDigit`]), or, when that leg
//!   has no way to carry it, dropped (counted).
//!
//! INFOs of other types, and DTMF INFOs from legs that are not `sip-info`, are relayed as
//! they came. Every digit is noted for the management views ([`DigitNote`]), masked
//! unless both legs' `show_digits` allow it.

use sbc_config::DtmfMode;
use sbc_core::{Digit, DtmfWay, MediaOp, Side};
use sbc_sip::Method;
use sbc_sip::b2bua::{InDialog, InDialogAction};

use super::info;
use super::state::CallMedia;

/// A digit that crossed a call, for the views and the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigitNote {
    /// [`CallId::get`](sbc_sip::b2bua::CallId::get) of the call.
    pub call: u64,
    pub from: Side,
    /// Prints masked; reveal it only when `shown`.
    pub digit: Digit,
    pub duration_ms: u32,
    /// How it came and how it went on (`rfc4733`, `sip-info`, `inband`, `dropped`).
    pub came: &'static str,
    pub went: &'static str,
    /// Both legs' `show_digits` allow it.
    pub shown: bool,
}

/// Whether the digits of `call` may be shown (every leg says so).
pub fn shown(call: &CallMedia) -> bool {
    call.leg(Side::A).dtmf.show_digits && call.leg(Side::B).dtmf.show_digits
}

/// Decides one in-dialog request without SDP of `call`.
pub fn in_dialog(
    call: &mut CallMedia,
    ops: &mut Vec<MediaOp>,
    notes: &mut Vec<DigitNote>,
    r: &InDialog<'_>,
) -> InDialogAction {
    if *r.method != Method::Info {
        return InDialogAction::Relay;
    }
    let Some(t) = info::dtmf_type(r.content_type) else {
        return InDialogAction::Relay;
    };
    let from = call.leg(r.from).dtmf;
    if from.mode != DtmfMode::SipInfo {
        return InDialogAction::Relay;
    }
    let (digit, ms) = match info::parse(t, r.bytes) {
        Ok(d) => d,
        Err(e) => {
            tracing::info!(call = %r.call, side = %r.from, "DTMF INFO refused (400): {e}");
            return InDialogAction::Answer(400);
        }
    };
    if !call.info_budget[index(r.from)].take(r.now) {
        return InDialogAction::Answer(503);
    }
    let to = r.from.other();
    let to_policy = call.leg(to).dtmf;
    let way = call.dtmf_stream().map(|(i, a, b)| {
        let leg = if to == Side::A { a } else { b };
        (i, leg.way)
    });
    let mut note = DigitNote {
        call: r.call.get(),
        from: r.from,
        digit,
        duration_ms: ms,
        came: "sip-info",
        went: "sip-info",
        shown: shown(call),
    };
    let action = match (to_policy.mode, way) {
        (DtmfMode::SipInfo, _) => {
            if to_policy.info_type == t {
                InDialogAction::Relay
            } else {
                InDialogAction::Rewrite {
                    content_type: to_policy.info_type.content_type().to_owned(),
                    body: info::body(to_policy.info_type, digit, ms),
                }
            }
        }
        (_, Some((index, w @ (DtmfWay::Events | DtmfWay::Inband)))) => {
            ops.push(MediaOp::PlayDigit {
                stream: call.key(index),
                toward: to,
                digit,
                duration_ms: ms,
            });
            note.went = w.name();
            InDialogAction::Answer(200)
        }
        _ => {
            // No media yet, or the other leg has no way to carry digits.
            note.went = "dropped";
            InDialogAction::Answer(200)
        }
    };
    notes.push(note);
    action
}

fn index(side: Side) -> usize {
    match side {
        Side::A => 0,
        Side::B => 1,
    }
}
