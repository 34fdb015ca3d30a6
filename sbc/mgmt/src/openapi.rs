//! The OpenAPI 3.1 document served at `/api/openapi.json`, written by hand from
//! [`ROUTES`] (the same table the router tests walk, so no route goes undocumented).

use sbc_core::registry;
use serde_json::{Map, Value, json};

/// One route: method, path (axum syntax), summary, whether it needs no session.
#[derive(Debug, Clone, Copy)]
pub struct RouteDoc {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub public: bool,
}

const fn r(method: &'static str, path: &'static str, summary: &'static str) -> RouteDoc {
    RouteDoc {
        method,
        path,
        summary,
        public: false,
    }
}

const fn public(method: &'static str, path: &'static str, summary: &'static str) -> RouteDoc {
    RouteDoc {
        method,
        path,
        summary,
        public: true,
    }
}

/// Every API route.
pub const ROUTES: &[RouteDoc] = &[
    public(
        "GET",
        "/api/setup",
        "Whether the admin password still has to be set: {needed}",
    ),
    public(
        "POST",
        "/api/setup",
        "Set the admin password once with the setup token: {token, password}",
    ),
    public(
        "POST",
        "/api/login",
        "Log in: {username, password} -> {user, csrf} and the session cookie",
    ),
    r("POST", "/api/logout", "End the session"),
    r(
        "GET",
        "/api/session",
        "The session: {user, csrf, idle_expires_in}",
    ),
    r(
        "GET",
        "/api/status",
        "Name, version, uptime, calls, trunk health, registrations (phones and the SBC's own at trunks), bans",
    ),
    r(
        "GET",
        "/api/calls",
        "Active calls with both legs and per-stream counters",
    ),
    r(
        "GET",
        "/api/calls/{call}/ladder",
        "Every SIP message of a recent call's two legs as on the wire (time, leg, direction, transport, source, destination, text); 404 once no longer kept",
    ),
    r(
        "GET",
        "/api/calls/{call}/pcap",
        "The same messages as a pcap file (IP/UDP headers synthesized; TCP/TLS written as UDP), merged in time order with the call's captured RTP/RTCP (SRTP decrypted)",
    ),
    r(
        "POST",
        "/api/calls/{call}/capture",
        "Capture a call in progress: its RTP/RTCP kept (in userspace, SRTP decrypted, telephone-events masked) for the pcap; 404 not in progress, 409 too many captured",
    ),
    r(
        "DELETE",
        "/api/calls/{call}/capture",
        "Stop capturing a call's RTP/RTCP (what was captured stays with its ladder)",
    ),
    r(
        "GET",
        "/api/cdrs",
        "Call detail records, newest first; query: limit, trunk, number, result, format=json|jsonl|csv",
    ),
    r(
        "GET",
        "/api/events",
        "Server-sent events: `status` and `calls` about once a second",
    ),
    r(
        "GET",
        "/api/trunks",
        "Every [[trunk]] (ETag: config version)",
    ),
    r("POST", "/api/trunks", "Add a trunk (If-Match)"),
    r("GET", "/api/trunks/{name}", "One trunk"),
    r("PUT", "/api/trunks/{name}", "Replace a trunk (If-Match)"),
    r("DELETE", "/api/trunks/{name}", "Delete a trunk (If-Match)"),
    r("GET", "/api/routes", "Every [[route]], in evaluation order"),
    r("POST", "/api/routes", "Append a route (If-Match)"),
    r("GET", "/api/routes/{index}", "One route"),
    r("PUT", "/api/routes/{index}", "Replace a route (If-Match)"),
    r("DELETE", "/api/routes/{index}", "Delete a route (If-Match)"),
    r("GET", "/api/realms", "Every [[realm]]"),
    r("POST", "/api/realms", "Add a realm (If-Match)"),
    r("GET", "/api/realms/{name}", "One realm"),
    r("PUT", "/api/realms/{name}", "Replace a realm (If-Match)"),
    r("DELETE", "/api/realms/{name}", "Delete a realm (If-Match)"),
    r(
        "GET",
        "/api/acl",
        "The [firewall] allow and deny CIDR lists",
    ),
    r(
        "PUT",
        "/api/acl",
        "Replace the allow and deny lists (If-Match)",
    ),
    r("GET", "/api/bans", "Currently banned addresses"),
    r("DELETE", "/api/bans/{address}", "Lift a ban"),
    r(
        "GET",
        "/api/certificates",
        "TLS certificates with subject, expiry and the realms using them",
    ),
    r(
        "POST",
        "/api/certificates",
        "Upload a certificate and key: {name, cert_pem, key_pem}",
    ),
    r(
        "GET",
        "/api/config",
        "The configuration file (text/plain, ETag)",
    ),
    r(
        "PUT",
        "/api/config",
        "Replace the configuration file (text/plain body, If-Match)",
    ),
    r(
        "GET",
        "/api/config/versions",
        "Kept versions of the file, newest first",
    ),
    r(
        "POST",
        "/api/config/rollback/{version}",
        "Make a kept version current again",
    ),
    r("GET", "/api/audit", "The newest audit log entries"),
    r(
        "GET",
        "/api/registry",
        "Codecs, DTMF modes, SRTP modes and suites the SBC knows, each with whether it acts on it today",
    ),
    r(
        "GET",
        "/api/system",
        "Version, uptime, config path, settings waiting for a restart",
    ),
    r("POST", "/api/system/restart", "Restart the daemon"),
    r(
        "POST",
        "/api/drain",
        "Drain: new calls and OPTIONS answered 503 with Retry-After, calls in progress go on",
    ),
    r(
        "POST",
        "/api/undrain",
        "End draining: new calls accepted again",
    ),
    r(
        "POST",
        "/api/rules/test",
        "Header rule tester: a message and rules in, the message as the rules leave it and what each did out",
    ),
    r(
        "GET",
        "/api/system/network",
        "Network settings (saved), the state of the last change, this host's interfaces",
    ),
    r(
        "PUT",
        "/api/system/network",
        "New network settings: applied by the appliance, reverted unless confirmed within 60 s",
    ),
    r(
        "POST",
        "/api/system/network/confirm",
        "Keep the network settings applied last",
    ),
    r(
        "GET",
        "/api/system/update",
        "State of a firmware update: idle, queued, installing, installed (rebooting), failed",
    ),
    r(
        "POST",
        "/api/system/update",
        "Upload a signed RAUC bundle (application/octet-stream); installed into the other slot",
    ),
    r("GET", "/api/openapi.json", "This document"),
];

