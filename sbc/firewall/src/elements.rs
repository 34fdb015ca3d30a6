//! Set elements over netlink: pinholes and bans, queued and flushed as batches.
//!
//! [`Elements::flush`] sends the queue in transactions of up to [`CHUNK`] messages, one
//! netlink message per operation (three for an add on kernels that cannot refresh an
//! element's timeout in place: add, delete, add, always in one transaction). The kernel
//! aborts a transaction as a whole when one operation fails; the failed ones are then taken
//! out (a close or unban of an absent element, ENOENT, counts as done) and the rest is sent
//! again. ENOBUFS (answers lost) and EMSGSIZE (batch too big) halve the transaction and
//! retry; anything else is reported per operation, so a caller never believes a pinhole is
//! open when it is not.

use std::io;
use std::net::IpAddr;
use std::time::Duration;

use crate::error::{ElementError, ElementErrors, FirewallError};
use crate::model::{ElementOp, Hole};
use crate::netlink::Socket;
use crate::netlink::msg::{self, Element};
use crate::sets;

/// Operations per transaction (halved on ENOBUFS / EMSGSIZE).
pub const CHUNK: usize = 1024;
/// Resends of one transaction whose outcome stays unknown before giving up.
const ATTEMPTS: usize = 8;

/// A netlink writer for our table's pinhole and ban sets. Operations are queued and sent
/// by [`Elements::flush`].
#[derive(Debug)]
pub struct Elements {
    table: String,
    sock: Socket,
    queue: Vec<ElementOp>,
    refresh_in_place: bool,
}

impl Elements {
    pub(crate) fn new(table: &str) -> Result<Elements, FirewallError> {
        let mut sock = Socket::open()?;
        let refresh_in_place = probe_refresh(&mut sock, table);
        tracing::debug!(table, refresh_in_place, "set element writer ready");
        Ok(Elements {
            table: table.to_owned(),
            sock,
            queue: Vec::new(),
            refresh_in_place,
        })
    }

    /// A writer for table `inet TABLE` without a [`crate::Firewall`] (tests, tools).
    pub fn for_table(table: &str) -> Result<Elements, FirewallError> {
        Elements::new(table)
    }

    /// Queue opening a pinhole; re-opening an open one refreshes its kernel timeout.
    pub fn open(&mut self, hole: Hole, ttl: Duration) {
        self.queue.push(ElementOp::Open { hole, ttl });
    }

    /// Queue closing a pinhole (closing one that is not there is not an error).
    pub fn close(&mut self, hole: Hole) {
        self.queue.push(ElementOp::Close { hole });
    }

    /// Queue banning a source address for `ttl`.
    pub fn ban(&mut self, ip: IpAddr, ttl: Duration) {
        self.queue.push(ElementOp::Ban { ip, ttl });
    }

    /// Queue lifting a ban (not banned is not an error).
    pub fn unban(&mut self, ip: IpAddr) {
        self.queue.push(ElementOp::Unban { ip });
    }

    /// Number of queued operations.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// Whether re-adding an element refreshes its timeout in place (probed when the writer
    /// is made). When not (older kernels, e.g. 6.1), each add is sent as add, delete, add in one
    /// transaction: the element is recreated with a fresh timeout, atomically.
    pub fn refreshes_in_place(&self) -> bool {
        self.refresh_in_place
    }

    /// Forces the add, delete, add form of refresh (tests of the older-kernel path).
    #[doc(hidden)]
    pub fn recreate_on_refresh(&mut self) {
        self.refresh_in_place = false;
    }

