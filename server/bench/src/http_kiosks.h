// Kiosks issuing flat out over HTTP keep-alive, one command in flight per connection, all on
// one epoll loop with requests and answers handled as text. Goal 3's load is hundreds of such
// kiosks; on Beast coroutines the bench spent 34-38 us of CPU a ticket, this loop about 21, and
// the server on the same two cores gets the difference (docs/benchmarks.md).
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "stats.h"

namespace hallq::bench {

struct HttpKiosk {
  std::string token;
  std::vector<std::string> services;  // issued in turn
};

struct HttpIssueResult {
  std::size_t started = 0;
  std::size_t acked = 0;  // answered 2xx: durable
  double first_sent_s = 0;  // now_s()
  double last_ack_s = 0;
  std::map<std::string, std::size_t> errors;  // the server's error code, or "transport: ..."
  LatencySamples latency;  // ms, send to answer
};

// One connection per kiosk. Starts tickets until `limit` are started or now_s() passes
// `deadline_s`, then waits up to `drain_s` for the answers still owed. Request ids are
// `id_prefix` followed by a counter. A connection that fails stops; "rate_limited" and "busy"
// answers make it wait 10 ms. Blocks the calling thread; `acked_live`, if given, counts the
// acknowledged tickets as they come, for another thread to read.
HttpIssueResult issue_over_http(const boost::asio::ip::tcp::endpoint& server, const std::vector<HttpKiosk>& kiosks,
                                std::size_t limit, double deadline_s, double drain_s, const std::string& id_prefix,
                                std::atomic<std::size_t>* acked_live = nullptr);

}  // namespace hallq::bench
