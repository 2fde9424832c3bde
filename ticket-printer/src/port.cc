#include "hallq/printer/port.h"

#include <fcntl.h>
#include <linux/lp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hallq::printer {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

int ms_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

std::string errno_text(int e) { return std::strerror(e); }

// Shared by every port: a non-blocking file descriptor driven by poll().
class FdPort : public Port {
 public:
  ~FdPort() override { FdPort::close(); }
  void close() override {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool is_open() const override { return fd_ >= 0; }

  IoResult write(std::string_view bytes, milliseconds timeout) override {
    IoResult r;
    if (fd_ < 0) return IoResult{IoResult::Kind::closed, 0, describe() + " is not open"};
    const auto deadline = Clock::now() + timeout;
    while (r.bytes < bytes.size()) {
      pollfd p{fd_, POLLOUT, 0};
      const int n = ::poll(&p, 1, ms_left(deadline));
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) {
        r.kind = IoResult::Kind::timeout;
        r.message = describe() + ": printer accepted " + std::to_string(r.bytes) + " of " +
                    std::to_string(bytes.size()) + " bytes, then stalled";
        return r;
      }
      if (n < 0 || (p.revents & (POLLERR | POLLHUP | POLLNVAL))) return lost(r, n < 0 ? errno : EIO);
      const ssize_t w = socket_ ? ::send(fd_, bytes.data() + r.bytes, bytes.size() - r.bytes, MSG_NOSIGNAL)
                                : ::write(fd_, bytes.data() + r.bytes, bytes.size() - r.bytes);
      if (w < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
        return lost(r, errno);
      }
      r.bytes += static_cast<std::size_t>(w);
    }
    return r;
  }

  IoResult read(std::string& out, std::size_t max, milliseconds timeout) override {
    IoResult r;
    if (fd_ < 0) return IoResult{IoResult::Kind::closed, 0, describe() + " is not open"};
    const auto deadline = Clock::now() + timeout;
    while (true) {
      pollfd p{fd_, POLLIN, 0};
      const int n = ::poll(&p, 1, ms_left(deadline));
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) {
        r.kind = IoResult::Kind::timeout;
        return r;
      }
      if (n < 0 || (p.revents & (POLLERR | POLLNVAL))) return lost(r, n < 0 ? errno : EIO);
      char buf[256];
      const ssize_t got = ::read(fd_, buf, std::min(max, sizeof buf));
      if (got < 0) {
        if (errno == EAGAIN || errno == EINTR) {
          if (ms_left(deadline) == 0) { r.kind = IoResult::Kind::timeout; return r; }
          continue;
        }
        return lost(r, errno);
      }
      if (got == 0) {
        // End of file: the peer closed (TCP), or a usblp printer with nothing to say.
        if (socket_ || (p.revents & POLLHUP)) return lost(r, ECONNRESET);
        r.kind = IoResult::Kind::timeout;
        return r;
      }
      out.append(buf, static_cast<std::size_t>(got));
      r.bytes = static_cast<std::size_t>(got);
      return r;
    }
  }

 protected:
  IoResult lost(IoResult r, int err) {
    r.kind = IoResult::Kind::closed;
    r.message = describe() + ": " + errno_text(err) + " (device gone; will reopen)";
    close();
    return r;
  }
  int fd_ = -1;
  bool socket_ = false;
};

Status open_error(const std::string& what, const std::string& path, int e) {
  std::string hint;
  if (e == EACCES) hint = ": permission denied (add the agent's user to group lp or dialout, see docs/printer.md)";
  else if (e == ENOENT) hint = ": no such device (unplugged? check dmesg)";
  else if (e == EBUSY) hint = ": device busy (another program, e.g. CUPS, holds it)";
  else hint = ": " + errno_text(e);
  return make_error(ErrorCode::not_found, what + " " + path + hint);
}

speed_t speed_of(int baud) {
  switch (baud) {
    case 1200: return B1200;
    case 2400: return B2400;
    case 4800: return B4800;
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    case 460800: return B460800;
    case 921600: return B921600;
    default: return B9600;
  }
}

