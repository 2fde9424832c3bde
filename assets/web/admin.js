// The manager dashboard (/admin): the hall live (windows, lines, devices, recent calls), window
// and ticket actions, the notice line, today's charts (the server's figures of the day) and the
// configuration editor (config.js).
import {
  addStrings, initLang, onLangChange, t, nameOf, windowName, duration, clock, el, errorText, api,
  newRequestId, LiveSocket, SeqTracker, AnswerGuard, loadSession, saveSession,
} from '/common.js';
import { mountReportsPanel } from '/report.js';
import { mountQualityPanel } from '/quality.js';
import { mountConfigEditor } from '/config.js';

addStrings({
  'zh-CN': {
    'page.title': '大厅管理 · HallQ', title: '大厅管理', logout: '退出',
    'login.title': '管理员登录', 'login.user': '用户名', 'login.password': '密码', 'login.submit': '登录',
    'login.wrong': '用户名或密码错误', 'login.notAdmin': '此页面需要管理员账号', 'login.busy': '正在登录…',
    'sum.waiting': '正在等候', 'sum.issued': '今日取号 / 办结', 'sum.devices': '设备在线',
    'sum.longest': '最长已等 {d}（{s}）', 'sum.windows': '开放 {o} · 暂停 {p} · 关闭 {c} 个窗口', 'sum.printersOk': '打印机全部正常',
    'sum.printerBad': '{id}：{st}',
    'win.title': '窗口', 'win.clerk': '工作人员', 'win.none': '空闲', 'win.held': '挂起 {n}', 'win.served': '今日办结 {n}',
    'win.pause': '暂停', 'win.resume': '恢复', 'win.close': '关闭', 'win.confirmClose': '确认关闭？',
    'svc.title': '各业务等候', 'svc.name': '业务', 'svc.waiting': '等候', 'svc.longest': '最长等候', 'svc.eta': '预计等候', 'svc.issued': '今日取号', 'svc.full': '已取完',
    'dev.title': '设备', 'dev.id': '设备', 'dev.kind': '类型', 'dev.online': '连接', 'dev.status': '状态', 'dev.since': '自',
    'kind.kiosk': '取号机', 'kind.display': '显示屏', 'kind.printer': '打印机', 'kind.evaluator': '评价器',
    'on.true': '在线', 'on.false': '离线',
    'st.ok': '正常', 'st.paper_near_end': '纸将用完', 'st.paper_out': '缺纸', 'st.cover_open': '纸仓盖打开', 'st.cutter_error': '切刀故障',
    'st.offline': '脱机', 'st.error': '故障', 'st.print_failed': '打印失败', 'st.unknown': '未报告',
    'ops.title': '操作', 'ops.cancel': '取消号票', 'ops.number': '如 A012', 'ops.cancelBtn': '取消该号',
    'ops.notice': '大厅公告', 'ops.noticeBtn': '发布公告', 'ops.bytes': '{n} / 500 字节',
    'ops.cancelled': '{n} 已取消', 'ops.noticeSet': '公告已发布到大厅屏幕', 'ops.winDone': '{w}：{s}',
    'calls.title': '最近叫号', 'calls.at': '时间', 'calls.no': '号码', 'calls.window': '窗口', 'calls.recall': '重呼',
    'ch.arrivals': '每 15 分钟取号与办结', 'ch.arr': '取号', 'ch.done': '办结', 'ch.waits': '等候时长分布（分钟）',
    'ch.calledWait': '已叫号（取号到叫号）', 'ch.stillWaiting': '仍在等候', 'ch.service': '各业务办理时长', 'ch.mean': '平均（右侧：平均 · 件数）', 'ch.max': '最长',
    'ch.empty': '暂无数据', 'ch.min': '分钟', 'ch.sec': '秒',
    'ch.note': '图表是服务器记录的今日全部号票（{at} 更新）：取号 {all} 张，办结 {done} 张。“仍在等候”按此刻未叫号的号票计算。时间为大厅当地时间。',
    'ch.loading': '正在读取今日数字…',
  },
  'zh-TW': {
    'page.title': '大廳管理 · HallQ', title: '大廳管理', logout: '登出',
    'login.title': '管理員登入', 'login.user': '使用者名稱', 'login.password': '密碼', 'login.submit': '登入',
    'login.wrong': '使用者名稱或密碼錯誤', 'login.notAdmin': '此頁面需要管理員帳號', 'login.busy': '正在登入…',
    'sum.waiting': '正在等候', 'sum.issued': '今日取號 / 辦結', 'sum.devices': '設備在線',
    'sum.longest': '最長已等 {d}（{s}）', 'sum.windows': '開放 {o} · 暫停 {p} · 關閉 {c} 個窗口', 'sum.printersOk': '印表機全部正常',
    'sum.printerBad': '{id}：{st}',
    'win.title': '窗口', 'win.clerk': '工作人員', 'win.none': '空閒', 'win.held': '掛起 {n}', 'win.served': '今日辦結 {n}',
    'win.pause': '暫停', 'win.resume': '恢復', 'win.close': '關閉', 'win.confirmClose': '確認關閉？',
    'svc.title': '各業務等候', 'svc.name': '業務', 'svc.waiting': '等候', 'svc.longest': '最長等候', 'svc.eta': '預計等候', 'svc.issued': '今日取號', 'svc.full': '已取完',
    'dev.title': '設備', 'dev.id': '設備', 'dev.kind': '類型', 'dev.online': '連線', 'dev.status': '狀態', 'dev.since': '自',
    'kind.kiosk': '取號機', 'kind.display': '顯示屏', 'kind.printer': '印表機', 'kind.evaluator': '評價器',
    'on.true': '在線', 'on.false': '離線',
    'st.ok': '正常', 'st.paper_near_end': '紙將用完', 'st.paper_out': '缺紙', 'st.cover_open': '紙倉蓋打開', 'st.cutter_error': '切刀故障',
    'st.offline': '離線', 'st.error': '故障', 'st.print_failed': '列印失敗', 'st.unknown': '未回報',
    'ops.title': '操作', 'ops.cancel': '取消號票', 'ops.number': '如 A012', 'ops.cancelBtn': '取消該號',
    'ops.notice': '大廳公告', 'ops.noticeBtn': '發布公告', 'ops.bytes': '{n} / 500 位元組',
    'ops.cancelled': '{n} 已取消', 'ops.noticeSet': '公告已發布到大廳螢幕', 'ops.winDone': '{w}：{s}',
    'calls.title': '最近叫號', 'calls.at': '時間', 'calls.no': '號碼', 'calls.window': '窗口', 'calls.recall': '重呼',
    'ch.arrivals': '每 15 分鐘取號與辦結', 'ch.arr': '取號', 'ch.done': '辦結', 'ch.waits': '等候時長分布（分鐘）',
    'ch.calledWait': '已叫號（取號到叫號）', 'ch.stillWaiting': '仍在等候', 'ch.service': '各業務辦理時長', 'ch.mean': '平均（右側：平均 · 件數）', 'ch.max': '最長',
    'ch.empty': '暫無資料', 'ch.min': '分鐘', 'ch.sec': '秒',
    'ch.note': '圖表是伺服器記錄的今日全部號票（{at} 更新）：取號 {all} 張，辦結 {done} 張。「仍在等候」按此刻未叫號的號票計算。時間為大廳當地時間。',
    'ch.loading': '正在讀取今日數字…',
  },
  en: {
    'page.title': 'Hall dashboard · HallQ', title: 'Hall dashboard', logout: 'Log out',
    'login.title': 'Manager log-in', 'login.user': 'User name', 'login.password': 'Password', 'login.submit': 'Log in',
    'login.wrong': 'Wrong user name or password', 'login.notAdmin': 'This page needs an administrator account', 'login.busy': 'Logging in…',
    'sum.waiting': 'Waiting now', 'sum.issued': 'Issued / completed today', 'sum.devices': 'Devices online',
    'sum.longest': 'longest wait {d} ({s})', 'sum.windows': '{o} open · {p} paused · {c} closed windows', 'sum.printersOk': 'all printers OK',
    'sum.printerBad': '{id}: {st}',
    'win.title': 'Windows', 'win.clerk': 'Clerk', 'win.none': 'free', 'win.held': '{n} on hold', 'win.served': '{n} done today',
    'win.pause': 'Pause', 'win.resume': 'Resume', 'win.close': 'Close', 'win.confirmClose': 'Really close?',
    'svc.title': 'Lines by service', 'svc.name': 'Service', 'svc.waiting': 'Waiting', 'svc.longest': 'Longest', 'svc.eta': 'Est. wait', 'svc.issued': 'Issued', 'svc.full': 'all taken',
    'dev.title': 'Devices', 'dev.id': 'Device', 'dev.kind': 'Kind', 'dev.online': 'Link', 'dev.status': 'Status', 'dev.since': 'Since',
    'kind.kiosk': 'kiosk', 'kind.display': 'display', 'kind.printer': 'printer', 'kind.evaluator': 'evaluator',
    'on.true': 'online', 'on.false': 'offline',
    'st.ok': 'OK', 'st.paper_near_end': 'paper low', 'st.paper_out': 'out of paper', 'st.cover_open': 'cover open', 'st.cutter_error': 'cutter fault',
    'st.offline': 'offline', 'st.error': 'fault', 'st.print_failed': 'print failed', 'st.unknown': 'not reported',
    'ops.title': 'Actions', 'ops.cancel': 'Cancel a ticket', 'ops.number': 'e.g. A012', 'ops.cancelBtn': 'Cancel it',
    'ops.notice': 'Notice line', 'ops.noticeBtn': 'Publish', 'ops.bytes': '{n} / 500 bytes',
    'ops.cancelled': '{n} cancelled', 'ops.noticeSet': 'The notice is on the hall boards', 'ops.winDone': '{w}: {s}',
    'calls.title': 'Recent calls', 'calls.at': 'Time', 'calls.no': 'No.', 'calls.window': 'Window', 'calls.recall': 'recall',
    'ch.arrivals': 'Arrivals and completions per 15 min', 'ch.arr': 'arrivals', 'ch.done': 'completions', 'ch.waits': 'Wait times (min)',
    'ch.calledWait': 'called (issue to call)', 'ch.stillWaiting': 'still waiting', 'ch.service': 'Service time by service', 'ch.mean': 'mean (right: mean · count)', 'ch.max': 'longest',
    'ch.empty': 'no data yet', 'ch.min': 'min', 'ch.sec': 's',
    'ch.note': 'The charts show every ticket of today as the server recorded it (updated {at}): {all} issued, {done} completed. "Still waiting" counts the tickets not called yet. Times are the hall\'s local time.',
    'ch.loading': 'Loading today\'s figures…',
  },
});

