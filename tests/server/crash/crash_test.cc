// The real hallq-server binary as a child process. Killed with SIGKILL at random points under
// load, many times on one data directory: after every restart, everything the server
// acknowledged is there (through the API and in the SQLite file), no number was issued twice and
// the file is intact. Also: SIGTERM stops it cleanly, and a bad config stops it with exit code 2
// and the JSON path of the problem.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "hallq/client/client.h"

extern char** environ;

namespace hallq::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::string kKioskToken = "kiosk-token-0001-abcdef";

// The hallq-server built next to this test; HALLQ_SERVER_BIN overrides it, e.g. to run these
// tests against a release build or on the hall's own disk.
std::string server_bin() {
  const char* v = std::getenv("HALLQ_SERVER_BIN");
  return v && *v ? v : HALLQ_SERVER_BIN;
}
const std::string kSmallHall = std::string(HALLQ_TEST_DATA_DIR) + "/small-hall.json";

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/hallq-crash-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ---- the child process ------------------------------------------------------------------------

// One hallq-server process: spawned with stdout on a pipe (for the "listening on" line) and
// stderr appended to a file, so sanitizer reports and shutdown messages can be read afterwards.
class ServerProcess {
 public:
  ServerProcess(std::vector<std::string> args, fs::path stderr_path)
      : args_(std::move(args)), stderr_path_(std::move(stderr_path)) {}
  ~ServerProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (out_ >= 0) ::close(out_);
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts the child. Returns "" or what went wrong.
  std::string spawn() {
    std::string bin = server_bin();
    std::vector<char*> argv;
    argv.push_back(bin.data());
    for (auto& a : args_) argv.push_back(a.data());
    argv.push_back(nullptr);
    int stderr_fd = ::open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (stderr_fd < 0) return "open " + stderr_path_.string() + ": " + std::strerror(errno);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      ::close(stderr_fd);
      return "pipe: " + std::string(std::strerror(errno));
    }
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      // The child: only async-signal-safe calls until exec. It dies with the test (a crash or a
      // ctest timeout must not leave servers behind); dup2 clears O_CLOEXEC on 1 and 2.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(126);
      ::dup2(fds[1], STDOUT_FILENO);
      ::dup2(stderr_fd, STDERR_FILENO);
      ::execve(bin.c_str(), argv.data(), environ);
      ::_exit(127);
    }
    const int fork_errno = errno;
    ::close(fds[1]);
    ::close(stderr_fd);
    out_ = fds[0];
    if (pid_ < 0) {
      pid_ = -1;
      return "fork: " + std::string(std::strerror(fork_errno));
    }
    return "";
  }

  // Spawns and waits for "listening on http://127.0.0.1:PORT". Returns "" or why not.
  std::string start(std::chrono::milliseconds timeout = 30s) {
    if (auto e = spawn(); !e.empty()) return e;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string line;
    while (line.find('\n') == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return "no \"listening on\" line within " + std::to_string(timeout.count()) + " ms";
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, int(left.count())) <= 0) continue;
      char buf[256];
      ssize_t n = ::read(out_, buf, sizeof buf);
      if (n <= 0) {
        int status = wait_exit(5s);
        return "hallq-server exited before listening (" + describe(status) + "): " + read_file(stderr_path_);
      }
      line.append(buf, std::size_t(n));
    }
    const std::string prefix = "listening on http://127.0.0.1:";
    auto at = line.find(prefix);
    if (at == std::string::npos) return "unexpected first line: " + line;
    port_ = std::uint16_t(std::stoi(line.substr(at + prefix.size())));
    return "";
  }

  bool alive() {
    if (pid_ <= 0) return false;
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == 0) return true;
    pid_ = -1;
    last_status_ = status;
    return false;
  }

  // Sends `sig` and reaps the child; returns its wait status.
  int signal_and_wait(int sig, std::chrono::milliseconds timeout = 30s) {
    if (pid_ <= 0) return last_status_;
    ::kill(pid_, sig);
    return wait_exit(timeout);
  }

  // Waits for the child to end (SIGKILL after the timeout); returns its wait status.
  int wait_exit(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return last_status_;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (true) {
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) break;
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(5ms);
    }
    pid_ = -1;
    last_status_ = status;
    if (out_ >= 0) {
      ::close(out_);
      out_ = -1;
    }
    return status;
  }

  static std::string describe(int status) {
    if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return std::string("signal ") + strsignal(WTERMSIG(status));
    return "status " + std::to_string(status);
  }

  std::uint16_t port() const { return port_; }
  std::string stderr_text() const { return read_file(stderr_path_); }

 private:
  std::vector<std::string> args_;
  fs::path stderr_path_;
  pid_t pid_ = -1;
  int out_ = -1;
  std::uint16_t port_ = 0;
  int last_status_ = 0;
};

