// The visitor's ticket page (/t/{id}): the number, how many are ahead, the estimated wait, and
// once called, which window to go to, with vibration and a chime where the phone allows. Live
// over the WebSocket ({"type":"hello","ticket":id}); polls GET /api/tickets/{id} every 5 s when
// the socket fails. It only ever asks about this one ticket.
import { addStrings, initLang, onLangChange, t, nameOf, windowName, clock, api, newRequestId, LiveSocket } from '/common.js';

// 好差评: the visitor rates a finished visit once, from 5 非常满意 to 1 非常不满意.
addStrings({
  'zh-CN': { 'rate.ask': '请您对本次服务作出评价', 'rate.5': '非常满意', 'rate.4': '满意', 'rate.3': '基本满意',
    'rate.2': '不满意', 'rate.1': '非常不满意', 'rate.done': '您的评价：{l}。感谢您的反馈！',
    'rate.bad': '我们会在规定时限内回访并整改。', 'rate.failed': '评价未能提交：{e}' },
  'zh-TW': { 'rate.ask': '請您對本次服務作出評價', 'rate.5': '非常滿意', 'rate.4': '滿意', 'rate.3': '基本滿意',
    'rate.2': '不滿意', 'rate.1': '非常不滿意', 'rate.done': '您的評價：{l}。感謝您的回饋！',
    'rate.bad': '我們會在規定時限內回訪並改善。', 'rate.failed': '評價未能送出：{e}' },
  'en': { 'rate.ask': 'Please rate the service you received', 'rate.5': 'Very satisfied', 'rate.4': 'Satisfied',
    'rate.3': 'Fairly satisfied', 'rate.2': 'Dissatisfied', 'rate.1': 'Very dissatisfied',
    'rate.done': 'Your rating: {l}. Thank you!', 'rate.bad': 'We will call you back and put it right.',
    'rate.failed': 'The rating was not sent: {e}' },
});

addStrings({
  'zh-CN': {
    'page.title': '我的号票 · HallQ', title: '我的号票', loading: '正在读取…', privacy: '本页只显示您自己的号票',
    'alerts.enable': '开启声音和振动提醒', 'alerts.on': '叫号时会响铃并振动',
    'st.waiting': '请耐心等候', 'st.called': '轮到您了！', 'st.serving': '正在办理', 'st.held': '已挂起',
    'ahead': '前面还有 {n} 人', 'ahead.zero': '下一位就是您', 'eta': '预计等候约 {m} 分钟', 'eta.soon': '即将叫到您，请留意',
    'go.lead': '请到', 'go.tail': '办理', 'serving.at': '正在 {w} 办理',
    'held': '工作人员已将您挂起，请准备好材料后等候回呼', 'done': '已办结，感谢您的耐心', 'no_show': '已过号。如需办理请重新取号或咨询工作人员',
    'cancelled': '此号已取消', 'expired': '此号已过期（不是今天的号）', 'notfound': '找不到这张号票：可能不是今天的号，或链接不完整',
    'mode.live': '实时更新 · {t}', 'mode.poll': '每 5 秒刷新 · {t}', 'mode.connecting': '正在连接…', 'mode.offline': '暂时无法连接，正在重试',
    'title.called': '请到{w} · {n}', 'class.priority': '优先', 'class.appointment': '预约',
  },
  'zh-TW': {
    'page.title': '我的號票 · HallQ', title: '我的號票', loading: '正在讀取…', privacy: '本頁只顯示您自己的號票',
    'alerts.enable': '開啟聲音和震動提醒', 'alerts.on': '叫號時會響鈴並震動',
    'st.waiting': '請耐心等候', 'st.called': '輪到您了！', 'st.serving': '正在辦理', 'st.held': '已掛起',
    'ahead': '前面還有 {n} 人', 'ahead.zero': '下一位就是您', 'eta': '預計等候約 {m} 分鐘', 'eta.soon': '即將叫到您，請留意',
    'go.lead': '請到', 'go.tail': '辦理', 'serving.at': '正在 {w} 辦理',
    'held': '工作人員已將您掛起，請準備好資料後等候回呼', 'done': '已辦結，感謝您的耐心', 'no_show': '已過號。如需辦理請重新取號或洽詢工作人員',
    'cancelled': '此號已取消', 'expired': '此號已過期（不是今天的號）', 'notfound': '找不到這張號票：可能不是今天的號，或連結不完整',
    'mode.live': '即時更新 · {t}', 'mode.poll': '每 5 秒更新 · {t}', 'mode.connecting': '正在連線…', 'mode.offline': '暫時無法連線，正在重試',
    'title.called': '請到{w} · {n}', 'class.priority': '優先', 'class.appointment': '預約',
  },
  en: {
    'page.title': 'My ticket · HallQ', title: 'My ticket', loading: 'Loading…', privacy: 'This page shows your own ticket only',
    'alerts.enable': 'Turn on sound and vibration', 'alerts.on': 'Your phone will ring and vibrate when you are called',
    'st.waiting': 'Please wait', 'st.called': 'It is your turn!', 'st.serving': 'Being served', 'st.held': 'On hold',
    'ahead': '{n} ahead of you', 'ahead.zero': 'You are next', 'eta': 'About {m} min', 'eta.soon': 'Any moment now',
    'go.lead': 'Please go to', 'go.tail': '', 'serving.at': 'Being served at {w}',
    'held': 'You are on hold: get your documents ready and wait to be called back', 'done': 'Done. Thank you for waiting',
    'no_show': 'Missed call. Take a new ticket or ask the staff', 'cancelled': 'This ticket was cancelled',
    'expired': 'This ticket has expired (it is not from today)', 'notfound': 'Ticket not found: it may not be from today, or the link is incomplete',
    'mode.live': 'Live · {t}', 'mode.poll': 'Refreshing every 5 s · {t}', 'mode.connecting': 'Connecting…', 'mode.offline': 'Cannot connect right now, retrying',
    'title.called': 'Go to {w} · {n}', 'class.priority': 'Priority', 'class.appointment': 'Appointment',
  },
});

