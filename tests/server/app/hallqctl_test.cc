// hallqctl, the real binary, run the way a script runs it: arguments, environment and stdin in,
// stdout, stderr and the exit code out, against a real server on 127.0.0.1. Exit codes are the
// contract scripts rely on: 0 done, 1 refused by the server, 2 usage error, 3 unreachable.
#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <future>
#include <regex>
#include <string>
#include <vector>

#include "../net/server_fixture.h"
#include "hallq/net/auth.h"

extern char** environ;

namespace hallq::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

struct Ran {
  int exit_code = -1;  // -1: killed at the deadline
  std::string out, err;
};

// Runs hallqctl with `args`, `env` added to this process's environment (HALLQ_* removed first,
// so the caller's shell cannot leak in) and `input` on stdin. Kills it after `deadline`.
Ran hallqctl(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
             const std::string& input = "", std::chrono::milliseconds deadline = 30s) {
  int in[2], out[2], err[2];
  if (pipe(in) || pipe(out) || pipe(err)) return {};
  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "HALLQ_", 6) != 0) envs.emplace_back(*e);
  envs.insert(envs.end(), env.begin(), env.end());
  std::vector<char*> argv{const_cast<char*>(HALLQ_CTL_BIN)};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);

  const pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    // Nothing of the in-process server (its listening socket, its SQLite files) goes along:
    // a real hallqctl is a process of its own.
    close_range(3, ~0U, 0);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  std::signal(SIGPIPE, SIG_IGN);  // a child that exits without reading its stdin: EPIPE, not death
  if (!input.empty() && write(in[1], input.data(), input.size()) < 0) {}
  close(in[1]);

  Ran r;
  const auto until = std::chrono::steady_clock::now() + deadline;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open = 2;
  while (open > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left <= 0ms) {
      kill(pid, SIGKILL);
      break;
    }
    if (poll(fds, 2, int(left.count())) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[4096];
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, std::size_t(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// One line of `hallqctl watch`: seq, event, number and window in columns.
std::string line(std::uint64_t seq, const std::string& event, const std::string& number, const std::string& window) {
  std::string s = std::to_string(seq);
  s.append(7 - s.size(), ' ');
  s += event;
  s.append(20 - event.size(), ' ');
  s += number;
  s.append(8 - number.size(), ' ');
  return s + window + "\n";
}

// What watch prints after `seq` for: issue A, issue C, call-next at window 3 (which serves C
// before A).
std::string a_c_and_the_call(std::uint64_t seq) {
  return line(seq + 1, "ticket_issued", "A001", "-") + line(seq + 2, "ticket_issued", "C001", "-") +
         line(seq + 3, "ticket_called", "C001", "window 3");
}

std::string describe(const Ran& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout: " + r.out + "\nstderr: " + r.err;
}

class HallqctlTest : public ServerFixture {
 protected:
  void SetUp() override { start(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> as(const std::string& token) const {
    return {"HALLQ_SERVER=" + url(), "HALLQ_TOKEN=" + token};
  }
  // Waits until the server has sent `n` WebSocket messages: a watcher's welcome and snapshot
  // (which sets where its events begin) are the first two when it is the only socket.
  void until_sent(double n) { ASSERT_GE(until_metric("hallq_websocket_messages_sent_total", n), n); }
  // `hallqctl watch --count N` as the hall's board, running beside the test.
  std::future<Ran> watch(int count) {
    return std::async(std::launch::async, [this, count] {
      return hallqctl({"watch", "--count", std::to_string(count)}, as(kDisplayToken), "", 60s);
    });
  }
  std::string ticket_state(const std::string& id) {
    auto r = http().get("/api/tickets/" + id);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json()["ticket"].value("state", "");
  }
};

TEST_F(HallqctlTest, AScriptTakesAVisitFromTheKioskToCompletion) {
  const auto kiosk = as(kKioskToken);
  Ran issued = hallqctl({"issue", "A", "--request-id", "script-1"}, kiosk);
  ASSERT_EQ(issued.exit_code, 0) << describe(issued);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(issued.out, m, std::regex(R"(^A001  ahead 0  estimated wait .* ticket (\S+)\n$)")))
      << issued.out;
  const std::string id = m[1];

  // The script retries after a lost answer: same id, same ticket, and it says so.
  Ran again = hallqctl({"issue", "A", "--request-id", "script-1"}, kiosk);
  ASSERT_EQ(again.exit_code, 0) << describe(again);
  EXPECT_NE(again.out.find("A001"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("ticket " + id), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("repeated request"), std::string::npos) << again.out;
  EXPECT_EQ(metric("hallq_tickets_issued_total"), 1);

  // A clerk logs in with the password on stdin and works window 1 (seven logins of the ten a
  // user name gets a minute).
  const std::vector<std::string> at = {"HALLQ_SERVER=" + url()};
  auto clerk = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--user", "zhang"});
    return hallqctl(args, at, "zhang-pass\n");
  };
  const std::pair<std::vector<std::string>, std::string> visit[] = {
      {{"call-next", "1"}, "called A001 to window 1\n"},
      {{"recall", "1"}, "recalled A001 to window 1 (recall 1)\n"},
      {{"start", "1"}, "serving A001 at window 1\n"},
      {{"hold", "1"}, "A001 is on hold at window 1\n"},
  };
  for (const auto& [args, want] : visit) {
    Ran r = clerk(args);
    ASSERT_EQ(r.exit_code, 0) << args[0] << ": " << describe(r);
    EXPECT_EQ(r.out, want) << args[0];
  }

  const std::string admin = login("admin", "admin-pass");
  Ran summary = hallqctl({"state", "--lang", "en"}, as(admin));
  ASSERT_EQ(summary.exit_code, 0) << describe(summary);
  EXPECT_TRUE(std::regex_search(summary.out, std::regex(R"(\n  1     open     -\s+zhang\s+0\s+A001\n)"))) << summary.out;
  EXPECT_EQ(ticket_state(id), "held");

  for (const auto& [args, want] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"callback", "1", "A001"}, "called back A001 to window 1\n"},
           {{"start", "1"}, "serving A001 at window 1\n"},
           {{"complete", "1"}, "completed A001 at window 1\n"}}) {
    Ran r = clerk(args);
    ASSERT_EQ(r.exit_code, 0) << args[0] << ": " << describe(r);
    EXPECT_EQ(r.out, want) << args[0];
  }
  EXPECT_EQ(ticket_state(id), "done");

  // The visitor's own view needs no token; --json is the server's body as it is.
  Ran seen = hallqctl({"ticket", id, "--json"}, {"HALLQ_SERVER=" + url()});
  ASSERT_EQ(seen.exit_code, 0) << describe(seen);
  const json body = json::parse(seen.out);
  EXPECT_EQ(body["ticket"]["number"], "A001");
  EXPECT_EQ(body["ticket"]["state"], "done");
  EXPECT_EQ(metric("hallq_tickets_issued_total"), 1);
}