const SESSION_KEY = 'hallq.admin.session';
const $ = (id) => document.getElementById(id);

const S = {
  session: loadSession(SESSION_KEY),
  snap: null,
  services: new Map(),
  windows: new Map(),
  tickets: new Map(),      // open tickets, full records
  devices: new Map(),
  calls: [],
  notice: '',
  day: '',
  seq: new SeqTracker(),
  answers: new AnswerGuard(),          // answers shown before their events (common.js)
  synced: false,
  skew: 0,
  retryAt: 0,
  dayFigures: null,        // GET /api/reports/day of S.day
  dayFiguresAt: 0,
};
const serverNow = () => Date.now() + S.skew;

// ---- Log in ----------------------------------------------------------------------------------

function show(screen) {
  $('loginForm').hidden = screen !== 'login';
  $('dash').hidden = screen !== 'dash';
  $('logout').hidden = !S.session;
  $('whoName').hidden = !S.session;
  $('whoName').textContent = S.session ? S.session.user : '';
  if (screen === 'login') { $('banner').hidden = true; setTimeout(() => $('loginUser').focus(), 0); }
}

$('loginForm').addEventListener('submit', async (e) => {
  e.preventDefault();
  const btn = $('loginSubmit');
  if (btn.disabled) return;
  btn.disabled = true;
  $('loginError').textContent = t('login.busy');
  const r = await api('POST', '/api/login', { body: { user: $('loginUser').value.trim(), password: $('loginPassword').value } });
  btn.disabled = false;
  if (!r.ok) {
    $('loginError').textContent = r.error.code === 'unauthorized' ? `${t('login.wrong')}（${r.error.message}）` : errorText(r.error);
    return;
  }
  if (r.data.role !== 'admin') {
    $('loginError').textContent = t('login.notAdmin');
    api('POST', '/api/logout', { token: r.data.token, body: {} });
    return;
  }
  $('loginError').textContent = '';
  $('loginPassword').value = '';
  S.session = r.data;
  saveSession(SESSION_KEY, S.session);
  enterDash();
});

