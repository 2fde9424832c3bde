#include "hallq/display/views.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace hallq::display {

namespace {

struct Words {
  const char* zh_cn;
  const char* zh_tw;
  const char* en;
};

const std::map<std::string_view, Words>& words() {
  static const std::map<std::string_view, Words> w = {
      {"calls", {"叫号信息", "叫號資訊", "Now calling"}},
      {"number", {"号码", "號碼", "Number"}},
      {"window", {"窗口", "窗口", "Window"}},
      {"services", {"业务", "業務", "Service"}},
      {"waiting", {"等候人数", "等候人數", "Waiting"}},
      {"wait", {"预计等候", "預計等候", "Est. wait"}},
      {"lost", {"连接中断", "連線中斷", "Connection lost"}},
      {"paused", {"暂停服务", "暫停服務", "Paused"}},
      {"closed", {"暂停服务", "暫停服務", "Closed"}},
      {"welcome", {"欢迎光临", "歡迎光臨", "Welcome"}},
      {"no_wait", {"无需等候", "無需等候", "no wait"}},
      {"connecting", {"正在连接服务器", "正在連線伺服器", "Connecting to the server"}},
      {"take_ticket", {"请选择业务取号", "請選擇業務取號", "Choose a service to take a number"}},
      {"hours", {"取号时间", "取號時間", "Tickets"}},
      {"all_taken", {"今日号已取完", "今日號已取完", "All of today's tickets are taken"}},
      {"closed_today", {"今日不办公", "今日不辦公", "Closed today"}},
      {"all_taken_short", {"今日号已取完", "今日號已取完", "All taken today"}},
      {"stopped_today", {"今日已停止取号", "今日已停止取號", "No more today"}},
      {"opens_at", {"{} 起取号", "{} 起取號", "From {}"}},
      {"priority", {"绿色通道（老年人、残疾人等）", "綠色通道（老年人、殘疾人等）", "Priority (elderly, disabled...)"}},
      {"appointment", {"预约取号", "預約取號", "Appointment"}},
      {"appointment_prompt", {"请输入6位预约码，或扫描预约二维码", "請輸入6位預約碼，或掃描預約二維碼",
                              "Enter your 6-digit appointment code, or scan its QR code"}},
      {"code_short", {"预约码是6位数字", "預約碼是6位數字", "The appointment code has 6 digits"}},
      {"confirm", {"确认", "確認", "OK"}},
      {"delete", {"删除", "刪除", "Delete"}},
      {"back", {"返回", "返回", "Back"}},
      {"checking_in", {"正在签到…", "正在報到…", "Checking in…"}},
      {"checked_in", {"预约签到成功", "預約報到成功", "Checked in"}},
      {"your_number", {"您的号码", "您的號碼", "Your number"}},
      {"ahead", {"前面等候", "前面等候", "Ahead of you"}},
      {"people", {"人", "人", ""}},
      {"issuing", {"正在取号…", "正在取號…", "Issuing…"}},
      {"take_receipt", {"请取走号票", "請取走號票", "Please take your ticket"}},
      {"rate_title", {"请对本次服务进行评价", "請對本次服務進行評價", "Please rate our service"}},
      {"thanks", {"感谢您的评价", "感謝您的評價", "Thank you for your rating"}},
      {"rate_5", {"非常满意", "非常滿意", "Very satisfied"}},
      {"rate_4", {"满意", "滿意", "Satisfied"}},
      {"rate_3", {"基本满意", "基本滿意", "Fairly satisfied"}},
      {"rate_2", {"不满意", "不滿意", "Dissatisfied"}},
      {"rate_1", {"非常不满意", "非常不滿意", "Very dissatisfied"}},
      {"idle_eval", {"欢迎评价", "歡迎評價", "Your opinion counts"}},
      {"printer_paper_out", {"打印机缺纸，请联系工作人员", "印表機缺紙，請聯繫工作人員", "Printer out of paper — please ask staff"}},
      {"printer_cover_open", {"打印机盖未关好，请联系工作人员", "印表機蓋未關好，請聯繫工作人員", "Printer cover open — please ask staff"}},
      {"printer_cutter_error", {"打印机切纸故障，请联系工作人员", "印表機切紙故障，請聯繫工作人員", "Printer cutter jammed — please ask staff"}},
      {"printer_offline", {"打印机离线，请联系工作人员", "印表機離線，請聯繫工作人員", "Printer offline — please ask staff"}},
      {"printer_fault", {"打印机故障，请联系工作人员", "印表機故障，請聯繫工作人員", "Printer fault — please ask staff"}},
      {"print_later", {"号票将在打印机修复后打印，请记住您的号码", "號票將在印表機修復後列印，請記住您的號碼",
                       "Your ticket will print once the printer is fixed — please remember your number"}},
  };
  return w;
}

}  // namespace

