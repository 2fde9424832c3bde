#include "hallq/display/touch.h"

#include <algorithm>

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
    // The server has no appointment lookup yet: say so instead of a dead button.
    message_ = ui_text("appointment_na", lang_);
    message_until_ = now + 8000;
    return std::nullopt;
  }
  if (action.rfind("service:", 0) != 0) return std::nullopt;
  if (!pending_.empty()) return std::nullopt;  // the first tap is still being answered
  pending_ = ids_.next();
  issued_number_.clear();
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

void KioskModel::on_result(const json& result, TimeMs now) {
  if (pending_.empty() || result.value("request_id", json()) != json(pending_)) return;
  pending_.clear();
  pending_command_.reset();
  priority_ = false;
  if (result.value("ok", false)) {
    const json& r = result.value("result", json::object());
    issued_number_ = r.contains("ticket") ? r["ticket"].value("number", "") : "";
    const int ahead = r.value("ahead", 0);
    message_ = ui_text("ahead", lang_) + " " + std::to_string(ahead) + " " + ui_text("people", lang_) + " · " +
               wait_text(r.value("estimated_wait_s", std::int64_t(0)), lang_) + " · " + ui_text("take_receipt", lang_);
  } else {
    issued_number_.clear();
    message_ = error_message(result);
  }
  message_until_ = now + 15000;
}

void KioskModel::send_failed(TimeMs now) {
  pending_.clear();
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
  if (now < message_until_) {
    v.message = message_;
    v.big_number = issued_number_;
  } else {
    v.message = ui_text("take_ticket", lang_);
  }
  // Geometry: a title band, a grid of service buttons, a bottom row of options.
  const int margin = std::max(8, width / 80);
  const int top = height / 6, bottom_h = height / 9;
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
    b.enabled = pending_.empty();
    v.buttons.push_back(std::move(b));
  }
  const int y = height - bottom_h - margin / 2;
  const int opt_w = (width - 6 * margin) / 5;
  Button pri{Rect{margin, y, opt_w * 2 - margin / 2, bottom_h}, "priority", ui_text("priority", lang_), "", priority_, true};
  Button app{Rect{margin + opt_w * 2 + margin / 2, y, opt_w - margin / 2, bottom_h}, "appointment", ui_text("appointment", lang_), "", false, true};
  v.buttons.push_back(pri);
  v.buttons.push_back(app);
  for (int i = 0; i < 3; ++i) {
    Button l{Rect{margin * 2 + opt_w * (3 + i) - margin + i * margin / 2, y, opt_w * 2 / 3, bottom_h}, std::string("lang:") + kLanguages[i],
             kLanguageLabels[i], "", lang_ == kLanguages[i], true};
    l.rect.x = width - (3 - i) * (opt_w * 2 / 3 + margin);
    v.buttons.push_back(l);
  }
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

void EvaluatorModel::on_result(const json& result, TimeMs now) {
  if (pending_.empty() || result.value("request_id", json()) != json(pending_)) return;
  pending_.clear();
  if (result.value("ok", false)) {
    message_ = ui_text("thanks", lang_);
    ticket_id_.clear();
  } else {
    message_ = error_message(result);
    if (message_.empty()) message_ = "?";
  }
  message_until_ = now + 5000;
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
