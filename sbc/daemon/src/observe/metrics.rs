//! The `/metrics` page: the core's report, the media plane's totals, the certificates and
//! the process, under the names the README lists (a contract: dashboards and alerts use
//! them).

use std::net::IpAddr;
use std::path::Path;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use sbc_config::Config;
use sbc_core::DropKind;

use super::calls::SETUP_BUCKETS;
use super::exposition::{Exposition, Kind, le};
use super::media::{Flow, MediaTotals};
use super::process::ProcessStats;
use super::report::CoreReport;

/// Renders one scrape.
pub fn render(report: &CoreReport, media: &MediaTotals, process: &ProcessStats) -> String {
    let mut e = Exposition::default();
    e.family(
        "sbc_build_info",
        Kind::Gauge,
        "The running build (always 1).",
    );
    e.sample(
        "sbc_build_info",
        &[("version", env!("CARGO_PKG_VERSION"))],
        1u64,
    );
    calls(&mut e, report);
    report.quality.render(&mut e);
    if let Some(counts) = report.hep {
        crate::hep::render(&mut e, counts);
    }
    sip(&mut e, report);
    media_metrics(&mut e, &report.config, media, report);
    peers(&mut e, report);
    certificates(&mut e, &report.config);
    process_metrics(&mut e, process);
    e.finish()
}

fn calls(e: &mut Exposition, r: &CoreReport) {
    e.family(
        "sbc_calls_total",
        Kind::Counter,
        "Calls ended, by A's trunk (or realm), B's trunk and result (answered, busy, cancelled, failed, refused).",
    );
    for (from, to, result, n) in &r.calls_ended {
        e.sample(
            "sbc_calls_total",
            &[
                ("from_trunk", from),
                ("to_trunk", to),
                ("result", result.label()),
            ],
            *n,
        );
    }
    e.family(
        "sbc_calls_active",
        Kind::Gauge,
        "Calls relayed and not ended.",
    );
    e.sample("sbc_calls_active", &[], r.gauges.calls_active);
    e.family(
        "sbc_call_setup_seconds",
        Kind::Histogram,
        "From the INVITE received to the first 18x or final response sent back.",
    );
    for (bound, n) in r.setup.cumulative() {
        e.sample("sbc_call_setup_seconds_bucket", &[("le", &le(bound))], n);
    }
    debug_assert_eq!(r.setup.cumulative().count(), SETUP_BUCKETS.len());
    e.sample(
        "sbc_call_setup_seconds_bucket",
        &[("le", "+Inf")],
        r.setup.count,
    );
    e.sample("sbc_call_setup_seconds_sum", &[], r.setup.sum);
    e.sample("sbc_call_setup_seconds_count", &[], r.setup.count);
}

fn sip(e: &mut Exposition, r: &CoreReport) {
    e.family(
        "sbc_sip_messages_total",
        Kind::Counter,
        "SIP requests received (in) and sent (out), by realm and method.",
    );
    for (realm, dir, method, n) in r.sip.messages() {
        e.sample(
            "sbc_sip_messages_total",
            &[
                ("realm", realm),
                ("direction", dir.label()),
                ("method", method),
            ],
            n,
        );
    }
    e.family(
        "sbc_sip_responses_total",
        Kind::Counter,
        "SIP responses received (in) and sent (out), by realm and code class.",
    );
    for (realm, dir, class, n) in r.sip.responses() {
        let class = format!("{class}xx");
        e.sample(
            "sbc_sip_responses_total",
            &[
                ("realm", realm),
                ("direction", dir.label()),
                ("code_class", &class),
            ],
            n,
        );
    }
}

/// The realm of a media address: the first realm with that `media_ip`.
fn media_realm(config: &Config, ip: IpAddr) -> &str {
    config
        .realms()
        .iter()
        .find(|r| r.media_ip.to_canonical() == ip.to_canonical())
        .map_or("unknown", |r| r.name.as_str())
}

