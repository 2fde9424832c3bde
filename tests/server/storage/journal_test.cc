// The journal against real SQLite files: what commit() stores, what load_state() gives back after
// a reopen, what a failed commit leaves behind (nothing), and the file's settings and guards.
#include "hallq/storage/journal.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "hallq/json_codec.h"
#include "journal_fixtures.h"

namespace hallq::testing {
namespace {

using storage::Batch;
using storage::Journal;

const std::string kDay1 = "2026-11-27";
const std::string kDay2 = "2026-11-28";
constexpr TimeMs kMinute = 60'000;
constexpr TimeMs kDay = 24 * 60 * kMinute;

std::unique_ptr<Journal> must_open(const std::string& path,
                                   const storage::JournalOptions& options = {}) {
  auto j = Journal::open(path, options);
  if (!j) throw std::runtime_error("open failed: " + j.error().message);
  return std::move(j).value();
}

core::EngineState must_load(Journal& j) {
  auto s = j.load_state();
  if (!s) throw std::runtime_error("load_state failed: " + s.error().message);
  return std::move(s).value();
}

void expect_same_requests(const std::vector<core::StoredRequest>& got,
                          const std::vector<core::StoredRequest>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE("request " + want[i].key);
    EXPECT_EQ(got[i].key, want[i].key);
    EXPECT_EQ(got[i].fingerprint, want[i].fingerprint);
    EXPECT_EQ(got[i].business_day, want[i].business_day);
    EXPECT_EQ(got[i].result, want[i].result);
  }
}

void expect_same_state(const core::EngineState& got, const core::EngineState& want) {
  EXPECT_EQ(got.last_seq, want.last_seq);
  EXPECT_EQ(got.business_day, want.business_day);
  EXPECT_EQ(got.notice, want.notice);
  EXPECT_EQ(got.notice_set, want.notice_set);
  EXPECT_EQ(got.tickets, want.tickets);
  EXPECT_EQ(got.windows, want.windows);
  expect_same_requests(got.requests, want.requests);
  EXPECT_EQ(got.alerts, want.alerts);
  EXPECT_EQ(got.followups, want.followups);
  EXPECT_EQ(got.appointments, want.appointments);
}

// SQL that puts back an older build's shape of `table`: a copy under `definition` (its columns
// and constraints) with every row and rowid, and the file marked as schema `version`.
std::string older_table_sql(const std::string& table, const std::string& definition, const std::string& columns,
                            int version) {
  const std::string old = table + "_old";
  return "CREATE TABLE " + old + "(" + definition + "); INSERT INTO " + old + "(rowid, " + columns +
         ") SELECT rowid, " + columns + " FROM " + table + "; DROP TABLE " + table + "; ALTER TABLE " + old +
         " RENAME TO " + table + "; UPDATE meta SET value = '" + std::to_string(version) +
         "' WHERE key = 'schema_version'";
}

class JournalTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string path_ = dir_.file("hall.db");
};

TEST_F(JournalTest, NewFileStartsEmpty) {
  auto j = must_open(path_);
  EXPECT_EQ(j->path(), path_);
  core::EngineState s = must_load(*j);
  expect_same_state(s, core::EngineState{});
  auto events = j->events_after(0, 100);
  ASSERT_TRUE(events.ok()) << events.error().message;
  EXPECT_TRUE(events->empty());

  RawDb raw(path_);
  EXPECT_EQ(raw.rows("SELECT key, value FROM meta ORDER BY key"),
            (std::vector<std::string>{"business_day|", "last_seq|0", "notice|", "notice_set|0",
                                      "schema_version|6"}));
}

TEST_F(JournalTest, CommitThenReopenLoadsExactlyWhatWasCommitted) {
  const Ticket a1 = make_ticket("tk-a1", "A001", kDay1, kMorning);
  const Ticket b1 = make_ticket("tk-b1", "B001", kDay1, kMorning + 1000, "B");
  const Ticket a1_called = called(a1, 3, "zhang.wei", kMorning + kMinute);
  const Window w3 = make_window(3, WindowState::open, kMorning + kMinute, "tk-a1", "zhang.wei");
  const Window w5 = make_window(5, WindowState::paused, kMorning + 2 * kMinute, "", "li.na");
  const std::string notice = "今天下午两点起，不动产登记窗口暂停办理。";
  const std::vector<core::StoredRequest> requests = {
      request("kiosk-1\x1f" "r1", kDay1, {{"ticket", "tk-a1"}}),
      request("kiosk-2\x1f" "r1", kDay1, {{"ticket", "tk-b1"}, {"ahead", 0}}),
      request("zhang.wei\x1f" "c1", kDay1, {{"called", "A001"}, {"window", 3}}),
      request("li.na\x1f" "p1", kDay1, nlohmann::json::object()),
      request("admin\x1f" "n1", kDay1, {{"notice", notice}}),
  };
  {
    auto j = must_open(path_);
    ASSERT_TRUE(j->commit({batch(day_rolled_over(1, kDay1, kMorning - kMinute))}).ok());
    ASSERT_TRUE(j->commit({batch(issued(2, a1), requests[0]),
                           batch(issued(3, b1), requests[1])})
                    .ok());
    Status s = j->commit({
        batch(ticket_event(4, EventType::ticket_called, a1_called, w3), requests[2]),
        batch(window_event(5, EventType::window_paused, w5), requests[3]),
        batch(notice_changed(6, notice, kMorning + 3 * kMinute), requests[4]),
    });
    ASSERT_TRUE(s.ok()) << s.error().message;
  }

  core::EngineState want;
  want.last_seq = 6;
  want.business_day = kDay1;
  want.notice = notice;
  want.notice_set = true;
  want.tickets = {a1_called, b1};  // the latest version, in the order first stored
  want.windows = {w3, w5};
  want.requests = requests;

  auto j = must_open(path_);
  expect_same_state(must_load(*j), want);
  auto report = j->integrity_check();
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(*report, "ok");

  // The columns reports query mirror the body.
  RawDb raw(path_);
  EXPECT_EQ(raw.rows("SELECT id, business_day, number, service, origin_service, class, state, "
                     "issued_at, called_at, started_at, finished_at, window, clerk FROM tickets "
                     "ORDER BY id"),
            (std::vector<std::string>{
                "tk-a1|2026-11-27|A001|A|A|normal|called|1795741200000|1795741260000|NULL|NULL|"
                "3|zhang.wei",
                "tk-b1|2026-11-27|B001|B|B|normal|waiting|1795741201000|NULL|NULL|NULL|NULL|NULL",
            }));

  // Commits continue from the stored seq after a reopen, and only from there.
  Status stale = j->commit({issue_batch(6, 2, kDay1, kMorning + 4 * kMinute)});
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::internal);
  EXPECT_NE(stale.error().message.find("event seq 6 does not follow 6"), std::string::npos)
      << stale.error().message;
  Status next = j->commit({issue_batch(7, 2, kDay1, kMorning + 4 * kMinute)});
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(must_load(*j).last_seq, 7u);
}

