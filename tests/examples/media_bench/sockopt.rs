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
