//! Just enough SIP reading for the call client: framing a TLS byte stream into messages
//! (Content-Length) and the few header values a UAC needs.

/// One message taken off the stream.
#[derive(Debug)]
pub struct Message {
    /// The start line: `SIP/2.0 200 OK` or `BYE sip:... SIP/2.0`.
    pub start: String,
    /// Header fields in order, names lower-cased and compact forms expanded.
    pub headers: Vec<(String, String)>,
}

impl Message {
    /// The status code of a response.
    pub fn status(&self) -> Option<u16> {
        let rest = self.start.strip_prefix("SIP/2.0 ")?;
        rest.get(..3)?.parse().ok()
    }

    /// The method of a request.
    pub fn method(&self) -> Option<&str> {
        if self.start.starts_with("SIP/2.0") {
            return None;
        }
        self.start.split(' ').next()
    }

    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name`, comma-separated lists split (for Record-Route).
    pub fn header_list(&self, name: &str) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, v)| split_uris(v))
            .collect()
    }

    /// The method of the CSeq header.
    pub fn cseq_method(&self) -> Option<&str> {
        self.header("cseq")?.split_whitespace().nth(1)
    }

    /// The URI inside `<...>` of a header value (Contact), or the value itself.
    pub fn uri_of(value: &str) -> String {
        match (value.find('<'), value.find('>')) {
            (Some(a), Some(b)) if a < b => value[a + 1..b].to_owned(),
            _ => value.split(';').next().unwrap_or(value).trim().to_owned(),
        }
    }
}

/// Splits `<a>, <b;lr>` at the commas outside angle brackets.
fn split_uris(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in value.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth == 0 => {
                out.push(value[start..i].trim().to_owned());
                start = i + 1;
            }
            _ => {}
        }
    }
    let last = value[start..].trim();
    if !last.is_empty() {
        out.push(last.to_owned());
    }
    out
}

/// Takes every complete message off the front of `buf`.
pub fn take_messages(buf: &mut Vec<u8>) -> Result<Vec<Message>, String> {
    let mut out = Vec::new();
    loop {
        // Keep-alive CRLFs between messages.
        let skip = buf
            .iter()
            .take_while(|b| **b == b'\r' || **b == b'\n')
            .count();
        buf.drain(..skip);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            if buf.len() > 256 * 1024 {
                return Err("no end of headers in 256 kB".into());
            }
            return Ok(out);
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        let mut lines = head.split("\r\n");
        let start = lines.next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (long_name(n.trim()), v.trim().to_owned()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let total = end + 4 + length;
        if buf.len() < total {
            return Ok(out);
        }
        buf.drain(..total);
        out.push(Message { start, headers });
    }
}

fn long_name(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "i" => "call-id".into(),
        "t" => "to".into(),
        "f" => "from".into(),
        "m" => "contact".into(),
        "v" => "via".into(),
        "l" => "content-length".into(),
        _ => lower,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_messages_across_reads_and_reads_route_sets() {
        let first = "SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS 10.91.1.2:4000;branch=z9hG4bKi1\r\n\
                     Record-Route: <sip:10.91.1.1:5061;transport=tls;r2=on;lr>, <sip:10.91.2.1;r2=on;lr>\r\n\
                     i: tlsb-1-4000@10.91.1.2\r\nCSeq: 1 INVITE\r\n\
                     m: <sip:pbx@10.91.2.2:5060>\r\nl: 4\r\n\r\nv=0\n";
        let second = "BYE sip:carrier@10.91.1.2 SIP/2.0\r\nContent-Length: 0\r\n\r\n";
        let mut buf = b"\r\n\r\n".to_vec();
        buf.extend_from_slice(first.as_bytes());
        buf.extend_from_slice(&second.as_bytes()[..10]);
        let got = take_messages(&mut buf).expect("framed");
        assert_eq!(got.len(), 1, "the second message is not complete yet");
        let ok = &got[0];
        assert_eq!(ok.status(), Some(200));
        assert_eq!(ok.method(), None);
        assert_eq!(ok.cseq_method(), Some("INVITE"));
        assert_eq!(ok.header("call-id"), Some("tlsb-1-4000@10.91.1.2"));
        assert_eq!(
            ok.header_list("record-route"),
            vec![
                "<sip:10.91.1.1:5061;transport=tls;r2=on;lr>".to_owned(),
                "<sip:10.91.2.1;r2=on;lr>".to_owned()
            ]
        );
        let contact = ok.header("contact").expect("compact m: read as Contact");
        assert_eq!(Message::uri_of(contact), "sip:pbx@10.91.2.2:5060");
        buf.extend_from_slice(&second.as_bytes()[10..]);
        let got = take_messages(&mut buf).expect("framed");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].method(), Some("BYE"));
        assert!(buf.is_empty());
    }

    #[test]
    fn endless_headers_are_an_error() {
        let mut buf = vec![b'a'; 300 * 1024];
        assert!(take_messages(&mut buf).is_err());
    }
}
