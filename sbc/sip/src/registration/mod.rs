//! The SBC registering itself at a carrier's registrar (RFC 3261 §10.2), sans-IO.
//!
//! One [`RegistrationClient`] keeps one binding (AOR → the SBC's contact) alive: it
//! sends the first REGISTER, answers digest challenges ([`crate::auth`]), refreshes
//! before expiry, backs off after failures, and removes the binding on shutdown.
//! It never reads a clock, draws random numbers or sends anything: the caller passes
//! `now` and 64 random bits, and runs the REGISTERs it hands out in client
//! transactions of the [`TransactionLayer`](crate::TransactionLayer).
//!
//! # Run loop
//!
//! ```text
//! let mut reg = RegistrationClient::new(config, random())?;
//! loop {
//!     // after new(), and after every call below:
//!     while let Some(request) = reg.poll_request(now, random()) {
//!         let tx = layer.start_client(now, request, reg.config().peer)?;
//!         remember tx -> this registration
//!     }
//!     wait until reg.poll_timeout() (or a transaction event)
//!     on deadline:                                 reg.handle_timeout(now)
//!     on TransactionEvent::Response { tx, response } for a remembered tx:
//!                                                  reg.handle_response(now, &response)
//!     on TransactionEvent::Timeout { tx } (or a send error):
//!                                                  reg.handle_transaction_timeout(now)
//!     show reg.state() in the UI
//! }
//! on shutdown or when the trunk is removed: reg.unregister(), keep driving the loop
//! until reg.state() is Unregistered (or give up after a few seconds).
//! ```
//!
//! At most one REGISTER is in flight, so the client does not need the transaction id:
//! it checks that a response carries its Call-ID and the CSeq of the request in
//! flight, and returns false for anything else.
//!
//! # Behaviour
//!
//! | event | action |
//! |---|---|
//! | 2xx | Registered. Granted expiry: the `expires` of the Contact matching ours, else Expires, else what was asked. Refresh at `max(granted/2, granted − 60 s)` ([`REFRESH_MARGIN`]) after the REGISTER was sent; Expiry at `granted`. |
//! | 401 / 407 | Answer with credentials (same Call-ID, CSeq + 1). A second challenge of the same kind in one attempt fails ([`FailureReason::AuthenticationFailed`]) unless it says `stale=true` (then the new nonce is used, at most twice). Later requests (refreshes) carry credentials up front, nc counting up on the same nonce; a challenge to those is answered once more. |
//! | 423 | Ask again with Min-Expires, when it is above what was asked; otherwise fail. |
//! | other 3xx–6xx | Fail: retry after [`Backoff`] (30 s doubling to 30 min, jitter), or after Retry-After when given (not sooner than the first back-off step). |
//! | transaction timeout | Fail as above ([`FailureReason::Timeout`]). |
//! | success | the failure count, and so the back-off, starts over. |
//!
//! Every REGISTER of one client shares Call-ID and From tag; CSeq grows by one per
//! request (§10.2). Dropping a client and creating a new one (changed configuration)
//! starts a new Call-ID; call [`RegistrationClient::unregister`] on the old one first.

mod attempt;
mod client;
mod config;
mod message;
mod state;

pub use attempt::REFRESH_MARGIN;
pub use client::RegistrationClient;
pub use config::{Backoff, ConfigError, DEFAULT_EXPIRES, RegistrationConfig};
pub use state::{FailureReason, RegistrationState, RegistrationTimer};
