#include "hallq/sim/simulator.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <ostream>
#include <queue>
#include <set>
#include <thread>
#include <unordered_map>

#include "hallq/client/client.h"

namespace hallq::sim {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

int parse_hhmm(const std::string& s) {
  if (s.size() != 5 || s[2] != ':') return -1;
  for (int i : {0, 1, 3, 4})
    if (s[std::size_t(i)] < '0' || s[std::size_t(i)] > '9') return -1;
  int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > 24 || m > 59 || (h == 24 && m != 0)) return -1;
  return h * 60 + m;
}

namespace {
std::string date_text(std::chrono::year_month_day ymd) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day()));
  return buf;
}
}  // namespace

std::string local_date_now(int utc_offset_min) {
  using namespace std::chrono;
  auto local = system_clock::now() + minutes(utc_offset_min);
  return date_text(year_month_day{floor<days>(local)});
}

std::string working_day_from(const std::string& date, const Rules& rules) {
  using namespace std::chrono;
  int y = 0;
  unsigned m = 0, d = 0;
  if (std::sscanf(date.c_str(), "%d-%u-%u", &y, &m, &d) != 3) return date;
  sys_days day = year_month_day{year{y}, month{m}, std::chrono::day{d}};
  for (int i = 0; i < 60; ++i, day += days{1}) {
    const std::string text = date_text(year_month_day{day});
    if (!day_off(rules, text)) return text;
  }
  return date;
}

namespace {

struct Worker {
  Worker(const std::string& host, std::uint16_t port) : http(host, port, std::chrono::seconds(10)) {}
  client::HttpClient http;
};

// One planned visit as it happens: the plan plus what the server told us.
struct VisitRun {
  const Visit* plan = nullptr;
  std::string code;          // appointment code, once booked
};

struct WindowAgent {
  int number = 0;
  std::string user;             // the clerk (or admin) working it
  std::string token;
  std::string evaluator_token;  // "" = no evaluator: the visitor rates on the ticket page
  std::vector<std::string> services;
  // Guarded by Day::mu_: an idle window waits for a wake-up or its fallback poll; `gen` makes
  // sure only one chain of actions per window is ever scheduled.
  bool idle = false;
  std::uint64_t gen = 0;
  // Touched only by the window's own chain (one task at a time).
  std::string ticket;
  std::string ticket_service;
  VisitRun* visit = nullptr;
  bool second_leg = false;
};

class Day {
 public:
  Day(const HallConfig& hall, const SimOptions& o) : hall_(hall), o_(o) {}

