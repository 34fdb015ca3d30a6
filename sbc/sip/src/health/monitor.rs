//! [`HealthMonitor`]: the probing schedule and Up/Down state of every watched peer.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::config::{HealthConfig, HealthError, ProbeTarget};
use super::message::{ProbeFields, is_alive, options_request};
use super::state::{Health, HealthTimer, PeerId, PeerStatus, ProbeFailure};
use crate::transaction::{ClientTxId, Peer};
use crate::wire::Message;

/// The first probe of a new peer comes within this time (or its interval when shorter).
pub const FIRST_PROBE_SPREAD: Duration = Duration::from_secs(5);

/// Watches peers with OPTIONS; see the [module docs](super) for the run loop.
#[derive(Debug, Default)]
pub struct HealthMonitor {
    peers: BTreeMap<PeerId, Entry>,
    /// Transactions of probes, with the CSeq they carried: the one in flight and those
    /// already given up on (forgotten when their transaction reports its end).
    by_tx: HashMap<ClientTxId, (PeerId, u32)>,
    changes: VecDeque<(PeerId, Health)>,
    user_agent: Option<String>,
    next_id: u64,
}

#[derive(Debug)]
struct Entry {
    target: ProbeTarget,
    config: HealthConfig,
    status: PeerStatus,
    /// CSeq of the last probe built.
    cseq: u32,
    probe: Probe,
}

/// Where a peer's probing stands: each state arms exactly one [`HealthTimer`].
#[derive(Debug, Clone, Copy)]
enum Probe {
    /// Waiting to send the next OPTIONS at `at` ([`HealthTimer::Probe`]).
    Idle { at: Instant },
    /// An OPTIONS is out ([`HealthTimer::Deadline`]).
    InFlight(InFlight),
}

#[derive(Debug, Clone, Copy)]
struct InFlight {
    /// `None` until the caller reports the transaction ([`HealthMonitor::sent`]).
    tx: Option<ClientTxId>,
    cseq: u32,
    sent: Instant,
    deadline: Instant,
}

impl HealthMonitor {
    /// A monitor writing `user_agent` (if any) into its OPTIONS.
    pub fn new(user_agent: Option<String>) -> Self {
        HealthMonitor {
            user_agent,
            ..HealthMonitor::default()
        }
    }

    /// Starts watching `target`: Unknown, first probe at a random point of the first
    /// `interval`, at most [`FIRST_PROBE_SPREAD`] (from `random`): peers are not all
    /// probed at once, and a peer that takes calls only once it has seen the SBC's
    /// OPTIONS (Microsoft Teams Direct Routing) is not kept waiting a whole interval.
    pub fn add(
        &mut self,
        now: Instant,
        target: ProbeTarget,
        config: HealthConfig,
        random: u64,
    ) -> Result<PeerId, HealthError> {
        config.validate()?;
        self.next_id += 1;
        let id = PeerId(self.next_id);
        let spread = config.interval.min(FIRST_PROBE_SPREAD);
        let jitter_ms = u64::try_from(spread.as_millis()).unwrap_or(u64::MAX);
        let first = now + Duration::from_millis(mix(random) % jitter_ms.max(1));
        self.peers.insert(
            id,
            Entry {
                target,
                config,
                status: PeerStatus::new(now),
                cseq: 0,
                probe: Probe::Idle { at: first },
            },
        );
        Ok(id)
    }

    /// Stops watching a peer; a probe in flight is forgotten.
    pub fn remove(&mut self, id: PeerId) -> Option<ProbeTarget> {
        let entry = self.peers.remove(&id)?;
        self.by_tx.retain(|_, (p, _)| *p != id);
        self.changes.retain(|(p, _)| *p != id);
        Some(entry.target)
    }

    /// The next OPTIONS due at `now`, if any: run it in a client transaction to the
    /// returned peer and report it with [`sent`](Self::sent) (or
    /// [`send_failed`](Self::send_failed)). `random` makes the Via branch, Call-ID and
    /// From tag.
    pub fn poll_request(&mut self, now: Instant, random: u64) -> Option<(PeerId, Message, Peer)> {
        let (&id, entry) = self
            .peers
            .iter_mut()
            .find(|(_, e)| matches!(e.probe, Probe::Idle { at } if at <= now))?;
        entry.cseq = entry.cseq.wrapping_add(1).max(1);
        let (a, b, c) = (mix(random ^ 1), mix(random ^ 2), mix(random ^ 3));
        let request = options_request(
            &entry.target,
            &ProbeFields {
                call_id: &format!("{a:016x}{b:016x}"),
                from_tag: &format!("{c:016x}"),
                cseq: entry.cseq,
                branch_random: random,
                user_agent: self.user_agent.as_deref(),
            },
        );
        let down = entry.status.health == Health::Down;
        entry.probe = Probe::InFlight(InFlight {
            tx: None,
            cseq: entry.cseq,
            sent: now,
            deadline: now + entry.config.deadline(down),
        });
        entry.status.probes_sent += 1;
        Some((id, request, entry.target.peer))
    }

    /// The OPTIONS just polled for `id` runs in transaction `tx`.
    pub fn sent(&mut self, id: PeerId, tx: ClientTxId) {
        if let Some(Entry {
            probe: Probe::InFlight(f),
            ..
        }) = self.peers.get_mut(&id)
        {
            if f.tx.is_none() {
                f.tx = Some(tx);
                self.by_tx.insert(tx, (id, f.cseq));
            }
        }
    }

