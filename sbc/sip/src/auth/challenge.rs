//! Digest challenges from `WWW-Authenticate` (401) and `Proxy-Authenticate` (407)
//! (RFC 3261 §22.1, §22.3; RFC 7616 §3.3), and the choice among several.

use super::algorithm::{Algorithm, Qop};
use super::error::AuthError;
use super::lex::{RawAuth, parse_list};
use crate::{Known, Message};

/// Who challenged: the registrar/UAS (401) or a proxy on the way (407). Decides the
/// header the credentials go in (RFC 3261 §22.2, §22.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChallengeKind {
    /// `WWW-Authenticate` in a 401, answered with `Authorization`.
    Www,
    /// `Proxy-Authenticate` in a 407, answered with `Proxy-Authorization`.
    Proxy,
}

impl ChallengeKind {
    /// The kind a response status asks for: 407 is a proxy's, anything else (401) the
    /// server's.
    pub fn for_status(status: u16) -> ChallengeKind {
        if status == 407 {
            ChallengeKind::Proxy
        } else {
            ChallengeKind::Www
        }
    }

    pub fn challenge_header(self) -> Known {
        match self {
            ChallengeKind::Www => Known::WwwAuthenticate,
            ChallengeKind::Proxy => Known::ProxyAuthenticate,
        }
    }

    pub fn credentials_header(self) -> Known {
        match self {
            ChallengeKind::Www => Known::Authorization,
            ChallengeKind::Proxy => Known::ProxyAuthorization,
        }
    }
}

/// One Digest challenge, owned (it outlives the response it came in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub kind: ChallengeKind,
    pub realm: String,
    pub nonce: String,
    /// Echoed unchanged in the credentials.
    pub opaque: Option<String>,
    /// `stale=true`: the previous credentials were right but their nonce expired; answer
    /// again with this nonce without treating it as a failure (RFC 2617 §3.2.1).
    pub stale: bool,
    pub algorithm: Algorithm,
    /// The offered qop values this implementation knows, in the server's order. Empty
    /// when the challenge had no `qop` (the RFC 2069 form, no cnonce and nc).
    pub qop: Vec<Qop>,
    /// `domain`: the URIs of the protection space, space-separated on the wire.
    pub domain: Vec<String>,
    /// `userhash=true` (RFC 7616 §3.4.4): send `H(username:realm)` as the username.
    pub userhash: bool,
}

impl Challenge {
    /// Reads one header field value holding exactly one challenge.
    pub fn parse(value: &str, kind: ChallengeKind) -> Result<Challenge, AuthError> {
        let mut list = parse_list(value)?;
        if list.len() != 1 {
            return Err(AuthError::malformed("more than one challenge"));
        }
        list.pop()
            .ok_or(AuthError::NoChallenge)
            .and_then(|raw| Challenge::from_raw(&raw, kind))
    }

    pub(crate) fn from_raw(raw: &RawAuth, kind: ChallengeKind) -> Result<Challenge, AuthError> {
        if !raw.is_digest() {
            return Err(AuthError::NotDigest {
                scheme: raw.scheme.clone(),
            });
        }
        let algorithm = raw
            .get("algorithm")
            .map_or(Ok(Algorithm::Md5), Algorithm::parse)?;
        let qop = match raw.get("qop") {
            None => Vec::new(),
            Some(list) => {
                let known: Vec<Qop> = list
                    .split(',')
                    .filter_map(|q| Qop::parse(q.trim_matches([' ', '\t'])))
                    .collect();
                if known.is_empty() {
                    return Err(AuthError::UnsupportedQop {
                        qop: list.to_owned(),
                    });
                }
                known
            }
        };
        Ok(Challenge {
            kind,
            realm: raw.require("realm")?.to_owned(),
            nonce: raw.require("nonce")?.to_owned(),
            opaque: raw.get("opaque").map(str::to_owned),
            stale: raw
                .get("stale")
                .is_some_and(|s| s.eq_ignore_ascii_case("true")),
            algorithm,
            qop,
            domain: raw
                .get("domain")
                .map(|d| d.split_ascii_whitespace().map(str::to_owned).collect())
                .unwrap_or_default(),
            userhash: raw
                .get("userhash")
                .is_some_and(|s| s.eq_ignore_ascii_case("true")),
        })
    }

    /// The qop the credentials will use: `auth` when offered (it needs no body), else
    /// `auth-int`, else none.
    pub fn preferred_qop(&self) -> Option<Qop> {
        if self.qop.contains(&Qop::Auth) {
            Some(Qop::Auth)
        } else {
            self.qop.first().copied()
        }
    }
}

