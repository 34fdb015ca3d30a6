//! `[[trunk]]`: realm reference, peers (reachable, unique per realm), codec policy,
//! DTMF and SRTP modes.

use std::collections::HashMap;
use std::net::IpAddr;

use super::Validator;
use super::realms::RealmOut;
use crate::Cidr;
use crate::error::ConfigErrorKind as K;
use crate::model::{
    Codec, IceMode, ReferMode, RtcpMuxMode, TlsFiles, TranscodeMode, Trunk, TrunkTls,
};
use crate::peer::PeerSpec;
use crate::profile::{self, Applied, TrunkProfile};
use crate::schema::TrunkSection;

fn family(ip: IpAddr) -> &'static str {
    if ip.is_ipv4() { "IPv4" } else { "IPv6" }
}

/// One `peers` entry: an IP literal (RFC 3263 defaults applied) or a name for the daemon
/// to resolve.
fn peer_spec(v: &mut Validator<'_>, path: &str, value: &str) -> Option<PeerSpec> {
    let spec = match value.parse::<PeerSpec>() {
        Ok(spec) => spec,
        Err(reason) => {
            v.err(
                path,
                K::InvalidPeer {
                    value: value.to_owned(),
                    reason,
                },
            );
            return None;
        }
    };
    if spec.literal().is_some_and(|a| a.addr.ip().is_unspecified()) {
        v.err(
            path,
            K::UnspecifiedAddress {
                value: value.to_owned(),
            },
        );
        return None;
    }
    Some(spec)
}

/// `sources`: CIDRs (a bare address is one host) or host names.
fn sources(
    v: &mut Validator<'_>,
    p: &str,
    list: Option<&[String]>,
) -> Option<(Vec<Cidr>, Vec<String>)> {
    let mut ok = true;
    let (mut nets, mut names) = (Vec::new(), Vec::new());
    for (j, s) in list.unwrap_or_default().iter().enumerate() {
        let path = format!("{p}.sources[{j}]");
        if let Ok(c) = s.parse::<Cidr>() {
            nets.push(c);
            continue;
        }
        let looks_numeric = s.contains('/')
            || s.contains(':')
            || s.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        if looks_numeric {
            let reason = s
                .parse::<Cidr>()
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            v.err(
                path,
                K::InvalidSource {
                    value: s.clone(),
                    reason,
                },
            );
            ok = false;
            continue;
        }
        match crate::peer::dns_name(s) {
            Ok(n) => names.push(n),
            Err(e) => {
                v.err(
                    path,
                    K::InvalidSource {
                        value: s.clone(),
                        reason: e.to_string(),
                    },
                );
                ok = false;
            }
        }
    }
    ok.then_some((nets, names))
}

pub(super) fn trunks(
    v: &mut Validator<'_>,
    raw: &[TrunkSection],
    realms: &[RealmOut],
) -> (Vec<Option<Trunk>>, HashMap<IpAddr, Vec<usize>>) {
    let mut peer_index: HashMap<IpAddr, Vec<usize>> = HashMap::new();
    let applied: Vec<Applied> = raw.iter().map(profile::apply).collect();
    let sections: Vec<TrunkSection> = applied.iter().map(|a| a.section.clone()).collect();
    let trunks = (0..raw.len())
        .map(|i| trunk(v, i, &applied[i], &sections, realms, &mut peer_index))
        .collect();
    (trunks, peer_index)
}

