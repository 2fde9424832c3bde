#include "hallq/net/metrics.h"

namespace hallq::net {

void LatencyHistogram::observe_us(std::uint64_t us) {
  std::size_t i = 0;
  while (i < kBoundsUs.size() && us > kBoundsUs[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(us, std::memory_order_relaxed);
  total_.fetch_add(1, std::memory_order_relaxed);
}

void LatencyHistogram::render(std::string& out, const char* name, const char* help) const {
  out += "# HELP "; out += name; out += ' '; out += help; out += '\n';
  out += "# TYPE "; out += name; out += " histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= kBoundsUs.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    out += name;
    out += "_bucket{le=\"";
    out += i < kBoundsUs.size() ? std::to_string(double(kBoundsUs[i]) / 1e6) : std::string("+Inf");
    out += "\"} " + std::to_string(cumulative) + '\n';
  }
  out += name; out += "_sum " + std::to_string(double(sum_us_.load()) / 1e6) + '\n';
  out += name; out += "_count " + std::to_string(total_.load()) + '\n';
}

namespace {
template <typename T>
void metric(std::string& out, const char* name, const char* type, const char* help, const T& v) {
  out += "# HELP "; out += name; out += ' '; out += help; out += '\n';
  out += "# TYPE "; out += name; out += ' '; out += type; out += '\n';
  out += name; out += ' ' + std::to_string(v.load(std::memory_order_relaxed)) + '\n';
}
}  // namespace

std::string Metrics::render() const {
  std::string out;
  metric(out, "hallq_http_connections", "gauge", "Open HTTP connections.", http_connections);
  metric(out, "hallq_websocket_connections", "gauge", "Open WebSocket connections.", ws_connections);
  metric(out, "hallq_http_requests_total", "counter", "HTTP requests read.", http_requests);
  metric(out, "hallq_commands_ok_total", "counter", "Commands that changed the hall.", commands_ok);
  metric(out, "hallq_commands_rejected_total", "counter", "Commands refused by a rule or bad input.", commands_rejected);
  metric(out, "hallq_commands_repeated_total", "counter", "Retries answered with the first result.", commands_repeated);
  metric(out, "hallq_tickets_issued_total", "counter", "Tickets issued.", tickets_issued);
  metric(out, "hallq_events_committed_total", "counter", "Events made durable.", events_committed);
  metric(out, "hallq_commits_total", "counter", "SQLite transactions (group commits).", commits);
  metric(out, "hallq_rate_limited_total", "counter", "Requests refused by a rate limit.", rate_limited);
  metric(out, "hallq_busy_total", "counter", "Commands refused because the commit queue was full.", busy);
  metric(out, "hallq_bad_requests_total", "counter", "Malformed or oversized requests and messages.", bad_requests);
  metric(out, "hallq_connections_refused_total", "counter", "Connections over max_connections, answered 503 or closed.",
         connections_refused);
  metric(out, "hallq_websocket_messages_sent_total", "counter", "WebSocket messages written.", ws_messages_sent);
  metric(out, "hallq_websocket_writes_total", "counter", "Writes to WebSocket clients; one may carry several messages.", ws_writes);
  metric(out, "hallq_websocket_closed_slow_total", "counter", "Clients closed for falling behind.", ws_closed_slow);
  metric(out, "hallq_websocket_resynced_total", "counter", "Clients behind by a burst, sent a fresh snapshot instead.", ws_resynced);
  metric(out, "hallq_websocket_snapshots_replaced_total", "counter", "Unsent snapshots replaced by newer ones.", ws_snapshots_replaced);
  commit_latency.render(out, "hallq_commit_seconds", "Time of one group-commit transaction.");
  command_latency.render(out, "hallq_command_seconds", "Time from a command's arrival to its durable answer.");
  return out;
}

}  // namespace hallq::net
