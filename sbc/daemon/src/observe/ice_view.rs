//! The ICE-lite state of one side of a stream, as the live calls view shows it: built
//! from what crosses the core: the `MediaOp::Ice` it sends (the SBC's credentials, the
//! peers' ufrags), the `Latched` events with reason `Nominated` (shown at once), and the
//! counters of the stream's stats (checks answered, `ice-auth` refusals: as fresh as the
//! last stats query, about a second).

use sbc_core::{DropKind, LatchReason, StreamStats};
use sbc_mgmt::live::IceView;
use std::net::SocketAddr;

/// What the core knows of one side's agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct IceRecord {
    local_ufrag: String,
    remote_ufrags: Vec<String>,
    nominated: Option<SocketAddr>,
}

/// `MediaOp::Ice` on a side: credentials set (or ICE off: `None`), a fork's ufrag.
pub(super) fn on_op(
    record: &mut Option<IceRecord>,
    local: Option<&sbc_core::IceCredentials>,
    remote_ufrag: Option<&str>,
) {
    let Some(local) = local else {
        *record = None;
        return;
    };
    let r = record.get_or_insert_with(IceRecord::default);
    if r.local_ufrag != local.ufrag {
        // New credentials (an ICE restart): what the old ones gave is void.
        *r = IceRecord {
            local_ufrag: local.ufrag.clone(),
            ..IceRecord::default()
        };
    }
    if let Some(ufrag) = remote_ufrag.filter(|u| !r.remote_ufrags.iter().any(|x| x == u)) {
        r.remote_ufrags.push(ufrag.to_owned());
    }
}

/// A latch event on an ICE side: a nomination moves where media goes.
pub(super) fn on_latched(record: &mut Option<IceRecord>, addr: SocketAddr, reason: LatchReason) {
    if let (Some(r), LatchReason::Nominated) = (record.as_mut(), reason) {
        r.nominated = Some(addr);
    }
}

pub(super) fn view(record: Option<&IceRecord>, stats: &StreamStats) -> Option<IceView> {
    let r = record?;
    Some(IceView {
        local_ufrag: r.local_ufrag.clone(),
        remote_ufrags: r.remote_ufrags.clone(),
        checks: stats.ice_checks,
        refused: stats.drops.get(DropKind::IceAuth),
        nominated: r.nominated.map(|a| a.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sbc_core::IceCredentials;

    fn creds(ufrag: &str) -> IceCredentials {
        IceCredentials {
            ufrag: ufrag.into(),
            pwd: "p".repeat(22),
        }
    }

    #[test]
    fn credentials_forks_nomination_and_restart() {
        let mut r = None;
        on_op(&mut r, Some(&creds("sbc1")), None);
        on_op(&mut r, Some(&creds("sbc1")), Some("forkA"));
        on_op(&mut r, Some(&creds("sbc1")), Some("forkB"));
        on_op(&mut r, Some(&creds("sbc1")), Some("forkA"));
        let addr: SocketAddr = "192.0.2.7:4000".parse().expect("addr");
        on_latched(
            &mut r,
            "192.0.2.9:1".parse().expect("addr"),
            LatchReason::Observed,
        );
        on_latched(&mut r, addr, LatchReason::Nominated);
        let stats = StreamStats {
            ice_checks: 4,
            ..StreamStats::default()
        };
        let v = view(r.as_ref(), &stats).expect("ICE on");
        assert_eq!(v.local_ufrag, "sbc1");
        assert_eq!(v.remote_ufrags, ["forkA", "forkB"]);
        assert_eq!((v.checks, v.refused), (4, 0));
        assert_eq!(v.nominated.as_deref(), Some("192.0.2.7:4000"));
        on_op(&mut r, Some(&creds("sbc2")), None);
        let v = view(r.as_ref(), &stats).expect("ICE on");
        assert!(v.remote_ufrags.is_empty() && v.nominated.is_none(), "{v:?}");
        on_op(&mut r, None, None);
        assert_eq!(view(r.as_ref(), &stats), None);
    }
}
