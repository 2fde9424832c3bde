#!/usr/bin/env node
// Browser tests of the clerk console, the manager dashboard and the visitor's ticket page:
// starts its own hallq-server (127.0.0.1, port 0, a fresh data dir, the small test hall), drives
// Debian's /usr/bin/chromium with playwright-core (no browser download), and checks each page
// against the server's own answers (GET /api/state). Prints "N passed, N failed" last; exits 1
// on any failure, 77 (ctest: skipped) when chromium or playwright-core is not installed.
//
//   node tests/web/run.mjs --server build/x/server/app/hallq-server [--screens docs/screens]
//        [--hall tests/data/small-hall.json] [--web assets/web] [--only substring] [--keep]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const CHROMIUM = '/usr/bin/chromium';
// As root, and without the background networking the machine's closed network refuses.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const key = a.slice(2);
    if (key === 'keep') out.keep = true;
    else out[key] = argv[++i];
  }
  return out;
}
const args = parseArgs(process.argv.slice(2));
const SERVER = args.server || process.env.HALLQ_SERVER;
const HALL = path.resolve(args.hall || path.join(ROOT, 'tests/data/small-hall.json'));
const WEB = path.resolve(args.web || path.join(ROOT, 'assets/web'));

if (!SERVER || !fs.existsSync(SERVER)) {
  console.error(`run.mjs: --server PATH to hallq-server is required (got ${SERVER || 'nothing'})`);
  process.exit(2);
}
// Skipping is for a developer's machine without the browser; in CI a missing browser is a failure.
const SKIP = process.env.CI ? 1 : 77;
if (!fs.existsSync(CHROMIUM)) {
  console.log(`skipped: ${CHROMIUM} is missing (scripts/setup installs Debian's chromium)`);
  process.exit(SKIP);
}
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  console.log('skipped: playwright-core is not installed (scripts/setup runs npm ci in tests/web)');
  process.exit(SKIP);
}

const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'hallq-web-'));
const DATA = path.join(WORK, 'data');
// The server writes configuration edits back to its file: give it a copy, not the repo's.
const HALL_FILE = path.join(WORK, 'hall.json');
fs.copyFileSync(HALL, HALL_FILE);
// Screenshots go to --screens (docs/screens to refresh the committed ones), else into the work
// dir, which is removed after a clean run.
const SCREENS = path.resolve(args.screens || path.join(WORK, 'screens'));
fs.mkdirSync(DATA, { recursive: true });
fs.mkdirSync(SCREENS, { recursive: true });

const KIOSK = 'kiosk-token-0001-abcdef';
const DISPLAY = 'display-token-0001-abcdef';
const USERS = { admin: 'admin-pass', zhang: 'zhang-pass', li: 'li-pass' };
const DESKTOP = { width: 1366, height: 768 };
const PHONE = { width: 390, height: 844 };

// ---- The server, as a child process ----------------------------------------------------------

const server = {
  proc: null, port: 0, base: '', log: '',
  async start(port = 0) {
    const proc = spawn(SERVER, ['--config', HALL_FILE, '--data', DATA, '--listen', `127.0.0.1:${port}`, '--web', WEB,
      '--always-open', '--threads', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.stderr.on('data', (d) => { this.log += d; });
    const line = await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('hallq-server did not print "listening on" within 20 s:\n' + this.log)), 20000);
      proc.stdout.on('data', (d) => {
        out += d;
        const m = out.match(/listening on (http:\/\/[^\s]+)/);
        if (m) { clearTimeout(timer); resolve(m[1]); }
      });
      proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`hallq-server exited with ${code}:\n${this.log}`)); });
    });
    this.base = line;
    this.port = Number(new URL(line).port);
    adminToken = null;
  },
  async stop(signal = 'SIGTERM') {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode) return;
    const done = new Promise((r) => proc.once('exit', r));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
    await done;
    clearTimeout(timer);
    this.proc = null;
  },
};

// ---- HTTP helpers, as other clients of the hall ------------------------------------------------

async function http(method, p, body, token) {
  const headers = {};
  if (token) headers.Authorization = 'Bearer ' + token;
  const res = await fetch(server.base + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* pages */ }
  return { status: res.status, json, text, type: res.headers.get('content-type') || '' };
}
let rid = 0;
const reqId = (p) => `${p}-${Date.now().toString(36)}-${++rid}`;
async function login(user) {
  const r = await http('POST', '/api/login', { user, password: USERS[user] });
  if (r.status !== 200) throw new Error(`login ${user}: ${r.text}`);
  return r.json.token;
}
let adminToken = null;
async function admin() { return adminToken || (adminToken = await login('admin')); }
async function issue(service) {
  const r = await http('POST', '/api/tickets', { service, request_id: reqId('kiosk') }, KIOSK);
  if (r.status !== 201) throw new Error('issue: ' + r.text);
  return r.json.ticket;
}
async function state() {
  const r = await http('GET', '/api/state', undefined, await admin());
  if (r.status !== 200) throw new Error('state: ' + r.text);
  return r.json;
}
async function windowOf(n) { return (await state()).windows.find((w) => w.number === n); }
async function adminAt(n, command, fields = {}) {
  return http('POST', `/api/windows/${n}/${command}`, { ...fields, request_id: reqId('adm') }, await admin());
}
// Leaves a window open and free, whatever the test did there.
async function freeWindow(n) {
  const w = await windowOf(n);
  if (w.current) await adminAt(n, w.current.state === 'called' ? 'no-show' : 'complete');
  const again = await windowOf(n);
  if (again.current) await adminAt(n, 'no-show');
  if (again.state !== 'open') await adminAt(n, 'resume');
}

// ---- Assertions and waiting ------------------------------------------------------------------

