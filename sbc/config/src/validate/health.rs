//! The `options_*`, `max_calls` and `max_cps` keys of a `[[trunk]]`.

use std::time::Duration;

use super::Validator;
use crate::error::ConfigErrorKind as K;
use crate::health::{self as h, OptionsPing, TrunkLimits};
use crate::schema::TrunkSection;

/// Health-check settings (`None`: off) and limits of trunk `p` (`trunk[i]`); `None` when a
/// key is out of range (each such key is reported).
pub(super) fn health_and_limits(
    v: &mut Validator<'_>,
    p: &str,
    t: &TrunkSection,
) -> Option<(Option<OptionsPing>, TrunkLimits)> {
    let interval = v.int(
        &format!("{p}.options_interval"),
        t.options_interval,
        h::OPTIONS_INTERVAL_RANGE,
        h::DEFAULT_OPTIONS_INTERVAL,
    );
    let down_after = v.int(
        &format!("{p}.options_down_after"),
        t.options_down_after,
        h::OPTIONS_THRESHOLD_RANGE,
        h::DEFAULT_OPTIONS_DOWN_AFTER,
    );
    let up_after = v.int(
        &format!("{p}.options_up_after"),
        t.options_up_after,
        h::OPTIONS_THRESHOLD_RANGE,
        h::DEFAULT_OPTIONS_UP_AFTER,
    );
    let max_calls = optional(
        v,
        &format!("{p}.max_calls"),
        t.max_calls,
        h::MAX_CALLS_RANGE,
    );
    let max_cps = optional(v, &format!("{p}.max_cps"), t.max_cps, h::MAX_CPS_RANGE);
    let (interval, down_after, up_after) = (interval?, down_after?, up_after?);
    // The ranges bound every value far below u32::MAX.
    let count = |n: usize| u32::try_from(n).ok();
    // `options_down_after`/`options_up_after` are kept while the interval is 0, so that
    // an operator can pause health checks without losing them.
    let ping = match interval {
        0 => None,
        secs => Some(OptionsPing {
            interval: Duration::from_secs(u64::try_from(secs).ok()?),
            down_after: count(down_after)?,
            up_after: count(up_after)?,
        }),
    };
    let limits = TrunkLimits {
        max_calls: max_calls?,
        max_cps: max_cps?,
    };
    Some((ping, limits))
}

/// An optional integer key in `range`: `Some(None)` when absent.
fn optional(
    v: &mut Validator<'_>,
    path: &str,
    value: Option<i64>,
    range: std::ops::RangeInclusive<i64>,
) -> Option<Option<u32>> {
    let Some(n) = value else {
        return Some(None);
    };
    if !range.contains(&n) {
        let (min, max) = range.into_inner();
        v.err(path, K::OutOfRange { value: n, min, max });
        return None;
    }
    // The ranges callers pass lie within u32.
    u32::try_from(n).ok().map(Some)
}
