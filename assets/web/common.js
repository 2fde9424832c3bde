// Shared by the clerk console, the manager dashboard, the ticket page and the index: language
// switching, the HTTP API with timeouts, request ids, the live WebSocket with reconnect, and
// formatting. Plain ES module, no build step; everything runs on the page's one thread.

// ---- Language -------------------------------------------------------------------------------

export const LANGS = ['zh-CN', 'zh-TW', 'en'];
const LANG_KEY = 'hallq.lang';

const COMMON = {
  'zh-CN': {
    'lang.zh-CN': '简体', 'lang.zh-TW': '繁體', 'lang.en': 'EN',
    'err.network': '无法连接服务器', 'err.timeout': '服务器没有及时回答',
    'err.bad_request': '请求有误', 'err.unauthorized': '未登录或登录已失效',
    'err.forbidden': '无权进行此操作', 'err.not_found': '找不到', 'err.invalid_state': '当前状态不允许此操作',
    'err.queue_empty': '没有人在等候', 'err.window_busy': '窗口还有未完成的业务',
    'err.window_paused': '窗口已暂停或关闭', 'err.service_closed': '该业务现在不办理',
    'err.daily_cap_reached': '今日号已取完', 'err.request_id_reused': '请求编号冲突',
    'err.payload_too_large': '内容过长', 'err.rate_limited': '操作过于频繁，请稍候',
    'err.busy': '服务器繁忙，请稍后重试', 'err.internal': '服务器内部错误',
    'conn.down': '连接已断开，正在重连…', 'conn.retry_in': '{s} 秒后重试', 'conn.syncing': '正在同步…',
    'conn.relogin': '服务器已重启，登录已失效：请重新登录',
    'dur.s': '{s}秒', 'dur.ms': '{m}分{s}秒', 'dur.hm': '{h}小时{m}分', 'dur.m': '{m}分钟',
    'state.waiting': '等候中', 'state.called': '已叫号', 'state.serving': '办理中', 'state.held': '挂起',
    'state.done': '已办结', 'state.no_show': '过号', 'state.cancelled': '已取消',
    'class.normal': '普通', 'class.priority': '优先', 'class.appointment': '预约',
    'win.open': '开放', 'win.paused': '暂停', 'win.closed': '关闭',
    'window.n': '{n}号窗口',
  },
  'zh-TW': {
    'lang.zh-CN': '简体', 'lang.zh-TW': '繁體', 'lang.en': 'EN',
    'err.network': '無法連線伺服器', 'err.timeout': '伺服器沒有及時回應',
    'err.bad_request': '請求有誤', 'err.unauthorized': '未登入或登入已失效',
    'err.forbidden': '無權進行此操作', 'err.not_found': '找不到', 'err.invalid_state': '目前狀態不允許此操作',
    'err.queue_empty': '沒有人在等候', 'err.window_busy': '窗口還有未完成的業務',
    'err.window_paused': '窗口已暫停或關閉', 'err.service_closed': '該業務現在不辦理',
    'err.daily_cap_reached': '今日號碼已取完', 'err.request_id_reused': '請求編號衝突',
    'err.payload_too_large': '內容過長', 'err.rate_limited': '操作過於頻繁，請稍候',
    'err.busy': '伺服器忙碌，請稍後重試', 'err.internal': '伺服器內部錯誤',
    'conn.down': '連線已中斷，正在重新連線…', 'conn.retry_in': '{s} 秒後重試', 'conn.syncing': '正在同步…',
    'conn.relogin': '伺服器已重新啟動，登入已失效：請重新登入',
    'dur.s': '{s}秒', 'dur.ms': '{m}分{s}秒', 'dur.hm': '{h}小時{m}分', 'dur.m': '{m}分鐘',
    'state.waiting': '等候中', 'state.called': '已叫號', 'state.serving': '辦理中', 'state.held': '掛起',
    'state.done': '已辦結', 'state.no_show': '過號', 'state.cancelled': '已取消',
    'class.normal': '普通', 'class.priority': '優先', 'class.appointment': '預約',
    'win.open': '開放', 'win.paused': '暫停', 'win.closed': '關閉',
    'window.n': '{n}號窗口',
  },
  en: {
    'lang.zh-CN': '简体', 'lang.zh-TW': '繁體', 'lang.en': 'EN',
    'err.network': 'Cannot reach the server', 'err.timeout': 'The server did not answer in time',
    'err.bad_request': 'Bad request', 'err.unauthorized': 'Not logged in, or the session has ended',
    'err.forbidden': 'Not allowed', 'err.not_found': 'Not found', 'err.invalid_state': 'Not possible in the current state',
    'err.queue_empty': 'Nobody is waiting', 'err.window_busy': 'The window still has a visitor',
    'err.window_paused': 'The window is paused or closed', 'err.service_closed': 'The service is closed now',
    'err.daily_cap_reached': 'No more tickets today', 'err.request_id_reused': 'Request id clash',
    'err.payload_too_large': 'Too long', 'err.rate_limited': 'Too many actions: wait a moment',
    'err.busy': 'The server is busy: retry in a moment', 'err.internal': 'Server error',
    'conn.down': 'Connection lost, reconnecting…', 'conn.retry_in': 'retrying in {s} s', 'conn.syncing': 'Synchronising…',
    'conn.relogin': 'The server restarted and the session ended: please log in again',
    'dur.s': '{s}s', 'dur.ms': '{m}m {s}s', 'dur.hm': '{h}h {m}m', 'dur.m': '{m} min',
    'state.waiting': 'Waiting', 'state.called': 'Called', 'state.serving': 'Being served', 'state.held': 'On hold',
    'state.done': 'Done', 'state.no_show': 'No-show', 'state.cancelled': 'Cancelled',
    'class.normal': 'Normal', 'class.priority': 'Priority', 'class.appointment': 'Appointment',
    'win.open': 'Open', 'win.paused': 'Paused', 'win.closed': 'Closed',
    'window.n': 'Window {n}',
  },
};

