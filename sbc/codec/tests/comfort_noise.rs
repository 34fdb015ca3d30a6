//! Comfort noise through pauses on a transcoded direction, on a virtual clock: each call
//! of `Transcoder::comfort_noise` stands for one output ptime of the engine's timer
//! passing without audio. A sender that says "comfort noise" (an RFC 3389 CN payload, a
//! G.729 Annex B SID frame) and then sends nothing gets one frame of noise per tick, at
//! the level it said, numbered and timed like audio; audio resuming is marked and leaves
//! no gap.
#![cfg(all(feature = "opus", feature = "g729"))]

mod common;

use common::packets::{Out, alaw_talk, sink};
use sbc_codec::Law;
use sbc_codec::transcode::{Codec, Transcoder, TranscoderConfig};

const FIRST_SEQ: u16 = 65_530;
const FIRST_TS: u32 = 4_294_967_000;

fn transcoder(input: Codec, output: Codec) -> Transcoder {
    Transcoder::new(TranscoderConfig {
        input,
        output,
        ptime_ms: 20,
        reorder_depth: 3,
        ssrc: 0x1234_5678,
        first_seq: FIRST_SEQ,
        first_ts: FIRST_TS,
    })
    .expect("transcoder")
}

fn level_dbov(pcm: &[i16]) -> f64 {
    let power = pcm.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / pcm.len() as f64;
    20.0 * (power.sqrt() / 32767.0).log10()
}

fn assert_gapless(out: &[Out], ts_step: u32) {
    for (i, p) in out.iter().enumerate() {
        assert_eq!(
            p.seq,
            FIRST_SEQ.wrapping_add(i as u16),
            "packet {i}: sequence"
        );
        assert_eq!(
            p.ts,
            FIRST_TS.wrapping_add(i as u32 * ts_step),
            "packet {i}: timestamp"
        );
    }
}

/// Talk (5 packets), a CN payload at −40 dBov, ten ticks of nothing, talk again (5).
fn cn_pause(output: Codec) -> (Transcoder, Vec<Out>) {
    let mut t = transcoder(Codec::Pcma, output);
    let mut out = Vec::new();
    for (seq, ts, payload) in alaw_talk(100, 8000, 5) {
        t.push(seq, ts, false, &payload, &mut sink(&mut out));
    }
    assert!(!t.in_dtx());
    // RFC 3389 §3: level 40, and a nearly flat spectral shape (k ≈ 0.02, −0.01).
    t.push_comfort_noise(105, 8800, false, &[40, 0x82, 0x7e], &mut sink(&mut out));
    for tick in 0..10 {
        assert!(t.comfort_noise(&mut sink(&mut out)), "tick {tick} in DTX");
        assert!(t.in_dtx());
    }
    // The sender's clock ran on 200 ms; its sequence numbers did not (DTX sends nothing).
    for (seq, ts, payload) in alaw_talk(106, 8800 + 1600, 5) {
        t.push(seq, ts, false, &payload, &mut sink(&mut out));
    }
    t.flush(&mut sink(&mut out));
    assert!(!t.in_dtx(), "audio ended DTX");
    (t, out)
}

#[test]
fn a_cn_pause_is_filled_with_noise_at_its_level_and_audio_resumes_marked() {
    let (t, out) = cn_pause(Codec::Pcmu);
    assert_eq!(out.len(), 20, "5 talk + 10 noise + 5 talk packets");
    assert_gapless(&out, 160);
    for (i, p) in out.iter().enumerate() {
        assert_eq!(p.marker, i == 0 || i == 15, "packet {i}: marker");
    }
    let mut noise = vec![0i16; 160 * 10];
    for (p, pcm) in out[5..15].iter().zip(noise.chunks_mut(160)) {
        Law::Ulaw.decode_into(&p.payload, pcm);
    }
    let level = level_dbov(&noise);
    assert!(
        (level + 40.0).abs() <= 1.0,
        "noise at {level:.2} dBov, CN said -40"
    );
    let stats = t.stats();
    assert_eq!(stats.comfort_payloads, 1);
    assert_eq!(stats.comfort_samples, 1600);
    assert_eq!(
        (stats.lost, stats.undecodable, stats.concealed_samples),
        (0, 0, 0)
    );
}

