//! Call detail records: what the core task knows of each call, gathered from the moment
//! it relays the INVITE until the media plane's final counters of its streams arrive, then
//! written as one JSON object (one line of `<state_dir>/cdr.jsonl`, [`super::cdr_file`]).
//!
//! A record is written when the call has ended and every stream it opened reported its
//! final counters (`MediaEvent::Closed`), or [`GRACE`] after the end at the latest (the
//! counters are then missing, `"streams"` lists what came). Sans-IO: times are arguments.
//!
//! ```json
//! {"call":7,"start":"2026-12-05T20:50:01Z","answer":"2026-12-05T20:50:03Z",
//!  "end":"2026-12-05T20:50:33Z","ring_ms":2012,"duration_ms":30005,
//!  "result":"answered","code":200,"reason":"bye","hangup":"caller",
//!  "legs":[{"side":"a","trunk":"carrier","realm":"outside","call_id":"...",
//!           "from":"<sip:+4930123@...>;tag=..","to":"<sip:4930123@...>","codec":"PCMU",
//!           "srtp":false,"srtp_suite":null},{"side":"b",...}],
//!  "streams":[{"index":0,"a":{"packets":1500,"bytes":258000,"lost":0,"jitter":3},
//!              "b":{...}}]}
//! ```

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use sbc_core::{MediaEvent, MediaOp, StreamStats};
use sbc_sip::b2bua::{EndReason, LegInfo, Side};
use serde_json::{Value, json};

use super::calls::CallResult;
use crate::mgmt::hook::LegMedia;

/// How long after its end a record waits for its streams' final counters.
pub const GRACE: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Default)]
struct Leg {
    trunk: String,
    realm: String,
    info: Option<LegInfo>,
    media: Option<LegMedia>,
    /// The Q.850 cause a `Reason` header gave on this leg, and whether it was received or sent.
    q850: Option<(sbc_sip::q850::Cause, &'static str)>,
}

#[derive(Debug, Clone)]
struct Pending {
    started: Instant,
    started_unix: i64,
    answered: Option<(Instant, i64)>,
    ended: Option<(Instant, i64, EndReason)>,
    legs: [Leg; 2],
    /// Streams opened, and the final counters of those closed.
    open: Vec<u16>,
    closed: BTreeMap<u16, [StreamStats; 2]>,
}

impl Pending {
    /// Every stream it opened has reported its final counters.
    fn counters_in(&self) -> bool {
        self.open.iter().all(|i| self.closed.contains_key(i))
    }
}

/// The records being gathered (owned by the core task).
#[derive(Debug, Default)]
pub struct CdrBook {
    calls: HashMap<u64, Pending>,
    /// Calls that ended with every stream's counters in: written at the next take.
    ready: Vec<u64>,
    /// Every call that ended, by when (in order: the clock only goes forward), for the
    /// grace deadline; a call already written is skipped when it comes up. So a take
    /// costs what is ready or due, not a look at every call waiting for counters.
    ended: VecDeque<(Instant, u64)>,
}

/// A leg's trunk (empty for a phone of an open realm) and realm.
#[derive(Debug, Clone, Copy)]
pub struct Parties<'a> {
    pub a_trunk: &'a str,
    pub a_realm: &'a str,
    pub b_trunk: &'a str,
    pub b_realm: &'a str,
}

impl CdrBook {
    /// The engine took the INVITE received at `now` as call `call`.
    pub fn relayed(&mut self, call: u64, now: Instant, unix: i64, parties: Parties<'_>) {
        let leg = |trunk: &str, realm: &str| Leg {
            trunk: trunk.to_owned(),
            realm: realm.to_owned(),
            ..Leg::default()
        };
        self.calls.insert(
            call,
            Pending {
                started: now,
                started_unix: unix,
                answered: None,
                ended: None,
                legs: [
                    leg(parties.a_trunk, parties.a_realm),
                    leg(parties.b_trunk, parties.b_realm),
                ],
                open: Vec::new(),
                closed: BTreeMap::new(),
            },
        );
    }

    /// The legs as the engine has them (Call-IDs, parties), refreshed while the call
    /// lasts (the B leg's To gets its tag with the answer).
    pub fn legs(&mut self, call: u64, legs: [LegInfo; 2]) {
        if let Some(p) = self.calls.get_mut(&call) {
            let [a, b] = legs;
            p.legs[0].info = Some(a);
            p.legs[1].info = Some(b);
        }
    }