    /// The OPTIONS just polled for `id` could not be sent: a failed probe.
    pub fn send_failed(&mut self, now: Instant, id: PeerId) {
        self.conclude(now, id, Err(ProbeFailure::SendFailed));
    }

    /// A response in transaction `tx`. Returns whether `tx` is one of the monitor's.
    pub fn handle_response(&mut self, now: Instant, tx: ClientTxId, response: &Message) -> bool {
        let Some(status) = response.status() else {
            return self.by_tx.contains_key(&tx);
        };
        if status < 200 {
            return self.by_tx.contains_key(&tx);
        }
        let Some((id, _)) = self.take_current(tx) else {
            return false;
        };
        if let Some(id) = id {
            if let Some(entry) = self.peers.get_mut(&id) {
                entry.status.last_status = Some(status);
                entry.status.last_answer = Some(now);
            }
            self.conclude(now, id, is_alive(status));
        }
        true
    }

    /// Transaction `tx` ended without a final response (Timer F). Returns whether it is
    /// one of the monitor's.
    pub fn handle_timeout_of(&mut self, now: Instant, tx: ClientTxId) -> bool {
        match self.take_current(tx) {
            Some((Some(id), _)) => {
                self.conclude(now, id, Err(ProbeFailure::NoAnswer));
                true
            }
            Some((None, _)) => true,
            None => false,
        }
    }

    /// Time has come for [`poll_timeout`](Self::poll_timeout): probes past their deadline
    /// fail. (Probes that are due are handed out by [`poll_request`](Self::poll_request).)
    pub fn handle_timeout(&mut self, now: Instant) {
        let expired: Vec<PeerId> = self
            .peers
            .iter()
            .filter(|(_, e)| matches!(e.probe, Probe::InFlight(f) if f.deadline <= now))
            .map(|(&id, _)| id)
            .collect();
        for id in expired {
            self.conclude(now, id, Err(ProbeFailure::NoAnswer));
        }
    }

    /// The earliest armed timer (one per peer; a scan, as peers are few).
    pub fn next_timer(&self) -> Option<(Instant, PeerId, HealthTimer)> {
        self.peers
            .iter()
            .map(|(&id, e)| match e.probe {
                Probe::Idle { at } => (at, id, HealthTimer::Probe),
                Probe::InFlight(f) => (f.deadline, id, HealthTimer::Deadline),
            })
            .min()
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) and
    /// [`poll_request`](Self::poll_request) next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_timer().map(|(at, _, _)| at)
    }

    /// The next change of a peer's health, oldest first.
    pub fn poll_change(&mut self) -> Option<(PeerId, Health)> {
        self.changes.pop_front()
    }

    /// A peer's health; `None` for a peer not (or no longer) watched.
    pub fn state(&self, id: PeerId) -> Option<Health> {
        self.peers.get(&id).map(|e| e.status.health)
    }

    /// Everything known about a peer.
    pub fn status(&self, id: PeerId) -> Option<&PeerStatus> {
        self.peers.get(&id).map(|e| &e.status)
    }

    pub fn target(&self, id: PeerId) -> Option<&ProbeTarget> {
        self.peers.get(&id).map(|e| &e.target)
    }

    pub fn config(&self, id: PeerId) -> Option<&HealthConfig> {
        self.peers.get(&id).map(|e| &e.config)
    }

    /// Every watched peer, in the order they were added.
    pub fn peers(&self) -> impl Iterator<Item = PeerId> + '_ {
        self.peers.keys().copied()
    }

    /// Forgets `tx`; `Some(Some(peer))` when it is the probe in flight of `peer`,
    /// `Some(None)` when it is a probe already given up on, `None` when not ours.
    fn take_current(&mut self, tx: ClientTxId) -> Option<(Option<PeerId>, u32)> {
        let (id, cseq) = self.by_tx.remove(&tx)?;
        let current = self.peers.get(&id).is_some_and(
            |e| matches!(e.probe, Probe::InFlight(f) if f.tx == Some(tx) && f.cseq == cseq),
        );
        Some((current.then_some(id), cseq))
    }

    /// Records the outcome of the probe in flight of `id` and schedules the next one.
    fn conclude(&mut self, now: Instant, id: PeerId, outcome: Result<(), ProbeFailure>) {
        let Some(entry) = self.peers.get_mut(&id) else {
            return;
        };
        let Probe::InFlight(f) = entry.probe else {
            return;
        };
        // A probe given up on stays in `by_tx` until its transaction ends, so a late
        // answer is recognised as ours and ignored.
        let change = match outcome {
            Ok(()) => {
                entry.status.last_rtt = Some(now.saturating_duration_since(f.sent));
                entry.status.succeeded(now, entry.config.up_after)
            }
            Err(why) => entry.status.failed(now, why, entry.config.down_after),
        };
        let down = entry.status.health == Health::Down;
        let at = (f.sent + entry.config.period(down)).max(now);
        entry.probe = Probe::Idle { at };
        if let Some(health) = change {
            self.changes.push_back((id, health));
        }
    }
}

/// SplitMix64 finaliser: spreads one random value into independent-looking ones.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
