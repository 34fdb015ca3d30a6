//! `sbc-media-harness`: the relay driven by text lines on stdin, for the lab tests and the
//! media benchmark, until SDP-driven anchoring lets sipp drive it through SIP.
//!
//! One op per line (fields separated by spaces; `CALL`/`INDEX` make the [`StreamKey`]):
//!
//! ```text
//! open CALL INDEX A_LOCAL B_LOCAL [always|private|never] [always|private|never]
//! remote CALL INDEX a|b RTP_ADDR|- [rtcp=ADDR] [mux] [fork=TAG]
//! answered CALL INDEX [FORK]
//! sending CALL INDEX a|b yes|no
//! clock CALL INDEX RATE
//! srtp CALL INDEX a|b SUITE INBOUND OUTBOUND
//! srtp CALL INDEX a|b off
//! ice CALL INDEX a|b UFRAG PWD [remote=UFRAG] [fork=TAG]
//! ice CALL INDEX a|b off
//! transcode CALL INDEX a|b IN_PT IN_FORMAT OUT_PT OUT_FORMAT [PTIME_MS]
//! transcode CALL INDEX a|b off
//! stats CALL INDEX
//! close CALL INDEX
//! ```
//!
//! `srtp` terminates SRTP on one side (`MediaOp::Srtp`): `SUITE` as SDES names it
//! (`AES_CM_128_HMAC_SHA1_80`, `AEAD_AES_128_GCM`, ...), `INBOUND` the key the peer protects
//! with and `OUTBOUND` the one the relay protects with towards it, each as the base64 of
//! master key and salt (what follows `inline:` in an `a=crypto` line); `off` is plain RTP.
//!
//! `transcode` transcodes what goes towards side `a`/`b` (`MediaOp::Transcode`): audio
//! of payload type `IN_PT` from the other side, each format as `a=rtpmap` names it
//! (`PCMA/8000`, `G722/8000`, `opus/48000/2`, `G729/8000`), leaves as `OUT_PT` in
//! `OUT_FORMAT`, cut to `PTIME_MS` (default 20); `off` relays it again.
//!
//! `ice` makes the relay an ICE-lite agent on one side (`MediaOp::Ice`): `UFRAG`/`PWD`
//! are the SBC's credentials there, `remote=` the peer's ufrag (of early dialog `fork=`).
//!
//! Each [`MediaEvent`](sbc_core::MediaEvent) is printed on stdout as one line (`event ` and its `Debug` form),
//! `ready` once the workers run, and `error LINE: WHY` for a line that is not an op.
//! End of input stops the relay.

use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sbc_core::registry::SRTP_SUITES;
use sbc_core::{LatchMode, MediaOp, RemoteSpec, Side, SrtpKey, SrtpKeys, StreamKey};

use sbc_daemon::relay::{RelayConfig, start};

fn main() -> std::process::ExitCode {
    sbc_daemon::logging::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Runs the harness until stdin ends. `args`: `--workers N`, `--inactivity SECS`,
/// `--latch-window MS`, `--realtime PRIORITY` (SCHED_FIFO workers), `--kernel-forwarding
/// TABLE` (the kernel media fast path in nftables table `inet TABLE`; needs root), `--io
/// epoll|io_uring` (how the workers drive their sockets), `--transcode-threads N` (0:
/// codecs inline in the workers), `--transcode-priority N` (their `SCHED_FIFO` priority).
fn run(args: &[String]) -> anyhow::Result<()> {
    let mut config = RelayConfig::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = it
            .next()
            .ok_or_else(|| anyhow::anyhow!("{a}: value missing"))?;
        match a.as_str() {
            "--workers" => config.workers = v.parse()?,
            "--transcode-threads" => config.transcode_threads = v.parse()?,
            "--transcode-priority" => config.transcode_priority = Some(v.parse()?),
            "--inactivity" => config.inactivity = Duration::from_secs(v.parse()?),
            "--latch-window" => config.latch_window = Duration::from_millis(v.parse()?),
            "--realtime" => config.realtime = Some(v.parse()?),
            "--kernel-forwarding" => config.kernel_table = Some(v.clone()),
            "--io" => config.io_uring = v == "io_uring",
            other => anyhow::bail!("unknown option {other}"),
        }
    }
    let (relay, mut events) = start(config)?;
    let printer = std::thread::spawn(move || {
        while let Some(ev) = events.blocking_recv() {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "event {ev:?}");
            let _ = out.flush();
        }
    });
    let handle = relay.handle();
    say(&format!("ready workers={}", handle.workers()));
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        match parse(&line) {
            Ok(op) => handle.send(op),
            Err(why) => say(&format!("error {line}: {why}")),
        }
    }
    drop(handle);
    relay.shutdown();
    let _ = printer.join();
    Ok(())
}

fn say(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{s}");
    let _ = out.flush();
}

