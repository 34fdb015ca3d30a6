//! Pushes N packets through one [`Shard`]'s packet path, for an instruction count per packet:
//!
//! ```sh
//! cargo build --release -p sbc-media --example packet_path
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/packet_path 10000
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/packet_path 110000
//! ```
//!
//! (difference of the two totals) / 100,000 = instructions per packet, set-up excluded.
//! The workload is what the relay does in a call: `STREAMS` latched streams, RTP both ways
//! (172-byte PCMA packets, round robin over the streams), an RTCP report every 50 packets.
//! The buffers are the caller's, as in the daemon's worker; nothing is printed per packet.
#![allow(clippy::print_stdout)]

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use sbc_core::{LatchMode, MediaOp, RemoteSpec, Side, StreamKey};
use sbc_media::{Endpoint, IoOp, Shard, ShardConfig, SocketId, Verdict};

/// Streams the packets are spread over.
const STREAMS: u16 = 64;

fn addr(ip: [u8; 4], port: u16) -> SocketAddr {
    SocketAddr::from((ip, port))
}

fn rtp(ssrc: u32) -> [u8; 172] {
    let mut p = [0u8; 172];
    p[0] = 0x80;
    p[1] = 8;
    p[8..12].copy_from_slice(&ssrc.to_be_bytes());
    p
}

fn main() -> ExitCode {
    let Some(n) = std::env::args().nth(1).and_then(|a| a.parse::<u64>().ok()) else {
        eprintln!("usage: packet_path PACKETS");
        return ExitCode::FAILURE;
    };
    let t0 = Instant::now();
    let mut shard = Shard::new(ShardConfig::default());
    let peer = |side: Side, i: u16| match side {
        Side::A => addr([203, 0, 113, 9], 10_000 + 2 * i),
        Side::B => addr([198, 51, 100, 20], 20_000 + 2 * i),
    };
    let mut sockets = Vec::new();
    for i in 0..STREAMS {
        let stream = StreamKey {
            call: u64::from(i),
            index: 0,
        };
        let ops = [
            MediaOp::Open {
                stream,
                a_local: addr([192, 0, 2, 1], 30_000 + 2 * i),
                b_local: addr([192, 0, 2, 2], 40_000 + 2 * i),
                latch_a: LatchMode::Never,
                latch_b: LatchMode::Never,
            },
            MediaOp::Remote {
                stream,
                side: Side::A,
                remote: RemoteSpec {
                    rtp: Some(peer(Side::A, i)),
                    rtcp: None,
                    rtcp_mux: false,
                    fork: None,
                },
            },
            MediaOp::Remote {
                stream,
                side: Side::B,
                remote: RemoteSpec {
                    rtp: Some(peer(Side::B, i)),
                    rtcp: None,
                    rtcp_mux: false,
                    fork: None,
                },
            },
            MediaOp::Answered { stream, fork: None },
        ];
        for op in ops {
            if let Err(e) = shard.apply(t0, op) {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
        while let Some(io) = shard.poll_io() {
            if let IoOp::Bind { socket, .. } = io {
                sockets.push(socket);
            }
        }
        while shard.poll_event().is_some() {}
    }
    let socket = |i: u16, side: Side, rtcp: bool| {
        let slot = usize::from(i);
        let id = SocketId::new(slot, Endpoint { side, rtcp });
        debug_assert!(sockets.contains(&id));
        id
    };
    let mut bufs = [rtp(1), rtp(2)];
    let mut rr = [0x80, 201, 0, 1, 0, 0, 0, 1];
    let (mut forwarded, mut dropped) = (0u64, 0u64);
    let mut now = t0;
    for k in 0..n {
        now += Duration::from_micros(10);
        let i = (k % u64::from(STREAMS)) as u16;
        let side = if (k / u64::from(STREAMS)) % 2 == 0 {
            Side::A
        } else {
            Side::B
        };
        let seq = (k / u64::from(STREAMS)) as u16;
        let buf = &mut bufs[usize::from(side == Side::B)];
        buf[2..4].copy_from_slice(&seq.to_be_bytes());
        buf[4..8].copy_from_slice(&(u32::from(seq) * 160).to_be_bytes());
        let v = if k % 50 == 49 {
            let from = SocketAddr::new(peer(side, i).ip(), peer(side, i).port() + 1);
            shard.handle_packet(now, socket(i, side, true), from, &mut rr)
        } else {
            shard.handle_packet(now, socket(i, side, false), peer(side, i), buf)
        };
        match v {
            Verdict::Forward { .. } => forwarded += 1,
            Verdict::Drop(_) => dropped += 1,
        }
    }
    println!("{n} packets: {forwarded} forwarded, {dropped} dropped");
    if dropped > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
