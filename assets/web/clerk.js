// The clerk console (/clerk): log in, pick a window, then call, recall, mark no-shows, serve,
// transfer, hold and call back, pause and resume. The screen follows the hall over the
// WebSocket (snapshot + seq events); commands go over HTTP with a request id per press.
import {
  addStrings, initLang, onLangChange, t, nameOf, windowName, duration, clock, el, errorText, api,
  newRequestId, LiveSocket, SeqTracker, AnswerGuard, loadSession, saveSession,
} from '/common.js';

addStrings({
  'zh-CN': {
    'page.title': '窗口工作台 · HallQ', title: '窗口工作台', switch: '换窗口', logout: '退出', cancel: '取消 (Esc)',
    'login.title': '工作人员登录', 'login.user': '用户名', 'login.password': '密码', 'login.submit': '登录',
    'login.wrong': '用户名或密码错误', 'login.busy': '正在登录…',
    'pick.title': '选择窗口', 'pick.window': '本次在哪个窗口工作', 'pick.submit': '开始工作', 'pick.none': '此账号没有可用的窗口',
    'current.title': '当前办理', 'current.none': '暂无 · 按“叫号”呼叫下一位', 'current.waited': '已等候', 'current.served': '已办理',
    'current.recalls': '已重呼 {n} 次',
    'a.call-next': '叫号', 'a.recall': '重呼', 'a.no-show': '过号', 'a.start': '开始办理', 'a.complete': '办结',
    'a.transfer': '转移', 'a.hold': '挂起', 'a.pause': '暂停', 'a.resume': '恢复', 'a.callback': '回呼',
    'done.call-next': '已叫号 {n}', 'done.recall': '已重呼 {n}', 'done.no-show': '{n} 已过号', 'done.start': '开始办理 {n}',
    'done.complete': '{n} 已办结', 'done.transfer': '{n} 已转移', 'done.hold': '{n} 已挂起', 'done.pause': '窗口已暂停',
    'done.resume': '窗口已恢复', 'done.callback': '已回呼 {n}', 'done.callback.queued': '{n} 已回到本窗口队首，办完当前业务后叫号',
    'retrying': '服务器没有回答，正在用同一请求重试（不会重复叫号）…',
    'unanswered': '没有收到服务器的回答：再按一次会用同一请求编号重试，不会重复操作',
    'totals.title': '本窗口今日', 'totals.served': '已办结', 'totals.waiting': '可叫等候', 'totals.held': '挂起',
    'held.title': '挂起的办事人', 'held.hint': '（B 回呼第一位）', 'held.none': '没有挂起的办事人', 'held.since': '挂起于 {t}',
    'queue.title': '等候队列（按叫号顺序）', 'queue.no': '号码', 'queue.service': '业务', 'queue.class': '类别', 'queue.waited': '已等',
    'queue.empty': '现在没有人等候本窗口', 'queue.targeted': '指定本窗口', 'queue.aged': '等候过久，优先',
    'tr.title': '转移办事人', 'tr.toService': '转到业务', 'tr.toWindow': '转到窗口', 'tr.return': '办完后回到本窗口',
    'tr.note': '备注', 'tr.ok': '转移 (Enter)',
    'relogin.title': '请重新登录', 'relogin.expired': '登录已失效（超时，或密码已更改）。窗口和屏幕保持不变，登录后继续。',
    'step.issued': '取号', 'step.called': '叫号', 'step.recalled': '重呼', 'step.no_show': '过号', 'step.started': '开始办理',
    'step.completed': '办结', 'step.transferred': '转移', 'step.held': '挂起', 'step.called_back': '回呼',
    'step.cancelled': '取消', 'step.expired': '过期',
    'alert.service': '{n} 办理已超过 {m} 分钟（时限 {l} 分钟）', 'alert.wait': '{c} 位办事人等候超过时限（最长 {m} 分钟）',
    'reason.elderly': '老年人', 'reason.disabled': '残疾人', 'reason.military': '军人', 'reason.pregnant': '孕妇',
    'hint.keys': '快捷键：字母键或数字键 1–9（1 叫号 … 8 暂停，9 回呼）',
    'bad.role': '此账号不能使用窗口工作台',
  },
  'zh-TW': {
    'page.title': '窗口工作台 · HallQ', title: '窗口工作台', switch: '換窗口', logout: '登出', cancel: '取消 (Esc)',
    'login.title': '工作人員登入', 'login.user': '使用者名稱', 'login.password': '密碼', 'login.submit': '登入',
    'login.wrong': '使用者名稱或密碼錯誤', 'login.busy': '正在登入…',
    'pick.title': '選擇窗口', 'pick.window': '本次在哪個窗口工作', 'pick.submit': '開始工作', 'pick.none': '此帳號沒有可用的窗口',
    'current.title': '目前辦理', 'current.none': '暫無 · 按「叫號」呼叫下一位', 'current.waited': '已等候', 'current.served': '已辦理',
    'current.recalls': '已重呼 {n} 次',
    'a.call-next': '叫號', 'a.recall': '重呼', 'a.no-show': '過號', 'a.start': '開始辦理', 'a.complete': '辦結',
    'a.transfer': '轉移', 'a.hold': '掛起', 'a.pause': '暫停', 'a.resume': '恢復', 'a.callback': '回呼',
    'done.call-next': '已叫號 {n}', 'done.recall': '已重呼 {n}', 'done.no-show': '{n} 已過號', 'done.start': '開始辦理 {n}',
    'done.complete': '{n} 已辦結', 'done.transfer': '{n} 已轉移', 'done.hold': '{n} 已掛起', 'done.pause': '窗口已暫停',
    'done.resume': '窗口已恢復', 'done.callback': '已回呼 {n}', 'done.callback.queued': '{n} 已回到本窗口隊首，辦完目前業務後叫號',
    'retrying': '伺服器沒有回應，正在以同一請求重試（不會重複叫號）…',
    'unanswered': '沒有收到伺服器的回應：再按一次會以同一請求編號重試，不會重複操作',
    'totals.title': '本窗口今日', 'totals.served': '已辦結', 'totals.waiting': '可叫等候', 'totals.held': '掛起',
    'held.title': '掛起的辦事人', 'held.hint': '（B 回呼第一位）', 'held.none': '沒有掛起的辦事人', 'held.since': '掛起於 {t}',
    'queue.title': '等候隊列（按叫號順序）', 'queue.no': '號碼', 'queue.service': '業務', 'queue.class': '類別', 'queue.waited': '已等',
    'queue.empty': '現在沒有人等候本窗口', 'queue.targeted': '指定本窗口', 'queue.aged': '等候過久，優先',
    'tr.title': '轉移辦事人', 'tr.toService': '轉到業務', 'tr.toWindow': '轉到窗口', 'tr.return': '辦完後回到本窗口',
    'tr.note': '備註', 'tr.ok': '轉移 (Enter)',
    'relogin.title': '請重新登入', 'relogin.expired': '登入已失效（逾時，或密碼已變更）。窗口和畫面保持不變，登入後繼續。',
    'step.issued': '取號', 'step.called': '叫號', 'step.recalled': '重呼', 'step.no_show': '過號', 'step.started': '開始辦理',
    'step.completed': '辦結', 'step.transferred': '轉移', 'step.held': '掛起', 'step.called_back': '回呼',
    'step.cancelled': '取消', 'step.expired': '過期',
    'alert.service': '{n} 辦理已超過 {m} 分鐘（時限 {l} 分鐘）', 'alert.wait': '{c} 位辦事人等候超過時限（最長 {m} 分鐘）',
    'reason.elderly': '長者', 'reason.disabled': '身心障礙者', 'reason.military': '軍人', 'reason.pregnant': '孕婦',
    'hint.keys': '快速鍵：字母鍵或數字鍵 1–9（1 叫號 … 8 暫停，9 回呼）',
    'bad.role': '此帳號不能使用窗口工作台',
  },
  en: {
    'page.title': 'Window console · HallQ', title: 'Window console', switch: 'Change window', logout: 'Log out', cancel: 'Cancel (Esc)',
    'login.title': 'Staff log-in', 'login.user': 'User name', 'login.password': 'Password', 'login.submit': 'Log in',
    'login.wrong': 'Wrong user name or password', 'login.busy': 'Logging in…',
    'pick.title': 'Choose a window', 'pick.window': 'Window you work at now', 'pick.submit': 'Start', 'pick.none': 'This account has no windows',
    'current.title': 'Now serving', 'current.none': 'Nobody · press "Call next"', 'current.waited': 'Waited', 'current.served': 'Served for',
    'current.recalls': 'recalled {n}×',
    'a.call-next': 'Call next', 'a.recall': 'Recall', 'a.no-show': 'No-show', 'a.start': 'Start', 'a.complete': 'Complete',
    'a.transfer': 'Transfer', 'a.hold': 'Hold', 'a.pause': 'Pause', 'a.resume': 'Resume', 'a.callback': 'Call back',
    'done.call-next': 'Called {n}', 'done.recall': 'Recalled {n}', 'done.no-show': '{n} marked no-show', 'done.start': 'Serving {n}',
    'done.complete': '{n} completed', 'done.transfer': '{n} transferred', 'done.hold': '{n} on hold', 'done.pause': 'Window paused',
    'done.resume': 'Window resumed', 'done.callback': 'Called back {n}', 'done.callback.queued': '{n} is first in this window\'s line, called when you are free',
    'retrying': 'No answer from the server: retrying the same request (it will not call twice)…',
    'unanswered': 'No answer from the server: pressing again retries the same request, it will not act twice',
    'totals.title': 'This window today', 'totals.served': 'completed', 'totals.waiting': 'waiting for you', 'totals.held': 'on hold',
    'held.title': 'Visitors on hold', 'held.hint': '(B calls back the first)', 'held.none': 'Nobody on hold', 'held.since': 'on hold since {t}',
    'queue.title': 'Line, in calling order', 'queue.no': 'No.', 'queue.service': 'Service', 'queue.class': 'Class', 'queue.waited': 'Waited',
    'queue.empty': 'Nobody is waiting for this window', 'queue.targeted': 'sent here', 'queue.aged': 'waited long: first',
    'tr.title': 'Transfer the visitor', 'tr.toService': 'To service', 'tr.toWindow': 'To window', 'tr.return': 'Come back to this window afterwards',
    'tr.note': 'Note', 'tr.ok': 'Transfer (Enter)',
    'relogin.title': 'Log in again', 'relogin.expired': 'The session ended (it expired, or the password changed). Your window and screen stay; log in to go on.',
    'step.issued': 'issued', 'step.called': 'called', 'step.recalled': 'recalled', 'step.no_show': 'no-show', 'step.started': 'started',
    'step.completed': 'completed', 'step.transferred': 'transferred', 'step.held': 'held', 'step.called_back': 'called back',
    'step.cancelled': 'cancelled', 'step.expired': 'expired',
    'alert.service': '{n} has been served for {m} min (limit {l} min)', 'alert.wait': '{c} visitors waited past the limit (longest {m} min)',
    'reason.elderly': 'senior', 'reason.disabled': 'disability', 'reason.military': 'military', 'reason.pregnant': 'pregnant',
    'hint.keys': 'Hotkeys: the letters, or digits 1–9 (1 call next … 8 pause, 9 call back)',
    'bad.role': 'This account cannot use the window console',
  },
});