let dict = { 'zh-CN': { ...COMMON['zh-CN'] }, 'zh-TW': { ...COMMON['zh-TW'] }, en: { ...COMMON.en } };
let lang = 'zh-CN';
const langListeners = [];

function browserLang() {
  const l = (navigator.languages && navigator.languages[0]) || navigator.language || '';
  if (/^zh[-_](tw|hk|mo|hant)/i.test(l)) return 'zh-TW';
  if (/^zh/i.test(l)) return 'zh-CN';
  return l ? 'en' : 'zh-CN';
}

// Each page adds its own strings, then calls initLang. `fallback` is the language when the
// user never chose one: 'browser' follows the phone, anything else is used as is.
export function addStrings(more) {
  for (const l of LANGS) Object.assign(dict[l], more[l] || {});
}

export function initLang(fallback = 'zh-CN') {
  let stored = null;
  try { stored = localStorage.getItem(LANG_KEY); } catch { /* private mode */ }
  const first = LANGS.includes(stored) ? stored : fallback === 'browser' ? browserLang() : fallback;
  document.querySelectorAll('[data-lang]').forEach((b) => {
    b.addEventListener('click', () => setLang(b.dataset.lang));
  });
  setLang(first, false);
}

export function currentLang() { return lang; }
export function onLangChange(fn) { langListeners.push(fn); }

export function setLang(l, remember = true) {
  if (!LANGS.includes(l)) return;
  lang = l;
  if (remember) { try { localStorage.setItem(LANG_KEY, l); } catch { /* ignore */ } }
  document.documentElement.lang = l;
  document.querySelectorAll('[data-lang]').forEach((b) => {
    b.setAttribute('aria-pressed', String(b.dataset.lang === l));
  });
  document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll('[data-i18n-placeholder]').forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
  document.querySelectorAll('[data-i18n-title]').forEach((el) => { el.title = t(el.dataset.i18nTitle); });
  if (dict[l]['page.title']) document.title = dict[l]['page.title'];
  langListeners.forEach((fn) => fn(l));
}

