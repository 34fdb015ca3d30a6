//! Requests of the SBC's own inside a call: an INFO with a DTMF digit the media plane heard
//! as RTP events, a NOTIFY. They go on one leg only, in its dialog (or in one of B's early
//! dialogs before the answer: DTMF to an IVR that answered with 183), with the next CSeq of
//! that leg and a transaction of their own; the other leg never hears of them. Their
//! responses come back as [`EngineEvent::Response`](super::EngineEvent::Response) (or
//! [`EngineEvent::Timeout`](super::EngineEvent::Timeout)) with the transaction id returned
//! here, and unlike a relayed request's, a 408 or 481 does not end the call: the caller
//! decides.

use std::time::Instant;

use super::call::CallState;
use super::engine::Engine;
use super::ids::{CallId, Side};
use crate::transaction::{ClientTxId, TransactionError};
use crate::wire::{Known, Method};

/// Why [`Engine::send_in_dialog`] sent nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OwnRequestError {
    #[error("no call {call}")]
    UnknownCall { call: CallId },
    #[error("call {call} is ending")]
    Ending { call: CallId },
    /// B has not answered and has no early dialog with this tag.
    #[error("no dialog on leg {side:?} of call {call} (fork {fork:?})")]
    NoDialog {
        call: CallId,
        side: Side,
        fork: Option<String>,
    },
    /// INVITE, ACK, BYE, CANCEL, PRACK and UPDATE change the session or the dialog, which
    /// the engine owns.
    #[error("{method} is not a request the SBC sends on its own in a call")]
    NotAllowed { method: String },
    #[error(transparent)]
    Transaction(#[from] TransactionError),
}

/// Methods [`Engine::send_in_dialog`] sends.
fn allowed(method: &Method) -> bool {
    !matches!(
        method,
        Method::Invite
            | Method::Ack
            | Method::Bye
            | Method::Cancel
            | Method::Prack
            | Method::Update
            | Method::Register
    )
}

impl Engine {
    /// Sends `method` of the SBC's own on leg `side` of `call`, with `headers` and a body
    /// (`(content type, bytes)`). Before the answer, leg B is one of its early dialogs:
    /// `fork` is the To tag of the 18x that opened it (ignored once B answered). Returns the
    /// transaction whose response comes back as an engine event.
    #[allow(clippy::too_many_arguments)]
    pub fn send_in_dialog(
        &mut self,
        now: Instant,
        call: CallId,
        side: Side,
        fork: Option<&str>,
        method: Method,
        headers: Vec<(Known, String)>,
        body: Option<(String, Vec<u8>)>,
    ) -> Result<ClientTxId, OwnRequestError> {
        if !allowed(&method) {
            return Err(OwnRequestError::NotAllowed {
                method: method.to_string(),
            });
        }
        let branch = self.tokens.branch();
        let c = self
            .calls
            .get_mut(&call)
            .ok_or(OwnRequestError::UnknownCall { call })?;
        if c.state == CallState::Ending {
            return Err(OwnRequestError::Ending { call });
        }
        let answered = matches!(c.state, CallState::Answered | CallState::Confirmed);
        let (mut request, peer) = if side == Side::B && !answered {
            let no_dialog = || OwnRequestError::NoDialog {
                call,
                side,
                fork: fork.map(str::to_owned),
            };
            let tag = fork.ok_or_else(no_dialog)?;
            let early = c
                .b_early
                .iter()
                .find(|d| d.remote_tag.as_deref() == Some(tag))
                .ok_or_else(no_dialog)?;
            // One CSeq space for the leg, whichever early dialog a request goes in.
            c.b.local_cseq = c.b.local_cseq.wrapping_add(1);
            (
                early.request_with_cseq(method, c.b.local_cseq, &branch),
                early.peer,
            )
        } else {
            let dialog = c.dialog_mut(side);
            let peer = dialog.peer;
            (dialog.request(method, &branch), peer)
        };
        for (name, value) in headers {
            request.push_header(name, value);
        }
        request.push_header(Known::UserAgent, self.agent.as_str());
        if let Some((content_type, bytes)) = body {
            request.push_header(Known::ContentType, content_type);
            request.set_body(bytes);
        }
        let tx = self.send_request(now, request, peer)?;
        Ok(tx)
    }
}
