// The journal on SQLite's C API. One connection, statements prepared once at open and reused;
// every failure becomes Error{internal, "<file>: <what>: <sqlite message>"}, never an exception.
#include "hallq/storage/journal.h"

#include <sqlite3.h>

#include <charconv>
#include <condition_variable>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "hallq/json_codec.h"

namespace hallq::storage {
namespace {

// 1: events, tickets, windows, requests, meta. 2: + followups and alerts (issue 6).
// 3: + appointments (预约, issue 6). 4: without the indexes nothing read (events by day, tickets
// by day and service or state): every commit paid for them, and reports read their projection.
// 5: requests without the unique index on (business_day, key): the journal keeps them unique
// itself (DayKeys), and loads a day's requests by an index on the day.
// 6: tickets without the unique index on (business_day, number), for the same reason: each
// service's numbers grew at their own place in it, so a commit of tickets for 20 services wrote
// 20 of its pages. The journal refuses a number issued twice in a day itself (DayKeys), and
// loads a day's tickets by an index on the day.
constexpr int kSchemaVersion = 6;

// Tables added by version 2, shared by a new file and the migration from version 1.
#define HALLQ_SCHEMA_V2_TABLES \
  "CREATE TABLE followups(\n" \
  "  id TEXT PRIMARY KEY,\n" \
  "  ticket_id TEXT NOT NULL,\n" \
  "  state TEXT NOT NULL,\n" \
  "  opened_at INTEGER NOT NULL,\n" \
  "  due_at INTEGER NOT NULL,\n" \
  "  closed_at INTEGER,\n" \
  "  body TEXT NOT NULL\n" \
  ");\n" \
  "CREATE INDEX followups_by_state ON followups(state, due_at);\n" \
  "-- Active alerts only: a row goes when its alert_cleared is stored.\n" \
  "CREATE TABLE alerts(\n" \
  "  id TEXT PRIMARY KEY,\n" \
  "  body TEXT NOT NULL\n" \
  ");\n"

// Tables added by version 3. An appointment's code is unique only among the ones the engine
// keeps, so an old day's code may come back: (code, slot_start) names one appointment.
#define HALLQ_SCHEMA_V3_TABLES \
  "CREATE TABLE appointments(\n" \
  "  code TEXT NOT NULL,\n" \
  "  slot_start INTEGER NOT NULL,\n" \
  "  service TEXT NOT NULL,\n" \
  "  date TEXT NOT NULL,\n" \
  "  state TEXT NOT NULL,\n" \
  "  ticket_id TEXT,\n" \
  "  body TEXT NOT NULL,\n" \
  "  PRIMARY KEY(code, slot_start)\n" \
  ");\n" \
  "CREATE INDEX appointments_by_date ON appointments(date, service);\n" \
  "CREATE INDEX appointments_by_state ON appointments(state);\n"

constexpr const char* kMigrate1To2 =
    HALLQ_SCHEMA_V2_TABLES "UPDATE meta SET value = '2' WHERE key = 'schema_version';\n";
constexpr const char* kMigrate2To3 =
    HALLQ_SCHEMA_V3_TABLES "UPDATE meta SET value = '3' WHERE key = 'schema_version';\n";
constexpr const char* kMigrate3To4 =
    "DROP INDEX IF EXISTS events_by_day;\n"
    "DROP INDEX IF EXISTS tickets_by_day_service;\n"
    "DROP INDEX IF EXISTS tickets_by_day_state;\n"
    "UPDATE meta SET value = '4' WHERE key = 'schema_version';\n";
// Rows keep their rowids: a day's answers are loaded in the order they were stored.
constexpr const char* kMigrate4To5 =
    "CREATE TABLE requests_v5(business_day TEXT NOT NULL, key TEXT NOT NULL,\n"
    "  fingerprint TEXT NOT NULL, result TEXT NOT NULL);\n"
    "INSERT INTO requests_v5(rowid, business_day, key, fingerprint, result)\n"
    "  SELECT rowid, business_day, key, fingerprint, result FROM requests;\n"
    "DROP TABLE requests;\n"
    "ALTER TABLE requests_v5 RENAME TO requests;\n"
    "CREATE INDEX requests_by_day ON requests(business_day);\n"
    "UPDATE meta SET value = '5' WHERE key = 'schema_version';\n";

// The columns of tickets duplicate fields of body so that a person with sqlite3 can query them;
// body stays the record. Shared by a new file and the migration from version 5.
#define HALLQ_TICKETS_COLUMNS \
  "  id TEXT PRIMARY KEY,\n" \
  "  business_day TEXT NOT NULL,\n" \
  "  number TEXT NOT NULL,\n" \
  "  service TEXT NOT NULL,\n" \
  "  origin_service TEXT NOT NULL,\n" \
  "  class TEXT NOT NULL,\n" \
  "  state TEXT NOT NULL,\n" \
  "  issued_at INTEGER NOT NULL,\n" \
  "  called_at INTEGER,\n" \
  "  started_at INTEGER,\n" \
  "  finished_at INTEGER,\n" \
  "  window INTEGER,\n" \
  "  clerk TEXT,\n" \
  "  body TEXT NOT NULL\n"
// Rows keep their rowids: a day's tickets are loaded in the order they were issued.
constexpr const char* kMigrate5To6 =
    "CREATE TABLE tickets_v6(\n" HALLQ_TICKETS_COLUMNS ");\n"
    "INSERT INTO tickets_v6(rowid, id, business_day, number, service, origin_service, class,\n"
    "  state, issued_at, called_at, started_at, finished_at, window, clerk, body)\n"
    "  SELECT rowid, id, business_day, number, service, origin_service, class,\n"
    "  state, issued_at, called_at, started_at, finished_at, window, clerk, body FROM tickets;\n"
    "DROP TABLE tickets;\n"
    "ALTER TABLE tickets_v6 RENAME TO tickets;\n"
    "CREATE INDEX tickets_by_day ON tickets(business_day);\n"
    "UPDATE meta SET value = '6' WHERE key = 'schema_version';\n";

// Created in one transaction on a new file.
constexpr const char* kSchema = R"sql(
CREATE TABLE events(
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,
  business_day TEXT NOT NULL,
  ticket_id TEXT,
  window INTEGER,
  actor TEXT,
  body TEXT NOT NULL
);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
-- INSERT OR REPLACE deletes without firing delete triggers.
CREATE TRIGGER events_no_replace BEFORE INSERT ON events
WHEN EXISTS (SELECT 1 FROM events WHERE seq = NEW.seq)
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

)sql"
"CREATE TABLE tickets(\n" HALLQ_TICKETS_COLUMNS ");\n"
R"sql(
-- A number is unique within its business day, kept so by the journal (DayKeys).
CREATE INDEX tickets_by_day ON tickets(business_day);

CREATE TABLE windows(
  number INTEGER PRIMARY KEY,
  body TEXT NOT NULL
);

-- Request ids are remembered for one business day: a kiosk may reuse its ids tomorrow.
-- (business_day, key) is unique, kept so by the journal: a unique index here put each request
-- on its own index page (keys start with the device's name), a third of a commit's cost.
CREATE TABLE requests(
  business_day TEXT NOT NULL,
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  result TEXT NOT NULL
);
CREATE INDEX requests_by_day ON requests(business_day);

INSERT INTO meta(key, value) VALUES
  ('schema_version', '6'), ('last_seq', '0'), ('business_day', ''), ('notice', ''),
  ('notice_set', '0');
)sql" HALLQ_SCHEMA_V2_TABLES HALLQ_SCHEMA_V3_TABLES;

struct DbClose {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, DbClose>;

// One prepared statement. Binders remember the first failure so that a run of binds needs one
// check, at step(). Reset after each use by the callers' Use guard.
class Statement {
 public:
  Statement() = default;
  explicit Statement(sqlite3_stmt* s) : s_(s) {}
  Statement(Statement&& o) noexcept
      : s_(std::exchange(o.s_, nullptr)), bind_rc_(std::exchange(o.bind_rc_, SQLITE_OK)) {}
  Statement& operator=(Statement&& o) noexcept {
    std::swap(s_, o.s_);
    std::swap(bind_rc_, o.bind_rc_);
    return *this;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(s_); }

