#include "http_kiosks.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string_view>

#include "channel.h"

namespace hallq::bench {

namespace {

constexpr std::size_t kMaxHead = 64 * 1024;

struct Conn {
  int fd = -1;
  const HttpKiosk* kiosk = nullptr;
  std::size_t cursor = 0;
  std::string in;
  double sent_s = 0;
  bool busy = false;     // a request is in flight
  double resume_at = 0;  // after "rate_limited" or "busy"
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

enum class Parse { need_more, ok, bad };

// Takes one whole answer off the front of `in`.
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

}  // namespace

HttpIssueResult issue_over_http(const boost::asio::ip::tcp::endpoint& server, const std::vector<HttpKiosk>& kiosks,
                                std::size_t limit, double deadline_s, double drain_s, const std::string& id_prefix,
                                std::atomic<std::size_t>* acked_live) {
  HttpIssueResult r;
  const std::string host = server.address().to_string();
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) {
    ++r.errors[std::string("transport: epoll: ") + std::strerror(errno)];
    return r;
  }
  std::vector<Conn> conns(kiosks.size());
  std::vector<Conn*> resting;  // waiting out a rate limit
  std::size_t busy = 0, counter = 0;

  auto close_conn = [&](Conn& c) {
    if (c.fd < 0) return;
    ::epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    c.fd = -1;
    c.in.clear();
  };
  auto fail = [&](Conn& c, const std::string& why) {
    ++r.errors["transport: " + why];
    if (c.busy) --busy;
    c.busy = false;
    close_conn(c);
  };
  auto send_next = [&](Conn& c) {
    const double now = now_s();
    if (r.started >= limit || now >= deadline_s) return;  // this kiosk is done
    if (c.fd < 0) {
      std::string error;
      c.fd = connect_to(server, error);
      if (c.fd < 0) return fail(c, error);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.ptr = &c;
      ::epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    }
    const std::string& service = c.kiosk->services[c.cursor++ % c.kiosk->services.size()];
    const std::string request = http_request_text(
        "POST", "/api/tickets", host, c.kiosk->token,
        http_command_body(id_prefix + std::to_string(++counter), R"("service":")" + service + '"'));
    ++r.started;
    if (r.first_sent_s == 0) r.first_sent_s = now;
    c.sent_s = now;
    c.busy = true;
    ++busy;
    // A few hundred bytes into a socket with nothing else in flight: the send takes them whole.
    for (std::size_t off = 0; off < request.size();) {
      const ssize_t n = ::send(c.fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail(c, std::string("write: ") + std::strerror(errno));
      off += std::size_t(n);
    }
  };
  auto answered = [&](Conn& c, int status, const std::string& body) {
    const double t = now_s();
    c.busy = false;
    --busy;
    if (status >= 200 && status < 300) {
      ++r.acked;
      if (acked_live) acked_live->fetch_add(1, std::memory_order_relaxed);
      r.latency.add((t - c.sent_s) * 1000);
      r.last_ack_s = t;
      return true;
    }
    const std::string name = Reply{status, body}.error_code();
    ++r.errors[name];
    if (name == "rate_limited" || name == "busy") {
      c.resume_at = t + 0.01;
      resting.push_back(&c);
      return false;
    }
    return true;
  };

  for (std::size_t i = 0; i < kiosks.size(); ++i) {
    conns[i].kiosk = &kiosks[i];
    conns[i].cursor = i;
    if (kiosks[i].services.empty()) {
      fail(conns[i], "kiosk has no service");
      continue;
    }
    send_next(conns[i]);
  }

  epoll_event events[256];
  char chunk[16 * 1024];
  const double give_up_s = deadline_s + drain_s;
  while (busy > 0 || !resting.empty()) {
    const double now = now_s();
    if (now >= give_up_s) {
      for (auto& c : conns)
        if (c.busy) fail(c, "no answer within " + std::to_string(int(drain_s)) + " s after the run");
      break;
    }
    double wake = give_up_s;
    for (std::size_t i = 0; i < resting.size();) {
      Conn& c = *resting[i];
      if (c.resume_at <= now) {
        resting[i] = resting.back();
        resting.pop_back();
        send_next(c);
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
      while (c.busy && c.fd >= 0) {
        int status = 0;
        bool closes = false;
        std::string body;
        const Parse p = take_answer(c.in, status, body, closes);
        if (p == Parse::need_more) break;
        if (p == Parse::bad) {
          fail(c, "read: malformed answer");
          break;
        }
        const bool go_on = answered(c, status, body);
        if (closes) close_conn(c);  // the next request connects again
        if (go_on) send_next(c);
      }
      if (closed && c.fd >= 0) {
        if (c.busy) fail(c, "read: the server closed the connection");
        else close_conn(c);
      }
    }
  }
  for (auto& c : conns) close_conn(c);
  ::close(ep);
  return r;
}

}  // namespace hallq::bench
