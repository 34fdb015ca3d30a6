//! Well-formed SIP messages to send raw (and to mutate in garbage tests).

use std::net::SocketAddr;

/// An OPTIONS request from `from` to the SBC at `to` (request-URI without user: addressed to
/// the SBC itself), for `transport` "UDP" or "TCP". `tag` varies branch, tag and Call-ID.
pub fn options(from: SocketAddr, to: SocketAddr, transport: &str, tag: u32) -> String {
    format!(
        "OPTIONS sip:{to} SIP/2.0\r\n\
         Via: SIP/2.0/{transport} {from};branch=z9hG4bK-lab-opt-{tag}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:lab@{from}>;tag=lab-{tag}\r\n\
         To: <sip:{to}>\r\n\
         Call-ID: lab-options-{tag}@{from}\r\n\
         CSeq: 1 OPTIONS\r\n\
         Contact: <sip:lab@{from}>\r\n\
         Accept: application/sdp\r\n\
         Content-Length: 0\r\n\
         \r\n"
    )
}

/// An INVITE with an SDP offer (PCMU/PCMA + telephone-event) from `from` to `user` at `to`.
pub fn invite(from: SocketAddr, to: SocketAddr, user: &str, tag: u32) -> String {
    let ip = from.ip();
    let sdp = format!(
        "v=0\r\n\
         o=lab 1 1 IN IP4 {ip}\r\n\
         s=-\r\n\
         c=IN IP4 {ip}\r\n\
         t=0 0\r\n\
         m=audio 40000 RTP/AVP 0 8 101\r\n\
         a=rtpmap:0 PCMU/8000\r\n\
         a=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\n\
         a=fmtp:101 0-15\r\n\
         a=ptime:20\r\n\
         a=sendrecv\r\n"
    );
    format!(
        "INVITE sip:{user}@{to} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {from};branch=z9hG4bK-lab-inv-{tag};rport\r\n\
         Max-Forwards: 70\r\n\
         From: \"Lab\" <sip:+4930123@{from}>;tag=lab-{tag}\r\n\
         To: <sip:{user}@{to}>\r\n\
         Call-ID: lab-invite-{tag}@{from}\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:+4930123@{from}>\r\n\
         Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, PRACK, INFO\r\n\
         Content-Type: application/sdp\r\n\
         Content-Length: {len}\r\n\
         \r\n\
         {sdp}",
        len = sdp.len()
    )
}

/// The status code of a SIP response (`SIP/2.0 200 OK` → 200); `None` for anything else.
pub fn status_code(message: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(message.get(..message.len().min(64))?).ok()?;
    text.strip_prefix("SIP/2.0 ")?.get(..3)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invite_content_length_matches_body() {
        let from = "10.91.1.2:5060".parse().expect("test address");
        let to = "10.91.1.1:5060".parse().expect("test address");
        let msg = invite(from, to, "+4940999", 1);
        let (head, body) = msg.split_once("\r\n\r\n").expect("head/body separator");
        assert!(head.contains(&format!("Content-Length: {}", body.len())));
    }

    #[test]
    fn status_codes() {
        assert_eq!(status_code(b"SIP/2.0 200 OK\r\n"), Some(200));
        assert_eq!(status_code(b"OPTIONS sip:x SIP/2.0\r\n"), None);
        assert_eq!(status_code(b"SIP/2.0 2"), None);
    }
}