  void bind(int i, std::string_view v) {
    note(sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  void bind(int i, std::int64_t v) { note(sqlite3_bind_int64(s_, i, v)); }
  void bind(int i, std::optional<std::int64_t> v) { v ? bind(i, *v) : bind_null(i); }
  void bind_null(int i) { note(sqlite3_bind_null(s_, i)); }
  // NULL for the "none" value of a column (0 window, empty clerk).
  void bind_or_null(int i, std::int64_t v) { v != 0 ? bind(i, v) : bind_null(i); }
  void bind_or_null(int i, std::string_view v) { !v.empty() ? bind(i, v) : bind_null(i); }

  // SQLITE_ROW, SQLITE_DONE or an error code (a failed bind comes out here).
  int step() { return bind_rc_ != SQLITE_OK ? bind_rc_ : sqlite3_step(s_); }
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
    bind_rc_ = SQLITE_OK;
  }

  std::int64_t int64(int col) const { return sqlite3_column_int64(s_, col); }
  std::string_view text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
             : std::string_view();
  }

 private:
  void note(int rc) {
    if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }
  sqlite3_stmt* s_ = nullptr;
  int bind_rc_ = SQLITE_OK;
};

// Resets a statement when the scope that used it ends, even on an early return, so the next
// use starts clean and no read transaction is held open by an unfinished SELECT.
class Use {
 public:
  explicit Use(Statement& s) : s_(s) {}
  ~Use() { s_.reset(); }
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;
  Statement* operator->() { return &s_; }
  Statement& operator*() { return s_; }

 private:
  Statement& s_;
};

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Request keys hold a 0x1f separator; messages are for people.
std::string printable(std::string_view key) {
  std::string out(key);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return out;
}

std::int64_t as_int64(std::uint64_t v) {
  return v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
             ? std::numeric_limits<std::int64_t>::max()
             : static_cast<std::int64_t>(v);
}

// Copies the WAL into the database on its own thread and connection, so that no commit waits
// for it (with SQLite's automatic checkpoint, every thousandth page committed paid for the
// copy and two fsyncs: 6 % of the commit thread at 10,000 tickets a second). PASSIVE: it never
// blocks the writer. SQLite starts the WAL over once a checkpoint has caught up with it.
class Checkpointer {
 public:
  // 16 MiB of WAL: pages that many commits rewrite (the tails of tables and indexes) are
  // copied once per checkpoint, not once per thousand pages as with SQLite's default.
  static constexpr int kStartPages = 4000;
  // A WAL this long (about 64 MiB) means the thread cannot keep up: the writer then copies
  // what is left itself before its next commit, so the file stays bounded.
  static constexpr int kWriterPages = 16000;