$('logout').addEventListener('click', () => {
  if (S.session) api('POST', '/api/logout', { token: S.session.token, body: {} });
  live.stop();
  S.session = null;
  saveSession(SESSION_KEY, null);
  show('login');
});

function needLogin(error) {
  live.stop();
  S.synced = false;
  S.seq.reset();
  if (S.session) $('loginUser').value = S.session.user;
  S.session = null;
  saveSession(SESSION_KEY, null);
  $('loginError').textContent = error && error.code === 'unauthorized' ? t('conn.relogin') : errorText(error);
  show('login');
}

let reportsPanel = null;
let configEditor = null;
const quality = mountQualityPanel($('qualityPanel'), () => (S.session ? S.session.token : null), () => Date.now() + S.skew);
function enterDash() {
  show('dash');
  if (!reportsPanel) reportsPanel = mountReportsPanel($('reportsPanel'), () => (S.session ? S.session.token : null));
  else reportsPanel.refresh();
  if (!configEditor) configEditor = mountConfigEditor($('configPanel'), () => (S.session ? S.session.token : null));
  configEditor.load();
  live.start();
  render();
}

// ---- Live state ------------------------------------------------------------------------------

const live = new LiveSocket({
  hello: () => (S.session ? { type: 'hello', token: S.session.token } : null),
  onMessage,
  onStatus: ({ up, retryAt }) => {
    if (!up) { S.synced = false; S.seq.reset(); S.retryAt = retryAt; renderBanner(); }
  },
});

