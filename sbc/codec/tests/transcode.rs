//! One transcoded direction end to end: re-cutting keeps every sample, sequence numbers
//! and timestamps across loss, re-ordering and pauses (item 3 of the issue), and tones
//! through G.711 ↔ Opus / G.722 / G.729 and back.
#![cfg(all(feature = "opus", feature = "g729"))]

mod common;

use common::{analyse, garbage, tone};
use sbc_codec::Law;
use sbc_codec::transcode::{Codec, OutPacket, Transcoder, TranscoderConfig};

const OPUS: Codec = Codec::Opus {
    bitrate: 24_000,
    complexity: 5,
    inband_fec: false,
    dtx: false,
};

#[derive(Debug, Clone, PartialEq, Eq)]
struct Out {
    seq: u16,
    ts: u32,
    marker: bool,
    payload: Vec<u8>,
}

fn config(input: Codec, output: Codec, ptime_ms: u32) -> TranscoderConfig {
    TranscoderConfig {
        input,
        output,
        ptime_ms,
        reorder_depth: 3,
        ssrc: 0x1234_5678,
        first_seq: 65_530,
        first_ts: 4_294_967_000,
    }
}

/// Packets of `frame` bytes of `payload_stream`, numbered from 100 / timestamp 8000.
fn packets(codes: &[u8], frame: usize) -> Vec<(u16, u32, Vec<u8>)> {
    codes
        .chunks(frame)
        .enumerate()
        .map(|(i, c)| (100 + i as u16, 8000 + (i * frame) as u32, c.to_vec()))
        .collect()
}

fn run(t: &mut Transcoder, input: &[(u16, u32, Vec<u8>)]) -> Vec<Out> {
    let mut out = Vec::new();
    let mut sink = |p: OutPacket<'_>| {
        assert_eq!(p.ssrc, 0x1234_5678);
        out.push(Out {
            seq: p.seq,
            ts: p.ts,
            marker: p.marker,
            payload: p.payload.to_vec(),
        });
    };
    for (seq, ts, payload) in input {
        t.push(*seq, *ts, false, payload, &mut sink);
    }
    t.flush(&mut sink);
    out
}

fn alaw_tone(frequency: f64, samples: usize) -> Vec<u8> {
    let pcm = tone(frequency, 10_000.0, 8000, samples);
    let mut codes = vec![0u8; samples];
    Law::Alaw.encode_into(&pcm, &mut codes);
    codes
}

fn assert_numbering(out: &[Out], ts_step: u32) {
    for (i, p) in out.iter().enumerate() {
        assert_eq!(
            p.seq,
            65_530u16.wrapping_add(i as u16),
            "packet {i}: sequence numbers have no gaps"
        );
        assert_eq!(
            p.ts,
            4_294_967_000u32.wrapping_add(i as u32 * ts_step),
            "packet {i}: timestamp"
        );
    }
}

#[test]
fn re_cutting_20_to_30_ms_and_back_keeps_every_sample() {
    let codes = alaw_tone(400.0, 4800); // 600 ms
    let mut t = Transcoder::new(config(Codec::Pcma, Codec::Pcma, 30)).expect("transcoder");
    let out = run(&mut t, &packets(&codes, 160));
    assert_eq!(out.len(), 20);
    assert!(out.iter().all(|p| p.payload.len() == 240));
    assert_numbering(&out, 240);
    assert!(out[0].marker && out[1..].iter().all(|p| !p.marker));
    let joined: Vec<u8> = out.iter().flat_map(|p| p.payload.clone()).collect();
    assert_eq!(joined, codes, "20 -> 30 ms");

    let mut back = Transcoder::new(config(Codec::Pcma, Codec::Pcma, 20)).expect("transcoder");
    let out = run(&mut back, &packets(&joined, 240));
    assert_eq!(out.len(), 30);
    assert_numbering(&out, 160);
    let joined: Vec<u8> = out.iter().flat_map(|p| p.payload.clone()).collect();
    assert_eq!(joined, codes, "30 -> 20 ms");
}