  DayResult run() {
    DayResult result;
    auto wall0 = SteadyClock::now();
    if (!(o_.time_scale >= 1)) return fail(result, "--time-scale must be at least 1");
    Worker main(o_.host, o_.port);
    if (!sync_clock(main, result)) return result;
    if (!staff(main, result)) return result;
    // Logins take real time (Argon2id): at 200x, 300 of them are a hall hour. Plan from now.
    if (!sync_clock(main, result)) return result;

    PlanOptions plan = o_.plan;
    plan.from_min = from_min_;
    plan.until_min = o_.until_min;
    if (plan.until_min <= plan.from_min + 1)
      return fail(result, "the hall clock is at " + hhmm(from_min_) + ", after --until " + hhmm(o_.until_min) +
                              ": start the server earlier (--start-time) or pick a later --until");
    Staffing staffing;
    for (const auto& w : windows_) staffing.windows.push_back(w.number);
    visits_ = plan_day(hall_, staffing, plan);
    runs_.resize(visits_.size());
    for (std::size_t i = 0; i < visits_.size(); ++i) runs_[i].plan = &visits_[i];
    result.stats.visits_planned = long(visits_.size());
    book_appointments(main, result);

    for (auto& r : runs_)
      if (!r.plan->appointment || (!r.code.empty() && !r.plan->absent)) arrivals_.push_back(&r);
    log("plan: %zu arrivals (%zu windows staffed, %s..%s, seed %llu)", arrivals_.size(), windows_.size(),
        hhmm(from_min_).c_str(), hhmm(o_.until_min).c_str(), (unsigned long long)o_.plan.seed);
    arrivals_left_ = long(arrivals_.size());

    if (!arrivals_.empty()) schedule(at_local(arrivals_[0]->plan->arrival_min), [this](Worker& w) { arrive(w, 0); });
    for (auto& w : windows_) {
      WindowAgent* a = &w;
      schedule(h0_, [this, a](Worker& wk) { call_next(wk, *a, 0); });
    }
    check_finished();

    int n = o_.workers > 0 ? o_.workers : std::min<int>(48, 4 + int(windows_.size()) / 8);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) threads.emplace_back([this] { work(); });
    // The day must drain: arrivals stop at --until and every ticket is then served. A stuck
    // day (a window that never gets its ticket back) stops at twelve hall hours after --until.
    const TimeMs give_up = at_local(o_.until_min + 12 * 60);
    {
      std::unique_lock lock(mu_);
      while (!finished_) {
        cv_.wait_for(lock, std::chrono::milliseconds(200));
        if (!finished_ && hall_now() > give_up) {
          stuck_ = true;
          finished_ = true;
        }
        if (progress_due()) print_progress(lock);
      }
    }
    cv_.notify_all();
    for (auto& t : threads) t.join();
    if (stuck_) result.error = "the day did not drain: " + std::to_string(open_visits_.load()) + " visits still open";

    // Absent appointments are marked missed by the server's timer at slot + late limit.
    if (missed_deadline_ > 0) {
      while (hall_now() < missed_deadline_) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    gather(main, result);
    result.tally = tally_;
    result.comparison = compare(result.tally, result.server);
    result.stats.turned_away = turned_away_;
    result.stats.commands = commands_;
    result.stats.retries = retries_;
    result.stats.unexpected = unexpected_;
    result.stats.max_late_s = double(max_late_ms_) / 1000.0;
    result.stats.business_day = business_day_;
    result.stats.wall_s = std::chrono::duration<double>(SteadyClock::now() - wall0).count();
    return result;
  }

 private:
  // ---- setup -------------------------------------------------------------------------------

  static DayResult& fail(DayResult& r, std::string why) {
    r.error = std::move(why);
    return r;
  }

  static std::string hhmm(int m) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d:%02d", (m / 60) % 100, m % 60);
    return buf;
  }

