//! The B2BUA: every call is two independent dialogs, and nothing of one reaches the other.
//!
//! [`Engine`] owns the [`TransactionLayer`](crate::transaction::TransactionLayer) and the
//! calls, and is driven sans-IO like the layer (`handle_message`, `handle_timeout`,
//! `poll_transmit`, `poll_event`, `poll_timeout`). The daemon decides the fate of each
//! request outside a dialog — [`EngineEvent::Request`] — with its configuration: answer
//! it ([`Engine::answer`]) or relay it as a call ([`Engine::relay`] with a
//! [`RelayPlan`]: targets in failover order and the SBC's identity on each side).
//! Everything inside a call the engine handles alone:
//!
//! * provisional and final responses of B mapped onto A (the A leg's To tag is the SBC's
//!   own, chosen when the call starts; redirects and auth challenges from B are not
//!   shown to A); failover to the next target on timeout/408/503 before any 18x;
//! * CANCEL from A: 487 to A, CANCEL to B (a 2xx that crosses it is ACKed and BYEd);
//! * the 2xx to A retransmitted until A's ACK (§13.3.1.4), BYE to both after 64*T1;
//!   late offers (INVITE without SDP) forward the answer in A's ACK to B;
//! * in-dialog requests (re-INVITE, UPDATE, INFO, OPTIONS, ...) rebuilt on the other leg
//!   with its Call-ID, tags, CSeq, route set and the SBC's Via/Contact; responses mapped
//!   back; offers crossing each other get 491; 408/481 or no answer ends the call;
//! * BYE from either side: 200 at once, BYE to the other side;
//! * extra 2xx from other forks: ACK and BYE;
//! * reliable provisional responses (RFC 3262), each leg on its own (`prack_uac.rs`,
//!   `prack_uas.rs`): the SBC offers `100rel` to B and PRACKs B's reliable 18x itself,
//!   relaying each to A once; towards an A that allows 100rel every 18x goes reliably
//!   (RSeq, retransmitted until A's PRACK, one at a time, the others queued), A's PRACK
//!   is answered by the SBC, B's 2xx waits for the PRACK of an 18x with SDP, and no
//!   PRACK within 64*T1 fails A's INVITE with 500 ([`EndReason::PrackTimeout`]);
//! * session timers (RFC 4028, `session_timer.rs`): a watchdog per call re-armed by
//!   every successful re-INVITE/UPDATE and ending the call with BYE to both legs
//!   ([`EndReason::SessionExpired`]); the SBC refreshes B itself when A does not
//!   support timers and B makes A's side the refresher; a 422 from B is retried once.
//!
//! * in-dialog requests without a session description (INFO, NOTIFY, ...) pass the hook's
//!   [`SessionHook::in_dialog`] first: relayed, relayed with another body, or answered
//!   there; the SBC sends requests of its own in a call with [`Engine::send_in_dialog`]
//!   (one leg, its own transaction and CSeq, B's early dialogs included);
//! * REFER per the leg's [`ReferMode`]: answered 403 (`Reject`), a blind transfer the SBC
//!   completes itself (`Handle`, `transfer_call.rs`, asking the daemon where the target
//!   goes with [`EngineEvent::Transfer`]), or relayed to the other leg with a Refer-To
//!   that maps back (`Relay`, `refer_relay.rs`, the daemon taking the token with
//!   [`Engine::take_relayed_refer`] when the far side calls it).
//!
//! Headers cross only through [`headers::copy_crossing`]; session descriptions only
//! through the [`SessionHook`], where the media plane anchors and rewrites them.
//!
//! # Offer/answer in early dialogs
//!
//! | A's INVITE | B's 18x | what happens |
//! |---|---|---|
//! | with SDP | answer, reliable or not | PRACK to B without body; the answer goes to A in an 18x, reliable if A allows |
//! | without SDP, A allows 100rel | offer, reliable | B's PRACK waits; A gets the offer in a reliable 18x and answers in its PRACK, which the SBC relays in the PRACK to B; the 2xx then carries no new offer |
//! | without SDP, A does not allow 100rel | — | `100rel` is not offered to B (A could not answer an early offer); a reliable 18x B sends anyway is PRACKed without body |
//!
//! An offer in A's PRACK (after an answer in the 18x) is refused with 488 on the PRACK
//! (the 18x still counts as acknowledged). Other requests from A in its early dialog
//! (UPDATE, INFO ...) get 500 with Retry-After: B's dialog does not exist yet.

mod abandon;
mod ack;
mod answer;
mod call;
mod dialog;
mod engine;
pub mod headers;
mod hook;
mod ids;
mod in_dialog;
mod outgoing;
mod own_request;
mod plan;
mod prack_uac;
mod prack_uas;
mod refer_relay;
mod resume;
mod session_timer;
mod teardown;
mod transfer;
mod transfer_call;

pub use call::{CallState, EndReason};
pub use engine::{Bookkeeping, Engine, EngineConfig, EngineEvent, LegInfo};
pub use hook::{Body, BodyRole, InDialog, InDialogAction, NotAcceptable, PassThrough, SessionHook};
pub use ids::{CallId, Side, Tokens};
pub use outgoing::RelayError;
pub use own_request::OwnRequestError;
pub use plan::{LegIdentity, ReferMode, RelayPlan, Target};
pub use refer_relay::{RELAYED_REFER_LIFETIME, RELAYED_REFERS, RelayedRefer, TOKEN_PREFIX};
pub use resume::RESUME_ATTEMPTS;
pub use transfer::{NotifyParts, Progress, ReferError, SUBSCRIPTION_SECS, TransferRequest};
pub use transfer_call::{MAX_TRANSFERS, TransferError};
