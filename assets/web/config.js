// The dashboard's configuration editor: services, windows, devices and users as tables, one
// row form at a time, edits kept in a draft until "save" sends the whole configuration
// (PUT /api/config). The server validates it like the hall file and answers with the JSON path
// of the first problem, which is shown next to that field. Of the rules, the hall's days
// (workdays, holidays, 调休 make-up days) have a form; fields the page does not know
// (appointments, the other rules, ...) are kept as the server sent them.
import { addStrings, t, nameOf, el, errorText, api, newRequestId } from '/common.js';

addStrings({
  'zh-CN': {
    'cfg.title': '配置', 'cfg.intro': '修改后点“保存配置”：服务器按配置文件的规则检查，立即生效并写回配置文件。',
    'cfg.services': '业务', 'cfg.windows': '窗口', 'cfg.devices': '设备', 'cfg.users': '用户',
    'cfg.add': '添加', 'cfg.edit': '编辑', 'cfg.remove': '删除', 'cfg.apply': '确定', 'cfg.cancel': '取消',
    'cfg.save': '保存配置', 'cfg.reload': '重新读取', 'cfg.saving': '正在保存…', 'cfg.saved': '已保存并生效（版本 {v}）。',
    'cfg.dirty': '有未保存的修改。', 'cfg.loading': '正在读取配置…', 'cfg.readonly': '服务器启动时没有配置文件，不能在线修改。',
    'cfg.stale': '其他管理员刚修改了配置。请点“重新读取”，再重做这次修改。', 'cfg.fixRow': '请先修正标红的字段。',
    'cfg.confirmRemove': '再点一次确认删除',
    'cfg.days': '办公日', 'cfg.daysIntro': '不办公的日子不能取号，也不能预约。每年国务院公布放假和调休安排后，在这里填入。',
    'f.workdays': '每周办公', 'f.holidays': '放假日期（YYYY-MM-DD，逗号或换行分隔）', 'f.extra_workdays': '调休上班日期（周末上班）',
    'wd.0': '日', 'wd.1': '一', 'wd.2': '二', 'wd.3': '三', 'wd.4': '四', 'wd.5': '五', 'wd.6': '六',
    'f.code': '代码', 'f.name': '名称', 'f.name_zh_cn': '简体', 'f.name_zh_tw': '繁體', 'f.name_en': 'English',
    'f.department': '部门', 'f.hours': '取号时间（如 08:30-12:00, 13:30-17:00；空 = 全天）', 'f.daily_cap': '每日限号（0 = 不限）',
    'f.number_digits': '号码位数', 'f.wait_limit_min': '等候超时（分钟）', 'f.service_limit_min': '办理超时（分钟）',
    'f.expected_service_min': '预计办理（分钟）', 'f.number': '窗口号', 'f.services': '业务代码（按优先顺序，逗号分隔）',
    'f.idle_limit_min': '空闲超时（分钟，0 = 不提醒）', 'f.id': '设备编号', 'f.kind': '类型', 'f.token': '令牌（至少 16 个字符）',
    'f.window': '窗口（0 = 全厅）', 'f.layout': '版式', 'f.printer': '打印机设备', 'f.kiosk_services': '可取业务（空 = 全部）',
    'f.user': '登录名', 'f.display_name': '姓名', 'f.role': '角色', 'f.windows': '可用窗口（逗号分隔）',
    'f.password': '新密码（至少 8 个字符）', 'f.passwordKeep': '留空 = 不修改', 'f.passwordSet': '已设置',
    'role.clerk': '窗口人员', 'role.admin': '管理员', 'col.window': '窗口', 'col.token': '令牌', 'col.windows': '可用窗口',
    'err.bad_config': '配置有误', 'err.config_conflict': '与大厅当前情况冲突', 'err.stale_config': '配置已被他人修改',
    'err.config_not_saved': '配置文件写入失败，修改没有生效', 'err.config_read_only': '不能在线修改配置',
  },
  'zh-TW': {
    'cfg.title': '設定', 'cfg.intro': '修改後按「儲存設定」：伺服器按設定檔的規則檢查，立即生效並寫回設定檔。',
    'cfg.services': '業務', 'cfg.windows': '窗口', 'cfg.devices': '設備', 'cfg.users': '使用者',
    'cfg.add': '新增', 'cfg.edit': '編輯', 'cfg.remove': '刪除', 'cfg.apply': '確定', 'cfg.cancel': '取消',
    'cfg.save': '儲存設定', 'cfg.reload': '重新讀取', 'cfg.saving': '正在儲存…', 'cfg.saved': '已儲存並生效（版本 {v}）。',
    'cfg.dirty': '有未儲存的修改。', 'cfg.loading': '正在讀取設定…', 'cfg.readonly': '伺服器啟動時沒有設定檔，不能線上修改。',
    'cfg.stale': '其他管理員剛修改了設定。請按「重新讀取」，再重做這次修改。', 'cfg.fixRow': '請先修正標紅的欄位。',
    'cfg.confirmRemove': '再按一次確認刪除',
    'cfg.days': '辦公日', 'cfg.daysIntro': '不辦公的日子不能取號，也不能預約。每年公布放假和調休安排後，在這裡填入。',
    'f.workdays': '每週辦公', 'f.holidays': '放假日期（YYYY-MM-DD，逗號或換行分隔）', 'f.extra_workdays': '調休上班日期（週末上班）',
    'wd.0': '日', 'wd.1': '一', 'wd.2': '二', 'wd.3': '三', 'wd.4': '四', 'wd.5': '五', 'wd.6': '六',
    'f.code': '代碼', 'f.name': '名稱', 'f.name_zh_cn': '简体', 'f.name_zh_tw': '繁體', 'f.name_en': 'English',
    'f.department': '部門', 'f.hours': '取號時間（如 08:30-12:00, 13:30-17:00；空 = 全天）', 'f.daily_cap': '每日限號（0 = 不限）',
    'f.number_digits': '號碼位數', 'f.wait_limit_min': '等候逾時（分鐘）', 'f.service_limit_min': '辦理逾時（分鐘）',
    'f.expected_service_min': '預計辦理（分鐘）', 'f.number': '窗口號', 'f.services': '業務代碼（按優先順序，逗號分隔）',
    'f.idle_limit_min': '閒置逾時（分鐘，0 = 不提醒）', 'f.id': '設備編號', 'f.kind': '類型', 'f.token': '權杖（至少 16 個字元）',
    'f.window': '窗口（0 = 全廳）', 'f.layout': '版式', 'f.printer': '印表機設備', 'f.kiosk_services': '可取業務（空 = 全部）',
    'f.user': '登入名', 'f.display_name': '姓名', 'f.role': '角色', 'f.windows': '可用窗口（逗號分隔）',
    'f.password': '新密碼（至少 8 個字元）', 'f.passwordKeep': '留空 = 不修改', 'f.passwordSet': '已設定',
    'role.clerk': '窗口人員', 'role.admin': '管理員', 'col.window': '窗口', 'col.token': '權杖', 'col.windows': '可用窗口',
    'err.bad_config': '設定有誤', 'err.config_conflict': '與大廳目前情況衝突', 'err.stale_config': '設定已被他人修改',
    'err.config_not_saved': '設定檔寫入失敗，修改沒有生效', 'err.config_read_only': '不能線上修改設定',
  },
  en: {
    'cfg.title': 'Configuration', 'cfg.intro': 'Edit, then press "Save configuration": the server checks it like the hall file, applies it at once and writes it back to the file.',
    'cfg.services': 'Services', 'cfg.windows': 'Windows', 'cfg.devices': 'Devices', 'cfg.users': 'Users',
    'cfg.add': 'Add', 'cfg.edit': 'Edit', 'cfg.remove': 'Remove', 'cfg.apply': 'OK', 'cfg.cancel': 'Cancel',
    'cfg.save': 'Save configuration', 'cfg.reload': 'Reload', 'cfg.saving': 'Saving…', 'cfg.saved': 'Saved and applied (version {v}).',
    'cfg.dirty': 'There are unsaved changes.', 'cfg.loading': 'Loading the configuration…', 'cfg.readonly': 'The server was started without a configuration file: it cannot be edited here.',
    'cfg.stale': 'Another administrator has just changed the configuration. Press "Reload" and redo this edit.', 'cfg.fixRow': 'Fix the field marked in red first.',
    'cfg.confirmRemove': 'Press again to remove',
    'cfg.days': 'Working days', 'cfg.daysIntro': 'On a day off no tickets are issued and no appointments booked. Enter each year\'s public holidays and make-up working days (调休) here once they are announced.',
    'f.workdays': 'Open every week on', 'f.holidays': 'Holidays (YYYY-MM-DD, comma or line separated)', 'f.extra_workdays': 'Make-up working days (weekend days worked)',
    'wd.0': 'Sun', 'wd.1': 'Mon', 'wd.2': 'Tue', 'wd.3': 'Wed', 'wd.4': 'Thu', 'wd.5': 'Fri', 'wd.6': 'Sat',
    'f.code': 'Code', 'f.name': 'Name', 'f.name_zh_cn': '简体', 'f.name_zh_tw': '繁體', 'f.name_en': 'English',
    'f.department': 'Department', 'f.hours': 'Ticket hours (e.g. 08:30-12:00, 13:30-17:00; empty = all day)', 'f.daily_cap': 'Daily cap (0 = none)',
    'f.number_digits': 'Number digits', 'f.wait_limit_min': 'Wait limit (min)', 'f.service_limit_min': 'Service limit (min)',
    'f.expected_service_min': 'Expected service (min)', 'f.number': 'Window number', 'f.services': 'Service codes (preferred first, comma separated)',
    'f.idle_limit_min': 'Idle limit (min, 0 = never)', 'f.id': 'Device id', 'f.kind': 'Kind', 'f.token': 'Token (16 characters or more)',
    'f.window': 'Window (0 = hall-wide)', 'f.layout': 'Layout', 'f.printer': 'Printer device', 'f.kiosk_services': 'Services offered (empty = all)',
    'f.user': 'Login name', 'f.display_name': 'Full name', 'f.role': 'Role', 'f.windows': 'Windows (comma separated)',
    'f.password': 'New password (8 characters or more)', 'f.passwordKeep': 'empty = keep', 'f.passwordSet': 'set',
    'role.clerk': 'Clerk', 'role.admin': 'Administrator', 'col.window': 'Window', 'col.token': 'Token', 'col.windows': 'Windows',
    'err.bad_config': 'Configuration error', 'err.config_conflict': 'Conflicts with the hall right now', 'err.stale_config': 'Changed by someone else',
    'err.config_not_saved': 'The file could not be written; nothing changed', 'err.config_read_only': 'The configuration cannot be edited',
  },
});