    pub fn answered(&mut self, call: u64, now: Instant, unix: i64) {
        if let Some(p) = self.calls.get_mut(&call) {
            p.answered.get_or_insert((now, unix));
        }
    }

    /// The call ended; `media`: what each leg negotiated, if anything.
    pub fn ended(
        &mut self,
        call: u64,
        now: Instant,
        unix: i64,
        reason: &EndReason,
        media: Option<[LegMedia; 2]>,
    ) {
        if let Some(p) = self.calls.get_mut(&call) {
            if p.ended.is_none() {
                self.ended.push_back((now, call));
            }
            p.ended = Some((now, unix, reason.clone()));
            if let Some([a, b]) = media {
                p.legs[0].media = Some(a);
                p.legs[1].media = Some(b);
            }
            if p.counters_in() {
                self.ready.push(call);
            }
        }
    }

    /// A message on leg `side` of `call` that ended it carried this Q.850 cause
    /// (`received`, or `sent` by the SBC); the last one counts.
    pub fn q850(&mut self, call: u64, side: Side, cause: sbc_sip::q850::Cause, how: &'static str) {
        if let Some(p) = self.calls.get_mut(&call) {
            let i = match side {
                Side::A => 0,
                Side::B => 1,
            };
            p.legs[i].q850 = Some((cause, how));
        }
    }

    /// A media op the core sends: the streams each call opened.
    pub fn on_media_op(&mut self, op: &MediaOp) {
        if let MediaOp::Open { stream, .. } = op {
            if let Some(p) = self.calls.get_mut(&stream.call) {
                if !p.open.contains(&stream.index) {
                    p.open.push(stream.index);
                }
            }
        }
    }

    /// A media event: a stream's final counters.
    pub fn on_media_event(&mut self, ev: &MediaEvent) {
        if let MediaEvent::Closed { stream, a, b } = ev {
            if let Some(p) = self.calls.get_mut(&stream.call) {
                let new = p.closed.insert(stream.index, [*a, *b]).is_none();
                if new && p.ended.is_some() && p.counters_in() {
                    self.ready.push(stream.call);
                }
            }
        }
    }

    /// Records complete at `now` (ended, every stream's counters in or [`GRACE`] past),
    /// each as a JSON line; removed from the book.
    pub fn take_complete(&mut self, now: Instant) -> Vec<String> {
        let mut lines = Vec::new();
        for call in std::mem::take(&mut self.ready) {
            if let Some(p) = self.calls.remove(&call) {
                let r = record(call, &p);
                super::call_log::log(&r);
                lines.push(r.to_string());
            }
        }
        while let Some(&(at, call)) = self.ended.front() {
            let written = !self.calls.contains_key(&call);
            if !written && now.saturating_duration_since(at) < GRACE {
                break;
            }
            self.ended.pop_front();
            // Written already when its counters came in; otherwise written without the
            // streams that never reported.
            if let Some(p) = self.calls.remove(&call) {
                let r = record(call, &p);
                super::call_log::log(&r);
                lines.push(r.to_string());
            }
        }
        lines
    }

    /// Whether a record waits for counters (the core then looks again within [`GRACE`]).
    pub fn waiting(&self) -> bool {
        !self.ready.is_empty() || !self.ended.is_empty()
    }
}

/// The final code A received, as far as the end reason says.
fn code(answered: bool, reason: &EndReason) -> Option<u16> {
    if answered {
        return Some(200);
    }
    match reason {
        EndReason::Rejected(c) => Some(*c),
        EndReason::Cancelled => Some(487),
        EndReason::PrackTimeout => Some(500),
        _ => None,
    }
}

/// Who ended the call: `caller`, `callee` or `sbc`.
fn hangup(reason: &EndReason) -> &'static str {
    match reason {
        EndReason::Bye(Side::A) | EndReason::Cancelled => "caller",
        EndReason::Bye(Side::B) | EndReason::Rejected(_) => "callee",
        _ => "sbc",
    }
}

fn reason_name(reason: &EndReason) -> String {
    match reason {
        EndReason::Rejected(_) => "rejected".to_owned(),
        EndReason::Cancelled => "cancelled".to_owned(),
        EndReason::Bye(_) => "bye".to_owned(),
        EndReason::AckTimeout => "ack-timeout".to_owned(),
        EndReason::DialogLost(_) => "dialog-lost".to_owned(),
        EndReason::Failed(why) => format!("failed: {why}"),
        EndReason::PrackTimeout => "prack-timeout".to_owned(),
        EndReason::SessionExpired => "session-expired".to_owned(),
        EndReason::MediaTimeout => "media-timeout".to_owned(),
    }
}

