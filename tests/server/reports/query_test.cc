// Report parameters, percentiles and the ranking formula, without a database.
#include <gtest/gtest.h>

#include <fstream>

#include "hallq/reports/report.h"

namespace hallq::reports {
namespace {

TEST(ReportQuery, GoodQueries) {
  auto q = parse_report_query("from=2026-01-01&to=2026-12-31&by=clerk&format=csv", QueryKind::summary);
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_EQ(q->range.from, "2026-01-01");
  EXPECT_EQ(q->range.to, "2026-12-31");
  EXPECT_EQ(q->by, GroupBy::clerk);
  EXPECT_TRUE(q->csv);
  auto d = parse_report_query("to=2026-11-27&from=2026-11-27", QueryKind::ranking);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->by, GroupBy::service);
  EXPECT_FALSE(d->csv);
  // 2028 is a leap year: 366 days is the most a range may span.
  EXPECT_TRUE(parse_report_query("from=2028-01-01&to=2028-12-31", QueryKind::summary).ok());
  EXPECT_TRUE(parse_report_query("from=2026%2D01%2D01&to=2026-01-02&by=department", QueryKind::summary).ok());
}

TEST(ReportQuery, BadQueriesNameTheParameterAndTheProblem) {
  struct Case {
    const char* query;
    QueryKind kind;
    const char* message;
  };
  const Case cases[] = {
      {"", QueryKind::summary, "missing parameter from: give a business day as YYYY-MM-DD"},
      {"from=2026-01-01", QueryKind::summary, "missing parameter to"},
      {"from=&to=2026-01-01", QueryKind::summary, "missing parameter from"},
      {"from=2026-13-01&to=2026-12-31", QueryKind::summary, "parameter from: \"2026-13-01\" is not a day"},
      {"from=2026-02-29&to=2026-03-01", QueryKind::summary, "parameter from: \"2026-02-29\" is not a day"},
      {"from=2026-01-01&to=26-1-2", QueryKind::summary, "parameter to: \"26-1-2\" is not a day"},
      {"from=2026-03-01&to=2026-02-01", QueryKind::summary, "parameter to: 2026-02-01 is before from (2026-03-01)"},
      {"from=2026-01-01&to=2027-01-02", QueryKind::summary, "2026-01-01 to 2027-01-02 is 367 days; at most 366"},
      {"from=2026-01-01&to=2026-01-02&by=month", QueryKind::summary,
       "parameter by: \"month\" is not one of service, window, clerk, department"},
      {"from=2026-01-01&to=2026-01-02&format=xls", QueryKind::summary, "parameter format: \"xls\" is not json or csv"},
      {"from=2026-01-01&to=2026-01-02&day=1", QueryKind::summary, "unknown parameter \"day\": use from, to, by, format"},
      {"from=2026-01-01&to=2026-01-02&by=window", QueryKind::ranking, "unknown parameter \"by\": use from, to"},
      {"from=2026-01-01&from=2026-01-02&to=2026-01-02", QueryKind::summary, "parameter from is given twice"},
      {"from=2026-01-01&to=2026-01-0%G2", QueryKind::summary, "bad %-escape"},
      {"from=2026-01-01&to=2026-01-0%2", QueryKind::summary, "bad %-escape"},
  };
  for (const auto& c : cases) {
    auto q = parse_report_query(c.query, c.kind);
    ASSERT_FALSE(q.ok()) << c.query;
    EXPECT_EQ(q.error().code, ErrorCode::bad_request) << c.query;
    EXPECT_NE(q.error().message.find(c.message), std::string::npos) << c.query << " -> " << q.error().message;
  }
  std::string long_query = "from=2026-01-01&to=2026-01-02&" + std::string(1100, 'x');
  auto q = parse_report_query(long_query, QueryKind::summary);
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.error().message.find("longer than 1024"), std::string::npos);
}

