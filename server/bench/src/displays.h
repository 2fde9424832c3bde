// Many hall displays in one process: WebSocket clients that say hello with a display token,
// wait for the snapshot and then read events, noting when each ticket_called arrived.
//
// The displays are plain non-blocking sockets on an epoll loop per thread, with the WebSocket
// handshake and framing done here, not Beast streams on coroutines. The bench shares the two
// cores with the server it measures, and a Beast read per message per display cost it about as
// much CPU as the server spent sending (docs/benchmarks.md, "A leaner bench"). A display costs a
// socket and the bytes of a frame it has not finished reading, so 10,000 fit easily.
//
// Threads: the fleet runs its own threads (shards; a display lives on one). start(),
// progress(), caught_up() and stop() may be called from any one other thread; the results
// (delivery(), summary()) only after stop(). Linux only (epoll).
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace hallq::bench {

struct DisplayFleetOptions {
  boost::asio::ip::tcp::endpoint server;
  std::string token;              // a display token; many connections may share it
  std::size_t count = 0;          // displays to connect
  int threads = 1;                // io_context threads (shards)
  std::size_t connect_concurrency = 256;  // handshakes in progress at once, over all shards
};

class DisplayFleet {
 public:
  explicit DisplayFleet(DisplayFleetOptions options);
  ~DisplayFleet();  // stops
  DisplayFleet(const DisplayFleet&) = delete;
  DisplayFleet& operator=(const DisplayFleet&) = delete;

  void start();  // starts the threads and the connecting

  struct Progress {
    std::size_t live = 0;        // snapshot received, still open
    std::size_t failed = 0;      // never got a snapshot
    std::size_t closed = 0;      // was live, then the connection closed
    std::size_t pending = 0;     // still connecting
  };
  Progress progress() const;
  // Live displays that have received at least `calls` ticket_called events.
  std::size_t caught_up(std::uint32_t calls) const;

  void stop();  // stops the threads and drops every connection

  // How one call reached the displays, from their receive times (steady clock, seconds).
  struct Delivery {
    double first_s = 0;
    double last_s = 0;
    double sum_s = 0;
    std::uint32_t displays = 0;
  };
  // After stop(): the displays that got ticket_called for this ticket, or nullopt if none did.
  std::optional<Delivery> delivery(std::string_view ticket_id) const;

  struct Summary {
    std::size_t requested = 0;
    std::size_t live = 0;           // still open at the end
    std::size_t failed = 0;         // never connected
    std::size_t closed_early = 0;   // connected, then lost
    std::size_t with_gaps = 0;      // saw a jump in event seq
    std::size_t resynced = 0;       // got a second snapshot
    std::size_t left_behind = 0;    // connected but missed at least one of the expected calls
    std::uint64_t events = 0;       // event messages read, all displays
    std::uint64_t bytes = 0;
    std::size_t scan_mismatches = 0;  // scanner disagreed with a full parse (must be 0)
    std::map<std::string, std::size_t> errors;  // why connections failed or closed
    nlohmann::json to_json() const;
  };
  // After stop(): `expected_calls` is how many calls every display should have seen.
  Summary summary(std::uint32_t expected_calls) const;

 private:
  struct Shard;
  DisplayFleetOptions options_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> in_handshake_{0};  // handshakes in progress, over all shards
  std::vector<std::unique_ptr<Shard>> shards_;
  bool stopped_ = false;
};

}  // namespace hallq::bench
