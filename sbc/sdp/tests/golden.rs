//! Golden files: every `tests/golden/*.in.sdp` goes through the rewrite documented in
//! `tests/golden/README.md` and must print exactly its `.out.sdp` (placeholders
//! `PORTn`/`RTCPn` substituted). The output must also parse again, with the same number
//! of m= lines as the input and port 0 wherever the input had it.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use sbc_sdp::{Retained, SessionDescription};

const DEFAULT_ADDR: &str = "192.0.2.1";

fn port(n: usize) -> u16 {
    30000 + 2 * n as u16
}

struct Case {
    sdp: Vec<u8>,
    codecs: Option<Vec<String>>,
    addr: IpAddr,
}

/// Splits the `#` header from the SDP.
fn read_case(path: &Path) -> Case {
    let raw = std::fs::read(path).expect("golden input");
    let mut rest = &raw[..];
    let mut codecs = None;
    let mut addr: IpAddr = DEFAULT_ADDR.parse().expect("default address");
    while rest.starts_with(b"#") {
        let end = rest
            .iter()
            .position(|&b| b == b'\n')
            .map_or(rest.len(), |i| i + 1);
        let line = String::from_utf8_lossy(&rest[..end]);
        let line = line.trim_end();
        if let Some(list) = line.strip_prefix("# codecs:") {
            codecs = Some(list.split(',').map(|s| s.trim().to_owned()).collect());
        } else if let Some(a) = line.strip_prefix("# address:") {
            addr = a.trim().parse().expect("address directive");
        }
        rest = &rest[end..];
    }
    Case {
        sdp: rest.to_vec(),
        codecs,
        addr,
    }
}

/// The rewrite of `tests/golden/README.md`.
fn rewrite(sdp: &mut SessionDescription, codecs: Option<&[String]>, addr: IpAddr) {
    sdp.normalize_old_hold();
    sdp.strip_ice();
    if let Some(codecs) = codecs {
        let allowed: Vec<&str> = codecs.iter().map(String::as_str).collect();
        for m in sdp.media.iter_mut().filter(|m| m.is_rtp()) {
            if m.retain_codecs(&allowed) == Retained::NoCodec {
                m.reject();
            }
        }
    }
    sdp.anchor_connections(addr);
    for (n, m) in sdp.media.iter_mut().enumerate() {
        let active = m.set_port(port(n));
        // With rtcp-mux, RTCP shares the RTP port (RFC 5761 §5.1.3).
        let rtcp_port = if m.rtcp_mux() { port(n) } else { port(n) + 1 };
        match (m.rtcp().is_some(), active) {
            (true, true) => m.set_rtcp(rtcp_port, Some(addr)),
            (true, false) => {
                m.remove_rtcp();
            }
            _ => {}
        }
    }
    sdp.set_origin("sbc", 1, 1, addr);
}

fn substitute(expected: &str, media: usize) -> String {
    let mut out = expected.to_owned();
    for n in (0..media).rev() {
        out = out.replace(&format!("PORT{n}"), &port(n).to_string());
        out = out.replace(&format!("RTCP{n}"), &(port(n) + 1).to_string());
    }
    out
}

/// The reverse of `substitute`, for blessing: only the m= port and the a=rtcp port.
fn placeholders(actual: &str) -> String {
    let mut n = 0;
    let mut out = String::new();
    for line in actual.split_inclusive("\r\n") {
        let mut line = line.to_owned();
        if line.starts_with("m=") {
            line = line.replacen(&format!(" {} ", port(n)), &format!(" PORT{n} "), 1);
            n += 1;
        } else if n > 0 && line.starts_with(&format!("a=rtcp:{} ", port(n - 1) + 1)) {
            line = line.replacen(&(port(n - 1) + 1).to_string(), &format!("RTCP{}", n - 1), 1);
        } else if n > 0 && line.starts_with(&format!("a=rtcp:{} ", port(n - 1))) {
            line = line.replacen(&port(n - 1).to_string(), &format!("PORT{}", n - 1), 1);
        }
        out.push_str(&line);
    }
    out
}

fn inputs() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("golden dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".in.sdp"))
        .collect();
    v.sort();
    v
}

#[test]
fn golden_rewrites() {
    let inputs = inputs();
    assert!(inputs.len() >= 18, "golden corpus incomplete");
    let bless = std::env::var_os("SDP_BLESS").is_some();
    let mut failures = Vec::new();
    for path in inputs {
        let case = read_case(&path);
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let input = SessionDescription::parse(&case.sdp)
            .unwrap_or_else(|e| panic!("{name}: input does not parse: {e}"));
        let mut sdp = input.clone();
        rewrite(&mut sdp, case.codecs.as_deref(), case.addr);
        let actual = String::from_utf8(sdp.to_bytes()).expect("printer writes UTF-8");

        let again = SessionDescription::parse(actual.as_bytes())
            .unwrap_or_else(|e| panic!("{name}: output does not parse: {e}\n{actual}"));
        assert_eq!(again, sdp, "{name}: output does not round-trip");
        assert_eq!(
            again.media.len(),
            input.media.len(),
            "{name}: m-line count changed"
        );
        for (i, (a, b)) in input.media.iter().zip(&again.media).enumerate() {
            assert!(a.port != 0 || b.port == 0, "{name}: stream {i} un-rejected");
        }
        assert!(
            !actual.contains("a=candidate") && !actual.contains("a=ice-"),
            "{name}"
        );

        let out_path = PathBuf::from(path.to_string_lossy().replace(".in.sdp", ".out.sdp"));
        if bless {
            std::fs::write(&out_path, placeholders(&actual)).expect("write golden output");
            continue;
        }
        let expected = std::fs::read_to_string(&out_path)
            .unwrap_or_else(|e| panic!("{name}: {}: {e}", out_path.display()));
        let expected = substitute(&expected, input.media.len());
        if expected != actual {
            failures.push(format!(
                "{name}:\n--- expected\n{expected}--- actual\n{actual}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The golden inputs are also the seed corpus of the fuzz test; keep them parseable.
#[test]
fn placeholders_reverse_substitute() {
    let text = "m=audio 30002 RTP/AVP 0\r\na=rtcp:30003 IN IP4 192.0.2.1\r\n";
    let p = placeholders(&format!("m=audio 30000 RTP/AVP 0\r\n{text}"));
    assert_eq!(
        p,
        "m=audio PORT0 RTP/AVP 0\r\nm=audio PORT1 RTP/AVP 0\r\na=rtcp:RTCP1 IN IP4 192.0.2.1\r\n"
    );
    assert_eq!(
        substitute(&p, 2),
        format!("m=audio 30000 RTP/AVP 0\r\n{text}")
    );
}