TEST_F(JournalTest, AfterRolloverOnlyTheNewDayIsLoaded) {
  const Ticket old_a1 = make_ticket("tk-old", "A001", kDay1, kMorning);
  Ticket expired = old_a1;
  expired.state = TicketState::cancelled;
  expired.history.push_back(TicketTransition{TicketStep::expired, kMorning + kDay, 0, "", "", ""});
  const Ticket new_a1 = make_ticket("tk-new", "A001", kDay2, kMorning + kDay);  // same number
  const Window w2 = make_window(2, WindowState::closed, kMorning + kDay, "", "wang.fang");
  const auto r1 = request("kiosk-1\x1f" "x1", kDay1, {{"ticket", "tk-old"}});
  // The same request id again the next day: ids are remembered per business day.
  const auto r2 = request("kiosk-1\x1f" "x1", kDay2, {{"ticket", "tk-new"}});
  {
    auto j = must_open(path_);
    Status s = j->commit({
        batch(day_rolled_over(1, kDay1, kMorning - kMinute)),
        batch(issued(2, old_a1), r1),
        batch(notice_changed(3, "午休 12:00-14:00", kMorning + kMinute)),
        batch(day_rolled_over(4, kDay2, kMorning + kDay - 2 * kMinute)),
        batch(ticket_event(5, EventType::ticket_expired, expired)),
        batch(issued(6, new_a1), r2),
        batch(window_event(7, EventType::window_closed, w2)),
    });
    ASSERT_TRUE(s.ok()) << s.error().message;
  }
  auto j = must_open(path_);
  core::EngineState want;
  want.last_seq = 7;
  want.business_day = kDay2;
  want.notice = "午休 12:00-14:00";
  want.notice_set = true;
  want.tickets = {new_a1};
  want.windows = {w2};
  want.requests = {r2};
  expect_same_state(must_load(*j), want);

  // Each event is filed under its ticket's day, else the day current when it happened.
  RawDb raw(path_);
  EXPECT_EQ(raw.rows("SELECT seq, type, business_day, ticket_id, window, actor FROM events "
                     "ORDER BY seq"),
            (std::vector<std::string>{
                "1|day_rolled_over|2026-11-27|NULL|NULL|system",
                "2|ticket_issued|2026-11-27|tk-old|NULL|kiosk-1",
                "3|notice_changed|2026-11-27|NULL|NULL|admin",
                "4|day_rolled_over|2026-11-28|NULL|NULL|system",
                "5|ticket_expired|2026-11-27|tk-old|NULL|kiosk-1",
                "6|ticket_issued|2026-11-28|tk-new|NULL|kiosk-1",
                "7|window_closed|2026-11-28|NULL|2|wang.fang",
            }));
  // The earlier day stays on file for reports.
  EXPECT_EQ(raw.one("SELECT count(*) FROM tickets"), "2");
  EXPECT_EQ(raw.one("SELECT state FROM tickets WHERE id = 'tk-old'"), "cancelled");
  EXPECT_EQ(raw.one("SELECT count(*) FROM requests"), "2");
}

// Runs inside sqlite3_open_v2 for every connection opened while registered, so the test can ask
// the journal's own connection about its per-connection settings without a test-only accessor.
// It also turns those settings away from what the journal wants (SQLite's compiled-in default
// synchronous is already FULL here): the journal must set them, not inherit them.
std::vector<sqlite3*> g_opened;
int capture_connection(sqlite3* db, const char**, const sqlite3_api_routines*) {
  g_opened.push_back(db);
  return sqlite3_exec(db, "PRAGMA synchronous=OFF; PRAGMA foreign_keys=OFF", nullptr, nullptr,
                      nullptr);
}

TEST_F(JournalTest, ConnectionUsesWalFullSyncForeignKeysAndBusyTimeout) {
  storage::JournalOptions options;
  options.busy_timeout_ms = 1234;
  g_opened.clear();
  auto entry = reinterpret_cast<void (*)()>(&capture_connection);
  ASSERT_EQ(sqlite3_auto_extension(entry), SQLITE_OK);
  auto j = Journal::open(path_, options);
  sqlite3_cancel_auto_extension(entry);
  ASSERT_TRUE(j.ok()) << j.error().message;
  // The writer, then the connection the journal's thread checkpoints with.
  ASSERT_EQ(g_opened.size(), 2u);
  sqlite3* db = g_opened[0];

  using Rows = std::vector<std::string>;
  EXPECT_EQ(RawDb::rows_on(db, "PRAGMA journal_mode"), Rows{"wal"});
  EXPECT_EQ(RawDb::rows_on(db, "PRAGMA synchronous"), Rows{"2"});  // FULL
  EXPECT_EQ(RawDb::rows_on(db, "PRAGMA foreign_keys"), Rows{"1"});
  EXPECT_EQ(RawDb::rows_on(db, "PRAGMA busy_timeout"), Rows{"1234"});
  // A checkpoint must fsync the database before the WAL may start over.
  EXPECT_EQ(RawDb::rows_on(g_opened[1], "PRAGMA synchronous"), Rows{"2"});

  // WAL is a property of the file: any other connection sees it too.
  RawDb other(path_);
  EXPECT_EQ(other.one("PRAGMA journal_mode"), "wal");
}

TEST_F(JournalTest, GroupCommitOfAThousandBatchesStoresThemAll) {
  auto j = must_open(path_);
  ASSERT_TRUE(j->commit({batch(day_rolled_over(1, kDay1, kMorning - kMinute))}).ok());
  std::vector<Batch> batches;
  for (int i = 0; i < 1000; ++i) {
    batches.push_back(issue_batch(2 + i, 1 + i, kDay1, kMorning + i * 1000));
  }
  Status s = j->commit(batches);
  ASSERT_TRUE(s.ok()) << s.error().message;

  j = must_open(path_);
  core::EngineState st = must_load(*j);
  EXPECT_EQ(st.last_seq, 1001u);
  ASSERT_EQ(st.tickets.size(), 1000u);
  ASSERT_EQ(st.requests.size(), 1000u);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(st.tickets[i], *batches[i].events[0].ticket);
    EXPECT_EQ(st.requests[i].key, batches[i].request->key);
  }
  auto events = j->events_after(1, 5000);
  ASSERT_TRUE(events.ok()) << events.error().message;
  ASSERT_EQ(events->size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ((*events)[i], batches[i].events[0]);
  EXPECT_EQ(*j->integrity_check(), "ok");
}

