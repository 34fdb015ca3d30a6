//! SIP messages and responses per realm and direction, counted by the core task as they
//! pass: every message the listeners parsed (`in`, before the gate and the firewall's
//! screening, so refused ones count too) and every datagram or stream write it sends
//! (`out`). The realm is the one whose listener the SBC's local address belongs to.
//!
//! Label values are bounded: methods outside RFC 3261 and its extensions the SBC knows
//! count as `other`, response codes by class (`1xx` .. `6xx`), realms by name (those of
//! every configuration seen since the start: a realm renamed keeps its old series).

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};

use sbc_config::Config;
use sbc_sip::{Message, Method};

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    pub fn label(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

/// The label of a method: its name when it is one the SBC knows, else `other`.
pub fn method_label(method: &Method) -> &'static str {
    method.standard_name().unwrap_or("other")
}

/// What the first line of a serialized message says: a request's method or a
/// response's status code; `None` for something that is neither.
pub fn sniff(payload: &[u8]) -> Option<Result<Method, u16>> {
    let line_end = payload.iter().position(|&b| b == b'\r' || b == b'\n')?;
    let line = std::str::from_utf8(&payload[..line_end]).ok()?;
    if let Some(rest) = line.strip_prefix("SIP/2.0 ") {
        let code: u16 = rest.get(..3)?.parse().ok()?;
        return (100..=699).contains(&code).then_some(Err(code));
    }
    let token = line.split(' ').next().filter(|t| !t.is_empty())?;
    Some(Ok(Method::from_token(token)))
}

/// For a serialized response to an INVITE: its Call-ID and status code (`None` for
/// anything else). Reads the head's lines only (`Call-ID`/`i` and `CSeq`, any case).
pub fn invite_response(payload: &[u8]) -> Option<(&str, u16)> {
    let Some(Err(status)) = sniff(payload) else {
        return None;
    };
    let head_end = payload
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(payload.len());
    let head = std::str::from_utf8(&payload[..head_end]).ok()?;
    let (mut call_id, mut invite) = (None, false);
    for line in head.split("\r\n").skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.eq_ignore_ascii_case("call-id") || name.eq_ignore_ascii_case("i") {
            call_id = Some(value.trim());
        } else if name.eq_ignore_ascii_case("cseq") {
            invite = value.split_whitespace().nth(1) == Some("INVITE");
        }
    }
    call_id.filter(|_| invite).map(|id| (id, status))
}

