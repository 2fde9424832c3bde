// The dashboard's service-quality panel (issue 6): the server's active overdue alerts (超时预警)
// from the snapshot and alert events, and the follow-ups of bad ratings (回访) not yet closed,
// overdue ones first, with a form to record the call-back and the fix and to close them.
// Follow-ups come from GET /api/followups (admins only), refreshed on every follow-up event.
import { addStrings, t, clock, el, errorText, api, newRequestId } from '/common.js';

addStrings({
  'zh-CN': {
    'q.alerts': '超时预警', 'q.none': '暂无预警', 'q.kind.wait': '等候超时', 'q.kind.service': '办理超时', 'q.kind.idle': '窗口空闲',
    'q.since': '{t} 起 · 已 {m} 分钟（时限 {l} 分钟）', 'q.window': '{n} 号窗口',
    'q.followups': '差评回访', 'q.nofollowups': '没有待办回访', 'q.due': '期限 {d}', 'q.overdue': '已超期',
    'q.level.1': '非常不满意', 'q.level.2': '不满意', 'q.callback': '回访情况', 'q.fix': '整改情况', 'q.close': '结案',
    'q.save': '保存', 'q.saved': '{id} 已保存', 'q.closed': '{id} 已结案', 'q.state.open': '待回访', 'q.state.called_back': '已回访',
  },
  'zh-TW': {
    'q.alerts': '超時預警', 'q.none': '暫無預警', 'q.kind.wait': '等候超時', 'q.kind.service': '辦理超時', 'q.kind.idle': '窗口閒置',
    'q.since': '{t} 起 · 已 {m} 分鐘（時限 {l} 分鐘）', 'q.window': '{n} 號窗口',
    'q.followups': '差評回訪', 'q.nofollowups': '沒有待辦回訪', 'q.due': '期限 {d}', 'q.overdue': '已超期',
    'q.level.1': '非常不滿意', 'q.level.2': '不滿意', 'q.callback': '回訪情況', 'q.fix': '改善情況', 'q.close': '結案',
    'q.save': '儲存', 'q.saved': '{id} 已儲存', 'q.closed': '{id} 已結案', 'q.state.open': '待回訪', 'q.state.called_back': '已回訪',
  },
  'en': {
    'q.alerts': 'Overdue alerts', 'q.none': 'No alerts', 'q.kind.wait': 'Waiting too long', 'q.kind.service': 'Service too long',
    'q.kind.idle': 'Window idle', 'q.since': 'since {t} · {m} min (limit {l} min)', 'q.window': 'window {n}',
    'q.followups': 'Follow-ups of bad ratings', 'q.nofollowups': 'No follow-ups to do', 'q.due': 'due {d}', 'q.overdue': 'Overdue',
    'q.level.1': 'Very dissatisfied', 'q.level.2': 'Dissatisfied', 'q.callback': 'Call-back', 'q.fix': 'Fix', 'q.close': 'Close',
    'q.save': 'Save', 'q.saved': '{id} saved', 'q.closed': '{id} closed', 'q.state.open': 'To call back', 'q.state.called_back': 'Called back',
  },
});

