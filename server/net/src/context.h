// What every connection needs: the hall, auth, metrics, options and a pool for slow work
// (password hashing). Owned by the Server; outlives every session.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include "hallq/net/auth.h"
#include "hallq/net/hall.h"
#include "hallq/net/metrics.h"
#include "hallq/net/server.h"

namespace hallq::net {

struct Context {
  ServerOptions options;
  std::shared_ptr<Hall> hall;
  std::unique_ptr<Auth> auth;
  Metrics metrics;
  RateLimiter login_limiter;  // per user name and per peer address
  boost::asio::thread_pool slow{1};
};

}  // namespace hallq::net
