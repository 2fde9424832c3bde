// 预约 in the engine with a fake clock: booking rules (capacity, slot boundaries, past, days
// ahead, who may book), the early/late check-in rule and its ranking, the missed timer at exactly
// slot_start + appointment_late_min, cancel, rollover, and restore == replay.
#include <algorithm>

#include "engine_test_support.h"

namespace hallq::core::test {
namespace {

using nlohmann::json;

// The test hall with appointments for B (08:30-12:00, 13:30-17:30): 30-min slots, 4 places,
// 7 days ahead. A takes none. It works every day, so that the dates here are about the booking
// rules; days off have their own test.
HallConfig appointment_config() {
  HallConfig c = without_alerts(make_config());
  c.rules.workdays = {0, 1, 2, 3, 4, 5, 6};
  c.rules.aging_min = 180;  // so that ranking shows the slot window, not aging
  for (auto& s : c.services)
    if (s.code == "B") s.appointments = AppointmentConfig{30, 4, 7};
  return c;
}

Actor portal() { return device(Role::booking, "portal"); }

BookAppointment book(std::string service, TimeMs slot) { return BookAppointment{std::move(service), slot}; }

IssueTicket check_in(std::string code) {
  IssueTicket c;
  c.appointment_code = std::move(code);
  c.cls = TicketClass::appointment;
  return c;
}

struct Booked {
  std::string code;
  Outcome outcome;
};

Booked book_ok(Hall& h, TimeMs slot, TimeMs now, const Actor& who = portal()) {
  Outcome o = h.ok(book("B", slot), who, now);
  return {o.ok() ? o.result()["appointment"]["code"].get<std::string>() : "", o};
}

TEST(CoreAppointments, BookingRules) {
  struct Case {
    std::string what;
    std::string service;
    TimeMs slot;
    TimeMs now;
    Actor actor;
    std::optional<ErrorCode> error;  // nullopt: books
    std::string message_part;
  };
  const TimeMs morning = at(8, 0);
  std::vector<Case> cases{
      {"first slot", "B", at(8, 30), morning, portal(), std::nullopt, ""},
      {"last slot of the morning span", "B", at(11, 30), morning, admin(), std::nullopt, ""},
      {"afternoon", "B", at(13, 30), morning, portal(), std::nullopt, ""},
      {"the span's end is no slot", "B", at(12, 0), morning, portal(), ErrorCode::bad_request,
       "2026-11-27 12:00 is not a slot of service B"},
      {"between slots", "B", at(9, 10), morning, portal(), ErrorCode::bad_request, "not a slot"},
      {"a millisecond off", "B", at(9, 30) + 1, morning, portal(), ErrorCode::bad_request,
       "not a slot"},
      {"lunch break", "B", at(12, 30), morning, portal(), ErrorCode::bad_request, "not a slot"},
      {"slot now begun", "B", at(9, 30), at(9, 30), portal(), ErrorCode::bad_request,
       "is in the past"},
      {"slot a minute ago", "B", at(9, 30), at(9, 31), portal(), ErrorCode::bad_request,
       "is in the past"},
      {"a millisecond before it begins", "B", at(9, 30), at(9, 30) - 1, portal(), std::nullopt, ""},
      {"7 days ahead", "B", at(9, 30, 7), morning, portal(), std::nullopt, ""},
      {"8 days ahead", "B", at(8, 30, 8), at(17, 0), portal(), ErrorCode::bad_request,
       "is 8 days ahead: service B books at most 7 days ahead"},
      {"no appointments", "A", at(9, 30), morning, portal(), ErrorCode::bad_request,
       "service A takes no appointments"},
      {"unknown service", "Z", at(9, 30), morning, portal(), ErrorCode::not_found,
       "service Z does not exist"},
      {"clerk", "B", at(9, 30), morning, zhang(), ErrorCode::forbidden, "clerk zhang may not book"},
      {"kiosk", "B", at(9, 30), morning, kiosk(), ErrorCode::forbidden, "kiosk kiosk-1 may not book"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Hall h(appointment_config());
    Outcome o = h.run(book(c.service, c.slot), c.actor, c.now);
    if (!c.error) {
      ASSERT_TRUE(o.ok()) << describe(o);
      ASSERT_EQ(types(o).back(), EventType::appointment_booked);  // after the day's rollover
      const json a = o.result()["appointment"];
      EXPECT_EQ(a["state"], "booked");
      EXPECT_EQ(a["slot_start"], c.slot);
      EXPECT_EQ(a["slot_end"], c.slot + 30 * kMin);
      EXPECT_EQ(a["booked_by"], c.actor.name);
      EXPECT_TRUE(is_appointment_code(a["code"].get<std::string>()));
      EXPECT_EQ(o.result()["qr"], a["code"]);
      EXPECT_EQ(o.result()["qr_svg"], "/api/appointments/" + a["code"].get<std::string>() + "/qr.svg");
      continue;
    }
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.error->code, *c.error) << describe(o);
    EXPECT_NE(o.error->message.find(c.message_part), std::string::npos) << describe(o);
    for (const Event& e : o.events) EXPECT_FALSE(e.appointment.has_value());  // rollover only
  }
}

// 2026-11-27 is a Friday. The hall works Monday to Friday unless rules.workdays says otherwise,
// and never on its holidays.
TEST(CoreAppointments, DaysOffBookNothing) {
  struct Case {
    std::string what;
    std::vector<int> workdays;
    std::vector<std::string> holidays;
    int day;                   // days after 2026-11-27
    std::string refused_with;  // empty: books
    std::vector<std::string> extra_workdays = {};
  };
  const std::vector<Case> cases{
      {"Friday", {1, 2, 3, 4, 5}, {}, 0, ""},
      {"Saturday", {1, 2, 3, 4, 5}, {}, 1, "the hall is closed on 2026-11-28 (Saturday): book a slot on a working day"},
      {"Sunday", {1, 2, 3, 4, 5}, {}, 2, "the hall is closed on 2026-11-29 (Sunday)"},
      {"Monday", {1, 2, 3, 4, 5}, {}, 3, ""},
      {"a holiday on a Tuesday", {1, 2, 3, 4, 5}, {"2026-12-01"}, 4, "the hall is closed on 2026-12-01 (a holiday)"},
      {"a hall open on Saturdays", {1, 2, 3, 4, 5, 6}, {}, 1, ""},
      {"a hall closed on Mondays", {0, 2, 3, 4, 5, 6}, {}, 3, "(Monday)"},
      {"a Saturday worked for a holiday (调休)", {1, 2, 3, 4, 5}, {"2026-12-01"}, 1, "", {"2026-11-28"}},
      {"the Sunday after it is still off", {1, 2, 3, 4, 5}, {}, 2, "(Sunday)", {"2026-11-28"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    HallConfig config = appointment_config();
    config.rules.workdays = c.workdays;
    config.rules.holidays = c.holidays;
    config.rules.extra_workdays = c.extra_workdays;
    Hall h(config);
    Outcome o = h.run(book("B", at(9, 30, c.day)), portal(), at(8, 0));
    if (c.refused_with.empty()) {
      EXPECT_TRUE(o.ok()) << describe(o);
      continue;
    }
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.error->code, ErrorCode::service_closed);
    EXPECT_NE(o.error->message.find(c.refused_with), std::string::npos) << o.error->message;
    static const char* const kDates[] = {"2026-11-27", "2026-11-28", "2026-11-29", "2026-11-30", "2026-12-01"};
    auto slots = h.engine.appointment_slots("B", kDates[c.day]);
    ASSERT_TRUE(slots.ok());
    EXPECT_EQ((*slots)["closed"], true);
    EXPECT_TRUE((*slots)["slots"].empty());
  }
}

TEST(CoreAppointments, CapacityAndCancelFreesAPlace) {
  Hall h(appointment_config());
  std::vector<std::string> codes;
  for (int i = 0; i < 4; ++i) codes.push_back(book_ok(h, at(10, 0), at(8, 0)).code);
  EXPECT_EQ(std::set<std::string>(codes.begin(), codes.end()).size(), 4u);  // distinct codes
  Outcome fifth = h.run(book("B", at(10, 0)), portal(), at(8, 1));
  ASSERT_FALSE(fifth.ok());
  EXPECT_EQ(fifth.error->code, ErrorCode::slot_full);
  EXPECT_EQ(fifth.error->message, "slot 2026-11-27 10:00-10:30 of service B is full (4 of 4 booked)");
  // The slot next to it is untouched.
  book_ok(h, at(10, 30), at(8, 1));
  auto slots = h.engine.appointment_slots("B", "2026-11-27");
  ASSERT_TRUE(slots.ok());
  ASSERT_EQ((*slots)["slots"].size(), 15u);  // 08:30-12:00 holds 7, 13:30-17:30 holds 8
  for (const auto& s : (*slots)["slots"]) {
    const int want = s["start"] == at(10, 0) ? 4 : s["start"] == at(10, 30) ? 1 : 0;
    EXPECT_EQ(s["booked"], want);
    EXPECT_EQ(s["capacity"], 4);
  }

  Outcome cancel = h.ok(CancelAppointment{codes[1]}, portal(), at(8, 2));
  EXPECT_EQ(types(cancel), std::vector<EventType>{EventType::appointment_cancelled});
  EXPECT_EQ(cancel.result()["appointment"]["state"], "cancelled");
  book_ok(h, at(10, 0), at(8, 3));  // the freed place
  EXPECT_EQ(h.run(book("B", at(10, 0)), portal(), at(8, 4)).error->code, ErrorCode::slot_full);

  Outcome again = h.run(CancelAppointment{codes[1]}, portal(), at(8, 5));
  EXPECT_EQ(again.error->code, ErrorCode::appointment_cancelled);
  Outcome use = h.run(check_in(codes[1]), kiosk(), at(9, 50));
  EXPECT_EQ(use.error->code, ErrorCode::appointment_cancelled);
  EXPECT_EQ(h.run(CancelAppointment{"999999"}, portal(), at(8, 5)).error->code, ErrorCode::not_found);
  EXPECT_EQ(h.run(CancelAppointment{codes[0]}, zhang(), at(8, 5)).error->code, ErrorCode::forbidden);
}

TEST(CoreAppointments, CheckInIssuesAnAppointmentTicketThatRanksInItsWindowOnly) {
  Hall h(appointment_config());
  const std::string code = book_ok(h, at(10, 0), at(8, 0)).code;
  const std::string normal_before = h.give("B", at(8, 55));

  // 09:00 is before 10:00 - 30 min: the ticket issues, ranking as a normal one for now.
  Outcome o = h.ok(check_in(code), kiosk(), at(9, 0));
  ASSERT_EQ(types(o), (std::vector<EventType>{EventType::ticket_issued,
                                              EventType::appointment_checked_in}));
  const Ticket& t = *o.events[0].ticket;
  EXPECT_EQ(t.cls, TicketClass::appointment);
  EXPECT_EQ(t.appointment_at, at(10, 0));
  EXPECT_EQ(t.service, "B");
  const Appointment& a = *o.events[1].appointment;
  EXPECT_EQ(a.state, AppointmentState::checked_in);
  EXPECT_EQ(a.ticket, t.id);
  EXPECT_EQ(a.number, t.number);
  EXPECT_EQ(a.checked_in_at, at(9, 0));
  EXPECT_EQ(o.result()["appointment"]["number"], t.number);
  EXPECT_EQ(o.result()["ticket"]["number"], t.number);
  EXPECT_TRUE(o.result().contains("ahead"));
  EXPECT_EQ(o.result()["ticket"]["class"], "appointment");

  EXPECT_EQ(h.queue(2, at(9, 29)), (std::vector<std::string>{normal_before, t.number}));
  // From 09:30 its slot window is open: the appointment rank goes first.
  EXPECT_EQ(h.queue(2, at(9, 30)), (std::vector<std::string>{t.number, normal_before}));
  EXPECT_EQ(h.queue(2, at(10, 15)), (std::vector<std::string>{t.number, normal_before}));
  EXPECT_EQ(h.queue(2, at(10, 16)), (std::vector<std::string>{normal_before, t.number}));

  // Used once; the second try names the ticket.
  Outcome twice = h.run(check_in(code), kiosk(), at(9, 1));
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error->code, ErrorCode::already_checked_in);
  EXPECT_EQ(twice.error->message, "appointment " + code + " was already checked in: ticket " + t.number);
  EXPECT_EQ(h.run(CancelAppointment{code}, portal(), at(9, 3)).error->code,
            ErrorCode::already_checked_in);
}

TEST(CoreAppointments, CheckInRetryWithTheSameRequestIdIsOneTicket) {
  Hall h(appointment_config());
  const std::string code = book_ok(h, at(10, 0), at(8, 0)).code;
  Outcome first = h.run(check_in(code), kiosk(), at(9, 45), "kiosk-req-1");
  ASSERT_TRUE(first.ok()) << describe(first);
  Outcome retry = h.run(check_in(code), kiosk(), at(9, 46), "kiosk-req-1");
  ASSERT_TRUE(retry.ok()) << describe(retry);
  EXPECT_TRUE(retry.repeated);
  EXPECT_TRUE(retry.events.empty());
  EXPECT_EQ(retry.body, first.body);
  EXPECT_EQ(h.engine.load("B", at(9, 46)).issued_today, 1);
}

TEST(CoreAppointments, LateIsMissedAtExactlyTheDeadline) {
  Hall h(appointment_config());
  const std::string on_time = book_ok(h, at(10, 0), at(8, 0)).code;
  const std::string last_ms = book_ok(h, at(10, 0), at(8, 0)).code;
  const std::string late = book_ok(h, at(10, 0), at(8, 0)).code;
  EXPECT_EQ(h.engine.next_deadline(at(8, 1)), at(10, 15));

  EXPECT_TRUE(h.ok(check_in(on_time), kiosk(), at(10, 5)).ok());
  EXPECT_TRUE(h.ok(check_in(last_ms), kiosk(), at(10, 15) - 1).ok());

  Outcome before = h.engine.tick(at(10, 15) - 1);
  EXPECT_TRUE(before.events.empty());
  // Even before the timer has run, the rule is the clock.
  Outcome refused = h.run(check_in(late), kiosk(), at(10, 15));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error->code, ErrorCode::appointment_missed);
  EXPECT_EQ(refused.error->message, "appointment " + late +
                                        " for 10:00 was missed at 10:15; please take a normal ticket");
  EXPECT_TRUE(refused.events.empty());