function onMessage(m) {
  switch (m.type) {
    case 'welcome': S.skew = m.server_time - Date.now(); return;
    case 'snapshot':
      applySnapshot(m);
      S.seq.snapshot(m.seq);
      S.synced = true;
      live.healthy();
      render();
      return;
    case 'event': {
      const v = S.seq.event(m.seq);
      if (v === 'gap') { S.synced = false; S.seq.reset(); live.send({ type: 'snapshot' }); renderBanner(); return; }
      if (v !== 'apply') return;
      applyEvent(m);
      if (m.ticket) fetchDay(true);
      scheduleRender();
      return;
    }
    case 'device':
      S.devices.set(m.id, m);
      scheduleRender();
      return;
    case 'error':
      if (m.error && m.error.code === 'unauthorized') needLogin(m.error);
      return;
    default:
  }
}

function applySnapshot(snap) {
  S.skew = snap.now - Date.now();
  S.answers.reset();
  S.snap = snap;
  S.notice = snap.notice || '';
  S.services = new Map(snap.services.map((s) => [s.code, { ...s }]));
  S.tickets = new Map((snap.tickets || []).map((tk) => [tk.id, tk]));
  const byNumber = new Map((snap.tickets || []).map((tk) => [tk.number, tk.id]));
  S.windows = new Map(snap.windows.map((w) => [w.number, {
    number: w.number, name: w.name, services: w.services || [], department: w.department, state: w.state,
    state_since: w.state_since, clerk: w.clerk || '', served_today: w.served_today || 0,
    currentId: w.current ? w.current.id : '', currentBrief: w.current || null,
    held: (w.held || []).map((n) => byNumber.get(n) || 'num:' + n),
  }]));
  S.devices = new Map((snap.devices || []).map((d) => [d.id, d]));
  S.calls = (snap.recent_calls || []).slice(0, 20);
  quality.snapshot(snap);
  if (S.day !== snap.business_day) { S.day = snap.business_day; S.dayFigures = null; }
  fetchDay();
  if (document.activeElement !== $('noticeText')) $('noticeText').value = S.notice;
}

function applyEvent(e) {
  quality.event(e);
  if (e.ticket) {
    const open = ['waiting', 'called', 'serving', 'held'].includes(e.ticket.state);
    if (open) S.tickets.set(e.ticket.id, e.ticket); else S.tickets.delete(e.ticket.id);
    if (e.event === 'ticket_called' || e.event === 'ticket_recalled') {
      S.calls.unshift({ number: e.ticket.number, service: e.ticket.service, window: e.ticket.window, at: e.at, recall: e.event === 'ticket_recalled' });
      S.calls.length = Math.min(S.calls.length, 20);
    }
  }
  if (e.window && S.answers.current(e.window.number, e.seq)) {
    const w = S.windows.get(e.window.number);
    if (w) {
      Object.assign(w, {
        state: e.window.state, state_since: e.window.state_since, clerk: e.window.clerk || '',
        served_today: e.window.served_today || 0, currentId: e.window.current_ticket || '', currentBrief: null,
        held: e.window.held || [],
      });
    }
  }
  for (const l of [e.load, e.other_load]) {
    if (!l) continue;
    const s = S.services.get(l.service);
    if (s) Object.assign(s, l);
  }
  if (e.event === 'notice_changed') {
    S.notice = e.notice || '';
    if (document.activeElement !== $('noticeText')) $('noticeText').value = S.notice;
  }
  if (e.event === 'day_rolled_over') { S.synced = false; S.seq.reset(); live.send({ type: 'snapshot' }); }
}

// ---- The day's figures, for the charts -------------------------------------------------------

// The server's figures of the whole business day (GET /api/reports/day), so a reload shows the
// same charts. Fetched when the page opens, after a snapshot, and at most every 10 s while
// events arrive.
let dayFetch = { running: false, again: false, last: 0, timer: null };
async function fetchDay(soon = false) {
  if (!S.session || !S.day) return;
  const wait = 10000 - (Date.now() - dayFetch.last);
  if (soon && wait > 0) {
    if (!dayFetch.timer) dayFetch.timer = setTimeout(() => { dayFetch.timer = null; fetchDay(); }, wait);
    return;
  }
  if (dayFetch.running) { dayFetch.again = true; return; }
  dayFetch.running = true;
  dayFetch.last = Date.now();
  const day = S.day;
  const r = await api('GET', '/api/reports/day?date=' + encodeURIComponent(day), { token: S.session.token });
  dayFetch.running = false;
  if (r.ok && day === S.day) { S.dayFigures = r.data; S.dayFiguresAt = serverNow(); drawCharts(true); }
  else if (r.status === 401) needLogin(r.error);
  if (dayFetch.again) { dayFetch.again = false; fetchDay(true); }
}

