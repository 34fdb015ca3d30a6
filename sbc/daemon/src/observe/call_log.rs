//! One log line per call, at info level, when its record is complete: the CDR's essentials
//! as structured fields (both legs' Call-IDs, trunks, parties, result, code, Q.850 causes,
//! who hung up, durations, codecs), so `journalctl`/a log shipper can filter by any of them
//! and `[log] format = "json"` writes them as JSON keys.
//!
//! ```text
//! INFO call ended call=7 a_call_id=1-2@10.91.1.2 b_call_id=... from_trunk=carrier
//!      to_trunk=pbx caller=+4989555000 callee=4930123 result=answered code=200 reason=bye
//!      hangup=caller q850_a=16 q850_b=16 ring_ms=3 duration_ms=1004 codec_a=PCMU codec_b=PCMU
//! ```

use serde_json::Value;
use tracing::info;

/// The user part of a From/To header value (`"Bob" <sip:+4989@host>;tag=x` -> `+4989`).
pub fn user_of(party: &str) -> &str {
    let uri = match (party.find('<'), party.find('>')) {
        (Some(a), Some(b)) if a < b => &party[a + 1..b],
        _ => party.split(';').next().unwrap_or(""),
    };
    let uri = uri
        .trim()
        .trim_start_matches("sips:")
        .trim_start_matches("sip:")
        .trim_start_matches("tel:");
    match uri.find('@') {
        Some(at) => &uri[..at],
        None => uri.split(';').next().unwrap_or(""),
    }
}

/// Logs the line of a finished record (the JSON object written to `cdr.jsonl`).
pub fn log(record: &Value) {
    let legs = |i: usize, k: &str| record["legs"][i][k].as_str().unwrap_or("").to_owned();
    let q850 = |i: usize| record["legs"][i]["q850"]["cause"].as_u64();
    info!(
        call = record["call"].as_u64(),
        a_call_id = %legs(0, "call_id"),
        b_call_id = %legs(1, "call_id"),
        from_trunk = %first_non_empty(legs(0, "trunk"), legs(0, "realm")),
        to_trunk = %first_non_empty(legs(1, "trunk"), legs(1, "realm")),
        caller = %user_of(&legs(0, "from")),
        callee = %user_of(&legs(1, "to")),
        result = record["result"].as_str().unwrap_or(""),
        code = record["code"].as_u64(),
        reason = record["reason"].as_str().unwrap_or(""),
        hangup = record["hangup"].as_str().unwrap_or(""),
        q850_a = q850(0),
        q850_b = q850(1),
        ring_ms = record["ring_ms"].as_u64(),
        duration_ms = record["duration_ms"].as_u64(),
        codec_a = %legs(0, "codec"),
        codec_b = %legs(1, "codec"),
        "call ended"
    );
}

fn first_non_empty(a: String, b: String) -> String {
    if a.is_empty() { b } else { a }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_of_parties() {
        assert_eq!(user_of("\"Bob\" <sip:+4989@10.0.0.1:5060>;tag=x"), "+4989");
        assert_eq!(user_of("<sips:alice@example.com;transport=tls>"), "alice");
        assert_eq!(user_of("sip:100@pbx;tag=1"), "100");
        assert_eq!(user_of("<tel:+4930123;phone-context=x>"), "+4930123");
        assert_eq!(user_of(""), "");
        assert_eq!(user_of("<>"), "");
    }
}
