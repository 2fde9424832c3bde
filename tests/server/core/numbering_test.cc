// Ticket numbers (per service and business day, padded, never reused, capped), business days
// under the hall's UTC offset and reset hour, and opening hours.
#include "engine_test_support.h"

namespace hallq::core::test {
namespace {

TEST(CoreNumbering, SequencePerServiceWithPadding) {
  Hall h;
  const std::string expected[] = {"A001", "A002", "B001", "C0001", "A003", "C0002", "D001"};
  const char* services[] = {"A", "A", "B", "C", "A", "C", "D"};
  for (int i = 0; i < 7; ++i) EXPECT_EQ(h.give(services[i], at(9, i)), expected[i]);
  const Ticket* b = h.by_number("B001");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->business_day, "2026-11-27");
  EXPECT_EQ(b->origin_service, "B");
  EXPECT_EQ(b->issued_at, at(9, 2));
  EXPECT_EQ(b->queued_at, at(9, 2));
  EXPECT_EQ(b->issued_by, "root");
  EXPECT_EQ(b->history.size(), 1u);
  EXPECT_EQ(b->history[0].step, TicketStep::issued);
}

TEST(CoreNumbering, PaddingIsAMinimumWidth) {
  HallConfig c = make_config();
  c.services[0].number_digits = 1;
  Hall h(c);
  for (int i = 1; i <= 9; ++i) h.give("A", at(9, 0));
  EXPECT_EQ(h.give("A", at(9, 0)), "A10");
}

TEST(CoreNumbering, NeverReusedWithinTheDay) {
  Hall h;
  EXPECT_EQ(h.give("A", at(9, 0)), "A001");
  h.ok(CancelTicket{"A001", ""}, admin(), at(9, 1));
  EXPECT_EQ(h.give("A", at(9, 2)), "A002");
  h.ok(CallNext{1}, admin(), at(9, 3));
  h.ok(NoShow{1}, admin(), at(9, 4));
  EXPECT_EQ(h.give("A", at(9, 5)), "A003");
}

TEST(CoreNumbering, ResetAtTheConfiguredHour) {
  HallConfig c = without_alerts(make_config());  // the next deadline is the day's end
  c.rules.reset_hour = 4;
  Hall h(c);
  // 03:59 on 28 November still belongs to the business day of the 27th.
  EXPECT_EQ(h.give("A", at(9, 0)), "A001");
  EXPECT_EQ(h.give("A", at(3, 59, 1)), "A002");
  EXPECT_EQ(h.engine.business_day(), "2026-11-27");
  EXPECT_EQ(h.engine.next_deadline(at(3, 59, 1)), at(4, 0, 1));
  Outcome o = h.run(issue("A"), kiosk(), at(4, 0, 1));
  ASSERT_TRUE(o.ok()) << describe(o);
  ASSERT_EQ(o.events.size(), 4u);  // A001 and A002 expire, the day rolls, A001 again
  EXPECT_EQ(o.events[2].type, EventType::day_rolled_over);
  EXPECT_EQ(o.events[2].business_day, "2026-11-28");
  EXPECT_EQ(o.events[3].ticket->number, "A001");
  EXPECT_EQ(o.events[3].ticket->business_day, "2026-11-28");
  EXPECT_EQ(o.result()["ticket"]["number"], "A001");
}

TEST(CoreNumbering, DailyCap) {
  Hall h;  // C: 3 a day
  for (int i = 0; i < 3; ++i) h.give("C", at(9, i));
  h.ok(CancelTicket{"C0002", ""}, admin(), at(9, 5));  // a cancelled number stays used
  Outcome o = h.run(issue("C"), kiosk(), at(9, 6));
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error->code, ErrorCode::daily_cap_reached);
  EXPECT_EQ(o.error->message, "service C has issued all 3 of today's tickets");
  EXPECT_EQ(h.engine.load("C", at(9, 6)).issued_today, 3);
  EXPECT_EQ(h.give("C", at(9, 0, 1)), "C0001");  // a new day, a new allowance
}

struct HoursCase {
  int hour, minute;
  bool enforce;
  std::optional<ErrorCode> error;
};

