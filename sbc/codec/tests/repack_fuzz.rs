//! Whatever a peer sends on a relayed G.722 or G.729 stream that is re-cut — any sequence
//! numbers, timestamps, markers and payload bytes, in any order, audio or RFC 3389 comfort
//! noise, with flushes in between — the [`Repacketiser`] never panics, its output sequence
//! numbers have no gaps, its timestamps never go backwards, no audio packet is longer than
//! the output ptime (plus a G.729 SID frame) and it sends no more octets than it received
//! (proptest, bounded so it runs in CI). Half the packets follow the one before in time
//! (the next sequence number, the timestamp moved on by its duration, whole G.729
//! frames), so packets are filled up to the ptime across inputs too, not only cut short.
#![cfg(all(feature = "opus", feature = "g729"))]

use proptest::prelude::*;
use sbc_codec::transcode::{Codec, OutPacket, Repacketiser, TranscoderConfig};

#[derive(Debug, Clone)]
struct Packet {
    /// 0..=3: audio, 4: a CN payload, 5: a flush (no packet).
    kind: u8,
    /// Follows the packet before: sequence number + 1, timestamp + its duration.
    follows: bool,
    seq_step: i8,
    ts_step: i16,
    marker: bool,
    payload: Vec<u8>,
}

fn packet() -> impl Strategy<Value = Packet> {
    (
        0u8..6,
        any::<bool>(),
        any::<i8>(),
        any::<i16>(),
        any::<bool>(),
        prop::collection::vec(any::<u8>(), 0..400),
    )
        .prop_map(
            |(kind, follows, seq_step, ts_step, marker, payload)| Packet {
                kind,
                follows,
                seq_step,
                ts_step,
                marker,
                payload,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn hostile_streams_never_break_the_recut(
        g729 in any::<bool>(),
        cn_out in any::<bool>(),
        ptime in prop::sample::select(vec![10u32, 20, 30, 40, 60]),
        depth in 1usize..5,
        packets in prop::collection::vec(packet(), 1..40),
    ) {
        let codec = if g729 { Codec::G729 { annex_b: true } } else { Codec::G722 };
        let mut r = Repacketiser::new(TranscoderConfig {
            input: codec,
            output: codec,
            ptime_ms: ptime,
            reorder_depth: depth,
            ssrc: 7,
            first_seq: 65_000,
            first_ts: u32::MAX - 10_000,
        })
        .expect("G.722 and G.729 at these ptimes are served");
        if cn_out {
            r.send_comfort_noise_packets();
        }
        let longest = if g729 { ptime as usize + 2 } else { 8 * ptime as usize };
        let mut out: Vec<(u16, u32, usize, bool)> = Vec::new();
        let mut octets_in = 0usize;
        let (mut seq, mut ts) = (1000u16, 5000u32);
        // Timestamp units the last packet lasted (G.722: one per octet; G.729: 80 per
        // frame, a SID counting as one).
        let mut last_units = 0u32;
        for p in &packets {
            let mut emit = |o: OutPacket<'_>| out.push((o.seq, o.ts, o.payload.len(), o.comfort_noise));
            if p.kind == 5 {
                r.flush(&mut emit);
                continue;
            }
            let mut payload = &p.payload[..];
            if p.follows {
                seq = seq.wrapping_add(1);
                ts = ts.wrapping_add(last_units);
                if g729 && p.kind != 4 {
                    payload = &payload[..payload.len() - payload.len() % 10];
                }
            } else {
                seq = seq.wrapping_add(p.seq_step as u16);
                ts = ts.wrapping_add(p.ts_step as u32);
            }
            octets_in += payload.len();
            last_units = match (p.kind, g729) {
                (4, _) => 0,
                (_, true) => payload.len().div_ceil(10) as u32 * 80,
                (_, false) => payload.len() as u32,
            };
            if p.kind == 4 {
                r.push_comfort_noise(seq, ts, p.marker, payload, &mut emit);
            } else {
                r.push(seq, ts, p.marker, payload, &mut emit);
            }
        }
        r.flush(&mut |o: OutPacket<'_>| out.push((o.seq, o.ts, o.payload.len(), o.comfort_noise)));
        let mut octets_out = 0;
        for (i, o) in out.iter().enumerate() {
            prop_assert_eq!(o.0, 65_000u16.wrapping_add(i as u16), "gapless");
            if !o.3 {
                prop_assert!(o.2 > 0 && o.2 <= longest, "packet of {} octets", o.2);
            }
            octets_out += o.2;
        }
        for w in out.windows(2) {
            prop_assert!(w[1].1.wrapping_sub(w[0].1) < 0x8000_0000, "timestamps go back: {:?}", w);
        }
        prop_assert!(octets_out <= octets_in, "{} octets out of {} in", octets_out, octets_in);
        let stats = r.stats();
        prop_assert_eq!(stats.sent as usize, out.len());
    }
}
