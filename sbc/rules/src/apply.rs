//! Applying one checked [`Rule`] to a [`SipText`].
//!
//! A rule whose conditions do not hold leaves the message alone. One that holds acts on
//! every instance of its header (the Request-URI for `Request-URI`); what a template
//! fills in for a URI part is checked again here, and a value that cannot stand there
//! leaves that instance unchanged and is reported ([`Outcome::Refused`]).

use regex::{Captures, Regex};

use crate::message::{SipText, same_header};
use crate::rule::{Action, Direction, Kind, Part, REQUEST_URI, Rule, SINGLE, part_name};
use crate::template::Template;
use crate::value::{get_param, get_uri_part, set_param, set_uri_part, uri_of};

/// What one rule did to one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Its conditions did not hold.
    NotApplicable,
    /// It held; `changed` tells whether the text differs.
    Applied { changed: bool },
    /// It held, but what it would write cannot stand where it goes: left unchanged.
    Refused { reason: String },
}

impl Rule {
    /// Whether the rule's conditions hold for `msg` going in `direction`; with the
    /// captures of `if_match` when it has one.
    fn matches<'m>(&self, msg: &'m SipText, direction: Direction) -> Option<Option<Captures<'m>>> {
        if self.direction != direction {
            return None;
        }
        let request = msg.is_request();
        match self.kind {
            Kind::Request if !request => return None,
            Kind::Response if request => return None,
            _ => {}
        }
        if let Some(m) = &self.method {
            let method = msg.method().unwrap_or_default();
            // A CANCEL and the ACK of a failed INVITE carry the INVITE's Request-URI
            // (RFC 3261 §9.1, §17.1.1.3): what changes the one changes them.
            let same_uri_as_invite = self.header == REQUEST_URI
                && m == "INVITE"
                && request
                && (method.eq_ignore_ascii_case("CANCEL") || method.eq_ignore_ascii_case("ACK"));
            if !method.eq_ignore_ascii_case(m) && !same_uri_as_invite {
                return None;
            }
        }
        if let Some(s) = self.status {
            if !msg.status().is_some_and(|c| s.matches(c)) {
                return None;
            }
        }
        let Some(name) = &self.if_header else {
            return Some(None);
        };
        let values: Vec<&str> = if name.eq_ignore_ascii_case(REQUEST_URI) {
            msg.request_uri().into_iter().collect()
        } else {
            msg.headers
                .iter()
                .filter(|(n, _)| same_header(n, name))
                .map(|(_, v)| v.as_str())
                .collect()
        };
        match &self.if_match {
            None => (!values.is_empty()).then_some(None),
            Some(re) => values.into_iter().find_map(|v| re.captures(v)).map(Some),
        }
    }

    /// Applies the rule to `msg` going in `direction`; `other` is the message the SBC
    /// last received on the call's other leg, which `${other.<Header>}` reads. A rule
    /// reading a header `other` does not have leaves the message as it was.
    pub fn apply(
        &self,
        msg: &mut SipText,
        direction: Direction,
        other: Option<&SipText>,
    ) -> Outcome {
        let Some(captures) = self.matches(msg, direction) else {
            return Outcome::NotApplicable;
        };
        if let Some(reason) = self.template().and_then(|t| t.unfilled(other)) {
            return Outcome::Refused { reason };
        }
        // Owned, so the message can change below.
        let captures: Option<Vec<Option<String>>> =
            captures.map(|c| c.iter().map(|m| m.map(|m| m.as_str().to_owned())).collect());
        let before = msg.clone();
        let fill = Fill {
            caps: captures.as_deref(),
            other,
        };
        let result = if self.header == REQUEST_URI {
            self.apply_to_request_uri(msg, &fill)
        } else {
            self.apply_to_headers(msg, &fill)
        };
        match result {
            Ok(()) => Outcome::Applied {
                changed: *msg != before,
            },
            Err(reason) => {
                *msg = before;
                Outcome::Refused { reason }
            }
        }
    }

    /// The template the action writes, if it has one.
    fn template(&self) -> Option<&Template> {
        match &self.action {
            Action::Add(t) | Action::Set(t) | Action::Replace { with: t, .. } => Some(t),
            Action::Remove => None,
        }
    }

    fn apply_to_request_uri(&self, msg: &mut SipText, fill: &Fill<'_>) -> Result<(), String> {
        let Some(uri) = msg.request_uri().map(str::to_owned) else {
            return Ok(());
        };
        let new = self.change_value(&uri, true, fill)?;
        match new {
            Some(new) => msg.set_request_uri(&new),
            None => return Err("the Request-URI cannot be removed".into()),
        }
        Ok(())
    }

    fn apply_to_headers(&self, msg: &mut SipText, fill: &Fill<'_>) -> Result<(), String> {
        let present = msg
            .headers
            .iter()
            .any(|(n, _)| same_header(n, &self.header));
        match (&self.part, &self.action) {
            (Part::Whole, Action::Add(t)) => {
                let value = fill.expand(t);
                insert_after_last(msg, &self.header, value);
                return Ok(());
            }
            (Part::Whole, Action::Set(t)) if !present => {
                let value = fill.expand(t);
                insert_after_last(msg, &self.header, value);
                return Ok(());
            }
            (Part::Whole, Action::Set(_)) => {
                // One instance, the first, keeps its place.
                let mut seen = false;
                msg.headers.retain(|(n, _)| {
                    let same = same_header(n, &self.header);
                    let keep = !same || !seen;
                    seen |= same;
                    keep
                });
            }
            _ => {}
        }
        let mut out = Vec::with_capacity(msg.headers.len());
        for (name, value) in std::mem::take(&mut msg.headers) {
            if !same_header(&name, &self.header) {
                out.push((name, value));
                continue;
            }
            if let Some(v) = self.change_value(&value, false, fill)? {
                if SINGLE.iter().any(|s| same_header(s, &name)) {
                    keeps_identity(&name, &value, &v)?;
                }
                out.push((name, v));
            }
        }
        msg.headers = out;
        Ok(())
    }

    /// The new text of one header value (or Request-URI when `whole_is_uri`); `None`
    /// removes the header.
    fn change_value(
        &self,
        value: &str,
        whole_is_uri: bool,
        filler: &Fill<'_>,
    ) -> Result<Option<String>, String> {
        let fill = |t: &Template| filler.expand(t);
        let replace = |pattern: &Regex, value: &str, with: &Template| {
            replace(pattern, value, with, filler.other)
        };
        Ok(match (&self.part, &self.action) {
            (Part::Whole, Action::Remove) => None,
            (Part::Whole, Action::Add(t) | Action::Set(t)) => Some(fill(t)),
            (Part::Whole, Action::Replace { pattern, with }) => Some(replace(pattern, value, with)),
            (Part::Param(p), Action::Remove) => Some(set_param(value, p, None)),
            (Part::Param(p), Action::Add(t) | Action::Set(t)) => {
                let v = fill(t);
                check_param_value(&v)?;
                Some(set_param(value, p, Some(&v)))
            }
            (Part::Param(p), Action::Replace { pattern, with }) => match get_param(value, p) {
                Some(Some(old)) => {
                    let v = replace(pattern, old, with);
                    check_param_value(&v)?;
                    Some(set_param(value, p, Some(&v)))
                }
                _ => Some(value.to_owned()),
            },
            (Part::Uri(u), action) => {
                let new = match action {
                    Action::Remove => None,
                    Action::Add(t) | Action::Set(t) => Some(fill(t)),
                    Action::Replace { pattern, with } => {
                        match get_uri_part(value, *u, whole_is_uri) {
                            Some(old) => Some(replace(pattern, old, with)),
                            None => return Ok(Some(value.to_owned())),
                        }
                    }
                };
                if let Some(text) = &new {
                    if !u.accepts(text) {
                        return Err(format!(
                            "\"{text}\" cannot stand in a URI's {}",
                            part_name(*u)
                        ));
                    }
                }
                let changed = set_uri_part(value, *u, new.as_deref(), whole_is_uri)
                    .ok_or_else(|| format!("\"{}\" has no URI", uri_of(value)))?;
                Some(changed)
            }
        })
    }
}

