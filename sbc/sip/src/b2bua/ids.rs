//! Handles and identifiers: calls, sides, and the random tokens a B2BUA needs.

use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};

/// A call (two legs) inside the B2BUA. Never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub(crate) u64);

impl CallId {
    /// The number behind the id, as the media plane keys its streams
    /// ([`sbc_core::StreamKey::call`]) and as logs print it (`call#N`).
    pub fn get(self) -> u64 {
        self.0
    }

    /// The id whose [`get`](CallId::get) is `number`: for code that holds calls by number
    /// (tests of hooks, views). It names a call only if the engine made one with it.
    pub fn from_number(number: u64) -> Self {
        CallId(number)
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "call#{}", self.0)
    }
}

pub use sbc_core::Side;

/// Tags, Call-IDs and branches. The core has no RNG: the daemon gives a random seed, and
/// each token is SipHash of (seed, counter) — unpredictable without the seed, and
/// reproducible in tests.
#[derive(Debug, Clone)]
pub struct Tokens {
    seed: u64,
    counter: u64,
}

impl Tokens {
    pub fn new(seed: u64) -> Self {
        Tokens { seed, counter: 0 }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.counter += 1;
        let mut h = DefaultHasher::new();
        (self.seed, self.counter).hash(&mut h);
        h.finish()
    }

    /// A To/From tag.
    pub fn tag(&mut self) -> String {
        format!("{:016x}", self.next_u64())
    }

    /// A Call-ID: random only, no host (nothing about the SBC's sides leaks in it).
    pub fn call_id(&mut self) -> String {
        format!("{:016x}{:016x}", self.next_u64(), self.next_u64())
    }

    pub fn branch(&mut self) -> String {
        crate::transaction::new_branch(self.next_u64())
    }
}
