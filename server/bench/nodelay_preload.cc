// A diagnostic, not part of HallQ: preloaded into an unmodified hallq-server, it turns on
// TCP_NODELAY for every accepted connection, to measure what Nagle's algorithm costs:
//
//   LD_PRELOAD=build/.../server/bench/libhallq_nodelay_preload.so hallq-server ...
//
// (docs/benchmarks.md, "Nagle": small WebSocket writes wait for the client's delayed ACK.)
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace {

int set_nodelay(int fd) {
  if (fd < 0) return fd;
  sockaddr_storage local{};
  socklen_t len = sizeof local;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0 &&
      (local.ss_family == AF_INET || local.ss_family == AF_INET6)) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return fd;
}

}  // namespace

extern "C" int accept(int fd, sockaddr* addr, socklen_t* len) {
  using Fn = int (*)(int, sockaddr*, socklen_t*);
  static Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "accept"));
  return set_nodelay(real(fd, addr, len));
}

extern "C" int accept4(int fd, sockaddr* addr, socklen_t* len, int flags) {
  using Fn = int (*)(int, sockaddr*, socklen_t*, int);
  static Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "accept4"));
  return set_nodelay(real(fd, addr, len, flags));
}
