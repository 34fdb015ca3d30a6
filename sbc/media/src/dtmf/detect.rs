//! Hearing DTMF in audio (ITU-T Q.24): the Goertzel algorithm over blocks of
//! [`BLOCK`] samples at 8 kHz, one filter per Q.23 frequency. Audio at a multiple of
//! 8 kHz up to 48 kHz (a transcoded leg's decoded audio: 16 kHz from G.722) is heard the
//! same way ([`ToneDetector::at_rate`]): blocks of as many milliseconds (so the same
//! filter width in Hz), coefficients for that rate, the same limits.
//!
//! A block holds a digit when, with `R` and `C` the strongest row and column powers and
//! `E` the block's energy:
//!
//! * each tone is above [`MIN_LEVEL_DBM0`] (Q.24's sensitivity);
//! * the twist is within limits: the high tone at most [`MAX_TWIST_DB`] below the low
//!   one, at most [`MAX_REVERSE_TWIST_DB`] above it;
//! * each is the clear peak of its group (every other frequency of the group at least
//!   [`PEAK_RATIO`] weaker), and the column tone's second harmonic is weak (a voiced sound
//!   has strong harmonics, a DTMF tone none; the rows' harmonics fall beside the columns);
//! * the two tones carry nearly all of the block's energy (`R + C >= TONE_SHARE * E`):
//!   speech spreads its energy, a dual tone does not.
//!
//! A digit starts after [`HITS_TO_START`] blocks in a row hold it (about 26 ms of clean
//! tone: Q.24's minimum of 40 ms is accepted whatever the block alignment, and signals
//! shorter than about 23 ms are not), and ends after [`MISSES_TO_END`] blocks without it.
//! Durations are measured in samples, from the first block that held the digit to the
//! first that did not.
//!
//! No allocation: the state is a block buffer and a few counters.

use sbc_core::Digit;

/// Samples per Goertzel block (12.75 ms at 8 kHz: filters 78 Hz wide, narrower than the
/// 73 Hz between the two closest rows only at their skirts).
pub const BLOCK: usize = 102;
/// The rate [`BLOCK`] is counted at.
const BASE_RATE: u32 = 8000;
/// The highest rate heard, as a multiple of [`BASE_RATE`].
const MAX_FACTOR: usize = 6;
const ROWS: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
const COLS: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];

/// Consecutive blocks holding the same digit before it counts.
pub const HITS_TO_START: u32 = 2;
/// Consecutive blocks without it before it ends.
pub const MISSES_TO_END: u32 = 2;
/// The weakest tone accepted, dBm0.
pub const MIN_LEVEL_DBM0: f32 = -30.0;
/// How much weaker the high tone may be than the low one.
pub const MAX_TWIST_DB: f32 = 8.0;
/// How much stronger the high tone may be than the low one.
pub const MAX_REVERSE_TWIST_DB: f32 = 4.0;
/// Each tone against the others of its group (power ratio; 6 dB).
pub const PEAK_RATIO: f32 = 4.0;
/// The two tones' share of the block's energy.
pub const TONE_SHARE: f32 = 0.8;

/// The peak amplitude of a 0 dBm0 sine in 16-bit linear samples (G.711: 3.14-3.17 dB
/// below full scale).
pub const DBM0_PEAK: f32 = 22_400.0;

/// A Goertzel filter's coefficient for frequency `f` at `rate` Hz.
fn coefficient(f: f32, rate: f32) -> f32 {
    2.0 * (2.0 * std::f32::consts::PI * f / rate).cos()
}

/// A digit heard or ended, at sample positions (at the detector's rate) counted since the
/// detector started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detection {
    /// `digit` has been present since sample `at`.
    Started { digit: Digit, at: u64 },
    /// It lasted `samples`.
    Ended { digit: Digit, samples: u64 },
}

/// The detector of one audio stream.
#[derive(Debug, Clone)]
pub struct ToneDetector {
    block: [f32; BLOCK * MAX_FACTOR],
    /// Samples per block at this rate.
    len: usize,
    rate: u32,
    filled: usize,
    /// Samples taken so far.
    samples: u64,
    coefs: [f32; 8],
    harmonics: [f32; 8],
    /// The digit of the last blocks, how many in a row, and since which sample.
    candidate: Option<(Digit, u32, u64)>,
    /// The digit that counts now, its first sample, and blocks without it since.
    on: Option<(Digit, u64, u32)>,
    /// Minimum power of one tone in a block (Goertzel units).
    min_power: f32,
}

impl Default for ToneDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl ToneDetector {
    /// A detector of 8 kHz audio.
    pub fn new() -> Self {
        Self::build(1)
    }

    /// A detector of audio at `rate` Hz; `None` unless it is 8, 16, 24, 32, 40 or 48 kHz.
    pub fn at_rate(rate: u32) -> Option<Self> {
        let factor = usize::try_from(rate / BASE_RATE).ok()?;
        let fits = rate % BASE_RATE == 0 && (1..=MAX_FACTOR).contains(&factor);
        fits.then(|| Self::build(factor))
    }

