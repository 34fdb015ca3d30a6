//! What every copy of a SIP message that leaves the call path has masked: the web UI's
//! ladders and pcaps ([`super::ladder`]), the HEP copies to a collector ([`crate::hep`]).
//! The message on the wire is never changed: only the copy is, in place, keeping its
//! length (so its `Content-Length` stays right).
//!
//! * SRTP keys ([`keys`]): the key of every `a=crypto` line, always.
//! * DTMF digits ([`digits`]): the digits of `application/dtmf-relay` and
//!   `application/dtmf` bodies, unless both trunks of the call have `show_digits = true`.
//!
//! Logs print no message or SDP; the only texts that could quote an `a=crypto` value are
//! SDP errors, which `sbc_sdp` masks itself ([`sbc_sdp::masked_inline_keys`]).

pub mod digits;
pub mod keys;

/// Masks a copy of a serialized SIP message for observation: its SRTP keys always, its
/// DTMF digits unless `show_digits`.
pub fn redact(bytes: &mut [u8], show_digits: bool) {
    keys::mask_keys(bytes);
    if !show_digits {
        digits::mask_digits(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    const KEY: &str = "WnD7c+gh5JE6l2c1xMCkSBXdX1OHk4YrC5Hvd7Y4";

    fn sdp_invite() -> Vec<u8> {
        let body = format!(
            "v=0\r\nm=audio 4000 RTP/SAVP 8\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{KEY}\r\n"
        );
        format!(
            "INVITE sip:b SIP/2.0\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }

    fn dtmf_info() -> Vec<u8> {
        b"INFO sip:b SIP/2.0\r\nContent-Type: application/dtmf-relay\r\nContent-Length: 24\r\n\r\nSignal=5\r\nDuration=160\r\n".to_vec()
    }

    #[test]
    fn keys_always_digits_unless_shown() {
        for show_digits in [false, true] {
            let mut invite = sdp_invite();
            redact(&mut invite, show_digits);
            let text = String::from_utf8(invite).expect("UTF-8");
            assert!(!text.contains(KEY), "show_digits {show_digits}: {text}");
            let mut info = dtmf_info();
            redact(&mut info, show_digits);
            assert_eq!(
                info.ends_with(b"Signal=5\r\nDuration=160\r\n"),
                show_digits,
                "{}",
                String::from_utf8_lossy(&info)
            );
        }
    }
}
