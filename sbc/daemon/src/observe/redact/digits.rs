//! DTMF digits in copies of SIP messages: masked unless the call shows them.
//!
//! Digits can be card numbers or PINs (issue 12, item 8), so unless both trunks of the
//! call have `show_digits = true`, [`super::redact`] masks them with [`mask_digits`].
//!
//! Masked: the `Signal=` value of an `application/dtmf-relay` body and every digit of an
//! `application/dtmf` body (whatever the method: it is the body that carries the digit).
//! Each masked character becomes `x`, so the body keeps its length and the copy's
//! `Content-Length` stays right.

/// Masks the digits of a DTMF body (`application/dtmf-relay`: `Signal=`;
/// `application/dtmf`: the body) in a serialized SIP message with `x`, keeping the length.
/// Other messages are left as they are.
pub fn mask_digits(bytes: &mut [u8]) {
    let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
        return;
    };
    if end + 4 == bytes.len() {
        // No body: nothing to mask (most messages), and no header read.
        return;
    }
    let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
    let kind = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        let name = name.trim();
        (name == "content-type" || name == "c").then(|| value.trim().to_owned())
    });
    let body = &mut bytes[end + 4..];
    match kind.as_deref() {
        Some(k) if k.starts_with("application/dtmf-relay") => mask_signals(body),
        Some(k) if k.starts_with("application/dtmf") => {
            for b in body.iter_mut() {
                if b.is_ascii_alphanumeric() || *b == b'*' || *b == b'#' {
                    *b = b'x';
                }
            }
        }
        _ => {}
    }
}

/// Every `Signal=` value of an `application/dtmf-relay` body (any case, spaces around `=`).
fn mask_signals(body: &mut [u8]) {
    let lower = body.to_ascii_lowercase();
    let mut at = 0;
    while let Some(p) = find(&lower[at..], b"signal") {
        let mut i = at + p + 6;
        while i < body.len() && matches!(body[i], b' ' | b'\t' | b'=') {
            i += 1;
        }
        while i < body.len() && !body[i].is_ascii_whitespace() {
            body[i] = b'x';
            i += 1;
        }
        at = i;
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::mask_digits;

    fn message(content_type: &str, body: &str) -> Vec<u8> {
        format!(
            "INFO sip:pbx@10.0.0.2 SIP/2.0\r\nCall-ID: c1\r\nCSeq: 2 INFO\r\n{content_type}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }

    fn masked(content_type: &str, body: &str) -> String {
        let mut m = message(content_type, body);
        let before = m.len();
        mask_digits(&mut m);
        assert_eq!(m.len(), before, "same length");
        String::from_utf8(m).expect("UTF-8")
    }

    #[test]
    fn dtmf_relay_signal_is_masked_and_duration_kept() {
        let m = masked(
            "Content-Type: application/dtmf-relay\r\n",
            "Signal=5\r\nDuration=160\r\n",
        );
        assert!(
            m.ends_with("Content-Length: 24\r\n\r\nSignal=x\r\nDuration=160\r\n"),
            "{m}"
        );
        let spaced = masked(
            "content-type: Application/DTMF-Relay\r\n",
            "SIGNAL = #\r\nDuration= 250\r\n",
        );
        assert!(
            spaced.ends_with("SIGNAL = x\r\nDuration= 250\r\n"),
            "{spaced}"
        );
    }

    #[test]
    fn application_dtmf_body_and_compact_header_are_masked() {
        let m = masked("c: application/dtmf\r\n", "*");
        assert!(m.ends_with("\r\n\r\nx"), "{m}");
        let m = masked("Content-Type: application/dtmf\r\n", "9\r\n");
        assert!(m.ends_with("\r\n\r\nx\r\n"), "{m}");
    }

    #[test]
    fn other_bodies_and_bodiless_messages_are_untouched() {
        let sdp = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 101\r\n";
        assert_eq!(
            masked("Content-Type: application/sdp\r\n", sdp),
            String::from_utf8(message("Content-Type: application/sdp\r\n", sdp)).expect("UTF-8")
        );
        let xml = "<media_control>signal</media_control>";
        let m = masked("Content-Type: application/media_control+xml\r\n", xml);
        assert!(m.ends_with(xml), "{m}");
        let mut no_body = b"SIP/2.0 200 OK\r\nCall-ID: c1\r\n\r\n".to_vec();
        let copy = no_body.clone();
        mask_digits(&mut no_body);
        assert_eq!(no_body, copy);
        let mut no_head_end = b"INFO sip:x SIP/2.0\r\nc: application/dtmf\r\n5".to_vec();
        let copy = no_head_end.clone();
        mask_digits(&mut no_head_end);
        assert_eq!(no_head_end, copy);
    }
}
