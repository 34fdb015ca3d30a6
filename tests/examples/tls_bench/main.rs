//! TLS at scale, the SBC next to Kamailio + OpenSSL in the same run (`scripts/bench/tls`).
//!
//! `cargo run --release -p sbc-lab --example tls_bench -- [--seconds S] [--clients C]
//! [--idle N]` (root; `cargo build --release` first). For each server — the SBC
//! (`tls:10.91.1.1:5061`, rustls on ring) and Kamailio 5.6 with its `tls` module (OpenSSL 3)
//! on the same address, port and certificate (ECDSA P-256 from a test CA), each in a fresh
//! lab:
//!
//! 1. **Handshakes**: `C` client threads in the carrier namespace (this program again, as
//!    `tls_bench handshake-client`, rustls) each loop: TCP connect, a full TLS handshake
//!    (no session resumption, TLS 1.3, X25519), one OPTIONS, read the answer, close_notify,
//!    close. After a warm-up the server's CPU time (user + system, every process of it) is
//!    read over `S` seconds; handshakes per second per core = handshakes / CPU seconds.
//!    The clients share the machine with the server, so the rate reached is reported but
//!    the CPU figure is the one that compares.
//! 2. **Idle connections**: `N` TLS connections opened (`tools/idle_conns.py`, full
//!    handshakes) and held with nothing sent; the server's proportional set size (PSS,
//!    summed over its processes: Kamailio's workers share its OpenSSL state in shared
//!    memory, so RSS would count it once per process) before and after, per connection.
//! 3. **Calls over TLS** (`call_steps.rs`): one TLS connection from the carrier (this
//!    program as `tls_bench call-client`: Debian's sipp has no TLS) at fixed rates
//!    (`--rates`, `--call-seconds` each, `--hold-ms` holds) into the server, relayed over UDP
//!    to a sipp PBX with the media anchored — by the SBC itself, or for the reference by
//!    Kamailio (`scripts/bench/reference/kamailio-rtpengine.cfg` plus a `tls:` listener) with
//!    rtpengine; up to the first step that loses a call; server CPU per call at each step.
//!
//! Kamailio runs one TLS worker: Debian 12's Kamailio 5.6.3 with OpenSSL 3 and two or more
//! aborts under handshake load ("qm_free(): BUG: freeing already freed pointer ...
//! tls_init.c", kamailio/kamailio#3791, addressed in later releases by `tls_threads_mode`); the
//! per-core figures come from CPU time, so one worker does not change them
//! (`TLS_BENCH_KAMAILIO_WORKERS=2` to see the crash).

#![allow(clippy::print_stdout)]

mod call_steps;
mod calls;
mod handshakes;
mod procfs;
mod sipmsg;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread::sleep;
use std::time::{Duration, Instant};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use sbc_lab::cmd::python;
use sbc_lab::kamailio_tls::KamailioTlsSizing;
use sbc_lab::topology::{SBC_OUTSIDE_IP, SIP_TLS_PORT};
use sbc_lab::{Lab, LabChild, Ns, StandardConfig, TestCa};

use procfs::{cpu_seconds, cpu_seconds_of, process_tree, stable_pss};

/// Seconds of handshakes before the measured window.
const WARM_UP_SECONDS: u64 = 3;

#[derive(Debug, Clone)]
pub struct Options {
    seconds: u64,
    clients: usize,
    idle: usize,
    rates: Vec<u32>,
    call_seconds: u64,
    hold_ms: u64,
}