fn media_metrics(e: &mut Exposition, config: &Config, m: &MediaTotals, r: &CoreReport) {
    // Every realm's series exist from the start (zero), then any other address's.
    let mut rows: Vec<(&str, Flow, Flow)> = Vec::new();
    let mut seen: Vec<IpAddr> = Vec::new();
    for realm in config.realms() {
        let ip = realm.media_ip;
        if seen.contains(&ip) {
            continue;
        }
        seen.push(ip);
        let got = m.received.get(&ip).copied().unwrap_or_default();
        rows.push((realm.name.as_str(), got.rtp, got.rtcp));
    }
    for (ip, got) in &m.received {
        if !seen.contains(ip) {
            rows.push((media_realm(config, *ip), got.rtp, got.rtcp));
        }
    }
    for (family, help, bytes) in [
        (
            "sbc_media_packets_total",
            "Media packets received from the peers of a realm (direction in), by kind and by who forwarded them.",
            false,
        ),
        (
            "sbc_media_bytes_total",
            "Media bytes (UDP payload) received from the peers of a realm (direction in), by kind and path.",
            true,
        ),
    ] {
        e.family(family, Kind::Counter, help);
        for (realm, rtp, rtcp) in &rows {
            for (kind, flow) in [("rtp", rtp), ("rtcp", rtcp)] {
                for (path, packets, octets) in [
                    ("userspace", flow.userspace_packets, flow.userspace_bytes),
                    ("kernel", flow.kernel_packets, flow.kernel_bytes),
                ] {
                    if kind == "rtcp" && path == "kernel" {
                        // The kernel fast path forwards RTP only.
                        continue;
                    }
                    e.sample(
                        family,
                        &[
                            ("realm", realm),
                            ("direction", "in"),
                            ("kind", kind),
                            ("path", path),
                        ],
                        if bytes { octets } else { packets },
                    );
                }
            }
        }
    }
    e.family(
        "sbc_media_dropped_packets_total",
        Kind::Counter,
        "Media packets not relayed, by reason (consumed: taken by a transform, e.g. DTMF turned into SIP INFO; not a loss).",
    );
    for kind in DropKind::ALL {
        e.sample(
            "sbc_media_dropped_packets_total",
            &[("reason", kind.name())],
            m.drops.get(kind),
        );
    }
    e.family(
        "sbc_media_latches_total",
        Kind::Counter,
        "Media latch decisions (where a side's peer is), by reason.",
    );
    for (reason, n) in &r.latches {
        e.sample("sbc_media_latches_total", &[("reason", reason)], *n);
    }
    e.family(
        "sbc_media_streams_active",
        Kind::Gauge,
        "Media streams anchored now.",
    );
    e.sample("sbc_media_streams_active", &[], m.streams);
}

fn peers(e: &mut Exposition, r: &CoreReport) {
    e.family(
        "sbc_trunk_up",
        Kind::Gauge,
        "1 while a trunk peer answers OPTIONS (always 1 when probing is off).",
    );
    for p in &r.gauges.trunk_peers {
        e.sample(
            "sbc_trunk_up",
            &[("trunk", &p.trunk), ("peer", &p.peer)],
            u64::from(p.up),
        );
    }
    e.family(
        "sbc_registrations_active",
        Kind::Gauge,
        "Phones registered through the SBC.",
    );
    e.sample(
        "sbc_registrations_active",
        &[],
        r.gauges.registrations.len() as u64,
    );
    e.family(
        "sbc_trunk_registered",
        Kind::Gauge,
        "1 while the SBC's own registration at a trunk is in force.",
    );
    for (trunk, ok) in r.gauges.trunk_registered() {
        e.sample("sbc_trunk_registered", &[("trunk", trunk)], u64::from(ok));
    }
    e.family(
        "sbc_bans_active",
        Kind::Gauge,
        "Source addresses banned now.",
    );
    e.sample("sbc_bans_active", &[], r.gauges.bans.len() as u64);
    e.family(
        "sbc_cdr_records_total",
        Kind::Counter,
        "Call detail records written to cdr.jsonl.",
    );
    e.sample("sbc_cdr_records_total", &[], r.cdr_written);
    e.family(
        "sbc_cdr_lost_total",
        Kind::Counter,
        "Call detail records lost: the writer was behind (queue_full) or the write failed (write_failed).",
    );
    e.sample(
        "sbc_cdr_lost_total",
        &[("cause", "queue_full")],
        r.cdr_lost_queue,
    );
    e.sample(
        "sbc_cdr_lost_total",
        &[("cause", "write_failed")],
        r.cdr_lost_write,
    );
}

