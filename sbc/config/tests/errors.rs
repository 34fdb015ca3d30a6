//! Bad configurations: each reports exactly the expected errors, with key path and message.

use sbc_config::{Config, ConfigErrorKind, ConfigErrors, PeerSpecError};

/// A valid file; each case edits it with (find, replace) pairs.
const BASE: &str = r#"[system]
name = "t"

[management]
listen = "127.0.0.1:8443"
allow = ["127.0.0.0/8"]

[[realm]]
name = "outside"
listen = ["udp:192.0.2.10:5060", "tcp:192.0.2.10:5060"]
media_ip = "192.0.2.10"
media_ports = "20000-29999"

[[realm]]
name = "inside"
listen = ["udp:10.0.0.1:5060"]
media_ip = "10.0.0.1"
media_ports = "30000-39999"

[[trunk]]
name = "carrier"
realm = "outside"
peers = ["udp:198.51.100.20:5060"]

[[trunk]]
name = "pbx"
realm = "inside"
peers = ["udp:10.0.0.20:5060"]

[[route]]
from = "carrier"
match_user = "^\\+?49(\\d+)$"
rewrite_user = "0$1"
to = "pbx"

[[route]]
from = "pbx"
to = "carrier"
"#;

fn edit(edits: &[(&str, &str)]) -> String {
    let mut text = BASE.to_owned();
    for (find, replace) in edits {
        assert!(text.contains(find), "edit target {find:?} is in BASE");
        text = text.replacen(find, replace, 1);
    }
    text
}

