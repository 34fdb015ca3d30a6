//! The call load over TLS: one TLS connection from the carrier (as a carrier trunk has),
//! INVITE with SDP at a fixed rate, ACK on the 2xx, BYE after the hold, each call counted
//! good only when its BYE is answered 200. Requests from the server (a BYE, an OPTIONS)
//! are answered 200. Debian's sipp has no TLS, hence this client.
//!
//! `tls_bench call-client TO CA RATE SECONDS HOLD_MS` prints `done <ok> <failed> <reason>=<n>...`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use sbc_lab::topology::CARRIER_IP;

use crate::sipmsg::{Message, take_messages};
use crate::tls_client_config;

/// A call with no final answer (or BYE answer) this long after its request has failed.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug)]
enum State {
    Inviting,
    Up { dialog: Dialog },
    Bye,
}

/// What the 2xx told the caller: where in-dialog requests go.
#[derive(Debug, Clone)]
struct Dialog {
    to: String,
    target: String,
    routes: Vec<String>,
}

struct Client {
    tls: rustls::ClientConnection,
    tcp: TcpStream,
    local: SocketAddr,
    to: SocketAddr,
    calls: HashMap<u64, State>,
    /// Calls by when their BYE is due, and requests by when they were sent, oldest first
    /// (holds and timeouts are fixed, so pushing at the back keeps them in order): each
    /// turn looks only at the front, never at every call in progress.
    byes_due: VecDeque<(Instant, u64)>,
    invites_sent: VecDeque<(Instant, u64)>,
    byes_sent: VecDeque<(Instant, u64)>,
    ok: u64,
    failed: BTreeMap<String, u64>,
    inbox: Vec<u8>,
}

pub fn run(args: &[String]) -> Result<(), String> {
    let [to, ca, rate, seconds, hold_ms] = args else {
        return Err("usage: call-client TO CA RATE SECONDS HOLD_MS".into());
    };
    let to: SocketAddr = to.parse().map_err(|_| format!("bad address {to}"))?;
    let rate: f64 = rate.parse().map_err(|_| "bad rate")?;
    let seconds: f64 = seconds.parse().map_err(|_| "bad seconds")?;
    let hold = Duration::from_millis(hold_ms.parse().map_err(|_| "bad hold")?);
    let config = tls_client_config(ca)?;
    let tcp = TcpStream::connect_timeout(&to, Duration::from_secs(5)).map_err(|e| e.to_string())?;
    let _ = tcp.set_nodelay(true);
    let local = tcp.local_addr().map_err(|e| e.to_string())?;
    let name = ServerName::IpAddress(to.ip().into());
    let mut tls = rustls::ClientConnection::new(config, name).map_err(|e| e.to_string())?;
    let mut tcp = tcp;
    while tls.is_handshaking() {
        tls.complete_io(&mut tcp)
            .map_err(|e| format!("handshake: {e}"))?;
    }
    tcp.set_nonblocking(true).map_err(|e| e.to_string())?;
    // Messages are queued whole and flushed every loop turn: no cap on what waits.
    tls.set_buffer_limit(None);
    let mut client = Client {
        tls,
        tcp,
        local,
        to,
        calls: HashMap::new(),
        byes_due: VecDeque::new(),
        invites_sent: VecDeque::new(),
        byes_sent: VecDeque::new(),
        ok: 0,
        failed: BTreeMap::new(),
        inbox: Vec::new(),
    };
    let total = (rate * seconds).round() as u64;
    let interval = Duration::from_secs_f64(1.0 / rate.max(0.001));
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds) + hold + ANSWER_TIMEOUT * 2;
    let mut started = 0u64;
    println!("running {total}");
    let _ = std::io::stdout().flush();
    let mut lost = None;
    while Instant::now() < deadline && (started < total || !client.calls.is_empty()) {
        let now = Instant::now();
        let turn = (|| {
            while started < total && start + interval.mul_f64(started as f64) <= now {
                client.invite(started, now)?;
                started += 1;
            }
            client.tick(now, hold)?;
            client.pump(hold)
        })();
        match turn {
            Ok(true) => {}
            Ok(false) => std::thread::sleep(Duration::from_micros(300)),
            Err(e) => {
                // The connection is gone: what is in progress and what was not started
                // are failed calls, with the reason.
                lost = Some(e);
                break;
            }
        }
    }
    let unfinished = lost.as_deref().map_or("unfinished".to_owned(), |e| {
        format!("connection-lost({})", e.replace(' ', "_"))
    });
    for _ in client.calls.drain() {
        *client.failed.entry(unfinished.clone()).or_default() += 1;
    }
    if lost.is_some() && started < total {
        *client.failed.entry("not-started".into()).or_default() += total - started;
        started = total;
    }
    let reasons: Vec<String> = client
        .failed
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let failed: u64 = client.failed.values().sum::<u64>() + total.saturating_sub(started);
    println!("done {} {failed} {}", client.ok, reasons.join(" "));
    let _ = std::io::stdout().flush();
    client.tls.send_close_notify();
    let _ = client.flush_tls();
    Ok(())
}