    /// Send everything queued and wait for the kernel's answers; returns the operations that
    /// failed with their errors, in queue order (the others are committed). The queue is
    /// empty afterwards.
    pub fn flush(&mut self) -> Result<(), ElementErrors> {
        let ops = std::mem::take(&mut self.queue);
        let mut failed: Vec<(usize, io::Error)> = Vec::new();
        // (index into `ops`, message): an add on an older kernel is three messages.
        let mut work: Vec<(usize, Element)> = Vec::with_capacity(ops.len());
        for (i, op) in ops.iter().enumerate() {
            let Some(e) = msg::element(op) else {
                failed.push((
                    i,
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "remote and local address differ in family",
                    ),
                ));
                continue;
            };
            if !e.is_delete() && !self.refresh_in_place {
                let del = Element {
                    timeout_ms: None,
                    ..e.clone()
                };
                work.push((i, e.clone()));
                work.push((i, del));
            }
            work.push((i, e));
        }
        let mut pending: Vec<Vec<(usize, Element)>> = Vec::new();
        let mut rest = work;
        while rest.len() > CHUNK {
            let tail = rest.split_off(op_boundary(&rest, CHUNK));
            pending.push(rest);
            rest = tail;
        }
        if !rest.is_empty() {
            pending.push(rest);
        }
        pending.reverse();
        while let Some(chunk) = pending.pop() {
            self.send_chunk(chunk, &mut pending, &mut failed);
        }
        if failed.is_empty() {
            return Ok(());
        }
        failed.sort_by_key(|(i, _)| *i);
        let failed: Vec<ElementError> = failed
            .into_iter()
            .map(|(i, source)| ElementError { op: ops[i], source })
            .collect();
        for f in &failed {
            tracing::warn!(table = %self.table, op = ?f.op, error = %f.source, "set element operation failed");
        }
        Err(ElementErrors { failed })
    }

    /// Commits one chunk; halves go back to `pending` on ENOBUFS / EMSGSIZE. Failures are
    /// recorded once per operation in `failed`.
    fn send_chunk(
        &mut self,
        mut chunk: Vec<(usize, Element)>,
        pending: &mut Vec<Vec<(usize, Element)>>,
        failed: &mut Vec<(usize, io::Error)>,
    ) {
        let mut unknown = 0;
        let fail_all = |chunk: &mut Vec<(usize, Element)>,
                        failed: &mut Vec<(usize, io::Error)>,
                        err: &dyn Fn() -> io::Error| {
            let mut ops: Vec<usize> = chunk.drain(..).map(|(i, _)| i).collect();
            ops.dedup();
            failed.extend(ops.into_iter().map(|i| (i, err())));
        };
        while !chunk.is_empty() {
            let elems: Vec<Element> = chunk.iter().map(|(_, e)| e.clone()).collect();
            match self.sock.transact(&self.table, &elems) {
                Ok(out) if out.batch_errno.is_none() && out.failed.is_empty() && out.acked => {
                    return;
                }
                Ok(out) if out.batch_errno.is_some() || !out.failed.is_empty() => {
                    if let Some(errno) = out.batch_errno.filter(|_| out.failed.is_empty()) {
                        fail_all(&mut chunk, failed, &|| io::Error::from_raw_os_error(errno));
                        return;
                    }
                    let before = chunk.len();
                    let mut done = vec![false; chunk.len()];
                    let mut bad_ops: Vec<(usize, i32)> = Vec::new();
                    for (at, errno) in out.failed {
                        let Some((op, e)) = chunk.get(at) else {
                            continue;
                        };
                        if errno == libc::ENOENT && e.is_delete() {
                            done[at] = true; // already gone: what close/unban wanted
                        } else if !bad_ops.iter().any(|(o, _)| o == op) {
                            bad_ops.push((*op, errno));
                        }
                    }
                    let mut at = 0;
                    chunk.retain(|(op, _)| {
                        let keep = !done[at] && !bad_ops.iter().any(|(o, _)| o == op);
                        at += 1;
                        keep
                    });
                    for (op, errno) in bad_ops {
                        failed.push((op, io::Error::from_raw_os_error(errno)));
                    }
                    // The kernel aborted the transaction: resend the others. An answer that
                    // names no operation of ours must not make this loop forever.
                    if chunk.len() == before {
                        unknown += 1;
                        if unknown >= ATTEMPTS {
                            break;
                        }
                    }
                }
                Ok(_) => {
                    // No error and no ack: answers were lost; the operations are
                    // idempotent, so send them again.
                    unknown += 1;
                    if unknown >= ATTEMPTS {
                        break;
                    }
                }
                Err(e)
                    if matches!(e.raw_os_error(), Some(libc::ENOBUFS | libc::EMSGSIZE))
                        && op_boundary(&chunk, chunk.len() / 2) > 0 =>
                {
                    let tail = chunk.split_off(op_boundary(&chunk, chunk.len() / 2));
                    pending.push(tail);
                }
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) && unknown + 1 < ATTEMPTS => {
                    unknown += 1;
                }
                Err(e) => {
                    fail_all(&mut chunk, failed, &|| {
                        io::Error::new(e.kind(), e.to_string())
                    });
                    return;
                }
            }
        }
        fail_all(&mut chunk, failed, &|| {
            io::Error::new(io::ErrorKind::TimedOut, "no answer from the kernel")
        });
    }

    /// Current bans with their remaining time.
    pub fn bans(&mut self) -> Result<Vec<(IpAddr, Duration)>, FirewallError> {
        let mut out = Vec::new();
        for set in [sets::BAN4, sets::BAN6] {
            let elems =
                self.sock
                    .dump(&self.table, set)
                    .map_err(|source| FirewallError::Netlink {
                        table: self.table.clone(),
                        set: set.to_owned(),
                        source,
                    })?;
            for (key, left) in elems {
                let ip = match key.len() {
                    4 => <[u8; 4]>::try_from(key.as_slice()).ok().map(IpAddr::from),
                    16 => <[u8; 16]>::try_from(key.as_slice()).ok().map(IpAddr::from),
                    _ => None,
                };
                if let Some(ip) = ip {
                    out.push((ip, Duration::from_millis(left.unwrap_or(0))));
                }
            }
        }
        Ok(out)
    }
}