class Failure extends Error {}
function check(cond, what) { if (!cond) throw new Failure(what); }
function equal(got, want, what) {
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Failure(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}
async function until(fn, what, ms = 8000) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try { last = await fn(); if (last) return last; } catch (e) { last = e.message; }
    if (Date.now() > end) throw new Failure(`timed out after ${ms} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---- Browser ---------------------------------------------------------------------------------

let browser;
const pageErrors = [];
async function newPage(viewport = DESKTOP, { locale = 'zh-CN', init } = {}) {
  const context = await browser.newContext({ viewport, locale, timezoneId: 'Asia/Shanghai',
    deviceScaleFactor: viewport === PHONE ? 2 : 1, isMobile: viewport === PHONE, hasTouch: viewport === PHONE });
  if (init) await context.addInitScript(init);
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
  page.setDefaultTimeout(10000);
  openContexts.push(context);
  return page;
}
let openContexts = [];
const text = (page, sel) => page.locator(sel).innerText();

async function clerkLogin(page, user, password = USERS[user]) {
  await page.goto(server.base + '/clerk');
  await page.fill('#loginUser', user);
  await page.fill('#loginPassword', password);
  await page.click('#loginSubmit');
}
async function clerkAt(page, user, n) {
  await clerkLogin(page, user);
  await page.waitForSelector('#pickForm:not([hidden])');
  await page.selectOption('#pickWindow', String(n));
  await page.click('#pickSubmit');
  await page.waitForSelector('#console:not([hidden])');
  await page.waitForSelector('#banner', { state: 'hidden' });
}
const button = (page, action) => page.locator(`#actions button[data-action="${action}"]`);
async function enabled(page, action) { return page.locator(`#actions button[data-action="${action}"]:not([disabled])`).count(); }

// ---- The tests -------------------------------------------------------------------------------

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('pages are served at /, /clerk, /admin and /t/{id}, with their scripts', async () => {
  const tk = await issue('A');
  for (const [p, script] of [['/', '/index.js'], ['/clerk', '/clerk.js'], ['/admin', '/admin.js'], [`/t/${tk.id}`, '/ticket.js']]) {
    const r = await http('GET', p);
    equal(r.status, 200, `GET ${p}`);
    check(r.type.startsWith('text/html'), `GET ${p} is HTML (${r.type})`);
    check(r.text.includes(`src="${script}"`), `GET ${p} loads ${script}`);
  }
  for (const p of ['/common.js', '/clerk.js', '/admin.js', '/ticket.js', '/index.js']) {
    const r = await http('GET', p);
    equal(r.status, 200, `GET ${p}`);
    check(r.type.startsWith('text/javascript'), `${p} is JavaScript (${r.type})`);
  }
  equal((await http('GET', '/style.css')).status, 200, 'GET /style.css');
  // Nothing from the internet at run time: no absolute URLs in the pages.
  for (const f of fs.readdirSync(WEB).filter((x) => /\.(html|js|css)$/.test(x))) {
    const body = fs.readFileSync(path.join(WEB, f), 'utf8');
    check(!/(src|href)=["']https?:|url\(["']?https?:|import[^;]*from\s*['"]https?:/.test(body), `${f} loads nothing from the internet`);
  }
  await http('POST', '/api/commands/cancel', { number: tk.number, request_id: reqId('c') }, await admin());
});

test('a wrong password is refused with a message in words', async () => {
  const page = await newPage();
  await clerkLogin(page, 'zhang', 'not-the-password');
  const msg = await until(async () => (await text(page, '#loginError')).includes('错误') && text(page, '#loginError'), 'the login error');
  check(msg.includes('用户名或密码错误'), `message in Chinese words: ${msg}`);
  check(msg.includes('wrong user name or password'), `the server's own message: ${msg}`);
  check(await page.locator('#console').isHidden(), 'the console stays hidden');
  check(await page.locator('#pickForm').isHidden(), 'no window picker');
});

test('a clerk logs in, calls next, and the hall state and the console show the number', async () => {
  const tk = await issue('A');
  const page = await newPage();
  await clerkAt(page, 'zhang', 1);
  // The console lists who call-next would take, and enables the button once the line is known.
  await until(async () => (await text(page, '#queueBody')).includes(tk.number), `${tk.number} in the waiting list`);
  await until(() => enabled(page, 'call-next'), 'call-next enabled');
  const before = await state();
  await button(page, 'call-next').click();
  await until(async () => (await text(page, '#curNumber')) === tk.number, `the console showing ${tk.number}`);
  const after = await state();
  const w1 = after.windows.find((w) => w.number === 1);
  equal(w1.current && w1.current.number, tk.number, 'window 1 current ticket on the server');
  equal(w1.current.state, 'called', 'its state');
  equal(w1.clerk, 'zhang', 'window 1 clerk');
  check(after.seq > before.seq, 'seq moved');
  // What applies now: recall, no-show and start; not call-next, complete or hold.
  for (const a of ['recall', 'no-show', 'start']) check(await enabled(page, a), `${a} enabled while called`);
  for (const a of ['call-next', 'complete', 'hold', 'transfer']) check(!(await enabled(page, a)), `${a} disabled while called`);
  await freeWindow(1);
});

test('pressing call-next twice quickly (double click, two key presses) calls once', async () => {
  const a = await issue('A');
  const b = await issue('A');
  const page = await newPage();
  const posts = [];
  page.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/call-next')) posts.push(r.postDataJSON()); });
  await clerkAt(page, 'li', 4);
  await until(() => enabled(page, 'call-next'), 'call-next enabled');
  await button(page, 'call-next').dblclick();
  await page.keyboard.press('n');
  await page.keyboard.press('n');
  await until(async () => /^A\d+$/.test(await text(page, '#curNumber')), 'a number on the console');
  await page.keyboard.press('1');
  await page.waitForTimeout(1200);
  equal(posts.length, 1, 'POSTs of call-next sent by the page');
  const s = await state();
  const calledAt4 = (s.tickets || []).filter((t) => t.state === 'called' && t.window === 4);
  equal(calledAt4.length, 1, 'tickets called at window 4');
  const other = s.tickets.find((t) => [a.id, b.id].includes(t.id) && t.id !== calledAt4[0].id);
  equal(other && other.state, 'waiting', 'the other ticket still waits');
  equal(await text(page, '#curNumber'), calledAt4[0].number, 'the console shows the called number');
  check(!(await text(page, '#message')).includes('窗口还有'), 'no window_busy refusal was provoked');
  await freeWindow(4);
  await http('POST', '/api/commands/cancel', { number: other.number, request_id: reqId('c') }, await admin());
});

test('a retry after a lost answer reuses the request id and calls once', async () => {
  const tk = await issue('B');
  const page = await newPage();
  const seen = [];
  // The first call-next reaches the server, which acts; its answer is lost on the way back.
  await page.route('**/api/windows/2/call-next', async (route) => {
    seen.push(route.request().postDataJSON().request_id);
    if (seen.length === 1) { await route.fetch(); return route.abort('connectionreset'); }
    return route.continue();
  });
  try {
    await clerkAt(page, 'zhang', 2);
    await until(() => enabled(page, 'call-next'), 'call-next enabled');
    await button(page, 'call-next').click();
    await until(async () => (await text(page, '#curNumber')) === tk.number, `${tk.number} on the console`);
    await until(() => seen.length >= 2, 'the retry');
    equal(seen[1], seen[0], 'the retry carries the same request id');
    const s = await state();
    equal(s.tickets.filter((t) => t.state === 'called' && t.window === 2).map((t) => t.number), [tk.number], 'called at window 2');
    // The retry has left the browser; its answer (the first call's result) may still be on its way.
    await until(async () => (await text(page, '#message')).includes(tk.number), 'the console reports the call');
  } finally {
    await freeWindow(2);  // later tests close window 2, which needs it free even if this one failed
  }
});

test('a clerk cannot act on another window: the picker offers only theirs, a forged one is refused', async () => {
  const tk = await issue('C');
  const page = await newPage();
  await clerkLogin(page, 'zhang');
  await page.waitForSelector('#pickForm:not([hidden])');
  const offered = await page.$$eval('#pickWindow option', (os) => os.map((o) => o.value));
  equal(offered, ['1', '2'], 'windows offered to zhang');
  // Forge a choice the picker never offered.
  await page.evaluate(() => {
    const sel = document.getElementById('pickWindow');
    sel.append(new Option('3', '3'));
    sel.value = '3';
  });
  await page.click('#pickSubmit');
  await page.waitForSelector('#console:not([hidden])');
  await until(async () => (await text(page, '#queueError')).includes('may not'), "the server's refusal of window 3's queue");
  const before = await state();
  await until(() => enabled(page, 'call-next'), 'call-next (the server decides)');
  await button(page, 'call-next').click();
  const msg = await until(async () => { const m = await text(page, '#message'); return m.includes('无权') && m; }, 'the refusal');
  check(/zhang may not act at window 3/.test(msg), `the server's words: ${msg}`);
  const after = await state();
  equal(after.seq, before.seq, 'nothing changed on the server');
  equal(after.windows.find((w) => w.number === 3).current, null, 'window 3 still free');
  await http('POST', '/api/commands/cancel', { number: tk.number, request_id: reqId('c') }, await admin());
});

test('a missed event (seq gap) makes the console ask for a snapshot and catch up', async () => {
  const page = await newPage();
  let drop = false;
  const asked = [];
  // Between the page and the server: forward everything, except one event when told to.
  await page.routeWebSocket(/\/ws$/, (ws) => {
    const upstream = ws.connectToServer();
    ws.onMessage((m) => { if (String(m).includes('"snapshot"')) asked.push(String(m)); upstream.send(m); });
    upstream.onMessage((m) => {
      if (drop && JSON.parse(String(m)).type === 'event') { drop = false; return; }
      ws.send(m);
    });
  });
  await clerkAt(page, 'zhang', 2);
  drop = true;
  equal((await adminAt(2, 'pause')).status, 200, 'admin pauses window 2');
  await page.waitForTimeout(500);
  equal(await text(page, '#winState'), '开放', 'the pause event was lost: the page does not know yet');
  const tk = await issue('C');  // the next event shows the gap
  await until(() => asked.length > 0, 'the page asks for a snapshot');
  equal(JSON.parse(asked[0]).type, 'snapshot', 'it sends {"type":"snapshot"}');
  await until(async () => (await text(page, '#winState')) === '暂停', 'the snapshot brings the pause');
  await until(async () => (await text(page, '#pauseLabel')) === '恢复', 'the pause key now resumes');
  await page.keyboard.press('p');
  await until(async () => (await windowOf(2)).state === 'open', 'resumed from the console');
  await http('POST', '/api/commands/cancel', { number: tk.number, request_id: reqId('c') }, await admin());
});

// Between a page and the server: everything goes through, except that while `on` the server's
// events are kept back in `kept` until the test sends them on with `release(n)` (the first n,
// or all).
async function eventGate(page) {
  const gate = { on: false, kept: [], toPage: null };
  await page.routeWebSocket(/\/ws$/, (ws) => {
    const upstream = ws.connectToServer();
    gate.toPage = ws;
    ws.onMessage((m) => upstream.send(m));
    upstream.onMessage((m) => {
      if (gate.on && JSON.parse(String(m)).type === 'event') gate.kept.push(m);
      else ws.send(m);
    });
  });
  gate.eventOf = (m) => JSON.parse(String(m)).event;
  gate.release = (n = gate.kept.length) => { for (const m of gate.kept.splice(0, n)) gate.toPage.send(m); };
  return gate;
}

// Li's console at window 3 behind an event gate, a fresh C ticket called there, start enabled.
async function gatedConsoleWithACall() {
  const page = await newPage();
  const gate = await eventGate(page);
  const tk = await issue('C');
  await clerkAt(page, 'li', 3);
  await until(() => enabled(page, 'call-next'), 'call-next enabled');
  await button(page, 'call-next').click();
  await until(async () => (await text(page, '#curNumber')) === tk.number, 'the number on the console');
  await until(() => enabled(page, 'start'), 'start enabled');
  return { page, gate, tk };
}

test('an event that arrives after the answer to a later press does not roll the console back', async () => {
  // The answer to a press comes over HTTP, the events over the WebSocket: on a busy hall the
  // answer to "hold" can reach the console before the event of the "start" that preceded it.
  const { page, gate, tk } = await gatedConsoleWithACall();
  gate.on = true;
  await button(page, 'start').click();
  await until(() => enabled(page, 'hold'), 'hold enabled by the answer to start');
  await button(page, 'hold').click();
  await until(async () => (await text(page, '#heldList')).includes(tk.number), 'the answer to hold shows it held');
  await until(() => gate.kept.some((m) => gate.eventOf(m) === 'ticket_held'), 'the hold event kept back');
  gate.on = false;
  // The start's event arrives now, after the hold's answer: it is older than what the console
  // shows, and must not take the held visitor off the screen.
  const startIndex = gate.kept.findIndex((m) => gate.eventOf(m) === 'service_started');
  check(startIndex >= 0, `the start event was kept back too (kept: ${gate.kept.map(gate.eventOf)})`);
  gate.release(startIndex + 1);
  await page.waitForTimeout(400);
  equal(await text(page, '#totHeld'), '1', 'held count after the late start event');
  check((await text(page, '#heldList')).includes(tk.number), 'the held list still shows it');
  check(await page.locator('#curEmpty').isVisible(), 'the console stays free');
  gate.release();
  await page.waitForTimeout(200);
  equal(await text(page, '#totHeld'), '1', 'held count after the hold event');
  equal((await adminAt(3, 'callback', { number: tk.number })).status, 200, 'admin calls it back');
  await freeWindow(3);
});

test('a window\'s own state on the console is not taken back by an event older than the answer', async () => {
  // Complete, then pause at once: the completion's event (window open) can arrive after the
  // pause's answer. The answer's seq says that event is older.
  const { page, gate } = await gatedConsoleWithACall();
  await button(page, 'start').click();
  await until(() => enabled(page, 'complete'), 'complete enabled');
  gate.on = true;
  await button(page, 'complete').click();
  await until(async () => (await text(page, '#message')).includes('已办结'), 'the answer to complete');
  await button(page, 'pause').click();
  await until(async () => (await text(page, '#winState')) === '暂停', 'the answer to pause shows it paused');
  await until(() => gate.kept.some((m) => gate.eventOf(m) === 'window_paused'), 'the pause event kept back');
  gate.on = false;
  const doneIndex = gate.kept.findIndex((m) => gate.eventOf(m) === 'service_completed');
  check(doneIndex >= 0, `the completion was kept back too (kept: ${gate.kept.map(gate.eventOf)})`);
  gate.release(doneIndex + 1);
  await page.waitForTimeout(400);
  equal(await text(page, '#winState'), '暂停', 'still paused after the late completion event');
  gate.release();
  await page.waitForTimeout(200);
  equal(await text(page, '#winState'), '暂停', 'paused after the pause event');
  equal((await windowOf(3)).state, 'paused', 'and on the server');
  await freeWindow(3);
  await until(async () => (await text(page, '#winState')) === '开放', 'the resume reaches the console');
});

test('hotkeys drive a whole visit: start, hold, call back, transfer with return, complete', async () => {
  const tk = await issue('C');
  const page = await newPage();
  await clerkAt(page, 'li', 3);
  const servedBefore = (await windowOf(3)).served_today;  // earlier tests served here too
  await until(() => enabled(page, 'call-next'), 'call-next enabled');
  // A key does nothing while the previous press is in flight (by design): wait for its button.
  const KEY_ACTION = { n: 'call-next', 1: 'call-next', s: 'start', 4: 'start', h: 'hold', d: 'complete' };
  const step = async (key, want, what) => {
    if (KEY_ACTION[key]) await until(() => enabled(page, KEY_ACTION[key]), `${KEY_ACTION[key]} enabled`);
    if (key === 'b') await until(() => page.locator('#heldList button:not([disabled])').count(), 'call back enabled');
    await page.keyboard.press(key);
    await until(async () => { const t = await state_(tk.id); return t && t.state === want && t; }, what);
  };
  const state_ = async (id) => (await state()).tickets.find((t) => t.id === id);
  await step('n', 'called', 'N calls');
  await until(async () => (await text(page, '#curNumber')) === tk.number, 'number shown');
  await step('s', 'serving', 'S starts');
  await until(() => enabled(page, 'hold'), 'hold enabled');
  await step('h', 'held', 'H holds');
  await until(async () => (await text(page, '#heldList')).includes(tk.number), 'the held list shows it');
  equal(await text(page, '#totHeld'), '1', 'held count');
  await step('b', 'called', 'B calls back (window free: called at once)');
  await until(() => enabled(page, 'start'), 'start enabled');
  await step('s', 'serving', 'S starts again');
  await until(() => enabled(page, 'transfer'), 'transfer enabled');
  await page.keyboard.press('t');
  await page.waitForSelector('#transferDialog[open]');
  await page.check('input[name=trKind][value=window]');
  await page.selectOption('#trWindow', '4');
  await page.check('#trReturn');
  await page.fill('#trNote', '请核对材料');
  await page.click('#trOk');
  const moved = await until(async () => { const t = await state_(tk.id); return t && t.state === 'waiting' && t; }, 'the transfer');
  equal([moved.target_window, moved.return_window], [4, 3], 'sent to window 4, coming back to 3');
  await until(() => page.locator('#curEmpty').isVisible(), 'the console is free');
  // Window 4 serves it (admin over HTTP); completing sends it back to window 3.
  equal((await adminAt(4, 'call-next')).json.ticket.number, tk.number, 'window 4 takes the transferred visitor first');
  await adminAt(4, 'start');
  await adminAt(4, 'complete');
  await until(async () => (await text(page, '#queueBody')).includes(tk.number), 'back in window 3\'s line');
  await until(() => enabled(page, 'call-next'), 'call-next enabled');
  await step('1', 'called', '1 calls the returning visitor');
  await until(async () => (await text(page, '#curHistory')).includes('转移'), 'the transfer history on the console');
  await until(() => enabled(page, 'start'), 'start enabled');
  await step('4', 'serving', '4 starts');
  await until(() => enabled(page, 'complete'), 'complete enabled');
  await page.keyboard.press('d');
  await until(async () => (await windowOf(3)).current === null, 'window 3 free after D completes');
  const w3 = await windowOf(3);
  equal(w3.served_today, servedBefore + 1, 'served today at window 3: one more');
  await until(async () => (await text(page, '#totServed')) === String(servedBefore + 1), 'the console counts the visit');
  await freeWindow(4);
});

// A waiting A ticket, and zhang's console at window 1 ready to call it.
async function consoleWithATicket() {
  const tk = await issue('A');
  const page = await newPage();
  await clerkAt(page, 'zhang', 1);
  await until(() => enabled(page, 'call-next'), 'call-next enabled');
  return { tk, page };
}

// Once the console has resynced with the restarted server, its call reaches that server.
async function callsOnTheRestartedServer(page, tk) {
  await until(() => enabled(page, 'call-next'), 'call-next enabled again');
  await button(page, 'call-next').click();
  await until(async () => (await text(page, '#curNumber')) === tk.number, `${tk.number} on the console`);
  equal((await windowOf(1)).current.number, tk.number, 'the call happened on the restarted server');
  await freeWindow(1);
}

test('dropping and restoring the server shows the banner, then clears it; actions work again', async () => {
  const { tk, page } = await consoleWithATicket();
  const port = server.port;
  await server.stop('SIGKILL');
  await page.waitForSelector('#banner:not([hidden])', { timeout: 5000 });
  const banner = await text(page, '#bannerText');
  equal(banner, '连接已断开，正在重连…', 'banner text');
  check(!(await enabled(page, 'call-next')), 'actions disabled while disconnected');
  await page.waitForTimeout(1500);
  await server.start(port);
  // The session outlives the restart (sessions.sqlite): the console resyncs on its own.
  await page.waitForSelector('#banner', { state: 'hidden', timeout: 15000 });
  check(!(await page.locator('#reloginDialog').evaluate((d) => d.open)), 'no password asked after a restart');
  await callsOnTheRestartedServer(page, tk);
});

test('a session that ended while the server was down asks for the password, keeping the screen', async () => {
  const { tk, page } = await consoleWithATicket();
  const port = server.port;
  await server.stop('SIGKILL');
  // As if the session had expired: the restarted server knows no session of this console.
  for (const f of ['sessions.sqlite', 'sessions.sqlite-wal', 'sessions.sqlite-shm']) fs.rmSync(path.join(DATA, f), { force: true });
  await page.waitForSelector('#banner:not([hidden])', { timeout: 5000 });
  await server.start(port);
  await page.waitForSelector('#reloginDialog[open]', { timeout: 15000 });
  check(!(await page.locator('#banner').isHidden()), 'the banner stays until resynced');
  await page.fill('#reloginPassword', USERS.zhang);
  await page.click('#reloginSubmit');
  await page.waitForSelector('#banner', { state: 'hidden', timeout: 10000 });
  await callsOnTheRestartedServer(page, tk);
});

const VIBRATE_SPY = () => {
  window.__vibrations = [];
  navigator.vibrate = (p) => { window.__vibrations.push(p); return true; };
};

test('the ticket page updates live when another client calls the ticket', async () => {
  const tk = await issue('C');
  const other = await issue('C');
  const page = await newPage(PHONE, { init: VIBRATE_SPY });
  const requests = [];
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  await page.goto(`${server.base}/t/${tk.id}`);
  await until(async () => (await text(page, '#number')) === tk.number, 'the number');
  await until(async () => (await page.getAttribute('#mode', 'data-mode')) === 'live', 'live mode over the WebSocket');
  const waitingText = await text(page, '#card');
  check(/前面还有|下一位就是您/.test(waitingText), `position shown: ${waitingText}`);
  check(/预计等候|即将叫到您/.test(waitingText), `estimate shown: ${waitingText}`);
  const t0 = Date.now();
  const r = await adminAt(3, 'call', { number: tk.number });
  equal(r.status, 200, 'admin calls the ticket at window 3');
  await until(async () => (await text(page, '#goWindow')) === '3号窗口', 'the window on the page', 4000);
  check(Date.now() - t0 < 4000, 'updated faster than polling would');
  const shown = await text(page, 'body');
  check(shown.includes('请到'), 'tells where to go');
  check(!shown.includes(other.number), "never shows another visitor's number");
  const vib = await page.evaluate(() => window.__vibrations);
  check(vib.some((p) => Array.isArray(p) && p.length >= 3), `vibrated on the call: ${JSON.stringify(vib)}`);
  const allowed = new Set(['/t/' + tk.id, '/style.css', '/common.js', '/ticket.js', '/favicon.svg', '/api/tickets/' + tk.id, '/ws']);
  const strange = requests.filter((p) => !allowed.has(p));
  equal(strange, [], 'requests beyond its own ticket');
  await freeWindow(3);
  await http('POST', '/api/commands/cancel', { number: other.number, request_id: reqId('c') }, await admin());
});

test('the ticket page falls back to polling every 5 s when the WebSocket fails', async () => {
  const tk = await issue('A');
  const page = await newPage(PHONE);
  await page.context().routeWebSocket(/\/ws$/, (ws) => ws.close());
  await page.goto(`${server.base}/t/${tk.id}`);
  await until(async () => (await text(page, '#number')) === tk.number, 'the number');
  await until(async () => (await page.getAttribute('#mode', 'data-mode')) === 'poll', 'poll mode');
  equal((await adminAt(4, 'call', { number: tk.number })).status, 200, 'admin calls at window 4');
  await until(async () => (await text(page, '#goWindow')) === '4号窗口', 'the window, by polling', 8000);
  await freeWindow(4);
});

test('the ticket page says so for an unknown ticket, and switches language', async () => {
  const page = await newPage(PHONE);
  await page.goto(`${server.base}/t/ZZZZZZZZZZZZZZZZZZZZZZZZZZ`);
  await until(async () => (await text(page, '#final')).includes('找不到这张号票'), 'not-found message');
  await page.click('button[data-lang="en"]');
  await until(async () => (await text(page, '#final')).includes('Ticket not found'), 'English');
  await page.click('button[data-lang="zh-TW"]');
  await until(async () => (await text(page, '#final')).includes('找不到這張號票'), 'Traditional Chinese');
});

test('the dashboard shows the hall live and its actions reach the server', async () => {
  const tk = await issue('B');
  const page = await newPage();
  await page.goto(server.base + '/admin');
  await page.fill('#loginUser', 'admin');
  await page.fill('#loginPassword', USERS.admin);
  await page.click('#loginSubmit');
  await page.waitForSelector('#dash:not([hidden])');
  await until(async () => (await page.locator('#windowsGrid .wcard').count()) === 4, 'four window cards');
  // A display connects: the device table turns it online.
  const display = await newPage();
  await display.goto(server.base + '/');
  await display.evaluate((token) => {
    window.__ws = new WebSocket(`ws://${location.host}/ws`);
    window.__ws.onopen = () => window.__ws.send(JSON.stringify({ type: 'hello', token }));
  }, DISPLAY);
  await until(async () => (await text(page, '#devBody tr[data-device="board-1"]')).includes('在线'), 'board-1 online');
  // Pause and resume window 4 from its card.
  await page.click('.wcard[data-window="4"] button[data-op="pause"]');
  await until(async () => (await windowOf(4)).state === 'paused', 'window 4 paused on the server');
  await until(async () => (await text(page, '.wcard[data-window="4"] .head .pill')) === '暂停', 'the card says paused');
  await page.click('.wcard[data-window="4"] button[data-op="resume"]');
  await until(async () => (await windowOf(4)).state === 'open', 'window 4 open again');
  // Close window 2 takes a second press to confirm.
  await page.click('.wcard[data-window="2"] button[data-op="close"]');
  await page.waitForTimeout(300);
  equal((await windowOf(2)).state, 'open', 'one press does not close');
  await page.click('.wcard[data-window="2"] button[data-op="close"]');
  await until(async () => (await windowOf(2)).state === 'closed', 'window 2 closed');
  await page.click('.wcard[data-window="2"] button[data-op="resume"]');
  await until(async () => (await windowOf(2)).state === 'open', 'window 2 open again');
  // Cancel a ticket by number; a wrong one is refused in words.
  await page.fill('#cancelNumber', tk.number.toLowerCase());
  await page.click('#cancelSubmit');
  await until(async () => (await text(page, '#opsMessage')).includes(`${tk.number} 已取消`), 'cancelled message');
  equal((await state()).tickets.some((t) => t.id === tk.id), false, 'the ticket is no longer open');
  await page.fill('#cancelNumber', 'Z999');
  await page.click('#cancelSubmit');
  await until(async () => (await text(page, '#opsMessage')).includes('找不到'), 'refusal in words');
  // The notice line.
  await page.fill('#noticeText', '今天下午 5 点停止取号。');
  await page.click('#noticeSubmit');
  await until(async () => (await state()).notice === '今天下午 5 点停止取号。', 'the notice on the server');
  // Services table and charts follow the events.
  await issue('A');
  await until(async () => Number(await text(page, '#svcBody tr[data-service="A"] td:nth-child(2)')) >= 1, 'A waiting count');
  await page.waitForTimeout(2200);
  const inked = await page.evaluate(() => {
    const c = document.getElementById('chArrivals');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let blue = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] === 11 && d[i + 1] === 87 && d[i + 2] === 164) blue++;
    return blue;
  });
  check(inked > 20, `the arrivals chart has bars (${inked} blue pixels)`);
  await until(async () => (await text(page, '#configPanel [data-table="services"] tr[data-row="A"]')).includes('综合受理'),
    'the configuration editor lists services');
});

// Reports (server/reports): the dashboard's table, chart and CSV must show what the API says,
// and the printable daily report renders on A4. The API's own figures are checked against an
// independent tally in tests/server/reports; here the question is whether the pages show them.
test('the dashboard does not show a window\'s state older than the answer to its own press', async () => {
  const page = await newPage();
  const gate = await eventGate(page);
  await page.goto(server.base + '/admin');
  await page.fill('#loginUser', 'admin');
  await page.fill('#loginPassword', USERS.admin);
  await page.click('#loginSubmit');
  await page.waitForSelector('#dash:not([hidden])');
  const card = () => text(page, '.wcard[data-window="4"] .head .pill');  // its state
  await until(async () => (await card()) === '开放', 'window 4 open on its card');
  // Someone calls at window 4 and marks a no-show: events of an open, idle window, kept back.
  await issue('A');
  gate.on = true;
  equal((await adminAt(4, 'call-next')).status, 200, 'a call at window 4');
  equal((await adminAt(4, 'no-show')).status, 200, 'and a no-show');
  await until(() => gate.kept.some((m) => gate.eventOf(m) === 'ticket_no_show'), 'the no-show event kept back');
  // Paused from the card: the answer arrives before those older events.
  await page.click('.wcard[data-window="4"] button[data-op="pause"]');
  await until(async () => (await card()) === '暂停', 'the answer shows window 4 paused');
  await until(() => gate.kept.some((m) => gate.eventOf(m) === 'window_paused'), 'the pause event kept back');
  gate.on = false;
  const older = gate.kept.findIndex((m) => gate.eventOf(m) === 'window_paused');
  gate.release(older);
  await page.waitForTimeout(400);
  equal(await card(), '暂停', 'still paused after the older events');
  gate.release();
  await page.waitForTimeout(200);
  equal(await card(), '暂停', 'paused after its own event');
  await freeWindow(4);
  await until(async () => (await card()) === '开放', 'the resume reaches the card');
});

test('the reports section shows the figures, its CSV matches, and the daily report prints', async () => {
  try {
    await freeWindow(1);
    await issue('A');
    await issue('A');
    equal((await adminAt(1, 'call-next')).status, 200, 'call at window 1');
    await adminAt(1, 'start');
    equal((await adminAt(1, 'complete')).status, 200, 'complete at window 1');
    equal((await adminAt(1, 'call-next')).status, 200, 'second call at window 1');
    equal((await adminAt(1, 'no-show')).status, 200, 'no-show at window 1');
    const day = (await http('GET', '/api/health')).json.business_day;
    const api = async (by) => {
      const r = await http('GET', `/api/reports/summary?from=${day}&to=${day}&by=${by}`, undefined, await admin());
      equal(r.status, 200, `summary by ${by}`);
      return r.json;
    };
    const bad = await http('GET', `/api/reports/summary?from=${day}&to=2020-01-01`, undefined, await admin());
    equal(bad.status, 400, 'a range that ends before it starts');
    check(bad.json.error.message.includes('parameter to'), `the 400 names the parameter: ${bad.text}`);

    const page = await newPage();
    await page.goto(server.base + '/admin');
    await page.fill('#loginUser', 'admin');
    await page.fill('#loginPassword', USERS.admin);
    await page.click('#loginSubmit');
    await page.waitForSelector('#dash:not([hidden])');
    // The table shows the API's figures, group by group.
    const rowsMatch = async (by) => {
      const want = await api(by);
      check(want.groups.length > 0, `some ${by} groups today`);
      await until(async () => {
        for (const g of [...want.groups, { ...want.total, key: '*' }]) {
          const row = page.locator(`#rpTableBody tr[data-key="${g.key === null ? '' : g.key}"]`);
          if ((await row.count()) !== 1) return false;
          for (const k of ['done', 'no_show', 'cancelled', 'transfers', 'rated']) {
            if ((await row.locator(`td[data-k="${k}"]`).innerText()) !== String(g[k])) return false;
          }
          const a = g.appointments;
          if ((await row.locator('td[data-k="appointments"]').innerText()) !== `${a.checked_in} / ${a.missed} / ${a.cancelled} / ${a.booked}`) return false;
        }
        return (await page.locator('#rpTableBody tbody tr').count()) === want.groups.length + 1;
      }, `the reports table by ${by} showing the API's figures`);
      return want;
    };
    const byService = await rowsMatch('service');
    check(byService.total.done >= 1 && byService.total.no_show >= 1, 'today has a visit done and a no-show');
    const blue = await page.evaluate(() => {
      const c = document.getElementById('rpChart');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] === 11 && d[i + 1] === 87 && d[i + 2] === 164) n++;
      return n;
    });
    check(blue > 20, `the volume chart has bars (${blue} blue pixels)`);
    // The CSV download: a BOM, a header, one row per group with the same figures, a total.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#rpCsv')]);
    equal(download.suggestedFilename(), `hallq-report-${day}-${day}-service.csv`, 'file name');
    const csv = fs.readFileSync(await download.path(), 'utf8');
    check(csv.charCodeAt(0) === 0xfeff, 'the CSV starts with a BOM for Excel');
    const lines = csv.slice(1).split('\r\n').filter((l) => l.length);
    equal(lines.length, byService.groups.length + 2, 'header + one line per group + total');
    check(lines[0].startsWith('service,名称 name,办结 done,过号 no-show'), `CSV header: ${lines[0]}`);
    byService.groups.forEach((g, i) => {
      const cells = lines[i + 1].split(',');
      equal([cells[0], cells[2], cells[3], cells[4], cells[6]], [g.key ?? '', String(g.done), String(g.no_show), String(g.cancelled), String(g.transfers)], `CSV row ${g.key}`);
    });
    equal(lines.at(-1).split(',')[2], String(byService.total.done), 'CSV total done');
    // Another grouping from the selector.
    await page.selectOption('#rpBy', 'window');
    await rowsMatch('window');
    check((await text(page, '#rpRanking')).includes('示范窗口'), 'the ranking line');
    // The printable daily report, same tab (the session lives in sessionStorage).
    await page.click('#rpPrint');
    await page.waitForSelector('body[data-ready="1"]');
    equal(await text(page, '#kDone'), String(byService.total.done), 'daily report: visits done');
    equal(await text(page, '#kNoShow'), String(byService.total.no_show), 'daily report: no-shows');
    equal(await text(page, '#kAppt'), `${byService.total.appointments.checked_in} / ${byService.total.appointments.total}`, 'daily report: appointments');
    check((await text(page, '#rpDay')).includes(day), 'the day in the heading');
    await page.setViewportSize({ width: 900, height: 1273 });
    await page.waitForTimeout(300);
    fs.mkdirSync(SCREENS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENS, 'web-report-desktop.png'), fullPage: true });
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: path.join(SCREENS, 'web-report-print.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });
    const pdf = path.join(SCREENS, 'web-report.pdf');
    await page.pdf({ path: pdf, format: 'A4', printBackground: true });
    check(fs.readFileSync(pdf).subarray(0, 5).toString() === '%PDF-', 'page.pdf() wrote a PDF');
  } finally {
    await freeWindow(1);
  }
});

