//! The NETLINK_NETFILTER socket and the batch transaction over it.
//!
//! Netlink requests to the kernel are processed synchronously inside `send`: when it
//! returns, every answer to the batch already sits in our receive queue, so answers are
//! read without blocking until the queue is empty. Only the last operation asks for an
//! ack; the kernel answers every failing operation with its errno regardless. A batch with
//! any error is aborted as a whole, so the failed operations are taken out and the rest is
//! sent again.

pub(crate) mod ct;
pub(crate) mod msg;

use std::io;

use netlink_sys::{Socket as Raw, constants::NETLINK_NETFILTER};

use crate::error::FirewallError;
use msg::{Element, NLMSG_DONE, NLMSG_ERROR, Writer};

/// Largest datagram the kernel sends us on this socket (dumps use page-sized skbs).
const RECV_BUF: usize = 64 * 1024;
/// Receive queue we ask for (capped by net.core.rmem_max).
const RCVBUF: i32 = 8 * 1024 * 1024;

/// A bound netfilter netlink socket.
#[derive(Debug)]
pub(crate) struct Socket {
    raw: Raw,
    seq: u32,
    rbuf: Vec<u8>,
}

/// What the kernel said about one batch.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// (index into the batch, errno) of each failed operation.
    pub failed: Vec<(usize, i32)>,
    /// An error on the batch as a whole (begin/end message).
    pub batch_errno: Option<i32>,
    /// The ack of the last operation arrived.
    pub acked: bool,
}

impl Socket {
    pub fn open() -> Result<Socket, FirewallError> {
        let unavailable = |source| FirewallError::NetlinkUnavailable { source };
        let mut raw = Raw::new(NETLINK_NETFILTER).map_err(unavailable)?;
        raw.bind_auto().map_err(unavailable)?;
        // Best effort: a smaller queue only means smaller batches after ENOBUFS.
        let _ = raw.set_rx_buf_sz(RCVBUF);
        let _ = raw.set_cap_ack(true);
        let _ = raw.set_ext_ack(false);
        Ok(Socket {
            raw,
            seq: 1,
            rbuf: vec![0; RECV_BUF],
        })
    }

    fn next_seq(&mut self, n: u32) -> u32 {
        let s = self.seq;
        self.seq = self.seq.wrapping_add(n).max(1);
        s
    }

    /// Drops whatever stale answers are queued (after an earlier failure).
    fn drain(&mut self) {
        loop {
            let mut b: &mut [u8] = &mut self.rbuf;
            match self.raw.recv(&mut b, libc::MSG_DONTWAIT) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {}
                Err(_) => return,
            }
        }
    }

    /// Sends one transaction of `elems` and collects the kernel's verdicts. `Err` is a
    /// socket error (send failed: EMSGSIZE, ENOBUFS...; or answers were lost: ENOBUFS).
    pub fn transact(&mut self, table: &str, elems: &[Element]) -> io::Result<Outcome> {
        self.drain();
        let n = u32::try_from(elems.len()).unwrap_or(u32::MAX);
        let base = self.next_seq(n + 2);
        let mut w = Writer {
            buf: Vec::with_capacity(elems.len() * 112 + 40),
        };
        w.batch(false, base);
        for (i, e) in elems.iter().enumerate() {
            let seq = base.wrapping_add(1).wrapping_add(i as u32);
            w.element(table, e, seq, i + 1 == elems.len());
        }
        w.batch(true, base.wrapping_add(n + 1));
        loop {
            match self.raw.send(&w.buf, 0) {
                Ok(_) => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let mut out = Outcome::default();
        let last = base.wrapping_add(n);
        loop {
            let mut b: &mut [u8] = &mut self.rbuf;
            let len = match self.raw.recv(&mut b, libc::MSG_DONTWAIT) {
                Ok(len) => len.min(RECV_BUF),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            for r in msg::replies(&self.rbuf[..len]) {
                if r.ty != NLMSG_ERROR {
                    continue;
                }
                let off = r.seq.wrapping_sub(base);
                if off > n + 1 {
                    continue; // not ours: a stale answer
                }
                if r.errno == 0 {
                    if r.seq == last {
                        out.acked = true;
                    }
                } else if off == 0 || off == n + 1 {
                    out.batch_errno = Some(r.errno);
                } else {
                    out.failed.push((off as usize - 1, r.errno));
                }
            }
        }
        Ok(out)
    }

    /// Dumps one set of `table`: (key, ms left) per element.
    pub fn dump(&mut self, table: &str, set: &str) -> io::Result<Vec<(Vec<u8>, Option<u64>)>> {
        Ok(self
            .dump_with(table, set, |_| ())?
            .into_iter()
            .map(|(k, left, ())| (k, left))
            .collect())
    }

    /// Dumps one set of `table`: (key, ms left, `extra` of its attributes) per element.
    pub fn dump_with<T>(
        &mut self,
        table: &str,
        set: &str,
        extra: impl Fn(&[(u16, &[u8])]) -> T,
    ) -> io::Result<Vec<msg::Dumped<T>>> {
        self.drain();
        let seq = self.next_seq(1);
        let mut w = Writer::default();
        w.dump(table, set, seq);
        self.raw.send(&w.buf, 0)?;
        let mut out = Vec::new();
        loop {
            let mut b: &mut [u8] = &mut self.rbuf;
            let len = match self.raw.recv(&mut b, 0) {
                Ok(len) => len.min(RECV_BUF),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if len == 0 {
                return Ok(out);
            }
            for r in msg::replies(&self.rbuf[..len]) {
                if r.seq != seq {
                    continue;
                }
                match r.ty {
                    NLMSG_DONE => return Ok(out),
                    NLMSG_ERROR if r.errno != 0 => {
                        return Err(io::Error::from_raw_os_error(r.errno));
                    }
                    NLMSG_ERROR => return Ok(out),
                    _ => out.extend(msg::dumped(r.payload, &extra)),
                }
            }
        }
    }

    /// Sends one request built by `build` (given its sequence number; it must ask for an
    /// ack) and waits for its answer: `Ok(0)` for success, `Ok(errno)` for a refusal.
    pub fn request(&mut self, build: impl FnOnce(u32) -> Vec<u8>) -> io::Result<i32> {
        self.drain();
        let seq = self.next_seq(1);
        let buf = build(seq);
        loop {
            match self.raw.send(&buf, 0) {
                Ok(_) => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        loop {
            let mut b: &mut [u8] = &mut self.rbuf;
            let len = match self.raw.recv(&mut b, 0) {
                Ok(len) => len.min(RECV_BUF),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if len == 0 {
                return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
            }
            for r in msg::replies(&self.rbuf[..len]) {
                if r.seq == seq && r.ty == NLMSG_ERROR {
                    return Ok(r.errno);
                }
            }
        }
    }
}