// A commit that breaks a rule stores none of its batches, leaves the journal where it was, and
// the next correct commit goes through. Each case starts from the same three stored events:
// rollover to day 1, A001 (T2, request r2), A002 (T3, request r3).
TEST_F(JournalTest, FailedCommitStoresNothingAndTheNextCommitWorks) {
  struct Case {
    const char* name;
    std::function<std::vector<Batch>()> batches;
    const char* error;  // part of the message
  };
  const TimeMs t = kMorning + kMinute;
  const Case cases[] = {
      {"bad seq in the 500th of 1000 batches",
       [&] {
         std::vector<Batch> b;
         for (int i = 0; i < 1000; ++i) {
           std::uint64_t seq = 4 + i + (i >= 499 ? 1 : 0);
           b.push_back(issue_batch(seq, 3 + i, kDay1, t + i));
         }
         return b;
       },
       "event seq 504 does not follow 502"},
      {"seq already stored",
       [&] { return std::vector<Batch>{issue_batch(3, 3, kDay1, t)}; },
       "event seq 3 does not follow 3"},
      {"seq zero", [&] { return std::vector<Batch>{issue_batch(0, 3, kDay1, t)}; },
       "event seq 0 does not follow 3"},
      {"stored number under a new id",
       [&] {
         return std::vector<Batch>{issue_batch(4, 3, kDay1, t),
                                   batch(issued(5, make_ticket("T-other", "A001", kDay1, t)))};
       },
       "store ticket T-other of event 5: number A001 was already issued on 2026-11-27"},
      {"same number twice in one commit",
       [&] {
         return std::vector<Batch>{issue_batch(4, 3, kDay1, t),
                                   batch(issued(5, make_ticket("T-other", "A003", kDay1, t)))};
       },
       "store ticket T-other of event 5: number A003 was already issued on 2026-11-27"},
      {"stored request key",
       [&] {
         Batch b = issue_batch(4, 3, kDay1, t);
         b.request->key = "kiosk-1\x1fr2";
         return std::vector<Batch>{b};
       },
       "request key already stored for 2026-11-27"},
      {"same request key twice in one commit",
       [&] {
         Batch b = issue_batch(5, 4, kDay1, t);
         b.request->key = "kiosk-1\x1fr4";
         return std::vector<Batch>{issue_batch(4, 3, kDay1, t), b};
       },
       "request key already stored for 2026-11-27"},
      {"rollover then a bad seq",
       [&] {
         return std::vector<Batch>{batch(day_rolled_over(4, kDay2, t)),
                                   issue_batch(6, 1, kDay2, t)};
       },
       "event seq 6 does not follow 4"},
      {"rollover without a day",
       [&] { return std::vector<Batch>{batch(day_rolled_over(4, "", t))}; },
       "day_rolled_over without business_day"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    const std::string path = dir.file("hall.db");
    auto j = must_open(path);
    ASSERT_TRUE(j->commit({batch(day_rolled_over(1, kDay1, kMorning - kMinute)),
                           issue_batch(2, 1, kDay1, kMorning), issue_batch(3, 2, kDay1, kMorning)})
                    .ok());
    const core::EngineState before = must_load(*j);
    RawDb raw(path);
    const std::string counts_sql =
        "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM tickets), "
        "(SELECT count(*) FROM windows), (SELECT count(*) FROM requests), "
        "(SELECT group_concat(key || '=' || value) FROM meta)";
    const std::string counts = raw.one(counts_sql);

    Status s = j->commit(c.batches());
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::internal);
    EXPECT_EQ(s.error().message.rfind(path + ": ", 0), 0u) << s.error().message;
    EXPECT_NE(s.error().message.find(c.error), std::string::npos) << s.error().message;
    EXPECT_EQ(raw.one(counts_sql), counts);
    expect_same_state(must_load(*j), before);

    // The journal's own idea of the day did not move either: a notice lands on day 1.
    Status good = j->commit({issue_batch(4, 3, kDay1, t),
                             batch(notice_changed(5, "请带好身份证", t))});
    ASSERT_TRUE(good.ok()) << good.error().message;
    EXPECT_EQ(raw.one("SELECT business_day FROM events WHERE seq = 5"), kDay1);
    j = must_open(path);
    core::EngineState after = must_load(*j);
    EXPECT_EQ(after.last_seq, 5u);
    EXPECT_EQ(after.business_day, kDay1);
    EXPECT_EQ(after.tickets.size(), 3u);
  }
}

TEST_F(JournalTest, EmptyCommitIsANoOp) {
  auto j = must_open(path_);
  EXPECT_TRUE(j->commit({}).ok());
  EXPECT_TRUE(j->commit({Batch{}, Batch{}}).ok());
  RawDb raw(path_);
  EXPECT_EQ(raw.one("SELECT count(*) FROM events"), "0");
  EXPECT_EQ(raw.one("SELECT value FROM meta WHERE key = 'last_seq'"), "0");
  ASSERT_TRUE(j->commit({batch(day_rolled_over(1, kDay1, kMorning))}).ok());
}

// The events table is the audit trail: SQL that would rewrite history is refused, whoever runs it.
TEST_F(JournalTest, EventsTableIsAppendOnly) {
  {
    auto j = must_open(path_);
    ASSERT_TRUE(j->commit({batch(day_rolled_over(1, kDay1, kMorning)),
                           issue_batch(2, 1, kDay1, kMorning)})
                    .ok());
  }
  RawDb raw(path_);
  const std::string before = raw.one("SELECT group_concat(seq || type || body) FROM events");
  const char* attempts[] = {
      "UPDATE events SET type = 'ticket_cancelled' WHERE seq = 2",
      "UPDATE events SET business_day = '2026-01-01'",
      "DELETE FROM events WHERE seq = 2",
      "DELETE FROM events",
      "INSERT OR REPLACE INTO events(seq, at, type, business_day, body) "
      "VALUES(2, 0, 'ticket_cancelled', '2026-11-27', '{}')",
  };
  for (const char* sql : attempts) {
    SCOPED_TRACE(sql);
    auto err = raw.exec(sql);
    ASSERT_TRUE(err.has_value());
    EXPECT_NE(err->find("events are append-only"), std::string::npos) << *err;
  }
  EXPECT_EQ(raw.one("SELECT group_concat(seq || type || body) FROM events"), before);
  // Appending is what the table is for.
  EXPECT_FALSE(raw.exec("INSERT INTO events(seq, at, type, business_day, body) "
                        "VALUES(3, 0, 'notice_changed', '2026-11-27', '{}')")
                   .has_value());
}

