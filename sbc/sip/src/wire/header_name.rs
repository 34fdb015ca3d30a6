//! Header names: the ones the SBC reads, recognised in long and compact form
//! (RFC 3261 §7.3.3 and the IANA registry), case-insensitively.

use std::fmt;

macro_rules! known_headers {
    ($( $variant:ident => $long:literal $(, $compact:literal)? ;)*) => {
        /// A header the SBC knows by name. Unknown headers are [`HeaderName::Other`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Known { $( $variant, )* }

        impl Known {
            /// How many known headers there are (for per-header tables).
            pub(crate) const COUNT: usize = [$( Known::$variant, )*].len();

            /// The canonical long form, used when printing.
            pub const fn as_str(self) -> &'static str {
                match self { $( Known::$variant => $long, )* }
            }

            /// The header a name (long or compact form, any case) denotes, if known.
            pub(crate) fn lookup(name: &str) -> Option<Known> {
                if name.len() == 1 {
                    let c = name.as_bytes()[0].to_ascii_lowercase();
                    $( $( if c == $compact { return Some(Known::$variant); } )? )*
                    return None;
                }
                $( if name.eq_ignore_ascii_case($long) { return Some(Known::$variant); } )*
                None
            }
        }
    };
}

known_headers! {
    Via => "Via", b'v';
    From => "From", b'f';
    To => "To", b't';
    CallId => "Call-ID", b'i';
    CSeq => "CSeq";
    Contact => "Contact", b'm';
    MaxForwards => "Max-Forwards";
    ContentLength => "Content-Length", b'l';
    ContentType => "Content-Type", b'c';
    ContentEncoding => "Content-Encoding", b'e';
    Route => "Route";
    RecordRoute => "Record-Route";
    Expires => "Expires";
    Require => "Require";
    ProxyRequire => "Proxy-Require";
    Supported => "Supported", b'k';
    Unsupported => "Unsupported";
    Allow => "Allow";
    Accept => "Accept";
    AcceptEncoding => "Accept-Encoding";
    Date => "Date";
    Subject => "Subject", b's';
    UserAgent => "User-Agent";
    Server => "Server";
    Warning => "Warning";
    RetryAfter => "Retry-After";
    Event => "Event", b'o';
    ReferTo => "Refer-To", b'r';
    ReferredBy => "Referred-By", b'b';
    SubscriptionState => "Subscription-State";
    AllowEvents => "Allow-Events", b'u';
    SessionExpires => "Session-Expires", b'x';
    MinSe => "Min-SE";
    RSeq => "RSeq";
    RAck => "RAck";
    PAssertedIdentity => "P-Asserted-Identity";
    Authorization => "Authorization";
    ProxyAuthorization => "Proxy-Authorization";
    WwwAuthenticate => "WWW-Authenticate";
    ProxyAuthenticate => "Proxy-Authenticate";
    Identity => "Identity", b'y';
    AcceptContact => "Accept-Contact", b'a';
    RejectContact => "Reject-Contact", b'j';
    RequestDisposition => "Request-Disposition", b'd';
}

/// A header's name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HeaderName {
    Known(Known),
    /// Kept exactly as written.
    Other(Box<str>),
}

impl HeaderName {
    /// Reads a header name (the caller has checked it is a token).
    pub fn from_token(name: &str) -> HeaderName {
        match Known::lookup(name) {
            Some(k) => HeaderName::Known(k),
            None => HeaderName::Other(name.into()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            HeaderName::Known(k) => k.as_str(),
            HeaderName::Other(s) => s,
        }
    }

    pub fn is(&self, k: Known) -> bool {
        *self == HeaderName::Known(k)
    }
}

impl From<Known> for HeaderName {
    fn from(k: Known) -> Self {
        HeaderName::Known(k)
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_and_long_forms() {
        assert_eq!(HeaderName::from_token("v"), HeaderName::Known(Known::Via));
        assert_eq!(HeaderName::from_token("V"), HeaderName::Known(Known::Via));
        assert_eq!(
            HeaderName::from_token("cAlL-iD"),
            HeaderName::Known(Known::CallId)
        );
        assert_eq!(
            HeaderName::from_token("l"),
            HeaderName::Known(Known::ContentLength)
        );
        assert_eq!(
            HeaderName::from_token("X-Custom"),
            HeaderName::Other("X-Custom".into())
        );
        assert_eq!(HeaderName::from_token("q"), HeaderName::Other("q".into()));
    }
}