  bool sync_clock(Worker& w, DayResult& result) {
    auto before = SteadyClock::now();
    auto r = w.http.get("/api/health");
    auto after = SteadyClock::now();
    json j = r.json();
    if (r.status != 200 || !j.contains("now")) {
      fail(result, "cannot reach hallq-server at " + o_.host + ":" + std::to_string(o_.port) + ": " +
                       (r.status == 0 ? r.error : r.body));
      return false;
    }
    h0_ = j["now"].get<TimeMs>();
    s0_ = before + (after - before) / 2;
    business_day_ = j.value("business_day", "");
    const TimeMs offset = TimeMs(hall_.rules.utc_offset_min) * 60'000;
    const TimeMs local = h0_ + offset;
    const TimeMs midnight_local = local - ((local % 86'400'000) + 86'400'000) % 86'400'000;
    midnight_utc_ = midnight_local - offset;
    from_min_ = int((local - midnight_local) / 60'000) + 1;
    run_tag_ = "s" + std::to_string(h0_ % 100'000'000) + "-";
    return true;
  }

  bool staff(Worker& w, DayResult& result) {
    std::map<std::string, int> load;  // windows given to each clerk
    std::map<std::string, std::string> tokens;
    std::vector<const WindowConfig*> chosen;
    for (const auto& wc : hall_.windows) {
      if (o_.windows > 0 && int(chosen.size()) >= o_.windows) break;
      chosen.push_back(&wc);
    }
    for (const WindowConfig* wc : chosen) {
      WindowAgent a;
      a.number = wc->number;
      a.services = wc->services;
      // The clerk who may work here with the fewest windows so far; the admin otherwise.
      const UserConfig* best = nullptr;
      for (const auto& u : hall_.users)
        if (u.role == Role::clerk && std::find(u.windows.begin(), u.windows.end(), wc->number) != u.windows.end())
          if (!best || load[u.name] < load[best->name]) best = &u;
      a.user = best ? best->name : o_.admin_user;
      load[a.user]++;
      for (const auto& d : hall_.devices)
        if (d.kind == DeviceKind::evaluator && d.window == wc->number) a.evaluator_token = d.token;
      windows_.push_back(std::move(a));
    }
    if (windows_.empty()) {
      fail(result, "the hall has no windows to staff");
      return false;
    }
    std::mutex failed_mu;
    std::string failed;
    auto login = [&](client::HttpClient& http, const std::string& user, const std::string& password) -> std::string {
      for (int attempt = 0; attempt < 600; ++attempt) {
        auto r = http.post("/api/login", json{{"user", user}, {"password", password}});
        if (r.status == 200) return r.json().value("token", "");
        if (r.status != 429 && r.status != 503 && r.status != 0) {
          std::lock_guard lock(failed_mu);
          failed = "login as " + user + " failed: " + std::to_string(r.status) + " " + r.body;
          return "";
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      std::lock_guard lock(failed_mu);
      failed = "login as " + user + " kept being refused (rate limit)";
      return "";
    };
    admin_token_ = login(w.http, o_.admin_user, o_.admin_password);
    if (admin_token_.empty()) return fail(result, failed), false;
    tokens[o_.admin_user] = admin_token_;
    std::vector<std::string> users;
    for (const auto& a : windows_)
      if (!tokens.count(a.user) && std::find(users.begin(), users.end(), a.user) == users.end()) users.push_back(a.user);
    // Each login costs the server an Argon2id check: a few in parallel, not one at a time.
    std::vector<std::string> got(users.size());
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> pool;
    for (std::size_t t = 0; t < std::min<std::size_t>(4, users.size()); ++t)
      pool.emplace_back([&] {
        client::HttpClient http(o_.host, o_.port, std::chrono::seconds(30));
        for (std::size_t i; (i = next.fetch_add(1)) < users.size();) got[i] = login(http, users[i], o_.clerk_password);
      });
    for (auto& t : pool) t.join();
    if (!failed.empty()) return fail(result, failed), false;
    for (std::size_t i = 0; i < users.size(); ++i) tokens[users[i]] = got[i];
    for (auto& a : windows_) {
      a.token = tokens[a.user];
      for (const auto& s : a.services) by_service_[s].push_back(&a);
    }
    for (const auto& d : hall_.devices)
      if (d.kind == DeviceKind::kiosk) kiosks_.push_back(&d);
    return true;
  }

  void book_appointments(Worker& w, DayResult& result) {
    std::set<std::string> services;
    for (const auto& v : visits_)
      if (v.appointment) services.insert(v.service);
    if (services.empty()) {
      result.stats.appointments_note = o_.plan.appointments ? "no service of this hall takes appointments"
                                                            : "appointments off (--no-appointments)";
      return;
    }
    auto probe = w.http.get("/api/appointments/slots?service=" + *services.begin() + "&date=" + business_day_,
                            admin_token_);
    if (probe.status == 404) {
      result.stats.appointments_note = "skipped: the server answers 404 on /api/appointments/slots";
      log("appointments %s", result.stats.appointments_note.c_str());
      return;
    }
    if (json p = probe.json(); p.value("closed", false)) {
      // A weekend or a holiday: the hall books no slots that day (rules.workdays, holidays,
      // extra_workdays).
      result.stats.appointments_note = "none: the hall is closed for appointments on " + business_day_ + " (" +
                                       p.value("reason", std::string()) + ")";
      log("appointments %s", result.stats.appointments_note.c_str());
      return;
    }
    tally_.appointments = AppointmentTally{};
    for (auto& r : runs_) {
      if (!r.plan->appointment) continue;
      json body{{"request_id", rid()}, {"service", r.plan->service},
                {"slot_start", midnight_utc_ + TimeMs(r.plan->slot_start_min) * 60'000}};
      auto a = send(w, "POST", "/api/appointments", body, admin_token_);
      json j = a.json();
      if ((a.status == 201 || a.status == 200) && j.contains("appointment")) {
        r.code = j["appointment"].value("code", "");
        tally_.appointments->booked++;
        booked_codes_.push_back(r.code);
        if (r.plan->absent) {
          tally_.appointments->missed++;
          missed_deadline_ = std::max(missed_deadline_,
                                      midnight_utc_ + TimeMs(r.plan->slot_start_min + hall_.rules.appointment_late_min + 1) * 60'000);
        }
      } else if (a.status == 409) {
        log("booking %s %s refused: %s", r.plan->service.c_str(), hhmm(r.plan->slot_start_min).c_str(), a.body.c_str());
      } else {
        unexpected("book", a);
      }
    }
    log("appointments: %ld booked", tally_.appointments->booked);
  }

  // ---- clock and scheduler -----------------------------------------------------------------

  TimeMs hall_now() const {
    return h0_ + TimeMs(std::chrono::duration<double, std::milli>(SteadyClock::now() - s0_).count() * o_.time_scale);
  }
  SteadyClock::time_point wall_at(TimeMs hall) const {
    return s0_ + std::chrono::duration_cast<SteadyClock::duration>(
                     std::chrono::duration<double, std::milli>(double(hall - h0_) / o_.time_scale));
  }
  TimeMs at_local(double minute) const { return midnight_utc_ + TimeMs(minute * 60'000.0); }
  static TimeMs minutes(double m) { return TimeMs(m * 60'000.0); }

  struct Task {
    TimeMs due;
    std::uint64_t seq;
    std::function<void(Worker&)> run;
    bool operator>(const Task& o) const { return due != o.due ? due > o.due : seq > o.seq; }
  };

  void schedule(TimeMs due, std::function<void(Worker&)> f) {
    {
      std::lock_guard lock(mu_);
      tasks_.push(Task{due, next_seq_++, std::move(f)});
    }
    cv_.notify_one();
  }

  void work() {
    Worker w(o_.host, o_.port);
    std::unique_lock lock(mu_);
    for (;;) {
      if (finished_) return;
      if (tasks_.empty()) {
        cv_.wait(lock);
        continue;
      }
      TimeMs due = tasks_.top().due;
      if (SteadyClock::now() < wall_at(due)) {
        cv_.wait_until(lock, wall_at(due));
        continue;
      }
      Task t = std::move(const_cast<Task&>(tasks_.top()));
      tasks_.pop();
      max_late_ms_ = std::max(max_late_ms_, hall_now() - t.due);
      lock.unlock();
      t.run(w);
      lock.lock();
    }
  }

  void check_finished() {
    if (arrivals_left_.load() == 0 && open_visits_.load() == 0) {
      {
        std::lock_guard lock(mu_);
        finished_ = true;
      }
      cv_.notify_all();
    }
  }

  bool finished() {
    std::lock_guard lock(mu_);
    return finished_;
  }

  // ---- requests ----------------------------------------------------------------------------

  std::string rid() { return run_tag_ + std::to_string(next_rid_.fetch_add(1)); }

  // One logical command: resent with the same body (and request_id) until it gets an answer;
  // only the answer counts, so a resend can never be counted twice.
  client::HttpResult send(Worker& w, const std::string& method, const std::string& target, const json& body,
                          const std::string& token) {
    for (int attempt = 0;; ++attempt) {
      auto r = w.http.request(method, target, method == "GET" ? "" : body.dump(), token);
      if (r.status != 0 && r.status != 503 && r.status != 429) {
        commands_++;
        return r;
      }
      if (attempt >= 300) return r;
      retries_++;
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(100, 5 * (attempt + 1))));
    }
  }

  void unexpected(const char* what, const client::HttpResult& r) {
    unexpected_++;
    log("unexpected answer to %s: %d %s", what, r.status, (r.status == 0 ? r.error : r.body).c_str());
  }

  template <class... A>
  void log(const char* fmt, A... args) {
    if (!o_.log) return;
    char buf[600];
    std::snprintf(buf, sizeof buf, fmt, args...);
    std::lock_guard lock(log_mu_);
    *o_.log << "hallq-sim: " << buf << "\n" << std::flush;
  }

  bool progress_due() {
    auto now = SteadyClock::now();
    if (now - last_progress_ < std::chrono::seconds(5)) return false;
    last_progress_ = now;
    return true;
  }

  void print_progress(std::unique_lock<std::mutex>&) {
    TimeMs local = hall_now() + TimeMs(hall_.rules.utc_offset_min) * 60'000;
    int m = int(((local % 86'400'000) + 86'400'000) % 86'400'000 / 60'000);
    log("hall %s: %ld of %zu arrived, %ld open, %ld commands, %ld retries", hhmm(m).c_str(),
        long(arrivals_.size()) - arrivals_left_.load(), arrivals_.size(), open_visits_.load(), commands_.load(),
        retries_.load());
  }

  // ---- the visitors ------------------------------------------------------------------------

  const DeviceConfig* kiosk_for(const std::string& service, int index) {
    std::vector<const DeviceConfig*> fit;
    for (const DeviceConfig* k : kiosks_)
      if (k->services.empty() || std::find(k->services.begin(), k->services.end(), service) != k->services.end())
        fit.push_back(k);
    return fit.empty() ? nullptr : fit[std::size_t(index) % fit.size()];
  }

  void arrive(Worker& w, std::size_t i) {
    if (i + 1 < arrivals_.size()) {
      std::size_t next = i + 1;
      schedule(at_local(arrivals_[next]->plan->arrival_min), [this, next](Worker& wk) { arrive(wk, next); });
    }
    VisitRun& run = *arrivals_[i];
    const Visit& v = *run.plan;
    json body{{"request_id", rid()}};
    if (v.appointment) {
      body["appointment_code"] = run.code;
    } else {
      body["service"] = v.service;
      if (v.priority) {
        body["class"] = "priority";
        const auto& reasons = hall_.rules.priority_reasons;
        body["priority_reason"] = reasons[std::size_t(v.index) % reasons.size()].code;
      }
    }
    const DeviceConfig* kiosk = kiosk_for(v.service, v.index);
    auto r = send(w, "POST", "/api/tickets", body, kiosk ? kiosk->token : admin_token_);
    json j = r.json();
    if ((r.status == 201 || r.status == 200) && j.contains("ticket")) {
      std::string id = j["ticket"].value("id", "");
      std::string service = j["ticket"].value("service", "");
      {
        std::lock_guard lock(mu_);
        by_ticket_[id] = &run;
        tally_.services[service].issued++;
        if (v.appointment && tally_.appointments) tally_.appointments->checked_in++;
        open_visits_++;
      }
      ticket_known_.notify_all();
      wake(service);
    } else if (r.status == 409 && (r.body.find("service_closed") != std::string::npos ||
                                   r.body.find("daily_cap_reached") != std::string::npos)) {
      turned_away_++;
      if (v.appointment && tally_.appointments) {
        // Never checked in: the server will mark it missed at slot + late limit.
        std::lock_guard lock(mu_);
        tally_.appointments->missed++;
        missed_deadline_ = std::max(missed_deadline_, midnight_utc_ + TimeMs(v.slot_start_min + hall_.rules.appointment_late_min + 1) * 60'000);
      }
    } else {
      unexpected("issue", r);
    }
    arrivals_left_--;
    check_finished();
  }

  // ---- the windows -------------------------------------------------------------------------

  std::string window_path(const WindowAgent& a, const char* command) const {
    return "/api/windows/" + std::to_string(a.number) + "/" + command;
  }

  // A waiting ticket for `service`: wake an idle window that serves it (the clerk sees the
  // queue on the console); idle windows also look again every five hall minutes.
  void wake(const std::string& service) {
    WindowAgent* woken = nullptr;
    std::uint64_t gen = 0;
    {
      std::lock_guard lock(mu_);
      auto it = by_service_.find(service);
      if (it == by_service_.end()) return;
      for (WindowAgent* a : it->second)
        if (a->idle) {
          a->idle = false;
          gen = ++a->gen;
          woken = a;
          break;
        }
    }
    if (woken) schedule(hall_now(), [this, woken, gen](Worker& wk) { call_next(wk, *woken, gen); });
  }

  void after(WindowAgent& a, double minutes_later, void (Day::*step)(Worker&, WindowAgent&)) {
    WindowAgent* p = &a;
    schedule(hall_now() + minutes(minutes_later), [this, p, step](Worker& wk) {
      if (!finished()) (this->*step)(wk, *p);
    });
  }

  void next_call(WindowAgent& a, double minutes_later) {
    std::uint64_t gen;
    {
      std::lock_guard lock(mu_);
      gen = a.gen;
    }
    WindowAgent* p = &a;
    schedule(hall_now() + minutes(minutes_later), [this, p, gen](Worker& wk) { call_next(wk, *p, gen); });
  }

  void call_next(Worker& w, WindowAgent& a, std::uint64_t gen) {
    {
      std::lock_guard lock(mu_);
      if (finished_ || gen != a.gen || a.idle) return;
    }
    auto r = send(w, "POST", window_path(a, "call-next"), json{{"request_id", rid()}}, a.token);
    json j = r.json();
    if (r.status == 200 && j.contains("ticket")) {
      a.ticket = j["ticket"].value("id", "");
      a.ticket_service = j["ticket"].value("service", "");
      {
        // A window can call a ticket before the kiosk's answer has reached the sim: wait for it.
        std::unique_lock lock(mu_);
        ticket_known_.wait_for(lock, std::chrono::seconds(10), [&] { return by_ticket_.count(a.ticket) != 0; });
        auto it = by_ticket_.find(a.ticket);
        a.visit = it == by_ticket_.end() ? nullptr : it->second;
      }
      if (!a.visit) {
        // Not one of ours (a ticket left from before the sim): serve it and leave it out.
        unexpected("call-next (a ticket the sim did not issue)", r);
        after(a, 1.0, &Day::start);
        return;
      }
      // Decided from the server's ticket: the transferring window may not have seen its answer yet.
      a.second_leg = j["ticket"].value("origin_service", a.ticket_service) != a.ticket_service;
      if (!a.second_leg && a.visit->plan->no_show) after(a, 2.0, &Day::recall);
      else after(a, 0.5 + 0.25 * (a.visit->plan->index % 5), &Day::start);
      return;
    }
    if (r.status == 409 && r.body.find("queue_empty") != std::string::npos) {
      std::uint64_t g;
      {
        std::lock_guard lock(mu_);
        a.idle = true;
        g = ++a.gen;
      }
      WindowAgent* p = &a;
      schedule(hall_now() + minutes(5), [this, p, g](Worker& wk) {
        {
          std::lock_guard lock(mu_);
          if (g != p->gen || !p->idle) return;
          p->idle = false;
        }
        call_next(wk, *p, g);
      });
      return;
    }
    unexpected("call-next", r);
    next_call(a, 1.0);
  }

  void recall(Worker& w, WindowAgent& a) {
    auto r = send(w, "POST", window_path(a, "recall"), json{{"request_id", rid()}}, a.token);
    if (r.status != 200) unexpected("recall", r);
    after(a, 2.0, &Day::no_show);
  }

  void no_show(Worker& w, WindowAgent& a) {
    auto r = send(w, "POST", window_path(a, "no-show"), json{{"request_id", rid()}}, a.token);
    json j = r.json();
    if (r.status == 200 && j.contains("ticket")) {
      std::lock_guard lock(mu_);
      tally_.services[j["ticket"].value("service", "")].no_show++;
    } else {
      unexpected("no-show", r);
    }
    end_visit(a);
    next_call(a, 0.3);
  }

  void start(Worker& w, WindowAgent& a) {
    auto r = send(w, "POST", window_path(a, "start"), json{{"request_id", rid()}}, a.token);
    if (r.status != 200) {
      unexpected("start", r);
      end_visit(a);
      next_call(a, 1.0);
      return;
    }
    double m = !a.visit ? 5.0 : a.second_leg ? a.visit->plan->second_service_min : a.visit->plan->service_min;
    after(a, m, &Day::finish);
  }

  void finish(Worker& w, WindowAgent& a) {
    if (a.visit && !a.second_leg && !a.visit->plan->transfer_to.empty()) {
      const std::string& to = a.visit->plan->transfer_to;
      auto r = send(w, "POST", window_path(a, "transfer"), json{{"request_id", rid()}, {"to_service", to}}, a.token);
      if (r.status == 200) {
        {
          std::lock_guard lock(mu_);
          tally_.services[a.ticket_service].transfers_out++;
        }
        a.ticket.clear();
        a.visit = nullptr;
        wake(to);
        next_call(a, 0.3);
        return;
      }
      // The other service is closed now, say: the clerk finishes the visit here instead.
      log("transfer %s to %s refused, completing instead: %s", a.ticket_service.c_str(), to.c_str(), r.body.c_str());
    }
    auto r = send(w, "POST", window_path(a, "complete"), json{{"request_id", rid()}}, a.token);
    json j = r.json();
    if (r.status == 200 && j.contains("ticket")) {
      std::string service = j["ticket"].value("service", "");
      if (a.visit) {
        std::lock_guard lock(mu_);
        tally_.services[service].done++;
      }
      if (a.visit && a.visit->plan->rating > 0) rate(w, a, service, a.visit->plan->rating);
    } else {
      unexpected("complete", r);
    }
    end_visit(a);
    next_call(a, 0.3);
  }

  // The visitor rates on the window's evaluator, or on the ticket page where there is none.
  void rate(Worker& w, WindowAgent& a, const std::string& service, int level) {
    client::HttpResult r;
    if (!a.evaluator_token.empty())
      r = send(w, "POST", "/api/commands/rate", json{{"request_id", rid()}, {"ticket", a.ticket}, {"level", level}},
               a.evaluator_token);
    else
      r = send(w, "POST", "/api/tickets/" + a.ticket + "/rating", json{{"request_id", rid()}, {"level", level}}, "");
    if (r.status == 200) {
      std::lock_guard lock(mu_);
      tally_.services[service].ratings[std::size_t(level)]++;
    } else {
      unexpected("rate", r);
    }
  }

  void end_visit(WindowAgent& a) {
    bool ours = a.visit != nullptr;
    a.ticket.clear();
    a.visit = nullptr;
    if (ours) {
      open_visits_--;
      check_finished();
    }
  }

  // ---- the server's figures ----------------------------------------------------------------

  void gather(Worker& w, DayResult& result) {
    auto state = send(w, "GET", "/api/state", json(), admin_token_);
    result.server.state = state.json();
    auto report = send(w, "GET", "/api/reports/summary?from=" + business_day_ + "&to=" + business_day_ + "&by=service",
                       json(), admin_token_);
    result.server.report = report.json();
    if (report.status != 200) log("report answered %d: %s", report.status, report.body.c_str());
    for (const std::string& code : booked_codes_) {
      auto a = send(w, "GET", "/api/appointments/" + code, json(), admin_token_);
      json j = a.json();
      result.server.appointment_states[code] =
          a.status == 200 && j.contains("appointment") ? j["appointment"].value("state", "?") : "?";
    }
  }

  // constant after construction
  const HallConfig& hall_;
  const SimOptions o_;

  // set up before the workers start
  TimeMs h0_ = 0;
  SteadyClock::time_point s0_;
  TimeMs midnight_utc_ = 0;
  int from_min_ = 0;
  std::string business_day_;
  std::string run_tag_;
  std::string admin_token_;
  std::vector<WindowAgent> windows_;
  std::map<std::string, std::vector<WindowAgent*>> by_service_;
  std::vector<const DeviceConfig*> kiosks_;
  std::vector<Visit> visits_;
  std::vector<VisitRun> runs_;
  std::vector<VisitRun*> arrivals_;
  std::vector<std::string> booked_codes_;
  TimeMs missed_deadline_ = 0;

  // guarded by mu_
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable ticket_known_;  // by_ticket_ gained an entry
  std::priority_queue<Task, std::vector<Task>, std::greater<>> tasks_;
  std::uint64_t next_seq_ = 0;
  bool finished_ = false;
  bool stuck_ = false;
  std::unordered_map<std::string, VisitRun*> by_ticket_;
  Tally tally_;
  TimeMs max_late_ms_ = 0;
  SteadyClock::time_point last_progress_ = SteadyClock::now();

  std::atomic<long> arrivals_left_{0};
  std::atomic<long> open_visits_{0};
  std::atomic<long> commands_{0};
  std::atomic<long> retries_{0};
  std::atomic<long> unexpected_{0};
  std::atomic<long> turned_away_{0};
  std::atomic<std::uint64_t> next_rid_{1};
  std::mutex log_mu_;
};

}  // namespace

DayResult run_day(const HallConfig& hall, const SimOptions& options) { return Day(hall, options).run(); }

// ---- SpawnedServer ---------------------------------------------------------------------------

SpawnedServer::~SpawnedServer() { stop(); }

std::string SpawnedServer::start(const std::string& binary, const std::string& hall_path,
                                 const std::string& data_dir, double time_scale, const std::string& start_time) {
  int out[2];
  if (pipe(out) != 0) return std::string("pipe: ") + std::strerror(errno);
  std::string scale = std::to_string(time_scale);
  std::vector<std::string> args = {binary, "--config", hall_path, "--data", data_dir, "--listen", "127.0.0.1:0",
                                   "--time-scale", scale, "--start-time", start_time};
  pid_ = fork();
  if (pid_ < 0) return std::string("fork: ") + std::strerror(errno);
  if (pid_ == 0) {
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    std::fprintf(stderr, "hallq-sim: cannot run %s: %s\n", binary.c_str(), std::strerror(errno));
    _exit(127);
  }
  close(out[1]);
  // The server prints exactly one line when it is ready: "listening on http://HOST:PORT".
  std::string line;
  auto deadline = SteadyClock::now() + std::chrono::seconds(60);
  while (line.find('\n') == std::string::npos && SteadyClock::now() < deadline) {
    pollfd p{out[0], POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    char buf[256];
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, std::size_t(n));
  }
  close(out[0]);
  auto colon = line.rfind(':');
  if (line.rfind("listening on http://", 0) != 0 || colon == std::string::npos) {
    stop();
    return "hallq-server did not start (" + (line.empty() ? std::string("no output") : line) + ")";
  }
  port_ = std::uint16_t(std::atoi(line.c_str() + colon + 1));
  return "";
}

int SpawnedServer::stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace hallq::sim
