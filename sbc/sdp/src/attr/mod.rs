//! `a=` lines: the ordered attribute list of a section and the typed views of the
//! attributes the SBC acts on.
//!
//! Every attribute is stored as received, `name` and optional `value` split at the first
//! colon, and printed back byte-exact. Typed views ([`RtpMap`], [`Crypto`], ...) are
//! parsed from that text on demand. The parser validates the attributes the rewrite
//! depends on (`rtpmap`, `fmtp`, `rtcp`, `crypto`, `ptime`, `maxptime`) so that a
//! malformed one refuses the description instead of being silently skipped.

mod access;
mod crypto;
mod direction;
mod ice;
mod key_mask;
mod rtcp;
mod rtpmap;

pub use crypto::{Crypto, InlineKey, KeyParam};
pub use direction::Direction;
pub use ice::{Candidate, ICE_ATTRIBUTES};
pub use key_mask::{KEY_MASK, mask_inline_keys, masked_inline_keys};
pub use rtcp::Rtcp;
pub(crate) use rtpmap::parse_pt as rtpmap_pt;
pub use rtpmap::{Fmtp, RtpMap};

use std::fmt;

use crate::error::AttributeError;

/// One `a=` line: `a=<name>` (a flag such as `sendrecv`) or `a=<name>:<value>`. Its
/// `Debug` output masks the keys of a `crypto` value ([`mask_inline_keys`]).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Attribute {
    pub name: String,
    pub value: Option<String>,
}

impl fmt::Debug for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = match &self.value {
            Some(v) if self.name.eq_ignore_ascii_case("crypto") => Some(masked_inline_keys(v)),
            other => other.clone(),
        };
        f.debug_struct("Attribute")
            .field("name", &self.name)
            .field("value", &value)
            .finish()
    }
}

impl Attribute {
    /// A flag attribute, `a=<name>`.
    pub fn flag(name: &str) -> Self {
        Attribute {
            name: name.to_owned(),
            value: None,
        }
    }

    /// A valued attribute, `a=<name>:<value>`.
    pub fn new(name: &str, value: impl fmt::Display) -> Self {
        Attribute {
            name: name.to_owned(),
            value: Some(value.to_string()),
        }
    }

    /// Splits the text after `a=` at the first colon.
    pub(crate) fn parse(text: &str) -> Self {
        match text.split_once(':') {
            Some((name, value)) => Attribute {
                name: name.to_owned(),
                value: Some(value.to_owned()),
            },
            None => Attribute::flag(text),
        }
    }

    /// The first space-separated token of the value: the payload type of `rtpmap`,
    /// `fmtp` and `rtcp-fb`.
    pub(crate) fn format(&self) -> Option<&str> {
        self.value.as_deref()?.split(' ').next()
    }

    /// Checks the grammar of the attributes the rewrite relies on.
    pub(crate) fn validate(&self) -> Result<(), AttributeError> {
        let value = self.value.as_deref().unwrap_or("");
        match self.name.as_str() {
            "rtpmap" => value.parse::<RtpMap>().map(drop),
            "fmtp" => value.parse::<Fmtp>().map(drop),
            "rtcp" => value.parse::<Rtcp>().map(drop),
            "crypto" => value.parse::<Crypto>().map(drop),
            "ptime" => access::parse_ptime(value)
                .map(drop)
                .ok_or_else(|| AttributeError::new("ptime", value)),
            "maxptime" => access::parse_ptime(value)
                .map(drop)
                .ok_or_else(|| AttributeError::new("maxptime", value)),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Attribute {
    /// The text after `a=`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "{}:{v}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// The `a=` lines of one section, in order. Names compare case-sensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Attributes(Vec<Attribute>);

impl Attributes {
    pub fn new() -> Self {
        Attributes(Vec::new())
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Attribute> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first attribute called `name`.
    pub fn get(&self, name: &str) -> Option<&Attribute> {
        self.0.iter().find(|a| a.name == name)
    }

    /// Whether an attribute called `name` is present (flag or valued).
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The value of the first attribute called `name` that has one.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .filter(|a| a.name == name)
            .find_map(|a| a.value.as_deref())
    }

    /// The values of all attributes called `name`, in order.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |a| a.name == name)
            .filter_map(|a| a.value.as_deref())
    }

    /// Appends at the end of the section.
    pub fn push(&mut self, attr: Attribute) {
        self.0.push(attr);
    }

    /// Removes every attribute called `name`; returns how many there were.
    pub fn remove(&mut self, name: &str) -> usize {
        self.remove_where(|a| a.name == name)
    }

    /// Removes every attribute matching `pred`; returns how many there were.
    pub fn remove_where(&mut self, mut pred: impl FnMut(&Attribute) -> bool) -> usize {
        let before = self.0.len();
        self.0.retain(|a| !pred(a));
        before - self.0.len()
    }

    /// Keeps the attributes for which `keep` returns true, in order; `keep` may rewrite
    /// the ones it keeps.
    pub fn retain_mut(&mut self, keep: impl FnMut(&mut Attribute) -> bool) {
        self.0.retain_mut(keep);
    }

    /// Replaces all attributes matching `pred` by `new`, put where the first match was,
    /// or at the end if nothing matched.
    pub fn replace_where(
        &mut self,
        mut pred: impl FnMut(&Attribute) -> bool,
        new: impl IntoIterator<Item = Attribute>,
    ) {
        let at = self.0.iter().position(&mut pred).unwrap_or(self.0.len());
        self.0.retain(|a| !pred(a));
        let at = at.min(self.0.len());
        self.0.splice(at..at, new);
    }

    /// Replaces all attributes of the same name by `attr` (in place of the first).
    pub fn set(&mut self, attr: Attribute) {
        let name = attr.name.clone();
        self.replace_where(|a| a.name == name, [attr]);
    }
}

impl<'a> IntoIterator for &'a Attributes {
    type Item = &'a Attribute;
    type IntoIter = std::slice::Iter<'a, Attribute>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl FromIterator<Attribute> for Attributes {
    fn from_iter<I: IntoIterator<Item = Attribute>>(iter: I) -> Self {
        Attributes(iter.into_iter().collect())
    }
}
