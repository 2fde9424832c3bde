// hallq-engine-bench: CPU per command in the queue engine alone, with no network and no disk.
// The hall server runs every command on one strand, so the engine's cost per ticket caps the
// whole server's rate whatever the cores: this measures that cap. Not a test: run it by hand.
//
//   hallq-engine-bench [--config FILE] [--tickets N] [--rounds R]
//
// Issues N tickets (default 100,000) as goal 3's kiosks do: 24 kiosks, the hall's services in
// turn, each command with its own request id, and the answer serialised as the server sends it.
// Each of R rounds (default 3) starts from an empty day; the best round is reported.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "hallq/core/engine.h"

namespace {

constexpr hallq::TimeMs kMorning = 1'795'741'200'000;  // 2026-11-27 09:00 Beijing

// Ids shaped like the server's (26 characters, time first), without the randomness.
class CountingIds final : public hallq::core::TicketIds {
 public:
  std::string next() override {
    char id[32];
    std::snprintf(id, sizeof id, "2a7kq3xf%018llu", static_cast<unsigned long long>(++n_));
    return id;
  }

 private:
  unsigned long long n_ = 0;
};

struct Round {
  double seconds = 0;
  std::size_t bytes = 0;  // answers' bytes, so the work cannot be optimised away
  std::size_t events = 0;
};

Round issue_round(const std::shared_ptr<const hallq::HallConfig>& config, std::size_t tickets) {
  CountingIds ids;
  hallq::core::Engine engine(config, ids);
  std::vector<hallq::core::Actor> kiosks;
  for (const auto& d : config->devices) {
    if (d.kind != hallq::DeviceKind::kiosk) continue;
    hallq::core::Actor a;
    a.role = hallq::Role::kiosk;
    a.name = d.id;
    a.services = d.services;
    kiosks.push_back(std::move(a));
    if (kiosks.size() == 24) break;
  }
  if (kiosks.empty()) {
    std::fprintf(stderr, "hallq-engine-bench: the hall has no kiosk\n");
    std::exit(1);
  }
  Round r;
  const auto t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < tickets; ++i) {
    const auto& kiosk = kiosks[i % kiosks.size()];
    hallq::Command c;
    c.request_id = "issue-" + std::to_string(i);
    hallq::IssueTicket issue;
    issue.service = kiosk.services.empty() ? config->services[i % config->services.size()].code
                                           : kiosk.services[i % kiosk.services.size()];
    c.body = std::move(issue);
    // One millisecond apart: 100,000 tickets fit in a working day's first two minutes.
    auto out = engine.execute(c, kiosk, kMorning + hallq::TimeMs(i));
    if (!out.ok()) {
      std::fprintf(stderr, "hallq-engine-bench: ticket %zu refused: %s\n", i, out.error->message.c_str());
      std::exit(1);
    }
    r.events += out.events.size();
    r.bytes += out.body.size();
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = "assets/halls/bench-300.json";
  std::size_t tickets = 100'000;
  int rounds = 3;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (!std::strcmp(argv[i], "--config") && has_value) {
      path = argv[++i];
    } else if (!std::strcmp(argv[i], "--tickets") && has_value) {
      tickets = std::strtoull(argv[++i], nullptr, 10);
    } else if (!std::strcmp(argv[i], "--rounds") && has_value) {
      rounds = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: hallq-engine-bench [--config FILE] [--tickets N] [--rounds R]\n");
      return 2;
    }
  }
  auto config = hallq::load_hall_config(path);
  if (!config) {
    std::fprintf(stderr, "hallq-engine-bench: %s\n", config.error().message.c_str());
    return 1;
  }
  auto shared = std::make_shared<const hallq::HallConfig>(std::move(*config));
  double best = 0;
  for (int r = 0; r < rounds; ++r) {
    Round round = issue_round(shared, tickets);
    const double us = round.seconds * 1e6 / double(tickets);
    std::printf("round %d: %zu tickets in %.3f s: %.2f us a ticket (%zu events, %zu answer bytes)\n", r + 1,
                tickets, round.seconds, us, round.events, round.bytes);
    if (r == 0 || us < best) best = us;
  }
  std::printf("issue: best %.2f us a ticket, a cap of %.0f tickets/s on one strand\n", best, 1e6 / best);
  return 0;
}