test('the ticket page offers the five levels once the visit is done; a bad rating opens a follow-up', async () => {
  const tk = await issue('A');
  let followup = '';
  try {
    const page = await newPage(PHONE);
    await page.goto(`${server.base}/t/${tk.id}`);
    await until(async () => (await text(page, '#number')) === tk.number, 'the number');
    check(await page.locator('#rateBox').isHidden(), 'no rating while waiting');
    for (const c of ['call', 'start', 'complete']) {
      equal((await adminAt(4, c, c === 'call' ? { number: tk.number } : {})).status, 200, `admin ${c} at window 4`);
    }
    await until(async () => (await page.locator('#levels button').count()) === 5, 'the five levels once done', 12000);
    equal(await page.locator('#levels button').allInnerTexts(), ['非常满意', '满意', '基本满意', '不满意', '非常不满意'], 'levels, best first');
    await page.click('#levels button[data-level="2"]');
    await until(async () => (await text(page, '#rateMsg')).includes('不满意'), 'the thanks with the level');
    equal(await page.locator('#levels button').count(), 0, 'no second rating offered');
    const view = await http('GET', `/api/tickets/${tk.id}`);
    equal(view.json.ticket.rating.level, 2, 'the server has the rating');
    equal(view.json.ticket.rating.via, 'visitor', 'given by the visitor');
    const again = await http('POST', `/api/tickets/${tk.id}/rating`, { level: 5, request_id: reqId('v') });
    equal(again.status, 409, 'a second rating is refused');
    const list = await http('GET', '/api/followups', undefined, await admin());
    const f = list.json.followups.find((x) => x.ticket === tk.id);
    check(!!f, 'the bad rating opened a follow-up');
    followup = f.id;
    equal(f.overdue, false, 'not overdue yet');
  } finally {
    if (followup) {
      await http('POST', `/api/followups/${followup}`,
        { request_id: reqId('f'), callback_note: 'test', fix_note: 'test', close: true }, await admin());
    }
    await freeWindow(4);
  }
});

