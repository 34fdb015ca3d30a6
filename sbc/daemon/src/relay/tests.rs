//! The relay's IO on loopback: real sockets, real worker threads, `recvmmsg`/`sendmmsg`.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use sbc_core::{LatchMode, LatchReason, MediaEvent, MediaOp, RemoteSpec, Side, StreamKey};

use super::{MediaEvents, RelayConfig, start};

/// An even port `p` with `p` and `p + 1` free on loopback (free a moment ago).
fn free_pair() -> u16 {
    for _ in 0..200 {
        let Ok(s) = UdpSocket::bind("127.0.0.1:0") else {
            continue;
        };
        let Ok(a) = s.local_addr() else { continue };
        let p = a.port() & !1;
        drop(s);
        if p < 1024 {
            continue;
        }
        let (Ok(_x), Ok(_y)) = (
            UdpSocket::bind(("127.0.0.1", p)),
            UdpSocket::bind(("127.0.0.1", p + 1)),
        ) else {
            continue;
        };
        return p;
    }
    panic!("no free port pair on loopback");
}

fn local(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn peer() -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind peer");
    s.set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    s
}

fn rtp(ssrc: u32, seq: u16) -> Vec<u8> {
    let mut p = vec![0u8; 172];
    p[0] = 0x80;
    p[1] = 0;
    p[2..4].copy_from_slice(&seq.to_be_bytes());
    p[4..8].copy_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    p[8..12].copy_from_slice(&ssrc.to_be_bytes());
    p
}

