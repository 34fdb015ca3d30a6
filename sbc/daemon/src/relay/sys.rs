//! `recvmmsg(2)` and `sendmmsg(2)` over `libc`: a batch of datagrams per syscall; and
//! [`set_realtime`], a worker's `SCHED_FIFO` (`media.realtime_priority`).
//!
//! Neither std nor mio offers them; nix has wrappers, but their borrow structure ties the
//! buffers to the result for the whole batch and builds its headers per call anyway, so this
//! small module does the same in ~100 lines with the unsafe parts named. The workspace
//! denies `unsafe_code`; this module alone allows it. Every unsafe block's invariant is in
//! its SAFETY comment. The message headers are rebuilt on the stack for every call (they
//! point into the caller's buffers, so nothing self-referential is kept), and nothing here
//! allocates.
#![allow(unsafe_code)]

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::ops::Range;
use std::os::fd::RawFd;

/// Datagrams per syscall at most.
pub const MAX_BATCH: usize = 32;

/// What `recv_batch` learned about one datagram.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecvMeta {
    pub len: usize,
    /// `None` for an address family other than IPv4/IPv6 (not expected on UDP sockets).
    pub from: Option<SocketAddr>,
    /// The datagram was larger than its buffer (`MSG_TRUNC`).
    pub truncated: bool,
}

/// One datagram to send: `len` bytes at `start` of buffer `buf` to `to`.
#[derive(Debug, Clone, Copy)]
pub struct SendItem {
    pub buf: usize,
    pub start: usize,
    pub len: usize,
    pub to: SocketAddr,
}

/// A socket address in the C layout the kernel takes.
#[repr(C)]
#[derive(Clone, Copy)]
pub(super) union RawAddr {
    v4: libc::sockaddr_in,
    v6: libc::sockaddr_in6,
}

pub(super) fn raw_addr(addr: SocketAddr) -> (RawAddr, libc::socklen_t) {
    match addr {
        SocketAddr::V4(a) => (
            RawAddr {
                v4: libc::sockaddr_in {
                    sin_family: libc::AF_INET as libc::sa_family_t,
                    sin_port: a.port().to_be(),
                    sin_addr: libc::in_addr {
                        s_addr: u32::from_ne_bytes(a.ip().octets()),
                    },
                    sin_zero: [0; 8],
                },
            },
            size_of::<libc::sockaddr_in>() as libc::socklen_t,
        ),
        SocketAddr::V6(a) => (
            RawAddr {
                v6: libc::sockaddr_in6 {
                    sin6_family: libc::AF_INET6 as libc::sa_family_t,
                    sin6_port: a.port().to_be(),
                    sin6_flowinfo: a.flowinfo(),
                    sin6_addr: libc::in6_addr {
                        s6_addr: a.ip().octets(),
                    },
                    sin6_scope_id: a.scope_id(),
                },
            },
            size_of::<libc::sockaddr_in6>() as libc::socklen_t,
        ),
    }
}

