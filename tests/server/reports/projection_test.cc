// Reports against a real journal: a scripted two-day hall driven through the real queue engine
// and committed to a real SQLite journal, ratings and alerts appended as the issue-6 contract
// writes them, and every figure compared with a tally the test keeps itself from the script.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>

#include "hallq/core/engine.h"
#include "hallq/json_codec.h"
#include "hallq/reports/projection.h"
#include "hallq/reports/report.h"
#include "hallq/storage/journal.h"

namespace hallq::reports {
namespace {

using nlohmann::json;

constexpr TimeMs kDay0 = 1795708800000;  // 2026-11-27 00:00 +08:00
constexpr TimeMs kMin = 60'000;
constexpr TimeMs kSec = 1'000;
const char* kDay[] = {"2026-11-27", "2026-11-28"};

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/hallq-reports-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

std::shared_ptr<const HallConfig> hall() {
  HallConfig c;
  c.id = "report-hall";
  c.name.zh_cn = "报表测试中心";
  auto service = [](std::string code, std::string dept) {
    ServiceConfig s;
    s.code = code;
    s.name.zh_cn = "业务" + code;
    s.department = std::move(dept);
    s.wait_limit_min = 100000;  // the test writes the alert events itself
    s.service_limit_min = 100000;
    return s;
  };
  c.services = {service("A", "民政局"), service("B", "民政局"), service("C", "税务局")};
  auto window = [](int n, std::vector<std::string> services, std::string dept) {
    WindowConfig w;
    w.number = n;
    w.name.zh_cn = std::to_string(n) + "号窗口";
    w.services = std::move(services);
    w.department = std::move(dept);
    return w;
  };
  c.windows = {window(1, {"A", "B"}, "民政局"), window(2, {"B", "A"}, "民政局"), window(3, {"C"}, "税务局")};
  c.rules.utc_offset_min = 480;
  c.rules.enforce_opening_hours = false;
  return std::make_shared<const HallConfig>(std::move(c));
}

core::Actor who(Role role, std::string name) {
  core::Actor a;
  a.role = role;
  a.name = std::move(name);
  if (role == Role::clerk) a.windows = {1, 2, 3};
  return a;
}

class Ids : public core::TicketIds {
 public:
  std::string next() override { return "t" + std::to_string(++n); }
  int n = 0;
};

// What the test expects of one group, tallied from the script's own actions.
struct Expected {
  std::int64_t done = 0, no_show = 0, cancelled = 0, expired = 0, transfers = 0;
  std::int64_t ratings[5] = {};
  std::int64_t ow = 0, os = 0, oi = 0;
  std::vector<std::int64_t> waits, services;
};
// [range][by][key]; range 0 = day 1, 1 = day 2, 2 = both. "" is the hall total under key "*".
using Tally = std::map<std::string, Expected>;

struct Place {
  std::string service;
  int window = 0;
  std::string clerk;
};

// Drives the engine, commits each outcome to the journal, and keeps the expected figures.
class ScriptedHall {
 public:
  explicit ScriptedHall(const std::filesystem::path& dir, std::shared_ptr<const HallConfig> config = hall())
      : config_(std::move(config)), engine_(config_, ids_), journal_path_((dir / "hallq.sqlite").string()) {
    auto j = storage::Journal::open(journal_path_);
    EXPECT_TRUE(j.ok()) << j.error().message;
    journal_ = std::move(*j);
  }

  const std::string& journal_path() const { return journal_path_; }
  const HallConfig& config() const { return *config_; }

  core::Outcome run(CommandBody body, const core::Actor& actor, TimeMs now) {
    Command c;
    c.request_id = "r" + std::to_string(++requests_);
    c.body = std::move(body);
    auto o = engine_.execute(c, actor, now);
    commit(o);
    return o;
  }
  // The engine's timer (missed appointments, alerts, the day's end) at `now`, committed the same way.
  core::Outcome tick(TimeMs now) {
    auto o = engine_.tick(now);
    commit(o);
    return o;
  }
  void commit(const core::Outcome& o) {
    if (o.events.empty()) return;
    storage::Batch b{o.events, o.request, {}};  // rendered by the journal
    auto s = journal_->commit({b});
    EXPECT_TRUE(s.ok()) << s.error().message;
  }