impl Client {
    fn call_id(&self, n: u64) -> String {
        format!("tlsb-{n}-{}@{CARRIER_IP}", self.local.port())
    }

    fn via(&self, branch: &str) -> String {
        format!(
            "Via: SIP/2.0/TLS {};branch=z9hG4bK{branch};rport",
            self.local
        )
    }

    fn invite(&mut self, n: u64, now: Instant) -> Result<(), String> {
        let sdp = format!(
            "v=0\r\no=bench {n} 1 IN IP4 {CARRIER_IP}\r\ns=-\r\nc=IN IP4 {CARRIER_IP}\r\n\
             t=0 0\r\nm=audio {} RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n\
             a=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n",
            10_000 + 2 * (n % 20_000)
        );
        let msg = format!(
            "INVITE sip:4930123@{to};transport=tls SIP/2.0\r\n{via}\r\nMax-Forwards: 70\r\n\
             From: <sip:carrier@{CARRIER_IP}>;tag=f{n}\r\nTo: <sip:4930123@{to}>\r\n\
             Call-ID: {cid}\r\nCSeq: 1 INVITE\r\n\
             Contact: <sip:carrier@{local};transport=tls>\r\n\
             Content-Type: application/sdp\r\nContent-Length: {len}\r\n\r\n{sdp}",
            to = self.to,
            via = self.via(&format!("i{n}")),
            cid = self.call_id(n),
            local = self.local,
            len = sdp.len(),
        );
        self.send(&msg)?;
        self.calls.insert(n, State::Inviting);
        self.invites_sent.push_back((now, n));
        Ok(())
    }

    fn in_dialog(&self, n: u64, method: &str, cseq: u32, d: &Dialog) -> String {
        let routes: String = d.routes.iter().map(|r| format!("Route: {r}\r\n")).collect();
        format!(
            "{method} {target} SIP/2.0\r\n{via}\r\nMax-Forwards: 70\r\n{routes}\
             From: <sip:carrier@{CARRIER_IP}>;tag=f{n}\r\nTo: {to}\r\nCall-ID: {cid}\r\n\
             CSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n",
            target = d.target,
            via = self.via(&format!("{}{n}", method.to_ascii_lowercase())),
            to = d.to,
            cid = self.call_id(n),
        )
    }

    /// Sends the BYEs that are due and fails calls left unanswered too long.
    fn tick(&mut self, now: Instant, _hold: Duration) -> Result<(), String> {
        while let Some(&(due, n)) = self.byes_due.front() {
            if due > now {
                break;
            }
            self.byes_due.pop_front();
            if let Some(State::Up { dialog }) = self.calls.get(&n) {
                let bye = self.in_dialog(n, "BYE", 2, dialog);
                self.send(&bye)?;
                self.calls.insert(n, State::Bye);
                self.byes_sent.push_back((now, n));
            }
        }
        for waiting in [true, false] {
            let queue = if waiting {
                &mut self.invites_sent
            } else {
                &mut self.byes_sent
            };
            while let Some(&(sent, n)) = queue.front() {
                if now.duration_since(sent) <= ANSWER_TIMEOUT {
                    break;
                }
                queue.pop_front();
                let still = matches!(
                    (waiting, self.calls.get(&n)),
                    (true, Some(State::Inviting)) | (false, Some(State::Bye))
                );
                if still {
                    self.calls.remove(&n);
                    *self.failed.entry("timeout".into()).or_default() += 1;
                }
            }
        }
        Ok(())
    }

