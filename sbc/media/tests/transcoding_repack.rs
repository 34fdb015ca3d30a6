//! A relayed G.722 or G.729 stream re-cut to another packet time in a shard (virtual
//! clock): the transcoding step with the same codec in and out moves octets between
//! packets without decoding. Every octet arrives in order in the SBC's own numbering,
//! telephone-events cross renumbered on the output's timestamps, SID frames and RFC 3389
//! payloads cross as they came, the step is never handed off to transcoding threads, and
//! the leg gets RTCP of the SBC's own.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{Bench, KEY, addr};
use sbc_codec::transcode::Codec;
use sbc_core::dtmf::{AudioPt, EventPt};
use sbc_core::{DtmfLeg, DtmfWay, LatchMode, MediaOp, RemoteSpec, Side};
use sbc_media::transcode::{FLUSH_AFTER, TranscodeSpec};
use sbc_media::{HEADROOM, MAX_EMITTED, OpError, TAILROOM};

const A: &str = "198.51.100.10:4000";
const B: &str = "198.51.100.20:5004";
const B_RTCP: &str = "198.51.100.20:5005";
const G729: Codec = Codec::G729 { annex_b: true };

/// A call whose B side gets what A sends re-cut as `spec` says; the codec work would be
/// handed off if it were transcoding (`transcode_offload`).
fn call(spec: TranscodeSpec) -> Bench {
    let config = sbc_media::ShardConfig {
        transcode_offload: true,
        ..common::config()
    };
    let mut b = Bench::with(config, LatchMode::PrivateOnly, LatchMode::PrivateOnly);
    b.remote(Side::A, Some(A), None);
    b.remote_spec(
        Side::B,
        RemoteSpec {
            rtp: Some(addr(B)),
            rtcp: Some(addr(B_RTCP)),
            rtcp_mux: false,
            fork: None,
        },
    );
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: None,
    });
    b.shard.set_transcode(KEY, Side::B, Some(spec)).unwrap();
    b
}

fn recut(pt: u8, codec: Codec, ptime_ms: u32) -> TranscodeSpec {
    TranscodeSpec {
        input_pt: pt,
        input: codec,
        output_pt: pt,
        output: codec,
        ptime_ms,
        events: Some((101, 96)),
        comfort_noise_pt: Some(13),
        comfort_noise_out_pt: Some(13),
    }
}

fn packet(pt: u8, seq: u16, ts: u32, marker: bool, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, (u8::from(marker) << 7) | pt];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&0x1234_5678u32.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// An RTP packet the engine sent: (pt, seq, ts, ssrc, marker, payload).
type Out = (u8, u16, u32, u32, bool, Vec<u8>);

/// What left: RTP to B's RTP address, and how many RTCP packets to B's RTCP address.
fn emitted(b: &mut Bench, rtp: &mut Vec<Out>, rtcp: &mut usize) {
    assert!(
        b.shard.poll_transcode().is_none(),
        "a re-cut is never handed off"
    );
    let mut mem = vec![0u8; HEADROOM + MAX_EMITTED + TAILROOM];
    while let Some(t) = b.shard.poll_transmit(&mut mem) {
        let p = &mem[t.start..t.start + t.len];
        if t.to == addr(B_RTCP) {
            *rtcp += 1;
            assert_eq!(p[1], 200, "an SR first");
            continue;
        }
        assert_eq!(t.to, addr(B) as SocketAddr);
        rtp.push((
            p[1] & 0x7f,
            u16::from_be_bytes([p[2], p[3]]),
            u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
            u32::from_be_bytes([p[8], p[9], p[10], p[11]]),
            p[1] & 0x80 != 0,
            p[12..].to_vec(),
        ));
    }
}

