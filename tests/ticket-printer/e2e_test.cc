// The real programs together: hallq-server (sample hall) and the hallq-printer agent as child
// processes, the agent printing to a fake TCP printer in this process. A kiosk issues tickets
// over HTTP; each must come out once, with the visitor's own standing; a reprint
// requested twice with one request id prints once more.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "child_process.h"
#include "fake_printer.h"
#include "hallq/client/client.h"

using namespace std::chrono_literals;
using Fake = hallq::printer::testing::FakePrinter;

namespace {

// The sample hall's kiosk-1 (printer-1 prints its tickets) and printer-1 tokens.
const char* kKioskToken = "e6LmK8nHjycXhVg79LDermHgFg-x4qDV";
const char* kPrinterToken = "UfFw6jR02ny-0shKZ80Kl0wpynapq8Ak";

using hallq::printer::testing::Child;

}  // namespace

TEST(PrinterEndToEnd, KioskTicketsPrintOnceAndReprintOnce) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("hallq-printer-e2e-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto fake = Fake::on_tcp();
  ASSERT_TRUE(fake);

  Child server;
  const int port = hallq::printer::testing::start_server(server, HALLQ_SERVER_BIN, (dir / "var").string(),
                                                         (dir / "server.log").string());
  ASSERT_GT(port, 0) << "the server did not start: see " << (dir / "server.log");
  const std::string base = "http://127.0.0.1:" + std::to_string(port);

  Child agent = Child::spawn({HALLQ_PRINTER_BIN, "--server", base, "--token", kPrinterToken, "--device",
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
  // Visitors one at a time: the printer is idle when each ticket is issued. How fast the first
  // byte arrives is measured by hallq-printer-bench (docs/benchmarks.md), not asserted here.
  const int spaced = 5;
  for (int i = 0; i < spaced; ++i) {
    issue(i);
    ASSERT_TRUE(fake->wait_for_tickets(static_cast<std::size_t>(i + 1), 20s)) << "ticket " << i << " never printed";
  }

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
