//! Start-up, signals and reload.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use sbc_config::Config;
use sbc_core::Transport;
use sbc_firewall::Firewall;
use sbc_mgmt::live::Command as MgmtCommand;
use sbc_sip::Limits;
use tokio::net::TcpListener;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::{Semaphore, mpsc};
use tracing::{error, info, warn};

use crate::core::{Control, Core};
use crate::firewall::Guard;
use crate::liveness::Beat;
use crate::relay::{self, RelayConfig};
use crate::service::Service;
use crate::transport::{
    CORE_QUEUE, Connector, Ingest, KEEPALIVE_INTERVAL, Outbound, ServerIdentities, StreamCtx,
    TlsClients, server_config, tcp, tls, udp,
};

/// Runs the daemon until SIGTERM or SIGINT.
pub fn run(path: &Path) -> anyhow::Result<()> {
    let config = match Config::load_with(path, &crate::ifaddrs::read_or_empty()) {
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
        Ok(n) => {
            info!(open_files = n, "open-file limit");
            let connections = config.sip().max_connections as u64;
            if n < connections + 1024 {
                warn!(
                    open_files = n,
                    "sip.max_connections = {connections} does not fit the open-file limit: \
                     connections past about {} will fail to open",
                    n.saturating_sub(1024)
                );
            }
        }
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
    // Signal handlers first: a SIGTERM during start-up (certificate generation, binding)
    // must take the clean path that removes our nftables table, not the default action.
    let signals = Signals::install()?;
    let service = Service::from_env();
    service.status("starting: firewall");
    // No silent fallback: an operator who asked for a firewall gets one or no daemon.
    let mut firewall = crate::firewall::start(&config)?;
    let served = serve_with(path, config, &mut firewall, signals, &service).await;
    service.stopping();
    if let Some(fw) = firewall {
        let table = fw.table().to_owned();
        match fw.shutdown() {
            Ok(()) => info!("firewall: table inet {table} removed"),
            Err(e) => error!("firewall: removing table inet {table}: {e}"),
        }
    }
    served
}

async fn serve_with(
    path: &Path,
    config: Config,
    firewall: &mut Option<Firewall>,
    signals: Signals,
    service: &Service,
) -> anyhow::Result<()> {
    service.status("starting: listeners");
    let elements = match firewall.as_ref() {
        Some(fw) => Some(
            fw.elements()
                .context("firewall: opening the netlink socket")?,
        ),
        None => None,
    };
    let guard = Guard::new(elements, &config);
    let ingest = Arc::new(Ingest {
        limits: Limits {
            max_message_size: config.sip().max_message_size,
            max_headers: config.sip().max_headers,
        },
        agent: config.system().name.clone(),
    });
    let (inbound_tx, inbound_rx) = mpsc::channel(CORE_QUEUE);
    let mut udp_sockets = HashMap::new();
    let mut identities = ServerIdentities::default();
    let slots = Arc::new(Semaphore::new(config.sip().max_connections));
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
                    let config = server_config(realm).map_err(|e| match e {
                        // The key to blame is the domain, not the certificate file.
                        e @ crate::transport::TlsSetupError::DomainNotInCertificate { .. } => {
                            let i = config
                                .realms()
                                .iter()
                                .position(|r| r.name == realm.name)
                                .unwrap_or(0);
                            anyhow::anyhow!("realm[{i}].domain: {e}")
                        }
                        e => anyhow::Error::new(e)
                            .context(format!("realm {}: TLS certificate", realm.name)),
                    })?;
                    let listener = TcpListener::bind(l.addr)
                        .await
                        .with_context(|| format!("realm {}: binding {l}", realm.name))?;
                    let (ctx, slots) = (streams.clone(), slots.clone());
                    let live = identities.add(l.addr, config);
                    tokio::spawn(tls::serve(listener, l.addr, live, ctx, slots));
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
    let mut relay_config = RelayConfig::from_settings(config.media())
        .with_fast_path_table(crate::firewall::fast_path_table(&config))
        .with_forwarding_memo(config.system().state_dir.join("fastpath-forwarding"));
    // Prometheus (`[metrics]`): the workers publish their totals only when it is on.
    let board = config
        .metrics()
        .map(|_| Arc::new(crate::observe::media::MediaBoard::new(relay_config.workers)));
    relay_config.board = board.clone();
    // HEP (`[hep]`): the workers copy RTCP reports to the core only when it is on.
    let (hep_rtcp_tx, hep_rtcp_rx) = match config.hep() {
        Some(_) => {
            let (tx, rx) = crate::hep::rtcp::channel();
            (Some(tx), Some(rx))
        }
        None => (None, None),
    };
    relay_config.hep_rtcp = hep_rtcp_tx;
    let (relay, media_events) = relay::start(relay_config).context("starting the media workers")?;
    // Trunk names resolve in the background; the core and the firewall run on the
    // effective configuration (the file's, names replaced by their addresses).
    let file_config = Arc::new(config);
    let mut names = crate::dns::apply::Names::start(file_config.clone());
    let config = names.effective();
    names.applied();
    // Management (HTTPS UI and API): its snapshot is fed by the core, its commands are
    // handled in `signals` (applying a saved config takes the SIGHUP path).
    let mgmt = crate::mgmt::start(path, file_config).await?;
    let snapshots = mgmt.live.snapshot.subscribe();
    let core_beat = Beat::new("the core task");
    let listening = listeners(&config).len();
    let management = config.management().listen;
    let metrics = match board {
        Some(board) => crate::observe::start(&config, board).await?,
        None => None,
    };
    let (metrics_task, report) = match metrics {
        Some((task, report)) => (Some(task), Some(report)),
        None => (None, None),
    };
    let config_state_dir = config.system().state_dir.clone();
    let hep = config
        .hep()
        .map(|h| (crate::hep::HepTap::start(h, hep_rtcp_rx), h.collector, h.id));
    let mut core = Core::new(config, outbound, relay.handle(), guard)
        .with_live(mgmt.live.snapshot, mgmt.live.demand)
        .with_beat(core_beat.clone());
    if let Some(report) = report {
        core = core.with_report(report);
    }
    let cdrs = crate::observe::cdr_file::CdrSink::start(
        &config_state_dir,
        crate::observe::cdr_file::Rotation::default(),
    )
    .context("starting the CDR writer")?;
    core = core.with_cdrs(cdrs);
    if let Some((tap, collector, id)) = hep {
        info!(%collector, id, "HEP capture on");
        core = core.with_hep(tap);
    }
    let core_task = tokio::spawn(core.run(inbound_rx, control_rx, media_events));
    info!(config = %path.display(), "sbc started");
    let mut beats = relay.beats();
    beats.push(core_beat);
    let watchdog = service.watchdog(beats);
    service.ready(&format!(
        "serving: {listening} SIP listeners, management on https://{management}/"
    ));

    let live = Live {
        path,
        control: &control_tx,
        identities: &identities,
        service,
    };
    let dns = Dns {
        names: &mut names,
        snapshots,
    };
    let stopped = wait_for_signals(signals, &live, firewall, mgmt.live.commands, dns).await;
    if let Some(w) = watchdog {
        w.abort();
    }
    mgmt.task.abort();
    if let Some(task) = metrics_task {
        task.abort();
    }
    stopped?;
    let _ = control_tx.send(Control::Shutdown).await;
    let _ = core_task.await;
    relay.shutdown();
    info!("sbc stopped");
    Ok(())
}

/// What applying a configuration to the running daemon reaches: the file (for log lines),
/// the core task, and the TLS listeners' certificates.
#[derive(Debug)]
pub struct Live<'a> {
    pub path: &'a Path,
    pub control: &'a mpsc::Sender<Control>,
    pub identities: &'a ServerIdentities,
    /// systemd: RELOADING=1 / READY=1 around a reload.
    pub service: &'a Service,
}

