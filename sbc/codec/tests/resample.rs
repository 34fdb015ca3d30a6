//! The 8 ↔ 16 kHz resampler: tones pass up and down unchanged, what lies above 4 kHz is
//! removed before downsampling (no alias), and bad buffers are errors.

mod common;

use common::{analyse, tone};
use sbc_codec::CodecError;
use sbc_codec::resample::{Downsampler, Upsampler};

#[test]
fn a_tone_goes_up_and_down_unchanged() {
    for frequency in [300.0, 1000.0, 3000.0, 3400.0] {
        let amplitude = 10_000.0;
        let input = tone(frequency, amplitude, 8000, 8000);
        let mut up = Upsampler::new();
        let mut down = Downsampler::new();
        let mut wide = vec![0i16; 16_000];
        let mut narrow = vec![0i16; 8000];
        // In 20 ms frames, as a stream would.
        for (frame, (w, n)) in input
            .chunks(160)
            .zip(wide.chunks_mut(320).zip(narrow.chunks_mut(160)))
        {
            assert_eq!(up.process(frame, w), Ok(320));
            assert_eq!(down.process(w, n), Ok(160));
        }
        let wide_report = analyse(&wide, 16_000, amplitude, 1600, 8000);
        wide_report.assert_clean(&format!("up {frequency} Hz"), frequency, -40.0);
        let report = analyse(&narrow, 8000, amplitude, 800, 4000);
        report.assert_clean(&format!("up and down {frequency} Hz"), frequency, -40.0);
    }
}

#[test]
fn downsampling_removes_what_would_alias() {
    // 5 kHz and 6 kHz would fold to 3 kHz and 2 kHz at 8 kHz: the filter takes them out.
    for frequency in [5000.0, 6000.0, 7000.0] {
        let amplitude = 10_000.0;
        let input = tone(frequency, amplitude, 16_000, 16_000);
        let mut down = Downsampler::new();
        let mut narrow = vec![0i16; 8000];
        assert_eq!(down.process(&input, &mut narrow), Ok(8000));
        let rms = (narrow[800..]
            .iter()
            .map(|&s| f64::from(s).powi(2))
            .sum::<f64>()
            / 7200.0)
            .sqrt();
        let attenuation = 20.0 * (rms / (amplitude / 2f64.sqrt())).log10();
        eprintln!("{frequency} Hz downsampled: {attenuation:.1} dB");
        assert!(
            attenuation <= -60.0,
            "{frequency} Hz aliases at {attenuation:.1} dB"
        );
    }
}

#[test]
fn upsampling_leaves_no_image() {
    // A 1 kHz tone at 8 kHz has an image at 7 kHz when upsampled without a filter.
    let amplitude = 10_000.0;
    let input = tone(1000.0, amplitude, 8000, 8000);
    let mut up = Upsampler::new();
    let mut wide = vec![0i16; 16_000];
    assert_eq!(up.process(&input, &mut wide), Ok(16_000));
    let report = analyse(&wide, 16_000, amplitude, 1600, 8000);
    assert!(
        report.off_tone_db <= -60.0,
        "image or noise at {:.1} dB",
        report.off_tone_db
    );
}

#[test]
fn odd_input_and_short_outputs_are_errors() {
    let mut down = Downsampler::new();
    let mut out = [0i16; 10];
    assert!(matches!(
        down.process(&[0; 21], &mut out),
        Err(CodecError::FrameSize { len: 21, .. })
    ));
    assert!(matches!(
        down.process(&[0; 40], &mut out),
        Err(CodecError::OutputTooSmall { needed: 20, .. })
    ));
    let mut up = Upsampler::new();
    assert!(matches!(
        up.process(&[0; 6], &mut out),
        Err(CodecError::OutputTooSmall { needed: 12, .. })
    ));
}
