// The real programs together: hallq-server (sample hall) and the hallq-printer agent as child
// processes, the agent printing to a fake TCP printer in this process. A kiosk issues tickets
// over HTTP; each must come out once, with the visitor's own standing, and quickly; a reprint
// requested twice with one request id prints once more.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <thread>

#include "fake_printer.h"
#include "hallq/client/client.h"

using namespace std::chrono_literals;
using Fake = hallq::printer::testing::FakePrinter;

namespace {

// The sample hall's kiosk-1 (printer-1 prints its tickets) and printer-1 tokens.
const char* kKioskToken = "e6LmK8nHjycXhVg79LDermHgFg-x4qDV";
const char* kPrinterToken = "UfFw6jR02ny-0shKZ80Kl0wpynapq8Ak";

struct Child {
  pid_t pid = -1;
  int out = -1;  // its stdout
  ~Child() { stop(); }
  void stop() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      int st = 0;
      for (int i = 0; i < 50 && ::waitpid(pid, &st, WNOHANG) == 0; ++i) std::this_thread::sleep_for(100ms);
      if (::waitpid(pid, &st, WNOHANG) == 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &st, 0);
      }
      pid = -1;
    }
    if (out >= 0) ::close(out);
    out = -1;
  }
};

Child spawn(std::vector<std::string> args, const std::string& log) {
  int p[2];
  EXPECT_EQ(::pipe(p), 0);
  Child c;
  c.pid = ::fork();
  if (c.pid == 0) {
    ::dup2(p[1], 1);
    const int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (err >= 0) ::dup2(err, 2);
    ::close(p[0]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(p[1]);
  c.out = p[0];
  return c;
}

std::string read_line(int fd, std::chrono::milliseconds timeout) {
  std::string line;
  const auto until = std::chrono::steady_clock::now() + timeout;
  ::fcntl(fd, F_SETFL, O_NONBLOCK);
  while (std::chrono::steady_clock::now() < until) {
    char c;
    const ssize_t n = ::read(fd, &c, 1);
    if (n == 1) {
      if (c == '\n') return line;
      line += c;
    } else {
      std::this_thread::sleep_for(10ms);
    }
  }
  return line;
}

}  // namespace

TEST(PrinterEndToEnd, KioskTicketsPrintOnceQuicklyAndReprintOnce) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("hallq-printer-e2e-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto fake = Fake::on_tcp();
  ASSERT_TRUE(fake);

  Child server = spawn({HALLQ_SERVER_BIN, "--data", (dir / "var").string(), "--listen", "127.0.0.1:0", "--always-open"},
                       (dir / "server.log").string());
  const std::string listening = read_line(server.out, 60s);
  const auto colon = listening.rfind(':');
  ASSERT_NE(colon, std::string::npos) << "server said: " << listening;
  const int port = std::stoi(listening.substr(colon + 1));
  const std::string base = "http://127.0.0.1:" + std::to_string(port);

  Child agent = spawn({HALLQ_PRINTER_BIN, "--server", base, "--token", kPrinterToken, "--device",
                       "tcp:127.0.0.1:" + std::to_string(fake->port()), "--spool", (dir / "spool").string()},
                      (dir / "agent.log").string());
  // The agent is connected once it has asked the printer for its status.
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (fake->status_queries() == 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(20ms);
  ASSERT_GT(fake->status_queries(), 0);
  std::this_thread::sleep_for(500ms);  // and has said hello to the server

  hallq::client::HttpClient kiosk("127.0.0.1", static_cast<std::uint16_t>(port));
  std::vector<std::string> ids;
  auto issue = [&](int i) {
    auto r = kiosk.post("/api/tickets", {{"request_id", "e2e-" + std::to_string(i)}, {"service", i % 2 ? "A" : "B"}},
                        kKioskToken);
    EXPECT_TRUE(r.status >= 200 && r.status < 300) << r.status << " " << r.body;
    ids.push_back(r.json()["ticket"]["id"].get<std::string>());
  };
  // Visitors one at a time: the printer is idle when each ticket is issued. The agent checks a
  // ticket came out (about the paper's travel time) before it starts the next, so wait for that.
  std::vector<double> latency_ms;
  const int spaced = 5;
  for (int i = 0; i < spaced; ++i) {
    const auto before = fake->job_arrivals().size();
    const auto t0 = std::chrono::steady_clock::now();
    issue(i);
    ASSERT_TRUE(fake->wait_for_tickets(static_cast<std::size_t>(i + 1), 20s)) << "ticket " << i << " never printed";
    const auto arrivals = fake->job_arrivals();
    ASSERT_GT(arrivals.size(), before);
    latency_ms.push_back(std::chrono::duration<double, std::milli>(arrivals[before] - t0).count());
    std::this_thread::sleep_for(1500ms);
  }
  std::sort(latency_ms.begin(), latency_ms.end());
  const double median = latency_ms[latency_ms.size() / 2];
  std::printf("issue -> first ticket byte at the printer: median %.1f ms, max %.1f ms (this build)\n", median,
              latency_ms.back());
  RecordProperty("issue_to_first_byte_median_ms", static_cast<int>(median));
  // Target 50 ms (server commit included); about 15 ms here under ASan. The bound leaves room
  // for a loaded CI machine and still fails if a ticket waited for a poll or for the previous
  // ticket's paper check (600 ms and more).
  EXPECT_LT(median, 200.0);

  // A burst: three visitors press at once. Each ticket still comes out once, in order.
  for (int i = spaced; i < spaced + 3; ++i) issue(i);
  const int n = spaced + 3;
  ASSERT_TRUE(fake->wait_for_tickets(static_cast<std::size_t>(n), 20s));

  // Each ticket once, in order, with its own QR and the visitor's own standing.
  auto printed = fake->tickets();
  ASSERT_EQ(printed.size(), static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(printed[static_cast<std::size_t>(i)].qr, base + "/t/" + ids[static_cast<std::size_t>(i)]);
    EXPECT_NE(printed[static_cast<std::size_t>(i)].text.find("某某县行政服务中心"), std::string::npos);
  }
  EXPECT_NE(printed[0].text.find("前面还有 0 人"), std::string::npos) << printed[0].text;
  EXPECT_NE(printed[2].text.find("前面还有 1 人"), std::string::npos) << printed[2].text;  // the second B
  EXPECT_NE(printed[1].text.find("综合受理"), std::string::npos) << printed[1].text;

  // A reprint asked twice with one request id prints once more, marked as a reprint.
  for (int k = 0; k < 2; ++k) {
    auto r = kiosk.post("/api/tickets/" + ids[1] + "/reprint", {{"request_id", "rp-1"}}, kKioskToken);
    ASSERT_LT(r.status, 300) << r.body;
  }
  ASSERT_TRUE(fake->wait_for_tickets(static_cast<std::size_t>(n + 1), 20s));
  std::this_thread::sleep_for(1500ms);
  printed = fake->tickets();
  ASSERT_EQ(printed.size(), static_cast<std::size_t>(n + 1));
  EXPECT_EQ(printed.back().qr, base + "/t/" + ids[1]);
  EXPECT_NE(printed.back().text.find("（补打）"), std::string::npos) << printed.back().text;
  EXPECT_EQ(fake->error(), "");

  agent.stop();
  server.stop();
  fs::remove_all(dir);
}
