//! G.729A through libbcg729: tone round trips (the criteria), Annex B silence
//! (SID frames decode to comfort noise), concealment, payload framing and bad input.
#![cfg(feature = "g729")]

mod common;

use common::{analyse, garbage, tone};
use sbc_codec::CodecError;
use sbc_codec::g729::{G729Decoder, G729Encoder};

/// 20 ms at 8 kHz: two frames per packet.
const PACKET: usize = 160;

fn round_trip(annex_b: bool, input: &[i16]) -> (Vec<i16>, Vec<usize>) {
    let mut encoder = G729Encoder::new(annex_b).expect("encoder");
    let mut decoder = G729Decoder::new().expect("decoder");
    let mut output = Vec::new();
    let mut sizes = Vec::new();
    for chunk in input.chunks_exact(PACKET) {
        let mut payload = [0u8; 20];
        let len = encoder.encode(chunk, &mut payload).expect("encodes");
        sizes.push(len);
        let mut pcm = [0i16; PACKET];
        let n = if len == 0 {
            // Annex B sent nothing: the receiver goes on with comfort noise (a lost frame
            // after a SID decodes as noise, as in a real DTX stream).
            decoder.conceal(2, &mut pcm).expect("conceals")
        } else {
            decoder.decode(&payload[..len], &mut pcm).expect("decodes")
        };
        output.extend_from_slice(&pcm[..n]);
    }
    (output, sizes)
}

#[test]
fn tones_come_back() {
    for frequency in [400.0, 1000.0] {
        let amplitude = 10_000.0;
        let input = tone(frequency, amplitude, 8000, 16_000);
        let (output, sizes) = round_trip(false, &input);
        assert!(
            sizes.iter().all(|&n| n == 20),
            "two voice frames per packet: {sizes:?}"
        );
        let report = analyse(&output, 8000, amplitude, 1600, 8000);
        eprintln!("G.729A {frequency} Hz: {report:?}");
        report.assert_clean(&format!("G.729A {frequency} Hz"), frequency, -25.0);
    }
}

#[test]
fn annex_b_silence_becomes_sid_frames_and_comfort_noise() {
    let mut input = tone(1000.0, 10_000.0, 8000, 8000);
    input.extend(std::iter::repeat_n(0i16, 16_000));
    let (output, sizes) = round_trip(true, &input);
    // The VAD's hangover keeps voice a little past the tone; then a SID within 200 ms,
    // and from there on only SID frames or nothing.
    let first_sid = sizes.iter().position(|&n| n == 2).expect("a SID frame");
    assert!(
        (50..60).contains(&first_sid),
        "first SID in packet {first_sid}: {sizes:?}"
    );
    let silent = &sizes[first_sid..];
    assert!(
        silent.iter().all(|&n| n == 0 || n == 2),
        "silence sends SID or nothing: {silent:?}"
    );
    assert!(
        sizes[..40].iter().all(|&n| n == 20),
        "the tone is voice: {:?}",
        &sizes[..40]
    );
    let rms = (output[16_000..]
        .iter()
        .map(|&s| f64::from(s).powi(2))
        .sum::<f64>()
        / 8000.0)
        .sqrt();
    assert!(rms < 300.0, "comfort noise at rms {rms:.0}, expected quiet");
}

#[test]
fn a_sid_frame_decodes_to_ten_milliseconds() {
    let mut decoder = G729Decoder::new().expect("decoder");
    let mut pcm = [0i16; 240];
    assert_eq!(G729Decoder::samples_in(&[0u8; 22]), Ok(240));
    assert_eq!(decoder.decode(&[0u8; 22], &mut pcm), Ok(240));
    assert_eq!(decoder.decode(&[0u8; 2], &mut pcm), Ok(80));
}

#[test]
fn bad_payloads_are_errors_and_garbage_never_panics() {
    let mut decoder = G729Decoder::new().expect("decoder");
    let mut pcm = [0i16; 1600];
    for len in [0usize, 1, 3, 9, 11, 15, 19, 21, 23] {
        assert!(
            matches!(
                decoder.decode(&vec![0u8; len], &mut pcm),
                Err(CodecError::PayloadLength { .. })
            ),
            "{len} bytes"
        );
    }
    assert!(matches!(
        decoder.decode(&[0u8; 20], &mut pcm[..100]),
        Err(CodecError::OutputTooSmall { needed: 160, .. })
    ));
    for seed in 0..500u64 {
        let payload = garbage(
            seed,
            10 * (1 + seed as usize % 6) + if seed % 3 == 0 { 2 } else { 0 },
        );
        let n = decoder
            .decode(&payload, &mut pcm)
            .expect("any bits of the right length decode");
        assert_eq!(n, G729Decoder::samples_in(&payload).expect("valid length"));
    }
    let mut encoder = G729Encoder::new(false).expect("encoder");
    let mut out = [0u8; 20];
    assert!(matches!(
        encoder.encode(&[0i16; 100], &mut out),
        Err(CodecError::FrameSize { len: 100, .. })
    ));
    assert!(matches!(
        encoder.encode(&[0i16; 160], &mut out[..10]),
        Err(CodecError::OutputTooSmall { needed: 20, .. })
    ));
}