  ~Checkpointer() { stop(); }

  Status start(const std::string& path) {
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    db_.reset(raw);
    if (rc != SQLITE_OK) {
      return Error{ErrorCode::internal, path + ": open for checkpoints: " +
                                            (raw ? sqlite3_errmsg(raw) : "out of memory")};
    }
    // FULL: the database is fsynced before the WAL may start over. A checkpoint reads pages
    // straight from the WAL: a small cache will do. The read opens the WAL: a connection that
    // has not read yet does not know the file is in WAL mode, and its checkpoints do nothing.
    if (sqlite3_exec(db_.get(), "PRAGMA synchronous=FULL; PRAGMA cache_size=-128; SELECT count(*) FROM meta",
                     nullptr, nullptr, nullptr) !=
        SQLITE_OK) {
      return Error{ErrorCode::internal, path + ": prepare checkpoints: " + sqlite3_errmsg(db_.get())};
    }
    thread_ = std::thread([this] { run(); });
    return ok_status();
  }

  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
    db_.reset();
  }

  // From the writer's WAL hook, after each commit: `pages` are in the WAL now.
  void committed(int pages) {
    if (pages < kStartPages) return;
    {
      std::lock_guard lock(mu_);
      wanted_ = true;
    }
    cv_.notify_one();
  }

 private:
  void run() {
    for (;;) {
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || wanted_; });
        if (stopping_) return;
        wanted_ = false;
      }
      // Failure (busy, I/O) is harmless here: the frames stay in the WAL, which is durable,
      // and the next commit asks again.
      sqlite3_wal_checkpoint_v2(db_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    }
  }

  Db db_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;
  bool stopping_ = false;
};

// The keys stored for one business day (the latest), as hashes: what a unique index on
// (business_day, key) would check, without its pages. Used for the request keys and for ticket
// numbers. A hash seen before, or a key of another day, is confirmed against the table: a
// collision costs a lookup, never a refused commit.
class DayKeys {
 public:
  // Of the key alone: the set holds one day's keys.
  static std::uint64_t hash(std::string_view key) { return std::hash<std::string_view>{}(key); }

  // Counts (day, key) as stored by this transaction. False if it may have been stored before,
  // in the table or earlier in this transaction: the caller looks it up there.
  bool add(const std::string& day, std::uint64_t h) {
    if (day != day_) {
      if (day > day_ && (!later_ || day > *later_)) later_ = day;
      return false;
    }
    if (!stored_.insert(h).second) return false;
    added_.push_back(h);
    return true;
  }
  // After COMMIT. Returns a later day if the transaction stored one: the caller then loads
  // that day's keys from the table.
  std::optional<std::string> committed() {
    added_.clear();
    return std::exchange(later_, std::nullopt);
  }
  // After ROLLBACK: the transaction's keys were not stored.
  void discard() {
    for (std::uint64_t h : added_) stored_.erase(h);
    added_.clear();
    later_.reset();
  }
  void load(std::string day, std::unordered_set<std::uint64_t> stored) {
    day_ = std::move(day);
    stored_ = std::move(stored);
    added_.clear();
    later_.reset();
  }
  // No day's keys known: every key is looked up in the table.
  void forget() {
    day_.reset();
    stored_.clear();
    added_.clear();
    later_.reset();
  }

 private:
  std::optional<std::string> day_;  // compares unequal to every day when empty
  std::unordered_set<std::uint64_t> stored_;
  std::vector<std::uint64_t> added_;  // by this transaction, not in stored_ before
  std::optional<std::string> later_;  // the latest day after day_ this transaction stored
};

}  // namespace

struct Journal::Impl {
  // Constant after open().
  std::string path;
  Db db;  // declared before the statements: destroyed after them

  Statement begin, commit, rollback;
  Statement insert_event, upsert_ticket, upsert_window, set_meta, insert_request;
  Statement upsert_followup, upsert_alert, delete_alert, upsert_appointment;
  Statement select_meta, select_tickets, select_windows, select_requests, select_events;
  Statement select_request_keys, find_request, select_ticket_numbers, find_ticket_number;
  Statement select_followups, select_alerts, select_appointments;
  Statement integrity;

  // What the file says, as of the last successful commit (or open).
  std::uint64_t last_seq = 0;
  std::string business_day;
  DayKeys request_keys;    // of the requests table
  DayKeys ticket_numbers;  // of the tickets table

  Checkpointer checkpointer;  // declared after db: stopped and closed before it
  int wal_pages = 0;          // in the WAL after the last commit (the WAL hook says)

