//! [`DigestSession`]: a client's memory of one challenge, so later requests can carry
//! credentials up front and count their uses of the nonce (RFC 7616 §3.4: `nc`).

use super::authorization::{Authorization, DigestRequest};
use super::challenge::{Challenge, ChallengeKind};
use super::error::AuthError;
use crate::Known;

/// The challenge a client last answered, and how often it used that nonce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestSession {
    challenge: Challenge,
    /// Uses of `challenge.nonce` so far; the next credentials carry `nc + 1`.
    nc: u32,
}

impl DigestSession {
    pub fn new(challenge: Challenge) -> DigestSession {
        DigestSession { challenge, nc: 0 }
    }

    pub fn challenge(&self) -> &Challenge {
        &self.challenge
    }

    /// The header the credentials go in: `Authorization` or `Proxy-Authorization`.
    pub fn header(&self) -> Known {
        self.challenge.kind.credentials_header()
    }

    pub fn kind(&self) -> ChallengeKind {
        self.challenge.kind
    }

    /// Adopts a new challenge (a later 401/407). The nonce count restarts when the
    /// nonce changed and continues when the server repeated it.
    pub fn update(&mut self, challenge: Challenge) {
        if challenge.nonce != self.challenge.nonce {
            self.nc = 0;
        }
        self.challenge = challenge;
    }

    /// Credentials for the next request: the nonce count grows by one and the cnonce is
    /// 64 bits of the caller's randomness in hex (the core has no RNG).
    pub fn authorize(
        &mut self,
        username: &str,
        password: &str,
        request: &DigestRequest<'_>,
        random: u64,
    ) -> Result<Authorization, AuthError> {
        // 2^32 requests on one nonce do not happen; should they, nc wraps past zero.
        self.nc = self.nc.wrapping_add(1).max(1);
        let cnonce = format!("{random:016x}");
        Authorization::answer(
            &self.challenge,
            username,
            password,
            request,
            &cnonce,
            self.nc,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn challenge(nonce: &str) -> Challenge {
        Challenge::parse(
            &format!("Digest realm=\"r\", nonce=\"{nonce}\", qop=\"auth\""),
            ChallengeKind::Proxy,
        )
        .expect("valid")
    }

    #[test]
    fn nonce_count_per_nonce() {
        let req = DigestRequest {
            method: "REGISTER",
            uri: "sip:r",
            body: b"",
        };
        let mut s = DigestSession::new(challenge("n1"));
        assert_eq!(s.header(), Known::ProxyAuthorization);
        assert_eq!(s.authorize("u", "p", &req, 1).expect("ok").nc, Some(1));
        assert_eq!(s.authorize("u", "p", &req, 2).expect("ok").nc, Some(2));
        s.update(challenge("n1"));
        assert_eq!(s.authorize("u", "p", &req, 3).expect("ok").nc, Some(3));
        s.update(challenge("n2"));
        let a = s.authorize("u", "p", &req, 0xab).expect("ok");
        assert_eq!((a.nc, a.nonce.as_str()), (Some(1), "n2"));
        assert_eq!(a.cnonce.as_deref(), Some("00000000000000ab"));
        assert!(a.verify("p", "REGISTER", b""));
    }
}
