//! Building REGISTER requests (RFC 3261 §10.2) and reading what the registrar answers
//! (§10.2.4 granted expiry, §10.2.8 Min-Expires, §20.33 Retry-After).

use std::time::Duration;

use super::config::RegistrationConfig;
use crate::grammar::scalar::parse_u32;
use crate::grammar::{NameAddr, Uri, name_addr};
use crate::transaction::new_branch;
use crate::{Known, Message, Method};

/// The parts of a REGISTER that vary between requests.
#[derive(Debug)]
pub(crate) struct RegisterFields<'a> {
    pub(crate) call_id: &'a str,
    pub(crate) from_tag: &'a str,
    pub(crate) cseq: u32,
    pub(crate) expires: u32,
    pub(crate) branch_random: u64,
    /// `Authorization` / `Proxy-Authorization` fields, ready to print.
    pub(crate) credentials: Vec<(Known, String)>,
}

/// A REGISTER: Request-URI the registrar, To and From the AOR, one Via with a fresh
/// branch and `rport` (RFC 3581), the binding's expiry both as the Contact's `expires`
/// parameter and as an Expires header (registrars differ in which they read).
pub(crate) fn register(config: &RegistrationConfig, f: &RegisterFields<'_>) -> Message {
    let mut m = Message::request(Method::Register, &config.registrar);
    let sent_by = match &config.via_sent_by {
        Some(s) => s.clone(),
        None => config.peer.local.to_string(),
    };
    m.push_header(
        Known::Via,
        format!(
            "SIP/2.0/{} {sent_by};branch={};rport",
            config.peer.transport.via_token(),
            new_branch(f.branch_random)
        ),
    );
    m.push_header(Known::MaxForwards, "70");
    m.push_header(Known::From, format!("<{}>;tag={}", config.aor, f.from_tag));
    m.push_header(Known::To, format!("<{}>", config.aor));
    m.push_header(Known::CallId, f.call_id);
    m.push_header(Known::CSeq, format!("{} REGISTER", f.cseq));
    m.push_header(
        Known::Contact,
        format!("<{}>;expires={}", config.contact, f.expires),
    );
    m.push_header(Known::Expires, f.expires.to_string());
    for (name, value) in &f.credentials {
        m.push_header(*name, value.as_str());
    }
    if let Some(ua) = &config.user_agent {
        m.push_header(Known::UserAgent, ua.as_str());
    }
    m
}

/// The expiry the registrar granted our binding (§10.2.4): the `expires` parameter of
/// the Contact that is ours, else the Expires header. `None` when the 2xx says neither
/// (the caller then assumes what it asked for).
pub(crate) fn granted_expires(response: &Message, contact: &str) -> Option<u32> {
    let ours = Uri::parse(contact).ok();
    let mut found = None;
    for value in response.header_values(Known::Contact) {
        // A malformed Contact list is skipped, not fatal: the Expires header remains.
        let _ = name_addr::for_each(value, |a: NameAddr<'_>| {
            if found.is_none() && ours.as_ref().is_some_and(|o| same_binding(o, &a.uri)) {
                found = a
                    .params
                    .get("expires")
                    .flatten()
                    .and_then(|e| parse_u32(e, "expires").ok());
            }
            Ok(())
        });
    }
    found.or_else(|| {
        response
            .header(Known::Expires)
            .and_then(|e| parse_u32(e, "Expires").ok())
    })
}

/// Whether two Contact URIs name the same binding: scheme, user, host (any case) and
/// port, an absent port meaning the scheme's default. Registrars add parameters
/// (`;received=`, `;ob`) and may spell the port out, so those are not compared.
fn same_binding(a: &Uri<'_>, b: &Uri<'_>) -> bool {
    let (Some(a), Some(b)) = (a.as_sip(), b.as_sip()) else {
        return false;
    };
    let port =
        |u: &crate::grammar::SipUri<'_>| u.port.unwrap_or(if u.secure { 5061 } else { 5060 });
    a.secure == b.secure
        && a.user == b.user
        && a.host.to_string().eq_ignore_ascii_case(&b.host.to_string())
        && port(a) == port(b)
}

/// `Min-Expires` of a 423 (§20.23).
pub(crate) fn min_expires(response: &Message) -> Option<u32> {
    response
        .other_header("Min-Expires")
        .and_then(|v| parse_u32(v, "Min-Expires").ok())
}

/// `Retry-After = delta-seconds [ comment ] *( SEMI retry-param )` (§20.33): only the
/// seconds are used.
pub(crate) fn retry_after(response: &Message) -> Option<Duration> {
    let v = response.header(Known::RetryAfter)?.trim_start();
    let digits = v.split(|c: char| !c.is_ascii_digit()).next()?;
    parse_u32(digits, "Retry-After")
        .ok()
        .map(|s| Duration::from_secs(u64::from(s)))
}
