//! The admin credentials on disk: `state_dir/admin.hash` (argon2id PHC string) and,
//! until it exists, the one-time `state_dir/setup-token`. Both are mode 0600.

use std::io;
use std::path::{Path, PathBuf};

use sbc_config::{PersistError, write_atomic};

pub const HASH_FILE: &str = "admin.hash";
pub const TOKEN_FILE: &str = "setup-token";

/// The admin password hash, or the setup token that allows setting it.
#[derive(Debug)]
pub struct Credentials {
    dir: PathBuf,
    hash: Option<String>,
    token: Option<String>,
}

impl Credentials {
    /// Reads the credentials in `state_dir` (created if needed). Without a password hash,
    /// a setup token is read from `setup-token` or created there.
    pub fn load_or_init(state_dir: &Path) -> Result<Credentials, PersistError> {
        let read_err = |path: PathBuf, source: io::Error| PersistError::Read { path, source };
        std::fs::create_dir_all(state_dir).map_err(|source| PersistError::Write {
            path: state_dir.to_owned(),
            source,
        })?;
        // Secrets live here (hashes, keys, config versions with trunk passwords).
        use std::os::unix::fs::PermissionsExt;
        let private = std::fs::Permissions::from_mode(0o700);
        if let Err(e) = std::fs::set_permissions(state_dir, private) {
            tracing::warn!("{}: cannot make it private: {e}", state_dir.display());
        }
        let hash_path = state_dir.join(HASH_FILE);
        let hash = match std::fs::read_to_string(&hash_path) {
            Ok(h) if !h.trim().is_empty() => Some(h.trim().to_owned()),
            Ok(_) => None,
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(read_err(hash_path, e)),
        };
        let mut creds = Credentials {
            dir: state_dir.to_owned(),
            hash,
            token: None,
        };
        if creds.hash.is_none() {
            let token_path = state_dir.join(TOKEN_FILE);
            let token = match std::fs::read_to_string(&token_path) {
                Ok(t) if t.trim().len() >= 32 => t.trim().to_owned(),
                Ok(_) => new_token(&token_path)?,
                Err(e) if e.kind() == io::ErrorKind::NotFound => new_token(&token_path)?,
                Err(e) => return Err(read_err(token_path, e)),
            };
            creds.token = Some(token);
        }
        Ok(creds)
    }

    /// The setup token while the admin password is not set.
    pub fn setup_token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    pub fn needs_setup(&self) -> bool {
        self.hash.is_none()
    }

    pub fn hash(&self) -> Option<&str> {
        self.hash.as_deref()
    }

    /// Whether `token` is the setup token (never true once the password is set).
    pub fn token_matches(&self, token: &str) -> bool {
        self.token
            .as_deref()
            .is_some_and(|t| super::constant_time_eq(t.as_bytes(), token.as_bytes()))
    }

    /// Stores the admin password hash and retires the setup token.
    pub fn set_hash(&mut self, hash: String) -> Result<(), PersistError> {
        write_atomic(&self.dir.join(HASH_FILE), hash.as_bytes(), 0o600)?;
        let _ = std::fs::remove_file(self.dir.join(TOKEN_FILE));
        self.hash = Some(hash);
        self.token = None;
        Ok(())
    }
}

fn new_token(path: &Path) -> Result<String, PersistError> {
    let token = super::random_hex(24);
    write_atomic(path, format!("{token}\n").as_bytes(), 0o600)?;
    Ok(token)
}
