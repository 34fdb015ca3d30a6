//! Golden scenarios: every directory under `tests/golden/media/` is a call driven through
//! a [`MediaHook`] step by step (`steps`), each description it sends compared with
//! `N.out.sdp` and every [`MediaOp`] with `ops`. The format is in that directory's
//! README.md; `MEDIA_BLESS=1` rewrites the expected files (review the diff).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sbc_config::Config;
use sbc_core::{MediaOp, RemoteSpec, Side};
use sbc_sip::b2bua::{Body, BodyRole, CallId, SessionHook};

use super::MediaHook;
use super::tests::{Calls, plan};

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/media")
}

pub(super) fn golden_config() -> Arc<Config> {
    let path = golden_dir().join("config.toml");
    let text = std::fs::read_to_string(&path).expect("golden config");
    Arc::new(
        Config::from_toml_str(&text, "/etc/sbc")
            .unwrap_or_else(|e| panic!("{}: invalid:\n{e}", path.display())),
    )
}

/// The fixed pseudonym key of the tests (the daemon's is random per run).
pub(super) fn test_names() -> sbc_core::Pseudonyms {
    sbc_core::Pseudonyms::new(*b"golden-test-key!")
}

/// One scenario being run.
struct Run {
    dir: PathBuf,
    hook: MediaHook,
    calls: Calls,
    call: Option<CallId>,
    /// SBC port -> placeholder (`PORT_A0`, `RTCP_A0`, `PORT_A0_2` for a later pair).
    names: HashMap<u16, String>,
    generations: HashMap<(Side, usize), usize>,
    /// The `o=` session id seen on each leg: it must never change.
    sessions: HashMap<Side, String>,
    ops: String,
    /// (file name, actual text) of each step's output.
    outputs: Vec<(String, String)>,
}

impl Run {
    fn new(dir: &Path) -> Self {
        Run {
            dir: dir.to_owned(),
            hook: MediaHook::new(golden_config(), 7, test_names())
                .with_key_source(crate::KeySource::Seeded(7))
                .with_transcoding(true),
            calls: Calls::new(),
            call: None,
            names: HashMap::new(),
            generations: HashMap::new(),
            sessions: HashMap::new(),
            ops: String::new(),
            outputs: Vec::new(),
        }
    }

    fn call(&self, line: &str) -> CallId {
        self.call
            .unwrap_or_else(|| panic!("{}: `{line}` before `call`", self.dir.display()))
    }

