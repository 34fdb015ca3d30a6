//! The message the SBC last received on each leg of a call, for header rules that read
//! the other leg (`${other.<Header>}` in an outbound rule's value).
//!
//! Kept only while some trunk has such a rule ([`OtherLegs::set_enabled`]); then every
//! message the core hands the engine is recorded (as text, after the trunk's inbound
//! rules) under its Call-ID when that Call-ID is a leg of a call in progress. A call's
//! first message, the caller's INVITE, arrives before the call exists: out-of-dialog
//! INVITEs wait until the engine reports the call each started
//! ([`OtherLegs::call_started`], which also pairs the two legs' Call-IDs) and are dropped
//! when the core has handled everything they caused ([`OtherLegs::settle`]: a batch of
//! received messages at most). Everything of a call is forgotten when it ends, so what is
//! kept is bounded by the calls in progress (two messages each). A leg the SBC adds later (a transfer's new leg) has no pair: a
//! rule reading the other leg leaves that leg's messages unchanged.

use std::collections::HashMap;

use sbc_rules::SipText;
use sbc_sip::{Known, Message, Method};

/// Last received message per leg, and which leg is whose other; see the module docs.
#[derive(Debug, Default)]
pub struct OtherLegs {
    enabled: bool,
    /// Leg Call-ID → the other leg's Call-ID.
    pairs: HashMap<String, String>,
    /// Engine call → its two legs' Call-IDs.
    calls: HashMap<u64, [String; 2]>,
    /// Leg Call-ID → the last message received on that leg.
    received: HashMap<String, SipText>,
    /// INVITEs received outside a dialog, by Call-ID, until their calls start.
    pending: HashMap<String, SipText>,
}

impl OtherLegs {
    /// Starts or stops keeping messages (stopping forgets everything kept).
    pub fn set_enabled(&mut self, enabled: bool) {
        if !enabled {
            *self = OtherLegs::default();
        }
        self.enabled = enabled;
    }

    /// `msg` was received and goes to the engine.
    pub fn received(&mut self, msg: &Message) {
        if !self.enabled {
            return;
        }
        let Some(call_id) = msg.call_id() else {
            return;
        };
        let known = self.pairs.contains_key(call_id);
        let new_call =
            msg.method() == Some(&Method::Invite) && msg.to().is_ok_and(|to| to.tag().is_none());
        if !known && !new_call {
            return;
        }
        let Ok(text) = SipText::parse(&msg.to_bytes()) else {
            return;
        };
        if known {
            self.received.insert(call_id.to_owned(), text);
        } else {
            self.pending.insert(call_id.to_owned(), text);
        }
    }

    /// The engine started call `call` with legs `a` (the caller's) and `b`.
    pub fn call_started(&mut self, call: u64, a: &str, b: &str) {
        if !self.enabled || a == b {
            return;
        }
        self.pairs.insert(a.to_owned(), b.to_owned());
        self.pairs.insert(b.to_owned(), a.to_owned());
        self.calls.insert(call, [a.to_owned(), b.to_owned()]);
        for id in [a, b] {
            if let Some(text) = self.pending.remove(id) {
                self.received.insert(id.to_owned(), text);
            }
        }
    }

    /// Everything received so far has been acted on: INVITEs that started no call
    /// (refused, answered by the SBC itself) are dropped.
    pub fn settle(&mut self) {
        self.pending.clear();
    }

    /// Call `call` ended: its legs are forgotten.
    pub fn call_ended(&mut self, call: u64) {
        for id in self.calls.remove(&call).into_iter().flatten() {
            self.pairs.remove(&id);
            self.received.remove(&id);
        }
    }

    /// The last message received on the other leg of the leg whose Call-ID is `call_id`.
    pub fn other_of(&self, call_id: &str) -> Option<&SipText> {
        self.received.get(self.pairs.get(call_id)?)
    }

    /// How many messages are kept (tests).
    #[cfg(test)]
    pub fn kept(&self) -> usize {
        self.received.len() + self.pending.len()
    }
}

/// The Call-ID of a message as text.
pub fn call_id_of(text: &SipText) -> Option<&str> {
    text.first(Known::CallId.as_str())
}