export function t(key, vars) {
  let s = dict[lang][key] ?? dict['zh-CN'][key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

// A localised name from the server ({zh_cn, zh_tw, en}) or a plain string.
export function nameOf(x) {
  if (x == null) return '';
  if (typeof x === 'string') return x;
  const v = lang === 'en' ? x.en : lang === 'zh-TW' ? x.zh_tw : x.zh_cn;
  return v || x.zh_cn || x.en || '';
}

const CJK = /[\u3400-\u9fff]/;
// Window names in many halls exist only in Chinese ("3号窗口"); English readers get "Window 3".
export function windowName(name, number) {
  const n = nameOf(name);
  if (!n || (lang === 'en' && CJK.test(n))) return t('window.n', { n: number });
  return n;
}

// ---- Formatting -----------------------------------------------------------------------------

export function duration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
  if (h > 0) return t('dur.hm', { h, m });
  if (m > 0) return t('dur.ms', { m, s: String(s).padStart(2, '0') });
  return t('dur.s', { s });
}

export function clock(ms) {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((x) => String(x).padStart(2, '0')).join(':');
}

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c != null) e.append(c instanceof Node ? c : String(c));
  return e;
}

// ---- Errors ---------------------------------------------------------------------------------

// An error for people: a phrase in the page's language, then the server's own words.
export function errorText(error) {
  if (!error) return '';
  const phrase = t('err.' + error.code);
  const base = phrase === 'err.' + error.code ? '' : phrase;
  if (error.message && base) return base + (lang === 'en' ? ': ' : '：') + error.message;
  return base || error.message || String(error.code);
}

// ---- HTTP -----------------------------------------------------------------------------------

// Resolves to {ok, status, data, error}; never rejects. A network failure or a timeout is
// {ok:false, status:0, error:{code:'network'|'timeout'}}: the caller may retry with the same
// request id, because the server remembers it.
export async function api(method, path, { body, token, timeoutMs = 8000 } = {}) {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeoutMs);
  const headers = {};
  if (token) headers.Authorization = 'Bearer ' + token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  try {
    const res = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      signal: ctrl.signal, cache: 'no-store',
    });
    let data = null;
    const text = await res.text();
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    if (res.ok) return { ok: true, status: res.status, data };
    const error = data && data.error ? data.error : { code: 'internal', message: `HTTP ${res.status}` };
    return { ok: false, status: res.status, data, error };
  } catch (e) {
    const timedOut = ctrl.signal.aborted;
    return { ok: false, status: 0, error: { code: timedOut ? 'timeout' : 'network', message: '' } };
  } finally {
    clearTimeout(timer);
  }
}