// ---- Commands --------------------------------------------------------------------------------

const unanswered = new Map();  // press key -> request id of a press that got no answer
async function command(path, fields, key) {
  const id = unanswered.get(key) || newRequestId('adm');
  const r = await api('POST', path, { token: S.session.token, body: { ...fields, request_id: id } });
  if (r.status === 0 || r.status === 503) unanswered.set(key, id); else unanswered.delete(key);
  if (r.status === 401) needLogin(r.error);
  return r;
}

function say(box, text, ok) {
  const m = $(box);
  m.textContent = text;
  m.className = 'message ' + (ok ? 'ok' : 'error');
}

const confirming = new Map();  // window number -> time the close button was first pressed
async function windowOp(n, op, btn) {
  if (op === 'close') {
    const first = confirming.get(n);
    if (!first || Date.now() - first > 4000) {
      confirming.set(n, Date.now());
      btn.textContent = t('win.confirmClose');
      setTimeout(() => { confirming.delete(n); renderWindows(); }, 4000);
      return;
    }
    confirming.delete(n);
  }
  btn.disabled = true;
  const r = await command(`/api/windows/${n}/${op}`, {}, `w${n}/${op}`);
  const w = S.windows.get(n);
  if (r.ok) {
    if (w && r.data.state && S.answers.answered(n, r.data.seq, S.seq.seq)) w.state = r.data.state;
    say('winMessage', t('ops.winDone', { w: windowName(w && w.name, n), s: t('win.' + r.data.state) }), true);
  } else if (r.status !== 401) {
    say('winMessage', errorText(r.error), false);
  }
  renderWindows();
}

$('cancelForm').addEventListener('submit', async (e) => {
  e.preventDefault();
  const number = $('cancelNumber').value.trim().toUpperCase();
  if (!number) return;
  $('cancelSubmit').disabled = true;
  const r = await command('/api/commands/cancel', { number }, 'cancel/' + number);
  $('cancelSubmit').disabled = false;
  if (r.ok) { say('opsMessage', t('ops.cancelled', { n: r.data.ticket.number }), true); $('cancelNumber').value = ''; }
  else if (r.status !== 401) say('opsMessage', errorText(r.error), false);
});

const utf8 = new TextEncoder();
function renderNoticeBytes() { $('noticeBytes').textContent = t('ops.bytes', { n: utf8.encode($('noticeText').value).length }); }
$('noticeText').addEventListener('input', renderNoticeBytes);
$('noticeForm').addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = $('noticeText').value.trim();
  $('noticeSubmit').disabled = true;
  const r = await command('/api/commands/notice', { text }, 'notice/' + text);
  $('noticeSubmit').disabled = false;
  if (r.ok) say('opsMessage', t('ops.noticeSet'), true);
  else if (r.status !== 401) say('opsMessage', errorText(r.error), false);
});

// ---- Rendering -------------------------------------------------------------------------------

let renderTimer = null;
function scheduleRender() {
  if (renderTimer) return;
  renderTimer = setTimeout(() => { renderTimer = null; render(); }, 150);
}

function serviceName(code) {
  const s = S.services.get(code);
  return s ? `${code} ${nameOf(s.name)}` : code;
}

function render() {
  if ($('dash').hidden) return;
  $('hallName').textContent = S.snap ? nameOf(S.snap.hall.name) : '';
  renderBanner();
  if (!S.snap) return;
  renderSummary();
  renderWindows();
  renderServices();
  renderDevices();
  renderCalls();
  quality.render();
  renderNoticeBytes();
  drawCharts();
}

function renderBanner() {
  const b = $('banner');
  b.hidden = S.synced || $('dash').hidden;
  if (b.hidden) return;
  const open = live.ws && live.ws.readyState === WebSocket.OPEN;
  $('bannerText').textContent = open ? t('conn.syncing') : t('conn.down');
  const s = Math.max(0, Math.ceil((S.retryAt - Date.now()) / 1000));
  $('bannerSub').textContent = !open && S.retryAt ? t('conn.retry_in', { s }) : '';
}

// Longest wait per service from the open tickets (exact and ticking), else the last load.
function longestWait(code) {
  const now = serverNow();
  let oldest = Infinity;
  for (const tk of S.tickets.values()) if (tk.state === 'waiting' && tk.service === code) oldest = Math.min(oldest, tk.queued_at);
  if (oldest !== Infinity) return now - oldest;
  const s = S.services.get(code);
  return s && s.waiting ? s.longest_wait_s * 1000 : 0;
}

