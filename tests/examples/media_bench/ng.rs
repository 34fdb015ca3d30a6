//! rtpengine's ng control protocol: a cookie, a space, a bencoded dictionary, over UDP.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use crate::sdes::MasterKey;

/// A bencoded value (only what ng uses).
#[derive(Debug, Clone, PartialEq)]
pub enum Bencode {
    Bytes(Vec<u8>),
    Int(i64),
    List(Vec<Bencode>),
    Dict(Vec<(Vec<u8>, Bencode)>),
}

impl Bencode {
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Bencode::Bytes(b) => {
                out.extend_from_slice(format!("{}:", b.len()).as_bytes());
                out.extend_from_slice(b);
            }
            Bencode::Int(i) => out.extend_from_slice(format!("i{i}e").as_bytes()),
            Bencode::List(l) => {
                out.push(b'l');
                l.iter().for_each(|v| v.encode(out));
                out.push(b'e');
            }
            Bencode::Dict(d) => {
                out.push(b'd');
                for (k, v) in d {
                    Bencode::Bytes(k.clone()).encode(out);
                    v.encode(out);
                }
                out.push(b'e');
            }
        }
    }

    /// Decodes one value from the front of `buf`; returns it and the rest.
    pub fn decode(buf: &[u8]) -> Option<(Bencode, &[u8])> {
        match *buf.first()? {
            b'i' => {
                let end = buf.iter().position(|&c| c == b'e')?;
                let n = std::str::from_utf8(&buf[1..end]).ok()?.parse().ok()?;
                Some((Bencode::Int(n), &buf[end + 1..]))
            }
            b'l' => {
                let mut rest = &buf[1..];
                let mut items = Vec::new();
                while *rest.first()? != b'e' {
                    let (v, r) = Bencode::decode(rest)?;
                    items.push(v);
                    rest = r;
                }
                Some((Bencode::List(items), &rest[1..]))
            }
            b'd' => {
                let mut rest = &buf[1..];
                let mut items = Vec::new();
                while *rest.first()? != b'e' {
                    let (Bencode::Bytes(k), r) = Bencode::decode(rest)? else {
                        return None;
                    };
                    let (v, r) = Bencode::decode(r)?;
                    items.push((k, v));
                    rest = r;
                }
                Some((Bencode::Dict(items), &rest[1..]))
            }
            b'0'..=b'9' => {
                let colon = buf.iter().position(|&c| c == b':')?;
                let len: usize = std::str::from_utf8(&buf[..colon]).ok()?.parse().ok()?;
                let body = buf.get(colon + 1..colon + 1 + len)?;
                Some((Bencode::Bytes(body.to_vec()), &buf[colon + 1 + len..]))
            }
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Bencode> {
        match self {
            Bencode::Dict(d) => d.iter().find(|(k, _)| k == key.as_bytes()).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn str(&self) -> Option<&str> {
        match self {
            Bencode::Bytes(b) => std::str::from_utf8(b).ok(),
            _ => None,
        }
    }
}

pub fn dict(pairs: &[(&str, &str)]) -> Bencode {
    Bencode::Dict(
        pairs
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), Bencode::Bytes(v.as_bytes().to_vec())))
            .collect(),
    )
}

/// An ng client: one request at a time, each with its own cookie.
#[derive(Debug)]
pub struct Ng {
    socket: UdpSocket,
    server: SocketAddr,
    cookie: u64,
}

impl Ng {
    pub fn new(server: SocketAddr) -> io::Result<Self> {
        let socket = UdpSocket::bind("127.0.0.1:0")?;
        socket.set_read_timeout(Some(Duration::from_millis(500)))?;
        Ok(Ng {
            socket,
            server,
            cookie: 0,
        })
    }

    /// Sends `request`, returns the response dictionary (retrying a few times).
    pub fn call(&mut self, request: &Bencode) -> io::Result<Bencode> {
        self.cookie += 1;
        let cookie = format!("c{}", self.cookie);
        let mut msg = format!("{cookie} ").into_bytes();
        request.encode(&mut msg);
        let mut buf = vec![0u8; 65536];
        for _ in 0..6 {
            self.socket.send_to(&msg, self.server)?;
            let Ok(n) = self.socket.recv(&mut buf) else {
                continue;
            };
            let reply = &buf[..n];
            let Some(rest) = reply.strip_prefix(format!("{cookie} ").as_bytes()) else {
                continue;
            };
            return Bencode::decode(rest)
                .map(|(v, _)| v)
                .ok_or_else(|| io::Error::other("undecodable ng reply"));
        }
        Err(io::Error::other("no ng reply"))
    }
}

/// The port and transport protocol of the first `m=audio` line of an SDP.
pub fn audio_line(sdp: &str) -> Option<(u16, &str)> {
    let mut w = sdp
        .lines()
        .find_map(|l| l.strip_prefix("m=audio "))?
        .split_whitespace();
    let port = w.next()?.parse().ok()?;
    Some((port, w.next()?))
}

/// A PCMA offer or answer from `addr`: plain `RTP/AVP`, or `RTP/SAVP` offering `srtp`.
pub fn sdp(addr: SocketAddr, session: u64, srtp: Option<&MasterKey>) -> String {
    let (proto, crypto) = match srtp {
        Some(k) => ("RTP/SAVP", format!("{}\r\n", k.attribute(1))),
        None => ("RTP/AVP", String::new()),
    };
    format!(
        "v=0\r\no=- {session} 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
         m=audio {port} {proto} 8\r\na=rtpmap:8 PCMA/8000\r\n{crypto}a=sendrecv\r\n",
        ip = addr.ip(),
        port = addr.port()
    )
}

/// The payload type an SDP's `a=rtpmap` lines give `encoding` (case-insensitive).
pub fn rtpmap_pt(sdp: &str, encoding: &str) -> Option<u8> {
    sdp.lines().find_map(|l| {
        let (pt, format) = l.strip_prefix("a=rtpmap:")?.split_once(' ')?;
        let name = format.split('/').next()?;
        name.eq_ignore_ascii_case(encoding)
            .then(|| pt.trim().parse().ok())
            .flatten()
    })
}

/// The `a=rtpmap` format (`opus/48000/2`) of payload type `pt` in an SDP.
pub fn rtpmap_of(sdp: &str, pt: u8) -> Option<String> {
    let prefix = format!("a=rtpmap:{pt} ");
    sdp.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .map(|f| f.trim().to_owned())
}

/// An answer from `addr` with the one payload type `pt` of format `rtpmap` (plain RTP;
/// Opus said mono as RFC 7587 asks).
pub fn sdp_with(addr: SocketAddr, session: u64, pt: u8, rtpmap: &str) -> String {
    let fmtp = if rtpmap.to_ascii_lowercase().starts_with("opus/") {
        format!("a=fmtp:{pt} stereo=0; sprop-stereo=0\r\n")
    } else if rtpmap.to_ascii_uppercase().starts_with("G729") {
        format!("a=fmtp:{pt} annexb=no\r\n")
    } else {
        String::new()
    };
    format!(
        "v=0\r\no=- {session} 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP {pt}\r\na=rtpmap:{pt} {rtpmap}\r\n{fmtp}a=sendrecv\r\n",
        ip = addr.ip(),
        port = addr.port()
    )
}
