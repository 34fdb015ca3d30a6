//! Pinhole open/close throughput on the netlink path, next to `nft add element` per op.
//!
//! Run by `scripts/bench/firewall` inside a throwaway network namespace (it sets up and
//! removes its own table there). Prints one table: batched transactions, single-operation
//! transactions, and spawning `nft` per operation as the reference.
//!
//!   pinhole_bench [--ops N] [--batch B] [--single M] [--nft K]
#![allow(clippy::print_stdout)]

use std::net::{IpAddr, Ipv4Addr};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use sbc_firewall::{Cidr, Desired, Elements, Firewall, Hole, MediaRange, SipProto, SipService};

const LOCAL: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 10);
const TTL: Duration = Duration::from_secs(300);

struct Args {
    ops: u32,
    batch: u32,
    single: u32,
    nft: u32,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        ops: 200_000,
        batch: 256,
        single: 20_000,
        nft: 200,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let slot = match flag.as_str() {
            "--ops" => &mut a.ops,
            "--batch" => &mut a.batch,
            "--single" => &mut a.single,
            "--nft" => &mut a.nft,
            "-h" | "--help" => {
                return Err(
                    "usage: pinhole_bench [--ops N] [--batch B] [--single M] [--nft K]".into(),
                );
            }
            other => return Err(format!("unknown argument {other:?}")),
        };
        let v = it.next().ok_or(format!("{flag} needs a number"))?;
        *slot = v
            .parse()
            .map_err(|_| format!("{flag}: not a number: {v:?}"))?;
        if *slot == 0 {
            return Err(format!("{flag} must be at least 1"));
        }
    }
    Ok(a)
}

/// The i-th latched pinhole: a distinct remote per hole, local ports cycling.
fn hole(i: u32) -> Hole {
    let remote = Ipv4Addr::from(0x0a00_0000u32 | i);
    Hole::Peer {
        remote: IpAddr::V4(remote),
        ip: IpAddr::V4(LOCAL),
        port: 20000 + (i % 10000) as u16,
    }
}

fn desired() -> Desired {
    Desired {
        addresses: vec![IpAddr::V4(LOCAL)],
        sip: vec![SipService {
            proto: SipProto::Udp,
            addr: (LOCAL, 5060).into(),
            peers: vec![Cidr::host(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 20)))],
            open: true,
        }],
        media: vec![MediaRange {
            addr: IpAddr::V4(LOCAL),
            first: 20000,
            last: 29999,
        }],
        ..Desired::default()
    }
}

/// Runs `n` operations in transactions of `batch`; returns the elapsed time.
fn run(el: &mut Elements, n: u32, batch: u32, open: bool) -> Result<Duration, String> {
    let start = Instant::now();
    let mut i = 0;
    while i < n {
        let end = (i + batch).min(n);
        for k in i..end {
            if open {
                el.open(hole(k), TTL);
            } else {
                el.close(hole(k));
            }
        }
        el.flush().map_err(|e| e.to_string())?;
        i = end;
    }
    Ok(start.elapsed())
}

fn nft_elem(verb: &str, i: u32) -> Result<(), String> {
    let Hole::Peer { remote, ip, port } = hole(i) else {
        return Err("peer holes only".into());
    };
    let timeout = if verb == "add" { " timeout 300s" } else { "" };
    let elem = format!("{{ {remote} . {ip} . {port}{timeout} }}");
    let st = Command::new("nft")
        .args([verb, "element", "inet", "sbc", "pin4", &elem])
        .status()
        .map_err(|e| format!("nft: {e}"))?;
    if st.success() {
        Ok(())
    } else {
        Err(format!("nft {verb} element failed"))
    }
}

fn count(table: &str) -> Result<usize, String> {
    let out = Command::new("nft")
        .args(["-j", "list", "set", "inet", table, "pin4"])
        .output()
        .map_err(|e| format!("nft: {e}"))?;
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("nft -j output: {e}"))?;
    Ok(v["nftables"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o.get("set"))
        .map(|s| s["elem"].as_array().map_or(0, Vec::len))
        .sum())
}

fn row(name: &str, n: u32, open: Duration, close: Duration, reference: Option<f64>) -> f64 {
    let rate = |d: Duration| f64::from(n) / d.as_secs_f64().max(1e-9);
    let both = f64::from(2 * n) / (open + close).as_secs_f64().max(1e-9);
    let ratio = reference.map_or("1.0x (reference)".to_owned(), |r| {
        format!("{:.0}x", both / r)
    });
    println!(
        "{name:<28} {n:>8} {:>12.0} {:>12.0} {:>12.0}   {ratio}",
        rate(open),
        rate(close),
        both
    );
    both
}

fn bench(a: &Args) -> Result<(), String> {
    let fw = Firewall::setup(&desired()).map_err(|e| e.to_string())?;
    let mut el = fw.elements().map_err(|e| e.to_string())?;

    let nft_open = {
        let s = Instant::now();
        for i in 0..a.nft {
            nft_elem("add", i)?;
        }
        s.elapsed()
    };
    let nft_close = {
        let s = Instant::now();
        for i in 0..a.nft {
            nft_elem("delete", i)?;
        }
        s.elapsed()
    };
    let single_open = run(&mut el, a.single, 1, true)?;
    let single_close = run(&mut el, a.single, 1, false)?;
    let batch_open = run(&mut el, a.ops, a.batch, true)?;
    let in_kernel = count(fw.table())?;
    let batch_close = run(&mut el, a.ops, a.batch, false)?;
    let left = count(fw.table())?;
    fw.shutdown().map_err(|e| e.to_string())?;
    if in_kernel != a.ops as usize || left != 0 {
        return Err(format!(
            "kernel set held {in_kernel} elements after {} opens and {left} after the closes",
            a.ops
        ));
    }

    println!("pinhole operations per second (latched holes: remote . local ip . port, ttl 300 s)");
    println!(
        "kernel refreshes element timeouts in place: {} (if not, each open is sent as add, delete, add)",
        if el.refreshes_in_place() { "yes" } else { "no" }
    );
    println!(
        "{:<28} {:>8} {:>12} {:>12} {:>12}   vs nft",
        "path", "ops", "open/s", "close/s", "open+close/s"
    );
    let reference = row("nft add/delete element", a.nft, nft_open, nft_close, None);
    row(
        "netlink, 1 op/transaction",
        a.single,
        single_open,
        single_close,
        Some(reference),
    );
    row(
        &format!("netlink, {} ops/transaction", a.batch),
        a.ops,
        batch_open,
        batch_close,
        Some(reference),
    );
    println!(
        "verified: {in_kernel} elements in the kernel after the batched opens, {left} after the closes"
    );
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("pinhole_bench: {e}");
            return ExitCode::from(2);
        }
    };
    match bench(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pinhole_bench: {e}");
            let _ = Firewall::remove(&desired().table);
            ExitCode::FAILURE
        }
    }
}
