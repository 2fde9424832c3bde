// The commands: validate everything first, then build the post-state records and emit them as
// events (records.cc applies them). A failed check returns before the first emit, so an error
// never leaves a half-done change behind.
#include "hallq/core/engine.h"

#include <algorithm>
#include <cassert>
#include <cstdio>

#include "engine_impl.h"
#include "hallq/json_codec.h"

namespace hallq::core {

using nlohmann::json;

namespace {

template <typename T>
std::string join(const std::vector<T>& v) {
  std::string s;
  for (const auto& x : v) {
    if (!s.empty()) s += ", ";
    if constexpr (std::is_same_v<T, std::string>) {
      s += x;
    } else {
      s += std::to_string(x);
    }
  }
  return s;
}

std::string win(int n) { return "window " + std::to_string(n); }

std::string pad(int seq, int digits) {
  std::string s = std::to_string(seq);
  if (static_cast<int>(s.size()) < digits) s.insert(0, static_cast<std::size_t>(digits) - s.size(), '0');
  return s;
}

// "clerk zhang", "kiosk kiosk-1": who is refused, in messages.
std::string who(const Actor& a) { return std::string(to_string(a.role)) + " " + a.name; }

// The clerk recorded in a ticket's history: people, not devices or the system.
std::string clerk_of(const Actor& a) {
  return a.role == Role::clerk || a.role == Role::admin ? a.name : std::string();
}

std::string state_words(const Ticket& t) {
  switch (t.state) {
    case TicketState::waiting: return "waiting";
    case TicketState::called: return "called to " + win(t.window);
    case TicketState::serving: return "being served at " + win(t.window);
    case TicketState::held: return "on hold at " + win(t.window);
    case TicketState::done: return "already served";
    case TicketState::no_show: return "a no-show";
    case TicketState::cancelled: return "cancelled";
  }
  return "?";
}

json localized(const LocalizedText& x) {
  return json{{"zh_cn", x.zh_cn}, {"zh_tw", x.in("zh-TW")}, {"en", x.in("en")}};
}

json brief(const Ticket& t) {
  json j{{"id", t.id},
         {"number", t.number},
         {"service", t.service},
         {"state", to_string(t.state)},
         {"class", to_string(t.cls)}};
  if (t.called_at) j["called_at"] = *t.called_at;
  if (t.started_at) j["started_at"] = *t.started_at;
  j["recalls"] = t.recalls;
  if (t.rating) j["rating"] = to_json(*t.rating);
  return j;
}

constexpr const char* kLevelWords[] = {"", "非常不满意", "不满意", "基本满意", "满意", "非常满意"};

// The step that ended the visit: where and by whom it was served.
const TicketTransition* completed_step(const Ticket& t) {
  for (auto it = t.history.rbegin(); it != t.history.rend(); ++it)
    if (it->step == TicketStep::completed) return &*it;
  return nullptr;
}

Error err(ErrorCode code, std::string message) { return make_error(code, std::move(message)); }

// One command's run: the engine, who acts, when, and where its events go.
struct Run {
  HallState& s;
  const Actor& actor;
  TimeMs now;
  Outcome& out;
  bool rolled;  // this execute() rolled the day over before the command
  // An answer written as text (issue), in place of the tree a command returns. For an issue,
  // text[0, rest_end) is the answer without its ticket, and `issued` the ticket's key in
  // s.tickets.
  std::string text;
  std::size_t rest_end = 0;
  const std::string* issued = nullptr;

  // ---- shared checks

  Result<WindowSlot*> window_for(int n) {
    auto it = s.windows.find(n);
    if (it == s.windows.end()) return err(ErrorCode::not_found, win(n) + " does not exist");
    if (actor.role == Role::admin) return &it->second;
    if (actor.role == Role::clerk) {
      if (std::find(actor.windows.begin(), actor.windows.end(), n) != actor.windows.end())
        return &it->second;
      return err(ErrorCode::forbidden,
                 "clerk " + actor.name + " may not act at " + win(n) +
                     (actor.windows.empty() ? " (they have no windows)"
                                            : " (their windows: " + join(actor.windows) + ")"));
    }
    return err(ErrorCode::forbidden, who(actor) + " may not act at " + win(n));
  }

  TicketRecord* current(const WindowSlot& slot) {
    if (slot.w.current_ticket.empty()) return nullptr;
    auto it = s.tickets.find(slot.w.current_ticket);
    return it == s.tickets.end() ? nullptr : &it->second;
  }

  std::string current_number(const WindowSlot& slot) {
    TicketRecord* r = current(slot);
    return r ? r->t.number : slot.w.current_ticket;
  }

  Error busy(const WindowSlot& slot) {
    TicketRecord* r = current(slot);
    const std::string n = win(slot.w.number);
    if (r != nullptr && r->t.state == TicketState::called)
      return err(ErrorCode::window_busy, n + " has called " + r->t.number +
                                             ": start, recall or mark it a no-show first");
    return err(ErrorCode::window_busy, n + " is still serving " + current_number(slot) +
                                           ": complete, transfer or hold it first");
  }

  // A window that may call someone: open and free.
  Status ready_to_call(const WindowSlot& slot) {
    if (slot.w.state == WindowState::paused)
      return err(ErrorCode::window_paused, win(slot.w.number) + " is paused: resume it first");
    if (slot.w.state == WindowState::closed)
      return err(ErrorCode::window_paused, win(slot.w.number) + " is closed: open it first");
    if (!slot.w.current_ticket.empty()) return busy(slot);
    return ok_status();
  }