    /// Moves bytes both ways and handles what arrived; true when anything happened.
    fn pump(&mut self, hold: Duration) -> Result<bool, String> {
        self.flush_tls()?;
        let mut got_any = false;
        let mut buf = [0u8; 16 * 1024];
        loop {
            match self.tls.read_tls(&mut self.tcp) {
                Ok(0) => return Err("the server closed the connection".into()),
                Ok(_) => {
                    got_any = true;
                    self.tls
                        .process_new_packets()
                        .map_err(|e| format!("TLS: {e}"))?;
                    // Drain the plaintext after every record batch: rustls holds only a
                    // bounded amount of it.
                    loop {
                        match self.tls.reader().read(&mut buf) {
                            Ok(0) => break,
                            Ok(n) => self.inbox.extend_from_slice(&buf[..n]),
                            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                            Err(e) => return Err(format!("TLS read: {e}")),
                        }
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(format!("read: {e}")),
            }
        }
        for msg in take_messages(&mut self.inbox)? {
            self.handle(msg, hold)?;
        }
        self.flush_tls()?;
        Ok(got_any)
    }

    fn handle(&mut self, msg: Message, hold: Duration) -> Result<(), String> {
        if msg.method().is_some() {
            return self.answer_request(&msg);
        }
        let Some(n) = msg
            .header("call-id")
            .and_then(|c| c.strip_prefix("tlsb-"))
            .and_then(|c| c.split('-').next())
            .and_then(|c| c.parse::<u64>().ok())
        else {
            return Ok(());
        };
        let (Some(status), Some(method)) = (msg.status(), msg.cseq_method()) else {
            return Ok(());
        };
        if status < 200 {
            return Ok(());
        }
        match (method, self.calls.get(&n)) {
            ("INVITE", Some(State::Inviting)) if status < 300 => {
                let to = msg.header("to").unwrap_or_default().to_owned();
                let target = msg
                    .header("contact")
                    .map(Message::uri_of)
                    .unwrap_or_default();
                let mut routes = msg.header_list("record-route");
                routes.reverse();
                let dialog = Dialog { to, target, routes };
                let ack = self.in_dialog(n, "ACK", 1, &dialog);
                self.send(&ack)?;
                self.byes_due.push_back((Instant::now() + hold, n));
                self.calls.insert(n, State::Up { dialog });
            }
            ("INVITE", Some(State::Inviting)) => {
                // ACK for a failure answer: same branch, hop by hop.
                let ack = format!(
                    "ACK sip:4930123@{to};transport=tls SIP/2.0\r\n{via}\r\nMax-Forwards: 70\r\n\
                     From: <sip:carrier@{CARRIER_IP}>;tag=f{n}\r\nTo: {tohdr}\r\nCall-ID: {cid}\r\n\
                     CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
                    to = self.to,
                    via = self.via(&format!("i{n}")),
                    tohdr = msg.header("to").unwrap_or_default(),
                    cid = self.call_id(n),
                );
                self.send(&ack)?;
                self.calls.remove(&n);
                *self.failed.entry(format!("invite-{status}")).or_default() += 1;
            }
            ("BYE", Some(State::Bye)) => {
                self.calls.remove(&n);
                if status < 300 {
                    self.ok += 1;
                } else {
                    *self.failed.entry(format!("bye-{status}")).or_default() += 1;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// 200 to whatever the server asks (a BYE from the far end ends that call as failed).
    fn answer_request(&mut self, msg: &Message) -> Result<(), String> {
        if msg.method() == Some("ACK") {
            return Ok(());
        }
        let vias: String = msg
            .headers
            .iter()
            .filter(|(n, _)| n == "via")
            .map(|(_, v)| format!("Via: {v}\r\n"))
            .collect();
        let answer = format!(
            "SIP/2.0 200 OK\r\n{vias}From: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {}\r\n\
             Content-Length: 0\r\n\r\n",
            msg.header("from").unwrap_or_default(),
            msg.header("to").unwrap_or_default(),
            msg.header("call-id").unwrap_or_default(),
            msg.header("cseq").unwrap_or_default(),
        );
        self.send(&answer)?;
        if msg.method() == Some("BYE") {
            let n = msg
                .header("call-id")
                .and_then(|c| c.strip_prefix("tlsb-"))
                .and_then(|c| c.split('-').next())
                .and_then(|c| c.parse::<u64>().ok());
            if let Some(n) = n
                && self.calls.remove(&n).is_some()
            {
                *self.failed.entry("bye-from-server".into()).or_default() += 1;
            }
        }
        Ok(())
    }

    fn send(&mut self, text: &str) -> Result<(), String> {
        self.tls
            .writer()
            .write_all(text.as_bytes())
            .map_err(|e| format!("TLS write: {e}"))?;
        Ok(())
    }

    fn flush_tls(&mut self) -> Result<(), String> {
        while self.tls.wants_write() {
            match self.tls.write_tls(&mut self.tcp) {
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_micros(200));
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("write: {e}")),
            }
        }
        Ok(())
    }
}
