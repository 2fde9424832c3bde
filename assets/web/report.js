// Reports from the event log (GET /api/reports/summary and /ranking, admins only): the reports
// panel of the dashboard (mountReportsPanel) and the printable daily report page (/report?day=).
// Figures are the server's; this module only lays them out. Definitions: docs/reports.md.
import { addStrings, initLang, onLangChange, t, el, errorText, api, loadSession, duration } from '/common.js';

addStrings({
  'zh-CN': {
    'rp.title': '统计报表', 'rp.from': '从', 'rp.to': '到', 'rp.by': '分组', 'rp.run': '查询',
    'rp.by.service': '按业务', 'rp.by.window': '按窗口', 'rp.by.clerk': '按工作人员', 'rp.by.department': '按部门',
    'rp.csv': '下载 CSV', 'rp.print': '打印日报', 'rp.busy': '正在统计…', 'rp.none': '（无）', 'rp.total': '合计',
    'rp.group': '分组', 'rp.done': '办结', 'rp.noShow': '过号', 'rp.cancelled': '取消', 'rp.expired': '过期',
    'rp.transfers': '转移', 'rp.wait': '等候 均值 / P50 / P90', 'rp.service': '办理 均值 / P50 / P90',
    'rp.rated': '评价数', 'rp.sat': '满意率', 'rp.overdue': '超时 等候 / 办理 / 空闲',
    'rp.appt': '预约 到场 / 失约 / 取消 / 待到', 'rp.kAppt': '预约到场 / 预约数',
    'rp.chart': '各业务办结量与等候 P90', 'rp.chDone': '办结（左轴，件）', 'rp.chP90': '等候 P90（右轴，分钟）',
    'rp.model': '示范窗口', 'rp.star': '服务标兵', 'rp.noRank': '暂无（办结不足 {n} 件）', 'rp.score': '{s} 分',
    'rp.asOf': '截至事件 #{seq}', 'rp.defs': '等候 = 取号到首次叫号；办理 = 最后一次开始办理到办结；P50/P90 为最近秩百分位，精确到毫秒；满意率 = （非常满意 + 满意）/ 全部评价。',
    'rp.formula': '评分 = 100 ×（{v}×办结量/最大办结量 + {s}×满意率 + {o}×（1−超时占比）+ {n}×（1−过号占比））/ {sum}',
    'rp.page': '日报', 'rp.day': '营业日', 'rp.back': '返回大厅管理', 'rp.printBtn': '打印 / 存为 PDF',
    'rp.login': '请先在大厅管理页面以管理员身份登录，再打开日报。', 'rp.generated': '生成于 {t}',
    'rp.kDone': '办结', 'rp.kNoShow': '过号', 'rp.kTransfers': '转移', 'rp.kSat': '满意率', 'rp.kWait': '等候 P50 / P90',
    'rp.kService': '办理 P50 / P90', 'rp.kOverdue': '超时预警', 'rp.byService': '按业务', 'rp.byWindow': '按窗口',
    'rp.byClerk': '按工作人员', 'rp.ranking': '评比', 'rp.badDay': '日期不对：{d}（应为 YYYY-MM-DD）',
  },
  'zh-TW': {
    'rp.title': '統計報表', 'rp.from': '從', 'rp.to': '到', 'rp.by': '分組', 'rp.run': '查詢',
    'rp.by.service': '按業務', 'rp.by.window': '按窗口', 'rp.by.clerk': '按工作人員', 'rp.by.department': '按部門',
    'rp.csv': '下載 CSV', 'rp.print': '列印日報', 'rp.busy': '正在統計…', 'rp.none': '（無）', 'rp.total': '合計',
    'rp.group': '分組', 'rp.done': '辦結', 'rp.noShow': '過號', 'rp.cancelled': '取消', 'rp.expired': '過期',
    'rp.transfers': '轉移', 'rp.wait': '等候 平均 / P50 / P90', 'rp.service': '辦理 平均 / P50 / P90',
    'rp.rated': '評價數', 'rp.sat': '滿意率', 'rp.overdue': '逾時 等候 / 辦理 / 閒置',
    'rp.appt': '預約 到場 / 失約 / 取消 / 待到', 'rp.kAppt': '預約到場 / 預約數',
    'rp.chart': '各業務辦結量與等候 P90', 'rp.chDone': '辦結（左軸，件）', 'rp.chP90': '等候 P90（右軸，分鐘）',
    'rp.model': '示範窗口', 'rp.star': '服務標兵', 'rp.noRank': '暫無（辦結不足 {n} 件）', 'rp.score': '{s} 分',
    'rp.asOf': '截至事件 #{seq}', 'rp.defs': '等候 = 取號到首次叫號；辦理 = 最後一次開始辦理到辦結；P50/P90 為最近秩百分位，精確到毫秒；滿意率 = （非常滿意 + 滿意）/ 全部評價。',
    'rp.formula': '評分 = 100 ×（{v}×辦結量/最大辦結量 + {s}×滿意率 + {o}×（1−逾時占比）+ {n}×（1−過號占比））/ {sum}',
    'rp.page': '日報', 'rp.day': '營業日', 'rp.back': '返回大廳管理', 'rp.printBtn': '列印 / 存為 PDF',
    'rp.login': '請先在大廳管理頁面以管理員身分登入，再開啟日報。', 'rp.generated': '產生於 {t}',
    'rp.kDone': '辦結', 'rp.kNoShow': '過號', 'rp.kTransfers': '轉移', 'rp.kSat': '滿意率', 'rp.kWait': '等候 P50 / P90',
    'rp.kService': '辦理 P50 / P90', 'rp.kOverdue': '逾時預警', 'rp.byService': '按業務', 'rp.byWindow': '按窗口',
    'rp.byClerk': '按工作人員', 'rp.ranking': '評比', 'rp.badDay': '日期不對：{d}（應為 YYYY-MM-DD）',
  },
  en: {
    'rp.title': 'Reports', 'rp.from': 'From', 'rp.to': 'to', 'rp.by': 'Group', 'rp.run': 'Show',
    'rp.by.service': 'by service', 'rp.by.window': 'by window', 'rp.by.clerk': 'by clerk', 'rp.by.department': 'by department',
    'rp.csv': 'Download CSV', 'rp.print': 'Printable daily report', 'rp.busy': 'Counting…', 'rp.none': '(none)', 'rp.total': 'Total',
    'rp.group': 'Group', 'rp.done': 'Done', 'rp.noShow': 'No-show', 'rp.cancelled': 'Cancelled', 'rp.expired': 'Expired',
    'rp.transfers': 'Transfers', 'rp.wait': 'Wait mean / p50 / p90', 'rp.service': 'Service mean / p50 / p90',
    'rp.rated': 'Ratings', 'rp.sat': 'Satisfied', 'rp.overdue': 'Overdue wait / service / idle',
    'rp.appt': 'Appointments came / missed / cancelled / due', 'rp.kAppt': 'Appointments came / booked',
    'rp.chart': 'Visits done and wait p90 by service', 'rp.chDone': 'done (left axis)', 'rp.chP90': 'wait p90 (right axis, min)',
    'rp.model': 'Model window', 'rp.star': 'Service star', 'rp.noRank': 'none yet (fewer than {n} visits done)', 'rp.score': 'score {s}',
    'rp.asOf': 'as of event #{seq}', 'rp.defs': 'Wait = ticket issued to first call; service = last start to completion; p50/p90 are nearest-rank percentiles, exact to the millisecond; satisfied = (very satisfied + satisfied) / all ratings.',
    'rp.formula': 'score = 100 × ({v}×done/most done + {s}×satisfied + {o}×(1 − overdue share) + {n}×(1 − no-show share)) / {sum}',
    'rp.page': 'Daily report', 'rp.day': 'Business day', 'rp.back': 'Back to the dashboard', 'rp.printBtn': 'Print / save as PDF',
    'rp.login': 'Log in as an administrator on the dashboard first, then open the daily report.', 'rp.generated': 'generated {t}',
    'rp.kDone': 'Done', 'rp.kNoShow': 'No-shows', 'rp.kTransfers': 'Transfers', 'rp.kSat': 'Satisfied', 'rp.kWait': 'Wait p50 / p90',
    'rp.kService': 'Service p50 / p90', 'rp.kOverdue': 'Overdue alerts', 'rp.byService': 'By service', 'rp.byWindow': 'By window',
    'rp.byClerk': 'By clerk', 'rp.ranking': 'Ranking', 'rp.badDay': 'Not a day: {d} (use YYYY-MM-DD)',
  },
});

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const secs = (s) => (s === null || s === undefined ? '–' : duration(s * 1000));
const pct = (x) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)}%`);
const triple = (st) => (st.count ? `${secs(st.mean)} / ${secs(st.p50)} / ${secs(st.p90)}` : '–');

async function fetchReport(token, what, params) {
  const q = new URLSearchParams(params).toString();
  return api('GET', `/api/reports/${what}?${q}`, { token, timeoutMs: 30000 });
}

function groupLabel(g) { return g.key === null ? t('rp.none') : g.name && g.name !== g.key ? `${g.key} ${g.name}` : g.key; }

// One row of figures; the cells carry data-k so tests (and people) can find a figure.
function figureCells(f) {
  const c = (k, v) => el('td', { class: 'r num', 'data-k': k }, String(v));
  return [
    c('done', f.done), c('no_show', f.no_show), c('cancelled', f.cancelled), c('expired', f.expired),
    c('transfers', f.transfers), c('wait', triple(f.wait_s)), c('service', triple(f.service_s)),
    c('rated', f.rated), c('satisfaction', pct(f.satisfaction)),
    c('overdue', `${f.overdue.wait} / ${f.overdue.service} / ${f.overdue.idle}`),
    c('appointments', `${f.appointments.checked_in} / ${f.appointments.missed} / ${f.appointments.cancelled} / ${f.appointments.booked}`),
  ];
}

function figuresTable(summary, { id } = {}) {
  const head = el('tr', {}, el('th', {}, t('rp.group')),
    ...['rp.done', 'rp.noShow', 'rp.cancelled', 'rp.expired', 'rp.transfers', 'rp.wait', 'rp.service', 'rp.rated', 'rp.sat', 'rp.overdue', 'rp.appt']
      .map((k) => el('th', { class: 'r' }, t(k))));
  const body = el('tbody', {});
  for (const g of summary.groups) {
    body.append(el('tr', { 'data-key': g.key === null ? '' : g.key }, el('td', {}, groupLabel(g)), ...figureCells(g)));
  }
  body.append(el('tr', { class: 'total', 'data-key': '*' }, el('th', {}, t('rp.total')), ...figureCells(summary.total)));
  const attrs = { class: 'list report-table' };
  if (id) attrs.id = id;
  return el('table', attrs, el('thead', {}, head), body);
}

// Bars: visits done per service (left axis); dots joined by a line: wait p90 in minutes (right).
function drawVolumeChart(canvas, groups) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 600, h = canvas.clientHeight || 240;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const c = canvas.getContext('2d');
  c.setTransform(dpr, 0, 0, dpr, 0, 0);
  c.clearRect(0, 0, w, h);
  c.font = `12px ${getComputedStyle(document.documentElement).fontFamily}`;
  c.textBaseline = 'middle';
  const rows = groups.filter((g) => g.key !== null);
  if (!rows.length) { c.fillStyle = '#5a6472'; c.textAlign = 'center'; c.fillText('–', w / 2, h / 2); return; }
  const nice = (v) => { const raw = Math.max(1, v / 4); const p = 10 ** Math.floor(Math.log10(raw)); for (const m of [1, 2, 5, 10]) if (m * p >= raw) return 4 * m * p; return 4 * raw; };
  const topDone = nice(Math.max(...rows.map((g) => g.done)));
  const topWait = nice(Math.max(...rows.map((g) => (g.wait_s.p90 || 0) / 60)));
  const L = 44, R = 44, T = 10, B = 26, pw = w - L - R, ph = h - T - B;
  c.strokeStyle = '#dfe4ea'; c.fillStyle = '#5a6472';
  for (let i = 0; i <= 4; i++) {
    const y = T + ph - (ph * i) / 4;
    c.beginPath(); c.moveTo(L, y); c.lineTo(w - R, y); c.stroke();
    c.textAlign = 'right'; c.fillText(String((topDone * i) / 4), L - 5, y);
    c.textAlign = 'left'; c.fillText(String((topWait * i) / 4), w - R + 5, y);
  }
  const gw = pw / rows.length, bw = Math.max(2, Math.min(28, gw * 0.6));
  c.fillStyle = '#0b57a4';
  rows.forEach((g, i) => { const bh = (ph * g.done) / topDone; c.fillRect(L + i * gw + (gw - bw) / 2, T + ph - bh, bw, bh); });
  c.strokeStyle = '#e0a030'; c.fillStyle = '#e0a030'; c.lineWidth = 2; c.beginPath();
  rows.forEach((g, i) => {
    const x = L + i * gw + gw / 2, y = T + ph - (ph * (g.wait_s.p90 || 0)) / 60 / topWait;
    if (i) c.lineTo(x, y); else c.moveTo(x, y);
  });
  c.stroke();
  rows.forEach((g, i) => { const x = L + i * gw + gw / 2, y = T + ph - (ph * (g.wait_s.p90 || 0)) / 60 / topWait; c.beginPath(); c.arc(x, y, 3.5, 0, 7); c.fill(); });
  c.fillStyle = '#14181f'; c.textAlign = 'center'; c.lineWidth = 1;
  rows.forEach((g, i) => c.fillText(g.key, L + i * gw + gw / 2, h - B / 2));
}

function rankingLine(r) {
  const w = r.weights;
  const who = (e) => (e ? `${e.name || e.key}（${t('rp.score', { s: e.score })}）` : t('rp.noRank', { n: w.min_cases }));
  return el('div', { class: 'rank-line' },
    el('span', { class: 'rank' }, `${t('rp.model')}：`, el('b', { id: 'rpModel' }, who(r.model_window))),
    el('span', { class: 'rank' }, `${t('rp.star')}：`, el('b', { id: 'rpStar' }, who(r.service_star))),
    el('div', { class: 'note' }, t('rp.formula', { v: w.volume, s: w.satisfaction, o: w.overdue, n: w.no_show, sum: w.volume + w.satisfaction + w.overdue + w.no_show })));
}

// Fetches the CSV with the session's token and hands it to the browser as a download: a plain
// link cannot carry the Authorization header.
async function downloadCsv(token, params, link, say) {
  const q = new URLSearchParams({ ...params, format: 'csv' }).toString();
  let res;
  try {
    res = await fetch(`/api/reports/summary?${q}`, { headers: { Authorization: 'Bearer ' + token }, cache: 'no-store' });
  } catch { say(errorText({ code: 'network' })); return; }
  if (!res.ok) {
    let e = { code: 'internal', message: `HTTP ${res.status}` };
    try { e = (await res.json()).error; } catch { /* not JSON */ }
    say(errorText(e));
    return;
  }
  const m = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '');
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: m ? m[1] : 'hallq-report.csv', hidden: '' });
  link.after(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

// The dashboard's reports section. `token()` gives the admin's token (or null when logged out).
export function mountReportsPanel(box, token) {
  const from = el('input', { type: 'date', id: 'rpFrom', class: 'field', required: '' });
  const to = el('input', { type: 'date', id: 'rpTo', class: 'field', required: '' });
  const by = el('select', { id: 'rpBy', class: 'field' });
  const run = el('button', { class: 'btn primary', id: 'rpRun', type: 'submit' });
  const csv = el('a', { href: '#', id: 'rpCsv', class: 'btn' });
  const print = el('a', { href: '#', id: 'rpPrint', class: 'btn' });
  const msg = el('div', { class: 'message', id: 'rpMessage', role: 'status' });
  const table = el('div', { class: 'table-wrap', id: 'rpTable' });
  const canvas = el('canvas', { class: 'chart', id: 'rpChart', role: 'img', 'aria-label': 'visits done and wait p90 by service' });
  const ranking = el('div', { id: 'rpRanking' });
  const title = el('h2', {});
  const chartTitle = el('h2', {});
  const legend = el('div', { class: 'legend' });
  const form = el('form', { class: 'report-form' }, from, to, by, run, csv, print);
  box.replaceChildren(title, form, msg, ranking, table, chartTitle, canvas, legend);
  let last = null;
  let serviceGroups = [];

  function labels() {
    title.textContent = t('rp.title');
    chartTitle.textContent = t('rp.chart');
    from.title = t('rp.from'); to.title = t('rp.to'); by.title = t('rp.by');
    const cur = by.value || 'service';
    by.replaceChildren(...['service', 'window', 'clerk', 'department'].map((k) => el('option', { value: k }, t(`rp.by.${k}`))));
    by.value = cur;
    run.textContent = t('rp.run'); csv.textContent = t('rp.csv'); print.textContent = t('rp.print');
    legend.replaceChildren(el('span', {}, el('i', { style: 'background:#0b57a4' }), t('rp.chDone')),
      el('span', {}, el('i', { style: 'background:#e0a030' }), t('rp.chP90')));
  }
  const params = () => ({ from: from.value, to: to.value, by: by.value });
  const say = (text) => { msg.textContent = text; msg.className = 'message'; };

  async function refresh() {
    const tok = token();
    if (!tok || !from.value || !to.value) return;
    say(t('rp.busy'));
    const p = params();
    print.href = `/report?day=${encodeURIComponent(p.to)}`;
    const [s, svc, r] = await Promise.all([
      fetchReport(tok, 'summary', p),
      p.by === 'service' ? null : fetchReport(tok, 'summary', { ...p, by: 'service' }),
      fetchReport(tok, 'ranking', { from: p.from, to: p.to }),
    ]);
    if (!s.ok) { say(errorText(s.error)); return; }
    last = s.data;
    serviceGroups = (svc && svc.ok ? svc.data : s.data).groups;
    table.replaceChildren(figuresTable(s.data, { id: 'rpTableBody' }));
    ranking.replaceChildren(r.ok ? rankingLine(r.data) : el('span', {}, errorText(r.error)));
    drawVolumeChart(canvas, serviceGroups);
    say(t('rp.asOf', { seq: s.data.indexed_seq }));
  }

  form.addEventListener('submit', (e) => { e.preventDefault(); refresh(); });
  by.addEventListener('change', refresh);
  csv.addEventListener('click', (e) => {
    e.preventDefault();
    const tok = token();
    if (tok && from.value && to.value) downloadCsv(tok, params(), csv, say);
  });
  onLangChange(() => { labels(); if (last) { table.replaceChildren(figuresTable(last, { id: 'rpTableBody' })); drawVolumeChart(canvas, serviceGroups); } });
  window.addEventListener('resize', () => { if (last && !box.closest('[hidden]')) drawVolumeChart(canvas, serviceGroups); });
  labels();
  // Today in the hall's business calendar, from the server (the browser may be elsewhere).
  api('GET', '/api/health').then((h) => {
    const day = h.ok && h.data.business_day ? h.data.business_day : new Date().toISOString().slice(0, 10);
    if (!from.value) from.value = day;
    if (!to.value) to.value = day;
    refresh();
  });
  return { refresh };
}

// ---- The printable daily report (/report?day=YYYY-MM-DD) -------------------------------------

async function initReportPage() {
  initLang('zh-CN');
  const $ = (id) => document.getElementById(id);
  const session = loadSession('hallq.admin.session');
  const render = async () => {
    document.title = `${t('rp.page')} · HallQ`;
    $('rpBack').textContent = t('rp.back');
    $('rpPrintBtn').textContent = t('rp.printBtn');
    const body = $('reportBody');
    if (!session || !session.token) { body.replaceChildren(el('p', { class: 'error' }, t('rp.login'))); return; }
    const health = await api('GET', '/api/health');
    const day = new URLSearchParams(location.search).get('day') || (health.ok ? health.data.business_day : '');
    if (!DAY.test(day)) { body.replaceChildren(el('p', { class: 'error' }, t('rp.badDay', { d: day }))); return; }
    const range = { from: day, to: day };
    const [state, svc, win, clerk, rank] = await Promise.all([
      api('GET', '/api/state', { token: session.token }),
      fetchReport(session.token, 'summary', { ...range, by: 'service' }),
      fetchReport(session.token, 'summary', { ...range, by: 'window' }),
      fetchReport(session.token, 'summary', { ...range, by: 'clerk' }),
      fetchReport(session.token, 'ranking', range),
    ]);
    const failed = [svc, win, clerk, rank].find((r) => !r.ok);
    if (failed) { body.replaceChildren(el('p', { class: 'error' }, errorText(failed.error))); return; }
    const hall = state.ok && state.data.hall ? (state.data.hall.name[{ 'zh-CN': 'zh_cn', 'zh-TW': 'zh_tw', en: 'en' }[document.documentElement.lang] || 'zh_cn'] || state.data.hall.name.zh_cn) : '';
    $('rpHall').textContent = hall;
    $('rpDay').textContent = `${t('rp.page')} · ${t('rp.day')} ${day}`;
    const tot = svc.data.total;
    const tile = (k, v, id) => el('div', { class: 'tile' }, el('div', { class: 'note' }, t(k)), el('div', { class: 'big num', id }, v));
    const canvas = el('canvas', { class: 'chart', id: 'rpChart' });
    body.replaceChildren(
      el('div', { class: 'tiles' },
        tile('rp.kDone', String(tot.done), 'kDone'), tile('rp.kNoShow', String(tot.no_show), 'kNoShow'),
        tile('rp.kTransfers', String(tot.transfers), 'kTransfers'), tile('rp.kSat', pct(tot.satisfaction), 'kSat'),
        tile('rp.kWait', tot.wait_s.count ? `${secs(tot.wait_s.p50)} / ${secs(tot.wait_s.p90)}` : '–', 'kWait'),
        tile('rp.kService', tot.service_s.count ? `${secs(tot.service_s.p50)} / ${secs(tot.service_s.p90)}` : '–', 'kService'),
        tile('rp.kOverdue', `${tot.overdue.wait} / ${tot.overdue.service} / ${tot.overdue.idle}`, 'kOverdue'),
        tile('rp.kAppt', `${tot.appointments.checked_in} / ${tot.appointments.total}`, 'kAppt')),
      el('h2', {}, t('rp.ranking')), rankingLine(rank.data),
      el('h2', {}, t('rp.chart')), canvas,
      el('div', { class: 'legend' }, el('span', {}, el('i', { style: 'background:#0b57a4' }), t('rp.chDone')),
        el('span', {}, el('i', { style: 'background:#e0a030' }), t('rp.chP90'))),
      el('h2', {}, t('rp.byService')), figuresTable(svc.data, { id: 'rpByService' }),
      el('h2', {}, t('rp.byWindow')), figuresTable(win.data, { id: 'rpByWindow' }),
      el('h2', {}, t('rp.byClerk')), figuresTable(clerk.data, { id: 'rpByClerk' }),
      el('p', { class: 'note' }, t('rp.defs')),
      el('p', { class: 'note' }, `${t('rp.generated', { t: new Date().toLocaleString() })} · ${t('rp.asOf', { seq: svc.data.indexed_seq })}`),
    );
    drawVolumeChart(canvas, svc.data.groups);
    document.body.dataset.ready = '1';
  };
  $('rpPrintBtn').addEventListener('click', () => window.print());
  onLangChange(render);
  await render();
}

if (document.getElementById('reportPage')) initReportPage();
