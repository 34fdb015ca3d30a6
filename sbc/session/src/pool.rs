//! The media ports of one realm.

use std::collections::VecDeque;

/// Even RTP ports of a range (each with its RTCP port, +1), handed out least recently
/// used first, so a port just released is not reused while late packets of its old
/// stream may still arrive.
#[derive(Debug, Clone)]
pub struct PortPool {
    free: VecDeque<u16>,
    total: usize,
}

impl PortPool {
    /// All even ports `p` of `start..=end` with `p + 1 <= end`.
    pub fn new(start: u16, end: u16) -> Self {
        let first = start + (start % 2);
        let free: VecDeque<u16> = (first..end).step_by(2).collect();
        let total = free.len();
        PortPool { free, total }
    }

    /// An RTP port (its RTCP port is the next one), or `None` when all are in use.
    pub fn allocate(&mut self) -> Option<u16> {
        self.free.pop_front()
    }

    /// Gives `port` back (it must be one this pool handed out).
    pub fn release(&mut self, port: u16) {
        debug_assert!(!self.free.contains(&port), "port {port} released twice");
        self.free.push_back(port);
    }

    pub fn free(&self) -> usize {
        self.free.len()
    }

    pub fn total(&self) -> usize {
        self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_ports_lru() {
        let mut p = PortPool::new(20000, 20005);
        assert_eq!(p.total(), 3);
        assert_eq!(p.allocate(), Some(20000));
        assert_eq!(p.allocate(), Some(20002));
        p.release(20000);
        assert_eq!(p.allocate(), Some(20004));
        assert_eq!(p.allocate(), Some(20000));
        assert_eq!(p.allocate(), None);
        let odd = PortPool::new(20001, 20004);
        assert_eq!(odd.total(), 1, "20002/20003 only");
    }
}
