//! `sbc`: the Edge SBC daemon (the library of the binary `sbc`).
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
//!
//! On the appliance the daemon is a systemd service: `READY=1`, `STATUS=` and the watchdog
//! (petted only while the core task and every media worker tick, [`liveness`]) go over
//! systemd's notification socket (`service`, `notify`). Listeners and media addresses may
//! name an interface (`udp:eth0:5060`), looked up in this host's addresses (`ifaddrs`).
//! Two more commands serve the appliance: `sbc health` ([`health`]: OPTIONS to every
//! listener, HTTPS, the nftables table; decides whether an updated slot is kept) and
//! `sbc network` ([`netconf`]: the privileged helper applying network settings with a
//! 60 s confirm-or-revert; run as root by systemd, never by the daemon).
//!
//! The binary (`src/main.rs`) is only the command line; `sbc-media-harness`
//! (`src/bin/sbc-media-harness.rs`) is a developer tool built beside it and never shipped:
//! the media workers of [`relay`] driven by text ops, for the lab tests and the media bench.

// These docs are the daemon's manual: they link its private modules (the library exists
// for the two binaries, not for other crates). Broken links are still errors.
#![allow(rustdoc::private_intra_doc_links)]

pub mod check;
pub mod cli;
mod core;
pub mod dns;
mod drain;
mod dtmf;
mod firewall;
mod gate;
pub mod health;
pub mod hep;
mod ids;
mod ifaddrs;
pub mod liveness;
pub mod logging;
mod mgmt;
pub mod netconf;
mod notify;
pub mod observe;
mod own_options;
mod policy;
#[cfg(test)]
mod policy_tests;
mod registrations;
pub mod relay;
mod rewrite;
mod rlimit;
pub mod run;
mod service;
mod transfer;
#[cfg(test)]
mod transfer_screen_tests;
mod transport;
mod trunks;

pub use mgmt::{exec_self, restart_requested};