/// One line to an op.
fn parse(line: &str) -> Result<MediaOp, String> {
    let w: Vec<&str> = line.split_whitespace().collect();
    let num = |i: usize| -> Result<u64, String> {
        w.get(i)
            .ok_or("too few fields")?
            .parse::<u64>()
            .map_err(|e| e.to_string())
    };
    let addr = |i: usize| -> Result<SocketAddr, String> {
        w.get(i)
            .ok_or("too few fields")?
            .parse::<SocketAddr>()
            .map_err(|e| e.to_string())
    };
    let side = |i: usize| match w.get(i).copied() {
        Some("a") => Ok(Side::A),
        Some("b") => Ok(Side::B),
        _ => Err("side must be a or b".to_string()),
    };
    let mode = |i: usize| match w.get(i).copied() {
        None | Some("always") => Ok(LatchMode::Always),
        Some("private") => Ok(LatchMode::PrivateOnly),
        Some("never") => Ok(LatchMode::Never),
        Some(m) => Err(format!("latch mode {m}?")),
    };
    let stream = StreamKey {
        call: num(1)?,
        index: u16::try_from(num(2)?).map_err(|e| e.to_string())?,
    };
    Ok(match w.first().copied() {
        Some("open") => MediaOp::Open {
            stream,
            a_local: addr(3)?,
            b_local: addr(4)?,
            latch_a: mode(5)?,
            latch_b: mode(6)?,
        },
        Some("remote") => {
            let rtp = match w.get(4).copied() {
                Some("-") => None,
                _ => Some(addr(4)?),
            };
            let mut remote = RemoteSpec {
                rtp,
                rtcp: None,
                rtcp_mux: false,
                fork: None,
            };
            for opt in w.iter().skip(5) {
                if let Some(a) = opt.strip_prefix("rtcp=") {
                    remote.rtcp = Some(a.parse().map_err(|e| format!("rtcp: {e}"))?);
                } else if let Some(f) = opt.strip_prefix("fork=") {
                    remote.fork = Some(f.to_string());
                } else if *opt == "mux" {
                    remote.rtcp_mux = true;
                } else {
                    return Err(format!("unknown option {opt}"));
                }
            }
            MediaOp::Remote {
                stream,
                side: side(3)?,
                remote,
            }
        }
        Some("answered") => MediaOp::Answered {
            stream,
            fork: w.get(3).map(|f| f.to_string()),
        },
        Some("sending") => MediaOp::Sending {
            stream,
            side: side(3)?,
            sends: w.get(4).copied() == Some("yes"),
        },
        Some("clock") => MediaOp::ClockRate {
            stream,
            rate: u32::try_from(num(3)?).map_err(|e| e.to_string())?,
        },
        Some("srtp") => MediaOp::Srtp {
            stream,
            side: side(3)?,
            fork: None,
            keys: match w.get(4).copied() {
                Some("off") => None,
                Some(suite) => Some(srtp_keys(suite, w.get(5).copied(), w.get(6).copied())?),
                None => return Err("too few fields".into()),
            },
        },
        Some("ice") => {
            let (local, rest) = match (w.get(4).copied(), w.get(5).copied()) {
                (Some("off"), _) => (None, 5),
                (Some(ufrag), Some(pwd)) => (
                    Some(sbc_core::IceCredentials {
                        ufrag: ufrag.to_owned(),
                        pwd: pwd.to_owned(),
                    }),
                    6,
                ),
                _ => return Err("too few fields".into()),
            };
            let (mut remote_ufrag, mut fork) = (None, None);
            for opt in w.iter().skip(rest) {
                if let Some(u) = opt.strip_prefix("remote=") {
                    remote_ufrag = Some(u.to_owned());
                } else if let Some(f) = opt.strip_prefix("fork=") {
                    fork = Some(f.to_owned());
                } else {
                    return Err(format!("unknown option {opt}"));
                }
            }
            MediaOp::Ice {
                stream,
                side: side(3)?,
                fork,
                local,
                remote_ufrag,
            }
        }
        Some("transcode") => MediaOp::Transcode {
            stream,
            toward: side(3)?,
            spec: match w.get(4).copied() {
                Some("off") => None,
                Some(_) => Some(sbc_core::Transcoding {
                    input: format(w.get(4).copied(), w.get(5).copied())?,
                    output: format(w.get(6).copied(), w.get(7).copied())?,
                    ptime_ms: w
                        .get(8)
                        .map_or(Ok(20), |p| p.parse().map_err(|_| "PTIME_MS?"))?,
                    events: None,
                    comfort_noise: None,
                    comfort_noise_out: None,
                }),
                None => return Err("too few fields".into()),
            },
        },
        Some("stats") => MediaOp::QueryStats { stream },
        Some("close") => MediaOp::Close { stream },
        _ => return Err("unknown op".into()),
    })
}