/// One trunk, `applied` being its section with its profile's defaults filled in and
/// `all` every trunk's (peers are unique per realm across them).
fn trunk(
    v: &mut Validator<'_>,
    i: usize,
    applied: &Applied,
    all: &[TrunkSection],
    realms: &[RealmOut],
    peer_index: &mut HashMap<IpAddr, Vec<usize>>,
) -> Option<Trunk> {
    let t = &applied.section;
    let p = format!("trunk[{i}]");
    let name = v.name(&format!("{p}.name"), p.clone(), &t.name);
    let realm = realms.iter().find(|r| r.raw_name == t.realm);
    if realm.is_none() {
        v.err(
            format!("{p}.realm"),
            K::UnknownRealm {
                name: t.realm.clone(),
            },
        );
    }
    let profile_ok = profile_needs(v, &p, t, applied.profile, realms);

    let mut peers = Vec::new();
    let mut specs = Vec::new();
    let mut peers_ok = !t.peers.is_empty();
    if t.peers.is_empty() {
        v.err(format!("{p}.peers"), K::Empty);
    }
    for (j, s) in t.peers.iter().enumerate() {
        let pp = format!("{p}.peers[{j}]");
        let Some(spec) = peer_spec(v, &pp, s) else {
            peers_ok = false;
            continue;
        };
        let Some(a) = spec.literal() else {
            // A name: resolved by the daemon. A transport written with it needs a
            // listener of that transport in the realm.
            let reachable = |t: sbc_core::Transport| {
                realm
                    .filter(|r| r.listen_ok)
                    .is_none_or(|r| r.listeners.iter().any(|l| l.transport == t))
            };
            if let Some(tr) = spec.transport.filter(|&tr| !reachable(tr)) {
                v.err(
                    &pp,
                    K::NoListenerForPeer {
                        peer: s.clone(),
                        realm: t.realm.clone(),
                        transport: tr,
                        family: "any address family",
                    },
                );
                peers_ok = false;
                continue;
            }
            specs.push(spec);
            continue;
        };
        // Source IP (any port) identifies the trunk within its realm.
        let ip = a.addr.ip().to_canonical();
        let owners = peer_index.entry(ip).or_default();
        let same_realm = owners.iter().find(|&&o| o != i && all[o].realm == t.realm);
        if let Some(&other) = same_realm {
            v.err(
                &pp,
                K::DuplicatePeer {
                    ip,
                    first: format!("trunk[{other}]"),
                },
            );
            peers_ok = false;
            continue;
        }
        if !owners.contains(&i) {
            owners.push(i);
        }
        // The peer must be reachable from a listener of its transport and family.
        if let Some(r) = realm.filter(|r| r.listen_ok) {
            let reachable = r
                .listeners
                .iter()
                .any(|l| l.transport == a.transport && l.addr.is_ipv4() == a.addr.is_ipv4());
            if !reachable {
                let kind = K::NoListenerForPeer {
                    peer: s.clone(),
                    realm: t.realm.clone(),
                    transport: a.transport,
                    family: family(a.addr.ip()),
                };
                v.err(&pp, kind);
                peers_ok = false;
                continue;
            }
        }
        peers.push(a);
        specs.push(spec);
    }
    let sources = sources(v, &p, t.sources.as_deref());

    let codecs = match &t.codecs {
        Some(list) => codecs(v, &format!("{p}.codecs"), list).map(Some),
        None => Some(None),
    };
    let transcode = match t.transcode.as_deref() {
        None => Some(TranscodeMode::WhenNeeded),
        Some(s) => {
            let parsed = TranscodeMode::from_name(s).ok_or_else(|| K::InvalidChoice {
                value: s.to_owned(),
                expected: TranscodeMode::NAMES,
            });
            v.check(format!("{p}.transcode"), parsed)
        }
    };
    let ptime = match t.ptime {
        None => Some(None),
        Some(ms @ (10 | 20 | 30 | 40 | 60)) => Some(u32::try_from(ms).ok()),
        Some(value) => {
            v.err(format!("{p}.ptime"), K::InvalidPtime { value });
            None
        }
    };
    let inherited = realm
        .and_then(|r| r.realm.as_ref())
        .map(|r| r.dtmf)
        .unwrap_or_default();
    let keys = super::dtmf::Keys {
        mode: t.dtmf.as_deref(),
        info_type: t.dtmf_info_type.as_deref(),
        show_digits: t.show_digits,
    };
    let dtmf = match &codecs {
        Some(list) => super::dtmf::policy(v, &p, keys, inherited, Some(list.as_deref())),
        None => None,
    };
    let has_tls_peer = t
        .peers
        .iter()
        .filter_map(|s| s.parse::<PeerSpec>().ok())
        .any(|s| s.transport == Some(sbc_core::Transport::Tls));
    // A name without a transport may resolve to TLS (NAPTR `SIPS+D2T`, `_sips._tcp`).
    let may_be_tls = has_tls_peer
        || t.peers
            .iter()
            .filter_map(|s| s.parse::<PeerSpec>().ok())
            .any(|s| s.name().is_some() && s.transport.is_none());
    let srtp = super::srtp::policy(
        v,
        &p,
        t.srtp.as_deref(),
        t.srtp_suites.as_deref(),
        t.sdes_without_tls,
        has_tls_peer,
        "the trunk",
    );
    let tls = tls(v, &p, t, may_be_tls);
    let health = super::health::health_and_limits(v, &p, t);
    let first_peer = specs.first().map(|s: &PeerSpec| match s.literal() {
        Some(a) => match a.addr {
            std::net::SocketAddr::V4(v4) => v4.to_string(),
            std::net::SocketAddr::V6(v6) => format!("[{}]:{}", v6.ip(), v6.port()),
        },
        None => s.host_port(),
    });
    let register = super::registration::register(v, &p, t.register.as_ref(), first_peer);
    let rules = super::rules::rules(v, &p, &applied.rules, &t.rules);
    let invite_timeout = v
        .int(
            &format!("{p}.invite_timeout_ms"),
            t.invite_timeout_ms,
            crate::health::INVITE_TIMEOUT_MS_RANGE,
            crate::health::DEFAULT_INVITE_TIMEOUT_MS,
        )
        .and_then(|ms| u64::try_from(ms).ok())
        .map(std::time::Duration::from_millis);
    let no_target_code = v
        .int(
            &format!("{p}.no_target_code"),
            t.no_target_code,
            crate::health::NO_TARGET_CODE_RANGE,
            crate::health::DEFAULT_NO_TARGET_CODE,
        )
        .and_then(|c| u16::try_from(c).ok());

    let refer = refer(v, &p, t.refer.as_deref());
    let ice = match t.ice.as_deref() {
        None => Some(IceMode::Off),
        Some(s) => v.check(
            format!("{p}.ice"),
            IceMode::from_name(s).ok_or_else(|| K::InvalidChoice {
                value: s.to_owned(),
                expected: IceMode::NAMES,
            }),
        ),
    };
    let rtcp_mux = match t.rtcp_mux.as_deref() {
        None => Some(RtcpMuxMode::Follow),
        Some(s) => v.check(
            format!("{p}.rtcp_mux"),
            RtcpMuxMode::from_name(s).ok_or_else(|| K::InvalidChoice {
                value: s.to_owned(),
                expected: RtcpMuxMode::NAMES,
            }),
        ),
    };
    Some(Trunk {
        name: name?,
        realm: realm.map(|r| r.raw_name.clone())?,
        peers: peers_ok.then_some(peers)?,
        peer_specs: specs,
        sources: sources.clone()?.0,
        source_names: sources?.1,
        resolved_sources: Vec::new(),
        resolution: Vec::new(),
        codecs: codecs?,
        transcode: transcode?,
        g729_annexb: t.g729_annexb.unwrap_or(false),
        ptime: ptime?,
        dtmf: dtmf?.mode,
        dtmf_policy: dtmf?,
        srtp: srtp?,
        tls: tls?,
        options: health?.0,
        limits: health?.1,
        register: register?,
        rules: rules?,
        invite_timeout: invite_timeout?,
        no_target_code: no_target_code?,
        refer: refer?,
        ice: ice?,
        rtcp_mux: rtcp_mux?,
        profile: profile_ok.then_some(applied.profile)?,
        from_profile: applied.from_profile.clone(),
    })
}

