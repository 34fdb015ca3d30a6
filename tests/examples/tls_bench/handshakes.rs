//! The handshake load: client threads that each loop connect, full TLS handshake (no
//! resumption), one OPTIONS, its answer, close_notify, close.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use rustls::pki_types::ServerName;
use sbc_lab::topology::CARRIER_IP;

use crate::tls_client_config;

/// `handshake-client TO CA THREADS WARMUP SECONDS`: runs in the carrier namespace; prints
/// `measuring` when the warm-up is over and `done <ok> <failed> <status>=<n>...` at the end.
pub fn run(args: &[String]) -> Result<(), String> {
    let [to, ca, threads, warm_up, seconds] = args else {
        return Err("usage: handshake-client TO CA THREADS WARMUP SECONDS".into());
    };
    let to: SocketAddr = to.parse().map_err(|_| format!("bad address {to}"))?;
    let threads: usize = threads.parse().map_err(|_| "bad thread count")?;
    let warm_up = Duration::from_secs(warm_up.parse().map_err(|_| "bad warm-up")?);
    let seconds = Duration::from_secs(seconds.parse().map_err(|_| "bad seconds")?);
    let config = tls_client_config(ca)?;

    let counting = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let statuses = Arc::new(std::sync::Mutex::new(BTreeMap::<String, u64>::new()));
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (config, counting, stop) = (config.clone(), counting.clone(), stop.clone());
            let (ok, failed, statuses) = (ok.clone(), failed.clone(), statuses.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let outcome = one_exchange(&config, to, t, n);
                    if !counting.load(Ordering::Relaxed) {
                        continue;
                    }
                    match outcome {
                        Ok(status) => {
                            ok.fetch_add(1, Ordering::Relaxed);
                            if let Ok(mut s) = statuses.lock() {
                                *s.entry(status).or_default() += 1;
                            }
                        }
                        Err(_) => {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(warm_up);
    counting.store(true, Ordering::Relaxed);
    println!("measuring");
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    std::thread::sleep(seconds);
    counting.store(false, Ordering::Relaxed);
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    let statuses = statuses.lock().map(|s| s.clone()).unwrap_or_default();
    let statuses: Vec<String> = statuses.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!("done {ok} {failed} {}", statuses.join(" "));
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        let _ = w.join();
    }
    Ok(())
}

/// One connection: handshake, OPTIONS, the answer's status code, close.
fn one_exchange(
    config: &Arc<rustls::ClientConfig>,
    to: SocketAddr,
    thread: usize,
    n: u64,
) -> Result<String, String> {
    let tcp = TcpStream::connect_timeout(&to, Duration::from_secs(5)).map_err(|e| e.to_string())?;
    tcp.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    let _ = tcp.set_nodelay(true);
    let local = tcp.local_addr().map_err(|e| e.to_string())?;
    let name = ServerName::IpAddress(to.ip().into());
    let conn = rustls::ClientConnection::new(config.clone(), name).map_err(|e| e.to_string())?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let request = format!(
        "OPTIONS sip:{ip}:{port};transport=tls SIP/2.0\r\n\
         Via: SIP/2.0/TLS {local};branch=z9hG4bK-tls-{thread}-{n};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:bench@{carrier}>;tag=t{thread}x{n}\r\n\
         To: <sip:{ip}>\r\n\
         Call-ID: tlsbench-{thread}-{n}@{carrier}\r\n\
         CSeq: 1 OPTIONS\r\n\
         Contact: <sip:bench@{local};transport=tls>\r\n\
         Content-Length: 0\r\n\r\n",
        ip = to.ip(),
        port = to.port(),
        carrier = CARRIER_IP,
    );
    tls.write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut answer = Vec::with_capacity(1024);
    let mut buf = [0u8; 2048];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let got = tls.read(&mut buf).map_err(|e| e.to_string())?;
        if got == 0 {
            return Err("closed before the answer".into());
        }
        answer.extend_from_slice(&buf[..got]);
        if answer.len() > 64 * 1024 {
            return Err("answer too long".into());
        }
    }
    let status = String::from_utf8_lossy(&answer)
        .split_whitespace()
        .nth(1)
        .unwrap_or("?")
        .to_owned();
    tls.conn.send_close_notify();
    let _ = tls.flush();
    Ok(status)
}
