//! Sans-IO SIP for the Edge SBC.
//!
//! * [`wire`] turns bytes into a [`Message`] and back. It is this crate's own parser,
//!   not rsip's: rsip 0.4 rejects valid RFC 4475 messages, accepts invalid ones, has no
//!   compact headers or extension methods and ignores Content-Length (see the README).
//!   Parsing is one pass over the received bytes that records spans; nothing is copied
//!   and unknown headers are relayed byte-exact.
//! * [`grammar`] gives typed, borrowing views of header values (Via, From/To, Contact,
//!   CSeq, URIs) that understand folded lines and white space around separators.
//! * [`StreamFramer`] splits a TCP/TLS byte stream into messages by Content-Length.
//!
//! Nothing in this crate reads a clock or owns a socket: the daemon feeds it bytes and
//! time and sends what it is asked to send.

pub mod auth;
pub mod b2bua;
mod deadlines;
pub mod grammar;
pub mod health;
pub mod q850;
pub mod registrar;
pub mod registration;
pub mod transaction;
pub mod uas;
pub mod wire;

pub use transaction::{
    ClientTxId, Peer, ServerTxId, Timer, TimerConfig, TransactionError, TransactionEvent,
    TransactionLayer, TxId,
};
pub use wire::{
    FrameError, Framing, HeaderName, HeaderRef, Known, Limits, Message, Method, ParseError,
    StreamEvent, StreamFramer, reject_response,
};