#[test]
fn transcoded_legs_are_cut_to_the_output_ptime_in_every_codec() {
    // 20 ms PCMA in, the receiving trunk's ptime out: (codec, ptime, bytes per packet,
    // timestamp step; Opus's bytes vary).
    let codes = alaw_tone(400.0, 9600); // 1.2 s
    for (codec, ptime, bytes, ts_step) in [
        (Codec::G722, 30, Some(240), 240),
        (Codec::G722, 40, Some(320), 320),
        (Codec::G729 { annex_b: false }, 30, Some(30), 240),
        (Codec::G729 { annex_b: false }, 60, Some(60), 480),
        (OPUS, 40, None, 1920),
        (OPUS, 60, None, 2880),
    ] {
        let mut t = Transcoder::new(config(Codec::Pcma, codec, ptime)).expect("transcoder");
        let out = run(&mut t, &packets(&codes, 160));
        assert_eq!(out.len() as u32, 1200 / ptime, "{codec:?} at {ptime} ms");
        assert_numbering(&out, ts_step);
        if let Some(bytes) = bytes {
            assert!(
                out.iter().all(|p| p.payload.len() == bytes),
                "{codec:?} at {ptime} ms: {bytes}-byte packets"
            );
        }
    }
    // Opus has no 30 ms frame (libopus encodes 10, 20, 40 and 60 ms): refused, and the
    // session layer picks the nearest it has.
    assert!(Transcoder::new(config(Codec::Pcma, OPUS, 30)).is_err());
}

#[test]
fn a_lost_packet_keeps_timestamps_running_and_sequence_numbers_gapless() {
    let codes = alaw_tone(400.0, 1600);
    let mut input = packets(&codes, 160);
    input.remove(4); // seq 104 never arrives
    let mut t = Transcoder::new(config(Codec::Pcma, Codec::Pcmu, 20)).expect("transcoder");
    let out = run(&mut t, &input);
    assert_eq!(out.len(), 10, "the lost 20 ms is filled");
    assert_numbering(&out, 160);
    assert!(
        out[4].payload.iter().all(|&c| c == Law::Ulaw.silence()),
        "G.711 has no PLC: silence"
    );
    let stats = t.stats();
    assert_eq!(
        (
            stats.received,
            stats.lost,
            stats.concealed_samples,
            stats.sent
        ),
        (9, 1, 160, 10)
    );
}

#[test]
fn re_ordered_packets_come_out_in_order_and_late_ones_are_dropped() {
    let codes = alaw_tone(400.0, 1600);
    let in_order = packets(&codes, 160);
    let mut shuffled = in_order.clone();
    shuffled.swap(3, 4);
    shuffled.swap(6, 7);
    let mut a = Transcoder::new(config(Codec::Pcma, Codec::Pcma, 20)).expect("transcoder");
    let mut b = Transcoder::new(config(Codec::Pcma, Codec::Pcma, 20)).expect("transcoder");
    assert_eq!(run(&mut a, &in_order), run(&mut b, &shuffled));

    // Packet 102 arrives after 106: the window (3) has given up on it.
    let mut late = in_order.clone();
    let p = late.remove(2);
    late.insert(6, p);
    let mut c = Transcoder::new(config(Codec::Pcma, Codec::Pcma, 20)).expect("transcoder");
    let out = run(&mut c, &late);
    assert_eq!(out.len(), 10);
    assert_numbering(&out, 160);
    assert_eq!((c.stats().late, c.stats().lost), (1, 1));
}

#[test]
fn a_pause_moves_the_timestamps_and_marks_the_next_packet() {
    let codes = alaw_tone(400.0, 1600);
    let mut input = packets(&codes, 160);
    for p in &mut input[5..] {
        p.1 += 8000; // one second without packets (DTX), sequence numbers go on
    }
    let mut t = Transcoder::new(config(Codec::Pcma, OPUS, 20)).expect("transcoder");
    let out = run(&mut t, &input);
    assert_eq!(out.len(), 10, "nothing made up for the pause");
    for (i, p) in out.iter().enumerate() {
        assert_eq!(p.seq, 65_530u16.wrapping_add(i as u16));
        let pause = if i >= 5 { 48_000 } else { 0 };
        assert_eq!(
            p.ts,
            4_294_967_000u32.wrapping_add(i as u32 * 960 + pause),
            "packet {i}"
        );
        assert_eq!(p.marker, i == 0 || i == 5, "packet {i}");
    }
    assert_eq!(t.stats().concealed_samples, 0);
}

