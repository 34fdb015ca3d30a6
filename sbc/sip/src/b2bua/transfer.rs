//! Blind transfer (RFC 3515) as the SBC completes it for `refer = "handle"`: the pieces that
//! stand on their own, ahead of the engine's part.
//!
//! * [`TransferRequest::from_refer`] reads an in-dialog REFER: exactly one Refer-To, a
//!   `sip:`/`sips:` URI kept as received (its URI parameters — Teams' `x-m`, `x-t`,
//!   `user=phone` — stay on the new INVITE's Request-URI), Referred-By copied (RFC 3892).
//!   What it refuses comes back as a [`ReferError`] carrying the status the REFER gets:
//!   400 for a missing, repeated or malformed Refer-To, 416 for a scheme other than
//!   SIP (`tel:` targets reach the SBC as `sip:...;user=phone`), 403 for a Refer-To with
//!   URI headers (`?Replaces=...` is an attended transfer naming a dialog of the far side
//!   that the other leg cannot know: Replaces never crosses), and 482 for a loop: a target
//!   on one of the SBC's own addresses (the new INVITE would come straight back) or a party
//!   of the call itself (the referrer's or the kept leg's Contact: the same dialog).
//! * [`Progress::notify`] builds the NOTIFY the referrer gets for each step of the new
//!   call (RFC 3515 §2.4.5): `Event: refer`, `Content-Type: message/sipfrag`, a body with
//!   the status line (`SIP/2.0 100 Trying`, `SIP/2.0 180 Ringing`, `SIP/2.0 200 OK`, the
//!   failure's code) and `Subscription-State: active;expires=60` until the final one,
//!   `terminated;reason=noresource` with it. The parts go straight into
//!   [`Engine::send_in_dialog`](super::Engine::send_in_dialog).

use crate::grammar::host::parse_hostport;
use crate::grammar::{Host, NameAddr, SipUri, Uri};
use crate::wire::{Known, Message};

/// Why a REFER is not taken; [`ReferError::status`] is its answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferError {
    #[error("the REFER has no Refer-To")]
    MissingReferTo,
    #[error("the REFER has {count} Refer-To values, one is allowed")]
    SeveralReferTo { count: usize },
    #[error("Refer-To {value:?} does not parse")]
    BadReferTo { value: String },
    #[error("Refer-To scheme {scheme:?} is not supported")]
    UnsupportedScheme { scheme: String },
    /// `?Replaces=...` and any other URI header: nothing of the far side crosses.
    #[error("Refer-To carries URI headers ({headers:?}): they never cross")]
    UriHeaders { headers: String },
    /// The target is one of the SBC's own addresses.
    #[error("Refer-To {target} points back at the SBC")]
    Loop { target: String },
    /// The target is a party of the call itself (the referrer's or the kept leg's Contact).
    #[error("Refer-To {target} is a party of this call")]
    SameDialog { target: String },
}

impl ReferError {
    /// The final status the REFER is answered with.
    pub fn status(&self) -> u16 {
        match self {
            ReferError::MissingReferTo
            | ReferError::SeveralReferTo { .. }
            | ReferError::BadReferTo { .. } => 400,
            ReferError::UnsupportedScheme { .. } => 416,
            ReferError::UriHeaders { .. } => 403,
            ReferError::Loop { .. } | ReferError::SameDialog { .. } => 482,
        }
    }
}

/// A REFER the SBC may act on: where to call, and who asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRequest {
    /// The Request-URI of the new INVITE: the Refer-To URI as received, its parameters
    /// kept (and its URI headers, had there been any, refused).
    pub target: String,
    /// The target's user part (`+4930999`), still %-escaped, for routing.
    pub user: Option<String>,
    /// The target's `host[:port]`: whether it is the REFER's own trunk.
    pub host: String,
    /// Referred-By as received (RFC 3892), copied onto the new INVITE.
    pub referred_by: Option<String>,
}

