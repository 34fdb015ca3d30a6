//! The network-namespace test lab of the Edge SBC.
//!
//! Integration tests (in `tests/tests/`) run the real `sbc` binary in a topology of network
//! namespaces joined by veth pairs, against real peers:
//!
//! ```text
//!  carrier 10.91.1.2 ── 10.91.1.1 [sbc, ip_forward=0] 10.91.2.1 ── 10.91.2.2 pbx
//! ```
//!
//! * [`Lab::new`] builds the topology (unique namespace names per lab, so tests run in parallel)
//!   and removes it on drop, also when the test panics.
//! * [`Lab::start_sbc`] runs `target/release/sbc` (or `$SBC_BIN`) in the sbc namespace with a
//!   config such as [`standard_config`] and waits until its listeners are open.
//! * [`Lab::sipp`] runs sipp scenarios from `tests/scenarios/` ([`Lab::echo_call`]: the
//!   transcoding tests' call of a carrier to a PBX that echoes); [`Lab::udp_burst`],
//!   [`Lab::tcp_exchange`] and [`Lab::send_datagram_and_collect`] send raw bytes.
//! * Other real peers: [`Lab::start_kamailio`] (a record-routing proxy: registrar in front of
//!   a PBX, or a carrier's edge; [`Lab::start_kamailio_tls`]: a TLS server on OpenSSL, the
//!   reference of `scripts/bench/tls`), [`Lab::start_phone`] (baresip, registering and answering);
//!   [`Lab::capture_udp`] records what crossed an interface (tcpdump) for topology scans.
//! * [`BrowserTest`] runs the web UI's end-to-end script (playwright-core and Debian's
//!   chromium) in the sbc namespace against the daemon's management listener.
//! * Everything a lab writes lives in a scratch directory that is kept under
//!   `tests/artifacts/<test-name>/` when the test fails.
//!
//! The lab needs root; without it [`Lab::new`] fails with a message saying so. The binary is
//! not built by the tests: run `cargo build --release` first (scripts/test does).

pub mod artifacts;
pub mod baresip;
pub mod capture;
pub mod child;
pub mod cmd;
pub mod config;
pub mod dns;
pub mod dtmf_tool;
pub mod echo_call;
pub mod error;
pub mod kamailio;
pub mod kamailio_tls;
pub mod lab;
pub mod linphone;
pub mod listeners;
pub mod media_call;
pub mod media_harness;
pub mod messages;
pub mod mgmt;
pub mod netio;
pub mod netns;
pub mod nft;
pub mod pki;
pub mod prng;
pub mod probe;
pub mod rtp;
pub mod sbc;
pub mod sipp;
pub mod teams;
pub mod tls_ua;
pub mod tone;
pub mod topology;
pub mod webui;

pub use artifacts::Artifacts;
pub use child::LabChild;
pub use config::{StandardConfig, standard_config};
pub use echo_call::{EchoCall, EchoOutcome};
pub use error::{LabError, Result};
pub use lab::Lab;
pub use mgmt::Mgmt;
pub use netio::{Datagram, TcpEnd, TcpOutcome, TcpSession, UdpBurst};
pub use pki::{CertFiles, TestCa};
pub use prng::Prng;
pub use sbc::{SbcProcess, Signal};
pub use sipp::{RunningSipp, Sipp, SippOutcome, SippTransport};
pub use topology::Ns;
pub use webui::BrowserTest;
