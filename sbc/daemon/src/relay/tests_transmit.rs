//! The worker's IO for packets of the engine's own, on loopback: what a transform adds
//! leaves right behind the packet that caused it, and what it emits on its clock leaves
//! when the worker's timers fire. The transforms are test fixtures (the features that will
//! install real ones, DTMF and transcoding, do not exist yet).

use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use sbc_core::{LatchMode, MediaOp, RemoteSpec, Side, StreamKey};
use sbc_media::{Action, Emit, Endpoint, SocketId, StepError, Transform, TransformCtx};
use tokio::sync::mpsc;

use super::worker::Worker;

/// 1 -> 2: the packet, then a copy with its last byte set to 0xff.
#[derive(Debug)]
struct MarkedCopy;

impl Transform for MarkedCopy {
    fn name(&self) -> &'static str {
        "marked-copy"
    }

    fn packet(&mut self, cx: &mut TransformCtx<'_, '_>) -> Result<Action, StepError> {
        let mut copy = [0u8; 256];
        let data = cx.buf.data();
        let n = data.len().min(copy.len());
        copy[..n].copy_from_slice(&data[..n]);
        copy[n - 1] = 0xff;
        cx.emit.packet(&copy[..n], false)?;
        Ok(Action::Forward)
    }
}

/// Emits one 12-byte packet at `at`.
#[derive(Debug)]
struct Once {
    at: Option<Instant>,
}

impl Transform for Once {
    fn name(&self) -> &'static str {
        "once"
    }

    fn packet(&mut self, _cx: &mut TransformCtx<'_, '_>) -> Result<Action, StepError> {
        Ok(Action::Forward)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.at
    }

    fn on_timeout(&mut self, _now: Instant, emit: &mut Emit<'_>) -> Result<(), StepError> {
        self.at = None;
        emit.packet(&[0x80, 13, 0, 1, 0, 0, 0, 0, 0xbe, 0xac, 0, 0], false)
    }
}

fn peer() -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind peer");
    s.set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    s
}

/// A free loopback address for one of the stream's RTP sockets (its RTCP takes port + 1).
pub(super) fn free_local() -> SocketAddr {
    for _ in 0..200 {
        let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let p = s.local_addr().expect("addr").port() & !1;
        drop(s);
        if p >= 1024
            && UdpSocket::bind(("127.0.0.1", p)).is_ok()
            && UdpSocket::bind(("127.0.0.1", p + 1)).is_ok()
        {
            return SocketAddr::from(([127, 0, 0, 1], p));
        }
    }
    panic!("no free port pair");
}

fn recv(s: &UdpSocket) -> Option<(Vec<u8>, SocketAddr)> {
    let mut buf = [0u8; 2048];
    let (n, from) = s.recv_from(&mut buf).ok()?;
    Some((buf[..n].to_vec(), from))
}

#[test]
fn engine_packets_leave_behind_their_cause_and_on_the_timers() {
    let (_ops, rx) = std_mpsc::channel();
    let (events, _events_rx) = mpsc::unbounded_channel();
    let mut w = Worker::new(0, sbc_media::ShardConfig::default(), rx, events).expect("worker");
    let (a, b) = (peer(), peer());
    let (a_local, b_local) = (free_local(), free_local());
    let stream = StreamKey { call: 1, index: 0 };
    let now = Instant::now();
    let remote = |addr| RemoteSpec {
        rtp: Some(addr),
        rtcp: None,
        rtcp_mux: false,
        fork: None,
    };
    for op in [
        MediaOp::Open {
            stream,
            a_local,
            b_local,
            latch_a: LatchMode::Never,
            latch_b: LatchMode::Never,
        },
        MediaOp::Remote {
            stream,
            side: Side::A,
            remote: remote(a.local_addr().expect("a")),
        },
        MediaOp::Remote {
            stream,
            side: Side::B,
            remote: remote(b.local_addr().expect("b")),
        },
    ] {
        w.shard.apply(now, op).expect("op");
        w.socket_work(now);
    }
    w.shard
        .set_transform(stream, Side::B, Some(Box::new(MarkedCopy)))
        .expect("transform");
    w.shard
        .set_transform(
            stream,
            Side::A,
            Some(Box::new(Once {
                at: Some(now + Duration::from_millis(5)),
            })),
        )
        .expect("transform");

    let mut sent = vec![0x80, 8, 0, 7, 0, 0, 0, 0, 0, 0, 0, 1];
    sent.extend_from_slice(&[0x55; 160]);
    a.send_to(&sent, a_local).expect("send");
    std::thread::sleep(Duration::from_millis(20));
    let a_rtp = SocketId::new(
        0,
        Endpoint {
            side: Side::A,
            rtcp: false,
        },
    );
    w.read_socket(now, a_rtp);
    let (first, from) = recv(&b).expect("the packet");
    assert_eq!((first, from), (sent.clone(), b_local));
    let (second, from) = recv(&b).expect("its copy");
    assert_eq!(from, b_local);
    assert_eq!(second[..sent.len() - 1], sent[..sent.len() - 1]);
    assert_eq!(second.last(), Some(&0xff));

    w.timers(now + Duration::from_millis(4));
    a.set_read_timeout(Some(Duration::from_millis(100)))
        .expect("timeout");
    assert!(recv(&a).is_none(), "not before its time");
    w.timers(now + Duration::from_millis(5));
    let (own, from) = recv(&a).expect("the engine's own packet");
    assert_eq!(from, a_local);
    assert_eq!(own, [0x80, 13, 0, 1, 0, 0, 0, 0, 0xbe, 0xac, 0, 0]);
}
