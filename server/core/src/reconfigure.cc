// Engine::reconfigure: a new hall configuration replaces the running one without losing the
// day. The state is carried over the same way a restart restores it (reset() from an
// EngineState), so there is one code path that rebuilds the indexes from records, and it is
// the one the crash and replay tests already exercise.
#include <algorithm>
#include <cassert>
#include <set>

#include "engine_impl.h"

namespace hallq::core {

namespace {

bool active(const Ticket& t) {
  return t.state == TicketState::waiting || t.state == TicketState::called ||
         t.state == TicketState::serving || t.state == TicketState::held;
}

Error conflict(std::string message) { return make_error(ErrorCode::invalid_state, std::move(message)); }

// The tickets in numbering order, so the first one a message names is the oldest.
std::vector<const Ticket*> active_tickets(const HallState& s) {
  std::vector<const Ticket*> out;
  for (const auto& [id, r] : s.tickets)
    if (active(r.t)) out.push_back(&r.t);
  std::sort(out.begin(), out.end(), [](const Ticket* a, const Ticket* b) {
    return a->issued_at != b->issued_at ? a->issued_at < b->issued_at : a->number < b->number;
  });
  return out;
}

}  // namespace

Status Engine::check_reconfigure(const HallConfig& next, TimeMs now) const {
  const HallState& s = *impl_;
  const HallConfig& old = *s.config;
  // Tickets, requests and alerts are filed under the business day: a new offset or reset hour
  // that moves "today" would orphan them mid-day.
  if (core::business_day_at(next.rules, now) != core::business_day_at(old.rules, now))
    return conflict("/rules: the new utc_offset_min or reset_hour would move the current business day from " +
                    core::business_day_at(old.rules, now) + " to " + core::business_day_at(next.rules, now) +
                    ": change them after closing time");
  const auto tickets = active_tickets(s);
  for (const ServiceConfig& svc : old.services) {
    if (next.service(svc.code)) continue;
    for (const Ticket* t : tickets)
      if (t->service == svc.code)
        return conflict("service " + svc.code + " cannot be removed: ticket " + t->number + " is " +
                        std::string(to_string(t->state)) + " for it; serve, transfer or cancel its tickets first");
    const ServiceLine* l = s.find_line(svc.code);
    // Numbers already issued today carry the code: a renamed code would restart its numbering
    // and the day's reports would split one service in two.
    if (l && l->counter > 0)
      return conflict("service " + svc.code + " issued numbers today (up to " + svc.code +
                      std::to_string(l->counter) + "): its code can change or go after the day ends");
  }
  for (const WindowConfig& w : old.windows) {
    if (next.window(w.number)) continue;
    const std::string name = "window " + std::to_string(w.number);
    for (const Ticket* t : tickets) {
      if (t->window == w.number && (t->state == TicketState::called || t->state == TicketState::serving))
        return conflict(name + " cannot be removed: ticket " + t->number + " is " + std::string(to_string(t->state)) +
                        " there; complete or transfer it first");
      if (t->window == w.number && t->state == TicketState::held)
        return conflict(name + " cannot be removed: ticket " + t->number + " is on hold there; call it back or transfer it first");
      if (t->target_window == w.number || t->return_window == w.number)
        return conflict(name + " cannot be removed: ticket " + t->number + " is waiting to be seen there; transfer it first");
    }
  }
  return ok_status();
}

Status Engine::reconfigure(std::shared_ptr<const HallConfig> config, TimeMs now) {
  if (auto s = check_reconfigure(*config, now); !s) return s;
  HallState& s = *impl_;
  EngineState st;
  st.last_seq = s.last_seq;
  st.business_day = s.business_day;
  // A notice set by command stays; one that only came from the old file follows the new file.
  st.notice_set = s.notice != s.config->notice;
  st.notice = s.notice;
  st.tickets.reserve(s.tickets.size());
  for (const auto& [id, r] : s.tickets) st.tickets.push_back(r.t);
  for (const auto& [n, slot] : s.windows) st.windows.push_back(slot.w);
  for (const auto& [id, a] : s.alerts) st.alerts.push_back(a);
  for (const auto& [id, f] : s.followups) st.followups.push_back(f);
  st.appointments = appointments();

  auto fresh = std::make_unique<Impl>(std::move(config), s.ids);
  fresh->reset(st);
  // The day's answers move over as they are (the engine keeps only a hash of each command, so
  // they cannot go through EngineState); an issue's answer points at its ticket's key, which
  // now lives in the fresh state.
  for (auto& [key, r] : s.requests) {
    if (!r.issued) continue;
    const auto t = fresh->tickets.find(*r.issued);
    assert(t != fresh->tickets.end());  // the same tickets were carried over above
    r.issued = t == fresh->tickets.end() ? nullptr : &t->first;
  }
  fresh->requests = std::move(s.requests);
  // Refusals are remembered in memory only; keep them so a retry still gets the same answer.
  fresh->failures = std::move(s.failures);
  fresh->failure_order = std::move(s.failure_order);
  impl_ = std::move(fresh);
  return ok_status();
}

}  // namespace hallq::core