// ---- what the server acknowledged -------------------------------------------------------------

struct IssuedTicket {
  std::string id, number, service, business_day, request_id;
};
struct Call {
  std::string ticket_id, number;
  int window = 0;
};
// A command sent with a known result (to resend and compare) or with no answer (to resend and see).
struct Sent {
  std::string who;     // "kiosk", "zhang", "li"
  std::string target;  // "/api/tickets", "/api/windows/1/call-next", ...
  json body;
  int status = 0;      // 0: no answer
  json result;         // the body of the answer when there was one
};

// Everything acknowledged in one round, gathered from the load threads.
struct RoundLog {
  std::mutex mu;
  std::vector<IssuedTicket> tickets;
  std::vector<Call> calls;
  std::vector<Sent> unanswered;
  std::vector<Sent> answered;     // acknowledged issues and calls, candidates for a resend check
  std::vector<std::string> problems;  // answers no load should get (5xx, unknown errors)
  int rate_limited = 0;

  void ticket(const Sent& s) {
    const json& t = s.result["ticket"];
    std::lock_guard lock(mu);
    tickets.push_back({t["id"].get<std::string>(), t["number"].get<std::string>(), t["service"].get<std::string>(),
                       t["business_day"].get<std::string>(), s.body["request_id"].get<std::string>()});
    answered.push_back(s);
  }
  void call(const Sent& s, int window) {
    const json& t = s.result["ticket"];
    std::lock_guard lock(mu);
    calls.push_back({t["id"].get<std::string>(), t["number"].get<std::string>(), window});
    answered.push_back(s);
  }
  void lost(Sent s) {
    std::lock_guard lock(mu);
    unanswered.push_back(std::move(s));
  }
  void problem(std::string p) {
    std::lock_guard lock(mu);
    problems.push_back(std::move(p));
  }
};

std::string error_code(const client::HttpResult& r) {
  json j = r.json();
  return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
}

std::string login(client::HttpClient& c, const std::string& user) {
  auto r = c.post("/api/login", {{"user", user}, {"password", user + "-pass"}});
  if (r.status != 200) throw std::runtime_error("login " + user + ": " + std::to_string(r.status) + " " + r.body);
  return r.json()["token"].get<std::string>();
}

// ---- SQLite, read-only ------------------------------------------------------------------------

class Db {
 public:
  explicit Db(const fs::path& file) {
    if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
      throw std::runtime_error("open " + file.string() + ": " + sqlite3_errmsg(db_));
    sqlite3_busy_timeout(db_, 5000);
  }
  ~Db() { sqlite3_close_v2(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  using Row = std::vector<std::string>;
  std::vector<Row> query(const std::string& sql, const std::vector<std::string>& params = {}) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
      throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
    for (std::size_t i = 0; i < params.size(); ++i)
      sqlite3_bind_text(s, int(i + 1), params[i].c_str(), -1, SQLITE_TRANSIENT);
    std::vector<Row> rows;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      Row row;
      for (int c = 0; c < sqlite3_column_count(s); ++c) {
        auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, c));
        row.push_back(p ? p : "");
      }
      rows.push_back(std::move(row));
    }
    std::string err = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db_);
    sqlite3_finalize(s);
    if (!err.empty()) throw std::runtime_error(sql + ": " + err);
    return rows;
  }
  std::string scalar(const std::string& sql, const std::vector<std::string>& params = {}) {
    auto rows = query(sql, params);
    return rows.empty() || rows[0].empty() ? "" : rows[0][0];
  }

 private:
  sqlite3* db_ = nullptr;
};

// ---- the test ---------------------------------------------------------------------------------

