//! The constants of ITU-T G.722 (09/2012), §3 and §4, in the units the blocks use.

/// Transmit and receive QMF coefficients h0..h23 (§3.2, Table 4), scaled by 2^13: they
/// sum to 8192, each polyphase half (even or odd indices) to 4096.
pub(super) const QMF: [i32; 24] = [
    3, -11, -11, 53, 12, -156, 32, 362, -210, -805, 951, 3876, 3876, 951, -805, -210, 362, 32,
    -156, 12, 53, -11, -11, 3,
];

/// Lower sub-band 6-bit quantizer decision levels (Table 6), in units of `det / 4096`;
/// index `m` is the upper edge of interval `m` (1..=29), beyond 29 is the open interval 30.
pub(super) const Q6: [i32; 30] = [
    0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940,
    1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919,
];

/// Code of a negative difference in quantizer interval `m` (Table 6, ILN).
pub(super) const ILN: [u8; 31] = [
    0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11,
    10, 9, 8, 7, 6, 5, 4,
];

/// Code of a positive difference in quantizer interval `m` (Table 6, ILP).
pub(super) const ILP: [u8; 31] = [
    0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39,
    38, 37, 36, 35, 34, 33, 32,
];

/// 6-bit inverse quantizer outputs (64 kbit/s mode, Table 7, QM6) in units of `det / 32768`,
/// indexed by the 6-bit code; codes 0..=3 do not occur and decode near zero.
pub(super) const QM6: [i32; 64] = [
    -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232,
    -9360, -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776,
    -2400, -2032, -1688, -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280,
    11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776,
    2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
];

/// 4-bit inverse quantizer outputs (the embedded 48 kbit/s core every mode adapts on,
/// Table 7, QM4), indexed by the 6-bit code's top four bits.
pub(super) const QM4: [i32; 16] = [
    0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584,
    1200, 0,
];

/// Magnitude class of a 4-bit code for the lower-band scale factor (RIL -> IL4).
pub(super) const RL42: [usize; 16] = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];

/// Lower sub-band log scale factor multipliers (Table 8, WL), indexed by [`RL42`].
pub(super) const WL: [i32; 8] = [-60, -30, 58, 172, 334, 538, 1198, 3042];

/// Higher sub-band quantizer decision level (Table 9), in units of `det / 4096`.
pub(super) const Q2: i32 = 564;

/// Code of a negative (IHN) and a positive (IHP) higher-band difference, by interval 1..=2.
pub(super) const IHN: [u8; 3] = [0, 1, 0];
pub(super) const IHP: [u8; 3] = [0, 3, 2];

/// 2-bit inverse quantizer outputs (Table 9, QM2) in units of `det / 32768`.
pub(super) const QM2: [i32; 4] = [-7408, -1616, 7408, 1616];

/// Magnitude class of a 2-bit code (RH2) and the higher-band log multipliers (WH).
pub(super) const RH2: [usize; 4] = [2, 1, 2, 1];
pub(super) const WH: [i32; 3] = [0, -214, 798];

/// Antilog table of the scale factor (ILB): `2048 * 2^(i/32)`, rounded as the standard has it.
pub(super) const ILB: [i32; 32] = [
    2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
    2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];