  // Credits one group of every grouping, for the day and for the whole range.
  void credit(int day, const Place& p, const std::function<void(Expected&)>& f) {
    std::string dept = !p.service.empty() ? config_->service(p.service)->department
                                          : config_->window(p.window)->department;
    std::string keys[4] = {p.service, p.window ? std::to_string(p.window) : "", p.clerk, dept};
    for (int range : {day, 2}) {
      for (int by = 0; by < 4; ++by) f(tally[range][by][keys[by]]);
      f(tally[range][0]["*"]);
    }
  }

  // A visitor's ticket as the test knows it.
  struct Visit {
    std::string id;
    int day = 0;
    std::string service;
    TimeMs issued = 0;
    std::optional<TimeMs> first_called, started;
    Place first_at;  // where it was first called: its wait (and a wait alert) counts there
    Place done_at;   // set when done
    bool done = false;
  };

  std::string issue(int day, const std::string& service, TimeMs now) {
    IssueTicket c;
    c.service = service;
    auto o = run(c, who(Role::kiosk, "kiosk-1"), now);
    EXPECT_TRUE(o.ok()) << o.error->message;
    std::string id = o.result()["ticket"]["id"];
    visits[id] = Visit{id, day, service, now, {}, {}, {}, {}, false};
    waiting.push_back(id);
    return id;
  }

  // call-next at `window` by `clerk`; returns the called ticket id or "".
  std::string call(int day, int window, const std::string& clerk, TimeMs now) {
    auto o = run(CallNext{window}, who(Role::clerk, clerk), now);
    if (!o.ok()) return "";
    std::string id = o.result()["ticket"]["id"];
    Visit& v = visits[id];
    if (!v.first_called) {
      v.first_called = now;
      v.first_at = Place{v.service, window, clerk};
      credit(day, v.first_at, [&](Expected& e) { e.waits.push_back(now - v.issued); });
    }
    std::erase(waiting, id);
    return id;
  }

  void no_show(int day, int window, const std::string& clerk, const std::string& id, TimeMs now) {
    auto o = run(NoShow{window}, who(Role::clerk, clerk), now);
    ASSERT_TRUE(o.ok()) << o.error->message;
    credit(day, Place{visits[id].service, window, clerk}, [](Expected& e) { ++e.no_show; });
  }

  void start(int window, const std::string& clerk, const std::string& id, TimeMs now) {
    auto o = run(StartService{window}, who(Role::clerk, clerk), now);
    ASSERT_TRUE(o.ok()) << o.error->message;
    visits[id].started = now;
  }

  void complete(int day, int window, const std::string& clerk, const std::string& id, TimeMs now) {
    auto o = run(CompleteService{window}, who(Role::clerk, clerk), now);
    ASSERT_TRUE(o.ok()) << o.error->message;
    Visit& v = visits[id];
    v.done = true;
    v.done_at = Place{v.service, window, clerk};
    credit(day, v.done_at, [&](Expected& e) {
      ++e.done;
      e.services.push_back(now - *v.started);
    });
  }

  void transfer(int day, int window, const std::string& clerk, const std::string& id, const std::string& to,
                TimeMs now) {
    Transfer t;
    t.window = window;
    t.to_service = to;
    auto o = run(t, who(Role::clerk, clerk), now);
    ASSERT_TRUE(o.ok()) << o.error->message;
    credit(day, Place{visits[id].service, window, clerk}, [](Expected& e) { ++e.transfers; });
    visits[id].service = to;
    waiting.push_back(id);
  }