#[test]
fn relayed_g722_is_recut_from_20_to_30_ms_keeping_every_octet() {
    let mut b = call(recut(9, Codec::G722, 30));
    let (mut out, mut rtcp) = (Vec::new(), 0);
    let mut sent = Vec::new();
    // 6 s of 20 ms G.722 packets; a digit's events in the middle (packets 100-102).
    for n in 0..300u16 {
        let ts = 7000 + u32::from(n) * 160;
        let p = if (100..103).contains(&n) {
            let d = ((n - 99) * 160).to_be_bytes();
            packet(101, 50 + n, 7000 + 100 * 160, n == 100, &[5, 0, d[0], d[1]])
        } else {
            let payload: Vec<u8> = (0..160u32)
                .map(|i| ((u32::from(n) * 160 + i) % 253) as u8)
                .collect();
            sent.extend_from_slice(&payload);
            packet(9, 50 + n, ts, n == 0, &payload)
        };
        b.recv(Side::A, false, A, &p);
        emitted(&mut b, &mut out, &mut rtcp);
        b.advance(Duration::from_millis(20));
        emitted(&mut b, &mut out, &mut rtcp);
    }
    b.advance(FLUSH_AFTER);
    emitted(&mut b, &mut out, &mut rtcp);

    let ssrc = out[0].3;
    assert_ne!(ssrc, 0x1234_5678, "the SBC's own SSRC");
    for w in out.windows(2) {
        assert_eq!(w[1].3, ssrc);
        assert_eq!(w[1].1, w[0].1.wrapping_add(1), "gapless sequence numbers");
    }
    let (audio, events): (Vec<&Out>, Vec<&Out>) = out.iter().partition(|p| p.0 == 9);
    let got: Vec<u8> = audio.iter().flat_map(|p| p.5.clone()).collect();
    assert_eq!(got, sent, "every G.722 octet, in order, none decoded");
    // 100 packets (2 s) before the digit: 66 whole 30 ms packets and a short one (the
    // digit's 60 ms is a gap in the audio); after it, 30 ms packets again.
    assert!(audio[..66].iter().all(|p| p.5.len() == 240));
    assert_eq!(audio[66].5.len(), 160, "the octets before the digit's gap");
    assert_eq!(audio[67].2.wrapping_sub(audio[66].2), 160 + 480);
    assert!(audio[67..audio.len() - 1].iter().all(|p| p.5.len() == 240));
    for w in audio[..67].windows(2) {
        assert_eq!(w[1].2.wrapping_sub(w[0].2), 240, "30 ms at 8000 Hz");
    }
    assert!(audio[0].4, "the first packet keeps its marker");
    // The events: renumbered to B's payload type, on the output's timestamp of their start.
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|p| p.0 == 96));
    let start = audio[0].2.wrapping_add(100 * 160);
    assert!(events.iter().all(|p| p.2 == start), "{events:?}");
    assert!(events[0].4, "the event's marker");
    assert!(rtcp >= 1, "the SBC reports on its own stream");
}

#[test]
fn relayed_g729_is_recut_and_its_sid_and_cn_cross() {
    let mut b = call(recut(18, G729, 20));
    let (mut out, mut rtcp) = (Vec::new(), 0);
    let frames =
        |n: u8, count: usize| -> Vec<u8> { (0..10 * count as u8).map(|i| n ^ i).collect() };
    // 30 ms packets, then one ending in a SID (a pause), a CN packet, voice again.
    let mut sid = frames(3, 1);
    sid.extend_from_slice(&[0x5a, 0xa5]);
    let packets = [
        packet(18, 1, 0, true, &frames(1, 3)),
        packet(18, 2, 240, false, &frames(2, 3)),
        packet(18, 3, 480, false, &sid),
        packet(13, 4, 1200, false, &[60]),
        packet(18, 5, 4000, true, &frames(4, 3)),
    ];
    for p in &packets {
        b.recv(Side::A, false, A, p);
        emitted(&mut b, &mut out, &mut rtcp);
        b.advance(Duration::from_millis(20));
        emitted(&mut b, &mut out, &mut rtcp);
    }
    b.advance(FLUSH_AFTER);
    emitted(&mut b, &mut out, &mut rtcp);
    let shape: Vec<(u8, usize, u32, bool)> = out
        .iter()
        .map(|p| (p.0, p.5.len(), p.2.wrapping_sub(out[0].2), p.4))
        .collect();
    assert_eq!(
        shape,
        [
            (18, 20, 0, true),
            (18, 20, 160, false),
            (18, 20, 320, false),
            (18, 12, 480, false),
            (13, 1, 1200, false),
            (18, 20, 4000, true),
            (18, 10, 4160, false),
        ],
        "{out:?}"
    );
    assert_eq!(out[3].5, sid, "the SID last in its packet, as it came");
    assert_eq!(out[4].5, [60], "the CN payload as it came");
}