/// A payload format of a `transcode` line: its payload type and `ENCODING/RATE[/CHANNELS]`.
fn format(pt: Option<&str>, rtpmap: Option<&str>) -> Result<sbc_core::PayloadFormat, String> {
    let (Some(pt), Some(rtpmap)) = (pt, rtpmap) else {
        return Err("too few fields".into());
    };
    let mut parts = rtpmap.split('/');
    let encoding = parts.next().unwrap_or_default().to_owned();
    let clock_rate = parts
        .next()
        .and_then(|r| r.parse().ok())
        .ok_or(format!("{rtpmap}: ENCODING/RATE expected"))?;
    let channels = match parts.next() {
        Some(c) => Some(c.parse().map_err(|_| format!("{rtpmap}: channels?"))?),
        None => None,
    };
    Ok(sbc_core::PayloadFormat {
        pt: pt.parse().map_err(|_| format!("payload type {pt}?"))?,
        encoding,
        clock_rate,
        channels,
        fmtp: None,
    })
}

/// The keys of an `srtp` line: the suite's name, then the inbound and outbound keys, each
/// the base64 of master key and salt.
fn srtp_keys(
    suite: &str,
    inbound: Option<&str>,
    outbound: Option<&str>,
) -> Result<SrtpKeys, String> {
    let suite = SRTP_SUITES
        .iter()
        .find(|s| s.name == suite)
        .copied()
        .ok_or_else(|| format!("unknown suite {suite}"))?;
    let key = |b64: Option<&str>| -> Result<SrtpKey, String> {
        let raw = STANDARD
            .decode(b64.ok_or("too few fields")?)
            .map_err(|e| format!("key: {e}"))?;
        let (key, salt) = raw
            .split_at_checked(usize::from(suite.key_len))
            .ok_or_else(|| format!("key of {} bytes: too short", raw.len()))?;
        SrtpKey::new(key, salt).map_err(|e| e.to_string())
    };
    SrtpKeys::new(suite, key(inbound)?, key(outbound)?).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_srtp_line_carries_both_keys_of_a_side() {
        let inbound = STANDARD.encode([1u8; 30]);
        let outbound = STANDARD.encode([2u8; 30]);
        let op = parse(&format!(
            "srtp 7 0 a AES_CM_128_HMAC_SHA1_80 {inbound} {outbound}"
        ));
        let Ok(MediaOp::Srtp {
            stream,
            side: Side::A,
            fork: None,
            keys: Some(keys),
        }) = op
        else {
            panic!("{op:?}");
        };
        assert_eq!(stream, StreamKey { call: 7, index: 0 });
        assert_eq!(keys.suite().name, "AES_CM_128_HMAC_SHA1_80");
        assert_eq!(keys.inbound().key(), &[1; 16]);
        assert_eq!(keys.inbound().salt(), &[1; 14]);
        assert_eq!(keys.outbound().salt(), &[2; 14]);
        assert!(matches!(
            parse("srtp 7 0 b off"),
            Ok(MediaOp::Srtp { keys: None, .. })
        ));
    }

    #[test]
    fn an_ice_line_sets_or_clears_a_sides_credentials() {
        let op = parse("ice 7 0 b sbcUfrag sbcPasswordOf24Chars0123 remote=far fork=f1");
        let Ok(MediaOp::Ice {
            side,
            fork,
            local: Some(local),
            remote_ufrag,
            ..
        }) = op
        else {
            panic!("not an ICE op: {op:?}");
        };
        assert_eq!(side, Side::B);
        assert_eq!(fork.as_deref(), Some("f1"));
        assert_eq!(local.ufrag, "sbcUfrag");
        assert_eq!(local.pwd, "sbcPasswordOf24Chars0123");
        assert_eq!(remote_ufrag.as_deref(), Some("far"));
        assert!(matches!(
            parse("ice 7 0 a off"),
            Ok(MediaOp::Ice { local: None, .. })
        ));
        assert!(parse("ice 7 0 a onlyufrag").is_err());
        assert!(parse("ice 7 0 a u p bogus=1").is_err());
    }

    #[test]
    fn keys_of_the_wrong_length_or_suite_are_refused() {
        let gcm = STANDARD.encode([1u8; 28]);
        let cm = STANDARD.encode([1u8; 30]);
        for line in [
            format!("srtp 1 0 a AES_CM_128_HMAC_SHA1_80 {gcm} {cm}"),
            format!("srtp 1 0 a AEAD_AES_128_GCM {gcm} {cm}"),
            format!("srtp 1 0 a NULL_CIPHER {cm} {cm}"),
            format!("srtp 1 0 a AES_CM_128_HMAC_SHA1_80 {cm}"),
            "srtp 1 0 a AES_CM_128_HMAC_SHA1_80 !!! !!!".to_owned(),
            "srtp 1 0 a".to_owned(),
        ] {
            assert!(parse(&line).is_err(), "{line}");
        }
    }
}
