//! The SBC's name in what it sends: the engine writes [`DEFAULT_SERVER_HEADER`] in every
//! Server and User-Agent header of its own; towards a realm with another
//! `server_header` those lines are rewritten, or removed when it is empty.
//!
//! Only lines whose whole value is the engine's name are touched: the header policy
//! never lets a peer's Server or User-Agent cross, so these are the SBC's own.

use sbc_config::DEFAULT_SERVER_HEADER;

/// `payload` with the SBC's own Server/User-Agent lines saying `name` (none when
/// empty); `None` when the message has no such line.
pub fn rewrite(payload: &[u8], name: &str) -> Option<Vec<u8>> {
    let head_end = memchr::memmem::find(payload, b"\r\n\r\n")? + 2;
    let mut out: Option<Vec<u8>> = None;
    let mut pos = 0;
    while pos < head_end {
        let line_end = memchr::memmem::find(&payload[pos..head_end], b"\r\n")
            .map_or(head_end, |i| pos + i + 2);
        let line = &payload[pos..line_end];
        match own_agent_header(line) {
            Some(header) => {
                let buf = out.get_or_insert_with(|| payload[..pos].to_vec());
                if !name.is_empty() {
                    buf.extend_from_slice(header.as_bytes());
                    buf.extend_from_slice(b": ");
                    buf.extend_from_slice(name.as_bytes());
                    buf.extend_from_slice(b"\r\n");
                }
            }
            None => {
                if let Some(buf) = &mut out {
                    buf.extend_from_slice(line);
                }
            }
        }
        pos = line_end;
    }
    let mut out = out?;
    out.extend_from_slice(&payload[head_end..]);
    Some(out)
}

/// The header's name when `line` is a Server or User-Agent line whose value is the
/// engine's name.
fn own_agent_header(line: &[u8]) -> Option<&'static str> {
    let colon = memchr::memchr(b':', line)?;
    let name = std::str::from_utf8(&line[..colon]).ok()?.trim();
    let header = ["Server", "User-Agent"]
        .into_iter()
        .find(|h| h.eq_ignore_ascii_case(name))?;
    let value = std::str::from_utf8(&line[colon + 1..]).ok()?.trim();
    (value == DEFAULT_SERVER_HEADER).then_some(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESPONSE: &[u8] = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nServer: sbc\r\nContent-Length: 4\r\n\r\nbody";
    const REQUEST: &[u8] =
        b"OPTIONS sip:a SIP/2.0\r\nUser-Agent: sbc\r\nX-Other: sbc\r\nContent-Length: 0\r\n\r\n";

    #[test]
    fn renames_the_sbc() {
        let out = rewrite(RESPONSE, "Edge (carrier side)").expect("changed");
        assert_eq!(
            out,
            b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nServer: Edge (carrier side)\r\nContent-Length: 4\r\n\r\nbody"
        );
        let out = rewrite(REQUEST, "pbx-gw/2").expect("changed");
        assert_eq!(
            out,
            b"OPTIONS sip:a SIP/2.0\r\nUser-Agent: pbx-gw/2\r\nX-Other: sbc\r\nContent-Length: 0\r\n\r\n"
        );
    }

    #[test]
    fn empty_name_removes_the_lines() {
        let out = rewrite(REQUEST, "").expect("changed");
        assert_eq!(
            out,
            b"OPTIONS sip:a SIP/2.0\r\nX-Other: sbc\r\nContent-Length: 0\r\n\r\n"
        );
    }

    #[test]
    fn leaves_other_values_and_bodies_alone() {
        let other = b"SIP/2.0 200 OK\r\nServer: sbcx\r\nContent-Length: 13\r\n\r\nServer: sbc\r\n";
        assert_eq!(rewrite(other, ""), None);
        assert_eq!(rewrite(b"garbage", ""), None);
    }
}
