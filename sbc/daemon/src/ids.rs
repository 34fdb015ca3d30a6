//! Randomness for the engine's seed. Not cryptographic: tags and branches derived from it
//! must only be unique and unguessable enough that a peer cannot predict another dialog's.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// 64 random-looking bits: SipHash, keyed randomly per process, of a counter.
pub fn random_u64() -> u64 {
    thread_local! {
        static KEYS: RandomState = RandomState::new();
    }
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    KEYS.with(|k| {
        let mut h = k.build_hasher();
        h.write_u64(n);
        h.finish()
    })
}
