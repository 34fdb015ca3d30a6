//! The media worker's io_uring driver (`[media] io = "io_uring"`), an alternative to the
//! epoll loop of [`worker`](super::worker) that takes the per-packet syscalls out of the
//! relay: one `io_uring_enter` per turn of the loop submits every send queued since the last
//! turn and waits for what arrived.
//!
//! * **Receive**: one multishot `RECVMSG` per socket, armed at bind and re-armed only when the
//!   kernel ends it (no buffer free, an error). Datagrams land in *provided buffers*: a ring
//!   of [`RX_BUFS`] slots registered with the kernel, which picks a free one per datagram
//!   and writes `io_uring_recvmsg_out`, the source address and the payload into it. The
//!   slot is laid out so the payload starts at [`PAYLOAD_AT`] (≥ the pipeline's headroom,
//!   the header in front of it is read before the packet path may overwrite it) with the
//!   pipeline's tailroom behind [`BUF_SIZE`].
//! * **Send**: a `SENDMSG` per forwarded packet, straight out of the slot it was received
//!   into (no copy); the slot goes back to the kernel's ring when the send completes. The
//!   engine's own packets (DTMF, transcoded audio) use slots of a growable pool, each boxed so
//!   its address stays put while the kernel reads it.
//! * **Waking**: the worker's [`mio::Poll`] still carries the waker (ops from the core); a
//!   multishot `POLL_ADD` on the epoll descriptor itself tells the ring when it fired.
//! * **Unbinding**: a socket's multishot receive holds a reference to its file, so closing
//!   the descriptor alone would keep the port bound: the receive is cancelled first.
//!   Completions still in flight for an old socket are recognised by a generation number in
//!   their `user_data` and only give their buffer back.
//!
//! The ring is set up `SINGLE_ISSUER | DEFER_TASKRUN` on the worker's own thread, so the
//! kernel runs the receive work only when the worker enters to collect it (batched, on the
//! worker's CPU). A kernel, container or seccomp filter that refuses io_uring (systemd's
//! `@system-service` set does not include it) makes the worker fall back to epoll, logged.
//!
//! The workspace denies `unsafe_code`; this module allows it, like [`sys`](super::sys): the
//! ring's entries point at memory the kernel reads or writes after the call returns, so each
//! unsafe block names what keeps that memory alive and unaliased until the completion.
#![allow(unsafe_code)]

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::io;
use std::mem::{size_of, zeroed};
use std::net::SocketAddr;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use io_uring::{IoUring, cqueue, opcode, squeue, types};
use sbc_media::{HEADROOM, SocketId, TAILROOM};

use super::batch::BUF_SIZE;
use super::sys::{RawAddr, raw_addr, socket_addr};

/// Receive slots in the provided-buffer ring (a power of two). 1,024 × ~2 KiB per worker:
/// room for a burst of every stream of a busy worker between two turns of its loop.
pub const RX_BUFS: usize = 1024;
/// `struct io_uring_recvmsg_out` (four `u32`), in front of the name in a received slot.
const RECVMSG_OUT: usize = 16;
/// The name field of a received slot: room for an IPv6 source address.
const NAME_LEN: usize = size_of::<libc::sockaddr_in6>();
/// Where a received payload starts in its slot.
pub const PAYLOAD_AT: usize = RECVMSG_OUT + NAME_LEN;
/// One slot: header and name (used as the packet's headroom once read), the datagram, room
/// behind it.
pub const USLOT: usize = PAYLOAD_AT + BUF_SIZE + TAILROOM;
const _: () = assert!(
    PAYLOAD_AT >= HEADROOM,
    "the payload must have the pipeline's headroom"
);
const _: () = assert!(RX_BUFS.is_power_of_two() && RX_BUFS <= 32768);
/// The provided-buffer group of the receive ring.
const GROUP: u16 = 0;

/// What a completion is about: the top two bits of its `user_data`.
const KIND_SHIFT: u32 = 62;
const RECV: u64 = 0;
const SEND: u64 = 1;
const WAKE: u64 = 2;
const CANCEL: u64 = 3;

/// A send's memory: the message header, its one iovec and the destination, which the
/// kernel reads when it runs the `SENDMSG` (possibly after the submitting call returned).
#[repr(C)]
struct SendState {
    hdr: libc::msghdr,
    iov: libc::iovec,
    addr: RawAddr,
}

