#include "hallq/storage/session_file.h"

#include <sqlite3.h>

#include <utility>

namespace hallq::storage {

namespace {
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS sessions(
  token_hash TEXT PRIMARY KEY,
  user TEXT NOT NULL,
  role TEXT NOT NULL,
  password_fingerprint TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
)sql";

struct Stmt {
  sqlite3_stmt* s = nullptr;
  Stmt() = default;
  Stmt(Stmt&& o) noexcept : s(std::exchange(o.s, nullptr)) {}
  Stmt& operator=(Stmt&&) = delete;
  ~Stmt() { sqlite3_finalize(s); }
};
}  // namespace

struct SessionFile::Impl {
  std::string path;
  sqlite3* db = nullptr;
  ~Impl() { sqlite3_close_v2(db); }

  Error fail(const std::string& what) const {
    return Error{ErrorCode::internal, path + ": " + what + ": " + (db ? sqlite3_errmsg(db) : "out of memory")};
  }
  Status exec(const char* sql, const std::string& what) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return fail(what);
    return ok_status();
  }
  Result<Stmt> prepare(const char* sql) {
    Stmt st;
    if (sqlite3_prepare_v2(db, sql, -1, &st.s, nullptr) != SQLITE_OK) return fail(std::string("prepare ") + sql);
    return st;
  }
  static void bind(Stmt& st, int i, const std::string& v) {
    sqlite3_bind_text(st.s, i, v.data(), int(v.size()), SQLITE_TRANSIENT);
  }
};

SessionFile::SessionFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SessionFile::~SessionFile() = default;

Result<std::unique_ptr<SessionFile>> SessionFile::open(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  if (sqlite3_open_v2(path.c_str(), &impl->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK)
    return impl->fail("open");
  sqlite3_busy_timeout(impl->db, 2000);
  if (auto s = impl->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-64", "settings"); !s)
    return s.error();
  if (auto s = impl->exec(kSchema, "create table sessions"); !s) return s.error();
  return std::unique_ptr<SessionFile>(new SessionFile(std::move(impl)));
}

Result<std::vector<StoredSession>> SessionFile::load(TimeMs now) {
  Impl& j = *impl_;
  {
    auto del = j.prepare("DELETE FROM sessions WHERE expires_at <= ?1");
    if (!del) return del.error();
    sqlite3_bind_int64(del->s, 1, now);
    if (sqlite3_step(del->s) != SQLITE_DONE) return j.fail("delete expired sessions");
  }
  auto q = j.prepare("SELECT token_hash, user, role, password_fingerprint, expires_at FROM sessions ORDER BY rowid");
  if (!q) return q.error();
  std::vector<StoredSession> out;
  int rc;
  auto text = [&](int col) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(q->s, col));
    return p ? std::string(p, std::size_t(sqlite3_column_bytes(q->s, col))) : std::string();
  };
  while ((rc = sqlite3_step(q->s)) == SQLITE_ROW)
    out.push_back(StoredSession{text(0), text(1), text(2), text(3), sqlite3_column_int64(q->s, 4)});
  if (rc != SQLITE_DONE) return j.fail("read sessions");
  return out;
}

Status SessionFile::put(const StoredSession& s) {
  Impl& j = *impl_;
  auto st = j.prepare(
      "INSERT OR REPLACE INTO sessions(token_hash, user, role, password_fingerprint, expires_at) "
      "VALUES(?1, ?2, ?3, ?4, ?5)");
  if (!st) return st.error();
  Impl::bind(*st, 1, s.token_hash);
  Impl::bind(*st, 2, s.user);
  Impl::bind(*st, 3, s.role);
  Impl::bind(*st, 4, s.password_fingerprint);
  sqlite3_bind_int64(st->s, 5, s.expires_at);
  if (sqlite3_step(st->s) != SQLITE_DONE) return j.fail("store the session of " + s.user);
  return ok_status();
}

Status SessionFile::erase(const std::string& token_hash) {
  Impl& j = *impl_;
  auto st = j.prepare("DELETE FROM sessions WHERE token_hash = ?1");
  if (!st) return st.error();
  Impl::bind(*st, 1, token_hash);
  if (sqlite3_step(st->s) != SQLITE_DONE) return j.fail("delete a session");
  return ok_status();
}

}  // namespace hallq::storage