/// Encodes a tone to `codec` (via a PCMA -> codec transcoder), then back to PCMA, and
/// measures it: the path a carrier's tone takes to a PBX and back.
fn tone_through(codec: Codec, ts_step: u32, limit_db: f64) {
    let codes = alaw_tone(1000.0, 16_000);
    let mut there = Transcoder::new(config(Codec::Pcma, codec, 20)).expect("transcoder");
    let middle = run(&mut there, &packets(&codes, 160));
    assert_numbering(&middle, ts_step);
    let wire: Vec<(u16, u32, Vec<u8>)> = middle
        .iter()
        .map(|p| (p.seq, p.ts, p.payload.clone()))
        .collect();
    let mut back = Transcoder::new(config(codec, Codec::Pcma, 20)).expect("transcoder");
    let out = run(&mut back, &wire);
    assert_eq!(out.len(), 100, "{codec:?}");
    let joined: Vec<u8> = out.iter().flat_map(|p| p.payload.clone()).collect();
    let mut pcm = vec![0i16; joined.len()];
    Law::Alaw.decode_into(&joined, &mut pcm);
    let report = analyse(&pcm, 8000, 10_000.0, 1600, 8000);
    eprintln!("PCMA -> {codec:?} -> PCMA: {report:?}");
    report.assert_clean(&format!("{codec:?}"), 1000.0, limit_db);
}

#[test]
fn a_tone_goes_through_opus_and_back() {
    tone_through(OPUS, 960, -15.0);
}

#[test]
fn a_tone_goes_through_g722_and_back() {
    tone_through(Codec::G722, 160, -25.0);
}

#[test]
fn a_tone_goes_through_g729_and_back() {
    tone_through(Codec::G729 { annex_b: false }, 160, -25.0);
}

#[test]
fn garbage_payloads_are_counted_and_the_stream_goes_on() {
    let mut t = Transcoder::new(config(OPUS, Codec::Pcma, 20)).expect("transcoder");
    let mut input: Vec<(u16, u32, Vec<u8>)> = Vec::new();
    let mut enc = Transcoder::new(config(Codec::Pcma, OPUS, 20)).expect("transcoder");
    let good = run(&mut enc, &packets(&alaw_tone(1000.0, 1600), 160));
    for (i, p) in good.iter().enumerate() {
        let payload = if i == 3 {
            vec![0x03, 0x00]
        } else if i == 6 {
            garbage(9, 3000)
        } else {
            p.payload.clone()
        };
        input.push((p.seq, p.ts, payload));
    }
    let out = run(&mut t, &input);
    assert_numbering(&out, 160);
    assert_eq!(
        out.len(),
        10,
        "undecodable packets are concealed like lost ones"
    );
    assert_eq!(t.stats().undecodable, 2);
}

#[test]
fn impossible_setups_are_errors() {
    assert!(Transcoder::new(config(Codec::Pcma, Codec::Pcmu, 25)).is_err());
    assert!(Transcoder::new(config(Codec::Pcma, Codec::G729 { annex_b: true }, 15)).is_err());
    assert!(
        Transcoder::new(config(Codec::Pcma, OPUS, 30)).is_err(),
        "libopus has no 30 ms frame"
    );
}