function day(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export function mountQualityPanel(root, getToken, serverNow = () => Date.now()) {
  const alerts = new Map();
  let followups = [];
  const drafts = new Map();  // id -> {callback_note, fix_note} typed but not saved: kept across redraws
  let message = '';
  let loading = null;

  root.replaceChildren(
    el('h2', { 'data-i18n': 'q.alerts' }), el('div', { id: 'qAlerts', class: 'q-alerts' }),
    el('h2', { 'data-i18n': 'q.followups' }), el('div', { id: 'qFollowups', class: 'q-followups' }),
    el('div', { id: 'qMessage', class: 'message', role: 'status' }));

  async function loadFollowups() {
    const token = getToken();
    if (!token || loading) return;
    loading = api('GET', '/api/followups', { token });
    const r = await loading;
    loading = null;
    if (r.ok) followups = r.data.followups || [];
    render();
  }

  async function update(f, fields) {
    const r = await api('POST', `/api/followups/${encodeURIComponent(f.id)}`,
      { token: getToken(), body: { ...fields, request_id: newRequestId('fu') } });
    message = r.ok ? t(fields.close ? 'q.closed' : 'q.saved', { id: f.id }) : errorText(r.error);
    if (r.ok) drafts.delete(f.id);
    await loadFollowups();
  }

  function followupRow(f) {
    const draft = drafts.get(f.id) || {};
    const cb = el('input', { class: 'field', name: 'callback', maxlength: '500' });
    const fix = el('input', { class: 'field', name: 'fix', maxlength: '500' });
    cb.value = draft.callback_note ?? f.callback_note ?? '';
    fix.value = draft.fix_note ?? f.fix_note ?? '';
    cb.setAttribute('aria-label', t('q.callback'));
    fix.setAttribute('aria-label', t('q.fix'));
    const fields = () => ({ callback_note: cb.value.trim(), fix_note: fix.value.trim() });
    const keep = () => drafts.set(f.id, { callback_note: cb.value, fix_note: fix.value });
    cb.addEventListener('input', keep);
    fix.addEventListener('input', keep);
    const save = el('button', { type: 'button', class: 'btn', 'data-q': 'save', text: t('q.save') });
    save.addEventListener('click', () => update(f, fields()));
    const close = el('button', { type: 'button', class: 'btn primary', 'data-q': 'close', text: t('q.close') });
    close.addEventListener('click', () => update(f, { ...fields(), close: true }));
    return el('div', { class: 'q-followup' + (f.overdue ? ' overdue' : ''), 'data-id': f.id },
      el('div', {},
        el('b', { class: 'num', text: f.number }), ' ',
        el('span', { text: `${t('q.level.' + f.level)} · ${t('q.window', { n: f.window || '–' })} · ${f.clerk || ''}` }), ' ',
        el('span', { class: 'note', text: `${t('q.state.' + f.state)} · ${t('q.due', { d: day(f.due_at) })}` }),
        f.overdue ? el('span', { class: 'badge bad', text: t('q.overdue') }) : null),
      el('label', {}, el('span', { text: t('q.callback') }), cb),
      el('label', {}, el('span', { text: t('q.fix') }), fix),
      el('div', {}, save, close));
  }

  function render() {
    const now = serverNow();
    const list = [...alerts.values()].sort((a, b) => a.raised_at - b.raised_at);
    root.querySelector('#qAlerts').replaceChildren(...(list.length ? list.map((a) => el('div', { class: 'alert', role: 'alert', 'data-id': a.id },
      el('b', { text: t('q.kind.' + a.kind) }), ' ',
      el('span', { class: 'num', text: a.number || t('q.window', { n: a.window }) }), ' ',
      a.number && a.window ? el('span', { text: t('q.window', { n: a.window }) }) : null, ' ',
      el('span', { class: 'note', text: t('q.since', { t: clock(a.since), m: Math.floor((now - a.since) / 60000), l: Math.round(a.limit_s / 60) }) })))
      : [el('p', { class: 'note', text: t('q.none') })]));
    const shown = [...followups].sort((a, b) => (b.overdue - a.overdue) || (a.due_at - b.due_at));
    root.querySelector('#qFollowups').replaceChildren(...(shown.length ? shown.map(followupRow)
      : [el('p', { class: 'note', text: t('q.nofollowups') })]));
    root.querySelector('#qMessage').textContent = message;
    root.querySelectorAll('[data-i18n]').forEach((x) => { x.textContent = t(x.dataset.i18n); });
  }

  return {
    snapshot(snap) {
      alerts.clear();
      for (const a of snap.alerts || []) alerts.set(a.id, a);
      loadFollowups();
      render();
    },
    event(e) {
      if (e.alert) {
        if (e.event === 'alert_raised') alerts.set(e.alert.id, e.alert);
        else alerts.delete(e.alert.id);
        render();
      }
      if (e.followup) loadFollowups();
    },
    render,
  };
}