/// Key of a message counter: realm index, direction, method label.
type MessageKey = (usize, Direction, &'static str);
/// Key of a response counter: realm index, direction, code class (1..=6).
type ResponseKey = (usize, Direction, u8);

/// The counters (owned by the core task; copied into each report).
#[derive(Debug, Clone, Default)]
pub struct SipCounters {
    /// Realm names, only ever appended to (indices stay valid across reloads).
    realms: Vec<String>,
    by_listener: HashMap<SocketAddr, usize>,
    /// Fallback for local addresses that are no listener (outbound TCP/TLS connections
    /// leave from ephemeral ports): the realm of a listener on the same IP.
    by_ip: HashMap<IpAddr, usize>,
    messages: BTreeMap<MessageKey, u64>,
    responses: BTreeMap<ResponseKey, u64>,
}

/// The index `realms` uses for a local address no realm listens on.
const UNKNOWN: &str = "unknown";

impl SipCounters {
    pub fn new(config: &Config) -> Self {
        let mut c = SipCounters::default();
        c.reload(config);
        c
    }

    /// Maps local addresses to the realms of `config`.
    pub fn reload(&mut self, config: &Config) {
        self.by_listener.clear();
        self.by_ip.clear();
        for realm in config.realms() {
            let index = self.realm_index(&realm.name);
            for l in &realm.listen {
                self.by_listener.insert(l.addr, index);
                self.by_ip.entry(l.addr.ip()).or_insert(index);
            }
        }
    }

    fn realm_index(&mut self, name: &str) -> usize {
        match self.realms.iter().position(|r| r == name) {
            Some(i) => i,
            None => {
                self.realms.push(name.to_owned());
                self.realms.len() - 1
            }
        }
    }

    fn realm_of(&mut self, local: SocketAddr) -> usize {
        if let Some(&i) = self
            .by_listener
            .get(&local)
            .or_else(|| self.by_ip.get(&local.ip()))
        {
            return i;
        }
        self.realm_index(UNKNOWN)
    }

    /// A message received on `local`.
    pub fn received(&mut self, local: SocketAddr, msg: &Message) {
        let realm = self.realm_of(local);
        match (msg.method(), msg.status()) {
            (Some(m), _) => self.count_request(realm, Direction::In, method_label(m)),
            (None, Some(code)) => self.count_response(realm, Direction::In, code),
            (None, None) => {}
        }
    }

    /// A message sent from `local` (as serialized).
    pub fn sent(&mut self, local: SocketAddr, payload: &[u8]) {
        let realm = self.realm_of(local);
        match sniff(payload) {
            Some(Ok(m)) => self.count_request(realm, Direction::Out, method_label(&m)),
            Some(Err(code)) => self.count_response(realm, Direction::Out, code),
            None => {}
        }
    }

    fn count_request(&mut self, realm: usize, dir: Direction, method: &'static str) {
        *self.messages.entry((realm, dir, method)).or_default() += 1;
    }

    fn count_response(&mut self, realm: usize, dir: Direction, code: u16) {
        // `code` is 100..=699 (parsed or sniffed): the class is 1..=6.
        let class = (code / 100).clamp(1, 6) as u8;
        *self.responses.entry((realm, dir, class)).or_default() += 1;
    }

    /// `(realm, direction, method, count)` for every request counter.
    pub fn messages(&self) -> impl Iterator<Item = (&str, Direction, &'static str, u64)> {
        self.messages
            .iter()
            .map(|(&(r, d, m), &n)| (self.realm_name(r), d, m, n))
    }

    /// `(realm, direction, class, count)` for every response counter (class 1..=6).
    pub fn responses(&self) -> impl Iterator<Item = (&str, Direction, u8, u64)> {
        self.responses
            .iter()
            .map(|(&(r, d, c), &n)| (self.realm_name(r), d, c, n))
    }

    fn realm_name(&self, index: usize) -> &str {
        self.realms.get(index).map_or(UNKNOWN, String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sbc_sip::wire::{Framing, Limits};

    fn config() -> Config {
        Config::from_toml_str(
            r#"
[system]
name = "t"
[management]
listen = "127.0.0.1:8443"
[[realm]]
name = "outside"
listen = ["udp:10.0.0.1:5060", "tcp:10.0.0.1:5060"]
media_ip = "10.0.0.1"
media_ports = "20000-20099"
[[realm]]
name = "inside"
listen = ["udp:10.1.0.1:5060"]
media_ip = "10.1.0.1"
media_ports = "20000-20099"
"#,
            "/",
        )
        .expect("valid config")
    }

    fn parse(text: &str) -> Message {
        Message::parse(
            text.as_bytes().to_vec(),
            Framing::Datagram,
            &Limits::default(),
        )
        .expect("a valid message")
    }

    const INVITE: &str = "INVITE sip:bob@10.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:bob@10.0.0.1>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";

    #[test]
    fn first_lines_are_sniffed() {
        assert_eq!(sniff(INVITE.as_bytes()), Some(Ok(Method::Invite)));
        assert_eq!(sniff(b"SIP/2.0 486 Busy Here\r\n\r\n"), Some(Err(486)));
        assert_eq!(sniff(b"SIP/2.0 999 Nope\r\n"), None);
        assert_eq!(sniff(b"\r\n"), None, "a keep-alive is no message");
        assert_eq!(
            sniff(b"FOO sip:x SIP/2.0\r\n").map(|m| m.map(|m| method_label(&m))),
            Some(Ok("other"))
        );
    }

    #[test]
    fn responses_to_invites_are_told_by_cseq() {
        let ringing = "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK1\r\ni: abc@h\r\ncseq: 1 INVITE\r\n\r\n";
        assert_eq!(invite_response(ringing.as_bytes()), Some(("abc@h", 180)));
        let bye_ok = "SIP/2.0 200 OK\r\nCall-ID: abc@h\r\nCSeq: 2 BYE\r\n\r\n";
        assert_eq!(invite_response(bye_ok.as_bytes()), None);
        assert_eq!(invite_response(INVITE.as_bytes()), None, "a request");
    }

    #[test]
    fn messages_are_counted_per_realm_direction_and_method() {
        let mut c = SipCounters::new(&config());
        let outside = "10.0.0.1:5060".parse().expect("addr");
        let inside = "10.1.0.1:5060".parse().expect("addr");
        let ephemeral = "10.0.0.1:40123".parse().expect("addr");
        c.received(outside, &parse(INVITE));
        c.sent(inside, INVITE.as_bytes());
        c.sent(ephemeral, INVITE.as_bytes());
        c.sent(outside, b"SIP/2.0 180 Ringing\r\n\r\n");
        c.sent(outside, b"SIP/2.0 200 OK\r\n\r\n");
        c.received(
            "192.0.2.1:5060".parse().expect("addr"),
            &parse(&INVITE.replace("INVITE", "PING")),
        );
        let messages: Vec<_> = c.messages().collect();
        assert_eq!(
            messages,
            vec![
                ("outside", Direction::In, "INVITE", 1),
                ("outside", Direction::Out, "INVITE", 1),
                ("inside", Direction::Out, "INVITE", 1),
                ("unknown", Direction::In, "other", 1),
            ]
        );
        let responses: Vec<_> = c.responses().collect();
        assert_eq!(
            responses,
            vec![
                ("outside", Direction::Out, 1, 1),
                ("outside", Direction::Out, 2, 1)
            ]
        );
    }
}