function renderSummary() {
  let waiting = 0, issued = 0, longest = 0, longestCode = '';
  for (const s of S.services.values()) {
    waiting += s.waiting;
    issued += s.issued_today;
    const l = longestWait(s.code);
    if (l > longest) { longest = l; longestCode = s.code; }
  }
  let served = 0; const states = { open: 0, paused: 0, closed: 0 };
  for (const w of S.windows.values()) { served += w.served_today; states[w.state]++; }
  $('sumWaiting').textContent = waiting;
  $('sumLongest').textContent = longest ? t('sum.longest', { d: duration(longest), s: serviceName(longestCode) }) : '';
  $('sumIssued').textContent = `${issued} / ${served}`;
  $('sumWindows').textContent = t('sum.windows', { o: states.open, p: states.paused, c: states.closed });
  const devs = [...S.devices.values()];
  $('sumDevices').textContent = `${devs.filter((d) => d.online).length} / ${devs.length}`;
  const bad = devs.filter((d) => d.kind === 'printer' && (!d.online || (d.status !== 'ok' && d.status !== 'unknown')));
  $('sumPrinters').textContent = bad.length
    ? bad.map((d) => t('sum.printerBad', { id: d.id, st: d.online ? t('st.' + d.status) : t('on.false') })).join('；')
    : t('sum.printersOk');
  $('sumPrinters').className = bad.length ? 'error' : 'note';
}

function renderWindows() {
  const grid = $('windowsGrid');
  grid.replaceChildren(...[...S.windows.values()].map((w) => {
    const cur = w.currentId ? S.tickets.get(w.currentId) || w.currentBrief : null;
    const closeLabel = confirming.has(w.number) ? t('win.confirmClose') : t('win.close');
    return el('div', { class: 'wcard ' + w.state, dataset: { window: String(w.number) } },
      el('div', { class: 'head' }, el('b', { text: windowName(w.name, w.number) }),
        el('span', { class: 'pill ' + w.state, text: t('win.' + w.state) })),
      el('div', { class: 'cur num' }, cur ? cur.number : '—', cur ? el('small', { text: t('state.' + cur.state) }) : el('small', { text: t('win.none') })),
      el('div', { class: 'note' }, w.clerk ? `${t('win.clerk')} ${w.clerk}` : '\u00a0'),
      el('div', { class: 'note' }, [t('win.served', { n: w.served_today }), w.held.length ? t('win.held', { n: w.held.length }) : '']
        .filter(Boolean).join(' · ')),
      el('div', { class: 'ops' },
        el('button', { type: 'button', disabled: !S.synced || w.state !== 'open', dataset: { op: 'pause' },
          onclick: (e) => windowOp(w.number, 'pause', e.currentTarget) }, t('win.pause')),
        el('button', { type: 'button', disabled: !S.synced || w.state === 'open', dataset: { op: 'resume' },
          onclick: (e) => windowOp(w.number, 'resume', e.currentTarget) }, t('win.resume')),
        el('button', { type: 'button', disabled: !S.synced || w.state === 'closed', dataset: { op: 'close' },
          onclick: (e) => windowOp(w.number, 'close', e.currentTarget) }, closeLabel)));
  }));
}

function renderServices() {
  $('svcBody').replaceChildren(...[...S.services.values()].map((s) => {
    const longest = longestWait(s.code);
    const limit = s.wait_limit_min;
    const over = limit && longest >= limit * 60000;
    return el('tr', { dataset: { service: s.code } },
      el('td', { text: serviceName(s.code) }),
      el('td', { class: 'r num', text: String(s.waiting) }),
      el('td', { class: 'r num' + (over ? ' error' : ''), text: longest ? duration(longest) : '–' }),
      el('td', { class: 'r num', text: s.waiting ? t('dur.m', { m: s.estimated_wait_s < 60 ? '<1' : Math.round(s.estimated_wait_s / 60) }) : '–' }),
      issuedCell(s));
  }));
}

// Today's tickets, against the service's daily cap when it has one: near the cap in the warning
// colour, at it in red with 已取完 — the kiosks grey the service from then on.
function issuedCell(s) {
  const cap = s.daily_cap || 0;
  if (!cap) return el('td', { class: 'r num', text: String(s.issued_today) });
  const full = s.issued_today >= cap, near = !full && s.issued_today >= cap * 0.9;
  return el('td', { class: 'r num' + (full ? ' error' : near ? ' near-cap' : ''), dataset: { cap: full ? 'full' : near ? 'near' : 'ok' },
    text: `${s.issued_today} / ${cap}` + (full ? ` ${t('svc.full')}` : '') });
}

