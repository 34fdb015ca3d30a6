//! The armed timers of many owners (transactions, calls), ordered by deadline: the next
//! one is found in O(log n), and a timer — or every timer of one owner — is cancelled
//! without looking at anybody else's. This is what keeps the cost of a message independent
//! of how many calls are in progress: a teardown touches only its own call's timers.
//!
//! A timer is identified by (owner, name); arming it again replaces its deadline.

use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;
use std::time::Instant;

/// Deadlines of timers `T` of owners `O`.
#[derive(Debug)]
pub(crate) struct Deadlines<O, T> {
    at: HashMap<(O, T), Instant>,
    order: BTreeSet<(Instant, O, T)>,
    /// The armed timers of each owner (a handful each).
    by_owner: HashMap<O, Vec<T>>,
    /// Timer entries looked at by cancellations, ever: what the scale tests count to show
    /// that ending one owner's timers costs the same with ten or ten thousand others.
    visited: u64,
}

impl<O, T> Default for Deadlines<O, T> {
    fn default() -> Self {
        Deadlines {
            at: HashMap::new(),
            order: BTreeSet::new(),
            by_owner: HashMap::new(),
            visited: 0,
        }
    }
}

impl<O, T> Deadlines<O, T>
where
    O: Copy + Eq + Hash + Ord,
    T: Copy + Eq + Hash + Ord,
{
    /// Arms (or re-arms) `timer` of `owner` to fire at `at`.
    pub(crate) fn arm(&mut self, owner: O, timer: T, at: Instant) {
        if let Some(old) = self.at.insert((owner, timer), at) {
            self.order.remove(&(old, owner, timer));
        } else {
            self.by_owner.entry(owner).or_default().push(timer);
        }
        self.order.insert((at, owner, timer));
    }

    /// Cancels `timer` of `owner` (nothing if it is not armed).
    pub(crate) fn disarm(&mut self, owner: O, timer: T) {
        if let Some(at) = self.at.remove(&(owner, timer)) {
            self.order.remove(&(at, owner, timer));
            self.forget(owner, timer);
        }
    }

    /// Cancels every timer of `owner`.
    pub(crate) fn clear(&mut self, owner: O) {
        for timer in self.by_owner.remove(&owner).unwrap_or_default() {
            self.visited += 1;
            if let Some(at) = self.at.remove(&(owner, timer)) {
                self.order.remove(&(at, owner, timer));
            }
        }
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.order.first().map(|&(at, _, _)| at)
    }

    /// Removes and returns the earliest timer due at `now`, if any.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(O, T)> {
        let &(at, owner, timer) = self.order.first()?;
        if at > now {
            return None;
        }
        self.order.pop_first();
        self.at.remove(&(owner, timer));
        self.forget(owner, timer);
        Some((owner, timer))
    }

    /// Timers armed, of all owners.
    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }

    /// Owners with a timer armed.
    pub(crate) fn owners(&self) -> usize {
        self.by_owner.len()
    }

    /// Timer entries cancellations have looked at so far.
    pub(crate) fn visited(&self) -> u64 {
        self.visited
    }

    fn forget(&mut self, owner: O, timer: T) {
        if let Some(list) = self.by_owner.get_mut(&owner) {
            self.visited += list.len() as u64;
            list.retain(|t| *t != timer);
            if list.is_empty() {
                self.by_owner.remove(&owner);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn rearming_replaces_and_clear_removes_all_of_one_owner() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut q = Deadlines::<u32, char>::default();
        q.arm(1, 'A', t0 + s(1));
        q.arm(1, 'A', t0 + s(2));
        q.arm(1, 'B', t0 + s(32));
        q.arm(2, 'A', t0 + s(5));
        assert_eq!(q.len(), 3);
        assert_eq!(q.next(), Some(t0 + s(2)));
        assert_eq!(q.pop_due(t0 + s(1)), None);
        assert_eq!(q.pop_due(t0 + s(2)), Some((1, 'A')));
        q.clear(1);
        assert_eq!(q.len(), 1);
        assert_eq!(q.owners(), 1);
        assert_eq!(q.next(), Some(t0 + s(5)));
        q.disarm(2, 'A');
        q.disarm(2, 'A');
        assert_eq!((q.len(), q.owners(), q.next()), (0, 0, None));
    }
}
