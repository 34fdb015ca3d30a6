//! Digest credentials: the value of `Authorization` / `Proxy-Authorization` (RFC 3261
//! §22.2, §22.4; RFC 7616 §3.4), built by a client and checked by a server.

use std::fmt;

use super::algorithm::{Algorithm, Qop};
use super::challenge::Challenge;
use super::error::AuthError;
use super::lex::{parse_list, quote};

/// What credentials are computed over: the request's method, its Request-URI (the
/// `uri` parameter, RFC 3261 §22.4) and, for `qop=auth-int` only, its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestRequest<'a> {
    pub method: &'a str,
    pub uri: &'a str,
    pub body: &'a [u8],
}

/// One set of Digest credentials. [`fmt::Display`] prints the header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The user name as sent: `H(username:realm)` when [`Self::userhash`] is set.
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    /// The request digest in lowercase hex.
    pub response: String,
    /// MD5 when the credentials named none (RFC 2617 §3.2.2).
    pub algorithm: Algorithm,
    pub cnonce: Option<String>,
    pub qop: Option<Qop>,
    /// The nonce count, printed as 8 hex digits.
    pub nc: Option<u32>,
    pub opaque: Option<String>,
    pub userhash: bool,
}

/// HA1 of the plain algorithm: `H(username ":" realm ":" password)`, what registrars
/// store instead of the password (Kamailio's `ha1` column). For a `-sess` algorithm
/// the session key is derived from it per nonce and cnonce.
pub fn ha1(algorithm: Algorithm, username: &str, realm: &str, password: &str) -> String {
    algorithm.hash(&[username.as_bytes(), realm.as_bytes(), password.as_bytes()])
}

impl Authorization {
    /// The credentials answering `challenge` for `request` (RFC 7616 §3.4.1): the
    /// challenge's preferred qop ([`Challenge::preferred_qop`]), `cnonce` and `nc` when
    /// a qop is used, `opaque` echoed, `username` hashed when `userhash` was asked for.
    pub fn answer(
        challenge: &Challenge,
        username: &str,
        password: &str,
        request: &DigestRequest<'_>,
        cnonce: &str,
        nc: u32,
    ) -> Result<Authorization, AuthError> {
        let qop = challenge.preferred_qop();
        if qop.is_none() && challenge.algorithm.is_session() {
            // RFC 2617 §3.2.2: cnonce "MUST NOT be specified if the server did not send
            // a qop directive", but -sess needs one: the challenge cannot be answered.
            return Err(AuthError::UnsupportedQop { qop: String::new() });
        }
        let alg = challenge.algorithm;
        let sent_username = if challenge.userhash {
            alg.hash(&[username.as_bytes(), challenge.realm.as_bytes()])
        } else {
            username.to_owned()
        };
        let mut auth = Authorization {
            username: sent_username,
            realm: challenge.realm.clone(),
            nonce: challenge.nonce.clone(),
            uri: request.uri.to_owned(),
            response: String::new(),
            algorithm: alg,
            cnonce: qop.map(|_| cnonce.to_owned()),
            qop,
            nc: qop.map(|_| nc),
            opaque: challenge.opaque.clone(),
            userhash: challenge.userhash,
        };
        let key = ha1(alg, username, &challenge.realm, password);
        auth.response = auth.expected_response(&key, request.method, request.body)?;
        Ok(auth)
    }

    /// The `response` these credentials must carry for a request with `method` and
    /// `body`, given the plain [`ha1`] of the user (RFC 7616 §3.4.1–§3.4.3; RFC 2617
    /// §3.2.2.1–§3.2.2.3 for MD5 and the no-qop form).
    pub fn expected_response(
        &self,
        ha1: &str,
        method: &str,
        body: &[u8],
    ) -> Result<String, AuthError> {
        let alg = self.algorithm;
        let nonce = self.nonce.as_bytes();
        let cnonce = self.cnonce.as_deref().map(str::as_bytes);
        let key = if alg.is_session() {
            let cnonce = cnonce.ok_or(AuthError::MissingParam { name: "cnonce" })?;
            alg.hash(&[ha1.as_bytes(), nonce, cnonce])
        } else {
            ha1.to_owned()
        };
        let (method, uri) = (method.as_bytes(), self.uri.as_bytes());
        let ha2 = match self.qop {
            Some(Qop::AuthInt) => alg.hash(&[method, uri, alg.hash(&[body]).as_bytes()]),
            _ => alg.hash(&[method, uri]),
        };
        Ok(match self.qop {
            None => alg.hash(&[key.as_bytes(), nonce, ha2.as_bytes()]),
            Some(qop) => {
                let cnonce = cnonce.ok_or(AuthError::MissingParam { name: "cnonce" })?;
                let nc = self.nc.ok_or(AuthError::MissingParam { name: "nc" })?;
                let nc = format!("{nc:08x}");
                alg.hash(&[
                    key.as_bytes(),
                    nonce,
                    nc.as_bytes(),
                    cnonce,
                    qop.as_str().as_bytes(),
                    ha2.as_bytes(),
                ])
            }
        })
    }