#[test]
fn telephone_event_timestamps_map_onto_the_output_clock() {
    // PCMA 20 ms in, Opus 40 ms out: input packet k (timestamp 8000 + 160·k) is output
    // sample 160·k, which the 48 kHz clock calls first_ts + 960·k.
    let codes = alaw_tone(400.0, 3200);
    let input = packets(&codes, 160);
    let mut t = Transcoder::new(config(Codec::Pcma, OPUS, 40)).expect("transcoder");
    assert_eq!(t.output_timestamp(8000), None);
    let mut out = Vec::new();
    for (k, (seq, ts, payload)) in input.iter().enumerate() {
        t.push(*seq, *ts, false, payload, &mut |p: OutPacket<'_>| {
            out.push(p.ts)
        });
        let next = 8000 + 160 * (k as u32 + 1);
        let want = 4_294_967_000u32.wrapping_add(960 * (k as u32 + 1));
        assert_eq!(t.output_timestamp(next), Some(want), "after packet {k}");
        // Half a packet into the next one, and an event that began two packets ago.
        assert_eq!(t.output_timestamp(next + 80), Some(want.wrapping_add(480)));
        assert_eq!(
            t.output_timestamp(next.wrapping_sub(320)),
            Some(want.wrapping_sub(1920))
        );
    }
    // Output packet j starts at input sample 320·j: the event at input packet 4 falls at
    // the start of output packet 2, and both say so.
    assert_eq!(out.len(), 10);
    assert_eq!(Some(out[2]), Some(4_294_967_000u32.wrapping_add(4 * 960)));
    assert_eq!(t.stats().unencodable, 0);

    // Across a one-second pause the mapping moves with the output timestamps.
    let mut paused = input.clone();
    for p in &mut paused[10..] {
        p.1 += 8000;
    }
    let mut t = Transcoder::new(config(Codec::Pcma, OPUS, 20)).expect("transcoder");
    let mut last = Vec::new();
    for (seq, ts, payload) in &paused {
        t.push(*seq, *ts, false, payload, &mut |p: OutPacket<'_>| {
            last.push(p.ts)
        });
    }
    let after = paused.last().map(|p| p.1 + 160).expect("packets");
    assert_eq!(
        t.output_timestamp(after),
        Some(4_294_967_000u32.wrapping_add(20 * 960 + 48_000))
    );
}

#[test]
fn g729_annex_b_sid_frames_become_comfort_noise_on_a_pcma_leg() {
    // A G.729 Annex B sender: 0.5 s of tone, 1 s of faint noise (VAD: a SID, then
    // nothing), 0.5 s of tone. On the PCMA leg the SID's comfort noise comes out as audio
    // (not digital silence) and the pause moves the timestamps by its length.
    let tone_codes = alaw_tone(1000.0, 4000);
    let mut seed = 0x2545_f491u32;
    let noise: Vec<i16> = (0..8000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (seed % 121) as i16 - 60
        })
        .collect();
    let mut noise_codes = vec![0u8; noise.len()];
    Law::Alaw.encode_into(&noise, &mut noise_codes);
    let codes: Vec<u8> = [&tone_codes[..], &noise_codes, &tone_codes].concat();
    let mut there =
        Transcoder::new(config(Codec::Pcma, Codec::G729 { annex_b: true }, 20)).expect("there");
    let middle = run(&mut there, &packets(&codes, 160));
    let sids = middle.iter().filter(|p| p.payload.len() % 10 == 2).count();
    assert!(sids >= 1, "Annex B sent a SID in the faint part");
    assert!(
        middle.len() < 100,
        "and left frames out: {} of 100",
        middle.len()
    );
    let wire: Vec<(u16, u32, Vec<u8>)> = middle
        .iter()
        .map(|p| (p.seq, p.ts, p.payload.clone()))
        .collect();
    let mut back =
        Transcoder::new(config(Codec::G729 { annex_b: false }, Codec::Pcma, 20)).expect("back");
    let out = run(&mut back, &wire);
    assert_eq!(back.stats().undecodable, 0, "SIDs decode");
    // Timestamps: 2 s of input is 2 s of output, pauses included (the last frame of a
    // talkspurt may still sit in the FIFO).
    let span = out.last().expect("audio").ts.wrapping_sub(out[0].ts);
    assert!((15_680..=16_000).contains(&span), "{span} ticks over 2 s");
    // Comfort noise: packets between the talkspurts that are neither silence nor tone.
    let quiet_but_not_silent = out
        .iter()
        .filter(|p| {
            let mut pcm = vec![0i16; p.payload.len()];
            Law::Alaw.decode_into(&p.payload, &mut pcm);
            let peak = pcm.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
            (1..2000).contains(&peak)
        })
        .count();
    assert!(quiet_but_not_silent >= 1, "comfort noise on the PCMA leg");
}
