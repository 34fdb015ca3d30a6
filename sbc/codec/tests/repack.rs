//! Re-cutting relayed G.722 and G.729 without decoding ([`Repacketiser`]): every octet
//! arrives in order (byte-exact), sequence numbers stay gapless, timestamps count every
//! octet (G.722) or frame (G.729) and show a lost packet or a pause as the same gap, a
//! SID frame ends its packet, comfort noise payloads cross on their own.
#![cfg(all(feature = "opus", feature = "g729"))]

use sbc_codec::transcode::{Codec, Repacketiser, TranscoderConfig, repacketises};

const G729: Codec = Codec::G729 { annex_b: true };

#[derive(Debug, Clone, PartialEq, Eq)]
struct Out {
    seq: u16,
    ts: u32,
    marker: bool,
    payload: Vec<u8>,
    /// An RFC 3389 comfort noise payload crossing.
    comfort_noise: bool,
}

fn repacketiser(codec: Codec, ptime_ms: u32) -> Repacketiser {
    Repacketiser::new(TranscoderConfig {
        input: codec,
        output: codec,
        ptime_ms,
        reorder_depth: 3,
        ssrc: 0x1234_5678,
        first_seq: 65_534,
        first_ts: 4_294_967_000,
    })
    .expect("a valid set-up")
}

/// A stream of `n` distinct octets (so that any reordering or loss shows).
fn octets(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// `stream` cut into packets of `size` octets, each lasting `units(size)` timestamp
/// units, numbered from 100, timestamps from `ts0`.
fn packets(stream: &[u8], size: usize, units: u32, ts0: u32) -> Vec<(u16, u32, Vec<u8>)> {
    stream
        .chunks(size)
        .enumerate()
        .map(|(i, c)| {
            (
                100u16.wrapping_add(i as u16),
                ts0.wrapping_add(i as u32 * units),
                c.to_vec(),
            )
        })
        .collect()
}

fn run(r: &mut Repacketiser, input: &[(u16, u32, Vec<u8>)], flush: bool) -> Vec<Out> {
    let mut out = Vec::new();
    let mut emit = |p: sbc_codec::transcode::OutPacket<'_>| {
        out.push(Out {
            seq: p.seq,
            ts: p.ts,
            marker: p.marker,
            payload: p.payload.to_vec(),
            comfort_noise: p.comfort_noise,
        })
    };
    for (seq, ts, payload) in input {
        r.push(*seq, *ts, false, payload, &mut emit);
    }
    if flush {
        r.flush(&mut emit);
    }
    out
}

fn assert_gapless(out: &[Out], first_seq: u16) {
    for (i, p) in out.iter().enumerate() {
        assert_eq!(p.seq, first_seq.wrapping_add(i as u16), "packet {i}");
    }
}

fn concat(out: &[Out]) -> Vec<u8> {
    out.iter().flat_map(|p| p.payload.clone()).collect()
}

/// G.722 at `from` ms re-cut to `to` ms: byte-exact, every packet `to` ms long, timestamps
/// +8 per ms.
fn g722_recut(from: usize, to: usize) {
    let stream = octets(8 * 600);
    let input = packets(&stream, 8 * from, 8 * from as u32, u32::MAX - 1000);
    let mut r = repacketiser(Codec::G722, to as u32);
    let out = run(&mut r, &input, true);
    assert_eq!(
        concat(&out),
        stream,
        "{from} -> {to} ms: every octet, in order"
    );
    assert_gapless(&out, 65_534);
    for (i, p) in out.iter().enumerate() {
        assert_eq!(p.payload.len(), 8 * to, "{from} -> {to}: packet {i}");
        let want = 4_294_967_000u32.wrapping_add((i * 8 * to) as u32);
        assert_eq!(p.ts, want, "{from} -> {to}: timestamp of packet {i}");
        assert_eq!(p.marker, i == 0, "only the first packet is marked");
        assert!(!p.comfort_noise);
    }
    let stats = r.stats();
    assert_eq!(stats.received as usize, input.len());
    assert_eq!(stats.sent as usize, out.len());
    assert_eq!((stats.lost, stats.late, stats.undecodable), (0, 0, 0));
}

#[test]
fn g722_recut_keeps_every_octet() {
    g722_recut(20, 30);
    g722_recut(30, 20);
    g722_recut(20, 60);
    g722_recut(60, 20);
    g722_recut(20, 10);
}

/// G.729 at `from` ms (`from / 10` frames a packet) re-cut to `to` ms.
fn g729_recut(from: usize, to: usize) {
    let stream = octets(10 * 60);
    let input = packets(&stream, from, 8 * from as u32, 8000);
    let mut r = repacketiser(G729, to as u32);
    let out = run(&mut r, &input, true);
    assert_eq!(
        concat(&out),
        stream,
        "{from} -> {to} ms: every frame, in order"
    );
    assert_gapless(&out, 65_534);
    for (i, p) in out.iter().enumerate() {
        assert_eq!(p.payload.len(), to, "{from} -> {to}: {} frames", to / 10);
        let want = 4_294_967_000u32.wrapping_add((i * 8 * to) as u32);
        assert_eq!(p.ts, want, "{from} -> {to}: timestamp of packet {i}");
    }
}

