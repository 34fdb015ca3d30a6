//! Call quality as the operator sees it: each stream side's [`Quality`](sbc_core::rtcp::Quality) (computed by the
//! media plane, `sbc_media::quality`) turned into the live view's [`QualityView`], the
//! CDR's fields, and the metrics' histograms.
//!
//! Per stream side means "what that side's peer sent": side `a` is the caller's media,
//! `b` the callee's. The histograms count each stream side once, when its stream closes
//! (its final counters), and only when there was something to judge (a MOS).
//!
//! | metric | type | labels | what |
//! |---|---|---|---|
//! | `sbc_call_mos` | histogram | `side` | E-model MOS of a stream side at its end (1.0 .. 4.5) |
//! | `sbc_call_packet_loss_ratio` | histogram | `side` | packets lost / expected |
//! | `sbc_call_jitter_seconds` | histogram | `side` | interarrival jitter |
//! | `sbc_call_rtt_seconds` | histogram | | round trip between the peers through the SBC (once per stream) |
//! | `sbc_call_quality_streams_total` | counter | `side`, `source` | stream sides judged, by source (`userspace`, `rtcp`) |

use std::collections::BTreeMap;

use sbc_core::{QualitySource, StreamStats};
use sbc_mgmt::live::QualityView;
use serde_json::{Value, json};

use super::exposition::{Exposition, Kind, le};

const MOS_BUCKETS: &[f64] = &[1.0, 2.0, 2.5, 3.0, 3.5, 3.8, 4.0, 4.2, 4.4];
const LOSS_BUCKETS: &[f64] = &[0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2];
const JITTER_BUCKETS: &[f64] = &[0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2];
const RTT_BUCKETS: &[f64] = &[0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0];

const SIDES: [&str; 2] = ["a", "b"];

