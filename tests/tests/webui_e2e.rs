//! The web UI end to end, in a real browser against the real daemon (issue 6 item 6).
//!
//! The daemon starts on the standard lab config without the trunk "carrier": its only route
//! is `from = "outside"` to the pbx, and the realm "outside" is closed, so a call from the
//! carrier namespace is refused (403) while no trunk has the carrier's address. Then Debian's
//! chromium, driven by playwright-core (tests/webui/e2e.mjs) inside the sbc namespace:
//! 1. does the first-start setup with the one-time token from state_dir/setup-token, logs in,
//!    adds the trunk "carrier" with the carrier's address and sees it listed;
//! 2. a sipp call from the carrier through the SBC to the pbx now succeeds, and the dashboard
//!    shows it while it is up, and the trunk "ghost" (a name that cannot resolve) as down;
//! 3. wrong passwords lock the login out after the limit (429 + Retry-After on the page).
//!
//! The screenshots of every step are kept in tests/artifacts/webui_e2e-*/screenshots/ (also
//! when the test passes): look at them.

use std::path::Path;
use std::time::Duration;

use sbc_lab::config::MGMT_LISTEN;
use sbc_lab::topology::{CARRIER_IP, PBX_IP, SBC_OUTSIDE_IP, SIP_PORT, sip_addr};
use sbc_lab::{BrowserTest, Lab, Ns, SbcProcess, StandardConfig};

/// The admin password the test sets (at least 12 characters).
const PASSWORD: &str = "lab-admin-password-42";
/// Failed logins before the lockout (the management API's limit).
const LOCKOUT_LIMIT: u32 = 5;

/// How long the daemon gets to write its setup token.
const TOKEN_TIMEOUT: Duration = Duration::from_secs(10);