  void cancel(int day, const std::string& id, TimeMs now) {
    CancelTicket c;
    c.ticket_id = id;
    auto o = run(c, who(Role::admin, "admin"), now);
    ASSERT_TRUE(o.ok()) << o.error->message;
    credit(day, Place{visits[id].service, 0, ""}, [](Expected& e) { ++e.cancelled; });
    std::erase(waiting, id);
  }

  // A day of traffic: visitors arrive, three windows call, serve, transfer, mark no-shows.
  void play_day(int day, std::mt19937& rng, const std::vector<std::string>& clerks) {
    TimeMs t = kDay0 + day * 24 * 60 * kMin + 8 * 60 * kMin;
    std::uniform_int_distribution<int> pct(0, 99);
    const char* services[] = {"A", "B", "C"};
    for (int step = 0; step < 90; ++step) {
      t += (1 + pct(rng) % 4) * kMin + (pct(rng) % 60) * kSec;
      if (step < 70) issue(day, services[pct(rng) % 3], t);
      if (step < 70 && pct(rng) < 8 && !waiting.empty()) cancel(day, waiting.back(), t += 7 * kSec);
      int w = 1 + pct(rng) % 3;
      const std::string& clerk = clerks[w - 1];
      std::string id = call(day, w, clerk, t += 13 * kSec);
      if (id.empty()) continue;
      int fate = pct(rng);
      if (fate < 12) {
        no_show(day, w, clerk, id, t += 2 * kMin + 3 * kSec);
        continue;
      }
      start(w, clerk, id, t += 40 * kSec + (pct(rng) % 50) * kSec);
      t += (2 + pct(rng) % 9) * kMin + (pct(rng) % 60) * kSec;
      const std::string& service = visits[id].service;
      if (fate < 25 && service != "C") {
        transfer(day, w, clerk, id, service == "A" ? "B" : "A", t);
      } else {
        complete(day, w, clerk, id, t);
      }
    }
    // Late arrivals nobody calls: they expire when the day rolls over.
    for (int i = 0; i < 4; ++i) issue(day, services[i % 3], t += kMin);
  }

  void expire_waiting(int day) {
    for (const auto& id : waiting)
      credit(day, Place{visits[id].service, 0, ""}, [](Expected& e) { ++e.expired; });
    waiting.clear();
  }

