//! `sbc`: the Edge SBC daemon.
//!
//! This is the only crate that owns sockets, clocks, threads and signals. Its run loop:
//!
//! 1. [`run`] loads and validates the config, installs the SBC's nftables table
//!    ([`firewall`]; refusing to start if it is enabled but cannot be installed), binds
//!    every realm's listeners ([`transport`]), and starts the [`core`] task.
//! 2. Listener tasks read datagrams and streams, frame and parse them, answer what the
//!    parser refuses (400/505/513 with a Warning) and pass good messages to the core.
//! 3. The core task owns the sans-IO engine (transactions and B2BUA), the request
//!    policy ([`policy`]), registrations and trunk health, and the media hook
//!    (`sbc_session::MediaHook`) that rewrites SDP and sends `MediaOp`s to the media workers
//!    ([`relay`]), and the firewall guard (media pinholes and bans, written to the
//!    kernel over netlink). It feeds messages and time in, and writes what comes out to
//!    the sockets. A single task owns all SIP state, so nothing in it is locked.
//! 4. SIGTERM/SIGINT stop the daemon (and remove its nftables table); SIGHUP re-reads
//!    the config file and, when it is valid and its firewall ruleset is accepted, swaps
//!    it in for new requests (a bad file is refused with every error logged, and the
//!    running config stays).

mod check;
mod cli;
mod core;
mod dtmf;
mod firewall;
mod gate;
mod ids;
mod logging;
mod mgmt;
mod policy;
mod registrations;
mod relay;
mod rlimit;
mod run;
mod transport;
mod trunks;

use std::process::ExitCode;

fn main() -> ExitCode {
    let command = match cli::parse(std::env::args().skip(1)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sbc: {e}");
            return ExitCode::from(2);
        }
    };
    match command {
        cli::Command::CheckConfig { config } => check::run(&config),
        cli::Command::Run { config } => {
            logging::init();
            match run::run(&config) {
                Ok(()) if mgmt::restart_requested() => {
                    tracing::error!("{:#}", mgmt::exec_self());
                    ExitCode::FAILURE
                }
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!("{e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        cli::Command::MediaHarness { args } => {
            logging::init();
            match relay::harness::run(&args) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!("{e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        cli::Command::Version => {
            eprintln!("sbc {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        cli::Command::Help => {
            eprintln!("{}", cli::USAGE);
            ExitCode::SUCCESS
        }
    }
}
