//! Why the layer refused something the TU asked of it.

use super::events::{ClientTxId, ServerTxId};
use crate::grammar::GrammarError;

/// A TU request the transaction layer cannot carry out. Peer input never produces one
/// of these: malformed peer messages are dropped (and logged at debug level).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransactionError {
    #[error("client transaction {tx} does not exist (it has terminated)")]
    UnknownClient { tx: ClientTxId },
    #[error("server transaction {tx} does not exist (it has terminated)")]
    UnknownServer { tx: ServerTxId },
    #[error("expected a request, got a response")]
    NotARequest,
    #[error("expected a response, got a request")]
    NotAResponse,
    #[error("ACK is never sent in a client transaction (use send_stateless)")]
    AckTransaction,
    #[error("request has no top Via with a branch")]
    MissingBranch,
    #[error("branch \"{branch}\" lacks the RFC 3261 magic cookie z9hG4bK")]
    NotRfc3261Branch { branch: String },
    #[error("missing {name} header")]
    MissingHeader { name: &'static str },
    #[error("malformed {name} header: {error}")]
    BadHeader {
        name: &'static str,
        error: GrammarError,
    },
    #[error("CSeq method {cseq} does not match request method {method}")]
    CSeqMethodMismatch { method: String, cseq: String },
    #[error("a {method} client transaction with branch \"{branch}\" already exists")]
    DuplicateTransaction { branch: String, method: String },
    #[error("{tx} is not an INVITE client transaction")]
    NotInvite { tx: ClientTxId },
    #[error("INVITE {tx} already has a final response; nothing to cancel")]
    AlreadyFinal { tx: ClientTxId },
    #[error("{tx} is {state}: a {status} response is not allowed")]
    ResponseNotAllowed {
        tx: ServerTxId,
        status: u16,
        state: &'static str,
    },
}
