#include "bench.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <thread>

#include "channel.h"
#include "displays.h"
#include "flat_kiosks.h"
#include "scan.h"
#include "stats.h"

namespace hallq::bench {

namespace {

using nlohmann::json;
constexpr auto kUse = asio::as_tuple(asio::use_awaitable);

void progress(const char* fmt, auto... args) {
  std::fprintf(stderr, "hallq-bench: ");
  std::fprintf(stderr, fmt, args...);
  std::fputc('\n', stderr);
}

double round_to(double v, double unit) { return std::round(v / unit) * unit; }

// The 1-minute load average: the bench shares the machine with the server, and anything else
// running makes latencies worse. Reported so a noisy run can be recognised.
double load_average() {
  double one = -1;
  if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &one) != 1) one = -1;
    std::fclose(f);
  }
  return one;
}

// Tickets to issue, shared by the lanes (one command in flight each) that issue them.
struct IssueJob {
  std::string name;                   // "prefill", "kiosks"
  std::size_t limit = 0;              // tickets to start at most
  double deadline_s = 0;              // start none after this
  double interval_s = 0;              // between starts over all lanes; 0 = no pacing
  std::vector<std::string> list;      // prefill: exactly these services, in order
  // Progress and results.
  std::size_t started = 0;
  double next_at = 0;
  std::size_t acked = 0;
  std::size_t lanes_running = 0;
  double first_sent_s = 0;
  double last_ack_s = 0;
  std::map<std::string, std::size_t> errors;
  LatencySamples latency;
};

struct CallRecord {
  std::string ticket;
  double sent_s = 0;
  double answered_s = 0;
};

struct Clerk {
  const ClerkSlot* slot = nullptr;
  std::size_t index = 0;
  std::shared_ptr<CommandChannel> channel;
};

class Run {
 public:
  Run(const Options& o, const Plan& plan) : o_(o), plan_(plan), server_(o.server_pid), self_(0) {}