#[test]
fn g729_recut_keeps_every_frame() {
    g729_recut(20, 30);
    g729_recut(30, 20);
    g729_recut(20, 60);
    g729_recut(60, 20);
    g729_recut(10, 40);
}

#[test]
fn a_lost_packet_is_a_gap_in_the_timestamps_never_audio() {
    // G.722 20 ms (160 octets) -> 30 ms (240); packet 3 (octets 480..640) is lost.
    let stream = octets(160 * 9);
    let mut input = packets(&stream, 160, 160, 8000);
    input.remove(3);
    let mut r = repacketiser(Codec::G722, 30);
    let out = run(&mut r, &input, true);
    assert_gapless(&out, 65_534);
    let mut kept = stream[..480].to_vec();
    kept.extend_from_slice(&stream[640..]);
    assert_eq!(
        concat(&out),
        kept,
        "the octets that came, in order, nothing made up"
    );
    // Each packet's timestamp is its first octet's input time, moved by one constant.
    let base = 4_294_967_000u32.wrapping_sub(8000);
    let mut at = 0usize;
    for p in &out {
        let position = if at < 480 { at } else { at + 160 };
        assert_eq!(p.ts, base.wrapping_add(8000 + position as u32), "{p:?}");
        at += p.payload.len();
    }
    // The loss fell on a packet boundary: whole packets, the tail flushed short.
    let sizes: Vec<usize> = out.iter().map(|p| p.payload.len()).collect();
    assert_eq!(sizes, [240, 240, 240, 240, 240, 80], "{sizes:?}");
    assert_eq!(r.stats().lost, 1);

    // Lost mid-packet: the packet being built leaves short, the next starts after the gap.
    let mut input = packets(&stream, 160, 160, 8000);
    input.remove(2); // octets 320..480: 240..320 of the second 30 ms packet came
    let mut r = repacketiser(Codec::G722, 30);
    let out = run(&mut r, &input, true);
    let sizes: Vec<usize> = out.iter().map(|p| p.payload.len()).collect();
    assert_eq!(sizes, [240, 80, 240, 240, 240, 240], "{sizes:?}");
    assert_eq!(
        out[2].ts.wrapping_sub(out[1].ts),
        80 + 160,
        "the gap is the loss"
    );
    assert_gapless(&out, 65_534);
}

#[test]
fn reordered_packets_leave_in_order_and_late_ones_are_dropped() {
    let stream = octets(160 * 6);
    let mut input = packets(&stream, 160, 160, 8000);
    input.swap(1, 2);
    let late = input[0].clone();
    input.push(late);
    let mut r = repacketiser(Codec::G722, 20);
    let out = run(&mut r, &input, true);
    assert_eq!(concat(&out), stream);
    assert_eq!(r.stats().late, 1, "the duplicate");
}

#[test]
fn a_sid_frame_ends_its_packet_and_a_pause_follows() {
    // 20 ms packets -> 30 ms: 3 voice packets, then one ending in a SID, a pause of
    // 200 ms, voice again (marked by its sender).
    let v = |n: u8| vec![n; 20];
    let mut sid_packet = vec![7u8; 10];
    sid_packet.extend_from_slice(&[0xAA, 0xBB]);
    let input = [
        (1u16, 0u32, v(1)),
        (2, 160, v(2)),
        (3, 320, v(3)),
        (4, 480, sid_packet.clone()),
        (5, 2240, v(5)),
        (6, 2400, v(6)),
    ];
    let mut r = repacketiser(G729, 30);
    let mut out = Vec::new();
    let mut emit = |p: sbc_codec::transcode::OutPacket<'_>| {
        out.push((p.seq, p.ts, p.marker, p.payload.to_vec()))
    };
    for (i, (seq, ts, payload)) in input.iter().enumerate() {
        r.push(*seq, *ts, i == 4, payload, &mut emit);
    }
    r.flush(&mut emit);
    let first = 4_294_967_000u32;
    let lens: Vec<usize> = out.iter().map(|p| p.3.len()).collect();
    assert_eq!(lens, [30, 30, 12, 30, 10], "{out:?}");
    // Packet 4's voice frame and SID leave at once, the SID last, as they came.
    assert_eq!(out[1].3, [&[2u8; 10][..], &[3u8; 20][..]].concat());
    assert_eq!(out[2].3, sid_packet, "the SID ends its packet");
    assert_eq!(out[2].1, first.wrapping_add(480));
    // After the pause: the timestamps jump as the input's did, the marker is kept.
    assert_eq!(out[3].1, first.wrapping_add(2240));
    assert!(out[3].2, "the talkspurt's marker");
    assert!(!out[4].2);
    assert_eq!(out[4].1, first.wrapping_add(2480));
    for (i, p) in out.iter().enumerate() {
        assert_eq!(p.0, 65_534u16.wrapping_add(i as u16));
    }
}

