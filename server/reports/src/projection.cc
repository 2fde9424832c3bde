#include "hallq/reports/projection.h"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

namespace hallq::reports {

using nlohmann::json;

std::string projection_path_for(const std::string& journal_path) { return journal_path + ".reports"; }

namespace {

// Bump when the tables below change: an older side file is then dropped and rebuilt.
// 2: visits whose last event was an alert or follow-up were lost; 3: appointments.
constexpr int kSchemaVersion = 3;

// visits: one row per ticket, recomputed from the ticket's latest body (its whole history).
// cells: the roll-up the summary reads; waits/services are the durations of the cell's visits as
// little-endian int32 milliseconds, so a year's percentiles need no per-visit row reads.
constexpr const char* kSchema = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE visits(
  ticket_id TEXT PRIMARY KEY,
  day TEXT NOT NULL,
  number TEXT NOT NULL,
  service TEXT NOT NULL,
  origin_service TEXT NOT NULL,
  class TEXT NOT NULL,
  window INTEGER NOT NULL,
  clerk TEXT NOT NULL,
  outcome TEXT NOT NULL,
  issued_at INTEGER NOT NULL,
  first_called_at INTEGER,
  started_at INTEGER,
  completed_at INTEGER,
  wait_ms INTEGER,
  service_ms INTEGER,
  transfers INTEGER NOT NULL,
  rating INTEGER,
  wait_overdue INTEGER NOT NULL,
  service_overdue INTEGER NOT NULL,
  first_window INTEGER NOT NULL,
  first_clerk TEXT NOT NULL
);
CREATE INDEX visits_by_cell ON visits(day, service, window, clerk);
CREATE INDEX visits_by_first_call ON visits(day, origin_service, first_window, first_clerk);
CREATE TABLE transfers(
  ticket_id TEXT NOT NULL,
  n INTEGER NOT NULL,
  day TEXT NOT NULL,
  from_service TEXT NOT NULL,
  to_service TEXT NOT NULL,
  window INTEGER NOT NULL,
  clerk TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY(ticket_id, n)
);
CREATE INDEX transfers_by_cell ON transfers(day, from_service, window, clerk);
CREATE TABLE alerts(
  id TEXT PRIMARY KEY,
  day TEXT NOT NULL,
  kind TEXT NOT NULL,
  service TEXT NOT NULL,
  window INTEGER NOT NULL,
  ticket_id TEXT,
  since INTEGER,
  limit_s INTEGER,
  raised_at INTEGER,
  cleared_at INTEGER
);
CREATE INDEX alerts_by_ticket ON alerts(ticket_id, kind);
CREATE INDEX alerts_by_cell ON alerts(day, kind, service, window);
CREATE TABLE cells(
  day TEXT NOT NULL,
  service TEXT NOT NULL,
  window INTEGER NOT NULL,
  clerk TEXT NOT NULL,
  done INTEGER NOT NULL,
  no_show INTEGER NOT NULL,
  cancelled INTEGER NOT NULL,
  expired INTEGER NOT NULL,
  transfers INTEGER NOT NULL,
  r1 INTEGER NOT NULL, r2 INTEGER NOT NULL, r3 INTEGER NOT NULL, r4 INTEGER NOT NULL, r5 INTEGER NOT NULL,
  overdue_wait INTEGER NOT NULL,
  overdue_service INTEGER NOT NULL,
  overdue_idle INTEGER NOT NULL,
  waits BLOB NOT NULL,
  services BLOB NOT NULL,
  PRIMARY KEY(day, service, window, clerk)
) WITHOUT ROWID;
CREATE TABLE appointments(
  key TEXT PRIMARY KEY,  -- code@booked_at: a code is unique only among booked appointments
  day TEXT NOT NULL,     -- the slot's local day
  service TEXT NOT NULL,
  state TEXT NOT NULL
);
CREATE INDEX appointments_by_day ON appointments(day, service);
)sql";

class Db;

// One prepared statement, reset after each use.
class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, const char* sql, std::string* error) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) != SQLITE_OK)
      if (error) *error = std::string("prepare: ") + sqlite3_errmsg(db) + " in: " + sql;
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(Stmt&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Stmt& operator=(Stmt&& o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  void bind(int i, std::int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void bind(int i, std::string_view v) { sqlite3_bind_text(s_, i, v.data(), int(v.size()), SQLITE_TRANSIENT); }
  void bind(int i, std::optional<std::int64_t> v) {
    if (v) sqlite3_bind_int64(s_, i, *v); else sqlite3_bind_null(s_, i);
  }
  void bind_blob(int i, const std::vector<std::int32_t>& v) {
    sqlite3_bind_blob(s_, i, v.empty() ? "" : static_cast<const void*>(v.data()),
                      int(v.size() * sizeof(std::int32_t)), SQLITE_TRANSIENT);
  }
  int step() { return sqlite3_step(s_); }
  std::int64_t i64(int c) { return sqlite3_column_int64(s_, c); }
  bool null(int c) { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
  std::string_view text(int c) {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(s_, c));
    return p ? std::string_view(p, std::size_t(sqlite3_column_bytes(s_, c))) : std::string_view{};
  }
  // Appends a blob of int32 to `out`.
  void append_blob(int c, std::vector<std::int32_t>& out) {
    auto p = sqlite3_column_blob(s_, c);
    auto n = std::size_t(sqlite3_column_bytes(s_, c)) / sizeof(std::int32_t);
    if (!p || n == 0) return;
    auto at = out.size();
    out.resize(at + n);
    std::memcpy(out.data() + at, p, n * sizeof(std::int32_t));
  }

 private:
  sqlite3_stmt* s_ = nullptr;
};

struct Use {
  explicit Use(Stmt& s) : s(s) {}
  ~Use() { s.reset(); }
  Stmt* operator->() { return &s; }
  Stmt& s;
};

// (day, service, window, clerk)
using CellKey = std::tuple<std::string, std::string, std::int64_t, std::string>;

// A visit as the report sees it, derived from a ticket's JSON (its whole history).
struct Visit {
  std::string id, day, number, service, origin_service, cls, clerk, outcome;
  std::int64_t window = 0;
  std::int64_t first_window = 0;  // the window that called it first; its wait is counted there
  std::string first_clerk;
  std::int64_t issued_at = 0;
  std::optional<std::int64_t> first_called_at, started_at, completed_at, wait_ms, service_ms, rating;
  struct Transfer {
    std::string from, to, clerk;
    std::int64_t window = 0, at = 0;
  };
  std::vector<Transfer> transfers;
};

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
std::optional<std::int64_t> num(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

// Lenient on purpose: new fields (rating, appointments...) must not stop reports.
std::optional<Visit> visit_of(const json& t) {
  if (!t.is_object()) return std::nullopt;
  Visit v;
  v.id = str(t, "id");
  v.day = str(t, "business_day");
  v.number = str(t, "number");
  v.service = str(t, "service");
  v.origin_service = str(t, "origin_service");
  if (v.origin_service.empty()) v.origin_service = v.service;
  v.cls = str(t, "class");
  if (v.cls.empty()) v.cls = "normal";
  v.clerk = str(t, "clerk");
  v.window = num(t, "window").value_or(0);
  v.issued_at = num(t, "issued_at").value_or(0);
  if (v.id.empty() || v.day.empty() || v.service.empty()) return std::nullopt;
  // A transfer sends the ticket back to the queue but leaves the clerk on it: a visit that no
  // window holds any more is nobody's (cancelled or expired while waiting).
  if (v.window == 0) v.clerk.clear();
  std::string state = str(t, "state");
  std::string last_step;
  std::string current = v.origin_service;
  if (auto h = t.find("history"); h != t.end() && h->is_array()) {
    for (const auto& s : *h) {
      std::string step = str(s, "step");
      auto at = num(s, "at").value_or(0);
      if (step == "called" && !v.first_called_at) {
        v.first_called_at = at;
        v.first_window = num(s, "window").value_or(0);
        v.first_clerk = str(s, "clerk");
      }
      else if (step == "started") v.started_at = at;
      else if (step == "completed") v.completed_at = at;
      else if (step == "transferred") {
        Visit::Transfer x;
        x.from = current;
        x.to = str(s, "service");
        if (x.to.empty()) x.to = current;
        x.window = num(s, "window").value_or(0);
        x.clerk = str(s, "clerk");
        x.at = at;
        current = x.to;
        v.transfers.push_back(std::move(x));
      }
      if (!step.empty()) last_step = step;
    }
  }
  if (state == "done") v.outcome = "done";
  else if (state == "no_show") v.outcome = "no_show";
  else if (state == "cancelled") v.outcome = last_step == "expired" ? "expired" : "cancelled";
  else v.outcome = "open";
  if (v.first_called_at) v.wait_ms = std::max<std::int64_t>(0, *v.first_called_at - v.issued_at);
  if (v.outcome == "done" && v.started_at && v.completed_at)
    v.service_ms = std::max<std::int64_t>(0, *v.completed_at - *v.started_at);
  if (auto r = t.find("rating"); r != t.end() && r->is_object()) {
    auto level = num(*r, "level");
    if (level && *level >= 1 && *level <= 5) v.rating = level;
  }
  return v;
}

std::int32_t clamp32(std::int64_t v) {
  return std::int32_t(std::clamp<std::int64_t>(v, 0, std::numeric_limits<std::int32_t>::max()));
}

}  // namespace

struct Projection::Impl {
  sqlite3* db = nullptr;
  std::string path;
  ProjectionOptions options;
  std::uint64_t indexed = 0;

  Stmt read_events, find_visit, cell_waits, upsert_visit, delete_transfers, insert_transfer, insert_alert,
      clear_alert, flag_visit, cell_visits, cell_transfers, cell_idle, upsert_cell, delete_cell,
      select_cells, set_meta, upsert_appointment, select_appointments;

  ~Impl() {
    // Statements first: sqlite3_close refuses while any is alive.
    read_events = {}; find_visit = {}; cell_waits = {}; upsert_visit = {}; delete_transfers = {}; insert_transfer = {};
    insert_alert = {}; clear_alert = {}; flag_visit = {}; cell_visits = {}; cell_transfers = {};
    cell_idle = {}; upsert_cell = {}; delete_cell = {}; select_cells = {}; set_meta = {};
    upsert_appointment = {}; select_appointments = {};
    if (db) sqlite3_close(db);
  }

  Error fail(const std::string& what) const {
    return make_error(ErrorCode::internal, "reports (" + path + "): " + what + ": " + sqlite3_errmsg(db));
  }
  Status exec(const char* sql) {
    char* msg = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
      std::string m = msg ? msg : "?";
      sqlite3_free(msg);
      return make_error(ErrorCode::internal, "reports (" + path + "): " + m);
    }
    return ok_status();
  }

  Status create_schema() {
    if (auto s = exec("BEGIN"); !s) return s;  // not IMMEDIATE: see step()
    // Drop whatever an older version left, then create.
    for (const char* t : {"meta", "visits", "transfers", "alerts", "cells", "appointments"}) {
      std::string sql = std::string("DROP TABLE IF EXISTS main.") + t;
      if (auto s = exec(sql.c_str()); !s) { exec("ROLLBACK"); return s; }
    }
    if (auto s = exec(kSchema); !s) { exec("ROLLBACK"); return s; }
    std::string meta = "INSERT INTO meta(key, value) VALUES('schema_version','" + std::to_string(kSchemaVersion) +
                       "'),('indexed_seq','0')";
    if (auto s = exec(meta.c_str()); !s) { exec("ROLLBACK"); return s; }
    indexed = 0;
    return exec("COMMIT");
  }

  Status prepare() {
    std::string err;
    auto p = [&](Stmt& s, const char* sql) {
      if (err.empty()) s = Stmt(db, sql, &err);
    };
    p(read_events,
      "SELECT seq, type, business_day, ticket_id, body FROM j.events WHERE seq > ?1 ORDER BY seq LIMIT ?2");
    p(find_visit,
      "SELECT day, service, window, clerk, origin_service, first_window, first_clerk FROM visits WHERE ticket_id = ?1");
    p(upsert_visit,
      "INSERT INTO visits(ticket_id, day, number, service, origin_service, class, window, clerk, outcome, "
      "issued_at, first_called_at, started_at, completed_at, wait_ms, service_ms, transfers, rating, "
      "wait_overdue, service_overdue, first_window, first_clerk) "
      "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,"
      "EXISTS(SELECT 1 FROM alerts WHERE ticket_id = ?1 AND kind = 'wait'),"
      "EXISTS(SELECT 1 FROM alerts WHERE ticket_id = ?1 AND kind = 'service'), ?18, ?19) "
      "ON CONFLICT(ticket_id) DO UPDATE SET day=excluded.day, number=excluded.number, service=excluded.service, "
      "origin_service=excluded.origin_service, class=excluded.class, window=excluded.window, clerk=excluded.clerk, "
      "outcome=excluded.outcome, issued_at=excluded.issued_at, first_called_at=excluded.first_called_at, "
      "started_at=excluded.started_at, completed_at=excluded.completed_at, wait_ms=excluded.wait_ms, "
      "service_ms=excluded.service_ms, transfers=excluded.transfers, rating=excluded.rating, "
      "wait_overdue=excluded.wait_overdue, service_overdue=excluded.service_overdue, "
      "first_window=excluded.first_window, first_clerk=excluded.first_clerk");
    p(delete_transfers, "DELETE FROM transfers WHERE ticket_id = ?1");
    p(insert_transfer,
      "INSERT INTO transfers(ticket_id, n, day, from_service, to_service, window, clerk, at) "
      "VALUES(?1,?2,?3,?4,?5,?6,?7,?8)");
    p(insert_alert,
      "INSERT OR IGNORE INTO alerts(id, day, kind, service, window, ticket_id, since, limit_s, raised_at) "
      "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)");
    p(clear_alert, "UPDATE alerts SET cleared_at = ?2 WHERE id = ?1");
    p(flag_visit,
      "UPDATE visits SET wait_overdue = wait_overdue OR ?2 = 'wait', service_overdue = service_overdue OR ?2 = 'service' "
      "WHERE ticket_id = ?1 RETURNING day, service, window, clerk, origin_service, first_window, first_clerk");
    p(cell_visits,
      "SELECT outcome, service_ms, rating, service_overdue FROM visits "
      "WHERE day = ?1 AND service = ?2 AND window = ?3 AND clerk = ?4");
    p(cell_waits,
      "SELECT wait_ms, wait_overdue FROM visits "
      "WHERE day = ?1 AND origin_service = ?2 AND first_window = ?3 AND first_clerk = ?4");
    p(cell_transfers,
      "SELECT count(*) FROM transfers WHERE day = ?1 AND from_service = ?2 AND window = ?3 AND clerk = ?4");
    p(cell_idle, "SELECT count(*) FROM alerts WHERE day = ?1 AND kind = 'idle' AND service = ?2 AND window = ?3");
    p(upsert_cell,
      "INSERT OR REPLACE INTO cells(day, service, window, clerk, done, no_show, cancelled, expired, transfers, "
      "r1, r2, r3, r4, r5, overdue_wait, overdue_service, overdue_idle, waits, services) "
      "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19)");
    p(delete_cell, "DELETE FROM cells WHERE day = ?1 AND service = ?2 AND window = ?3 AND clerk = ?4");
    p(select_cells,
      "SELECT service, window, clerk, done, no_show, cancelled, expired, transfers, r1, r2, r3, r4, r5, "
      "overdue_wait, overdue_service, overdue_idle, waits, services FROM cells WHERE day BETWEEN ?1 AND ?2");
    p(set_meta, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)");
    p(upsert_appointment, "INSERT OR REPLACE INTO appointments(key, day, service, state) VALUES(?1,?2,?3,?4)");
    p(select_appointments,
      "SELECT service, state, count(*) FROM appointments WHERE day BETWEEN ?1 AND ?2 GROUP BY service, state");
    if (!err.empty()) return make_error(ErrorCode::internal, "reports (" + path + "): " + err);
    return ok_status();
  }

  Status load_meta() {
    Stmt s(db, "SELECT value FROM main.meta WHERE key = 'indexed_seq'", nullptr);
    if (s.step() != SQLITE_ROW) return fail("read indexed_seq");
    indexed = std::uint64_t(std::stoull(std::string(s.text(0))));
    return ok_status();
  }

  // Which journal the side file was built from: the time of its first event. A data directory
  // restored from a backup or started afresh must not be reported with another hall's figures.
  std::string journal_identity() {
    Stmt s(db, "SELECT at FROM j.events WHERE seq = 1", nullptr);
    return s.step() == SQLITE_ROW ? std::to_string(s.i64(0)) : std::string();
  }
  std::string stored_meta(const char* key) {
    Stmt s(db, "SELECT value FROM main.meta WHERE key = ?1", nullptr);
    s.bind(1, std::string_view(key));
    return s.step() == SQLITE_ROW ? std::string(s.text(0)) : std::string();
  }
  std::uint64_t journal_last_seq() {
    Stmt s(db, "SELECT coalesce(max(seq), 0) FROM j.events", nullptr);
    return s.step() == SQLITE_ROW ? std::uint64_t(s.i64(0)) : 0;
  }

  // The schema version stored in the side file; 0 for a new or foreign file.
  int stored_version() {
    std::string err;
    // main.: the attached journal has a meta table of its own, with its own schema_version.
    Stmt s(db, "SELECT value FROM main.meta WHERE key = 'schema_version'", &err);
    if (!err.empty() || s.step() != SQLITE_ROW) return 0;
    return std::atoi(std::string(s.text(0)).c_str());
  }

  // A visit's two cells from (day, service, window, clerk, origin_service, first_window,
  // first_clerk) columns: where it ended, and where it waited.
  void mark(std::set<CellKey>& dirty, Stmt& s) {
    dirty.emplace(std::string(s.text(0)), std::string(s.text(1)), s.i64(2), std::string(s.text(3)));
    dirty.emplace(std::string(s.text(0)), std::string(s.text(4)), s.i64(5), std::string(s.text(6)));
  }

  Status index_visit(const std::string& body, std::set<CellKey>& dirty) {
    json e = json::parse(body, nullptr, false);
    if (e.is_discarded()) return ok_status();  // not ours to judge: the journal checks its bodies
    auto t = e.find("ticket");
    if (t == e.end()) return ok_status();
    auto v = visit_of(*t);
    if (!v) return ok_status();
    {
      Use s(find_visit);
      s->bind(1, v->id);
      if (s->step() == SQLITE_ROW) mark(dirty, s.s);
    }
    {
      Use s(upsert_visit);
      s->bind(1, v->id);
      s->bind(2, v->day);
      s->bind(3, v->number);
      s->bind(4, v->service);
      s->bind(5, v->origin_service);
      s->bind(6, v->cls);
      s->bind(7, v->window);
      s->bind(8, v->clerk);
      s->bind(9, v->outcome);
      s->bind(10, v->issued_at);
      s->bind(11, v->first_called_at);
      s->bind(12, v->started_at);
      s->bind(13, v->completed_at);
      s->bind(14, v->wait_ms);
      s->bind(15, v->service_ms);
      s->bind(16, std::int64_t(v->transfers.size()));
      s->bind(17, v->rating);
      s->bind(18, v->first_window);
      s->bind(19, v->first_clerk);
      if (s->step() != SQLITE_DONE) return fail("store visit " + v->number);
    }
    dirty.emplace(v->day, v->service, v->window, v->clerk);
    dirty.emplace(v->day, v->origin_service, v->first_window, v->first_clerk);
    {
      Use s(delete_transfers);
      s->bind(1, v->id);
      if (s->step() != SQLITE_DONE) return fail("clear transfers of " + v->number);
    }
    for (std::size_t i = 0; i < v->transfers.size(); ++i) {
      const auto& x = v->transfers[i];
      Use s(insert_transfer);
      s->bind(1, v->id);
      s->bind(2, std::int64_t(i));
      s->bind(3, v->day);
      s->bind(4, x.from);
      s->bind(5, x.to);
      s->bind(6, x.window);
      s->bind(7, x.clerk);
      s->bind(8, x.at);
      if (s->step() != SQLITE_DONE) return fail("store transfer of " + v->number);
      dirty.emplace(v->day, x.from, x.window, x.clerk);
    }
    return ok_status();
  }

  Status index_alert(const std::string& type, const std::string& day, const std::string& body,
                     std::set<CellKey>& dirty) {
    json e = json::parse(body, nullptr, false);
    if (e.is_discarded()) return ok_status();
    auto a = e.find("alert");
    if (a == e.end() || !a->is_object()) return ok_status();
    std::string id = str(*a, "id");
    if (id.empty()) return ok_status();
    if (type == "alert_cleared") {
      Use s(clear_alert);
      s->bind(1, id);
      s->bind(2, num(*a, "cleared_at").value_or(num(e, "at").value_or(0)));
      if (s->step() != SQLITE_DONE) return fail("clear alert " + id);
      return ok_status();
    }
    std::string kind = str(*a, "kind"), service = str(*a, "service"), ticket = str(*a, "ticket");
    std::int64_t window = num(*a, "window").value_or(0);
    {
      Use s(insert_alert);
      s->bind(1, id);
      s->bind(2, day);
      s->bind(3, kind);
      s->bind(4, service);
      s->bind(5, window);
      if (ticket.empty()) s->bind(6, std::optional<std::int64_t>{});
      else s->bind(6, ticket);
      s->bind(7, num(*a, "since"));
      s->bind(8, num(*a, "limit_s"));
      s->bind(9, num(*a, "raised_at").value_or(num(e, "at").value_or(0)));
      if (s->step() != SQLITE_DONE) return fail("store alert " + id);
    }
    if (!ticket.empty()) {
      Use s(flag_visit);
      s->bind(1, ticket);
      s->bind(2, kind);
      int rc;
      while ((rc = s->step()) == SQLITE_ROW) mark(dirty, s.s);
      if (rc != SQLITE_DONE) return fail("flag visit of alert " + id);
    } else if (kind == "idle") {
      dirty.emplace(day, service, window, std::string());
    }
    return ok_status();
  }

  // An appointment_* event carries the appointment after the change: its latest state wins.
  Status index_appointment(const std::string& body) {
    json e = json::parse(body, nullptr, false);
    if (e.is_discarded()) return ok_status();
    auto a = e.find("appointment");
    if (a == e.end() || !a->is_object()) return ok_status();
    const std::string code = str(*a, "code"), day = str(*a, "date"), service = str(*a, "service"),
                      state = str(*a, "state");
    if (code.empty() || day.empty() || service.empty() || state.empty()) return ok_status();
    Use s(upsert_appointment);
    s->bind(1, code + "@" + std::to_string(num(*a, "booked_at").value_or(0)));
    s->bind(2, day);
    s->bind(3, service);
    s->bind(4, state);
    if (s->step() != SQLITE_DONE) return fail("store appointment " + code);
    return ok_status();
  }

  Status recompute(const CellKey& k) {
    const auto& [day, service, window, clerk] = k;
    std::int64_t n[5] = {}, r[5] = {}, ow = 0, os = 0, transfers = 0, idle = 0;  // done,no_show,cancelled,expired
    std::vector<std::int32_t> waits, services;
    bool any = false;
    // The cell's queries take its key as their four parameters.
    auto bind_cell = [&](Use& s) {
      s->bind(1, day);
      s->bind(2, service);
      s->bind(3, window);
      s->bind(4, clerk);
    };
    {
      Use s(cell_visits);
      bind_cell(s);
      int rc;
      while ((rc = s->step()) == SQLITE_ROW) {
        any = true;
        auto outcome = s->text(0);
        if (outcome == "done") ++n[0];
        else if (outcome == "no_show") ++n[1];
        else if (outcome == "cancelled") ++n[2];
        else if (outcome == "expired") ++n[3];
        if (!s->null(1)) services.push_back(clamp32(s->i64(1)));
        if (!s->null(2)) {
          auto level = s->i64(2);
          if (level >= 1 && level <= 5) ++r[level - 1];
        }
        os += s->i64(3) != 0;
      }
      if (rc != SQLITE_DONE) return fail("read visits of a cell");
    }
    {
      Use s(cell_waits);
      bind_cell(s);
      int rc;
      while ((rc = s->step()) == SQLITE_ROW) {
        any = true;
        if (!s->null(0)) waits.push_back(clamp32(s->i64(0)));
        ow += s->i64(1) != 0;
      }
      if (rc != SQLITE_DONE) return fail("read waits of a cell");
    }
    {
      Use s(cell_transfers);
      bind_cell(s);
      if (s->step() != SQLITE_ROW) return fail("count transfers");
      transfers = s->i64(0);
    }
    if (clerk.empty()) {
      Use s(cell_idle);
      s->bind(1, day);
      s->bind(2, service);
      s->bind(3, window);
      if (s->step() != SQLITE_ROW) return fail("count idle alerts");
      idle = s->i64(0);
    }
    if (!any && transfers == 0 && idle == 0) {
      Use s(delete_cell);
      bind_cell(s);
      if (s->step() != SQLITE_DONE) return fail("delete cell");
      return ok_status();
    }
    // Sorted so that the same visits always give the same bytes (rebuild equivalence).
    std::sort(waits.begin(), waits.end());
    std::sort(services.begin(), services.end());
    Use s(upsert_cell);
    s->bind(1, day);
    s->bind(2, service);
    s->bind(3, window);
    s->bind(4, clerk);
    for (int i = 0; i < 4; ++i) s->bind(5 + i, n[i]);
    s->bind(9, transfers);
    for (int i = 0; i < 5; ++i) s->bind(10 + i, r[i]);
    s->bind(15, ow);
    s->bind(16, os);
    s->bind(17, idle);
    s->bind_blob(18, waits);
    s->bind_blob(19, services);
    if (s->step() != SQLITE_DONE) return fail("store cell");
    return ok_status();
  }

  // One step: at most events_per_step events in one transaction. Returns how many were read.
  Result<std::size_t> step() {
    // Deferred, never IMMEDIATE: with the journal attached, BEGIN IMMEDIATE would take the
    // journal's write lock too and stall the hall's commit thread. Deferred, the journal is
    // only read (a WAL snapshot) and only the side file is written.
    if (auto s = exec("BEGIN"); !s) return s.error();
    auto rollback = [&](Error e) -> Result<std::size_t> {
      exec("ROLLBACK");
      return e;
    };
    // Only the latest body of each ticket matters: it carries the whole history.
    std::unordered_map<std::string, std::string> latest;
    std::vector<std::string> order;
    struct AlertEvent {
      std::string type, day, body;
    };
    std::vector<AlertEvent> alerts;
    std::vector<std::string> appointments;  // bodies, in seq order
    std::size_t count = 0;
    std::uint64_t last = indexed;
    {
      Use s(read_events);
      s->bind(1, std::int64_t(indexed));
      s->bind(2, std::int64_t(options.events_per_step));
      int rc;
      while ((rc = s->step()) == SQLITE_ROW) {
        ++count;
        last = std::uint64_t(s->i64(0));
        auto type = s->text(1);
        if (type == "alert_raised" || type == "alert_cleared") {
          alerts.push_back({std::string(type), std::string(s->text(2)), std::string(s->text(4))});
        }
        if (type.rfind("appointment_", 0) == 0) appointments.emplace_back(s->text(4));
        // Alerts and follow-ups name their ticket but carry no ticket body: taken as the
        // ticket's latest, they made its visit vanish from the reports.
        const bool has_ticket_body = type.rfind("alert_", 0) != 0 && type.rfind("followup_", 0) != 0;
        if (!s->null(3) && has_ticket_body) {
          std::string id(s->text(3));
          auto [it, fresh] = latest.try_emplace(id);
          if (fresh) order.push_back(id);
          it->second.assign(s->text(4));
        }
      }
      if (rc != SQLITE_DONE) return rollback(fail("read events"));
    }
    if (count == 0) {
      exec("ROLLBACK");
      return std::size_t{0};
    }
    std::set<CellKey> dirty;
    for (const auto& id : order)
      if (auto st = index_visit(latest[id], dirty); !st) return rollback(st.error());
    for (const auto& a : alerts)
      if (auto st = index_alert(a.type, a.day, a.body, dirty); !st) return rollback(st.error());
    for (const auto& k : dirty)
      if (auto st = recompute(k); !st) return rollback(st.error());
    for (const auto& body : appointments)
      if (auto st = index_appointment(body); !st) return rollback(st.error());
    if (indexed == 0) {
      Use s(set_meta);
      s->bind(1, std::string_view("journal_identity"));
      s->bind(2, journal_identity());
      if (s->step() != SQLITE_DONE) return rollback(fail("store journal_identity"));
    }
    {
      Use s(set_meta);
      s->bind(1, std::string_view("indexed_seq"));
      s->bind(2, std::to_string(last));
      if (s->step() != SQLITE_DONE) return rollback(fail("store indexed_seq"));
    }
    if (auto st = exec("COMMIT"); !st) return rollback(st.error());
    indexed = last;
    return count;
  }
};

Projection::Projection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Projection::~Projection() = default;

Result<std::unique_ptr<Projection>> Projection::open(const std::string& journal_path,
                                                     const std::string& projection_path,
                                                     const ProjectionOptions& options) {
  std::error_code ec;
  if (!std::filesystem::exists(journal_path, ec))
    return make_error(ErrorCode::internal, "reports: no journal at " + journal_path);
  auto impl = std::make_unique<Impl>();
  impl->path = projection_path;
  impl->options = options;
  if (sqlite3_open_v2(projection_path.c_str(), &impl->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK)
    return impl->fail("open");
  sqlite3_busy_timeout(impl->db, options.busy_timeout_ms);
  // The side file can always be rebuilt from the journal: no need to fsync every step.
  if (auto s = impl->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL"); !s) return s.error();
  {
    Stmt attach(impl->db, "ATTACH DATABASE ?1 AS j", nullptr);
    attach.bind(1, journal_path);
    if (attach.step() != SQLITE_DONE) return impl->fail("attach the journal " + journal_path);
  }
  // Each attached file has its own page cache (2 MB by default). The cells are small and the
  // journal is read once, front to back: less is enough, and it counts against the server's RSS.
  if (auto s = impl->exec("PRAGMA main.cache_size=-1024; PRAGMA j.cache_size=-256"); !s) return s.error();
  {
    std::string err;
    Stmt check(impl->db, "SELECT 1 FROM j.sqlite_master WHERE type = 'table' AND name = 'events'", &err);
    if (!err.empty() || check.step() != SQLITE_ROW)
      return make_error(ErrorCode::internal, "reports: " + journal_path + " has no events table");
  }
  if (impl->stored_version() != kSchemaVersion) {
    if (auto s = impl->create_schema(); !s) return s.error();
  }
  if (auto s = impl->prepare(); !s) return s.error();
  if (auto s = impl->load_meta(); !s) return s.error();
  if (impl->indexed > 0 &&
      (impl->stored_meta("journal_identity") != impl->journal_identity() || impl->journal_last_seq() < impl->indexed)) {
    if (auto s = impl->create_schema(); !s) return s.error();
    if (auto s = impl->prepare(); !s) return s.error();
  }
  return std::unique_ptr<Projection>(new Projection(std::move(impl)));
}

Result<std::uint64_t> Projection::catch_up() {
  for (;;) {
    auto n = impl_->step();
    if (!n) return n.error();
    if (*n < impl_->options.events_per_step) return impl_->indexed;
  }
}

Result<std::uint64_t> Projection::rebuild() {
  Impl& m = *impl_;
  if (auto s = m.exec("BEGIN; DELETE FROM visits; DELETE FROM transfers; DELETE FROM alerts; "
                      "DELETE FROM cells; DELETE FROM appointments; UPDATE meta SET value = '0' WHERE key = 'indexed_seq'; COMMIT");
      !s) {
    m.exec("ROLLBACK");
    return s.error();
  }
  m.indexed = 0;
  return catch_up();
}

std::uint64_t Projection::indexed_seq() const { return impl_->indexed; }

namespace {

std::string department_of(const HallConfig& c, const std::string& service, std::int64_t window) {
  if (!service.empty())
    if (auto* s = c.service(service); s && !s->department.empty()) return s->department;
  if (window > 0)
    if (auto* w = c.window(int(window)); w && !w->department.empty()) return w->department;
  return "";
}

struct Acc {
  Figures f;
  std::vector<std::int32_t> waits, services;
};

void add(Acc& a, const Figures& c) {
  a.f.done += c.done;
  a.f.no_show += c.no_show;
  a.f.cancelled += c.cancelled;
  a.f.expired += c.expired;
  a.f.transfers += c.transfers;
  for (int i = 0; i < 5; ++i) a.f.ratings[i] += c.ratings[i];
  a.f.overdue_wait += c.overdue_wait;
  a.f.overdue_service += c.overdue_service;
  a.f.overdue_idle += c.overdue_idle;
}

}  // namespace

Result<Summary> Projection::summary(const DayRange& range, GroupBy by, const HallConfig& config) {
  Impl& m = *impl_;
  if (auto s = m.exec("BEGIN"); !s) return s.error();  // one consistent read
  std::map<std::string, Acc> groups;
  Acc total;
  {
    Use s(m.select_cells);
    s->bind(1, range.from);
    s->bind(2, range.to);
    int rc;
    while ((rc = s->step()) == SQLITE_ROW) {
      std::string service(s->text(0)), clerk(s->text(2));
      std::int64_t window = s->i64(1);
      std::string key;
      switch (by) {
        case GroupBy::service: key = service; break;
        case GroupBy::window: key = window > 0 ? std::to_string(window) : ""; break;
        case GroupBy::clerk: key = clerk; break;
        case GroupBy::department: key = department_of(config, service, window); break;
      }
      Figures c;
      c.done = s->i64(3);
      c.no_show = s->i64(4);
      c.cancelled = s->i64(5);
      c.expired = s->i64(6);
      c.transfers = s->i64(7);
      for (int i = 0; i < 5; ++i) c.ratings[i] = s->i64(8 + i);
      c.overdue_wait = s->i64(13);
      c.overdue_service = s->i64(14);
      c.overdue_idle = s->i64(15);
      Acc& g = groups[key];
      add(g, c);
      add(total, c);
      s->append_blob(16, g.waits);
      s->append_blob(17, g.services);
    }
    if (rc != SQLITE_DONE) {
      m.exec("ROLLBACK");
      return m.fail("read cells");
    }
  }
  {
    Use s(m.select_appointments);
    s->bind(1, range.from);
    s->bind(2, range.to);
    int rc;
    while ((rc = s->step()) == SQLITE_ROW) {
      const std::string service(s->text(0));
      const std::string_view state = s->text(1);
      const std::int64_t n = s->i64(2);
      // An appointment belongs to no window or clerk: those reports count it in the keyless group.
      std::string key = by == GroupBy::service      ? service
                        : by == GroupBy::department ? department_of(config, service, 0)
                                                    : std::string();
      for (AppointmentCounts* a : {&groups[key].f.appointments, &total.f.appointments}) {
        if (state == "booked") a->booked += n;
        else if (state == "checked_in") a->checked_in += n;
        else if (state == "missed") a->missed += n;
        else if (state == "cancelled") a->cancelled += n;
      }
    }
    if (rc != SQLITE_DONE) {
      m.exec("ROLLBACK");
      return m.fail("read appointments");
    }
  }
  m.exec("COMMIT");
  Summary out;
  out.range = range;
  out.by = by;
  for (auto& [key, g] : groups) {
    // Only open visits (issued, not yet called): nothing to report for this group yet.
    const Figures& f = g.f;
    if (f.done + f.no_show + f.cancelled + f.expired + f.transfers + f.rated() + f.overdue_wait +
                f.overdue_service + f.overdue_idle + f.appointments.total() == 0 &&
        g.waits.empty() && g.services.empty())
      continue;
    total.waits.insert(total.waits.end(), g.waits.begin(), g.waits.end());
    total.services.insert(total.services.end(), g.services.begin(), g.services.end());
    g.f.key = key;
    g.f.wait = duration_stats(g.waits);
    g.f.service = duration_stats(g.services);
    out.groups.push_back(std::move(g.f));
  }
  total.f.wait = duration_stats(total.waits);
  total.f.service = duration_stats(total.services);
  out.total = std::move(total.f);
  // Windows in number order; the group without a key (never called, or no service) last.
  std::stable_sort(out.groups.begin(), out.groups.end(), [by](const Figures& a, const Figures& b) {
    if (a.key.empty() != b.key.empty()) return b.key.empty();
    if (by == GroupBy::window) return std::atoi(a.key.c_str()) < std::atoi(b.key.c_str());
    return a.key < b.key;
  });
  return out;
}

Result<json> Projection::day_chart(const std::string& day, const Rules& rules) {
  Impl& m = *impl_;
  std::string error;
  Stmt s(m.db,
         "SELECT issued_at, completed_at, outcome, wait_ms, service_ms, service FROM visits WHERE day = ?1",
         &error);
  if (!error.empty()) return make_error(ErrorCode::internal, "reports: " + error);
  constexpr std::int64_t kDay = 24 * 3600 * 1000, kQuarter = 15 * 60 * 1000;
  const std::int64_t offset = std::int64_t(rules.utc_offset_min) * 60 * 1000;
  auto quarter = [&](std::int64_t at) { return int((((at + offset) % kDay) + kDay) % kDay / kQuarter); };
  constexpr std::size_t kEdges = std::size(kDayWaitEdgesMin);
  std::vector<std::int64_t> arrivals(96, 0), completions(96, 0), waits(kEdges + 1, 0);
  std::map<std::string, std::vector<std::int32_t>> service_times;
  std::int64_t issued = 0, completed = 0, called = 0;
  s.bind(1, std::string_view(day));
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    ++issued;
    ++arrivals[quarter(s.i64(0))];
    if (s.text(2) == "done" && !s.null(1)) {
      ++completed;
      ++completions[quarter(s.i64(1))];
      if (!s.null(4)) service_times[std::string(s.text(5))].push_back(clamp32(s.i64(4)));
    }
    if (!s.null(3)) {
      ++called;
      std::int64_t wait_ms = s.i64(3);  // bucket b holds the waits below edge b
      std::size_t b = 0;
      while (b < kEdges && wait_ms >= std::int64_t(kDayWaitEdgesMin[b]) * 60'000) ++b;
      ++waits[b];
    }
  }
  if (rc != SQLITE_DONE) return m.fail("read the visits of " + day);
  json services = json::array();
  for (auto& [code, times] : service_times) {
    std::int32_t longest = *std::max_element(times.begin(), times.end());
    DurationStats d = duration_stats(times);
    services.push_back(json{{"service", code}, {"count", d.count}, {"mean_ms", std::llround(d.mean_ms)},
                            {"p50_ms", d.p50_ms}, {"p90_ms", d.p90_ms}, {"max_ms", longest}});
  }
  return json{{"date", day},           {"indexed_seq", m.indexed},  {"issued", issued},
              {"completed", completed}, {"called", called},          {"quarter_min", 15},
              {"arrivals", arrivals},   {"completions", completions}, {"wait_edges_min", kDayWaitEdgesMin},
              {"waits", waits},         {"services", services}};
}

}  // namespace hallq::reports