#[test]
fn noise_frames_come_in_the_output_codec_and_clock() {
    for (output, ts_step) in [(Codec::G722, 160), (Codec::G729 { annex_b: false }, 160)] {
        let (_, out) = cn_pause(output);
        assert_eq!(out.len(), 20, "{output:?}");
        assert_gapless(&out, ts_step);
        assert!(out[5..15].iter().all(|p| !p.payload.is_empty()));
    }
    let opus = Codec::Opus {
        bitrate: 24_000,
        complexity: 5,
        inband_fec: false,
        dtx: false,
    };
    let (_, out) = cn_pause(opus);
    assert_eq!(out.len(), 20);
    assert_gapless(&out, 960);
}

#[test]
fn a_cn_update_within_a_pause_changes_the_level_without_a_gap_or_marker() {
    let mut t = transcoder(Codec::Pcma, Codec::Pcma);
    let mut out = Vec::new();
    for (seq, ts, payload) in alaw_talk(100, 8000, 2) {
        t.push(seq, ts, false, &payload, &mut sink(&mut out));
    }
    t.push_comfort_noise(102, 8320, false, &[30], &mut sink(&mut out));
    for _ in 0..5 {
        t.comfort_noise(&mut sink(&mut out));
    }
    // The update comes 5 ticks later in the sender's clock, and a little late.
    t.push_comfort_noise(103, 8320 + 5 * 160 + 40, false, &[60], &mut sink(&mut out));
    for _ in 0..5 {
        t.comfort_noise(&mut sink(&mut out));
    }
    assert_eq!(out.len(), 12);
    assert_gapless(&out, 160);
    assert_eq!(
        out.iter().filter(|p| p.marker).count(),
        1,
        "only the first packet"
    );
    let decode = |packets: &[Out]| {
        let mut pcm = vec![0i16; 160 * packets.len()];
        for (p, chunk) in packets.iter().zip(pcm.chunks_mut(160)) {
            Law::Alaw.decode_into(&p.payload, chunk);
        }
        pcm
    };
    let loud = level_dbov(&decode(&out[3..7]));
    let quiet = level_dbov(&decode(&out[8..12]));
    assert!((loud + 30.0).abs() <= 1.0, "first level {loud:.2} dBov");
    assert!((quiet + 60.0).abs() <= 1.5, "updated level {quiet:.2} dBov");
}

#[test]
fn without_cn_a_pause_stays_empty_and_bad_cn_payloads_are_counted() {
    let mut t = transcoder(Codec::Pcma, Codec::Pcmu);
    let mut out = Vec::new();
    for (seq, ts, payload) in alaw_talk(100, 8000, 3) {
        t.push(seq, ts, false, &payload, &mut sink(&mut out));
    }
    assert!(!t.comfort_noise(&mut sink(&mut out)), "no CN: no noise");
    assert_eq!(
        out.len(),
        3,
        "the tick released what the window held, nothing more"
    );
    // A level with its top bit set, and an empty payload: errors, no DTX.
    t.push_comfort_noise(103, 8480, false, &[0x80], &mut sink(&mut out));
    t.push_comfort_noise(104, 8480, false, &[], &mut sink(&mut out));
    assert!(!t.comfort_noise(&mut sink(&mut out)));
    assert_eq!(out.len(), 3);
    assert_eq!(t.stats().undecodable, 2);
    assert_eq!(t.stats().comfort_payloads, 0);
}

