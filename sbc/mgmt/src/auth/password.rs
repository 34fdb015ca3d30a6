//! argon2id password hashes (PHC string format), computed off the async runtime.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use tokio::sync::Semaphore;

/// Hash computations allowed at the same time (each takes ~19 MiB and tens of ms).
pub const HASHERS: usize = 2;
/// Shortest admin password accepted.
pub const MIN_LEN: usize = 12;
/// Longest accepted (hashing cost grows with the input).
pub const MAX_LEN: usize = 1024;

/// Why a password is not acceptable as the new admin password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must have at least {MIN_LEN} characters (it has {len})")]
    TooShort { len: usize },
    #[error("the password must have at most {MAX_LEN} characters (it has {len})")]
    TooLong { len: usize },
    #[error("hashing failed: {reason}")]
    Hash { reason: String },
}

/// Checks the length rules of a new password.
pub fn acceptable(password: &str) -> Result<(), PasswordError> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(PasswordError::TooShort { len });
    }
    if len > MAX_LEN {
        return Err(PasswordError::TooLong { len });
    }
    Ok(())
}

/// Runs argon2id with bounded concurrency.
#[derive(Debug, Clone)]
pub struct Hasher {
    slots: Arc<Semaphore>,
}

impl Default for Hasher {
    fn default() -> Self {
        Hasher {
            slots: Arc::new(Semaphore::new(HASHERS)),
        }
    }
}

impl Hasher {
    /// A PHC string (`$argon2id$v=19$...`) for `password` with a fresh random salt.
    pub async fn hash(&self, password: String) -> Result<String, PasswordError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|e| PasswordError::Hash {
                reason: e.to_string(),
            })?;
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| PasswordError::Hash {
            reason: e.to_string(),
        })?;
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordError::Hash {
                reason: e.to_string(),
            })?;
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| PasswordError::Hash {
                    reason: e.to_string(),
                })
        })
        .await
        .map_err(|e| PasswordError::Hash {
            reason: e.to_string(),
        })?
    }

    /// Whether `password` matches the PHC string `hash`. A malformed hash never matches.
    pub async fn verify(&self, password: String, hash: String) -> bool {
        let Ok(_slot) = self.slots.acquire().await else {
            return false;
        };
        tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash)
                .map(|h| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &h)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let h = Hasher::default();
        let phc = h.hash("correct horse battery".into()).await.expect("hash");
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(h.verify("correct horse battery".into(), phc.clone()).await);
        assert!(!h.verify("wrong horse battery".into(), phc).await);
        assert!(!h.verify("x".into(), "not a hash".into()).await);
    }

    #[test]
    fn length_rules() {
        assert_eq!(acceptable("short"), Err(PasswordError::TooShort { len: 5 }));
        assert!(acceptable("twelve chars").is_ok());
        assert!(matches!(
            acceptable(&"x".repeat(MAX_LEN + 1)),
            Err(PasswordError::TooLong { .. })
        ));
    }
}