TEST_F(HallqctlTest, RefusalsExitOneWithTheServersMessageAndChangeNothing) {
  const std::string admin = login("admin", "admin-pass");
  const auto before = state(admin)["seq"];
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string code;
  };
  const Case cases[] = {
      {{"issue", "A"}, as("not-a-token-of-this-hall"), "[unauthorized]"},
      {{"issue", "Z"}, as(kKioskToken), "[not_found]"},                   // no such service
      {{"call-next", "9"}, as(admin), "[not_found]"},                     // no such window
      {{"call-next", "1"}, as(kKioskToken), "[forbidden]"},               // a kiosk only issues
      {{"call-next", "3", "--user", "zhang", "--password", "zhang-pass"}, {"HALLQ_SERVER=" + url()}, "[forbidden]"},
      {{"start", "1"}, as(admin), "[invalid_state]"},                     // nobody called yet
      {{"state", "--user", "zhang", "--password", "wrong"}, {"HALLQ_SERVER=" + url()}, "[unauthorized]"},
  };
  for (const auto& c : cases) {
    Ran r = hallqctl(c.args, c.env);
    EXPECT_EQ(r.exit_code, 1) << c.args[0] << ": " << describe(r);
    EXPECT_TRUE(r.out.empty()) << c.args[0] << ": " << r.out;
    EXPECT_EQ(r.err.rfind("hallqctl: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(c.code), std::string::npos) << c.args[0] << ": " << r.err;
    EXPECT_GT(r.err.size(), std::string("hallqctl: ").size() + c.code.size() + 5) << "a message in words: " << r.err;
  }
  EXPECT_EQ(state(admin)["seq"], before) << "a refused command changed the hall";
  EXPECT_EQ(metric("hallq_tickets_issued_total"), 0);

  // --json shows the server's error body as it came, for scripts that parse it.
  Ran j = hallqctl({"call-next", "9", "--json"}, as(admin));
  EXPECT_EQ(j.exit_code, 1);
  EXPECT_EQ(json::parse(j.out)["error"]["code"], "not_found") << j.out;
}

TEST_F(HallqctlTest, UsageErrorsExitTwoWithoutTouchingTheServer) {
  const std::string admin = login("admin", "admin-pass");
  const auto before = state(admin)["seq"];
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{}, "no command given"},
      {{"frobnicate"}, "unknown command \"frobnicate\""},
      {{"call-next"}, "usage: hallqctl call-next WINDOW"},
      {{"call-next", "x"}, "WINDOW must be a window number (1 to 999), not \"x\""},
      {{"call-next", "1000"}, "not \"1000\""},
      {{"callback", "1"}, "usage: hallqctl callback WINDOW NUMBER"},
      {{"transfer", "1"}, "transfer needs exactly one of --service S and --window W2"},
      {{"transfer", "1", "--service", "B", "--window", "2"}, "exactly one of"},
      {{"watch", "--count", "0"}, "--count wants a positive number, not \"0\""},
      {{"state", "--lang", "fr"}, "--lang must be zh-CN, zh-TW or en, not \"fr\""},
      {{"state", "--frob"}, "unknown option --frob"},
      {{"state", "--token"}, "--token needs a value"},
      {{"state", "--server", "https://127.0.0.1:1"}, "--server must be an http:// URL"},
      {{"state", "--server", "http://127.0.0.1:99999"}, "bad port in server address"},
  };
  for (const auto& [args, want] : cases) {
    Ran r = hallqctl(args, as(admin));
    const std::string what = args.empty() ? "(nothing)" : args[0];
    EXPECT_EQ(r.exit_code, 2) << what << ": " << describe(r);
    EXPECT_NE(r.err.find(want), std::string::npos) << what << ": " << r.err;
    EXPECT_NE(r.err.find("hallqctl --help lists the commands"), std::string::npos) << r.err;
  }
  // A command that needs a token says how to give one.
  Ran none = hallqctl({"state"}, {"HALLQ_SERVER=" + url()});
  EXPECT_EQ(none.exit_code, 2) << describe(none);
  EXPECT_NE(none.err.find("state needs a token: --token T, HALLQ_TOKEN, or --user U"), std::string::npos) << none.err;
  // --help is not an error.
  Ran help = hallqctl({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("call-next W"), std::string::npos);
  EXPECT_EQ(state(admin)["seq"], before);
}