    fn step(&mut self, line: &str) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let _ = writeln!(self.ops, "== {line}");
        match words[..] {
            ["call", from, "->", to, ref over @ ..] => {
                let id = self.calls.next();
                let mut plan = plan(from, to);
                // `tls-a` / `tls-b`: that leg's signalling is TLS (SDES keys may travel).
                if over.contains(&"tls-a") {
                    plan.inbound_transport = sbc_core::Transport::Tls;
                }
                if over.contains(&"tls-b") {
                    for t in &mut plan.targets {
                        t.peer.transport = sbc_core::Transport::Tls;
                    }
                }
                self.hook.call_started(id, &plan);
                self.call = Some(id);
            }
            ["answered", ref rest @ ..] => {
                let fork = rest.first().copied();
                let id = self.call(line);
                self.hook.answered(id, fork);
            }
            // The media engine was built without codecs: nothing is transcoded.
            ["engine-without-codecs"] => self.hook.transcoding = false,
            ["end"] => {
                let id = self.call(line);
                self.hook.call_ended(id);
            }
            [side, role, n, ref options @ ..] => self.body(line, side, role, n, options),
            _ => panic!("{}: bad step `{line}`", self.dir.display()),
        }
        self.name_ports();
        for op in self.hook.drain_ops() {
            let text = self.render_op(&op);
            let _ = writeln!(self.ops, "{text}");
        }
    }

    fn body(&mut self, line: &str, side: &str, role: &str, n: &str, options: &[&str]) {
        let from = match side {
            "a" => Side::A,
            "b" => Side::B,
            _ => panic!("{}: bad side in `{line}`", self.dir.display()),
        };
        let role = match role {
            "offer" => BodyRole::Offer,
            "answer" => BodyRole::Answer,
            _ => panic!("{}: bad role in `{line}`", self.dir.display()),
        };
        let mut fork: Option<&str> = None;
        let mut content_type = "application/sdp";
        for o in options {
            match o.split_once('=') {
                Some(("fork", f)) => fork = Some(f),
                Some(("type", t)) => content_type = t,
                _ => panic!("{}: bad option in `{line}`", self.dir.display()),
            }
        }
        let input = read_input(&self.dir.join(format!("{n}.in.sdp")));
        let call = self.call(line);
        let result = self.hook.relay_body(Body {
            call,
            from,
            role,
            fork,
            content_type: Some(content_type),
            bytes: &input,
        });
        self.name_ports();
        let text = match result {
            Ok(bytes) => {
                let text = String::from_utf8(bytes).expect("the hook writes UTF-8");
                self.sessions_of(&text, from.other());
                self.placeholders(&text)
            }
            Err(e) => format!("488 {}\n", e.0),
        };
        self.outputs.push((format!("{n}.out.sdp"), text));
    }

    /// Names the SBC ports the call holds now.
    fn name_ports(&mut self) {
        let Some(call) = self.call else { return };
        for (index, ports) in self.hook.stream_ports(call).into_iter().enumerate() {
            let Some((a, b)) = ports else { continue };
            for (side, port) in [(Side::A, a), (Side::B, b)] {
                if self.names.contains_key(&port) {
                    continue;
                }
                let generation = self.generations.entry((side, index)).or_insert(0);
                *generation += 1;
                let suffix = match *generation {
                    1 => String::new(),
                    g => format!("_{g}"),
                };
                self.names
                    .insert(port, format!("PORT_{side}{index}{suffix}"));
                self.names
                    .insert(port + 1, format!("RTCP_{side}{index}{suffix}"));
            }
        }
    }

    /// Replaces every number that is a named SBC port, and the `o=` session id.
    fn placeholders(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for line in text.split_inclusive('\n') {
            let line = match line.strip_prefix("o=") {
                Some(rest) => {
                    let mut f: Vec<&str> = rest.splitn(3, ' ').collect();
                    if f.len() == 3 {
                        f[1] = "SESSION";
                    }
                    format!("o={}", f.join(" "))
                }
                None => line.to_owned(),
            };
            out.push_str(&self.replace_ports(&line));
        }
        out
    }

    fn replace_ports(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut digits = String::new();
        let flush = |digits: &mut String, out: &mut String| {
            let name = digits.parse::<u16>().ok().and_then(|p| self.names.get(&p));
            match name {
                Some(name) => out.push_str(name),
                None => out.push_str(digits),
            }
            digits.clear();
        };
        for c in text.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else {
                flush(&mut digits, &mut out);
                out.push(c);
            }
        }
        flush(&mut digits, &mut out);
        out
    }

    /// Checks that leg `to` always gets the same `o=` session id.
    fn sessions_of(&mut self, text: &str, to: Side) {
        let Some(id) = text
            .lines()
            .find_map(|l| l.strip_prefix("o="))
            .and_then(|o| o.split(' ').nth(1))
        else {
            return;
        };
        let known = self.sessions.entry(to).or_insert_with(|| id.to_owned());
        assert_eq!(
            known,
            id,
            "{}: the o= session id on leg {to} changed",
            self.dir.display()
        );
    }

    fn render_op(&self, op: &MediaOp) -> String {
        let text = match op {
            MediaOp::Open {
                stream,
                a_local,
                b_local,
                latch_a,
                latch_b,
            } => format!(
                "open m{} a={a_local} b={b_local} latch={latch_a:?}/{latch_b:?}",
                stream.index
            ),
            MediaOp::Remote {
                stream,
                side,
                remote,
            } => format!("remote m{} {side} {}", stream.index, spec(remote)),
            MediaOp::Answered { stream, fork } => format!(
                "answered m{} fork={}",
                stream.index,
                fork.as_deref().unwrap_or("-")
            ),
            MediaOp::Sending {
                stream,
                side,
                sends,
            } => format!("sending m{} {side} {sends}", stream.index),
            MediaOp::Close { stream } => format!("close m{}", stream.index),
            MediaOp::ClockRate { stream, rate } => {
                format!("clock-rate m{} {rate}", stream.index)
            }
            MediaOp::QueryStats { stream } => format!("query-stats m{}", stream.index),
            MediaOp::Udptl { stream } => format!("udptl m{}", stream.index),
            MediaOp::Srtp {
                stream,
                side,
                fork,
                keys,
            } => {
                let mut s = format!("srtp m{} {side}", stream.index);
                if let Some(f) = fork {
                    let _ = write!(s, " fork={f}");
                }
                match keys {
                    None => s.push_str(" off"),
                    Some(k) => {
                        let _ = write!(
                            s,
                            " {} in={} out={}",
                            k.suite().name,
                            inline_prefix(k.inbound()),
                            inline_prefix(k.outbound())
                        );
                        if !k.inbound_mki().is_empty() {
                            let _ = write!(s, " mki={}", k.inbound_mki().len());
                        }
                    }
                }
                s
            }
            MediaOp::Ice {
                stream,
                side,
                fork,
                local,
                remote_ufrag,
            } => format!(
                "ice m{} {side} fork={} local={} remote={}",
                stream.index,
                fork.as_deref().unwrap_or("-"),
                local.as_ref().map_or("-", |l| l.ufrag.as_str()),
                remote_ufrag.as_deref().unwrap_or("-")
            ),
            MediaOp::Dtmf { stream, side, leg } => {
                format!("dtmf m{} {side} {}", stream.index, dtmf_leg(leg))
            }
            MediaOp::PlayDigit {
                stream,
                toward,
                digit,
                duration_ms,
            } => format!(
                "play-digit m{} {toward} {} {duration_ms}ms",
                stream.index,
                digit.reveal()
            ),
            MediaOp::Transcode {
                stream,
                toward,
                spec,
            } => match spec {
                None => format!("transcode m{} {toward} off", stream.index),
                Some(t) => {
                    let f = |p: &sbc_core::PayloadFormat| {
                        let mut s = format!("{}/{}/{}", p.pt, p.encoding, p.clock_rate);
                        if let Some(fmtp) = &p.fmtp {
                            let _ = write!(s, " [{fmtp}]");
                        }
                        s
                    };
                    let events = t
                        .events
                        .map_or("-".to_owned(), |(i, o)| format!("{i}->{o}"));
                    // Shown only when negotiated (older scenarios stay as they were).
                    let mut cn = t
                        .comfort_noise
                        .map_or(String::new(), |pt| format!(" cn={pt}"));
                    if let Some(pt) = t.comfort_noise_out {
                        let _ = write!(cn, " cn-out={pt}");
                    }
                    format!(
                        "transcode m{} {toward} {} -> {} ptime={} events={events}{cn}",
                        stream.index,
                        f(&t.input),
                        f(&t.output),
                        t.ptime_ms
                    )
                }
            },
            // Picked by an operator through the API, never by offer/answer; rendered so a
            // scenario that ever sees one shows it.
            MediaOp::Capture { call, on, .. } => {
                format!("capture call {call} {}", if *on { "on" } else { "off" })
            }
        };
        self.replace_ports(&text)
    }
}