class ServerProcessTest : public ::testing::Test {
 protected:
  // The small hall with the per-client rate limits lifted: at 600 a minute the three kiosks
  // (one token) would spend most of each round being refused, and the kills would land in
  // idle time.
  void SetUp() override {
    json hall = json::parse(read_file(kSmallHall));
    hall["rules"]["kiosk_rate_per_min"] = 100000;
    hall["rules"]["clerk_rate_per_min"] = 100000;
    std::ofstream(config_file()) << hall.dump(2);
  }
  fs::path config_file() const { return dir_.path / "hall.json"; }
  std::vector<std::string> server_args() const {
    return {"--config", config_file().string(), "--data", (dir_.path / "data").string(), "--listen", "127.0.0.1:0",
            "--always-open"};
  }
  fs::path db_file() const { return dir_.path / "data" / "hallq.sqlite"; }

  // Starts the load: 3 kiosks (services A, B, C) and 2 clerks (zhang at 1, li at 3), each with
  // its own connection. Every acknowledged issue and call goes to `log`. A thread stops at its
  // first request without an answer (the server is gone) or when `stop` is set.
  std::vector<std::thread> start_load(std::uint16_t port, const std::map<std::string, std::string>& tokens,
                                      int round, RoundLog& log, std::atomic<bool>& stop) {
    std::vector<std::thread> threads;
    for (int k = 0; k < 3; ++k) {
      threads.emplace_back([=, &log, &stop] {
        client::HttpClient c("127.0.0.1", port, 5s);
        const std::string service(1, char('A' + k));
        for (int i = 0; !stop; ++i) {
          const std::string id = "r" + std::to_string(round) + "-k" + std::to_string(k) + "-" + std::to_string(i);
          Sent s{"kiosk", "/api/tickets", {{"service", service}, {"request_id", id}}, 0, {}};
          auto r = c.post(s.target, s.body, kKioskToken);
          s.status = r.status;
          if (r.status == 0) return log.lost(std::move(s));
          if (r.status == 201 || r.status == 200) {
            s.result = r.json();
            log.ticket(s);
          } else if (r.status == 429) {
            std::lock_guard lock(log.mu);
            ++log.rate_limited;
            std::this_thread::sleep_for(20ms);  // all three kiosks share one token and its rate limit
          } else if (r.status == 503 && error_code(r) == "busy") {
            return;  // the server is stopping and said so: this command did not happen
          } else {
            log.problem("issue " + service + ": " + std::to_string(r.status) + " " + r.body);
          }
        }
      });
    }
    const std::pair<std::string, int> clerks[] = {{"zhang", 1}, {"li", 3}};
    for (const auto& clerk : clerks) {
      const std::string name = clerk.first, token = tokens.at(clerk.first);
      const int window = clerk.second;
      threads.emplace_back([=, &log, &stop] {
        client::HttpClient c("127.0.0.1", port, 5s);
        std::mt19937 rng(std::uint32_t(round * 31 + window));
        const std::string base = "/api/windows/" + std::to_string(window) + "/";
        int n = 0;
        // One command; false when it got no answer (and the thread should stop).
        auto send = [&](const std::string& verb, client::HttpResult& r) {
          const std::string id = "r" + std::to_string(round) + "-" + name + "-" + std::to_string(n++);
          Sent s{name, base + verb, {{"request_id", id}}, 0, {}};
          r = c.post(s.target, s.body, token);
          s.status = r.status;
          if (r.status == 0) {
            log.lost(std::move(s));
            return false;
          }
          if (r.status == 200 && verb == "call-next") {
            s.result = r.json();
            log.call(s, window);
          }
          if (r.status == 503 && error_code(r) == "busy") return false;  // stopping: refused, not lost
          if (r.status >= 500) log.problem(verb + " at " + std::to_string(window) + ": " + r.body);
          return true;
        };
        client::HttpResult r;
        while (!stop) {
          if (!send("call-next", r)) return;
          if (r.status == 409 && error_code(r) == "queue_empty") {
            std::this_thread::sleep_for(5ms);
            continue;
          }
          if (r.status == 409 && error_code(r) == "window_busy") {
            // Left over from an earlier round: finish whoever is at the window.
            if (!send("no-show", r)) return;
            if (r.status == 409 && (!send("complete", r))) return;
            continue;
          }
          if (r.status == 429) {
            std::this_thread::sleep_for(20ms);
            continue;
          }
          if (r.status != 200) {
            log.problem("call-next at " + std::to_string(window) + ": " + std::to_string(r.status) + " " + r.body);
            std::this_thread::sleep_for(20ms);
            continue;
          }
          if (rng() % 2 == 0) {
            if (!send("no-show", r)) return;
          } else {
            if (!send("start", r)) return;
            if (!send("complete", r)) return;
          }
        }
      });
    }
    return threads;
  }