// Service quality (issue 6): the server's overdue alerts for this window, and the rating prompt.
addStrings({
  'zh-CN': { 'a.request-rating': '请评价', 'done.request-rating': '已请 {n} 评价',
    'alert.srv.wait': '{n} 等候已超过 {m} 分钟（超时预警）', 'alert.srv.service': '{n} 办理已超过 {m} 分钟（超时预警）',
    'alert.srv.idle': '本窗口空闲已超过 {m} 分钟（超时预警）' },
  'zh-TW': { 'a.request-rating': '請評價', 'done.request-rating': '已請 {n} 評價',
    'alert.srv.wait': '{n} 等候已超過 {m} 分鐘（超時預警）', 'alert.srv.service': '{n} 辦理已超過 {m} 分鐘（超時預警）',
    'alert.srv.idle': '本窗口閒置已超過 {m} 分鐘（超時預警）' },
  'en': { 'a.request-rating': 'Ask for rating', 'done.request-rating': 'Rating asked of {n}',
    'alert.srv.wait': '{n} has waited over {m} min (overdue)', 'alert.srv.service': '{n} has been served over {m} min (overdue)',
    'alert.srv.idle': 'This window has been idle over {m} min (overdue)' },
});

const SESSION_KEY = 'hallq.clerk.session';
const WINDOW_KEY = 'hallq.clerk.window';
const $ = (id) => document.getElementById(id);