    /// Whether these credentials prove knowledge of `password` for a request with
    /// `method` and `body` (the body matters for `qop=auth-int` only). The comparison
    /// takes the same time wherever the digests differ.
    ///
    /// Only the digest is checked: the caller must also check that the nonce is one it
    /// issued and still accepts, the realm is its own, and `nc` grew (replay). With
    /// `userhash=true` the user must first be resolved from the hash and
    /// [`Self::verify_ha1`] used, so this returns false.
    pub fn verify(&self, password: &str, method: &str, body: &[u8]) -> bool {
        !self.userhash
            && self.verify_ha1(
                &ha1(self.algorithm, &self.username, &self.realm, password),
                method,
                body,
            )
    }

    /// Like [`Self::verify`], from a stored [`ha1`] instead of the password.
    pub fn verify_ha1(&self, ha1: &str, method: &str, body: &[u8]) -> bool {
        match self.expected_response(ha1, method, body) {
            Ok(expected) => constant_time_eq(
                expected.as_bytes(),
                &self.response.to_ascii_lowercase().into_bytes(),
            ),
            Err(_) => false,
        }
    }

    /// Reads a `Authorization` / `Proxy-Authorization` value.
    pub fn parse(value: &str) -> Result<Authorization, AuthError> {
        let list = parse_list(value)?;
        let [raw] = list.as_slice() else {
            return Err(AuthError::malformed("more than one credentials value"));
        };
        if !raw.is_digest() {
            return Err(AuthError::NotDigest {
                scheme: raw.scheme.clone(),
            });
        }
        let algorithm = raw
            .get("algorithm")
            .map_or(Ok(Algorithm::Md5), Algorithm::parse)?;
        let qop = match raw.get("qop") {
            None => None,
            Some(q) => {
                Some(Qop::parse(q).ok_or_else(|| AuthError::UnsupportedQop { qop: q.to_owned() })?)
            }
        };
        let nc = match raw.get("nc") {
            None => None,
            Some(n) => Some(parse_nc(n)?),
        };
        let auth = Authorization {
            username: raw.require("username")?.to_owned(),
            realm: raw.require("realm")?.to_owned(),
            nonce: raw.require("nonce")?.to_owned(),
            uri: raw.require("uri")?.to_owned(),
            response: raw.require("response")?.to_owned(),
            algorithm,
            cnonce: raw.get("cnonce").map(str::to_owned),
            qop,
            nc,
            opaque: raw.get("opaque").map(str::to_owned),
            userhash: raw
                .get("userhash")
                .is_some_and(|s| s.eq_ignore_ascii_case("true")),
        };
        if auth.qop.is_some() && auth.cnonce.is_none() {
            return Err(AuthError::MissingParam { name: "cnonce" });
        }
        if auth.qop.is_some() && auth.nc.is_none() {
            return Err(AuthError::MissingParam { name: "nc" });
        }
        Ok(auth)
    }
}

/// `nc-value = 8LHEX`; fewer digits are accepted from lenient peers.
fn parse_nc(s: &str) -> Result<u32, AuthError> {
    if s.is_empty() || s.len() > 8 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AuthError::malformed(format!(
            "nc \"{s}\" is not 8 hex digits"
        )));
    }
    u32::from_str_radix(s, 16).map_err(|_| AuthError::malformed(format!("nc \"{s}\"")))
}

/// Server-side check of an `Authorization` header value against `password`, for
/// `qop=auth` and no-qop credentials (see [`Authorization::verify`] for `auth-int`
/// and for what else the caller must check). `Ok(false)`: well-formed but wrong.
pub fn verify(authorization: &str, password: &str, method: &str) -> Result<bool, AuthError> {
    Ok(Authorization::parse(authorization)?.verify(password, method, b""))
}

/// Compares without an early exit, so the time taken does not tell an attacker how
/// many leading characters of a guessed response were right. Lengths are public.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y));
    std::hint::black_box(diff) == 0
}

impl fmt::Display for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Digest username={}, realm={}, nonce={}, uri={}, response=\"{}\", algorithm={}",
            quote(&self.username),
            quote(&self.realm),
            quote(&self.nonce),
            quote(&self.uri),
            self.response,
            self.algorithm,
        )?;
        if let Some(cnonce) = &self.cnonce {
            write!(f, ", cnonce={}", quote(cnonce))?;
        }
        if let Some(opaque) = &self.opaque {
            write!(f, ", opaque={}", quote(opaque))?;
        }
        if let Some(qop) = self.qop {
            write!(f, ", qop={qop}")?;
        }
        if let Some(nc) = self.nc {
            write!(f, ", nc={nc:08x}")?;
        }
        if self.userhash {
            f.write_str(", userhash=true")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares_everything() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn nc_values() {
        assert_eq!(parse_nc("00000001"), Ok(1));
        assert_eq!(parse_nc("ffffffff"), Ok(u32::MAX));
        assert!(parse_nc("100000000").is_err());
        assert!(parse_nc("0x1").is_err());
    }
}
