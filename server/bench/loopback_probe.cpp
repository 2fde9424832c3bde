// hallq-loopback-probe: the floor under goal 1 on this machine. It does what goal 1 needs of the
// kernel and nothing else: one message of an event's size sent on each of N loopback TCP
// connections, R times a second, read on the other end with epoll. No HallQ, no Beast, no JSON:
// the time from an event's send to its arrival on the last connection is what no server can beat
// here while its displays share the machine. Two sender and two reader threads, like the server's
// I/O threads and the bench's readers. Linux only. Run by hand (docs/benchmarks.md).
//
//   hallq-loopback-probe [--connections 1000] [--rate 60] [--seconds 20] [--size 830]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "stats.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kThreads = 2;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "hallq-loopback-probe: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Reader {
  std::vector<int> fds;
  std::vector<std::size_t> received;       // bytes, per connection (index in fds)
  std::vector<double> last_arrival_s;      // per event: when its last message here arrived
  std::vector<std::uint32_t> arrivals;     // per event: messages here
};

}  // namespace

int main(int argc, char** argv) {
  std::size_t connections = 1000, size = 830;
  double rate = 60, seconds = 20;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> double {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "hallq-loopback-probe: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return std::atof(argv[++i]);
    };
    if (a == "--connections") connections = std::size_t(value());
    else if (a == "--rate") rate = value();
    else if (a == "--seconds") seconds = value();
    else if (a == "--size") size = std::size_t(value());
    else {
      std::fprintf(stderr, "usage: hallq-loopback-probe [--connections N] [--rate PER_S] [--seconds S] [--size BYTES]\n");
      return 2;
    }
  }
  if (connections < kThreads || rate <= 0 || seconds <= 0 || size == 0 || size > 65536) {
    std::fprintf(stderr, "hallq-loopback-probe: need connections >= 2, rate and seconds > 0, size 1..65536\n");
    return 2;
  }
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);

  int listener = socket(AF_INET, SOCK_STREAM, 0);
  if (listener < 0) die("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 || listen(listener, 4096) < 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) < 0)
    die("listen on 127.0.0.1");

  // The sending ends are the server's accepted sockets (TCP_NODELAY, as hallq-server sets).
  std::vector<int> senders[kThreads];
  Reader readers[kThreads];
  const auto events = std::size_t(rate * seconds);
  for (std::size_t c = 0; c < connections; ++c) {
    int client = socket(AF_INET, SOCK_STREAM, 0);
    if (client < 0 || connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) die("connect");
    int server = accept(listener, nullptr, nullptr);
    if (server < 0) die("accept");
    int one = 1;
    setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    senders[c % kThreads].push_back(server);
    readers[c % kThreads].fds.push_back(client);
  }
  for (Reader& r : readers) {
    r.received.assign(r.fds.size(), 0);
    r.last_arrival_s.assign(events, 0);
    r.arrivals.assign(events, 0);
  }

  const Clock::time_point start = Clock::now() + std::chrono::milliseconds(100);
  auto at = [&](std::size_t e) { return start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(e / rate)); };
  auto since_start = [&](Clock::time_point t) { return std::chrono::duration<double>(t - start).count(); };
  const double cpu_before = cpu_seconds();

  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {  // reader: epoll over its connections
      Reader& r = readers[t];
      int ep = epoll_create1(0);
      for (std::size_t i = 0; i < r.fds.size(); ++i) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = i;
        epoll_ctl(ep, EPOLL_CTL_ADD, r.fds[i], &ev);
      }
      std::vector<char> buffer(1 << 16);
      epoll_event ready[256];
      const std::size_t expected = events * size;
      std::size_t done = 0;
      const Clock::time_point give_up = at(events) + std::chrono::seconds(10);  // counted as incomplete
      while (done < r.fds.size() && !failed && Clock::now() < give_up) {
        int n = epoll_wait(ep, ready, 256, 1000);
        for (int k = 0; k < n; ++k) {
          std::size_t i = ready[k].data.u64;
          ssize_t got = recv(r.fds[i], buffer.data(), buffer.size(), MSG_DONTWAIT);
          if (got <= 0) continue;
          const double now = since_start(Clock::now());
          const std::size_t before = r.received[i];
          r.received[i] += std::size_t(got);
          for (std::size_t e = before / size; e < r.received[i] / size && e < events; ++e) {
            r.last_arrival_s[e] = std::max(r.last_arrival_s[e], now);
            ++r.arrivals[e];
          }
          if (before < expected && r.received[i] >= expected) ++done;
        }
      }
      close(ep);
    });
    threads.emplace_back([&, t] {  // sender: every event to each of its connections, on time
      std::vector<char> message(size, 'x');
      for (std::size_t e = 0; e < events && !failed; ++e) {
        std::this_thread::sleep_until(at(e));
        for (int fd : senders[t]) {
          for (std::size_t sent = 0; sent < size;) {
            ssize_t n = send(fd, message.data() + sent, size - sent, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
              failed = true;
              return;
            }
            sent += std::size_t(n);
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  if (failed) die("send");
  const double cpu = cpu_seconds() - cpu_before;

  hallq::bench::LatencySamples to_all_ms;  // the nearest-rank percentiles hallq-bench reports
  std::size_t incomplete = 0;
  for (std::size_t e = 0; e < events; ++e) {
    double last = 0;
    std::size_t n = 0;
    for (const Reader& r : readers) {
      last = std::max(last, r.last_arrival_s[e]);
      n += r.arrivals[e];
    }
    if (n != connections) ++incomplete;
    to_all_ms.add((last - double(e) / rate) * 1000);
  }
  std::printf("loopback floor: %zu connections, %.0f events/s of %zu bytes, %zu events\n", connections, rate, size, events);
  std::printf("  send to last arrival ms: p50 %.2f  p99 %.2f  max %.2f%s\n", to_all_ms.percentile(50), to_all_ms.percentile(99), to_all_ms.max(),
              incomplete ? "  (some events incomplete!)" : "");
  std::printf("  CPU per message (sender + reader, user + kernel): %.2f us\n", cpu * 1e6 / double(events * connections));
  return incomplete ? 1 : 0;
}
