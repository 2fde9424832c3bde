// 预约: booking slots of a service, cancelling, checking in at the kiosk (which issues an
// appointment-class ticket) and the timer that marks an appointment missed at exactly
// slot_start + appointment_late_min. State changes only in put_appointment(), from
// apply_records(), so a restored-and-replayed engine equals the live one (docs/appointments.md).
#include <algorithm>
#include <cstdio>

#include "engine_impl.h"
#include "hallq/json_codec.h"

namespace hallq::core {

using nlohmann::json;

namespace {

// Appointments the engine keeps at once: the 6-digit code space holds 1,000,000, and staying
// far below it keeps a random new code quick to find and hard to guess.
constexpr std::size_t kMaxAppointments = 100'000;
constexpr int kCodeTries = 32;

Error err(ErrorCode code, std::string message) { return make_error(code, std::move(message)); }

// Howard Hinnant's days_from_civil; -1 sentinel handled by the caller's date check.
std::int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = floor_div(y, 400);
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::string local_hhmm(const Rules& r, TimeMs t) { return format_clock(local_minute_of_day(r, t)); }

// A hash of a fresh id: the id source is random in production and a counter in tests, so the
// codes are too.
std::string code_from(const std::string& id) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%06u", static_cast<unsigned>(fnv1a64(id) % 1'000'000));
  return buf;
}

TimeMs missed_at(const Rules& r, const Appointment& a) {
  return a.slot_start + r.appointment_late_min * kMinuteMs;
}

std::string who(const Actor& a) { return std::string(to_string(a.role)) + " " + a.name; }

}  // namespace

