//! G.722 at 64 kbit/s: tone round trips through encoder and decoder (the issue's
//! criteria), in the lower and in the higher sub-band, and bad input.

mod common;

use common::{analyse, garbage, in_frames, tone};
use sbc_codec::{CodecError, G722Decoder, G722Encoder};

/// 20 ms at 16 kHz.
const FRAME: usize = 320;

fn round_trip(input: &[i16]) -> Vec<i16> {
    let mut encoder = G722Encoder::new();
    let mut decoder = G722Decoder::new();
    in_frames(input, FRAME, |frame| {
        let mut payload = [0u8; FRAME / 2];
        let octets = encoder
            .encode(frame, &mut payload)
            .expect("a whole frame encodes");
        assert_eq!(octets, FRAME / 2);
        let mut out = vec![0i16; FRAME];
        let samples = decoder
            .decode(&payload, &mut out)
            .expect("every octet decodes");
        assert_eq!(samples, FRAME);
        out
    })
}

#[test]
fn tones_in_both_sub_bands_come_back_clean() {
    // 400 Hz (the lab's tone), 1 kHz and 3 kHz lie in the lower sub-band (6 bits per
    // sample): the 25 dB. 5 and 6 kHz lie in the higher sub-band, which G.722
    // codes with 2 bits per sample (16 kbit/s): its quantization noise alone is about
    // 22 dB below a tone, so 20 dB is what a correct coder gives there.
    for (frequency, limit) in [
        (400.0, -25.0),
        (1000.0, -25.0),
        (3000.0, -25.0),
        (5000.0, -20.0),
        (6000.0, -20.0),
    ] {
        let amplitude = 10_000.0;
        let input = tone(frequency, amplitude, 16_000, 16_000);
        let output = round_trip(&input);
        let report = analyse(&output, 16_000, amplitude, 3200, 8000);
        eprintln!("G.722 {frequency} Hz: {report:?}");
        report.assert_clean(&format!("G.722 {frequency} Hz"), frequency, limit);
    }
}

#[test]
fn silence_stays_silent() {
    let output = round_trip(&vec![0i16; 3200]);
    let peak = output
        .iter()
        .map(|s| i32::from(*s).abs())
        .max()
        .unwrap_or(0);
    assert!(peak <= 64, "silence decodes to peaks of {peak}");
}

#[test]
fn odd_sample_counts_and_short_buffers_are_errors() {
    let mut encoder = G722Encoder::new();
    let mut out = [0u8; 200];
    assert!(matches!(
        encoder.encode(&[0i16; 321], &mut out),
        Err(CodecError::FrameSize { len: 321, .. })
    ));
    assert!(matches!(
        encoder.encode(&[0i16; 320], &mut out[..100]),
        Err(CodecError::OutputTooSmall {
            needed: 160,
            capacity: 100,
            ..
        })
    ));
    let mut decoder = G722Decoder::new();
    let mut pcm = [0i16; 100];
    assert!(matches!(
        decoder.decode(&[0u8; 160], &mut pcm),
        Err(CodecError::OutputTooSmall { needed: 320, .. })
    ));
}

#[test]
fn garbage_decodes_to_bounded_audio_and_the_decoder_recovers() {
    let mut decoder = G722Decoder::new();
    let mut out = vec![0i16; 2 * 16_000];
    let noise = garbage(7, 16_000);
    assert_eq!(decoder.decode(&noise, &mut out), Ok(32_000));
    // Then a real tone: after a second it is clean again (the adaptation forgets).
    let amplitude = 10_000.0;
    let input = tone(1000.0, amplitude, 16_000, 32_000);
    let mut encoder = G722Encoder::new();
    let mut payload = vec![0u8; 16_000];
    encoder.encode(&input, &mut payload).expect("encodes");
    let mut decoded = vec![0i16; 32_000];
    decoder.decode(&payload, &mut decoded).expect("decodes");
    let report = analyse(&decoded, 16_000, amplitude, 16_000, 8000);
    report.assert_clean("G.722 after garbage", 1000.0, -25.0);
}

/// The narrow (8 kHz) modes: a tone encoded from 8 kHz comes back clean through the full
/// 16 kHz decoder and through the narrow one.
#[test]
fn narrow_modes_carry_telephone_band_tones() {
    use sbc_codec::resample::Downsampler;
    for frequency in [400.0, 1000.0, 3000.0] {
        let amplitude = 10_000.0;
        let input = tone(frequency, amplitude, 8000, 8000);
        let mut encoder = G722Encoder::new();
        let mut payload = vec![0u8; 8000];
        assert_eq!(encoder.encode_narrow(&input, &mut payload), Ok(8000));

        let mut narrow = vec![0i16; 8000];
        assert_eq!(
            G722Decoder::new().decode_narrow(&payload, &mut narrow),
            Ok(8000)
        );
        let report = analyse(&narrow, 8000, amplitude, 1600, 4000);
        eprintln!("G.722 narrow/narrow {frequency} Hz: {report:?}");
        report.assert_clean(
            &format!("narrow -> narrow {frequency} Hz"),
            frequency,
            -25.0,
        );

        let mut wide = vec![0i16; 16_000];
        assert_eq!(G722Decoder::new().decode(&payload, &mut wide), Ok(16_000));
        let mut back = vec![0i16; 8000];
        Downsampler::new()
            .process(&wide, &mut back)
            .expect("downsamples");
        let report = analyse(&back, 8000, amplitude, 1600, 4000);
        eprintln!("G.722 narrow/wide {frequency} Hz: {report:?}");
        report.assert_clean(&format!("narrow -> wide {frequency} Hz"), frequency, -25.0);
    }
}

/// What the narrow decoder costs in quality: a 4.5 kHz tone (wideband speech has such
/// content) folds to 3.5 kHz, attenuated only by the QMF's transition band.
#[test]
fn narrow_decoding_aliases_what_lies_just_above_4_khz() {
    let amplitude = 10_000.0;
    let input = tone(4500.0, amplitude, 16_000, 16_000);
    let mut payload = vec![0u8; 8000];
    G722Encoder::new()
        .encode(&input, &mut payload)
        .expect("encodes");
    let mut narrow = vec![0i16; 8000];
    G722Decoder::new()
        .decode_narrow(&payload, &mut narrow)
        .expect("decodes");
    let rms = (narrow[1600..]
        .iter()
        .map(|&s| f64::from(s).powi(2))
        .sum::<f64>()
        / 6400.0)
        .sqrt();
    let alias_db = 20.0 * (rms / (amplitude / 2f64.sqrt())).log10();
    eprintln!("4.5 kHz through the narrow decoder: {alias_db:.1} dB");
    assert!(alias_db < -6.0, "4.5 kHz folds at {alias_db:.1} dB");
}
