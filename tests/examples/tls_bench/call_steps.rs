//! Calls per second over TLS: the carrier's one TLS connection (the `call-client`) into the
//! server under test, which relays each call over UDP to a sipp PBX and anchors its media;
//! fixed-rate steps of `--call-seconds` each with `--hold-ms` holds, up to the first step
//! that loses a call. The server's CPU (every process of it: Kamailio's and rtpengine's
//! for the reference) is read over each step.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use sbc_lab::topology::{PBX_IP, SBC_OUTSIDE_IP, SIP_PORT, SIP_TLS_PORT};
use sbc_lab::{Lab, Ns, StandardConfig, TestCa};

use crate::procfs::cpu_seconds;
use crate::{Options, Server, parse_done, wait_line};

/// One fixed-rate step.
#[derive(Debug, Clone)]
pub struct Step {
    pub rate: u32,
    pub calls: u64,
    pub ok: u64,
    pub failed: u64,
    pub reasons: String,
    pub cpu_seconds: f64,
    /// The calling client's own CPU over the step: near 100 % it, not the server, is the
    /// limit.
    pub client_cpu_seconds: f64,
    pub wall_seconds: f64,
}

impl Step {
    pub fn passed(&self) -> bool {
        self.failed == 0 && self.ok == self.calls
    }

    /// Server CPU per call, in µs.
    pub fn cpu_per_call_us(&self) -> f64 {
        self.cpu_seconds * 1e6 / self.ok.max(1) as f64
    }
}

pub fn measure(server: Server, o: &Options) -> Result<Vec<Step>, String> {
    let lab = Lab::new().map_err(|e| e.to_string())?;
    let ca = TestCa::new(lab.dir(), "bench").map_err(|e| e.to_string())?;
    let cert = ca
        .server("tls-server", &["10.91.1.1"])
        .map_err(|e| e.to_string())?;
    let to = SocketAddr::new(IpAddr::V4(SBC_OUTSIDE_IP), SIP_TLS_PORT);
    let (_sbc, _kamailio, pids) = match server {
        Server::Sbc => {
            // As scripts/bench/calls: 20,000 ports a side, 10,000 anchored calls at once.
            let config = StandardConfig::default()
                .outside_tls(&cert)
                .media_ports("20000-39999", "40000-59999")
                .render();
            let sbc = lab
                .start_sbc_logging(&config, "warn")
                .map_err(|e| e.to_string())?;
            let pid = sbc.pid();
            (Some(sbc), None, vec![pid])
        }
        Server::Kamailio => {
            let children = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
            let k = lab
                .start_kamailio_tls_proxy(to, &cert, children)
                .map_err(|e| e.to_string())?;
            let pids = k.pids().to_vec();
            (None, Some(k), pids)
        }
    };
    let scenario = sbc_lab::sbc::workspace_root().join("scripts/bench/scenarios/uas.xml");
    let _pbx = lab
        .spawn(
            Ns::Pbx,
            &[
                "sipp".to_owned(),
                "-sf".into(),
                scenario.display().to_string(),
                "-i".into(),
                PBX_IP.to_string(),
                "-p".into(),
                SIP_PORT.to_string(),
                "-t".into(),
                "u1".into(),
                "-nostdin".into(),
                "-bind_local".into(),
                "-buff_size".into(),
                "4194304".into(),
                "-m".into(),
                "100000000".into(),
            ],
        )
        .map_err(|e| e.to_string())?;
    std::thread::sleep(Duration::from_millis(500));
    let exe = std::env::current_exe().map_err(|e| format!("own path: {e}"))?;
    let cpu = |pids: &[u32]| -> Result<f64, String> {
        pids.iter()
            .map(|p| cpu_seconds(*p))
            .sum::<Result<f64, String>>()
    };
    let mut steps = Vec::new();
    for &rate in &o.rates {
        let calls = (f64::from(rate) * o.call_seconds as f64).round() as u64;
        let client = lab
            .spawn(
                Ns::Carrier,
                &[
                    exe.display().to_string(),
                    "call-client".into(),
                    to.to_string(),
                    ca.ca_path().display().to_string(),
                    rate.to_string(),
                    o.call_seconds.to_string(),
                    o.hold_ms.to_string(),
                ],
            )
            .map_err(|e| e.to_string())?;
        wait_line(&client, "running", Duration::from_secs(30))?;
        let before = cpu(&pids)?;
        let client_before = cpu_seconds(client.pid())?;
        let started = std::time::Instant::now();
        let out = wait_line(
            &client,
            "done",
            Duration::from_secs(o.call_seconds + o.hold_ms / 1000 + 60),
        )?;
        let cpu_seconds = cpu(&pids)? - before;
        let wall_seconds = started.elapsed().as_secs_f64();
        // The client has printed its result and may be gone: count what it used if not.
        let client_cpu_seconds = cpu_seconds_or_zero(client.pid()) - client_before;
        let line = out
            .lines()
            .find(|l| l.starts_with("done"))
            .ok_or("no result line")?
            .to_owned();
        let (ok, failed, reasons) = parse_done(&line)?;
        let step = Step {
            rate,
            calls,
            ok,
            failed,
            reasons: reasons
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" "),
            cpu_seconds,
            client_cpu_seconds: client_cpu_seconds.max(0.0),
            wall_seconds,
        };
        eprintln!(
            "tls_bench: {} calls over TLS at {rate}/s: ok {ok}/{calls} failed {failed} {} \
             CPU {cpu_seconds:.2} s, client CPU {:.0} %",
            server.name(),
            step.reasons,
            100.0 * step.client_cpu_seconds / step.wall_seconds.max(1e-9)
        );
        let passed = step.passed();
        if !passed {
            let log = match (&_sbc, &_kamailio) {
                (Some(s), _) => s.log_tail(),
                (_, Some(k)) => sbc_lab::child::tail(&k.log(), 15),
                _ => String::new(),
            };
            let alive: Vec<String> = pids
                .iter()
                .map(|p| format!("pid {p} {}", crate::procfs::state(*p)))
                .collect();
            eprintln!(
                "tls_bench: {} after the failed step: {}; log tail:\n{log}",
                server.name(),
                alive.join(", ")
            );
        }
        steps.push(step);
        drop(client);
        if !passed {
            break;
        }
        // Let the previous step's calls and transactions end.
        std::thread::sleep(Duration::from_secs(3));
    }
    Ok(steps)
}

fn cpu_seconds_or_zero(pid: u32) -> f64 {
    cpu_seconds(pid).unwrap_or(0.0)
}
