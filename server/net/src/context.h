// What every connection needs: the hall, auth, metrics, options and a pool for slow work
// (password hashing). Owned by the Server; outlives every session.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <memory>
#include <vector>

#include "hallq/net/auth.h"
#include "hallq/net/hall.h"
#include "hallq/net/metrics.h"
#include "hallq/net/server.h"
#include "hallq/reports/report_service.h"
#include "ws_shard.h"

namespace hallq::net {

class ConfigStore;

struct Context {
  ServerOptions options;
  std::shared_ptr<Hall> hall;
  std::unique_ptr<Auth> auth;
  Metrics metrics;
  RateLimiter login_limiter;  // per user name and per peer address
  // Requests read but not yet answered on the wire. Stopping waits for this to reach zero, so a
  // command committed just before SIGTERM still gets its answer.
  std::atomic<std::int64_t> answers_owed{0};
  // Set when stopping: requests read from now on are refused at once and their connections
  // closed, so the count above can reach zero under a steady load.
  std::atomic<bool> stopping{false};
  // Connections over max_connections being answered 503 now (ServerOptions::max_turned_away).
  std::atomic<std::size_t> turning_away{0};
  boost::asio::thread_pool slow{1};
  // GET /api/reports/...: its own thread and SQLite connection (server/reports).
  std::unique_ptr<reports::ReportService> reports;
  // GET/PUT /api/config (config_api.h); null when the server has no configuration file.
  std::unique_ptr<ConfigStore> config_store;
  // One per I/O thread; a new WebSocket session takes the next in turn. Cleared before the
  // io_context they were made on is destroyed.
  std::vector<std::unique_ptr<WsShard>> ws_shards;
  std::atomic<std::size_t> ws_shard_turn{0};
  WsShard& next_ws_shard() { return *ws_shards[ws_shard_turn.fetch_add(1, std::memory_order_relaxed) % ws_shards.size()]; }
};

}  // namespace hallq::net
