//! RFC 3261 §25.1 character classes, as 256-entry lookup tables.

const fn table(extra: &[u8], alnum: bool) -> [bool; 256] {
    let mut t = [false; 256];
    if alnum {
        let mut c = b'0';
        while c <= b'9' {
            t[c as usize] = true;
            c += 1;
        }
        let mut c = b'a';
        while c <= b'z' {
            t[c as usize] = true;
            t[(c - 32) as usize] = true;
            c += 1;
        }
    }
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = true;
        i += 1;
    }
    t
}

/// `token` (RFC 3261 §25.1).
static TOKEN: [bool; 256] = table(b"-.!%*_+`'~", true);
/// Characters of a SIP URI's user part besides escapes (unreserved / user-unreserved).
static USER: [bool; 256] = table(b"-_.!~*'()&=+$,;?/", true);
/// Characters of a SIP URI's password besides escapes.
static PASSWORD: [bool; 256] = table(b"-_.!~*'()&=+$,", true);
/// `paramchar` besides escapes (param-unreserved / unreserved).
static PARAM: [bool; 256] = table(b"-_.!~*'()[]/:&+$", true);
/// URI `hvalue`/`hname` characters besides escapes (hnv-unreserved / unreserved).
static HEADER: [bool; 256] = table(b"-_.!~*'()[]/?:+$", true);
/// Characters of a host name (lenient: `_` is accepted, as deployed SIP needs).
static HOSTNAME: [bool; 256] = table(b"-._", true);
/// `uric` for non-SIP absolute URIs (RFC 2396 reserved / unreserved / escaped).
static URIC: [bool; 256] = table(b";/?:@&=+$,-_.!~*'()%#[]", true);
/// `word` (Call-ID parts).
static WORD: [bool; 256] = table(b"-.!%*_+`'~()<>:\\\"/[]?{}", true);

#[inline]
pub(crate) fn is_token(b: u8) -> bool {
    TOKEN[b as usize]
}
#[inline]
pub(crate) fn is_user(b: u8) -> bool {
    USER[b as usize]
}
#[inline]
pub(crate) fn is_password(b: u8) -> bool {
    PASSWORD[b as usize]
}
#[inline]
pub(crate) fn is_param(b: u8) -> bool {
    PARAM[b as usize]
}
#[inline]
pub(crate) fn is_header(b: u8) -> bool {
    HEADER[b as usize]
}
#[inline]
pub(crate) fn is_hostname(b: u8) -> bool {
    HOSTNAME[b as usize]
}
#[inline]
pub(crate) fn is_uric(b: u8) -> bool {
    URIC[b as usize]
}
#[inline]
pub(crate) fn is_word(b: u8) -> bool {
    WORD[b as usize]
}

/// Index of the first `b` in `s`. A plain byte loop: header values and URIs are short,
/// where it beats both `str::find(char)` and memchr's SIMD set-up.
pub(crate) fn find(s: &str, b: u8) -> Option<usize> {
    s.as_bytes().iter().position(|&c| c == b)
}

/// `s` split around the first `b` (which must be ASCII), like `str::split_once`.
pub(crate) fn split_once(s: &str, b: u8) -> Option<(&str, &str)> {
    find(s, b).map(|i| (&s[..i], &s[i + 1..]))
}

/// True when `s` is a non-empty `token`.
pub fn is_token_str(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token)
}

/// Checks that `s` is made of `allowed` characters and well-formed `%HH` escapes.
pub(crate) fn is_escaped_with(s: &str, allowed: impl Fn(u8) -> bool) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if i + 2 >= b.len() {
                return false;
            }
            if !(b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit()) {
                return false;
            }
            i += 3;
        } else if allowed(b[i]) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_excludes_separators() {
        assert!(is_token_str("INVITE"));
        assert!(is_token_str("!interesting-Method0123456789_*+`.%indeed'~"));
        assert!(!is_token_str("a b"));
        assert!(!is_token_str("a,b"));
        assert!(!is_token_str(""));
    }

    #[test]
    fn escapes_must_be_complete() {
        assert!(is_escaped_with("null-%00-null", is_user));
        assert!(!is_escaped_with("bad%4", is_user));
        assert!(!is_escaped_with("bad%", is_user));
        assert!(!is_escaped_with("bad%zz", is_user));
    }
}