/// A G.722 pause with CN crossing a re-cut stream: `cn_in` is the sender's CN payload
/// type, `cn_out` the receiving leg's; the types of the packets sent, with their sizes.
fn recut_g722_pause(cn_in: u8, cn_out: Option<u8>) -> Vec<(u8, usize)> {
    let mut b = call(TranscodeSpec {
        comfort_noise_pt: Some(cn_in),
        comfort_noise_out_pt: cn_out,
        ..recut(9, Codec::G722, 30)
    });
    let (mut out, mut rtcp) = (Vec::new(), 0);
    let packets = [
        packet(9, 1, 0, true, &[1; 160]),
        packet(9, 2, 160, false, &[2; 160]),
        packet(cn_in, 3, 320, false, &[50, 1, 2]),
        packet(cn_in, 4, 2720, false, &[52, 1, 2]),
        packet(9, 5, 4000, true, &[3; 240]),
    ];
    for p in &packets {
        b.recv(Side::A, false, A, p);
        emitted(&mut b, &mut out, &mut rtcp);
        b.advance(Duration::from_millis(20));
        emitted(&mut b, &mut out, &mut rtcp);
    }
    b.advance(FLUSH_AFTER);
    emitted(&mut b, &mut out, &mut rtcp);
    for w in out.windows(2) {
        assert_eq!(w[1].1, w[0].1.wrapping_add(1), "gapless sequence numbers");
    }
    out.iter().map(|p| (p.0, p.5.len())).collect()
}

#[test]
fn a_recut_stream_sends_cn_with_the_receiving_legs_payload_type() {
    // The legs' CN payload types differ: the sender's 13 leaves as the receiver's 105.
    assert_eq!(
        recut_g722_pause(13, Some(105)),
        [(9, 240), (9, 80), (105, 3), (105, 3), (9, 240)],
        "CN on the receiving leg's payload type, never the sender's"
    );
    assert_eq!(
        recut_g722_pause(100, Some(13)),
        [(9, 240), (9, 80), (13, 3), (13, 3), (9, 240)]
    );
    // The receiving leg negotiated no CN: the pause's CN packets stay (it could not read
    // them), the audio before them leaves all the same.
    assert_eq!(recut_g722_pause(13, None), [(9, 240), (9, 80), (9, 240)]);
}

/// A leg carrying digits in-band: tones in G.722 audio at 8000 Hz RTP clock.
fn inband_g722() -> DtmfLeg {
    DtmfLeg {
        way: DtmfWay::Inband,
        receive: Vec::new(),
        send: Vec::new(),
        audio: vec![AudioPt {
            pt: 9,
            clock_rate: 8000,
            g711: None,
        }],
    }
}

/// A leg carrying digits as telephone-events (PT 101 at 8000 Hz).
fn events_g722() -> DtmfLeg {
    let events = vec![EventPt {
        pt: 101,
        clock_rate: 8000,
    }];
    DtmfLeg {
        way: DtmfWay::Events,
        receive: events.clone(),
        send: events,
        ..inband_g722()
    }
}

#[test]
fn in_band_dtmf_on_a_recut_stream_is_refused() {
    // A re-cut stream decodes and encodes nothing: its step can neither hear a tone in
    // the input nor play one into the output, so either conversion is refused, whether
    // the legs are known before the re-cut or told after it.
    for (a, b_leg) in [
        (inband_g722(), events_g722()),
        (events_g722(), inband_g722()),
    ] {
        let mut b = Bench::open(LatchMode::PrivateOnly, LatchMode::PrivateOnly);
        for (side, leg) in [(Side::A, a.clone()), (Side::B, b_leg.clone())] {
            b.op(MediaOp::Dtmf {
                stream: KEY,
                side,
                leg,
            });
        }
        let e = b
            .shard
            .set_transcode(KEY, Side::B, Some(recut(9, Codec::G722, 30)))
            .unwrap_err();
        assert!(matches!(e, OpError::Unsupported { .. }), "{e}");

        let mut b = call(recut(9, Codec::G722, 30));
        b.op(MediaOp::Dtmf {
            stream: KEY,
            side: Side::B,
            leg: b_leg,
        });
        let op = MediaOp::Dtmf {
            stream: KEY,
            side: Side::A,
            leg: a,
        };
        let e = b.shard.apply(b.now, op).unwrap_err();
        assert!(matches!(e, OpError::Unsupported { .. }), "{e}");
    }
}