const S = {
  session: loadSession(SESSION_KEY),   // {token, user, role, windows, expires_at}
  window: Number(sessionStorage.getItem(WINDOW_KEY)) || 0,
  hall: null,
  services: new Map(),                 // code -> snapshot service + load
  windows: new Map(),                  // number -> {number, name, services, state, state_since, clerk, served_today, currentId, held}
  tickets: new Map(),                  // id -> full ticket record (open tickets and the ones we just saw)
  seq: new SeqTracker(),
  answers: new AnswerGuard(),          // answers shown before their events (common.js)
  synced: false,
  skew: 0,                             // server clock - our clock, ms
  retryAt: 0,
  queue: null,                         // {queue, counts, total, at} or null while unknown
  queueError: null,
  busy: null,                          // the action whose request is in flight
  unanswered: null,                    // {key, id}: a press that got no answer; the next same press reuses the id
  relogin: false,
  alerts: new Map(),                   // id -> the server's active overdue alerts
  lastDone: new Map(),                 // window -> {id, rated}: the visit request-rating asks about
};

const serverNow = () => Date.now() + S.skew;

// ---- Screens ---------------------------------------------------------------------------------

function show(screen) {
  $('loginForm').hidden = screen !== 'login';
  $('pickForm').hidden = screen !== 'pick';
  $('console').hidden = screen !== 'console';
  const inConsole = screen === 'console';
  $('winTitle').hidden = !inConsole;
  $('winState').hidden = !inConsole;
  $('switchWin').hidden = !inConsole || !S.session;
  $('logout').hidden = !S.session;
  $('whoName').hidden = !S.session;
  $('whoName').textContent = S.session ? S.session.user : '';
  if (!inConsole) $('banner').hidden = true;
  if (screen === 'login') setTimeout(() => ($('loginUser').value ? $('loginPassword') : $('loginUser')).focus(), 0);
  if (screen === 'pick') setTimeout(() => $('pickWindow').focus(), 0);
}

async function doLogin(user, password) {
  const r = await api('POST', '/api/login', { body: { user, password } });
  if (!r.ok) {
    const msg = r.error.code === 'unauthorized' ? `${t('login.wrong')}（${r.error.message}）` : errorText(r.error);
    return { error: msg };
  }
  if (r.data.role !== 'clerk' && r.data.role !== 'admin') return { error: t('bad.role') };
  return { session: r.data };
}

$('loginForm').addEventListener('submit', async (e) => {
  e.preventDefault();
  const btn = $('loginSubmit');
  if (btn.disabled) return;
  btn.disabled = true;
  $('loginError').textContent = t('login.busy');
  const r = await doLogin($('loginUser').value.trim(), $('loginPassword').value);
  btn.disabled = false;
  if (r.error) {
    $('loginError').textContent = r.error;
    $('loginPassword').select();
    return;
  }
  $('loginError').textContent = '';
  $('loginPassword').value = '';
  S.session = r.session;
  saveSession(SESSION_KEY, S.session);
  await showPicker();
});

