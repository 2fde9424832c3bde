// The simulated day's plan: the arrival curve's peaks, seeded reproducibility, opening hours.
#include <gtest/gtest.h>

#include <map>

#include "hallq/sim/plan.h"
#include "hallq/sim/simulator.h"

namespace hallq::sim {
namespace {

HallConfig sample_hall() {
  auto hall = load_hall_config(std::string(HALLQ_ASSETS_DIR) + "/halls/sample-county.json");
  EXPECT_TRUE(hall.ok()) << hall.error().message;
  return std::move(*hall);
}

Staffing all_windows(const HallConfig& hall) {
  Staffing s;
  for (const auto& w : hall.windows) s.windows.push_back(w.number);
  return s;
}

constexpr int kMin = 60;

TEST(ArrivalCurve, PeaksInTheMorningAndEarlyAfternoonQuietAtLunch) {
  struct Case { double at; double at_least; double at_most; };
  const Case cases[] = {
      {7 * kMin, 0, 0},                 // doors closed
      {8 * kMin + 45, 0.3, 0.7},        // first wave
      {9 * kMin + 30, 1.0, 1.0},        // morning peak
      {10 * kMin + 59, 1.0, 1.0},
      {12 * kMin + 45, 0.0, 0.15},      // lunch
      {14 * kMin + 30, 0.85, 0.95},     // early-afternoon peak
      {16 * kMin, 0.2, 0.6},
      {18 * kMin, 0, 0},                // closed
  };
  for (const Case& c : cases) {
    double v = arrival_intensity(c.at);
    EXPECT_GE(v, c.at_least) << "minute " << c.at;
    EXPECT_LE(v, c.at_most) << "minute " << c.at;
  }
  EXPECT_GT(arrival_intensity(10 * kMin), arrival_intensity(12 * kMin + 30) * 5);
  EXPECT_GT(arrival_intensity(15 * kMin), arrival_intensity(16 * kMin + 30));
}

TEST(PlanDay, ArrivalsPerHourFollowTheCurve) {
  HallConfig hall = sample_hall();
  PlanOptions o;
  o.seed = 7;
  auto visits = plan_day(hall, all_windows(hall), o);
  ASSERT_GT(visits.size(), 500u);
  std::map<int, int> per_hour;
  for (const auto& v : visits) per_hour[int(v.arrival_min) / kMin]++;
  // Morning peak hours beat late morning, which beats lunch; the afternoon peak beats 16:00.
  EXPECT_GT(per_hour[9], per_hour[11]);
  EXPECT_GT(per_hour[10], per_hour[11]);
  EXPECT_GT(per_hour[11], 3 * per_hour[12]);
  EXPECT_GT(per_hour[14], per_hour[16]);
  EXPECT_EQ(per_hour[7], 0);
  EXPECT_EQ(per_hour[18], 0);
  // Sorted, and nobody arrives for a service while it is closed (the sample hall enforces hours).
  for (std::size_t i = 0; i < visits.size(); ++i) {
    EXPECT_EQ(visits[i].index, int(i));
    if (i > 0) {
      EXPECT_LE(visits[i - 1].arrival_min, visits[i].arrival_min);
    }
    if (!visits[i].appointment) {
      EXPECT_TRUE(service_open(hall, *hall.service(visits[i].service), visits[i].arrival_min))
          << visits[i].service << " at " << visits[i].arrival_min;
    }
  }
}

TEST(PlanDay, TheSameSeedGivesTheSamePlanAndAnotherSeedAnother) {
  HallConfig hall = sample_hall();
  PlanOptions o;
  o.seed = 42;
  auto a = plan_day(hall, all_windows(hall), o);
  auto b = plan_day(hall, all_windows(hall), o);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].arrival_min, b[i].arrival_min);
    EXPECT_EQ(a[i].service, b[i].service);
    EXPECT_EQ(a[i].no_show, b[i].no_show);
    EXPECT_EQ(a[i].transfer_to, b[i].transfer_to);
    EXPECT_EQ(a[i].service_min, b[i].service_min);
    EXPECT_EQ(a[i].rating, b[i].rating);
  }
  o.seed = 43;
  auto c = plan_day(hall, all_windows(hall), o);
  bool differs = c.size() != a.size();
  for (std::size_t i = 0; !differs && i < a.size(); ++i) differs = a[i].arrival_min != c[i].arrival_min;
  EXPECT_TRUE(differs);
}

TEST(PlanDay, RatesAndServiceTimesAreAsConfigured) {
  HallConfig hall = sample_hall();
  PlanOptions o;
  o.seed = 3;
  o.load = 3;  // many visitors, so the shares are close to the rates
  o.no_show_rate = 0.2;
  o.transfer_rate = 0.1;
  auto visits = plan_day(hall, all_windows(hall), o);
  ASSERT_GT(visits.size(), 2000u);
  double no_shows = 0, transfers = 0, rated = 0, fives = 0;
  for (const auto& v : visits) {
    no_shows += v.no_show;
    if (!v.transfer_to.empty()) {
      ++transfers;
      EXPECT_NE(v.transfer_to, v.service);
      EXPECT_GE(v.second_service_min, 1.0);
    }
    rated += v.rating > 0;
    fives += v.rating == 5;
    const double expected = hall.service(v.service)->expected_service_min;
    EXPECT_GE(v.service_min, 1.0);
    EXPECT_LE(v.service_min, 4 * expected);
  }
  const double n = double(visits.size());
  EXPECT_NEAR(no_shows / n, 0.2, 0.03);
  EXPECT_NEAR(transfers / n, 0.1, 0.03);
  EXPECT_NEAR(rated / n, 0.85, 0.03);
  EXPECT_NEAR(fives / rated, 0.72, 0.04);
}

TEST(PlanDay, OnlyServicesOfStaffedWindowsGetVisitors) {
  HallConfig hall = sample_hall();
  Staffing one;
  one.windows = {3};  // 企业开办: B and K
  PlanOptions o;
  auto visits = plan_day(hall, one, o);
  ASSERT_FALSE(visits.empty());
  for (const auto& v : visits) {
    EXPECT_TRUE(v.service == "B" || v.service == "K") << v.service;
    if (!v.transfer_to.empty()) {
      EXPECT_TRUE(v.transfer_to == "B" || v.transfer_to == "K") << v.transfer_to;
    }
  }
}

// The day a spawned server simulates when none is given: today, or the hall's next working
// day (a day off issues no tickets). 2026-11-27 is a Friday.
TEST(SimulatedDate, ADayOffMovesToTheNextWorkingDay) {
  Rules r;  // Monday to Friday
  EXPECT_EQ(working_day_from("2026-11-27", r), "2026-11-27");
  EXPECT_EQ(working_day_from("2026-11-28", r), "2026-11-30");
  r.holidays = {"2026-11-30", "2026-12-01"};
  EXPECT_EQ(working_day_from("2026-11-28", r), "2026-12-02");
  r.extra_workdays = {"2026-11-29"};  // a Sunday worked (调休)
  EXPECT_EQ(working_day_from("2026-11-28", r), "2026-11-29");
  r.workdays = {1};
  EXPECT_EQ(working_day_from("2026-12-30", r), "2027-01-04");  // across the year
  EXPECT_EQ(working_day_from("not a date", r), "not a date");
}

}  // namespace
}  // namespace hallq::sim
