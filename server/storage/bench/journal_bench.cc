// hallq-journal-bench: how many ticket_issued events per second the journal makes durable, one
// transaction per command versus group commit, on a real file with the real PRAGMAs (WAL,
// synchronous=FULL). Not a test: run it by hand on the disk the hall server will use.
//
//   hallq-journal-bench [--dir DIR] [--scale F] [--busy-hall]
//
// DIR (default /tmp) gets a fresh temporary directory, removed afterwards. F multiplies the
// number of commits per mode (default 1). --busy-hall commits what the server's goal-3 bench
// makes it commit: tickets of 20 services from 256 kiosks, each answer carrying its ticket
// (without it: one service, one kiosk, short answers).
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "hallq/json_codec.h"
#include "hallq/storage/journal.h"

namespace {

using hallq::Event;
using hallq::Ticket;
using hallq::storage::Batch;
using hallq::storage::Journal;

constexpr hallq::TimeMs kMorning = 1'795'741'200'000;  // 2026-11-27 09:00 Beijing
const std::string kDay = "2026-11-27";

bool busy_hall = false;

// What a kiosk's issue command makes durable: the event with the new ticket, and the request.
Batch issue(std::uint64_t seq) {
  const hallq::TimeMs at = kMorning + static_cast<hallq::TimeMs>(seq) * 100;
  const std::string service(1, busy_hall ? char('A' + seq % 20) : 'A');
  const std::string kiosk = busy_hall ? "kiosk-" + std::to_string(seq % 256) : "kiosk-entrance-1";
  const std::uint64_t n = busy_hall ? seq / 20 + 1 : seq;
  char number[16];
  std::snprintf(number, sizeof number, "%s%04llu", service.c_str(), static_cast<unsigned long long>(n));
  Ticket t;
  t.id = "tk-" + std::to_string(seq) + "-Qx7vR2mK9pLw";
  t.number = number;
  t.service = service;
  t.origin_service = service;
  t.business_day = kDay;
  t.issued_at = at;
  t.queued_at = at;
  t.issued_by = kiosk;
  t.history.push_back({hallq::TicketStep::issued, at, 0, "", "", ""});
  Event e;
  e.seq = seq;
  e.at = at;
  e.type = hallq::EventType::ticket_issued;
  e.load = hallq::ServiceLoad{service, 12, static_cast<int>(n), 540, 900};
  e.actor = kiosk;
  e.ticket = std::move(t);
  Batch b;
  b.events.push_back(std::move(e));
  const nlohmann::json answer =
      busy_hall ? nlohmann::json{{"ticket", hallq::to_json(*b.events[0].ticket)}, {"ahead", 11}, {"estimated_wait_s", 540}}
                : nlohmann::json{{"ticket", b.events[0].ticket->id}, {"number", number}, {"ahead", 11}};
  b.request = hallq::core::StoredRequest{
      kiosk + "\x1fissue-" + std::to_string(busy_hall ? seq / 256 : seq),
      R"({"command":"issue","service":")" + service + R"(","class":"normal","lang":"zh-CN"})", kDay, answer.dump()};
  return b;
}

struct Mode {
  const char* name;
  std::size_t batches_per_commit;
  std::size_t commits;
};

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  std::size_t i = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)];
}

int run(const std::string& dir, double scale) {
  const Mode modes[] = {
      {"one commit per event", 1, 1000},
      {"group commit", 10, 500},
      {"group commit", 40, 250},
      {"group commit", 100, 200},
      {"group commit", 1000, 50},
  };
  std::printf("SQLite %s, WAL, synchronous=FULL, files in %s%s\n", sqlite3_libversion(), dir.c_str(),
              busy_hall ? "; busy hall: 20 services, 256 kiosks, answers with the ticket" : "");
  std::printf("%-22s %8s %8s %8s %12s %10s %10s\n", "mode", "batch", "commits", "events",
              "events/s", "p50 ms", "p99 ms");
  int n = 0;
  for (const Mode& m : modes) {
    const std::string path = dir + "/bench-" + std::to_string(n++) + ".db";
    auto j = Journal::open(path);
    if (!j) {
      std::fprintf(stderr, "%s\n", j.error().message.c_str());
      return 1;
    }
    const std::size_t commits =
        std::max<std::size_t>(10, static_cast<std::size_t>(static_cast<double>(m.commits) * scale));
    std::vector<double> latency_ms;
    latency_ms.reserve(commits);
    std::uint64_t seq = 0;
    std::chrono::steady_clock::duration total{};
    for (std::size_t c = 0; c < commits; ++c) {
      std::vector<Batch> batches;  // built outside the clock: the journal is measured
      batches.reserve(m.batches_per_commit);
      for (std::size_t b = 0; b < m.batches_per_commit; ++b) batches.push_back(issue(++seq));
      const auto start = std::chrono::steady_clock::now();
      hallq::Status s = (*j)->commit(batches);
      const auto took = std::chrono::steady_clock::now() - start;
      if (!s) {
        std::fprintf(stderr, "%s\n", s.error().message.c_str());
        return 1;
      }
      total += took;
      latency_ms.push_back(std::chrono::duration<double, std::milli>(took).count());
    }
    const double seconds = std::chrono::duration<double>(total).count();
    std::printf("%-22s %8zu %8zu %8llu %12.0f %10.2f %10.2f\n", m.name, m.batches_per_commit,
                commits, static_cast<unsigned long long>(seq),
                static_cast<double>(seq) / seconds, percentile(latency_ms, 0.50),
                percentile(latency_ms, 0.99));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string base = "/tmp";
  double scale = 1.0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
      base = argv[++i];
    } else if (std::strcmp(argv[i], "--scale") == 0 && i + 1 < argc) {
      scale = std::atof(argv[++i]);
    } else if (std::strcmp(argv[i], "--busy-hall") == 0) {
      busy_hall = true;
    } else {
      std::fprintf(stderr, "usage: %s [--dir DIR] [--scale F] [--busy-hall]\n", argv[0]);
      return 2;
    }
  }
  std::string templ = base + "/hallq-journal-bench-XXXXXX";
  if (!mkdtemp(templ.data())) {
    std::perror(templ.c_str());
    return 1;
  }
  int rc = run(templ, scale > 0 ? scale : 1.0);
  std::error_code ec;
  std::filesystem::remove_all(templ, ec);
  return rc;
}
