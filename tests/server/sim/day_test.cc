// A short simulated day against a real hallq-server process on a scaled clock: the sample hall
// from 08:55 to 10:40 hall time at 600x, a few hundred visitors with no-shows, transfers and
// ratings; the server's reports must equal the sim's counts, and a perturbed count must not.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "hallq/sim/simulator.h"

namespace hallq::sim {
namespace {

namespace fs = std::filesystem;

class SimulatedDay : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hallq-sim-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    server_.stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string server_binary() const { return std::string(HALLQ_BINARY_DIR) + "/server/app/hallq-server"; }

  fs::path dir_;
  SpawnedServer server_;
};

TEST_F(SimulatedDay, ReportsEqualTheSimsCountsAndAPerturbedCountIsCaught) {
  const std::string hall_path = std::string(HALLQ_ASSETS_DIR) + "/halls/sample-county.json";
  auto hall = load_hall_config(hall_path);
  ASSERT_TRUE(hall.ok()) << hall.error().message;
  SimOptions o;
  o.time_scale = 600;
  o.until_min = 10 * 60 + 40;
  o.plan.seed = 11;
  o.plan.no_show_rate = 0.08;
  o.plan.transfer_rate = 0.08;
  const std::string date = working_day_from(local_date_now(hall->rules.utc_offset_min), hall->rules);
  ASSERT_EQ(server_.start(server_binary(), hall_path, dir_.string(), o.time_scale, date + "T08:55"), "");
  o.port = server_.port();

  DayResult r = run_day(*hall, o);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.stats.business_day, date);
  EXPECT_EQ(r.stats.unexpected, 0);
  long issued = 0, done = 0, no_show = 0, transfers = 0, rated = 0;
  for (const auto& [code, t] : r.tally.services) {
    issued += t.issued, done += t.done, no_show += t.no_show, transfers += t.transfers_out;
    for (int level = 1; level <= 5; ++level) rated += t.ratings[std::size_t(level)];
  }
  // A real day's mix, not an empty one that trivially matches.
  EXPECT_GE(issued, 150);
  EXPECT_EQ(done + no_show, issued);  // every visit ended: the queues were drained
  EXPECT_GT(no_show, 0);
  EXPECT_GT(transfers, 0);
  EXPECT_GT(rated, done / 2);
  ASSERT_TRUE(r.tally.appointments.has_value()) << r.stats.appointments_note;
  EXPECT_GT(r.tally.appointments->booked, 0) << r.stats.appointments_note;
  EXPECT_TRUE(r.comparison.ok()) << format_table(r.comparison) << r.comparison.problem;
  EXPECT_GT(r.comparison.rows.size(), 10u * 11u);

  // The same server figures against a tally with one count off: exactly that row differs.
  Tally off = r.tally;
  off.services.begin()->second.done += 1;
  Comparison c = compare(off, r.server);
  EXPECT_EQ(c.mismatches, 1);
  Tally missing_rating = r.tally;
  for (auto& [code, t] : missing_rating.services)
    if (t.ratings[5] > 0) {
      t.ratings[5]--;
      break;
    }
  EXPECT_EQ(compare(missing_rating, r.server).mismatches, 1);
}

TEST_F(SimulatedDay, TheServerRefusesABadTimeScaleOrStartTime) {
  const std::string hall_path = std::string(HALLQ_ASSETS_DIR) + "/halls/sample-county.json";
  SpawnedServer bad;
  std::string err = bad.start(server_binary(), hall_path, dir_.string(), 1, "2026-02-30T08:00");
  EXPECT_NE(err, "");  // no "listening on" line: the server exited with its message
}

}  // namespace
}  // namespace hallq::sim
