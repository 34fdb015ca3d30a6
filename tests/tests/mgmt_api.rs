//! The management API of the real release binary over HTTPS (issue 6): the daemon starts
//! in the sbc namespace with management on 127.0.0.1:8443 and a self-signed certificate;
//! curl, in the same namespace, reads the setup token from state_dir, sets the password,
//! logs in, creates a trunk, and the TOML file changes with its comments intact while
//! the daemon applies the change live. Then a restart through the API re-executes the
//! daemon in place (same pid), and SIGTERM stops it cleanly. A second test watches a call
//! with RTP in `/api/calls`: both legs' trunks, the codec, and packet counters that grow.

use std::path::Path;
use std::time::{Duration, Instant};

use sbc_lab::config::MGMT_LISTEN;
use sbc_lab::topology::{PBX_IP, SBC_OUTSIDE_IP, sip_addr};
use sbc_lab::{Lab, Ns, SbcProcess, Signal, StandardConfig, cmd};

const PASSWORD: &str = "lab-admin-password-42";
const WAIT: Duration = Duration::from_secs(15);

/// An answer: status, headers (lower-case names), body.
struct Answer {
    status: u16,
    headers: String,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<String> {
        self.headers.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }
}

/// One HTTPS request with curl in the sbc namespace (cookie jar in the lab's dir).
fn curl(
    lab: &Lab,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Answer {
    let jar = lab.dir().join("cookies");
    let head = lab.dir().join("headers");
    let url = format!("https://{MGMT_LISTEN}{path}");
    let mut argv: Vec<String> = vec![
        "curl".into(),
        "-sk".into(),
        "--max-time".into(),
        "20".into(),
        "-c".into(),
        jar.display().to_string(),
        "-b".into(),
        jar.display().to_string(),
        "-D".into(),
        head.display().to_string(),
        "-X".into(),
        method.into(),
        "-w".into(),
        "\n%{http_code}".into(),
    ];
    for (k, v) in headers {
        argv.push("-H".into());
        argv.push(format!("{k}: {v}"));
    }
    if let Some(b) = body {
        argv.push("-H".into());
        argv.push("content-type: application/json".into());
        argv.push("--data-binary".into());
        argv.push(b.into());
    }
    argv.push(url);
    let out = lab.exec_ok(Ns::Sbc, &argv).expect("curl runs");
    let (body, status) = out.rsplit_once('\n').expect("status line");
    Answer {
        status: status.trim().parse().expect("numeric status"),
        headers: std::fs::read_to_string(&head).unwrap_or_default(),
        body: body.to_owned(),
    }
}

fn json(a: &Answer) -> String {
    a.body.clone()
}

/// Sets the password with the token from state_dir and logs in; the CSRF token.
fn setup_and_login(lab: &Lab, sbc: &SbcProcess) -> String {
    sbc.wait_for_log(0, "management on https://", WAIT)
        .expect("management listens");
    let state = sbc.config_path().parent().expect("dir").join("state");
    let token = wait_for_file(&state.join("setup-token"), sbc);
    let body = format!("{{\"token\":\"{token}\",\"password\":\"{PASSWORD}\"}}");
    assert_eq!(
        curl(lab, "POST", "/api/setup", &[], Some(&body)).status,
        204
    );
    let body = format!("{{\"username\":\"admin\",\"password\":\"{PASSWORD}\"}}");
    let a = curl(lab, "POST", "/api/login", &[], Some(&body));
    assert_eq!(a.status, 200, "{}", a.body);
    field(&a.body, "csrf")
}

/// Every number after `"key":` in a JSON text.
fn numbers(body: &str, key: &str) -> Vec<u64> {
    let pat = format!("\"{key}\":");
    body.match_indices(&pat)
        .filter_map(|(i, _)| {
            let rest = &body[i + pat.len()..];
            let end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            rest[..end].parse().ok()
        })
        .collect()
}

/// The value of `"key":"..."` in a flat JSON object.
fn field(body: &str, key: &str) -> String {
    let pat = format!("\"{key}\":\"");
    let start = body
        .find(&pat)
        .map(|i| i + pat.len())
        .unwrap_or_else(|| panic!("no {key} in {body}"));
    body[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn wait_for_file(path: &Path, sbc: &SbcProcess) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(t) = std::fs::read_to_string(path) {
            if !t.trim().is_empty() {
                return t.trim().to_owned();
            }
        }
        assert!(
            Instant::now() < deadline,
            "no {} in time\n{}",
            path.display(),
            sbc.log_tail()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn setup_login_and_create_a_trunk_over_https() {
    let lab = Lab::new().expect("lab");
    let config = StandardConfig::default()
        .extra("\n# Operator note: keep this comment.\n")
        .render();
    let mut sbc = lab.start_sbc(&config).expect("sbc starts");
    sbc.wait_for_log(0, "management on https://", WAIT)
        .expect("management listens");
    let state = sbc.config_path().parent().expect("dir").join("state");
    let token = wait_for_file(&state.join("setup-token"), &sbc);
    assert!(sbc.log().contains(&token), "the token is logged");

    let a = curl(&lab, "GET", "/api/setup", &[], None);
    assert_eq!((a.status, json(&a).as_str()), (200, "{\"needed\":true}"));
    assert_eq!(curl(&lab, "GET", "/api/status", &[], None).status, 401);
    let body = format!("{{\"token\":\"{token}\",\"password\":\"{PASSWORD}\"}}");
    assert_eq!(
        curl(&lab, "POST", "/api/setup", &[], Some(&body)).status,
        204
    );
    let body = format!("{{\"username\":\"admin\",\"password\":\"{PASSWORD}\"}}");
    let a = curl(&lab, "POST", "/api/login", &[], Some(&body));
    assert_eq!(a.status, 200, "{}", a.body);
    let cookie = a.header("set-cookie").expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("Secure"),
        "{cookie}"
    );
    let csrf = field(&a.body, "csrf");

    let a = curl(&lab, "GET", "/api/trunks", &[], None);
    assert_eq!(a.status, 200);
    let etag = a.header("etag").expect("ETag");
    let trunk =
        r#"{"name":"carrier2","realm":"outside","peers":["udp:10.91.1.3:5060"],"max_calls":7}"#;
    // Without the CSRF token: refused, nothing written.
    let a = curl(
        &lab,
        "POST",
        "/api/trunks",
        &[("if-match", &etag)],
        Some(trunk),
    );
    assert_eq!(a.status, 403, "{}", a.body);
    let mark = sbc.log_mark();
    let a = curl(
        &lab,
        "POST",
        "/api/trunks",
        &[("if-match", &etag), ("x-csrf-token", &csrf)],
        Some(trunk),
    );
    assert_eq!(a.status, 201, "{}", a.body);
    sbc.wait_for_log(mark, "configuration reloaded", WAIT)
        .expect("applied live");

    let text = std::fs::read_to_string(sbc.config_path()).expect("config");
    assert!(text.contains("# Standard lab config"), "{text}");
    assert!(
        text.contains("# Operator note: keep this comment."),
        "{text}"
    );
    assert!(
        text.contains("name = \"carrier2\"") && text.contains("max_calls = 7"),
        "{text}"
    );
    let a = curl(&lab, "GET", "/api/status", &[], None);
    assert!(a.body.contains("\"name\":\"carrier2\""), "{}", a.body);
    // A stale version is a conflict.
    let a = curl(
        &lab,
        "POST",
        "/api/trunks",
        &[("if-match", &etag), ("x-csrf-token", &csrf)],
        Some(trunk),
    );
    assert_eq!(a.status, 409, "{}", a.body);
    assert!(state.join("config-versions/2.toml").is_file());

    // Restart through the API: the process re-executes itself and serves again.
    let pid = sbc.pid();
    let mark = sbc.log_mark();
    assert_eq!(
        curl(
            &lab,
            "POST",
            "/api/system/restart",
            &[("x-csrf-token", &csrf)],
            None
        )
        .status,
        202
    );
    sbc.wait_for_log(mark, "sbc stopped", WAIT)
        .expect("stopped");
    let after = sbc
        .wait_for_log(mark, "management on https://", WAIT)
        .expect("serving again");
    assert!(!after.contains("setup token"), "the password stays set");
    assert!(sbc.is_running() && sbc.pid() == pid);
    // The session does not survive a restart; the password does.
    assert_eq!(curl(&lab, "GET", "/api/status", &[], None).status, 401);
    let a = curl(&lab, "POST", "/api/login", &[], Some(&body));
    assert_eq!(a.status, 200, "{}", a.body);

    sbc.signal(Signal::Term).expect("SIGTERM");
    let status = sbc.wait_exit(WAIT).expect("exits");
    assert!(status.success(), "{status}\n{}", sbc.log_tail());
}

#[test]
fn a_live_call_shows_legs_codec_and_counters() {
    let lab = Lab::new().expect("lab");
    let sbc = lab
        .start_sbc(&StandardConfig::default().render())
        .expect("sbc starts");
    setup_and_login(&lab, &sbc);

    // A call with RTP both ways (tests/scenarios/media_*.xml with tools/rtp.py).
    let python = cmd::python().expect("python3").display().to_string();
    let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/rtp.py");
    let keys = |out: &Path| {
        vec![
            "-key".to_owned(),
            "python".into(),
            python.clone(),
            "-key".into(),
            "rtp_tool".into(),
            tool.display().to_string(),
            "-key".into(),
            "rtp_out".into(),
            out.display().to_string(),
        ]
    };
    let uas = lab
        .sipp(Ns::Pbx, "media_uas.xml", sip_addr(PBX_IP))
        .listen()
        .args(keys(&lab.artifacts().unique_path("rtp-pbx", ".json")))
        .timeout(Duration::from_secs(40))
        .spawn()
        .expect("sipp callee");
    std::thread::sleep(Duration::from_millis(300));
    let uac = lab
        .sipp(Ns::Carrier, "media_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123", "-d", "10000"])
        .args(keys(&lab.artifacts().unique_path("rtp-carrier", ".json")))
        .timeout(Duration::from_secs(40))
        .recv_timeout(Duration::from_secs(10))
        .spawn()
        .expect("sipp caller");

    // The snapshot is refreshed once a second: poll until the counters show RTP.
    let deadline = Instant::now() + WAIT;
    let calls = loop {
        let a = curl(&lab, "GET", "/api/calls", &[], None);
        assert_eq!(a.status, 200, "{}", a.body);
        if numbers(&a.body, "packets").iter().any(|&n| n > 0) && a.body.contains("answered") {
            break a.body;
        }
        assert!(
            Instant::now() < deadline,
            "no call with RTP in /api/calls: {}\n{}",
            a.body,
            sbc.log_tail()
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    assert!(calls.contains("\"trunk\":\"carrier\""), "{calls}");
    assert!(calls.contains("\"trunk\":\"pbx\""), "{calls}");
    assert!(calls.contains("\"codec\":\"PCMU\""), "{calls}");
    assert!(calls.contains("\"srtp\":false"), "{calls}");
    assert!(
        calls.contains("\"latched\":\""),
        "a latched address: {calls}"
    );
    let status = curl(&lab, "GET", "/api/status", &[], None);
    assert_eq!(numbers(&status.body, "active"), vec![1], "{}", status.body);

    let uac = uac.finish().expect("sipp caller");
    let uas = uas.finish().expect("sipp callee");
    assert!(
        uac.success() && uas.success(),
        "{}\n{}",
        uac.report(),
        uas.report()
    );
    // Hung up: gone from the list at the next refresh.
    let deadline = Instant::now() + WAIT;
    while curl(&lab, "GET", "/api/calls", &[], None).body != "[]" {
        assert!(Instant::now() < deadline, "the call stays listed after BYE");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// A change the daemon cannot run is refused before anything is saved: a `tls:` listener
/// whose certificate file does not exist passes validation (files are the daemon's to
/// open) but not the daemon's TLS check, so the API answers 422 naming the key and the
/// reason, and the file and its versions stay as they were. A listener change is saved and
/// applied for the rest, and the answer says it takes effect at restart.
#[test]
fn a_refused_change_is_not_saved_and_restart_settings_are_named() {
    let lab = Lab::new().expect("lab");
    let sbc = lab
        .start_sbc(&StandardConfig::default().render())
        .expect("sbc starts");
    let csrf = setup_and_login(&lab, &sbc);
    let before = std::fs::read_to_string(sbc.config_path()).expect("config");

    let a = curl(&lab, "GET", "/api/realms/outside", &[], None);
    assert_eq!(a.status, 200, "{}", a.body);
    let etag = a.header("etag").expect("ETag");
    let realm = a.body.trim().to_owned();
    let missing = lab.dir().join("no-such-cert.pem");
    let with_tls = format!(
        "{},\"tls_cert\":\"{}\",\"tls_key\":\"{}\"}}",
        realm
            .replacen(
                "\"listen\":[",
                &format!("\"listen\":[\"tls:{SBC_OUTSIDE_IP}:5061\","),
                1
            )
            .trim_end_matches('}'),
        missing.display(),
        missing.with_extension("key").display()
    );
    let mark = sbc.log_mark();
    let a = curl(
        &lab,
        "PUT",
        "/api/realms/outside",
        &[("if-match", &etag), ("x-csrf-token", &csrf)],
        Some(&with_tls),
    );
    assert_eq!(a.status, 422, "{}", a.body);
    assert_eq!(field(&a.body, "field"), "realm[0].tls_cert", "{}", a.body);
    assert!(
        a.body.contains("no-such-cert.pem") && a.body.contains("not saved"),
        "{}",
        a.body
    );
    sbc.wait_for_log(mark, "not applied, the running configuration stays", WAIT)
        .expect("the refusal is logged");
    assert_eq!(
        std::fs::read_to_string(sbc.config_path()).expect("config"),
        before,
        "the file is unchanged"
    );
    let a = curl(&lab, "GET", "/api/config/versions", &[], None);
    assert_eq!(numbers(&a.body, "version"), vec![1], "{}", a.body);

    // A new UDP listener: saved, the rest applied, named as waiting for a restart.
    let more = realm.replacen(
        "\"listen\":[",
        &format!("\"listen\":[\"udp:{SBC_OUTSIDE_IP}:5062\","),
        1,
    );
    let mark = sbc.log_mark();
    let a = curl(
        &lab,
        "PUT",
        "/api/realms/outside",
        &[("if-match", &etag), ("x-csrf-token", &csrf)],
        Some(&more),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.header("sbc-restart-required").as_deref(),
        Some("realm[0].listen"),
        "{}",
        a.headers
    );
    sbc.wait_for_log(mark, "configuration reloaded", WAIT)
        .expect("applied live");
    let text = std::fs::read_to_string(sbc.config_path()).expect("config");
    assert!(text.contains(":5062"), "{text}");
    let a = curl(&lab, "GET", "/api/system", &[], None);
    assert!(
        a.body
            .contains("\"restart_required\":[\"realm[0].listen\"]"),
        "{}",
        a.body
    );
}

/// Atomic save against the real daemon: a large configuration change is sent through
/// the API and the daemon is killed (SIGKILL) at a different moment each round, from
/// before the request arrives to after it was answered. The file on disk is always
/// exactly the old or the new text, never a mix, and a daemon killed after answering
/// 204 left the new one.
#[test]
fn a_daemon_killed_during_a_save_leaves_the_old_or_the_new_file() {
    let lab = Lab::new().expect("lab");
    let old = StandardConfig::default().render();
    // About 600 kB: the write takes long enough for a kill to land inside it sometimes.
    let padding: String = (0..12_000)
        .map(|i| format!("# padding line {i:05} of the crash test, to make the file large\n"))
        .collect();
    let new = format!("{old}\n{padding}");
    let (mut old_seen, mut new_seen) = (0, 0);
    for round in 0..8u64 {
        let mut sbc = lab.start_sbc(&old).expect("sbc starts");
        let csrf = setup_and_login(&lab, &sbc);
        let version = curl(&lab, "GET", "/api/config", &[], None)
            .header("etag")
            .expect("an ETag");
        let body = lab.dir().join(format!("new-{round}.toml"));
        std::fs::write(&body, &new).expect("write body");
        let jar = lab.dir().join("cookies");
        let put = lab
            .command(
                Ns::Sbc,
                &[
                    "curl".to_owned(),
                    "-sk".to_owned(),
                    "--max-time".to_owned(),
                    "20".to_owned(),
                    "-o".to_owned(),
                    "/dev/null".to_owned(),
                    "-w".to_owned(),
                    "%{http_code}".to_owned(),
                    "-b".to_owned(),
                    jar.display().to_string(),
                    "-X".to_owned(),
                    "PUT".to_owned(),
                    "-H".to_owned(),
                    format!("x-csrf-token: {csrf}"),
                    "-H".to_owned(),
                    format!("if-match: {version}"),
                    "--data-binary".to_owned(),
                    format!("@{}", body.display()),
                    format!("https://{MGMT_LISTEN}/api/config"),
                ],
            )
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("curl starts");
        // 0, 15, 30 ... 105 ms after the request started.
        std::thread::sleep(Duration::from_millis(round * 15));
        sbc.signal(Signal::Kill).expect("SIGKILL");
        sbc.wait_exit(WAIT).expect("killed");
        let out = put.wait_with_output().expect("curl ends");
        let status = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let on_disk = std::fs::read_to_string(sbc.config_path()).expect("the file");
        if on_disk == old {
            assert_ne!(status, "204", "answered 204 but the old file is on disk");
            old_seen += 1;
        } else {
            assert!(
                on_disk == new,
                "round {round}: a torn file ({} bytes; old {}, new {})",
                on_disk.len(),
                old.len(),
                new.len()
            );
            new_seen += 1;
        }
        let dir = sbc.config_path().parent().expect("dir").to_owned();
        let stale: Vec<_> = std::fs::read_dir(&dir)
            .expect("dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".sbc.toml") || n.ends_with(".tmp"))
            .collect();
        eprintln!("round {round}: curl {status:?}, temporary files left: {stale:?}");
    }
    eprintln!("old file {old_seen} times, new file {new_seen} times");
}

/// Drain (issue 16, item 6): with a call up, `POST /api/drain` makes new calls and
/// OPTIONS get 503 with Retry-After while the call runs to its end; `/api/status` says
/// `draining` and counts the call; `POST /api/undrain` takes calls again.
#[test]
fn drain_refuses_new_work_while_the_call_in_progress_completes() {
    let lab = Lab::new().expect("lab");
    let sbc = lab
        .start_sbc(&StandardConfig::default().render())
        .expect("sbc starts");
    let csrf = setup_and_login(&lab, &sbc);
    let uas = lab
        .sipp(Ns::Pbx, "call_uas.xml", sip_addr(PBX_IP))
        .listen()
        .timeout(Duration::from_secs(20))
        .spawn()
        .expect("start callee");
    std::thread::sleep(Duration::from_millis(300));
    let held = lab
        .sipp(Ns::Carrier, "call_hold_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123", "-d", "4000"])
        .timeout(Duration::from_secs(20))
        .spawn()
        .expect("start held call");
    sbc.wait_for_log(0, "call answered", WAIT)
        .unwrap_or_else(|e| panic!("{e}\n{}", sbc.log_tail()));

    let a = curl(&lab, "POST", "/api/drain", &[("x-csrf-token", &csrf)], None);
    assert_eq!(a.status, 204, "{}", a.body);

    // OPTIONS and a new call: 503 with Retry-After (invite_503_uac.xml checks it).
    let code = lab
        .options_udp(Ns::Carrier, Duration::from_secs(3))
        .expect("OPTIONS from the carrier");
    assert_eq!(code, Some(503), "{}", sbc.log_tail());
    let refused = lab
        .sipp(Ns::Carrier, "invite_503_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930124", "-p", "5070", "-mp", "16000"])
        .timeout(Duration::from_secs(10))
        .run()
        .expect("run second caller");
    assert!(
        refused.success(),
        "expected 503:\n{}\n{}",
        refused.report(),
        sbc.log_tail()
    );
    // The snapshot (once a second) says draining, with the call in progress.
    let deadline = Instant::now() + WAIT;
    loop {
        let status = curl(&lab, "GET", "/api/status", &[], None);
        if status.body.contains("\"draining\":true") {
            assert_eq!(
                numbers(&status.body, "active").first(),
                Some(&1),
                "{}",
                status.body
            );
            break;
        }
        assert!(Instant::now() < deadline, "{}", status.body);
        std::thread::sleep(Duration::from_millis(200));
    }

    // The call in progress ends normally (its BYE after 4 s, answered 200).
    let held = held.finish().expect("held call ends");
    let uas = uas.finish().expect("callee ends");
    assert!(
        held.success(),
        "held call:\n{}\n{}",
        held.report(),
        sbc.log_tail()
    );
    assert!(
        uas.success(),
        "callee:\n{}\n{}",
        uas.report(),
        sbc.log_tail()
    );

    let a = curl(
        &lab,
        "POST",
        "/api/undrain",
        &[("x-csrf-token", &csrf)],
        None,
    );
    assert_eq!(a.status, 204, "{}", a.body);
    let code = lab
        .options_udp(Ns::Carrier, Duration::from_secs(3))
        .expect("OPTIONS from the carrier");
    assert_eq!(code, Some(200), "{}", sbc.log_tail());
    let status = curl(&lab, "GET", "/api/status", &[], None);
    assert!(
        status.body.contains("\"draining\":false"),
        "{}",
        status.body
    );
}
