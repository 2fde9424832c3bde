#include "displays.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>
#include <unordered_map>

#include "scan.h"
#include "stats.h"
#include "ws_frames.h"

namespace hallq::bench {

namespace {
constexpr std::size_t kChecked = 20;            // events of the first display checked by a full parse
constexpr double kHandshakeSeconds = 30;        // connect to snapshot, or the display failed
constexpr std::uint64_t kMessageMax = 64u << 20;  // a frame longer than this is an error
constexpr std::size_t kHeaderMax = 16 * 1024;   // the HTTP answer to the upgrade
constexpr std::size_t kReadChunk = 256 * 1024;  // one recv() per wake-up takes up to this

enum State : std::uint8_t { kConnecting, kLive, kFailed, kClosed };
// Where a display is on its way to live: the TCP connect, the HTTP upgrade, then frames.
enum class Step : std::uint8_t { connect, upgrade, snapshot, live, done };

struct Display {
  std::atomic<std::uint32_t> calls{0};  // ticket_called events received
  std::atomic<std::uint8_t> state{kConnecting};
  // Only the shard's thread touches these.
  int fd = -1;
  Step step = Step::connect;
  double started_s = 0;
  std::string partial;  // bytes of a frame (or of the HTTP answer) not yet complete
  std::uint32_t gaps = 0;
  std::uint32_t snapshots = 0;
  std::uint64_t last_seq = 0;
};

// What a failure is reported as, by the step it happened at.
const char* step_name(Step s) {
  switch (s) {
    case Step::connect: return "connect";
    case Step::upgrade: return "handshake";
    case Step::snapshot: return "waiting for the snapshot";
    default: return "read";
  }
}

}  // namespace

struct DisplayFleet::Shard {
  const DisplayFleetOptions& options;
  std::atomic<int>& in_handshake;  // over all shards
  const std::atomic<bool>& stopping;
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
  std::size_t handshaking = 0;  // this shard's displays between connect and snapshot
  std::mt19937 random{std::random_device{}()};
  std::string upgrade_request;
  std::string hello;

  int epoll = -1;
  std::thread thread;

  Shard(const DisplayFleetOptions& o, std::atomic<int>& h, const std::atomic<bool>& s)
      : options(o), in_handshake(h), stopping(s) {}
  ~Shard() {
    for (std::size_t k = 0; k < ids.size(); ++k)
      if (displays[k].fd >= 0) ::close(displays[k].fd);
    if (epoll >= 0) ::close(epoll);
  }

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

  void left_handshake() {  // live, or failed on the way
    --handshaking;
    --in_handshake;
  }

  // The display is done with: a failure before it was live, or a close after.
  void finish(Display& d, const std::string& why) {
    error(why);
    if (d.step == Step::live) {
      d.state.store(kClosed);
      --live_count;
      ++closed_count;
    } else {
      d.state.store(kFailed);
      ++failed_count;
      left_handshake();
    }
    d.step = Step::done;
    if (d.fd >= 0) ::close(d.fd);  // also leaves the epoll set
    d.fd = -1;
    std::string().swap(d.partial);
  }

  bool send_all(Display& d, const std::string& bytes, const char* step) {
    // Small writes (the upgrade, a hello, a pong) on a socket that is not backed up.
    ssize_t n = ::send(d.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n == ssize_t(bytes.size())) return true;
    finish(d, std::string(step) + ": " + (n < 0 ? std::strerror(errno) : "short write"));
    return false;
  }