TEST(DurationStats, NearestRankPercentiles) {
  struct Case {
    std::vector<std::int32_t> values;
    double mean;
    std::int64_t p50, p90;
  };
  const Case cases[] = {
      {{7}, 7, 7, 7},
      {{1, 2}, 1.5, 1, 2},                       // ceil(0.5*2)=1st, ceil(0.9*2)=2nd
      {{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}, 55, 50, 90},
      {{5, 1, 4, 2, 3}, 3, 3, 5},                // ceil(2.5)=3rd, ceil(4.5)=5th
      {{100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 100.0 / 11, 0, 0},
  };
  for (auto c : cases) {
    auto s = duration_stats(c.values);
    EXPECT_EQ(s.count, std::int64_t(c.values.size()));
    EXPECT_DOUBLE_EQ(s.mean_ms, c.mean);
    EXPECT_EQ(s.p50_ms, c.p50);
    EXPECT_EQ(s.p90_ms, c.p90);
  }
  std::vector<std::int32_t> none;
  EXPECT_EQ(duration_stats(none).count, 0);
}

Figures group(std::string key, std::int64_t done, std::int64_t no_show, std::array<std::int64_t, 5> ratings,
              std::int64_t overdue) {
  Figures f;
  f.key = std::move(key);
  f.done = done;
  f.no_show = no_show;
  f.ratings = ratings;
  f.overdue_wait = overdue;
  return f;
}

TEST(Ranking, TheDocumentedFormula) {
  Summary s;
  s.groups = {group("1", 100, 0, {0, 0, 0, 10, 10}, 0),   // most cases, all satisfied
              group("2", 50, 50, {0, 0, 0, 0, 20}, 10),   // half no-shows
              group("3", 80, 20, {10, 0, 0, 0, 0}, 50),   // unhappy visitors, many overdue
              group("4", 5, 0, {0, 0, 0, 0, 5}, 0),       // below min_cases
              group("", 30, 0, {}, 0)};                   // nobody's: never ranked
  s.total.ratings = {10, 0, 0, 10, 35};
  RankingWeights w;  // 30 / 40 / 15 / 15, min 10
  auto r = rank(s, w);
  ASSERT_EQ(r.size(), 3u);
  // Window 1: 100*(30*1 + 40*1 + 15*1 + 15*1)/100 = 100.
  EXPECT_EQ(r[0].key, "1");
  EXPECT_DOUBLE_EQ(r[0].score, 100);
  // Window 2: 30*0.5 + 40*1 + 15*(1-0.1) + 15*(1-0.5) = 15+40+13.5+7.5 = 76.
  EXPECT_EQ(r[1].key, "2");
  EXPECT_DOUBLE_EQ(r[1].score, 76);
  EXPECT_DOUBLE_EQ(r[1].no_show_share, 0.5);
  // Window 3: 30*0.8 + 40*0 + 15*(1-0.5) + 15*(1-0.2) = 24+0+7.5+12 = 43.5.
  EXPECT_EQ(r[2].key, "3");
  EXPECT_DOUBLE_EQ(r[2].score, 43.5);
  EXPECT_EQ(r[2].rank, 3);

  // Only volume counts: the biggest wins; a group without ratings gets the hall's rate.
  RankingWeights volume_only{100, 0, 0, 0, 0};
  auto v = rank(s, volume_only);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0].key, "1");
  EXPECT_EQ(v[3].key, "4");
  EXPECT_DOUBLE_EQ(v[3].score, 5);
}

}  // namespace
}  // namespace hallq::reports

namespace hallq::reports {
namespace {

nlohmann::json small_hall_json() {
  std::ifstream in(std::string(HALLQ_TEST_DATA_DIR) + "/small-hall.json");
  return nlohmann::json::parse(in);
}

TEST(RankingConfig, RulesRankingOverridesTheDefaultsAndBadValuesNameTheirPath) {
  auto j = small_hall_json();
  auto plain = parse_hall_config(j);
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(plain->rules.ranking, RankingRules{});
  j["rules"]["ranking"] = {{"volume", 20}, {"satisfaction", 50}, {"min_cases", 3}};
  auto c = parse_hall_config(j);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->rules.ranking, (RankingRules{20, 50, 15, 15, 3}));
  // The config writes it back, and reads it again the same.
  auto again = parse_hall_config(hall_config_to_json(*c));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->rules.ranking, c->rules.ranking);

  struct Case {
    nlohmann::json ranking;
    const char* message;
  };
  const Case cases[] = {
      {{{"volume", 101}}, "/rules/ranking/volume"},
      {{{"no_show", -1}}, "/rules/ranking/no_show"},
      {{{"overdue", "high"}}, "/rules/ranking/overdue"},
      {{{"colour", 1}}, "/rules/ranking/colour"},
      {{{"volume", 0}, {"satisfaction", 0}, {"overdue", 0}, {"no_show", 0}}, "at least one weight must be above 0"},
  };
  for (const auto& k : cases) {
    auto bad = small_hall_json();
    bad["rules"]["ranking"] = k.ranking;
    auto r = parse_hall_config(bad);
    ASSERT_FALSE(r.ok()) << k.ranking.dump();
    EXPECT_NE(r.error().message.find(k.message), std::string::npos) << k.ranking.dump() << " -> " << r.error().message;
  }
}

}  // namespace
}  // namespace hallq::reports
