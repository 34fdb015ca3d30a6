//! Start-up, signals and reload.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use sbc_config::Config;
use sbc_core::Transport;
use sbc_sip::Limits;
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{Semaphore, mpsc};
use tracing::{error, info, warn};

use crate::core::{Control, Core};
use crate::relay::{self, RelayConfig};
use crate::transport::{
    CORE_QUEUE, Connector, Ingest, KEEPALIVE_INTERVAL, Outbound, StreamCtx, TlsClients,
    server_config, tcp, tls, udp,
};

/// Runs the daemon until SIGTERM or SIGINT.
pub fn run(path: &Path) -> anyhow::Result<()> {
    let config = match Config::load(path) {
        Ok(c) => c,
        Err(errors) => {
            for e in errors.iter() {
                error!("{}: {e}", path.display());
            }
            bail!(
                "{}: {} configuration error(s); not starting",
                path.display(),
                errors.len()
            );
        }
    };
    match crate::rlimit::raise_open_files() {
        Ok(n) => info!(open_files = n, "open-file limit"),
        Err(e) => warn!("open-file limit not raised: {e}"),
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("sbc")
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(path, config))
}

async fn serve(path: &Path, config: Config) -> anyhow::Result<()> {
    if config.firewall().enabled {
        // No silent fallback: an operator who asked for a firewall must not get none.
        bail!(
            "[firewall] enabled = true, but this build cannot program nftables yet; \
             set [firewall] enabled = false to run without it"
        );
    }
    warn!("firewall disabled by config ([firewall] enabled = false): nftables is not touched");
    let ingest = Arc::new(Ingest {
        limits: Limits {
            max_message_size: config.sip().max_message_size,
            max_headers: config.sip().max_headers,
        },
        agent: config.system().name.clone(),
    });
    let (inbound_tx, inbound_rx) = mpsc::channel(CORE_QUEUE);
    let mut udp_sockets = HashMap::new();
    let slots = Arc::new(Semaphore::new(tcp::MAX_CONNECTIONS));
    let streams = StreamCtx {
        ingest: ingest.clone(),
        core: inbound_tx.clone(),
    };
    // Trunks' TLS client side (CAs, client certificates): a bad file refuses start-up.
    let tls_clients = Arc::new(TlsClients::from_config(&config)?);
    for realm in config.realms() {
        for l in &realm.listen {
            match l.transport {
                Transport::Udp => {
                    let socket = Arc::new(
                        udp::bind(l.addr)
                            .with_context(|| format!("realm {}: binding {l}", realm.name))?,
                    );
                    udp_sockets.insert(l.addr, socket.clone());
                    tokio::spawn(udp::serve(
                        socket,
                        l.addr,
                        ingest.clone(),
                        inbound_tx.clone(),
                    ));
                }
                Transport::Tcp => {
                    let listener = TcpListener::bind(l.addr)
                        .await
                        .with_context(|| format!("realm {}: binding {l}", realm.name))?;
                    tokio::spawn(tcp::serve(listener, l.addr, streams.clone(), slots.clone()));
                }
                Transport::Tls => {
                    let config = server_config(realm)
                        .with_context(|| format!("realm {}: TLS certificate", realm.name))?;
                    let listener = TcpListener::bind(l.addr)
                        .await
                        .with_context(|| format!("realm {}: binding {l}", realm.name))?;
                    let (ctx, slots) = (streams.clone(), slots.clone());
                    tokio::spawn(tls::serve(listener, l.addr, config, ctx, slots));
                }
            }
            info!(realm = %realm.name, "listening on {l}");
        }
    }
    let (control_tx, control_rx) = mpsc::channel(8);
    let outbound = Outbound::new(udp_sockets).with_connector(Connector {
        ctx: streams,
        tls: tls_clients,
        slots,
        keepalive: KEEPALIVE_INTERVAL,
    });
    // Media plane: worker threads owning the RTP/RTCP sockets (see relay/mod.rs). The core
    // sends MediaOps through `relay.handle()` and receives MediaEvents from `media_events`.
    let (relay, media_events) =
        relay::start(RelayConfig::default()).context("starting the media workers")?;
    let core = Core::new(Arc::new(config), outbound, relay.handle());
    let core_task = tokio::spawn(core.run(inbound_rx, control_rx, media_events));
    info!(config = %path.display(), "sbc started");

    signals(path, &control_tx).await?;
    let _ = control_tx.send(Control::Shutdown).await;
    let _ = core_task.await;
    relay.shutdown();
    info!("sbc stopped");
    Ok(())
}

/// Waits for SIGTERM/SIGINT; reloads on SIGHUP.
async fn signals(path: &Path, control: &mpsc::Sender<Control>) -> anyhow::Result<()> {
    let mut term = signal(SignalKind::terminate()).context("installing SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("installing SIGINT handler")?;
    let mut hup = signal(SignalKind::hangup()).context("installing SIGHUP handler")?;
    loop {
        tokio::select! {
            _ = term.recv() => { info!("SIGTERM: stopping"); return Ok(()); }
            _ = int.recv() => { info!("SIGINT: stopping"); return Ok(()); }
            _ = hup.recv() => reload(path, control).await,
        }
    }
}

async fn reload(path: &Path, control: &mpsc::Sender<Control>) {
    info!(config = %path.display(), "SIGHUP: reloading configuration");
    match Config::load(path) {
        Ok(new) => {
            let _ = control.send(Control::Reload(Arc::new(new))).await;
        }
        Err(errors) => {
            for e in errors.iter() {
                error!("{}: {e}", path.display());
            }
            error!(
                "{}: {} error(s); reload refused, the running configuration stays",
                path.display(),
                errors.len()
            );
        }
    }
}

/// Listener sets of two configs, to tell the operator what a reload cannot change live.
pub fn listeners(config: &Config) -> Vec<(Transport, SocketAddr)> {
    let mut v: Vec<_> = config
        .realms()
        .iter()
        .flat_map(|r| r.listen.iter().map(|l| (l.transport, l.addr)))
        .collect();
    v.sort();
    v
}
