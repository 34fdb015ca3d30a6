//! What the transaction layer tells its user (the TU: dialogs, the B2BUA), and the
//! handles it gives out.

use std::fmt;
use std::net::SocketAddr;

use sbc_core::Transport;

use super::timer::Timer;
use crate::Message;

/// The other end of a message: the transport, the SBC's own address it arrived on (or
/// leaves from), and the remote address. Responses of a server transaction go back to
/// the `remote` the request came from, over the same `transport` and `local` address
/// (symmetric response routing, as RFC 3581 does for UDP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Peer {
    pub transport: Transport,
    pub local: SocketAddr,
    pub remote: SocketAddr,
}

/// A client transaction (a request the SBC sent). Ids are never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientTxId(pub(crate) u64);

/// A server transaction (a request the SBC received). Ids are never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerTxId(pub(crate) u64);

/// Either kind of transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TxId {
    Client(ClientTxId),
    Server(ServerTxId),
}

impl From<ClientTxId> for TxId {
    fn from(id: ClientTxId) -> Self {
        TxId::Client(id)
    }
}

impl From<ServerTxId> for TxId {
    fn from(id: ServerTxId) -> Self {
        TxId::Server(id)
    }
}

impl fmt::Display for ClientTxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ctx#{}", self.0)
    }
}

impl fmt::Display for ServerTxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "stx#{}", self.0)
    }
}

impl fmt::Display for TxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TxId::Client(id) => id.fmt(f),
            TxId::Server(id) => id.fmt(f),
        }
    }
}

/// Something the TU must know or act on. Retransmissions never show up here: the layer
/// absorbs retransmitted requests (answering them with the last response) and
/// retransmitted final responses (re-ACKing non-2xx ones itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransactionEvent {
    /// A new request other than ACK and CANCEL opened server transaction `tx`. The TU
    /// must answer it with [`respond`](super::TransactionLayer::respond); a final
    /// response is what ends the transaction. For INVITE the layer has already sent
    /// 100 Trying (see [`TimerConfig::trying_delay`](super::TimerConfig)).
    Request {
        tx: ServerTxId,
        request: Message,
        peer: Peer,
    },
    /// A new CANCEL (§9.2). The layer has already answered it — 200 OK when it matched
    /// an INVITE server transaction, 481 otherwise — so `tx` takes no response.
    /// `invite` is the matched INVITE transaction when it has not sent its final
    /// response yet: the TU should answer it 487 (and cancel its own outgoing leg),
    /// building the 487 from the INVITE — [`response_to`] does that from the
    /// transaction — never from this CANCEL, whose Via and CSeq differ.
    ///
    /// [`response_to`]: super::TransactionLayer::response_to
    /// `None` means there is nothing left to cancel.
    Cancel {
        tx: ServerTxId,
        invite: Option<ServerTxId>,
        request: Message,
        peer: Peer,
    },
    /// An ACK that belongs to no server transaction — the ACK for a 2xx, which is its
    /// own transaction of one message (§13.2.2.4, §17.1.1.3) — or one that reached an
    /// INVITE server transaction in Accepted (RFC 6026 §8.7). It goes to the dialog.
    Ack { request: Message, peer: Peer },
    /// A response for client transaction `tx`: every provisional, the first final, and
    /// (for INVITE) every further 2xx until Timer M (forks and retransmissions, each of
    /// which the TU must ACK: the layer never ACKs a 2xx).
    Response { tx: ClientTxId, response: Message },
    /// A response that matched no client transaction (§17.1.3, §18.1.2): typically a
    /// 2xx retransmitted after the INVITE client transaction ended. The B2BUA must
    /// re-ACK a stray 2xx for a dialog it knows (and BYE one it does not).
    StrayResponse { response: Message, peer: Peer },
    /// Client transaction `tx` got no final response: Timer B (INVITE) or F
    /// (non-INVITE) fired, or [`Timer::Cancel`] (a CANCELled INVITE never answered) —
    /// the TU treats it as a 408 (§8.1.3.1) — or, with [`Timer::Transport`], its
    /// request could not be sent ([`transport_error`], §17.1.4), which the TU treats
    /// as a 503. [`Terminated`](Self::Terminated) follows; the transaction is gone.
    ///
    /// [`transport_error`]: super::TransactionLayer::transport_error
    Timeout { tx: ClientTxId, timer: Timer },
    /// Timer H fired: the peer never ACKed the non-2xx final response of INVITE server
    /// transaction `tx` (§17.2.1). The transaction is gone.
    ServerTimeout { tx: ServerTxId },
    /// Transaction `tx` has ended and been removed; its id is now unknown to the layer.
    /// Comes last of all events about `tx`.
    Terminated { tx: TxId },
}