  // SQLite calls this after each commit instead of checkpointing itself.
  static int on_wal_commit(void* self, sqlite3*, const char*, int pages) {
    auto* impl = static_cast<Impl*>(self);
    impl->wal_pages = pages;
    impl->checkpointer.committed(pages);
    return SQLITE_OK;
  }
  // Before a commit: if the checkpoint thread has fallen far behind, catch up here.
  void bound_wal() {
    if (wal_pages < Checkpointer::kWriterPages) return;
    sqlite3_wal_checkpoint_v2(db.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    wal_pages = 0;
  }

  Error fail(std::string_view what) const {
    return fail(what, db ? sqlite3_errmsg(db.get()) : "out of memory");
  }
  Error fail(std::string_view what, std::string_view detail) const {
    std::string m = path;
    m += ": ";
    m += what;
    m += ": ";
    m += detail;
    return Error{ErrorCode::internal, std::move(m)};
  }

  Status exec(const char* sql, std::string_view what) {
    char* msg = nullptr;
    if (sqlite3_exec(db.get(), sql, nullptr, nullptr, &msg) != SQLITE_OK) {
      std::string detail = msg ? msg : sqlite3_errmsg(db.get());
      sqlite3_free(msg);
      return fail(what, detail);
    }
    return ok_status();
  }

  Status prepare(Statement& out, const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v3(db.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) !=
        SQLITE_OK) {
      return fail(std::string("prepare \"") + sql + "\"");
    }
    out = Statement(s);
    return ok_status();
  }

  // Runs a statement that returns no rows.
  Status run(Statement& s, std::string_view what) {
    Use use(s);
    int rc = use->step();
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return fail(what);
    return ok_status();
  }