/// What a template is filled in with: the captures of `if_match`, and the other leg's
/// message.
struct Fill<'a> {
    caps: Option<&'a [Option<String>]>,
    other: Option<&'a SipText>,
}

impl Fill<'_> {
    fn expand(&self, t: &Template) -> String {
        let caps: Vec<Option<&str>> = self
            .caps
            .unwrap_or_default()
            .iter()
            .map(Option::as_deref)
            .collect();
        t.expand(&caps, self.other)
    }
}

/// Every match of `pattern` in `value` replaced by `with` filled with that match's
/// captures (and the other leg's message).
fn replace(pattern: &Regex, value: &str, with: &Template, other: Option<&SipText>) -> String {
    pattern
        .replace_all(value, |c: &Captures<'_>| {
            let caps: Vec<Option<&str>> = c.iter().map(|m| m.map(|m| m.as_str())).collect();
            with.expand(&caps, other)
        })
        .into_owned()
}

/// From and To keep their tag and a URI through any change.
fn keeps_identity(name: &str, old: &str, new: &str) -> Result<(), String> {
    if get_param(old, "tag") != get_param(new, "tag") {
        return Err(format!("{name} would lose or change its tag"));
    }
    let uri = uri_of(new);
    let scheme = uri.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
    if !matches!(scheme.as_deref(), Some("sip" | "sips" | "tel")) {
        return Err(format!("{name} would not carry a sip:, sips: or tel: URI"));
    }
    Ok(())
}

/// A header parameter value may not carry what ends it or the header.
fn check_param_value(v: &str) -> Result<(), String> {
    if v.bytes()
        .any(|b| matches!(b, b';' | b',' | b'<' | b'>' | b' ' | b'\t'))
    {
        return Err(format!("\"{v}\" cannot stand as a parameter value"));
    }
    Ok(())
}

/// Adds `name: value` after the last instance of `name`, or before Content-Length /
/// at the end.
fn insert_after_last(msg: &mut SipText, name: &str, value: String) {
    let at = msg
        .headers
        .iter()
        .rposition(|(n, _)| same_header(n, name))
        .map_or(msg.headers.len(), |i| i + 1);
    msg.headers.insert(at, (name.to_owned(), value));
}