#[test]
fn comfort_noise_payloads_cross_on_their_own() {
    let mut r = repacketiser(Codec::G722, 30);
    r.send_comfort_noise_packets();
    let mut out = Vec::new();
    let mut emit = |p: sbc_codec::transcode::OutPacket<'_>| {
        out.push((p.seq, p.ts, p.payload.len(), p.comfort_noise))
    };
    r.push(1, 0, true, &[1; 160], &mut emit);
    r.push_comfort_noise(2, 160, false, &[40], &mut emit);
    r.push(3, 1600, true, &[2; 160], &mut emit);
    r.flush(&mut emit);
    let first = 4_294_967_000u32;
    assert_eq!(
        out,
        [
            (65_534, first, 160, false),
            (65_535, first.wrapping_add(160), 1, true),
            (0, first.wrapping_add(1600), 160, false),
        ]
    );
    assert_eq!(r.stats().comfort_payloads, 1);
}

#[test]
fn a_marked_cn_keeps_its_marker_from_the_audio_before_it() {
    let mut r = repacketiser(Codec::G722, 30);
    r.send_comfort_noise_packets();
    let mut out = Vec::new();
    let mut emit = |p: sbc_codec::transcode::OutPacket<'_>| {
        out.push((p.payload.len(), p.comfort_noise, p.marker))
    };
    r.push(1, 0, true, &[1; 240], &mut emit);
    r.push(2, 240, false, &[2; 160], &mut emit);
    r.push_comfort_noise(3, 400, true, &[40], &mut emit);
    r.push(4, 4000, true, &[3; 240], &mut emit);
    assert_eq!(
        out,
        [
            (240, false, true),
            (160, false, false),
            (1, true, true),
            (240, false, true),
        ],
        "the short audio packet before the CN unmarked, the CN marked as it came"
    );
}

#[test]
fn comfort_noise_payloads_end_the_packet_but_stay_without_cn_on_the_receiving_leg() {
    let mut r = repacketiser(Codec::G722, 30);
    let mut out = Vec::new();
    let mut emit = |p: sbc_codec::transcode::OutPacket<'_>| {
        out.push((p.seq, p.ts, p.payload.len(), p.comfort_noise))
    };
    r.push(1, 0, true, &[1; 160], &mut emit);
    r.push_comfort_noise(2, 160, false, &[40], &mut emit);
    r.push(3, 1600, true, &[2; 160], &mut emit);
    r.flush(&mut emit);
    let first = 4_294_967_000u32;
    assert_eq!(
        out,
        [
            (65_534, first, 160, false),
            (65_535, first.wrapping_add(1600), 160, false),
        ],
        "the audio before the CN left at once, no CN crossed, numbering gapless"
    );
    assert_eq!(r.stats().comfort_payloads, 1);
}

#[test]
fn timestamps_never_go_back_and_events_map_onto_the_output() {
    let mut r = repacketiser(Codec::G722, 20);
    assert_eq!(r.output_timestamp(1234), None, "nothing went through yet");
    let mut out = Vec::new();
    let mut emit = |p: sbc_codec::transcode::OutPacket<'_>| out.push(p.ts);
    r.push(1, 50_000, false, &[0; 160], &mut emit);
    assert_eq!(r.output_timestamp(50_000), Some(4_294_967_000));
    assert_eq!(
        r.output_timestamp(50_320),
        Some(4_294_967_000u32.wrapping_add(320))
    );
    // The sender restarts its clock far back: the output goes on where it stood.
    r.push(2, 10, false, &[0; 160], &mut emit);
    r.flush(&mut emit);
    assert_eq!(out, [4_294_967_000, 4_294_967_000u32.wrapping_add(160)]);
}

#[test]
fn bad_payloads_are_counted_never_sent() {
    let mut r = repacketiser(G729, 20);
    let mut out = 0;
    let mut emit = |_: sbc_codec::transcode::OutPacket<'_>| out += 1;
    r.push(1, 0, false, &[0; 15], &mut emit);
    r.push(2, 80, false, &[], &mut emit);
    r.push(3, 160, false, &[0; 1500], &mut emit);
    r.push(4, 160, false, &[0; 1501], &mut emit);
    r.flush(&mut emit);
    assert_eq!(r.stats().undecodable, 3);
    assert_eq!(out, 75, "the 1500-byte packet's 150 frames, 2 a packet");
}

#[test]
fn only_g722_and_g729_to_themselves_are_repacketised() {
    assert!(repacketises(Codec::G722, Codec::G722));
    assert!(repacketises(G729, Codec::G729 { annex_b: false }));
    assert!(!repacketises(Codec::Pcma, Codec::Pcma));
    assert!(!repacketises(Codec::G722, G729));
    let mut config = TranscoderConfig {
        input: Codec::Pcmu,
        output: Codec::Pcmu,
        ptime_ms: 20,
        reorder_depth: 3,
        ssrc: 1,
        first_seq: 1,
        first_ts: 1,
    };
    assert!(Repacketiser::new(config).is_err());
    config.input = Codec::G722;
    config.output = Codec::G722;
    config.ptime_ms = 25;
    assert!(Repacketiser::new(config).is_err(), "no 25 ms cut");
}
