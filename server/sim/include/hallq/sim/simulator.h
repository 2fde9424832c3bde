// hallq-sim's engine: drives a real hallq-server over HTTP through a compressed day (kiosks
// issue, clerks call/start/complete/transfer/no-show, evaluators rate, appointments are booked
// and checked in), counts what the server acknowledged, and compares with the server's reports.
// run_day() blocks; it owns a bounded pool of worker threads, each with its own HttpClient.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <sys/types.h>

#include "hallq/hall_config.h"
#include "hallq/sim/plan.h"
#include "hallq/sim/tally.h"

namespace hallq::sim {

struct SimOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  double time_scale = 1;          // must equal the server's --time-scale
  int windows = 0;                // staff the first N windows (0 = all)
  int until_min = 17 * 60 + 30;   // last arrival (local minutes); queues are then drained
  int workers = 0;                // 0: 4 + windows / 8, at most 48
  std::string admin_user = "admin";
  std::string admin_password = "admin-demo";
  std::string clerk_password = "clerk-demo";
  PlanOptions plan;               // seed, rates; from_min is taken from the server's clock
  std::ostream* log = nullptr;    // progress lines; nullptr = quiet
};

struct SimStats {
  long visits_planned = 0;
  long turned_away = 0;           // issue refused (service closed, daily cap)
  long commands = 0;              // acknowledged commands (incl. refusals with an answer)
  long retries = 0;               // resends of the same request_id after no answer / busy / 429
  long unexpected = 0;            // answers the sim did not expect (logged)
  double wall_s = 0;
  double max_late_s = 0;          // hall seconds an action ran after its planned time, worst case
  std::string business_day;
  std::string appointments_note;  // why appointments were skipped, if they were
};

struct DayResult {
  Tally tally;
  ServerFigures server;
  Comparison comparison;
  SimStats stats;
  std::string error;  // the day could not be run (login failed, server unreachable...)
  bool ok() const { return error.empty() && comparison.ok(); }
};

DayResult run_day(const HallConfig& hall, const SimOptions& options);

// A hallq-server child process on 127.0.0.1 with a port the kernel picks, on a scaled clock.
class SpawnedServer {
 public:
  SpawnedServer() = default;
  ~SpawnedServer();  // stops it
  SpawnedServer(const SpawnedServer&) = delete;
  SpawnedServer& operator=(const SpawnedServer&) = delete;
  // start_time: "YYYY-MM-DDTHH:MM" local hall time. Returns "" or an error text.
  std::string start(const std::string& binary, const std::string& hall_path, const std::string& data_dir,
                    double time_scale, const std::string& start_time);
  std::uint16_t port() const { return port_; }
  int stop();  // SIGTERM, wait; the exit status (or -1)

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

// "YYYY-MM-DD" of the hall's local date now (for --start-time).
std::string local_date_now(int utc_offset_min);
// `date` if the hall works that day, else its next working day (rules.workdays, holidays,
// extra_workdays): on a day off the hall issues no tickets, and a simulated day would be empty.
std::string working_day_from(const std::string& date, const Rules& rules);

// "HH:MM" -> minutes after midnight, -1 when malformed.
int parse_hhmm(const std::string& s);

}  // namespace hallq::sim