function renderDevices() {
  $('devBody').replaceChildren(...[...S.devices.values()].map((d) => {
    const st = d.status || 'unknown';
    const bad = st !== 'ok' && st !== 'unknown';
    return el('tr', { dataset: { device: d.id } },
      el('td', { text: d.id + (d.window ? ` (${t('window.n', { n: d.window })})` : '') }),
      el('td', { text: t('kind.' + d.kind) }),
      el('td', {}, el('span', { class: 'pill ' + (d.online ? 'online' : 'offline'), text: t('on.' + !!d.online) })),
      el('td', { title: d.detail || '' }, el('span', { class: 'pill ' + (bad ? 'bad' : st === 'ok' ? 'ok' : ''), text: t('st.' + st) }),
        d.detail ? el('div', { class: 'note', text: d.detail }) : null),
      el('td', { class: 'num', text: d.since ? clock(d.since) : '' }));
  }));
}

function renderCalls() {
  $('callsBody').replaceChildren(...S.calls.slice(0, 10).map((c) => el('tr', {},
    el('td', { class: 'num', text: clock(c.at) }),
    el('td', {}, el('b', { class: 'num', text: c.number })),
    el('td', { text: windowName(S.windows.get(c.window) && S.windows.get(c.window).name, c.window) }),
    el('td', { class: 'note', text: c.recall ? t('calls.recall') : '' }))));
}

// ---- Charts: small canvas code, no library ----------------------------------------------------

const COLORS = { blue: '#0b57a4', green: '#2e9d57', amber: '#e0a030', ink: '#14181f', grid: '#dfe4ea', muted: '#5a6472' };

function canvasCtx(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 300, h = canvas.clientHeight || 240;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const c = canvas.getContext('2d');
  c.setTransform(dpr, 0, 0, dpr, 0, 0);
  c.clearRect(0, 0, w, h);
  c.font = `13px ${getComputedStyle(document.documentElement).fontFamily}`;
  c.textBaseline = 'middle';
  return { c, w, h };
}

// The top of a 4-step axis whose steps are whole 1, 2 or 5 times a power of ten.
function niceMax(v) {
  const raw = Math.max(1, v / 4);
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return 4 * m * p;
  return 4 * raw;
}

function emptyChart(c, w, h) {
  c.fillStyle = COLORS.muted;
  c.textAlign = 'center';
  c.fillText(t('ch.empty'), w / 2, h / 2);
}

// Vertical bars, one group per label, one bar per series.
function barChart(canvas, labels, series) {
  const { c, w, h } = canvasCtx(canvas);
  const max = Math.max(0, ...series.flatMap((s) => s.values));
  if (!labels.length || max === 0) return emptyChart(c, w, h);
  const top = niceMax(max);
  const L = 34, R = 8, T = 10, B = 26;
  const pw = w - L - R, ph = h - T - B;
  c.strokeStyle = COLORS.grid; c.fillStyle = COLORS.muted; c.textAlign = 'right';
  for (let i = 0; i <= 4; i++) {
    const y = T + ph - (ph * i) / 4;
    c.beginPath(); c.moveTo(L, y); c.lineTo(w - R, y); c.stroke();
    c.fillText(String((top * i) / 4), L - 5, y);
  }
  const gw = pw / labels.length;
  const bw = Math.max(1, Math.min(22, (gw * 0.8) / series.length));
  const pad = (gw - bw * series.length) / 2;
  series.forEach((s, k) => {
    c.fillStyle = s.color;
    s.values.forEach((v, i) => {
      const bh = (ph * v) / top;
      c.fillRect(L + i * gw + pad + k * bw, T + ph - bh, bw - 0.5, bh);
    });
  });
  c.fillStyle = COLORS.muted; c.textAlign = 'center';
  const widest = Math.max(...labels.map((x) => c.measureText(x).width)) + 10;
  const every = Math.max(1, Math.ceil(labels.length / Math.max(1, Math.floor(pw / widest))));
  labels.forEach((lab, i) => { if (i % every === 0) c.fillText(lab, L + i * gw + gw / 2, h - B / 2); });
}

