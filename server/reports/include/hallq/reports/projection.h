// The reporting projection: one row per visit (ticket), its transfers and the overdue alerts,
// rolled up per (business day, service, window, clerk) cell, kept in a side SQLite file next to
// the journal and built only from the journal's `events` table. catch_up() indexes the events
// with seq > the last indexed one; rebuild() drops everything and starts again from seq 0.
// Not thread-safe: one thread (the report worker, a test, the bench) owns a Projection. It only
// reads the journal, on its own connection, so the hall's commit thread is never blocked.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "hallq/hall_config.h"
#include "hallq/reports/report.h"
#include "hallq/result.h"

namespace hallq::reports {

struct ProjectionOptions {
  // Events read and indexed per transaction of the side file.
  std::size_t events_per_step = 50'000;
  int busy_timeout_ms = 5000;
};

class Projection {
 public:
  // Opens (or creates) the side file `projection_path` and attaches `journal_path` (which must
  // exist: the hall server creates it). A side file of another schema version is rebuilt.
  static Result<std::unique_ptr<Projection>> open(const std::string& journal_path,
                                                  const std::string& projection_path,
                                                  const ProjectionOptions& options = {});
  ~Projection();
  Projection(const Projection&) = delete;
  Projection& operator=(const Projection&) = delete;

  // Indexes every event not indexed yet. Returns the last indexed seq.
  Result<std::uint64_t> catch_up();
  // Forgets everything and indexes the whole log again.
  Result<std::uint64_t> rebuild();
  std::uint64_t indexed_seq() const;

  // Figures of what is indexed (call catch_up() first for the latest).
  Result<Summary> summary(const DayRange& range, GroupBy by, const HallConfig& config);
  // One business day for the dashboard's charts (GET /api/reports/day, docs/web.md): tickets
  // issued and visits completed per 15 minutes of hall local time (96 slots from local
  // midnight), waits from issue to first call in the buckets of kDayWaitEdgesMin, and service
  // times by service. Exact: read from the visits, not sampled.
  Result<nlohmann::json> day_chart(const std::string& day, const Rules& rules);

 private:
  struct Impl;
  explicit Projection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Upper edges of the wait histogram's buckets, in minutes; the last bucket is open-ended.
inline constexpr int kDayWaitEdgesMin[] = {5, 10, 15, 20, 30, 45, 60};

// The side file's conventional name for a journal: "<journal>.reports" ("hallq.sqlite.reports").
std::string projection_path_for(const std::string& journal_path);

}  // namespace hallq::reports