TEST(CoreNumbering, OpeningHours) {
  // B: 08:30-12:00 and 13:30-17:30, local time (+08:00).
  const HoursCase cases[] = {
      {8, 29, true, ErrorCode::service_closed}, {8, 30, true, std::nullopt},
      {11, 59, true, std::nullopt},             {12, 0, true, ErrorCode::service_closed},
      {13, 29, true, ErrorCode::service_closed}, {13, 30, true, std::nullopt},
      {17, 29, true, std::nullopt},             {17, 30, true, ErrorCode::service_closed},
      {0, 10, true, ErrorCode::service_closed},  {20, 0, false, std::nullopt},
  };
  for (const HoursCase& c : cases) {
    SCOPED_TRACE(std::to_string(c.hour) + ":" + std::to_string(c.minute));
    HallConfig config = make_config();
    config.rules.enforce_opening_hours = c.enforce;
    Hall h(config);
    Outcome o = h.run(issue("B"), kiosk(), at(c.hour, c.minute));
    if (c.error) {
      ASSERT_FALSE(o.ok());
      EXPECT_EQ(o.error->code, *c.error);
    } else {
      EXPECT_TRUE(o.ok()) << describe(o);
    }
  }
  Hall h;
  const Outcome lunch = h.run(issue("B"), kiosk(), at(12, 10));
  EXPECT_EQ(lunch.error->message, "service B is open 08:30-12:00, 13:30-17:30 (it is 12:10 now)");
  EXPECT_EQ(lunch.error->detail, (std::vector<std::pair<std::string, std::string>>{
                                     {"reason", "outside_hours"}, {"hours", "08:30-12:00, 13:30-17:30"}, {"now", "12:10"}}));
  EXPECT_TRUE(h.run(issue("A"), kiosk(), at(23, 59)).ok());  // no hours: all day
}

// 2026-11-27 is a Friday. On a day off the hall issues no tickets at all, whatever a service's
// hours say: the same days off as appointments.
TEST(CoreNumbering, NoTicketsOnDaysOff) {
  struct Case {
    std::string what;
    int day;  // days after 2026-11-27
    bool enforce;
    std::vector<std::string> holidays, extra_workdays;
    std::string refused_with;  // empty: issued
  };
  const std::vector<Case> cases{
      {"Friday", 0, true, {}, {}, ""},
      {"Saturday", 1, true, {}, {}, "the hall is closed today, 2026-11-28 (Saturday): tickets are issued on working days"},
      {"Sunday", 2, true, {}, {}, "2026-11-29 (Sunday)"},
      {"a holiday Monday", 3, true, {"2026-11-30"}, {}, "2026-11-30 (a holiday)"},
      {"a Saturday worked for a holiday (调休)", 1, true, {"2026-11-30"}, {"2026-11-28"}, ""},
      {"Saturday, opening hours not enforced (--always-open)", 1, false, {}, {}, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    HallConfig config = make_config();
    config.rules.enforce_opening_hours = c.enforce;
    config.rules.workdays = {1, 2, 3, 4, 5};
    config.rules.holidays = c.holidays;
    config.rules.extra_workdays = c.extra_workdays;
    Hall h(config);
    Outcome o = h.run(issue("A"), kiosk(), at(10, 0, c.day));  // A has no hours: open all day
    if (c.refused_with.empty()) {
      EXPECT_TRUE(o.ok()) << describe(o);
      continue;
    }
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.error->code, ErrorCode::service_closed);
    EXPECT_NE(o.error->message.find(c.refused_with), std::string::npos) << o.error->message;
    ASSERT_EQ(o.error->detail.size(), 3u);
    EXPECT_EQ(o.error->detail[0], (std::pair<std::string, std::string>{"reason", "day_off"}));
    EXPECT_EQ(o.error->detail[1], (std::pair<std::string, std::string>{"date", "2026-11-" + std::to_string(27 + c.day)}));
    for (const Event& e : o.events) EXPECT_NE(e.type, EventType::ticket_issued);  // a rollover at most
  }
}

// What a kiosk needs to grey a service before a visitor taps it (display/core: HallCopy::issuing;
// kiosk_agreement_test.cc checks the two agree through a whole day).
TEST(CoreNumbering, TheSnapshotCarriesHoursCapsAndTheDayOff) {
  HallConfig config = make_config();
  config.rules.workdays = {1, 2, 3, 4, 5};
  Hall h(config);
  nlohmann::json s = h.engine.snapshot(at(10, 0), false);
  EXPECT_EQ(s["hall"]["enforce_opening_hours"], true);
  EXPECT_EQ(s["hall"]["utc_offset_min"], 480);
  EXPECT_TRUE(s["hall"]["day_off"].is_null()) << "Friday is a working day";
  ASSERT_EQ(s["services"].size(), 4u);
  EXPECT_EQ(s["services"][0]["hours"], nlohmann::json::array()) << "A: all day";
  EXPECT_EQ(s["services"][1]["hours"], (nlohmann::json{"08:30-12:00", "13:30-17:30"}));
  EXPECT_EQ(s["services"][2]["daily_cap"], 3);
  EXPECT_EQ(s["services"][0]["daily_cap"], 0);
  s = h.engine.snapshot(at(10, 0, 1), false);
  EXPECT_EQ(s["hall"]["day_off"], (nlohmann::json{{"date", "2026-11-28"}, {"why", "Saturday"}}));
  config.rules.enforce_opening_hours = false;
  Hall always_open(config);
  EXPECT_EQ(always_open.engine.snapshot(at(10, 0, 1), false)["hall"]["enforce_opening_hours"], false);
}

