//! Answers to requests the parser refused (RFC 4475 §3.1.2: "respond with 400 where a
//! response can be formed").
//!
//! A refused message has no [`Message`](super::Message), so this reads the raw bytes
//! leniently: a response can be formed when the first line looks like a request other
//! than ACK and at least one Via line is present. The Via, From, To, Call-ID and CSeq
//! lines are echoed as written (§8.2.6.2), the To gets a tag derived from the request
//! bytes (so a retransmission gets the same tag), and a Warning names the problem.

use super::error::ParseError;
use super::reason::reason_phrase;

/// The response to send for a request refused with `error`, or `None` when none can be
/// formed (a response, an ACK, no Via, not even a request line).
pub fn reject_response(buf: &[u8], error: &ParseError, agent: &str) -> Option<Vec<u8>> {
    let start = super::parse::leading_crlfs(buf);
    let buf = &buf[start..];
    let head_len = memchr::memmem::find(buf, b"\r\n\r\n").map_or(buf.len(), |i| i + 2);
    let head = String::from_utf8_lossy(&buf[..head_len]);
    let mut lines = unfolded_lines(&head);
    let first = lines.next()?;
    let (method, _) = first.split_once(' ')?;
    if method.is_empty()
        || method.eq_ignore_ascii_case("ACK")
        || first
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("SIP/"))
        || !method.bytes().all(crate::grammar::chars::is_token)
    {
        return None;
    }
    let mut echo = String::with_capacity(256);
    let mut vias = 0;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        let value = value.trim();
        let canonical = match name.to_ascii_lowercase().as_str() {
            "via" | "v" => {
                vias += 1;
                "Via"
            }
            "from" | "f" => "From",
            "call-id" | "i" => "Call-ID",
            "cseq" => "CSeq",
            "to" | "t" => {
                echo.push_str("To: ");
                echo.push_str(value);
                if !value.contains("tag=") {
                    echo.push_str(";tag=");
                    echo.push_str(&tag_for(buf));
                }
                echo.push_str("\r\n");
                continue;
            }
            _ => continue,
        };
        echo.push_str(canonical);
        echo.push_str(": ");
        echo.push_str(value);
        echo.push_str("\r\n");
    }
    if vias == 0 {
        return None;
    }
    let code = error.status_code();
    let mut out = format!("SIP/2.0 {code} {}\r\n", reason_phrase(code)).into_bytes();
    out.extend_from_slice(echo.as_bytes());
    out.extend_from_slice(
        format!(
            "Warning: 399 {agent} \"{}\"\r\nContent-Length: 0\r\n\r\n",
            quote(&error.to_string())
        )
        .as_bytes(),
    );
    Some(out)
}

/// Lines of the head with continuation lines joined; lines with stray control
/// characters are dropped rather than echoed.
fn unfolded_lines(head: &str) -> impl Iterator<Item = String> + '_ {
    let mut raw = head.split("\r\n").filter(|l| !l.is_empty()).peekable();
    std::iter::from_fn(move || {
        let mut line = raw.next()?.to_owned();
        while let Some(next) = raw.peek() {
            if next.starts_with([' ', '\t']) {
                line.push(' ');
                line.push_str(next.trim_start());
                raw.next();
            } else {
                break;
            }
        }
        Some(line)
    })
    .filter(|l| !l.chars().any(|c| c.is_control() && c != '\t'))
}

fn tag_for(buf: &[u8]) -> String {
    // FNV-1a: stable per request, so retransmissions get the same tag.
    let h = buf.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    format!("{h:016x}")
}

fn quote(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .flat_map(|c| match c {
            '"' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}