test('the clerk console asks for a rating of the visit it just finished, until it is rated', async () => {
  const tk = await issue('B');
  try {
    const page = await newPage();
    await clerkAt(page, 'zhang', 2);
    check(!(await enabled(page, 'request-rating')), '请评价 disabled before any visit ends');
    for (const c of ['call', 'start', 'complete']) {
      equal((await adminAt(2, c, c === 'call' ? { number: tk.number } : {})).status, 200, `admin ${c} at window 2`);
    }
    await until(() => enabled(page, 'request-rating'), '请评价 enabled after the visit ends');
    await button(page, 'request-rating').click();
    await until(async () => (await text(page, '#message')).includes(`已请 ${tk.number} 评价`), 'the prompt confirmed');
    const rated = await http('POST', '/api/commands/rate', { ticket: tk.id, level: 5, request_id: reqId('r') }, await admin());
    equal(rated.status, 200, 'rated (by an admin, for the test)');
    await until(async () => !(await enabled(page, 'request-rating')), '请评价 disabled once rated');
  } finally {
    await freeWindow(2);
  }
});

test('the dashboard lists a bad rating\'s follow-up and records its call-back and fix', async () => {
  const tk = await issue('A');
  let fid = '';
  try {
    for (const c of ['call', 'start', 'complete']) {
      equal((await adminAt(4, c, c === 'call' ? { number: tk.number } : {})).status, 200, `admin ${c} at window 4`);
    }
    const rated = await http('POST', `/api/tickets/${tk.id}/rating`, { level: 1, request_id: reqId('v') });
    equal(rated.status, 200, 'the visitor rates 非常不满意');
    fid = rated.json.followup;
    check(!!fid, 'a follow-up opened');
    const page = await newPage();
    await page.goto(server.base + '/admin');
    await page.fill('#loginUser', 'admin');
    await page.fill('#loginPassword', USERS.admin);
    await page.click('#loginSubmit');
    const row = page.locator(`.q-followup[data-id="${fid}"]`);
    await until(async () => (await row.count()) === 1, 'the follow-up on the dashboard');
    const shown = await row.innerText();
    check(shown.includes(tk.number) && shown.includes('非常不满意'), `number and level shown: ${shown}`);
    await row.locator('input[name="callback"]').fill('电话回访：等候过久');
    await row.locator('button[data-q="close"]').click();
    await until(async () => (await text(page, '#qMessage')).length > 0, 'an answer to closing without a fix');
    check((await row.count()) === 1, 'still open without a fix note');
    await row.locator('input[name="fix"]').fill('高峰增开窗口');
    await row.locator('button[data-q="close"]').click();
    await until(async () => (await row.count()) === 0, 'closed and gone from the list');
    const list = await http('GET', '/api/followups', undefined, await admin());
    check(!list.json.followups.some((f) => f.id === fid), 'closed on the server');
    fid = '';
  } finally {
    if (fid) {
      await http('POST', `/api/followups/${fid}`, { request_id: reqId('f'), callback_note: 't', fix_note: 't', close: true }, await admin());
    }
    await freeWindow(4);
  }
});