  json run() {
    asio::co_spawn(io_, main(), [this](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          report_["error"] = std::string("internal: ") + x.what();
        }
      }
      io_.stop();
    });
    io_.run();
    if (fleet_) fleet_->stop();
    return report_;
  }

 private:
  // ---- helpers

  std::string request_id(char kind) { return o_.run_id + "-" + kind + std::to_string(++requests_); }

  asio::awaitable<void> sleep_s(double s) {
    if (s <= 0) co_return;
    asio::steady_timer t(io_);
    t.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s)));
    co_await t.async_wait(kUse);
  }

  // Polls `done` every `poll_s` until true or `timeout_s` passes; returns done().
  asio::awaitable<bool> wait_until(const std::function<bool()>& done, double timeout_s, double poll_s = 0.005) {
    double until = now_s() + timeout_s;
    while (!done() && now_s() < until) co_await sleep_s(poll_s);
    co_return done();
  }

  void fail(std::string why) {
    progress("%s", why.c_str());
    report_["error"] = std::move(why);
  }

  asio::awaitable<std::shared_ptr<CommandChannel>> open_channel(Transport t, const std::string& token,
                                                                std::string& error, bool events = true) {
    if (t == Transport::http) co_return std::make_shared<HttpChannel>(io_.get_executor(), o_.server, token);
    auto ws = std::make_shared<WsChannel>(io_.get_executor(), o_.server);
    error = co_await ws->open(token, events);
    if (!error.empty()) co_return nullptr;
    co_return ws;
  }

  // ---- issuing

  asio::awaitable<void> issue_lane(IssueJob& job, std::shared_ptr<CommandChannel> ch, const KioskSlot& slot,
                                   std::size_t lane) {
    std::size_t cursor = lane;
    while (job.started < job.limit) {
      if (job.interval_s > 0) {
        double now = now_s();
        if (job.next_at < now - 0.1) job.next_at = now;  // behind: catch up at most 100 ms worth
        double at = job.next_at;
        if (at >= job.deadline_s) break;  // a slot past the end: do not wait for it
        job.next_at += job.interval_s;
        co_await sleep_s(at - now);
      }
      if (now_s() >= job.deadline_s || job.started >= job.limit) break;
      std::string service = job.list.empty() ? slot.services[cursor++ % slot.services.size()] : job.list[job.started];
      ++job.started;
      std::string fields = R"("service":")" + service + '"';
      double t0 = now_s();
      if (job.first_sent_s == 0) job.first_sent_s = t0;
      Reply r = co_await ch->command("issue", 0, request_id('i'), fields);
      double t1 = now_s();
      if (r.ok()) {
        ++job.acked;
        job.latency.add((t1 - t0) * 1000);
        job.last_ack_s = t1;
        continue;
      }
      std::string code = r.error_code();
      ++job.errors[code == "transport" ? "transport: " + r.transport_error : code];
      if (code == "transport") break;  // this lane's connection is gone
      if (code == "rate_limited" || code == "busy") co_await sleep_s(0.01);
    }
  }

  // The kiosks of a flat-out run, on their own thread and epoll loop (flat_kiosks.h).
  asio::awaitable<bool> issue_flat_out_thread(IssueJob& job, double timeout_s) {
    std::vector<FlatKiosk> kiosks;
    for (const auto& k : plan_.kiosks) kiosks.push_back(FlatKiosk{k.token, k.services});
    FlatIssue plan{o_.kiosk_transport, o_.kiosk_pipeline, job.limit, job.deadline_s, 30, o_.run_id + "-k"};
    std::atomic<bool> done = false;
    std::atomic<std::size_t> acked = 0;
    FlatIssueResult result;
    std::thread t([&] {
      result = issue_flat_out(o_.server, kiosks, plan, &acked);
      done = true;
    });
    const bool finished = co_await wait_until(
        [&] {
          job.acked = acked.load();  // for the progress lines
          return done.load();
        },
        timeout_s, 0.01);
    t.join();  // after its own deadline and drain: it always ends
    job.started = result.started;
    job.acked = result.acked;
    job.first_sent_s = result.first_sent_s;
    job.last_ack_s = result.last_ack_s;
    for (const auto& [code, n] : result.errors) job.errors[code] += n;
    job.latency = std::move(result.latency);
    co_return finished;
  }

  // Runs `job` on every kiosk channel with `lanes` commands in flight on each. Returns false if
  // the lanes are not done within `timeout_s` (a server that stopped answering).
  asio::awaitable<bool> issue(IssueJob& job, std::size_t lanes, double timeout_s) {
    if (job.interval_s == 0 && job.list.empty() && !(o_.kiosk_transport == Transport::ws && o_.kiosk_events))
      co_return co_await issue_flat_out_thread(job, timeout_s);
    for (std::size_t k = 0; k < kiosks_.size(); ++k) {
      for (std::size_t l = 0; l < lanes; ++l) {
        ++job.lanes_running;
        asio::co_spawn(io_, issue_lane(job, kiosks_[k], plan_.kiosks[k], k * lanes + l),
                       [&job](std::exception_ptr e) {
                         if (e) ++job.errors["bench exception"];
                         --job.lanes_running;
                       });
      }
    }
    co_return co_await wait_until([&] { return job.lanes_running == 0; }, timeout_s, 0.01);
  }

  json job_json(const IssueJob& job) const {
    double elapsed = job.last_ack_s > job.first_sent_s ? job.last_ack_s - job.first_sent_s : 0;
    return {{"started", job.started},
            {"acknowledged", job.acked},
            {"seconds", round_to(elapsed, 0.001)},
            {"per_second", elapsed > 0 ? std::round(double(job.acked) / elapsed) : 0},
            {"latency_ms", job.latency.to_json()},
            {"errors", job.errors}};
  }

  // ---- clerks

  // Leaves the window free: whatever a previous run left called or serving is finished.
  asio::awaitable<void> free_window(Clerk& c) {
    co_await c.channel->command("start", c.slot->window, request_id('s'), "");
    co_await c.channel->command("complete", c.slot->window, request_id('c'), "");
  }

  asio::awaitable<void> clerk_loop(Clerk& c, double start_s, double deadline_s) {
    const double period = double(clerks_.size()) / o_.calls_per_second;
    double next = start_s + double(c.index) / o_.calls_per_second;  // clerks take turns
    const int window = c.slot->window;
    for (;;) {
      double now = now_s();
      if (next < now - period) next = now;  // a whole period behind: do not burst to catch up
      if (next >= deadline_s) break;
      co_await sleep_s(next - now);
      next += period;
      double t0 = now_s();
      Reply r = co_await c.channel->command("call-next", window, request_id('n'), "");
      double t1 = now_s();
      if (!r.ok()) {
        std::string code = r.error_code();
        if (code == "queue_empty") {
          ++queue_empty_;
        } else {
          ++call_errors_[code == "transport" ? "transport: " + r.transport_error : code];
          if (code == "window_busy") co_await free_window(c);
          if (code == "transport" && !c.channel->is_open()) break;
        }
        continue;
      }
      calls_.push_back(CallRecord{std::string(ticket_id(r.body)), t0, t1});
      call_answer_.add((t1 - t0) * 1000);
      for (const char* step : {"start", "complete"}) {
        double s0 = now_s();
        Reply x = co_await c.channel->command(step, window, request_id(step[0]), "");
        if (x.ok()) {
          step_answer_.add((now_s() - s0) * 1000);
        } else {
          ++call_errors_[std::string(step) + ": " + x.error_code()];
        }
      }
    }
  }

  // ---- the run

  asio::awaitable<void> main() {
    report_["options"] = options_to_json(o_);
    report_["notes"] = plan_.notes;
    for (const auto& n : plan_.notes) progress("note: %s", n.c_str());
    auto bench_start = read_proc(0);

    // The server must answer before anything else.
    {
      HttpChannel ch(io_.get_executor(), o_.server, "");
      Reply health = co_await ch.request("GET", "/api/health", "");
      if (!health.ok()) {
        fail("the server does not answer GET /api/health: " +
             (health.status ? std::to_string(health.status) + " " + health.body : health.transport_error));
        co_return;
      }
      report_["server_health_before"] = json::parse(health.body, nullptr, false);
    }
    if (o_.server_pid > 0 && !read_proc(o_.server_pid)) {
      fail("--server-pid " + std::to_string(o_.server_pid) + ": no such process (cannot read /proc)");
      co_return;
    }

    // Logins, all at once (the server hashes them one after another, ~50 ms each).
    std::map<std::string, std::string> tokens;
    {
      std::vector<std::pair<std::string, std::string>> wanted;
      for (const auto& u : plan_.logins) wanted.emplace_back(u, o_.clerk_password);
      if (plan_.admin_login) wanted.emplace_back(o_.admin_user, o_.admin_password);
      std::size_t running = wanted.size();
      std::string error;
      double t0 = now_s();
      for (const auto& [user, password] : wanted) {
        asio::co_spawn(io_, login(io_.get_executor(), o_.server, user, password, error),
                       [&, user = user](std::exception_ptr, std::optional<std::string> token) {
                         if (token) tokens[user] = *token;
                         --running;
                       });
      }
      co_await wait_until([&] { return running == 0; }, 120);
      if (tokens.size() != wanted.size()) {
        fail(error.empty() ? "logins did not finish" : error);
        co_return;
      }
      if (!wanted.empty()) progress("%zu logins in %.1f s", wanted.size(), now_s() - t0);
    }

    json setup;

    // Clerk connections.
    {
      std::size_t running = plan_.clerks.size();
      std::string error;
      clerks_.resize(plan_.clerks.size());
      for (std::size_t i = 0; i < plan_.clerks.size(); ++i) {
        Clerk& c = clerks_[i];
        c.slot = &plan_.clerks[i];
        c.index = i;
        const std::string& token = tokens[c.slot->admin ? o_.admin_user : c.slot->user];
        asio::co_spawn(io_, open_channel(o_.clerk_transport, token, error),
                       [&, i](std::exception_ptr, std::shared_ptr<CommandChannel> ch) {
                         clerks_[i].channel = std::move(ch);
                         --running;
                       });
      }
      co_await wait_until([&] { return running == 0; }, 60);
      for (auto& c : clerks_) {
        if (!c.channel) {
          fail("a clerk could not connect: " + error);
          co_return;
        }
      }
      std::size_t snapshot_max = 0;
      for (auto& c : clerks_)
        if (auto* ws = dynamic_cast<WsChannel*>(c.channel.get())) snapshot_max = std::max(snapshot_max, ws->snapshot_bytes());
      if (snapshot_max > 0) setup["clerk_snapshot_bytes"] = snapshot_max;
      running = clerks_.size();
      for (auto& c : clerks_)
        asio::co_spawn(io_, free_window(c), [&](std::exception_ptr) { --running; });
      co_await wait_until([&] { return running == 0; }, 60);
    }

    // Kiosk connections (one for the prefill even when --kiosks is 0).
    {
      std::size_t running = plan_.kiosks.size();
      std::string error;
      kiosks_.resize(plan_.kiosks.size());
      for (std::size_t i = 0; i < plan_.kiosks.size(); ++i) {
        asio::co_spawn(io_, open_channel(o_.kiosk_transport, plan_.kiosks[i].token, error, o_.kiosk_events),
                       [&, i](std::exception_ptr, std::shared_ptr<CommandChannel> ch) {
                         kiosks_[i] = std::move(ch);
                         --running;
                       });
      }
      co_await wait_until([&] { return running == 0; }, 60);
      for (auto& k : kiosks_) {
        if (!k) {
          fail("a kiosk could not connect: " + error);
          co_return;
        }
      }
    }
    const std::size_t lanes = o_.kiosk_transport == Transport::ws ? o_.kiosk_pipeline : 1;

    // The day so far: tickets over every service, in turn.
    if (o_.preissue > 0) {
      IssueJob job;
      job.name = "preissue";
      for (std::size_t n = 0; n < o_.preissue; ++n) job.list.push_back(plan_.services[n % plan_.services.size()]);
      job.limit = job.list.size();
      job.deadline_s = 1e18;
      double t0 = now_s();
      if (!co_await issue(job, lanes, 600)) {
        fail("preissue: tickets still unanswered after 600 s");
        co_return;
      }
      progress("preissue: %zu tickets in %.1f s", job.acked, now_s() - t0);
      setup["preissue"] = job_json(job);
    }

    // Tickets for the clerks to call: each window's share, over its services.
    if (!clerks_.empty()) {
      std::size_t per_clerk = 0;
      if (o_.prefill >= 0) {
        per_clerk = (std::size_t(o_.prefill) + clerks_.size() - 1) / clerks_.size();
      } else {
        double calls_each = o_.calls_per_second * o_.duration_s / double(clerks_.size());
        per_clerk = std::size_t(std::ceil(calls_each * 1.5)) + 5;
      }
      IssueJob job;
      job.name = "prefill";
      for (std::size_t n = 0; n < per_clerk; ++n)
        for (const auto& c : clerks_) job.list.push_back(c.slot->services[n % c.slot->services.size()]);
      job.limit = job.list.size();
      job.deadline_s = 1e18;
      double t0 = now_s();
      if (!co_await issue(job, lanes, 600)) {
        fail("prefill: tickets still unanswered after 600 s");
        co_return;
      }
      progress("prefill: %zu tickets for %zu windows in %.1f s", job.acked, clerks_.size(), now_s() - t0);
      setup["prefill"] = job_json(job);
    }
    // Displays connect after the prefill, which they need not watch.
    if (o_.displays > 0) {
      auto before = read_proc(0);
      DisplayFleetOptions fo;
      fo.server = o_.server;
      fo.token = plan_.display_token;
      fo.count = o_.displays;
      fo.threads = o_.display_threads;
      fo.connect_concurrency = o_.connect_concurrency;
      fleet_ = std::make_unique<DisplayFleet>(fo);
      double t0 = now_s();
      fleet_->start();
      double last_print = t0;
      co_await wait_until(
          [&] {
            auto p = fleet_->progress();
            if (now_s() - last_print >= 2) {
              last_print = now_s();
              progress("displays: %zu live, %zu failed, %zu connecting", p.live, p.failed, p.pending);
            }
            return p.pending == 0;
          },
          o_.connect_timeout_s, 0.05);
      auto p = fleet_->progress();
      double took = now_s() - t0;
      auto after = read_proc(0);
      progress("displays: %zu live, %zu failed, %zu still connecting after %.1f s", p.live, p.failed, p.pending, took);
      setup["displays_connect_s"] = round_to(took, 0.01);
      setup["displays_live"] = p.live;
      setup["displays_failed"] = p.failed + p.pending;
      if (before && after && o_.displays > 0)
        setup["bench_kb_per_display"] = round_to(double(after->rss_kb - before->rss_kb) / double(o_.displays), 0.01);
      if (p.live == 0) {
        report_["setup"] = setup;
        fail("no display connected");
        co_return;
      }
    }

    co_await sleep_s(o_.settle_s);
    if (fleet_) {
      auto p = fleet_->progress();
      setup["displays_live_at_start"] = p.live;
      if (p.closed > 0) progress("warning: %zu displays closed during setup", p.closed);
    }
    report_["setup"] = setup;

    // ---- measured phase
    report_["load_average_before"] = load_average();
    auto metrics_before = co_await scrape_metrics();
    server_.sample();
    self_.sample();
    const double start_s = now_s();
    const double deadline_s = start_s + o_.duration_s;
    progress("measuring for %.0f s: %zu displays, %zu clerks at %.1f calls/s, %zu kiosks%s", o_.duration_s,
             o_.displays, clerks_.size(), clerks_.empty() ? 0.0 : o_.calls_per_second, o_.kiosks,
             o_.kiosks == 0 ? "" : (o_.issue_rate > 0 ? " (paced)" : " flat out"));

    clerks_running_ = clerks_.size();
    for (auto& c : clerks_) {
      asio::co_spawn(io_, clerk_loop(c, start_s, deadline_s), [this](std::exception_ptr e) {
        if (e) ++call_errors_["bench exception"];
        --clerks_running_;
      });
    }
    IssueJob kiosk_job;
    kiosk_job.name = "kiosks";
    kiosk_job.limit = o_.kiosks > 0 ? o_.max_tickets : 0;
    kiosk_job.deadline_s = deadline_s;
    kiosk_job.interval_s = o_.issue_rate > 0 ? 1.0 / o_.issue_rate : 0;
    kiosk_job.next_at = start_s;
    bool kiosks_done = o_.kiosks == 0;
    if (!kiosks_done) {
      asio::co_spawn(io_, issue(kiosk_job, lanes, o_.duration_s + 60),
                     [&](std::exception_ptr, bool) { kiosks_done = true; });
    }
    double last_sample = 0, last_print = now_s();
    co_await wait_until(
        [&] {
          double now = now_s();
          if (now - last_sample >= 0.25) {
            last_sample = now;
            server_.sample();
            self_.sample();
          }
          if (now - last_print >= 5) {
            last_print = now;
            progress("%.0f s: %zu calls, %zu tickets", now - start_s, calls_.size(), kiosk_job.acked);
          }
          return clerks_running_ == 0 && kiosks_done;
        },
        o_.duration_s + 120, 0.01);
    const double end_s = now_s();
    server_.sample();
    self_.sample();
    auto metrics_after = co_await scrape_metrics();
    report_["load_average_after"] = load_average();
    if (clerks_running_ != 0 || !kiosks_done) progress("warning: some clerks or kiosks did not finish in time");

    // Displays catch up on the last calls.
    const auto expected = std::uint32_t(calls_.size());
    double drain_took = 0;
    if (fleet_) {
      double t0 = now_s();
      co_await wait_until([&] { return fleet_->caught_up(expected) >= fleet_->progress().live; }, o_.drain_s, 0.01);
      drain_took = now_s() - t0;
      fleet_->stop();
    }
    for (auto& c : clerks_) c.channel->close();
    for (auto& k : kiosks_) k->close();

    // ---- report
    json measured{{"seconds", round_to(end_s - start_s, 0.001)}};
    if (fleet_) {
      auto s = fleet_->summary(expected);
      json d = s.to_json();
      d["drain_s"] = round_to(drain_took, 0.001);
      report_["displays"] = d;
    }
    if (!clerks_.empty()) {
      LatencySamples to_all, to_first, to_mean;
      std::size_t undelivered = 0, partial = 0;
      std::size_t live_start = setup.value("displays_live_at_start", std::size_t(0));
      if (fleet_) {
        for (const auto& c : calls_) {
          auto v = fleet_->delivery(c.ticket);
          if (!v) {
            ++undelivered;
            continue;
          }
          if (v->displays < live_start) ++partial;
          to_all.add((v->last_s - c.sent_s) * 1000);
          to_first.add((v->first_s - c.sent_s) * 1000);
          to_mean.add((v->sum_s / v->displays - c.sent_s) * 1000);
        }
      }
      double span = end_s - start_s;
      report_["calls"] = {{"made", calls_.size()},
                          {"per_second", round_to(double(calls_.size()) / span, 0.01)},
                          {"queue_empty", queue_empty_},
                          {"errors", call_errors_},
                          {"answer_ms", call_answer_.to_json()},
                          {"start_complete_answer_ms", step_answer_.to_json()},
                          {"to_all_displays_ms", to_all.to_json()},
                          {"to_first_display_ms", to_first.to_json()},
                          {"to_average_display_ms", to_mean.to_json()},
                          {"reached_no_display", undelivered},
                          {"missed_by_some_display", partial}};
    }
    if (o_.kiosks > 0) {
      json k = job_json(kiosk_job);
      std::uint64_t events = 0;
      for (auto& ch : kiosks_)
        if (auto* ws = dynamic_cast<WsChannel*>(ch.get())) events += ws->events_received();
      k["events_received_by_kiosk_connections"] = events;
      k["per_second_over_duration"] = std::round(double(kiosk_job.acked) / o_.duration_s);
      report_["kiosks"] = k;
    }
    json server;
    if (o_.server_pid > 0) server["process"] = server_.to_json();
    auto delta = [&](const char* name) { return metric_delta(metrics_before, metrics_after, name); };
    if (!metrics_before.empty() && !metrics_after.empty()) {
      json m;
      for (const char* name : {"hallq_commands_ok_total", "hallq_commands_rejected_total", "hallq_tickets_issued_total",
                               "hallq_events_committed_total", "hallq_commits_total", "hallq_rate_limited_total",
                               "hallq_busy_total", "hallq_websocket_messages_sent_total", "hallq_websocket_writes_total",
                               "hallq_websocket_closed_slow_total", "hallq_websocket_snapshots_replaced_total"})
        m[name] = delta(name);
      double commits = delta("hallq_commits_total");
      if (commits > 0) {
        m["events_per_commit"] = round_to(delta("hallq_events_committed_total") / commits, 0.01);
        m["commands_per_commit"] =
            round_to((delta("hallq_commands_ok_total") + delta("hallq_commands_rejected_total")) / commits, 0.01);
        m["commit_mean_ms"] =
            round_to(1000 * delta("hallq_commit_seconds_sum") / delta("hallq_commit_seconds_count"), 0.001);
        m["commits_per_second"] = std::round(commits / (end_s - start_s));
      }
      // Slow commits (a disk flush stall, a WAL checkpoint) explain latency tails: keep the histogram.
      json buckets = json::object();
      for (const auto& [name, value] : metrics_after) {
        if (name.rfind("hallq_commit_seconds_bucket", 0) != 0) continue;
        auto le = name.find("le=\"");
        if (le != std::string::npos) buckets[name.substr(le + 4, name.size() - le - 6)] = delta(name.c_str());
      }
      m["commit_seconds_cumulative"] = buckets;
      double commands = delta("hallq_command_seconds_count");
      if (commands > 0) m["command_mean_ms"] = round_to(1000 * delta("hallq_command_seconds_sum") / commands, 0.001);
      m["websocket_connections_at_end"] = metrics_after.count("hallq_websocket_connections")
                                              ? metrics_after["hallq_websocket_connections"]
                                              : 0.0;
      server["metrics_delta"] = m;
    }
    report_["server"] = server;
    json bench = self_.to_json();
    if (bench_start && !bench.is_null()) bench["rss_kb_before_setup"] = bench_start->rss_kb;
    report_["bench_process"] = bench;
    // Kiosks alone: CPU per ticket, steadier than tickets per second on a machine the bench
    // shares with the server (it does not depend on how the two cores were shared in a run).
    const double issued = server.contains("metrics_delta") ? server["metrics_delta"].value("hallq_tickets_issued_total", 0.0) : 0.0;
    if (report_.contains("kiosks") && o_.displays == 0 && o_.clerks == 0 && issued > 0) {
      json per = json::object();
      if (server.contains("process") && server["process"].is_object())
        per["server"] = round_to(server["process"].value("cpu_seconds", 0.0) * 1e6 / issued, 0.1);
      if (bench.is_object()) per["bench"] = round_to(bench.value("cpu_seconds", 0.0) * 1e6 / issued, 0.1);
      report_["kiosks"]["cpu_us_per_ticket"] = per;
    }
    report_["measured"] = measured;
    co_return;
  }

  asio::awaitable<std::map<std::string, double>> scrape_metrics() {
    HttpChannel ch(io_.get_executor(), o_.server, "");
    Reply r = co_await ch.request("GET", "/metrics", "");
    ch.close();
    if (!r.ok()) co_return std::map<std::string, double>{};
    co_return parse_metrics(r.body);
  }

  const Options& o_;
  const Plan& plan_;
  asio::io_context io_{1};
  json report_;
  ProcWatch server_;
  ProcWatch self_;
  std::unique_ptr<DisplayFleet> fleet_;
  std::vector<Clerk> clerks_;
  std::vector<std::shared_ptr<CommandChannel>> kiosks_;
  std::size_t clerks_running_ = 0;
  std::uint64_t requests_ = 0;
  // Clerks' results.
  std::vector<CallRecord> calls_;
  std::size_t queue_empty_ = 0;
  std::map<std::string, std::size_t> call_errors_;
  LatencySamples call_answer_;
  LatencySamples step_answer_;
};