// 1-64 characters of A-Za-z0-9._:- ; unique per press: a page prefix, time and randomness.
export function newRequestId(prefix = 'web') {
  const r = new Uint8Array(6);
  crypto.getRandomValues(r);
  const rand = Array.from(r, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${prefix}-${Date.now().toString(36)}-${rand}`;
}

// ---- Live socket ----------------------------------------------------------------------------

// One WebSocket to /ws that says hello, reconnects with jittered backoff (1 s doubling to 10 s)
// and notices a silent connection with its own pings. The page decides what a message means.
export class LiveSocket {
  constructor({ hello, onMessage, onStatus }) {
    this.hello = hello;          // () => the hello message, or null to stay down
    this.onMessage = onMessage;  // (msg) => void
    this.onStatus = onStatus;    // ({up, retryAt}) => void
    this.ws = null;
    this.attempt = 0;
    this.stopped = true;
    this.retryTimer = null;
    this.pingTimer = null;
    this.lastHeard = 0;
    window.addEventListener('online', () => { if (!this.stopped && !this.ws) this.connectNow(); });
  }

  start() {
    this.stopped = false;
    this.attempt = 0;
    this.connectNow();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    if (this.ws) { const w = this.ws; this.ws = null; try { w.close(); } catch { /* ignore */ } }
  }

  // The page calls this once it has a snapshot: the connection is good, reset the backoff.
  healthy() { this.attempt = 0; }

  send(obj) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(obj));
    return true;
  }

  // Drop this connection and come back after the usual backoff (used on unusable answers).
  restart() {
    if (this.ws) { try { this.ws.close(); } catch { /* ignore */ } }
  }

  connectNow() {
    clearTimeout(this.retryTimer);
    if (this.stopped) return;
    const hello = this.hello();
    if (!hello) return;
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
    let ws;
    try { ws = new WebSocket(url); } catch { this.down(); return; }
    this.ws = ws;
    ws.onopen = () => {
      this.lastHeard = Date.now();
      ws.send(JSON.stringify(hello));
      clearInterval(this.pingTimer);
      // The server pings too, but a browser cannot see those; our own ping notices a dead link.
      this.pingTimer = setInterval(() => {
        if (Date.now() - this.lastHeard > 35000) { try { ws.close(); } catch { /* ignore */ } return; }
        if (ws.readyState === WebSocket.OPEN) ws.send('{"type":"ping"}');
      }, 15000);
    };
    ws.onmessage = (e) => {
      if (this.ws !== ws) return;
      this.lastHeard = Date.now();
      let msg;
      try { msg = JSON.parse(e.data); } catch { return; }
      this.onMessage(msg);
    };
    ws.onclose = () => { if (this.ws === ws) this.down(); };
    ws.onerror = () => { /* onclose follows */ };
  }

  down() {
    clearInterval(this.pingTimer);
    this.ws = null;
    if (this.stopped) return;
    const base = Math.min(10000, 1000 * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 10);
    const delay = Math.round(base / 2 + Math.random() * base / 2);
    this.onStatus({ up: false, retryAt: Date.now() + delay });
    this.retryTimer = setTimeout(() => this.connectNow(), delay);
  }
}

// Snapshot + seq events: decides whether an event applies, is old, or reveals a gap.
export class SeqTracker {
  constructor() { this.seq = null; }
  snapshot(seq) { this.seq = seq; }
  reset() { this.seq = null; }
  // 'apply' | 'old' | 'gap' | 'unsynced'
  event(seq) {
    if (this.seq == null) return 'unsynced';
    if (seq <= this.seq) return 'old';
    if (seq !== this.seq + 1) return 'gap';
    this.seq = seq;
    return 'apply';
  }
}

// The answer to a press comes over HTTP, the events over the WebSocket, so an event from just
// before the press can arrive after its answer and take a window back on screen. An answer
// carries the seq of its own first event (docs/protocol.md); until the events reach that seq,
// what an older event says of the same window is not shown.
export class AnswerGuard {
  constructor() { this.windows = new Map(); }  // window number -> seq of the newest answer shown
  // Whether to show an answer about `window`; false when its event came first (the screen has it).
  answered(window, seq, eventsSeq) {
    if (seq == null) return true;
    if (eventsSeq != null && seq <= eventsSeq) return false;
    this.windows.set(window, Math.max(seq, this.windows.get(window) || 0));
    return true;
  }
  // Whether an event's record of `window` is current: not older than an answer shown for it.
  current(window, seq) {
    const answered = this.windows.get(window);
    if (answered == null || seq >= answered) { this.windows.delete(window); return true; }
    return false;
  }
  reset() { this.windows.clear(); }
}

// Session storage for a logged-in console: survives a reload of the tab, not a closed tab.
export function loadSession(key) {
  try { return JSON.parse(sessionStorage.getItem(key) || 'null'); } catch { return null; }
}
export function saveSession(key, s) {
  try { if (s) sessionStorage.setItem(key, JSON.stringify(s)); else sessionStorage.removeItem(key); } catch { /* ignore */ }
}
