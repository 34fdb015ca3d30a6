//! A call's state: two dialogs and what is in flight between them.

use std::time::Instant;

use super::dialog::Dialog;
use super::ids::{CallId, Side};
use super::plan::RelayPlan;
use crate::transaction::{ClientTxId, ServerTxId};
use crate::wire::{Message, Method};

/// Where the call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallState {
    /// The INVITE went to B; no final response yet.
    Calling,
    /// B answered; the 2xx went to A, whose ACK is awaited.
    Answered,
    /// Both legs confirmed: the call is up.
    Confirmed,
    /// Being torn down (CANCEL, BYE, failure); waiting for the last transactions.
    Ending,
}

/// Why a call ended, for logs and CDRs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndReason {
    /// A final non-2xx response ended the attempt (the code A received).
    Rejected(u16),
    /// A cancelled before answer.
    Cancelled,
    /// BYE from one side.
    Bye(Side),
    /// No ACK for a 2xx (§13.3.1.4).
    AckTimeout,
    /// An in-dialog request got no answer, or 481.
    DialogLost(Side),
    /// A failure in the SBC itself (a body refused by the media plane ...).
    Failed(String),
}

/// An in-dialog request relayed from one leg to the other, awaiting its response.
#[derive(Debug, Clone)]
pub struct Relay {
    /// The transaction on the leg the request came from.
    pub server_tx: ServerTxId,
    pub from: Side,
    pub method: Method,
    /// The request carried an SDP offer (so a 2xx carries the answer).
    pub offer_in_request: bool,
    pub cseq: u32,
}

/// A 2xx to an INVITE the SBC sent and retransmits until the ACK comes (§13.3.1.4).
#[derive(Debug, Clone)]
pub struct AwaitingAck {
    pub side: Side,
    pub server_tx: ServerTxId,
    pub cseq: u32,
    pub response: Message,
    pub interval: std::time::Duration,
    pub give_up: Instant,
    /// When the ACK arrives, one goes to the other leg too, carrying the ACK's body:
    /// the INVITE had no offer, so the 2xx carried it and the ACK carries the answer.
    pub forward_ack: Option<ForwardAck>,
}

/// An ACK the SBC owes the other leg once the peer's ACK arrives.
#[derive(Debug, Clone)]
pub struct ForwardAck {
    pub cseq: u32,
}

/// A client transaction of a call and what it is for.
#[derive(Debug, Clone)]
pub enum Purpose {
    /// The initial INVITE to B (target index).
    Invite,
    /// An in-dialog request relayed from the other leg.
    Relay(Relay),
    /// A BYE the SBC sends to end the call.
    Bye,
}

/// One call.
#[derive(Debug)]
pub struct Call {
    pub id: CallId,
    pub plan: RelayPlan,
    pub state: CallState,
    pub a: Dialog,
    pub b: Dialog,
    /// The INVITE server transaction on A until its final response.
    pub a_invite: Option<ServerTxId>,
    /// The INVITE as received from A (to re-send on failover).
    pub a_request: Message,
    /// The INVITE client transaction on B until its final response.
    pub b_invite: Option<ClientTxId>,
    /// CSeq number of B's INVITE (for its ACK).
    pub b_invite_cseq: u32,
    /// Index into `plan.targets` of the peer being tried.
    pub target: usize,
    /// B sent a provisional response: no failover any more.
    pub provisional_seen: bool,
    pub offer_in_invite: bool,
    pub cancelled: bool,
    /// The ACK sent for B's 2xx (re-sent when the 2xx is retransmitted).
    pub b_ack: Option<Message>,
    pub awaiting_ack: Vec<AwaitingAck>,
    /// Client transactions of this call still open (BYEs included).
    pub open_clients: usize,
    pub end_reason: Option<EndReason>,
    /// The media plane has been told the call is over.
    pub released: bool,
}

impl Call {
    pub fn dialog(&self, side: Side) -> &Dialog {
        match side {
            Side::A => &self.a,
            Side::B => &self.b,
        }
    }

    pub fn dialog_mut(&mut self, side: Side) -> &mut Dialog {
        match side {
            Side::A => &mut self.a,
            Side::B => &mut self.b,
        }
    }
}