std::string ui_text_with(std::string_view key, std::string_view lang, const std::string& value) {
  std::string out = ui_text(key, lang);
  if (auto at = out.find("{}"); at != std::string::npos) out.replace(at, 2, value);
  return out;
}

std::string ui_text(std::string_view key, std::string_view lang) {
  auto it = words().find(key);
  if (it == words().end()) return std::string(key);
  if (lang == "zh-TW") return it->second.zh_tw;
  if (lang == "en") return it->second.en;
  return it->second.zh_cn;
}

std::string wait_text(std::int64_t seconds, std::string_view lang) {
  if (seconds <= 0) return ui_text("no_wait", lang);
  const std::int64_t minutes = std::max<std::int64_t>(1, (seconds + 59) / 60);
  if (lang == "en") return "about " + std::to_string(minutes) + " min";
  if (lang == "zh-TW") return "約 " + std::to_string(minutes) + " 分鐘";
  return "约 " + std::to_string(minutes) + " 分钟";
}

std::string window_label(int number, std::string_view lang) {
  if (lang == "en") return "Window " + std::to_string(number);
  if (lang == "zh-TW") return std::to_string(number) + "號窗口";
  return std::to_string(number) + "号窗口";
}

namespace {
// Days since 1970-01-01 -> civil date (H. Hinnant's algorithm).
void civil(std::int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = unsigned(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = int(doy - (153 * mp + 2) / 5 + 1);
  m = int(mp < 10 ? mp + 3 : mp - 9);
  y = int(yoe + era * 400 + (m <= 2));
}
std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
}  // namespace

std::string date_text(TimeMs now, int utc_offset_min, std::string_view lang) {
  const std::int64_t local_ms = now + std::int64_t(utc_offset_min) * 60000;
  const std::int64_t days = floor_div(local_ms, 86400000);
  int y, m, d;
  civil(days, y, m, d);
  const int wd = int(((days % 7) + 7 + 4) % 7);  // 1970-01-01 was a Thursday
  static const char* zh[] = {"日", "一", "二", "三", "四", "五", "六"};
  static const char* en[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  char buf[64];
  if (lang == "en") std::snprintf(buf, sizeof buf, "%s %04d-%02d-%02d", en[wd], y, m, d);
  else std::snprintf(buf, sizeof buf, "%04d年%d月%d日 %s%s", y, m, d, lang == "zh-TW" ? "星期" : "星期", zh[wd]);
  return buf;
}

std::string clock_text(TimeMs now, int utc_offset_min) {
  const std::int64_t local_s = floor_div(now + std::int64_t(utc_offset_min) * 60000, 1000);
  const std::int64_t sod = ((local_s % 86400) + 86400) % 86400;
  // Minutes only: a board that changes once a minute costs nothing when the hall is quiet.
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", int(sod / 3600), int(sod / 60 % 60));
  return buf;
}

int marquee_offset(int text_w, int box_w, TimeMs elapsed_ms, int speed_px_s, int gap_px) {
  if (text_w <= box_w || speed_px_s <= 0) return 0;
  const std::int64_t period = std::int64_t(text_w) + gap_px;
  const std::int64_t travelled = std::max<TimeMs>(0, elapsed_ms) * speed_px_s / 1000;
  return int(travelled % period);
}

std::string lost_detail(TimeMs lost_for_ms, std::string_view lang) {
  const std::int64_t s = std::max<TimeMs>(0, lost_for_ms) / 1000;
  if (lang == "en") return "for " + std::to_string(s) + " s, reconnecting; the calls shown before may be out of date";
  if (lang == "zh-TW") return "已中斷 " + std::to_string(s) + " 秒，正在重新連線，請以窗口叫號為準";
  return "已断开 " + std::to_string(s) + " 秒，正在重新连接，请以窗口叫号为准";
}

BoardView board_view(const HallCopy& hall, const Style& style, TimeMs now, int utc_offset_min) {
  const std::string& lang = style.language;
  BoardView v;
  v.title = hall.hall_name().in(lang);
  // The hall's clock and time zone (the server's), not this PC's: a board with a wrong clock
  // would otherwise disagree with the kiosks and with what it says of the services' hours.
  const TimeMs clock = hall.hall_now(now);
  const int offset = hall.utc_offset_min().value_or(utc_offset_min);
  v.date = date_text(clock, offset, lang);
  v.clock = clock_text(clock, offset);
  v.calls_heading = ui_text("calls", lang);
  v.number_heading = ui_text("number", lang);
  v.window_heading = ui_text("window", lang);
  v.services_heading = ui_text("services", lang);
  v.waiting_heading = ui_text("waiting", lang);
  v.wait_heading = ui_text("wait", lang);
  v.notice = hall.notice();
  if (!hall.live()) {
    // Never leave old calls up as if they were current: the banner replaces them.
    v.lost = true;
    v.lost_title = hall.has_snapshot() || hall.lost() ? ui_text("lost", lang) + " / " + ui_text("lost", lang == "en" ? "zh-CN" : "en")
                                                      : ui_text("connecting", lang);
    v.lost_detail = hall.lost() ? lost_detail(now - hall.lost_since(), lang) : "";
    return v;
  }
  bool first = true;
  for (const CallInfo& c : hall.recent_calls()) {
    if (int(v.calls.size()) >= style.calls_shown) break;
    if (!style.windows.empty() && std::find(style.windows.begin(), style.windows.end(), c.window) == style.windows.end()) continue;
    BoardCall row{c.number, window_label(c.window, lang), first, true, c.recall};
    if (first && hall.last_call_seen() && now - hall.last_call_seen() < style.flash_ms)
      row.highlight = ((now - hall.last_call_seen()) / std::max(1, style.blink_ms)) % 2 == 0;
    first = false;
    v.calls.push_back(std::move(row));
  }
  auto add = [&](const ServiceInfo& s) {
    BoardService row{s.code, s.name.in(lang), style.second_language.empty() ? "" : s.name.in(style.second_language),
                     std::to_string(s.waiting), wait_text(s.waiting ? s.estimated_wait_s : 0, lang)};
    // A service the kiosks grey says why here too, so nobody walks to a kiosk for it.
    switch (hall.issuing(s, now)) {
      case Issuing::open: break;
      case Issuing::day_off: row.closed = true, row.wait = ui_text("closed_today", lang); break;
      case Issuing::cap_reached: row.closed = true, row.wait = ui_text("all_taken_short", lang); break;
      case Issuing::outside_hours: {
        row.closed = true;
        const int minute = hall.hall_minute(now);
        auto next = std::find_if(s.hours.begin(), s.hours.end(), [&](const OpeningSpan& h) { return h.open_min > minute; });
        row.wait = next == s.hours.end() ? ui_text("stopped_today", lang)
                                         : ui_text_with("opens_at", lang, format_clock(next->open_min));
        break;
      }
    }
    v.services.push_back(std::move(row));
  };
  if (style.services.empty()) {
    for (const ServiceInfo& s : hall.services()) add(s);
  } else {
    for (const std::string& code : style.services)
      if (const ServiceInfo* s = hall.service(code)) add(*s);
  }
  return v;
}

StripView strip_view(const HallCopy& hall, const Style& style, int window, TimeMs now) {
  const std::string& lang = style.language;
  StripView v;
  v.window = window_label(window, lang);
  const WindowInfo* w = hall.window(window);
  if (w) v.name = w->name.in(lang);
  if (!hall.live()) {
    v.lost = true;
    v.status = ui_text(hall.has_snapshot() || hall.lost() ? "lost" : "connecting", lang);
    return v;
  }
  if (!w) {
    v.status = "?";
    return v;
  }
  if (w->state != WindowState::open) {
    v.paused = true;
    v.status = ui_text(w->state == WindowState::paused ? "paused" : "closed", lang);
    return v;
  }
  if (w->current && !w->current->number.empty()) {
    v.number = w->current->number;
    if (lang == "en") v.status = "Now serving " + v.number;
    else v.status = (lang == "zh-TW" ? "請 " : "请 ") + v.number + (lang == "zh-TW" ? " 號辦理" : " 号办理");
    // Flash after a call seen live here (not after a snapshot of an old call).
    for (const CallInfo& c : hall.recent_calls()) {
      if (c.window != window) continue;
      if (c.number == v.number && hall.last_call_seen() && now - hall.last_call_seen() < style.flash_ms &&
          w->current->state == TicketState::called)
        v.flash_on = ((now - hall.last_call_seen()) / std::max(1, style.blink_ms)) % 2 == 0;
      break;
    }
    return v;
  }
  v.status = ui_text("welcome", lang);
  return v;
}

}  // namespace hallq::display
