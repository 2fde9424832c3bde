// The report worker: one thread that owns the Projection and answers report requests in order.
// Callers on any thread (the asio threads) hand it a job and get their answer through a callback
// run on the worker thread; they never wait for SQLite. The queue is bounded: when it is full,
// the job is refused at once with `busy`.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "hallq/hall_config.h"
#include "hallq/reports/projection.h"
#include "hallq/reports/report.h"

namespace hallq::reports {

// What an HTTP layer sends back: status, body, content type, and a file name for downloads.
struct ReportAnswer {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::string attachment;  // non-empty: Content-Disposition: attachment; filename=...
};

class ReportService {
 public:
  ReportService(std::string journal_path, std::shared_ptr<const HallConfig> config,
                std::size_t max_queued = 16);
  ~ReportService();  // finishes the running job, drops the queued ones, joins the thread
  ReportService(const ReportService&) = delete;
  ReportService& operator=(const ReportService&) = delete;

  // GET /api/reports/{what}?{query}: what is "summary" or "ranking". `done` runs exactly once,
  // on the worker thread (or at once on the caller's thread when refused).
  void handle(std::string what, std::string query, std::function<void(ReportAnswer)> done);
  // A configuration edit (PUT /api/config): reports from now on name services, windows and
  // clerks as the new configuration does. Any thread.
  void reconfigure(std::shared_ptr<const HallConfig> config);

 private:
  ReportAnswer answer(const std::string& what, const std::string& query);
  void run();

  // Constant after construction.
  const std::string journal_path_;
  const std::size_t max_queued_;

  // Guarded by mu_.
  std::mutex mu_;
  std::shared_ptr<const HallConfig> config_;  // replaced whole; a running job keeps its own
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;

  // Worker thread only.
  std::unique_ptr<Projection> projection_;
  std::thread worker_;
};

}  // namespace hallq::reports