// Each table: its key in the configuration, the columns shown, and the form's fields.
// Field types: text, int, list (comma separated strings), ints (comma separated numbers),
// ltext (a name in three languages), hours, select, password.
const KINDS = ['kiosk', 'display', 'printer', 'evaluator'];
const TABLES = [
  {
    key: 'services', title: 'cfg.services', rowKey: (r) => r.code,
    columns: [(r) => r.code, (r) => nameOf(r.name), (r) => r.department || ''],
    heads: ['f.code', 'f.name', 'f.department'],
    fields: [
      { key: 'code', type: 'text', max: 2 }, { key: 'name', type: 'ltext' }, { key: 'department', type: 'text' },
      { key: 'hours', type: 'hours' }, { key: 'daily_cap', type: 'int' }, { key: 'number_digits', type: 'int' },
      { key: 'wait_limit_min', type: 'int' }, { key: 'service_limit_min', type: 'int' }, { key: 'expected_service_min', type: 'int' },
    ],
    blank: () => ({ code: '', name: '', daily_cap: 0, number_digits: 3, wait_limit_min: 30, service_limit_min: 20, expected_service_min: 8 }),
  },
  {
    key: 'windows', title: 'cfg.windows', rowKey: (r) => String(r.number),
    columns: [(r) => String(r.number), (r) => nameOf(r.name), (r) => (r.services || []).join(' › ')],
    heads: ['f.number', 'f.name', 'cfg.services'],
    fields: [
      { key: 'number', type: 'int' }, { key: 'name', type: 'ltext' }, { key: 'department', type: 'text' },
      { key: 'services', type: 'list', label: 'f.services' }, { key: 'idle_limit_min', type: 'int' },
    ],
    blank: (c) => ({ number: Math.max(0, ...c.windows.map((w) => w.number)) + 1, services: [], idle_limit_min: 0 }),
  },
  {
    key: 'devices', title: 'cfg.devices', rowKey: (r) => r.id,
    columns: [(r) => r.id, (r) => t('kind.' + r.kind), (r) => (r.window ? String(r.window) : ''), (r) => r.token],
    heads: ['f.id', 'f.kind', 'col.window', 'col.token'],
    fields: [
      { key: 'id', type: 'text' }, { key: 'kind', type: 'select', options: KINDS, label: 'f.kind', optionText: (k) => t('kind.' + k) },
      { key: 'token', type: 'text' }, { key: 'name', type: 'ltext' }, { key: 'window', type: 'int' },
      { key: 'layout', type: 'text' }, { key: 'printer', type: 'text' }, { key: 'services', type: 'list', label: 'f.kiosk_services' },
    ],
    blank: () => ({ id: '', kind: 'display', token: randomToken() }),
  },
  {
    key: 'users', title: 'cfg.users', rowKey: (r) => r.name,
    columns: [(r) => r.name, (r) => r.display_name || '', (r) => t('role.' + r.role), (r) => (r.windows || []).join(', ')],
    heads: ['f.user', 'f.display_name', 'f.role', 'col.windows'],
    fields: [
      { key: 'name', type: 'text', label: 'f.user' }, { key: 'display_name', type: 'text' },
      { key: 'role', type: 'select', options: ['clerk', 'admin'], optionText: (r) => t('role.' + r) },
      { key: 'windows', type: 'ints' }, { key: 'password', type: 'password' },
    ],
    blank: () => ({ name: '', display_name: '', role: 'clerk', windows: [] }),
  },
];