TEST_F(JournalTest, EventsAfterReturnsStoredEventsInOrder) {
  auto j = must_open(path_);
  std::vector<Event> all = {day_rolled_over(1, kDay1, kMorning)};
  for (int i = 0; i < 9; ++i) {
    all.push_back(issue_batch(2 + i, 1 + i, kDay1, kMorning + i).events[0]);
  }
  std::vector<Batch> batches;
  for (const Event& e : all) batches.push_back(batch(e));
  ASSERT_TRUE(j->commit(batches).ok());

  struct Case {
    std::uint64_t after;
    std::size_t limit;
    std::uint64_t first;  // seq of the first event expected
    std::size_t count;
  };
  const Case cases[] = {
      {0, 100, 1, 10}, {0, 3, 1, 3}, {4, 2, 5, 2}, {9, 100, 10, 1}, {10, 100, 0, 0},
      {500, 10, 0, 0}, {3, 0, 0, 0}, {0, static_cast<std::size_t>(-1), 1, 10},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("after " + std::to_string(c.after) + " limit " + std::to_string(c.limit));
    auto got = j->events_after(c.after, c.limit);
    ASSERT_TRUE(got.ok()) << got.error().message;
    ASSERT_EQ(got->size(), c.count);
    for (std::size_t i = 0; i < c.count; ++i) EXPECT_EQ((*got)[i], all[c.first - 1 + i]);
  }
}

TEST_F(JournalTest, UnreadableTicketIsAnErrorNamingIt) {
  auto j = must_open(path_);
  ASSERT_TRUE(j->commit({batch(day_rolled_over(1, kDay1, kMorning)),
                         issue_batch(2, 1, kDay1, kMorning), issue_batch(3, 2, kDay1, kMorning)})
                  .ok());
  RawDb raw(path_);
  struct Case {
    const char* body;
    const char* error;
  };
  const Case cases[] = {
      {"not json", "ticket T3: body is not JSON"},
      {"{\"id\":\"T3\"}", "ticket T3: "},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    ASSERT_FALSE(raw.exec(std::string("UPDATE tickets SET body = '") + c.body + "' WHERE id = 'T3'")
                     .has_value());
    auto st = j->load_state();
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::internal);
    EXPECT_NE(st.error().message.find(c.error), std::string::npos) << st.error().message;
  }
  // Another ticket's record in T3's row: readable, but not T3.
  const std::string t2 = raw.one("SELECT body FROM tickets WHERE id = 'T2'");
  ASSERT_FALSE(raw.exec("UPDATE tickets SET body = '" + t2 + "' WHERE id = 'T3'").has_value());
  auto st = j->load_state();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("ticket T3: body has id 'T2'"), std::string::npos) << st.error().message;
}

