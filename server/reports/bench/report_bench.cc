// hallq-report-bench: writes a year of hall traffic into a real journal through the Journal API
// (one transaction per business day), then times (a) building the report projection from
// scratch, (b) full-year summaries by service and by window, (c) a one-day report, and checks
// that the year's figures add up to what was generated. A program to run by hand, not a test.
//
//   hallq-report-bench [--dir DIR] [--days 250] [--per-day 4100] [--config sample-county.json]
//                      [--reuse]   (keep DIR's journal if it has the same shape)
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "hallq/hall_config.h"
#include "hallq/reports/projection.h"
#include "hallq/reports/report.h"
#include "hallq/storage/journal.h"

using namespace hallq;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct Args {
  std::string dir = "/tmp/hallq-report-bench";
  int days = 250;
  int per_day = 4100;
  std::string config = std::string(HALLQ_ASSETS_DIR) + "/halls/sample-county.json";
  bool reuse = false;
};

std::string day_string(int days_since_epoch) {
  using namespace std::chrono;
  year_month_day ymd{sys_days{days{days_since_epoch}}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day()));
  return buf;
}

struct Totals {
  std::int64_t tickets = 0, done = 0, no_show = 0, cancelled = 0, expired = 0, transfers = 0, rated = 0,
               satisfied = 0, wait_alerts = 0, service_alerts = 0, idle_alerts = 0, events = 0;
};

