#include "flat_kiosks.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/beast/core/string.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string_view>
#include <utility>

#include "channel.h"
#include "scan.h"
#include "ws_frames.h"

namespace hallq::bench {

namespace {

constexpr std::size_t kMaxHead = 64 * 1024;
constexpr std::uint64_t kMaxFrame = 1 << 20;  // a result is a ticket: a few hundred bytes

struct Pending {
  std::uint64_t id;  // the counter in the request id
  double sent_s;
};

struct Conn {
  int fd = -1;
  const FlatKiosk* kiosk = nullptr;
  std::size_t cursor = 0;
  std::string in;
  std::deque<Pending> pending;  // sent, not answered, oldest first
  double resume_at = 0;         // after "rate_limited" or "busy"
  bool resting = false;
  bool failed = false;  // this kiosk stops
};

int connect_to(const boost::asio::ip::tcp::endpoint& ep, std::string& error) {
  const int fd = ::socket(ep.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  if (::connect(fd, ep.data(), socklen_t(ep.size())) != 0) {
    error = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// The sockets block on writes: a kiosk's requests are a few KiB, which a socket takes whole.
bool send_all(int fd, std::string_view bytes, std::string& error) {
  for (std::size_t off = 0; off < bytes.size();) {
    const ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = std::string("write: ") + std::strerror(errno);
      return false;
    }
    off += std::size_t(n);
  }
  return true;
}

enum class Parse { need_more, ok, bad };

// Takes one whole HTTP answer off the front of `in`.
Parse take_answer(std::string& in, int& status, std::string& body, bool& closes) {
  const std::size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos) return in.size() > kMaxHead ? Parse::bad : Parse::need_more;
  if (in.compare(0, 5, "HTTP/") != 0) return Parse::bad;
  const std::string_view head(in.data(), end);
  const std::size_t space = head.find(' ');
  if (space == std::string_view::npos) return Parse::bad;
  status = std::atoi(in.c_str() + space + 1);
  std::size_t length = std::string::npos;
  closes = false;
  for (std::size_t at = head.find("\r\n"); at != std::string_view::npos && at < head.size();) {
    const std::size_t next = head.find("\r\n", at + 2);
    const std::string_view line = head.substr(at + 2, (next == std::string_view::npos ? head.size() : next) - at - 2);
    at = next;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (boost::beast::iequals(line.substr(0, colon), "content-length")) length = std::strtoull(std::string(value).c_str(), nullptr, 10);
    if (boost::beast::iequals(line.substr(0, colon), "connection") && value.find("close") != std::string_view::npos) closes = true;
  }
  if (length == std::string::npos) return Parse::bad;  // the hall server always sends it
  if (in.size() < end + 4 + length) return Parse::need_more;
  body.assign(in, end + 4, length);
  in.erase(0, end + 4 + length);
  return Parse::ok;
}

// Blocking, before the loop: the upgrade, then a command-only hello and its welcome. Returns ""
// or what went wrong: the server's code for a refused hello, "transport: ..." otherwise.
std::string open_websocket(Conn& c, const boost::asio::ip::tcp::endpoint& server) {
  std::string error;
  c.fd = connect_to(server, error);
  if (c.fd < 0) return "transport: " + error;
  timeval tv{10, 0};  // a server that never answers the upgrade or the hello
  ::setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  auto read_more = [&]() -> bool {
    char chunk[4096];
    const ssize_t n = ::recv(c.fd, chunk, sizeof chunk, 0);
    if (n <= 0) {
      error = n == 0 ? "the server closed the connection" : std::string(std::strerror(errno));
      return false;
    }
    c.in.append(chunk, std::size_t(n));
    return true;
  };
  const std::string upgrade = ws::upgrade_request(server, "hallq-kiosk-0001");
  if (!send_all(c.fd, upgrade, error)) return "transport: " + error;
  std::size_t end;
  while ((end = c.in.find("\r\n\r\n")) == std::string::npos)
    if (c.in.size() > kMaxHead || !read_more()) return "transport: upgrade: " + error;
  if (c.in.compare(0, 12, "HTTP/1.1 101") != 0) return "transport: upgrade refused: " + c.in.substr(0, c.in.find("\r\n"));
  c.in.erase(0, end + 4);

  std::string hello;
  ws::append_client_frame(hello, 0x1,
                  nlohmann::json{{"type", "hello"}, {"token", c.kiosk->token}, {"events", false}}.dump());
  if (!send_all(c.fd, hello, error)) return "transport: " + error;
  for (;;) {
    std::size_t at = 0;
    ws::Frame f;
    const ws::Take took = ws::take_server_frame(c.in, at, kMaxFrame, f, error);
    if (took == ws::Take::bad) return "transport: hello: " + error;
    if (took == ws::Take::need_more) {
      if (!read_more()) return "transport: hello: " + error;
      continue;
    }
    const std::string_view m = f.payload;
    if (f.opcode == 0x1 && find(m, R"("type":"welcome")") != std::string_view::npos) {
      c.in.erase(0, at);
      break;
    }
    if (f.opcode == 0x1 && find(m, R"("type":"error")") != std::string_view::npos) return std::string(string_field(m, "code"));
    if (f.opcode == 0x8) return "transport: hello: closed by the server";
    c.in.erase(0, at);
  }
  timeval none{0, 0};
  ::setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
  return "";
}

}  // namespace

FlatIssueResult issue_flat_out(const boost::asio::ip::tcp::endpoint& server, const std::vector<FlatKiosk>& kiosks,
                               const FlatIssue& plan, std::atomic<std::size_t>* acked_live) {
  FlatIssueResult r;
  const bool over_ws = plan.transport == Transport::ws;
  const std::size_t in_flight = over_ws ? std::max<std::size_t>(plan.in_flight, 1) : 1;
  const std::string host = server.address().to_string();
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) {
    ++r.errors[std::string("transport: epoll: ") + std::strerror(errno)];
    return r;
  }
  std::vector<Conn> conns(kiosks.size());
  std::vector<Conn*> resting;  // waiting out a rate limit
  std::size_t owed = 0;        // answers, over all connections
  std::uint64_t counter = 0;