impl SendState {
    fn empty() -> Self {
        // SAFETY: all-zero is a valid value of these plain C structs (null pointers, zero
        // lengths); every field is written before the kernel is given a pointer to it.
        unsafe { zeroed() }
    }
}

/// A slot for a packet of the engine's own, with its send state; boxed so that its address
/// stays the same while the pool grows.
struct TxSlot {
    buf: [u8; USLOT],
    send: SendState,
}

/// A completion, copied out of the ring so the ring can take new entries meanwhile.
#[derive(Debug, Clone, Copy)]
pub struct Done {
    user_data: u64,
    result: i32,
    flags: u32,
}

/// What a completion means to the worker.
#[derive(Debug, Clone, Copy)]
pub enum Event {
    /// A datagram on `socket` in receive slot `slot`: `len` bytes at [`PAYLOAD_AT`] from
    /// `from`. The slot is the worker's until [`Uring::send_rx`] or [`Uring::recycle`].
    Datagram {
        socket: SocketId,
        slot: u16,
        from: Option<SocketAddr>,
        len: usize,
        truncated: bool,
    },
    /// The waker (or anything else on the worker's epoll) fired.
    Woken,
    /// A send failed (the datagram is lost: buffer full, unreachable).
    SendFailed,
    /// Nothing for the worker (a send done, a cancel, a stale receive).
    None,
}

/// The provided-buffer ring: `RX_BUFS` entries of `struct io_uring_buf` (16 bytes each),
/// page-aligned, shared with the kernel; the tail (in the first entry's last two bytes) is
/// what tells it how many are free.
struct BufRing {
    entries: *mut u8,
    layout: Layout,
    tail: u16,
}

impl BufRing {
    fn new() -> io::Result<Self> {
        let layout = Layout::from_size_align(RX_BUFS * 16, 4096).map_err(io::Error::other)?;
        // SAFETY: the layout has a non-zero size.
        let entries = unsafe { alloc_zeroed(layout) };
        if entries.is_null() {
            return Err(io::Error::from(io::ErrorKind::OutOfMemory));
        }
        Ok(BufRing {
            entries,
            layout,
            tail: 0,
        })
    }

    /// Gives buffer `bid` (at `addr`, `len` bytes) to the kernel.
    fn push(&mut self, addr: *mut u8, len: u32, bid: u16) {
        let i = usize::from(self.tail) & (RX_BUFS - 1);
        // SAFETY: `i < RX_BUFS`, so the 16-byte entry is inside the allocation; the kernel
        // reads entries only between its head and the published tail, and this one is past
        // the tail until `publish`.
        unsafe {
            let e = self.entries.add(i * 16);
            e.cast::<u64>().write(addr as u64);
            e.add(8).cast::<u32>().write(len);
            e.add(12).cast::<u16>().write(bid);
        }
        self.tail = self.tail.wrapping_add(1);
        self.publish();
    }

    fn publish(&self) {
        // SAFETY: the tail lives at offset 14 of the first entry (the `resv` field of
        // `struct io_uring_buf`, shared with `struct io_uring_buf_ring`'s tail), 2-aligned
        // inside a page-aligned allocation; the kernel reads it concurrently, hence atomic.
        let tail = unsafe { &*self.entries.add(14).cast::<AtomicU16>() };
        tail.store(self.tail, Ordering::Release);
    }
}

impl Drop for BufRing {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout; the ring that used it is gone (field
        // order in `Uring` drops the ring first).
        unsafe { dealloc(self.entries, self.layout) }
    }
}

/// One worker's ring, its receive slots and its send pool.
pub struct Uring {
    // Dropped first: the kernel stops using the buffers below before they are freed.
    ring: IoUring,
    bufs: BufRing,
    /// `RX_BUFS` receive slots.
    rx: Box<[[u8; USLOT]]>,
    /// A send state per receive slot (a forwarded packet leaves from the slot it came in).
    rx_send: Box<[SendState]>,
    /// The engine's own packets' slots, and which are free.
    // Boxed on purpose: a slot's address must not move while the kernel reads it, and the
    // vector reallocates as the pool grows.
    #[allow(clippy::vec_box)]
    tx: Vec<Box<TxSlot>>,
    tx_free: Vec<u32>,
    /// The template of every multishot receive (only its name and control lengths matter).
    recv_hdr: Box<libc::msghdr>,
    /// Generation of each socket index, so a completion for an unbound socket is known.
    generation: Vec<u32>,
    /// Sockets whose receive the kernel ended (no buffer free): armed again each turn.
    rearm: Vec<(SocketId, RawFd)>,
    done: Vec<Done>,
    /// The worker's epoll descriptor (the waker), and whether its poll must be armed again.
    wake_fd: RawFd,
    wake_lost: bool,
}

