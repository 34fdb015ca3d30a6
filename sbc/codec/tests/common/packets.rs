//! What a transcoder hands out, kept for assertions, and PCMA input for it.

use sbc_codec::Law;
use sbc_codec::transcode::OutPacket;

use super::tone;

/// One packet a transcoder sent, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Out {
    pub seq: u16,
    pub ts: u32,
    pub marker: bool,
    /// An RFC 3389 CN packet of the SBC's own.
    pub cn: bool,
    pub payload: Vec<u8>,
}

/// A transcoder's packet sink that keeps every packet in `out`.
pub fn sink(out: &mut Vec<Out>) -> impl FnMut(OutPacket<'_>) + '_ {
    |p| {
        out.push(Out {
            seq: p.seq,
            ts: p.ts,
            marker: p.marker,
            cn: p.comfort_noise,
            payload: p.payload.to_vec(),
        })
    }
}

/// 20 ms PCMA packets of a 400 Hz tone, `count` of them from `seq`/`ts`.
pub fn alaw_talk(seq: u16, ts: u32, count: usize) -> Vec<(u16, u32, Vec<u8>)> {
    let pcm = tone(400.0, 10_000.0, 8000, 160 * count);
    let mut codes = vec![0u8; pcm.len()];
    Law::Alaw.encode_into(&pcm, &mut codes);
    codes
        .chunks(160)
        .enumerate()
        .map(|(i, c)| (seq + i as u16, ts + 160 * i as u32, c.to_vec()))
        .collect()
}