  // The window's current ticket, which must be in `state` for `verb`.
  Result<TicketRecord*> current_in(const WindowSlot& slot, TicketState state,
                                   std::string_view verb) {
    TicketRecord* r = current(slot);
    const std::string where = std::string("cannot ") + std::string(verb) + " at " + win(slot.w.number);
    if (r == nullptr)
      return err(ErrorCode::invalid_state, where + ": nobody is called or being served there");
    if (r->t.state != state) {
      if (state == TicketState::serving)
        return err(ErrorCode::invalid_state,
                   where + ": " + r->t.number + " is called but not being served yet (start it first)");
      return err(ErrorCode::invalid_state,
                 where + ": " + r->t.number + " is already being served");
    }
    return r;
  }

  TicketRecord* by_number(const std::string& number) {
    auto id = s.by_number.find(number);
    if (id == s.by_number.end()) return nullptr;
    auto it = s.tickets.find(*id->second);
    return it == s.tickets.end() ? nullptr : &it->second;
  }

  Error not_issued(const std::string& number) {
    return err(ErrorCode::not_found, "ticket " + number + " was not issued today");
  }

  void touch(Window& w) {
    if (actor.role == Role::clerk) w.clerk = actor.name;
  }

  TicketTransition step(TicketStep what, int window) {
    TicketTransition t;
    t.step = what;
    t.at = now;
    t.window = window;
    t.clerk = clerk_of(actor);
    return t;
  }

  void emit(EventType type, Ticket t, std::optional<Window> w, const std::string& other = {}) {
    Event ev;
    ev.type = type;
    ev.ticket = std::move(t);
    ev.window = std::move(w);
    s.emit(out, std::move(ev), now, actor.name, other);
  }

  void emit_window(EventType type, Window w) {
    Event ev;
    ev.type = type;
    ev.window = std::move(w);
    s.emit(out, std::move(ev), now, actor.name);
  }

  json ticket_result(const TicketRecord& r, int window) {
    return json{{"ticket", to_json(r.t)}, {"window", window}};
  }

  // waiting -> called at the window.
  void call(WindowSlot& slot, TicketRecord& r) {
    Ticket t = r.t;
    Window w = slot.w;
    t.state = TicketState::called;
    if (!t.called_at) t.called_at = now;
    t.window = w.number;
    t.clerk = actor.name;
    t.target_window = 0;
    t.history.push_back(step(TicketStep::called, w.number));
    w.current_ticket = t.id;
    w.state_since = now;
    touch(w);
    emit(EventType::ticket_called, std::move(t), std::move(w));
  }

  // ---- commands

  Result<json> operator()(const IssueTicket& c) {
    if (!c.appointment_code.empty()) {
      // 预约 check-in: the appointment's ticket goes through every check a ticket has (kiosk
      // services, opening hours, daily cap), then the appointment records it.
      if (actor.role != Role::kiosk && actor.role != Role::admin)
        return err(ErrorCode::forbidden, who(actor) + " may not check in appointments");
      auto issue = s.check_in_issue(c, now);
      if (!issue) return issue.error();
      if (auto issued = (*this)(*issue); !issued) return issued;
      json answer = json::parse(std::exchange(text, std::string()));  // a check-in is rare: a tree is fine
      issued = nullptr;  // remember() sees to the answer's ticket
      const Ticket& t = s.tickets.at(answer["ticket"]["id"].get<std::string>()).t;
      answer["appointment"] = to_json(s.checked_in(c.appointment_code, t, actor, now, out));
      return answer;
    }
    const ServiceLine* known = s.find_line(c.service);
    const ServiceConfig* svc = known ? known->config : nullptr;
    if (svc == nullptr) return err(ErrorCode::not_found, "service " + c.service + " does not exist");
    if (actor.role != Role::kiosk && actor.role != Role::admin)
      return err(ErrorCode::forbidden, who(actor) + " may not issue tickets");
    if (actor.role == Role::kiosk && !actor.services.empty() &&
        std::find(actor.services.begin(), actor.services.end(), c.service) == actor.services.end())
      return err(ErrorCode::forbidden, "kiosk " + actor.name + " does not offer service " +
                                           c.service + " (it offers " + join(actor.services) + ")");
    const Rules& rules = s.config->rules;
    if (c.cls == TicketClass::priority) {
      std::vector<std::string> reasons;
      for (const auto& r : rules.priority_reasons) reasons.push_back(r.code);
      if (std::find(reasons.begin(), reasons.end(), c.priority_reason) == reasons.end())
        return err(ErrorCode::bad_request,
                   reasons.empty() ? std::string("this hall issues no priority tickets")
                                   : "priority_reason \"" + c.priority_reason +
                                         "\" is not one of this hall's reasons: " + join(reasons));
    } else if (!c.priority_reason.empty()) {
      return err(ErrorCode::bad_request, "priority_reason is only for priority tickets");
    }
    if (c.cls == TicketClass::appointment && !c.appointment_at)
      return err(ErrorCode::bad_request, "an appointment ticket needs appointment_at");
    if (c.cls != TicketClass::appointment && c.appointment_at)
      return err(ErrorCode::bad_request, "appointment_at is only for appointment tickets");
    if (rules.enforce_opening_hours) {
      // The same days off as appointments (rules.workdays, holidays, extra_workdays). The kiosk
      // words it from the detail (display/core/src/touch.cc).
      const std::int64_t today = local_days(rules, now);
      if (auto off = s.day_off(today)) {
        const std::string date = civil_date(today);
        Error e = err(ErrorCode::service_closed,
                      "the hall is closed today, " + date + " (" + *off + "): tickets are issued on working days");
        e.detail = {{"reason", "day_off"}, {"date", date}, {"why", *off}};
        return e;
      }
    }
    if (rules.enforce_opening_hours && !svc->hours.empty()) {
      const int minute = local_minute_of_day(rules, now);
      if (!open_at(svc->hours, minute)) {
        const std::string spans = format_hours(svc->hours, ", ");
        const std::string now_text = format_clock(minute);
        Error e = err(ErrorCode::service_closed,
                      "service " + c.service + " is open " + spans + " (it is " + now_text + " now)");
        e.detail = {{"reason", "outside_hours"}, {"hours", spans}, {"now", now_text}};
        return e;
      }
    }
    ServiceLine& l = s.line(c.service);
    if (svc->daily_cap > 0 && l.counter >= svc->daily_cap)
      return err(ErrorCode::daily_cap_reached, "service " + c.service + " has issued all " +
                                                   std::to_string(svc->daily_cap) +
                                                   " of today's tickets");
    const int seq = l.counter + 1;
    if (seq > 99999)  // numbers have at most five digits (the protocol's limit)
      return err(ErrorCode::daily_cap_reached,
                 "service " + c.service + " has used every ticket number for today");
    std::string number = c.service + pad(seq, svc->number_digits);
    std::string id = s.ids.next();
    if (id.empty() || s.tickets.count(id) != 0 || s.by_number.count(number) != 0)
      return err(ErrorCode::internal, "could not make a unique ticket for service " + c.service);

    Ticket t;
    t.id = id;
    t.number = std::move(number);
    t.service = c.service;
    t.origin_service = c.service;
    t.business_day = s.business_day;
    t.cls = c.cls;
    t.priority_reason = c.priority_reason;
    t.appointment_at = c.appointment_at;
    t.state = TicketState::waiting;
    t.issued_at = now;
    t.queued_at = now;
    t.issued_by = actor.name;
    t.history.push_back(step(TicketStep::issued, 0));
    emit(EventType::ticket_issued, std::move(t), std::nullopt);

    const auto r = s.tickets.find(id);
    TicketStanding st = s.standing_of(r->second, now).value_or(TicketStanding{});
    // Written as text: the same bytes as the tree's dump() (keys in order, the ticket last), at
    // a third of the cost. Issuing is the command a busy hall runs most.
    text.reserve(384);
    text += R"({"ahead":)";
    text += std::to_string(st.ahead);
    text += R"(,"estimated_wait_s":)";
    text += std::to_string(st.estimated_wait_s);
    text += R"(,"seq":)";
    text += std::to_string(out.events.back().seq);
    rest_end = text.size();
    text += R"(,"ticket":)";
    append_json(text, r->second.t);
    text += '}';
    issued = &r->first;
    return json();
  }

