//! A trunk's names (peers and sources given by DNS name) as the management views show
//! them: state, reason, last change, and each resolved target with its TTL left and
//! OPTIONS health.

use std::time::{Instant, UNIX_EPOCH};

use sbc_config::Trunk;
use sbc_config::resolved::NameState;
use sbc_core::TransportAddr;
use sbc_mgmt::live::{NameView, TargetView};

/// The views of `trunk`'s names; `up` tells a target's health.
pub fn views(trunk: &Trunk, now: Instant, up: &dyn Fn(&TransportAddr) -> bool) -> Vec<NameView> {
    trunk
        .resolution
        .iter()
        .map(|r| {
            let (state, reason) = match &r.state {
                NameState::Pending => ("pending", None),
                NameState::Resolved { .. } => ("resolved", None),
                NameState::Failed { reason, .. } => ("failed", Some(reason.clone())),
            };
            NameView {
                name: r.spec.clone(),
                source_only: r.source_only,
                state: state.to_owned(),
                reason,
                changed: r
                    .changed
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0),
                targets: r
                    .state
                    .targets()
                    .iter()
                    .map(|t| TargetView {
                        address: t.addr.addr.ip().to_string(),
                        transport: t.addr.transport.to_string(),
                        port: t.addr.addr.port(),
                        priority: t.priority,
                        weight: t.weight,
                        ttl_left: t.expires.saturating_duration_since(now).as_secs(),
                        source: t.source.clone(),
                        up: r.source_only || up(&t.addr),
                    })
                    .collect(),
            }
        })
        .collect()
}
