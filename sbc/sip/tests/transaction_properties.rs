//! Property: whatever a peer sends, in whatever order and timing, the layer neither
//! panics nor leaks. Once the TU has answered every request and cancelled every INVITE,
//! every transaction terminates, and nothing is reported about a transaction after its
//! `Terminated` event.

mod transaction_util;

use std::collections::HashSet;

use proptest::prelude::*;
use sbc_core::Transport;
use sbc_sip::transaction::{new_branch, response_for};
use sbc_sip::{ClientTxId, Message, ServerTxId, TransactionEvent, TxId};
use transaction_util::*;

#[derive(Debug, Clone)]
enum Op {
    /// A peer request: method index, top Via index, CSeq, with a To tag.
    Request(usize, usize, u32, bool),
    /// A peer response to our request `k` (INVITE when `invite`) with a status.
    Response(u64, bool, u16),
    /// The TU starts a client transaction `k`.
    Start(u64, bool, bool),
    /// The TU cancels the n-th client transaction it started.
    Cancel(usize),
    /// The TU answers the n-th server transaction with a status.
    Respond(usize, u16),
    Advance(u64),
}

const METHODS: [&str; 5] = ["INVITE", "ACK", "CANCEL", "OPTIONS", "BYE"];
const VIAS: [&str; 4] = [
    VIA_A,
    "SIP/2.0/UDP 198.51.100.21:5060;branch=z9hG4bKpeer-b",
    "SIP/2.0/UDP 198.51.100.20:5070",
    "SIP/2.0/TCP 198.51.100.20:5070;branch=oldstyle",
];
const CODES: [u16; 6] = [100, 180, 200, 202, 486, 603];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..METHODS.len(), 0..VIAS.len(), 1..3u32, any::<bool>())
            .prop_map(|(m, v, c, t)| Op::Request(m, v, c, t)),
        (0..4u64, any::<bool>(), 0..CODES.len()).prop_map(|(k, i, c)| Op::Response(k, i, CODES[c])),
        (0..4u64, any::<bool>(), any::<bool>()).prop_map(|(k, i, t)| Op::Start(k, i, t)),
        (0..8usize).prop_map(Op::Cancel),
        (0..8usize, 0..CODES.len()).prop_map(|(n, c)| Op::Respond(n, CODES[c])),
        (0..40_000u64).prop_map(Op::Advance),
    ]
}

fn client_request(k: u64, invite: bool) -> Message {
    outgoing(if invite { "INVITE" } else { "OPTIONS" }, &new_branch(k), 1)
}

fn tx_of(e: &TransactionEvent) -> Option<TxId> {
    match e {
        TransactionEvent::Request { tx, .. } | TransactionEvent::Cancel { tx, .. } => {
            Some((*tx).into())
        }
        TransactionEvent::Response { tx, .. } | TransactionEvent::Timeout { tx, .. } => {
            Some((*tx).into())
        }
        TransactionEvent::ServerTimeout { tx } => Some((*tx).into()),
        TransactionEvent::Terminated { .. }
        | TransactionEvent::Ack { .. }
        | TransactionEvent::StrayResponse { .. } => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn everything_terminates(ops in prop::collection::vec(op(), 0..60)) {
        let mut h = Harness::new();
        let mut clients: Vec<ClientTxId> = Vec::new();
        let mut servers: Vec<(ServerTxId, Message)> = Vec::new();
        let mut seen = 0;
        for op in ops {
            match op {
                Op::Request(m, v, cseq, tagged) => {
                    let msg = incoming(METHODS[m], VIAS[v], cseq, tagged.then_some("sbc"));
                    h.receive(msg, udp());
                }
                Op::Response(k, invite, code) => {
                    let tag = (code > 100).then_some("peer");
                    h.receive(reply(&client_request(k, invite), code, "R", tag), udp());
                }
                Op::Start(k, invite, reliable) => {
                    let p = peer(if reliable { Transport::Tcp } else { Transport::Udp });
                    if let Ok(id) = h.layer.start_client(h.now, client_request(k, invite), p) {
                        clients.push(id);
                    }
                }
                Op::Cancel(n) => {
                    if let Some(&id) = clients.get(n) {
                        let _ = h.layer.cancel(h.now, id);
                    }
                }
                Op::Respond(n, code) => {
                    if let Some((tx, req)) = servers.get(n) {
                        let response = response_for(req, code, "R", Some("sbc"));
                        let _ = h.layer.respond(h.now, *tx, response);
                    }
                }
                Op::Advance(ms_) => {
                    let at = h.elapsed() + ms(ms_);
                    h.advance_to(at);
                }
            }
            h.drain();
            for (_, e) in &h.events[seen..] {
                if let TransactionEvent::Request { tx, request, .. } = e {
                    servers.push((*tx, request.clone()));
                }
            }
            seen = h.events.len();
        }
        // The TU finishes its work: a final response for every request, a CANCEL for
        // every INVITE.
        for (tx, req) in &servers {
            let response = response_for(req, 500, "Server Error", Some("sbc"));
            let _ = h.layer.respond(h.now, *tx, response);
        }
        for id in &clients {
            let _ = h.layer.cancel(h.now, *id);
        }
        h.drain();
        h.run_out();
        prop_assert_eq!(h.layer.len(), 0);
        let mut ended = HashSet::new();
        for (_, e) in &h.events {
            if let Some(tx) = tx_of(e) {
                prop_assert!(!ended.contains(&tx), "event after Terminated: {:?}", e);
            }
            if let TransactionEvent::Terminated { tx } = e {
                prop_assert!(ended.insert(*tx), "terminated twice: {:?}", tx);
            }
        }
    }
}