// The server raises alerts on its own clock (tested with a fake clock in tests/server/net); here
// the snapshot on its way to the page gets two alerts added, and a later event clears one.
test('the dashboard and the clerk console show the server\'s overdue alerts', async () => {
  const since = Date.now() - 35 * 60000;
  const alerts = [
    { id: 'W-test', kind: 'wait', service: 'A', window: null, ticket: 'test', number: 'A999', since, limit_s: 1800, raised_at: since + 1800000 },
    { id: 'I-1-1', kind: 'idle', service: '', window: 1, ticket: null, number: null, since, limit_s: 600, raised_at: since + 600000 },
  ];
  let lastSeq = 0;
  const inject = (page, { clear = false } = {}) => page.routeWebSocket(/\/ws$/, (ws) => {
    const upstream = ws.connectToServer();
    ws.onMessage((m) => upstream.send(m));
    upstream.onMessage((m) => {
      const j = JSON.parse(String(m));
      if (j.type === 'snapshot') { j.alerts = [...(j.alerts || []), ...alerts]; lastSeq = j.seq; ws.send(JSON.stringify(j)); return; }
      ws.send(m);
    });
    if (clear) page.__clear = () => ws.send(JSON.stringify({ type: 'event', seq: lastSeq + 1, at: Date.now(), event: 'alert_cleared', actor: 'system', alert: { ...alerts[0], cleared_at: Date.now() } }));
  });
  const dash = await newPage();
  await inject(dash, { clear: true });
  await dash.goto(server.base + '/admin');
  await dash.fill('#loginUser', 'admin');
  await dash.fill('#loginPassword', USERS.admin);
  await dash.click('#loginSubmit');
  await until(async () => (await dash.locator('#qAlerts .alert').count()) === 2, 'two alerts on the dashboard');
  const shown = await text(dash, '#qAlerts');
  check(shown.includes('等候超时') && shown.includes('A999'), `the wait alert: ${shown}`);
  check(shown.includes('窗口空闲') && shown.includes('1 号窗口'), `the idle alert: ${shown}`);
  dash.__clear();
  await until(async () => (await dash.locator('#qAlerts .alert').count()) === 1, 'the cleared alert goes');

  const clerk = await newPage();
  await inject(clerk);
  await clerkAt(clerk, 'zhang', 1);
  await until(async () => (await text(clerk, '#alerts')).includes('A999'), 'the wait in window 1\'s line on the console');
  check((await text(clerk, '#alerts')).includes('本窗口空闲'), 'and its idle alert');
});

