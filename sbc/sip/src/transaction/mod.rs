//! The RFC 3261 §17 transaction layer, sans-IO.
//!
//! A transaction is one request and every response to it. This layer makes SIP over
//! UDP reliable (retransmitting requests and non-2xx finals, absorbing retransmissions
//! from the peer) and times out what gets no answer, so its user (the TU: dialogs and
//! the B2BUA) sees each request and each response once.
//!
//! # Run loop
//!
//! [`TransactionLayer`] never reads a clock or touches a socket (quinn-proto style).
//! The daemon drives it:
//!
//! ```text
//! loop {
//!     wait for a datagram/stream message, or until layer.poll_timeout()
//!     on a message:  layer.handle_message(now, Message::parse(..)?, peer)
//!     on timeout:    layer.handle_timeout(now)
//!     on a connection that could not be opened:
//!                    layer.transport_error(now, transport, local, remote)
//!     TU calls:      layer.start_client / respond / cancel / send_stateless
//!     drain:         while let Some(t) = layer.poll_transmit() { send t.payload from
//!                        t.local to t.remote over t.transport }
//!                    while let Some(e) = layer.poll_event() { tu.handle(e) } // may call in
//!     re-read poll_timeout() (any call may arm an earlier timer)
//! }
//! ```
//!
//! Tests drive a virtual clock: `handle_timeout(poll_timeout())` until it returns
//! `None`, so the 32 s of Timer B take microseconds.
//!
//! # The four machines
//!
//! | machine | states | timers |
//! |---|---|---|
//! | INVITE client (§17.1.1) | Calling, Proceeding, Completed, Accepted¹ | A, B, D, M, Cancel |
//! | non-INVITE client (§17.1.2) | Trying, Proceeding, Completed | E, F, K |
//! | INVITE server (§17.2.1) | Proceeding, Completed, Confirmed, Accepted¹ | Trying, G, H, I, L |
//! | non-INVITE server (§17.2.2) | Trying, Proceeding, Completed | J |
//!
//! ¹ RFC 6026. On TCP and TLS ([`sbc_core::Transport::is_reliable`]) A, E and G never
//! fire and D, I, J, K are zero: a transaction reaching those states terminates at once.
//!
//! # What the layer does by itself
//!
//! * sends 100 Trying for a new INVITE ([`TimerConfig::trying_delay`], default at once);
//! * ACKs non-2xx final responses to its INVITEs (§17.1.1.3), re-ACKing retransmissions;
//! * answers CANCEL: 200 when it matches an INVITE server transaction, 481 when not
//!   (§9.2), then reports [`TransactionEvent::Cancel`]; answering the INVITE 487 is the
//!   TU's job ([`TransactionLayer::response_to`] builds it from the INVITE);
//! * answers merged requests 482 (§8.2.2.2) without involving the TU;
//! * builds and sends CANCEL on [`TransactionLayer::cancel`], waiting for a provisional
//!   response first (§9.1);
//! * fails the client transactions of a flow the daemon reports broken
//!   ([`TransactionLayer::transport_error`], §17.1.4): [`TransactionEvent::Timeout`] with
//!   [`Timer::Transport`] at once, not Timer B/F 64*T1 later.
//!
//! # What it leaves to the TU
//!
//! 2xx responses to INVITE and their ACKs belong to the dialog (RFC 6026): the layer
//! passes every 2xx it receives (also retransmitted and forked ones, while Accepted)
//! as [`TransactionEvent::Response`], and later ones as
//! [`TransactionEvent::StrayResponse`]; the TU ACKs each with
//! [`TransactionLayer::send_stateless`]. On the server side the TU retransmits its 2xx
//! (§13.3.1.4) through [`TransactionLayer::respond`] until the ACK arrives as
//! [`TransactionEvent::Ack`]. An INVITE that keeps ringing stays Proceeding until the TU
//! cancels it (Timer C, §16.6, is the TU's policy), and a server transaction waits for
//! the TU's final response as long as it takes.
//!
//! # Invariants
//!
//! * Every transaction ends: each state either waits for the TU (Proceeding, Trying)
//!   or has a timer armed that terminates it. [`TransactionEvent::Terminated`] is the
//!   last event about a transaction, and [`TransactionLayer::len`] counts the living.
//! * Peer input never panics the layer and never yields an error: what cannot be
//!   placed is dropped. [`TransactionError`] only answers TU mistakes.
//! * Ids are never reused, so a stale id is an [`TransactionError`], not another
//!   transaction.

mod build;
mod ctx;
mod entry;
mod error;
mod events;
mod inbound;
mod invite_client;
mod invite_server;
mod key;
mod layer;
mod lifecycle;
mod non_invite_client;
mod non_invite_server;
mod timer;
mod transport;

pub use build::{new_branch, response_for};
pub use error::TransactionError;
pub use events::{ClientTxId, Peer, ServerTxId, TransactionEvent, TxId};
pub use layer::TransactionLayer;
pub use timer::{Timer, TimerConfig};
