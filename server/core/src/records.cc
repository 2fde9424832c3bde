// Replacing records and keeping the indexes in step. Live commands and replay both change
// state only through apply_records(), so a replayed engine equals the live one by construction.
#include <algorithm>
#include <charconv>

#include "engine_impl.h"

namespace hallq::core {
namespace {

// The daily sequence in a number such as "A012" (the digits after the service letters).
int parse_seq(const Ticket& t) {
  std::string_view n = t.number;
  std::size_t i = 0;
  while (i < n.size() && (n[i] < '0' || n[i] > '9')) ++i;
  int seq = 0;
  std::from_chars(n.data() + i, n.data() + n.size(), seq);
  return seq;
}

bool active(TicketState s) { return !is_final(s); }

}  // namespace

bool transferred_in(const Ticket& t) {
  if (t.history.empty()) return false;
  TicketStep last = t.history.back().step;
  // A waiting ticket whose last step is `completed` is on its way back to its return window.
  return last == TicketStep::transferred || last == TicketStep::completed;
}

int WindowSlot::service_index(std::string_view code) const {
  const auto& s = config->services;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (s[i] == code) return static_cast<int>(i);
  return -1;
}

ServiceLine& HallState::line(const std::string& code) {
  auto it = lines.find(code);
  if (it == lines.end()) {
    it = lines.emplace(code, ServiceLine{}).first;
    it->second.code = code;
  }
  return it->second;
}

const ServiceLine* HallState::find_line(std::string_view code) const {
  auto it = lines.find(std::string(code));
  return it == lines.end() ? nullptr : &it->second;
}

QueueKey HallState::key_of(const TicketRecord& r) const {
  auto node = tickets.find(r.t.id);
  return QueueKey{r.t.queued_at, r.t.issued_at, r.t.origin_service, r.seq,
                  node == tickets.end() ? nullptr : &node->first};
}

void HallState::index(const TicketRecord& r) {
  const Ticket& t = r.t;
  if (t.state != TicketState::waiting) return;
  QueueKey k = key_of(r);
  ServiceLine& l = line(t.service);
  l.waiting.insert(k);
  if (t.target_window != 0) {
    auto w = windows.find(t.target_window);
    if (w != windows.end()) {
      w->second.targeted.insert(k);
      return;
    }
    // Targeted at a window no longer configured: it queues like any other ticket.
  }
  if (t.cls == TicketClass::priority || transferred_in(t)) {
    l.rank0.insert(k);
  } else if (t.cls == TicketClass::appointment && t.appointment_at) {
    l.appointments.insert(k);
    l.appointments_by_time.emplace(*t.appointment_at, k);
  } else {
    l.normal.insert(k);
  }
}

void HallState::unindex(const TicketRecord& r) {
  const Ticket& t = r.t;
  if (t.state != TicketState::waiting) return;
  QueueKey k = key_of(r);
  ServiceLine& l = line(t.service);
  l.waiting.erase(k);
  if (t.target_window != 0) {
    auto w = windows.find(t.target_window);
    if (w != windows.end()) {
      w->second.targeted.erase(k);
      return;
    }
  }
  if (t.cls == TicketClass::priority || transferred_in(t)) {
    l.rank0.erase(k);
  } else if (t.cls == TicketClass::appointment && t.appointment_at) {
    l.appointments.erase(k);
    l.appointments_by_time.erase({*t.appointment_at, k});
  } else {
    l.normal.erase(k);
  }
}

void HallState::add_sample(const Ticket& t) {
  const int limit = config->rules.estimate_sample;
  if (limit <= 0 || !t.started_at || !t.finished_at) return;
  auto rec = tickets.find(t.id);
  const int seq = rec == tickets.end() ? parse_seq(t) : rec->second.seq;
  ServiceLine& l = line(t.service);
  const TimeMs took = std::max<TimeMs>(0, *t.finished_at - *t.started_at);
  auto [it, inserted] =
      l.samples.emplace(SampleKey{*t.finished_at, t.issued_at, t.origin_service, seq}, took);
  if (!inserted) return;
  l.sample_sum += took;
  while (l.samples.size() > static_cast<std::size_t>(limit)) {
    l.sample_sum -= l.samples.begin()->second;
    l.samples.erase(l.samples.begin());
  }
}

void HallState::add_recent(const Ticket& t, const TicketTransition& step) {
  recent_calls.insert(
      RecentCall{step.at, step.window, t.number, step.step == TicketStep::recalled, t.service});
  while (recent_calls.size() > kRecentCalls) recent_calls.erase(recent_calls.begin());
}

void HallState::put_ticket(const Ticket& t, EventType type) {
  auto it = tickets.find(t.id);
  bool was_done = false;
  if (it != tickets.end()) {
    unindex(it->second);
    was_done = it->second.t.state == TicketState::done;
    if (it->second.t.number != t.number) {
      by_number.erase(it->second.t.number);
      by_number[t.number] = &it->first;
    }
    it->second.t = t;
    it->second.seq = parse_seq(t);
  } else {
    it = tickets.emplace(t.id, TicketRecord{t, parse_seq(t)}).first;
    by_number[t.number] = &it->first;
  }
  ServiceLine& origin = line(t.origin_service);
  origin.counter = std::max(origin.counter, it->second.seq);
  index(it->second);
  refresh_deadlines(it->first, it->second.t);
  note_done(it->second.t);
  if (t.state == TicketState::done && !was_done) add_sample(t);
  if ((type == EventType::ticket_called || type == EventType::ticket_recalled) &&
      !t.history.empty()) {
    const TicketTransition& last = t.history.back();
    if (last.step == TicketStep::called || last.step == TicketStep::recalled) add_recent(t, last);
  }
}

void HallState::put_window(const Window& w) {
  auto it = windows.find(w.number);
  if (it == windows.end()) return;  // not configured (any more): nothing can act on it
  it->second.w = w;
  refresh_deadline(it->second);
}

void HallState::new_day(const std::string& day) {
  business_day = day;
  for (auto& [code, l] : lines) {
    l.counter = 0;
    l.rank0.clear();
    l.normal.clear();
    l.appointments.clear();
    l.appointments_by_time.clear();
    l.waiting.clear();
    l.samples.clear();
    l.sample_sum = 0;
  }
  for (auto& [n, slot] : windows) {
    slot.targeted.clear();
    slot.w.served_today = 0;
    // Already cleared by the expiry events; kept safe against a record that was not.
    slot.w.current_ticket.clear();
    slot.w.held.clear();
    slot.last_done.clear();
  }
  // The old day's tickets go; active alerts stay until their clearing events.
  deadlines.clear();
  deadline_of.clear();
  for (auto& [n, slot] : windows) refresh_deadline(slot);
  tickets.clear();
  by_number.clear();
  recent_calls.clear();
  requests.clear();
  failures.clear();
  failure_order.clear();
  drop_past_appointments();
}

void HallState::reset(const EngineState& state) {
  last_seq = state.last_seq;
  notice = state.notice_set ? state.notice : config->notice;
  alerts.clear();
  idle_alerts.clear();
  followups.clear();
  appointments.clear();
  slot_taken.clear();
  missed_deadlines.clear();
  new_day(state.business_day);
  // Alerts first: a record with an active alert gets no deadline (it was raised already).
  for (const Alert& a : state.alerts) put_alert(a, true);
  for (const Followup& f : state.followups) put_followup(f);
  for (const Appointment& a : state.appointments) put_appointment(a);
  for (auto& [n, slot] : windows) {
    slot.w = Window{};
    slot.w.number = n;
  }
  for (const Window& w : state.windows) {
    auto it = windows.find(w.number);
    if (it == windows.end()) continue;
    it->second.w = w;
    it->second.w.served_today = 0;  // recounted below from the tickets' histories
  }
  for (const Ticket& t : state.tickets) {
    if (t.business_day != business_day) continue;
    put_ticket(t, EventType::ticket_issued);
    std::string service = t.origin_service;  // the service at each step, for recent calls
    for (const TicketTransition& step : t.history) {
      switch (step.step) {
        case TicketStep::transferred:
        case TicketStep::completed:
          if (step.step == TicketStep::completed) {
            auto w = windows.find(step.window);
            if (w != windows.end()) ++w->second.w.served_today;
          }
          if (!step.service.empty()) service = step.service;
          break;
        case TicketStep::called:
        case TicketStep::recalled: {
          Ticket at_call = t;
          at_call.service = service;
          add_recent(at_call, step);
          break;
        }
        default:
          break;
      }
    }
  }
  for (const StoredRequest& r : state.requests)
    if (r.business_day == business_day) remember(r.key, r.fingerprint, nlohmann::json::parse(r.result));  // the journal checked it is JSON
  for (auto& [n, slot] : windows) refresh_deadline(slot);
}

void HallState::apply_records(const Event& e) {
  switch (e.type) {
    case EventType::day_rolled_over:
      new_day(e.business_day);
      break;
    case EventType::notice_changed:
      notice = e.notice;
      break;
    case EventType::followup_opened:
    case EventType::followup_updated:
      if (e.followup) put_followup(*e.followup);
      break;
    case EventType::alert_raised:
    case EventType::alert_cleared:
      if (e.alert) put_alert(*e.alert, e.type == EventType::alert_raised);
      break;
    case EventType::appointment_booked:
    case EventType::appointment_cancelled:
    case EventType::appointment_checked_in:
    case EventType::appointment_missed:
      if (e.appointment) put_appointment(*e.appointment);
      break;
    default:
      if (e.window) put_window(*e.window);
      if (e.ticket) put_ticket(*e.ticket, e.type);
      break;
  }
  last_seq = e.seq;
}

void HallState::emit(Outcome& out, Event ev, TimeMs now, const std::string& actor,
                        const std::string& other_service) {
  ev.seq = last_seq + 1;
  ev.at = now;
  ev.actor = actor;
  apply_records(ev);
  if (ev.ticket) {
    ev.load = load_of(ev.ticket->service, now);
    if (!other_service.empty() && other_service != ev.ticket->service)
      ev.other_load = load_of(other_service, now);
  }
  out.events.push_back(std::move(ev));
}

std::vector<const TicketRecord*> HallState::sorted_tickets(bool active_only) const {
  std::vector<const TicketRecord*> v;
  v.reserve(tickets.size());
  for (const auto& [id, r] : tickets)
    if (!active_only || active(r.t.state)) v.push_back(&r);
  std::sort(v.begin(), v.end(), [](const TicketRecord* a, const TicketRecord* b) {
    if (a->t.issued_at != b->t.issued_at) return a->t.issued_at < b->t.issued_at;
    if (a->t.origin_service != b->t.origin_service)
      return a->t.origin_service < b->t.origin_service;
    if (a->seq != b->seq) return a->seq < b->seq;
    return a->t.id < b->t.id;
  });
  return v;
}

bool HallState::roll_over(Outcome& out, TimeMs now, const std::string& actor) {
  std::string day = business_day_at(config->rules, now);
  if (day == business_day) return false;
  for (const TicketRecord* r : sorted_tickets(true)) {
    Ticket t = r->t;
    Event ev;
    ev.type = EventType::ticket_expired;
    auto slot = windows.find(t.window);
    if (slot != windows.end()) {
      Window w = slot->second.w;
      if ((t.state == TicketState::called || t.state == TicketState::serving) &&
          w.current_ticket == t.id) {
        w.current_ticket.clear();
        w.state_since = now;
        ev.window = std::move(w);
      } else if (t.state == TicketState::held) {
        std::erase(w.held, t.id);
        ev.window = std::move(w);
      }
    }
    t.state = TicketState::cancelled;
    t.finished_at = now;
    TicketTransition expired;
    expired.step = TicketStep::expired;
    expired.at = now;
    t.history.push_back(std::move(expired));
    ev.ticket = std::move(t);
    emit(out, std::move(ev), now, actor);
  }
  Event rolled;
  rolled.type = EventType::day_rolled_over;
  rolled.business_day = day;
  emit(out, std::move(rolled), now, actor);
  return true;
}

}  // namespace hallq::core
