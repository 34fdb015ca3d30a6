//! SRTP keys in copies of SIP messages: always masked.
//!
//! Every `a=crypto` line (RFC 4568; also in OSRTP offers on `RTP/AVP`) carries the master
//! key and salt of one leg's SRTP: whoever reads it can decrypt that leg's media. A line
//! is found wherever a line of the message starts with `a=crypto:` (any case): in an SDP
//! body, in the SDP part of a multipart body, in any `m=` section, with CRLF or bare LF
//! line ends. No SIP header line can start so (`=` is not a token character), so headers
//! are never touched. Each key is masked by [`sbc_sdp::mask_inline_keys`] (base64 `A`,
//! same length; the tag, suite, lifetime, MKI and session parameters stay). There is no
//! switch to show them: media is debugged with a capture, which the pcap writes decrypted.

use sbc_sdp::mask_inline_keys;

const CRYPTO_LINE: &[u8] = b"a=crypto:";

/// Masks the key of every `a=crypto` line in a serialized SIP message, keeping its
/// length. Returns how many keys were masked.
pub fn mask_keys(bytes: &mut [u8]) -> usize {
    let mut masked = 0;
    let mut start = 0;
    while start < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let line = &mut bytes[start..end];
        if line.len() > CRYPTO_LINE.len()
            && line[..CRYPTO_LINE.len()].eq_ignore_ascii_case(CRYPTO_LINE)
        {
            masked += mask_inline_keys(&mut line[CRYPTO_LINE.len()..]);
        }
        start = end + 1;
    }
    masked
}

#[cfg(test)]
mod tests {
    use super::mask_keys;

    const KEY1: &str = "WnD7c+gh5JE6l2c1xMCkSBXdX1OHk4YrC5Hvd7Y4";
    const KEY2: &str = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
    /// 28 bytes (AEAD_AES_128_GCM key and salt): padded.
    const GCM: &str = "8gfz+Yb/2k3qAvuL6+1/XHD4z9Fsw0GhAnR6Tg==";

    fn a(n: usize) -> String {
        "A".repeat(n)
    }

    fn masked(message: &str) -> (String, usize) {
        let mut bytes = message.as_bytes().to_vec();
        let n = mask_keys(&mut bytes);
        assert_eq!(bytes.len(), message.len(), "same length");
        (String::from_utf8(bytes).expect("UTF-8"), n)
    }

    fn invite(content_type: &str, body: &str) -> String {
        format!(
            "INVITE sip:pbx@10.0.0.2 SIP/2.0\r\nCall-ID: c1\r\nSubject: inline:{KEY2}\r\n\
             Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    }

    #[test]
    fn every_crypto_line_of_every_section_and_nothing_else() {
        let body = format!(
            "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
             m=audio 4000 RTP/SAVP 8 101\r\n\
             a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{KEY1}|2^20|1:4\r\n\
             a=crypto:2 AEAD_AES_128_GCM inline:{GCM}\r\n\
             a=fingerprint:sha-256 4A:AD:B9:B1:3F:82:18:3B\r\n\
             m=video 4002 RTP/AVP 96\r\n\
             a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:{KEY2}|2^20|1:4;inline:{KEY1}|2^20|2:4 KDR=1\r\n"
        );
        let message = invite("application/sdp", &body);
        let (m, n) = masked(&message);
        assert_eq!(n, 4);
        let want = message
            .replace(
                &format!("inline:{KEY1}|2^20|1:4\r\n"),
                &format!("inline:{}|2^20|1:4\r\n", a(40)),
            )
            .replace(
                &format!("inline:{GCM}\r\n"),
                &format!("inline:{}==\r\n", a(38)),
            )
            .replace(
                &format!("inline:{KEY2}|2^20|1:4;inline:{KEY1}|2^20|2:4 KDR=1"),
                &format!("inline:{}|2^20|1:4;inline:{}|2^20|2:4 KDR=1", a(40), a(40)),
            );
        assert_eq!(m, want);
        assert!(
            m.contains(&format!("Subject: inline:{KEY2}\r\n")),
            "headers untouched"
        );
        assert!(m.contains("a=fingerprint:sha-256 4A:AD:B9:B1:3F:82:18:3B\r\n"));
        assert!(!m.contains(KEY1) && !m.contains(GCM), "{m}");
    }

    #[test]
    fn lf_bodies_and_a_last_line_without_end() {
        let body = format!(
            "v=0\nm=audio 4000 RTP/AVP 0\nA=CRYPTO:1 AES_CM_128_HMAC_SHA1_80 inline:{KEY1}\na=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:{KEY2}"
        );
        let (m, n) = masked(&invite("application/sdp", &body));
        assert_eq!(n, 2);
        assert!(
            m.ends_with(&format!(
                "\nA=CRYPTO:1 AES_CM_128_HMAC_SHA1_80 inline:{}\na=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:{}",
                a(40),
                a(40)
            )),
            "{m}"
        );
    }

    #[test]
    fn the_sdp_part_of_a_multipart_body() {
        let body = format!(
            "--b1\r\nContent-Type: application/sdp\r\n\r\nv=0\r\nm=audio 4000 RTP/SAVP 0\r\n\
             a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{KEY1}\r\n\r\n--b1\r\n\
             Content-Type: application/isup\r\n\r\n\x01\x02inline:x\r\n--b1--\r\n"
        );
        let (m, n) = masked(&invite("multipart/mixed;boundary=b1", &body));
        assert_eq!(n, 1);
        assert!(!m.contains(KEY1), "{m}");
        assert!(
            m.contains("\x01\x02inline:x\r\n--b1--"),
            "other parts untouched"
        );
    }

    #[test]
    fn messages_without_keys_stay_as_they_are() {
        for message in [
            invite(
                "application/sdp",
                "v=0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
            ),
            "SIP/2.0 200 OK\r\nCall-ID: c1\r\n\r\n".to_owned(),
            invite("application/sdp", "a=crypto:"),
            String::new(),
        ] {
            assert_eq!(masked(&message), (message.clone(), 0));
        }
    }
}
