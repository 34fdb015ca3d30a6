//! A trunk's header manipulation rules run on one message's bytes: read as text, the
//! rules applied, written back, and parsed again by the SIP parser. A result the parser
//! refuses (which the rules' checks should make impossible) is not sent: the message
//! goes as it was, with a warning. Outbound rules get the message last received on the
//! call's other leg, found by the message's Call-ID.

use sbc_rules::{Direction, Outcome, RuleSet, SipText};

use super::other_leg::{OtherLegs, call_id_of};
use sbc_sip::{Framing, Limits, Message};
use tracing::{debug, warn};

/// `payload` after `rules` for `direction`; `None` when nothing changed (or the change
/// was refused).
pub fn apply(
    rules: &RuleSet,
    direction: Direction,
    trunk: &str,
    payload: &[u8],
    limits: &Limits,
    other_legs: Option<&OtherLegs>,
) -> Option<Vec<u8>> {
    let mut text = match SipText::parse(payload) {
        Ok(t) => t,
        Err(e) => {
            debug!(
                trunk,
                "header rules skipped, message not readable as text: {e}"
            );
            return None;
        }
    };
    let other = other_legs
        .zip(call_id_of(&text))
        .and_then(|(legs, id)| legs.other_of(id))
        .cloned();
    let mut changed = false;
    let outcomes = rules.apply(&mut text, direction, other.as_ref());
    for (i, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Outcome::Applied { changed: c } => changed |= c,
            Outcome::Refused { reason } => {
                debug!(
                    trunk,
                    rule = i,
                    "header rule left the message unchanged: {reason}"
                );
            }
            Outcome::NotApplicable => {}
        }
    }
    if !changed {
        return None;
    }
    let bytes = text.to_bytes();
    match Message::parse(bytes.clone(), Framing::Stream, limits) {
        Ok(_) => Some(bytes),
        Err(e) => {
            warn!(
                trunk,
                "header rules produced an invalid message, sent unchanged: {e}"
            );
            None
        }
    }
}
