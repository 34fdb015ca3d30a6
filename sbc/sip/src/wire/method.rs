//! Request methods: the ones the SBC acts on, and any other token as an extension
//! (RFC 3261 §7.1: methods are case-sensitive, `extension-method = token`).

use std::fmt;

/// A SIP method.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Method {
    Invite,
    Ack,
    Bye,
    Cancel,
    Options,
    Register,
    Prack,
    Update,
    Info,
    Subscribe,
    Notify,
    Refer,
    Message,
    Publish,
    /// Any other token, kept as written.
    Extension(Box<str>),
}

impl Method {
    /// Reads a method token (the caller has checked it is a token).
    pub fn from_token(s: &str) -> Method {
        match s {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "BYE" => Method::Bye,
            "CANCEL" => Method::Cancel,
            "OPTIONS" => Method::Options,
            "REGISTER" => Method::Register,
            "PRACK" => Method::Prack,
            "UPDATE" => Method::Update,
            "INFO" => Method::Info,
            "SUBSCRIBE" => Method::Subscribe,
            "NOTIFY" => Method::Notify,
            "REFER" => Method::Refer,
            "MESSAGE" => Method::Message,
            "PUBLISH" => Method::Publish,
            other => Method::Extension(other.into()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Method::Extension(s) => s,
            known => known.standard_name().unwrap_or_default(),
        }
    }

    /// The name of a method RFC 3261 and its extensions define; `None` for an extension
    /// method (whose name is the peer's text, e.g. not fit for a metrics label).
    pub fn standard_name(&self) -> Option<&'static str> {
        Some(match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Options => "OPTIONS",
            Method::Register => "REGISTER",
            Method::Prack => "PRACK",
            Method::Update => "UPDATE",
            Method::Info => "INFO",
            Method::Subscribe => "SUBSCRIBE",
            Method::Notify => "NOTIFY",
            Method::Refer => "REFER",
            Method::Message => "MESSAGE",
            Method::Publish => "PUBLISH",
            Method::Extension(_) => return None,
        })
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_case_sensitive_and_open() {
        assert_eq!(Method::from_token("INVITE"), Method::Invite);
        assert_eq!(
            Method::from_token("invite"),
            Method::Extension("invite".into())
        );
        let m = Method::from_token("!interesting-Method0123456789_*+`.%indeed'~");
        assert_eq!(m.as_str(), "!interesting-Method0123456789_*+`.%indeed'~");
    }
}