/// The `profile` key: a known name, and what the profile needs of the rest of the file
/// (Teams: the realm's `domain`). `false` when something was reported.
fn profile_needs(
    v: &mut Validator<'_>,
    p: &str,
    t: &TrunkSection,
    profile: Option<TrunkProfile>,
    realms: &[RealmOut],
) -> bool {
    let Some(name) = t.profile.as_deref() else {
        return true;
    };
    let Some(profile) = profile else {
        v.err(
            format!("{p}.profile"),
            K::InvalidChoice {
                value: name.to_owned(),
                expected: TrunkProfile::NAMES,
            },
        );
        return false;
    };
    let realm = realms
        .iter()
        .enumerate()
        .find(|(_, r)| r.raw_name == t.realm);
    let Some((j, Some(realm))) = realm.map(|(j, r)| (j, r.realm.as_ref())) else {
        // An unknown or invalid realm is reported where it is.
        return true;
    };
    if profile.needs_domain() && realm.domain.is_none() {
        v.err(
            format!("realm[{j}].domain"),
            K::ProfileNeedsDomain {
                trunk: t.name.clone(),
                profile: profile.as_str(),
            },
        );
        return false;
    }
    true
}

/// `refer`: one of [`ReferMode::NAMES`], and one the SBC implements.
fn refer(v: &mut Validator<'_>, p: &str, value: Option<&str>) -> Option<ReferMode> {
    let Some(s) = value else {
        return Some(ReferMode::Reject);
    };
    let path = format!("{p}.refer");
    v.check(
        &path,
        ReferMode::from_name(s).ok_or_else(|| K::InvalidChoice {
            value: s.to_owned(),
            expected: ReferMode::NAMES,
        }),
    )
}