TEST_F(JournalTest, OpenRefusesWhatItCannotUse) {
  struct Case {
    const char* name;
    std::function<std::string(const TempDir&)> prepare;  // returns the path to open
    const char* error;
  };
  const Case cases[] = {
      {"a newer schema",
       [](const TempDir& d) {
         std::string p = d.file("hall.db");
         must_open(p);
         RawDb(p).exec("UPDATE meta SET value = '7' WHERE key = 'schema_version'");
         return p;
       },
       "schema version 7 is newer than this HallQ supports (6)"},
      {"a file that is not SQLite",
       [](const TempDir& d) {
         std::string p = d.file("hall.db");
         std::ofstream(p) << std::string(8192, 'x');
         return p;
       },
       "file is not a database"},
      {"a missing directory", [](const TempDir& d) { return d.file("no-such-dir/hall.db"); },
       "unable to open database file"},
      {"meta out of step with events",
       [](const TempDir& d) {
         std::string p = d.file("hall.db");
         must_open(p)->commit({batch(day_rolled_over(1, kDay1, kMorning))});
         RawDb(p).exec("UPDATE meta SET value = '7' WHERE key = 'last_seq'");
         return p;
       },
       "last_seq is 7 but the last event is 1"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    std::string path = c.prepare(dir);
    auto j = Journal::open(path);
    ASSERT_FALSE(j.ok());
    EXPECT_EQ(j.error().code, ErrorCode::internal);
    EXPECT_EQ(j.error().message.rfind(path + ": ", 0), 0u) << j.error().message;
    EXPECT_NE(j.error().message.find(c.error), std::string::npos) << j.error().message;
  }
}

// ---- service quality (schema version 2) -------------------------------------------------------

Followup make_followup(const std::string& ticket, const std::string& number, TimeMs at) {
  Followup f;
  f.id = "F20261127" + number;
  f.ticket = ticket;
  f.number = number;
  f.service = "A";
  f.window = 3;
  f.clerk = "zhang";
  f.level = 1;
  f.opened_at = at;
  f.due_at = at + 21 * kDay;
  return f;
}

Alert make_alert(const std::string& ticket, const std::string& number, TimeMs since) {
  Alert a;
  a.id = "W-" + ticket;
  a.kind = AlertKind::wait;
  a.service = "A";
  a.ticket = ticket;
  a.number = number;
  a.since = since;
  a.limit_s = 1800;
  a.raised_at = since + 30 * kMinute;
  return a;
}

Event quality_event(std::uint64_t seq, EventType type, TimeMs at) {
  Event e;
  e.seq = seq;
  e.at = at;
  e.type = type;
  e.actor = "system";
  return e;
}

TEST_F(JournalTest, FollowupsAndActiveAlertsSurviveAReopen) {
  Ticket t1 = make_ticket("T1", "A001", kDay1, kMorning);
  Ticket t2 = make_ticket("T2", "A002", kDay1, kMorning);
  Event raised1 = quality_event(4, EventType::alert_raised, kMorning + 30 * kMinute);
  raised1.alert = make_alert("T1", "A001", kMorning);
  Event raised2 = quality_event(5, EventType::alert_raised, kMorning + 30 * kMinute);
  raised2.alert = make_alert("T2", "A002", kMorning);
  Event cleared2 = quality_event(6, EventType::alert_cleared, kMorning + 31 * kMinute);
  cleared2.alert = raised2.alert;
  cleared2.alert->cleared_at = kMorning + 31 * kMinute;
  Ticket rated = t1;
  rated.state = TicketState::done;
  rated.rating = Rating{1, kMorning + kDay / 48, RatingVia::visitor};
  Event rated_event = ticket_event(7, EventType::ticket_rated, rated);
  Event opened = quality_event(8, EventType::followup_opened, kMorning + kDay / 48);
  opened.followup = make_followup("T1", "A001", kMorning + kDay / 48);
  Event opened2 = quality_event(9, EventType::followup_opened, kMorning + kDay / 48);
  opened2.followup = make_followup("T2", "A002", kMorning + kDay / 48);
  Event closed2 = quality_event(10, EventType::followup_updated, kMorning + kDay / 24);
  closed2.followup = opened2.followup;
  closed2.followup->state = FollowupState::closed;
  closed2.followup->callback_note = "已回访";
  closed2.followup->fix_note = "已整改";
  closed2.followup->closed_at = kMorning + kDay / 24;
  {
    auto j = must_open(path_);
    Status s = j->commit({batch(day_rolled_over(1, kDay1, kMorning)), batch(issued(2, t1)),
                          batch(issued(3, t2)), batch(raised1), batch(raised2), batch(cleared2),
                          batch(rated_event), batch(opened), batch(opened2), batch(closed2)});
    ASSERT_TRUE(s.ok()) << s.error().message;
  }
  auto j = must_open(path_);
  core::EngineState st = must_load(*j);
  ASSERT_EQ(st.alerts.size(), 1u);  // the cleared one is gone
  EXPECT_EQ(st.alerts[0], *raised1.alert);
  ASSERT_EQ(st.followups.size(), 1u);  // closed ones are history, not state
  EXPECT_EQ(st.followups[0], *opened.followup);
  ASSERT_EQ(st.tickets.size(), 2u);
  EXPECT_EQ(st.tickets[0].rating, rated.rating);

  // Reports read the indexed columns and the events, closed follow-ups included.
  RawDb raw(path_);
  EXPECT_EQ(raw.rows("SELECT id, ticket_id, state, closed_at FROM followups ORDER BY id"),
            (std::vector<std::string>{"F20261127A001|T1|open|NULL",
                                      "F20261127A002|T2|closed|" + std::to_string(kMorning + kDay / 24)}));
  EXPECT_EQ(raw.rows("SELECT type, ticket_id, window FROM events WHERE seq >= 4 ORDER BY seq"),
            (std::vector<std::string>{"alert_raised|T1|NULL", "alert_raised|T2|NULL",
                                      "alert_cleared|T2|NULL", "ticket_rated|T1|NULL",
                                      "followup_opened|T1|3", "followup_opened|T2|3",
                                      "followup_updated|T2|3"}));
  auto events = j->events_after(3, 100);
  ASSERT_TRUE(events.ok()) << events.error().message;
  ASSERT_EQ(events->size(), 7u);
  EXPECT_EQ((*events)[2], cleared2);
  EXPECT_EQ((*events)[6], closed2);
}

TEST_F(JournalTest, AVersion1FileIsMigratedInPlace) {
  {
    auto j = must_open(path_);
    ASSERT_TRUE(j->commit({batch(day_rolled_over(1, kDay1, kMorning)), issue_batch(2, 1, kDay1, kMorning)}).ok());
  }
  {
    // What hallq 0.1 left on disk: no follow-ups or alerts tables, version 1.
    RawDb raw(path_);
    ASSERT_EQ(raw.exec("DROP TABLE followups; DROP TABLE alerts; DROP TABLE appointments; "
                       "UPDATE meta SET value = '1' WHERE key = 'schema_version'"),
              std::nullopt);
  }
  auto j = must_open(path_);
  // 1 -> 2 -> 3 -> 4 -> 5 -> 6 in one open.
  EXPECT_EQ(RawDb(path_).one("SELECT value FROM meta WHERE key = 'schema_version'"), "6");
  core::EngineState st = must_load(*j);
  EXPECT_EQ(st.last_seq, 2u);
  ASSERT_EQ(st.tickets.size(), 1u);
  Event opened = quality_event(3, EventType::followup_opened, kMorning);
  opened.followup = make_followup("T2", "A001", kMorning);
  ASSERT_TRUE(j->commit({batch(opened)}).ok());
  EXPECT_EQ(must_load(*j).followups.size(), 1u);
  // Opening again does not migrate twice.
  j.reset();
  EXPECT_EQ(must_load(*must_open(path_)).followups.size(), 1u);
}

TEST_F(JournalTest, UnreadableFollowupIsAnErrorNamingIt) {
  {
    auto j = must_open(path_);
    Event opened = quality_event(1, EventType::followup_opened, kMorning);
    opened.followup = make_followup("T1", "A001", kMorning);
    ASSERT_TRUE(j->commit({batch(opened)}).ok());
  }
  RawDb(path_).exec("UPDATE followups SET body = '{\"id\": 7}'");
  auto j = must_open(path_);
  auto s = j->load_state();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("follow-up F20261127A001"), std::string::npos) << s.error().message;
}


// ---- appointments (schema version 3) ----------------------------------------------------------

Appointment make_appointment(const std::string& code, const std::string& date, TimeMs slot) {
  Appointment a;
  a.code = code;
  a.service = "B";
  a.date = date;
  a.slot_start = slot;
  a.slot_end = slot + 30 * kMinute;
  a.booked_at = kMorning;
  a.booked_by = "portal";
  return a;
}

Event appointment_event(std::uint64_t seq, EventType type, const Appointment& a, TimeMs at) {
  Event e = quality_event(seq, type, at);
  e.appointment = a;
  return e;
}

