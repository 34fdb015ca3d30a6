//! Draining (`POST /api/drain`): the SBC stops taking new work so that it can be updated
//! or restarted without cutting calls. While draining, a new call (an INVITE outside any
//! dialog) and an OPTIONS are answered `503 Service Unavailable` with `Retry-After`, so
//! callers and peers that probe the SBC turn to another one; calls in progress (their
//! in-dialog requests never come here), REGISTERs and the SBC's own requests go on.
//! Undrain (`POST /api/undrain`) takes new work again.

use sbc_sip::{Known, Message, Method};

/// Seconds peers are asked to stay away (`Retry-After`): long enough for a restart or
/// an update, short enough that they come back soon after.
pub const RETRY_AFTER_SECONDS: u32 = 120;

/// Whether the SBC is draining.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Drain {
    on: bool,
}

impl Drain {
    pub fn set(&mut self, on: bool) {
        self.on = on;
    }

    pub fn is_on(self) -> bool {
        self.on
    }

    /// The 503's headers when `request` (outside any dialog) is refused while draining.
    pub fn refusal(self, request: &Message) -> Option<Vec<(Known, String)>> {
        let refused = self.on && matches!(request.method(), Some(Method::Invite | Method::Options));
        refused.then(|| vec![(Known::RetryAfter, RETRY_AFTER_SECONDS.to_string())])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sbc_sip::{Framing, Limits};

    fn request(method: &str) -> Message {
        let text = format!(
            "{method} sip:u@10.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK1\r\n\
             From: <sip:a@10.0.0.2>;tag=1\r\nTo: <sip:u@10.0.0.1>\r\nCall-ID: c\r\n\
             CSeq: 1 {method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        );
        Message::parse(text.into_bytes(), Framing::Datagram, &Limits::default()).expect("parses")
    }

    #[test]
    fn refuses_new_calls_and_options_only_while_on() {
        let mut drain = Drain::default();
        assert_eq!(drain.refusal(&request("INVITE")), None);
        drain.set(true);
        let headers = drain.refusal(&request("INVITE")).expect("refused");
        assert_eq!(headers, vec![(Known::RetryAfter, "120".to_owned())]);
        assert!(drain.refusal(&request("OPTIONS")).is_some());
        assert_eq!(drain.refusal(&request("REGISTER")), None);
        drain.set(false);
        assert_eq!(drain.refusal(&request("OPTIONS")), None);
    }
}
