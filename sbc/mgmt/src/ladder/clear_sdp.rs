//! SDP of a pcap whose SRTP is written decrypted: `RTP/SAVP` said as `RTP/AVP`.
//!
//! Wireshark sets up the RTP conversations of a file from the SDP of its SIP messages,
//! and an `m=` line with `RTP/SAVP` (or `RTP/SAVPF`) makes it take the packets for SRTP:
//! without keys it cannot read them, and a packet without an authentication tag shows as
//! malformed. The captured packets are in the clear, so in the pcap (only: the ladder's
//! JSON keeps the messages as they were) the profile of each `m=` line is written as the
//! plain one and `Content-Length` follows the body.

use std::borrow::Cow;

/// `message` with its SDP's secure RTP profiles written as the plain ones (unchanged
/// when it has none, or no body).
pub fn clear_profiles(message: &str) -> Cow<'_, str> {
    let Some(split) = message.find("\r\n\r\n") else {
        return Cow::Borrowed(message);
    };
    let (head, body) = (&message[..split], &message[split + 4..]);
    if !body
        .lines()
        .any(|l| l.starts_with("m=") && l.contains(" RTP/SAVP"))
    {
        return Cow::Borrowed(message);
    }
    let body: String = body
        .split_inclusive('\n')
        .map(|line| {
            if line.starts_with("m=") {
                Cow::Owned(line.replacen(" RTP/SAVP", " RTP/AVP", 1))
            } else {
                Cow::Borrowed(line)
            }
        })
        .collect();
    let head: Vec<String> = head
        .split("\r\n")
        .map(|line| match line.split_once(':') {
            Some((name, _))
                if name.trim().eq_ignore_ascii_case("content-length")
                    || name.trim().eq_ignore_ascii_case("l") =>
            {
                format!("{}: {}", name.trim(), body.len())
            }
            _ => line.to_owned(),
        })
        .collect();
    Cow::Owned(format!("{}\r\n\r\n{body}", head.join("\r\n")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secure_profiles_become_plain_and_the_length_follows() {
        let body = "v=0\r\nm=audio 4000 RTP/SAVP 8 101\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x\r\nm=video 4002 RTP/SAVPF 96\r\n";
        let msg = format!(
            "INVITE sip:a SIP/2.0\r\nl: {}\r\nSubject: RTP/SAVP\r\n\r\n{body}",
            body.len()
        );
        let out = clear_profiles(&msg);
        let want = "v=0\r\nm=audio 4000 RTP/AVP 8 101\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x\r\nm=video 4002 RTP/AVPF 96\r\n";
        assert_eq!(
            out,
            format!(
                "INVITE sip:a SIP/2.0\r\nl: {}\r\nSubject: RTP/SAVP\r\n\r\n{want}",
                want.len()
            )
        );
    }

    #[test]
    fn plain_sdp_and_no_body_stay_as_they_are() {
        let plain = "SIP/2.0 200 OK\r\nContent-Length: 27\r\n\r\nv=0\r\nm=audio 4 RTP/AVP 0\r\n";
        assert!(matches!(clear_profiles(plain), Cow::Borrowed(_)));
        assert!(matches!(
            clear_profiles("BYE sip:a SIP/2.0"),
            Cow::Borrowed(_)
        ));
    }
}