/// Request and answer schemas of a route (names under `components/schemas`).
fn schemas_of(method: &str, path: &str) -> (Option<&'static str>, Option<Value>) {
    let one = |n: &str| json!({"$ref": format!("#/components/schemas/{n}")});
    let many = |n: &str| json!({"type": "array", "items": one(n)});
    match (method, path) {
        ("GET", "/api/trunks") => (None, Some(many("Trunk"))),
        ("POST", "/api/trunks") | ("PUT", "/api/trunks/{name}") => {
            (Some("Trunk"), Some(one("Trunk")))
        }
        ("GET", "/api/trunks/{name}") => (None, Some(one("Trunk"))),
        ("GET", "/api/routes") => (None, Some(many("Route"))),
        ("POST", "/api/routes") | ("PUT", "/api/routes/{index}") => {
            (Some("Route"), Some(one("Route")))
        }
        ("GET", "/api/routes/{index}") => (None, Some(one("Route"))),
        ("GET", "/api/realms") => (None, Some(many("Realm"))),
        ("POST", "/api/realms") | ("PUT", "/api/realms/{name}") => {
            (Some("Realm"), Some(one("Realm")))
        }
        ("GET", "/api/realms/{name}") => (None, Some(one("Realm"))),
        ("GET", "/api/acl") | ("PUT", "/api/acl") => (
            if method == "PUT" { Some("Acl") } else { None },
            Some(one("Acl")),
        ),
        ("GET", "/api/status") => (None, Some(one("Status"))),
        ("GET", "/api/system") => (None, Some(one("System"))),
        ("GET", "/api/registry") => (None, Some(one("Registry"))),
        ("GET", "/api/calls") => (None, Some(many("Call"))),
        ("POST", "/api/certificates") => (Some("CertificateUpload"), Some(one("Certificate"))),
        ("GET", "/api/certificates") => (None, Some(many("Certificate"))),
        _ => (None, None),
    }
}