// ---- Configuration editing (PUT /api/config) and the day's charts ----------------------------

async function adminDash(vp = DESKTOP) {
  const page = await newPage(vp);
  await page.goto(server.base + '/admin');
  await page.fill('#loginUser', 'admin');
  await page.fill('#loginPassword', USERS.admin);
  await page.click('#loginSubmit');
  await page.waitForSelector('#dash:not([hidden])');
  await page.waitForSelector('#configPanel [data-table="windows"] tr[data-row="1"]');
  return page;
}
// Puts the file's configuration back as it was when the test started (hashes are kept by the
// server when no password is sent).
async function restoreConfig(original) {
  const now = await http('GET', '/api/config', undefined, await admin());
  const r = await http('PUT', '/api/config', { request_id: reqId('restore'), base_version: now.json.version, config: original },
    await admin());
  equal(r.status, 200, 'restoring the configuration: ' + r.text);
}
async function editRow(page, table, row) {
  await page.click(`#configPanel [data-table="${table}"] tr[data-row="${row}"] button[data-act="edit"]`);
  return page.locator('#configPanel form.cfg-form');
}

test('an admin renames a window in the config editor; the clerk console and the dashboard show it', async () => {
  const original = (await http('GET', '/api/config', undefined, await admin())).json.config;
  const clerk = await newPage();
  await clerkAt(clerk, 'zhang', 1);
  check((await text(clerk, '#winTitle')).includes('1号窗口'), 'the console names window 1');
  const page = await adminDash();
  const form = await editRow(page, 'windows', '1');
  await form.locator('input[name="name_zh_cn"]').fill('综合一号窗');
  await form.locator('input[name="name_en"]').fill('General One');
  await form.locator('button[data-act="apply"]').click();
  check((await text(page, '#cfgMessage')).includes('未保存'), 'the page says there are unsaved changes');
  await page.click('#cfgSave');
  await until(async () => (await text(page, '#cfgMessage')).includes('已保存'), 'saved');
  equal((await windowOf(1)).name.zh_cn, '综合一号窗', 'the server runs with the new name');
  check(fs.readFileSync(HALL_FILE, 'utf8').includes('综合一号窗'), 'the file was written back');
  check(fs.existsSync(HALL_FILE + '.bak'), 'the previous file is kept as .bak');
  await until(async () => (await text(page, '.wcard[data-window="1"]')).includes('综合一号窗'), 'the dashboard card');
  await until(async () => (await text(clerk, '#winTitle')).includes('综合一号窗'), 'the clerk console title');
  await restoreConfig(original);
  await until(async () => (await text(clerk, '#winTitle')).includes('1号窗口'), 'the old name back');
});