TEST_F(JournalTest, AppointmentsFromTheBusinessDayOnSurviveAReopen) {
  Appointment today = make_appointment("111111", kDay1, kMorning + 60 * kMinute);
  Appointment tomorrow = make_appointment("222222", kDay2, kMorning + kDay);
  Appointment cancelled = make_appointment("333333", kDay2, kMorning + kDay + 30 * kMinute);
  Ticket t = make_ticket("T1", "B001", kDay1, kMorning + 50 * kMinute);
  Appointment checked = today;
  checked.state = AppointmentState::checked_in;
  checked.ticket = "T1";
  checked.number = "B001";
  checked.checked_in_at = kMorning + 50 * kMinute;
  Appointment gone = cancelled;
  gone.state = AppointmentState::cancelled;
  {
    auto j = must_open(path_);
    Status s = j->commit(
        {batch(day_rolled_over(1, kDay1, kMorning)),
         batch(appointment_event(2, EventType::appointment_booked, today, kMorning)),
         batch(appointment_event(3, EventType::appointment_booked, tomorrow, kMorning)),
         batch(appointment_event(4, EventType::appointment_booked, cancelled, kMorning)),
         batch(appointment_event(5, EventType::appointment_cancelled, gone, kMorning)),
         Batch{{issued(6, t), appointment_event(7, EventType::appointment_checked_in, checked,
                                                kMorning + 50 * kMinute)},
               std::nullopt, {}}});
    ASSERT_TRUE(s.ok()) << s.error().message;
  }
  {
    auto j = must_open(path_);
    core::EngineState st = must_load(*j);
    EXPECT_EQ(st.appointments, (std::vector<Appointment>{checked, tomorrow, gone}));
    RawDb raw(path_);
    EXPECT_EQ(raw.rows("SELECT code, state, ticket_id FROM appointments ORDER BY code"),
              (std::vector<std::string>{"111111|checked_in|T1", "222222|booked|NULL",
                                        "333333|cancelled|NULL"}));
    EXPECT_EQ(raw.rows("SELECT type, ticket_id FROM events WHERE seq = 7"),
              (std::vector<std::string>{"appointment_checked_in|NULL"}));
    // The next day: yesterday's checked-in one is history; a still-booked old one stays (its
    // missed timer has not run yet).
    Appointment late = make_appointment("444444", kDay1, kMorning + 9 * 60 * kMinute);
    ASSERT_TRUE(j->commit({batch(appointment_event(8, EventType::appointment_booked, late, kMorning)),
                           batch(day_rolled_over(9, kDay2, kMorning + kDay))})
                    .ok());
    st = must_load(*j);
    EXPECT_EQ(st.appointments, (std::vector<Appointment>{late, tomorrow, gone}));
  }
}

TEST_F(JournalTest, AVersion2FileGainsTheAppointmentsTable) {
  {
    auto j = must_open(path_);
    ASSERT_TRUE(j->commit({batch(day_rolled_over(1, kDay1, kMorning)), issue_batch(2, 1, kDay1, kMorning)}).ok());
  }
  {
    // What the build before appointments left on disk.
    RawDb raw(path_);
    ASSERT_EQ(raw.exec("DROP TABLE appointments; "
                       "UPDATE meta SET value = '2' WHERE key = 'schema_version'"),
              std::nullopt);
  }
  auto j = must_open(path_);
  EXPECT_EQ(RawDb(path_).one("SELECT value FROM meta WHERE key = 'schema_version'"), "6");
  core::EngineState st = must_load(*j);
  EXPECT_EQ(st.last_seq, 2u);
  EXPECT_EQ(st.tickets.size(), 1u);
  EXPECT_TRUE(st.appointments.empty());
  Appointment a = make_appointment("555555", kDay1, kMorning + 60 * kMinute);
  ASSERT_TRUE(j->commit({batch(appointment_event(3, EventType::appointment_booked, a, kMorning))}).ok());
  j.reset();
  EXPECT_EQ(must_load(*must_open(path_)).appointments, std::vector<Appointment>{a});
}

TEST_F(JournalTest, UnreadableAppointmentIsAnErrorNamingIt) {
  {
    auto j = must_open(path_);
    Appointment a = make_appointment("666666", kDay1, kMorning + 60 * kMinute);
    ASSERT_TRUE(j->commit({batch(appointment_event(1, EventType::appointment_booked, a, kMorning))}).ok());
  }
  RawDb(path_).exec("UPDATE appointments SET body = '{\"code\": 7}'");
  auto j = must_open(path_);
  auto s = j->load_state();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("appointment 666666"), std::string::npos) << s.error().message;
}

TEST_F(JournalTest, AVersion3FileLosesTheIndexesNothingReads) {
  {
    auto j = must_open(path_);
    ASSERT_TRUE(j->commit({batch(day_rolled_over(1, kDay1, kMorning)), issue_batch(2, 1, kDay1, kMorning)}).ok());
  }
  {
    // What the build before this one left on disk: three indexes every commit paid for.
    RawDb raw(path_);
    ASSERT_EQ(raw.exec("CREATE INDEX events_by_day ON events(business_day); "
                       "CREATE INDEX tickets_by_day_service ON tickets(business_day, service); "
                       "CREATE INDEX tickets_by_day_state ON tickets(business_day, state); "
                       "UPDATE meta SET value = '3' WHERE key = 'schema_version'"),
              std::nullopt);
  }
  auto j = must_open(path_);
  RawDb raw(path_);
  EXPECT_EQ(raw.one("SELECT value FROM meta WHERE key = 'schema_version'"), "6");
  EXPECT_EQ(raw.one("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN "
                    "('events_by_day', 'tickets_by_day_service', 'tickets_by_day_state')"),
            "0");
  // Version 6 replaced the unique (business_day, number) with an index on the day.
  EXPECT_EQ(raw.rows("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tickets' ORDER BY name"),
            (std::vector<std::string>{"sqlite_autoindex_tickets_1", "tickets_by_day"}));
  EXPECT_EQ(must_load(*j).tickets.size(), 1u);
}