// One business day of a busy county hall: arrivals with a morning and an early-afternoon peak.
void generate(storage::Journal& journal, const HallConfig& c, const Args& a, Totals& totals) {
  std::mt19937_64 rng(2026);
  std::uniform_real_distribution<double> u(0, 1);
  std::exponential_distribution<double> wait_min(1.0 / 11.0), service_min(1.0 / 7.0);
  // Windows per service, and a clerk per window.
  std::map<std::string, std::vector<int>> windows_of;
  for (const auto& w : c.windows)
    for (const auto& s : w.services) windows_of[s].push_back(w.number);
  std::map<int, std::string> clerk_of;
  for (const auto& w : c.windows) clerk_of[w.number] = "clerk" + std::to_string(w.number);
  for (const auto& user : c.users)
    for (int w : user.windows) clerk_of[w] = user.name;
  std::vector<double> weight;
  for (std::size_t i = 0; i < c.services.size(); ++i) weight.push_back(1.0 + double((i * 7) % 5));
  std::discrete_distribution<std::size_t> pick_service(weight.begin(), weight.end());

  const int first = *reports::day_number("2026-01-01");
  std::uint64_t seq = 0;
  std::int64_t id = 0;
  int day = first;
  for (int made = 0; made < a.days; ++day) {
    int weekday = (day + 4) % 7;  // 1970-01-01 was a Thursday: 0 = Sunday
    if (weekday == 0 || weekday == 6) continue;
    ++made;
    const std::string bday = day_string(day);
    const TimeMs midnight = TimeMs(day) * 86'400'000 - 8 * 3'600'000;  // local +08:00
    std::vector<storage::Batch> batches;
    auto emit = [&](Event e) {
      e.seq = ++seq;
      storage::Batch b;
      b.events.push_back(std::move(e));
      batches.push_back(std::move(b));
      ++totals.events;
    };
    Event roll;
    roll.type = EventType::day_rolled_over;
    roll.at = midnight;
    roll.business_day = bday;
    roll.actor = "system";
    emit(roll);
    std::map<std::string, int> numbers;
    for (int i = 0; i < a.per_day; ++i) {
      // 08:30-12:00 and 13:30-17:30, denser after opening and after lunch.
      double x = u(rng);
      bool morning = u(rng) < 0.58;
      double minute = morning ? 510 + 210 * std::pow(x, 1.6) : 810 + 240 * std::pow(x, 1.8);
      TimeMs issued = midnight + TimeMs(minute * 60'000);
      const ServiceConfig& s = c.services[pick_service(rng)];
      auto& ws = windows_of[s.code];
      int window = ws[std::size_t(u(rng) * double(ws.size())) % ws.size()];
      const std::string& clerk = clerk_of[window];
      Ticket t;
      t.id = "b" + std::to_string(++id);
      char num[16];
      std::snprintf(num, sizeof num, "%s%04d", s.code.c_str(), ++numbers[s.code]);
      t.number = num;
      t.service = t.origin_service = s.code;
      t.business_day = bday;
      t.issued_at = t.queued_at = issued;
      t.issued_by = "kiosk-1";
      t.history.push_back(TicketTransition{TicketStep::issued, issued, 0, "", "", ""});
      ++totals.tickets;
      auto event = [&](EventType type, TimeMs at, const std::string& actor) {
        Event e;
        e.type = type;
        e.at = at;
        e.ticket = t;
        e.actor = actor;
        emit(std::move(e));
      };
      event(EventType::ticket_issued, issued, "kiosk-1");
      double fate = u(rng);
      TimeMs waited = TimeMs(wait_min(rng) * 60'000) + 20'000;
      if (fate < 0.02) {  // cancelled while waiting
        t.state = TicketState::cancelled;
        t.finished_at = issued + waited / 2;
        t.history.push_back(TicketTransition{TicketStep::cancelled, *t.finished_at, 0, "", "", ""});
        event(EventType::ticket_cancelled, *t.finished_at, "admin");
        ++totals.cancelled;
        continue;
      }
      if (fate < 0.03) {  // still waiting at closing: expires at the rollover
        t.state = TicketState::cancelled;
        t.finished_at = midnight + 86'400'000;
        t.history.push_back(TicketTransition{TicketStep::expired, *t.finished_at, 0, "", "", ""});
        event(EventType::ticket_expired, *t.finished_at, "system");
        ++totals.expired;
        continue;
      }
      TimeMs now = issued + waited;
      if (waited > TimeMs(s.wait_limit_min) * 60'000) {
        Event e;
        e.type = EventType::alert_raised;
        e.at = issued + TimeMs(s.wait_limit_min) * 60'000;
        e.actor = "system";
        e.alert = Alert{"W-" + t.id, AlertKind::wait, s.code, 0, t.id, t.number, issued,
                        std::int64_t(s.wait_limit_min) * 60, e.at, std::nullopt};
        emit(std::move(e));
        ++totals.wait_alerts;
      }
      t.state = TicketState::called;
      t.called_at = now;
      t.window = window;
      t.clerk = clerk;
      t.history.push_back(TicketTransition{TicketStep::called, now, window, clerk, "", ""});
      event(EventType::ticket_called, now, clerk);
      if (fate < 0.08) {
        now += 120'000;
        t.state = TicketState::no_show;
        t.finished_at = now;
        t.history.push_back(TicketTransition{TicketStep::no_show, now, window, clerk, "", ""});
        event(EventType::ticket_no_show, now, clerk);
        ++totals.no_show;
        continue;
      }
      now += 30'000;
      t.state = TicketState::serving;
      t.started_at = now;
      t.history.push_back(TicketTransition{TicketStep::started, now, window, clerk, "", ""});
      event(EventType::service_started, now, clerk);
      if (fate < 0.11 && s.code != "A") {  // sent on to the general counter, served there
        now += 180'000;
        t.state = TicketState::waiting;
        t.service = "A";
        t.window = 0;
        t.history.push_back(TicketTransition{TicketStep::transferred, now, window, clerk, "A", ""});
        event(EventType::ticket_transferred, now, clerk);
        ++totals.transfers;
        window = windows_of["A"][std::size_t(u(rng) * 3) % windows_of["A"].size()];
        now += 300'000;
        t.state = TicketState::called;
        t.window = window;
        t.clerk = clerk_of[window];
        t.history.push_back(TicketTransition{TicketStep::called, now, window, t.clerk, "", ""});
        event(EventType::ticket_called, now, t.clerk);
        now += 30'000;
        t.state = TicketState::serving;
        t.started_at = now;
        t.history.push_back(TicketTransition{TicketStep::started, now, window, t.clerk, "", ""});
        event(EventType::service_started, now, t.clerk);
      }
      TimeMs served = TimeMs(service_min(rng) * 60'000) + 60'000;
      const ServiceConfig& final_service = *c.service(t.service);
      if (served > TimeMs(final_service.service_limit_min) * 60'000) {
        Event e;
        e.type = EventType::alert_raised;
        e.at = now + TimeMs(final_service.service_limit_min) * 60'000;
        e.actor = "system";
        e.alert = Alert{"S-" + t.id, AlertKind::service, t.service, window, t.id, t.number, now,
                        std::int64_t(final_service.service_limit_min) * 60, e.at, std::nullopt};
        emit(std::move(e));
        ++totals.service_alerts;
      }
      now += served;
      t.state = TicketState::done;
      t.finished_at = now;
      t.history.push_back(TicketTransition{TicketStep::completed, now, window, t.clerk, "", ""});
      event(EventType::service_completed, now, t.clerk);
      ++totals.done;
      if (u(rng) < 0.6) {
        double r = u(rng);
        int level = r < 0.80 ? 5 : r < 0.93 ? 4 : r < 0.97 ? 3 : r < 0.99 ? 2 : 1;
        t.rating = Rating{level, now + 30'000, RatingVia::evaluator};
        event(EventType::ticket_rated, now + 30'000, "eval-" + std::to_string(window));
        ++totals.rated;
        totals.satisfied += level >= 4;
      }
    }
    // Two idle spells a day at the quietest window.
    for (int k = 0; k < 2; ++k) {
      Event e;
      e.type = EventType::alert_raised;
      e.at = midnight + (12 + k * 3) * 3'600'000;
      e.actor = "system";
      e.alert = Alert{"I-27-" + std::to_string(e.at), AlertKind::idle, "", 27, "", "", e.at - 1'800'000, 1800,
                      e.at, std::nullopt};
      emit(std::move(e));
      ++totals.idle_alerts;
    }
    // Events in time order within the day, seq renumbered to match.
    std::stable_sort(batches.begin() + 1, batches.end(),
                     [](const storage::Batch& x, const storage::Batch& y) { return x.events[0].at < y.events[0].at; });
    std::uint64_t s0 = batches.front().events[0].seq;
    for (std::size_t i = 0; i < batches.size(); ++i) batches[i].events[0].seq = s0 + i;
    if (auto st = journal.commit(batches); !st) {
      std::cerr << "commit " << bday << ": " << st.error().message << "\n";
      std::exit(1);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << k << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (k == "--dir") a.dir = next();
    else if (k == "--days") a.days = std::stoi(next());
    else if (k == "--per-day") a.per_day = std::stoi(next());
    else if (k == "--config") a.config = next();
    else if (k == "--reuse") a.reuse = true;
    else {
      std::cerr << "usage: hallq-report-bench [--dir DIR] [--days N] [--per-day N] [--config FILE] [--reuse]\n";
      return 2;
    }
  }
  auto config = load_hall_config(a.config);
  if (!config) {
    std::cerr << a.config << ": " << config.error().message << "\n";
    return 1;
  }
  std::filesystem::create_directories(a.dir);
  const std::string journal_path = a.dir + "/hallq.sqlite";
  const std::string side = reports::projection_path_for(journal_path);
  Totals totals;
  if (!a.reuse || !std::filesystem::exists(journal_path)) {
    for (const auto& f : {journal_path, side})
      for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(f + suffix);
    auto journal = storage::Journal::open(journal_path);
    if (!journal) {
      std::cerr << journal.error().message << "\n";
      return 1;
    }
    auto t0 = Clock::now();
    generate(**journal, *config, a, totals);
    std::printf("generated %d business days, %lld tickets, %lld events in %.1f s (journal %.0f MB)\n", a.days,
                (long long)totals.tickets, (long long)totals.events, since(t0),
                double(std::filesystem::file_size(journal_path)) / 1e6);
  } else {
    std::printf("reusing %s (figures not re-checked)\n", journal_path.c_str());
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(side + suffix);

  auto t0 = Clock::now();
  auto p = reports::Projection::open(journal_path, side);
  if (!p) {
    std::cerr << p.error().message << "\n";
    return 1;
  }
  auto seq = (*p)->catch_up();
  if (!seq) {
    std::cerr << seq.error().message << "\n";
    return 1;
  }
  std::printf("(a) projection built from scratch: %.1f s for %llu events (side file %.0f MB)\n", since(t0),
              (unsigned long long)*seq, double(std::filesystem::file_size(side)) / 1e6);

  const reports::DayRange year{"2026-01-01", "2026-12-31"};
  auto time_summary = [&](const char* what, const reports::DayRange& range, reports::GroupBy by) {
    std::vector<double> runs;
    reports::Summary last;
    for (int i = 0; i < 5; ++i) {
      auto t = Clock::now();
      auto catch_up = (*p)->catch_up();  // as the server does before every report
      auto s = (*p)->summary(range, by, *config);
      auto j = reports::to_json(*s, *config).dump();
      runs.push_back(since(t));
      if (!catch_up || !s) {
        std::cerr << "summary failed\n";
        std::exit(1);
      }
      last = std::move(*s);
    }
    std::sort(runs.begin(), runs.end());
    std::printf("%s: %zu groups, %lld visits done; best %.3f s, median %.3f s, worst %.3f s\n", what,
                last.groups.size(), (long long)last.total.done, runs.front(), runs[2], runs.back());
    return last;
  };
  auto by_service = time_summary("(b) full year by service", year, reports::GroupBy::service);
  time_summary("(b) full year by window ", year, reports::GroupBy::window);
  time_summary("(b) full year by clerk  ", year, reports::GroupBy::clerk);
  time_summary("(c) one day by service  ", {"2026-06-15", "2026-06-15"}, reports::GroupBy::service);
  const auto& t = by_service.total;
  std::printf("year: done %lld, no-show %lld, cancelled %lld, expired %lld, transfers %lld, rated %lld, "
              "satisfaction %.2f%%, overdue wait/service/idle %lld/%lld/%lld; wait p50 %.0f s p90 %.0f s; "
              "service p50 %.0f s p90 %.0f s\n",
              (long long)t.done, (long long)t.no_show, (long long)t.cancelled, (long long)t.expired,
              (long long)t.transfers, (long long)t.rated(), t.satisfaction().value_or(0) * 100,
              (long long)t.overdue_wait, (long long)t.overdue_service, (long long)t.overdue_idle, t.wait.p50_ms / 1000.0,
              t.wait.p90_ms / 1000.0, t.service.p50_ms / 1000.0, t.service.p90_ms / 1000.0);
  if (totals.tickets) {
    bool same = t.done == totals.done && t.no_show == totals.no_show && t.cancelled == totals.cancelled &&
                t.expired == totals.expired && t.transfers == totals.transfers && t.rated() == totals.rated &&
                t.overdue_wait == totals.wait_alerts && t.overdue_service == totals.service_alerts &&
                t.overdue_idle == totals.idle_alerts &&
                t.ratings[3] + t.ratings[4] == totals.satisfied;
    std::printf("figures match the generator's own counts: %s\n", same ? "yes" : "NO");
    if (!same) return 1;
  }
  return 0;
}