test('a bad value in the config editor shows the server\'s error next to the field; nothing changes', async () => {
  const before = fs.readFileSync(HALL_FILE, 'utf8');
  const page = await adminDash();
  const form = await editRow(page, 'windows', '2');
  await form.locator('input[name="services"]').fill('B, Z');
  await form.locator('button[data-act="apply"]').click();
  await page.click('#cfgSave');
  const err = page.locator('#configPanel .cfg-field[data-field="services"] .field-error');
  await until(async () => (await err.count()) === 1, 'an error under the services field');
  const msg = await err.innerText();
  check(msg.includes('配置有误') && msg.includes('"Z"'), `the error in words, naming Z: ${msg}`);
  check(await page.locator('#configPanel tr.bad[data-row="2"]').count() === 1, 'the row of window 2 is marked');
  equal(fs.readFileSync(HALL_FILE, 'utf8'), before, 'the file is unchanged');
  equal((await windowOf(2)).services, ['B'], 'the server still runs with window 2 on B');
  // Fixing the field and saving clears the error.
  await page.locator('#configPanel form.cfg-form input[name="services"]').fill('B');
  await page.locator('#configPanel form.cfg-form button[data-act="apply"]').click();
  await page.click('#cfgSave');
  await until(async () => (await text(page, '#cfgMessage')).includes('已保存'), 'saved after the fix');
  equal(await page.locator('#configPanel .field-error').count(), 0, 'no error left');
});

test('the dashboard counts a capped service against its cap and says when it is all taken', async () => {
  const original = (await http('GET', '/api/config', undefined, await admin())).json.config;
  const page = await adminDash();
  const cell = '#svcBody tr[data-service="C"] td:nth-child(5)';
  equal(await text(page, cell), String((await state()).services.find((x) => x.code === 'C').issued_today),
    'no cap: just the count');
  // A cap two above today's count, set live: the dashboard gets the new snapshot.
  const issued = (await state()).services.find((x) => x.code === 'C').issued_today;
  const next = JSON.parse(JSON.stringify(original));
  next.services.find((x) => x.code === 'C').daily_cap = issued + 2;
  const now = await http('GET', '/api/config', undefined, await admin());
  const put = await http('PUT', '/api/config', { request_id: reqId('cap'), base_version: now.json.version, config: next },
    await admin());
  equal(put.status, 200, 'the cap is set: ' + put.text);
  try {
    await until(async () => (await text(page, cell)) === `${issued} / ${issued + 2}`, 'the count against the cap');
    await issue('C');
    await issue('C');
    await until(async () => (await text(page, cell)) === `${issued + 2} / ${issued + 2} 已取完`, 'all taken');
    // Read in one go: the table is redrawn as events come, which may replace the cell between
    // two separate reads (a detached cell has no computed colour).
    const look = async () => page.locator(cell).evaluate((e) => e.isConnected && `${e.dataset.cap} ${getComputedStyle(e).color}`);
    await until(async () => (await look()) === 'full rgb(179, 38, 30)', 'marked full, in the error colour (--bad)');
    const refused = await http('POST', '/api/tickets', { service: 'C', request_id: reqId('kiosk') }, KIOSK);
    equal(refused.json.error.code, 'daily_cap_reached', 'and the server refuses the next one');
    await page.locator('section:has(#svcBody)').screenshot({ path: path.join(SCREENS, 'web-admin-cap.png') });
  } finally {
    await restoreConfig(original);  // the tests after this one issue C tickets
  }
  await until(async () => !(await text(page, cell)).includes('/'), 'no cap again');
});

test('an admin enters the year\'s holidays and make-up working days; a bad date is shown at its field', async () => {
  const original = (await http('GET', '/api/config', undefined, await admin())).json.config;
  const page = await adminDash();
  const days = page.locator('#cfgDays');
  await days.locator('textarea[name="holidays"]').fill('2027-01-01, 2027-02-30');
  await days.locator('button[data-act="apply-days"]').click();
  check((await text(page, '#cfgMessage')).includes('未保存'), 'the days are in the draft');
  await page.click('#cfgSave');
  const err = page.locator('#cfgDays .cfg-field[data-field="holidays"] .field-error');
  await until(async () => (await err.count()) === 1, 'an error under the holidays');
  const msg = await err.innerText();
  check(msg.includes('配置有误') && msg.includes('YYYY-MM-DD'), `the error in words: ${msg}`);
  check(!fs.readFileSync(HALL_FILE, 'utf8').includes('2027-01-01'), 'the file is unchanged');
  // Fixed: the Spring Festival holidays, a Sunday worked in exchange, and Saturdays open.
  await days.locator('textarea[name="holidays"]').fill('2027-01-01\n2027-02-11, 2027-02-12');
  await days.locator('textarea[name="extra_workdays"]').fill('2027-02-07');
  await days.locator('input[name="wd"][value="6"]').check();
  await days.locator('button[data-act="apply-days"]').click();
  await page.click('#cfgSave');
  await until(async () => (await text(page, '#cfgMessage')).includes('已保存'), 'saved');
  equal(await page.locator('#configPanel .field-error').count(), 0, 'no error left');
  const rules = (await http('GET', '/api/config', undefined, await admin())).json.config.rules;
  equal(rules.holidays, ['2027-01-01', '2027-02-11', '2027-02-12'], 'the server runs with the holidays');
  equal(rules.extra_workdays, ['2027-02-07'], 'and the make-up day');
  equal(rules.workdays, [1, 2, 3, 4, 5, 6], 'and Saturdays');
  check(fs.readFileSync(HALL_FILE, 'utf8').includes('2027-02-07'), 'the file was written back');
  check(await days.locator('input[name="wd"][value="6"]').isChecked(), 'the form shows the saved days');
  await days.scrollIntoViewIfNeeded();
  await days.screenshot({ path: path.join(SCREENS, 'admin-config-days.png') });
  await restoreConfig(original);
});

test('the day\'s charts come from the server, so a reload shows the same counts', async () => {
  await issue('C');
  await issue('C');
  await adminAt(3, 'call-next');
  await adminAt(3, 'start');
  await adminAt(3, 'complete');
  const day = (await state()).business_day;
  const figures = async () => (await http('GET', '/api/reports/day?date=' + day, undefined, await admin())).json;
  const want = await figures();
  check(want.issued >= 2 && want.completed >= 1, `the server counted today (${want.issued} issued, ${want.completed} completed)`);
  const sum = (a) => a.reduce((x, y) => x + y, 0);
  equal(sum(want.arrivals), want.issued, 'arrivals per quarter add up to the tickets issued');
  const issuedToday = (await state()).services.reduce((n, x) => n + x.issued_today, 0);
  equal(want.issued, issuedToday, 'the day report and the live hall agree on tickets issued');
  const page = await adminDash();
  const shown = async () => page.evaluate(() => {
    const n = document.getElementById('chartNote');
    return n.dataset.issued ? [Number(n.dataset.issued), Number(n.dataset.completed)] : null;
  });
  equal(await until(shown, 'the chart figures'), [want.issued, want.completed], 'the charts count what the server counts');
  await page.reload();
  await page.waitForSelector('#dash:not([hidden])');
  equal(await until(shown, 'the chart figures after a reload'), [want.issued, want.completed], 'the same counts after a reload');
  await freeWindow(3);
});

test('screenshots of the config editor at desktop and phone sizes', async () => {
  for (const [vp, name] of [[DESKTOP, 'desktop'], [PHONE, 'phone']]) {
    const page = await adminDash(vp);
    const form = await editRow(page, 'windows', '1');
    await form.locator('input[name="services"]').fill('A, Z');
    await form.locator('button[data-act="apply"]').click();
    await page.click('#cfgSave');
    await page.waitForSelector('#configPanel .field-error');
    await page.locator('#configPanel').scrollIntoViewIfNeeded();
    await page.waitForTimeout(300);
    await page.locator('#configPanel').screenshot({ path: path.join(SCREENS, `admin-config-${name}.png`) });
  }
});