  Result<json> operator()(const CallNext& c) {
    auto slot = window_for(c.window);
    if (!slot) return slot.error();
    if (auto ready = ready_to_call(**slot); !ready) return ready.error();
    const QueueKey* next = s.pick(**slot, now);
    if (next == nullptr)
      return err(ErrorCode::queue_empty, "nobody is waiting for " + win(c.window) + " (services " +
                                             join((*slot)->config->services) + ")");
    TicketRecord& r = s.tickets.at(*next->id);
    call(**slot, r);
    return ticket_result(r, c.window);
  }

  Result<json> operator()(const CallNumber& c) {
    auto slot = window_for(c.window);
    if (!slot) return slot.error();
    if (auto ready = ready_to_call(**slot); !ready) return ready.error();
    TicketRecord* r = by_number(c.number);
    if (r == nullptr) return not_issued(c.number);
    const Ticket& t = r->t;
    if (t.state != TicketState::waiting)
      return err(ErrorCode::invalid_state,
                 t.number + " is " + state_words(t) + ": only a waiting ticket can be called");
    if (t.target_window != 0 && t.target_window != c.window)
      return err(ErrorCode::forbidden, t.number + " is waiting for " + win(t.target_window) +
                                           ", not " + win(c.window));
    if (t.target_window == 0 && (*slot)->service_index(t.service) < 0)
      return err(ErrorCode::forbidden, win(c.window) + " does not serve service " + t.service +
                                           " (" + t.number + ")");
    call(**slot, *r);
    return ticket_result(*r, c.window);
  }

  Result<json> operator()(const Recall& c) {
    auto slot = window_for(c.window);
    if (!slot) return slot.error();
    auto r = current_in(**slot, TicketState::called, "recall");
    if (!r) return r.error();
    Ticket t = (*r)->t;
    Window w = (*slot)->w;
    ++t.recalls;
    t.history.push_back(step(TicketStep::recalled, c.window));
    touch(w);
    emit(EventType::ticket_recalled, std::move(t), std::move(w));
    return ticket_result(**r, c.window);
  }

  Result<json> operator()(const NoShow& c) {
    auto slot = window_for(c.window);
    if (!slot) return slot.error();
    auto r = current_in(**slot, TicketState::called, "mark a no-show");
    if (!r) return r.error();
    Ticket t = (*r)->t;
    Window w = (*slot)->w;
    t.state = TicketState::no_show;
    t.finished_at = now;
    t.history.push_back(step(TicketStep::no_show, c.window));
    w.current_ticket.clear();
    w.state_since = now;
    touch(w);
    emit(EventType::ticket_no_show, std::move(t), std::move(w));
    return ticket_result(**r, c.window);
  }

  Result<json> operator()(const StartService& c) {
    auto slot = window_for(c.window);
    if (!slot) return slot.error();
    auto r = current_in(**slot, TicketState::called, "start");
    if (!r) return r.error();
    Ticket t = (*r)->t;
    Window w = (*slot)->w;
    t.state = TicketState::serving;
    t.started_at = now;
    t.clerk = actor.name;
    t.history.push_back(step(TicketStep::started, c.window));
    touch(w);
    emit(EventType::service_started, std::move(t), std::move(w));
    return ticket_result(**r, c.window);
  }

