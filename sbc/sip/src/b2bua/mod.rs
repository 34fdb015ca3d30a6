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
//! * extra 2xx from other forks: ACK and BYE.
//!
//! Headers cross only through [`headers::copy_crossing`]; session descriptions only
//! through the [`SessionHook`], where the media plane anchors and rewrites them.

mod answer;
mod call;
mod dialog;
mod engine;
pub mod headers;
mod hook;
mod ids;
mod in_dialog;
mod outgoing;
mod plan;
mod teardown;

pub use call::{CallState, EndReason};
pub use engine::{Engine, EngineConfig, EngineEvent};
pub use hook::{BodyRole, NotAcceptable, PassThrough, SessionHook};
pub use ids::{CallId, Side, Tokens};
pub use outgoing::RelayError;
pub use plan::{LegIdentity, RelayPlan, Target};
