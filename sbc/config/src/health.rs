//! Per-trunk health checks (`options_*` keys) and call limits (`max_calls`, `max_cps`).

use std::time::Duration;

/// `trunk.options_interval`: seconds, 0 (the default) turns health checks off.
/// `invite_timeout_ms`: bounds (up to Timer B, 32 s) and default.
pub const INVITE_TIMEOUT_MS_RANGE: std::ops::RangeInclusive<i64> = 200..=32000;
pub const DEFAULT_INVITE_TIMEOUT_MS: usize = 4000;
/// `no_target_code`: a failure status the caller can act on, and the default.
pub const NO_TARGET_CODE_RANGE: std::ops::RangeInclusive<i64> = 400..=699;
pub const DEFAULT_NO_TARGET_CODE: usize = 503;
pub const OPTIONS_INTERVAL_RANGE: std::ops::RangeInclusive<i64> = 0..=3600;
pub const DEFAULT_OPTIONS_INTERVAL: usize = 0;
/// `trunk.options_down_after`: failed OPTIONS in a row before a peer is Down.
pub const OPTIONS_THRESHOLD_RANGE: std::ops::RangeInclusive<i64> = 1..=100;
pub const DEFAULT_OPTIONS_DOWN_AFTER: usize = 3;
/// `trunk.options_up_after`: answered OPTIONS in a row before a Down peer is Up again.
pub const DEFAULT_OPTIONS_UP_AFTER: usize = 2;
/// `trunk.max_calls`: concurrent calls (optional: unlimited).
pub const MAX_CALLS_RANGE: std::ops::RangeInclusive<i64> = 1..=1_000_000;
/// `trunk.max_cps`: new calls per second (optional: unlimited).
pub const MAX_CPS_RANGE: std::ops::RangeInclusive<i64> = 1..=10_000;

/// OPTIONS health checks of a trunk's peers (present when `options_interval` > 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionsPing {
    /// Time between two OPTIONS to a peer that is Up (at least 1 s).
    pub interval: Duration,
    /// Consecutive failures (no answer, 408, 503) that make a peer Down.
    pub down_after: u32,
    /// Consecutive answers that bring a Down peer back Up.
    pub up_after: u32,
}

/// Call limits of a trunk. Each counts calls *involving* the trunk: calls from it and
/// calls to it together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrunkLimits {
    /// Concurrent calls; `None`: unlimited.
    pub max_calls: Option<u32>,
    /// New calls per second (a token bucket with a burst of `max_cps`); `None`: unlimited.
    pub max_cps: Option<u32>,
}