  void connect(std::size_t k) {
    Display& d = displays[k];
    d.started_s = now_s();
    ++handshaking;
    ++in_handshake;
    d.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (d.fd < 0) return finish(d, std::string("connect: ") + std::strerror(errno));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(options.server.port());
    addr.sin_addr.s_addr = htonl(options.server.address().to_v4().to_uint());
    if (::connect(d.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS)
      return finish(d, std::string("connect: ") + std::strerror(errno));
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.u64 = k;
    ::epoll_ctl(epoll, EPOLL_CTL_ADD, d.fd, &ev);
  }

  void on_connected(std::size_t k) {
    Display& d = displays[k];
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(d.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return finish(d, std::string("connect: ") + std::strerror(err));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = k;
    ::epoll_ctl(epoll, EPOLL_CTL_MOD, d.fd, &ev);
    d.step = Step::upgrade;
    send_all(d, upgrade_request, "handshake");
  }

  // The server's answer to the upgrade; the hello goes once it says 101 (a client sends nothing
  // before that, RFC 6455 4.1).
  void on_upgrade_bytes(Display& d, double at) {
    std::size_t end = d.partial.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (d.partial.size() > kHeaderMax) finish(d, "handshake: no end to the HTTP answer");
      return;
    }
    std::string_view status(d.partial.data(), d.partial.find("\r\n"));
    if (!status.starts_with("HTTP/1.1 101")) return finish(d, "handshake: " + std::string(status));
    d.partial.erase(0, end + 4);
    d.step = Step::snapshot;
    if (!send_all(d, hello, "hello")) return;
    if (!d.partial.empty()) {
      std::string rest = std::move(d.partial);
      d.partial.clear();
      frames(d, rest, at);
    }
  }

  void on_text(Display& d, std::string_view m, double at) {
    const bool first_display = &d == &displays[0];
    if (d.step == Step::live) return on_message(d, m, at, first_display);
    // Before the snapshot: the welcome, an error, or the snapshot itself.
    if (find(m, R"("type":"error")") != std::string_view::npos)
      return finish(d, "refused: " + std::string(string_field(m, "message")));
    if (find(m, R"("type":"snapshot")") == std::string_view::npos) return;
    on_message(d, m, at, first_display);
    d.step = Step::live;
    left_handshake();
    d.state.store(kLive);
    ++live_count;
  }

  // Whole frames out of `data`; an unfinished one waits in d.partial. HallQ's frames are
  // unmasked and never fragmented; anything else ends the display with the reason.
  void frames(Display& d, std::string_view data, double at) {
    std::size_t pos = 0;
    while (d.step != Step::done) {
      ws::Frame f;
      std::string why;
      const ws::Take took = ws::take_server_frame(data, pos, kMessageMax, f, why);
      if (took == ws::Take::need_more) break;
      if (took == ws::Take::bad) return finish(d, "read: " + why);
      if (f.opcode == 0x1) {
        on_text(d, f.payload, at);
      } else if (f.opcode == 0x2) {
        return finish(d, "read: a binary message");
      } else if (f.opcode == 0x9) {  // the server's keep-alive ping
        send_all(d, client_frame(0xA, f.payload), "pong");
      } else if (f.opcode == 0x8) {
        const std::string_view p = f.payload;
        const int code = p.size() >= 2 ? (std::uint8_t(p[0]) << 8) | std::uint8_t(p[1]) : 1005;
        std::string reason(p.size() > 2 ? p.substr(2) : std::string_view());
        return finish(d, "closed by the server: " + std::to_string(code) + " " + reason);
      }
    }
    if (d.step == Step::done) return;
    d.partial.assign(data.substr(pos));
  }

  // A client frame masked with a fresh key, as a browser's would be.
  std::string client_frame(std::uint8_t opcode, std::string_view payload) {
    std::string f;
    ws::append_client_frame(f, opcode, payload, std::uint32_t(random()));
    return f;
  }

  void on_readable(std::size_t k, std::vector<char>& chunk) {
    Display& d = displays[k];
    for (;;) {
      ssize_t n = ::recv(d.fd, chunk.data(), chunk.size(), 0);
      const double at = now_s();
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const std::string why = n == 0 ? "end of stream" : std::strerror(errno);
        return finish(d, std::string(step_name(d.step)) + ": " + why);
      }
      std::string_view got(chunk.data(), std::size_t(n));
      if (d.step == Step::upgrade) {
        d.partial.append(got);
        on_upgrade_bytes(d, at);
      } else if (d.partial.empty()) {
        frames(d, got, at);
      } else {
        d.partial.append(got);
        std::string joined = std::move(d.partial);
        d.partial.clear();
        frames(d, joined, at);
      }
      // A full chunk may have left more behind; otherwise wait for the next wake-up rather than
      // pay for a recv() that only says "nothing yet".
      if (std::size_t(n) < chunk.size() || d.step == Step::done) return;
    }
  }

  void time_out_handshakes() {
    const double now = now_s();
    for (std::size_t k = 0; k < ids.size(); ++k) {
      Display& d = displays[k];
      if (d.step != Step::live && d.step != Step::done && d.fd >= 0 && d.started_s > 0 && now - d.started_s > kHandshakeSeconds)
        finish(d, std::string(step_name(d.step)) + ": timed out");
    }
  }

  void run() {
    std::string key(16, '\0');
    for (char& c : key) c = char(random());
    upgrade_request = ws::upgrade_request(options.server, key);
    hello = client_frame(0x1, R"({"type":"hello","token":")" + options.token + R"("})");
    const int limit = int(std::max<std::size_t>(1, options.connect_concurrency));
    std::vector<char> chunk(kReadChunk);
    std::vector<epoll_event> ready(512);
    std::size_t next = 0;
    double last_timeout_check = now_s();
    while (!stopping.load(std::memory_order_relaxed)) {
      while (next < ids.size() && in_handshake.load() < limit) connect(next++);
      const int n = ::epoll_wait(epoll, ready.data(), int(ready.size()), next < ids.size() || handshaking ? 2 : 50);
      for (int i = 0; i < n; ++i) {
        const std::size_t k = ready[std::size_t(i)].data.u64;
        Display& d = displays[k];
        if (d.step == Step::done) continue;
        if (d.step == Step::connect) {
          on_connected(k);
          continue;
        }
        on_readable(k, chunk);
      }
      if (handshaking > 0 && now_s() - last_timeout_check > 1) {
        last_timeout_check = now_s();
        time_out_handshakes();
      }
    }
  }
};

DisplayFleet::DisplayFleet(DisplayFleetOptions options) : options_(std::move(options)) {}

DisplayFleet::~DisplayFleet() { stop(); }

void DisplayFleet::start() {
  const int n = std::max(1, options_.threads);
  for (int s = 0; s < n; ++s) {
    auto shard = std::make_unique<Shard>(options_, in_handshake_, stopping_);
    for (std::size_t i = std::size_t(s); i < options_.count; i += std::size_t(n)) shard->ids.push_back(i);
    shard->displays = std::make_unique<Display[]>(shard->ids.size());
    shard->check_parse = s == 0;
    shard->epoll = ::epoll_create1(EPOLL_CLOEXEC);
    if (shard->epoll < 0) {
      std::fprintf(stderr, "hallq-bench: epoll_create1: %s\n", std::strerror(errno));
      std::exit(1);
    }
    shards_.push_back(std::move(shard));
  }
  for (auto& shard : shards_) {
    Shard* s = shard.get();
    s->thread = std::thread([s] { s->run(); });
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
  stopping_ = true;
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