/// Waits for `state_dir/setup-token` next to the daemon's config file.
fn setup_token_file(sbc: &SbcProcess) -> std::path::PathBuf {
    let dir = sbc.config_path().parent().unwrap_or(Path::new("."));
    let token = dir.join("state").join("setup-token");
    let deadline = std::time::Instant::now() + TOKEN_TIMEOUT;
    while !token.is_file() {
        assert!(
            std::time::Instant::now() < deadline,
            "the daemon wrote no setup token to {} within {TOKEN_TIMEOUT:?}\n{}",
            token.display(),
            sbc.log_tail()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    token
}

/// A call from the carrier to the pbx: `(caller ok, report)`; the caller holds it `hold_ms`.
fn call(lab: &Lab, hold_ms: u64) -> (bool, String) {
    let uas = lab
        .sipp(Ns::Pbx, "call_uas.xml", sip_addr(PBX_IP))
        .listen()
        .timeout(Duration::from_secs(40))
        .spawn()
        .expect("start sipp callee");
    // The callee binds its socket at start; give it a moment.
    std::thread::sleep(Duration::from_millis(300));
    let uac = lab
        .sipp(Ns::Carrier, "call_hold_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123", "-d", &hold_ms.to_string()])
        .timeout(Duration::from_secs(30))
        .recv_timeout(Duration::from_secs(10))
        .spawn()
        .expect("start sipp caller");
    let uac = uac.finish().expect("sipp caller");
    let uas = uas.finish().expect("sipp callee");
    (
        uac.success() && uas.success(),
        format!(
            "--- caller:\n{}\n--- callee:\n{}",
            uac.report(),
            uas.report()
        ),
    )
}

#[test]
fn webui_setup_login_add_trunk_call_and_lockout() {
    let lab = Lab::new().expect("create lab");
    // A trunk whose name cannot resolve (the sbc namespace's DNS server is an address
    // where none listens): down, which the dashboard shows with the reason.
    let _resolv = sbc_lab::dns::NetnsResolvConf::create(&lab.ns_name(Ns::Sbc), PBX_IP)
        .expect("sbc resolv.conf");
    let config = StandardConfig::default()
        .without_carrier_trunk()
        .extra("\n[[route]]\nfrom = \"outside\"\nto = \"pbx\"\n")
        .extra("\n[[trunk]]\nname = \"ghost\"\nrealm = \"inside\"\npeers = [\"ghost.lab.test\"]\n")
        .render();
    let mut sbc = lab.start_sbc(&config).expect("start sbc");
    let browser = BrowserTest::new(&lab)
        .expect("browser test prerequisites")
        .env("SBC_URL", format!("https://{MGMT_LISTEN}"))
        .env("SBC_PASSWORD", PASSWORD)
        .env("TRUNK_NAME", "carrier")
        .env("TRUNK_REALM", "outside")
        .env("TRUNK_PEER", format!("udp:{CARRIER_IP}:{SIP_PORT}"))
        .env("LOCKOUT_LIMIT", LOCKOUT_LIMIT.to_string());
    let token = setup_token_file(&sbc);
    let browser = browser.env("SBC_TOKEN_FILE", token.display().to_string());

    // Before the trunk exists, the carrier is nobody: 403.
    let refused = lab
        .sipp(Ns::Carrier, "invite_403_uac.xml", sip_addr(SBC_OUTSIDE_IP))
        .args(["-s", "4930123"])
        .timeout(Duration::from_secs(10))
        .run()
        .expect("run sipp");
    assert!(
        refused.success(),
        "a call from the carrier before its trunk exists must get 403:\n{}\n{}",
        refused.report(),
        sbc.log_tail()
    );

    // 1. Setup, login, add the trunk in the browser.
    let out = browser
        .run("setup-and-trunk")
        .unwrap_or_else(|e| panic!("{e}\n--- sbc:\n{}", sbc.log_tail()));
    eprintln!("{}", out.stdout);

    // 2. The call through the new trunk succeeds; the dashboard shows it while it is up.
    let mut dashboard = browser.spawn("dashboard").expect("start dashboard phase");
    let (ok, report) = call(&lab, 15_000);
    let status = dashboard
        .wait_timeout(sbc_lab::webui::PHASE_TIMEOUT)
        .expect("dashboard phase");
    assert!(
        ok,
        "the call through the trunk added in the web UI failed:\n{report}\n--- sbc:\n{}",
        sbc.log_tail()
    );
    assert!(
        status.success(),
        "the dashboard did not show the call ({status}):\n{}\n{}\n(screenshots in {})",
        dashboard.stderr(),
        dashboard.stdout(),
        browser.screenshots().display()
    );
    eprintln!("{}", dashboard.stdout());

    // 3. Lockout after the limit.
    let out = browser
        .run("lockout")
        .unwrap_or_else(|e| panic!("{e}\n--- sbc:\n{}", sbc.log_tail()));
    eprintln!("{}", out.stdout);

    assert!(sbc.is_running(), "the daemon died:\n{}", sbc.log_tail());
    assert!(sbc.panics().is_empty(), "{:?}", sbc.panics());
    // The screenshots are the point of this test: keep them when it passes too.
    let kept = lab.artifacts().keep().expect("keep artifacts");
    eprintln!("screenshots: {}", kept.join("screenshots").display());
}

/// A trunk on `profile = "teams"` (peers and tls_ca overridden, `tools/tls_ua.py` as
/// Microsoft's proxy) as operators see it: the Trunks page shows the profile and its
/// values, the peer answering the SBC's OPTIONS and the realm's FQDN named by the
/// certificate; the dashboard shows a call to Teams with its ICE-lite state (the Teams
/// side's check nominated its address).
#[test]
fn webui_shows_a_teams_trunk_its_options_certificate_and_ice() {
    use sbc_lab::rtp::{rtp_tool, tool_keys};
    use sbc_lab::teams::{FQDN, TeamsLab};
    use sbc_lab::tls_ua::finish_ua;
    use sbc_lab::topology::SBC_INSIDE_IP;

    let t = TeamsLab::start();
    let teams_rtp = t.lab.artifacts().unique_path("rtp-teams", ".json");
    let pbx_rtp = t.lab.artifacts().unique_path("rtp-pbx", ".json");
    let proxy = t.serve(&[
        "--calls=1".into(),
        "--wait=60".into(),
        "--srtp".into(),
        "--ice".into(),
        format!("--rtp-tool={}", rtp_tool().display()),
        format!("--rtp-out={}", teams_rtp.display()),
    ]);
    let token = setup_token_file(&t.sbc);
    let browser = BrowserTest::new(&t.lab)
        .expect("browser test prerequisites")
        .env("SBC_URL", format!("https://{MGMT_LISTEN}"))
        .env("SBC_PASSWORD", PASSWORD)
        .env("TRUNK_NAME", "teams")
        .env("FQDN", FQDN)
        .env("SBC_TOKEN_FILE", token.display().to_string());
    let mut phase = browser.spawn("teams").expect("start the teams phase");
    // A call from the PBX to Teams, up while the phase looks at the dashboard.
    let pbx = t
        .lab
        .sipp(Ns::Pbx, "media_uac.xml", sip_addr(SBC_INSIDE_IP))
        .args(["-s", "+4930123", "-d", "25000"])
        .args(tool_keys(&[("rtp_out", &pbx_rtp)]).expect("tool keys"))
        .timeout(Duration::from_secs(50))
        .recv_timeout(Duration::from_secs(10))
        .spawn()
        .expect("start the sipp PBX caller");
    let status = phase
        .wait_timeout(sbc_lab::webui::PHASE_TIMEOUT)
        .expect("teams phase");
    let pbx = pbx.finish().expect("sipp PBX caller");
    let proxy = finish_ua(proxy, Duration::from_secs(70));
    assert!(
        status.success(),
        "the web UI did not show the Teams trunk and call ({status}):\n{}\n{}\n(screenshots in {})\n--- sbc:\n{}",
        phase.stderr(),
        phase.stdout(),
        browser.screenshots().display(),
        t.sbc.log_tail()
    );
    eprintln!("{}", phase.stdout());
    assert!(
        pbx.success() && proxy.ok(),
        "the call to Teams failed:\n{}\n{}",
        pbx.report(),
        proxy.report()
    );
    let kept = t.lab.artifacts().keep().expect("keep artifacts");
    eprintln!("screenshots: {}", kept.join("screenshots").display());
}