// Version 4 kept requests unique with an index; version 5 drops it and the journal keeps them
// unique itself. The day's answers come back in the order they were stored, and a stored key
// is still refused.
TEST_F(JournalTest, AVersion4FileKeepsItsRequestsWithoutTheKeyIndex) {
  {
    auto j = must_open(path_);
    ASSERT_TRUE(j->commit({batch(day_rolled_over(1, kDay1, kMorning))}).ok());
    // Keys out of order, so that an index order would show.
    for (int i = 0; i < 5; ++i) {
      Batch b = issue_batch(2 + i, 1 + i, kDay1, kMorning + i);
      b.request->key = "kiosk-" + std::to_string(5 - i) + "\x1fr1";
      ASSERT_TRUE(j->commit({b}).ok());
    }
  }
  {
    // What the build before this one left on disk.
    RawDb raw(path_);
    ASSERT_EQ(raw.exec(older_table_sql("requests",
                                       "business_day TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, "
                                       "result TEXT NOT NULL, PRIMARY KEY(business_day, key)",
                                       "business_day, key, fingerprint, result", 4)),
              std::nullopt);
    ASSERT_EQ(raw.one("SELECT count(*) FROM sqlite_master WHERE tbl_name = 'requests' AND type = 'index'"), "1");
  }
  auto j = must_open(path_);
  RawDb raw(path_);
  EXPECT_EQ(raw.one("SELECT value FROM meta WHERE key = 'schema_version'"), "6");
  EXPECT_EQ(raw.rows("SELECT name FROM sqlite_master WHERE tbl_name = 'requests' AND type = 'index'"),
            (std::vector<std::string>{"requests_by_day"}));
  const core::EngineState st = must_load(*j);
  ASSERT_EQ(st.requests.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(st.requests[i].key, "kiosk-" + std::to_string(5 - i) + "\x1fr1");
  Batch again = issue_batch(7, 6, kDay1, kMorning + 10);
  again.request->key = "kiosk-3\x1fr1";
  Status s = j->commit({again});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("request key already stored for 2026-11-27"), std::string::npos)
      << s.error().message;
  EXPECT_EQ(raw.one("SELECT count(*) FROM requests"), "5");
}

// A key is unique within its business day: refused again on the same day, after a reopen
// too, and free again the next day (a kiosk's request ids start over each morning).
TEST_F(JournalTest, ARequestKeyIsRefusedWithinItsDayAndFreeTheNext) {
  const auto with_key = [](Batch b, const std::string& key) {
    b.request->key = key;
    return b;
  };
  const std::string key = "kiosk-1\x1fmorning-1";
  auto j = must_open(path_);
  ASSERT_TRUE(j->commit({batch(day_rolled_over(1, kDay1, kMorning)), with_key(issue_batch(2, 1, kDay1, kMorning), key)}).ok());
  EXPECT_FALSE(j->commit({with_key(issue_batch(3, 2, kDay1, kMorning), key)}).ok());
  j.reset();
  j = must_open(path_);
  Status reopened = j->commit({with_key(issue_batch(3, 2, kDay1, kMorning), key)});
  ASSERT_FALSE(reopened.ok());
  EXPECT_NE(reopened.error().message.find("already stored"), std::string::npos) << reopened.error().message;
  // The next day, the rollover and the reused key in one commit.
  ASSERT_TRUE(j->commit({batch(day_rolled_over(3, kDay2, kMorning + kDay)),
                         with_key(issue_batch(4, 1, kDay2, kMorning + kDay), key)})
                  .ok());
  EXPECT_FALSE(j->commit({with_key(issue_batch(5, 2, kDay2, kMorning + kDay), key)}).ok());
  // A failed commit stores nothing, and leaves nothing behind in the check either.
  const std::string other = "kiosk-2\x1fmorning-1";
  EXPECT_FALSE(j->commit({with_key(issue_batch(5, 2, kDay2, kMorning + kDay), other),
                          with_key(issue_batch(6, 3, kDay2, kMorning + kDay), key)})
                   .ok());
  EXPECT_TRUE(j->commit({with_key(issue_batch(5, 2, kDay2, kMorning + kDay), other)}).ok());
  j.reset();
  j = must_open(path_);
  EXPECT_FALSE(j->commit({with_key(issue_batch(6, 3, kDay2, kMorning + kDay), key)}).ok());
  EXPECT_FALSE(j->commit({with_key(issue_batch(6, 3, kDay2, kMorning + kDay), other)}).ok());
  RawDb raw(path_);
  EXPECT_EQ(raw.rows("SELECT business_day || ' ' || key FROM requests ORDER BY rowid"),
            (std::vector<std::string>{kDay1 + " " + key, kDay2 + " " + key, kDay2 + " " + other}));
}

// Version 5 kept numbers unique with an index on (business_day, number); version 6 drops it and
// the journal refuses a number issued twice itself. Tickets come back in the order they were
// issued, and a number issued that day is still refused.
TEST_F(JournalTest, AVersion5FileKeepsItsTicketsWithoutTheNumberIndex) {
  {
    auto j = must_open(path_);
    ASSERT_TRUE(j->commit({batch(day_rolled_over(1, kDay1, kMorning))}).ok());
    // Numbers out of order, so that an index order would show.
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(j->commit({issue_batch(2 + i, 5 - i, kDay1, kMorning + i)}).ok());
  }
  {
    // What the build before this one left on disk.
    RawDb raw(path_);
    ASSERT_EQ(raw.exec(older_table_sql("tickets",
                                       "id TEXT PRIMARY KEY, business_day TEXT NOT NULL, number TEXT NOT NULL, "
                                       "service TEXT NOT NULL, origin_service TEXT NOT NULL, class TEXT NOT NULL, "
                                       "state TEXT NOT NULL, issued_at INTEGER NOT NULL, called_at INTEGER, "
                                       "started_at INTEGER, finished_at INTEGER, window INTEGER, clerk TEXT, "
                                       "body TEXT NOT NULL, UNIQUE(business_day, number)",
                                       "id, business_day, number, service, origin_service, class, state, issued_at, "
                                       "called_at, started_at, finished_at, window, clerk, body",
                                       5)),
              std::nullopt);
    ASSERT_EQ(raw.one("SELECT count(*) FROM sqlite_master WHERE tbl_name = 'tickets' AND type = 'index'"), "2");
  }
  auto j = must_open(path_);
  RawDb raw(path_);
  EXPECT_EQ(raw.one("SELECT value FROM meta WHERE key = 'schema_version'"), "6");
  EXPECT_EQ(raw.rows("SELECT name FROM sqlite_master WHERE tbl_name = 'tickets' AND type = 'index' ORDER BY name"),
            (std::vector<std::string>{"sqlite_autoindex_tickets_1", "tickets_by_day"}));
  const core::EngineState st = must_load(*j);
  ASSERT_EQ(st.tickets.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(st.tickets[i].id, "T" + std::to_string(2 + i));
    EXPECT_EQ(st.tickets[i].number, "A00" + std::to_string(5 - i));
  }
  Status s = j->commit({issue_batch(7, 3, kDay1, kMorning + 10)});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("store ticket T7 of event 7: number A003 was already issued on 2026-11-27"),
            std::string::npos)
      << s.error().message;
  EXPECT_EQ(raw.one("SELECT count(*) FROM tickets"), "5");
  EXPECT_TRUE(j->commit({issue_batch(7, 6, kDay1, kMorning + 10)}).ok());
}