  // Appends events as the contract writes them (ticket_rated, alert_raised, alert_cleared),
  // straight into the journal file, as the server's journal would store them.
  void append_raw(const std::string& type, const std::string& day, const std::string& ticket_id, int window,
                  json body, TimeMs at) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(journal_path_.c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, "SELECT max(seq) FROM events", -1, &s, nullptr);
    ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
    std::int64_t seq = sqlite3_column_int64(s, 0) + 1;
    sqlite3_finalize(s);
    body["type"] = "event";
    body["seq"] = seq;
    body["at"] = at;
    body["event"] = type;
    body["actor"] = "system";
    sqlite3_prepare_v2(db,
                       "INSERT INTO events(seq, at, type, business_day, ticket_id, window, actor, body) "
                       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, 'system', ?7)",
                       -1, &s, nullptr);
    sqlite3_bind_int64(s, 1, seq);
    sqlite3_bind_int64(s, 2, at);
    sqlite3_bind_text(s, 3, type.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 4, day.c_str(), -1, SQLITE_TRANSIENT);
    if (ticket_id.empty()) sqlite3_bind_null(s, 5); else sqlite3_bind_text(s, 5, ticket_id.c_str(), -1, SQLITE_TRANSIENT);
    if (window) sqlite3_bind_int(s, 6, window); else sqlite3_bind_null(s, 6);
    std::string text = body.dump();
    sqlite3_bind_text(s, 7, text.c_str(), -1, SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(s), SQLITE_DONE) << sqlite3_errmsg(db);
    sqlite3_finalize(s);
    std::string meta = "UPDATE meta SET value = '" + std::to_string(seq) + "' WHERE key = 'last_seq'";
    ASSERT_EQ(sqlite3_exec(db, meta.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }

  json ticket_json(const std::string& id) {
    auto t = engine_.ticket(id);
    if (t) return to_json(*t);
    // Earlier days are not in the engine any more: read the journal's copy.
    sqlite3* db = nullptr;
    sqlite3_open(journal_path_.c_str(), &db);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, "SELECT body FROM tickets WHERE id = ?1", -1, &s, nullptr);
    sqlite3_bind_text(s, 1, id.c_str(), -1, SQLITE_TRANSIENT);
    json j;
    if (sqlite3_step(s) == SQLITE_ROW) j = json::parse(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
    sqlite3_finalize(s);
    sqlite3_close(db);
    return j;
  }

  void rate(const std::string& id, int level, TimeMs at) {
    Visit& v = visits[id];
    json t = ticket_json(id);
    t["rating"] = json{{"level", level}, {"at", at}, {"via", "evaluator"}};
    append_raw("ticket_rated", kDay[v.day], id, v.done_at.window, json{{"ticket", t}}, at);
    credit(v.day, v.done_at, [&](Expected& e) { ++e.ratings[level - 1]; });
  }

  void alert(const std::string& kind, const std::string& id, TimeMs at) {
    Visit& v = visits[id];
    json a{{"id", std::string(kind == "wait" ? "W-" : "S-") + id}, {"kind", kind}, {"service", v.service},
           {"window", v.done_at.window}, {"ticket", id}, {"number", "X"}, {"since", at - 1000}, {"limit_s", 60},
           {"raised_at", at}};
    append_raw("alert_raised", kDay[v.day], "", 0, json{{"alert", a}}, at);
    credit(v.day, kind == "wait" ? v.first_at : v.done_at, [&](Expected& e) { (kind == "wait" ? e.ow : e.os) += 1; });
    a["cleared_at"] = at + 5000;
    append_raw("alert_cleared", kDay[v.day], "", 0, json{{"alert", a}}, at + 5000);
  }

  void idle_alert(int day, int window, TimeMs since) {
    json a{{"id", "I-" + std::to_string(window) + "-" + std::to_string(since)}, {"kind", "idle"}, {"service", nullptr},
           {"window", window}, {"ticket", nullptr}, {"number", nullptr}, {"since", since}, {"limit_s", 600},
           {"raised_at", since + 600'000}};
    append_raw("alert_raised", kDay[day], "", 0, json{{"alert", a}}, since + 600'000);
    credit(day, Place{"", window, ""}, [](Expected& e) { ++e.oi; });
  }

  std::map<std::string, Visit> visits;
  std::vector<std::string> waiting;
  std::map<std::string, Expected> tally[3][4];

 private:
  Ids ids_;
  std::shared_ptr<const HallConfig> config_;
  core::Engine engine_;
  std::string journal_path_;
  std::unique_ptr<storage::Journal> journal_;
  int requests_ = 0;
};

// Nearest rank, written out from the definition in docs/reports.md.
std::int64_t percentile(std::vector<std::int64_t> v, int p) {
  std::sort(v.begin(), v.end());
  std::size_t rank = std::size_t(std::ceil(double(p) / 100.0 * double(v.size())));
  return v[std::max<std::size_t>(rank, 1) - 1];
}

void expect_figures(const Expected& e, const Figures& f, const std::string& where) {
  SCOPED_TRACE(where);
  EXPECT_EQ(f.done, e.done);
  EXPECT_EQ(f.no_show, e.no_show);
  EXPECT_EQ(f.cancelled, e.cancelled);
  EXPECT_EQ(f.expired, e.expired);
  EXPECT_EQ(f.transfers, e.transfers);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(f.ratings[i], e.ratings[i]) << "level " << i + 1;
  EXPECT_EQ(f.overdue_wait, e.ow);
  EXPECT_EQ(f.overdue_service, e.os);
  EXPECT_EQ(f.overdue_idle, e.oi);
  auto check = [&](const std::vector<std::int64_t>& v, const DurationStats& s, const char* what) {
    SCOPED_TRACE(what);
    ASSERT_EQ(s.count, std::int64_t(v.size()));
    if (v.empty()) return;
    double sum = 0;
    for (auto x : v) sum += double(x);
    EXPECT_NEAR(s.mean_ms, sum / double(v.size()), 1e-6);
    EXPECT_EQ(s.p50_ms, percentile(v, 50));
    EXPECT_EQ(s.p90_ms, percentile(v, 90));
  };
  check(e.waits, f.wait, "wait");
  check(e.services, f.service, "service");
  std::int64_t rated = 0;
  for (auto r : e.ratings) rated += r;
  if (rated) {
    ASSERT_TRUE(f.satisfaction().has_value());
    EXPECT_DOUBLE_EQ(*f.satisfaction(), double(e.ratings[3] + e.ratings[4]) / double(rated));
  } else {
    EXPECT_FALSE(f.satisfaction().has_value());
  }
}

constexpr GroupBy kGroupings[] = {GroupBy::service, GroupBy::window, GroupBy::clerk, GroupBy::department};

void expect_summary(ScriptedHall& h, Projection& p) {
  const DayRange ranges[] = {{kDay[0], kDay[0]}, {kDay[1], kDay[1]}, {kDay[0], kDay[1]}};
  for (int r = 0; r < 3; ++r) {
    for (int by = 0; by < 4; ++by) {
      auto s = p.summary(ranges[r], kGroupings[by], h.config());
      ASSERT_TRUE(s.ok()) << s.error().message;
      std::string where = ranges[r].from + ".." + ranges[r].to + " by " + std::string(to_string(kGroupings[by]));
      auto expected = h.tally[r][by];
      expect_figures(h.tally[r][0]["*"], s->total, where + " total");
      std::vector<std::string> keys;
      for (const auto& [k, e] : expected)
        if (k != "*") keys.push_back(k);
      std::vector<std::string> got;
      for (const auto& g : s->groups) got.push_back(g.key);
      std::sort(got.begin(), got.end());
      EXPECT_EQ(got, keys) << where;
      for (const auto& g : s->groups) expect_figures(expected[g.key], g, where + " group '" + g.key + "'");
    }
  }
}

std::string all_reports(Projection& p, const HallConfig& c) {
  std::string out;
  for (auto by : kGroupings) {
    auto s = p.summary({kDay[0], kDay[1]}, by, c);
    EXPECT_TRUE(s.ok());
    out += to_json(*s, c).dump() + "\n" + to_csv(*s, c);
  }
  return out;
}

class ReportsProjection : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937 rng(20261127);
    hall_ = std::make_unique<ScriptedHall>(dir_.path);
    h().play_day(0, rng, {"zhang", "wang", "li"});
    // Index half-way, on purpose: catching up later must give what a fresh build gives.
    auto early = Projection::open(h().journal_path(), (dir_.path / "incremental.reports").string(), {7, 5000});
    ASSERT_TRUE(early.ok()) << early.error().message;
    incremental_ = std::move(*early);
    ASSERT_TRUE(incremental_->catch_up().ok());
    h().expire_waiting(0);
    h().play_day(1, rng, {"wang", "zhang", "li"});
    // Everything served is done or transferred (then waiting); tickets still waiting stay open.
    std::vector<std::string> done;
    for (const auto& [id, v] : h().visits)
      if (v.done) done.push_back(id);
    ASSERT_GE(done.size(), 40u);
    for (std::size_t i = 0; i < done.size(); ++i) {
      const auto& v = h().visits[done[i]];
      if (i % 3 != 2) h().rate(done[i], 1 + int(i * 7 % 5), *v.started + 20 * kMin);
      if (i % 5 == 0) h().alert("wait", done[i], *v.first_called - 1000);
      if (i % 7 == 0) h().alert("service", done[i], *v.started + 60'000);
    }
    h().idle_alert(0, 2, kDay0 + 9 * 60 * kMin);
    h().idle_alert(0, 2, kDay0 + 14 * 60 * kMin);
    h().idle_alert(1, 3, kDay0 + 24 * 60 * kMin + 10 * 60 * kMin);
    // Tickets left waiting at the end of day 2 are still open: counted nowhere but in waits.
  }
  ScriptedHall& h() { return *hall_; }

  TempDir dir_;
  std::unique_ptr<ScriptedHall> hall_;
  std::unique_ptr<Projection> incremental_;
};

TEST_F(ReportsProjection, EveryFigureMatchesTheScriptedDays) {
  auto p = Projection::open(h().journal_path(), projection_path_for(h().journal_path()));
  ASSERT_TRUE(p.ok()) << p.error().message;
  auto seq = (*p)->catch_up();
  ASSERT_TRUE(seq.ok()) << seq.error().message;
  EXPECT_GT(*seq, 500u);
  // The script must exercise every figure, or the comparison proves little.
  const Expected& all = h().tally[2][0]["*"];
  EXPECT_GT(all.done, 40);
  EXPECT_GT(all.no_show, 3);
  EXPECT_GT(all.cancelled, 2);
  EXPECT_GT(all.expired, 2);
  EXPECT_GT(all.transfers, 3);
  for (int i = 0; i < 5; ++i) EXPECT_GT(all.ratings[i], 2) << "level " << i + 1;
  EXPECT_GT(all.ow, 3);
  EXPECT_GT(all.os, 3);
  EXPECT_EQ(all.oi, 3);
  expect_summary(h(), **p);
}

TEST_F(ReportsProjection, CatchingUpInSmallStepsEqualsABuildFromScratch) {
  ASSERT_TRUE(incremental_->catch_up().ok());
  expect_summary(h(), *incremental_);
  auto fresh = Projection::open(h().journal_path(), (dir_.path / "fresh.reports").string());
  ASSERT_TRUE(fresh.ok());
  ASSERT_TRUE((*fresh)->catch_up().ok());
  EXPECT_EQ((*fresh)->indexed_seq(), incremental_->indexed_seq());
  EXPECT_EQ(all_reports(**fresh, h().config()), all_reports(*incremental_, h().config()));
}

TEST_F(ReportsProjection, DroppingTheSideFileAndRebuildingGivesIdenticalReports) {
  const std::string side = projection_path_for(h().journal_path());
  std::string before;
  {
    auto p = Projection::open(h().journal_path(), side);
    ASSERT_TRUE(p.ok());
    ASSERT_TRUE((*p)->catch_up().ok());
    before = all_reports(**p, h().config());
    // rebuild() in place gives the same.
    ASSERT_TRUE((*p)->rebuild().ok());
    EXPECT_EQ(all_reports(**p, h().config()), before);
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(side + suffix);
  auto p = Projection::open(h().journal_path(), side);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)->indexed_seq(), 0u);
  ASSERT_TRUE((*p)->catch_up().ok());
  EXPECT_EQ(all_reports(**p, h().config()), before);
}

TEST_F(ReportsProjection, ASideFileOfAnotherJournalIsRebuilt) {
  const std::string side = (dir_.path / "other.reports").string();
  {
    auto p = Projection::open(h().journal_path(), side);
    ASSERT_TRUE(p.ok());
    ASSERT_TRUE((*p)->catch_up().ok());
  }
  // A fresh journal (a new data directory, a restored backup...) at another path.
  TempDir other;
  ScriptedHall small(other.path);
  small.cancel(0, small.issue(0, "A", kDay0 + 9 * 60 * kMin), kDay0 + 9 * 60 * kMin + kMin);
  auto p = Projection::open(small.journal_path(), side);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)->indexed_seq(), 0u);
  ASSERT_TRUE((*p)->catch_up().ok());
  auto s = (*p)->summary({kDay[0], kDay[1]}, GroupBy::service, small.config());
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->groups.size(), 1u);
  EXPECT_EQ(s->groups[0].key, "A");
  EXPECT_EQ(s->total.cancelled, 1);
  EXPECT_EQ(s->total.done, 0);
  EXPECT_EQ(s->total.wait.count, 0);
}