fn errors(text: &str) -> Vec<String> {
    match Config::from_toml_str(text, "/etc/sbc") {
        Ok(_) => Vec::new(),
        Err(e) => e.iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn base_is_valid() {
    assert_eq!(errors(BASE), Vec::<String>::new());
}

/// Gives realm "outside" a `tls:` listener with its certificate and key.
const TLS_LISTENER: (&str, &str) = (
    "\"tcp:192.0.2.10:5060\"]",
    "\"tcp:192.0.2.10:5060\", \"tls:192.0.2.10:5061\"]\ntls_cert = \"o.pem\"\ntls_key = \"o.key\"",
);
/// Makes the carrier a `tls:` peer (needs [`TLS_LISTENER`]).
const TLS_PEER: (&str, &str) = (
    "peers = [\"udp:198.51.100.20:5060\"]",
    "peers = [\"tls:198.51.100.20:5061\"]",
);

/// (what is wrong, edits to `BASE`, expected errors as displayed).
type Case = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
);

#[test]
fn each_bad_config_reports_its_errors() {
    #[rustfmt::skip]
    let cases: &[Case] = &[
        ("bad peer address",
         &[("udp:10.0.0.20:5060", "udp:10.0.0.300:5060")],
         &[r#"trunk[1].peers[0]: invalid address "10.0.0.300:5060""#]),
        ("unknown transport",
         &[("udp:10.0.0.20:5060", "sctp:10.0.0.20:5060")],
         &[r#"trunk[1].peers[0]: unknown transport "sctp" (expected udp, tcp or tls) in "sctp:10.0.0.20:5060""#]),
        ("bad address without a transport (RFC 3263: UDP)",
         &[("udp:10.0.0.20:5060", "10.91.1.300:5060")],
         &[r#"trunk[1].peers[0]: invalid address "10.91.1.300:5060""#]),
        ("peer by name with a transport the realm does not listen on",
         &[("udp:10.0.0.20:5060", "tls:sbc.pbx.example:5061")],
         &[r#"trunk[1].peers[0]: realm "inside" has no tls listener on any address family for peer "tls:sbc.pbx.example:5061""#]),
        ("bad source",
         &[("peers = [\"udp:10.0.0.20:5060\"]", "peers = [\"udp:10.0.0.20:5060\"]\nsources = [\"10.0.0.1/8\", \"-bad.example\"]")],
         &[r#"trunk[1].sources[0]: invalid source "10.0.0.1/8": host bits set (the network is 10.0.0.0/8) (expected a CIDR or a host name)"#,
           r#"trunk[1].sources[1]: invalid source "-bad.example": invalid host name "-bad.example": use letters, digits and '-' (not at either end of a label) (expected a CIDR or a host name)"#]),
        ("unknown trunk in route",
         &[("to = \"carrier\"", "to = \"pbx2\"")],
         &[r#"route[1].to: unknown trunk "pbx2""#]),
        ("route to a realm",
         &[("to = \"carrier\"", "to = \"outside\"")],
         &[r#"route[1].to: "outside" is a realm; to must name a trunk"#]),
        ("unknown route source",
         &[("from = \"pbx\"", "from = \"nobody\"")],
         &[r#"route[1].from: unknown trunk or realm "nobody""#]),
        ("bad regex",
         &[(r#""^\\+?49(\\d+)$""#, r#""^(\\d+$""#)],
         &[r#"route[0].match_user: invalid regex "^(\d+$": unclosed group"#]),
        ("$2 without a second group",
         &[("\"0$1\"", "\"0$2\"")],
         &[r#"route[0].rewrite_user: "$2" refers to group 2 but match_user has only 1 group"#]),
        ("$1 without match_user",
         &[("match_user = \"^\\\\+?49(\\\\d+)$\"\n", "")],
         &[r#"route[0].rewrite_user: "$1" refers to group 1 but match_user has no groups"#]),
        ("stray $ in rewrite",
         &[("\"0$1\"", "\"0$x\"")],
         &[r#"route[0].rewrite_user: invalid "$" at byte 1 in "0$x" (use $0..$9, or $$ for a literal $)"#]),
        ("odd media port start",
         &[("20000-29999", "20001-29999")],
         &[r#"realm[0].media_ports: invalid port range "20001-29999": start 20001 must be even (RTP on even ports, RTCP on the next odd one)"#]),
        ("privileged media ports",
         &[("20000-29999", "80-2000")],
         &[r#"realm[0].media_ports: invalid port range "80-2000": ports must be within 1024..=65535"#]),
        ("single media port",
         &[("20000-29999", "20000-20000")],
         &[r#"realm[0].media_ports: invalid port range "20000-20000": the range must hold at least 2 ports (one RTP/RTCP pair)"#]),
        ("overlapping media ports on one address",
         &[("media_ip = \"10.0.0.1\"", "media_ip = \"192.0.2.10\""), ("30000-39999", "29000-30999")],
         &[r#"realm[1].media_ports: "29000-30999" overlaps realm[0].media_ports (same media_ip)"#]),
        ("signalling port inside the media range",
         &[("udp:192.0.2.10:5060", "udp:192.0.2.10:20000")],
         &[r#"realm[0].listen[0]: "udp:192.0.2.10:20000" lies in realm[0].media_ports"#]),
        ("duplicate realm names",
         &[("name = \"inside\"", "name = \"outside\""), ("realm = \"inside\"", "realm = \"outside\"")],
         &[r#"realm[1].name: duplicate name "outside" (already used by realm[0])"#]),
        ("trunk named like a realm",
         &[("name = \"carrier\"", "name = \"inside\""), ("from = \"carrier\"", "from = \"inside\""),
           ("to = \"carrier\"", "to = \"inside\"")],
         &[r#"trunk[0].name: duplicate name "inside" (already used by realm[1])"#]),
        ("duplicate listener across realms",
         &[("[\"udp:10.0.0.1:5060\"]", "[\"udp:192.0.2.10:5060\"]")],
         &[r#"realm[1].listen[0]: "udp:192.0.2.10:5060" is already a listener of realm[0].listen[0]"#]),
        ("tls and tcp on one socket",
         &[("\"tcp:192.0.2.10:5060\"]", "\"tcp:192.0.2.10:5060\", \"tls:192.0.2.10:5060\"]")],
         &[r#"realm[0].listen[2]: "tls:192.0.2.10:5060" is already a listener of realm[0].listen[1]"#]),
        ("unspecified listener",
         &[("udp:10.0.0.1:5060", "udp:0.0.0.0:5060")],
         &[r#"realm[1].listen[0]: "udp:0.0.0.0:5060" is an unspecified address; use the interface's own address"#]),
        ("empty listen",
         &[("[\"udp:10.0.0.1:5060\"]", "[]")],
         &["realm[1].listen: must not be empty"]),
        ("tls listener without cert",
         &[("\"tcp:192.0.2.10:5060\"]", "\"tcp:192.0.2.10:5060\", \"tls:192.0.2.10:5061\"]")],
         &["realm[0].tls_cert: required because the realm has a tls: listener",
           "realm[0].tls_key: required because the realm has a tls: listener"]),
        ("cert without key",
         &[("media_ip = \"10.0.0.1\"", "media_ip = \"10.0.0.1\"\ntls_cert = \"in.pem\"")],
         &["realm[1].tls_key: tls_cert and tls_key must be given together"]),
        ("tls key on a trunk without tls: peer",
         &[("peers = [\"udp:10.0.0.20:5060\"]", "peers = [\"udp:10.0.0.20:5060\"]\ntls_ca = \"ca.pem\"\ntls_client_key = \"c.key\"")],
         &["trunk[1].tls_ca: has no effect: no peer of the trunk is tls:",
           "trunk[1].tls_client_key: has no effect: no peer of the trunk is tls:"]),
        ("client cert without key",
         &[TLS_LISTENER, TLS_PEER, (TLS_PEER.1, "peers = [\"tls:198.51.100.20:5061\"]\ntls_client_cert = \"c.pem\"")],
         &["trunk[0].tls_client_key: tls_client_cert and tls_client_key must be given together"]),
        ("client key without cert",
         &[TLS_LISTENER, TLS_PEER, (TLS_PEER.1, "peers = [\"tls:198.51.100.20:5061\"]\ntls_client_key = \"c.key\"")],
         &["trunk[0].tls_client_cert: tls_client_cert and tls_client_key must be given together"]),
        ("server name is an IP",
         &[TLS_LISTENER, TLS_PEER, (TLS_PEER.1, "peers = [\"tls:198.51.100.20:5061\"]\ntls_server_name = \"198.51.100.20\"")],
         &[r#"trunk[0].tls_server_name: invalid DNS name "198.51.100.20": an IP address; leave tls_server_name out to verify the peer's IP"#]),
        ("server name with a bad label",
         &[TLS_LISTENER, TLS_PEER, (TLS_PEER.1, "peers = [\"tls:198.51.100.20:5061\"]\ntls_server_name = \"sip..carrier.example\"")],
         &[r#"trunk[0].tls_server_name: invalid DNS name "sip..carrier.example": each dot-separated label must have 1 to 63 characters"#]),
        ("empty tls_ca",
         &[TLS_LISTENER, TLS_PEER, (TLS_PEER.1, "peers = [\"tls:198.51.100.20:5061\"]\ntls_ca = \"\"")],
         &["trunk[0].tls_ca: must not be empty"]),
        ("verify_client without a tls: listener",
         &[("media_ip = \"10.0.0.1\"", "media_ip = \"10.0.0.1\"\ntls_verify_client = \"required\"\ntls_client_ca = \"ca.pem\"")],
         &["realm[1].tls_verify_client: has no effect: the realm has no tls: listener",
           "realm[1].tls_client_ca: has no effect: the realm has no tls: listener"]),
        ("verify_client required without a CA",
         &[TLS_LISTENER, ("tls_key = \"o.key\"", "tls_key = \"o.key\"\ntls_verify_client = \"required\"")],
         &[r#"realm[0].tls_client_ca: required because tls_verify_client is "required""#]),
        ("client CA while client certificates are not asked for",
         &[TLS_LISTENER, ("tls_key = \"o.key\"", "tls_key = \"o.key\"\ntls_client_ca = \"ca.pem\"")],
         &[r#"realm[0].tls_client_ca: has no effect: tls_verify_client is "none""#]),
        ("bad verify_client",
         &[TLS_LISTENER, ("tls_key = \"o.key\"", "tls_key = \"o.key\"\ntls_verify_client = \"always\"\ntls_client_ca = \"ca.pem\"")],
         &[r#"realm[0].tls_verify_client: invalid value "always" (expected "none", "optional" or "required")"#]),
        ("extra certificate with an empty path, and one on a realm without tls: listener",
         &[TLS_LISTENER, ("media_ports = \"20000-29999\"", "media_ports = \"20000-29999\"\n\n[[realm.certificate]]\ncert = \"\"\nkey = \"x.key\""),
           ("media_ports = \"30000-39999\"", "media_ports = \"30000-39999\"\n\n[[realm.certificate]]\ncert = \"i.pem\"\nkey = \"i.key\"")],
         &["realm[0].certificate[0].cert: must not be empty",
           "realm[1].certificate[0]: has no effect: the realm has no tls: listener"]),
        ("bad uri_scheme, and one on a trunk without tls: peer",
         &[TLS_LISTENER, TLS_PEER, (TLS_PEER.1, "peers = [\"tls:198.51.100.20:5061\"]\nuri_scheme = \"tls\""),
           ("peers = [\"udp:10.0.0.20:5060\"]", "peers = [\"udp:10.0.0.20:5060\"]\nuri_scheme = \"sips\"")],
         &[r#"trunk[0].uri_scheme: invalid value "tls" (expected "sip" or "sips")"#,
           "trunk[1].uri_scheme: has no effect: no peer of the trunk is tls:"]),
        ("bad CIDR: host bits",
         &[("[\"127.0.0.0/8\"]", "[\"::1/128\", \"10.0.0.1/8\"]")],
         &[r#"management.allow[1]: invalid CIDR "10.0.0.1/8": host bits set (the network is 10.0.0.0/8)"#]),
        ("bad CIDR: prefix",
         &[("[\"127.0.0.0/8\"]", "[\"10.0.0.0/33\"]")],
         &[r#"management.allow[0]: invalid CIDR "10.0.0.0/33": prefix /33 is longer than 32"#]),
        ("empty management allow",
         &[("[\"127.0.0.0/8\"]", "[]")],
         &["management.allow: must not be empty"]),
        ("bad management listen",
         &[("\"127.0.0.1:8443\"", "\"localhost:8443\"")],
         &[r#"management.listen: invalid socket address "localhost:8443" (expected ip:port)"#]),
        ("bad system name",
         &[("name = \"t\"", "name = \"edge 1\"")],
         &[r#"system.name: invalid name "edge 1" (use letters, digits, '_', '.' and '-')"#]),
        ("empty state_dir",
         &[("name = \"t\"", "name = \"t\"\nstate_dir = \"\"")],
         &["system.state_dir: must not be empty"]),
        ("unknown codec",
         &[("peers = [\"udp:10.0.0.20:5060\"]", "peers = [\"udp:10.0.0.20:5060\"]\ncodecs = [\"pcma\", \"AMR\", \"PCMA\"]")],
         &[r#"trunk[1].codecs[1]: unknown codec "AMR" (known: PCMU, PCMA, G722, opus, G729, telephone-event, CN)"#,
           r#"trunk[1].codecs[2]: codec "PCMA" is listed twice"#]),
        ("bad dtmf and srtp",
         &[("peers = [\"udp:10.0.0.20:5060\"]", "peers = [\"udp:10.0.0.20:5060\"]\ndtmf = \"beep\"\nsrtp = \"maybe\"")],
         &[r#"trunk[1].dtmf: invalid value "beep" (expected "rfc4733", "sip-info" or "inband")"#,
           r#"trunk[1].srtp: invalid value "maybe" (expected "off", "optional" or "required")"#]),
        ("bad ptime on a trunk",
         &[("peers = [\"udp:10.0.0.20:5060\"]", "peers = [\"udp:10.0.0.20:5060\"]\nptime = 25")],
         &[r#"trunk[1].ptime: invalid packet time 25 (expected 10, 20, 30, 40 or 60 ms)"#]),
        ("bad transcode on a trunk",
         &[("peers = [\"udp:10.0.0.20:5060\"]", "peers = [\"udp:10.0.0.20:5060\"]\ntranscode = \"always\"")],
         &[r#"trunk[1].transcode: invalid value "always" (expected "when-needed" or "never")"#]),
        ("bad refer on a trunk",
         &[("peers = [\"udp:10.0.0.20:5060\"]", "peers = [\"udp:10.0.0.20:5060\"]\nrefer = \"forward\"")],
         &[r#"trunk[1].refer: invalid value "forward" (expected "handle", "relay" or "reject")"#]),
        ("bad ice on a trunk",
         &[("peers = [\"udp:10.0.0.20:5060\"]", "peers = [\"udp:10.0.0.20:5060\"]\nice = \"full\"")],
         &[r#"trunk[1].ice: invalid value "full" (expected "off" or "lite")"#]),
        ("bad dtmf_info_type on a trunk and a realm",
         &[("peers = [\"udp:10.0.0.20:5060\"]", "peers = [\"udp:10.0.0.20:5060\"]\ndtmf_info_type = \"xml\""),
           ("media_ports = \"30000-39999\"", "media_ports = \"30000-39999\"\ndtmf_info_type = \"DTMF-relay \"")],
         &[r#"realm[1].dtmf_info_type: invalid value "DTMF-relay " (expected "dtmf-relay" or "dtmf")"#,
           r#"trunk[1].dtmf_info_type: invalid value "xml" (expected "dtmf-relay" or "dtmf")"#]),
        ("inband on a trunk that allows every codec",
         &[("peers = [\"udp:10.0.0.20:5060\"]", "peers = [\"udp:10.0.0.20:5060\"]\ndtmf = \"inband\"")],
         &[r#"trunk[1].dtmf: "inband" needs a G.711 leg: the trunk allows every codec; list G.711 only: codecs = ["PCMA", "PCMU"]"#]),
        ("inband on a trunk with opus",
         &[("peers = [\"udp:10.0.0.20:5060\"]", "peers = [\"udp:10.0.0.20:5060\"]\ndtmf = \"inband\"\ncodecs = [\"PCMA\", \"opus\"]")],
         &[r#"trunk[1].dtmf: "inband" needs a G.711 leg: its codecs must be PCMU or PCMA (and telephone-event) only"#]),
        ("inband on a realm",
         &[("media_ports = \"30000-39999\"", "media_ports = \"30000-39999\"\ndtmf = \"inband\"")],
         &[r#"realm[1].dtmf: "inband" needs a G.711 leg: a realm has no codec list; set it on a trunk with codecs = ["PCMA", "PCMU"]"#]),
        ("srtp suites and keys over UDP",
         &[("peers = [\"udp:10.0.0.20:5060\"]", "peers = [\"udp:10.0.0.20:5060\"]\nsrtp = \"required\"\nsrtp_suites = [\"AES_CM_128_HMAC_SHA1_80\", \"AES_CM_128_HMAC_SHA1_80\", \"F8_128_HMAC_SHA1_80\"]"),
           ("media_ports = \"30000-39999\"", "media_ports = \"30000-39999\"\nsrtp = \"required\"")],
         &[r#"realm[1].srtp: "required": SDES keys travel in SDP, which only TLS protects; give the realm a tls: listener or set sdes_without_tls = true"#,
           r#"trunk[1].srtp_suites[1]: SRTP suite "AES_CM_128_HMAC_SHA1_80" is listed twice"#,
           r#"trunk[1].srtp_suites[2]: unknown SRTP suite "F8_128_HMAC_SHA1_80" (known: AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AES_256_CM_HMAC_SHA1_80, AEAD_AES_128_GCM, AEAD_AES_256_GCM)"#]),
        ("srtp required on a trunk without tls peers",
         &[("peers = [\"udp:10.0.0.20:5060\"]", "peers = [\"udp:10.0.0.20:5060\"]\nsrtp = \"required\"")],
         &[r#"trunk[1].srtp: "required": SDES keys travel in SDP, which only TLS protects; give the trunk a tls: peer or set sdes_without_tls = true"#]),
        ("unknown realm",
         &[("realm = \"inside\"", "realm = \"lan\"")],
         &[r#"trunk[1].realm: unknown realm "lan""#]),
        ("peer unreachable from its realm",
         &[("udp:198.51.100.20:5060", "udp:[2001:db8::20]:5060")],
         &[r#"trunk[0].peers[0]: realm "outside" has no udp listener on IPv6 for peer "udp:[2001:db8::20]:5060""#]),
        ("peer ip on two trunks of one realm",
         &[("to = \"carrier\"\n", "to = \"carrier\"\n\n[[trunk]]\nname = \"c2\"\nrealm = \"outside\"\npeers = [\"tcp:198.51.100.20:5070\"]\n")],
         &["trunk[2].peers[0]: peer address 198.51.100.20 already belongs to trunk[0] in the same realm"]),
        ("sip limits out of range",
         &[("[[realm]]", "[sip]\nmax_message_size = 100\nmax_headers = 5000\nmax_connections = 8\n\n[[realm]]")],
         &["sip.max_message_size: 100 is out of range 1024..=1048576",
           "sip.max_headers: 5000 is out of range 16..=1024",
           "sip.max_connections: 8 is out of range 16..=1000000"]),
        ("health check and limit keys out of range",
         &[("peers = [\"udp:10.0.0.20:5060\"]", "peers = [\"udp:10.0.0.20:5060\"]\noptions_interval = 3601\noptions_down_after = 0\noptions_up_after = 101\nmax_calls = 0\nmax_cps = -1")],
         &["trunk[1].options_interval: 3601 is out of range 0..=3600",
           "trunk[1].options_down_after: 0 is out of range 1..=100",
           "trunk[1].options_up_after: 101 is out of range 1..=100",
           "trunk[1].max_calls: 0 is out of range 1..=1000000",
           "trunk[1].max_cps: -1 is out of range 1..=10000"]),
        ("health check interval of the wrong type",
         &[("realm = \"outside\"\n", "realm = \"outside\"\noptions_interval = \"30s\"\n")],
         &["trunk[0].options_interval: invalid type: string \"30s\", expected i64 (line 23, column 20)"]),
        ("registration keys",
         &[("media_ports = \"30000-39999\"", "media_ports = \"30000-39999\"\nregistrar = \"pbx\"\nnat_keepalive = 5"),
           ("name = \"outside\"\n", "name = \"outside\"\nregistrar = \"nope\"\n"),
           ("peers = [\"udp:198.51.100.20:5060\"]", "peers = [\"udp:198.51.100.20:5060\"]\n\n[trunk.register]\nuser = \"sbc 1\"\npassword = \"\"\nexpires = 10")],
         &["realm[1].nat_keepalive: 5 is out of range 10..=3600",
           "trunk[0].register.user: invalid \"sbc 1\": white space, quotes, '<', '>', '@' and ';' are not allowed",
           "trunk[0].register.password: must not be empty",
           "trunk[0].register.expires: 10 is out of range 60..=86400",
           "realm[0].registrar: unknown trunk \"nope\"",
           "realm[1].registrar: trunk \"pbx\" is on this realm; the registrar must be on another one"]),
        ("server_header that would break a message",
         &[("name = \"outside\"\n", "name = \"outside\"\nserver_header = \"sbc\\r\\nX-Injected: 1\"\n"),
           ("media_ports = \"30000-39999\"", "media_ports = \"30000-39999\"\nserver_header = \" padded\"")],
         &["realm[0].server_header: invalid server_header \"sbc\\r\\nX-Injected: 1\": control characters (line breaks, tabs) would split or corrupt the message",
           "realm[1].server_header: invalid server_header \" padded\": leading or trailing spaces"]),
        ("header rules that would break a message",
         &[("peers = [\"udp:198.51.100.20:5060\"]", "peers = [\"udp:198.51.100.20:5060\"]\n\n[[trunk.rule]]\naction = \"set\"\nheader = \"X-Ok\"\nvalue = \"1\"\n\n[[trunk.rule]]\naction = \"remove\"\nheader = \"CSeq\"\n\n[[trunk.rule]]\naction = \"replace\"\nheader = \"To\"\nuri_part = \"user\"\nmatch = \"(\"\nvalue = \"x\"")],
         &["trunk[0].rule[1].header: CSeq is protected: the SBC's transactions, dialogs and framing depend on it",
           "trunk[0].rule[2].match: invalid regex: regex parse error: ( ^ error: unclosed group"]),
        ("bad firewall table",
         &[("[[realm]]", "[firewall]\ntable = \"my table\"\n\n[[realm]]")],
         &[r#"firewall.table: invalid table name "my table" (use letters, digits and '_', starting with a letter)"#]),
        // Deserialization errors: the TOML parser's message, with key path and position.
        ("unknown key names the key",
         &[("realm = \"outside\"\n", "realm = \"outside\"\ncodec = [\"PCMA\"]\n")],
         &["trunk[0].codec: unknown field `codec`, expected one of `name`, `realm`, `profile`, `peers`, `sources`, `codecs`, `transcode`, `g729_annexb`, `ptime`, `dtmf`, `dtmf_info_type`, `show_digits`, `srtp`, `srtp_suites`, `sdes_without_tls`, `tls_ca`, `tls_server_name`, `tls_client_cert`, `tls_client_key`, `uri_scheme`, `options_interval`, `options_down_after`, `options_up_after`, `max_calls`, `max_cps`, `register`, `invite_timeout_ms`, `no_target_code`, `rule`, `refer`, `ice`, `rtcp_mux` (line 23, column 1)"]),
        ("unknown section",
         &[("[management]", "[managment]")],
         &["managment: unknown field `managment`, expected one of `system`, `management`, `firewall`, `metrics`, `hep`, `log`, `sip`, `media`, `realm`, `trunk`, `route` (line 4, column 2)"]),
        ("wrong type",
         &[("media_ip = \"10.0.0.1\"", "media_ip = \"10.0.0.1\"\nopen = \"yes\"")],
         &["realm[1].open: invalid type: string \"yes\", expected a boolean (line 18, column 8)"]),
        ("show_digits is a boolean",
         &[("media_ip = \"10.0.0.1\"", "media_ip = \"10.0.0.1\"\nshow_digits = \"yes\"")],
         &["realm[1].show_digits: invalid type: string \"yes\", expected a boolean (line 18, column 15)"]),
        ("wrong type in an array",
         &[("peers = [\"udp:10.0.0.20:5060\"]", "peers = [\n  \"udp:10.0.0.20:5060\",\n  5060,\n]")],
         &["trunk[1].peers: invalid type: integer `5060`, expected a string (line 30, column 3)"]),
        ("missing required key",
         &[("realm = \"inside\"\n", "")],
         &["trunk[1]: missing field `realm` (line 25, column 1)"]),
        ("unknown log format",
         &[("[[realm]]", "[log]\nformat = \"xml\"\n\n[[realm]]")],
         &[r#"log.format: invalid value "xml" (expected "text" or "json")"#]),
        ("log ladder is a boolean",
         &[("[[realm]]", "[log]\nladder = \"off\"\n\n[[realm]]")],
         &["log.ladder: invalid type: string \"off\", expected a boolean (line 9, column 10)"]),
        ("syntax error",
         &[("[management]", "[management")],
         &["invalid table header; expected `.`, `]` (line 4, column 12)"]),
        ("hep collector over TLS and a bad id",
         &[("[management]", "[hep]\ncollector = \"tls:10.0.0.9:9061\"\nid = 4294967296\n\n[management]")],
         &["hep.collector: invalid value \"tls\" (expected \"udp\" or \"tcp\")",
           "hep.id: 4294967296 is out of range 0..=4294967295"]),
    ];
    let mut failures = Vec::new();
    for (name, edits, expected) in cases {
        let got = errors(&edit(edits));
        if got != *expected {
            failures.push(format!(
                "{name}:\n  expected {expected:#?}\n  got      {got:#?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn no_realm_at_all() {
    let text = "[system]\nname = \"x\"\n[management]\nlisten = \"127.0.0.1:8443\"\n";
    assert_eq!(errors(text), ["realm: at least one [[realm]] is required"]);
}

#[test]
fn five_errors_are_all_reported_in_file_order() {
    let text = edit(&[
        ("name = \"t\"", "name = \"\""),
        ("[\"127.0.0.0/8\"]", "[\"127.0.0.1/8\"]"),
        ("20000-29999", "20001-29999"),
        ("udp:10.0.0.20:5060", "udp:10.0.0.300:5060"),
        ("to = \"carrier\"", "to = \"pbx2\""),
    ]);
    let err = Config::from_toml_str(&text, "/etc/sbc").expect_err("five errors");
    assert_eq!(err.len(), 5);
    let expected = [
        "system.name: must not be empty",
        r#"management.allow[0]: invalid CIDR "127.0.0.1/8": host bits set (the network is 127.0.0.0/8)"#,
        r#"realm[0].media_ports: invalid port range "20001-29999": start 20001 must be even (RTP on even ports, RTCP on the next odd one)"#,
        r#"trunk[1].peers[0]: invalid address "10.0.0.300:5060""#,
        r#"route[1].to: unknown trunk "pbx2""#,
    ];
    assert_eq!(
        err.to_string(),
        expected.join("\n"),
        "Display: one error per line"
    );
}

/// RFC 3263 §4.1-4.2: an address without a transport is UDP, without a port the
/// transport's default port.
#[test]
fn peers_without_transport_or_port_take_rfc3263_defaults() {
    let text = edit(&[(
        r#"peers = ["udp:10.0.0.20:5060"]"#,
        r#"peers = ["10.0.0.20", "10.0.0.21:5070", "udp:10.0.0.22"]"#,
    )]);
    let config = Config::from_toml_str(&text, "/etc/sbc").expect("valid");
    let peers: Vec<String> = config.trunks()[1]
        .peers
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        peers,
        [
            "udp:10.0.0.20:5060",
            "udp:10.0.0.21:5070",
            "udp:10.0.0.22:5060"
        ]
    );
}

#[test]
fn errors_carry_the_bad_value() {
    let text = edit(&[("udp:10.0.0.20:5060", "udp:10.0.0.300:5060")]);
    let ConfigErrors(errs) = Config::from_toml_str(&text, "/etc/sbc").expect_err("bad address");
    assert_eq!(errs[0].path, "trunk[1].peers[0]");
    assert_eq!(
        errs[0].kind,
        ConfigErrorKind::InvalidPeer {
            value: "udp:10.0.0.300:5060".into(),
            reason: PeerSpecError::BadAddress("10.0.0.300:5060".into()),
        }
    );
}

#[test]
fn unreadable_file_names_the_file() {
    let err = Config::load("/nonexistent/sbc.toml").expect_err("missing file");
    let text = err.to_string();
    assert!(
        text.starts_with("cannot read /nonexistent/sbc.toml: "),
        "{text}"
    );
}

#[test]
fn a_trunk_takes_its_realms_dtmf_unless_it_sets_its_own() {
    let text = edit(&[
        (
            "media_ports = \"30000-39999\"",
            "media_ports = \"30000-39999\"\ndtmf = \"sip-info\"\ndtmf_info_type = \"dtmf\"\nshow_digits = true",
        ),
        (
            "peers = [\"udp:10.0.0.20:5060\"]",
            "peers = [\"udp:10.0.0.20:5060\"]\n[[trunk]]\nname = \"legacy\"\nrealm = \"inside\"\npeers = [\"udp:10.0.0.30:5060\"]\ndtmf = \"inband\"\ncodecs = [\"PCMU\", \"PCMA\", \"telephone-event\"]\nshow_digits = false",
        ),
    ]);
    let config =
        sbc_config::Config::from_toml_str(&text, "/etc/sbc").unwrap_or_else(|e| panic!("{e}"));
    let pbx = config.trunk("pbx").unwrap_or_else(|| panic!("pbx"));
    assert_eq!(pbx.dtmf, sbc_config::DtmfMode::SipInfo, "the realm's");
    assert_eq!(pbx.dtmf_policy.info_type, sbc_config::DtmfInfoType::Dtmf);
    assert!(pbx.dtmf_policy.show_digits);
    let legacy = config.trunk("legacy").unwrap_or_else(|| panic!("legacy"));
    assert_eq!(legacy.dtmf, sbc_config::DtmfMode::Inband, "its own");
    assert!(!legacy.dtmf_policy.show_digits);
    let carrier = config.trunk("carrier").unwrap_or_else(|| panic!("carrier"));
    assert_eq!(carrier.dtmf_policy, sbc_config::DtmfPolicy::default());
}

/// Names are resolved by the daemon: validated, they give no peer address yet; the
/// effective configuration puts their targets in their place and lets them (and
/// `sources`) identify the trunk.
#[test]
fn names_and_sources_take_their_resolved_addresses_in_place() {
    use sbc_config::resolved::{NameState, Resolved, ResolvedTarget};
    use std::time::{Instant, SystemTime};
    let text = edit(&[(
        r#"peers = ["udp:10.0.0.20:5060"]"#,
        r#"peers = ["pbx.example", "10.0.0.21"]
sources = ["10.1.0.0/16", "edge.pbx.example"]"#,
    )]);
    let config = Config::from_toml_str(&text, "/etc/sbc").expect("valid");
    let t = &config.trunks()[1];
    assert_eq!(t.peers.len(), 1, "only the literal before resolution");
    assert_eq!(t.source_names, ["edge.pbx.example"]);
    let ip = |s: &str| s.parse::<std::net::IpAddr>().expect("ip");
    assert_eq!(
        config
            .trunk_for_source_in("inside", ip("10.1.2.3"))
            .map(|t| t.name.as_str()),
        Some("pbx")
    );
    assert!(
        config
            .trunk_for_source_in("inside", ip("10.0.0.77"))
            .is_none()
    );
    // Pending: the trunk still has its literal.
    let (pending, _) = config.with_resolved(&Resolved::default());
    assert!(pending.trunks()[1].down_reason().is_none());

    let target = |a: &str| ResolvedTarget {
        addr: a.parse().expect("addr"),
        priority: 10,
        weight: 0,
        expires: Instant::now(),
        source: "test".to_owned(),
    };
    let mut r = Resolved::default();
    let spec: sbc_config::PeerSpec = "pbx.example".parse().expect("spec");
    r.peers.insert(
        spec,
        (
            NameState::Resolved {
                targets: vec![target("tcp:10.0.0.30:5070"), target("tcp:10.0.0.31:5070")],
            },
            SystemTime::now(),
        ),
    );
    r.sources.insert(
        "edge.pbx.example".to_owned(),
        (
            NameState::Resolved {
                targets: vec![target("udp:10.0.0.40:0")],
            },
            SystemTime::now(),
        ),
    );
    r.retired.insert("pbx".to_owned(), vec![ip("10.0.0.50")]);
    let (eff, conflicts) = config.with_resolved(&r);
    assert!(conflicts.is_empty(), "{conflicts:?}");
    let peers: Vec<String> = eff.trunks()[1]
        .peers
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        peers,
        [
            "tcp:10.0.0.30:5070",
            "tcp:10.0.0.31:5070",
            "udp:10.0.0.21:5060"
        ]
    );
    for a in [
        "10.0.0.30",
        "10.0.0.31",
        "10.0.0.40",
        "10.0.0.50",
        "10.0.0.21",
    ] {
        assert_eq!(
            eff.trunk_for_source_in("inside", ip(a))
                .map(|t| t.name.as_str()),
            Some("pbx"),
            "{a}"
        );
    }
    assert_eq!(eff.trunks()[1].resolution.len(), 2);

    // A name that does not exist and no literal: the trunk is down, saying why.
    let text = edit(&[(
        r#"peers = ["udp:10.0.0.20:5060"]"#,
        r#"peers = ["ghost.example"]"#,
    )]);
    let config = Config::from_toml_str(&text, "/etc/sbc").expect("valid");
    let mut r = Resolved::default();
    r.peers.insert(
        "ghost.example".parse().expect("spec"),
        (
            NameState::Failed {
                reason: "no SRV record for ghost.example".to_owned(),
                targets: Vec::new(),
                retry_at: Instant::now(),
            },
            SystemTime::now(),
        ),
    );
    let (eff, _) = config.with_resolved(&r);
    assert_eq!(
        eff.trunks()[1].down_reason().as_deref(),
        Some("ghost.example: no SRV record for ghost.example")
    );
}

/// An address a name resolves to that another trunk of the realm owns keeps identifying
/// that trunk (it is still a target of both).
#[test]
fn a_resolved_address_of_another_trunk_does_not_steal_its_requests() {
    use sbc_config::resolved::{NameState, Resolved, ResolvedTarget};
    use std::time::{Instant, SystemTime};
    let text = edit(&[(
        r#"peers = ["udp:10.0.0.20:5060"]"#,
        r#"peers = ["pbx.example"]

[[trunk]]
name = "pbx-b"
realm = "inside"
peers = ["udp:10.0.0.20:5060"]"#,
    )]);
    let config = Config::from_toml_str(&text, "/etc/sbc").expect("valid");
    let mut r = Resolved::default();
    r.peers.insert(
        "pbx.example".parse().expect("spec"),
        (
            NameState::Resolved {
                targets: vec![ResolvedTarget {
                    addr: "udp:10.0.0.20:5060".parse().expect("addr"),
                    priority: 0,
                    weight: 0,
                    expires: Instant::now(),
                    source: "test".to_owned(),
                }],
            },
            SystemTime::now(),
        ),
    );
    let (eff, conflicts) = config.with_resolved(&r);
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    let ip = "10.0.0.20".parse().expect("ip");
    assert_eq!(
        eff.trunk_for_source_in("inside", ip)
            .map(|t| t.name.as_str()),
        Some("pbx-b")
    );
    assert_eq!(eff.trunks()[1].peers.len(), 1);
}

/// A rule's regex over the size limit is refused when the file is read, with its key path
/// (as a route's is).
#[test]
fn a_rule_regex_over_its_size_limit_is_refused_with_its_key() {
    let big = format!("(a{{1,1000}}){{1,1000}}{}", "x".repeat(10));
    let text = edit(&[(
        "peers = [\"udp:10.0.0.20:5060\"]",
        &format!(
            "peers = [\"udp:10.0.0.20:5060\"]\n\n[[trunk.rule]]\nif_header = \"From\"\nif_match = '{big}'\naction = \"remove\"\nheader = \"X-A\"\n"
        ),
    )]);
    let errors = errors(&text);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("trunk[1].rule[0].if_match: ") && errors[0].contains("too large"),
        "{errors:?}"
    );
}