// SAFETY: the raw pointers (the buffer ring, the send states' pointers into the slots)
// point only into memory this struct owns; it is handed once to the worker thread that
// then uses it alone.
unsafe impl Send for Uring {}

impl std::fmt::Debug for Uring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uring")
            .field("tx_slots", &self.tx.len())
            .finish_non_exhaustive()
    }
}

fn user_data(kind: u64, low: u64) -> u64 {
    (kind << KIND_SHIFT) | low
}

fn recv_tag(socket: SocketId, generation: u32) -> u64 {
    user_data(
        RECV,
        (u64::from(generation & 0x00ff_ffff) << 32) | u64::from(socket.0),
    )
}

impl Uring {
    /// Sets the ring up on the calling thread (the worker's: `SINGLE_ISSUER`), registers
    /// the receive buffers and arms a multishot poll on `wake_fd` (the worker's epoll).
    pub fn new(wake_fd: RawFd) -> io::Result<Self> {
        let ring = IoUring::builder()
            .setup_single_issuer()
            .setup_defer_taskrun()
            .setup_cqsize(8 * RX_BUFS as u32)
            .build(1024)?;
        let mut u = Uring {
            ring,
            bufs: BufRing::new()?,
            rx: vec![[0u8; USLOT]; RX_BUFS].into_boxed_slice(),
            rx_send: (0..RX_BUFS).map(|_| SendState::empty()).collect(),
            tx: Vec::new(),
            tx_free: Vec::new(),
            recv_hdr: Box::new(SendState::empty().hdr),
            generation: Vec::new(),
            rearm: Vec::new(),
            done: Vec::with_capacity(8 * RX_BUFS),
            wake_fd,
            wake_lost: false,
        };
        u.recv_hdr.msg_namelen = NAME_LEN as libc::socklen_t;
        // SAFETY: `bufs.entries` holds RX_BUFS entries and lives as long as the ring (it is
        // dropped after it).
        unsafe {
            u.ring.submitter().register_buf_ring_with_flags(
                u.bufs.entries as u64,
                RX_BUFS as u16,
                GROUP,
                0,
            )?;
        }
        for bid in 0..RX_BUFS {
            u.recycle(bid as u16);
        }
        u.arm_wake()?;
        Ok(u)
    }

    fn arm_wake(&mut self) -> io::Result<()> {
        let poll = opcode::PollAdd::new(types::Fd(self.wake_fd), libc::POLLIN as u32)
            .multi(true)
            .build()
            .user_data(user_data(WAKE, 0));
        self.wake_lost = false;
        self.push(&poll)
    }

    /// Queues an entry, submitting what is queued first when the queue is full.
    fn push(&mut self, entry: &squeue::Entry) -> io::Result<()> {
        loop {
            // SAFETY: every entry built here points only at memory that stays valid until
            // its completion (see each builder's caller).
            if unsafe { self.ring.submission().push(entry) }.is_ok() {
                return Ok(());
            }
            self.ring.submit()?;
        }
    }

    /// Starts receiving on `socket` (a new bind: a new generation).
    pub fn arm(&mut self, socket: SocketId, fd: RawFd) -> io::Result<()> {
        let i = socket.index();
        if self.generation.len() <= i {
            self.generation.resize(i + 1, 0);
        }
        self.generation[i] = self.generation[i].wrapping_add(1) & 0x00ff_ffff;
        self.arm_again(socket, fd)
    }

    fn arm_again(&mut self, socket: SocketId, fd: RawFd) -> io::Result<()> {
        let generation = self.generation.get(socket.index()).copied().unwrap_or(0);
        let recv = opcode::RecvMsgMulti::new(types::Fd(fd), &*self.recv_hdr, GROUP)
            .build()
            .user_data(recv_tag(socket, generation));
        // The template is boxed and owned by `self`, alive as long as the ring.
        self.push(&recv)
    }