/// Request bodies not among the components: the login and setup forms, the file.
fn inline_request(method: &str, path: &str) -> Option<Value> {
    let s = json!({"type": "string"});
    let form = |props: Value, required: Value| {
        json!({"required": true, "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": false,
            "required": required, "properties": props}}}})
    };
    match (method, path) {
        ("POST", "/api/setup") => Some(form(
            json!({"token": s, "password": {"type": "string", "minLength": 12, "maxLength": 1024}}),
            json!(["token", "password"]),
        )),
        ("POST", "/api/login") => Some(form(
            json!({"username": {"type": "string", "default": "admin"}, "password": s}),
            json!(["password"]),
        )),
        ("PUT", "/api/config") => Some(json!({"required": true, "content": {
            "text/plain": {"schema": {"type": "string", "description": "the whole TOML file"}}}})),
        _ => None,
    }
}

/// SRTP suites in order of preference (names from the registry).
fn srtp_suites() -> Value {
    json!({"type": "array", "items": {"enum": registry::SRTP_SUITES.iter().map(|c| c.name).collect::<Vec<_>>()}})
}

/// `[[trunk.rule]]`: header manipulation rules.
fn rules() -> Value {
    let s = json!({"type": "string"});
    json!({"type": "array", "items": {"type": "object", "additionalProperties": false,
        "required": ["action", "header"],
        "properties": {"direction": {"enum": ["outbound", "inbound"]}, "method": s,
            "message": {"enum": ["request", "response", "any"]}, "status": s,
            "if_header": s, "if_match": s,
            "action": {"enum": ["add", "set", "remove", "replace"]}, "header": s,
            "param": s, "uri_part": {"enum": ["user", "host", "port"]},
            "match": s, "value": s}}})
}

fn string_list() -> Value {
    json!({"type": "array", "items": {"type": "string"}})
}

