//! One transcoded session run for a fixed number of seconds of audio, with nothing
//! else in the process: a target for a profiler. Deterministic work, so under
//! `valgrind --tool=callgrind` the instruction count is the same on every run, whatever
//! else the machine does (timing on a shared VM is not):
//!
//! ```text
//! cargo build --release -p sbc-codec --example session_profile
//! valgrind --tool=callgrind target/release/examples/session_profile g722 10
//! callgrind_annotate callgrind.out.<pid>
//! ```
//!
//! Arguments: the codec on the other leg (`pcmu`, `g722`, `opus`, `g729`; default
//! `g722`) and seconds of audio (default 10). One session is a pair of `Transcoder`s,
//! PCMA -> X and X -> PCMA, fed 20 ms packets both ways, as in the `sessions` bench; the
//! other leg's packets are the PCMA audio transcoded to X, except with `g722-wide`: G.722
//! encoded from 16 kHz audio (both sub-bands in use, as from a wideband phone).

#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "../benches/speechlike.rs"]
mod speechlike;

use sbc_codec::transcode::{Codec, OutPacket, Transcoder, TranscoderConfig};
use sbc_codec::{G722Encoder, Law};
use std::hint::black_box;
use std::process::ExitCode;

fn direction(input: Codec, output: Codec) -> Result<Transcoder, sbc_codec::CodecError> {
    Transcoder::new(TranscoderConfig {
        input,
        output,
        ptime_ms: 20,
        reorder_depth: 3,
        ssrc: 1,
        first_seq: 0,
        first_ts: 0,
    })
}

fn codec_named(name: &str) -> Option<Codec> {
    Some(match name {
        "pcmu" => Codec::Pcmu,
        "g722" | "g722-wide" => Codec::G722,
        "opus" => Codec::Opus {
            bitrate: 24_000,
            complexity: 5,
            inband_fec: false,
            dtx: false,
        },
        "g729" => Codec::G729 { annex_b: false },
        _ => return None,
    })
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "g722".into());
    let Some(codec) = codec_named(&name) else {
        eprintln!("unknown codec {name:?}: pcmu, g722, g722-wide, opus or g729");
        return ExitCode::FAILURE;
    };
    let seconds: u32 = match args.next().map(|s| s.parse()) {
        None => 10,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            eprintln!("seconds: a whole number");
            return ExitCode::FAILURE;
        }
    };
    let pcm = speechlike::speechlike(8000);
    let mut codes = vec![0u8; pcm.len()];
    Law::Alaw.encode_into(&pcm, &mut codes);
    let (mut to_x, mut to_a, mut wire) = match (
        direction(Codec::Pcma, codec),
        direction(codec, Codec::Pcma),
        direction(Codec::Pcma, codec),
    ) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        _ => {
            eprintln!("cannot build the transcoders");
            return ExitCode::FAILURE;
        }
    };
    // One second of the other leg's packets, encoded once (not part of the profile's
    // session, but of its process: subtract a run with 0 seconds to leave it out).
    let mut other: Vec<Vec<u8>> = Vec::new();
    if name == "g722-wide" {
        let mut encoder = G722Encoder::new();
        for frame in speechlike::speechlike(16_000).chunks(320) {
            let mut payload = vec![0u8; 160];
            match encoder.encode(frame, &mut payload) {
                Ok(160) => other.push(payload),
                _ => {
                    eprintln!("the G.722 encoder refused a frame");
                    return ExitCode::FAILURE;
                }
            }
        }
    } else {
        for (i, frame) in codes.chunks(160).enumerate() {
            wire.push(
                i as u16,
                i as u32 * 160,
                false,
                frame,
                &mut |o: OutPacket<'_>| other.push(o.payload.to_vec()),
            );
        }
    }
    let step_x = codec.rtp_clock() / 50;
    let mut sink = |o: OutPacket<'_>| {
        black_box(o.payload);
    };
    let (mut seq, mut ts_a, mut ts_x) = (0u16, 0u32, 0u32);
    for _ in 0..seconds {
        for (a, x) in codes.chunks(160).zip(&other) {
            to_x.push(seq, ts_a, false, a, &mut sink);
            to_a.push(seq, ts_x, false, x, &mut sink);
            seq = seq.wrapping_add(1);
            ts_a = ts_a.wrapping_add(160);
            ts_x = ts_x.wrapping_add(step_x);
        }
    }
    println!(
        "{name}: {} packets each way, {} and {} sent",
        u64::from(seconds) * 50,
        to_x.stats().sent,
        to_a.stats().sent
    );
    ExitCode::SUCCESS
}
