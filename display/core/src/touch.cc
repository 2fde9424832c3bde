#include "hallq/display/touch.h"

#include <algorithm>

#include "json_fields.h"

namespace hallq::display {

using nlohmann::json;

namespace {
const char* const kLanguages[] = {"zh-CN", "zh-TW", "en"};
const char* const kLanguageLabels[] = {"简体中文", "繁體中文", "English"};

std::string error_message(const json& result) {
  if (auto it = result.find("error"); it != result.end() && it->is_object()) return it->value("message", "");
  return "";
}
}  // namespace

std::string printer_problem_text(const DeviceInfo* printer, std::string_view lang) {
  if (!printer || printer->since == 0) return "";
  if (!printer->online) return ui_text("printer_offline", lang);
  const std::string& s = printer->status;
  if (s == "ok" || s == "paper_near_end" || s == "unknown" || s.empty()) return "";
  if (s == "paper_out" || s == "cover_open" || s == "cutter_error" || s == "offline") return ui_text("printer_" + s, lang);
  return ui_text("printer_fault", lang);  // a status a newer agent reports: still not printing
}

std::optional<json> KioskModel::press(const std::string& action, TimeMs now) {
  if (action.rfind("lang:", 0) == 0) {
    lang_ = action.substr(5);
    return std::nullopt;
  }
  if (action == "priority") {
    priority_ = !priority_;
    return std::nullopt;
  }
  if (action == "appointment") {
    appointment_ = true;
    code_.clear();
    touched_at_ = now;
    message_until_ = 0;
    return std::nullopt;
  }
  if (action == "back") {
    appointment_ = false;
    code_.clear();
    message_until_ = 0;
    return std::nullopt;
  }
  if (action.rfind("digit:", 0) == 0 && action.size() == 7 && action[6] >= '0' && action[6] <= '9') {
    if (!entering_code(now)) {
      appointment_ = true;  // a scan opens the entry from any screen
      code_.clear();
    }
    touched_at_ = now;
    if (!pending_.empty()) return std::nullopt;
    if (message_is_error_) message_until_ = 0;  // typing again: the last refusal has been read
    if (code_.size() < kCodeDigits) code_ += action[6];
    return std::nullopt;
  }
  if (action == "backspace") {
    if (!entering_code(now) || !pending_.empty()) return std::nullopt;
    touched_at_ = now;
    if (!code_.empty()) code_.pop_back();
    return std::nullopt;
  }
  if (action == "confirm") {
    if (!entering_code(now) || !pending_.empty()) return std::nullopt;  // a double press: one request
    touched_at_ = now;
    if (code_.size() != kCodeDigits) {
      message_ = ui_text("code_short", lang_);
      message_is_error_ = true;
      message_until_ = now + 8000;
      return std::nullopt;
    }
    pending_ = ids_.next();
    pending_is_code_ = true;
    pending_code_ = code_;
    issued_number_.clear();
    message_ = ui_text("checking_in", lang_);
    message_is_error_ = false;
    message_until_ = now + 30000;
    pending_command_ =
        json{{"type", "command"}, {"command", "issue"}, {"appointment_code", code_}, {"request_id", pending_}, {"lang", lang_}};
    return pending_command_;
  }
  if (action.rfind("service:", 0) != 0) return std::nullopt;
  if (!pending_.empty()) return std::nullopt;  // the first tap is still being answered
  pending_ = ids_.next();
  pending_is_code_ = false;
  issued_number_.clear();
  message_is_error_ = false;
  message_ = ui_text("issuing", lang_);
  message_until_ = now + 30000;
  json cmd{{"type", "command"}, {"command", "issue"}, {"service", action.substr(8)}, {"request_id", pending_}, {"lang", lang_}};
  if (priority_) {
    cmd["class"] = "priority";
    cmd["priority_reason"] = "elderly";
  }
  pending_command_ = cmd;
  return cmd;
}

bool KioskModel::on_result(const json& result, TimeMs now) {
  if (pending_.empty() || result.value("request_id", json()) != json(pending_)) return false;
  pending_.clear();
  pending_command_.reset();
  priority_ = false;
  const bool was_code = pending_is_code_;
  pending_is_code_ = false;
  message_is_error_ = !result.value("ok", false);
  message_without_receipt_.clear();
  if (!message_is_error_) {
    const json r = result.value("result", json::object());
    const json ticket = r.value("ticket", json::object());
    issued_number_ = ticket.is_object() ? ticket.value("number", "") : "";
    const int ahead = r.value("ahead", 0);
    message_ = (was_code ? ui_text("checked_in", lang_) + " · " : std::string()) + ui_text("ahead", lang_) + " " + std::to_string(ahead) +
               " " + ui_text("people", lang_) + " · " + wait_text(r.value("estimated_wait_s", std::int64_t(0)), lang_);
    // "Take your ticket" only while the printer prints (view() adds it); the log reads it all.
    message_without_receipt_ = message_;
    message_ += " · " + ui_text("take_receipt", lang_);
    if (was_code) {
      appointment_ = false;  // the next visitor starts at the services
      code_.clear();
    }
  } else {
    issued_number_.clear();
    if (was_code) {
      message_ = appointment_error_text(result.value("error", json::object()), pending_code_, lang_);
      code_.clear();  // ready for the next try or scan
      touched_at_ = now;
    } else {
      message_ = issue_error_text(result.value("error", json::object()), lang_);
    }
  }
  message_until_ = now + 15000;
  return true;
}

TimeMs KioskModel::next_change(TimeMs now) const {
  TimeMs next = 0;
  auto consider = [&](TimeMs t) {
    if (t > now && (next == 0 || t < next)) next = t;
  };
  consider(message_until_);
  if (appointment_) consider(touched_at_ + kEntryIdleMs);
  return next;
}

void KioskModel::type_text(const std::string& text, TimeMs now) {
  for (char c : text)
    if (c >= '0' && c <= '9') press(std::string("digit:") + c, now);
}

namespace {
// "A012"-like words in the server's message (an already-used code names its ticket).
std::string find_ticket_number(const std::string& m) {
  std::string word;
  auto is_number = [](const std::string& w) {
    std::size_t letters = 0;
    while (letters < w.size() && w[letters] >= 'A' && w[letters] <= 'Z') ++letters;
    if (letters == 0 || letters > 3 || w.size() - letters < 2 || w.size() - letters > 5) return false;
    return std::all_of(w.begin() + long(letters), w.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  for (std::size_t i = 0; i <= m.size(); ++i) {
    const char c = i < m.size() ? m[i] : ' ';
    if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      word += c;
      continue;
    }
    if (is_number(word)) return word;
    word.clear();
  }
  return "";
}

std::string find_date(const std::string& m) {
  for (std::size_t i = 0; i + 10 <= m.size(); ++i) {
    const std::string d = m.substr(i, 10);
    bool ok = d[4] == '-' && d[7] == '-';
    for (int k : {0, 1, 2, 3, 5, 6, 8, 9}) ok = ok && d[std::size_t(k)] >= '0' && d[std::size_t(k)] <= '9';
    if (ok) return d;
  }
  return "";
}
}  // namespace

std::string appointment_error_text(const json& error, const std::string& code, std::string_view lang) {
  const std::string kind = error.is_object() ? error.value("code", "") : "";
  const std::string server = error.is_object() ? error.value("message", "") : error.is_string() ? error.get<std::string>() : "";
  const bool tw = lang == "zh-TW", en = lang == "en";
  auto say = [&](std::string cn, std::string tw_, std::string en_) { return en ? en_ : tw ? tw_ : cn; };
  if (kind == "not_found")
    return say("预约码 " + code + " 不存在，请核对后重新输入", "預約碼 " + code + " 不存在，請核對後重新輸入",
               "No appointment has the code " + code + "; please check it");
  if (kind == "appointment_missed")
    return say("预约 " + code + " 已过时，请选择业务取普通号", "預約 " + code + " 已逾時，請選擇業務取一般號碼",
               "Appointment " + code + " was missed; please take a normal ticket");
  if (kind == "appointment_cancelled")
    return say("预约 " + code + " 已取消", "預約 " + code + " 已取消", "Appointment " + code + " was cancelled");
  if (kind == "already_checked_in") {
    const std::string number = find_ticket_number(server);
    if (number.empty()) return say("预约 " + code + " 已签到过", "預約 " + code + " 已報到過", "Appointment " + code + " is already checked in");
    return say("预约 " + code + " 已签到，号码 " + number, "預約 " + code + " 已報到，號碼 " + number,
               "Appointment " + code + " is already checked in as " + number);
  }
  if (kind == "bad_request") {
    if (const std::string day = find_date(server); !day.empty())
      return say("预约 " + code + " 的日期是 " + day + "，不是今天", "預約 " + code + " 的日期是 " + day + "，不是今天",
                 "Appointment " + code + " is for " + day + ", not today");
  }
  if (kind == "forbidden")
    return say("本机不能办理这个预约的业务，请到其他取号机", "本機不能辦理這個預約的業務，請至其他取號機",
               "This kiosk cannot check in this appointment; please use another kiosk");
  // Anything else (closed today, busy): what a refused ticket would say.
  return issue_error_text(error, lang);
}

namespace {
// "08:30-12:00" spans in the server's message, joined for the visitor.
std::string find_spans(const std::string& m, const char* separator) {
  std::string out;
  auto digit = [&](std::size_t i) { return m[i] >= '0' && m[i] <= '9'; };
  for (std::size_t i = 0; i + 11 <= m.size(); ++i) {
    const bool span = digit(i) && digit(i + 1) && m[i + 2] == ':' && digit(i + 3) && digit(i + 4) && m[i + 5] == '-' &&
                      digit(i + 6) && digit(i + 7) && m[i + 8] == ':' && digit(i + 9) && digit(i + 10);
    if (!span) continue;
    if (!out.empty()) out += separator;
    out += m.substr(i, 11);
    i += 10;
  }
  return out;
}
}  // namespace

std::string day_off_text(const std::string& date, std::string_view lang) {
  if (lang == "en") return "The hall is closed today (" + date + "): no tickets";
  if (lang == "zh-TW") return "今天（" + date + "）不辦公，不能取號";
  return "今天（" + date + "）不办公，不能取号";
}

std::string issue_error_text(const json& error, std::string_view lang) {
  const std::string kind = error.is_object() ? error.value("code", "") : "";
  const std::string server = error.is_object() ? error.value("message", "") : error.is_string() ? error.get<std::string>() : "";
  const bool tw = lang == "zh-TW", en = lang == "en";
  auto say = [&](std::string cn, std::string tw_, std::string en_) { return en ? en_ : tw ? tw_ : cn; };
  if (kind == "service_closed") {
    // The facts come in the error's detail. A server older than the detail said them only in
    // its English message, which is read instead.
    const json detail = error.is_object() ? error.value("detail", json()) : json();
    const std::string reason = str(detail, "reason");
    if (reason == "day_off" || (reason.empty() && server.find("closed today") != std::string::npos))
      return day_off_text(reason.empty() ? find_date(server) : str(detail, "date"), lang);
    const std::string hours = reason == "outside_hours" ? str(detail, "hours") : server;
    if (const std::string spans = find_spans(hours, en ? ", " : "、"); !spans.empty())
      return say("该业务现在不取号，取号时间 " + spans, "該業務現在不取號，取號時間 " + spans,
                 "This service issues tickets " + spans + " only");
    return say("该业务现在不取号", "該業務現在不取號", "This service issues no tickets now");
  }
  if (kind == "daily_cap_reached")
    return say("该业务今天的号已经取完，请明天再来", "該業務今天的號已經取完，請明天再來",
               "Today's tickets for this service are all taken; please come back tomorrow");
  if (kind == "rate_limited")
    return say("操作太快，请稍候再按", "操作太快，請稍候再按", "Too many presses; please wait a moment");
  if (kind == "busy") return say("系统繁忙，请稍候再按", "系統繁忙，請稍候再按", "The system is busy; please press again in a moment");
  return server.empty() ? kind : server;
}

void KioskModel::send_failed(TimeMs now) {
  pending_.clear();
  pending_is_code_ = false;
  message_is_error_ = true;
  pending_command_.reset();
  message_ = ui_text("lost", lang_);
  message_until_ = now + 5000;
}

TouchView KioskModel::view(const HallCopy& hall, const Style& style, int width, int height, TimeMs now) const {
  TouchView v;
  v.title = hall.hall_name().in(lang_);
  if (v.title.empty()) v.title = ui_text("take_ticket", lang_);
  if (!hall.live()) {
    v.lost = true;
    v.lost_title = ui_text(hall.has_snapshot() || hall.lost() ? "lost" : "connecting", lang_);
    return v;
  }
  const bool code_entry = entering_code(now);
  v.banner = printer_problem_text(hall.device(hall.device_printer()), lang_);
  if (now < message_until_) {
    v.message = message_;
    v.big_number = issued_number_;
    v.message_is_error = message_is_error_;
    if (!v.banner.empty() && !v.big_number.empty()) {
      // The spool keeps the job: it prints when staff fix the printer. Until then the number on
      // this screen is all the visitor has.
      if (!message_without_receipt_.empty()) v.message = message_without_receipt_;
      v.note = ui_text("print_later", lang_);
    }
  } else {
    v.message = ui_text(code_entry ? "appointment_prompt" : "take_ticket", lang_);
  }
  // Geometry: a title band, a grid of service buttons (or the code entry), a bottom row of options.
  const int margin = std::max(8, width / 80);
  const int top = height / 6, bottom_h = height / 9;
  const int y = height - bottom_h - margin / 2;
  const int opt_w = (width - 6 * margin) / 5;
  auto add_languages = [&] {
    for (int i = 0; i < 3; ++i) {
      Button l{Rect{0, y, opt_w * 2 / 3, bottom_h}, std::string("lang:") + kLanguages[i], kLanguageLabels[i], "", lang_ == kLanguages[i], true};
      l.rect.x = width - (3 - i) * (opt_w * 2 / 3 + margin);
      v.buttons.push_back(l);
    }
  };
  if (code_entry) {
    // Six slots for the code, a phone-style keypad (the keys a visitor knows), Back and languages.
    const int entry_h = height / 8;
    const int entry_w = std::min(width * 6 / 10, entry_h * 6);
    v.entry = code_;
    v.entry_max = int(kCodeDigits);
    v.entry_rect = Rect{(width - entry_w) / 2, top, entry_w, entry_h};
    const int y0 = top + entry_h + 2 * margin, y1 = y - 2 * margin;
    const int kh = (y1 - y0 - 3 * margin) / 4, kw = std::min(width / 4, kh * 2);
    const int x0 = (width - 3 * kw - 2 * margin) / 2;
    const bool free = pending_.empty();
    for (int k = 0; k < 12; ++k) {
      Button b;
      b.rect = Rect{x0 + (k % 3) * (kw + margin), y0 + (k / 3) * (kh + margin), kw, kh};
      if (k < 9) b.action = "digit:" + std::to_string(k + 1), b.label = std::to_string(k + 1);
      else if (k == 9) b.action = "backspace", b.label = ui_text("delete", lang_);
      else if (k == 10) b.action = "digit:0", b.label = "0";
      else b.action = "confirm", b.label = ui_text("confirm", lang_), b.selected = code_.size() == kCodeDigits;
      b.enabled = free && (k < 9 || k == 10 ? code_.size() < kCodeDigits : k == 9 ? !code_.empty() : code_.size() == kCodeDigits);
      v.buttons.push_back(std::move(b));
    }
    v.buttons.push_back(Button{Rect{margin, y, opt_w * 2 - margin / 2, bottom_h}, "back", ui_text("back", lang_), "", false, free});
    add_languages();
    return v;
  }
  std::vector<const ServiceInfo*> services;
  if (style.services.empty()) for (const auto& s : hall.services()) services.push_back(&s);
  else for (const auto& c : style.services) if (const ServiceInfo* s = hall.service(c)) services.push_back(s);
  const int cols = services.size() > 8 ? 3 : 2;
  const int rows = std::max<int>(1, int((services.size() + cols - 1) / cols));
  const int grid_h = height - top - bottom_h - 2 * margin;
  const int bw = (width - (cols + 1) * margin) / cols, bh = std::min(grid_h / rows - margin, height / 6);
  for (std::size_t i = 0; i < services.size(); ++i) {
    const ServiceInfo& s = *services[i];
    Button b;
    b.rect = Rect{margin + int(i % cols) * (bw + margin), top + int(i / cols) * (bh + margin), bw, bh};
    b.action = "service:" + s.code;
    b.label = s.name.in(lang_);
    b.detail = ui_text("waiting", lang_) + " " + std::to_string(s.waiting) + " · " + wait_text(s.waiting ? s.estimated_wait_s : 0, lang_);
    // What the server would refuse is greyed, with why on the button, before anyone taps it.
    const Issuing issuing = hall.issuing(s, now);
    if (issuing == Issuing::outside_hours) {
      b.detail = ui_text("hours", lang_) + " " + format_hours(s.hours, lang_ == "en" ? ", " : "、");
    } else if (issuing == Issuing::cap_reached) {
      b.detail = ui_text("all_taken", lang_);
    } else if (issuing == Issuing::day_off) {
      b.detail = ui_text("closed_today", lang_);
    }
    b.unavailable = issuing != Issuing::open;
    b.enabled = pending_.empty() && !b.unavailable;
    v.buttons.push_back(std::move(b));
  }
  // On a day off the prompt says so; a refusal or an issued number still shows while it lasts.
  const bool day_off = hall.day_off() != nullptr;
  if (day_off && now >= message_until_ && !code_entry) {
    v.message = day_off_text(hall.day_off()->date, lang_);
    v.message_is_error = true;
  }
  Button pri{Rect{margin, y, opt_w * 2 - margin / 2, bottom_h}, "priority", ui_text("priority", lang_), "", priority_, !day_off, day_off};
  Button app{Rect{margin + opt_w * 2 + margin / 2, y, opt_w - margin / 2, bottom_h}, "appointment", ui_text("appointment", lang_), "", false, !day_off, day_off};
  v.buttons.push_back(pri);
  v.buttons.push_back(app);
  add_languages();
  return v;
}

void EvaluatorModel::on_applied(const Applied& applied, TimeMs now) {
  const Ticket* t = applied.completed ? &*applied.completed : nullptr;
  if (t) {
    // The completed step names the window where the visit ended.
    int at = t->history.empty() ? t->window : t->history.back().window;
    if (at == 0) at = t->window;
    if (at != window_) return;
    ticket_id_ = t->id;
    ticket_number_ = t->number;
    asked_at_ = now;
    message_.clear();
    return;
  }
  if (applied.other_event == "rating_requested") {
    const json& b = applied.other_body;
    const json ticket = b.value("ticket", json::object());
    const json win = b.value("window", json());
    const int w = win.is_object() ? win.value("number", 0) : win.is_number_integer() ? win.get<int>() : ticket.value("window", 0);
    if (w != window_ || !ticket.is_object()) return;
    ticket_id_ = ticket.value("id", "");
    ticket_number_ = ticket.value("number", "");
    asked_at_ = now;
    message_.clear();
  }
}

std::optional<json> EvaluatorModel::press(const std::string& action, TimeMs now) {
  if (action.rfind("rate:", 0) != 0 || ticket_id_.empty() || !pending_.empty()) return std::nullopt;
  const int level = action[5] - '0';
  if (level < 1 || level > 5) return std::nullopt;
  pending_ = ids_.next();
  return json{{"type", "command"}, {"command", "rate"}, {"ticket", ticket_id_}, {"level", level}, {"request_id", pending_}};
}

bool EvaluatorModel::on_result(const json& result, TimeMs now) {
  if (pending_.empty() || result.value("request_id", json()) != json(pending_)) return false;
  pending_.clear();
  if (result.value("ok", false)) {
    message_ = ui_text("thanks", lang_);
    ticket_id_.clear();
  } else {
    message_ = error_message(result);
    if (message_.empty()) message_ = "?";
  }
  message_until_ = now + 5000;
  return true;
}

TouchView EvaluatorModel::view(const HallCopy& hall, const Style& style, int width, int height, TimeMs now) const {
  TouchView v;
  v.title = window_label(window_, lang_);
  if (const WindowInfo* w = hall.window(window_)) v.title += " " + w->name.in(lang_);
  if (!hall.live()) {
    v.lost = true;
    v.lost_title = ui_text(hall.has_snapshot() || hall.lost() ? "lost" : "connecting", lang_);
    return v;
  }
  if (now < message_until_) v.message = message_;
  const bool asking = !ticket_id_.empty() && now - asked_at_ < style.rating_ms;
  if (!asking) {
    if (v.message.empty()) v.message = ui_text("idle_eval", lang_);
    return v;
  }
  if (v.message.empty()) v.message = ui_text("rate_title", lang_) + " (" + ticket_number_ + ")";
  const int margin = std::max(8, width / 60);
  const int bw = (width - 6 * margin) / 5, bh = height / 2;
  for (int i = 0; i < 5; ++i) {
    const int level = 5 - i;
    Button b;
    b.rect = Rect{margin + i * (bw + margin), height / 3, bw, bh};
    b.action = "rate:" + std::to_string(level);
    b.label = ui_text("rate_" + std::to_string(level), lang_);
    b.enabled = pending_.empty();
    v.buttons.push_back(std::move(b));
  }
  return v;
}

}  // namespace hallq::display
