//! Key material never reaches a log line: SRTP keys travel to the media plane in
//! [`MediaOp::Srtp`], and ops and events are logged with `Debug`. Every log line a worker
//! writes while it takes such an op, and every way the daemon formats an op, is captured
//! (tracing's fmt layer, as `logging::init` sets it up) and searched for the key's bytes
//! in every form a careless formatter would print them.

use std::io::Write;
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use sbc_core::{LatchMode, MediaOp, Side, SrtpKey, SrtpKeys, StreamKey};
use tokio::sync::mpsc;
use tracing::{debug, error, info, warn};

use super::Command;
use super::tests_transmit::free_local;
use super::worker::Worker;

/// A log sink shared with the test.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink {
    fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// RFC 4568 §6.1's inline key-param is base64 (RFC 4648 §4) of key || salt.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ABC[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// Ways the bytes could show up: hex (either case, with or without separators), decimal
/// as `Debug` prints a byte slice, and base64 (of the whole and of every 3-byte-aligned
/// part long enough to be telling).
fn forms(secret: &[u8]) -> Vec<String> {
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    let mut forms = vec![
        hex.clone(),
        hex.to_uppercase(),
        format!("{:?}", &secret[..4])
            .trim_end_matches(']')
            .to_string(),
        base64(secret),
    ];
    for w in secret.windows(4) {
        forms.push(w.iter().map(|b| format!("{b:02x}")).collect());
        forms.push(w.iter().map(|b| format!("{b:02X}")).collect());
        forms.push(format!("{}, {}, {}, {}", w[0], w[1], w[2], w[3]));
        let hex: Vec<_> = w.iter().map(|b| format!("{b:02x}")).collect();
        forms.push(hex.join(":"));
        forms.push(hex.join(", "));
    }
    for start in (0..secret.len().saturating_sub(6)).step_by(3) {
        forms.push(base64(&secret[start..start + 6]));
    }
    forms
}

#[test]
fn srtp_keys_never_reach_a_log_line() {
    // Distinctive bytes (not a run of one value that could appear by chance).
    let inbound_key: Vec<u8> = (0u8..16).map(|i| 0x3c ^ i.wrapping_mul(29)).collect();
    let inbound_salt: Vec<u8> = (0u8..14).map(|i| 0xa7 ^ i.wrapping_mul(53)).collect();
    let outbound_key: Vec<u8> = (0u8..16).map(|i| 0x5e ^ i.wrapping_mul(71)).collect();
    let outbound_salt: Vec<u8> = (0u8..14).map(|i| 0xc9 ^ i.wrapping_mul(37)).collect();
    let suite = sbc_core::registry::SRTP_SUITES[0];
    assert_eq!(suite.name, "AES_CM_128_HMAC_SHA1_80");
    let key = |k: &[u8], s: &[u8]| SrtpKey::new(k, s).unwrap_or_else(|e| panic!("{e}"));
    let stream = StreamKey { call: 3, index: 0 };
    let op = MediaOp::Srtp {
        stream,
        side: Side::A,
        fork: None,
        keys: Some(
            SrtpKeys::new(
                suite,
                key(&inbound_key, &inbound_salt),
                key(&outbound_key, &outbound_salt),
            )
            .unwrap_or_else(|e| panic!("{e}")),
        ),
    };

    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_target(false)
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        // How the control plane may log an op.
        debug!(?op, "media op");
        info!("{op:?}");
        info!("{op:#?}");
        if let MediaOp::Srtp { keys: Some(k), .. } = &op {
            warn!(keys = ?k, inbound = %k.inbound(), "srtp keys");
            error!("{:?} {}", k.outbound(), k.outbound());
        }
        // A worker taking it: the keys are installed (contexts made from them), and the
        // worker logs the op as it does every op.
        let (tx, rx) = std_mpsc::channel();
        let (events, _events_rx) = mpsc::unbounded_channel();
        let config = sbc_media::ShardConfig::default();
        let mut w = Worker::new(0, config, rx, events).unwrap_or_else(|e| panic!("{e}"));
        for cmd in [
            MediaOp::Open {
                stream,
                a_local: free_local(),
                b_local: free_local(),
                latch_a: LatchMode::Always,
                latch_b: LatchMode::Always,
            },
            MediaOp::Remote {
                stream,
                side: Side::A,
                remote: sbc_core::RemoteSpec {
                    rtp: Some(free_local()),
                    rtcp: None,
                    rtcp_mux: false,
                    fork: None,
                },
            },
            op.clone(),
            MediaOp::Close { stream },
        ] {
            tx.send(Command::Op(cmd)).unwrap_or_else(|e| panic!("{e}"));
        }
        assert!(w.take_ops(Instant::now()), "the worker goes on");
        w.flush_events();
    });

    let log = sink.text();
    assert!(log.contains("redacted"), "{log}");
    assert!(!log.contains("refused"), "the keys were taken: {log}");
    assert!(
        log.contains("AES_CM_128_HMAC_SHA1_80"),
        "the suite is no secret"
    );
    for secret in [
        &inbound_key[..],
        &inbound_salt[..],
        &outbound_key[..],
        &outbound_salt[..],
        &[&inbound_key[..], &inbound_salt[..]].concat()[..],
        &[&outbound_key[..], &outbound_salt[..]].concat()[..],
    ] {
        for form in forms(secret) {
            assert!(!log.contains(&form), "{form} in the log:\n{log}");
        }
    }
}

#[test]
fn the_leak_search_finds_what_it_looks_for() {
    // The search above must be able to fail: a key printed by hand is found in each form.
    let key: Vec<u8> = (0u8..16).map(|i| 0x3c ^ i.wrapping_mul(29)).collect();
    let printed = [
        format!("{key:?}"),
        format!("{key:02x?}"),
        key.iter().map(|b| format!("{b:02X}")).collect(),
        base64(&key),
    ];
    for text in printed {
        assert!(
            forms(&key).iter().any(|f| text.contains(f.as_str())),
            "{text}"
        );
    }
    // RFC 4648 §10 vectors (without the padding: a prefix search needs none).
    assert_eq!(base64(b"foob"), "Zm9vYg");
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
}