  // Resends a command after the restart with the same request id, as its client would.
  client::HttpResult resend(client::HttpClient& c, const Sent& s, const std::map<std::string, std::string>& tokens) {
    return c.post(s.target, s.body, s.who == "kiosk" ? kKioskToken : tokens.at(s.who));
  }

  std::map<std::string, std::string> login_all(std::uint16_t port) {
    client::HttpClient c("127.0.0.1", port, 10s);
    return {{"admin", login(c, "admin")}, {"zhang", login(c, "zhang")}, {"li", login(c, "li")}};
  }

  // After a restart: resends the unanswered commands (counting those that had happened, or
  // happen now, as acknowledged) and a few answered ones (which must get their first answer).
  void resend_after_restart(std::uint16_t port, const std::map<std::string, std::string>& tokens, RoundLog& log,
                            std::int64_t killed_at_ms, std::mt19937& rng, int& had_happened, int& happened_now,
                            int& replayed) {
    client::HttpClient c("127.0.0.1", port, 10s);
    for (const Sent& s : log.unanswered) {
      auto r = resend(c, s, tokens);
      ASSERT_NE(r.status, 0) << r.error;
      EXPECT_LT(r.status, 500) << s.target << ": " << r.body;
      Sent again = s;
      again.status = r.status;
      again.result = r.json();
      // An issue answered 200 is a repeat: it had been committed before the kill (201: it had
      // not, and has happened now). A call-next answers 200 either way; its time tells.
      if (s.target == "/api/tickets" && (r.status == 200 || r.status == 201)) {
        log.ticket(again);
        ++(r.status == 200 ? had_happened : happened_now);
      } else if (s.target.ends_with("/call-next") && r.status == 200) {
        log.call(again, again.result["window"].get<int>());
        ++(again.result["ticket"].value("called_at", std::int64_t{0}) < killed_at_ms ? had_happened : happened_now);
      }
    }
    // Answered before the kill: the same request id must give the very same result, and
    // change nothing (status 200, "repeated").
    // (Request ids are remembered for the business day: skip any answered on an earlier day,
    // should the test run across the hall's midnight.)
    const std::string today = c.get("/api/health").json().value("business_day", "");
    std::vector<Sent> sample;
    for (const Sent& s : log.answered)
      if (s.result["ticket"].value("business_day", "") == today) sample.push_back(s);
    std::shuffle(sample.begin(), sample.end(), rng);
    sample.resize(std::min<std::size_t>(sample.size(), 4));
    for (const Sent& s : sample) {
      auto r = resend(c, s, tokens);
      EXPECT_EQ(r.status, 200) << "resending " << s.body.dump() << " to " << s.target << ": " << r.body;
      EXPECT_EQ(r.json(), s.result) << "resending " << s.body.dump() << " to " << s.target
                                    << " after the restart gave a different result";
      ++replayed;
    }
  }