test('screenshots of every page at desktop and phone sizes', async () => {
  const shots = [];
  const shoot = async (page, name, full = false) => {
    const file = path.join(SCREENS, `web-${name}.png`);
    await page.waitForTimeout(300);
    await page.screenshot({ path: file, fullPage: full });
    shots.push(file);
  };
  const adminPage = async (vp) => {
    const adm = await newPage(vp);
    await adm.goto(server.base + '/admin');
    await adm.fill('#loginUser', 'admin');
    await adm.fill('#loginPassword', USERS.admin);
    await adm.click('#loginSubmit');
    await adm.waitForSelector('#dash:not([hidden])');
    await until(async () => (await adm.locator('#windowsGrid .wcard').count()) === 4, 'cards');
    return adm;
  };
  // The dashboards open first, so their charts see the moment in the hall that follows.
  const dashboards = { desktop: await adminPage(DESKTOP), phone: await adminPage(PHONE) };
  const nums = [];
  for (const s of ['A', 'A', 'B', 'C', 'A', 'B', 'C', 'A', 'C', 'B']) nums.push(await issue(s));
  for (const n of [3, 4]) { await adminAt(n, 'call-next'); await adminAt(n, 'start'); }
  await new Promise((r) => setTimeout(r, 1500));
  for (const n of [3, 4]) await adminAt(n, 'complete');
  await adminAt(3, 'call-next');
  await adminAt(3, 'start');
  await adminAt(4, 'pause');
  await http('POST', '/api/commands/notice', { text: '请携带本人身份证原件；过号请重新取号。', request_id: reqId('n') }, await admin());
  const printer = await newPage();
  await printer.goto(server.base + '/');
  await printer.evaluate((token) => {
    window.__ws = new WebSocket(`ws://${location.host}/ws`);
    window.__ws.onopen = () => {
      window.__ws.send(JSON.stringify({ type: 'hello', token }));
      setTimeout(() => window.__ws.send(JSON.stringify({ type: 'device_status', status: 'paper_near_end', detail: 'paper roll almost empty' })), 200);
    };
  }, 'printer-token-0001-abcdef');

  for (const [size, vp] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    const idx = await newPage(vp);
    await idx.goto(server.base + '/');
    await until(async () => (await text(idx, '#health')).includes('服务器正常'), 'health line');
    await shoot(idx, `index-${size}`);

    const clerk = await newPage(vp);
    await clerk.goto(server.base + '/clerk');
    await shoot(clerk, `clerk-login-${size}`);
    await clerk.fill('#loginUser', 'zhang');
    await clerk.fill('#loginPassword', USERS.zhang);
    await clerk.click('#loginSubmit');
    await clerk.waitForSelector('#pickForm:not([hidden])');
    await clerk.selectOption('#pickWindow', '1');
    await clerk.click('#pickSubmit');
    await clerk.waitForSelector('#banner', { state: 'hidden' });
    if (size === 'desktop') {
      await until(() => enabled(clerk, 'call-next'), 'call-next');
      await clerk.keyboard.press('n');
      await until(() => enabled(clerk, 'start'), 'start');
      await clerk.keyboard.press('s');
      await until(() => enabled(clerk, 'complete'), 'complete');
    }
    await until(async () => (await text(clerk, '#curNumber')).length > 0, 'a visitor');
    await clerk.waitForTimeout(1200);  // the line refreshes after the call
    await shoot(clerk, `clerk-${size}`, size === 'phone');

    const adm = dashboards[size];
    await until(async () => (await text(adm, '#devBody')).includes('纸将用完'), 'printer status on the dashboard');
    await adm.waitForTimeout(2300);
    await shoot(adm, `admin-${size}`, size === 'desktop');
    if (size === 'phone') {
      await adm.evaluate(() => document.getElementById('chArrivals').closest('section').scrollIntoView({ block: 'start' }));
      await shoot(adm, 'admin-phone-charts');
    }

    const tkPage = await newPage(vp);
    await tkPage.goto(`${server.base}/t/${nums[7].id}`);
    await until(async () => (await text(tkPage, '#number')) === nums[7].number, 'ticket number');
    await shoot(tkPage, `ticket-${size}`);
  }
  // The call on the phone, and the other languages.
  const phone = await newPage(PHONE);
  await phone.goto(`${server.base}/t/${nums[4].id}`);
  await until(async () => (await text(phone, '#number')) === nums[4].number, 'ticket');
  await adminAt(1, 'complete');
  equal((await adminAt(1, 'call', { number: nums[4].number })).status, 200, "call the phone's ticket");
  await until(async () => (await text(phone, '#goWindow')).length > 0, 'called');
  await phone.waitForTimeout(4500);  // let the flash finish
  await shoot(phone, 'ticket-called-phone');
  const en = await newPage(PHONE, { locale: 'en-US' });
  await en.goto(`${server.base}/t/${nums[9].id}`);
  await until(async () => (await text(en, '#number')) === nums[9].number, 'ticket');
  await shoot(en, 'ticket-en-phone');
  const tw = await newPage(DESKTOP);
  await tw.goto(server.base + '/clerk');
  await tw.click('button[data-lang="zh-TW"]');
  await tw.fill('#loginUser', 'li');
  await tw.fill('#loginPassword', USERS.li);
  await tw.click('#loginSubmit');
  await tw.waitForSelector('#pickForm:not([hidden])');
  await tw.selectOption('#pickWindow', '3');
  await tw.click('#pickSubmit');
  await tw.waitForSelector('#banner', { state: 'hidden' });
  await until(async () => (await text(tw, '#curNumber')).length > 0, 'window 3 visitor');
  await shoot(tw, 'clerk-zh-TW-desktop');
  const enAdmin = dashboards.desktop;
  await enAdmin.click('button[data-lang="en"]');
  await enAdmin.waitForTimeout(2300);
  await shoot(enAdmin, 'admin-en-desktop');
  for (const f of shots) check(fs.statSync(f).size > 5000, `${f} is a real picture`);
  console.log(`# screenshots in ${SCREENS}`);
});

// ---- Runner ----------------------------------------------------------------------------------

const only = args.only;
let passed = 0, failed = 0;
const started = Date.now();
try {
  await server.start();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  let n = 0;
  for (const tcase of tests) {
    if (only && !tcase.name.includes(only)) continue;
    n++;
    const t0 = Date.now();
    pageErrors.length = 0;
    let error = null;
    try {
      if (!server.proc) await server.start();
      await Promise.race([
        tcase.fn(),
        // Generous: the screenshot case renders ~15 pages, and CI's two cores may be busy.
        new Promise((_, reject) => setTimeout(() => reject(new Failure('test took over 180 s')), 180000)),
      ]);
      if (pageErrors.length) throw new Failure('uncaught errors in the page: ' + pageErrors.join('; '));
    } catch (e) {
      error = e;
    }
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    if (!error) {
      passed++;
      console.log(`ok ${n} - ${tcase.name} (${secs} s)`);
    } else {
      failed++;
      console.log(`not ok ${n} - ${tcase.name} (${secs} s)\n  ${String(error instanceof Failure ? error.message : error.stack).split('\n').join('\n  ')}`);
      const last = openContexts.at(-1);
      const pages = last ? last.pages() : [];
      if (pages.length) {
        const file = path.join(WORK, `failed-${n}.png`);
        await pages[0].screenshot({ path: file, fullPage: true }).catch(() => {});
        console.log(`  page at failure: ${file}`);
      }
    }
    for (const c of openContexts) await c.close().catch(() => {});
    openContexts = [];
  }
} catch (e) {
  failed++;
  console.log(`not ok - setting up: ${e.stack || e}`);
} finally {
  if (browser) await browser.close().catch(() => {});
  await server.stop();
  if (failed && server.log.trim()) console.log('# hallq-server stderr:\n# ' + server.log.trim().split('\n').slice(-20).join('\n# '));
  // Keep the work dir (data, failure pictures) when something failed or --keep asks for it.
  if (!args.keep && !failed) fs.rmSync(WORK, { recursive: true, force: true });
  else console.log(`# kept ${WORK}`);
}
console.log(`# ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
