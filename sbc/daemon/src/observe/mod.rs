//! Observation: the numbers the SBC keeps about itself, in one place, and the Prometheus
//! endpoint that exports them.
//!
//! Each core counts what passes through it, in its own task, with plain integers:
//!
//! * the core task: SIP messages and responses per realm and direction ([`sip`]), calls
//!   per trunk pair and result, calls in progress and setup time ([`calls`]), latches,
//!   trunk health, registrations and bans; once a second it publishes a copy
//!   ([`report::CoreReport`]) on a watch channel;
//! * each media worker: packets and bytes per media address, kind and path, drops per
//!   reason ([`media`]), published into its slot of the [`media::MediaBoard`] once a
//!   second;
//! * the process: CPU, memory, descriptors ([`process`], read at scrape time).
//!
//! Call quality (MOS, loss, jitter, round trip per stream side, from the media plane's
//! stats) becomes live-view fields, CDR fields and histograms in [`quality`].
//!
//! The calls and streams the web UI lists live here too ([`views`]), made into the
//! management snapshot from the same once-a-second reading as the metrics report
//! ([`observer`]).
//!
//! The core task also gathers each call's record ([`cdr`]) and hands the finished line to
//! the CDR writer thread ([`cdr_file`]): `<state_dir>/cdr.jsonl`, rotated by size. It keeps
//! every SIP message of live and recently ended calls ([`ladder`]) for the web UI's ladder
//! and pcap download. Every copy of a SIP message that leaves the call path (ladders, pcaps,
//! HEP) goes through [`redact`]: its SRTP keys masked always, its DTMF digits unless the
//! call shows them.
//!
//! [`server`] answers `GET /metrics` on `[metrics] listen` for clients in `[metrics]
//! allow`, rendering ([`metrics`]) those copies in the text format ([`exposition`]). A
//! scrape never reaches into a core: it reads the last copies, so a slow or stuck scraper
//! cannot slow calls. Without a `[metrics]` section nothing listens and the workers
//! publish nothing.

pub mod call_log;
pub mod calls;
pub mod cdr;
pub mod cdr_file;
pub mod exposition;
pub mod gauges;
mod ice_view;
pub mod ladder;
pub mod media;
pub mod metrics;
pub mod observer;
pub mod process;
pub mod quality;
pub mod redact;
pub mod report;
pub mod server;
pub mod sip;
pub mod views;

use std::sync::Arc;

use anyhow::Context;
use sbc_config::Config;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::info;

/// The core's end of the report channel.
pub type ReportSender = watch::Sender<Option<Arc<report::CoreReport>>>;

/// Binds `[metrics] listen` and serves it; `None` without a `[metrics]` section. The
/// returned sender is the core's (it publishes a report once a second).
pub async fn start(
    config: &Arc<Config>,
    media: Arc<media::MediaBoard>,
) -> anyhow::Result<Option<(JoinHandle<()>, ReportSender)>> {
    let Some(m) = config.metrics() else {
        return Ok(None);
    };
    let listener = TcpListener::bind(m.listen)
        .await
        .with_context(|| format!("metrics: binding {}", m.listen))?;
    info!("metrics on http://{}/metrics", m.listen);
    let (tx, rx) = watch::channel(None);
    let task = tokio::spawn(server::serve(
        listener,
        server::Sources {
            core: rx,
            config: config.clone(),
            media,
        },
    ));
    Ok(Some((task, tx)))
}