  Result<json> operator()(const CompleteService& c) {
    auto slot = window_for(c.window);
    if (!slot) return slot.error();
    auto r = current_in(**slot, TicketState::serving, "complete");
    if (!r) return r.error();
    Ticket t = (*r)->t;
    Window w = (*slot)->w;
    const std::string before = t.service;
    TicketTransition done = step(TicketStep::completed, c.window);
    if (t.return_window != 0) {
      // Served here on the way: back to the window that sent it, as a transferred-in ticket.
      const int back = t.return_window;
      auto target = s.windows.find(back);
      const bool to_window = target != s.windows.end() && target->second.w.state != WindowState::closed;
      if (!t.return_service.empty()) t.service = t.return_service;
      t.state = TicketState::waiting;
      t.target_window = to_window ? back : 0;
      t.return_window = 0;
      t.return_service.clear();
      t.window = 0;
      t.queued_at = now;
      done.service = t.service;
      done.note = to_window ? "returning to " + win(back)
                            : "returning to service " + t.service + " (" + win(back) + " is closed)";
    } else {
      t.state = TicketState::done;
      t.finished_at = now;
    }
    t.history.push_back(std::move(done));
    w.current_ticket.clear();
    w.state_since = now;
    ++w.served_today;
    touch(w);
    emit(EventType::service_completed, std::move(t), std::move(w), before);
    return ticket_result(**r, c.window);
  }

  Result<json> operator()(const Transfer& c) {
    auto slot = window_for(c.window);
    if (!slot) return slot.error();
    auto r = current_in(**slot, TicketState::serving, "transfer");
    if (!r) return r.error();
    if (c.to_service.empty() == (c.to_window == 0))
      return err(ErrorCode::bad_request, "a transfer needs exactly one of to_service and to_window");
    const Ticket& now_t = (*r)->t;
    std::string service;
    int target = 0;
    if (!c.to_service.empty()) {
      const ServiceLine* l = s.find_line(c.to_service);
      if (l == nullptr || l->config == nullptr)
        return err(ErrorCode::not_found, "service " + c.to_service + " does not exist");
      service = c.to_service;
    } else {
      auto to = s.windows.find(c.to_window);
      if (to == s.windows.end()) return err(ErrorCode::not_found, win(c.to_window) + " does not exist");
      if (c.to_window == c.window)
        return err(ErrorCode::bad_request, now_t.number + " is already at " + win(c.window));
      if (to->second.w.state == WindowState::closed)
        return err(ErrorCode::window_paused, win(c.to_window) + " is closed: " + now_t.number +
                                                 " cannot be sent there");
      const auto& offered = to->second.config->services;
      service = to->second.service_index(now_t.service) >= 0 || offered.empty() ? now_t.service
                                                                               : offered.front();
      target = c.to_window;
    }
    Ticket t = now_t;
    Window w = (*slot)->w;
    const std::string before = t.service;
    TicketTransition moved = step(TicketStep::transferred, c.window);
    moved.service = service;
    moved.note = c.note;
    t.history.push_back(std::move(moved));
    if (c.return_after) {
      t.return_window = c.window;
      t.return_service = before;
    }
    t.state = TicketState::waiting;
    t.service = service;
    t.target_window = target;
    t.window = 0;
    t.queued_at = now;
    w.current_ticket.clear();
    w.state_since = now;
    touch(w);
    emit(EventType::ticket_transferred, std::move(t), std::move(w), before);
    return ticket_result(**r, c.window);
  }

  Result<json> operator()(const Hold& c) {
    auto slot = window_for(c.window);
    if (!slot) return slot.error();
    auto r = current_in(**slot, TicketState::serving, "put on hold");
    if (!r) return r.error();
    Ticket t = (*r)->t;
    Window w = (*slot)->w;
    t.state = TicketState::held;
    t.history.push_back(step(TicketStep::held, c.window));
    w.current_ticket.clear();
    w.held.push_back(t.id);
    w.state_since = now;
    touch(w);
    emit(EventType::ticket_held, std::move(t), std::move(w));
    return ticket_result(**r, c.window);
  }

  Result<json> operator()(const Callback& c) {
    auto slot = window_for(c.window);
    if (!slot) return slot.error();
    TicketRecord* r = by_number(c.number);
    if (r == nullptr) return not_issued(c.number);
    if (r->t.state != TicketState::held || r->t.window != c.window)
      return err(ErrorCode::invalid_state,
                 r->t.number + " is " + state_words(r->t) + ", not on hold at " + win(c.window));
    Ticket t = r->t;
    Window w = (*slot)->w;
    t.history.push_back(step(TicketStep::called_back, c.window));
    t.state = TicketState::waiting;
    t.target_window = c.window;
    t.window = 0;
    t.queued_at = now;
    std::erase(w.held, t.id);
    touch(w);
    emit(EventType::ticket_called_back, std::move(t), std::move(w));
    bool called = false;
    if ((*slot)->w.state == WindowState::open && (*slot)->w.current_ticket.empty()) {
      call(**slot, *r);
      called = true;
    }
    json j = ticket_result(*r, c.window);
    j["called"] = called;
    return j;
  }

  Result<json> operator()(const CancelTicket& c) {
    if (actor.role != Role::admin)
      return err(ErrorCode::forbidden, who(actor) + " may not cancel tickets (administrators only)");
    if (c.number.empty() && c.ticket_id.empty())
      return err(ErrorCode::bad_request, "cancel needs a ticket number or a ticket id");
    TicketRecord* r = nullptr;
    if (!c.ticket_id.empty()) {
      auto it = s.tickets.find(c.ticket_id);
      if (it == s.tickets.end())
        return err(ErrorCode::not_found, "no ticket of today has id " + c.ticket_id);
      r = &it->second;
      if (!c.number.empty() && r->t.number != c.number)
        return err(ErrorCode::bad_request, "ticket id " + c.ticket_id + " is " + r->t.number +
                                               ", not " + c.number);
    } else {
      r = by_number(c.number);
      if (r == nullptr) return not_issued(c.number);
    }
    if (r->t.state != TicketState::waiting && r->t.state != TicketState::held)
      return err(ErrorCode::invalid_state, r->t.number + " is " + state_words(r->t) +
                                               ": only a waiting or held ticket can be cancelled");
    Ticket t = r->t;
    std::optional<Window> w;
    if (t.state == TicketState::held) {
      auto slot = s.windows.find(t.window);
      if (slot != s.windows.end()) {
        w = slot->second.w;
        std::erase(w->held, t.id);
      }
    }
    t.state = TicketState::cancelled;
    t.finished_at = now;
    t.history.push_back(step(TicketStep::cancelled, 0));
    emit(EventType::ticket_cancelled, std::move(t), std::move(w));
    return json{{"ticket", to_json(r->t)}};
  }