async function showPicker() {
  const sel = $('pickWindow');
  sel.replaceChildren();
  $('pickError').textContent = '';
  // Names and states come from the hall; the clerk's own list limits the choice.
  const st = await api('GET', '/api/state', { token: S.session.token });
  if (st.status === 401) return needLogin(st.error);
  const all = st.ok ? st.data.windows : [];
  const allowed = S.session.role === 'admin' ? all.map((w) => w.number) : S.session.windows || [];
  for (const n of allowed) {
    const w = all.find((x) => x.number === n);
    const label = w ? `${windowName(w.name, n)} · ${t('win.' + w.state)}` : t('window.n', { n });
    sel.append(el('option', { value: String(n), text: label }));
  }
  if (S.window && allowed.includes(S.window)) sel.value = String(S.window);
  $('pickSubmit').disabled = allowed.length === 0;
  if (!allowed.length) $('pickError').textContent = t('pick.none');
  else if (!st.ok) $('pickError').textContent = errorText(st.error);
  show('pick');
}

$('pickForm').addEventListener('submit', (e) => {
  e.preventDefault();
  const n = Number($('pickWindow').value);
  if (!n) return;
  enterConsole(n);
});

function enterConsole(n) {
  S.window = n;
  sessionStorage.setItem(WINDOW_KEY, String(n));
  S.queue = null;
  S.queueError = null;
  S.unanswered = null;
  setMessage('');
  show('console');
  if (!socketRunning) { socketRunning = true; live.start(); }
  else refreshQueue(true);
  render();
}

$('switchWin').addEventListener('click', () => showPicker());
$('logout').addEventListener('click', () => logout());
$('reloginOut').addEventListener('click', () => { $('reloginDialog').close(); logout(); });

async function logout() {
  if (S.session) api('POST', '/api/logout', { token: S.session.token, body: {} });
  live.stop();
  socketRunning = false;
  S.session = null;
  S.synced = false;
  S.seq.reset();
  saveSession(SESSION_KEY, null);
  show('login');
}

function needLogin(error) {
  // Sessions end with a server restart: keep the screen, ask for the password again.
  if (S.relogin) return;
  S.relogin = true;
  S.synced = false;
  S.seq.reset();
  live.stop();
  socketRunning = false;
  if ($('console').hidden) {
    saveSession(SESSION_KEY, null);
    if (S.session) $('loginUser').value = S.session.user;
    S.session = null;
    S.relogin = false;
    $('loginError').textContent = error ? errorText(error) : '';
    show('login');
    return;
  }
  $('reloginUser').textContent = S.session ? S.session.user : '';
  $('reloginWhy').textContent = t('relogin.expired');
  $('reloginError').textContent = '';
  $('reloginPassword').value = '';
  render();
  if (!$('reloginDialog').open) $('reloginDialog').showModal();
  $('reloginPassword').focus();
}

$('reloginForm').addEventListener('submit', async (e) => {
  e.preventDefault();
  const btn = $('reloginSubmit');
  if (btn.disabled) return;
  btn.disabled = true;
  $('reloginError').textContent = t('login.busy');
  const r = await doLogin(S.session.user, $('reloginPassword').value);
  btn.disabled = false;
  if (r.error) { $('reloginError').textContent = r.error; return; }
  S.session = r.session;
  saveSession(SESSION_KEY, S.session);
  S.relogin = false;
  $('reloginDialog').close();
  socketRunning = true;
  live.start();
  render();
});
$('reloginDialog').addEventListener('cancel', (e) => e.preventDefault());

// ---- Live state ------------------------------------------------------------------------------

let socketRunning = false;
const live = new LiveSocket({
  hello: () => (S.session ? { type: 'hello', token: S.session.token } : null),
  onMessage,
  onStatus: ({ up, retryAt }) => {
    if (!up) {
      S.synced = false;
      S.seq.reset();
      S.retryAt = retryAt;
      render();
    }
  },
});

function onMessage(m) {
  switch (m.type) {
    case 'welcome':
      S.skew = m.server_time - Date.now();
      return;
    case 'snapshot':
      applySnapshot(m);
      S.seq.snapshot(m.seq);
      S.synced = true;
      live.healthy();
      refreshQueue(true);
      render();
      return;
    case 'event': {
      const v = S.seq.event(m.seq);
      if (v === 'gap') {
        // Missed something: stop acting on this screen until a fresh snapshot replaces it.
        S.synced = false;
        S.seq.reset();
        live.send({ type: 'snapshot' });
        render();
        return;
      }
      if (v !== 'apply') return;
      applyEvent(m);
      render();
      return;
    }
    case 'error':
      if (m.error && m.error.code === 'unauthorized') needLogin(m.error);
      else setMessage(errorText(m.error), 'error');
      return;
    default:
  }
}

function applySnapshot(snap) {
  S.skew = snap.now - Date.now();
  S.answers.reset();
  S.hall = snap.hall;
  S.services = new Map(snap.services.map((s) => [s.code, s]));
  S.tickets = new Map((snap.tickets || []).map((tk) => [tk.id, tk]));
  S.alerts = new Map((snap.alerts || []).map((a) => [a.id, a]));
  const byNumber = new Map((snap.tickets || []).map((tk) => [tk.number, tk.id]));
  S.windows = new Map(snap.windows.map((w) => [w.number, {
    number: w.number, name: w.name, services: w.services || [], state: w.state, state_since: w.state_since,
    clerk: w.clerk || '', served_today: w.served_today || 0,
    currentId: w.current ? w.current.id : '',
    held: (w.held || []).map((num) => byNumber.get(num) || 'num:' + num),
  }]));
  if (snap.windows.length && S.window && !S.windows.has(S.window)) setMessage(t('err.not_found'), 'error');
}