// A number is issued once within its business day: refused again on the same day (also by
// another ticket in the same commit, and after a reopen), free again the next day. A ticket that
// moves on keeps its number without being refused.
TEST_F(JournalTest, ANumberIsRefusedWithinItsDayAndFreeTheNext) {
  const auto refused = [](const Status& s, const std::string& number, const std::string& day) {
    if (s.ok()) return ::testing::AssertionFailure() << number << " was stored";
    if (s.error().message.find("number " + number + " was already issued on " + day) == std::string::npos)
      return ::testing::AssertionFailure() << "refused for another reason: " << s.error().message;
    return ::testing::AssertionSuccess();
  };
  auto j = must_open(path_);
  ASSERT_TRUE(j->commit({batch(day_rolled_over(1, kDay1, kMorning)), issue_batch(2, 1, kDay1, kMorning)}).ok());
  Ticket a001 = make_ticket("T2", "A001", kDay1, kMorning);
  ASSERT_TRUE(j->commit({batch(ticket_event(3, EventType::ticket_called, called(a001, 4, "clerk-4", kMorning + kMinute)))}).ok());
  EXPECT_TRUE(refused(j->commit({issue_batch(4, 1, kDay1, kMorning)}), "A001", kDay1));
  EXPECT_TRUE(refused(j->commit({issue_batch(4, 2, kDay1, kMorning), issue_batch(5, 2, kDay1, kMorning)}), "A002", kDay1));
  j.reset();
  j = must_open(path_);
  EXPECT_TRUE(refused(j->commit({issue_batch(4, 1, kDay1, kMorning)}), "A001", kDay1));
  // A002 was refused with its commit: it is free.
  ASSERT_TRUE(j->commit({issue_batch(4, 2, kDay1, kMorning)}).ok());
  // The next day, the rollover and A001 again in one commit.
  ASSERT_TRUE(j->commit({batch(day_rolled_over(5, kDay2, kMorning + kDay)), issue_batch(6, 1, kDay2, kMorning + kDay)}).ok());
  EXPECT_TRUE(refused(j->commit({issue_batch(7, 1, kDay2, kMorning + kDay)}), "A001", kDay2));
  j.reset();
  j = must_open(path_);
  EXPECT_TRUE(refused(j->commit({issue_batch(7, 1, kDay2, kMorning + kDay)}), "A001", kDay2));
  EXPECT_TRUE(refused(j->commit({issue_batch(7, 2, kDay2, kMorning + kDay), issue_batch(8, 2, kDay2, kMorning + kDay)}), "A002", kDay2));
  RawDb raw(path_);
  EXPECT_EQ(raw.rows("SELECT business_day || ' ' || number || ' ' || state FROM tickets ORDER BY rowid"),
            (std::vector<std::string>{kDay1 + " A001 called", kDay1 + " A002 waiting", kDay2 + " A001 waiting"}));
}

// The commit thread never copies the WAL into the database itself: the journal's own thread
// does, while commits go on. The database file grows only by those copies.
TEST_F(JournalTest, CheckpointsRunBesideTheCommits) {
  auto j = must_open(path_);
  ASSERT_TRUE(j->commit({batch(day_rolled_over(1, kDay1, kMorning))}).ok());
  const auto db_size = [this] { return std::filesystem::file_size(path_); };
  const auto before = db_size();
  // Well over the 4,000 pages of WAL that start a checkpoint, 100 tickets to a commit.
  std::uint64_t seq = 1;
  for (int c = 0; c < 200; ++c) {
    std::vector<Batch> group;
    for (int i = 0; i < 100; ++i) {
      ++seq;
      group.push_back(issue_batch(seq, int(seq), kDay1, kMorning + TimeMs(seq)));
    }
    ASSERT_TRUE(j->commit(group).ok());
  }
  bool copied = false;
  for (int i = 0; i < 500 && !copied; ++i) {
    copied = db_size() > before + 1024 * 1024;
    if (!copied) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(copied) << "the database file stayed at " << db_size() << " bytes (was " << before << ")";
  EXPECT_EQ(must_load(*j).tickets.size(), 20000u);
  j.reset();
  EXPECT_EQ(must_load(*must_open(path_)).tickets.size(), 20000u);
}

// The server renders each event once and hands the text over; the journal stores that text,
// and renders an event itself when the batch has none: both give the same rows, the dumps of
// the records' JSON.
TEST_F(JournalTest, RenderedEventsAreStoredAsGiven) {
  auto j = must_open(path_);
  Batch plain = issue_batch(1, 1, kDay1, kMorning);
  Batch rendered = issue_batch(2, 2, kDay1, kMorning + 1);
  rendered.rendered.push_back(storage::render(rendered.events[0]));
  ASSERT_TRUE(j->commit({plain, rendered}).ok());
  RawDb raw(path_);
  EXPECT_EQ(raw.one("SELECT body FROM events WHERE seq = 1"), to_json(plain.events[0]).dump());
  EXPECT_EQ(raw.one("SELECT body FROM events WHERE seq = 2"), *rendered.rendered[0].event);
  EXPECT_EQ(raw.one("SELECT body FROM events WHERE seq = 2"), to_json(rendered.events[0]).dump());
  EXPECT_EQ(raw.one("SELECT body FROM tickets WHERE id = 'T2'"), to_json(*rendered.events[0].ticket).dump());
  EXPECT_EQ(raw.one("SELECT result FROM requests WHERE key = 'kiosk-1' || char(31) || 'r2'"),
            rendered.request->result);

  // An event with a ticket and a window.
  const Ticket t = called(make_ticket("T2", "A002", kDay1, kMorning + 1), 4, "clerk-4", kMorning + 2);
  Batch call = batch(ticket_event(3, EventType::ticket_called, t, make_window(4, WindowState::open, kMorning + 2, "T2", "clerk-4")));
  call.rendered.push_back(storage::render(call.events[0]));
  ASSERT_TRUE(j->commit({call}).ok());
  const std::string body = raw.one("SELECT body FROM events WHERE seq = 3");
  EXPECT_EQ(body, *call.rendered[0].event);
  EXPECT_EQ(body, to_json(call.events[0]).dump());
  EXPECT_EQ(raw.one("SELECT body FROM windows WHERE number = 4"), to_json(*call.events[0].window).dump());
  EXPECT_EQ(raw.one("SELECT body FROM tickets WHERE id = 'T2'"), to_json(t).dump());
}

}  // namespace
}  // namespace hallq::testing