const USAGE: &str = "usage: tls_bench [--seconds S] [--clients C] [--idle N] \
                     [--rates R1,R2,...] [--call-seconds S] [--hold-ms MS]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let client = match args.first().map(String::as_str) {
        Some("handshake-client") => Some(handshakes::run as fn(&[String]) -> Result<(), String>),
        Some("call-client") => Some(calls::run as fn(&[String]) -> Result<(), String>),
        _ => None,
    };
    if let Some(client) = client {
        return match client(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                println!("error {e}");
                ExitCode::FAILURE
            }
        };
    }
    let options = match parse(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("tls_bench: {e}\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    let mut results = Vec::new();
    for server in [Server::Sbc, Server::Kamailio] {
        let measured = measure(server, &options).and_then(|r| {
            let steps = if options.rates.is_empty() {
                Vec::new()
            } else {
                call_steps::measure(server, &options)?
            };
            Ok((r, steps))
        });
        match measured {
            Ok((r, steps)) => results.push((server, r, steps)),
            Err(e) => {
                eprintln!("tls_bench: {}: {e}", server.name());
                return ExitCode::FAILURE;
            }
        }
    }
    report(&options, &results);
    ExitCode::SUCCESS
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        seconds: 15,
        clients: 4,
        idle: 10_000,
        rates: vec![250, 500, 1000, 1250, 1500, 1750, 2000, 2500, 3000],
        call_seconds: 10,
        hold_ms: 1000,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a number"))
        };
        match a.as_str() {
            "--seconds" => o.seconds = value("--seconds")?.max(1),
            "--clients" => o.clients = value("--clients")?.max(1) as usize,
            "--idle" => o.idle = value("--idle")? as usize,
            "--call-seconds" => o.call_seconds = value("--call-seconds")?.max(1),
            "--hold-ms" => o.hold_ms = value("--hold-ms")?,
            "--rates" => {
                let list = it.next().ok_or("--rates needs a list")?;
                o.rates = list
                    .split(',')
                    .filter(|r| !r.is_empty())
                    .map(|r| r.parse().map_err(|_| format!("bad rate {r}")))
                    .collect::<Result<_, _>>()?;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(o)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    Sbc,
    Kamailio,
}

impl Server {
    pub fn name(self) -> &'static str {
        match self {
            Server::Sbc => "sbc (rustls/ring)",
            Server::Kamailio => "kamailio 5.6 (tls module, OpenSSL)",
        }
    }
}

/// What one server did.
#[derive(Debug)]
struct Result1 {
    handshakes: u64,
    failures: u64,
    statuses: BTreeMap<String, u64>,
    wall_seconds: f64,
    cpu_seconds: f64,
    idle_before_kb: u64,
    idle_after_kb: u64,
}

impl Result1 {
    fn per_core(&self) -> f64 {
        self.handshakes as f64 / self.cpu_seconds.max(1e-9)
    }
    fn rate(&self) -> f64 {
        self.handshakes as f64 / self.wall_seconds.max(1e-9)
    }
    fn idle_kb(&self, n: usize) -> f64 {
        self.idle_after_kb.saturating_sub(self.idle_before_kb) as f64 / n.max(1) as f64
    }
}

fn measure(server: Server, o: &Options) -> Result<Result1, String> {
    let lab = Lab::new().map_err(|e| e.to_string())?;
    let ca = TestCa::new(lab.dir(), "bench").map_err(|e| e.to_string())?;
    let cert = ca
        .server("tls-server", &["10.91.1.1"])
        .map_err(|e| e.to_string())?;
    let to = SocketAddr::new(IpAddr::V4(SBC_OUTSIDE_IP), SIP_TLS_PORT);
    // Keep the server alive for the whole measurement: both are killed when dropped.
    let (_sbc, _kamailio, root_pid) = match server {
        Server::Sbc => {
            let config = StandardConfig::default().outside_tls(&cert).render();
            let sbc = lab
                .start_sbc_logging(&config, "warn")
                .map_err(|e| e.to_string())?;
            let pid = sbc.pid();
            (Some(sbc), None, pid)
        }
        Server::Kamailio => {
            let sizing = KamailioTlsSizing {
                // One TLS worker: Debian 12's Kamailio 5.6.3 with OpenSSL 3 and two or more
                // TCP workers aborts under handshake load ("qm_free(): BUG: freeing already
                // freed pointer ... tls_init.c", kamailio/kamailio#3791; later releases add
                // `tls_threads_mode`). Handshakes per core are read from CPU time, so one
                // worker gives the same figure.
                workers: std::env::var("TLS_BENCH_KAMAILIO_WORKERS")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(1),
                // ~64 kB per connection measured: room for the idle run and then some.
                shm_mb: (o.idle as u32 / 8).max(256),
                max_connections: (o.idle as u32 + 1024).min(18_000),
            };
            let k = lab
                .start_kamailio_tls(Ns::Sbc, to, &cert, sizing)
                .map_err(|e| e.to_string())?;
            let pid = k.pid();
            (None, Some(k), pid)
        }
    };

    // 1. Handshakes.
    let exe = std::env::current_exe().map_err(|e| format!("own path: {e}"))?;
    let argv = [
        exe.display().to_string(),
        "handshake-client".into(),
        to.to_string(),
        ca.ca_path().display().to_string(),
        o.clients.to_string(),
        WARM_UP_SECONDS.to_string(),
        o.seconds.to_string(),
    ];
    let client = lab.spawn(Ns::Carrier, &argv).map_err(|e| e.to_string())?;
    wait_line(
        &client,
        "measuring",
        Duration::from_secs(WARM_UP_SECONDS + 30),
    )?;
    let cpu_start = cpu_seconds(root_pid)?;
    let started = Instant::now();
    let out = wait_line(&client, "done", Duration::from_secs(o.seconds + 60))?;
    let wall_seconds = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds(root_pid)? - cpu_start;
    for pid in process_tree(root_pid)? {
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        eprintln!(
            "tls_bench:   pid {pid} {}: {:.2} CPU s in all",
            name.trim(),
            cpu_seconds_of(pid)
        );
    }
    let done = out
        .lines()
        .find(|l| l.starts_with("done"))
        .ok_or("no result line")?
        .to_owned();
    let (handshakes, failures, statuses) = parse_done(&done)?;
    drop(client);

    eprintln!(
        "tls_bench: {}: {handshakes} handshakes, {cpu:.2} CPU s",
        server.name()
    );

    // 2. Idle connections.
    sleep(Duration::from_secs(2));
    let server_log = || match (&_sbc, &_kamailio) {
        (Some(s), _) => s.log_tail(),
        (_, Some(k)) => sbc_lab::child::tail(&k.log(), 20),
        _ => String::new(),
    };
    let warm =
        hold(&lab, to, &ca, 100).map_err(|e| format!("{e}\nserver log:\n{}", server_log()))?;
    drop(warm);
    let idle_before_kb = stable_pss(root_pid)?;
    let held = hold(&lab, to, &ca, o.idle)?;
    let idle_after_kb = stable_pss(root_pid)?;
    drop(held);

    Ok(Result1 {
        handshakes,
        failures,
        statuses,
        wall_seconds,
        cpu_seconds: cpu,
        idle_before_kb,
        idle_after_kb,
    })
}

fn report(o: &Options, results: &[(Server, Result1, Vec<call_steps::Step>)]) {
    println!(
        "TLS bench: {} client threads, {} s measured after {WARM_UP_SECONDS} s warm-up; \
         {} idle connections; calls: steps of {} s, {} ms holds",
        o.clients, o.seconds, o.idle, o.call_seconds, o.hold_ms
    );
    for (server, r, steps) in results {
        println!("{}:", server.name());
        println!(
            "  handshakes: {} in {:.1} s ({:.0}/s reached, clients on the same 2 cores), \
             {} failed; answers {:?}",
            r.handshakes,
            r.wall_seconds,
            r.rate(),
            r.failures,
            r.statuses
        );
        println!(
            "  server CPU {:.2} s: {:.0} µs per handshake, {:.0} handshakes/s per core",
            r.cpu_seconds,
            r.cpu_seconds * 1e6 / r.handshakes.max(1) as f64,
            r.per_core()
        );
        println!(
            "  idle: PSS {} kB -> {} kB with {} connections: {:.1} kB per idle TLS connection",
            r.idle_before_kb,
            r.idle_after_kb,
            o.idle,
            r.idle_kb(o.idle)
        );
        for step in steps {
            println!(
                "  calls over TLS {:5}/s: ok {}/{} {}{} server CPU {:.0} µs per call \
                 (client at {:.0} % of a core)",
                step.rate,
                step.ok,
                step.calls,
                if step.passed() { "pass" } else { "FAIL " },
                step.reasons,
                step.cpu_per_call_us(),
                100.0 * step.client_cpu_seconds / step.wall_seconds.max(1e-9)
            );
        }
        if let Some(best) = steps.iter().filter(|s| s.passed()).map(|s| s.rate).max() {
            println!("  highest calls/s over TLS with zero failures: {best}");
        }
    }
    if let [(_, sbc, sbc_steps), (_, kam, kam_steps)] = results {
        println!(
            "sbc / kamailio: handshakes per core {:.2}x",
            sbc.per_core() / kam.per_core().max(1e-9)
        );
        if kam.idle_kb(o.idle) > 0.0 {
            println!(
                "sbc / kamailio: memory per idle connection {:.2}x",
                sbc.idle_kb(o.idle) / kam.idle_kb(o.idle)
            );
        }
        let best =
            |steps: &[call_steps::Step]| steps.iter().filter(|s| s.passed()).map(|s| s.rate).max();
        if let (Some(a), Some(b)) = (best(sbc_steps), best(kam_steps)) {
            println!(
                "sbc / kamailio: calls/s over TLS {:.2}x ({a} vs {b})",
                f64::from(a) / f64::from(b)
            );
        }
        // CPU per call at the highest rate both passed.
        let common = sbc_steps
            .iter()
            .rev()
            .filter(|s| s.passed())
            .filter_map(|s| {
                kam_steps
                    .iter()
                    .find(|k| k.rate == s.rate && k.passed())
                    .map(|k| (s, k))
            })
            .next();
        if let Some((s, k)) = common {
            println!(
                "at {}/s: server CPU per call {:.0} µs vs {:.0} µs ({:.2}x)",
                s.rate,
                s.cpu_per_call_us(),
                k.cpu_per_call_us(),
                s.cpu_per_call_us() / k.cpu_per_call_us().max(1e-9)
            );
        }
    }
}

/// Waits until `child` prints a line starting with `word`; returns its whole output.
pub fn wait_line(child: &LabChild, word: &str, within: Duration) -> Result<String, String> {
    let deadline = Instant::now() + within;
    loop {
        let out = child.stdout();
        if out.lines().any(|l| l.starts_with(word)) {
            return Ok(out);
        }
        if out.lines().any(|l| l.starts_with("error")) || Instant::now() > deadline {
            return Err(format!(
                "client: waiting for {word:?}: {out}{}",
                child.stderr()
            ));
        }
        sleep(Duration::from_millis(10));
    }
}

/// `done <ok> <failed> <status>=<count>...`
pub fn parse_done(line: &str) -> Result<(u64, u64, BTreeMap<String, u64>), String> {
    let mut words = line.split_whitespace().skip(1);
    let number = |w: Option<&str>| -> Result<u64, String> {
        w.and_then(|w| w.parse().ok())
            .ok_or_else(|| format!("bad result line {line:?}"))
    };
    let ok = number(words.next())?;
    let failed = number(words.next())?;
    let statuses = words
        .filter_map(|w| w.split_once('='))
        .filter_map(|(k, v)| Some((k.to_owned(), v.parse().ok()?)))
        .collect();
    Ok((ok, failed, statuses))
}

/// Starts the idle-connection holder and waits until its `n` connections are open.
fn hold(lab: &Lab, to: SocketAddr, ca: &TestCa, n: usize) -> Result<LabChild, String> {
    let script = sbc_lab::netio::netio_script().with_file_name("idle_conns.py");
    let python = python().map_err(|e| e.to_string())?;
    let argv = [
        python.display().to_string(),
        script.display().to_string(),
        "tls".to_owned(),
        format!("--to={to}"),
        format!("--count={n}"),
        format!("--ca={}", ca.ca_path().display()),
    ];
    let child = lab.spawn(Ns::Carrier, &argv).map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let out = child.stdout();
        if out.contains("ready") {
            return Ok(child);
        }
        if out.contains("error") || Instant::now() > deadline {
            return Err(format!("idle_conns.py: {out}{}", child.stderr()));
        }
        sleep(Duration::from_millis(100));
    }
}

/// A client configuration trusting `ca` (PEM), without session resumption: every
/// connection pays a full handshake, as a fresh peer or a reconnecting one does.
pub fn tls_client_config(ca: &str) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).map_err(|e| format!("{ca}: {e}"))? {
        let cert = cert.map_err(|e| format!("{ca}: {e}"))?;
        roots.add(cert).map_err(|e| format!("{ca}: {e}"))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.resumption = rustls::client::Resumption::disabled();
    Ok(Arc::new(config))
}
