#include "hallq/reports/report_service.h"

#include <optional>

#include "hallq/query_string.h"

namespace hallq::reports {

namespace {

ReportAnswer reply(int status, std::string body, std::string content_type = "application/json",
                   std::string attachment = "") {
  return ReportAnswer{status, std::move(body), std::move(content_type), std::move(attachment)};
}

ReportAnswer error_answer(const Error& e) {
  return reply(http_status_for(e.code),
               nlohmann::json{{"error", {{"code", to_string(e.code)}, {"message", e.message}}}}.dump());
}

}  // namespace

ReportService::ReportService(std::string journal_path, std::shared_ptr<const HallConfig> config,
                             std::size_t max_queued)
    : journal_path_(std::move(journal_path)), max_queued_(max_queued), config_(std::move(config)) {
  // Index what the journal already holds now, not on the first request: a year from scratch
  // takes tens of seconds (docs/reports.md), longer than a browser waits for an answer.
  jobs_.push_back([this] {
    auto p = Projection::open(journal_path_, projection_path_for(journal_path_));
    if (!p) return;
    if ((*p)->catch_up()) projection_ = std::move(*p);
  });
  worker_ = std::thread([this] { run(); });
}

ReportService::~ReportService() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void ReportService::handle(std::string what, std::string query, std::function<void(ReportAnswer)> done) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && jobs_.size() < max_queued_) {
      jobs_.push_back([this, what = std::move(what), query = std::move(query), done]() mutable {
        done(answer(what, query));
      });
      cv_.notify_one();
      return;
    }
  }
  done(error_answer(make_error(ErrorCode::busy, "too many report requests at once: try again in a moment")));
}

void ReportService::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;  // queued jobs are dropped; their sessions close
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

void ReportService::reconfigure(std::shared_ptr<const HallConfig> config) {
  std::lock_guard lock(mu_);
  config_ = std::move(config);
}

ReportAnswer ReportService::answer(const std::string& what, const std::string& query) {
  std::shared_ptr<const HallConfig> config;
  {
    std::lock_guard lock(mu_);
    config = config_;
  }
  const bool summary = what == "summary";
  const bool day = what == "day";
  if (!summary && !day && what != "ranking")
    return error_answer(make_error(ErrorCode::not_found, "no such report: " + what + " (summary, ranking or day)"));
  std::optional<ReportQuery> q;
  std::string date;
  if (day) {
    // day?date=YYYY-MM-DD: the one parameter, required.
    for (const QueryParam& p : query_params(query)) {
      if (p.key != "date")
        return error_answer(make_error(ErrorCode::bad_request, "unknown parameter \"" + std::string(p.key) + "\" (day takes date=YYYY-MM-DD)"));
      date = std::string(p.value);
    }
    if (!day_number(date))
      return error_answer(make_error(ErrorCode::bad_request, "date: want a business day as YYYY-MM-DD, got \"" + date + "\""));
  } else {
    auto parsed = parse_report_query(query, summary ? QueryKind::summary : QueryKind::ranking);
    if (!parsed) return error_answer(parsed.error());
    q = std::move(*parsed);
  }
  if (!projection_) {
    auto p = Projection::open(journal_path_, projection_path_for(journal_path_));
    if (!p) return error_answer(p.error());
    projection_ = std::move(*p);
  }
  if (auto s = projection_->catch_up(); !s) {
    projection_.reset();  // reopen next time
    return error_answer(s.error());
  }
  if (day) {
    auto j = projection_->day_chart(date, config->rules);
    if (!j) return error_answer(j.error());
    return reply(200, j->dump());
  }
  if (summary) {
    auto s = projection_->summary(q->range, q->by, *config);
    if (!s) return error_answer(s.error());
    if (q->csv) {
      std::string name = "hallq-report-" + q->range.from + "-" + q->range.to + "-" + std::string(to_string(q->by)) + ".csv";
      return reply(200, to_csv(*s, *config), "text/csv; charset=utf-8", name);
    }
    auto j = to_json(*s, *config);
    j["indexed_seq"] = projection_->indexed_seq();
    return reply(200, j.dump());
  }
  auto windows = projection_->summary(q->range, GroupBy::window, *config);
  if (!windows) return error_answer(windows.error());
  auto clerks = projection_->summary(q->range, GroupBy::clerk, *config);
  if (!clerks) return error_answer(clerks.error());
  const RankingWeights& w = config->rules.ranking;
  auto j = ranking_json(q->range, w, rank(*windows, w), rank(*clerks, w), *config);
  j["indexed_seq"] = projection_->indexed_seq();
  return reply(200, j.dump());
}

}  // namespace hallq::reports
