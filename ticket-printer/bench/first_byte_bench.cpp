// hallq-printer-bench: how long a visitor waits between pressing the kiosk button and the
// printer starting the ticket. Runs the real hallq-server (sample hall) and hallq-printer as
// child processes; the printer is the fake ESC/POS printer on a pseudo-terminal (the serial
// path) or a TCP socket (port 9100 path) in this process. A kiosk issues tickets over HTTP one at
// a time, spaced so the printer is idle at each press, and the bench times:
//   issue -> answer       the kiosk's POST /api/tickets, commit included;
//   issue -> first byte   until the ticket's ESC @ reaches the printer (the goal: 50 ms).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "fake_printer.h"
#include "hallq/client/client.h"

using namespace std::chrono_literals;
using hallq::printer::testing::Child;
using hallq::printer::testing::FakePrinter;

namespace {

// The sample hall's kiosk-1 and printer-1 (the printer of kiosk-1's tickets).
const char* kKioskToken = "e6LmK8nHjycXhVg79LDermHgFg-x4qDV";
const char* kPrinterToken = "UfFw6jR02ny-0shKZ80Kl0wpynapq8Ak";

const char* kUsage =
    "usage: hallq-printer-bench [--tickets N] [--gap-ms MS] [--transport pty|tcp] [--dir DIR]\n"
    "  --tickets N      tickets to issue, one at a time (default 60)\n"
    "  --gap-ms MS      pause after each ticket has printed (default 1500: the printer idle at each press)\n"
    "  --transport T    pty: serial agent on a pseudo-terminal (default); tcp: raw 9100 path\n"
    "  --dir DIR        server data, spool and logs (default a fresh temp dir)\n";

struct Summary {
  double p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
};

Summary summarize(std::vector<double> v) {
  Summary s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))]; };
  s.p50 = at(0.50);
  s.p90 = at(0.90);
  s.p99 = at(0.99);
  s.max = v.back();
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  return s;
}

void print_row(const char* what, const Summary& s) {
  std::printf("%-22s p50 %7.2f  p90 %7.2f  p99 %7.2f  max %7.2f  mean %7.2f ms\n", what, s.p50, s.p90, s.p99, s.max,
              s.mean);
}

int fail(const std::string& m) {
  std::fprintf(stderr, "hallq-printer-bench: %s\n", m.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  int tickets = 60;
  int gap_ms = 1500;
  std::string transport = "pty";
  fs::path dir;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "hallq-printer-bench: %s needs a value\n%s", a.c_str(), kUsage);
        std::exit(1);
      }
      return argv[++i];
    };
    if (a == "--tickets") tickets = std::atoi(val().c_str());
    else if (a == "--gap-ms") gap_ms = std::atoi(val().c_str());
    else if (a == "--transport") transport = val();
    else if (a == "--dir") dir = val();
    else if (a == "--help" || a == "-h") { std::fputs(kUsage, stdout); return 0; }
    else return fail("unknown option " + a + "\n" + kUsage);
  }
  if (tickets < 1 || tickets > 100000) return fail("--tickets must be 1..100000");
  if (gap_ms < 0 || gap_ms > 60000) return fail("--gap-ms must be 0..60000");
  if (transport != "pty" && transport != "tcp") return fail("--transport must be pty or tcp");
  if (dir.empty()) dir = fs::temp_directory_path() / ("hallq-printer-bench-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);

  auto fake = transport == "pty" ? FakePrinter::on_pty() : FakePrinter::on_tcp();
  if (!fake) return fail("could not open the fake printer's " + transport);
  const std::string device = transport == "pty" ? "serial:" + fake->slave_path() + ":115200:none"
                                                : "tcp:127.0.0.1:" + std::to_string(fake->port());

  Child server;
  const int port = hallq::printer::testing::start_server(server, HALLQ_SERVER_BIN, (dir / "var").string(),
                                                         (dir / "server.log").string());
  if (port == 0) return fail("the server did not start; see " + (dir / "server.log").string());
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  Child agent = Child::spawn({HALLQ_PRINTER_BIN, "--server", base, "--token", kPrinterToken, "--device", device,
                              "--spool", (dir / "spool").string()},
                             (dir / "agent.log").string());
  // The agent is up once it asked the printer for its status; give it a moment for its hello.
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (fake->status_queries() == 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(10ms);
  if (fake->status_queries() == 0) return fail("the agent never reached the printer; see " + (dir / "agent.log").string());
  std::this_thread::sleep_for(1s);

  hallq::client::HttpClient kiosk("127.0.0.1", static_cast<std::uint16_t>(port));
  std::vector<double> answer_ms, first_byte_ms;
  for (int i = 0; i < tickets; ++i) {
    const auto before = fake->job_arrivals().size();
    const auto t0 = std::chrono::steady_clock::now();
    auto r = kiosk.post("/api/tickets", {{"request_id", "bench-" + std::to_string(i)}, {"service", i % 2 ? "A" : "B"}},
                        kKioskToken);
    const auto t1 = std::chrono::steady_clock::now();
    if (r.status != 201) return fail("issue " + std::to_string(i) + " answered " + std::to_string(r.status) + ": " + r.body);
    if (!fake->wait_for_tickets(before + 1, 20s)) return fail("ticket " + std::to_string(i) + " never printed");
    const auto arrivals = fake->job_arrivals();
    answer_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    first_byte_ms.push_back(std::chrono::duration<double, std::milli>(arrivals[before] - t0).count());
    std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms));
  }
  if (!fake->error().empty()) return fail("the printer read bytes it does not know: " + fake->error());
  const auto printed = fake->tickets().size();

  std::printf("hallq-printer-bench: %d tickets over %s, %zu printed, gap %d ms\n", tickets,
              transport == "pty" ? "serial (pty)" : "TCP", printed, gap_ms);
  const Summary answer = summarize(answer_ms), first = summarize(first_byte_ms);
  print_row("issue -> answer", answer);
  print_row("issue -> first byte", first);
  std::printf("goal: issue -> first byte <= 50 ms: %s (p99 %.2f ms)\n", first.p99 <= 50.0 ? "PASS" : "FAIL", first.p99);
  agent.stop();
  server.stop();
  if (printed != static_cast<std::size_t>(tickets)) return fail("printed " + std::to_string(printed) + " tickets, not " + std::to_string(tickets));
  return 0;
}
