// End-to-end test of the Edge SBC web UI in a real browser (Debian's chromium, driven by
// playwright-core) against the real daemon. Run by tests/tests/webui_e2e.rs inside the lab's sbc
// network namespace (where the management listener is); not meant to be run by hand, but it can
// be against any fresh daemon:
//
//   SBC_URL=https://127.0.0.1:8443 SBC_TOKEN_FILE=.../state/setup-token \
//   SBC_PASSWORD='a long password' SCREENSHOT_DIR=/tmp/shots node e2e.mjs setup-and-trunk
//
// Phases (the first argument):
// * setup-and-trunk: the first start shows the setup page; a wrong token is refused next to
//   the field; the right token (read from SBC_TOKEN_FILE) sets SBC_PASSWORD; login; the
//   dashboard shows live data; a trunk with a bad peer address gets the API's error next to
//   the Peers field; SRTP required over a UDP peer is refused by the SRTP field until keys in
//   clear are allowed (a warning shows, the list flags it); the trunk TRUNK_NAME in
//   TRUNK_REALM with peer TRUNK_PEER is added and
//   listed. Then the caller places a SIP call through it.
// * dashboard: logs in and waits until the dashboard shows an active call (run while one is up),
//   then opens that call's SIP ladder from it.
// * ladder: after a call, the Call history page lists it and opens its SIP ladder (both
//   legs, a message's full text, the pcap download).
// * capture: while call CALL is up (password already set), its ladder page's RTP capture card
//   starts the capture ("Capture RTP"), shows it capturing with packets counted, and stops it.
// * lockout: LOCKOUT_LIMIT wrong passwords are refused ("Wrong user name or password"), the
//   next attempt (even with the right password) shows the lock with a countdown.
//
// * teams: a fresh daemon whose trunk TRUNK_NAME runs on profile "teams": the first-start
//   setup, login; the Trunks page shows the profile and its values, the peer answering
//   OPTIONS (code and age of the last answer) and the realm's FQDN (FQDN) named by its
//   certificate; the dashboard shows the call in progress with its ICE-lite state (the
//   Teams side's check answered, its address nominated).
//
// Every step is logged to stdout; screenshots (PNG, both the light and the dark theme where
// useful) go to SCREENSHOT_DIR; on failure a screenshot "failure-<phase>.png" is taken and the
// process exits 1 with the reason.

import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`environment variable ${name} is not set`);
  return v;
};

const phase = process.argv[2] || 'setup-and-trunk';
const url = env('SBC_URL', 'https://127.0.0.1:8443').replace(/\/$/, '');
const shots = env('SCREENSHOT_DIR');
const password = env('SBC_PASSWORD');
const chromiumPath = env('CHROMIUM', '/usr/bin/chromium');
const TIMEOUT = 15000;

mkdirSync(shots, { recursive: true });
const log = (msg) => console.log(`[e2e ${phase}] ${msg}`);

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function shot(page, name) {
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  log(`screenshot ${path}`);
}