/// The config sections as the API exchanges them (the `[[trunk]]`, `[[route]]`,
/// `[[realm]]` keys of the file) and the live views.
fn components() -> Value {
    let s = json!({"type": "string"});
    let i = json!({"type": "integer"});
    let b = json!({"type": "boolean"});
    json!({
        "Trunk": {"type": "object", "additionalProperties": false,
            "required": ["name", "realm"],
            "description": "peers is required unless the profile gives them",
            "properties": {
                "name": s, "realm": s,
                "profile": {"enum": sbc_config::profile::TrunkProfile::NAMES,
                    "description": "a preset filling every key the trunk leaves out"},
                "peers": string_list(), "codecs": string_list(),
                "dtmf": {"enum": registry::DTMF_MODES.iter().map(|c| c.value).collect::<Vec<_>>()},
                "dtmf_info_type": {"enum": registry::DTMF_INFO_TYPES.iter().map(|c| c.value).collect::<Vec<_>>()},
                "show_digits": b,
                "srtp": {"enum": registry::SRTP_MODES.iter().map(|c| c.value).collect::<Vec<_>>()},
                "srtp_suites": srtp_suites(),
                "sdes_without_tls": b,
                "tls_ca": s, "tls_server_name": s, "tls_client_cert": s, "tls_client_key": s,
                "uri_scheme": {"enum": ["sip", "sips"]},
                "options_interval": i, "options_down_after": i, "options_up_after": i,
                "max_calls": i, "max_cps": i, "invite_timeout_ms": i, "no_target_code": i,
                "rule": rules(),
                "register": {"type": "object", "additionalProperties": false,
                    "required": ["user", "password"],
                    "properties": {"user": s, "password": s, "auth_user": s, "domain": s, "expires": i}}
            }},
        "Route": {"type": "object", "additionalProperties": false, "required": ["from", "to"],
            "properties": {"from": s, "match_user": s, "rewrite_user": s, "to": s}},
        "Realm": {"type": "object", "additionalProperties": false,
            "required": ["name", "listen", "media_ip", "media_ports"],
            "properties": {
                "name": s, "listen": string_list(), "media_ip": s, "media_ports": s,
                "public_ip": s, "tls_cert": s, "tls_key": s, "tls_client_ca": s,
                "tls_verify_client": {"enum": ["none", "optional", "required"]},
                "open": b, "registrar": s, "nat_keepalive": i, "server_header": s,
                "domain": s,
                "certificate": {"type": "array", "items": {"type": "object",
                    "additionalProperties": false, "required": ["cert", "key"],
                    "properties": {"cert": s, "key": s}}},
                "srtp": {"enum": registry::SRTP_MODES.iter().map(|c| c.value).collect::<Vec<_>>()},
                "srtp_suites": srtp_suites(),
                "sdes_without_tls": b
            }},
        "Acl": {"type": "object", "additionalProperties": false,
            "properties": {"allow": string_list(), "deny": string_list()}},
        "Status": {"type": "object", "properties": {
            "name": s, "version": s, "uptime_seconds": i,
            "calls": {"type": "object", "properties": {"active": i, "cps": {"type": "number"}}},
            "trunks": {"type": "array"},
            "registrations": {"type": "array", "description": "phones registered through the SBC",
                "items": {"$ref": "#/components/schemas/Registration"}},
            "trunk_registrations": {"type": "array",
                "description": "the SBC's own registrations at trunks ([trunk.register])",
                "items": {"$ref": "#/components/schemas/TrunkRegistration"}},
            "bans": {"type": "array"}, "firewall": {"type": "object"},
            "draining": {"type": "boolean", "description": "new calls and OPTIONS get 503 while calls.active run to their end"}}},
        "Registration": {"type": "object", "properties": {
            "aor": s, "contact": s, "expires_in": i}},
        "TrunkRegistration": {"type": "object",
            "required": ["trunk", "registrar", "peer", "aor", "state"],
            "properties": {
                "trunk": s, "registrar": s, "peer": s, "aor": s,
                "state": {"enum": ["registered", "registering", "failed", "backoff", "unregistering"]},
                "expires_in": {"type": ["integer", "null"], "description": "seconds the binding has left"},
                "retry_in": {"type": ["integer", "null"], "description": "seconds until the next attempt"},
                "reason": {"type": ["string", "null"], "description": "why the last attempt failed"}}},
        "System": {"type": "object", "properties": {
            "version": s, "uptime_seconds": i, "config_path": s, "name": s,
            "restart_required": {"type": "array", "items": s,
                "description": "saved settings (and replaced certificates) that take effect at the next restart"}}},
        "Call": {"type": "object", "properties": {
            "id": s, "started": s, "duration_seconds": i, "state": s, "from": s, "to": s,
            "a": {"$ref": "#/components/schemas/Leg"}, "b": {"$ref": "#/components/schemas/Leg"},
            "streams": {"type": "array", "items": {"type": "object", "properties": {
                "media": s,
                "a": {"$ref": "#/components/schemas/StreamSide"},
                "b": {"$ref": "#/components/schemas/StreamSide"}}}}}},
        "Leg": {"type": "object", "properties": {
            "trunk": s, "realm": s, "remote": s, "codec": s, "srtp": b,
            "srtp_suite": {"type": ["string", "null"], "description": "the SRTP suite negotiated on this leg; null: plain RTP"},
            "transcoded": {"type": "boolean", "description": "the SBC transcodes between this leg's codec and the other leg's"}}},
        "StreamSide": {"type": "object", "properties": {
            "local": s, "latched": {"type": ["string", "null"]}, "packets": i, "bytes": i,
            "lost": i, "jitter": {"type": "number", "description": "milliseconds"},
            "dropped": {"type": "object", "additionalProperties": i,
                "description": "packets that went no further, per reason: unprotect (SRTP authentication failed), replay, foreign, junk, ..."},
            "quality": {"$ref": "#/components/schemas/Quality"},
            "ice": {"type": ["object", "null"], "description": "the SBC's ICE-lite agent on this side; null: no ICE",
                "properties": {"local_ufrag": s, "remote_ufrags": string_list(), "checks": i, "refused": i,
                    "nominated": {"type": ["string", "null"], "description": "source of the last nominating check: where media goes"}}}}},
        "Quality": {"type": "object", "description": "call quality of what this side's peer sent", "properties": {
            "source": {"enum": ["userspace", "rtcp", "none"], "description": "userspace: the SBC's own counts; rtcp: the other peer's receiver reports (kernel-forwarded media)"},
            "loss_pct": {"type": "number"}, "jitter_ms": {"type": "number"},
            "rtt_ms": {"type": ["number", "null"], "description": "round trip between the peers through the SBC"},
            "leg_rtt_ms": {"type": ["number", "null"], "description": "round trip between the SBC and this side's peer"},
            "mos": {"type": ["number", "null"], "description": "E-model estimate, 1.0 to 4.5"},
            "rtcp_reports": i,
            "reported_fraction_lost_pct": {"type": ["number", "null"]}, "reported_lost": {"type": ["integer", "null"]},
            "reported_jitter_ms": {"type": ["number", "null"]}, "xr_mos_lq": {"type": ["number", "null"]}}},
        "CertificateUpload": {"type": "object", "additionalProperties": false,
            "required": ["name", "cert_pem", "key_pem"],
            "properties": {"name": s, "cert_pem": s, "key_pem": s}},
        "Registry": {"type": "object", "properties": {
            "codecs": {"type": "array", "items": {"type": "object", "properties": {
                "name": s, "kind": {"enum": ["audio", "events", "comfort-noise"]}, "clock_rate": i, "channels": i,
                "static_payload_type": {"type": ["integer", "null"]},
                "relay": {"$ref": "#/components/schemas/Support"},
                "transcode": {"$ref": "#/components/schemas/Support"}}}},
            "dtmf_modes": {"type": "array", "items": {"$ref": "#/components/schemas/Choice"}},
            "dtmf_info_types": {"type": "array", "items": {"$ref": "#/components/schemas/Choice"}},
            "srtp_modes": {"type": "array", "items": {"$ref": "#/components/schemas/Choice"}},
            "srtp_suites": {"type": "array", "items": {"type": "object", "properties": {
                "name": s, "supported": b, "note": s}}}}},
        "Support": {"type": "object", "required": ["supported"], "properties": {
            "supported": b, "note": {"type": "string", "description": "what brings it, when not yet"}}},
        "Choice": {"type": "object", "required": ["value", "supported", "meaning"], "properties": {
            "value": s, "supported": b, "meaning": s, "note": s}},
        "Certificate": {"type": "object", "properties": {
            "name": s, "path": s, "subject": s, "not_after": s, "days_left": i,
            "used_by": string_list(), "error": s}}
    })
}

