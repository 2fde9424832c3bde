// Counters and a latency histogram for /metrics (Prometheus text format). Lock-free: any thread
// may update; render() reads a consistent-enough view for monitoring.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace hallq::net {

class LatencyHistogram {
 public:
  // Upper bounds in microseconds; the last bucket is +Inf.
  static constexpr std::array<std::uint64_t, 10> kBoundsUs{100, 250, 500, 1000, 2500, 5000,
                                                          10000, 25000, 100000, 1000000};
  void observe_us(std::uint64_t us);
  void render(std::string& out, const char* name, const char* help) const;

 private:
  std::array<std::atomic<std::uint64_t>, kBoundsUs.size() + 1> counts_{};
  std::atomic<std::uint64_t> sum_us_{0};
  std::atomic<std::uint64_t> total_{0};
};

struct Metrics {
  std::atomic<std::int64_t> http_connections{0};   // open now
  std::atomic<std::int64_t> ws_connections{0};     // open now
  std::atomic<std::uint64_t> http_requests{0};
  std::atomic<std::uint64_t> commands_ok{0};
  std::atomic<std::uint64_t> commands_rejected{0};
  std::atomic<std::uint64_t> commands_repeated{0};
  std::atomic<std::uint64_t> tickets_issued{0};
  std::atomic<std::uint64_t> events_committed{0};
  std::atomic<std::uint64_t> commits{0};           // transactions
  std::atomic<std::uint64_t> rate_limited{0};
  std::atomic<std::uint64_t> busy{0};              // refused: commit queue full
  std::atomic<std::uint64_t> ws_messages_sent{0};
  std::atomic<std::uint64_t> ws_writes{0};  // sendmsg() calls that took bytes
  std::atomic<std::uint64_t> ws_closed_slow{0};    // closed for falling behind
  std::atomic<std::uint64_t> ws_snapshots_replaced{0};
  std::atomic<std::uint64_t> ws_resynced{0};       // behind clients sent a snapshot instead of a burst
  std::atomic<std::uint64_t> bad_requests{0};      // malformed input of any kind
  std::atomic<std::uint64_t> connections_refused{0};  // over max_connections
  LatencyHistogram commit_latency;                 // one transaction, BEGIN to COMMIT
  LatencyHistogram command_latency;                // command received to durable

  std::string render() const;
};

}  // namespace hallq::net