  Result<json> window_state(int n, WindowState to, EventType type) {
    auto slot = window_for(n);
    if (!slot) return slot.error();
    WindowSlot& sl = **slot;
    const WindowState from = sl.w.state;
    if (from == to)
      return err(ErrorCode::invalid_state, win(n) + " is already " + std::string(to_string(to)));
    if (to == WindowState::paused && from == WindowState::closed)
      return err(ErrorCode::invalid_state, win(n) + " is closed: resume opens it");
    if (to == WindowState::closed) {
      if (!sl.w.current_ticket.empty()) return busy(sl);
      if (!sl.w.held.empty()) {
        std::vector<std::string> held;
        for (const auto& id : sl.w.held) {
          auto it = s.tickets.find(id);
          held.push_back(it == s.tickets.end() ? id : it->second.t.number);
        }
        return err(ErrorCode::window_busy, win(n) + " has visitors on hold (" + join(held) +
                                               "): call them back or cancel them first");
      }
      if (!sl.targeted.empty()) {
        std::vector<std::string> waiting;
        for (const QueueKey& k : sl.targeted) waiting.push_back(s.tickets.at(*k.id).t.number);
        return err(ErrorCode::window_busy, "visitors were sent to " + win(n) + " (" +
                                               join(waiting) + "): call them first");
      }
    }
    Window w = sl.w;
    w.state = to;
    w.state_since = now;
    touch(w);
    emit_window(type, std::move(w));
    return json{{"window", n}, {"state", to_string(to)}};
  }

  Result<json> operator()(const PauseWindow& c) {
    return window_state(c.window, WindowState::paused, EventType::window_paused);
  }
  Result<json> operator()(const ResumeWindow& c) {
    return window_state(c.window, WindowState::open, EventType::window_resumed);
  }
  Result<json> operator()(const CloseWindow& c) {
    return window_state(c.window, WindowState::closed, EventType::window_closed);
  }

  Result<json> operator()(const RollOverDay&) {
    if (actor.role != Role::admin)
      return err(ErrorCode::forbidden, who(actor) + " may not roll the day over (administrators only)");
    // The rollover itself ran (or not) before the command, as for every command.
    if (!rolled)
      return err(ErrorCode::invalid_state, "business day " + s.business_day + " has not ended");
    return json{{"business_day", s.business_day}};
  }

  // ---- service quality

  Result<json> operator()(const Rate& c) {
    auto it = s.tickets.find(c.ticket);
    if (it == s.tickets.end()) return err(ErrorCode::not_found, "no ticket of today has id " + c.ticket);
    const Ticket& cur = it->second.t;
    const TicketTransition* served = completed_step(cur);
    const int at_window = served ? served->window : cur.window;
    RatingVia via = RatingVia::admin;
    switch (actor.role) {
      case Role::admin:
        via = RatingVia::admin;
        break;
      case Role::evaluator:
        if (std::find(actor.windows.begin(), actor.windows.end(), at_window) == actor.windows.end())
          return err(ErrorCode::forbidden,
                     "evaluator " + actor.name + " is at " +
                         (actor.windows.empty() ? std::string("no window") : win(actor.windows.front())) +
                         ", but " + cur.number + " was served at " + win(at_window));
        via = RatingVia::evaluator;
        break;
      case Role::visitor:
        if (actor.ticket != cur.id)
          return err(ErrorCode::forbidden, "a visitor may rate only their own ticket");
        via = RatingVia::visitor;
        break;
      default:
        return err(ErrorCode::forbidden, who(actor) +
                                             " may not rate visits (the visitor rates on the "
                                             "evaluator or the ticket page)");
    }
    if (cur.rating)
      return err(ErrorCode::already_rated,
                 cur.number + " was already rated " + std::to_string(cur.rating->level) + " (" +
                     kLevelWords[cur.rating->level] + "): one rating per visit");
    if (cur.state != TicketState::done)
      return err(ErrorCode::invalid_state,
                 cur.number + " is " + state_words(cur) + ": only a finished visit can be rated");
    Ticket t = cur;
    t.rating = Rating{c.level, now, via};
    emit(EventType::ticket_rated, t, std::nullopt);
    json j{{"ticket", t.id}, {"number", t.number}, {"rating", to_json(*t.rating)}};
    if (c.level <= 2) {
      // 不满意 / 非常不满意: the national rules ask for a call-back and a fix.
      Followup f;
      std::string day = t.business_day;
      std::erase(day, '-');
      f.id = "F" + day + t.number;
      f.ticket = t.id;
      f.number = t.number;
      f.service = t.service;
      f.window = at_window;
      f.clerk = served ? served->clerk : t.clerk;
      f.level = c.level;
      f.opened_at = now;
      f.due_at = s.followup_due(now);
      Event ev;
      ev.type = EventType::followup_opened;
      ev.followup = f;
      s.emit(out, std::move(ev), now, actor.name);
      j["followup"] = f.id;
    }
    return j;
  }

  Result<json> operator()(const RequestRating& c) {
    auto slot = window_for(c.window);
    if (!slot) return slot.error();
    auto it = s.tickets.find((*slot)->last_done);
    if (it == s.tickets.end())
      return err(ErrorCode::invalid_state, win(c.window) + " has finished no visit today");
    const Ticket& t = it->second.t;
    if (t.rating)
      return err(ErrorCode::already_rated, t.number + " (the last visit at " + win(c.window) +
                                               ") is already rated");
    emit(EventType::rating_requested, t, (*slot)->w);
    return json{{"ticket", t.id}, {"number", t.number}, {"window", c.window}};
  }

