//! Is a tone in that audio? The media tests' ears: G.711 payloads (from captures or
//! `tools/rtp.py --record`) and WAV files (baresip's dumps) cut into 50 ms blocks, and the
//! share of each block's energy at one frequency measured with the Goertzel algorithm.
//!
//! A clean tone puts nearly all of a block's energy at its frequency (share near 1); speech,
//! silence noise and encrypted bytes read as G.711 spread it (share near 0). Blocks below an
//! energy floor (silence) are not counted either way.

use std::path::Path;

use sbc_codec::g711::Law;

use crate::error::{LabError, Result};

/// 8 kHz samples per block (50 ms): a tone 40 Hz away falls on a null of the block's window.
const BLOCK: usize = 400;
/// Mean square below which a block is silence (about -50 dBFS).
const ENERGY_FLOOR: f64 = 10_000.0;
/// Share of a block's energy at the frequency for the block to count as the tone.
const TONE_SHARE: f64 = 0.5;

/// What [`listen`] heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heard {
    /// Blocks louder than silence.
    pub loud: usize,
    /// Of those, blocks that are the tone.
    pub tone: usize,
}

impl Heard {
    /// At least `min` blocks are the tone, and most loud blocks are.
    pub fn has_tone(&self, min: usize) -> bool {
        self.tone >= min && self.tone * 2 > self.loud
    }
}

/// Counts the 50 ms blocks of `samples` (8 kHz) that are a tone of `hz`.
pub fn listen(samples: &[i16], hz: f64) -> Heard {
    let coef = 2.0 * (2.0 * std::f64::consts::PI * hz / 8000.0).cos();
    let mut heard = Heard { loud: 0, tone: 0 };
    for block in samples.chunks_exact(BLOCK) {
        let energy: f64 = block.iter().map(|&s| f64::from(s).powi(2)).sum();
        if energy / (BLOCK as f64) < ENERGY_FLOOR {
            continue;
        }
        heard.loud += 1;
        let (mut s1, mut s2) = (0.0f64, 0.0f64);
        for &x in block {
            let s0 = f64::from(x) + coef * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        // |X(f)|^2; a pure tone of amplitude A gives (A N / 2)^2 against an energy of
        // A^2 N / 2, so the share below is 1 for it.
        let power = s1 * s1 + s2 * s2 - coef * s1 * s2;
        let share = power / (energy * (BLOCK as f64) / 2.0);
        if share > TONE_SHARE {
            heard.tone += 1;
        }
    }
    heard
}

/// A mono 16-bit 8 kHz WAV file of `seconds` of a tone of `hz` (what the phones talk).
pub fn wav(hz: f64, seconds: usize) -> Vec<u8> {
    let samples = 8000 * seconds;
    let data_len = u32::try_from(samples * 2).unwrap_or(u32::MAX);
    let mut wav = Vec::with_capacity(44 + samples * 2);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&8000u32.to_le_bytes());
    wav.extend_from_slice(&16000u32.to_le_bytes()); // bytes per second
    wav.extend_from_slice(&2u16.to_le_bytes()); // block align
    wav.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..samples {
        let phase = 2.0 * std::f64::consts::PI * hz * i as f64 / 8000.0;
        // In range: |sin| <= 1, times 8000.
        let sample = (phase.sin() * 8000.0) as i16;
        wav.extend_from_slice(&sample.to_le_bytes());
    }
    wav
}

/// G.711 payload bytes as samples.
pub fn decode(law: Law, payload: &[u8]) -> Vec<i16> {
    payload.iter().map(|&c| law.decode(c)).collect()
}

/// The samples of a 16-bit mono WAV file (baresip's `sndfile` dumps); the sample rate must
/// be 8 kHz.
pub fn read_wav(path: &Path) -> Result<Vec<i16>> {
    match read_wav_raw(path)? {
        (1, 8000, samples) => Ok(samples),
        (channels, rate, _) => Err(LabError::BadOutput {
            tool: "WAV reader".to_owned(),
            output: format!(
                "{}: {channels} channels at {rate} Hz (expected 1 at 8000)",
                path.display()
            ),
        }),
    }
}

/// A 16-bit WAV file at 8, 16 or 48 kHz, mono or stereo (what an Opus or G.722 phone
/// dumps), as its first channel at 8 kHz for [`listen`]: each output sample the mean of
/// the input samples it stands for (a crude low-pass, enough for tone detection).
pub fn read_wav_any_rate(path: &Path) -> Result<Vec<i16>> {
    let (channels, rate, interleaved) = read_wav_raw(path)?;
    let samples: Vec<i16> = interleaved
        .chunks_exact(usize::from(channels.max(1)))
        .map(|frame| frame[0])
        .collect();
    let step = match rate {
        8000 => 1,
        16_000 => 2,
        48_000 => 6,
        other => {
            return Err(LabError::BadOutput {
                tool: "WAV reader".to_owned(),
                output: format!("{}: {other} Hz (expected 8, 16 or 48 kHz)", path.display()),
            });
        }
    };
    Ok(samples
        .chunks_exact(step)
        .map(|c| (c.iter().map(|&s| i32::from(s)).sum::<i32>() / step as i32) as i16)
        .collect())
}

