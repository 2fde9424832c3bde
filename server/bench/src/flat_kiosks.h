// Kiosks issuing flat out, all on one epoll loop of their own with requests and answers handled
// as text: over HTTP keep-alive with one command in flight per connection, or over WebSockets
// that say hello with "events": false and keep several in flight. Goal 3's load is hundreds of
// such kiosks. On Beast coroutines the bench spent 34-38 us of CPU a ticket over HTTP and 21-28
// over command-only WebSockets, CPU that the server on the same two cores then lacked; this loop
// spends about 2-3 over WebSockets (docs/benchmarks.md).
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "options.h"
#include "stats.h"

namespace hallq::bench {

struct FlatKiosk {
  std::string token;
  std::vector<std::string> services;  // issued in turn
};

struct FlatIssue {
  Transport transport = Transport::http;
  std::size_t in_flight = 1;  // per WebSocket; HTTP has one
  std::size_t limit = 0;      // tickets to start in all
  double deadline_s = 0;      // now_s() after which no ticket starts
  double drain_s = 30;        // then how long the answers still owed may take
  std::string id_prefix;      // request ids are this and a counter
};

struct FlatIssueResult {
  std::size_t started = 0;
  std::size_t acked = 0;  // answered 2xx: durable
  double first_sent_s = 0;  // now_s()
  double last_ack_s = 0;
  std::map<std::string, std::size_t> errors;  // the server's error code, or "transport: ..."
  LatencySamples latency;  // ms, send to answer
};

// One connection per kiosk. Starts tickets until `plan.limit` are started or the deadline passes,
// then waits for the answers still owed. A connection that fails stops; a refused WebSocket
// hello counts once, by its code. "rate_limited" and "busy" answers make a kiosk wait 10 ms.
// Blocks the calling thread; `acked_live`, if given, counts the acknowledged tickets as they
// come, for another thread to read.
FlatIssueResult issue_flat_out(const boost::asio::ip::tcp::endpoint& server, const std::vector<FlatKiosk>& kiosks,
                               const FlatIssue& plan, std::atomic<std::size_t>* acked_live = nullptr);

}  // namespace hallq::bench