fn ms(us: u32) -> f64 {
    f64::from(us) / 1000.0
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The live view of one stream side; `clock_rate` converts the peer's reported jitter.
pub fn view(st: &StreamStats, clock_rate: u32) -> QualityView {
    let q = st.quality;
    let r = st.rtcp_report;
    let rate = f64::from(clock_rate.max(1));
    QualityView {
        source: q.source.as_str().to_owned(),
        loss_pct: f64::from(q.loss_permille) / 10.0,
        jitter_ms: round2(ms(q.jitter_us)),
        rtt_ms: q.rtt_us.map(|us| round2(ms(us))),
        leg_rtt_ms: r.rtt_us.map(|us| round2(ms(us))),
        mos: q.mos_x100.map(|m| f64::from(m) / 100.0),
        rtcp_reports: r.reports,
        reported_fraction_lost_pct: r
            .block
            .map(|b| round2(f64::from(b.fraction_lost) * 100.0 / 256.0)),
        reported_lost: r.block.map(|b| i64::from(b.cumulative_lost)),
        reported_jitter_ms: r.block.map(|b| round2(f64::from(b.jitter) * 1000.0 / rate)),
        xr_mos_lq: r
            .xr
            .filter(|x| (10..=50).contains(&x.mos_lq))
            .map(|x| f64::from(x.mos_lq) / 10.0),
    }
}

/// The CDR's quality fields of one stream side (merged into its object).
pub fn cdr_fields(st: &StreamStats) -> Value {
    let q = st.quality;
    let r = st.rtcp_report;
    json!({
        "quality_source": q.source.as_str(),
        "loss": f64::from(q.loss_permille) / 10.0,
        "jitter_ms": round2(ms(q.jitter_us)),
        "rtt_ms": q.rtt_us.map(|us| round2(ms(us))),
        "mos": q.mos_x100.map(|m| f64::from(m) / 100.0),
        "rtcp": {
            "reports": r.reports,
            "rtt_ms": r.rtt_us.map(|us| round2(ms(us))),
            "fraction_lost": r.block.map(|b| b.fraction_lost),
            "lost": r.block.map(|b| b.cumulative_lost),
            "jitter": r.block.map(|b| b.jitter),
            "xr_mos_lq": r.xr.filter(|x| (10..=50).contains(&x.mos_lq)).map(|x| f64::from(x.mos_lq) / 10.0),
        },
    })
}

/// A histogram with its own bucket bounds (`+Inf` follows).
#[derive(Debug, Clone, PartialEq)]
pub struct Buckets {
    bounds: &'static [f64],
    counts: Vec<u64>,
    pub count: u64,
    pub sum: f64,
}

impl Buckets {
    fn new(bounds: &'static [f64]) -> Self {
        Buckets {
            bounds,
            counts: vec![0; bounds.len()],
            count: 0,
            sum: 0.0,
        }
    }

    pub fn observe(&mut self, v: f64) {
        if let Some(i) = self.bounds.iter().position(|&b| v <= b) {
            self.counts[i] += 1;
        }
        self.count += 1;
        self.sum += v;
    }

    fn render(&self, e: &mut Exposition, name: &str, labels: &[(&str, &str)]) {
        let bucket = format!("{name}_bucket");
        let mut acc = 0;
        for (&b, &n) in self.bounds.iter().zip(&self.counts) {
            acc += n;
            let bound = le(b);
            let mut l = labels.to_vec();
            l.push(("le", &bound));
            e.sample(&bucket, &l, acc);
        }
        let mut l = labels.to_vec();
        l.push(("le", "+Inf"));
        e.sample(&bucket, &l, self.count);
        e.sample(&format!("{name}_sum"), labels, self.sum);
        e.sample(&format!("{name}_count"), labels, self.count);
    }
}

/// The quality histograms (owned by the core task, copied into each report).
#[derive(Debug, Clone, PartialEq)]
pub struct QualityCounters {
    mos: [Buckets; 2],
    loss: [Buckets; 2],
    jitter: [Buckets; 2],
    rtt: Buckets,
    /// `(side, source)` -> stream sides judged.
    sources: BTreeMap<(&'static str, &'static str), u64>,
}

impl Default for QualityCounters {
    fn default() -> Self {
        let two = |b| [Buckets::new(b), Buckets::new(b)];
        QualityCounters {
            mos: two(MOS_BUCKETS),
            loss: two(LOSS_BUCKETS),
            jitter: two(JITTER_BUCKETS),
            rtt: Buckets::new(RTT_BUCKETS),
            sources: BTreeMap::new(),
        }
    }
}

impl QualityCounters {
    /// A stream closed with these final counters of its two sides.
    pub fn closed(&mut self, sides: [&StreamStats; 2]) {
        let mut rtt = None;
        for (i, st) in sides.into_iter().enumerate() {
            let q = st.quality;
            let Some(mos) = q.mos_x100 else {
                continue;
            };
            if q.source == QualitySource::None {
                continue;
            }
            self.mos[i].observe(f64::from(mos) / 100.0);
            self.loss[i].observe(f64::from(q.loss_permille) / 1000.0);
            self.jitter[i].observe(f64::from(q.jitter_us) / 1e6);
            *self
                .sources
                .entry((SIDES[i], q.source.as_str()))
                .or_default() += 1;
            rtt = rtt.or(q.rtt_us);
        }
        if let Some(us) = rtt {
            self.rtt.observe(f64::from(us) / 1e6);
        }
    }

    /// The families, in the text format.
    pub fn render(&self, e: &mut Exposition) {
        e.family(
            "sbc_call_mos",
            Kind::Histogram,
            "E-model MOS estimate of a stream side's media at the stream's end (side a: the caller's).",
        );
        for (i, side) in SIDES.iter().enumerate() {
            self.mos[i].render(e, "sbc_call_mos", &[("side", side)]);
        }
        e.family(
            "sbc_call_packet_loss_ratio",
            Kind::Histogram,
            "Packets lost of those expected, per stream side at the stream's end.",
        );
        for (i, side) in SIDES.iter().enumerate() {
            self.loss[i].render(e, "sbc_call_packet_loss_ratio", &[("side", side)]);
        }
        e.family(
            "sbc_call_jitter_seconds",
            Kind::Histogram,
            "Interarrival jitter per stream side at the stream's end.",
        );
        for (i, side) in SIDES.iter().enumerate() {
            self.jitter[i].render(e, "sbc_call_jitter_seconds", &[("side", side)]);
        }
        e.family(
            "sbc_call_rtt_seconds",
            Kind::Histogram,
            "Round trip between a stream's peers through the SBC (from RTCP), at the stream's end.",
        );
        self.rtt.render(e, "sbc_call_rtt_seconds", &[]);
        e.family(
            "sbc_call_quality_streams_total",
            Kind::Counter,
            "Stream sides judged at their end, by where loss and jitter came from (userspace: the SBC's counts; rtcp: the far peer's reports).",
        );
        for ((side, source), n) in &self.sources {
            e.sample(
                "sbc_call_quality_streams_total",
                &[("side", side), ("source", source)],
                *n,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use sbc_core::{Quality, ReportBlock, RtcpStats};

    use super::*;

    fn stats(source: QualitySource, mos: u16) -> StreamStats {
        StreamStats {
            quality: Quality {
                source,
                lost: 5,
                loss_permille: 50,
                jitter_us: 12_500,
                rtt_us: Some(40_000),
                mos_x100: Some(mos),
            },
            rtcp_report: RtcpStats {
                reports: 3,
                block: Some(ReportBlock {
                    fraction_lost: 64,
                    cumulative_lost: 9,
                    jitter: 160,
                    ..ReportBlock::default()
                }),
                rtt_us: Some(15_000),
                ..RtcpStats::default()
            },
            ..StreamStats::default()
        }
    }

    #[test]
    fn view_and_cdr_in_operator_units() {
        let st = stats(QualitySource::Rtcp, 404);
        let v = view(&st, 8000);
        assert_eq!(v.source, "rtcp");
        assert_eq!((v.loss_pct, v.jitter_ms, v.rtt_ms), (5.0, 12.5, Some(40.0)));
        assert_eq!((v.mos, v.leg_rtt_ms), (Some(4.04), Some(15.0)));
        assert_eq!(v.reported_fraction_lost_pct, Some(25.0));
        assert_eq!(v.reported_jitter_ms, Some(20.0));
        let c = cdr_fields(&st);
        assert_eq!(c["quality_source"], "rtcp");
        assert_eq!(c["mos"], 4.04);
        assert_eq!(c["rtt_ms"], 40.0);
        assert_eq!(c["rtcp"]["lost"], 9);
    }

    #[test]
    fn histograms_count_judged_sides_only() {
        let mut q = QualityCounters::default();
        let judged = stats(QualitySource::Userspace, 404);
        q.closed([&judged, &StreamStats::default()]);
        let mut e = Exposition::default();
        q.render(&mut e);
        let text = e.finish();
        assert!(
            text.contains("sbc_call_mos_bucket{side=\"a\",le=\"4\"} 0\n"),
            "{text}"
        );
        assert!(text.contains("sbc_call_mos_bucket{side=\"a\",le=\"4.2\"} 1\n"));
        assert!(text.contains("sbc_call_mos_count{side=\"b\"} 0\n"));
        assert!(text.contains("sbc_call_rtt_seconds_count 1\n"));
        assert!(
            text.contains("sbc_call_quality_streams_total{side=\"a\",source=\"userspace\"} 1\n")
        );
    }
}