/// The channels, sample rate and (interleaved) samples of a 16-bit WAV file.
fn read_wav_raw(path: &Path) -> Result<(u16, u32, Vec<i16>)> {
    let bytes =
        std::fs::read(path).map_err(|e| LabError::io(format!("read {}", path.display()), e))?;
    let bad = |what: &str| LabError::BadOutput {
        tool: "WAV reader".to_owned(),
        output: format!("{}: {what}", path.display()),
    };
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(bad("not a WAV file"));
    }
    let mut at = 12;
    let mut format = None;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let len = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]])
            as usize;
        let body = &bytes[at + 8..bytes.len().min(at + 8 + len)];
        match id {
            b"fmt " if body.len() >= 16 => {
                let channels = u16::from_le_bytes([body[2], body[3]]);
                let rate = u32::from_le_bytes([body[4], body[5], body[6], body[7]]);
                let bits = u16::from_le_bytes([body[14], body[15]]);
                format = Some((channels, rate, bits));
            }
            b"data" => {
                return match format {
                    Some((channels @ (1 | 2), rate, 16)) => Ok((
                        channels,
                        rate,
                        body.chunks_exact(2)
                            .map(|b| i16::from_le_bytes([b[0], b[1]]))
                            .collect(),
                    )),
                    Some(f) => Err(bad(&format!(
                        "{} channels, {} Hz, {} bits (expected 1 or 2 channels of 16 bits)",
                        f.0, f.1, f.2
                    ))),
                    None => Err(bad("data before fmt")),
                };
            }
            _ => {}
        }
        // Chunks are padded to an even length.
        at += 8 + len + (len & 1);
    }
    Err(bad("no data chunk"))
}

/// The DTMF digits Debian's multimon-ng (a decoder independent of the SBC's) hears in
/// `alaw` (8 kHz A-law), in order; `dir` keeps the files it read. sox resamples to the
/// 22,050 Hz multimon-ng takes.
pub fn multimon_dtmf(dir: &Path, alaw: &[u8]) -> Result<String> {
    let sox = crate::cmd::require_tool("sox", "apt-get install sox (scripts/setup)")?;
    let multimon =
        crate::cmd::require_tool("multimon-ng", "apt-get install multimon-ng (scripts/setup)")?;
    std::fs::create_dir_all(dir).map_err(|e| LabError::io(format!("create {dir:?}"), e))?;
    let (a, raw) = (dir.join("audio.alaw"), dir.join("audio.raw"));
    std::fs::write(&a, alaw).map_err(|e| LabError::io(format!("write {a:?}"), e))?;
    let status = std::process::Command::new(&sox)
        .args([
            "-t", "raw", "-e", "a-law", "-b", "8", "-r", "8000", "-c", "1",
        ])
        .arg(&a)
        .args([
            "-t",
            "raw",
            "-e",
            "signed-integer",
            "-b",
            "16",
            "-r",
            "22050",
        ])
        .args(["-c", "1"])
        .arg(&raw)
        .status()
        .map_err(|e| LabError::io("run sox", e))?;
    if !status.success() {
        return Err(LabError::Command {
            command: format!("sox {a:?} {raw:?}"),
            status: status.to_string(),
            stderr: String::new(),
        });
    }
    let out = std::process::Command::new(&multimon)
        .args(["-q", "-t", "raw", "-a", "DTMF"])
        .arg(&raw)
        .output()
        .map_err(|e| LabError::io("run multimon-ng", e))?;
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("DTMF: "))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(hz: f64, n: usize) -> Vec<i16> {
        (0..n)
            .map(|i| {
                let x = (2.0 * std::f64::consts::PI * hz * i as f64 / 8000.0).sin();
                (x * 8000.0) as i16
            })
            .collect()
    }

    #[test]
    fn a_tone_is_heard_at_its_frequency_only() {
        let samples = tone(400.0, 8000);
        let at = listen(&samples, 400.0);
        assert_eq!(at, Heard { loud: 20, tone: 20 });
        assert!(at.has_tone(10));
        let near = listen(&samples, 440.0);
        assert_eq!(near.tone, 0, "{near:?}");
    }

    #[test]
    fn g711_round_trip_keeps_the_tone_and_noise_has_none() {
        let coded: Vec<u8> = tone(400.0, 8000)
            .iter()
            .map(|&s| Law::Ulaw.encode(s))
            .collect();
        assert!(listen(&decode(Law::Ulaw, &coded), 400.0).has_tone(10));
        // Encrypted payload read as G.711: loud, but no tone.
        let mut x: u32 = 0x1234_5678;
        let noise: Vec<u8> = (0..8000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x.to_le_bytes()[0]
            })
            .collect();
        let heard = listen(&decode(Law::Ulaw, &noise), 400.0);
        assert!(heard.loud > 10 && heard.tone == 0, "{heard:?}");
    }

    #[test]
    fn the_wav_writer_and_reader_agree() {
        let dir = std::env::temp_dir().join(format!("sbc-lab-tone-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("tone.wav");
        std::fs::write(&path, wav(400.0, 1)).expect("write");
        let samples = read_wav(&path).expect("read");
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(samples.len(), 8000);
        assert!(listen(&samples, 400.0).has_tone(19));
    }

    #[test]
    fn silence_is_not_counted() {
        assert_eq!(listen(&[0; 4000], 400.0), Heard { loud: 0, tone: 0 });
    }
}