    /// Stops receiving on `socket` before its descriptor is closed (the receive holds the
    /// file, so the port would stay bound).
    pub fn disarm(&mut self, socket: SocketId) {
        let Some(g) = self.generation.get_mut(socket.index()) else {
            return;
        };
        let tag = recv_tag(socket, *g);
        *g = g.wrapping_add(1) & 0x00ff_ffff;
        self.rearm.retain(|(s, _)| *s != socket);
        let cancel = opcode::AsyncCancel::new(tag)
            .build()
            .user_data(user_data(CANCEL, 0));
        // A full queue that cannot be submitted leaves the receive running until the ring
        // is closed: the port stays bound meanwhile, nothing else breaks.
        let _ = self.push(&cancel);
    }

    /// Gives receive slot `bid` back to the kernel.
    pub fn recycle(&mut self, bid: u16) {
        let Some(slot) = self.rx.get_mut(usize::from(bid)) else {
            return;
        };
        let addr = slot.as_mut_ptr();
        self.bufs.push(addr, (PAYLOAD_AT + BUF_SIZE) as u32, bid);
    }

    /// The receive slot `bid` (the packet path works in it).
    pub fn rx_slot(&mut self, bid: u16) -> &mut [u8] {
        &mut self.rx[usize::from(bid)][..]
    }

    /// Sends `len` bytes at `start` of receive slot `bid` from `fd` to `to`; the slot is
    /// recycled when the send completes.
    pub fn send_rx(&mut self, fd: RawFd, bid: u16, start: usize, len: usize, to: SocketAddr) {
        let i = usize::from(bid);
        let Some(data) = self.rx[i].get(start..start.saturating_add(len)) else {
            self.recycle(bid);
            return;
        };
        let data = (data.as_ptr(), data.len());
        let msg = fill(&mut self.rx_send[i], data, to);
        let send = opcode::SendMsg::new(types::Fd(fd), msg)
            .build()
            .user_data(user_data(SEND, i as u64));
        // SAFETY of the pointers in `send`: slot `i` and its send state are not recycled or
        // reused until this send's completion (`complete`).
        if self.push(&send).is_err() {
            self.recycle(bid);
        }
    }

    /// A free slot for a packet of the engine's own (the pool grows when all are in flight).
    pub fn tx_slot(&mut self) -> (u32, &mut [u8]) {
        let i = match self.tx_free.pop() {
            Some(i) => i,
            None => {
                self.tx.push(Box::new(TxSlot {
                    buf: [0u8; USLOT],
                    send: SendState::empty(),
                }));
                (self.tx.len() - 1) as u32
            }
        };
        (i, &mut self.tx[i as usize].buf[..])
    }

    /// Gives an unused slot from [`tx_slot`](Self::tx_slot) back.
    pub fn tx_unused(&mut self, i: u32) {
        self.tx_free.push(i);
    }

    /// Sends `len` bytes at `start` of engine slot `i` from `fd` to `to`.
    pub fn send_tx(&mut self, fd: RawFd, i: u32, start: usize, len: usize, to: SocketAddr) {
        let Some(slot) = self.tx.get_mut(i as usize) else {
            return;
        };
        let Some(data) = slot.buf.get(start..start.saturating_add(len)) else {
            self.tx_free.push(i);
            return;
        };
        let data = (data.as_ptr(), data.len());
        let msg = fill(&mut slot.send, data, to);
        let send = opcode::SendMsg::new(types::Fd(fd), msg)
            .build()
            .user_data(user_data(SEND, RX_BUFS as u64 + u64::from(i)));
        // SAFETY of the pointers in `send`: the boxed slot is neither freed nor reused
        // until this send's completion.
        if self.push(&send).is_err() {
            self.tx_free.push(i);
        }
    }

