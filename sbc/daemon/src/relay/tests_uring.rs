//! The io_uring driver on its own: a datagram arrives in a provided buffer with its source,
//! is sent on from the same slot, and an unbound socket's port is free again (its multishot
//! receive cancelled, not left holding the file).

use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use sbc_media::SocketId;

use super::uring::{Event, PAYLOAD_AT, Uring};

fn bound() -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
    s.set_nonblocking(true).expect("nonblocking");
    s
}

/// Turns the ring until `f` accepts an event (at most 2 s).
fn until(u: &mut Uring, fd: i32, mut f: impl FnMut(&mut Uring, Event) -> bool) {
    let end = Instant::now() + Duration::from_secs(2);
    while Instant::now() < end {
        u.turn(Some(Duration::from_millis(20))).expect("turn");
        while let Some(ev) = u.next(|_| Some(fd)) {
            if f(u, ev) {
                return;
            }
        }
    }
    panic!("no such completion within 2 s");
}

fn ring() -> (Uring, mio::Poll) {
    let poll = mio::Poll::new().expect("epoll");
    let u = Uring::new(poll.as_raw_fd()).unwrap_or_else(|e| {
        panic!("io_uring refused on this machine ({e}): a kernel >= 6.1 with io_uring enabled is needed")
    });
    (u, poll)
}

#[test]
fn a_datagram_lands_after_its_header_and_leaves_from_its_slot() {
    let (mut u, _poll) = ring();
    let (relay, peer, far) = (bound(), bound(), bound());
    let socket = SocketId(3);
    u.arm(socket, relay.as_raw_fd()).expect("arm");
    peer.send_to(b"hello relay", relay.local_addr().expect("addr"))
        .expect("send");
    let mut got = None;
    until(&mut u, relay.as_raw_fd(), |u, ev| match ev {
        Event::Datagram {
            socket: s,
            slot,
            from,
            len,
            truncated,
        } => {
            assert_eq!(s, socket);
            assert!(!truncated);
            assert_eq!(from, Some(peer.local_addr().expect("peer")));
            assert_eq!(
                &u.rx_slot(slot)[PAYLOAD_AT..PAYLOAD_AT + len],
                b"hello relay"
            );
            got = Some((slot, len));
            true
        }
        _ => false,
    });
    let (slot, len) = got.expect("datagram");
    let to: SocketAddr = far.local_addr().expect("far");
    u.send_rx(relay.as_raw_fd(), slot, PAYLOAD_AT, len, to);
    u.turn(None).expect("submit");
    let mut buf = [0u8; 64];
    let end = Instant::now() + Duration::from_secs(2);
    loop {
        match far.recv_from(&mut buf) {
            Ok((n, from)) => {
                assert_eq!(&buf[..n], b"hello relay");
                assert_eq!(from, relay.local_addr().expect("relay"));
                break;
            }
            Err(_) if Instant::now() < end => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => panic!("nothing sent on: {e}"),
        }
    }
}

#[test]
fn an_unbound_socket_frees_its_port() {
    let (mut u, _poll) = ring();
    let relay = bound();
    let addr = relay.local_addr().expect("addr");
    let socket = SocketId(0);
    u.arm(socket, relay.as_raw_fd()).expect("arm");
    u.turn(None).expect("submit");
    u.disarm(socket);
    drop(relay);
    let end = Instant::now() + Duration::from_secs(2);
    loop {
        u.turn(Some(Duration::from_millis(10))).expect("turn");
        while u.next(|_| None).is_some() {}
        match UdpSocket::bind(addr) {
            Ok(_) => break,
            Err(_) if Instant::now() < end => {}
            Err(e) => panic!("{addr} still bound after the receive was cancelled: {e}"),
        }
    }
    // A new socket on the same id and port receives; the old generation's completions
    // (none expected) would have been ignored.
    let again = UdpSocket::bind(addr).expect("rebind");
    again.set_nonblocking(true).expect("nonblocking");
    u.arm(socket, again.as_raw_fd()).expect("arm again");
    bound().send_to(b"x", addr).expect("send");
    until(&mut u, again.as_raw_fd(), |_, ev| {
        matches!(ev, Event::Datagram { len: 1, .. })
    });
}
