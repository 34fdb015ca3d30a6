//! Trunk profiles: named tables of defaults for a kind of peer (`profile = "teams"`).
//!
//! A profile is not behaviour of its own: it fills the keys a `[[trunk]]` leaves out
//! with the values the peer needs, before validation, so the result is validated and
//! used exactly like a trunk written out in full. A key the operator writes always wins
//! (`peers`, `tls_ca` and `options_interval` are overridden like any other). What a
//! profile supplied is remembered per trunk ([`Applied::from_profile`], kept in
//! [`crate::Trunk::from_profile`]), so `sbc check-config`, the API and the Trunks page
//! show each effective value and where it came from.
//!
//! Header rules are the one list a profile adds to rather than fills: its rules
//! ([`Applied::rules`], e.g. the `X-MS-SBC` header of Teams) run before the trunk's own
//! `[[trunk.rule]]`s, which can therefore change or remove what the profile added.
//! Errors in the trunk's own rules keep their key paths (`trunk[0].rule[1]`); the
//! profile's are checked by this crate's tests.
//!
//! Besides defaults a profile may state requirements of the rest of the file
//! ([`TrunkProfile::needs_domain`]: Teams identifies the SBC by its FQDN); validation
//! reports them with the key path that must change.

pub mod teams;

use std::fmt;

use crate::schema::{RuleSection, TrunkSection};

/// The profiles a trunk may name with `profile = "..."`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrunkProfile {
    /// Microsoft Teams Direct Routing (and Azure Communication Services direct routing,
    /// which uses the same SIP proxies): see [`teams`] for each value and its source.
    Teams,
}

impl TrunkProfile {
    /// The spellings accepted in the file.
    pub const NAMES: &'static [&'static str] = &["teams"];

    /// Case-insensitive lookup of a name as written in the file.
    pub fn from_name(s: &str) -> Option<TrunkProfile> {
        s.eq_ignore_ascii_case("teams")
            .then_some(TrunkProfile::Teams)
    }

    /// The spelling used in the file.
    pub const fn as_str(self) -> &'static str {
        match self {
            TrunkProfile::Teams => "teams",
        }
    }

    /// Whether a trunk of this profile needs its realm's `domain` (the SBC's FQDN).
    pub const fn needs_domain(self) -> bool {
        match self {
            TrunkProfile::Teams => true,
        }
    }

    /// The profile's table: a trunk section whose set keys are the defaults, and the
    /// header rules it adds.
    fn table(self) -> (TrunkSection, Vec<RuleSection>) {
        match self {
            TrunkProfile::Teams => (teams::defaults(), teams::rules()),
        }
    }
}

impl fmt::Display for TrunkProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A trunk section with its profile applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The section as validation sees it: the operator's keys, and the profile's where
    /// the operator wrote none.
    pub section: TrunkSection,
    /// The profile named (`None`: no `profile` key, or one this SBC does not know, which
    /// validation reports).
    pub profile: Option<TrunkProfile>,
    /// The keys whose value came from the profile, in the table's order.
    pub from_profile: Vec<&'static str>,
    /// Header rules the profile adds, run before the section's own.
    pub rules: Vec<RuleSection>,
}

/// Copies `default.$key` into `section.$key` for each key the operator left out, and
/// records the key's name.
macro_rules! fill {
    ($section:ident, $default:ident, $from:ident; $($key:ident),+ $(,)?) => {
        $(
            if $section.$key.is_none() && $default.$key.is_some() {
                $section.$key = $default.$key.clone();
                $from.push(stringify!($key));
            }
        )+
    };
}

/// `raw` with the defaults of its `profile` (if any) filled in.
pub fn apply(raw: &TrunkSection) -> Applied {
    let mut section = raw.clone();
    let Some(profile) = raw.profile.as_deref().and_then(TrunkProfile::from_name) else {
        return Applied {
            section,
            profile: None,
            from_profile: Vec::new(),
            rules: Vec::new(),
        };
    };
    let (default, rules) = profile.table();
    let mut from = Vec::new();
    if section.peers.is_empty() && !default.peers.is_empty() {
        section.peers = default.peers.clone();
        from.push("peers");
    }
    fill!(section, default, from;
        sources, codecs, transcode, g729_annexb, ptime, dtmf, dtmf_info_type,
        show_digits, srtp, srtp_suites, sdes_without_tls, tls_ca, tls_server_name,
        tls_client_cert, tls_client_key, uri_scheme, options_interval, options_down_after,
        options_up_after, max_calls, max_cps, invite_timeout_ms, no_target_code,
        refer, ice, rtcp_mux,
    );
    if !rules.is_empty() {
        from.push("rule");
    }
    Applied {
        section,
        profile: Some(profile),
        from_profile: from,
        rules,
    }
}

/// One value a profile gave a trunk: its key path, the value as TOML, and the profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileValue {
    /// `trunk[0].options_interval`; `trunk[0].profile.rule` for the rules it adds.
    pub path: String,
    /// The value as TOML writes it (`60`, `["52.112.0.0/14", "52.122.0.0/15"]`).
    pub value: String,
    pub profile: TrunkProfile,
}

/// Every value the trunks' profiles supply in `file`, in file and table order: what
/// `sbc check-config` prints and the API serves next to each trunk.
pub fn values(file: &crate::ConfigFile) -> Vec<ProfileValue> {
    let mut out = Vec::new();
    for (i, raw) in file.trunks.iter().enumerate() {
        let applied = apply(raw);
        let Some(profile) = applied.profile else {
            continue;
        };
        // A section of strings, numbers and lists always serialises.
        let Ok(toml::Value::Table(table)) = toml::Value::try_from(&applied.section) else {
            continue;
        };
        for key in &applied.from_profile {
            let (path, value) = if *key == "rule" {
                let rules = toml::Value::try_from(&applied.rules).ok();
                (format!("trunk[{i}].profile.rule"), rules)
            } else {
                (format!("trunk[{i}].{key}"), table.get(*key).cloned())
            };
            if let Some(value) = value {
                out.push(ProfileValue {
                    path,
                    value: value.to_string(),
                    profile,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