    /// Submits what is queued and waits up to `timeout` for a completion (none: not at
    /// all), then copies every completion out. Returns them through [`Self::next`].
    pub fn turn(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        if self.wake_lost {
            self.arm_wake()?;
        }
        for (socket, fd) in std::mem::take(&mut self.rearm) {
            self.arm_again(socket, fd)?;
        }
        let r = match timeout {
            Some(t) if !t.is_zero() => {
                let ts = types::Timespec::from(t);
                let args = types::SubmitArgs::new().timespec(&ts);
                self.ring.submitter().submit_with_args(1, &args)
            }
            _ => self.ring.submit(),
        };
        match r {
            Ok(_) => {}
            Err(e) if matches!(e.raw_os_error(), Some(libc::ETIME | libc::EINTR)) => {}
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {} // completions to reap first
            Err(e) => return Err(e),
        }
        self.done.clear();
        for cqe in self.ring.completion() {
            self.done.push(Done {
                user_data: cqe.user_data(),
                result: cqe.result(),
                flags: cqe.flags(),
            });
        }
        self.done.reverse();
        Ok(())
    }

    /// The next completion of this turn, interpreted; `None` when all are taken.
    /// `fd_of` gives a socket's descriptor (to re-arm its receive), `None` if unbound.
    pub fn next(&mut self, fd_of: impl Fn(SocketId) -> Option<RawFd>) -> Option<Event> {
        let d = self.done.pop()?;
        let low = d.user_data & ((1 << KIND_SHIFT) - 1);
        Some(match d.user_data >> KIND_SHIFT {
            RECV => self.received(d, low, fd_of),
            SEND => {
                let i = low as usize;
                if i < RX_BUFS {
                    self.recycle(i as u16);
                } else {
                    self.tx_free.push((i - RX_BUFS) as u32);
                }
                if d.result < 0 {
                    Event::SendFailed
                } else {
                    Event::None
                }
            }
            WAKE => {
                if !cqueue::more(d.flags) {
                    // The multishot poll ended (e.g. an overflow): armed again next turn.
                    self.wake_lost = true;
                }
                Event::Woken
            }
            _ => Event::None,
        })
    }

    fn received(&mut self, d: Done, low: u64, fd_of: impl Fn(SocketId) -> Option<RawFd>) -> Event {
        let socket = SocketId((low & 0xffff_ffff) as u32);
        let generation = (low >> 32) as u32;
        let current = self.generation.get(socket.index()).copied() == Some(generation);
        if !cqueue::more(d.flags) && current {
            // The kernel ended the receive (no buffer was free, or an error): again next
            // turn, unless the socket is gone.
            if let Some(fd) = fd_of(socket) {
                self.rearm.push((socket, fd));
            }
        }
        let Some(bid) = cqueue::buffer_select(d.flags) else {
            return Event::None;
        };
        if d.result < 0 || !current {
            self.recycle(bid);
            return Event::None;
        }
        let got = (d.result as usize).min(PAYLOAD_AT + BUF_SIZE);
        let slot = &self.rx[usize::from(bid)];
        let Ok(out) = types::RecvMsgOut::parse(&slot[..got], &self.recv_hdr) else {
            self.recycle(bid);
            return Event::None;
        };
        let from = source(out.name_data());
        let truncated = out.is_payload_truncated();
        let len = out.payload_data().len();
        Event::Datagram {
            socket,
            slot: bid,
            from,
            len,
            truncated,
        }
    }
}

/// Fills a send state for `data` to `to` and returns its header.
fn fill(s: &mut SendState, data: (*const u8, usize), to: SocketAddr) -> *const libc::msghdr {
    let (raw, len) = raw_addr(to);
    s.addr = raw;
    s.iov = libc::iovec {
        // The kernel only reads through it (sendmsg); iovec has no const variant.
        iov_base: data.0.cast_mut().cast(),
        iov_len: data.1,
    };
    s.hdr.msg_name = (&mut s.addr as *mut RawAddr).cast();
    s.hdr.msg_namelen = len;
    s.hdr.msg_iov = &mut s.iov;
    s.hdr.msg_iovlen = 1;
    &s.hdr
}

/// The source address in a received slot's name field.
fn source(name: &[u8]) -> Option<SocketAddr> {
    // SAFETY: all-zero is a valid sockaddr_storage.
    let mut storage: libc::sockaddr_storage = unsafe { zeroed() };
    let n = name.len().min(size_of::<libc::sockaddr_storage>());
    // SAFETY: `n` bytes fit in both; the storage is plain bytes to the copy.
    unsafe {
        std::ptr::copy_nonoverlapping(
            name.as_ptr(),
            (&mut storage as *mut libc::sockaddr_storage).cast::<u8>(),
            n,
        );
    }
    socket_addr(&storage)
}
