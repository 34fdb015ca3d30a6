//! Reason phrases (RFC 3261 §21 and the IANA "Response Codes" registry of SIP
//! Parameters): every status code the SBC sends goes out with its registered phrase,
//! never a placeholder a peer would show to a user (`488 Unknown`).
//!
//! A code without a registered phrase (the SBC relays what peers send, and a peer may
//! use one) gets the name of its class from RFC 3261 §7.2.

/// Registered codes and their phrases, in code order.
const REGISTERED: &[(u16, &str)] = &[
    (100, "Trying"),
    (180, "Ringing"),
    (181, "Call Is Being Forwarded"),
    (182, "Queued"),
    (183, "Session Progress"),
    (199, "Early Dialog Terminated"),
    (200, "OK"),
    (202, "Accepted"),
    (204, "No Notification"),
    (300, "Multiple Choices"),
    (301, "Moved Permanently"),
    (302, "Moved Temporarily"),
    (305, "Use Proxy"),
    (380, "Alternative Service"),
    (400, "Bad Request"),
    (401, "Unauthorized"),
    (402, "Payment Required"),
    (403, "Forbidden"),
    (404, "Not Found"),
    (405, "Method Not Allowed"),
    (406, "Not Acceptable"),
    (407, "Proxy Authentication Required"),
    (408, "Request Timeout"),
    (410, "Gone"),
    (412, "Conditional Request Failed"),
    (413, "Request Entity Too Large"),
    (414, "Request-URI Too Long"),
    (415, "Unsupported Media Type"),
    (416, "Unsupported URI Scheme"),
    (417, "Unknown Resource-Priority"),
    (420, "Bad Extension"),
    (421, "Extension Required"),
    (422, "Session Interval Too Small"),
    (423, "Interval Too Brief"),
    (424, "Bad Location Information"),
    (425, "Bad Alert Message"),
    (428, "Use Identity Header"),
    (429, "Provide Referrer Identity"),
    (430, "Flow Failed"),
    (433, "Anonymity Disallowed"),
    (436, "Bad Identity Info"),
    (437, "Unsupported Credential"),
    (438, "Invalid Identity Header"),
    (439, "First Hop Lacks Outbound Support"),
    (440, "Max-Breadth Exceeded"),
    (469, "Bad Info Package"),
    (470, "Consent Needed"),
    (480, "Temporarily Unavailable"),
    (481, "Call/Transaction Does Not Exist"),
    (482, "Loop Detected"),
    (483, "Too Many Hops"),
    (484, "Address Incomplete"),
    (485, "Ambiguous"),
    (486, "Busy Here"),
    (487, "Request Terminated"),
    (488, "Not Acceptable Here"),
    (489, "Bad Event"),
    (491, "Request Pending"),
    (493, "Undecipherable"),
    (494, "Security Agreement Required"),
    (500, "Server Internal Error"),
    (501, "Not Implemented"),
    (502, "Bad Gateway"),
    (503, "Service Unavailable"),
    (504, "Server Time-out"),
    (505, "Version Not Supported"),
    (513, "Message Too Large"),
    (555, "Push Notification Service Not Supported"),
    (580, "Precondition Failure"),
    (600, "Busy Everywhere"),
    (603, "Decline"),
    (604, "Does Not Exist Anywhere"),
    (606, "Not Acceptable"),
    (607, "Unwanted"),
    (608, "Rejected"),
];

/// The reason phrase the SBC sends with `code`.
pub fn reason_phrase(code: u16) -> &'static str {
    match REGISTERED.binary_search_by_key(&code, |&(c, _)| c) {
        Ok(i) => REGISTERED[i].1,
        Err(_) => class_phrase(code),
    }
}

/// The RFC 3261 §7.2 name of a code's class.
fn class_phrase(code: u16) -> &'static str {
    match code / 100 {
        1 => "Provisional",
        2 => "Success",
        3 => "Redirection",
        4 => "Client Error",
        5 => "Server Error",
        _ => "Global Failure",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_without_duplicates() {
        assert!(REGISTERED.windows(2).all(|w| w[0].0 < w[1].0));
    }

    /// Every code the SBC can put in a status line (100-699, RFC 3261 §7.2) carries a
    /// phrase: the registered one, else its class's name.
    #[test]
    fn every_code_has_a_phrase() {
        for code in 100..=699u16 {
            let phrase = reason_phrase(code);
            assert!(!phrase.is_empty(), "{code}");
            assert_ne!(phrase, "Unknown", "{code}");
            assert!(phrase.bytes().all(|b| b.is_ascii_graphic() || b == b' '));
        }
    }

    /// The codes the SBC itself answers with, among them those that went out as
    /// "Unknown" before this table existed.
    #[test]
    fn codes_the_sbc_sends() {
        for (code, phrase) in [
            (403, "Forbidden"),
            (406, "Not Acceptable"),
            (420, "Bad Extension"),
            (422, "Session Interval Too Small"),
            (423, "Interval Too Brief"),
            (480, "Temporarily Unavailable"),
            (481, "Call/Transaction Does Not Exist"),
            (486, "Busy Here"),
            (488, "Not Acceptable Here"),
            (491, "Request Pending"),
            (500, "Server Internal Error"),
            (503, "Service Unavailable"),
            (504, "Server Time-out"),
        ] {
            assert_eq!(reason_phrase(code), phrase);
        }
        assert_eq!(reason_phrase(499), "Client Error");
        assert_eq!(reason_phrase(699), "Global Failure");
    }
}