TEST(CoreNumbering, ClassRules) {
  Hall h;
  struct {
    IssueTicket command;
    std::optional<ErrorCode> error;
  } cases[] = {
      {issue("A", TicketClass::priority, "elderly"), std::nullopt},
      {issue("A", TicketClass::priority, "vip"), ErrorCode::bad_request},
      {issue("A", TicketClass::priority, ""), ErrorCode::bad_request},
      {issue("A", TicketClass::appointment, "", at(10, 0)), std::nullopt},
      {issue("A", TicketClass::appointment), ErrorCode::bad_request},
      {issue("A", TicketClass::normal, "elderly"), ErrorCode::bad_request},
      {issue("A", TicketClass::normal, "", at(10, 0)), ErrorCode::bad_request},
      {issue("Z"), ErrorCode::not_found},
  };
  for (const auto& c : cases) {
    Outcome o = h.run(c.command, kiosk(), at(9, 0));
    if (c.error) {
      ASSERT_FALSE(o.ok());
      EXPECT_EQ(o.error->code, *c.error) << o.error->message;
    } else {
      ASSERT_TRUE(o.ok()) << describe(o);
      EXPECT_EQ(o.result()["ticket"]["class"], to_string(c.command.cls));
    }
  }
}

struct DayCase {
  int offset_min, reset_hour;
  TimeMs utc;
  const char* day;
};

TEST(CoreBusinessDay, DatesUnderOffsetAndResetHour) {
  const TimeMs h = kHour;
  const TimeMs d2024_02_29 = 1709164800000;  // 2024-02-29T00:00Z
  const DayCase cases[] = {
      {0, 0, 0, "1970-01-01"},
      {0, 0, -1, "1969-12-31"},
      {480, 0, -8 * h, "1970-01-01"},
      {480, 0, -8 * h - 1, "1969-12-31"},
      {480, 0, kDay0, "2026-11-27"},               // local midnight
      {480, 0, kDay0 - 1, "2026-11-26"},
      {480, 4, kDay0 + 4 * h - 1, "2026-11-26"},   // before the reset hour
      {480, 4, kDay0 + 4 * h, "2026-11-27"},
      {0, 0, d2024_02_29, "2024-02-29"},
      {0, 0, d2024_02_29 + 24 * h, "2024-03-01"},
      {-300, 0, d2024_02_29 + 4 * h, "2024-02-28"},  // negative offsets
      {0, 0, 951782400000, "2000-02-29"},            // divisible by 400
      {0, 0, 4107542400000, "2100-03-01"},           // 2100 is not a leap year
      {0, 0, 253402300799999, "9999-12-31"},
  };
  for (const DayCase& c : cases) {
    HallConfig config = make_config();
    config.rules.utc_offset_min = c.offset_min;
    config.rules.reset_hour = c.reset_hour;
    Hall hall(config);
    EXPECT_EQ(hall.engine.business_day_at(c.utc), c.day) << c.utc << " " << c.offset_min;
  }
}

TEST(CoreBusinessDay, ANewDatabaseStartsItsFirstDayOnTheFirstTick) {
  Hall h;
  EXPECT_EQ(h.engine.business_day(), "");
  EXPECT_EQ(h.engine.next_deadline(at(9, 0)), at(9, 0));  // due now
  Outcome o = h.engine.tick(at(9, 0));
  ASSERT_EQ(o.events.size(), 1u);
  EXPECT_EQ(o.events[0].type, EventType::day_rolled_over);
  EXPECT_EQ(o.events[0].seq, 1u);
  EXPECT_EQ(o.events[0].business_day, "2026-11-27");
  EXPECT_EQ(o.events[0].actor, "system");
  EXPECT_EQ(h.engine.next_deadline(at(9, 0)), at(0, 0, 1));
  EXPECT_TRUE(h.engine.tick(at(23, 59)).events.empty());
}

}  // namespace
}  // namespace hallq::core::test