/// `way=rfc4733 events=101/8000 sends=101/8000 audio=8/8000/alaw,...`.
fn dtmf_leg(l: &sbc_core::DtmfLeg) -> String {
    let events = |e: &[sbc_core::dtmf::EventPt]| {
        let v: Vec<String> = e
            .iter()
            .map(|e| format!("{}/{}", e.pt, e.clock_rate))
            .collect();
        if v.is_empty() {
            "-".to_owned()
        } else {
            v.join(",")
        }
    };
    let audio: Vec<String> = l
        .audio
        .iter()
        .map(|a| {
            let law = match a.g711 {
                Some(sbc_core::dtmf::G711::Ulaw) => "/ulaw",
                Some(sbc_core::dtmf::G711::Alaw) => "/alaw",
                None => "",
            };
            format!("{}/{}{law}", a.pt, a.clock_rate)
        })
        .collect();
    format!(
        "way={} receive={} send={} audio={}",
        l.way.name(),
        events(&l.receive),
        events(&l.send),
        audio.join(",")
    )
}

/// The first characters of a key's `inline:` form, so a reader matches the op against the
/// `a=crypto` lines of the same scenario (the golden keys are seeded, not secret).
fn inline_prefix(k: &sbc_core::SrtpKey) -> String {
    use base64::Engine as _;
    let mut raw = k.key().to_vec();
    raw.extend_from_slice(k.salt());
    let mut b64 = base64::engine::general_purpose::STANDARD.encode(raw);
    b64.truncate(8);
    b64
}

