//! The sub-band ADPCM coders against the ITU-T G.722 Appendix II digital test sequences
//! (ASCII form: 16 hexadecimal 16-bit words per line, then a checksum byte).
//!
//! In these sequences the QMF is bypassed: each input word of `T1C1.XMT` feeds both
//! sub-band encoders (the word shifted right by one; its least significant bit set means
//! "reset"), and `T2R1.COD` holds the expected octet in each word's high byte; decoding
//! `T2R1.COD` must give `T3L1.RC1` (lower band, 64 kbit/s mode) and `T3H1.RC0` (higher
//! band), each reconstructed sample shifted left by one; likewise `T1C2.XMT` → `T2R2.COD` →
//! `T3L2.RC1`/`T3H2.RC0`. The second sequence (full-scale alternation that drives both
//! bands into their limits, 768 samples between reset words) is here whole; of the first
//! (16,384 samples) the first 160 after the reset preamble: it could only be read from a
//! public mirror page by page in this session, and from the reset state 160 samples already
//! pin every table and block.

use super::adpcm::{HighBand, LowBand};

fn words(text: &str) -> Vec<u16> {
    text.lines()
        .flat_map(|line| {
            (0..16)
                .map(move |i| u16::from_str_radix(&line[4 * i..4 * i + 4], 16).expect("hex word"))
        })
        .collect()
}

#[test]
fn encoder_matches_t2r1_for_the_head_of_t1c1() {
    let input = words(include_str!("vectors/t1c1_head.xmt"));
    let expected = words(include_str!("vectors/t2r1_head.cod"));
    assert_eq!(input.len(), expected.len());
    let mut low = LowBand::new();
    let mut high = HighBand::new();
    for (n, (&x, &code)) in input.iter().zip(&expected).enumerate() {
        let sample = i32::from(x as i16 >> 1);
        let got = (high.encode(sample) << 6) | low.encode(sample);
        assert_eq!(got, (code >> 8) as u8, "sample {n}: input {x:#06x}");
    }
}

#[test]
fn lower_band_decoder_matches_t3l1_for_the_head_of_t2r1() {
    let codes = words(include_str!("vectors/t2r1_head.cod"));
    let expected = words(include_str!("vectors/t3l1_head.rc1"));
    let mut low = LowBand::new();
    for (n, (&code, &want)) in codes.iter().zip(&expected).enumerate() {
        let got = low.decode((code >> 8) as u8 & 0x3f);
        assert_eq!(
            got << 1,
            i32::from(want as i16),
            "sample {n}: code {code:#06x}"
        );
    }
}

#[test]
fn higher_band_decoder_matches_t3h1_for_the_head_of_t2r1() {
    let codes = words(include_str!("vectors/t2r1_head.cod"));
    let expected = words(include_str!("vectors/t3h1_head.rc0"));
    let mut high = HighBand::new();
    for (n, (&code, &want)) in codes.iter().zip(&expected).enumerate() {
        let got = high.decode((code >> 14) as u8);
        assert_eq!(
            got << 1,
            i32::from(want as i16),
            "sample {n}: code {code:#06x}"
        );
    }
}

#[test]
fn encoder_matches_the_whole_of_t1c2_to_t2r2() {
    // The second sequence, whole: 768 samples between a reset preamble and a reset
    // trailer, driving both sub-bands into their limits (full-scale alternation).
    let input = words(include_str!("vectors/t1c2.xmt"));
    let expected = words(include_str!("vectors/t2r2.cod"));
    assert_eq!((input.len(), expected.len()), (800, 800));
    let mut low = LowBand::new();
    let mut high = HighBand::new();
    let mut coded = 0;
    for (n, (&x, &code)) in input.iter().zip(&expected).enumerate() {
        if x & 1 == 1 {
            low = LowBand::new();
            high = HighBand::new();
            assert_eq!(code, 0x0001, "sample {n}: a reset word is echoed");
            continue;
        }
        let sample = i32::from(x as i16 >> 1);
        let got = (high.encode(sample) << 6) | low.encode(sample);
        assert_eq!(got, (code >> 8) as u8, "sample {n}: input {x:#06x}");
        coded += 1;
    }
    assert_eq!(coded, 768);
}

#[test]
fn decoder_matches_the_whole_of_t2r2_to_t3l2_and_t3h2() {
    let codes = words(include_str!("vectors/t2r2.cod"));
    let expected_low = words(include_str!("vectors/t3l2.rc1"));
    let expected_high = words(include_str!("vectors/t3h2.rc0"));
    assert_eq!((expected_low.len(), expected_high.len()), (800, 800));
    let mut low = LowBand::new();
    let mut high = HighBand::new();
    for (n, ((&code, &want_low), &want_high)) in codes
        .iter()
        .zip(&expected_low)
        .zip(&expected_high)
        .enumerate()
    {
        if code & 1 == 1 {
            low = LowBand::new();
            high = HighBand::new();
            assert_eq!(
                (want_low, want_high),
                (0x0001, 0x0001),
                "sample {n}: a reset word is echoed"
            );
            continue;
        }
        let octet = (code >> 8) as u8;
        assert_eq!(
            low.decode(octet & 0x3f) << 1,
            i32::from(want_low as i16),
            "sample {n}: lower band"
        );
        assert_eq!(
            high.decode(octet >> 6) << 1,
            i32::from(want_high as i16),
            "sample {n}: higher band"
        );
    }
}
