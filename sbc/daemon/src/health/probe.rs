//! One SIP OPTIONS to a listener, one HTTPS request to management.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use sbc_core::{Transport, TransportAddr};

/// Sends an OPTIONS to `l` and waits for a final answer with its Call-ID; the status
/// line on success.
pub fn options(l: &TransportAddr, timeout: Duration) -> Result<String, String> {
    let call_id = format!("{:016x}@sbc-health", crate::ids::random_u64());
    let answer = match l.transport {
        Transport::Udp => udp(l.addr, &call_id, timeout),
        Transport::Tcp => {
            let mut s = connect(l.addr, timeout)?;
            stream(&mut s, l, &call_id)
        }
        Transport::Tls => {
            let tcp = connect(l.addr, timeout)?;
            let mut s = super::tls::client(tcp, l.addr)?;
            stream(&mut s, l, &call_id)
        }
    }?;
    Ok(answer)
}

fn request(l: &TransportAddr, local: SocketAddr, call_id: &str) -> String {
    let branch = format!(
        "z9hG4bK{:012x}",
        crate::ids::random_u64() & 0xffff_ffff_ffff
    );
    let tag = format!("{:08x}", crate::ids::random_u64() & 0xffff_ffff);
    let proto = super::describe(l).to_ascii_uppercase();
    format!(
        "OPTIONS sip:{addr} SIP/2.0\r\n\
         Via: SIP/2.0/{proto} {local};branch={branch};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:health@{local_ip}>;tag={tag}\r\n\
         To: <sip:{addr}>\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: 1 OPTIONS\r\n\
         User-Agent: sbc-health\r\n\
         Content-Length: 0\r\n\r\n",
        addr = l.addr,
        local_ip = local.ip(),
    )
}

/// The status line of `text` if it is a final SIP answer to `call_id`.
fn final_answer(text: &str, call_id: &str) -> Option<String> {
    let status = text.lines().next()?;
    let code: u16 = status.strip_prefix("SIP/2.0 ")?.get(..3)?.parse().ok()?;
    (code >= 200 && text.contains(call_id)).then(|| status.trim().to_owned())
}

fn udp(to: SocketAddr, call_id: &str, timeout: Duration) -> Result<String, String> {
    let any: SocketAddr = if to.is_ipv4() {
        "0.0.0.0:0".parse().map_err(|e| format!("{e}"))?
    } else {
        "[::]:0".parse().map_err(|e| format!("{e}"))?
    };
    let socket = UdpSocket::bind(any).map_err(|e| format!("binding: {e}"))?;
    socket.connect(to).map_err(|e| format!("connect: {e}"))?;
    let local = socket.local_addr().map_err(|e| format!("{e}"))?;
    let l = TransportAddr {
        transport: Transport::Udp,
        addr: to,
    };
    let msg = request(&l, local, call_id);
    let end = Instant::now() + timeout;
    let mut buf = vec![0u8; 65_535];
    // Retransmit every 500 ms (RFC 3261 T1) until an answer or the timeout.
    while Instant::now() < end {
        socket
            .send(msg.as_bytes())
            .map_err(|e| format!("send: {e}"))?;
        let wait = end
            .saturating_duration_since(Instant::now())
            .min(Duration::from_millis(500));
        if wait.is_zero() {
            break;
        }
        socket
            .set_read_timeout(Some(wait))
            .map_err(|e| format!("{e}"))?;
        while let Ok(n) = socket.recv(&mut buf) {
            let text = String::from_utf8_lossy(&buf[..n]);
            if let Some(status) = final_answer(&text, call_id) {
                return Ok(status);
            }
        }
    }
    Err(format!("no answer within {} s", timeout.as_secs()))
}

fn connect(to: SocketAddr, timeout: Duration) -> Result<TcpStream, String> {
    let s = TcpStream::connect_timeout(&to, timeout).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(timeout))
        .map_err(|e| format!("{e}"))?;
    s.set_write_timeout(Some(timeout))
        .map_err(|e| format!("{e}"))?;
    Ok(s)
}

fn local_of(s: &TcpStream) -> Result<SocketAddr, String> {
    s.local_addr().map_err(|e| format!("{e}"))
}

fn stream<S: Read + Write + AsTcp>(
    s: &mut S,
    l: &TransportAddr,
    call_id: &str,
) -> Result<String, String> {
    let local = local_of(s.tcp())?;
    s.write_all(request(l, local, call_id).as_bytes())
        .map_err(|e| format!("send: {e}"))?;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = s.read(&mut buf).map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err("connection closed without an answer".to_owned());
        }
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got);
        // Provisional answers may come first; each message ends its headers with CRLFCRLF.
        for message in text.split("\r\n\r\n") {
            if let Some(status) = final_answer(message, call_id) {
                return Ok(status);
            }
        }
        if got.len() > 65_536 {
            return Err("no final answer in 64 KiB".to_owned());
        }
    }
}

/// `GET /` over TLS (the certificate is not verified); the HTTP status line.
pub fn https(to: SocketAddr, timeout: Duration) -> Result<String, String> {
    let tcp = connect(to, timeout)?;
    let mut s = super::tls::client(tcp, to)?;
    s.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("send: {e}"))?;
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while !got.windows(2).any(|w| w == b"\r\n") {
        let n = s.read(&mut buf).map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&got);
    let line = text.lines().next().unwrap_or_default().trim().to_owned();
    if line.starts_with("HTTP/1.") {
        Ok(line)
    } else {
        Err(format!("not an HTTP answer: {line:?}"))
    }
}

/// The TCP stream under a plain or TLS stream (for its local address).
pub trait AsTcp {
    fn tcp(&self) -> &TcpStream;
}

impl AsTcp for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_final_answers_to_our_call_count() {
        let ok = "SIP/2.0 200 OK\r\nCall-ID: abc@x\r\n";
        assert_eq!(final_answer(ok, "abc@x").as_deref(), Some("SIP/2.0 200 OK"));
        assert_eq!(final_answer(ok, "other@x"), None);
        assert_eq!(
            final_answer("SIP/2.0 100 Trying\r\nCall-ID: abc@x\r\n", "abc@x"),
            None
        );
        let refused = "SIP/2.0 403 Forbidden\r\nCall-ID: abc@x\r\n";
        assert_eq!(
            final_answer(refused, "abc@x").as_deref(),
            Some("SIP/2.0 403 Forbidden")
        );
        assert_eq!(final_answer("garbage", "abc@x"), None);
    }

    #[test]
    fn udp_probe_reads_the_answer_of_a_real_socket() {
        let server = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let to = server.local_addr().expect("addr");
        let t = std::thread::spawn(move || {
            let mut buf = [0u8; 2048];
            let (n, from) = server.recv_from(&mut buf).expect("recv");
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            let call = text
                .lines()
                .find_map(|l| l.strip_prefix("Call-ID: "))
                .expect("Call-ID")
                .to_owned();
            let answer = format!("SIP/2.0 200 OK\r\nCall-ID: {call}\r\nContent-Length: 0\r\n\r\n");
            server.send_to(answer.as_bytes(), from).expect("send");
        });
        let l = TransportAddr {
            transport: Transport::Udp,
            addr: to,
        };
        assert_eq!(
            options(&l, Duration::from_secs(2)).as_deref(),
            Ok("SIP/2.0 200 OK")
        );
        t.join().expect("server");
    }

    #[test]
    fn silence_is_a_failure() {
        let quiet = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let l = TransportAddr {
            transport: Transport::Udp,
            addr: quiet.local_addr().expect("addr"),
        };
        assert!(options(&l, Duration::from_millis(600)).is_err());
    }
}