impl TransferRequest {
    /// Reads `refer`. `own` are the SBC's addresses (`host[:port]`, as advertised on each
    /// side); `parties` are the call's remote targets (each leg's Contact URI).
    pub fn from_refer(
        refer: &Message,
        own: &[&str],
        parties: &[&str],
    ) -> Result<TransferRequest, ReferError> {
        let mut values = refer.header_values(Known::ReferTo);
        let value = values.next().ok_or(ReferError::MissingReferTo)?;
        let more = values.count();
        if more > 0 {
            return Err(ReferError::SeveralReferTo { count: more + 1 });
        }
        let bad = || ReferError::BadReferTo {
            value: value.chars().take(200).collect(),
        };
        // One value that is itself a list (`<a>, <b>`) is as many Refer-Tos.
        let list = NameAddr::parse_list(value).map_err(|_| bad())?;
        let addr = match list.as_slice() {
            [one] => *one,
            [] => return Err(bad()),
            several => {
                return Err(ReferError::SeveralReferTo {
                    count: several.len(),
                });
            }
        };
        let uri = match addr.uri {
            Uri::Sip(u) => u,
            Uri::Other { scheme, .. } => {
                return Err(ReferError::UnsupportedScheme {
                    scheme: scheme.to_owned(),
                });
            }
        };
        if !uri.headers.is_empty() {
            return Err(ReferError::UriHeaders {
                headers: uri.headers.chars().take(200).collect(),
            });
        }
        let target = uri.to_string();
        if own.iter().any(|o| names(&uri, o)) {
            return Err(ReferError::Loop { target });
        }
        if parties.iter().any(|p| same_party(&uri, p)) {
            return Err(ReferError::SameDialog { target });
        }
        let host = match uri.port {
            Some(p) => format!("{}:{p}", uri.host),
            None => uri.host.to_string(),
        };
        Ok(TransferRequest {
            target,
            user: uri.user.map(str::to_owned),
            host,
            referred_by: refer.header(Known::ReferredBy).map(str::to_owned),
        })
    }
}

/// Whether `uri` addresses `hostport` (an address of the SBC's): same host, and the same
/// port when both name one.
fn names(uri: &SipUri<'_>, hostport: &str) -> bool {
    let Ok((host, port)) = parse_hostport(hostport) else {
        return false;
    };
    same_host(&uri.host, &host) && (uri.port.is_none() || port.is_none() || uri.port == port)
}

/// Whether `uri` is the party whose Contact is `contact` (user, host and port alike).
fn same_party(uri: &SipUri<'_>, contact: &str) -> bool {
    let Ok(Uri::Sip(c)) = Uri::parse(contact) else {
        return false;
    };
    same_host(&uri.host, &c.host) && uri.port == c.port && uri.user == c.user
}

fn same_host(a: &Host<'_>, b: &Host<'_>) -> bool {
    match (a.ip(), b.ip()) {
        (Some(x), Some(y)) => x == y,
        (None, None) => a.to_string().eq_ignore_ascii_case(&b.to_string()),
        _ => false,
    }
}

/// A step of the new call, as the referrer hears of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Right after the 202: the SBC is calling.
    Trying,
    /// A provisional response of the new leg (180, 183 ...).
    Provisional(u16),
    /// The new leg's final response (a timeout as 408).
    Final(u16),
}

/// A NOTIFY's headers and body, for [`Engine::send_in_dialog`](super::Engine::send_in_dialog).
pub type NotifyParts = (Vec<(Known, String)>, (String, Vec<u8>));

/// How long the implicit subscription of a REFER is said to last (RFC 3515 §2.4.4 leaves
/// it to the notifier; the transfer ends it long before).
pub const SUBSCRIPTION_SECS: u32 = 60;

impl Progress {
    /// The status code the sipfrag reports.
    pub fn code(self) -> u16 {
        match self {
            Progress::Trying => 100,
            Progress::Provisional(c) | Progress::Final(c) => c,
        }
    }

    /// The NOTIFY for this step (RFC 3515 §2.4.5): Event, Subscription-State and a
    /// message/sipfrag body with the status line.
    pub fn notify(self) -> NotifyParts {
        let code = self.code();
        let state = match self {
            Progress::Final(_) => "terminated;reason=noresource".to_owned(),
            _ => format!("active;expires={SUBSCRIPTION_SECS}"),
        };
        let body = format!("SIP/2.0 {code} {}\r\n", crate::wire::reason_phrase(code));
        (
            vec![
                (Known::Event, "refer".to_owned()),
                (Known::SubscriptionState, state),
            ],
            ("message/sipfrag;version=2.0".to_owned(), body.into_bytes()),
        )
    }
}