  // A single-row PRAGMA's text value.
  Result<std::string> pragma(const char* sql) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db.get(), sql, -1, &raw, nullptr) != SQLITE_OK) return fail(sql);
    Statement s(raw);
    if (s.step() != SQLITE_ROW) return fail(sql);
    return std::string(s.text(0));
  }

  Status configure(const JournalOptions& options) {
    sqlite3_extended_result_codes(db.get(), 1);
    if (sqlite3_busy_timeout(db.get(), options.busy_timeout_ms) != SQLITE_OK) {
      return fail("busy_timeout");
    }
    // journal_mode answers with the mode in force; a file that cannot do WAL says so quietly.
    auto mode = pragma("PRAGMA journal_mode=WAL");
    if (!mode) return mode.error();
    if (*mode != "wal") return fail("PRAGMA journal_mode=WAL", "journal mode is " + *mode);
    if (auto s = exec("PRAGMA synchronous=FULL", "PRAGMA synchronous=FULL"); !s) return s;
    auto sync = pragma("PRAGMA synchronous");
    if (!sync) return sync.error();
    if (*sync != "2") return fail("PRAGMA synchronous=FULL", "synchronous is " + *sync);
    // Appends touch the right edge of a few B-trees: 512 KiB of page cache (SQLite's default is
    // 2 MB per connection) keeps them, and the server's memory budget is tight (benchmarks goal 4).
    if (auto s = exec("PRAGMA cache_size=-512", "PRAGMA cache_size=-512"); !s) return s;
    return exec("PRAGMA foreign_keys=ON", "PRAGMA foreign_keys=ON");
  }

  // Creates the schema on a new file; migrates older versions; refuses anything newer.
  Status create_or_check_schema() {
    if (auto s = exec("BEGIN IMMEDIATE", "begin schema transaction"); !s) return s;
    Status s = create_or_check_schema_locked();
    if (!s) {
      if (!sqlite3_get_autocommit(db.get())) {
        sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
      }
      return s;
    }
    return exec("COMMIT", "commit schema");
  }

  Status create_or_check_schema_locked() {
    if (auto s = exec("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                      "create table meta");
        !s) {
      return s;
    }
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db.get(), "SELECT value FROM meta WHERE key = 'schema_version'", -1,
                           &raw, nullptr) != SQLITE_OK) {
      return fail("read schema_version");
    }
    Statement q(raw);
    int rc = q.step();
    if (rc == SQLITE_DONE) return exec(kSchema, "create schema");
    if (rc != SQLITE_ROW) return fail("read schema_version");
    std::string text(q.text(0));
    q.reset();  // a statement still running would lock the tables a migration drops
    auto version = parse_u64(text);
    if (!version) return fail("schema", "schema_version '" + text + "' is not a number");
    if (*version > kSchemaVersion) {
      return fail("schema", "schema version " + text + " is newer than this HallQ supports (" +
                                std::to_string(kSchemaVersion) + "); use a newer hallq-server");
    }
    // Migrations run in the schema transaction, one after the other: a crash leaves the old
    // version whole.
    if (*version == 1) {
      if (auto s = exec(kMigrate1To2, "migrate schema 1 to 2"); !s) return s;
      version = 2;
    }
    if (*version == 2) {
      if (auto s = exec(kMigrate2To3, "migrate schema 2 to 3"); !s) return s;
      version = 3;
    }
    if (*version == 3) {
      if (auto s = exec(kMigrate3To4, "migrate schema 3 to 4"); !s) return s;
      version = 4;
    }
    if (*version == 4) {
      if (auto s = exec(kMigrate4To5, "migrate schema 4 to 5"); !s) return s;
      version = 5;
    }
    if (*version == 5) return exec(kMigrate5To6, "migrate schema 5 to 6");
    if (*version < kSchemaVersion) {
      return fail("schema", "unknown schema version " + text);
    }
    return ok_status();
  }

  Status prepare_all() {
    const std::pair<Statement*, const char*> all[] = {
        {&begin, "BEGIN IMMEDIATE"},
        {&commit, "COMMIT"},
        {&rollback, "ROLLBACK"},
        {&insert_event,
         "INSERT INTO events(seq, at, type, business_day, ticket_id, window, actor, body) "
         "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
        // An id conflict updates. A number taken by another id is refused before (write_event).
        {&upsert_ticket,
         "INSERT INTO tickets(id, business_day, number, service, origin_service, class, state, "
         "issued_at, called_at, started_at, finished_at, window, clerk, body) "
         "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
         "ON CONFLICT(id) DO UPDATE SET business_day = excluded.business_day, "
         "number = excluded.number, service = excluded.service, "
         "origin_service = excluded.origin_service, class = excluded.class, "
         "state = excluded.state, issued_at = excluded.issued_at, "
         "called_at = excluded.called_at, started_at = excluded.started_at, "
         "finished_at = excluded.finished_at, window = excluded.window, "
         "clerk = excluded.clerk, body = excluded.body"},
        {&upsert_window,
         "INSERT INTO windows(number, body) VALUES(?1, ?2) "
         "ON CONFLICT(number) DO UPDATE SET body = excluded.body"},
        {&set_meta,
         "INSERT INTO meta(key, value) VALUES(?1, ?2) "
         "ON CONFLICT(key) DO UPDATE SET value = excluded.value"},
        {&insert_request,
         "INSERT INTO requests(key, business_day, fingerprint, result) VALUES(?1, ?2, ?3, ?4)"},
        {&upsert_followup,
         "INSERT INTO followups(id, ticket_id, state, opened_at, due_at, closed_at, body) "
         "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) "
         "ON CONFLICT(id) DO UPDATE SET ticket_id = excluded.ticket_id, state = excluded.state, "
         "opened_at = excluded.opened_at, due_at = excluded.due_at, "
         "closed_at = excluded.closed_at, body = excluded.body"},
        {&upsert_alert,
         "INSERT INTO alerts(id, body) VALUES(?1, ?2) "
         "ON CONFLICT(id) DO UPDATE SET body = excluded.body"},
        {&delete_alert, "DELETE FROM alerts WHERE id = ?1"},
        {&upsert_appointment,
         "INSERT INTO appointments(code, slot_start, service, date, state, ticket_id, body) "
         "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) "
         "ON CONFLICT(code, slot_start) DO UPDATE SET service = excluded.service, "
         "date = excluded.date, state = excluded.state, ticket_id = excluded.ticket_id, "
         "body = excluded.body"},
        // What the engine keeps: from the business day on, and older ones still booked.
        {&select_appointments,
         "SELECT code, body FROM appointments WHERE date >= ?1 OR state = 'booked' "
         "ORDER BY slot_start, code"},
        {&select_followups,
         "SELECT id, body FROM followups WHERE state != 'closed' ORDER BY rowid"},
        {&select_alerts, "SELECT id, body FROM alerts ORDER BY rowid"},
        {&select_meta, "SELECT key, value FROM meta"},
        // rowid order is the order tickets were first stored (rows are never deleted).
        {&select_tickets, "SELECT id, body FROM tickets WHERE business_day = ?1 ORDER BY rowid"},
        {&select_windows, "SELECT number, body FROM windows ORDER BY number"},
        {&select_requests,
         "SELECT key, fingerprint, result FROM requests WHERE business_day = ?1 ORDER BY rowid"},
        {&select_events, "SELECT seq, body FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2"},
        {&select_request_keys, "SELECT key FROM requests WHERE business_day = ?1"},
        {&find_request, "SELECT 1 FROM requests WHERE business_day = ?1 AND key = ?2 LIMIT 1"},
        {&select_ticket_numbers, "SELECT number FROM tickets WHERE business_day = ?1"},
        {&find_ticket_number, "SELECT 1 FROM tickets WHERE business_day = ?1 AND number = ?2 LIMIT 1"},
        {&integrity, "PRAGMA integrity_check"},
    };
    for (const auto& [stmt, sql] : all) {
      if (auto s = prepare(*stmt, sql); !s) return s;
    }
    return ok_status();
  }

  // Meta into `st`: last_seq, business_day, notice, notice_set (defaults on a new file).
  Status read_meta(core::EngineState& st) {
    Use q(select_meta);
    int rc;
    while ((rc = q->step()) == SQLITE_ROW) {
      std::string_view key = q->text(0), value = q->text(1);
      if (key == "last_seq") {
        auto v = parse_u64(value);
        if (!v) return fail("meta", "last_seq '" + std::string(value) + "' is not a number");
        st.last_seq = *v;
      } else if (key == "business_day") {
        st.business_day = value;
      } else if (key == "notice") {
        st.notice = value;
      } else if (key == "notice_set") {
        st.notice_set = value == "1";
      }
    }
    if (rc != SQLITE_DONE) return fail("read meta");
    return ok_status();
  }

  // Where commits continue. meta's last_seq and the events table are written in the same
  // transactions, so they agree unless someone edited the file by hand.
  Status load_position() {
    core::EngineState st;
    if (auto s = read_meta(st); !s) return s;
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db.get(), "SELECT coalesce(max(seq), 0) FROM events", -1, &raw,
                           nullptr) != SQLITE_OK) {
      return fail("read last event");
    }
    Statement q(raw);
    if (q.step() != SQLITE_ROW) return fail("read last event");
    if (static_cast<std::uint64_t>(q.int64(0)) != st.last_seq) {
      return fail("meta", "last_seq is " + std::to_string(st.last_seq) +
                              " but the last event is " + std::to_string(q.int64(0)));
    }
    last_seq = st.last_seq;
    business_day = std::move(st.business_day);
    if (auto s = load_keys(request_keys, select_request_keys, business_day); !s) return s;
    return load_keys(ticket_numbers, select_ticket_numbers, business_day);
  }

  // `select` gives the keys of one day (?1).
  Status load_keys(DayKeys& keys, Statement& select, const std::string& day) {
    std::unordered_set<std::uint64_t> stored;
    Use k(select);
    k->bind(1, day);
    int rc;
    while ((rc = k->step()) == SQLITE_ROW) stored.insert(DayKeys::hash(k->text(0)));
    if (rc != SQLITE_DONE) return fail("read the keys of " + day);
    keys.load(day, std::move(stored));
    return ok_status();
  }

  // After COMMIT. The commit stands whatever happens here: if a set cannot be read or kept,
  // every key is checked against its table instead.
  void keys_committed(DayKeys& keys, Statement& select) {
    try {
      if (auto later = keys.committed()) {
        if (!load_keys(keys, select, *later)) keys.forget();
      }
    } catch (const std::exception&) {
      keys.forget();
    }
  }
  void keys_discarded() {
    request_keys.discard();
    ticket_numbers.discard();
  }

  // Whether (day, key) is stored already, as a unique index would: `find` (?1 day, ?2 key)
  // answers a row if so. Otherwise the key counts as stored from now on in this transaction
  // (the transaction's own rows answer `find` too).
  Result<bool> stored_before(DayKeys& keys, Statement& find, const std::string& day, std::string_view key) {
    if (keys.add(day, DayKeys::hash(key))) return false;
    Use q(find);
    q->bind(1, day);
    q->bind(2, key);
    const int rc = q->step();
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) return fail("look up " + printable(key));
    return false;
  }

  Status check_new_request(const core::StoredRequest& r) {
    auto stored = stored_before(request_keys, find_request, r.business_day, r.key);
    if (!stored) return stored.error();
    if (*stored) return fail("store request " + printable(r.key), "request key already stored for " + r.business_day);
    return ok_status();
  }

  // A number is issued once in a business day.
  Status check_new_number(const Ticket& t, const std::string& what) {
    auto stored = stored_before(ticket_numbers, find_ticket_number, t.business_day, t.number);
    if (!stored) return stored.error();
    if (*stored) {
      return fail("store ticket " + t.id + " of " + what,
                  "number " + t.number + " was already issued on " + t.business_day);
    }
    return ok_status();
  }

  Status set(std::string_view key, std::string_view value) {
    Use s(set_meta);
    s->bind(1, key);
    s->bind(2, value);
    if (s->step() != SQLITE_DONE) return fail("set meta " + std::string(key));
    return ok_status();
  }

  // The body of commit(), inside BEGIN IMMEDIATE. `seq` and `day` track the transaction's view.
  Status write(const std::vector<Batch>& batches, std::uint64_t& seq, std::string& day) {
    for (const Batch& batch : batches) {
      for (std::size_t i = 0; i < batch.events.size(); ++i) {
        const Event& e = batch.events[i];
        if (e.seq != seq + 1) {
          return Error{ErrorCode::internal, path + ": event seq " + std::to_string(e.seq) +
                                                " does not follow " + std::to_string(seq)};
        }
        std::optional<RenderedEvent> own;
        if (i >= batch.rendered.size()) own = render(e);
        if (auto s = write_event(e, own ? *own : batch.rendered[i], day); !s) return s;
        seq = e.seq;
      }
      if (batch.request) {
        const core::StoredRequest& r = *batch.request;
        if (auto s = check_new_request(r); !s) return s;
        Use s(insert_request);
        s->bind(1, r.key);
        s->bind(2, r.business_day);
        s->bind(3, r.fingerprint);
        s->bind(4, r.result);
        if (s->step() != SQLITE_DONE) return fail("store request " + printable(r.key));
      }
    }
    return set("last_seq", std::to_string(seq));
  }

  Status write_event(const Event& e, const RenderedEvent& text, std::string& day) {
    const std::string what = "event " + std::to_string(e.seq);
    if (e.type == EventType::day_rolled_over) {
      if (e.business_day.empty()) return fail(what, "day_rolled_over without business_day");
      day = e.business_day;
      if (auto s = set("business_day", day); !s) return s;
    } else if (e.type == EventType::notice_changed) {
      if (auto s = set("notice", e.notice); !s) return s;
      if (auto s = set("notice_set", "1"); !s) return s;
    }
    // The day the event belongs to: its ticket's; for a rollover the new day (set above).
    const std::string& event_day =
        e.ticket && e.type != EventType::day_rolled_over ? e.ticket->business_day : day;
    int window = e.window ? e.window->number : e.ticket ? e.ticket->window : 0;
    // Alerts and follow-ups name their ticket and window in the indexed columns too (reports).
    std::string_view ticket_id = e.ticket ? std::string_view(e.ticket->id) : std::string_view();
    if (e.alert) {
      ticket_id = e.alert->ticket;
      window = e.alert->window;
    } else if (e.followup) {
      ticket_id = e.followup->ticket;
      window = e.followup->window;
    }
    // Appointment events leave ticket_id empty: readers take the latest event naming a ticket
    // as its record (reports), and appointment_checked_in follows the check-in's ticket_issued.
    // The appointments table has the ticket id.
    {
      Use s(insert_event);
      s->bind(1, as_int64(e.seq));
      s->bind(2, std::int64_t{e.at});
      s->bind(3, to_string(e.type));
      s->bind(4, event_day);
      s->bind_or_null(5, ticket_id);
      s->bind_or_null(6, std::int64_t{window});
      s->bind_or_null(7, e.actor);
      s->bind(8, *text.event);
      if (s->step() != SQLITE_DONE) return fail("insert " + what);
    }
    if (e.ticket) {
      const Ticket& t = *e.ticket;
      if (e.type == EventType::ticket_issued) {
        if (auto s = check_new_number(t, what); !s) return s;
      }
      Use s(upsert_ticket);
      s->bind(1, t.id);
      s->bind(2, t.business_day);
      s->bind(3, t.number);
      s->bind(4, t.service);
      s->bind(5, t.origin_service);
      s->bind(6, to_string(t.cls));
      s->bind(7, to_string(t.state));
      s->bind(8, std::int64_t{t.issued_at});
      s->bind(9, t.called_at);
      s->bind(10, t.started_at);
      s->bind(11, t.finished_at);
      s->bind_or_null(12, std::int64_t{t.window});
      s->bind_or_null(13, t.clerk);
      s->bind(14, text.ticket);
      if (s->step() != SQLITE_DONE) {
        return fail("store ticket " + t.id + " (" + t.number + ") of " + what);
      }
    }
    if (e.followup) {
      const Followup& f = *e.followup;
      Use s(upsert_followup);
      s->bind(1, f.id);
      s->bind(2, f.ticket);
      s->bind(3, to_string(f.state));
      s->bind(4, std::int64_t{f.opened_at});
      s->bind(5, std::int64_t{f.due_at});
      s->bind(6, f.closed_at);
      s->bind(7, to_json(f).dump());
      if (s->step() != SQLITE_DONE) return fail("store follow-up " + f.id + " of " + what);
    }
    if (e.alert && e.type == EventType::alert_raised) {
      Use s(upsert_alert);
      s->bind(1, e.alert->id);
      s->bind(2, to_json(*e.alert).dump());
      if (s->step() != SQLITE_DONE) return fail("store alert " + e.alert->id + " of " + what);
    } else if (e.alert && e.type == EventType::alert_cleared) {
      Use s(delete_alert);
      s->bind(1, e.alert->id);
      if (s->step() != SQLITE_DONE) return fail("clear alert " + e.alert->id + " of " + what);
    }
    if (e.appointment) {
      const Appointment& a = *e.appointment;
      Use s(upsert_appointment);
      s->bind(1, a.code);
      s->bind(2, std::int64_t{a.slot_start});
      s->bind(3, a.service);
      s->bind(4, a.date);
      s->bind(5, to_string(a.state));
      s->bind_or_null(6, a.ticket);
      s->bind(7, to_json(a).dump());
      if (s->step() != SQLITE_DONE) return fail("store appointment " + a.code + " of " + what);
    }
    if (e.window) {
      Use s(upsert_window);
      s->bind(1, std::int64_t{e.window->number});
      s->bind(2, text.window);
      if (s->step() != SQLITE_DONE) {
        return fail("store window " + std::to_string(e.window->number) + " of " + what);
      }
    }
    return ok_status();
  }

  void roll_back() {
    // Some errors (I/O, full disk) end the transaction inside SQLite already.
    if (!sqlite3_get_autocommit(db.get())) {
      Use s(rollback);
      s->step();
    }
  }

  // Rows of (key, JSON body) from `q` into `out`, each body read by `from_json`; errors name the
  // record ("ticket tk-1: ..."). With `key_of`, a record carries its key in its `key_field`,
  // which must be the row's ("ticket tk-1: body has id 'tk-2'").
  template <typename T>
  Status read_bodies(Statement& q, const std::string& what, std::string_view reading,
                     Result<T> (*from_json)(const nlohmann::json&), std::vector<T>& out,
                     const std::string& (*key_of)(const T&) = nullptr, const char* key_field = "id") {
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      const std::string key(q.text(0));
      auto j = nlohmann::json::parse(q.text(1), nullptr, false);
      if (j.is_discarded()) return fail(what + " " + key, "body is not JSON");
      auto record = from_json(j);
      if (!record) return fail(what + " " + key, record.error().message);
      if (key_of && key_of(*record) != key)
        return fail(what + " " + key, std::string("body has ") + key_field + " '" + key_of(*record) + "'");
      out.push_back(std::move(record).value());
    }
    if (rc != SQLITE_DONE) return fail(reading);
    return ok_status();
  }

  Result<core::EngineState> load() {
    core::EngineState st;
    if (auto s = read_meta(st); !s) return s.error();
    {
      Use q(select_tickets);
      q->bind(1, st.business_day);
      auto id_of = [](const Ticket& t) -> const std::string& { return t.id; };
      if (auto s = read_bodies<Ticket>(*q, "ticket", "read tickets", ticket_from_json, st.tickets, id_of); !s)
        return s.error();
    }
    {
      Use q(select_windows);
      if (auto s = read_bodies<Window>(*q, "window", "read windows", window_from_json, st.windows); !s) return s.error();
    }
    {
      Use q(select_requests);
      q->bind(1, st.business_day);
      int rc;
      while ((rc = q->step()) == SQLITE_ROW) {
        core::StoredRequest r;
        r.key = q->text(0);
        r.fingerprint = q->text(1);
        r.business_day = st.business_day;
        r.result = q->text(2);
        if (!nlohmann::json::accept(r.result)) return fail("request " + r.key, "result is not JSON");
        st.requests.push_back(std::move(r));
      }
      if (rc != SQLITE_DONE) return fail("read requests");
    }
    {
      Use q(select_followups);
      if (auto s = read_bodies<Followup>(*q, "follow-up", "read follow-ups", followup_from_json, st.followups); !s)
        return s.error();
    }
    {
      Use q(select_alerts);
      if (auto s = read_bodies<Alert>(*q, "alert", "read alerts", alert_from_json, st.alerts); !s) return s.error();
    }
    {
      Use q(select_appointments);
      q->bind(1, st.business_day);
      auto code_of = [](const Appointment& a) -> const std::string& { return a.code; };
      if (auto s = read_bodies<Appointment>(*q, "appointment", "read appointments", appointment_from_json,
                                            st.appointments, code_of, "code");
          !s)
        return s.error();
    }
    return st;
  }

  Result<std::vector<Event>> events(std::uint64_t after, std::size_t limit) {
    std::vector<Event> out;
    Use q(select_events);
    q->bind(1, as_int64(after));
    q->bind(2, limit > static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())
                   ? std::numeric_limits<std::int64_t>::max()
                   : static_cast<std::int64_t>(limit));
    int rc;
    while ((rc = q->step()) == SQLITE_ROW) {
      std::string seq = std::to_string(q->int64(0));
      auto j = nlohmann::json::parse(q->text(1), nullptr, false);
      if (j.is_discarded()) return fail("event " + seq, "body is not JSON");
      auto e = event_from_json(j);
      if (!e) return fail("event " + seq, e.error().message);
      if (std::to_string(e->seq) != seq) {
        return fail("event " + seq, "body has seq " + std::to_string(e->seq));
      }
      out.push_back(std::move(e).value());
    }
    if (rc != SQLITE_DONE) return fail("read events");
    return out;
  }
};

