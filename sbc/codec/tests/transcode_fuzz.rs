//! Whatever a peer sends — any sequence numbers, timestamps, markers and payload bytes,
//! in any order, audio or RFC 3389 comfort noise, with the engine's comfort noise ticks
//! in between — a transcoded direction never panics, its output sequence numbers have
//! no gaps and its timestamps never go backwards (proptest, bounded so it runs in CI).
#![cfg(all(feature = "opus", feature = "g729"))]

use proptest::prelude::*;
use sbc_codec::transcode::{Codec, OutPacket, Transcoder, TranscoderConfig};

const CODECS: [Codec; 5] = [
    Codec::Pcmu,
    Codec::Pcma,
    Codec::G722,
    Codec::Opus {
        bitrate: 24_000,
        complexity: 0,
        inband_fec: true,
        dtx: true,
    },
    Codec::G729 { annex_b: true },
];

#[derive(Debug, Clone)]
struct Packet {
    /// 0..=3: audio, 4: a CN payload, 5: a comfort noise tick (no packet).
    kind: u8,
    seq_step: i8,
    ts_step: i16,
    marker: bool,
    payload: Vec<u8>,
}

fn packet() -> impl Strategy<Value = Packet> {
    (
        0u8..6,
        any::<i8>(),
        any::<i16>(),
        any::<bool>(),
        prop::collection::vec(any::<u8>(), 0..400),
    )
        .prop_map(|(kind, seq_step, ts_step, marker, payload)| Packet {
            kind,
            seq_step,
            ts_step,
            marker,
            payload,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn hostile_streams_never_break_the_output(
        input in 0..CODECS.len(),
        output in 0..CODECS.len(),
        ptime in prop::sample::select(vec![10u32, 20, 40, 60]),
        depth in 1usize..5,
        cn_packets in any::<bool>(),
        packets in prop::collection::vec(packet(), 1..40),
    ) {
        let config = TranscoderConfig {
            input: CODECS[input],
            output: CODECS[output],
            ptime_ms: ptime,
            reorder_depth: depth,
            ssrc: 7,
            first_seq: 65_000,
            first_ts: u32::MAX - 10_000,
        };
        let mut t = Transcoder::new(config).expect("every pair and these ptimes are served");
        if cn_packets {
            // Pauses as RFC 3389 packets: numbered and timed with the audio all the same.
            t.send_comfort_noise_packets();
        }
        let mut out: Vec<(u16, u32)> = Vec::new();
        let (mut seq, mut ts) = (1000u16, 5000u32);
        let mut pushed = 0u64;
        for p in &packets {
            let mut emit = |o: OutPacket<'_>| out.push((o.seq, o.ts));
            if p.kind == 5 {
                t.comfort_noise(&mut emit);
                continue;
            }
            seq = seq.wrapping_add(p.seq_step as u16);
            ts = ts.wrapping_add(p.ts_step as u32);
            if p.kind == 4 {
                t.push_comfort_noise(seq, ts, p.marker, &p.payload, &mut emit);
            } else {
                t.push(seq, ts, p.marker, &p.payload, &mut emit);
            }
            pushed += 1;
            let _ = t.output_timestamp(ts);
        }
        t.flush(&mut |o: OutPacket<'_>| out.push((o.seq, o.ts)));
        for (i, pair) in out.windows(2).enumerate() {
            prop_assert_eq!(pair[1].0, pair[0].0.wrapping_add(1), "gap after packet {}", i);
            let advance = pair[1].1.wrapping_sub(pair[0].1);
            prop_assert!(advance > 0 && advance < 0x8000_0000, "timestamp went back after packet {}", i);
        }
        let stats = t.stats();
        prop_assert_eq!(stats.received, pushed);
        prop_assert_eq!(stats.sent, out.len() as u64);
    }
}
