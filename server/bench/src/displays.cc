#include "displays.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <cstdio>
#include <thread>
#include <unordered_map>

#include "scan.h"
#include "stats.h"

namespace hallq::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {
constexpr auto kUse = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kChecked = 20;  // events of the first display checked by a full parse

enum State : std::uint8_t { kConnecting, kLive, kFailed, kClosed };

struct Display {
  std::atomic<std::uint32_t> calls{0};  // ticket_called events received
  std::atomic<std::uint8_t> state{kConnecting};
  // Only the shard's thread touches these.
  std::uint32_t gaps = 0;
  std::uint32_t snapshots = 0;
  std::uint64_t last_seq = 0;
};
}  // namespace

struct DisplayFleet::Shard {
  // Declared before io so that they outlive it: destroying io destroys the display coroutines.
  const DisplayFleetOptions& options;
  std::atomic<int>& in_handshake;  // over all shards
  std::vector<std::size_t> ids;    // fleet-wide display numbers (for messages)
  std::unique_ptr<Display[]> displays;
  // Used on the shard's thread only.
  std::unordered_map<std::string, Delivery> deliveries;  // by ticket id
  std::string last_ticket;
  Delivery* last_delivery = nullptr;
  std::map<std::string, std::size_t> errors;
  std::uint64_t events = 0;
  std::uint64_t bytes = 0;
  std::size_t checked = 0;
  std::size_t mismatches = 0;
  bool check_parse = false;  // this shard's first display checks the scanner
  std::atomic<std::size_t> live_count{0}, failed_count{0}, closed_count{0};

  asio::io_context io{1};
  std::thread thread;

  Shard(const DisplayFleetOptions& o, std::atomic<int>& h) : options(o), in_handshake(h) {}

  void error(const std::string& what) { ++errors[what]; }

  Delivery& delivery_for(std::string_view ticket) {
    // Every display gets the same event in turn: remember the last ticket looked up.
    if (last_delivery != nullptr && ticket == last_ticket) return *last_delivery;
    last_ticket.assign(ticket);
    last_delivery = &deliveries[last_ticket];  // node-based: stays valid across rehashes
    return *last_delivery;
  }

  void check(std::string_view m, std::uint64_t seq, bool called, std::string_view ticket) {
    auto j = nlohmann::json::parse(m, nullptr, false);
    bool ok = j.is_object() && j.value("type", "") == "event" && j.value("seq", std::uint64_t(0)) == seq &&
              (j.value("event", "") == "ticket_called") == called &&
              (!called || (j.contains("ticket") && j["ticket"].value("id", "") == ticket));
    if (!ok) {
      ++mismatches;
      std::fprintf(stderr, "hallq-bench: the event scanner misread a message (seq %llu): %.300s\n",
                   static_cast<unsigned long long>(seq), std::string(m).c_str());
    }
  }

