// Service quality: overdue alerts (超时预警) and the records behind ratings and follow-ups
// (好差评, 回访). Like records.cc, everything that changes state here runs from
// apply_records(), live and in replay alike; raise_due() and settle_alerts() only emit events.
#include <algorithm>

#include "engine_impl.h"

namespace hallq::core {
namespace {

std::string wait_key(const std::string& id) { return "W-" + id; }
std::string service_key(const std::string& id) { return "S-" + id; }

}  // namespace

void HallState::set_deadline(const DeadlineKey& key, std::optional<TimeMs> due) {
  auto it = deadline_of.find(key);
  if (it != deadline_of.end()) {
    if (due == it->second) return;
    deadlines.erase({it->second, key});
    if (!due) {
      deadline_of.erase(it);
      return;
    }
    it->second = *due;
  } else {
    if (!due) return;
    deadline_of.emplace(key, *due);
  }
  deadlines.emplace(*due, key);
}

void HallState::refresh_deadlines(const std::string& id, const Ticket& t) {
  const ServiceLine* l = find_line(t.service);
  const ServiceConfig* svc = l ? l->config : nullptr;
  std::optional<TimeMs> wait, serve;
  if (svc && t.state == TicketState::waiting && (alerts.empty() || alerts.count(wait_key(t.id)) == 0))
    wait = t.queued_at + svc->wait_limit_min * kMinuteMs;
  if (svc && t.state == TicketState::serving && t.started_at &&
      (alerts.empty() || alerts.count(service_key(t.id)) == 0))
    serve = *t.started_at + svc->service_limit_min * kMinuteMs;
  set_deadline(DeadlineKey{AlertKind::wait, &id, 0}, wait);
  set_deadline(DeadlineKey{AlertKind::service, &id, 0}, serve);
}

// An open window with nobody called or served is idle from its last action, if that action
// was today: a window left open overnight does not alarm before anyone works at it.
void HallState::refresh_deadline(const WindowSlot& slot) {
  std::optional<TimeMs> due;
  const int limit = slot.config ? slot.config->idle_limit_min : 0;
  if (limit > 0 && slot.w.state == WindowState::open && slot.w.current_ticket.empty() &&
      slot.w.state_since > 0 && idle_alerts.count(slot.w.number) == 0 &&
      business_day_at(config->rules, slot.w.state_since) == business_day)
    due = slot.w.state_since + limit * kMinuteMs;
  set_deadline(DeadlineKey{AlertKind::idle, nullptr, slot.w.number}, due);
}

void HallState::put_alert(const Alert& a, bool raised) {
  if (raised) {
    alerts[a.id] = a;
    alerts[a.id].cleared_at.reset();
    if (a.kind == AlertKind::idle) idle_alerts[a.window] = a.id;
    if (a.kind == AlertKind::idle) {
      set_deadline(DeadlineKey{AlertKind::idle, nullptr, a.window}, std::nullopt);
    } else if (auto t = tickets.find(a.ticket); t != tickets.end()) {
      set_deadline(DeadlineKey{a.kind, &t->first, 0}, std::nullopt);
    }  // else no deadline: only tickets in `tickets` have them
    return;
  }
  alerts.erase(a.id);
  if (a.kind == AlertKind::idle) {
    if (auto it = idle_alerts.find(a.window); it != idle_alerts.end() && it->second == a.id)
      idle_alerts.erase(it);
    if (auto w = windows.find(a.window); w != windows.end()) refresh_deadline(w->second);
  } else if (auto t = tickets.find(a.ticket); t != tickets.end()) {
    refresh_deadlines(t->first, t->second.t);  // a new wait (after a call-back) gets its own deadline
  }
}

void HallState::put_followup(const Followup& f) {
  if (f.state == FollowupState::closed) {
    followups.erase(f.id);
  } else {
    followups[f.id] = f;
  }
}

// The window's latest finished visit, for request-rating.
void HallState::note_done(const Ticket& t) {
  if (t.state != TicketState::done || t.history.empty() ||
      t.history.back().step != TicketStep::completed)
    return;
  auto slot = windows.find(t.history.back().window);
  if (slot == windows.end()) return;
  std::string& last = slot->second.last_done;
  if (!last.empty() && last != t.id) {
    auto prev = tickets.find(last);
    if (prev != tickets.end() && prev->second.t.finished_at > t.finished_at) return;
    if (prev != tickets.end() && prev->second.t.finished_at == t.finished_at && last > t.id) return;
  }
  last = t.id;
}

bool HallState::still_holds(const Alert& a) const {
  if (a.kind == AlertKind::idle) {
    auto it = windows.find(a.window);
    if (it == windows.end()) return false;
    const Window& w = it->second.w;
    return w.state == WindowState::open && w.current_ticket.empty() && w.state_since == a.since &&
           business_day_at(config->rules, w.state_since) == business_day;
  }
  auto it = tickets.find(a.ticket);
  if (it == tickets.end()) return false;
  const Ticket& t = it->second.t;
  if (a.kind == AlertKind::wait) return t.state == TicketState::waiting && t.queued_at == a.since;
  return t.state == TicketState::serving && t.started_at == a.since;
}

std::optional<Alert> HallState::due_alert(const DeadlineKey& key, TimeMs now) const {
  Alert a;
  a.raised_at = now;
  if (key.kind == AlertKind::idle) {
    const int n = key.window;
    auto it = windows.find(n);
    if (it == windows.end() || !it->second.config) return std::nullopt;
    const Window& w = it->second.w;
    a.kind = AlertKind::idle;
    a.window = n;
    a.since = w.state_since;
    a.limit_s = std::int64_t{it->second.config->idle_limit_min} * 60;
    a.id = "I-" + std::to_string(n) + "-" + std::to_string(a.since);
  } else {
    auto it = tickets.find(*key.ticket);
    if (it == tickets.end()) return std::nullopt;
    const Ticket& t = it->second.t;
    const ServiceLine* l = find_line(t.service);
    if (!l || !l->config) return std::nullopt;
    a.kind = key.kind;
    a.id = key.kind == AlertKind::wait ? wait_key(t.id) : service_key(t.id);
    a.service = t.service;
    a.ticket = t.id;
    a.number = t.number;
    if (a.kind == AlertKind::wait) {
      a.window = t.target_window;  // 0: any window of the service may call it
      a.since = t.queued_at;
      a.limit_s = std::int64_t{l->config->wait_limit_min} * 60;
    } else {
      a.window = t.window;
      a.since = t.started_at.value_or(0);
      a.limit_s = std::int64_t{l->config->service_limit_min} * 60;
    }
  }
  if (!still_holds(a) || alerts.count(a.id) != 0) return std::nullopt;
  return a;
}

void HallState::raise_due(Outcome& out, TimeMs now) {
  while (!deadlines.empty() && deadlines.begin()->first <= now) {
    const DeadlineKey key = deadlines.begin()->second;
    if (auto a = due_alert(key, now)) {
      Event ev;
      ev.type = EventType::alert_raised;
      ev.alert = std::move(*a);
      emit(out, std::move(ev), now, "system");  // applying it drops the deadline
    } else {
      set_deadline(key, std::nullopt);  // cannot happen while deadlines follow the records
    }
  }
}

void HallState::settle_alerts(Outcome& out, std::size_t from, TimeMs now) {
  if (alerts.empty()) return;
  std::set<std::string> check;
  const std::size_t end = out.events.size();
  for (std::size_t i = from; i < end; ++i) {
    const Event& e = out.events[i];
    if (e.ticket) {
      check.insert(wait_key(e.ticket->id));
      check.insert(service_key(e.ticket->id));
    }
    if (e.window) {
      if (auto it = idle_alerts.find(e.window->number); it != idle_alerts.end())
        check.insert(it->second);
    }
    if (e.type == EventType::day_rolled_over)
      for (const auto& [n, id] : idle_alerts) check.insert(id);
  }
  for (const std::string& id : check) {
    auto it = alerts.find(id);
    if (it == alerts.end() || still_holds(it->second)) continue;
    Event ev;
    ev.type = EventType::alert_cleared;
    ev.alert = it->second;
    ev.alert->cleared_at = now;
    emit(out, std::move(ev), now, "system");
  }
}

std::optional<std::string> HallState::day_off(std::int64_t day) const {
  return hallq::day_off(config->rules, civil_date(day));
}

// opened + N working days at the same local clock time; days off (day_off()) do not count.
TimeMs HallState::followup_due(TimeMs opened) const {
  const Rules& rules = config->rules;
  const TimeMs local = opened + rules.utc_offset_min * kMinuteMs;
  std::int64_t day = floor_div(local, kDayMs);
  const TimeMs time_of_day = local - day * kDayMs;
  int counted = 0;
  // Bounded: 365 working days need at most a few years of calendar even with many holidays.
  for (int guard = 0; counted < rules.followup_working_days && guard < 5000; ++guard) {
    ++day;
    if (!day_off(day)) ++counted;
  }
  return day * kDayMs + time_of_day - rules.utc_offset_min * kMinuteMs;
}

}  // namespace hallq::core
