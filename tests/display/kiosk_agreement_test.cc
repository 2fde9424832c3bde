// The kiosk greys a service by the snapshot (hours, daily cap, day off) so that visitors do not
// tap into a refusal. That is only honest if it greys exactly what the server refuses: here the
// real engine answers an issue at every ten minutes of a working day and a day off, and the
// kiosk's copy of the hall, fed the engine's own snapshot, must say the same each time.
#include <gtest/gtest.h>

#include <map>

#include "engine_test_support.h"
#include "hallq/display/hall_copy.h"
#include "hallq/display/touch.h"

namespace hallq::display {
namespace {

using core::test::at;
using core::test::Hall;

Issuing expected_from(const core::Outcome& o) {
  if (o.ok()) return Issuing::open;
  if (o.error->code == ErrorCode::daily_cap_reached) return Issuing::cap_reached;
  if (o.error->code == ErrorCode::service_closed)
    for (const auto& [k, v] : o.error->detail)
      if (k == "reason") return v == "day_off" ? Issuing::day_off : Issuing::outside_hours;
  ADD_FAILURE() << "an issue refused for another reason: " << core::test::describe(o);
  return Issuing::open;
}

const char* name_of(Issuing i) {
  switch (i) {
    case Issuing::open: return "open";
    case Issuing::day_off: return "day_off";
    case Issuing::outside_hours: return "outside_hours";
    case Issuing::cap_reached: return "cap_reached";
  }
  return "?";
}

// Friday 2026-11-27 and Saturday 2026-11-28 in a Monday-to-Friday hall: A all day, B 08:30-12:00
// and 13:30-17:30, C three tickets a day, D all day.
void walk_two_days(bool enforce, TimeMs kiosk_clock_behind) {
  HallConfig config = core::test::make_config();
  config.rules.workdays = {1, 2, 3, 4, 5};
  config.rules.enforce_opening_hours = enforce;
  Hall h(config);
  std::map<std::string, int> seen;  // "B outside_hours" -> times, so the walk provably covers each case
  for (int day = 0; day < 2; ++day)
    for (int minute = 0; minute < 24 * 60; minute += 10) {
      const TimeMs t = at(minute / 60, minute % 60, day);
      h.engine.tick(t);  // as the server's timer does: the day rolls over at midnight, not at a tap
      HallCopy copy;
      copy.apply(h.engine.snapshot(t, false), t - kiosk_clock_behind);
      for (const char* service : {"A", "B", "C", "D"}) {
        const ServiceInfo* s = copy.service(service);
        ASSERT_NE(s, nullptr) << service;
        // The kiosk's view a moment after the snapshot, by its own (wrong) clock.
        const Issuing said = copy.issuing(*s, t - kiosk_clock_behind + 1000);
        const Issuing expected = expected_from(h.run(core::test::issue(service), core::test::kiosk(), t + 1000));
        EXPECT_EQ(name_of(said), std::string(name_of(expected)))
            << "service " << service << " on day " << day << " at " << format_clock(minute);
        ++seen[std::string(service) + " " + name_of(expected)];
      }
    }
  if (enforce) {
    EXPECT_GT(seen["B outside_hours"], 0);
    EXPECT_GT(seen["B open"], 0);
    EXPECT_GT(seen["A day_off"], 0);
    EXPECT_EQ(seen["C cap_reached"], 144 - 3) << "C: three tickets on Friday, then refused";
  } else {
    EXPECT_EQ(seen["B open"], 2 * 144);
    EXPECT_EQ(seen["C cap_reached"], 2 * (144 - 3)) << "a new allowance on Saturday";
  }
}

TEST(DisplayKioskAgreement, GreysExactlyWhatTheServerRefusesThroughTheDay) { walk_two_days(true, 0); }

TEST(DisplayKioskAgreement, ReadsTheHallsClockNotItsOwn) {
  // A kiosk whose clock is 47 minutes slow still greys B at 12:00 sharp by the server's clock.
  walk_two_days(true, 47 * core::test::kMin);
}

TEST(DisplayKioskAgreement, AHallThatDoesNotEnforceHoursOnlyCapsTheDay) { walk_two_days(false, 0); }

}  // namespace
}  // namespace hallq::display
