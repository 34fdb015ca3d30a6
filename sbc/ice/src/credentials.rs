//! ICE credentials (RFC 8445 §5.3, RFC 8839 §5.4): a username fragment of at least 4
//! and a password of at least 22 `ice-char`s (`ALPHA / DIGIT / "+" / "/"`), at most 256.

use std::fmt;

/// The 64 `ice-char`s: six bits each.
const ICE_CHARS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Length of the ufrag the SBC makes: 8 chars, 48 random bits.
pub const UFRAG_LEN: usize = 8;
/// Length of the password the SBC makes: 24 chars, 144 random bits (RFC 8445 asks for
/// at least 128).
pub const PWD_LEN: usize = 24;
/// Random bytes [`Credentials::from_random`] takes.
pub const RANDOM_LEN: usize = (UFRAG_LEN + PWD_LEN) * 6 / 8;

/// A ufrag or password that breaks the grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    #[error("ice-ufrag must be 4 to 256 ice-chars, not {len} bytes")]
    UfragLength { len: usize },
    #[error("ice-pwd must be 22 to 256 ice-chars, not {len} bytes")]
    PwdLength { len: usize },
    #[error("{what} has a character outside ALPHA / DIGIT / \"+\" / \"/\"")]
    BadChar { what: &'static str },
}

/// One side's ufrag and password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    ufrag: String,
    pwd: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The password authenticates checks: never in logs.
        f.debug_struct("Credentials")
            .field("ufrag", &self.ufrag)
            .field("pwd", &"<redacted>")
            .finish()
    }
}

fn ice_chars(s: &str) -> bool {
    s.bytes().all(|b| ICE_CHARS.contains(&b))
}

impl Credentials {
    /// Checked credentials (from SDP: `a=ice-ufrag`, `a=ice-pwd`).
    pub fn new(ufrag: &str, pwd: &str) -> Result<Self, CredentialsError> {
        if !(4..=256).contains(&ufrag.len()) {
            return Err(CredentialsError::UfragLength { len: ufrag.len() });
        }
        if !(22..=256).contains(&pwd.len()) {
            return Err(CredentialsError::PwdLength { len: pwd.len() });
        }
        if !ice_chars(ufrag) {
            return Err(CredentialsError::BadChar { what: "ice-ufrag" });
        }
        if !ice_chars(pwd) {
            return Err(CredentialsError::BadChar { what: "ice-pwd" });
        }
        Ok(Credentials {
            ufrag: ufrag.to_owned(),
            pwd: pwd.to_owned(),
        })
    }

    /// The SBC's own, from `random` (the caller's CSPRNG: the core reads no entropy).
    pub fn from_random(random: &[u8; RANDOM_LEN]) -> Self {
        let mut chars = String::with_capacity(UFRAG_LEN + PWD_LEN);
        for group in random.chunks_exact(3) {
            let n = u32::from(group[0]) << 16 | u32::from(group[1]) << 8 | u32::from(group[2]);
            for shift in [18, 12, 6, 0] {
                chars.push(char::from(ICE_CHARS[((n >> shift) & 63) as usize]));
            }
        }
        let pwd = chars.split_off(UFRAG_LEN);
        Credentials { ufrag: chars, pwd }
    }

    pub fn ufrag(&self) -> &str {
        &self.ufrag
    }

    pub fn pwd(&self) -> &str {
        &self.pwd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_credentials_follow_the_grammar() {
        let c = Credentials::from_random(&[0xa5; RANDOM_LEN]);
        assert_eq!(c.ufrag().len(), UFRAG_LEN);
        assert_eq!(c.pwd().len(), PWD_LEN);
        assert_eq!(Credentials::new(c.ufrag(), c.pwd()), Ok(c.clone()));
        assert!(
            !format!("{c:?}").contains(c.pwd()),
            "the password is redacted"
        );
        let other = Credentials::from_random(&[0x5a; RANDOM_LEN]);
        assert_ne!(c, other);
    }

    #[test]
    fn bad_credentials_are_refused() {
        let pwd = "asd88fgpdd777uzjYhagZg";
        assert_eq!(
            Credentials::new("abc", pwd),
            Err(CredentialsError::UfragLength { len: 3 })
        );
        assert_eq!(
            Credentials::new("abcd", "short"),
            Err(CredentialsError::PwdLength { len: 5 })
        );
        assert_eq!(
            Credentials::new("ab:d", pwd),
            Err(CredentialsError::BadChar { what: "ice-ufrag" })
        );
        assert!(Credentials::new("8hhY", pwd).is_ok());
    }
}