  // Everything acknowledged so far is there, through the API and in the file.
  void verify(std::uint16_t port, const std::string& admin_token) {
    client::HttpClient c("127.0.0.1", port, 10s);
    auto state = c.get("/api/state", admin_token);
    ASSERT_EQ(state.status, 200) << state.body;
    const json s = state.json();
    const std::string today = s["business_day"];

    // Through the API: every acknowledged ticket of today by its id, with its number; every
    // acknowledged call left its ticket no longer waiting.
    std::map<std::string, const Call*> called;
    for (const Call& k : calls_) called[k.ticket_id] = &k;
    for (const auto& [id, t] : tickets_) {
      if (t.business_day != today) continue;  // the day rolled over during the test
      auto r = c.get("/api/tickets/" + id);
      ASSERT_EQ(r.status, 200) << "acknowledged ticket " << t.number << " (" << id << ") is gone: " << r.body;
      const json v = r.json()["ticket"];
      EXPECT_EQ(v["number"], t.number) << id;
      if (called.count(id)) {
        EXPECT_NE(v["state"], "waiting") << t.number << " was called at window " << called[id]->window
                                         << " (acknowledged) but is waiting again";
      }
    }

    // In the file.
    Db db(db_file());
    EXPECT_EQ(db.scalar("PRAGMA integrity_check"), "ok");
    auto ev = db.query("SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0) FROM events")[0];
    EXPECT_EQ(ev[0], ev[2]) << "event seqs have gaps: " << ev[0] << " events, seq " << ev[1] << ".." << ev[2];
    EXPECT_EQ(ev[1], ev[0] == "0" ? "0" : "1");
    EXPECT_EQ(db.scalar("SELECT value FROM meta WHERE key = 'last_seq'"), ev[2]);
    EXPECT_EQ(std::to_string(s["seq"].get<std::uint64_t>()), ev[2]) << "the API's seq is not the file's";
    last_seq_ = std::stoull(ev[2]);

    for (const auto& [id, t] : tickets_) {
      auto rows = db.query("SELECT number, business_day FROM tickets WHERE id = ?1", {id});
      ASSERT_EQ(rows.size(), 1u) << "acknowledged ticket " << t.number << " (" << id << ") is not in the file";
      EXPECT_EQ(rows[0][0], t.number) << id;
      EXPECT_EQ(rows[0][1], t.business_day) << id;
    }
    for (const Call& k : calls_) {
      auto body = json::parse(db.scalar("SELECT body FROM tickets WHERE id = ?1", {k.ticket_id}), nullptr, false);
      ASSERT_TRUE(body.is_object()) << "called ticket " << k.number << " is not in the file";
      int calls_here = 0, calls_anywhere = 0;
      for (const auto& h : body["history"]) {
        if (h["step"] != "called") continue;
        ++calls_anywhere;
        if (h.value("window", 0) == k.window) ++calls_here;
      }
      EXPECT_EQ(calls_here, 1) << k.number << ": acknowledged call to window " << k.window << " not in its history: "
                               << body["history"].dump();
      // This load never recalls, holds or transfers: one visitor, one call.
      EXPECT_LE(calls_anywhere, 1) << k.number << " was called more than once: " << body["history"].dump();
      EXPECT_EQ(db.scalar("SELECT count(*) FROM events WHERE type = 'ticket_called' AND ticket_id = ?1 AND window = ?2",
                          {k.ticket_id, std::to_string(k.window)}),
                "1")
          << k.number;
    }

    // No number twice, and each service's numbers run 1..N without holes.
    EXPECT_TRUE(db.query("SELECT business_day, number FROM tickets GROUP BY business_day, number HAVING count(*) > 1").empty());
    std::map<std::pair<std::string, std::string>, std::vector<int>> seqs;
    for (const auto& row : db.query("SELECT business_day, origin_service, number FROM tickets")) {
      ASSERT_EQ(row[2].rfind(row[1], 0), 0u) << row[2] << " does not start with its service " << row[1];
      seqs[{row[0], row[1]}].push_back(std::stoi(row[2].substr(row[1].size())));
    }
    std::size_t on_disk_today = 0;
    for (auto& [key, v] : seqs) {
      std::sort(v.begin(), v.end());
      for (std::size_t i = 0; i < v.size(); ++i) {
        ASSERT_EQ(v[i], int(i + 1)) << "service " << key.second << " on " << key.first << ": numbers "
                                    << (i > 0 && v[i] == v[i - 1] ? "repeat" : "skip") << " at " << v[i];
      }
      if (key.first == today) on_disk_today += v.size();
    }
    // The API's counts agree with the file.
    std::size_t issued_today = 0;
    for (const auto& svc : s["services"]) issued_today += svc["issued_today"].get<std::size_t>();
    EXPECT_EQ(issued_today, on_disk_today);
    tickets_on_disk_ = 0;
    for (auto& [key, v] : seqs) tickets_on_disk_ += v.size();
  }

