//! A counting global allocator for the no-allocation tests: every allocation and
//! reallocation made on the measuring thread between [`Measuring::start`] and
//! [`Measuring::stop`] is counted. Only that thread counts (libtest's other threads may
//! allocate meanwhile); frees are not counted. Each test binary installs it with
//! `#[global_allocator] static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

pub struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Set on the measuring thread only.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn count() {
    // `try_with`: a thread being torn down has no thread-locals left; it is not ours.
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// A measurement on the calling thread.
pub struct Measuring {
    before: u64,
}

impl Measuring {
    pub fn start() -> Self {
        COUNTING.with(|c| c.set(true));
        Measuring {
            before: ALLOCS.load(Ordering::Relaxed),
        }
    }

    /// Allocations on this thread since `start`.
    pub fn stop(self) -> u64 {
        let n = ALLOCS.load(Ordering::Relaxed) - self.before;
        COUNTING.with(|c| c.set(false));
        n
    }
}