TEST_F(ReportsProjection, CsvHasABomAndOneRowPerGroupAndATotal) {
  auto p = Projection::open(h().journal_path(), projection_path_for(h().journal_path()));
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE((*p)->catch_up().ok());
  auto s = (*p)->summary({kDay[0], kDay[1]}, GroupBy::window, h().config());
  ASSERT_TRUE(s.ok());
  std::string csv = to_csv(*s, h().config());
  ASSERT_EQ(csv.substr(0, 3), "\xEF\xBB\xBF");
  std::vector<std::string> lines;
  std::size_t i = 3;
  while (i < csv.size()) {
    auto j = csv.find("\r\n", i);
    ASSERT_NE(j, std::string::npos);
    lines.push_back(csv.substr(i, j - i));
    i = j + 2;
  }
  ASSERT_EQ(lines.size(), s->groups.size() + 2);
  EXPECT_EQ(lines[0].substr(0, 7), "window,");
  EXPECT_EQ(lines[1].substr(0, 2), "1,");
  EXPECT_NE(lines[1].find("1号窗口"), std::string::npos);
  EXPECT_EQ(lines.back().rfind("合计 total,", 0), 0u);
  EXPECT_NE(lines.back().find("," + std::to_string(h().tally[2][0]["*"].done) + ","), std::string::npos);
}