std::string fmt(const char* f, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, f, args...);
  return buf;
}

std::string latency_line(const json& j) {
  if (!j.is_object() || j.value("count", 0) == 0) return "no samples";
  return fmt("p50 %.2f  p99 %.2f  max %.2f ms  (n=%zu)", j.value("p50", 0.0), j.value("p99", 0.0),
             j.value("max", 0.0), j.value("count", std::size_t(0)));
}

std::string map_line(const json& j) {
  if (!j.is_object() || j.empty()) return "none";
  std::string s;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!s.empty()) s += ", ";
    s += it.key() + " " + it.value().dump();
  }
  return s;
}

}  // namespace

json run_bench(const Options& options, const Plan& plan) {
  Run run(options, plan);
  return run.run();
}

std::string format_report(const json& r) {
  std::string out;
  auto line = [&](const std::string& s) { out += s + "\n"; };
  if (r.contains("error")) line("ERROR: " + r["error"].get<std::string>());
  if (r.contains("notes"))
    for (const auto& n : r["notes"]) line("note: " + n.get<std::string>());
  if (r.contains("measured"))
    line(fmt("measured phase   %.1f s (load average %.2f before, %.2f after)", r["measured"].value("seconds", 0.0),
             r.value("load_average_before", 0.0), r.value("load_average_after", 0.0)));
  if (r.contains("setup")) {
    const json& s = r["setup"];
    if (s.contains("displays_connect_s"))
      line(fmt("displays         %zu connected in %.1f s (%zu failed), bench %.1f KB per display",
               s.value("displays_live", std::size_t(0)), s.value("displays_connect_s", 0.0),
               s.value("displays_failed", std::size_t(0)), s.value("bench_kb_per_display", 0.0)));
    if (s.contains("preissue"))
      line(fmt("preissue         %zu tickets, %.0f/s", s["preissue"].value("acknowledged", std::size_t(0)),
               s["preissue"].value("per_second", 0.0)));
    if (s.contains("clerk_snapshot_bytes"))
      line(fmt("clerk snapshot   %zu bytes", s.value("clerk_snapshot_bytes", std::size_t(0))));
    if (s.contains("prefill"))
      line(fmt("prefill          %zu tickets", s["prefill"].value("acknowledged", std::size_t(0))));
  }
  if (r.contains("displays")) {
    const json& d = r["displays"];
    line(fmt("displays         %zu live at end, %zu left behind, %zu closed early, %zu seq gaps, %zu resynced",
             d.value("live_at_end", std::size_t(0)), d.value("left_behind", std::size_t(0)),
             d.value("closed_early", std::size_t(0)), d.value("with_seq_gaps", std::size_t(0)),
             d.value("resynced", std::size_t(0))));
    if (d.value("scan_mismatches", 0) != 0) line("  SCANNER MISMATCHES: " + d["scan_mismatches"].dump());
    if (!d["errors"].empty()) line("  errors: " + map_line(d["errors"]));
  }
  if (r.contains("calls")) {
    const json& c = r["calls"];
    line(fmt("calls            %zu made (%.2f/s), %zu found the queue empty", c.value("made", std::size_t(0)),
             c.value("per_second", 0.0), c.value("queue_empty", std::size_t(0))));
    line("  call -> all displays   " + latency_line(c["to_all_displays_ms"]));
    line("  call -> first display  " + latency_line(c["to_first_display_ms"]));
    line("  call-next answer       " + latency_line(c["answer_ms"]));
    line("  start/complete answer  " + latency_line(c["start_complete_answer_ms"]));
    line(fmt("  reached no display %zu, missed by some display %zu", c.value("reached_no_display", std::size_t(0)),
             c.value("missed_by_some_display", std::size_t(0))));
    if (!c["errors"].empty()) line("  errors: " + map_line(c["errors"]));
  }
  if (r.contains("kiosks")) {
    const json& k = r["kiosks"];
    line(fmt("tickets          %zu acknowledged, %.0f/s (first send to last answer), %.0f/s over the duration",
             k.value("acknowledged", std::size_t(0)), k.value("per_second", 0.0),
             k.value("per_second_over_duration", 0.0)));
    line("  issue answer           " + latency_line(k["latency_ms"]));
    if (k.contains("cpu_us_per_ticket"))
      line(fmt("  CPU per ticket         server %.1f us, bench %.1f us", k["cpu_us_per_ticket"].value("server", 0.0),
               k["cpu_us_per_ticket"].value("bench", 0.0)));
    if (!k["errors"].empty()) line("  errors: " + map_line(k["errors"]));
  }
  if (r.contains("server")) {
    const json& s = r["server"];
    if (s.contains("process") && s["process"].is_object()) {
      const json& p = s["process"];
      line(fmt("server process   CPU %.1f%% of one core, VmRSS %.1f MB at end (max sampled %.1f MB), VmHWM %.1f MB",
               p.value("cpu_percent", 0.0), p.value("rss_kb_end", 0) / 1024.0, p.value("rss_kb_max_sampled", 0) / 1024.0,
               p.value("hwm_kb", 0) / 1024.0));
    }
    if (s.contains("metrics_delta")) {
      const json& m = s["metrics_delta"];
      line(fmt("server metrics   %.0f commits (%.0f/s, mean %.3f ms), %.2f commands and %.2f events per commit",
               m.value("hallq_commits_total", 0.0), m.value("commits_per_second", 0.0), m.value("commit_mean_ms", 0.0),
               m.value("commands_per_commit", 0.0), m.value("events_per_commit", 0.0)));
      line(fmt("                 %.0f WebSocket messages sent, %.0f clients closed as slow, %.0f rate limited, %.0f busy",
               m.value("hallq_websocket_messages_sent_total", 0.0), m.value("hallq_websocket_closed_slow_total", 0.0),
               m.value("hallq_rate_limited_total", 0.0), m.value("hallq_busy_total", 0.0)));
    }
  }
  if (r.contains("bench_process") && r["bench_process"].is_object()) {
    const json& b = r["bench_process"];
    line(fmt("bench process    CPU %.1f%% of one core, VmRSS %.1f MB", b.value("cpu_percent", 0.0),
             b.value("rss_kb_end", 0) / 1024.0));
  }
  return out;
}

}  // namespace hallq::bench
