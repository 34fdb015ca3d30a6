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
    e.sample("sbc_calls_active", &[], r.calls_active);
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
    for (trunk, peer, up) in &r.trunk_peers {
        e.sample(
            "sbc_trunk_up",
            &[("trunk", trunk), ("peer", peer)],
            u64::from(*up),
        );
    }
    e.family(
        "sbc_registrations_active",
        Kind::Gauge,
        "Phones registered through the SBC.",
    );
    e.sample("sbc_registrations_active", &[], r.registrations);
    e.family(
        "sbc_trunk_registered",
        Kind::Gauge,
        "1 while the SBC's own registration at a trunk is in force.",
    );
    for (trunk, ok) in &r.trunk_registrations {
        e.sample("sbc_trunk_registered", &[("trunk", trunk)], u64::from(*ok));
    }
    e.family(
        "sbc_bans_active",
        Kind::Gauge,
        "Source addresses banned now.",
    );
    e.sample("sbc_bans_active", &[], r.bans);
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