/// A leg's Q.850 cause: the one a `Reason` header gave on it, else mapped from the end
/// (RFC 3398: the final code; 16 for a BYE or CANCEL; see [`sbc_sip::q850::for_end`]).
fn q850_of(leg: &Leg, reason: &EndReason) -> Value {
    let (cause, text, source) = match &leg.q850 {
        Some((c, how)) => (c.cause, c.text.clone(), *how),
        None => (sbc_sip::q850::for_end(reason), None, "mapped"),
    };
    let text = text.or_else(|| sbc_sip::q850::name(cause).map(str::to_owned));
    json!({"cause": cause, "text": text, "source": source})
}

fn side_stats(s: &StreamStats) -> Value {
    let mut v = json!({
        "packets": s.packets,
        "bytes": s.bytes,
        "rtcp_packets": s.rtcp,
        "lost": s.lost,
        "jitter": s.jitter,
        "dropped": s.dropped,
    });
    if let (Value::Object(o), Value::Object(q)) = (&mut v, super::quality::cdr_fields(s)) {
        o.extend(q);
    }
    v
}

fn record(call: u64, p: &Pending) -> Value {
    let (end, end_unix, reason) = match &p.ended {
        Some((at, unix, r)) => (*at, *unix, r.clone()),
        // Only ended calls are taken; an empty reason keeps this total.
        None => (p.started, p.started_unix, EndReason::Failed(String::new())),
    };
    let answered = p.answered.is_some();
    let legs: Vec<Value> = p
        .legs
        .iter()
        .zip(["a", "b"])
        .map(|(leg, side)| {
            let info = leg.info.as_ref();
            // On A's leg the caller is the remote party; on B's the SBC's From is.
            let (from, to) = match (side, info) {
                ("a", Some(i)) => (Some(&i.remote_party), Some(&i.local_party)),
                (_, Some(i)) => (Some(&i.local_party), Some(&i.remote_party)),
                _ => (None, None),
            };
            json!({
                "side": side,
                "trunk": leg.trunk,
                "realm": leg.realm,
                "call_id": info.map(|i| &i.call_id),
                "from": from,
                "to": to,
                "codec": leg.media.as_ref().map(|m| &m.codec).filter(|c| !c.is_empty()),
                "srtp": leg.media.as_ref().is_some_and(|m| m.srtp),
                "srtp_suite": leg.media.as_ref().and_then(|m| m.suite.as_ref()),
                "q850": q850_of(leg, &reason),
            })
        })
        .collect();
    let streams: Vec<Value> = p
        .closed
        .iter()
        .map(|(index, [a, b])| json!({"index": index, "a": side_stats(a), "b": side_stats(b)}))
        .collect();
    let ms = |d: Duration| d.as_millis() as u64;
    json!({
        "call": call,
        "start": sbc_mgmt::clock::rfc3339(p.started_unix),
        "answer": p.answered.map(|(_, unix)| sbc_mgmt::clock::rfc3339(unix)),
        "end": sbc_mgmt::clock::rfc3339(end_unix),
        "ring_ms": p.answered.map(|(at, _)| ms(at.saturating_duration_since(p.started))),
        "duration_ms": p.answered.map_or(0, |(at, _)| ms(end.saturating_duration_since(at))),
        "result": CallResult::of(answered, &reason).label(),
        "code": code(answered, &reason),
        "reason": reason_name(&reason),
        "hangup": hangup(&reason),
        "legs": legs,
        "streams": streams,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sbc_core::StreamKey;

    const PARTIES: Parties<'static> = Parties {
        a_trunk: "carrier",
        a_realm: "outside",
        b_trunk: "pbx",
        b_realm: "inside",
    };

    fn info(id: &str, local: &str, remote: &str) -> LegInfo {
        LegInfo {
            call_id: id.to_owned(),
            local_party: local.to_owned(),
            remote_party: remote.to_owned(),
        }
    }

    #[test]
    fn an_answered_call_waits_for_its_streams_counters() {
        let mut book = CdrBook::default();
        let t0 = Instant::now();
        book.relayed(7, t0, 1000, PARTIES);
        book.legs(
            7,
            [
                info(
                    "a-id",
                    "<sip:4930123@sbc>;tag=s",
                    "<sip:+49301@carrier>;tag=c",
                ),
                info("b-id", "<sip:+49301@sbc>;tag=x", "<sip:4930123@pbx>"),
            ],
        );
        let stream = StreamKey { call: 7, index: 0 };
        let a = sbc_core::MediaOp::Open {
            stream,
            a_local: "10.0.0.1:20000".parse().expect("addr"),
            b_local: "10.1.0.1:30000".parse().expect("addr"),
            latch_a: sbc_core::LatchMode::Always,
            latch_b: sbc_core::LatchMode::Always,
        };
        book.on_media_op(&a);
        book.answered(7, t0 + Duration::from_secs(2), 1002);
        let media = LegMedia {
            codec: "PCMU".to_owned(),
            srtp: false,
            suite: None,
            transcoded: false,
        };
        book.ended(
            7,
            t0 + Duration::from_secs(32),
            1032,
            &EndReason::Bye(Side::B),
            Some([media.clone(), media]),
        );
        book.q850(
            7,
            Side::B,
            sbc_sip::q850::Cause {
                cause: 31,
                text: Some("from the PBX".into()),
            },
            "received",
        );
        assert!(book.take_complete(t0 + Duration::from_secs(33)).is_empty());
        assert!(book.waiting());
        let counters = StreamStats {
            packets: 1500,
            bytes: 258_000,
            ..StreamStats::default()
        };
        book.on_media_event(&MediaEvent::Closed {
            stream,
            a: counters,
            b: counters,
        });
        let lines = book.take_complete(t0 + Duration::from_secs(33));
        assert_eq!(lines.len(), 1);
        let v: Value = serde_json::from_str(&lines[0]).expect("JSON");
        assert_eq!(v["result"], "answered");
        assert_eq!(v["code"], 200);
        assert_eq!(v["hangup"], "callee");
        assert_eq!(
            (v["ring_ms"].as_u64(), v["duration_ms"].as_u64()),
            (Some(2000), Some(30_000))
        );
        assert_eq!(v["legs"][0]["call_id"], "a-id");
        assert_eq!(v["legs"][0]["from"], "<sip:+49301@carrier>;tag=c");
        assert_eq!(v["legs"][1]["call_id"], "b-id");
        assert_eq!(v["legs"][1]["to"], "<sip:4930123@pbx>");
        assert_eq!(v["legs"][1]["codec"], "PCMU");
        assert_eq!(
            v["legs"][0]["q850"],
            json!({"cause": 16, "text": "Normal call clearing", "source": "mapped"})
        );
        assert_eq!(v["legs"][1]["q850"]["cause"], 31);
        assert_eq!(v["legs"][1]["q850"]["text"], "from the PBX");
        assert_eq!(v["legs"][1]["q850"]["source"], "received");
        assert_eq!(v["streams"][0]["a"]["packets"], 1500);
        assert!(!lines[0].contains('\n'), "one line");
        assert!(!book.waiting());
    }

    #[test]
    fn a_rejected_call_is_written_at_once_and_a_lost_close_after_the_grace() {
        let mut book = CdrBook::default();
        let t0 = Instant::now();
        book.relayed(1, t0, 1000, PARTIES);
        book.ended(1, t0, 1000, &EndReason::Rejected(486), None);
        let v: Value = serde_json::from_str(&book.take_complete(t0)[0]).expect("one record");
        assert_eq!(
            (&v["result"], &v["code"], &v["hangup"], &v["duration_ms"]),
            (&json!("busy"), &json!(486), &json!("callee"), &json!(0))
        );
        assert!(v["answer"].is_null());
        assert_eq!(v["legs"][0]["q850"]["cause"], 17, "486 maps to user busy");
        assert_eq!(v["legs"][0]["q850"]["text"], "User busy");

        book.relayed(2, t0, 1000, PARTIES);
        book.on_media_op(&sbc_core::MediaOp::Open {
            stream: StreamKey { call: 2, index: 0 },
            a_local: "10.0.0.1:20000".parse().expect("addr"),
            b_local: "10.1.0.1:30000".parse().expect("addr"),
            latch_a: sbc_core::LatchMode::Always,
            latch_b: sbc_core::LatchMode::Always,
        });
        book.ended(2, t0, 1000, &EndReason::Cancelled, None);
        assert!(book.take_complete(t0 + GRACE / 2).is_empty());
        let lines = book.take_complete(t0 + GRACE);
        let v: Value = serde_json::from_str(&lines[0]).expect("one record");
        assert_eq!(
            (&v["result"], &v["code"]),
            (&json!("cancelled"), &json!(487))
        );
        assert_eq!(v["streams"], json!([]));
    }
}
