//! The worker's loop when its sockets are driven by io_uring ([`uring`](super::uring)):
//! the same steps as the epoll loop ([`worker`](super::worker)), with one
//! `io_uring_enter` per turn in place of `epoll_wait` + a `recvmmsg` per readable socket + a
//! `sendmmsg` per outgoing socket.
//!
//! 1. submit the sends queued last turn and wait for a completion, the shard's next deadline
//!    or at most [`BEAT`](super::worker::BEAT);
//! 2. each received datagram through the packet path, its verdict queued as a send from the
//!    same slot, the engine's packets behind it; finished sends give their slots back;
//! 3. woken: apply the queued ops, then the shard's socket work;
//! 4. timers, the engine's own packets, events: as in the epoll loop.

use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

use mio::Events;
use sbc_media::{PacketBuf, SocketId, Verdict};
use tracing::{debug, warn};

use super::kernel::KernelPath;
use super::uring::{Event, PAYLOAD_AT};
use super::worker::{BEAT, Worker};

/// A socket's descriptor, if it is bound.
fn fd_of(sockets: &[Option<mio::net::UdpSocket>], socket: SocketId) -> Option<RawFd> {
    sockets
        .get(socket.index())
        .and_then(Option::as_ref)
        .map(AsRawFd::as_raw_fd)
}

impl Worker {
    /// The thread's body with io_uring (see the module docs).
    pub(super) fn run_uring(mut self) {
        let mut ready = Events::with_capacity(16);
        loop {
            let kernel = self.kernel.as_ref().and_then(KernelPath::poll_timeout);
            let due = match (self.shard.poll_timeout(), kernel) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let due = due.map(|d| d.saturating_duration_since(Instant::now()));
            // A deadline already due: look for completions without sleeping.
            let timeout = due.map_or(BEAT, |d| d.min(BEAT));
            let Some(u) = self.uring.as_mut() else {
                return;
            };
            if let Err(e) = u.turn(Some(timeout)) {
                warn!(worker = self.id, "media worker: io_uring_enter failed: {e}");
                std::thread::sleep(Duration::from_millis(1));
                continue;
            }
            self.beat.tick();
            let now = Instant::now();
            let mut woken = false;
            loop {
                let (Some(u), sockets) = (self.uring.as_mut(), &self.sockets) else {
                    return;
                };
                let Some(ev) = u.next(|s| fd_of(sockets, s)) else {
                    break;
                };
                match ev {
                    Event::Datagram {
                        socket,
                        slot,
                        from,
                        len,
                        truncated,
                    } => self.uring_datagram(now, socket, slot, from, len, truncated),
                    Event::Woken => woken = true,
                    Event::SendFailed => self.send_errors += 1,
                    Event::None => {}
                }
            }
            if woken {
                // Takes the waker's readiness off the epoll, so the next wake fires again.
                let _ = self.poll.poll(&mut ready, Some(Duration::ZERO));
            }
            self.socket_work(now);
            if woken && !self.take_ops(now) {
                break;
            }
            if let Some(k) = &mut self.kernel {
                k.poll(now, &mut self.shard);
            }
            self.timers(now);
            self.flush_events();
            if let Some(t) = &mut self.tally {
                t.publish(now, &self.shard);
            }
        }
        debug!(
            worker = self.id,
            send_errors = self.send_errors,
            strays = self.shard.strays(),
            drops = ?self.shard.drops(),
            "media worker stopped"
        );
    }

    /// One received datagram through the packet path; its verdict leaves from its slot.
    fn uring_datagram(
        &mut self,
        now: Instant,
        socket: SocketId,
        slot: u16,
        from: Option<std::net::SocketAddr>,
        len: usize,
        truncated: bool,
    ) {
        let Some(u) = self.uring.as_mut() else {
            return;
        };
        let Some(from) = from else {
            u.recycle(slot);
            return;
        };
        if truncated {
            self.shard.truncated(socket);
            u.recycle(slot);
            return;
        }
        let Some(buf) = PacketBuf::new(u.rx_slot(slot), PAYLOAD_AT, len) else {
            u.recycle(slot);
            return;
        };
        match self.shard.handle_datagram(now, socket, from, buf) {
            Verdict::Forward {
                socket: out,
                to,
                start,
                len,
            } => match fd_of(&self.sockets, out) {
                Some(fd) => u.send_rx(fd, slot, start, len, to),
                None => {
                    self.send_errors += 1;
                    u.recycle(slot);
                }
            },
            Verdict::Drop(_) => u.recycle(slot),
        }
        self.take_transmits();
    }

    /// Queues the engine's own packets as sends from slots of the ring's pool.
    pub(super) fn take_transmits_uring(&mut self) {
        let Some(u) = self.uring.as_mut() else {
            return;
        };
        loop {
            let (i, buf) = u.tx_slot();
            let Some(t) = self.shard.poll_transmit(buf) else {
                u.tx_unused(i);
                return;
            };
            match fd_of(&self.sockets, t.socket) {
                Some(fd) => u.send_tx(fd, i, t.start, t.len, t.to),
                None => {
                    self.send_errors += 1;
                    u.tx_unused(i);
                }
            }
        }
    }
}