TEST_F(HallqctlTest, AnUnreachableServerExitsThreeAndTheSuggestedRetryIssuesOnce) {
  const NoListener nobody;
  ASSERT_NE(nobody.port, 0);
  const std::string dead = "http://127.0.0.1:" + std::to_string(nobody.port);

  Ran r = hallqctl({"issue", "B", "--server", dead}, as(kKioskToken));
  EXPECT_EQ(r.exit_code, 3) << describe(r);
  EXPECT_NE(r.err.find("could not reach the server at " + dead), std::string::npos) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.err, m, std::regex(R"(resending it with --request-id (ctl-[0-9a-f]{20}) is safe)")))
      << r.err;
  const std::string id = m[1];

  // Doing what the message says, twice, against the live server: one ticket.
  Ran first = hallqctl({"issue", "B", "--request-id", id}, as(kKioskToken));
  Ran second = hallqctl({"issue", "B", "--request-id", id}, as(kKioskToken));
  ASSERT_EQ(first.exit_code, 0) << describe(first);
  ASSERT_EQ(second.exit_code, 0) << describe(second);
  EXPECT_EQ(first.out.substr(0, 4), "B001");
  EXPECT_EQ(second.out.substr(0, 4), "B001");
  EXPECT_EQ(metric("hallq_tickets_issued_total"), 1);

  Ran health = hallqctl({"health", "--server", dead});
  EXPECT_EQ(health.exit_code, 3) << describe(health);
  Ran watch = hallqctl({"watch", "--server", dead}, as(kDisplayToken));
  EXPECT_EQ(watch.exit_code, 3) << describe(watch);
}