// 24 random hex characters: a new device's token, which the installer then types in.
function randomToken() {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

const splitList = (s) => s.split(/[,，\s]+/).map((x) => x.trim()).filter(Boolean);

// The field's current value as the form shows it.
function formValue(f, row) {
  const v = row[f.key];
  switch (f.type) {
    case 'list': case 'ints': return (v || []).join(', ');
    case 'hours': return (v || []).join(', ');
    case 'int': return v == null ? '' : String(v);
    case 'password': return '';
    default: return v == null ? '' : String(v);
  }
}

// Reads the form back into the row; what does not parse is sent as typed, so the server's
// message names it.
function readField(f, form, row) {
  const input = (name) => form.querySelector(`[name="${name}"]`);
  if (f.type === 'ltext') {
    const zh = input('name_zh_cn').value.trim(), tw = input('name_zh_tw').value.trim(), en = input('name_en').value.trim();
    if (!zh && !tw && !en) delete row.name;
    else if (!tw && !en) row.name = zh;
    else row.name = { zh_cn: zh, ...(tw ? { zh_tw: tw } : {}), ...(en ? { en } : {}) };
    return;
  }
  const raw = input(f.key).value.trim();
  switch (f.type) {
    case 'int': {
      if (raw === '') { delete row[f.key]; return; }
      row[f.key] = /^-?\d+$/.test(raw) ? Number(raw) : raw;
      return;
    }
    case 'list': case 'hours': {
      const l = splitList(raw);
      if (l.length) row[f.key] = l; else delete row[f.key];
      return;
    }
    case 'ints': {
      const l = splitList(raw).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
      if (l.length) row[f.key] = l; else delete row[f.key];
      return;
    }
    case 'password':
      if (raw) row.password = input(f.key).value; else delete row.password;
      return;
    default:
      if (raw === '' && f.key !== 'name' && f.key !== 'display_name') delete row[f.key]; else row[f.key] = raw;
  }
}

export function mountConfigEditor(root, getToken, { onSaved } = {}) {
  const S = {
    version: '', editable: false, draft: null, dirty: false,
    open: null,        // {table, index, isNew} of the row whose form is shown
    error: null,       // {table, index, field, text}: shown next to that field
    message: '', messageOk: false, busy: false, removing: null,
  };

  async function load() {
    const token = getToken();
    if (!token) return;
    S.message = t('cfg.loading'); S.messageOk = true;
    render();
    const r = await api('GET', '/api/config', { token });
    if (!r.ok) { S.message = errorText(r.error); S.messageOk = false; render(); return; }
    S.version = r.data.version; S.editable = r.data.editable; S.draft = r.data.config;
    S.dirty = false; S.open = null; S.error = null;
    S.message = S.editable ? '' : t('cfg.readonly'); S.messageOk = false;
    render();
  }

  // "/windows/1/name/zh_cn" -> the windows table, row 1, field "name"; "/rules/holidays/3" ->
  // the days form's holidays.
  function placeError(path, text) {
    const days = /^\/rules\/(workdays|holidays|extra_workdays)(?:\/|$)/.exec(path || '');
    if (days) {
      S.error = { table: 'rules', index: 0, field: days[1], text };
      S.open = null;
      return true;
    }
    const m = /^\/(services|windows|devices|users)\/(\d+)(?:\/([a-z_]+))?/.exec(path || '');
    if (!m) return false;
    const index = Number(m[2]);
    const field = m[3] || '';
    S.error = { table: m[1], index, field, text };
    S.open = { table: m[1], index, isNew: false };
    return true;
  }

  async function save() {
    if (S.busy || !S.draft) return;
    S.busy = true; S.message = t('cfg.saving'); S.messageOk = true; S.error = null;
    render();
    const r = await api('PUT', '/api/config', {
      token: getToken(), timeoutMs: 30000,
      body: { request_id: newRequestId('cfg'), base_version: S.version, config: S.draft },
    });
    S.busy = false;
    if (r.ok) {
      S.version = r.data.version; S.draft = r.data.config; S.dirty = false; S.open = null;
      S.message = t('cfg.saved', { v: S.version.slice(0, 8) }); S.messageOk = true;
      render();
      if (onSaved) onSaved(r.data);
      return;
    }
    const text = errorText(r.error);
    if (r.error.code === 'stale_config') { S.message = t('cfg.stale'); S.messageOk = false; render(); return; }
    if (placeError(r.error.path, text)) { S.message = t('cfg.fixRow'); S.messageOk = false; }
    else { S.message = text; S.messageOk = false; }
    render();
  }

  function openRow(table, index, isNew = false) {
    S.open = { table, index, isNew };
    if (S.error && (S.error.table !== table || S.error.index !== index)) S.error = null;
    render();
  }

  function applyForm(spec, index, form) {
    const rows = S.draft[spec.key];
    const row = { ...rows[index] };
    for (const f of spec.fields) readField(f, form, row);
    rows[index] = row;
    S.dirty = true; S.open = null; S.error = null; S.message = t('cfg.dirty'); S.messageOk = false;
    render();
  }

  function cancelForm(spec) {
    if (S.open && S.open.isNew) S.draft[spec.key].splice(S.open.index, 1);
    S.open = null;
    render();
  }

  function remove(spec, index) {
    const key = spec.key + '/' + index;
    if (S.removing !== key) { S.removing = key; render(); setTimeout(() => { if (S.removing === key) { S.removing = null; render(); } }, 4000); return; }
    S.removing = null;
    S.draft[spec.key].splice(index, 1);
    if (S.error && S.error.table === spec.key) S.error = null;
    S.open = null; S.dirty = true; S.message = t('cfg.dirty'); S.messageOk = false;
    render();
  }

  function add(spec) {
    S.draft[spec.key].push(spec.blank(S.draft));
    openRow(spec.key, S.draft[spec.key].length - 1, true);
  }

  function fieldError(spec, index, key) {
    const e = S.error;
    return e && e.table === spec.key && e.index === index && (e.field === key || (!e.field && key === spec.fields[0].key)) ? e.text : '';
  }

  function rowForm(spec, index) {
    const row = S.draft[spec.key][index];
    const form = el('form', { class: 'cfg-form', dataset: { table: spec.key, index: String(index) } });
    for (const f of spec.fields) {
      const label = t(f.label || 'f.' + f.key);
      const err = fieldError(spec, index, f.key);
      let control;
      if (f.type === 'ltext') {
        const n = row.name;
        const parts = typeof n === 'string' ? { zh_cn: n } : (n || {});
        control = el('div', { class: 'ltext' }, ...['zh_cn', 'zh_tw', 'en'].map((l) => el('label', {},
          el('span', { class: 'note', text: t('f.name_' + l) }),
          el('input', { class: 'field', name: 'name_' + l, value: parts[l] || '', 'aria-invalid': err ? 'true' : null }))));
      } else if (f.type === 'select') {
        control = el('select', { class: 'field', name: f.key }, ...f.options.map((o) => {
          const opt = el('option', { value: o, text: f.optionText ? f.optionText(o) : o });
          if (row[f.key] === o) opt.selected = true;
          return opt;
        }));
      } else {
        const placeholder = f.type === 'password' && row.password_set ? `${t('f.passwordSet')} · ${t('f.passwordKeep')}` : '';
        control = el('input', {
          class: 'field', name: f.key, value: formValue(f, row), placeholder,
          type: f.type === 'password' ? 'password' : 'text', autocomplete: f.type === 'password' ? 'new-password' : 'off',
          inputmode: f.type === 'int' ? 'numeric' : null, 'aria-invalid': err ? 'true' : null,
        });
      }
      form.append(el('div', { class: 'cfg-field' + (err ? ' bad' : ''), dataset: { field: f.key } },
        el('label', { text: label }), control, err ? el('div', { class: 'error field-error', text: err }) : null));
    }
    form.append(el('div', { class: 'cfg-actions' },
      el('button', { type: 'submit', class: 'btn primary', dataset: { act: 'apply' } }, t('cfg.apply')),
      el('button', { type: 'button', class: 'btn', onclick: () => cancelForm(spec) }, t('cfg.cancel'))));
    form.addEventListener('submit', (e) => { e.preventDefault(); applyForm(spec, index, form); });
    return form;
  }

  function table(spec) {
    const rows = S.draft[spec.key] || [];
    const body = [];
    rows.forEach((r, i) => {
      const isOpen = S.open && S.open.table === spec.key && S.open.index === i;
      const hasError = S.error && S.error.table === spec.key && S.error.index === i;
      body.push(el('tr', { class: (isOpen ? 'open' : '') + (hasError ? ' bad' : ''), dataset: { row: spec.rowKey(r) || `#${i}` } },
        ...spec.columns.map((c) => el('td', { text: c(r) })),
        el('td', { class: 'r nowrap' },
          el('button', { type: 'button', class: 'btn small', disabled: !S.editable || S.busy, dataset: { act: 'edit' },
            onclick: () => openRow(spec.key, i) }, t('cfg.edit')),
          el('button', { type: 'button', class: 'btn small danger', disabled: !S.editable || S.busy, dataset: { act: 'remove' },
            onclick: () => remove(spec, i) }, S.removing === spec.key + '/' + i ? t('cfg.confirmRemove') : t('cfg.remove')))));
      if (isOpen) body.push(el('tr', { class: 'form-row' }, el('td', { colspan: String(spec.columns.length + 1) }, rowForm(spec, i))));
    });
    return el('div', { class: 'cfg-table', dataset: { table: spec.key } },
      el('div', { class: 'cfg-head' }, el('h3', { text: t(spec.title) }),
        el('button', { type: 'button', class: 'btn small', disabled: !S.editable || S.busy, dataset: { act: 'add' },
          onclick: () => add(spec) }, t('cfg.add'))),
      el('div', { class: 'table-wrap' }, el('table', { class: 'list' },
        el('thead', {}, el('tr', {}, ...spec.heads.map((h) => el('th', { text: t(h) })), el('th'))),
        el('tbody', {}, ...body))));
  }

  // The hall's days: rules.workdays (0 = Sunday), holidays and extra_workdays. "Apply" puts them
  // in the draft like a row's form; the server checks the dates (and that a make-up day is not
  // already a working day) when the configuration is saved.
  function daysForm() {
    const rules = S.draft.rules || {};
    const work = new Set(rules.workdays || [1, 2, 3, 4, 5]);
    const error = (key) => (S.error && S.error.table === 'rules' && S.error.field === key ? S.error.text : '');
    const field = (key, control) => el('div', { class: 'cfg-field' + (error(key) ? ' bad' : ''), dataset: { field: key } },
      el('label', { text: t('f.' + key) }), control, error(key) ? el('div', { class: 'error field-error', text: error(key) }) : null);
    const dates = (key) => el('textarea', { class: 'field', name: key, rows: '2', 'aria-invalid': error(key) ? 'true' : null,
      disabled: !S.editable || S.busy }, (rules[key] || []).join(', '));
    const form = el('form', { class: 'cfg-days', id: 'cfgDays' },
      field('workdays', el('div', { class: 'weekdays' }, ...[1, 2, 3, 4, 5, 6, 0].map((d) => el('label', {},
        el('input', { type: 'checkbox', name: 'wd', value: String(d), checked: work.has(d), disabled: !S.editable || S.busy }),
        t('wd.' + d))))),
      field('holidays', dates('holidays')),
      field('extra_workdays', dates('extra_workdays')),
      el('div', { class: 'cfg-actions' },
        el('button', { type: 'submit', class: 'btn primary', disabled: !S.editable || S.busy, dataset: { act: 'apply-days' } }, t('cfg.apply'))));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const next = { ...(S.draft.rules || {}) };
      next.workdays = [...form.querySelectorAll('input[name="wd"]:checked')].map((c) => Number(c.value)).sort((a, b) => a - b);
      for (const key of ['holidays', 'extra_workdays']) {
        const l = splitList(form.querySelector(`[name="${key}"]`).value);
        if (l.length) next[key] = l; else delete next[key];
      }
      S.draft.rules = next;
      S.dirty = true; S.open = null; S.error = null; S.message = t('cfg.dirty'); S.messageOk = false;
      render();
    });
    return el('div', { class: 'cfg-table', dataset: { table: 'rules' } },
      el('div', { class: 'cfg-head' }, el('h3', { text: t('cfg.days') })),
      el('p', { class: 'note', text: t('cfg.daysIntro') }), form);
  }

  // From outside (a language switch): an open form is not rebuilt, or what was typed would go.
  function refresh() {
    if (!S.open) render();
  }

  function render() {
    root.replaceChildren(
      el('h2', { text: t('cfg.title') }),
      el('p', { class: 'note', text: t('cfg.intro') }),
      el('div', { class: 'cfg-bar' },
        el('button', { type: 'button', class: 'btn primary', id: 'cfgSave', disabled: !S.editable || S.busy || !S.dirty, onclick: save }, t('cfg.save')),
        el('button', { type: 'button', class: 'btn', id: 'cfgReload', disabled: S.busy, onclick: load }, t('cfg.reload')),
        el('span', { class: 'message ' + (S.messageOk ? 'ok' : 'error'), id: 'cfgMessage', role: 'status', text: S.message })),
      S.draft ? el('div', { class: 'cfg-tables' }, ...TABLES.map(table), daysForm()) : null);
  }

  render();
  return { load, render: refresh, dirty: () => S.dirty };
}
