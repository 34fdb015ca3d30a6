//! Health checks of trunk peers: OPTIONS pings (RFC 3261 §11), sans-IO.
//!
//! A [`HealthMonitor`] watches any number of peers, each a [`ProbeTarget`] (a name for
//! logs, the [`Peer`](crate::Peer) to send to, the SBC's advertised address on that side)
//! with its [`HealthConfig`]. It builds the OPTIONS requests; the caller runs each in a
//! client transaction and feeds back what became of it. It never reads a clock, draws
//! random numbers or sends anything: `now` and 64 random bits are arguments.
//!
//! # Run loop
//!
//! ```text
//! let mut monitor = HealthMonitor::new(Some(user_agent));
//! let id = monitor.add(now, target, config, random())?;     // first probe jittered
//! loop {
//!     // after add(), and after every call below:
//!     while let Some((id, request, peer)) = monitor.poll_request(now, random()) {
//!         match engine.send_request(now, request, peer) {
//!             Ok(tx) => monitor.sent(id, tx),
//!             Err(_) => monitor.send_failed(now, id),
//!         }
//!     }
//!     while let Some((id, health)) = monitor.poll_change() { log it, using status(id) }
//!     wait until monitor.poll_timeout() (or a transaction event)
//!     on deadline:                                monitor.handle_timeout(now)
//!     on a response to an own request:            monitor.handle_response(now, tx, &resp)
//!     on a transaction timeout of an own request: monitor.handle_timeout_of(now, tx)
//!     route a call: skip peers whose state(id) is Some(Health::Down)
//! }
//! ```
//!
//! `handle_response` and `handle_timeout_of` return whether the transaction was one of
//! the monitor's (also a probe it already gave up on), so the caller can tell its own
//! requests apart.
//!
//! # Behaviour
//!
//! | event | effect |
//! |---|---|
//! | [`add`](HealthMonitor::add) | [`Health::Unknown`]; first OPTIONS after a random delay in `[0, interval)`, so peers added together are not probed in step |
//! | final response other than 408 and 503 (200, 404, 405, 403, 481 ...) | a success: the peer answers SIP. Unknown → Up at once; Down → Up after `up_after` successes in a row |
//! | 408, 503, no final response by the probe's deadline, Timer F, a send error | a failure; Unknown/Up → Down after `down_after` failures in a row |
//! | provisional response | nothing (the probe stays in flight) |
//!
//! At most one OPTIONS per peer is in flight. A probe's deadline is
//! `min(probe_timeout, period)` after it was sent ([`HealthTimer::Deadline`]), so it is
//! decided before the next one is due: Timer F (32 s) is far too slow to steer calls. The
//! next probe goes out one period after the previous was sent ([`HealthTimer::Probe`]);
//! the period is `interval`, or `min(interval, down_interval)` while the peer is Down, so
//! a dead peer is noticed coming back quickly. A response to a probe already given up on
//! is ignored.
//!
//! Each OPTIONS is a new request of its own (§8.1.1): fresh Call-ID, From tag and Via
//! branch. (One Call-ID per peer, as REGISTER does, is allowed too, but peers that keep
//! ended transactions by Call-ID — sipp does for 33 s — then drop every probe after the
//! first.) The CSeq counts the probes sent to the peer, which helps reading traces.

mod config;
mod message;
mod monitor;
mod state;

pub use config::{
    DEFAULT_DOWN_AFTER, DEFAULT_DOWN_INTERVAL, DEFAULT_INTERVAL, DEFAULT_PROBE_TIMEOUT,
    DEFAULT_UP_AFTER, HealthConfig, HealthError, ProbeTarget,
};
pub use message::is_alive;
pub use monitor::{FIRST_PROBE_SPREAD, HealthMonitor};
pub use state::{Health, HealthTimer, PeerId, PeerStatus, ProbeFailure};