TEST_F(ReportsProjection, CatchingUpNeverWaitsForTheJournalsWriteLock) {
  // Another connection holds the journal's write lock, as the commit thread does mid-commit.
  sqlite3* writer = nullptr;
  ASSERT_EQ(sqlite3_open(h().journal_path().c_str(), &writer), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(writer, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  ProjectionOptions quick;
  quick.busy_timeout_ms = 50;  // a report that needed the lock would fail at once
  auto p = Projection::open(h().journal_path(), (dir_.path / "locked.reports").string(), quick);
  ASSERT_TRUE(p.ok()) << p.error().message;
  auto seq = (*p)->catch_up();
  EXPECT_TRUE(seq.ok()) << seq.error().message;
  expect_summary(h(), **p);
  sqlite3_exec(writer, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(writer);
}

// 预约: each appointment counted once, by its state now, on its slot's day and service, through
// the real engine and journal: booked, then checked in, cancelled or missed by the engine's timer.
TEST(ReportsAppointments, CountedByStateOnTheSlotsDayAndService) {
  TempDir dir;
  HallConfig c = *hall();
  for (auto& s : c.services) {
    if (s.code != "B" && s.code != "C") continue;
    s.hours = {{8 * 60 + 30, 12 * 60}};
    s.appointments = AppointmentConfig{30, 4, 7};
  }
  c.rules.workdays = {0, 1, 2, 3, 4, 5, 6};
  auto config = std::make_shared<const HallConfig>(std::move(c));
  ScriptedHall h(dir.path, config);
  auto run = [&h](CommandBody body, const core::Actor& actor, TimeMs now) {
    core::Outcome o = h.run(std::move(body), actor, now);
    EXPECT_TRUE(o.ok()) << (o.error ? o.error->message : "");
    return o;
  };
  const core::Actor portal = who(Role::booking, "portal"), kiosk = who(Role::kiosk, "kiosk-1");
  const TimeMs morning = kDay0 + 8 * 60 * kMin;
  auto book = [&](const std::string& service, TimeMs slot) {
    return run(BookAppointment{service, slot}, portal, morning).result()["appointment"]["code"].get<std::string>();
  };
  const std::string came = book("B", kDay0 + 9 * 60 * kMin);
  const std::string cancelled = book("B", kDay0 + 9 * 60 * kMin);
  book("B", kDay0 + 9 * 60 * kMin);    // never comes: missed at 09:15
  book("B", kDay0 + 10 * 60 * kMin);   // still to come at 09:50
  book("C", kDay0 + 24 * 60 * kMin + 9 * 60 * kMin);  // tomorrow
  run(CancelAppointment{cancelled}, portal, morning + 10 * kMin);
  IssueTicket check_in;
  check_in.appointment_code = came;
  run(check_in, kiosk, morning + 50 * kMin);
  h.tick(kDay0 + (9 * 60 + 50) * kMin);  // the missed timer

  auto p = Projection::open(h.journal_path(), projection_path_for(h.journal_path()));
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_TRUE((*p)->catch_up().ok());
  auto counts = [](const AppointmentCounts& a) {
    return std::vector<std::int64_t>{a.total(), a.booked, a.checked_in, a.missed, a.cancelled};
  };
  using Row = std::vector<std::int64_t>;
  auto today = (*p)->summary({kDay[0], kDay[0]}, GroupBy::service, *config);
  ASSERT_TRUE(today.ok()) << today.error().message;
  ASSERT_EQ(today->groups.size(), 1u);
  EXPECT_EQ(today->groups[0].key, "B");
  EXPECT_EQ(counts(today->groups[0].appointments), (Row{4, 1, 1, 1, 1}));
  EXPECT_EQ(counts(today->total.appointments), (Row{4, 1, 1, 1, 1}));

  auto both = (*p)->summary({kDay[0], kDay[1]}, GroupBy::department, *config);
  ASSERT_TRUE(both.ok());
  ASSERT_EQ(both->groups.size(), 2u);
  EXPECT_EQ(both->groups[0].key, "民政局");
  EXPECT_EQ(counts(both->groups[0].appointments), (Row{4, 1, 1, 1, 1}));
  EXPECT_EQ(both->groups[1].key, "税务局");
  EXPECT_EQ(counts(both->groups[1].appointments), (Row{1, 1, 0, 0, 0}));
  EXPECT_EQ(counts(both->total.appointments), (Row{5, 2, 1, 1, 1}));

  // No window has an appointment: window reports count them in the group without a key.
  auto windows = (*p)->summary({kDay[0], kDay[1]}, GroupBy::window, *config);
  ASSERT_TRUE(windows.ok());
  ASSERT_EQ(windows->groups.size(), 1u);
  EXPECT_EQ(windows->groups[0].key, "");
  EXPECT_EQ(counts(windows->groups[0].appointments), (Row{5, 2, 1, 1, 1}));

  const json j = to_json(*today, *config);
  EXPECT_EQ(j["groups"][0]["appointments"],
            (json{{"total", 4}, {"booked", 1}, {"checked_in", 1}, {"missed", 1}, {"cancelled", 1}}));
  const std::string csv = to_csv(*today, *config);
  EXPECT_NE(csv.find(",4,1,1,1,1\r\n合计 total"), std::string::npos) << csv;

  // A rebuild from the journal gives the same counts.
  ASSERT_TRUE((*p)->rebuild().ok());
  auto again = (*p)->summary({kDay[0], kDay[1]}, GroupBy::department, *config);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(counts(again->total.appointments), (Row{5, 2, 1, 1, 1}));
}

TEST(ReportsProjectionOpen, RefusesAMissingJournalWithItsPath) {
  TempDir dir;
  auto p = Projection::open((dir.path / "nope.sqlite").string(), (dir.path / "x.reports").string());
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("nope.sqlite"), std::string::npos) << p.error().message;
}

}  // namespace
}  // namespace hallq::reports