  void on_message(Display& d, std::string_view m, double at, bool first_display) {
    // Only events have an "event" key, and it comes early: no need to scan whole messages for
    // "type" (which the server's sorted keys put near the end).
    constexpr std::string_view kEvent = R"("event":")";
    if (std::size_t at_event = find(m, kEvent); at_event != std::string_view::npos) {
      ++events;
      bytes += m.size();
      std::uint64_t seq = std::uint64_t(int_field(m, "seq").value_or(0));
      if (d.last_seq != 0 && seq != d.last_seq + 1) ++d.gaps;
      d.last_seq = seq;
      bool called = m.substr(at_event + kEvent.size()).starts_with(R"(ticket_called")");
      std::string_view ticket = called ? ticket_id(m) : std::string_view();
      if (first_display && check_parse && checked < kChecked) {
        ++checked;
        check(m, seq, called, ticket);
      }
      if (!called) return;
      Delivery& v = delivery_for(ticket);
      if (v.displays == 0 || at < v.first_s) v.first_s = at;
      if (at > v.last_s) v.last_s = at;
      v.sum_s += at;
      ++v.displays;
      d.calls.fetch_add(1, std::memory_order_relaxed);
    } else if (find(m, R"("type":"snapshot")") != std::string_view::npos) {
      ++d.snapshots;
      d.last_seq = std::uint64_t(int_field(m, "seq").value_or(0));
    } else if (find(m, R"("type":"error")") != std::string_view::npos) {
      error("server error: " + std::string(string_field(m, "code")));
    }
  }

  asio::awaitable<void> run_display(std::size_t k) {
    Display& d = displays[k];
    websocket::stream<beast::tcp_stream> ws(co_await asio::this_coro::executor);
    beast::flat_buffer buffer;
    bool handshaking = true;
    auto fail = [&](const char* step, const beast::error_code& ec) {
      error(std::string(step) + ": " + ec.message());
      d.state.store(kFailed);
      ++failed_count;
      if (handshaking) --in_handshake;
    };

    auto& tcp_layer = beast::get_lowest_layer(ws);
    tcp_layer.expires_after(30s);
    if (auto [ec] = co_await tcp_layer.async_connect(options.server, kUse); ec) co_return fail("connect", ec);
    tcp_layer.expires_never();
    ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    ws.read_message_max(64u << 20);
    ws.text(true);
    std::string host = options.server.address().to_string() + ":" + std::to_string(options.server.port());
    if (auto [ec] = co_await ws.async_handshake(host, "/ws", kUse); ec) co_return fail("handshake", ec);
    std::string hello = R"({"type":"hello","token":")" + options.token + R"("})";
    if (auto [ec, n] = co_await ws.async_write(asio::buffer(hello), kUse); ec) co_return fail("hello", ec);
    for (;;) {  // welcome, then the snapshot
      auto [ec, n] = co_await ws.async_read(buffer, kUse);
      if (ec) co_return fail("waiting for the snapshot", ec);
      std::string_view m(static_cast<const char*>(buffer.data().data()), buffer.size());
      if (find(m, R"("type":"error")") != std::string_view::npos) {
        error("refused: " + std::string(string_field(m, "message")));
        d.state.store(kFailed);
        ++failed_count;
        --in_handshake;
        co_return;
      }
      bool snapshot = find(m, R"("type":"snapshot")") != std::string_view::npos;
      if (snapshot) on_message(d, m, now_s(), k == 0);
      buffer.consume(buffer.size());
      if (snapshot) break;
    }
    // The snapshot is tens of kilobytes; events are one or two. Keep ten thousand buffers small.
    buffer.shrink_to_fit();
    handshaking = false;
    --in_handshake;
    d.state.store(kLive);
    ++live_count;

    for (;;) {
      auto [ec, n] = co_await ws.async_read(buffer, kUse);
      double at = now_s();
      if (ec) {
        error(ec == websocket::error::closed ? "closed by the server: " + std::to_string(ws.reason().code) + " " +
                                                   std::string(ws.reason().reason.data(), ws.reason().reason.size())
                                             : "read: " + ec.message());
        d.state.store(kClosed);
        --live_count;
        ++closed_count;
        co_return;
      }
      on_message(d, std::string_view(static_cast<const char*>(buffer.data().data()), buffer.size()), at, k == 0);
      buffer.consume(buffer.size());
    }
  }

  asio::awaitable<void> launch() {
    asio::steady_timer pause(io);
    const int limit = int(std::max<std::size_t>(1, options.connect_concurrency));
    for (std::size_t k = 0; k < ids.size(); ++k) {
      while (in_handshake.load() >= limit) {
        pause.expires_after(2ms);
        co_await pause.async_wait(kUse);
      }
      ++in_handshake;
      asio::co_spawn(io, run_display(k), [this](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          error(std::string("exception: ") + x.what());
        }
      });
    }
  }
};