  Outcome timer = h.engine.tick(at(10, 15));
  ASSERT_EQ(types(timer), std::vector<EventType>{EventType::appointment_missed});
  EXPECT_EQ(timer.events[0].appointment->code, late);
  EXPECT_EQ(timer.events[0].actor, "system");
  EXPECT_EQ(h.engine.appointment(late)->state, AppointmentState::missed);
  EXPECT_TRUE(h.engine.tick(at(10, 16)).events.empty());  // once
  EXPECT_EQ(h.run(check_in(late), kiosk(), at(10, 20)).error->code, ErrorCode::appointment_missed);

  json counts = h.engine.snapshot(at(10, 20), true, true)["appointments"];
  EXPECT_EQ(counts, (json{{"today_booked", 3}, {"checked_in", 2}, {"missed", 1}}));
  EXPECT_FALSE(h.engine.snapshot(at(10, 20), true, false).contains("appointments"));
}

TEST(CoreAppointments, NextDayBookingChecksInAfterRollover) {
  Hall h(appointment_config());
  const std::string code = book_ok(h, at(9, 0, 1), at(15, 0)).code;
  Outcome today = h.run(check_in(code), kiosk(), at(15, 5));
  ASSERT_FALSE(today.ok());
  EXPECT_EQ(today.error->code, ErrorCode::bad_request);
  EXPECT_EQ(today.error->message, "appointment " + code + " is for 2026-11-28");

  Outcome night = h.engine.tick(at(0, 0, 1));
  EXPECT_EQ(types(night).back(), EventType::day_rolled_over);
  ASSERT_NE(h.engine.appointment(code), nullptr);  // survives the rollover
  Outcome o = h.run(check_in(code), kiosk(), at(8, 45, 1));
  ASSERT_TRUE(o.ok()) << describe(o);
  EXPECT_EQ(o.result()["ticket"]["business_day"], "2026-11-28");
  EXPECT_EQ(o.result()["appointment"]["state"], "checked_in");
}

TEST(CoreAppointments, KioskMustOfferTheServiceAndOthersMayNotCheckIn) {
  Hall h(appointment_config());
  const std::string code = book_ok(h, at(10, 0), at(8, 0)).code;
  Outcome other = h.run(check_in(code), kiosk("kiosk-2", {"A"}), at(9, 50));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error->code, ErrorCode::forbidden);
  EXPECT_EQ(h.run(check_in(code), portal(), at(9, 50)).error->code, ErrorCode::forbidden);
  EXPECT_EQ(h.run(check_in("000000") , kiosk(), at(9, 50)).error->message,
            "no appointment with code 000000");
  EXPECT_TRUE(h.ok(check_in(code), kiosk("kiosk-3", {"B"}), at(9, 50)).ok());
}