TEST_F(HallqctlTest, WatchPrintsEachEventAsItHappensAndStopsAtItsCount) {
  auto watching = watch(3);
  until_sent(2);
  const std::string admin = login("admin", "admin-pass");
  const auto seq = state(admin)["seq"].get<std::uint64_t>();
  for (const char* svc : {"A", "C"}) {
    Ran r = hallqctl({"issue", svc}, as(kKioskToken));
    ASSERT_EQ(r.exit_code, 0) << describe(r);
  }
  Ran call = hallqctl({"call-next", "3"}, as(admin));
  ASSERT_EQ(call.exit_code, 0) << describe(call);

  Ran w = watching.get();
  ASSERT_EQ(w.exit_code, 0) << describe(w);
  EXPECT_EQ(w.out, a_c_and_the_call(seq));
  EXPECT_NE(w.err.find("watching " + url() + " as board-1 (display)"), std::string::npos) << w.err;
}

TEST_F(HallqctlTest, WatchCarriesOnAcrossAServerRestart) {
  auto watching = watch(3);
  until_sent(2);
  const std::string admin = login("admin", "admin-pass");
  const auto seq = state(admin)["seq"].get<std::uint64_t>();
  ASSERT_EQ(hallqctl({"issue", "A"}, as(kKioskToken)).exit_code, 0);
  until_sent(3);  // the event is on its way to the watcher

  // The server restarts on the same address, as after a power cut or an upgrade.
  last_options_.port = port_;
  restart();
  until_sent(2);  // the watcher is back: a new welcome and a new snapshot
  ASSERT_EQ(hallqctl({"issue", "C"}, as(kKioskToken)).exit_code, 0);
  ASSERT_EQ(hallqctl({"call-next", "3"}, as(login("admin", "admin-pass"))).exit_code, 0);

  Ran w = watching.get();
  ASSERT_EQ(w.exit_code, 0) << describe(w);
  EXPECT_EQ(w.out, a_c_and_the_call(seq));
  EXPECT_NE(w.err.find("connection to " + url() + " lost; reconnecting"), std::string::npos) << w.err;
}

TEST_F(HallqctlTest, HashPasswordMakesAHashTheServerAccepts) {
  Ran r = hallqctl({"hash-password"}, {}, "新的 密码 2026\n");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  ASSERT_FALSE(r.out.empty());
  const std::string hash = r.out.substr(0, r.out.size() - 1);
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_TRUE(net::verify_password(hash, "新的 密码 2026"));
  EXPECT_FALSE(net::verify_password(hash, "新的 密码 2026\n"));
  EXPECT_FALSE(net::verify_password(hash, "新的 密码"));

  Ran empty = hallqctl({"hash-password"}, {}, "\n");
  EXPECT_EQ(empty.exit_code, 2) << describe(empty);
  EXPECT_NE(empty.err.find("the password is empty"), std::string::npos) << empty.err;
  Ran nothing = hallqctl({"hash-password"}, {}, "");
  EXPECT_EQ(nothing.exit_code, 2) << describe(nothing);
  EXPECT_NE(nothing.err.find("no password on stdin"), std::string::npos) << nothing.err;
}

}  // namespace
}  // namespace hallq::test
