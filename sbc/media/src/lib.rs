//! The media engine of the Edge SBC (sans-IO).
//!
//! * [`PortPool`] — the even RTP ports of a realm's `media_ports` range (RTCP on +1).

mod pool;

pub use pool::PortPool;
