//! `GET /api/registry`: what the SBC knows about media and whether it acts on each choice
//! today (`sbc_core::registry`). The web UI builds its codec, DTMF and SRTP choices from
//! it, so it never offers one the daemon would ignore.

use axum::Json;
use sbc_core::registry::{self, Choice, Support};
use serde_json::{Value, json};

/// `{"supported": bool, "note": ...}` of a [`Support`].
fn support(s: Support) -> Value {
    match s {
        Support::Yes => json!({"supported": true}),
        Support::NotYet(what) => {
            json!({"supported": false, "note": format!("not in this version yet: needs {what}")})
        }
    }
}

fn choices(list: &[Choice]) -> Vec<Value> {
    list.iter()
        .map(|c| {
            let mut v = support(c.support);
            v["value"] = json!(c.value);
            v["meaning"] = json!(c.meaning);
            v
        })
        .collect()
}

/// The whole registry as JSON.
pub fn document() -> Value {
    let codecs: Vec<Value> = registry::CODECS
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "kind": match c.kind {
                    registry::CodecKind::Audio => "audio",
                    registry::CodecKind::Events => "events",
                    registry::CodecKind::ComfortNoise => "comfort-noise",
                },
                "clock_rate": c.clock_rate,
                "channels": c.channels,
                "static_payload_type": c.static_payload_type,
                "relay": support(c.relay),
                "transcode": support(c.transcode),
            })
        })
        .collect();
    let suites: Vec<Value> = registry::SRTP_SUITES
        .iter()
        .map(|s| {
            let mut v = support(s.support);
            v["name"] = json!(s.name);
            v
        })
        .collect();
    json!({
        "codecs": codecs,
        "dtmf_modes": choices(registry::DTMF_MODES),
        "dtmf_info_types": choices(registry::DTMF_INFO_TYPES),
        "srtp_modes": choices(registry::SRTP_MODES),
        "srtp_suites": suites,
    })
}

pub async fn get() -> Json<Value> {
    Json(document())
}