class SerialPort final : public FdPort {
 public:
  explicit SerialPort(DeviceSpec s) : spec_(std::move(s)) {}
  Status open() override {
    close();
    const int fd = ::open(spec_.path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return open_error("serial port", spec_.path, errno);
    termios t{};
    if (::tcgetattr(fd, &t) != 0) {
      const int e = errno;
      ::close(fd);
      return make_error(ErrorCode::not_found, "serial port " + spec_.path + " is not a terminal: " + errno_text(e));
    }
    ::cfmakeraw(&t);  // no echo, no line editing, no CR/LF translation: every byte as is
    ::cfsetispeed(&t, speed_of(spec_.baud));
    ::cfsetospeed(&t, speed_of(spec_.baud));
    t.c_cflag &= ~static_cast<tcflag_t>(PARENB | CSTOPB | CSIZE | CRTSCTS);
    t.c_cflag |= CS8 | CLOCAL | CREAD;  // 8N1
    t.c_iflag &= ~static_cast<tcflag_t>(IXON | IXOFF | IXANY);
    if (spec_.flow == FlowControl::rtscts) t.c_cflag |= CRTSCTS;
    if (spec_.flow == FlowControl::xonxoff) t.c_iflag |= IXON | IXOFF;
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    if (::tcsetattr(fd, TCSANOW, &t) != 0) {
      const int e = errno;
      ::close(fd);
      return make_error(ErrorCode::not_found, "serial port " + spec_.path + ": cannot set " + std::to_string(spec_.baud) + " 8N1: " + errno_text(e));
    }
    ::tcflush(fd, TCIFLUSH);  // stale status bytes from before would be misread as answers
    fd_ = fd;
    return ok_status();
  }
  bool can_read() const override { return true; }
  std::string describe() const override { return spec_.to_string(); }

 private:
  DeviceSpec spec_;
};

class UsbLpPort final : public FdPort {
 public:
  explicit UsbLpPort(DeviceSpec s) : spec_(std::move(s)) {}
  Status open() override {
    close();
    // O_NONBLOCK: usblp's write() otherwise blocks without limit while the printer is stalled.
    const int fd = ::open(spec_.path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return open_error("USB printer", spec_.path, errno);
    fd_ = fd;
    return ok_status();
  }
  bool can_read() const override { return true; }
  std::optional<int> lp_status() override {
    int st = 0;
    if (fd_ < 0 || ::ioctl(fd_, LPGETSTATUS, &st) != 0) return std::nullopt;
    return st;
  }
  std::string describe() const override { return spec_.to_string(); }

 private:
  DeviceSpec spec_;
};

class TcpPort final : public FdPort {
 public:
  explicit TcpPort(DeviceSpec s) : spec_(std::move(s)) { socket_ = true; }
  Status open() override {
    close();
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const std::string port = std::to_string(spec_.port);
    if (int e = ::getaddrinfo(spec_.host.c_str(), port.c_str(), &hints, &res); e != 0)
      return make_error(ErrorCode::not_found, "printer " + spec_.to_string() + ": cannot resolve host: " + gai_strerror(e));
    std::string last = "no address";
    for (addrinfo* a = res; a; a = a->ai_next) {
      const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) continue;
      int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
      if (rc != 0 && errno == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        rc = ::poll(&p, 1, 3000);
        int err = 0;
        socklen_t len = sizeof err;
        if (rc == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
          rc = 0;
        } else {
          last = rc == 0 ? "connect timed out after 3 s" : errno_text(err ? err : errno);
          rc = -1;
        }
      } else if (rc != 0) {
        last = errno_text(errno);
      }
      if (rc == 0) {
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // a ticket is latency-bound
        ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);  // notice a dead printer
        int idle = 10, intvl = 5, cnt = 3;
        ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
        ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
        ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
        fd_ = fd;
        ::freeaddrinfo(res);
        return ok_status();
      }
      ::close(fd);
    }
    ::freeaddrinfo(res);
    return make_error(ErrorCode::not_found, "printer " + spec_.to_string() + ": " + last);
  }
  bool can_read() const override { return true; }
  std::string describe() const override { return spec_.to_string(); }

 private:
  DeviceSpec spec_;
};

class FilePort final : public FdPort {
 public:
  explicit FilePort(DeviceSpec s) : spec_(std::move(s)) {}
  Status open() override {
    close();
    const int fd = ::open(spec_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK | O_CLOEXEC, 0644);
    if (fd < 0) return open_error("file", spec_.path, errno);
    fd_ = fd;
    return ok_status();
  }
  IoResult read(std::string&, std::size_t, milliseconds) override { return IoResult{IoResult::Kind::timeout, 0, {}}; }
  bool can_read() const override { return false; }
  std::string describe() const override { return spec_.to_string(); }

 private:
  DeviceSpec spec_;
};

}  // namespace

std::unique_ptr<Port> make_port(const DeviceSpec& spec) {
  switch (spec.kind) {
    case DeviceSpec::Kind::serial: return std::make_unique<SerialPort>(spec);
    case DeviceSpec::Kind::usb: return std::make_unique<UsbLpPort>(spec);
    case DeviceSpec::Kind::tcp: return std::make_unique<TcpPort>(spec);
    case DeviceSpec::Kind::file: return std::make_unique<FilePort>(spec);
  }
  return nullptr;
}

}  // namespace hallq::printer