function applyEvent(e) {
  const mine = S.windows.get(S.window);
  let touchesQueue = false;
  // An answer can overtake the event of the press before it (HTTP against the WebSocket). An
  // event whose ticket is older than the one the answer gave is old news: its ticket and its
  // window record would roll the screen back until the next event, so keep what we have.
  const before = e.ticket ? S.tickets.get(e.ticket.id) : null;
  const stale = !!before && (e.ticket.history || []).length < (before.history || []).length;
  if (e.ticket && !stale) {
    S.tickets.set(e.ticket.id, e.ticket);
    if (mine && (relevant(e.ticket, mine) || (before && relevant(before, mine)))) touchesQueue = true;
  }
  if (e.window && !stale && S.answers.current(e.window.number, e.seq)) {
    const w = S.windows.get(e.window.number);
    if (w) {
      // An event carries the whole record after the change: replace, absent fields are empty.
      w.state = e.window.state;
      w.state_since = e.window.state_since;
      w.clerk = e.window.clerk || '';
      w.served_today = e.window.served_today || 0;
      w.currentId = e.window.current_ticket || '';
      w.held = e.window.held || [];
      if (w.number === S.window) touchesQueue = true;
    }
  }
  for (const l of [e.load, e.other_load]) {
    if (!l) continue;
    const s = S.services.get(l.service);
    if (s) Object.assign(s, l);
  }
  if (e.alert) {
    if (e.event === 'alert_raised') S.alerts.set(e.alert.id, e.alert);
    else S.alerts.delete(e.alert.id);
  }
  if (e.event === 'service_completed' && e.ticket && e.ticket.state === 'done' && e.window) {
    S.lastDone.set(e.window.number, { id: e.ticket.id, number: e.ticket.number, rated: !!e.ticket.rating });
  }
  if (e.event === 'ticket_rated' && e.ticket) {
    for (const d of S.lastDone.values()) if (d.id === e.ticket.id) d.rated = true;
  }
  if (e.event === 'day_rolled_over') {
    S.lastDone.clear();
    S.synced = false;
    S.seq.reset();
    live.send({ type: 'snapshot' });
  }
  prune();
  if (touchesQueue) refreshQueue();
}

// Does this ticket belong to the line this window calls from?
function relevant(tk, w) {
  return tk.target_window === w.number || (!tk.target_window && w.services.includes(tk.service));
}

function prune() {
  // Finished tickets are only kept while a window still points at them.
  const keep = new Set();
  for (const w of S.windows.values()) { if (w.currentId) keep.add(w.currentId); w.held.forEach((id) => keep.add(id)); }
  for (const [id, tk] of S.tickets) {
    if ((tk.state === 'done' || tk.state === 'no_show' || tk.state === 'cancelled') && !keep.has(id)) S.tickets.delete(id);
  }
}

// The queue call-next would take. Refreshed when an event touches this window's line, at most
// once a second (a hall of 300 consoles must not fetch on every event), and every 20 s.
let queueTimer = null;
let queueInFlight = false;
let queueAgain = false;
let queueLast = 0;
function refreshQueue(now = false) {
  if (!S.session || !S.window) return;
  if (queueInFlight) { queueAgain = true; return; }
  clearTimeout(queueTimer);
  const wait = now ? 0 : Math.max(150, 1000 - (Date.now() - queueLast));
  queueTimer = setTimeout(fetchQueue, wait);
}
async function fetchQueue() {
  queueInFlight = true;
  queueLast = Date.now();
  const w = S.window;
  const r = await api('GET', `/api/windows/${w}/queue`, { token: S.session && S.session.token });
  queueInFlight = false;
  if (w !== S.window) return refreshQueue(true);
  if (r.ok) {
    const total = Object.values(r.data.counts || {}).reduce((a, b) => a + b, 0);
    S.queue = { queue: r.data.queue || [], counts: r.data.counts || {}, total, at: serverNow() };
    S.queueError = null;
  } else if (r.status === 401) {
    needLogin(r.error);
  } else {
    S.queue = null;
    S.queueError = r.error;
  }
  render();
  if (queueAgain) { queueAgain = false; refreshQueue(); }
}
setInterval(() => { if (S.synced && !$('console').hidden) refreshQueue(); }, 20000);

// ---- Commands --------------------------------------------------------------------------------

const ACTIONS = ['call-next', 'recall', 'no-show', 'start', 'complete', 'transfer', 'hold', 'pause', 'resume', 'callback', 'request-rating'];

function myWindow() { return S.windows.get(S.window); }
function currentTicket() { const w = myWindow(); return w && w.currentId ? S.tickets.get(w.currentId) : null; }

