//! SO_RCVBUFFORCE on the generator's sockets (root may exceed rmem_max): each carries the
//! packets of every stream, and a default buffer would drop bursts the relay did not.
#![allow(unsafe_code)]

use std::net::UdpSocket;
use std::os::fd::AsRawFd;

pub fn force_rcvbuf(s: &UdpSocket, bytes: i32) {
    for opt in [libc::SO_RCVBUFFORCE, libc::SO_SNDBUFFORCE] {
        // SAFETY: a valid socket fd, a pointer to a live c_int and its size.
        let _ = unsafe {
            libc::setsockopt(
                s.as_raw_fd(),
                libc::SOL_SOCKET,
                opt,
                (&bytes as *const i32).cast(),
                std::mem::size_of::<i32>() as libc::socklen_t,
            )
        };
    }
}

/// Kernel receive timestamps (`SO_TIMESTAMPNS`, CLOCK_REALTIME) on `s`.
pub fn enable_rx_timestamps(s: &UdpSocket) -> std::io::Result<()> {
    let on: libc::c_int = 1;
    // SAFETY: a valid socket fd, a pointer to a live c_int and its size.
    let r = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_TIMESTAMPNS,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// One datagram without blocking, with the time (ns since the Unix epoch) the kernel queued
/// it on the socket: `None` when nothing is waiting (or on an error).
pub fn recv_stamped(s: &UdpSocket, buf: &mut [u8]) -> Option<(usize, u64)> {
    recv_stamped_from(s, buf).map(|(len, stamp, _)| (len, stamp))
}

/// [`recv_stamped`], with the sender's UDP port (IPv4; 0 for another family).
pub fn recv_stamped_from(s: &UdpSocket, buf: &mut [u8]) -> Option<(usize, u64, u16)> {
    // SAFETY: all-zero is a valid sockaddr_in.
    let mut from: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    // Room for one `struct timespec` control message, 8-byte aligned.
    let mut control = [0u64; 8];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: all-zero is a valid msghdr (null pointers, zero lengths); filled in below.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_name = (&mut from as *mut libc::sockaddr_in).cast();
    msg.msg_namelen = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control) as _;
    // SAFETY: msg points at a live iovec over `buf`, at `control` and at `from`, all outliving
    // the call.
    let n = unsafe { libc::recvmsg(s.as_raw_fd(), &mut msg, libc::MSG_DONTWAIT) };
    if n < 0 {
        return None;
    }
    let mut stamp = 0;
    // SAFETY: the CMSG_* macros walk the control buffer the kernel filled in; each header
    // they return lies within it, and SCM_TIMESTAMPNS carries a timespec.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_TIMESTAMPNS {
                let ts = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast::<libc::timespec>());
                stamp = ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64;
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
    }
    let port = if i32::from(from.sin_family) == libc::AF_INET {
        u16::from_be(from.sin_port)
    } else {
        0
    };
    Some((n as usize, stamp, port))
}

/// SCHED_FIFO at `priority` for this process (threads and children started later inherit
/// it): the generator is the measuring instrument, and a CFS turn behind other work on the
/// host would show up as the relays' latency.
pub fn set_realtime(priority: u8) -> std::io::Result<()> {
    let param = libc::sched_param {
        sched_priority: i32::from(priority),
    };
    // SAFETY: pid 0 is this thread; `param` is a live sched_param.
    if unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Puts the calling thread back under normal scheduling (the background load's threads:
/// they must not compete with the generator, which is SCHED_FIFO).
pub fn set_normal() -> std::io::Result<()> {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: pid 0 is this thread; `param` is a live sched_param.
    if unsafe { libc::sched_setscheduler(0, libc::SCHED_OTHER, &param) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}