/** Loads the UI, retrying while the management listener is still starting. */
async function open(page) {
  const deadline = Date.now() + 20000;
  for (;;) {
    try {
      await page.goto(`${url}/`, { waitUntil: 'domcontentloaded', timeout: 5000 });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the web UI at ${url}/ did not load: ${err.message}`);
      await page.waitForTimeout(500);
    }
  }
}

/** Submits the login form; returns the HTTP status of the API's answer. */
async function login(page, pass) {
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password', { exact: true }).fill(pass);
  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/api/login' && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Log in' }).click(),
  ]);
  return response.status();
}

async function setupAndTrunk(page) {
  const trunk = env('TRUNK_NAME', 'carrier');
  const peer = env('TRUNK_PEER');
  const realm = env('TRUNK_REALM', 'outside');
  const token = readFileSync(env('SBC_TOKEN_FILE'), 'utf8').trim();
  check(token.length > 0, 'the setup token file is empty');

  await open(page);
  await page.getByRole('heading', { name: /first-time setup/ }).waitFor();
  log('setup page shown');
  await shot(page, '01-setup');

  // A wrong token is refused, next to its field.
  await page.getByLabel('Setup token').fill(`${token}x`);
  await page.getByLabel('New admin password').fill(password);
  await page.getByLabel('Repeat the password').fill(password);
  await page.getByRole('button', { name: 'Set admin password' }).click();
  await page.getByText('This setup token is not valid').waitFor();
  log('wrong setup token refused');
  await shot(page, '02-setup-wrong-token');

  await page.getByLabel('Setup token').fill(token);
  await page.getByLabel('New admin password').fill(password);
  await page.getByLabel('Repeat the password').fill(password);
  await page.getByRole('button', { name: 'Set admin password' }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await page.getByText('The admin password is set').waitFor();
  log('admin password set');

  // The setup page is gone for good: a reload goes to the login page.
  await page.reload();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await shot(page, '03-login');

  check((await login(page, password)) === 200, 'login with the new password failed');
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
  // Live updates arrive over /api/events.
  await page.locator('.live-dot.up').waitFor({ timeout: TIMEOUT });
  await page.getByRole('table', { name: 'Trunk health' }).getByText('pbx', { exact: true }).waitFor();
  log('logged in; dashboard live');
  await shot(page, '04-dashboard');

  await page.getByRole('link', { name: 'Trunks' }).click();
  await page.getByRole('heading', { name: 'Trunks', level: 1 }).waitFor();
  const trunks = page.getByRole('table', { name: 'Trunks' });
  await trunks.waitFor();
  check((await trunks.getByText(trunk, { exact: true }).count()) === 0, `trunk ${trunk} exists before the test added it`);

  // A peer without transport is refused by the API's validation; the error sits by the field.
  await page.getByRole('button', { name: 'Add trunk' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Name', { exact: true }).fill(trunk);
  await dialog.getByLabel('Realm').selectOption(realm);
  await dialog.getByLabel('Peers').fill('10.91.1.300:5060');
  await dialog.getByRole('button', { name: 'Add trunk' }).click();
  const peersField = dialog.locator('.field[data-key="peers"]');
  await peersField.locator('.field-error:not(:empty)').waitFor({ timeout: TIMEOUT });
  log(`bad peer refused: ${await peersField.locator('.field-error').textContent()}`);
  await shot(page, '05-trunk-field-error');

  await dialog.getByLabel('Peers').fill(peer);
  await dialog.getByLabel('Codecs').fill('PCMU, PCMA, G729');
  await dialog.getByLabel('Packet time').selectOption('30');
  await dialog.getByLabel('G.729 Annex B').check();
  await dialog.getByRole('button', { name: 'Add trunk' }).click();
  await dialog.waitFor({ state: 'detached', timeout: TIMEOUT });
  await trunks.getByRole('cell', { name: trunk, exact: true }).waitFor({ timeout: TIMEOUT });
  await trunks.getByText(peer, { exact: true }).waitFor();
  const trunkRow = trunks.getByRole('row').filter({ hasText: peer });
  await trunkRow.getByText('ptime 30 ms').waitFor({ timeout: TIMEOUT });
  await trunkRow.getByText('G.729 Annex B').waitFor();
  // Saved as the config's keys: the API gives them back.
  const saved = await page.evaluate(async (name) => {
    const r = await fetch(`/api/trunks/${encodeURIComponent(name)}`, { credentials: 'same-origin' });
    return r.ok ? r.json() : { status: r.status };
  }, trunk);
  const savedTrunk = saved.trunk || saved;
  check(savedTrunk.ptime === 30 && savedTrunk.g729_annexb === true,
    `trunk ${trunk} saved without ptime = 30 and g729_annexb = true: ${JSON.stringify(saved)}`);
  // Editing it again shows them, and clearing them removes the keys.
  await page.getByRole('button', { name: `Edit trunk ${trunk}` }).click();
  check((await dialog.getByLabel('Packet time').inputValue()) === '30', 'the edit form does not show ptime 30');
  check(await dialog.getByLabel('G.729 Annex B').isChecked(), 'the edit form does not show G.729 Annex B');
  await dialog.getByLabel('Packet time').selectOption('');
  await dialog.getByLabel('G.729 Annex B').uncheck();
  await dialog.getByRole('button', { name: 'Save trunk' }).click();
  await dialog.waitFor({ state: 'detached', timeout: TIMEOUT });
  await trunkRow.getByText('ptime 30 ms').waitFor({ state: 'detached', timeout: TIMEOUT });
  check((await trunkRow.getByText('G.729 Annex B').count()) === 0, 'G.729 Annex B still listed after clearing it');
  log(`trunk ${trunk} (${peer}) added and listed; its ptime and G.729 Annex B set, shown and cleared`);
  await shot(page, '06-trunk-added');

  // SRTP: "required" on a UDP peer is refused by the API next to the SRTP field (keys would
  // travel in clear); allowing that shows a warning, and the list flags it.
  await page.getByRole('button', { name: 'Add trunk' }).click();
  await dialog.getByLabel('Name', { exact: true }).fill('srtp-test');
  await dialog.getByLabel('Realm').selectOption(realm);
  await dialog.getByLabel('Peers').fill('udp:10.91.1.99:5060');
  await dialog.getByLabel('SRTP', { exact: true }).selectOption('required');
  await dialog.getByLabel('SRTP suites').fill('AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80');
  await dialog.getByRole('button', { name: 'Add trunk' }).click();
  const srtpField = dialog.locator('.field[data-key="srtp"]');
  await srtpField.locator('.field-error:not(:empty)').waitFor({ timeout: TIMEOUT });
  log(`SRTP required over UDP refused: ${await srtpField.locator('.field-error').textContent()}`);
  const clearWarning = dialog.getByText('SRTP keys will travel in clear SIP');
  check(!(await clearWarning.isVisible()), 'the keys-in-clear warning shows before the box is ticked');
  await dialog.getByLabel('SRTP keys over UDP/TCP signalling').check();
  await clearWarning.waitFor({ state: 'visible' });
  await shot(page, '06-2-trunk-srtp-warning');
  await dialog.getByRole('button', { name: 'Add trunk' }).click();
  await dialog.waitFor({ state: 'detached', timeout: TIMEOUT });
  const srtpRow = trunks.getByRole('row').filter({ hasText: 'srtp-test' });
  await srtpRow.getByText('keys in clear').waitFor({ timeout: TIMEOUT });
  await srtpRow.getByText('AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80').waitFor();
  log('SRTP trunk added: required, suites in order, keys-in-clear flagged');
  await shot(page, '06-3-trunk-srtp-listed');

  // The header rule tester: a rule typed in as JSON, tried on the sample INVITE.
  await page.getByLabel('Rules (JSON)').fill(
    '[{"action":"replace","header":"Request-URI","uri_part":"user","match":"^\\\\+49(\\\\d+)$","value":"0$1"}]',
  );
  await page.getByRole('button', { name: 'Test rules' }).click();
  await page.getByLabel('Message after the rules').getByText('INVITE sip:030555123@pbx.example SIP/2.0').waitFor();
  log('header rule tester: the Request-URI rewritten by a rule typed in');
  await shot(page, '06-4-rule-tester');

  // Every other page loads from the real API without an error.
  const pages = [
    ['Routes', 'Routes'],
    ['Access control', 'Banned addresses'],
    ['Realms & media', 'Realms'],
    ['Certificates', 'Certificates'],
    ['System', 'Audit log'],
  ];
  for (const [index, [name, table]] of pages.entries()) {
    await page.getByRole('link', { name }).click();
    await page.getByRole('heading', { name, level: 1 }).waitFor();
    // The page's last table is filled once its data arrived.
    await page.getByRole('table', { name: table }).waitFor();
    const failed = await page.locator('.toast.error, .banner.error').allTextContents();
    check(failed.length === 0, `the ${name} page shows an error: ${failed.join(' / ')}`);
    await shot(page, `07-${index + 1}-${name.split(' ')[0].toLowerCase()}`);
  }
  log('routes, access control, realms, certificates and system pages load');

  // The appliance's Network page: its form is filled from the real API (this host's
  // interfaces listed), no error shown. Nothing is applied: that is image/test's part.
  await page.getByRole('link', { name: 'Network' }).click();
  await page.getByRole('heading', { name: 'Network', level: 1 }).waitFor();
  await page.getByRole('heading', { name: 'Settings', level: 2 }).waitFor();
  await page.getByRole('button', { name: 'Apply' }).waitFor();
  const netFailed = await page.locator('.toast.error, .banner.error').allTextContents();
  check(netFailed.length === 0, `the Network page shows an error: ${netFailed.join(' / ')}`);
  await shot(page, '07-6-network');
  log('network page loads');

  // The trunks page in the dark theme (after the colour transitions end).
  await page.getByRole('link', { name: 'Trunks' }).click();
  await trunks.getByRole('cell', { name: trunk, exact: true }).waitFor();
  await page.getByRole('button', { name: 'Switch to dark theme' }).click();
  await page.waitForTimeout(400);
  await shot(page, '07-trunks-dark');
  await page.getByRole('link', { name: 'Dashboard' }).click();
  await page.getByRole('table', { name: 'Trunk health' }).getByText(trunk, { exact: true }).waitFor({ timeout: TIMEOUT });
  await page.waitForTimeout(400);
  await shot(page, '08-dashboard-dark');
}

async function dashboard(page) {
  await open(page);
  await login(page, password);
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
  const calls = page.getByRole('table', { name: 'Active calls' });
  await calls.getByText(env('TRUNK_NAME', 'carrier'), { exact: true }).first().waitFor({ timeout: TIMEOUT });
  log('the dashboard shows the active call');
  // A trunk whose name does not resolve is down, with the reason.
  const health = page.getByRole('table', { name: 'Trunk health' });
  await health.getByText('Trunk down').first().waitFor({ timeout: TIMEOUT });
  check(await health.getByText(/ghost\.lab\.test/).count() > 0, 'the down trunk names its peer name');
  log('the dashboard shows the trunk that does not resolve as down');
  await shot(page, '09-dashboard-call');
  // A call in progress opens its SIP ladder too (the messages so far).
  await calls.getByRole('link', { name: /^SIP ladder of / }).first().click();
  await page.getByRole('heading', { name: /^SIP ladder of call / }).waitFor();
  await page.getByRole('region', { name: 'SIP ladder' }).locator('.first-line', { hasText: /^INVITE / }).first().waitFor();
  log('the active call opens its SIP ladder');
  await shot(page, '09b-ladder-of-a-call-in-progress');
}

async function lockout(page) {
  const limit = Number(env('LOCKOUT_LIMIT', '5'));
  await open(page);
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  for (let i = 1; i <= limit; i += 1) {
    const status = await login(page, `wrong password ${i}`);
    check(status === 401, `wrong password ${i}/${limit}: the API answered ${status}, expected 401`);
    await page.getByText('Wrong user name or password.').waitFor({ timeout: TIMEOUT });
    log(`wrong password ${i}/${limit} refused`);
    if (i === 1) await shot(page, '10-login-wrong-password');
  }
  // Locked now: even the right password is refused, and the page says for how long.
  const status = await login(page, password);
  check(status === 429, `after ${limit} wrong passwords the right one got ${status}, expected 429`);
  const locked = page.getByText(/login is locked/);
  await locked.waitFor({ timeout: TIMEOUT });
  await page.getByText(/Try again in \d/).waitFor();
  check(await page.getByRole('button', { name: 'Log in' }).isDisabled(), 'the Log in button stays enabled while locked');
  check((await page.getByRole('heading', { name: 'Dashboard' }).count()) === 0, 'the right password logged in despite the lock');
  log(`locked out: ${await page.locator('.banner.locked').textContent()}`);
  await shot(page, '11-login-locked');
}

// Call history and the SIP ladder (after a call, password already set): the history lists
// the call with its result and Q.850 causes, the call opens its ladder with both legs' INVITEs,
// a message opens to its full text, and the pcap download is a pcap file.
async function ladder(page) {
  await open(page);
  await login(page, password);
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
  await page.getByRole('link', { name: 'Call history' }).click();
  await page.getByRole('heading', { name: 'Call history', level: 1 }).waitFor();
  const history = page.getByRole('table', { name: 'Call history' });
  const link = history.getByRole('link', { name: /^Ladder of call / }).first();
  await link.waitFor({ timeout: TIMEOUT });
  await history.getByText('answered').first().waitFor();
  log('the call history lists the call');
  await shot(page, '20-call-history');
  await link.click();
  await page.getByRole('heading', { name: /^SIP ladder of call / }).waitFor();
  const ladderCard = page.getByRole('region', { name: 'SIP ladder' });
  const invites = ladderCard.locator('.first-line', { hasText: /^INVITE / });
  await invites.first().waitFor();
  check((await invites.count()) >= 2, `expected the INVITE on both legs, saw ${await invites.count()}`);
  check((await ladderCard.locator('.leg-a').count()) > 0 && (await ladderCard.locator('.leg-b').count()) > 0, 'both legs shown');
  check((await ladderCard.locator('.first-line', { hasText: /^BYE / }).count()) >= 2, 'the BYE on both legs');
  log(`the ladder shows ${await ladderCard.locator('.ladder-item').count()} messages on both legs`);
  await shot(page, '21-ladder');
  await ladderCard.locator('.leg-b .arrow', { hasText: /^BYE / }).first().click();
  const full = ladderCard.locator('.ladder-message:visible').first();
  await full.waitFor();
  check(/Reason: Q\.850;cause=16/.test(await full.textContent()), 'the SBC\'s BYE on leg B carries its Q.850 Reason');
  log('a message opens to its full text');
  await shot(page, '22-ladder-message');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download pcap' }).click()]);
  const file = join(shots, 'ladder.pcap');
  await download.saveAs(file);
  const magic = readFileSync(file).subarray(0, 4).toString('hex');
  check(magic === 'd4c3b2a1', `the download is no pcap file (magic ${magic})`);
  log(`pcap downloaded: ${download.suggestedFilename()}`);
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(300); // the buttons' colour transition
  await shot(page, '23-ladder-dark');
}

// RTP capture of a call in progress from its ladder page: start, packets counted, stop.
async function capture(page) {
  const call = env('CALL');
  await open(page);
  await login(page, password);
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
  await page.goto(`${url}/#/ladder/${call}`);
  await page.getByRole('heading', { name: `SIP ladder of call ${call}` }).waitFor();
  const card = page.getByRole('region', { name: 'RTP capture' });
  await card.getByText('Not captured').waitFor();
  await shot(page, '40-capture-off');
  await card.getByRole('button', { name: 'Capture RTP' }).click();
  await card.getByText(/^Capturing: /).waitFor();
  log('the capture started from the ladder page');
  // The counts grow while the call streams: reload the page until some are kept.
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    await page.waitForTimeout(700);
    await page.reload();
    const figures = await page.getByRole('region', { name: 'RTP capture' }).locator('[data-capture-figures]').textContent();
    if (/^[1-9][\d,]* packets/.test(figures)) {
      log(`capturing: ${figures}`);
      break;
    }
    check(Date.now() < deadline, `no packets counted: ${figures}`);
  }
  await shot(page, '41-capturing');
  await page.getByRole('region', { name: 'RTP capture' }).getByRole('button', { name: 'Stop RTP capture' }).click();
  await page.getByRole('region', { name: 'RTP capture' }).getByRole('button', { name: 'Capture RTP' }).waitFor();
  await page.getByRole('region', { name: 'RTP capture' }).getByText('Captured RTP/RTCP is in the pcap.').waitFor();
  log('the capture stopped');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(300);
  await shot(page, '42-capture-stopped-dark');
}

// A Teams trunk (profile "teams") as operators see it, and a call through it.
async function teams(page) {
  const trunk = env('TRUNK_NAME', 'teams');
  const fqdn = env('FQDN');
  const token = readFileSync(env('SBC_TOKEN_FILE'), 'utf8').trim();
  await open(page);
  await page.getByRole('heading', { name: /first-time setup/ }).waitFor();
  await page.getByLabel('Setup token').fill(token);
  await page.getByLabel('New admin password').fill(password);
  await page.getByLabel('Repeat the password').fill(password);
  await page.getByRole('button', { name: 'Set admin password' }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  check((await login(page, password)) === 200, 'login failed');
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
  log('set up and logged in');

  await page.getByRole('link', { name: 'Trunks' }).click();
  const row = page.getByRole('table', { name: 'Trunks' }).getByRole('row').filter({ hasText: trunk });
  await row.locator('[data-profile="teams"]').waitFor({ timeout: TIMEOUT });
  // The SBC probes a new peer within 5 s; the page follows the live status.
  await row.locator('[data-options="up"]').waitFor({ timeout: 2 * TIMEOUT });
  await row.getByText(/last 200, \d+ s ago/).waitFor();
  await row.locator('[data-certificate="ok"]').getByText(fqdn).waitFor();
  // The file's peers win over the profile's (Microsoft's proxies are not listed).
  check((await row.getByText('tls:10.91.1.2:5061', { exact: true }).count()) > 0, 'the file\'s peer is listed');
  check((await row.getByText(/pstnhub/).count()) === 0, 'the profile\'s peers show although the file overrides them');
  await row.locator('[data-profile] summary').click();
  await row.getByText('srtp = "required"').waitFor();
  await row.getByText(/profile\.rule = .*X-MS-SBC/).waitFor();
  log('trunk: profile teams and its values, OPTIONS answered (200), certificate names the FQDN');
  await shot(page, '30-teams-trunk');

  // Saving the trunk unchanged in the form keeps the profile's values the profile's: the
  // file gains none of them (the form shows them, and writes only what the operator changed).
  await row.getByRole('button', { name: `Edit trunk ${trunk}` }).click();
  const dialog = page.getByRole('dialog');
  check((await dialog.getByLabel('SRTP', { exact: true }).inputValue()) === 'required', 'the form shows the profile\'s SRTP');
  await dialog.getByRole('button', { name: 'Save trunk' }).click();
  await dialog.waitFor({ state: 'detached', timeout: TIMEOUT });
  const saved = await page.evaluate(async () => (await fetch('/api/trunks')).json());
  const file = saved.find((t) => t.name === trunk);
  check(file && file.profile === 'teams', `the trunk keeps its profile: ${JSON.stringify(file)}`);
  for (const key of ['srtp', 'srtp_suites', 'codecs', 'dtmf', 'options_interval', 'sources']) {
    check(!(key in file), `saving wrote the profile's ${key} into the file: ${JSON.stringify(file)}`);
  }
  log(`saved unchanged: the file keeps only ${Object.keys(file).join(', ')}`);

  await page.getByRole('link', { name: 'Dashboard' }).click();
  const calls = page.getByRole('table', { name: 'Active calls' });
  // The Teams side's check nominated its address: the line says where media goes. The
  // nomination shows at once (its event), the count of checks with the next counters
  // (once a second): wait for both.
  const ice = calls.locator('[data-ice="nominated"]', { hasText: /ufrag \S+ · [1-9]\d* checks?.*→ \d+\.\d+\.\d+\.\d+:\d+/ }).first();
  await ice.waitFor({ timeout: 2 * TIMEOUT });
  const text = await ice.textContent();
  log(`the call shows its ICE-lite state: ${text}`);
  await shot(page, '31-teams-call-ice');
}

const phases = { 'setup-and-trunk': setupAndTrunk, dashboard, lockout, ladder, capture, teams };
if (!phases[phase]) {
  console.error(`unknown phase ${phase}; one of ${Object.keys(phases).join(', ')}`);
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
let failed = false;
try {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  page.on('pageerror', (err) => log(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/status of (401|403|422|429)/.test(msg.text())) log(`console error: ${msg.text()}`);
  });
  try {
    await phases[phase](page);
    log('passed');
  } catch (err) {
    failed = true;
    console.error(`[e2e ${phase}] FAILED: ${err.message}`);
    await page.screenshot({ path: join(shots, `failure-${phase}.png`), fullPage: true }).catch(() => {});
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
