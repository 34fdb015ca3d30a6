//! What the layer stores per transaction: the state machine and the bookkeeping that
//! lets the layer find it again and clean up after it.

use super::ctx::{Ctx, Flow};
use super::error::TransactionError;
use super::events::{ClientTxId, Peer, ServerTxId};
use super::invite_client::InviteClient;
use super::invite_server::InviteServer;
use super::key::{ClientKey, MergeKey, ServerKey};
use super::non_invite_client::NonInviteClient;
use super::non_invite_server::NonInviteServer;
use super::timer::Timer;
use crate::Message;

#[derive(Debug)]
pub(crate) enum ClientMachine {
    Invite(InviteClient),
    NonInvite(NonInviteClient),
}

#[derive(Debug)]
pub(crate) struct ClientTx {
    pub(crate) peer: Peer,
    pub(crate) key: ClientKey,
    pub(crate) machine: ClientMachine,
    /// For an INVITE: the CANCEL the TU asked for (§9.1), possibly still deferred.
    pub(crate) cancel: Option<ClientTxId>,
}

impl ClientMachine {
    pub(crate) fn on_response(&mut self, ctx: &mut Ctx<'_, ClientTxId>, response: Message) -> Flow {
        match self {
            ClientMachine::Invite(m) => m.on_response(ctx, response),
            ClientMachine::NonInvite(m) => m.on_response(ctx, response),
        }
    }

    pub(crate) fn on_timer(&mut self, ctx: &mut Ctx<'_, ClientTxId>, timer: Timer) -> Flow {
        match self {
            ClientMachine::Invite(m) => m.on_timer(ctx, timer),
            ClientMachine::NonInvite(m) => m.on_timer(ctx, timer),
        }
    }

    /// §17.1.4: the transport failed to carry this transaction's request.
    pub(crate) fn on_transport_error(&mut self, ctx: &mut Ctx<'_, ClientTxId>) -> Flow {
        match self {
            ClientMachine::Invite(m) => m.on_transport_error(ctx),
            ClientMachine::NonInvite(m) => m.on_transport_error(ctx),
        }
    }

    pub(crate) fn is_deferred(&self) -> bool {
        matches!(self, ClientMachine::NonInvite(m) if m.is_deferred())
    }
}

#[derive(Debug)]
pub(crate) enum ServerMachine {
    Invite(InviteServer),
    NonInvite(NonInviteServer),
}

#[derive(Debug)]
pub(crate) struct ServerTx {
    pub(crate) peer: Peer,
    pub(crate) key: ServerKey,
    /// The To tag of the request that created the transaction (RFC 2543 matching).
    pub(crate) to_tag: Option<Box<str>>,
    /// Set when the transaction is registered for merge detection (§8.2.2.2).
    pub(crate) merge: Option<MergeKey>,
    /// Via, From, To, Call-ID and CSeq of the request, for
    /// [`TransactionLayer::response_to`](super::TransactionLayer::response_to).
    pub(crate) template: Message,
    pub(crate) machine: ServerMachine,
}

impl ServerTx {
    /// Whether `to_tag` (of a request found by an RFC 2543 key) belongs to this
    /// transaction: the request's own To tag, or for an ACK the tag of the response.
    pub(crate) fn to_tag_matches(&self, to_tag: Option<&str>, is_ack: bool) -> bool {
        if to_tag == self.to_tag.as_deref() {
            return true;
        }
        match &self.machine {
            ServerMachine::Invite(m) if is_ack => to_tag.is_some() && to_tag == m.to_tag(),
            _ => false,
        }
    }
}

impl ServerMachine {
    pub(crate) fn respond(
        &mut self,
        ctx: &mut Ctx<'_, ServerTxId>,
        response: &Message,
    ) -> Result<Flow, TransactionError> {
        match self {
            ServerMachine::Invite(m) => m.respond(ctx, response),
            ServerMachine::NonInvite(m) => m.respond(ctx, response),
        }
    }

    pub(crate) fn on_timer(&mut self, ctx: &mut Ctx<'_, ServerTxId>, timer: Timer) -> Flow {
        match self {
            ServerMachine::Invite(m) => m.on_timer(ctx, timer),
            ServerMachine::NonInvite(m) => m.on_timer(timer),
        }
    }

    /// A request that matched this transaction: a retransmission, or an ACK.
    pub(crate) fn on_request(&mut self, ctx: &mut Ctx<'_, ServerTxId>, request: Message) -> Flow {
        match self {
            ServerMachine::Invite(m) if request.method() == Some(&crate::Method::Ack) => {
                m.on_ack(ctx, request)
            }
            ServerMachine::Invite(m) => m.on_invite(ctx),
            ServerMachine::NonInvite(m) => m.on_request(ctx),
        }
    }
}