    fn build(factor: usize) -> Self {
        let rate = BASE_RATE * factor as u32;
        let mut coefs = [0.0; 8];
        let mut harmonics = [0.0; 8];
        for (i, f) in ROWS.iter().chain(COLS.iter()).enumerate() {
            coefs[i] = coefficient(*f, rate as f32);
            harmonics[i] = coefficient(2.0 * *f, rate as f32);
        }
        let len = BLOCK * factor;
        // A sine of peak A gives a Goertzel power of (A * N / 2)^2 at its frequency.
        let a = DBM0_PEAK * 10f32.powf(MIN_LEVEL_DBM0 / 20.0);
        let n = len as f32;
        ToneDetector {
            block: [0.0; BLOCK * MAX_FACTOR],
            len,
            rate,
            filled: 0,
            samples: 0,
            coefs,
            harmonics,
            candidate: None,
            on: None,
            min_power: (a * n / 2.0) * (a * n / 2.0),
        }
    }

    /// The rate of the audio it hears, Hz.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// Milliseconds of `samples` at its rate.
    pub fn ms(&self, samples: u64) -> u32 {
        u32::try_from(samples * 1000 / u64::from(self.rate)).unwrap_or(u32::MAX)
    }

    /// Samples taken so far.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// The digit heard now, if any.
    pub fn current(&self) -> Option<Digit> {
        self.on.map(|(d, ..)| d)
    }

    /// Takes `samples`; calls `found` for each start and end (at most one of each per
    /// block).
    pub fn feed(&mut self, samples: &[i16], mut found: impl FnMut(Detection)) {
        for &s in samples {
            self.block[self.filled] = f32::from(s);
            self.filled += 1;
            self.samples += 1;
            if self.filled == self.len {
                self.filled = 0;
                let start = self.samples - self.len as u64;
                let digit = self.analyse();
                self.step(digit, start, &mut found);
            }
        }
    }

    /// The digit one block holds, if any.
    fn analyse(&self) -> Option<Digit> {
        let block = &self.block[..self.len];
        let energy: f32 = block.iter().map(|x| x * x).sum();
        if energy <= 0.0 {
            return None;
        }
        let mut powers = [0.0f32; 8];
        for (p, &c) in powers.iter_mut().zip(self.coefs.iter()) {
            *p = goertzel(block, c);
        }
        let (row, r) = peak(&powers[..4]);
        let (col, c) = peak(&powers[4..]);
        if r < self.min_power || c < self.min_power {
            return None;
        }
        // Twist: high (column) against low (row).
        let twist_db = 10.0 * (c / r).log10();
        if !(-MAX_TWIST_DB..=MAX_REVERSE_TWIST_DB).contains(&twist_db) {
            return None;
        }
        let clear = |group: &[f32], at: usize, p: f32| {
            group
                .iter()
                .enumerate()
                .all(|(i, &q)| i == at || q * PEAK_RATIO <= p)
        };
        if !clear(&powers[..4], row, r) || !clear(&powers[4..], col, c) {
            return None;
        }
        let n = self.len as f32;
        // Goertzel power to the energy of a sine over the block: P * 2 / N.
        if (r + c) * 2.0 / n < TONE_SHARE * energy {
            return None;
        }
        // Second harmonics: a DTMF generator makes none worth speaking of. (Only the
        // column's: the rows' lie near the columns, 2 x 697 = 1394 beside 1336.)
        let h_col = goertzel(block, self.harmonics[4 + col]);
        if h_col * 10.0 > c {
            return None;
        }
        Digit::at(row, col)
    }

    fn step(&mut self, digit: Option<Digit>, start: u64, found: &mut impl FnMut(Detection)) {
        self.candidate = match (digit, self.candidate) {
            (Some(d), Some((c, n, since))) if c == d => Some((d, n + 1, since)),
            (Some(d), _) => Some((d, 1, start)),
            (None, _) => None,
        };
        match self.on {
            Some((d, since, misses)) => {
                if digit == Some(d) {
                    self.on = Some((d, since, 0));
                } else if misses + 1 >= MISSES_TO_END {
                    // It ended where the first block without it began.
                    let end = start - u64::from(misses) * self.len as u64;
                    self.on = None;
                    found(Detection::Ended {
                        digit: d,
                        samples: end - since,
                    });
                } else {
                    self.on = Some((d, since, misses + 1));
                }
            }
            None => {
                if let Some((d, n, since)) = self.candidate {
                    if n >= HITS_TO_START {
                        self.on = Some((d, since, 0));
                        found(Detection::Started {
                            digit: d,
                            at: since,
                        });
                    }
                }
            }
        }
    }
}

/// Power of `block` at the frequency of coefficient `coef`.
fn goertzel(block: &[f32], coef: f32) -> f32 {
    let (mut s1, mut s2) = (0.0f32, 0.0f32);
    for &x in block {
        let s0 = x + coef * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    s1 * s1 + s2 * s2 - coef * s1 * s2
}

/// The index and power of the strongest filter.
fn peak(powers: &[f32]) -> (usize, f32) {
    powers.iter().copied().enumerate().fold(
        (0, f32::MIN),
        |best, (i, p)| if p > best.1 { (i, p) } else { best },
    )
}
