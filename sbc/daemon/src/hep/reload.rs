//! `[hep]` on reload (SIGHUP, or a configuration applied from the web UI): the capture
//! follows the new section without a restart.
//!
//! * Collector, `id` or `password` changed: the tap keeps its calls and counters; a new
//!   collector gets a new sender task (the old one ends once its queue is sent or dropped).
//! * `[hep]` removed: the tap is stopped; its counters and the media workers' RTCP channel
//!   are parked ([`Parked`]), the channel drained at every round so the workers' copies
//!   are dropped, not queued.
//! * `[hep]` added: a tap starts, with the parked counters (the metric goes on from where it
//!   was) and RTCP channel. The workers copy RTCP reports only when `[hep]` was there at
//!   start (the copy costs them a check per packet otherwise skipped), so a daemon started
//!   without it captures SIP only until a restart; that is logged.
//!
//! Calls already in progress when a tap starts have no known legs: their captures carry no
//! correlation id, and their DTMF digits are masked.

use std::sync::Arc;

use sbc_config::Hep;
use tracing::{info, warn};

use super::rtcp::RtcpRx;
use super::{HepCounts, HepSink, HepTap};

/// What a stopped tap leaves for a later one.
#[derive(Debug)]
pub struct Parked {
    counts: Arc<HepCounts>,
    rtcp: Option<RtcpRx>,
}

impl Parked {
    /// Discards the RTCP copies the workers sent meanwhile.
    pub fn drain(&mut self) {
        if let Some(rx) = &mut self.rtcp {
            while rx.rx.try_recv().is_ok() {}
        }
    }
}

/// Applies a reloaded `[hep]` (`new`) to the running tap (`tap`) and what a stopped one
/// left (`parked`).
pub fn apply(tap: &mut Option<HepTap>, parked: &mut Option<Parked>, new: Option<&Hep>) {
    match (tap.as_mut(), new) {
        (Some(t), Some(hep)) => {
            if t.reconfigure(hep) {
                info!(collector = %hep.collector, id = hep.id, "reload: HEP capture changed");
            }
        }
        (Some(_), None) => {
            *parked = tap.take().map(HepTap::park);
            info!("reload: HEP capture off");
        }
        (None, Some(hep)) => {
            let (counts, rtcp) = match parked.take() {
                Some(p) => (p.counts, p.rtcp),
                None => (Arc::default(), None),
            };
            if rtcp.is_none() {
                warn!(
                    "reload: HEP capture on for SIP; RTCP reports are copied after a restart \
                     (the media workers copy them only when [hep] was there at start)"
                );
            }
            *tap = Some(HepTap::with_counts(hep, rtcp, counts));
            info!(collector = %hep.collector, id = hep.id, "reload: HEP capture on");
        }
        (None, None) => {}
    }
}

impl HepTap {
    /// Takes a changed collector, agent id or password; whether anything changed.
    fn reconfigure(&mut self, hep: &Hep) -> bool {
        let changed =
            (hep.collector != self.collector) || hep.id != self.id || hep.password != self.password;
        if hep.collector != self.collector {
            self.sink = HepSink::start_counting(hep.collector, self.sink.counts.clone());
            self.collector = hep.collector;
        }
        self.id = hep.id;
        self.password.clone_from(&hep.password);
        changed
    }

    /// Stops the tap (its sender ends with its queue), keeping what a later one takes on.
    fn park(self) -> Parked {
        Parked {
            counts: self.sink.counts.clone(),
            rtcp: self.rtcp,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};

    use sbc_core::{Transmit, Transport, TransportAddr};
    use tokio::net::UdpSocket;

    use super::*;

    fn hep(at: std::net::SocketAddr, id: u32) -> Hep {
        Hep {
            collector: TransportAddr {
                transport: Transport::Udp,
                addr: at,
            },
            id,
            password: None,
        }
    }

    fn options() -> Transmit {
        Transmit {
            transport: Transport::Udp,
            local: "10.0.0.1:5060".parse().expect("addr"),
            remote: "10.0.0.2:5060".parse().expect("addr"),
            payload: b"OPTIONS sip:x SIP/2.0\r\nCall-ID: o1\r\n\r\n".to_vec(),
        }
    }

    /// One capture through `tap`; the packet `collector` receives.
    async fn one(tap: &mut HepTap, collector: &UdpSocket) -> Vec<u8> {
        tap.sent(&options());
        tap.flush(Instant::now());
        let mut buf = [0u8; 512];
        let n = tokio::time::timeout(Duration::from_secs(5), collector.recv(&mut buf))
            .await
            .expect("in time")
            .expect("recv");
        buf[..n].to_vec()
    }

    /// The agent id chunk (0x000c) of a HEP3 packet.
    fn agent(packet: &[u8]) -> u32 {
        let mut at = 6;
        while at + 6 <= packet.len() {
            let kind = u16::from_be_bytes([packet[at + 2], packet[at + 3]]);
            let len = usize::from(u16::from_be_bytes([packet[at + 4], packet[at + 5]]));
            if kind == 0x000c {
                let v = &packet[at + 6..at + 10];
                return u32::from_be_bytes([v[0], v[1], v[2], v[3]]);
            }
            at += len;
        }
        panic!("no agent id chunk")
    }

    #[tokio::test]
    async fn a_reload_moves_stops_and_starts_the_capture_keeping_its_counts() {
        let a = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let b = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let (at_a, at_b) = (a.local_addr().expect("a"), b.local_addr().expect("b"));
        let mut tap = Some(HepTap::start(&hep(at_a, 1), None));
        let mut parked = None;
        let t = tap.as_mut().expect("tap");
        assert_eq!(agent(&one(t, &a).await), 1);

        // Another collector and agent id.
        apply(&mut tap, &mut parked, Some(&hep(at_b, 2)));
        let t = tap.as_mut().expect("still on");
        assert_eq!(agent(&one(t, &b).await), 2, "to the new collector");
        let counts = t.counts() as *const HepCounts;

        // Off, then on again: the counters go on.
        apply(&mut tap, &mut parked, None);
        assert!(tap.is_none() && parked.is_some());
        apply(&mut tap, &mut parked, Some(&hep(at_b, 3)));
        let t = tap.as_mut().expect("on again");
        assert!(parked.is_none());
        assert_eq!(agent(&one(t, &b).await), 3);
        assert!(std::ptr::eq(counts, t.counts()), "the same counters");
        // The sender counts after its send returned (the packet may arrive first).
        let deadline = Instant::now() + Duration::from_secs(5);
        while t.counts().sent.load(Ordering::Relaxed) < 3 {
            assert!(Instant::now() < deadline, "three sent, counted by one set");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
