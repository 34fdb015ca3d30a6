//! G.711 tone round trips (the criteria) for both laws.

mod common;

use common::{analyse, tone};
use sbc_codec::Law;

#[test]
fn a_tone_survives_both_laws() {
    for law in [Law::Alaw, Law::Ulaw] {
        for frequency in [400.0, 1000.0, 3000.0] {
            let amplitude = 10_000.0;
            let input = tone(frequency, amplitude, 8000, 8000);
            let mut codes = vec![0u8; input.len()];
            law.encode_into(&input, &mut codes);
            let mut output = vec![0i16; codes.len()];
            law.decode_into(&codes, &mut output);
            let report = analyse(&output, 8000, amplitude, 800, 4000);
            report.assert_clean(&format!("{law:?} {frequency} Hz"), frequency, -25.0);
        }
    }
}