  Result<json> operator()(const UpdateFollowup& c) {
    if (actor.role != Role::admin)
      return err(ErrorCode::forbidden, who(actor) + " may not update follow-ups (administrators only)");
    auto it = s.followups.find(c.id);
    if (it == s.followups.end())
      return err(ErrorCode::not_found, "no open follow-up " + c.id + " (it does not exist or is closed)");
    Followup f = it->second;
    if (c.callback_note) f.callback_note = *c.callback_note;
    if (c.fix_note) f.fix_note = *c.fix_note;
    if (!f.callback_note.empty() && f.state == FollowupState::open) f.state = FollowupState::called_back;
    if (c.close) {
      std::vector<std::string> missing;
      if (f.callback_note.empty()) missing.push_back("callback_note");
      if (f.fix_note.empty()) missing.push_back("fix_note");
      if (!missing.empty())
        return err(ErrorCode::invalid_state, "follow-up " + c.id +
                                                 " is closed only once its call-back and fix are "
                                                 "recorded (missing: " + join(missing) + ")");
      f.state = FollowupState::closed;
      f.closed_at = now;
    }
    Event ev;
    ev.type = EventType::followup_updated;
    ev.followup = f;
    s.emit(out, std::move(ev), now, actor.name);
    return json{{"followup", to_json(f)}};
  }

  Result<json> operator()(const BookAppointment& c) { return s.book(c, actor, now, out); }
  Result<json> operator()(const CancelAppointment& c) {
    return s.cancel_appointment(c, actor, now, out);
  }

