//! Why a challenge or credentials could not be used.

/// A Digest challenge or `Authorization` value that cannot be read or answered. Peer
/// input only ever produces these values, never a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The response carried no `WWW-Authenticate` / `Proxy-Authenticate` at all.
    #[error("no challenge in the response")]
    NoChallenge,
    /// Another scheme (`Basic`, `Bearer`, AKA over a non-Digest name ...).
    #[error("authentication scheme \"{scheme}\" is not Digest")]
    NotDigest { scheme: String },
    #[error("Digest parameter {name} is missing")]
    MissingParam { name: &'static str },
    /// An `algorithm` this implementation does not compute (for instance `AKAv1-MD5`).
    /// When several challenges were offered the caller can pick another one.
    #[error("unsupported Digest algorithm \"{algorithm}\"")]
    UnsupportedAlgorithm { algorithm: String },
    /// A `qop` list with neither `auth` nor `auth-int`, or a `qop` value in credentials
    /// that is neither.
    #[error("unsupported Digest qop \"{qop}\"")]
    UnsupportedQop { qop: String },
    #[error("malformed Digest value: {reason}")]
    Malformed { reason: String },
}

impl AuthError {
    pub(crate) fn malformed(reason: impl Into<String>) -> AuthError {
        AuthError::Malformed {
            reason: reason.into(),
        }
    }
}
