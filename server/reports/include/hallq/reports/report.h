// Report figures as values: the query (date range, grouping), the figures of one group, the
// ranking formula, and their JSON and CSV forms. Pure: no SQLite, no I/O; any thread.
// Definitions (wait, service time, percentiles, satisfaction, ranking): docs/reports.md.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "hallq/hall_config.h"
#include "hallq/result.h"

namespace hallq::reports {

enum class GroupBy { service, window, clerk, department };
std::string_view to_string(GroupBy g);

inline constexpr int kMaxRangeDays = 366;

// Business days, inclusive, as "YYYY-MM-DD".
struct DayRange {
  std::string from;
  std::string to;
};

// The query string of /api/reports/summary and /ranking: from, to (required), by (summary only,
// default service), format (summary only: json or csv). An error names the parameter.
struct ReportQuery {
  DayRange range;
  GroupBy by = GroupBy::service;
  bool csv = false;
};
enum class QueryKind { summary, ranking };
Result<ReportQuery> parse_report_query(std::string_view query_string, QueryKind kind);
// "2026-02-30" is not a day. Returns the day number since 1970-01-01 for valid days.
std::optional<int> day_number(std::string_view day);

// Exact statistics of one list of durations in milliseconds.
struct DurationStats {
  std::int64_t count = 0;
  double mean_ms = 0;
  std::int64_t p50_ms = 0;  // nearest rank: the smallest value with at least 50% of values <= it
  std::int64_t p90_ms = 0;
};
// Sorts (partially) `values`.
DurationStats duration_stats(std::vector<std::int32_t>& values);

// Appointments (预约) by their state now, counted on the slot's day and the booked service.
struct AppointmentCounts {
  std::int64_t booked = 0;      // not yet checked in, missed or cancelled
  std::int64_t checked_in = 0;  // the visitor came and took the appointment's ticket
  std::int64_t missed = 0;      // not checked in by the end of the slot's tolerance
  std::int64_t cancelled = 0;   // by the visitor or the hall
  std::int64_t total() const { return booked + checked_in + missed + cancelled; }
};

// The figures of one group (or of the whole hall).
struct Figures {
  std::string key;  // service code, window number, clerk name, department; "" = none (see docs)
  std::int64_t done = 0;
  std::int64_t no_show = 0;
  std::int64_t cancelled = 0;  // by a clerk, an admin or the visitor
  std::int64_t expired = 0;    // still open when the business day ended
  std::int64_t transfers = 0;
  std::array<std::int64_t, 5> ratings{};  // ratings[level - 1]
  std::int64_t overdue_wait = 0;
  std::int64_t overdue_service = 0;
  std::int64_t overdue_idle = 0;
  DurationStats wait;
  DurationStats service;
  // Grouped by service or department; in window and clerk reports under the group without a
  // key (an appointment belongs to no window until its visit is called).
  AppointmentCounts appointments;

  std::int64_t rated() const;
  // Levels 4 and 5 over all ratings; nullopt without ratings.
  std::optional<double> satisfaction() const;
};

struct Summary {
  DayRange range;
  GroupBy by = GroupBy::service;
  std::vector<Figures> groups;  // sorted by key; a group without a key ("") last
  Figures total;
};

// Names from the hall config (service names, window names, clerks' display names).
nlohmann::json to_json(const Summary& s, const HallConfig& config);
// UTF-8 with a BOM, CRLF line ends (Excel), one row per group and a total row.
std::string to_csv(const Summary& s, const HallConfig& config);

// 示范窗口 / 服务标兵: score = 100 * (w_volume * done/max_done + w_satisfaction * satisfaction
//   + w_overdue * (1 - overdue share) + w_no_show * (1 - no-show share)) / (sum of weights).
// Only groups with at least min_cases done are ranked. Defaults and rules.ranking: RankingRules
// in hall_config.h.
using RankingWeights = RankingRules;

struct RankingEntry {
  std::string key;
  int rank = 0;
  double score = 0;
  std::int64_t done = 0;
  std::optional<double> satisfaction;
  double overdue_share = 0;
  double no_show_share = 0;
};
std::vector<RankingEntry> rank(const Summary& s, const RankingWeights& w);
nlohmann::json ranking_json(const DayRange& range, const RankingWeights& w,
                            const std::vector<RankingEntry>& windows,
                            const std::vector<RankingEntry>& clerks, const HallConfig& config);

}  // namespace hallq::reports