/// The daemon's signal streams, installed before anything else starts.
struct Signals {
    term: Signal,
    int: Signal,
    hup: Signal,
}

impl Signals {
    fn install() -> anyhow::Result<Self> {
        Ok(Signals {
            term: signal(SignalKind::terminate()).context("installing SIGTERM handler")?,
            int: signal(SignalKind::interrupt()).context("installing SIGINT handler")?,
            hup: signal(SignalKind::hangup()).context("installing SIGHUP handler")?,
        })
    }
}

/// Resolution of trunk names, as the signal loop sees it.
struct Dns<'a> {
    names: &'a mut crate::dns::apply::Names,
    /// The live views (calls in progress per trunk: retired addresses stay until none).
    snapshots: tokio::sync::watch::Receiver<sbc_mgmt::live::Snapshot>,
}

impl Dns<'_> {
    fn active(&self) -> HashMap<String, u64> {
        self.snapshots
            .borrow()
            .trunks
            .iter()
            .map(|t| (t.name.clone(), t.active_calls))
            .collect()
    }
}

/// How often retired addresses are checked for calls still using them.
const RETIRED_CHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// A new effective configuration from the resolver: the firewall follows when addresses
/// changed, the core takes it (targets, identification, TLS clients, health checks).
async fn apply_resolved(
    live: &Live<'_>,
    firewall: &mut Option<Firewall>,
    config: Arc<Config>,
    addresses_changed: bool,
) {
    if addresses_changed {
        if let Err(e) = crate::firewall::reload(firewall, &config) {
            error!("DNS: the firewall did not take the resolved addresses: {e:#}");
        }
    }
    let _ = live.control.send(Control::Resolved(config)).await;
}