/// Whether a route changes the config file (apply, then save; restart note).
fn writes_config(method: &str, path: &str) -> bool {
    let config = [
        "/api/trunks",
        "/api/routes",
        "/api/realms",
        "/api/acl",
        "/api/config",
    ];
    method != "GET" && config.iter().any(|p| path.starts_with(p))
}

fn restart_note() -> String {
    format!(
        "present when saved settings wait for a restart ({}): their keys, e.g. \
         `management.listen, firewall.enabled`",
        crate::restart::NOTE
    )
}

/// The document.
pub fn document() -> Value {
    let error = json!({
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string"},
            "field": {"type": "string", "description": "key path, e.g. trunk[1].peers[0]"},
            "version": {"type": "integer"},
            "errors": {"type": "array", "items": {"type": "object"}}
        }
    });
    let mut schemas = components();
    schemas["Error"] = error;
    let mut paths = Map::new();
    for route in ROUTES {
        let entry = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        let params: Vec<Value> = route
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .map(|p| json!({"name": p, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let mut responses = json!({
            "default": {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        });
        let (request, answer) = schemas_of(route.method, route.path);
        responses["2XX"] = match answer {
            Some(schema) => json!({"description": "success",
                "content": {"application/json": {"schema": schema}}}),
            None => json!({"description": "success"}),
        };
        if writes_config(route.method, route.path) {
            responses["2XX"]["headers"] = json!({
                "ETag": {"description": "the new config version", "schema": {"type": "string"}},
                "Sbc-Restart-Required": {"description": restart_note(), "schema": {"type": "string"}}
            });
            responses["422"] = json!({"description": "invalid, or refused by the daemon \
                (a TLS file that does not load, a firewall ruleset the kernel refuses): \
                nothing applied, nothing saved",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
        }
        let mut op = json!({
            "summary": route.summary,
            "parameters": params,
            "responses": responses,
        });
        if let Some(name) = request {
            op["requestBody"] = json!({"required": true, "content": {"application/json":
                {"schema": {"$ref": format!("#/components/schemas/{name}")}}}});
        }
        if let Some(body) = inline_request(route.method, route.path) {
            op["requestBody"] = body;
        }
        if route.public {
            op["security"] = json!([]);
        }
        if let Value::Object(m) = entry {
            m.insert(route.method.to_ascii_lowercase(), op);
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Edge SBC management API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "JSON over HTTPS. Session cookie `sbc_session` from /api/login; \
                state-changing requests carry `X-CSRF-Token`; config writes carry \
                `If-Match: \"<version>\"` (409 when stale, 428 when missing). A config \
                write is applied first and saved only when the daemon took it (422 with the \
                reason otherwise, the file unchanged); settings read only at start \
                (management.listen and TLS, firewall.enabled/table, media.workers, \
                listeners, TLS files) are saved and named in `Sbc-Restart-Required`."
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "sbc_session"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"}
            }
        },
        "security": [{"session": [], "csrf": []}],
        "paths": paths,
    })
}

pub async fn serve() -> axum::Json<Value> {
    axum::Json(document())
}
