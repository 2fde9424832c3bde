// hallq-server as a library: one port serving the HTTP API, /metrics, the web pages and the
// WebSocket. Construct, start(), read port(), stop(). Owns its io_context threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "hallq/core/engine.h"
#include "hallq/hall_config.h"
#include "hallq/result.h"

namespace hallq::net {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;                    // 0 picks a free port
  std::string data_dir = "var";                 // holds hallq.sqlite
  std::string web_root;                         // static pages (assets/web); empty: none
  int threads = 2;                              // I/O threads
  std::size_t http_body_limit = 64 * 1024;      // bytes; larger bodies get 413
  std::size_t http_config_body_limit = 1024 * 1024;  // PUT /api/config: a whole hall's configuration
  std::size_t http_header_limit = 16 * 1024;
  std::chrono::seconds http_timeout{30};        // reading one request, idle keep-alive
  std::size_t ws_message_limit = 64 * 1024;     // larger messages close with 1009
  std::chrono::seconds ws_hello_timeout{10};    // time to send hello after connecting
  std::chrono::seconds ws_idle_timeout{60};     // no traffic at all (pings count) closes
  std::size_t ws_queue_messages = 1024;         // unsent messages before a client is "behind"
  std::size_t ws_queue_bytes = 8 * 1024 * 1024;
  std::chrono::milliseconds ws_stall_timeout{5000};  // a behind client whose write is stuck this long is closed
  int ws_send_buffer = 0;                       // SO_SNDBUF per client; 0 = the kernel's default
  // How long an event other than a call may wait to share a client's next write (Push::update).
  // Calls go at once and take what waits with them. 0: every event is written when it comes.
  std::chrono::milliseconds ws_update_hold{100};
  // The same for hall displays, the bulk of the clients. What they show besides calls (counts,
  // a window's state) nobody reads to the tenth of a second, and at a call every 500 ms or so a
  // longer hold lets a call's start and finish ride with the next call instead of going alone:
  // half the writes to every screen (docs/benchmarks.md). Clerks' consoles, evaluators and
  // kiosks answer a person at the counter, and keep ws_update_hold.
  std::chrono::milliseconds display_update_hold{500};
  std::size_t max_connections = 20000;          // beyond this, new connections are turned away:
  std::size_t max_turned_away = 64;             // this many at a time get a 503 busy, the rest just a close
  std::size_t max_pending_commands = 20000;     // commit queue bound; beyond: 503 busy
  std::function<TimeMs()> clock;                // tests pass a fake; default system clock
  double clock_rate = 1;                        // hall ms per real ms: a simulated day (--time-scale) runs faster
  // The hall file PUT /api/config writes back (atomically, keeping FILE.bak). Empty: the
  // configuration can be viewed but not edited. The file must hold the configuration passed
  // to create(), before config_overlay.
  std::string config_path;
  // What the command line changes on top of the file (--always-open): applied to every edit
  // before it goes live, never written to the file.
  std::function<void(HallConfig&)> config_overlay;
  std::shared_ptr<core::TicketIds> ids;         // default: 128-bit random ids
};

class Server {
 public:
  // Opens (or creates) the journal in data_dir, restores the hall, binds the port.
  static Result<std::unique_ptr<Server>> create(ServerOptions options,
                                                std::shared_ptr<const HallConfig> config);
  ~Server();
  void start();  // starts the I/O threads and the hall's timers
  void stop();   // stops accepting, finishes pending commits, joins threads
  void wait();   // blocks until stop() (e.g. from a signal handler thread)
  std::uint16_t port() const;

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Random 128-bit ticket ids, 26 characters of base32 (no padding), from libsodium.
std::shared_ptr<core::TicketIds> random_ticket_ids();

}  // namespace hallq::net