std::optional<std::int64_t> days_of_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  auto num = [&](std::size_t from, std::size_t len) {
    int v = 0;
    for (std::size_t i = from; i < from + len; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  const int y = num(0, 4), m = num(5, 2), d = num(8, 2);
  if (y < 2000 || y > 2199 || m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  const std::int64_t days = days_from_civil(y, m, d);
  if (civil_date(days) != s) return std::nullopt;  // 2026-02-30 and the like
  return days;
}

void HallState::put_appointment(const Appointment& a) {
  const Rules& r = config->rules;
  if (auto it = appointments.find(a.code); it != appointments.end()) {
    const Appointment& old = it->second;
    if (old.state != AppointmentState::cancelled) {
      auto taken = slot_taken.find({old.service, old.slot_start});
      if (taken != slot_taken.end() && --taken->second <= 0) slot_taken.erase(taken);
    }
    if (old.state == AppointmentState::booked) missed_deadlines.erase({missed_at(r, old), old.code});
  }
  appointments[a.code] = a;
  if (a.state != AppointmentState::cancelled) ++slot_taken[{a.service, a.slot_start}];
  if (a.state == AppointmentState::booked) missed_deadlines.emplace(missed_at(r, a), a.code);
  // A past day's appointment that has just become final is not needed any more.
  if (a.state != AppointmentState::booked && !business_day.empty() && a.date < business_day) {
    appointments.erase(a.code);
    if (a.state != AppointmentState::cancelled) {
      auto taken = slot_taken.find({a.service, a.slot_start});
      if (taken != slot_taken.end() && --taken->second <= 0) slot_taken.erase(taken);
    }
  }
}

// On a new business day: the old days' final appointments go (still-booked ones wait for their
// missed timer, which may fire after midnight when appointment_late_min is long).
void HallState::drop_past_appointments() {
  for (auto it = appointments.begin(); it != appointments.end();) {
    const Appointment& a = it->second;
    if (a.date < business_day && a.state != AppointmentState::booked) {
      if (a.state != AppointmentState::cancelled) {
        auto taken = slot_taken.find({a.service, a.slot_start});
        if (taken != slot_taken.end() && --taken->second <= 0) slot_taken.erase(taken);
      }
      it = appointments.erase(it);
    } else {
      ++it;
    }
  }
}

void HallState::mark_missed(Outcome& out, TimeMs now) {
  while (!missed_deadlines.empty() && missed_deadlines.begin()->first <= now) {
    const std::string code = missed_deadlines.begin()->second;
    auto it = appointments.find(code);
    if (it == appointments.end() || it->second.state != AppointmentState::booked) {
      missed_deadlines.erase(missed_deadlines.begin());  // cannot happen while it follows records
      continue;
    }
    Event ev;
    ev.type = EventType::appointment_missed;
    ev.appointment = it->second;
    ev.appointment->state = AppointmentState::missed;
    emit(out, std::move(ev), now, "system");  // applying it drops the deadline
  }
}

Result<json> HallState::book(const BookAppointment& c, const Actor& actor, TimeMs now,
                             Outcome& out) {
  if (actor.role != Role::admin && actor.role != Role::booking)
    return err(ErrorCode::forbidden,
               who(actor) + " may not book appointments (administrators and the booking portal)");
  const ServiceLine* l = find_line(c.service);
  const ServiceConfig* svc = l ? l->config : nullptr;
  if (svc == nullptr) return err(ErrorCode::not_found, "service " + c.service + " does not exist");
  if (!svc->appointments)
    return err(ErrorCode::bad_request, "service " + c.service + " takes no appointments");
  const Rules& r = config->rules;
  const AppointmentConfig& ac = *svc->appointments;
  const std::int64_t day = local_days(r, c.slot_start);
  const std::string date = civil_date(day);
  const int minute = local_minute_of_day(r, c.slot_start);
  const OpeningSpan* slot = nullptr;
  const auto slots = appointment_slots(*svc);
  if ((c.slot_start + r.utc_offset_min * kMinuteMs) % kMinuteMs == 0)
    for (const OpeningSpan& s : slots)
      if (s.open_min == minute) slot = &s;
  if (slot == nullptr)
    return err(ErrorCode::bad_request,
               "slot_start " + date + " " + local_hhmm(r, c.slot_start) +
                   " is not a slot of service " + c.service + " (slots of " +
                   std::to_string(ac.slot_min) + " min, the first at " +
                   format_clock(slots.front().open_min) + "; see /api/appointments/slots)");
  if (c.slot_start <= now)
    return err(ErrorCode::bad_request, "slot " + date + " " + format_clock(minute) +
                                           " of service " + c.service + " is in the past");
  const std::int64_t ahead = day - local_days(r, now);
  if (ahead > ac.days_ahead)
    return err(ErrorCode::bad_request,
               "slot " + date + " " + format_clock(minute) + " is " + std::to_string(ahead) +
                   " days ahead: service " + c.service + " books at most " +
                   std::to_string(ac.days_ahead) + " days ahead");
  if (auto off = day_off(day))
    return err(ErrorCode::service_closed, "the hall is closed on " + date + " (" + *off +
                                              "): book a slot on a working day");
  auto taken = slot_taken.find({c.service, c.slot_start});
  const int booked = taken == slot_taken.end() ? 0 : taken->second;
  if (booked >= ac.capacity)
    return err(ErrorCode::slot_full, "slot " + date + " " + format_span(*slot) + " of service " + c.service +
                                         " is full (" + std::to_string(booked) + " of " +
                                         std::to_string(ac.capacity) + " booked)");
  if (appointments.size() >= kMaxAppointments)
    return err(ErrorCode::busy, "the hall holds " + std::to_string(kMaxAppointments) +
                                    " appointments already: try again after some are used");
  std::string code;
  for (int i = 0; i < kCodeTries && code.empty(); ++i) {
    std::string candidate = code_from(ids.next());
    if (appointments.count(candidate) == 0) code = std::move(candidate);
  }
  if (code.empty()) return err(ErrorCode::internal, "could not make a unique appointment code");

  Appointment a;
  a.code = code;
  a.service = c.service;
  a.date = date;
  a.slot_start = c.slot_start;
  a.slot_end = c.slot_start + std::int64_t{slot->close_min - slot->open_min} * kMinuteMs;
  a.state = AppointmentState::booked;
  a.booked_at = now;
  a.booked_by = actor.name;
  Event ev;
  ev.type = EventType::appointment_booked;
  ev.appointment = a;
  emit(out, std::move(ev), now, actor.name);
  return json{{"appointment", to_json(a)},
              {"qr", code},
              {"qr_svg", "/api/appointments/" + code + "/qr.svg"}};
}

namespace {
// Why an appointment that is not `booked` cannot be used or cancelled.
Error not_booked(const Rules& r, const Appointment& a) {
  switch (a.state) {
    case AppointmentState::checked_in:
      return err(ErrorCode::already_checked_in,
                 "appointment " + a.code + " was already checked in: ticket " + a.number);
    case AppointmentState::cancelled:
      return err(ErrorCode::appointment_cancelled, "appointment " + a.code + " was cancelled");
    case AppointmentState::missed:
    case AppointmentState::booked:
      break;
  }
  return err(ErrorCode::appointment_missed,
             "appointment " + a.code + " for " + local_hhmm(r, a.slot_start) + " was missed at " +
                 local_hhmm(r, missed_at(r, a)) + "; please take a normal ticket");
}
}  // namespace

Result<json> HallState::cancel_appointment(const CancelAppointment& c, const Actor& actor,
                                           TimeMs now, Outcome& out) {
  if (actor.role != Role::admin && actor.role != Role::booking)
    return err(ErrorCode::forbidden, who(actor) + " may not cancel appointments");
  auto it = appointments.find(c.code);
  if (it == appointments.end())
    return err(ErrorCode::not_found, "no appointment with code " + c.code);
  if (it->second.state != AppointmentState::booked) return not_booked(config->rules, it->second);
  Appointment a = it->second;
  a.state = AppointmentState::cancelled;
  Event ev;
  ev.type = EventType::appointment_cancelled;
  ev.appointment = a;
  emit(out, std::move(ev), now, actor.name);
  return json{{"appointment", to_json(a)}};
}

Result<IssueTicket> HallState::check_in_issue(const IssueTicket& c, TimeMs now) const {
  const Rules& r = config->rules;
  auto it = appointments.find(c.appointment_code);
  if (it == appointments.end())
    return err(ErrorCode::not_found, "no appointment with code " + c.appointment_code);
  const Appointment& a = it->second;
  if (a.state != AppointmentState::booked) return not_booked(r, a);
  // The timer may not have run yet at the very deadline: the rule is the time, not the flag.
  if (now >= missed_at(r, a)) {
    Appointment late = a;
    late.state = AppointmentState::missed;
    return not_booked(r, late);
  }
  const std::string today = civil_date(local_days(r, now));
  if (a.date != today)
    return err(ErrorCode::bad_request, "appointment " + a.code + " is for " + a.date);
  IssueTicket issue;
  issue.service = a.service;
  issue.cls = TicketClass::appointment;
  issue.appointment_at = a.slot_start;
  issue.lang = c.lang;
  return issue;
}

Appointment HallState::checked_in(const std::string& code, const Ticket& t, const Actor& actor,
                                  TimeMs now, Outcome& out) {
  Appointment a = appointments.at(code);
  a.state = AppointmentState::checked_in;
  a.ticket = t.id;
  a.number = t.number;
  a.checked_in_at = now;
  Event ev;
  ev.type = EventType::appointment_checked_in;
  ev.appointment = a;
  emit(out, std::move(ev), now, actor.name);
  return a;
}

// ---- Engine's read side -------------------------------------------------------------------------

const Appointment* Engine::appointment(std::string_view code) const {
  auto it = impl_->appointments.find(std::string(code));
  return it == impl_->appointments.end() ? nullptr : &it->second;
}

std::vector<Appointment> Engine::appointments() const {
  std::vector<Appointment> v;
  v.reserve(impl_->appointments.size());
  for (const auto& [code, a] : impl_->appointments) v.push_back(a);
  std::sort(v.begin(), v.end(), [](const Appointment& a, const Appointment& b) {
    return a.slot_start != b.slot_start ? a.slot_start < b.slot_start : a.code < b.code;
  });
  return v;
}

Result<json> Engine::appointment_slots(std::string_view service, std::string_view date) const {
  const HallState& s = *impl_;
  const ServiceLine* l = s.find_line(service);
  const ServiceConfig* svc = l ? l->config : nullptr;
  if (svc == nullptr)
    return err(ErrorCode::not_found, "service " + std::string(service) + " does not exist");
  if (!svc->appointments)
    return err(ErrorCode::bad_request, "service " + std::string(service) + " takes no appointments");
  auto days = days_of_date(date);
  if (!days) return err(ErrorCode::bad_request, "date: must be a day \"YYYY-MM-DD\"");
  const Rules& r = s.config->rules;
  if (auto off = s.day_off(*days))
    return json{{"service", service}, {"date", date}, {"closed", true}, {"reason", *off}, {"slots", json::array()}};
  const TimeMs midnight = *days * kDayMs - r.utc_offset_min * kMinuteMs;
  json slots = json::array();
  for (const OpeningSpan& span : hallq::appointment_slots(*svc)) {
    const TimeMs start = midnight + span.open_min * kMinuteMs;
    auto taken = s.slot_taken.find({std::string(service), start});
    slots.push_back(json{{"start", start},
                         {"end", midnight + span.close_min * kMinuteMs},
                         {"capacity", svc->appointments->capacity},
                         {"booked", taken == s.slot_taken.end() ? 0 : taken->second}});
  }
  return json{{"service", service}, {"date", date}, {"closed", false}, {"slots", std::move(slots)}};
}

json Engine::appointment_counts(TimeMs now) const {
  const std::string today = civil_date(local_days(impl_->config->rules, now));
  int booked = 0, checked = 0, missed = 0;
  for (const auto& [code, a] : impl_->appointments) {
    if (a.date != today || a.state == AppointmentState::cancelled) continue;
    ++booked;
    checked += a.state == AppointmentState::checked_in;
    missed += a.state == AppointmentState::missed;
  }
  return json{{"today_booked", booked}, {"checked_in", checked}, {"missed", missed}};
}

}  // namespace hallq::core