// Horizontal bars: mean with a tick at the longest, one row per service. Values in seconds;
// the axis counts minutes, or seconds while every visit was short.
function rangeChart(canvas, rows) {
  const { c, w, h } = canvasCtx(canvas);
  if (!rows.length) return emptyChart(c, w, h);
  const longest = Math.max(...rows.map((r) => r.max));
  const unit = longest < 120 ? 1 : 60;
  const max = niceMax(longest / unit);
  const labelW = Math.min(150, Math.max(...rows.map((r) => c.measureText(r.label).width)) + 10);
  const L = labelW, R = 96, T = 6, B = 22;
  const pw = Math.max(20, w - L - R), rh = Math.min(28, (h - T - B) / rows.length);
  c.strokeStyle = COLORS.grid; c.fillStyle = COLORS.muted; c.textAlign = 'center';
  for (let i = 0; i <= 4; i++) {
    const x = L + (pw * i) / 4;
    c.beginPath(); c.moveTo(x, T); c.lineTo(x, T + rh * rows.length); c.stroke();
    c.fillText(String((max * i) / 4), x, h - B / 2);
  }
  c.textAlign = 'left';
  c.fillText(unit === 1 ? t('ch.sec') : t('ch.min'), L + pw + 6, h - B / 2);
  rows.forEach((r, i) => {
    const y = T + i * rh;
    c.fillStyle = COLORS.ink; c.textAlign = 'right';
    c.fillText(r.label, L - 6, y + rh / 2, labelW - 8);
    c.fillStyle = COLORS.green;
    c.fillRect(L, y + rh * 0.2, (pw * r.mean) / unit / max, rh * 0.6);
    c.fillStyle = COLORS.ink;
    c.fillRect(L + (pw * r.max) / unit / max - 1, y + rh * 0.1, 2, rh * 0.8);
    c.textAlign = 'left'; c.fillStyle = COLORS.muted;
    c.fillText(`${duration(r.mean * 1000)} · ${r.n}`, L + pw + 6, y + rh / 2, R - 8);
  });
}


let lastChartDraw = 0;
let chartTimer = null;
// At most one redraw every 2 s: a busy hall sends many events a second.
function drawCharts(force = false) {
  if (!force && Date.now() - lastChartDraw < 2000) {
    if (!chartTimer) chartTimer = setTimeout(() => { chartTimer = null; drawCharts(true); }, 2000);
    return;
  }
  lastChartDraw = Date.now();
  const now = serverNow();
  const d = S.dayFigures;
  if (!d) {
    for (const id of ['chArrivals', 'chWaits', 'chService']) { const { c, w, h } = canvasCtx($(id)); emptyChart(c, w, h); }
    $('chartNote').textContent = t('ch.loading');
    return;
  }
  // Arrivals and completions per 15 minutes of hall local time: the quarters from the first
  // to the last with anything in them, at most the last 64.
  let first = -1, last = -1;
  d.arrivals.forEach((n, i) => { if (n || d.completions[i]) { if (first < 0) first = i; last = i; } });
  const labels = [], arr = [], done = [];
  if (first >= 0) {
    first = Math.max(first, last - 63);
    for (let i = first; i <= last; i++) {
      const m = i * d.quarter_min;
      labels.push(`${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}`);
      arr.push(d.arrivals[i]); done.push(d.completions[i]);
    }
  }
  barChart($('chArrivals'), labels, [{ values: arr, color: COLORS.blue }, { values: done, color: COLORS.green }]);

  // Wait times: issue to first call (the server's), and the still-waiting so far (open tickets,
  // which the snapshot lists in full).
  const edges = d.wait_edges_min;
  const wl = [0, ...edges].map((e, i) => (i === edges.length ? `${e}+` : `${e}–`));
  const waiting = new Array(edges.length + 1).fill(0);
  const bucket = (ms) => { const m = ms / 60000; let i = 0; while (i < edges.length && m >= edges[i]) i++; return i; };
  for (const tk of S.tickets.values()) if (tk.state === 'waiting' && !tk.called_at) waiting[bucket(now - tk.issued_at)]++;
  barChart($('chWaits'), wl, [{ values: d.waits, color: COLORS.blue }, { values: waiting, color: COLORS.amber }]);

  // Service time (start to finish) of completed visits, by service.
  const svcRows = d.services.map((x) => ({ label: serviceName(x.service), mean: x.mean_ms / 1000, max: x.max_ms / 1000, n: x.count }));
  rangeChart($('chService'), svcRows);

  $('chartNote').textContent = t('ch.note', { at: clock(S.dayFiguresAt || now), all: d.issued, done: d.completed });
  $('chartNote').dataset.issued = String(d.issued);
  $('chartNote').dataset.completed = String(d.completed);
}

window.addEventListener('resize', () => { if (!$('dash').hidden && S.snap) drawCharts(true); });
setInterval(() => {
  if ($('dash').hidden || !S.snap) return;
  $('clock').textContent = clock(serverNow());
  renderBanner();
  renderSummary();
  renderServices();
}, 1000);
setInterval(() => { if (!$('dash').hidden && S.snap) fetchDay(true); }, 30000);

// ---- Start -----------------------------------------------------------------------------------

onLangChange(() => { render(); if (configEditor) configEditor.render(); });
initLang('zh-CN');
if (S.session && (!S.session.expires_at || S.session.expires_at > Date.now())) enterDash();
else { S.session = null; saveSession(SESSION_KEY, null); show('login'); }