/// Every challenge of `kind` in `response`, in order, each parsed or with the reason it
/// cannot be answered.
pub fn challenges(response: &Message, kind: ChallengeKind) -> Vec<Result<Challenge, AuthError>> {
    let mut out = Vec::new();
    for value in response.header_values(kind.challenge_header()) {
        match parse_list(value) {
            Ok(list) => out.extend(list.iter().map(|raw| Challenge::from_raw(raw, kind))),
            Err(e) => out.push(Err(e)),
        }
    }
    out
}

/// The challenge to answer in a 401 (`WWW-Authenticate`) or 407
/// (`Proxy-Authenticate`): among those this implementation supports, the strongest
/// algorithm (SHA-512-256, then SHA-256, then MD5), the first of equals.
///
/// RFC 8760 §2.4 has the UAC use the topmost supported challenge "unless a local policy
/// dictates otherwise"; preferring the strongest is that local policy, so a server that
/// lists MD5 first for old phones still gets SHA-256 from the SBC. Unsupported
/// challenges are skipped; when none is usable the most telling error is returned
/// (an unsupported algorithm or qop before a foreign scheme).
pub fn select_challenge(response: &Message) -> Result<Challenge, AuthError> {
    let kind = ChallengeKind::for_status(response.status().unwrap_or_default());
    let mut best: Option<Challenge> = None;
    let mut error: Option<AuthError> = None;
    for result in challenges(response, kind) {
        match result {
            Ok(c) => {
                if best
                    .as_ref()
                    .is_none_or(|b| c.algorithm.strength() > b.algorithm.strength())
                {
                    best = Some(c);
                }
            }
            Err(e) => {
                // Keep the first error, but let an unsupported Digest challenge
                // outrank a foreign scheme: it says more about what went wrong.
                let replace = match &error {
                    None => true,
                    Some(AuthError::NotDigest { .. }) => !matches!(e, AuthError::NotDigest { .. }),
                    Some(_) => false,
                };
                if replace {
                    error = Some(e);
                }
            }
        }
    }
    best.ok_or_else(|| error.unwrap_or(AuthError::NoChallenge))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_3261_example_challenge() {
        // RFC 3261 §20.44 and §25 (stale=FALSE, empty opaque).
        let c = Challenge::parse(
            "Digest realm=\"atlanta.com\",\r\n domain=\"sip:boxesbybob.com\", qop=\"auth\",\r\n \
             nonce=\"f84f1cec41e6cbe5aea9c8e88d359\",\r\n opaque=\"\", stale=FALSE, algorithm=MD5",
            ChallengeKind::Www,
        )
        .expect("valid");
        assert_eq!(c.realm, "atlanta.com");
        assert_eq!(c.domain, ["sip:boxesbybob.com"]);
        assert_eq!(c.qop, [Qop::Auth]);
        assert_eq!(c.opaque.as_deref(), Some(""));
        assert!(!c.stale);
        assert_eq!(c.algorithm, Algorithm::Md5);
    }

    #[test]
    fn qop_lists_and_defaults() {
        let c = Challenge::parse(
            "Digest realm=r, nonce=n, qop=\"auth-int , auth\", stale=TRUE",
            ChallengeKind::Proxy,
        )
        .expect("valid");
        assert_eq!(c.qop, [Qop::AuthInt, Qop::Auth]);
        assert_eq!(c.preferred_qop(), Some(Qop::Auth));
        assert!(c.stale);
        let legacy = Challenge::parse("Digest realm=r, nonce=n", ChallengeKind::Www).expect("ok");
        assert_eq!(legacy.preferred_qop(), None);
        assert_eq!(legacy.algorithm, Algorithm::Md5);
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let www = ChallengeKind::Www;
        assert_eq!(
            Challenge::parse("Basic realm=\"x\"", www),
            Err(AuthError::NotDigest {
                scheme: "Basic".into()
            })
        );
        assert_eq!(
            Challenge::parse("Digest realm=x", www),
            Err(AuthError::MissingParam { name: "nonce" })
        );
        assert_eq!(
            Challenge::parse("Digest realm=x, nonce=y, qop=\"auth-conf\"", www),
            Err(AuthError::UnsupportedQop {
                qop: "auth-conf".into()
            })
        );
        assert!(matches!(
            Challenge::parse("Digest realm=x, nonce=y, algorithm=AKAv1-MD5", www),
            Err(AuthError::UnsupportedAlgorithm { .. })
        ));
    }
}