#[test]
fn g729_sid_then_nothing_gives_the_decoders_comfort_noise_until_audio_resumes() {
    // A G.729 Annex B encoder fed a tone, then faint noise, sends voice frames, a SID,
    // then nothing.
    let mut seed = 0x2545_f491u32;
    let faint: Vec<i16> = (0..8000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (seed % 121) as i16 - 60
        })
        .collect();
    let talk: Vec<u8> = alaw_talk(0, 0, 25).into_iter().flat_map(|p| p.2).collect();
    let mut quiet = vec![0u8; faint.len()];
    Law::Alaw.encode_into(&faint, &mut quiet);
    let codes = [talk, quiet].concat();
    let mut encoder = transcoder(Codec::Pcma, Codec::G729 { annex_b: true });
    let mut g729 = Vec::new();
    for (i, chunk) in codes.chunks(160).enumerate() {
        encoder.push(
            100 + i as u16,
            160 * i as u32,
            false,
            chunk,
            &mut sink(&mut g729),
        );
    }
    encoder.flush(&mut sink(&mut g729));
    let sid_at = g729
        .iter()
        .position(|p| p.payload.len() % 10 == 2)
        .expect("Annex B sent a SID for the faint noise");
    let mut t = transcoder(Codec::G729 { annex_b: true }, Codec::Pcma);
    let mut out = Vec::new();
    for p in &g729[..=sid_at] {
        t.push(p.seq, p.ts, false, &p.payload, &mut sink(&mut out));
    }
    let before = out.len();
    for _ in 0..25 {
        assert!(t.comfort_noise(&mut sink(&mut out)), "in DTX after the SID");
    }
    let pause = out[before..].to_vec();
    assert!(pause.len() >= 24, "a frame per tick: {}", pause.len());
    let mut pcm = vec![0i16; 160 * pause.len()];
    for (p, chunk) in pause.iter().zip(pcm.chunks_mut(160)) {
        Law::Alaw.decode_into(&p.payload, chunk);
    }
    let level = level_dbov(&pcm);
    // The reference: the same faint noise as G.729 voice frames decoded, before the SID
    // (the talk is 25 packets; two more for the encoder's transition).
    let mut voiced = vec![0i16; 160 * (before - 28)];
    for (p, chunk) in out[27..before - 1].iter().zip(voiced.chunks_mut(160)) {
        Law::Alaw.decode_into(&p.payload, chunk);
    }
    let reference = level_dbov(&voiced);
    eprintln!("G.729 comfort noise {level:.1} dBov, the noise as voice frames {reference:.1} dBov");
    assert!(
        (level - reference).abs() <= 3.0,
        "comfort noise at {level:.1} dBov, the noise as voice frames {reference:.1} dBov"
    );
    // A SID update 0.5 s later (a little after the ticks' time), 25 more ticks: no gap,
    // no marker, the noise goes on.
    let last = &g729[sid_at];
    let sid = &last.payload[last.payload.len() - 2..];
    let update_ts = last.ts + 80 + 25 * 160 + 40;
    t.push(
        last.seq.wrapping_add(1),
        update_ts,
        false,
        sid,
        &mut sink(&mut out),
    );
    for _ in 0..25 {
        assert!(t.comfort_noise(&mut sink(&mut out)), "still in DTX");
    }
    let pause = out[before..].to_vec();
    assert!(pause.len() >= 50, "a frame per tick: {}", pause.len());
    // Audio resumes 1 s of sender clock after the first SID's packet.
    let resume_ts = last.ts + 160 + 50 * 160;
    let voice = &g729[0].payload;
    t.push(
        last.seq.wrapping_add(2),
        resume_ts,
        false,
        voice,
        &mut sink(&mut out),
    );
    t.flush(&mut sink(&mut out));
    assert!(!t.in_dtx());
    let resumed = &out[before + pause.len()..];
    // Each SID decodes to 10 ms, so the FIFO is frame-aligned again after the two: the
    // first packet after the pause is the audio, marked.
    let markers: Vec<bool> = resumed.iter().map(|p| p.marker).collect();
    assert_eq!(markers, [true], "the first audio packet marked");
    assert!(pause.iter().all(|p| !p.marker), "noise frames unmarked");
    assert_gapless(&out, 160);
}
