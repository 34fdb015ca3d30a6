//! The transcoder's seams for audio of the engine's own: a listener hears every decoded
//! sample at the decoding rate, and inserted samples leave as the next output audio in
//! the stream's numbering, the input clock moving on by as much.
#![cfg(all(feature = "opus", feature = "g729"))]

mod common;

use std::any::Any;

use common::tone;
use sbc_codec::transcode::{Codec, Listener, OutPacket, Transcoder, TranscoderConfig};
use sbc_codec::{G722Encoder, Law};

#[derive(Debug, Default)]
struct Heard {
    samples: Vec<i16>,
    rates: Vec<u32>,
}

impl Listener for Heard {
    fn decoded(&mut self, pcm: &[i16], rate: u32) {
        self.samples.extend_from_slice(pcm);
        self.rates.push(rate);
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

fn g722_to_pcma() -> Transcoder {
    Transcoder::new(TranscoderConfig {
        input: Codec::G722,
        output: Codec::Pcma,
        ptime_ms: 20,
        reorder_depth: 3,
        ssrc: 7,
        first_seq: 1000,
        first_ts: 50_000,
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

/// `n` packets of 20 ms of a G.722 400 Hz tone, numbered from `seq`/`ts`.
fn g722_packets(seq: u16, ts: u32, n: usize) -> Vec<(u16, u32, Vec<u8>)> {
    let pcm = tone(400.0, 8000.0, 16_000, 320 * n);
    let mut enc = G722Encoder::default();
    pcm.chunks(320)
        .enumerate()
        .map(|(i, c)| {
            let mut out = vec![0u8; 160];
            let k = enc.encode(c, &mut out).unwrap_or_else(|e| panic!("{e}"));
            out.truncate(k);
            (seq + i as u16, ts + 160 * i as u32, out)
        })
        .collect()
}

#[test]
fn a_listener_hears_every_decoded_sample_at_the_decoding_rate() {
    let mut t = g722_to_pcma();
    assert_eq!((t.decode_rate(), t.encode_rate()), (16_000, 8000));
    assert!(t.set_listener(Some(Box::new(Heard::default()))).is_none());
    let mut sent = 0;
    for (seq, ts, p) in g722_packets(10, 0, 5) {
        t.push(seq, ts, false, &p, &mut |_| sent += 1);
    }
    t.flush(&mut |_| sent += 1);
    let heard = t
        .listener_mut()
        .and_then(|l| l.as_any_mut().downcast_mut::<Heard>())
        .unwrap_or_else(|| panic!("the listener"));
    assert_eq!(heard.samples.len(), 5 * 320, "every sample, at 16 kHz");
    assert!(heard.rates.iter().all(|&r| r == 16_000));
    assert!(
        heard.samples.iter().any(|&s| s.abs() > 1000),
        "audio, not silence"
    );
    assert_eq!(sent, 5);
    // The end of what was decoded is where the next output packet starts.
    assert_eq!(t.decoded_timestamp(0), 50_000 + 5 * 160);
    assert_eq!(
        t.decoded_timestamp(320),
        50_000 + 4 * 160,
        "16 kHz samples back"
    );
}

#[test]
fn inserted_samples_leave_as_the_next_audio_and_the_input_clock_moves_on() {
    let mut t = g722_to_pcma();
    let mut out: Vec<(u16, u32, bool, Vec<u8>)> = Vec::new();
    let mut sink = |p: OutPacket<'_>| out.push((p.seq, p.ts, p.marker, p.payload.to_vec()));
    for (seq, ts, p) in g722_packets(10, 0, 2) {
        t.push(seq, ts, false, &p, &mut sink);
    }
    // 40 ms of the engine's own audio in place of the input's.
    let own = tone(1000.0, 6000.0, 8000, 320);
    t.insert(&own, &mut sink);
    // The input goes on after those 40 ms: no gap, no marker.
    for (seq, ts, p) in g722_packets(12, 4 * 160, 2) {
        t.push(seq, ts, false, &p, &mut sink);
    }
    t.flush(&mut sink);
    assert_eq!(out.len(), 6);
    for (i, (seq, ts, marker, _)) in out.iter().enumerate() {
        assert_eq!(*seq, 1000 + i as u16, "gapless");
        assert_eq!(*ts, 50_000 + 160 * i as u32, "every sample counted");
        assert_eq!(*marker, i == 0, "only the first packet is marked");
    }
    let mut expected = vec![0u8; 320];
    Law::Alaw.encode_into(&own, &mut expected);
    assert_eq!(out[2].3, expected[..160], "the inserted samples, encoded");
    assert_eq!(out[3].3, expected[160..]);
}