DisplayFleet::DisplayFleet(DisplayFleetOptions options) : options_(std::move(options)) {}

DisplayFleet::~DisplayFleet() { stop(); }

void DisplayFleet::start() {
  const int n = std::max(1, options_.threads);
  for (int s = 0; s < n; ++s) {
    auto shard = std::make_unique<Shard>(options_, in_handshake_);
    for (std::size_t i = std::size_t(s); i < options_.count; i += std::size_t(n)) shard->ids.push_back(i);
    shard->displays = std::make_unique<Display[]>(shard->ids.size());
    shard->check_parse = s == 0;
    shards_.push_back(std::move(shard));
  }
  for (auto& shard : shards_) {
    Shard* s = shard.get();
    asio::co_spawn(s->io, s->launch(), [s](std::exception_ptr e) {
      if (e) s->error("launcher failed");
    });
    s->thread = std::thread([s] { s->io.run(); });
  }
}

DisplayFleet::Progress DisplayFleet::progress() const {
  Progress p;
  std::size_t total = 0;
  for (const auto& s : shards_) {
    p.live += s->live_count.load();
    p.failed += s->failed_count.load();
    p.closed += s->closed_count.load();
    total += s->ids.size();
  }
  p.pending = total - std::min(total, p.live + p.failed + p.closed);
  return p;
}

std::size_t DisplayFleet::caught_up(std::uint32_t calls) const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    for (std::size_t k = 0; k < s->ids.size(); ++k) {
      const Display& d = s->displays[k];
      if (d.state.load(std::memory_order_relaxed) == kLive && d.calls.load(std::memory_order_relaxed) >= calls) ++n;
    }
  }
  return n;
}

void DisplayFleet::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& s : shards_) s->io.stop();
  for (auto& s : shards_)
    if (s->thread.joinable()) s->thread.join();
}

std::optional<DisplayFleet::Delivery> DisplayFleet::delivery(std::string_view ticket_id) const {
  std::optional<Delivery> out;
  std::string key(ticket_id);
  for (const auto& s : shards_) {
    auto it = s->deliveries.find(key);
    if (it == s->deliveries.end() || it->second.displays == 0) continue;
    const Delivery& v = it->second;
    if (!out) {
      out = v;
      continue;
    }
    out->first_s = std::min(out->first_s, v.first_s);
    out->last_s = std::max(out->last_s, v.last_s);
    out->sum_s += v.sum_s;
    out->displays += v.displays;
  }
  return out;
}

DisplayFleet::Summary DisplayFleet::summary(std::uint32_t expected_calls) const {
  Summary out;
  out.requested = options_.count;
  for (const auto& s : shards_) {
    out.events += s->events;
    out.bytes += s->bytes;
    out.scan_mismatches += s->mismatches;
    for (const auto& [what, n] : s->errors) out.errors[what] += n;
    for (std::size_t k = 0; k < s->ids.size(); ++k) {
      const Display& d = s->displays[k];
      std::uint8_t state = d.state.load();
      if (state == kFailed || state == kConnecting) {
        ++out.failed;
        continue;
      }
      if (state == kLive) ++out.live;
      if (state == kClosed) ++out.closed_early;
      if (d.gaps > 0) ++out.with_gaps;
      if (d.snapshots > 1) ++out.resynced;
      if (state != kLive || d.gaps > 0 || d.snapshots > 1 || d.calls.load() < expected_calls) ++out.left_behind;
    }
  }
  return out;
}

nlohmann::json DisplayFleet::Summary::to_json() const {
  return {{"requested", requested},   {"live_at_end", live},   {"failed", failed},
          {"closed_early", closed_early}, {"with_seq_gaps", with_gaps}, {"resynced", resynced},
          {"left_behind", left_behind}, {"events_read", events},  {"event_bytes_read", bytes},
          {"scan_mismatches", scan_mismatches}, {"errors", errors}};
}

}  // namespace hallq::bench
