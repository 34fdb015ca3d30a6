//! Comfort noise through a pause on a transcoded leg (virtual clock): A's peer talks
//! PCMA, sends one RFC 3389 CN packet (the negotiated `CN` payload type) and then nothing
//! for 200 ms, as DTX does; B's peer, which gets PCMU, keeps receiving a packet every
//! 20 ms, filled with noise at the level the CN said, in the SBC's gapless numbering
//! with timestamps running on; when A talks again the first audio packet is marked and
//! nothing is skipped.
#![allow(clippy::unwrap_used)]

mod common;

use std::f64::consts::PI;
use std::time::Duration;

use common::{Bench, KEY};
use sbc_codec::Law;
use sbc_codec::transcode::Codec;
use sbc_core::{DropKind, LatchMode, MediaOp, Side};
use sbc_media::transcode::{FLUSH_AFTER, TranscodeSpec};
use sbc_media::{HEADROOM, MAX_EMITTED, TAILROOM};

const A: &str = "198.51.100.10:4000";
const B: &str = "198.51.100.20:5004";
const CN_PT: u8 = 13;
const PCMU_PT: u8 = 0;

/// `offload`: the codec work handed out as jobs (what the daemon runs), run at once.
fn call(comfort_noise_pt: Option<u8>, offload: bool) -> Bench {
    let config = sbc_media::ShardConfig {
        transcode_offload: offload,
        ..common::config()
    };
    let mut b = Bench::with(config, LatchMode::PrivateOnly, LatchMode::PrivateOnly);
    b.remote(Side::A, Some(A), None);
    b.remote(Side::B, Some(B), None);
    b.op(MediaOp::Answered {
        stream: KEY,
        fork: None,
    });
    let spec = TranscodeSpec {
        input_pt: 8,
        input: Codec::Pcma,
        comfort_noise_pt,
        comfort_noise_out_pt: None,
        output_pt: PCMU_PT,
        output: Codec::Pcmu,
        ptime_ms: 20,
        events: None,
    };
    b.shard.set_transcode(KEY, Side::B, Some(spec)).unwrap();
    b
}

fn packet(pt: u8, seq: u16, ts: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, pt];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&0x1234_5678u32.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// The `n`th 20 ms of a 400 Hz tone in A-law.
fn tone(n: u32) -> Vec<u8> {
    (0..160)
        .map(|i| {
            let t = f64::from(n * 160 + i) / 8000.0;
            Law::Alaw.encode((8000.0 * (2.0 * PI * 400.0 * t).sin()) as i16)
        })
        .collect()
}

/// (seq, ts, marker, payload) of every audio packet that left towards B.
type Out = (u16, u32, bool, Vec<u8>);

fn emitted(b: &mut Bench, out: &mut Vec<Out>) {
    // Jobs handed out (offload) are run as a transcoding thread would, and handed back.
    while let Some(mut job) = b.shard.poll_transcode() {
        job.run();
        b.shard.transcoded(b.now, job);
    }
    let mut mem = vec![0u8; HEADROOM + MAX_EMITTED + TAILROOM];
    while let Some(t) = b.shard.poll_transmit(&mut mem) {
        let p = &mem[t.start..t.start + t.len];
        // The SBC's own RTCP towards B is not audio.
        if p[1] & 0x7f != PCMU_PT {
            continue;
        }
        out.push((
            u16::from_be_bytes([p[2], p[3]]),
            u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
            p[1] & 0x80 != 0,
            p[12..].to_vec(),
        ));
    }
}

fn step(b: &mut Bench, out: &mut Vec<Out>) {
    b.advance(Duration::from_millis(20));
    emitted(b, out);
}

/// Talk 5 packets, a CN at −40 dBov, 10 ptimes of nothing, talk 5 packets.
fn talk_pause_talk(b: &mut Bench, cn: &[u8]) -> Vec<Out> {
    let mut out = Vec::new();
    for n in 0..5u16 {
        let ts = 5000 + u32::from(n) * 160;
        b.recv(Side::A, false, A, &packet(8, 1000 + n, ts, &tone(n.into())));
        emitted(b, &mut out);
        step(b, &mut out);
    }
    b.recv(Side::A, false, A, &packet(CN_PT, 1005, 5800, cn));
    emitted(b, &mut out);
    for _ in 0..10 {
        step(b, &mut out);
    }
    for n in 0..5u16 {
        let ts = 5800 + 1600 + u32::from(n) * 160;
        let audio = packet(8, 1006 + n, ts, &tone(u32::from(n) + 15));
        b.recv(Side::A, false, A, &audio);
        emitted(b, &mut out);
        step(b, &mut out);
    }
    b.advance(FLUSH_AFTER);
    emitted(b, &mut out);
    out
}

#[test]
fn a_cn_pause_becomes_noise_frames_every_ptime_until_audio_resumes_marked() {
    let inline = pause_through(false);
    let offloaded = pause_through(true);
    assert_eq!(
        inline, offloaded,
        "the same packets with the codecs handed off"
    );
}

fn pause_through(offload: bool) -> Vec<Out> {
    let mut b = call(Some(CN_PT), offload);
    let out = talk_pause_talk(&mut b, &[40]);
    assert_eq!(out.len(), 20, "5 talk + 10 noise + 5 talk packets");
    for w in out.windows(2) {
        assert_eq!(w[1].0, w[0].0.wrapping_add(1), "gapless sequence numbers");
        assert_eq!(
            w[1].1.wrapping_sub(w[0].1),
            160,
            "timestamps run on by 20 ms"
        );
    }
    let markers: Vec<usize> = (0..out.len()).filter(|&i| out[i].2).collect();
    assert_eq!(
        markers,
        [0, 15],
        "the first packet and the first after the pause"
    );
    let mut noise = vec![0i16; 1600];
    for (p, pcm) in out[5..15].iter().zip(noise.chunks_mut(160)) {
        Law::Ulaw.decode_into(&p.3, pcm);
    }
    let power = noise.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / 1600.0;
    let level = 20.0 * (power.sqrt() / 32767.0).log10();
    assert!(
        (level + 40.0).abs() <= 1.0,
        "noise at {level:.2} dBov, CN said -40"
    );
    let s = b.shard.stats(KEY).unwrap();
    assert_eq!(s.a.drops.get(DropKind::Transform), 0, "the CN packet taken");
    assert_eq!(s.a.drops.get(DropKind::TranscodeQueue), 0);
    out
}

#[test]
fn without_a_negotiated_cn_the_cn_packet_is_dropped_and_its_pause_is_a_loss() {
    let mut b = call(None, false);
    let out = talk_pause_talk(&mut b, &[40]);
    // The dropped CN leaves a hole in A's sequence numbers: the pause is taken for a
    // loss and concealed (G.711: silence, up to 200 ms), no noise.
    assert_eq!(out.len(), 20);
    let mut pcm = vec![0i16; 160];
    for p in &out[5..15] {
        Law::Ulaw.decode_into(&p.3, &mut pcm);
        assert!(pcm.iter().all(|&s| s == 0), "digital silence");
    }
    let s = b.shard.stats(KEY).unwrap();
    assert_eq!(s.a.drops.get(DropKind::Transform), 1, "the CN packet");
}
