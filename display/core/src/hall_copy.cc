#include "hallq/display/hall_copy.h"

#include <algorithm>

#include "hallq/json_codec.h"
#include "json_fields.h"

namespace hallq::display {

using nlohmann::json;

namespace {

// The calling steps, as the server lists them in recent_calls.
bool is_call_step(TicketStep s) { return s == TicketStep::called || s == TicketStep::recalled; }

DeviceInfo device_from_json(const json& j) {
  auto online = j.find("online");
  return DeviceInfo{str(j, "id"), str(j, "kind"), online != j.end() && online->is_boolean() && online->get<bool>(),
                    str(j, "status"), str(j, "detail"), num(j, "since")};
}

}  // namespace

LocalizedText localized_from_json(const json& j) {
  LocalizedText t;
  if (j.is_string()) {
    t.zh_cn = j.get<std::string>();
  } else if (j.is_object()) {
    t.zh_cn = str(j, "zh_cn");
    t.zh_tw = str(j, "zh_tw");
    t.en = str(j, "en");
  }
  return t;
}

const ServiceInfo* HallCopy::service(std::string_view code) const {
  for (const auto& s : services_)
    if (s.code == code) return &s;
  return nullptr;
}
const WindowInfo* HallCopy::window(int number) const {
  for (const auto& w : windows_)
    if (w.number == number) return &w;
  return nullptr;
}
ServiceInfo* HallCopy::service_mut(std::string_view code) { return const_cast<ServiceInfo*>(service(code)); }
WindowInfo* HallCopy::window_mut(int number) { return const_cast<WindowInfo*>(window(number)); }

Applied HallCopy::apply(const json& message, TimeMs now) {
  const std::string type = message.is_object() ? str(message, "type") : "";
  if (type == "snapshot") return apply_snapshot(message, now);
  if (type == "event") return apply_event(message, now);
  if (type == "welcome") {
    device_name_ = str(message, "name");
    device_windows_.clear();
    if (auto it = message.find("windows"); it != message.end() && it->is_array())
      for (const auto& w : *it)
        if (w.is_number_integer()) device_windows_.push_back(w.get<int>());
    // The configured window (a newer server): first, so strips and evaluators use it.
    if (auto it = message.find("window"); it != message.end() && it->is_number_integer() && it->get<int>() > 0 &&
                                          std::find(device_windows_.begin(), device_windows_.end(), it->get<int>()) == device_windows_.end())
      device_windows_.insert(device_windows_.begin(), it->get<int>());
    device_layout_ = str(message, "layout");
    device_printer_ = str(message, "printer");
    return {};
  }
  if (type == "device") {
    Applied out;
    if (!message.contains("id") || !message["id"].is_string()) {
      out.error = "device message without id";
      return out;
    }
    DeviceInfo d = device_from_json(message);
    auto it = std::find_if(devices_.begin(), devices_.end(), [&](const DeviceInfo& x) { return x.id == d.id; });
    if (it != devices_.end()) *it = std::move(d);
    else if (devices_.size() < kMaxDevices) devices_.push_back(std::move(d));
    out.changed = true;
    return out;
  }
  return {};
}

const DeviceInfo* HallCopy::device(std::string_view id) const {
  if (id.empty()) return nullptr;
  for (const auto& d : devices_)
    if (d.id == id) return &d;
  return nullptr;
}

Applied HallCopy::apply_snapshot(const json& j, TimeMs now) {
  Applied out;
  if (!j.is_object() || !j.contains("seq") || !j["seq"].is_number_integer() || j["seq"].get<std::int64_t>() < 0 || !j.contains("services") ||
      !j["services"].is_array() || !j.contains("windows") || !j["windows"].is_array()) {
    out.error = "snapshot without seq, services or windows";
    return out;
  }
  std::vector<ServiceInfo> services;
  for (const json& s : j["services"]) {
    if (!s.is_object()) continue;
    ServiceInfo info;
    info.code = str(s, "code");
    info.name = localized_from_json(s.value("name", json()));
    info.waiting = int(num(s, "waiting"));
    info.estimated_wait_s = num(s, "estimated_wait_s");
    info.issued_today = int(num(s, "issued_today"));
    if (auto it = s.find("hours"); it != s.end() && it->is_array())
      for (const json& h : *it)
        if (auto span = h.is_string() ? parse_span(h.get<std::string>()) : std::nullopt) info.hours.push_back(*span);
    info.daily_cap = int(num(s, "daily_cap"));
    services.push_back(std::move(info));
  }
  const json hall = j.value("hall", json::object());
  std::vector<WindowInfo> windows;
  for (const json& w : j["windows"]) {
    if (!w.is_object()) continue;
    WindowInfo info;
    info.number = int(num(w, "number"));
    info.name = localized_from_json(w.value("name", json()));
    if (auto it = w.find("services"); it != w.end() && it->is_array())
      for (const auto& code : *it)
        if (code.is_string()) info.services.push_back(code.get<std::string>());
    info.state = window_state_from_string(str(w, "state")).value_or(WindowState::open);
    if (auto it = w.find("current"); it != w.end() && it->is_object()) {
      CurrentVisitor c;
      c.id = str(*it, "id");
      c.number = str(*it, "number");
      c.service = str(*it, "service");
      c.state = ticket_state_from_string(str(*it, "state")).value_or(TicketState::called);
      c.called_at = num(*it, "called_at");
      c.recalls = int(num(*it, "recalls"));
      info.current = std::move(c);
    }
    windows.push_back(std::move(info));
  }
  std::deque<CallInfo> calls;
  if (auto it = j.find("recent_calls"); it != j.end() && it->is_array())
    for (const json& c : *it) {
      if (!c.is_object() || calls.size() >= kRecentCalls) continue;
      calls.push_back(CallInfo{str(c, "number"), str(c, "service"), int(num(c, "window")), num(c, "at"),
                               c.value("recall", false)});
    }
  seq_ = j["seq"].get<std::uint64_t>();
  hall_name_ = localized_from_json(hall.is_object() ? hall.value("name", json()) : json());
  enforce_hours_ = hall.is_object() && hall.value("enforce_opening_hours", false);
  utc_offset_min_.reset();
  if (hall.is_object() && hall.contains("utc_offset_min") && hall["utc_offset_min"].is_number_integer())
    utc_offset_min_ = hall["utc_offset_min"].get<int>();
  day_off_.reset();
  if (hall.is_object())
    if (auto it = hall.find("day_off"); it != hall.end() && it->is_object())
      day_off_ = DayOff{str(*it, "date"), str(*it, "why")};
  server_ahead_ms_ = j.contains("now") && j["now"].is_number_integer() ? j["now"].get<TimeMs>() - now : 0;
  notice_ = str(j, "notice");
  business_day_ = str(j, "business_day");
  services_ = std::move(services);
  windows_ = std::move(windows);
  recent_calls_ = std::move(calls);
  if (auto it = j.find("devices"); it != j.end() && it->is_array()) {
    devices_.clear();
    for (const json& d : *it)
      if (d.is_object() && d.contains("id") && devices_.size() < kMaxDevices) devices_.push_back(device_from_json(d));
  }
  has_snapshot_ = true;
  waiting_for_snapshot_ = false;
  lost_ = false;
  last_change_ = now;
  out.changed = true;
  return out;
}

void HallCopy::apply_load(const ServiceLoad& l) {
  if (ServiceInfo* s = service_mut(l.service)) {
    s->waiting = l.waiting;
    s->estimated_wait_s = l.estimated_wait_s;
    s->issued_today = l.issued_today;
  }
}

int HallCopy::hall_minute(TimeMs now) const { return local_minute_of_day(utc_offset_min_.value_or(0), hall_now(now)); }

Issuing HallCopy::issuing(const ServiceInfo& s, TimeMs now) const {
  if (day_off()) return Issuing::day_off;
  if (enforce_hours_ && !s.hours.empty() && !open_at(s.hours, hall_minute(now))) return Issuing::outside_hours;
  if (s.daily_cap > 0 && s.issued_today >= s.daily_cap) return Issuing::cap_reached;
  return Issuing::open;
}

Applied HallCopy::apply_event(const json& j, TimeMs now) {
  Applied out;
  if (!has_snapshot_ || waiting_for_snapshot_) return out;  // the snapshot on its way covers it
  const auto seq_it = j.find("seq");
  if (seq_it == j.end() || !seq_it->is_number_integer() || seq_it->get<std::int64_t>() < 1) {
    out.error = "event without a seq";
    out.need_snapshot = waiting_for_snapshot_ = true;
    return out;
  }
  const std::uint64_t seq = seq_it->get<std::uint64_t>();
  if (seq <= seq_) return out;  // already in the snapshot
  if (seq != seq_ + 1) {
    out.need_snapshot = waiting_for_snapshot_ = true;
    return out;
  }
  const std::string name = str(j, "event");
  if (!event_type_from_string(name)) {
    // A newer server's event (e.g. rating_requested): keep the order, hand it on, change nothing.
    seq_ = seq;
    out.other_event = name;
    out.other_body = j;
    return out;
  }
  auto parsed = event_from_json(j);
  if (!parsed) {
    // A known event we cannot read is a change we would miss: resync rather than drift.
    out.error = "event " + std::to_string(seq) + ": " + parsed.error().message;
    out.need_snapshot = waiting_for_snapshot_ = true;
    return out;
  }
  const Event& e = *parsed;
  if (name == "rating_requested") {
    // Newer servers ask the window's evaluator for a rating; by name, so this builds either way.
    out.other_event = name;
    out.other_body = j;
  }
  seq_ = e.seq;
  out.changed = true;
  last_change_ = now;
  if (e.load) apply_load(*e.load);
  if (e.other_load) apply_load(*e.other_load);
  if (e.window) {
    if (WindowInfo* w = window_mut(e.window->number)) {
      w->state = e.window->state;
      if (e.window->current_ticket.empty()) {
        w->current.reset();
      } else if (e.ticket && e.ticket->id == e.window->current_ticket) {
        const Ticket& t = *e.ticket;
        w->current = CurrentVisitor{t.id, t.number, t.service, t.state, t.called_at.value_or(0), t.recalls};
      } else if (!w->current || w->current->id != e.window->current_ticket) {
        w->current = CurrentVisitor{e.window->current_ticket, "", "", TicketState::called, 0, 0};
      }
    }
  }
  // A ticket that left a window (transfer, hold, no-show elsewhere) must not stay shown there.
  if (e.ticket && (!e.window || e.window->current_ticket != e.ticket->id)) {
    for (WindowInfo& w : windows_)
      if (w.current && w.current->id == e.ticket->id && (!e.window || w.number != e.window->number)) {
        if (e.ticket->window == w.number && !is_final(e.ticket->state) && e.ticket->state != TicketState::held &&
            e.ticket->state != TicketState::waiting)
          continue;
        w.current.reset();
      }
  }
  switch (e.type) {
    case EventType::ticket_called:
    case EventType::ticket_recalled:
    case EventType::ticket_called_back:
      if (e.ticket && !e.ticket->history.empty() && is_call_step(e.ticket->history.back().step) &&
          e.ticket->state == TicketState::called) {
        const TicketTransition& step = e.ticket->history.back();
        CallInfo call{e.ticket->number, e.ticket->service, step.window ? step.window : e.ticket->window, step.at,
                      step.step == TicketStep::recalled};
        recent_calls_.push_front(call);
        while (recent_calls_.size() > kRecentCalls) recent_calls_.pop_back();
        out.calls.push_back(std::move(call));
        last_call_seen_ = now;
      }
      break;
    case EventType::service_completed:
      if (e.ticket) out.completed = e.ticket;
      break;
    case EventType::notice_changed:
      notice_ = e.notice;
      break;
    case EventType::day_rolled_over:
      // Counts, calls and windows all restart: take the server's word for the new day.
      business_day_ = e.business_day;
      out.need_snapshot = true;
      waiting_for_snapshot_ = true;
      break;
    default:
      break;
  }
  return out;
}

void HallCopy::connection_lost(TimeMs now) {
  if (!lost_) lost_since_ = now;
  lost_ = true;
  // Whatever arrives next starts from a fresh snapshot.
  waiting_for_snapshot_ = true;
}

void HallCopy::connection_opened() { waiting_for_snapshot_ = true; }

}  // namespace hallq::display
