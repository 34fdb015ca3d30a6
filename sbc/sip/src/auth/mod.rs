//! HTTP Digest authentication as SIP uses it (RFC 3261 §22, RFC 2617, RFC 7616, and
//! RFC 8760 for SHA-256 and SHA-512/256 in SIP).
//!
//! Pure functions and plain values: nothing here keeps time, does IO or draws random
//! numbers (the caller passes 64 random bits wherever a cnonce is made).
//!
//! # As a client (the SBC registering at a carrier, or answered 401/407 on a call)
//!
//! ```text
//! on 401/407:   let challenge = select_challenge(&response)?;   // strongest supported
//!               let mut session = DigestSession::new(challenge); // or session.update(..)
//! each request: let auth = session.authorize(user, password,
//!                   &DigestRequest { method: "REGISTER", uri: request_uri, body: b"" },
//!                   random)?;
//!               request.set_header(session.header(), auth.to_string());
//! ```
//!
//! [`select_challenge`] reads `WWW-Authenticate` for a 401 and `Proxy-Authenticate`
//! for a 407, skips what it cannot answer (another scheme, an unknown algorithm such
//! as `AKAv1-MD5`, a qop list without `auth`/`auth-int`) and prefers SHA-512-256, then
//! SHA-256, then MD5. [`DigestSession`] counts uses of a nonce (`nc`), so credentials
//! can be sent up front on later requests; a `stale=true` challenge is answered again
//! with the new nonce ([`Challenge::stale`]) rather than treated as a wrong password.
//!
//! # As a server (authenticating registering phones)
//!
//! ```text
//! let auth = Authorization::parse(request.header(Known::Authorization)?)?;
//! // the caller checks: auth.realm is ours, auth.nonce is one we issued and still
//! // accept, auth.nc grew since the last request on that nonce, auth.uri matches
//! let ok = auth.verify(password_of(&auth.username), method, body);   // or verify_ha1
//! ```
//!
//! The response comparison is constant-time. Credentials name the algorithm and qop
//! they used; the server should refuse an algorithm it did not offer.
//!
//! # Test vectors
//!
//! `vectors.rs` (unit tests beside this code) checks RFC 2617 §3.5 and the three
//! examples of RFC 7616 §3.9 (SHA-256, MD5, and SHA-512-256 with userhash, the last with
//! the corrected values of erratum 4897) both as client output and as server input.

mod algorithm;
mod authorization;
mod challenge;
mod error;
mod lex;
mod session;
#[cfg(test)]
mod vectors;

pub use algorithm::{Algorithm, Qop};
pub use authorization::{Authorization, DigestRequest, ha1, verify};
pub use challenge::{Challenge, ChallengeKind, challenges, select_challenge};
pub use error::AuthError;
pub use session::DigestSession;
