//! The hot path of a worker: drain one readable socket in batches of [`MAX_BATCH`]
//! datagrams (`recvmmsg`), run each through the shard's packet path, and send the verdicts
//! grouped by outgoing socket (`sendmmsg`), with the packets of the engine's own (what a
//! transform added, or emitted on its clock) in order behind the packet that caused them.
//! The buffers and the send list are allocated once per worker.
//!
//! Each buffer is a slot of [`SLOT`] bytes: a datagram is received at
//! [`HEADROOM`] with up to [`BUF_SIZE`] bytes and
//! [`TAILROOM`] behind them, so the pipeline can grow a packet (an
//! SRTP tag) in place. The first [`MAX_BATCH`] slots take received datagrams, the next
//! [`TX_SLOTS`] the engine's own packets ([`Shard::poll_transmit`](sbc_media::Shard::poll_transmit)).

use std::io;
use std::os::fd::AsRawFd;
use std::time::Instant;

use sbc_media::{HEADROOM, PacketBuf, SocketId, TAILROOM, Verdict};
use tracing::debug;

use super::sys::{self, MAX_BATCH, RecvMeta, SendItem};
use super::worker::Worker;

/// The largest datagram received whole: larger than any RTP packet on an Ethernet path; a
/// larger datagram is dropped as junk (truncated).
pub const BUF_SIZE: usize = 2048;
/// One buffer: room in front, the datagram, room behind.
pub const SLOT: usize = HEADROOM + BUF_SIZE + TAILROOM;
/// Buffers for packets of the engine's own, per batch (more are sent in another batch).
pub const TX_SLOTS: usize = MAX_BATCH;
/// Batches read from one socket per turn before the others get theirs.
const TURN: usize = 4;

#[derive(Debug)]
pub struct Batch {
    /// `MAX_BATCH` receive slots, then `TX_SLOTS` slots for the engine's own packets.
    bufs: Box<[[u8; SLOT]]>,
    meta: [RecvMeta; MAX_BATCH],
    /// Sends of the current batch: the buffer, and its outgoing socket.
    out: Vec<SendItem>,
    out_socket: Vec<SocketId>,
    /// Engine-packet slots in use.
    tx_used: usize,
}

impl Batch {
    pub fn new() -> Self {
        Batch {
            bufs: vec![[0u8; SLOT]; MAX_BATCH + TX_SLOTS].into_boxed_slice(),
            meta: [RecvMeta::default(); MAX_BATCH],
            out: Vec::with_capacity(MAX_BATCH + TX_SLOTS),
            out_socket: Vec::with_capacity(MAX_BATCH + TX_SLOTS),
            tx_used: 0,
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
            let window = HEADROOM..HEADROOM + BUF_SIZE;
            let n = match sys::recv_batch(fd, &mut b.bufs[..MAX_BATCH], window, &mut b.meta) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    debug!(worker = self.id, "media receive error: {e}");
                    return;
                }
            };
            for i in 0..n {
                let m = self.batch.meta[i];
                let Some(from) = m.from else { continue };
                if m.truncated {
                    self.shard.truncated(socket);
                    continue;
                }
                let len = m.len.min(BUF_SIZE);
                // Invariant: HEADROOM + len <= SLOT, so the datagram is inside its slot.
                let Some(buf) = PacketBuf::new(&mut self.batch.bufs[i], HEADROOM, len) else {
                    continue;
                };
                match self.shard.handle_datagram(now, socket, from, buf) {
                    Verdict::Forward {
                        socket,
                        to,
                        start,
                        len,
                    } => {
                        let b = &mut self.batch;
                        b.out.push(SendItem {
                            buf: i,
                            start,
                            len,
                            to,
                        });
                        b.out_socket.push(socket);
                    }
                    Verdict::Drop(_) => {}
                }
                self.take_transmits();
            }
            self.send_out();
            // Fewer than a full batch: recvmmsg stopped because the queue was empty.
            if n < MAX_BATCH {
                return;
            }
        }
        self.backlog.push(socket);
    }

    /// Queues the engine's own packets behind what is queued already (sending the batch
    /// first when their slots are full).
    pub(super) fn take_transmits(&mut self) {
        if self.uring.is_some() {
            return self.take_transmits_uring();
        }
        loop {
            if self.batch.tx_used == TX_SLOTS {
                self.send_out();
            }
            let b = &mut self.batch;
            let slot = MAX_BATCH + b.tx_used;
            let Some(t) = self.shard.poll_transmit(&mut b.bufs[slot]) else {
                return;
            };
            b.tx_used += 1;
            b.out.push(SendItem {
                buf: slot,
                start: t.start,
                len: t.len,
                to: t.to,
            });
            b.out_socket.push(t.socket);
        }
    }

    /// Sends what is queued, one `sendmmsg` per run of the same outgoing socket, and
    /// empties the queue.
    pub(super) fn send_out(&mut self) {
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
        b.out.clear();
        b.out_socket.clear();
        b.tx_used = 0;
    }
}