/// Waits for SIGTERM/SIGINT; reloads on SIGHUP.
async fn wait_for_signals(
    signals: Signals,
    live: &Live<'_>,
    firewall: &mut Option<Firewall>,
    mut mgmt: mpsc::Receiver<MgmtCommand>,
    dns: Dns<'_>,
) -> anyhow::Result<()> {
    let mut retired_check = tokio::time::interval(RETIRED_CHECK);
    let (path, control) = (live.path, live.control);
    let Signals {
        mut term,
        mut int,
        mut hup,
    } = signals;
    loop {
        tokio::select! {
            _ = term.recv() => { info!("SIGTERM: stopping"); return Ok(()); }
            _ = int.recv() => { info!("SIGINT: stopping"); return Ok(()); }
            _ = hup.recv() => reload(live, firewall, dns.names).await,
            Some(resolved) = dns.names.updates.recv() => {
                let active = dns.active();
                let (config, changed) = dns.names.update(resolved, &active);
                apply_resolved(live, firewall, config, changed).await;
            }
            _ = retired_check.tick() => {
                let active = dns.active();
                if let Some(config) = dns.names.expire_retired(&active) {
                    apply_resolved(live, firewall, config, true).await;
                }
            }
            Some(command) = mgmt.recv() => match command {
                MgmtCommand::Apply { config, reply } => {
                    info!(config = %path.display(), "management: applying a configuration");
                    let effective = dns.names.effective_of(&config);
                    let applied = crate::mgmt::apply::apply(live, firewall, effective).await;
                    if applied.is_ok() {
                        dns.names.set_file(config);
                        dns.names.applied();
                    }
                    // Management saves the file only on Ok: the file stays what runs.
                    let _ = reply.send(applied);
                }
                MgmtCommand::Unban { address, reply } => {
                    let _ = control.send(Control::Unban { address, reply }).await;
                }
                MgmtCommand::Drain { drain, reply } => {
                    let _ = control.send(Control::Drain { drain, reply }).await;
                }
                MgmtCommand::Ladder { call, media, reply } => {
                    let _ = control.send(Control::Ladder { call, media, reply }).await;
                }
                MgmtCommand::Capture { call, on, reply } => {
                    let _ = control.send(Control::Capture { call, on, reply }).await;
                }
                MgmtCommand::Restart => {
                    info!("management: restarting");
                    crate::mgmt::request_restart();
                    return Ok(());
                }
            },
        }
    }
}

async fn reload(
    live: &Live<'_>,
    firewall: &mut Option<Firewall>,
    names: &mut crate::dns::apply::Names,
) {
    let path = live.path;
    info!(config = %path.display(), "SIGHUP: reloading configuration");
    live.service.reloading();
    reload_file(live, firewall, names).await;
    live.service.ready("serving (configuration reloaded)");
}

async fn reload_file(
    live: &Live<'_>,
    firewall: &mut Option<Firewall>,
    names: &mut crate::dns::apply::Names,
) {
    let path = live.path;
    match Config::load_with(path, &crate::ifaddrs::read_or_empty()) {
        Ok(new) => {
            // The same checks as a change through management (TLS files, ruleset);
            // the error is logged there. Names keep what they resolved to.
            let new = Arc::new(new);
            let effective = names.effective_of(&new);
            if crate::mgmt::apply::apply(live, firewall, effective)
                .await
                .is_ok()
            {
                names.set_file(new);
                names.applied();
            }
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
