//! Registration relay for phones behind NAT (RFC 3261 §10, as SBCs do it).
//!
//! A phone in an open realm registers through the SBC with a registrar trunk (the PBX).
//! The SBC keeps a [`Binding`] per phone contact and registers *its own* Contact
//! upstream — `sip:<token>@<SBC's address on the registrar's side>` — so the registrar
//! never learns the phone's address, and a call the registrar sends to that Contact
//! finds the phone again through the token ([`RegistrarRelay::by_token`]) at the
//! address the phone's packets really came from (NAT: not what its Contact says).
//!
//! NAT keep-alive: the phone is granted a short expiry (`nat_expires`, e.g. 60 s), so it
//! re-registers often and keeps its NAT binding open; while the upstream registration
//! is still valid well beyond that, such a refresh is answered by the SBC itself
//! (registration throttling) instead of being relayed.
//!
//! The relay is sans-IO. The daemon gives it each REGISTER with a [`RegisterPlan`]
//! ([`RegistrarRelay::handle_register`]); the result is either a response to send or a
//! REGISTER to send upstream (through `Engine::send_request`), whose client transaction
//! the daemon reports back ([`RegistrarRelay::forwarded`]) so that the upstream
//! response ([`RegistrarRelay::handle_response`]) turns into the phone's response.

mod binding;
mod relay;
mod upstream;

pub use binding::Binding;
pub use relay::{RegisterAction, RegisterPlan, RegistrarRelay};