  auto close_conn = [&](Conn& c) {
    if (c.fd < 0) return;
    ::epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    c.fd = -1;
    c.in.clear();
  };
  auto fail = [&](Conn& c, const std::string& why) {
    ++r.errors["transport: " + why];
    c.failed = true;
    owed -= c.pending.size();
    c.pending.clear();
    close_conn(c);
  };
  auto watch = [&](Conn& c) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &c;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
  };
  // Tops the kiosk up to its commands in flight, in one write.
  auto send_more = [&](Conn& c) {
    if (c.failed) return;
    std::string out;
    const double now = now_s();
    while (c.pending.size() < in_flight && r.started < plan.limit && now < plan.deadline_s) {
      if (c.fd < 0) {
        if (over_ws) return;  // a WebSocket kiosk that lost its connection is done
        std::string error;  // HTTP: the server said "close" after the last answer
        c.fd = connect_to(server, error);
        if (c.fd < 0) return fail(c, error);
        watch(c);
      }
      const std::string& service = c.kiosk->services[c.cursor++ % c.kiosk->services.size()];
      const std::string id = plan.id_prefix + std::to_string(++counter);
      const std::string fields = R"("service":")" + service + '"';
      if (over_ws) ws::append_client_frame(out, 0x1, ws_command_message("issue", 0, id, fields));
      else out += http_request_text("POST", "/api/tickets", host, c.kiosk->token, http_command_body(id, fields));
      ++r.started;
      if (r.first_sent_s == 0) r.first_sent_s = now;
      c.pending.push_back(Pending{counter, now});
      ++owed;
    }
    std::string error;
    if (!out.empty() && !send_all(c.fd, out, error)) fail(c, error);
  };
  // A refusal that asks for patience ("rate_limited", "busy") rests the kiosk.
  auto answered = [&](Conn& c, const Pending& p, int status, const std::string& body) {
    const double t = now_s();
    --owed;
    if (status >= 200 && status < 300) {
      ++r.acked;
      if (acked_live) acked_live->fetch_add(1, std::memory_order_relaxed);
      r.latency.add((t - p.sent_s) * 1000);
      r.last_ack_s = t;
      return;
    }
    const std::string name = Reply{status, body, ""}.error_code();
    ++r.errors[name];
    if (name == "rate_limited" || name == "busy") {
      c.resume_at = t + 0.01;
      if (!std::exchange(c.resting, true)) resting.push_back(&c);
    }
  };
  // The WebSocket frames read so far; false if the connection is to be closed.
  auto take_frames = [&](Conn& c) {
    std::size_t at = 0;
    bool open = true;
    for (;;) {
      ws::Frame f;
      std::string why;
      const ws::Take took = ws::take_server_frame(c.in, at, kMaxFrame, f, why);
      if (took == ws::Take::need_more) break;
      if (took == ws::Take::bad) {
        fail(c, "read: " + why);
        return false;
      }
      const int opcode = f.opcode;
      const std::string_view m = f.payload;
      if (opcode == 0x8) {
        open = false;
        break;
      }
      if (opcode == 0x9) {  // a ping: its pong carries the same bytes
        std::string pong, error;
        ws::append_client_frame(pong, 0xA, m);
        if (!send_all(c.fd, pong, error)) {
          fail(c, error);
          return false;
        }
        continue;
      }
      if (opcode != 0x1) continue;
      if (find(m, R"("type":"result")") == std::string_view::npos) {
        // Not an answer: the server found fault with a message ({"type":"error"}).
        if (find(m, R"("type":"error")") != std::string_view::npos) ++r.errors[std::string(string_field(m, "code"))];
        continue;
      }
      const std::string_view id = string_field(m, "request_id");
      const std::uint64_t n = id.size() > plan.id_prefix.size()
                                  ? std::strtoull(std::string(id.substr(plan.id_prefix.size())).c_str(), nullptr, 10)
                                  : 0;
      auto it = std::find_if(c.pending.begin(), c.pending.end(), [&](const Pending& q) { return q.id == n; });
      if (it == c.pending.end()) {
        ++r.errors["unexpected result"];
        continue;
      }
      const Pending p_sent = *it;
      c.pending.erase(it);
      const bool ok = find(m, R"("ok":true)") != std::string_view::npos;
      answered(c, p_sent, ok ? 200 : int(int_field(m, "status").value_or(0)), ok ? std::string() : std::string(m));
    }
    c.in.erase(0, at);
    return open;
  };

  for (std::size_t i = 0; i < kiosks.size(); ++i) {
    Conn& c = conns[i];
    c.kiosk = &kiosks[i];
    c.cursor = i;
    if (kiosks[i].services.empty()) {
      fail(c, "kiosk has no service");
      continue;
    }
    if (over_ws) {
      if (const std::string error = open_websocket(c, server); !error.empty()) {
        ++r.errors[error];
        c.failed = true;
        close_conn(c);
        continue;
      }
      watch(c);
    }
  }
  for (auto& c : conns) send_more(c);

  epoll_event events[256];
  char chunk[64 * 1024];
  const double give_up_s = plan.deadline_s + plan.drain_s;
  while (owed > 0 || !resting.empty()) {
    const double now = now_s();
    if (now >= give_up_s) {
      for (auto& c : conns)
        if (!c.pending.empty()) fail(c, "no answer within " + std::to_string(int(plan.drain_s)) + " s after the run");
      break;
    }
    double wake = give_up_s;
    for (std::size_t i = 0; i < resting.size();) {
      Conn& c = *resting[i];
      if (c.resume_at <= now) {
        resting[i] = resting.back();
        resting.pop_back();
        c.resting = false;
        send_more(c);
      } else {
        wake = std::min(wake, c.resume_at);
        ++i;
      }
    }
    const int timeout_ms = int(std::clamp((wake - now) * 1000, 1.0, 100.0));
    const int n = ::epoll_wait(ep, events, 256, timeout_ms);
    if (n < 0 && errno != EINTR) {
      ++r.errors[std::string("transport: epoll_wait: ") + std::strerror(errno)];
      break;
    }
    for (int e = 0; e < n; ++e) {
      Conn& c = *static_cast<Conn*>(events[e].data.ptr);
      if (c.fd < 0) continue;
      bool closed = false;
      for (;;) {
        const ssize_t got = ::recv(c.fd, chunk, sizeof chunk, MSG_DONTWAIT);
        if (got > 0) {
          c.in.append(chunk, std::size_t(got));
          continue;
        }
        if (got < 0 && errno == EINTR) continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        closed = true;  // end of stream or an error
        break;
      }
      if (over_ws) {
        if (!take_frames(c)) closed = true;
      } else {
        while (!c.pending.empty() && c.fd >= 0) {
          int status = 0;
          bool closes = false;
          std::string body;
          const Parse p = take_answer(c.in, status, body, closes);
          if (p == Parse::need_more) break;
          if (p == Parse::bad) {
            fail(c, "read: malformed answer");
            break;
          }
          const Pending sent = c.pending.front();
          c.pending.pop_front();
          answered(c, sent, status, body);
          if (closes) close_conn(c);  // the next request connects again
        }
      }
      if (c.fd >= 0 && closed) {
        if (!c.pending.empty()) fail(c, "read: the server closed the connection");
        else close_conn(c);
      }
      if (!c.resting) send_more(c);
    }
  }
  for (auto& c : conns) close_conn(c);
  ::close(ep);
  return r;
}

}  // namespace hallq::bench
