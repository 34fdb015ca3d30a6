//! The hot path of a worker: drain one readable socket in batches of [`MAX_BATCH`]
//! datagrams (`recvmmsg`), run each through the shard's packet path, and send the verdicts
//! grouped by outgoing socket (`sendmmsg`). The buffers and the send list are allocated
//! once per worker.

use std::io;
use std::os::fd::AsRawFd;
use std::time::Instant;

use sbc_media::{SocketId, Verdict};
use tracing::debug;

use super::sys::{self, MAX_BATCH, RecvMeta, SendItem};
use super::worker::Worker;

/// Receive buffer per datagram: larger than any RTP packet on an Ethernet path; a larger
/// datagram is dropped as junk (truncated).
pub const BUF_SIZE: usize = 2048;
/// Batches read from one socket per turn before the others get theirs.
const TURN: usize = 4;

#[derive(Debug)]
pub struct Batch {
    bufs: Box<[[u8; BUF_SIZE]]>,
    meta: [RecvMeta; MAX_BATCH],
    /// Forwards of the current batch: the datagram, and its outgoing socket.
    out: Vec<SendItem>,
    out_socket: Vec<SocketId>,
}

impl Batch {
    pub fn new() -> Self {
        Batch {
            bufs: vec![[0u8; BUF_SIZE]; MAX_BATCH].into_boxed_slice(),
            meta: [RecvMeta::default(); MAX_BATCH],
            out: Vec::with_capacity(MAX_BATCH),
            out_socket: Vec::with_capacity(MAX_BATCH),
        }
    }
}

impl Worker {
    /// Reads `socket` until the kernel has nothing more (edge-triggered readiness), or for
    /// [`TURN`] batches: a flooded socket then goes to the backlog, served again after the
    /// other ready sockets (a flood on one port must not starve the others).
    pub(super) fn read_socket(&mut self, now: Instant, socket: SocketId) {
        for _ in 0..TURN {
            let Some(Some(udp)) = self.sockets.get(socket.index()) else {
                return;
            };
            let fd = udp.as_raw_fd();
            let b = &mut self.batch;
            let n = match sys::recv_batch(fd, &mut b.bufs, &mut b.meta) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    debug!(worker = self.id, "media receive error: {e}");
                    return;
                }
            };
            b.out.clear();
            b.out_socket.clear();
            for i in 0..n {
                let m = b.meta[i];
                let Some(from) = m.from else { continue };
                if m.truncated {
                    self.shard.truncated(socket);
                    continue;
                }
                let len = m.len.min(BUF_SIZE);
                match self
                    .shard
                    .handle_packet(now, socket, from, &mut b.bufs[i][..len])
                {
                    Verdict::Forward { socket, to, len } => {
                        b.out.push(SendItem { buf: i, len, to });
                        b.out_socket.push(socket);
                    }
                    Verdict::Drop(_) => {}
                }
            }
            self.send_out();
            // Fewer than a full batch: recvmmsg stopped because the queue was empty.
            if n < MAX_BATCH {
                return;
            }
        }
        self.backlog.push(socket);
    }

    /// Sends the batch's forwards, one `sendmmsg` per run of the same outgoing socket.
    fn send_out(&mut self) {
        let b = &mut self.batch;
        let mut start = 0;
        while start < b.out.len() {
            let socket = b.out_socket[start];
            let mut end = start + 1;
            while end < b.out.len() && b.out_socket[end] == socket {
                end += 1;
            }
            let items = &b.out[start..end];
            match self.sockets.get(socket.index()) {
                Some(Some(udp)) => {
                    let fd = udp.as_raw_fd();
                    let mut sent = 0;
                    while sent < items.len() {
                        match sys::send_batch(fd, &b.bufs, &items[sent..]) {
                            Ok(k) if k > 0 => sent += k,
                            Ok(_) => break,
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(_) => {
                                // This datagram is refused (buffer full, unreachable):
                                // drop it and go on with the next.
                                self.send_errors += 1;
                                sent += 1;
                            }
                        }
                    }
                }
                // The other leg's socket is not bound (its bind failed): nothing to send.
                _ => self.send_errors += (end - start) as u64,
            }
            start = end;
        }
    }
}