function canDo(action) {
  const w = myWindow();
  if (!S.synced || S.busy || S.relogin || !w) return false;
  const cur = currentTicket();
  switch (action) {
    case 'call-next': { const Q = visibleQueue(); return w.state === 'open' && !w.currentId && !(Q && Q.total === 0); }
    case 'recall': case 'no-show': case 'start': return !!cur && cur.state === 'called';
    case 'complete': case 'transfer': case 'hold': return !!cur && cur.state === 'serving';
    case 'pause': return w.state === 'open';
    case 'resume': return w.state !== 'open';
    case 'callback': return w.held.length > 0;
    case 'request-rating': { const d = S.lastDone.get(S.window); return !!d && !d.rated; }
    default: return false;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function act(action, fields = {}) {
  if (!ACTIONS.includes(action) || !canDo(action)) return;
  const key = `${S.window}/${action}/${JSON.stringify(fields)}`;
  // A press that never got an answer is retried with its own id, so the server answers it
  // once; a press after any real answer is a new press with a new id.
  const id = S.unanswered && S.unanswered.key === key ? S.unanswered.id : newRequestId('w' + S.window);
  S.busy = action;
  setMessage('');
  render();
  const path = `/api/windows/${S.window}/${action}`;
  let r;
  for (let attempt = 0; ; attempt++) {
    r = await api('POST', path, { token: S.session.token, body: { ...fields, request_id: id }, timeoutMs: 6000 });
    const retryable = r.status === 0 || r.status === 503 || r.status === 429;
    if (!retryable || attempt >= 2) break;
    setMessage(t('retrying'), 'error');
    await sleep(800 * (attempt + 1));
  }
  S.busy = null;
  if (r.status === 0 || r.status === 503) {
    S.unanswered = { key, id };
    setMessage(`${errorText(r.error)} · ${t('unanswered')}`, 'error');
  } else {
    S.unanswered = null;
    if (r.ok && action === 'request-rating') {
      setMessage(t('done.request-rating', { n: r.data.number }), 'ok');
    } else if (r.ok) {
      applyResult(action, r.data);
      const num = r.data.ticket ? r.data.ticket.number : '';
      const queued = action === 'callback' && r.data.called === false;
      setMessage(t(queued ? 'done.callback.queued' : 'done.' + action, { n: num }), 'ok');
    } else if (r.status === 401) {
      needLogin(r.error);
    } else {
      setMessage(errorText(r.error), 'error');
    }
  }
  render();
}

// The answer may arrive before or after the event that reports the same change. Apply it only
// when its event has not come yet (its seq) and its ticket is newer than the events gave
// (history only grows), so a late answer never rolls the screen back.
function applyResult(action, data) {
  const w = myWindow();
  if (!w || !S.answers.answered(S.window, data.seq, S.seq.seq)) return;
  if (data.ticket) {
    const known = S.tickets.get(data.ticket.id);
    const newer = !known || (data.ticket.history || []).length > (known.history || []).length;
    if (!newer) return;
    S.tickets.set(data.ticket.id, data.ticket);
    const tk = data.ticket;
    if ((tk.state === 'called' || tk.state === 'serving') && tk.window === S.window) w.currentId = tk.id;
    else if (w.currentId === tk.id) w.currentId = '';
    if (tk.state === 'held' && !w.held.includes(tk.id)) w.held.push(tk.id);
    if (action === 'callback') w.held = w.held.filter((x) => x !== tk.id);
  } else if (data.state && data.window === S.window) {
    w.state = data.state;
  }
}

// ---- Transfer dialog -------------------------------------------------------------------------

function openTransfer() {
  if (!canDo('transfer')) return;
  const cur = currentTicket();
  const svc = $('trService');
  svc.replaceChildren(...[...S.services.values()].map((s) =>
    el('option', { value: s.code, text: `${s.code} · ${nameOf(s.name)}` })));
  const other = [...S.services.keys()].find((c) => c !== cur.service);
  if (other) svc.value = other;
  const win = $('trWindow');
  win.replaceChildren(...[...S.windows.values()].filter((w) => w.number !== S.window).map((w) =>
    el('option', { value: String(w.number), disabled: w.state === 'closed', text: `${windowName(w.name, w.number)} · ${t('win.' + w.state)}` })));
  $('trReturn').checked = false;
  $('trNote').value = '';
  document.querySelector('input[name=trKind][value=service]').checked = true;
  $('transferDialog').showModal();
  svc.focus();
}
$('trService').addEventListener('change', () => { document.querySelector('input[name=trKind][value=service]').checked = true; });
$('trWindow').addEventListener('change', () => { document.querySelector('input[name=trKind][value=window]').checked = true; });
$('trCancel').addEventListener('click', () => $('transferDialog').close());
$('transferForm').addEventListener('submit', (e) => {
  e.preventDefault();
  const kind = document.querySelector('input[name=trKind]:checked').value;
  const fields = kind === 'service' ? { to_service: $('trService').value } : { to_window: Number($('trWindow').value) };
  fields.return = $('trReturn').checked;
  const note = $('trNote').value.trim();
  if (note) fields.note = note;
  $('transferDialog').close();
  act('transfer', fields);
});

// ---- Buttons and hotkeys ---------------------------------------------------------------------

function press(action) {
  if (action === 'transfer') return openTransfer();
  if (action === 'pause') {
    const w = myWindow();
    return act(w && w.state !== 'open' ? 'resume' : 'pause');
  }
  if (action === 'callback') {
    const w = myWindow();
    if (!w || !w.held.length) return;
    return act('callback', { number: heldNumber(w.held[0]) });
  }
  return act(action);
}

document.getElementById('actions').addEventListener('click', (e) => {
  const b = e.target.closest('button[data-action]');
  if (b && !b.disabled) press(b.dataset.action);
});

const KEYS = {
  n: 'call-next', 1: 'call-next', r: 'recall', 2: 'recall', x: 'no-show', 3: 'no-show', s: 'start', 4: 'start',
  d: 'complete', 5: 'complete', t: 'transfer', 6: 'transfer', h: 'hold', 7: 'hold', p: 'pause', 8: 'pause', b: 'callback', 9: 'callback',
};
document.addEventListener('keydown', (e) => {
  if (e.repeat || e.ctrlKey || e.altKey || e.metaKey) return;
  if ($('console').hidden || document.querySelector('dialog[open]')) return;
  const tag = (e.target && e.target.tagName) || '';
  if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA') return;
  const action = KEYS[e.key.toLowerCase()];
  if (!action) return;
  e.preventDefault();
  press(action);
});

// ---- Rendering -------------------------------------------------------------------------------

let message = { text: '', kind: '' };
function setMessage(text, kind = '') { message = { text, kind }; renderMessage(); }
function renderMessage() {
  const m = $('message');
  m.textContent = message.text;
  m.className = 'message ' + (message.kind === 'ok' ? 'ok' : message.kind === 'error' ? 'error' : '');
}

function heldNumber(id) {
  const tk = S.tickets.get(id);
  return tk ? tk.number : id.startsWith('num:') ? id.slice(4) : id;
}

function serviceName(code) {
  const s = S.services.get(code);
  return s ? `${code} · ${nameOf(s.name)}` : code;
}

function reasonName(code) {
  const k = 'reason.' + code;
  const v = t(k);
  return v === k ? code : v;
}

function render() {
  if ($('console').hidden) return;
  const w = myWindow();
  $('winTitle').textContent = w ? windowName(w.name, w.number) : t('window.n', { n: S.window });
  const ws = $('winState');
  ws.textContent = w ? t('win.' + w.state) : '';
  ws.className = 'pill ' + (w ? w.state : '');
  renderBanner();
  renderCurrent();
  renderActions();
  renderTotals();
  renderHeld();
  renderQueue();
  renderMessage();
}

function renderBanner() {
  const b = $('banner');
  const down = !S.synced;
  b.hidden = !down;
  if (!down) return;
  if (S.relogin) {
    $('bannerText').textContent = t('conn.relogin');
    $('bannerSub').textContent = '';
  } else if (!live.ws || live.ws.readyState !== WebSocket.OPEN) {
    $('bannerText').textContent = t('conn.down');
    const s = Math.max(0, Math.ceil((S.retryAt - Date.now()) / 1000));
    $('bannerSub').textContent = S.retryAt ? t('conn.retry_in', { s }) : '';
  } else {
    $('bannerText').textContent = t('conn.syncing');
    $('bannerSub').textContent = '';
  }
}

function renderCurrent() {
  const cur = currentTicket();
  $('curEmpty').hidden = !!cur;
  $('curBox').hidden = !cur;
  if (!cur) { renderAlerts(null); return; }
  $('curNumber').textContent = cur.number;
  $('curService').textContent = serviceName(cur.service);
  const cls = $('curClass');
  cls.textContent = t('class.' + cur.class) + (cur.priority_reason ? ` · ${reasonName(cur.priority_reason)}` : '');
  cls.className = 'pill ' + cur.class;
  const st = $('curState');
  st.textContent = t('state.' + cur.state);
  st.className = 'pill ' + (cur.state === 'serving' ? 'ok' : 'warn');
  $('curRecalls').textContent = cur.recalls ? t('current.recalls', { n: cur.recalls }) : '';
  const hist = $('curHistory');
  hist.replaceChildren(...(cur.history || []).map((h) => {
    const bits = [clock(h.at), t('step.' + h.step)];
    if (h.window) bits.push(t('window.n', { n: h.window }));
    if (h.step === 'transferred' && h.service) bits.push('→ ' + serviceName(h.service));
    if (h.clerk) bits.push(h.clerk);
    if (h.note) bits.push(`“${h.note}”`);
    return el('li', { text: bits.join(' ') });
  }));
  renderTimes();
}

// Waited: from joining this line (queued_at) to the call, or until now while not yet called
// here. Served: from start, while serving.
function renderTimes() {
  const cur = currentTicket();
  if (!cur) return;
  const now = serverNow();
  const calledHere = lastStepAt(cur, 'called');
  const waitedEnd = calledHere && calledHere >= cur.queued_at ? calledHere : now;
  $('curWaited').textContent = duration(waitedEnd - cur.queued_at);
  const serving = cur.state === 'serving' && cur.started_at;
  $('curServedWrap').hidden = !serving;
  if (serving) $('curServed').textContent = duration(now - lastStepAt(cur, 'started', cur.started_at));
  renderAlerts(cur);
}

function lastStepAt(tk, step, fallback = 0) {
  const h = tk.history || [];
  for (let i = h.length - 1; i >= 0; i--) if (h[i].step === step) return h[i].at;
  return fallback;
}

// Limits appear only when the server sends them with the services (service_limit_min,
// wait_limit_min); until then there is nothing to compare against.
function renderAlerts(cur) {
  const box = $('alerts');
  const out = [];
  const now = serverNow();
  if (cur && cur.state === 'serving') {
    const s = S.services.get(cur.service);
    const limit = s && s.service_limit_min;
    const m = Math.floor((now - lastStepAt(cur, 'started', cur.started_at)) / 60000);
    if (limit && m >= limit) out.push(t('alert.service', { n: cur.number, m, l: limit }));
  }
  if (S.queue) {
    let count = 0, longest = 0;
    for (const q of S.queue.queue) {
      const s = S.services.get(q.service);
      const limit = s && s.wait_limit_min;
      const m = Math.floor((now - q.queued_at) / 60000);
      if (limit && m >= limit) { count++; longest = Math.max(longest, m); }
    }
    if (count) out.push(t('alert.wait', { c: count, m: longest }));
  }
  // The server's alerts (超时预警): this window's, and waits in the lines it calls from.
  const w = myWindow();
  for (const a of S.alerts.values()) {
    const here = a.window === S.window || (a.kind === 'wait' && !a.window && w && w.services.includes(a.service));
    if (!here) continue;
    const m = Math.floor((now - a.since) / 60000);
    out.push(t('alert.srv.' + a.kind, { n: a.number || '', m }));
  }
  const text = out.join('\n');
  if (box.dataset.text === text) return;
  box.dataset.text = text;
  box.replaceChildren(...out.map((x) => el('div', { class: 'alert', role: 'alert', text: x })));
}

function renderActions() {
  const w = myWindow();
  const paused = w && w.state !== 'open';
  $('pauseLabel').textContent = t(paused ? 'a.resume' : 'a.pause');
  document.querySelectorAll('#actions button[data-action]').forEach((b) => {
    let a = b.dataset.action;
    if (a === 'pause') a = paused ? 'resume' : 'pause';
    if (a === 'transfer') b.disabled = !canDo('transfer');
    else b.disabled = !canDo(a);
    b.classList.toggle('busy', S.busy === a);
    b.setAttribute('aria-busy', String(S.busy === a));
  });
}

function renderTotals() {
  const w = myWindow();
  $('totServed').textContent = w ? w.served_today : 0;
  const Q = visibleQueue();
  $('totWaiting').textContent = Q ? Q.total : '–';
  $('totHeld').textContent = w ? w.held.length : 0;
}

function renderHeld() {
  const w = myWindow();
  const box = $('heldList');
  if (!w || !w.held.length) {
    box.replaceChildren(el('span', { class: 'note', text: t('held.none') }));
    return;
  }
  box.replaceChildren(...w.held.map((id) => {
    const tk = S.tickets.get(id);
    const num = heldNumber(id);
    const heldAt = tk ? lastStepAt(tk, 'held') : 0;
    return el('div', { class: 'item' },
      el('span', {}, el('b', { class: 'num', text: num }), ' ',
        el('span', { class: 'note', text: [tk ? serviceName(tk.service) : '', heldAt ? t('held.since', { t: clock(heldAt) }) : ''].filter(Boolean).join(' · ') })),
      el('button', {
        type: 'button', class: 'btn', disabled: !canDo('callback'), dataset: { callback: num },
        onclick: () => act('callback', { number: num }),
      }, t('a.callback')));
  }));
}

// The fetched line can be up to a second older than the events: drop the tickets that events
// have since shown leaving it (called here or elsewhere, cancelled), so nobody appears twice.
function visibleQueue() {
  if (!S.queue) return null;
  const gone = new Set();
  for (const tk of S.tickets.values()) if (tk.state !== 'waiting') gone.add(tk.number);
  const queue = S.queue.queue.filter((q) => !gone.has(q.number));
  const counts = { ...S.queue.counts };
  for (const q of S.queue.queue) if (gone.has(q.number) && counts[q.service] > 0) counts[q.service]--;
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return { queue, counts, total };
}

function renderQueue() {
  const counts = $('queueCounts');
  const body = $('queueBody');
  $('queueError').textContent = S.queueError ? errorText(S.queueError) : '';
  const Q = visibleQueue();
  if (!Q) { counts.replaceChildren(); body.replaceChildren(); return; }
  counts.replaceChildren(...Object.entries(Q.counts).map(([code, n]) =>
    el('span', { class: 'pill' + (n ? ' warn' : ''), text: `${serviceName(code)}: ${n}` })));
  if (!Q.queue.length) {
    body.replaceChildren(el('tr', {}, el('td', { colspan: '4', class: 'note', text: t('queue.empty') })));
    return;
  }
  const now = serverNow();
  body.replaceChildren(...Q.queue.map((q) => el('tr', { dataset: { queued: String(q.queued_at) } },
    el('td', {}, el('b', { class: 'num', text: q.number })),
    el('td', { text: serviceName(q.service) }),
    el('td', {}, el('span', { class: 'pill ' + q.class, text: t('class.' + q.class) }),
      q.tier === 0 ? el('span', { class: 'note', text: ' ' + t('queue.targeted') }) : null,
      q.tier === 1 ? el('span', { class: 'note', text: ' ' + t('queue.aged') }) : null),
    el('td', { class: 'r num', text: duration(now - q.queued_at) }))));
}

setInterval(() => {
  if ($('console').hidden) return;
  renderTimes();
  renderBanner();
  const now = serverNow();
  document.querySelectorAll('#queueBody tr[data-queued]').forEach((tr) => {
    tr.lastElementChild.textContent = duration(now - Number(tr.dataset.queued));
  });
}, 1000);

// ---- Start -----------------------------------------------------------------------------------

onLangChange(() => { render(); });
initLang('zh-CN');
if (!S.session || (S.session.expires_at && S.session.expires_at < Date.now())) {
  S.session = null;
  saveSession(SESSION_KEY, null);
  show('login');
} else if (S.window) {
  enterConsole(S.window);
} else {
  showPicker();
}