  Result<json> operator()(const SetNotice& c) {
    if (actor.role != Role::admin)
      return err(ErrorCode::forbidden, who(actor) + " may not change the notice (administrators only)");
    Event ev;
    ev.type = EventType::notice_changed;
    ev.notice = c.text;
    s.emit(out, std::move(ev), now, actor.name);
    return json{{"notice", c.text}};
  }
};

}  // namespace

HallState::HallState(std::shared_ptr<const HallConfig> c, TicketIds& i)
    : config(std::move(c)), ids(i) {
  for (const ServiceConfig& s : config->services) {
    service_order.push_back(s.code);
    line(s.code).config = &s;
  }
  for (const WindowConfig& w : config->windows) {
    WindowSlot slot;
    slot.config = &w;
    slot.w.number = w.number;
    windows.emplace(w.number, std::move(slot));
    for (const std::string& code : w.services) {
      ServiceLine& l = line(code);
      if (std::find(l.windows.begin(), l.windows.end(), w.number) == l.windows.end())
        l.windows.push_back(w.number);
    }
  }
  notice = config->notice;
}

Engine::Engine(std::shared_ptr<const HallConfig> config, TicketIds& ids)
    : impl_(std::make_unique<Impl>(std::move(config), ids)) {}

Engine::~Engine() = default;

Outcome Engine::execute(const Command& command, const Actor& actor, TimeMs now) {
  Outcome out = run_command(command, actor, now);
  // Whatever the command resolved (a call ends a wait, a completion a long service) clears its
  // alert in the same commit.
  impl_->settle_alerts(out, 0, now);
  return out;
}

namespace {

// A ticket as `issue` made it: the fields no command changes, and the others at the values
// issue gives them. A ticket equal to its as_issued() has had nothing done to it since.
Ticket as_issued(const Ticket& t) {
  Ticket i;
  i.id = t.id;
  i.number = t.number;
  i.service = t.origin_service;
  i.origin_service = t.origin_service;
  i.business_day = t.business_day;
  i.cls = t.cls;
  i.priority_reason = t.priority_reason;
  i.state = TicketState::waiting;
  i.appointment_at = t.appointment_at;
  i.issued_at = t.issued_at;
  i.queued_at = t.issued_at;
  i.issued_by = t.issued_by;
  if (!t.history.empty()) i.history.push_back(t.history.front());
  return i;
}

}  // namespace

void HallState::remember(const std::string& key, const std::string& fingerprint, const json& result) {
  // An issue's answer (or a check-in's), with the ticket as its last member: leave the ticket
  // out while the record still is the ticket as issued, so as_issued() rebuilds it exactly
  // later. After a restart the stored answers of tickets that have moved on are kept whole.
  if (const auto it = result.find("ticket"); it != result.end() && result.contains("ahead") && it->is_object() &&
                                            std::prev(result.end()).key() == "ticket") {
    const auto t = tickets.find(it->value("id", std::string()));
    if (t != tickets.end() && t->second.t == as_issued(t->second.t)) {
      json rest = json::object();
      for (const auto& [k, v] : result.items())
        if (k != "ticket") rest[k] = v;  // not a copy of the whole answer: the ticket is most of it
      return keep(key, fingerprint, rest.dump(-1, ' ', false, json::error_handler_t::replace), &t->first);
    }
  }
  keep(key, fingerprint, result.dump(-1, ' ', false, json::error_handler_t::replace), nullptr);
}

void HallState::keep(const std::string& key, const std::string& fingerprint, std::string answer,
                     const std::string* issued) {
  Remembered r;
  r.fingerprint = fnv1a64(fingerprint);  // two commands under one request id collide at odds of 2^-64
  r.result = std::move(answer);
  r.issued = issued;
  requests.insert_or_assign(key, std::move(r));
}

std::string HallState::remembered_answer(const Remembered& r) const {
  if (r.issued == nullptr) return r.result;
  // The ticket goes back in as the last member, where dump() put it: "ticket" sorts after the
  // other keys (remember() checked).
  std::string answer = r.result;
  answer.pop_back();  // the closing brace
  if (answer.size() > 1) answer += ',';
  answer += R"("ticket":)";
  append_json(answer, as_issued(tickets.at(*r.issued).t));
  answer += '}';
  return answer;
}

Outcome Engine::run_command(const Command& command, const Actor& actor, TimeMs now) {
  Impl& s = *impl_;
  Outcome out;
  const bool rolled = s.roll_over(out, now, actor.name);

  std::string key, fingerprint;
  if (!command.request_id.empty()) {
    key = actor.name + '\x1f' + command.request_id;
    json j = command_to_json(command);
    j.erase("request_id");
    fingerprint = j.dump(-1, ' ', false, json::error_handler_t::replace);
    auto reused = [&] {
      return err(ErrorCode::request_id_reused, "request id " + command.request_id +
                                                   " was already used by " + actor.name +
                                                   " for a different command");
    };
    if (auto it = s.requests.find(key); it != s.requests.end()) {
      if (it->second.fingerprint != fnv1a64(fingerprint)) {
        out.error = reused();
      } else {
        out.body = s.remembered_answer(it->second);
        out.repeated = true;
      }
      return out;
    }
    if (auto it = s.failures.find(key); it != s.failures.end()) {
      if (it->second.fingerprint != fingerprint) {
        out.error = reused();
      } else {
        out.error = it->second.error;
        out.repeated = true;
      }
      return out;
    }
  }

  Run run{s, actor, now, out, rolled, {}, 0, nullptr};
  const std::size_t before = out.events.size();  // a rollover's events come first
  Result<json> r = std::visit([&run](const auto& body) { return run(body); }, command.body);
  if (!r) {
    assert(out.events.size() == before);  // every check comes before the first change
    out.error = r.error();
    if (!key.empty()) {
      if (s.failures.size() >= kFailureCacheSize) {
        s.failures.erase(s.failure_order.front());
        s.failure_order.pop_front();
      }
      s.failures.emplace(key, HallState::Failure{fingerprint, *out.error});
      s.failure_order.push_back(key);
    }
    return out;
  }
  // The seq of the first event of this change (an issue writes it into its text): a client that
  // has the answer before that event knows every event before it is older than the answer.
  if (run.text.empty() && out.events.size() > before) (*r)["seq"] = out.events[before].seq;
  // Serialised here, once: the journal stores this text and the server answers with it.
  out.body = run.text.empty() ? r->dump(-1, ' ', false, json::error_handler_t::replace) : std::move(run.text);
  if (!key.empty()) {
    const TicketRecord* t = run.issued ? &s.tickets.at(*run.issued) : nullptr;
    if (t && t->t == as_issued(t->t)) {
      s.keep(key, fingerprint, out.body.substr(0, run.rest_end) + '}', run.issued);
    } else if (run.issued) {
      s.keep(key, fingerprint, out.body, nullptr);
    } else {
      s.remember(key, fingerprint, *r);
    }
    out.request = StoredRequest{std::move(key), std::move(fingerprint), s.business_day, out.body};
  }
  return out;
}

Outcome Engine::tick(TimeMs now) {
  Outcome out;
  if (impl_->roll_over(out, now, "system")) {
    out.body = json{{"business_day", impl_->business_day}}.dump();
  } else {
    out.body = "{}";
  }
  impl_->settle_alerts(out, 0, now);
  impl_->raise_due(out, now);
  impl_->mark_missed(out, now);
  return out;
}

TimeMs Engine::next_deadline(TimeMs now) const {
  const Rules& rules = impl_->config->rules;
  if (core::business_day_at(rules, now) != impl_->business_day) return now;
  TimeMs next = next_day_start(rules, now);
  if (!impl_->deadlines.empty()) next = std::min(next, impl_->deadlines.begin()->first);
  if (!impl_->missed_deadlines.empty())
    next = std::min(next, impl_->missed_deadlines.begin()->first);
  return next;
}

std::vector<Alert> Engine::active_alerts() const {
  std::vector<Alert> v;
  for (const auto& [id, a] : impl_->alerts) v.push_back(a);
  std::sort(v.begin(), v.end(), [](const Alert& a, const Alert& b) {
    return a.raised_at != b.raised_at ? a.raised_at < b.raised_at : a.id < b.id;
  });
  return v;
}

json Engine::followups_json(TimeMs now) const {
  std::vector<const Followup*> v;
  for (const auto& [id, f] : impl_->followups) v.push_back(&f);
  std::sort(v.begin(), v.end(), [](const Followup* a, const Followup* b) {
    return a->due_at != b->due_at ? a->due_at < b->due_at : a->id < b->id;
  });
  json out = json::array();
  for (const Followup* f : v) {
    json j = to_json(*f);
    j["overdue"] = now > f->due_at;
    out.push_back(std::move(j));
  }
  return out;
}

const Followup* Engine::followup(std::string_view id) const {
  auto it = impl_->followups.find(std::string(id));
  return it == impl_->followups.end() ? nullptr : &it->second;
}

void Engine::restore(const EngineState& state) { impl_->reset(state); }

void Engine::apply(const Event& event) { impl_->apply_records(event); }

json Engine::snapshot(TimeMs now, bool with_tickets, bool with_followups) const {
  const Impl& s = *impl_;
  const HallConfig& c = *s.config;
  json services = json::array();
  for (const ServiceConfig& svc : c.services) {
    ServiceLoad l = s.load_of(svc.code, now);
    json hours = json::array();
    for (const OpeningSpan& span : svc.hours) hours.push_back(format_span(span));
    services.push_back(json{{"code", svc.code},
                            {"name", localized(svc.name)},
                            {"department", svc.department},
                            {"hours", std::move(hours)},
                            {"daily_cap", svc.daily_cap},
                            {"waiting", l.waiting},
                            {"issued_today", l.issued_today},
                            {"estimated_wait_s", l.estimated_wait_s},
                            {"longest_wait_s", l.longest_wait_s}});
  }
  json windows = json::array();
  for (const WindowConfig& wc : c.windows) {
    const Window& w = s.windows.at(wc.number).w;
    json current = nullptr;
    if (auto it = s.tickets.find(w.current_ticket); it != s.tickets.end()) current = brief(it->second.t);
    json held = json::array();
    for (const std::string& id : w.held) {
      auto it = s.tickets.find(id);
      if (it != s.tickets.end()) held.push_back(it->second.t.number);
    }
    windows.push_back(json{{"number", wc.number},
                           {"name", localized(wc.name)},
                           {"department", wc.department},
                           {"services", wc.services},
                           {"state", to_string(w.state)},
                           {"state_since", w.state_since},
                           {"clerk", w.clerk},
                           {"served_today", w.served_today},
                           {"current", std::move(current)},
                           {"held", std::move(held)}});
  }
  json calls = json::array();
  for (auto it = s.recent_calls.rbegin(); it != s.recent_calls.rend(); ++it)
    calls.push_back(json{{"number", it->number},
                         {"service", it->service},
                         {"window", it->window},
                         {"at", it->at},
                         {"recall", it->recall}});
  // What a kiosk needs to grey a service it would be refused (the issue checks above): the
  // hours by the hall's clock, and whether today is a day off.
  json hall{{"id", c.id}, {"name", localized(c.name)}, {"utc_offset_min", c.rules.utc_offset_min},
            {"enforce_opening_hours", c.rules.enforce_opening_hours}, {"day_off", nullptr}};
  const std::int64_t today = local_days(c.rules, now);
  if (auto off = s.day_off(today)) hall["day_off"] = json{{"date", civil_date(today)}, {"why", *off}};
  json j{{"type", "snapshot"},
         {"seq", s.last_seq},
         {"business_day", s.business_day},
         {"now", now},
         {"notice", s.notice},
         {"hall", std::move(hall)},
         {"services", std::move(services)},
         {"windows", std::move(windows)},
         {"recent_calls", std::move(calls)}};
  json alerts = json::array();
  for (const Alert& a : active_alerts()) alerts.push_back(to_json(a));
  j["alerts"] = std::move(alerts);
  if (with_followups) j["followups"] = followups_json(now);
  if (with_followups) j["appointments"] = appointment_counts(now);  // admins only
  if (with_tickets) {
    json tickets = json::array();
    for (const TicketRecord* r : s.sorted_tickets(true)) tickets.push_back(to_json(r->t));
    j["tickets"] = std::move(tickets);
  }
  return j;
}

Result<json> Engine::window_queue(int window, TimeMs now, std::size_t limit) const {
  const Impl& s = *impl_;
  auto it = s.windows.find(window);
  if (it == s.windows.end()) return err(ErrorCode::not_found, win(window) + " does not exist");
  const WindowSlot& slot = it->second;
  json queue = json::array();
  for (const QueueEntry& e : s.queue_of(slot, now, limit)) {
    const Ticket& t = s.tickets.at(*e.key.id).t;
    queue.push_back(json{{"number", t.number},
                         {"service", t.service},
                         {"class", to_string(t.cls)},
                         {"queued_at", t.queued_at},
                         {"waited_s", std::max<TimeMs>(0, now - t.queued_at) / 1000},
                         {"tier", e.tier}});
  }
  // Everyone this window could call, by service (the whole line, not just `limit`).
  json counts = json::object();
  for (const std::string& code : slot.config->services)
    if (const ServiceLine* l = s.find_line(code)) counts[code] = l->untargeted();
  for (const QueueKey& k : slot.targeted) {
    const std::string& code = s.tickets.at(*k.id).t.service;
    counts[code] = counts.value(code, std::size_t{0}) + 1;
  }
  return json{{"window", window}, {"queue", std::move(queue)}, {"counts", std::move(counts)}};
}

Result<json> Engine::ticket_view(std::string_view ticket_id, TimeMs now) const {
  const Impl& s = *impl_;
  auto it = s.tickets.find(std::string(ticket_id));
  if (it == s.tickets.end()) return err(ErrorCode::not_found, "no ticket of today has this id");
  const Ticket& t = it->second.t;
  json ticket = brief(t);
  if (t.window != 0) ticket["window"] = t.window;
  json j{{"ticket", std::move(ticket)}};
  if (const ServiceLine* l = s.find_line(t.service); l && l->config)
    j["service_name"] = localized(l->config->name);
  if (auto st = s.standing_of(it->second, now)) {
    j["ahead"] = st->ahead;
    j["estimated_wait_s"] = st->estimated_wait_s;
  }
  if (t.state == TicketState::called || t.state == TicketState::serving) {
    if (auto w = s.windows.find(t.window); w != s.windows.end())
      j["window_name"] = localized(w->second.config->name);
  }
  return j;
}

const Ticket* Engine::ticket(std::string_view id) const {
  auto it = impl_->tickets.find(std::string(id));
  return it == impl_->tickets.end() ? nullptr : &it->second.t;
}

const Window* Engine::window(int number) const {
  auto it = impl_->windows.find(number);
  return it == impl_->windows.end() ? nullptr : &it->second.w;
}

std::optional<TicketStanding> Engine::standing(std::string_view ticket_id, TimeMs now) const {
  auto it = impl_->tickets.find(std::string(ticket_id));
  if (it == impl_->tickets.end()) return std::nullopt;
  return impl_->standing_of(it->second, now);
}

ServiceLoad Engine::load(std::string_view service, TimeMs now) const {
  return impl_->load_of(std::string(service), now);
}

std::uint64_t Engine::last_seq() const { return impl_->last_seq; }
const std::string& Engine::business_day() const { return impl_->business_day; }
const HallConfig& Engine::config() const { return *impl_->config; }
std::string Engine::business_day_at(TimeMs now) const {
  return core::business_day_at(impl_->config->rules, now);
}

}  // namespace hallq::core