RenderedEvent render(const Event& e) {
  RenderedEvent r;
  // Written as text, not through a JSON tree (most of an event is its ticket), and each record
  // once: the event's text takes the ticket's and window's.
  if (e.ticket) append_json(r.ticket, *e.ticket);
  if (e.window) append_json(r.window, *e.window);
  std::string text;
  text.reserve(256 + r.ticket.size() + r.window.size());
  append_json(text, e, e.ticket ? &r.ticket : nullptr, e.window ? &r.window : nullptr);
  r.event = std::make_shared<const std::string>(std::move(text));
  return r;
}

Journal::Journal(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Journal::~Journal() = default;

const std::string& Journal::path() const { return impl_->path; }

Result<std::unique_ptr<Journal>> Journal::open(const std::string& path,
                                               const JournalOptions& options) {
  try {
    auto impl = std::make_unique<Impl>();
    impl->path = path;
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &raw,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    impl->db.reset(raw);  // closed on every path, also when the open failed
    if (rc != SQLITE_OK) return impl->fail("open");
    if (auto s = impl->configure(options); !s) return s.error();
    if (auto s = impl->create_or_check_schema(); !s) return s.error();
    if (auto s = impl->prepare_all(); !s) return s.error();
    if (auto s = impl->load_position(); !s) return s.error();
    if (auto s = impl->checkpointer.start(path); !s) return s.error();
    // Replaces SQLite's automatic checkpoint (which is itself a WAL hook).
    sqlite3_wal_hook(impl->db.get(), &Impl::on_wal_commit, impl.get());
    return std::unique_ptr<Journal>(new Journal(std::move(impl)));
  } catch (const std::exception& e) {
    return Error{ErrorCode::internal, path + ": open: " + e.what()};
  }
}

Status Journal::commit(const std::vector<Batch>& batches) {
  Impl& j = *impl_;
  bool any = false;
  for (const Batch& b : batches) any = any || !b.events.empty() || b.request.has_value();
  if (!any) return ok_status();
  std::uint64_t seq = j.last_seq;
  std::string day = j.business_day;
  try {
    j.bound_wal();
    if (auto s = j.run(j.begin, "begin"); !s) return s;
    Status s = j.write(batches, seq, day);
    if (s) s = j.run(j.commit, "commit");
    if (!s) {
      j.roll_back();
      j.keys_discarded();
      return s;
    }
  } catch (const std::exception& e) {
    j.roll_back();
    j.keys_discarded();
    return j.fail("commit", e.what());
  }
  j.last_seq = seq;
  j.business_day = std::move(day);
  j.keys_committed(j.request_keys, j.select_request_keys);
  j.keys_committed(j.ticket_numbers, j.select_ticket_numbers);
  return ok_status();
}

Result<core::EngineState> Journal::load_state() {
  try {
    return impl_->load();
  } catch (const std::exception& e) {
    return impl_->fail("load state", e.what());
  }
}

Result<std::vector<Event>> Journal::events_after(std::uint64_t after, std::size_t limit) {
  try {
    return impl_->events(after, limit);
  } catch (const std::exception& e) {
    return impl_->fail("read events", e.what());
  }
}

Result<std::string> Journal::integrity_check() {
  try {
    Use q(impl_->integrity);
    std::string report;
    int rc;
    while ((rc = q->step()) == SQLITE_ROW) {
      if (!report.empty()) report += '\n';
      report += q->text(0);
    }
    if (rc != SQLITE_DONE) return impl_->fail("integrity_check");
    return report;
  } catch (const std::exception& e) {
    return impl_->fail("integrity_check", e.what());
  }
}

}  // namespace hallq::storage