// What storage keeps: every appointment record the events carried, through the codec.
TEST(CoreAppointments, RestoreEqualsReplay) {
  auto config = std::make_shared<const HallConfig>(appointment_config());
  FakeTicketIds ids_a;
  Engine a(config, ids_a);
  std::vector<Event> log;
  auto keep = [&](const Outcome& o) {
    for (const Event& e : o.events) log.push_back(e);
    return o;
  };
  std::vector<std::string> codes;
  int rid = 0;
  auto cmd = [&](CommandBody b) { return Command{"r" + std::to_string(++rid), std::move(b)}; };
  for (int i = 0; i < 12; ++i) {
    Outcome o = keep(a.execute(cmd(book("B", at(9, 0) + (i % 3) * 30 * kMin + (i / 6) * 24 * kHour)),
                               portal(), at(8, 0) + i * kMin));
    ASSERT_TRUE(o.ok()) << describe(o);
    codes.push_back(o.result()["appointment"]["code"]);
  }
  keep(a.execute(cmd(CancelAppointment{codes[0]}), portal(), at(8, 30)));
  keep(a.execute(cmd(check_in(codes[1])), kiosk(), at(9, 10)));
  keep(a.tick(at(9, 15)));  // codes[0] cancelled, codes[3] (9:00) missed
  const std::size_t mid = log.size();
  EngineState saved;
  saved.last_seq = a.last_seq();
  saved.business_day = a.business_day();
  for (const Appointment& x : a.appointments())
    saved.appointments.push_back(appointment_from_json(to_json(x)).value());
  for (const Event& e : log)
    if (e.ticket) saved.tickets.push_back(*e.ticket);
  keep(a.execute(cmd(check_in(codes[2])), kiosk(), at(9, 50)));
  keep(a.tick(at(0, 0, 1)));  // rollover: the next day's six stay
  keep(a.tick(at(9, 15, 1)));
  keep(a.execute(cmd(check_in(codes[7])), kiosk(), at(9, 20, 1)));

  FakeTicketIds ids_b, ids_c;
  Engine replayed(config, ids_b), restored(config, ids_c);
  replayed.restore(EngineState{});
  for (const Event& e : log) replayed.apply(e);
  restored.restore(saved);
  for (std::size_t i = mid; i < log.size(); ++i) restored.apply(event_from_json(to_json(log[i])).value());
  for (const Engine* b : {&replayed, &restored}) {
    EXPECT_EQ(b->appointments(), a.appointments());
    EXPECT_EQ(b->next_deadline(at(9, 21, 1)), a.next_deadline(at(9, 21, 1)));
    EXPECT_EQ(*b->appointment_slots("B", "2026-11-28"), *a.appointment_slots("B", "2026-11-28"));
    EXPECT_EQ(b->snapshot(at(9, 21, 1), true, true), a.snapshot(at(9, 21, 1), true, true));
  }
  // Yesterday's final ones are gone; today's six are kept with their states.
  EXPECT_EQ(a.appointments().size(), 6u);
  EXPECT_EQ(a.appointment(codes[7])->state, AppointmentState::checked_in);
}

}  // namespace
}  // namespace hallq::core::test