fn spec(r: &RemoteSpec) -> String {
    let addr =
        |a: Option<std::net::SocketAddr>| a.map_or_else(|| "-".to_owned(), |a| a.to_string());
    let mut s = format!("rtp={} rtcp={}", addr(r.rtp), addr(r.rtcp));
    if r.rtcp_mux {
        s.push_str(" mux");
    }
    if let Some(f) = &r.fork {
        let _ = write!(s, " fork={f}");
    }
    s
}

/// An input description: leading `#` lines are comments; bare LF becomes CRLF unless the
/// file says `# keep-lf`.
fn read_input(path: &Path) -> Vec<u8> {
    let raw = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let keep_lf = raw.lines().any(|l| l.trim() == "# keep-lf");
    let body: Vec<&str> = raw.lines().skip_while(|l| l.starts_with('#')).collect();
    let eol = if keep_lf { "\n" } else { "\r\n" };
    let mut out = body.join(eol);
    out.push_str(eol);
    out.into_bytes()
}

fn scenarios() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(golden_dir())
        .expect("golden dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("steps").is_file())
        .collect();
    dirs.sort();
    dirs
}

/// Compares (or with `bless`, writes) one expected file; returns a failure message.
fn compare(path: &Path, actual: &str, bless: bool) -> Option<String> {
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    // Expected files may be stored with LF; the hook writes CRLF.
    if expected.replace("\r\n", "\n") == actual.replace("\r\n", "\n") {
        return None;
    }
    if bless {
        std::fs::write(path, actual.replace("\r\n", "\n")).expect("bless");
        return None;
    }
    Some(format!(
        "{}:\n--- expected\n{expected}\n--- actual\n{}",
        path.display(),
        actual.replace("\r\n", "\n")
    ))
}

#[test]
fn golden_scenarios() {
    let bless = std::env::var_os("MEDIA_BLESS").is_some();
    let dirs = scenarios();
    assert!(dirs.len() >= 14, "golden corpus incomplete: {dirs:?}");
    let mut failures = Vec::new();
    for dir in dirs {
        let steps = std::fs::read_to_string(dir.join("steps")).expect("steps");
        let mut run = Run::new(&dir);
        for line in steps.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            run.step(line);
        }
        for (name, actual) in &run.outputs {
            failures.extend(compare(&dir.join(name), actual, bless));
        }
        failures.extend(compare(&dir.join("ops"), &run.ops, bless));
        // Whatever happened, the pools are full again once the call is over.
        assert_eq!(
            run.hook.call_count(),
            0,
            "{}: call not ended",
            dir.display()
        );
        for realm in ["outside", "inside", "inside6", "phones"] {
            let usage = run.hook.free_ports(realm).expect("realm pool");
            assert_eq!(
                usage.free,
                usage.total,
                "{}: {realm} leaks ports",
                dir.display()
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
