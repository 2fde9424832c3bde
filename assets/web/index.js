// The index (/): links to the consoles, and whether the server answers.
import { addStrings, initLang, onLangChange, t, api } from '/common.js';

addStrings({
  'zh-CN': {
    'page.title': 'HallQ 排队叫号', title: 'HallQ 排队叫号系统', clerk: '窗口工作台', admin: '大厅管理',
    'clerk.about': '窗口工作人员：叫号、重呼、过号、办理、转移、挂起、暂停。',
    'admin.about': '管理人员：大厅实时情况、设备状态、今日统计、公告。',
    ticket: '办事人的取号页面', 'ticket.about': '办事人扫描号票上的二维码打开自己的取号页面（/t/…），无需登录。',
    ok: '服务器正常 · 营业日 {d}', down: '服务器没有回答',
  },
  'zh-TW': {
    'page.title': 'HallQ 排隊叫號', title: 'HallQ 排隊叫號系統', clerk: '窗口工作台', admin: '大廳管理',
    'clerk.about': '窗口工作人員：叫號、重呼、過號、辦理、轉移、掛起、暫停。',
    'admin.about': '管理人員：大廳即時情況、設備狀態、今日統計、公告。',
    ticket: '辦事人的取號頁面', 'ticket.about': '辦事人掃描號票上的 QR 碼開啟自己的取號頁面（/t/…），無需登入。',
    ok: '伺服器正常 · 營業日 {d}', down: '伺服器沒有回應',
  },
  en: {
    'page.title': 'HallQ queue system', title: 'HallQ queue system', clerk: 'Window console', admin: 'Hall dashboard',
    'clerk.about': 'For window clerks: call, recall, no-show, serve, transfer, hold, pause.',
    'admin.about': 'For managers: the hall live, devices, today\'s figures, the notice line.',
    ticket: 'The visitor\'s ticket page', 'ticket.about': 'Visitors scan the QR code on their ticket to open their own page (/t/…), no log-in.',
    ok: 'Server OK · business day {d}', down: 'The server does not answer',
  },
});

let health = null;
function render() {
  document.getElementById('health').textContent = health ? (health.ok ? t('ok', { d: health.data.business_day }) : t('down')) : '';
}
onLangChange(render);
initLang('zh-CN');
api('GET', '/api/health').then((r) => { health = r; render(); });
