// Test helpers for the journal: builders for the tickets and events a hall produces, a fresh
// temporary directory per test, and a second raw SQLite connection to look at the file the way
// an operator or a report would. Single-threaded, like the tests that use them.
#pragma once

#include <sqlite3.h>
#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "hallq/core/engine.h"
#include "hallq/storage/journal.h"
#include "hallq/types.h"

namespace hallq::testing {

// 2026-11-27 09:00 in Beijing (UTC+8), in ms since the epoch.
inline constexpr TimeMs kMorning = 1'795'741'200'000;

// A directory under /tmp made with mkdtemp, removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string templ = "/tmp/hallq-journal-XXXXXX";
    if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A just-issued ticket: waiting, with its "issued" history line.
inline Ticket make_ticket(std::string id, std::string number, std::string business_day,
                          TimeMs at, std::string service = "A") {
  Ticket t;
  t.id = std::move(id);
  t.number = std::move(number);
  t.service = service;
  t.origin_service = std::move(service);
  t.business_day = std::move(business_day);
  t.issued_at = at;
  t.queued_at = at;
  t.issued_by = "kiosk-1";
  t.history.push_back(TicketTransition{TicketStep::issued, at, 0, "", "", ""});
  return t;
}

// The ticket after a clerk called it to `window`.
inline Ticket called(Ticket t, int window, std::string clerk, TimeMs at) {
  t.state = TicketState::called;
  t.called_at = at;
  t.window = window;
  t.clerk = clerk;
  t.history.push_back(TicketTransition{TicketStep::called, at, window, std::move(clerk), "", ""});
  return t;
}

inline Window make_window(int number, WindowState state, TimeMs since,
                          std::string current_ticket = "", std::string clerk = "") {
  Window w;
  w.number = number;
  w.state = state;
  w.current_ticket = std::move(current_ticket);
  w.clerk = std::move(clerk);
  w.state_since = since;
  return w;
}

inline Event ticket_event(std::uint64_t seq, EventType type, Ticket t,
                          std::optional<Window> w = std::nullopt) {
  Event e;
  e.seq = seq;
  e.at = t.history.empty() ? t.issued_at : t.history.back().at;
  e.type = type;
  e.load = ServiceLoad{t.service, 1, 1, 300, 0};
  e.actor = t.clerk.empty() ? t.issued_by : t.clerk;
  e.ticket = std::move(t);
  e.window = std::move(w);
  return e;
}

inline Event issued(std::uint64_t seq, Ticket t) {
  return ticket_event(seq, EventType::ticket_issued, std::move(t));
}

inline Event window_event(std::uint64_t seq, EventType type, Window w) {
  Event e;
  e.seq = seq;
  e.at = w.state_since;
  e.type = type;
  e.actor = w.clerk;
  e.window = std::move(w);
  return e;
}

inline Event day_rolled_over(std::uint64_t seq, std::string day, TimeMs at) {
  Event e;
  e.seq = seq;
  e.at = at;
  e.type = EventType::day_rolled_over;
  e.business_day = std::move(day);
  e.actor = "system";
  return e;
}

inline Event notice_changed(std::uint64_t seq, std::string text, TimeMs at) {
  Event e;
  e.seq = seq;
  e.at = at;
  e.type = EventType::notice_changed;
  e.notice = std::move(text);
  e.actor = "admin";
  return e;
}

inline core::StoredRequest request(std::string key, std::string business_day,
                                   nlohmann::json result) {
  return core::StoredRequest{std::move(key), "{\"command\":\"issue\",\"service\":\"A\"}",
                             std::move(business_day), result.dump()};
}

inline storage::Batch batch(Event e, std::optional<core::StoredRequest> r = std::nullopt) {
  storage::Batch b;
  b.events.push_back(std::move(e));
  b.request = std::move(r);
  return b;
}

// A ticket_issued batch as a kiosk's issue command makes it: ticket "T<seq>", number
// A<number>, and the stored request "kiosk-1\x1f r<seq>".
inline storage::Batch issue_batch(std::uint64_t seq, int number, const std::string& day,
                                  TimeMs at) {
  char num[16];
  std::snprintf(num, sizeof num, "A%03d", number);
  std::string id = "T" + std::to_string(seq);
  return batch(issued(seq, make_ticket(id, num, day, at)),
               request("kiosk-1\x1fr" + std::to_string(seq), day,
                       nlohmann::json{{"ticket", id}, {"number", num}}));
}

// A second connection to a journal file, as a report or the sqlite3 shell would open it.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      std::string m = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw std::runtime_error(path + ": " + m);
    }
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  // Runs `sql`; the error message, or nullopt on success.
  std::optional<std::string> exec(const std::string& sql) {
    char* msg = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg) == SQLITE_OK) return std::nullopt;
    std::string m = msg ? msg : sqlite3_errmsg(db_);
    sqlite3_free(msg);
    return m;
  }
  // Every row of `sql`, each column as text ("NULL" for NULL), cells joined with '|'.
  std::vector<std::string> rows(const std::string& sql) { return rows_on(db_, sql); }
  std::string one(const std::string& sql) {
    auto r = rows(sql);
    if (r.size() != 1) throw std::runtime_error(sql + ": " + std::to_string(r.size()) + " rows");
    return r[0];
  }

  static std::vector<std::string> rows_on(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sql + ": " + sqlite3_errmsg(db));
    }
    std::vector<std::string> out;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      std::string row;
      for (int c = 0; c < sqlite3_column_count(s); ++c) {
        if (c) row += '|';
        const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(s, c));
        row += t ? t : "NULL";
      }
      out.push_back(std::move(row));
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) throw std::runtime_error(sql + ": " + sqlite3_errmsg(db));
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace hallq::testing
