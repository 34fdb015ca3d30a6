//! SRTP key material of `a=crypto` lines, masked for every copy that is not the message
//! on the wire: the SBC's observation copies (ladders, pcaps, HEP), its error texts and
//! logs, and the `Debug` output of the types that hold a key.
//!
//! An `inline:` key-info (RFC 4568 §6.1) is `<base64 key||salt>[|lifetime][|MKI:length]`,
//! and one line may carry several, `inline:...;inline:...`; the `FEC_KEY=inline:...`
//! session parameter (§6.3.7) carries one too. Every character of each base64 key becomes
//! [`KEY_MASK`]; the `=` padding, the lifetime, the MKI, the tag, the suite and the session
//! parameters stay, and so does the length (a `Content-Length` stays right).
//!
//! Why `A`: it is the base64 digit of value 0. A masked key is still valid base64 of the
//! same decoded length — padding kept, and with all-zero bits the last digit before the
//! padding is canonical, which strict decoders (Rust's `base64`, libsrtp's) insist on — so
//! Wireshark, sngrep or Homer parse the line as an ordinary `a=crypto` of the right suite
//! and key length, whose key is plainly all zeros. A letter such as `x` would decode too,
//! but its low bits make a padded key non-canonical, and strict parsers refuse it.

/// What each character of a masked key becomes: base64 `A`, the digit of value 0, so a
/// masked key is valid, canonical base64 of all-zero bytes of the same decoded length
/// (padding kept) that strict parsers still read as a key of its suite.
pub const KEY_MASK: u8 = b'A';

const INLINE: &[u8] = b"inline:";

/// Masks the key of every `inline:` key-info in `text` — an `a=crypto` value, or the
/// whole line — in place: each character but `=` padding becomes [`KEY_MASK`], so the
/// length stays, and so do the tag, suite, lifetime, MKI and session parameters. A key
/// runs from `inline:` (any case) to the next `|`, `;`, space, tab, CR or LF, or the end.
/// Returns how many keys were masked.
pub fn mask_inline_keys(text: &mut [u8]) -> usize {
    let mut masked = 0;
    let mut at = 0;
    while let Some(found) = find_ignore_case(&text[at..], INLINE) {
        let mut i = at + found + INLINE.len();
        let start = i;
        while i < text.len() && !matches!(text[i], b'|' | b';' | b' ' | b'\t' | b'\r' | b'\n') {
            if text[i] != b'=' {
                text[i] = KEY_MASK;
            }
            i += 1;
        }
        masked += usize::from(i > start);
        at = i;
    }
    masked
}

/// `value` (an `a=crypto` value or line) with its keys masked, for texts that print it.
pub fn masked_inline_keys(value: &str) -> String {
    let mut bytes = value.as_bytes().to_vec();
    mask_inline_keys(&mut bytes);
    // Only whole characters are replaced (a key ends at an ASCII byte), so this is UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn find_ignore_case(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(line: &str) -> (String, usize) {
        let mut b = line.as_bytes().to_vec();
        let n = mask_inline_keys(&mut b);
        assert_eq!(b.len(), line.len(), "same length");
        (String::from_utf8(b).expect("UTF-8"), n)
    }

    #[test]
    fn a_plain_key_is_masked_and_the_rest_kept() {
        let (m, n) =
            masked("1 AES_CM_128_HMAC_SHA1_80 inline:WnD7c+gh5JE6l2c1xMCkSBXdX1OHk4YrC5Hvd7Y4");
        assert_eq!(
            m,
            format!("1 AES_CM_128_HMAC_SHA1_80 inline:{}", "A".repeat(40))
        );
        assert_eq!(n, 1);
    }

    #[test]
    fn lifetime_mki_padding_and_session_params_stay() {
        let (m, n) = masked(
            "a=crypto:2 AEAD_AES_128_GCM inline:8gfz+Yb/2k3qAvuL6+1/XHD4z9Fsw0GhAnR6Tg==|2^20|1:4 KDR=1 UNENCRYPTED_SRTCP\r\n",
        );
        assert_eq!(
            m,
            format!(
                "a=crypto:2 AEAD_AES_128_GCM inline:{}==|2^20|1:4 KDR=1 UNENCRYPTED_SRTCP\r\n",
                "A".repeat(38)
            )
        );
        assert_eq!(n, 1);
    }

    #[test]
    fn several_key_params_and_an_fec_key_are_all_masked() {
        // RFC 4568 §6.1: several keys, each with its MKI, separated by ';'.
        let (m, n) = masked(
            "1 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4;INLINE:YUJDZGVmZ2hpSktMbW9QUXJzVHVWd3l6MTIzNDU2|2^20|2:4 FEC_KEY=inline:KEY2base64keyKEY2base64keyKEY2base64keyK|2^20",
        );
        let a40 = "A".repeat(40);
        assert_eq!(
            m,
            format!(
                "1 AES_CM_128_HMAC_SHA1_32 inline:{a40}|2^20|1:4;INLINE:{a40}|2^20|2:4 FEC_KEY=inline:{a40}|2^20"
            )
        );
        assert_eq!(n, 3);
    }

    #[test]
    fn a_masked_key_still_parses_as_a_crypto_line_of_the_same_suite() {
        let value = masked_inline_keys(
            "1 AES_CM_128_HMAC_SHA1_80 inline:WnD7c+gh5JE6l2c1xMCkSBXdX1OHk4YrC5Hvd7Y4|2^31",
        );
        let c: crate::Crypto = value.parse().expect("still a crypto line");
        assert_eq!(c.suite, "AES_CM_128_HMAC_SHA1_80");
        let inline = c.key_params[0].as_inline().expect("inline");
        assert_eq!(inline.key_salt, "A".repeat(40));
        assert_eq!(inline.lifetime, Some("2^31"));
    }

    #[test]
    fn debug_output_masks_the_key() {
        let key = "WnD7c+gh5JE6l2c1xMCkSBXdX1OHk4YrC5Hvd7Y4";
        let value = format!("1 AES_CM_128_HMAC_SHA1_80 inline:{key}|2^20");
        let crypto: crate::Crypto = value.parse().expect("crypto");
        let attribute = crate::Attribute::new("crypto", &value);
        for printed in [format!("{crypto:?}"), format!("{attribute:?}")] {
            assert!(!printed.contains(key), "{printed}");
            assert!(
                printed.contains(&format!("{}|2^20", "A".repeat(40))),
                "{printed}"
            );
        }
        let fingerprint = crate::Attribute::new("fingerprint", "sha-256 AB:CD");
        assert!(format!("{fingerprint:?}").contains("sha-256 AB:CD"));
    }

    #[test]
    fn nothing_to_mask() {
        assert_eq!(
            masked("1 AES_CM_128_HMAC_SHA1_80 inline:"),
            ("1 AES_CM_128_HMAC_SHA1_80 inline:".into(), 0)
        );
        assert_eq!(masked("sha-256 AB:CD:EF"), ("sha-256 AB:CD:EF".into(), 0));
        assert_eq!(masked_inline_keys("1 X inline:ké|y"), "1 X inline:AAA|y");
    }
}