/// Waits (up to 2 s) for an event matching `f`.
fn wait_event(events: &mut MediaEvents, f: impl Fn(&MediaEvent) -> bool) -> MediaEvent {
    let end = Instant::now() + Duration::from_secs(2);
    while Instant::now() < end {
        match events.try_recv() {
            Ok(ev) if f(&ev) => return ev,
            Ok(_) => {}
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    panic!("event not seen");
}

fn recv(s: &UdpSocket) -> Option<(Vec<u8>, SocketAddr)> {
    let mut buf = [0u8; 2048];
    let (n, from) = s.recv_from(&mut buf).ok()?;
    Some((buf[..n].to_vec(), from))
}

fn remote(rtp: SocketAddr) -> RemoteSpec {
    RemoteSpec {
        rtp: Some(rtp),
        rtcp: None,
        rtcp_mux: false,
        fork: None,
    }
}

#[test]
fn relays_both_ways_latches_and_refuses_strangers() {
    relays_both_ways_latches_and_refuses_strangers_with(false);
}

#[test]
fn relays_both_ways_latches_and_refuses_strangers_io_uring() {
    relays_both_ways_latches_and_refuses_strangers_with(true);
}

fn relays_both_ways_latches_and_refuses_strangers_with(io_uring: bool) {
    let board = std::sync::Arc::new(crate::observe::media::MediaBoard::new(2));
    let (relay, mut events) = start(RelayConfig {
        workers: 2,
        board: Some(board.clone()),
        io_uring,
        ..RelayConfig::default()
    })
    .expect("start relay");
    let media = relay.handle();
    let (pa, pb) = (free_pair(), free_pair());
    let (a_local, b_local) = (local(pa), local(pb));
    let stream = StreamKey { call: 1, index: 0 };
    let (a, b, evil) = (peer(), peer(), peer());
    let (a_addr, b_addr) = (a.local_addr().expect("a"), b.local_addr().expect("b"));
    media.send(MediaOp::Open {
        stream,
        a_local,
        b_local,
        latch_a: LatchMode::Always,
        latch_b: LatchMode::Never,
    });
    // A's SDP names a port it does not send from (NAT); B's is exact.
    media.send(MediaOp::Remote {
        stream,
        side: Side::A,
        remote: remote(local(9)),
    });
    media.send(MediaOp::Remote {
        stream,
        side: Side::B,
        remote: remote(b_addr),
    });
    wait_event(&mut events, |e| {
        matches!(e, MediaEvent::Latched { side: Side::B, .. })
    });
    // A: the first packet is checked, the next ones relayed from B's local port.
    for seq in 0..3 {
        a.send_to(&rtp(1, seq), a_local).expect("send");
    }
    let (p, from) = recv(&b).expect("A's RTP at B");
    assert_eq!((from, &p[2..4]), (b_local, &1u16.to_be_bytes()[..]));
    assert!(recv(&b).is_some());
    let ev = wait_event(&mut events, |e| {
        matches!(e, MediaEvent::Latched { side: Side::A, .. })
    });
    assert_eq!(
        ev,
        MediaEvent::Latched {
            stream,
            side: Side::A,
            addr: a_addr,
            reason: LatchReason::Observed
        }
    );
    // B's media reaches A at its real address, from A's local port.
    b.send_to(&rtp(2, 7), b_local).expect("send");
    let (_, from) = recv(&a).expect("B's RTP at A");
    assert_eq!(from, a_local);
    // A stranger's consistent stream and junk are dropped.
    for seq in 0..5 {
        evil.send_to(&rtp(666, seq), a_local).expect("send");
    }
    evil.send_to(b"not rtp at all", b_local).expect("send");
    b.set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    assert!(recv(&b).is_none(), "nothing of the stranger relayed");
    media.send(MediaOp::QueryStats { stream });
    let MediaEvent::Stats { a: sa, b: sb, .. } =
        wait_event(&mut events, |e| matches!(e, MediaEvent::Stats { .. }))
    else {
        unreachable!()
    };
    assert_eq!((sa.packets, sa.foreign), (2, 5), "{sa:?}");
    assert_eq!((sb.packets, sb.junk), (1, 1), "{sb:?}");
    // Close: the ports are free again.
    media.send(MediaOp::Close { stream });
    wait_event(&mut events, |e| matches!(e, MediaEvent::Closed { .. }));
    for port in [pa, pa + 1, pb, pb + 1] {
        UdpSocket::bind(local(port)).expect("port released");
    }
    // The metrics board: the closed stream's packets (2 from A, 1 from B, all RTP relayed
    // by the worker) and the drops, once the worker published (every second).
    let ip = a_local.ip();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let totals = loop {
        let t = board.sum();
        let rtp = t.received.get(&ip).map_or(0, |r| r.rtp.userspace_packets);
        if (rtp, t.streams) == (3, 0) || std::time::Instant::now() > deadline {
            break t;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let got = totals.received.get(&ip).copied().unwrap_or_default();
    assert_eq!(
        (
            got.rtp.userspace_packets,
            got.rtp.kernel_packets,
            got.rtcp.userspace_packets
        ),
        (3, 0, 0),
        "{totals:?}"
    );
    assert_eq!(
        got.rtp.userspace_bytes,
        2 * rtp(1, 0).len() as u64 + rtp(2, 7).len() as u64
    );
    assert_eq!(totals.drops.get(sbc_core::DropKind::Foreign), 5);
    assert_eq!(totals.drops.get(sbc_core::DropKind::Junk), 1);
    relay.shutdown();
}

#[test]
fn a_port_in_use_is_reported() {
    a_port_in_use_is_reported_with(false);
}

#[test]
fn a_port_in_use_is_reported_io_uring() {
    a_port_in_use_is_reported_with(true);
}

fn a_port_in_use_is_reported_with(io_uring: bool) {
    let (relay, mut events) = start(RelayConfig {
        workers: 1,
        io_uring,
        ..RelayConfig::default()
    })
    .expect("start relay");
    let busy = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let port = busy.local_addr().expect("addr").port() & !1;
    let _also = UdpSocket::bind(local(port));
    let stream = StreamKey { call: 2, index: 1 };
    relay.handle().send(MediaOp::Open {
        stream,
        a_local: local(free_pair()),
        b_local: local(port),
        latch_a: LatchMode::Always,
        latch_b: LatchMode::Always,
    });
    let ev = wait_event(&mut events, |e| matches!(e, MediaEvent::BindFailed { .. }));
    assert!(matches!(ev, MediaEvent::BindFailed { stream: s, .. } if s == stream));
    // The stream is gone: ops on it are refused (logged), nothing else happens.
    relay.handle().send(MediaOp::Close { stream });
    relay.shutdown();
}

#[test]
fn a_flooded_port_does_not_starve_the_other_streams() {
    a_flooded_port_does_not_starve_the_other_streams_with(false);
}

#[test]
fn a_flooded_port_does_not_starve_the_other_streams_io_uring() {
    a_flooded_port_does_not_starve_the_other_streams_with(true);
}

fn a_flooded_port_does_not_starve_the_other_streams_with(io_uring: bool) {
    let (relay, mut events) = start(RelayConfig {
        workers: 1,
        io_uring,
        ..RelayConfig::default()
    })
    .expect("start relay");
    let media = relay.handle();
    let (a, b) = (peer(), peer());
    let (a_addr, b_addr) = (a.local_addr().expect("a"), b.local_addr().expect("b"));
    let mut locals = vec![];
    for call in [10, 11] {
        let stream = StreamKey { call, index: 0 };
        let (a_local, b_local) = (local(free_pair()), local(free_pair()));
        locals.push((a_local, b_local));
        media.send(MediaOp::Open {
            stream,
            a_local,
            b_local,
            latch_a: LatchMode::Never,
            latch_b: LatchMode::Never,
        });
        for (side, addr) in [(Side::A, a_addr), (Side::B, b_addr)] {
            media.send(MediaOp::Remote {
                stream,
                side,
                remote: remote(addr),
            });
        }
    }
    wait_event(
        &mut events,
        |e| matches!(e, MediaEvent::Latched { stream, side: Side::B, .. } if stream.call == 11),
    );
    // Junk floods call 11's A port from another thread while call 10 carries RTP.
    let target = locals[1].0;
    let flood = std::thread::spawn(move || {
        let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let end = Instant::now() + Duration::from_millis(400);
        let mut n = 0u64;
        while Instant::now() < end {
            let _ = s.send_to(b"junk junk junk junk", target);
            n += 1;
        }
        n
    });
    let mut got = 0;
    for seq in 0..10 {
        a.send_to(&rtp(1, seq), locals[0].0).expect("send");
        if recv(&b).is_some() {
            got += 1;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let flooded = flood.join().expect("flood");
    assert!(
        got >= 9,
        "{got} of 10 relayed during a flood of {flooded} datagrams"
    );
    relay.shutdown();
}