/// The `tls_*` keys: paths resolved, the server name checked, client files paired. Each
/// key is an error on a trunk none of whose peers is `tls:`.
fn tls(v: &mut Validator<'_>, p: &str, t: &TrunkSection, has_tls_peer: bool) -> Option<TrunkTls> {
    let keys = [
        ("tls_ca", &t.tls_ca),
        ("tls_server_name", &t.tls_server_name),
        ("tls_client_cert", &t.tls_client_cert),
        ("tls_client_key", &t.tls_client_key),
        ("uri_scheme", &t.uri_scheme),
    ];
    if !has_tls_peer {
        let mut ok = true;
        for (key, value) in keys {
            if value.is_some() {
                let why = "no peer of the trunk is tls:";
                v.err(format!("{p}.{key}"), K::TlsKeyWithoutEffect { why });
                ok = false;
            }
        }
        return ok.then(TrunkTls::default);
    }
    let ca = match &t.tls_ca {
        Some(s) => v.path(&format!("{p}.tls_ca"), s).map(Some),
        None => Some(None),
    };
    let server_name = match &t.tls_server_name {
        Some(s) => v
            .check(format!("{p}.tls_server_name"), dns_name(s))
            .map(Some),
        None => Some(None),
    };
    let (cp, kp) = (
        format!("{p}.tls_client_cert"),
        format!("{p}.tls_client_key"),
    );
    let client = match (&t.tls_client_cert, &t.tls_client_key) {
        (Some(cert), Some(key)) => {
            let cert = v.path(&cp, cert);
            let key = v.path(&kp, key);
            cert.zip(key)
                .map(|(cert, key)| Some(TlsFiles { cert, key }))
        }
        (Some(_), None) => {
            v.err(kp, K::TlsClientFilesNotPaired);
            None
        }
        (None, Some(_)) => {
            v.err(cp, K::TlsClientFilesNotPaired);
            None
        }
        (None, None) => Some(None),
    };
    let sips = match t.uri_scheme.as_deref() {
        None | Some("sip") => Some(false),
        Some("sips") => Some(true),
        Some(other) => {
            let kind = K::InvalidChoice {
                value: other.to_owned(),
                expected: &["sip", "sips"],
            };
            v.err(format!("{p}.uri_scheme"), kind);
            None
        }
    };
    Some(TrunkTls {
        ca: ca?,
        server_name: server_name?,
        client: client?,
        sips: sips?,
    })
}

/// A DNS name as certificates carry it (RFC 1123 labels; a trailing dot is dropped,
/// letters are lowercased). IP addresses are refused: the peer's IP is the default.
fn dns_name(value: &str) -> Result<String, K> {
    let bad = |reason| K::InvalidServerName {
        value: value.to_owned(),
        reason,
    };
    let name = value.strip_suffix('.').unwrap_or(value);
    if name.is_empty() {
        return Err(K::Empty);
    }
    if name.parse::<IpAddr>().is_ok() {
        return Err(bad(
            "an IP address; leave tls_server_name out to verify the peer's IP",
        ));
    }
    if name.len() > 253 {
        return Err(bad("longer than 253 characters"));
    }
    for label in name.split('.') {
        let ok_chars = label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if label.is_empty() || label.len() > 63 {
            return Err(bad("each dot-separated label must have 1 to 63 characters"));
        }
        if !ok_chars || label.starts_with('-') || label.ends_with('-') {
            return Err(bad(
                "use letters, digits and '-' (not at either end of a label)",
            ));
        }
    }
    if name
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad("the last label must not be all digits"));
    }
    Ok(name.to_ascii_lowercase())
}

fn codecs(v: &mut Validator<'_>, p: &str, list: &[String]) -> Option<Vec<Codec>> {
    if list.is_empty() {
        v.err(p, K::Empty);
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    for (j, s) in list.iter().enumerate() {
        let cp = format!("{p}[{j}]");
        match Codec::from_name(s) {
            None => {
                v.err(cp, K::UnknownCodec { value: s.clone() });
                ok = false;
            }
            Some(c) if out.contains(&c) => {
                v.err(cp, K::DuplicateCodec { value: s.clone() });
                ok = false;
            }
            Some(c) => out.push(c),
        }
    }
    ok.then_some(out)
}
