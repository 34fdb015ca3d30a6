//! A call's state: two dialogs and what is in flight between them.

use std::time::Instant;

use super::dialog::Dialog;
use super::ids::{CallId, Side};
use super::plan::RelayPlan;
use super::prack_uac::EarlyFork;
use super::prack_uas::{HeldOk, ReliableA};
use super::session_timer::SessionTimer;
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
    /// A never acknowledged a reliable provisional response (RFC 3262 §3): its INVITE
    /// was answered 500.
    PrackTimeout,
    /// The session interval passed without a refresh (RFC 4028 §10).
    SessionExpired,
    /// The media plane saw no RTP/RTCP for its inactivity time
    /// ([`Engine::hang_up`](super::Engine::hang_up)).
    MediaTimeout,
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
    /// CSeq number of the request as relayed (on the other leg).
    pub cseq: u32,
    /// CSeq number of the request as received (its ACK repeats it).
    pub in_cseq: u32,
    /// A final response arrived: the transaction only lingers (RFC 6026), and a
    /// retransmitted 2xx is re-ACKed, not relayed again.
    pub answered: bool,
    /// Session-Expires of the request when its sender supports session timers: put in
    /// a 2xx that lacks one, making the sender the refresher (RFC 4028 §8.2, as a proxy).
    pub session_expires: Option<u32>,
    /// A relayed REFER's token (`refer = "relay"`): freed at once when the far side
    /// refuses the REFER, or does not answer it.
    pub refer_token: Option<String>,
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
    /// The initial INVITE to B.
    Invite,
    /// The initial INVITE to B once answered: it lingers (RFC 6026 Accepted, 64*T1) to
    /// pass on 2xx retransmissions and forks, but the call no longer waits for it.
    InviteAnswered,
    /// An in-dialog request relayed from the other leg.
    Relay(Relay),
    /// A BYE the SBC sends to end the call.
    Bye,
    /// A PRACK the SBC sends for a reliable provisional response of B (RFC 3262 §4).
    Prack,
    /// A session refresh the SBC sends itself as the refresher (RFC 4028 §10).
    Refresh(Refresh),
    /// The INVITE of a blind transfer to its target (`transfer_call.rs`).
    Transfer,
    /// That INVITE once answered and bridged: it lingers to re-ACK a retransmitted 2xx.
    TransferAnswered { side: Side, cseq: u32 },
    /// The SBC's re-INVITE taking a kept party off hold after a transfer (`resume.rs`).
    Resume(super::resume::ResumeInvite),
    /// An INVITE to a target abandoned after `invite_timeout` (no longer retransmitted):
    /// a late provisional response gets the CANCEL held back for it, a late 2xx an ACK
    /// and a BYE on the leg it would have set up.
    Abandoned(Box<Abandoned>),
}

/// What is needed to end what an abandoned INVITE may still set up.
#[derive(Debug, Clone)]
pub struct Abandoned {
    /// The B leg as that INVITE opened it.
    pub dialog: super::dialog::Dialog,
    /// The INVITE's CSeq number (its ACK's).
    pub cseq: u32,
}

/// A session refresh of the SBC's own on the B leg.
#[derive(Debug, Clone)]
pub struct Refresh {
    pub method: Method,
    pub cseq: u32,
    /// A final response arrived (see [`Relay::answered`]).
    pub answered: bool,
}

/// Early dialogs of B remembered per call (a hostile B could open one per 18x).
pub const MAX_EARLY_DIALOGS: usize = 8;

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
    /// The last ACK sent to A for a 2xx of A's (to a relayed re-INVITE).
    pub a_ack: Option<Message>,
    pub awaiting_ack: Vec<AwaitingAck>,
    /// Client transactions of this call still waiting for their final response (BYEs
    /// included). One that has its final answer may linger in the transaction layer (Timer
    /// D, K, RFC 6026 M) to absorb retransmissions, but the call no longer waits for it.
    pub open: std::collections::HashSet<ClientTxId>,
    pub end_reason: Option<EndReason>,
    /// The `Reason` header of the BYE or CANCEL that ended the call (RFC 3326), carried on
    /// to the other leg's BYE or CANCEL.
    pub bye_reason: Option<String>,
    /// The media plane has been told the call is over.
    pub released: bool,
    /// RFC 3262 on the A leg: present when A's INVITE allows reliable provisional
    /// responses (Supported or Require: 100rel).
    pub rel_a: Option<ReliableA>,
    /// RFC 3262 on the B leg: the RSeq last taken from each early dialog of B.
    pub b_forks: Vec<EarlyFork>,
    /// B's early dialogs (one per To tag of its 18x, at most [`MAX_EARLY_DIALOGS`], the
    /// oldest dropped), for requests of the SBC's own before the answer
    /// ([`Engine::send_in_dialog`](super::Engine::send_in_dialog)); cleared at the answer.
    pub b_early: Vec<super::dialog::Dialog>,
    /// B's 2xx, mapped for A, held until A PRACKs the reliable provisional response
    /// with a body still unacknowledged (RFC 3262 §3).
    pub held_ok: Option<HeldOk>,
    /// The initial offer/answer completed in the early dialog (INVITE without SDP, B's
    /// offer in a reliable 18x, A's answer in its PRACK): the 2xx carries no new offer.
    pub early_answer: bool,
    /// RFC 4028 session timer state.
    pub timer: SessionTimer,
    /// A blind transfer in progress (`refer = "handle"`).
    pub transfer: Option<Box<super::transfer_call::Transfer>>,
    /// The referrer's dialog after a completed transfer: its BYE is answered 200 and ends
    /// nothing else.
    pub retired: Option<Dialog>,
    /// Transfers completed in this call ([`MAX_TRANSFERS`](super::transfer_call::MAX_TRANSFERS)).
    pub transfers: u8,
    /// A kept party to take off hold after a transfer, until its re-INVITE is answered.
    pub resume: Option<super::resume::PendingResume>,
}

impl Call {
    pub fn dialog(&self, side: Side) -> &Dialog {
        match side {
            Side::A => &self.a,
            Side::B => &self.b,
        }
    }

    /// The last ACK sent on leg `side`.
    pub fn last_ack(&self, side: Side) -> Option<&Message> {
        match side {
            Side::A => self.a_ack.as_ref(),
            Side::B => self.b_ack.as_ref(),
        }
    }

    /// Records the ACK just sent on leg `side`.
    pub fn set_last_ack(&mut self, side: Side, ack: Message) {
        match side {
            Side::A => self.a_ack = Some(ack),
            Side::B => self.b_ack = Some(ack),
        }
    }

    pub fn dialog_mut(&mut self, side: Side) -> &mut Dialog {
        match side {
            Side::A => &mut self.a,
            Side::B => &mut self.b,
        }
    }
}