/// The largest split point at or below `at` that keeps the messages of one operation in one
/// transaction (0 when the first operation alone reaches past `at`).
fn op_boundary(chunk: &[(usize, Element)], at: usize) -> usize {
    let mut k = at.min(chunk.len());
    while k > 0 && k < chunk.len() && chunk[k].0 == chunk[k - 1].0 {
        k -= 1;
    }
    k
}

/// Does NEWSETELEM on an existing element refresh its timeout? Recent kernels do; on older
/// ones (6.1) it is a no-op answered with success, so a refreshed pinhole would still expire. Tried on
/// `0.0.0.0 . 0` in the port set (no packet is ever addressed there): add with 60 s, add
/// again with 1 h, read the time left, delete. Any failure means "no" (the slower, always
/// correct path).
fn probe_refresh(sock: &mut Socket, table: &str) -> bool {
    let key = vec![0u8; 8];
    let elem = |timeout_ms| Element {
        set: sets::PORT4,
        key: key.clone(),
        timeout_ms,
        data: None,
    };
    let ok = |r: io::Result<crate::netlink::Outcome>| matches!(r, Ok(o) if o.acked && o.failed.is_empty() && o.batch_errno.is_none());
    let refreshed = ok(sock.transact(table, &[elem(Some(60_000))]))
        && ok(sock.transact(table, &[elem(Some(3_600_000))]))
        && sock.dump(table, sets::PORT4).is_ok_and(|elems| {
            elems
                .iter()
                .any(|(k, left)| *k == key && left.is_some_and(|ms| ms > 60_000))
        });
    let _ = sock.transact(table, &[elem(None)]);
    refreshed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e() -> Element {
        Element {
            set: sets::PORT4,
            key: vec![0; 8],
            timeout_ms: None,
            data: None,
        }
    }

    #[test]
    fn splits_keep_the_messages_of_one_operation_together() {
        let chunk: Vec<(usize, Element)> = [0, 1, 1, 1, 2].iter().map(|&i| (i, e())).collect();
        assert_eq!(op_boundary(&chunk, 2), 1, "not inside op 1");
        assert_eq!(op_boundary(&chunk, 4), 4);
        assert_eq!(op_boundary(&chunk, 1), 1);
        assert_eq!(op_boundary(&chunk, 9), 5);
        let one: Vec<(usize, Element)> = [3, 3, 3].iter().map(|&i| (i, e())).collect();
        assert_eq!(op_boundary(&one, 1), 0, "a lone operation cannot be split");
    }
}