const $ = (id) => document.getElementById(id);
const FINAL = ['done', 'no_show', 'cancelled'];

function ticketId() {
  const m = location.pathname.match(/^\/t\/([^/?#]+)/);
  const id = m ? decodeURIComponent(m[1]) : new URLSearchParams(location.search).get('id') || '';
  return /^[A-Za-z0-9_-]{8,64}$/.test(id) ? id : '';
}

const id = ticketId();
let view = null;
let notFound = !id;
let mode = 'connecting';
let updatedAt = 0;
let pollTimer = null;
let finished = false;

// ---- Alerts on the call ----------------------------------------------------------------------

let audio = null;
function unlockAlerts() {
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    audio.resume();
  } catch { audio = null; }
  if (navigator.vibrate) navigator.vibrate(60);
  $('alertsBtn').textContent = t('alerts.on');
  $('alertsBtn').disabled = true;
}
$('alertsBtn').addEventListener('click', unlockAlerts);

function chime() {
  if (!audio || audio.state !== 'running') return;
  // Two soft tones, like a hall chime: no sound file needed.
  const now = audio.currentTime;
  [[880, 0], [660, 0.32]].forEach(([f, at]) => {
    const o = audio.createOscillator(), g = audio.createGain();
    o.type = 'sine'; o.frequency.value = f;
    g.gain.setValueAtTime(0.0001, now + at);
    g.gain.exponentialRampToValueAtTime(0.35, now + at + 0.03);
    g.gain.exponentialRampToValueAtTime(0.0001, now + at + 0.6);
    o.connect(g).connect(audio.destination);
    o.start(now + at); o.stop(now + at + 0.65);
  });
}

function alertCall() {
  try { if (navigator.vibrate) navigator.vibrate([400, 150, 400, 150, 400]); } catch { /* not allowed yet */ }
  chime();
  const go = $('goBox');
  go.classList.remove('flash');
  void go.offsetWidth;  // restart the animation
  go.classList.add('flash');
}

// ---- Updates ---------------------------------------------------------------------------------

function apply(v) {
  const before = view;
  view = v;
  notFound = false;
  updatedAt = Date.now();
  const tk = v.ticket;
  const wasCalled = before && before.ticket.state === 'called';
  const recalled = before && tk.state === 'called' && (tk.recalls || 0) > (before.ticket.recalls || 0);
  if (tk.state === 'called' && (!wasCalled || recalled)) { render(); alertCall(); } else render();
  if (FINAL.includes(tk.state)) finish();
}

function finish() {
  // Nothing more will happen to this ticket: stop asking.
  finished = true;
  live.stop();
  clearInterval(pollTimer);
  pollTimer = null;
}

async function pollOnce() {
  if (!id || finished) return;
  const r = await api('GET', `/api/tickets/${encodeURIComponent(id)}`, { timeoutMs: 8000 });
  if (r.ok) { if (mode !== 'live') apply(r.data); }  // the socket's view is never older
  else if (r.status === 404) { notFound = true; finish(); render(); }
  else renderMode();
}

function startPolling() {
  if (pollTimer || finished) return;
  pollTimer = setInterval(pollOnce, 5000);
}
function stopPolling() { clearInterval(pollTimer); pollTimer = null; }

const live = new LiveSocket({
  hello: () => ({ type: 'hello', ticket: id }),
  onMessage: (m) => {
    if (m.type === 'ticket_view') {
      mode = 'live';
      stopPolling();
      live.healthy();
      const { type, ...body } = m;
      apply(body);
    } else if (m.type === 'error') {
      if (m.error && m.error.code === 'not_found') { notFound = true; finish(); render(); return; }
      // A server without ticket hellos, or another refusal: polling does the job.
      live.stop();
      mode = 'poll';
      startPolling();
      renderMode();
    }
  },
  onStatus: ({ up }) => {
    if (!up && !finished) { mode = 'poll'; startPolling(); pollOnce(); renderMode(); }
  },
});

document.addEventListener('visibilitychange', () => { if (!document.hidden && mode !== 'live') pollOnce(); });

// ---- Rendering -------------------------------------------------------------------------------

// ---- Rating ----------------------------------------------------------------------------------

let rating = false;  // a request is on its way
let rateError = '';
async function rate(level) {
  if (rating || !view || view.ticket.rating) return;
  rating = true;
  rateError = '';
  renderRating();
  const r = await api('POST', `/api/tickets/${encodeURIComponent(id)}/rating`,
    { body: { level, request_id: newRequestId('rate') } });
  rating = false;
  if (r.ok) {
    view.ticket.rating = r.data.rating;
  } else if (r.error.code === 'already_rated') {
    // Rated elsewhere (the evaluator at the window): show what the server has.
    const v = await api('GET', `/api/tickets/${encodeURIComponent(id)}`);
    if (v.ok) view = v.data;
  } else {
    rateError = r.error.message || r.error.code;
  }
  renderRating();
}

function renderRating() {
  const box = $('rateBox');
  const tk = view && !notFound ? view.ticket : null;
  box.hidden = !tk || tk.state !== 'done';
  if (box.hidden) return;
  const levels = $('levels');
  levels.replaceChildren();
  if (tk.rating) {
    $('rateAsk').textContent = '';
    $('rateMsg').textContent = t('rate.done', { l: t('rate.' + tk.rating.level) }) +
      (tk.rating.level <= 2 ? ' ' + t('rate.bad') : '');
    return;
  }
  $('rateAsk').textContent = t('rate.ask');
  for (const level of [5, 4, 3, 2, 1]) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'btn level';
    b.dataset.level = String(level);
    b.textContent = t('rate.' + level);
    b.disabled = rating;
    b.addEventListener('click', () => rate(level));
    levels.append(b);
  }
  $('rateMsg').textContent = rateError ? t('rate.failed', { e: rateError }) : '';
}

function winLabel() {
  return view && view.ticket.window ? windowName(view.window_name, view.ticket.window) : '';
}

function render() {
  const has = !!view && !notFound;
  $('waitBox').hidden = true;
  $('goBox').hidden = true;
  $('final').hidden = true;
  if (notFound) {
    $('rateBox').hidden = true;
    $('number').textContent = '—';
    $('service').textContent = '';
    $('state').textContent = '';
    $('final').hidden = false;
    $('final').textContent = t('notfound');
    document.title = t('page.title');
    renderMode();
    return;
  }
  if (!has) { renderMode(); return; }
  const tk = view.ticket;
  $('number').textContent = tk.number;
  const cls = tk.class && tk.class !== 'normal' ? ` · ${t('class.' + tk.class)}` : '';
  $('service').textContent = nameOf(view.service_name) + cls;
  const st = $('state');
  st.textContent = ['waiting', 'called', 'serving', 'held'].includes(tk.state) ? t('st.' + tk.state) : '';
  document.title = t('page.title');
  if (tk.state === 'waiting') {
    $('waitBox').hidden = false;
    const n = view.ahead ?? 0;
    $('ahead').replaceChildren();
    if (n === 0) $('ahead').textContent = t('ahead.zero');
    else {
      const [pre, post] = t('ahead').split('{n}');
      $('ahead').append(pre, Object.assign(document.createElement('b'), { className: 'num', textContent: String(n) }), post);
    }
    const s = view.estimated_wait_s;
    $('eta').textContent = s == null ? '' : s < 60 ? t('eta.soon') : t('eta', { m: Math.ceil(s / 60) });
  } else if (tk.state === 'called') {
    $('goBox').hidden = false;
    $('goLead').textContent = t('go.lead');
    $('goWindow').textContent = winLabel();
    $('goTail').textContent = t('go.tail');
    document.title = t('title.called', { w: winLabel(), n: tk.number });
  } else if (tk.state === 'serving') {
    $('final').hidden = false;
    $('final').textContent = t('serving.at', { w: winLabel() });
  } else {
    $('final').hidden = false;
    const expired = tk.state === 'cancelled' && tk.history && tk.history.some((h) => h.step === 'expired');
    $('final').textContent = t(tk.state === 'held' ? 'held' : expired ? 'expired' : tk.state);
  }
  renderRating();
  renderMode();
}

function renderMode() {
  const m = $('mode');
  m.dataset.mode = finished ? 'finished' : mode;
  const at = updatedAt ? clock(updatedAt) : '';
  if (finished) m.textContent = at;
  else if (mode === 'live') m.textContent = t('mode.live', { t: at });
  else if (mode === 'poll') m.textContent = updatedAt ? t('mode.poll', { t: at }) : t('mode.offline');
  else m.textContent = t('mode.connecting');
}

onLangChange(() => render());
initLang('browser');
if (!id) render();
else {
  pollOnce();   // first paint does not wait for the socket
  live.start();
}