pub(super) fn socket_addr(raw: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match i32::from(raw.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in; sockaddr_storage is
            // large enough and suitably aligned for every sockaddr type.
            let a = unsafe { &*(raw as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(a.sin_addr.s_addr.to_ne_bytes());
            Some(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(a.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: as above, for sockaddr_in6.
            let a =
                unsafe { &*(raw as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
            let ip = Ipv6Addr::from(a.sin6_addr.s6_addr);
            Some(SocketAddr::V6(SocketAddrV6::new(
                ip,
                u16::from_be(a.sin6_port),
                a.sin6_flowinfo,
                a.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

/// Receives up to `min(bufs, meta, MAX_BATCH)` datagrams without blocking, each into the
/// `window` of its buffer (room is left around it for the packet path). `Ok(0)` is never
/// returned: nothing waiting is `Err(WouldBlock)`.
pub fn recv_batch<B: AsMut<[u8]>>(
    fd: RawFd,
    bufs: &mut [B],
    window: Range<usize>,
    meta: &mut [RecvMeta],
) -> io::Result<usize> {
    let n = bufs.len().min(meta.len()).min(MAX_BATCH);
    // SAFETY: all-zero is a valid value of these plain C structs (null pointers, zero
    // lengths); each used entry is filled in below before the kernel sees it.
    let mut addrs: [libc::sockaddr_storage; MAX_BATCH] = unsafe { zeroed() };
    let mut iovs: [libc::iovec; MAX_BATCH] = unsafe { zeroed() };
    let mut hdrs: [libc::mmsghdr; MAX_BATCH] = unsafe { zeroed() };
    for i in 0..n {
        // A window outside the buffer receives nothing (the datagram counts as truncated).
        let buf = bufs[i].as_mut().get_mut(window.clone()).unwrap_or(&mut []);
        iovs[i] = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        let h = &mut hdrs[i].msg_hdr;
        h.msg_name = (&mut addrs[i] as *mut libc::sockaddr_storage).cast();
        h.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        h.msg_iov = &mut iovs[i];
        h.msg_iovlen = 1;
    }
    // SAFETY: `hdrs[..n]` point at `n` live iovecs over live, exclusively borrowed buffers
    // and at `n` address slots of the size given; all outlive the call. MSG_DONTWAIT: the
    // call never blocks; no timeout pointer.
    let r = unsafe {
        libc::recvmmsg(
            fd,
            hdrs.as_mut_ptr(),
            n as libc::c_uint,
            libc::MSG_DONTWAIT as _,
            std::ptr::null_mut(),
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    let got = (r as usize).min(n);
    for i in 0..got {
        meta[i] = RecvMeta {
            len: hdrs[i].msg_len as usize,
            from: socket_addr(&addrs[i]),
            truncated: hdrs[i].msg_hdr.msg_flags & libc::MSG_TRUNC != 0,
        };
    }
    Ok(got)
}

/// Sends `items` (each a prefix of one of `bufs`) from socket `fd` without blocking.
/// Returns how many were sent (in order): fewer than given when the kernel refused one
/// (its error is returned when it was the first).
pub fn send_batch<B: AsRef<[u8]>>(fd: RawFd, bufs: &[B], items: &[SendItem]) -> io::Result<usize> {
    let n = items.len().min(MAX_BATCH);
    // SAFETY: as in recv_batch: zeroed plain C structs, filled in before use.
    let mut addrs: [RawAddr; MAX_BATCH] = unsafe { zeroed() };
    let mut iovs: [libc::iovec; MAX_BATCH] = unsafe { zeroed() };
    let mut hdrs: [libc::mmsghdr; MAX_BATCH] = unsafe { zeroed() };
    let mut used = 0;
    for item in &items[..n] {
        let Some(buf) = bufs.get(item.buf).map(AsRef::as_ref) else {
            continue;
        };
        let Some(data) = buf.get(item.start..item.start.saturating_add(item.len)) else {
            continue;
        };
        let (raw, len) = raw_addr(item.to);
        addrs[used] = raw;
        iovs[used] = libc::iovec {
            // The kernel only reads through it (sendmmsg); iovec has no const variant.
            iov_base: data.as_ptr().cast_mut().cast(),
            iov_len: data.len(),
        };
        let h = &mut hdrs[used].msg_hdr;
        h.msg_name = (&mut addrs[used] as *mut RawAddr).cast();
        h.msg_namelen = len;
        h.msg_iov = &mut iovs[used];
        h.msg_iovlen = 1;
        used += 1;
    }
    if used == 0 {
        return Ok(0);
    }
    // SAFETY: `hdrs[..used]` point at live iovecs over live buffers (read only by the
    // kernel) and at address structs of the lengths given; all outlive the call.
    let r = unsafe {
        libc::sendmmsg(
            fd,
            hdrs.as_mut_ptr(),
            used as libc::c_uint,
            libc::MSG_DONTWAIT as _,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(r as usize)
}

/// Puts the calling thread under `SCHED_FIFO` at `priority` (1..=99): it then preempts
/// every normally scheduled task on its core at once, instead of waiting for its CFS turn
/// (milliseconds on a busy host). Needs CAP_SYS_NICE (root); the kernel's RT throttling
/// (`sched_rt_runtime_us`) still leaves the others 5 %.
pub fn set_realtime(priority: u8) -> io::Result<()> {
    let param = libc::sched_param {
        sched_priority: i32::from(priority),
    };
    // SAFETY: pid 0 is the calling thread; `param` is a live sched_param.
    let r = unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Puts the calling thread under normal scheduling (`SCHED_OTHER`), whatever it inherited:
/// a transcoding thread started from a realtime parent must not run at the workers'
/// `SCHED_FIFO` priority (on a shared core a busy transcoder would then keep its worker
/// from running: same-priority FIFO threads never preempt each other). Lowering the
/// policy needs no privilege.
#[cfg(feature = "transcoding")]
pub fn set_normal() -> io::Result<()> {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: pid 0 is the calling thread; `param` is a live sched_param.
    let r = unsafe { libc::sched_setscheduler(0, libc::SCHED_OTHER, &param) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