  // Adds a round's acknowledgements to the running totals; an id or a number acknowledged
  // twice is a failure right here.
  void absorb(const RoundLog& log) {
    for (const auto& t : log.tickets) {
      auto [it, fresh] = tickets_.emplace(t.id, t);
      if (!fresh) {
        EXPECT_EQ(it->second.number, t.number) << "ticket " << t.id << " acknowledged with two numbers";
        continue;
      }
      auto [nt, fresh_number] = numbers_.emplace(t.business_day + "/" + t.number, t.id);
      EXPECT_TRUE(fresh_number) << t.number << " acknowledged for two tickets: " << nt->second << " and " << t.id;
    }
    for (const auto& k : log.calls) {
      bool again = std::any_of(calls_.begin(), calls_.end(), [&](const Call& c) { return c.ticket_id == k.ticket_id; });
      EXPECT_FALSE(again) << k.number << " acknowledged as called twice";
      if (!again) calls_.push_back(k);
    }
  }

  TempDir dir_;
  std::map<std::string, IssuedTicket> tickets_;  // acknowledged, by id
  std::map<std::string, std::string> numbers_;   // "day/number" -> id
  std::vector<Call> calls_;                      // acknowledged
  std::uint64_t last_seq_ = 0;
  std::size_t tickets_on_disk_ = 0;
};

TEST_F(ServerProcessTest, KillNineUnderLoadLosesNothingAcknowledged) {
  constexpr int kRounds = 14;
  std::mt19937 kill_rng(20261127);  // fixed: a failure replays with the same kill points
  std::mt19937 rng(1127);           // which answered commands to resend
  std::uniform_int_distribution<int> kill_after_ms(100, 600);
  const auto started = std::chrono::steady_clock::now();
  int total_had_happened = 0, total_happened_now = 0;

  auto server = std::make_unique<ServerProcess>(server_args(), dir_.path / "server.stderr");
  ASSERT_EQ(server->start(), "");
  auto tokens = login_all(server->port());  // sessions live in memory: again after each restart
  for (int round = 1; round <= kRounds; ++round) {
    RoundLog log;
    std::atomic<bool> stop{false};
    const int kill_ms = kill_after_ms(kill_rng);
    auto threads = start_load(server->port(), tokens, round, log, stop);
    std::this_thread::sleep_for(std::chrono::milliseconds(kill_ms));
    const bool alive = server->alive();
    const std::int64_t killed_at = wall_ms();
    int status = server->signal_and_wait(SIGKILL);
    stop = true;
    for (auto& t : threads) t.join();  // before any ASSERT: a joinable thread must not be destroyed
    ASSERT_TRUE(alive) << "hallq-server died on its own under load (" << ServerProcess::describe(status) << "):\n"
                       << server->stderr_text();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << ServerProcess::describe(status);
    for (const auto& p : log.problems) ADD_FAILURE() << "round " << round << ": " << p;

    server = std::make_unique<ServerProcess>(server_args(), dir_.path / "server.stderr");
    ASSERT_EQ(server->start(), "") << "round " << round << ": no restart after kill -9";
    tokens = login_all(server->port());
    const std::size_t acked_tickets = log.tickets.size(), acked_calls = log.calls.size();
    int had_happened = 0, happened_now = 0, replayed = 0;
    resend_after_restart(server->port(), tokens, log, killed_at, rng, had_happened, happened_now, replayed);
    total_had_happened += had_happened;
    total_happened_now += happened_now;
    absorb(log);
    verify(server->port(), tokens.at("admin"));
    std::printf("round %2d: kill -9 after %3d ms: acked %3zu tickets, %3zu calls; %zu unanswered, resent: %d had "
                "happened, %d happened now; %d answered resent; on disk %zu tickets, %llu events\n",
                round, kill_ms, acked_tickets, acked_calls, log.unanswered.size(), had_happened, happened_now,
                replayed, tickets_on_disk_, (unsigned long long)last_seq_);
    std::fflush(stdout);
    if (HasFatalFailure()) return;
  }
  std::printf("%d rounds in %.1f s: %zu acknowledged tickets, %zu acknowledged calls; of the unanswered "
              "commands, %d had happened before the kill and %d happened when resent\n",
              kRounds, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
              tickets_.size(), calls_.size(), total_had_happened, total_happened_now);
  EXPECT_GT(tickets_.size(), std::size_t(kRounds) * 5) << "the load hardly ran: the test proves little";
  EXPECT_GT(calls_.size(), std::size_t(kRounds)) << "the clerks hardly called anyone";
  EXPECT_EQ(server->signal_and_wait(SIGTERM), 0) << server->stderr_text();
}