/// The certificates the SBC serves: each TLS realm's and the management listener's.
fn certificates(e: &mut Exposition, config: &Config) {
    e.family(
        "sbc_certificate_expiry_timestamp_seconds",
        Kind::Gauge,
        "When a certificate the SBC serves expires (Unix seconds); name: the realm, or management.",
    );
    for realm in config.realms() {
        if let Some(tls) = &realm.tls {
            if let Some(t) = not_after(&tls.cert) {
                e.sample(
                    "sbc_certificate_expiry_timestamp_seconds",
                    &[("name", &realm.name)],
                    t,
                );
            }
        }
    }
    if let Some(t) = not_after(&sbc_mgmt::api::certs::management_cert(config)) {
        e.sample(
            "sbc_certificate_expiry_timestamp_seconds",
            &[("name", "management")],
            t,
        );
    }
}

/// The first certificate's notAfter in a PEM file (`None`: unreadable, left out).
fn not_after(path: &Path) -> Option<i64> {
    let pem = std::fs::read(path).ok()?;
    let der = CertificateDer::pem_slice_iter(&pem).next()?.ok()?;
    sbc_mgmt::der::summary(&der).ok().map(|s| s.not_after)
}

fn process_metrics(e: &mut Exposition, p: &ProcessStats) {
    let rows: [(&str, Kind, &str, Option<f64>); 6] = [
        (
            "process_cpu_seconds_total",
            Kind::Counter,
            "User and system CPU time spent in seconds.",
            p.cpu_seconds,
        ),
        (
            "process_resident_memory_bytes",
            Kind::Gauge,
            "Resident memory size in bytes.",
            p.resident_bytes.map(|b| b as f64),
        ),
        (
            "process_virtual_memory_bytes",
            Kind::Gauge,
            "Virtual memory size in bytes.",
            p.virtual_bytes.map(|b| b as f64),
        ),
        (
            "process_open_fds",
            Kind::Gauge,
            "Number of open file descriptors.",
            p.open_fds.map(|n| n as f64),
        ),
        (
            "process_max_fds",
            Kind::Gauge,
            "Maximum number of open file descriptors.",
            p.max_fds.map(|n| n as f64),
        ),
        (
            "process_start_time_seconds",
            Kind::Gauge,
            "Start time of the process since unix epoch in seconds.",
            p.start_time_seconds,
        ),
    ];
    for (name, kind, help, value) in rows {
        if let Some(v) = value {
            e.family(name, kind, help);
            e.sample(name, &[], v);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use super::*;
    use crate::observe::calls::{CallResult, Histogram};
    use crate::observe::gauges::{Gauges, PeerGauge};
    use crate::observe::sip::SipCounters;

    fn report() -> CoreReport {
        let config = Config::from_toml_str(
            r#"
[system]
name = "t"
[management]
listen = "127.0.0.1:8443"
[metrics]
listen = "127.0.0.1:9090"
[[realm]]
name = "outside"
listen = ["udp:10.0.0.1:5060"]
media_ip = "10.0.0.1"
media_ports = "20000-20099"
[[trunk]]
name = "carrier"
realm = "outside"
peers = ["udp:10.0.0.2:5060"]
"#,
            "/nonexistent",
        )
        .expect("valid config");
        let mut setup = Histogram::default();
        setup.observe(0.2);
        CoreReport {
            sip: SipCounters::new(&config),
            config: Arc::new(config),
            calls_ended: vec![("carrier".into(), "carrier".into(), CallResult::Busy, 2)],
            setup,
            latches: BTreeMap::from([("observed", 3)]),
            gauges: Arc::new(Gauges {
                calls_active: 1,
                trunk_peers: vec![PeerGauge {
                    trunk: "carrier".into(),
                    peer: "udp:10.0.0.2:5060".into(),
                    up: true,
                }],
                trunk_registrations: vec![sbc_mgmt::live::TrunkRegistrationView {
                    trunk: "carrier".into(),
                    state: "registered".into(),
                    ..Default::default()
                }],
                ..Gauges::default()
            }),
            cdr_written: 4,
            cdr_lost_queue: 0,
            cdr_lost_write: 1,
            quality: Default::default(),
            hep: None,
        }
    }

    #[test]
    fn the_page_has_the_contract_names_and_values() {
        let mut media = MediaTotals::default();
        let ip: IpAddr = "10.0.0.1".parse().expect("ip");
        media.received.entry(ip).or_default().rtp.kernel_packets = 7;
        let page = render(&report(), &media, &ProcessStats::default());
        for line in [
            "sbc_build_info{version=\"0.1.0\"} 1",
            "sbc_calls_total{from_trunk=\"carrier\",to_trunk=\"carrier\",result=\"busy\"} 2",
            "sbc_calls_active 1",
            "sbc_call_setup_seconds_bucket{le=\"0.1\"} 0",
            "sbc_call_setup_seconds_bucket{le=\"0.25\"} 1",
            "sbc_call_setup_seconds_bucket{le=\"+Inf\"} 1",
            "sbc_call_setup_seconds_count 1",
            "sbc_media_packets_total{realm=\"outside\",direction=\"in\",kind=\"rtp\",path=\"kernel\"} 7",
            "sbc_media_packets_total{realm=\"outside\",direction=\"in\",kind=\"rtcp\",path=\"userspace\"} 0",
            "sbc_media_dropped_packets_total{reason=\"foreign\"} 0",
            "sbc_media_latches_total{reason=\"observed\"} 3",
            "sbc_trunk_up{trunk=\"carrier\",peer=\"udp:10.0.0.2:5060\"} 1",
            "sbc_trunk_registered{trunk=\"carrier\"} 1",
            "sbc_cdr_records_total 4",
            "sbc_cdr_lost_total{cause=\"write_failed\"} 1",
        ] {
            assert!(page.lines().any(|l| l == line), "{line} missing:\n{page}");
        }
        assert!(
            !page.contains("sbc_certificate_expiry_timestamp_seconds{"),
            "no certificate to read here"
        );
    }

    /// Every metric the shipped Grafana dashboard queries is one the page has.
    #[test]
    fn the_grafana_dashboard_queries_only_exported_metrics() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../config/grafana/edge-sbc-dashboard.json"
        );
        let text = std::fs::read_to_string(path).expect("the dashboard");
        let json: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        let page = render(&report(), &MediaTotals::default(), &ProcessStats::read());
        let families: Vec<&str> = page
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split(' ').next())
            .collect();
        let mut exprs = Vec::new();
        for panel in json["panels"].as_array().expect("panels") {
            for target in panel["targets"].as_array().expect("targets") {
                exprs.push(target["expr"].as_str().expect("expr").to_owned());
            }
        }
        assert!(exprs.len() >= 15, "{exprs:?}");
        let mut used = 0;
        for expr in &exprs {
            for word in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                if !(word.starts_with("sbc_") || word.starts_with("process_")) {
                    continue;
                }
                let family = word.strip_suffix("_bucket").unwrap_or(word);
                assert!(
                    families.contains(&family),
                    "the dashboard queries {word}, which /metrics does not have ({expr})"
                );
                used += 1;
            }
        }
        assert!(used >= exprs.len(), "every query names a metric");
    }
}