class ServerProcessSigtermTest : public ServerProcessTest {
 protected:
  // SIGTERM in the middle of the load, a restart, and the checks. Returns how many commands got
  // no answer although they had been committed before the server stopped.
  int sigterm_under_load() {
    auto server = std::make_unique<ServerProcess>(server_args(), dir_.path / "server.stderr");
    EXPECT_EQ(server->start(), "");
    if (HasFailure()) return -1;
    auto tokens = login_all(server->port());
    RoundLog log;
    std::atomic<bool> stop{false};
    auto threads = start_load(server->port(), tokens, 1, log, stop);
    std::this_thread::sleep_for(400ms);
    const std::int64_t stopped_at = wall_ms();
    int status = server->signal_and_wait(SIGTERM);
    stop = true;
    for (auto& t : threads) t.join();
    const std::string err = server->stderr_text();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << ServerProcess::describe(status) << "\n" << err;
    EXPECT_NE(err.find("stopping"), std::string::npos) << err;
    EXPECT_EQ(err.find("Sanitizer"), std::string::npos) << err;
    EXPECT_EQ(err.find("runtime error"), std::string::npos) << err;
    for (const auto& p : log.problems) ADD_FAILURE() << p;

    server = std::make_unique<ServerProcess>(server_args(), dir_.path / "server.stderr");
    EXPECT_EQ(server->start(), "");
    if (HasFailure()) return -1;
    tokens = login_all(server->port());
    std::mt19937 rng(7);
    int had_happened = 0, happened_now = 0, replayed = 0;
    resend_after_restart(server->port(), tokens, log, stopped_at, rng, had_happened, happened_now, replayed);
    absorb(log);
    verify(server->port(), tokens.at("admin"));
    std::printf("SIGTERM under load: acked %zu tickets, %zu calls; %zu unanswered, resent: %d had happened, %d "
                "happened now\n",
                tickets_.size(), calls_.size(), log.unanswered.size(), had_happened, happened_now);
    EXPECT_GT(tickets_.size(), 0u);
    status = server->signal_and_wait(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << ServerProcess::describe(status);
    return had_happened;
  }
};

TEST_F(ServerProcessSigtermTest, SigtermExitsZeroAndKeepsEverythingAcknowledged) { sigterm_under_load(); }

// On SIGTERM the server refuses new commands ("busy"), commits what it accepted, and waits until
// every answer is written to its connection before it exits.
TEST_F(ServerProcessSigtermTest, SigtermAnswersEveryCommittedCommand) {
  EXPECT_EQ(sigterm_under_load(), 0) << "commands committed before the stop got no answer";
}

TEST(ServerProcessConfig, BadConfigExitsTwoAndNamesTheJsonPath) {
  TempDir dir;
  const json hall = json::parse(read_file(kSmallHall));
  struct Case {
    std::string what;
    std::function<std::string(json&)> edit;  // returns the file text to write
    std::string expected;                     // in stderr
  };
  const std::vector<Case> cases = {
      {"unknown service at a window", [](json& j) { j["windows"][1]["services"][0] = "Z"; return j.dump(2); },
       "/windows/1/services/0"},
      {"clerk at a missing window", [](json& j) { j["users"][2]["windows"][0] = 9; return j.dump(2); },
       "/users/2/windows/0"},
      {"unknown field", [](json& j) { j["services"][0]["colour"] = "red"; return j.dump(2); }, "colour"},
      {"JSON syntax error", [](json& j) { return j.dump(2).substr(0, 200); }, "line"},
  };
  for (const auto& k : cases) {
    json j = hall;
    const fs::path file = dir.path / "bad-hall.json";
    std::ofstream(file) << k.edit(j);
    ServerProcess server({"--config", file.string(), "--data", (dir.path / "data").string(), "--listen",
                          "127.0.0.1:0", "--always-open"},
                         dir.path / (k.what + ".stderr"));
    ASSERT_EQ(server.spawn(), "");
    int status = server.wait_exit(30s);
    const std::string err = server.stderr_text();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << k.what << ": " << ServerProcess::describe(status)
                                                              << "\n" << err;
    EXPECT_NE(err.find(k.expected), std::string::npos) << k.what << ": stderr does not name " << k.expected << ":\n"
                                                       << err;
    EXPECT_NE(err.find(file.string()), std::string::npos) << k.what << ": stderr does not name the file:\n" << err;
  }
}

}  // namespace
}  // namespace hallq::test
