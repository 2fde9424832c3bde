#include "fake_printer.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>

#include "hallq/printer/text_codec.h"

namespace hallq::printer::testing {

namespace {

std::string hexbyte(unsigned char b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", b);
  return buf;
}

}  // namespace

std::optional<Token> Tokenizer::next() {
  if (!error_.empty() || buf_.empty()) return std::nullopt;
  auto at = [&](std::size_t i) { return static_cast<unsigned char>(buf_[i]); };
  auto take = [&](std::size_t n, Token::Kind k, std::string name) -> std::optional<Token> {
    if (buf_.size() < n) return std::nullopt;  // wait for the rest
    Token t{k, buf_.substr(0, n), std::move(name)};
    buf_.erase(0, n);
    consumed_ += n;
    return t;
  };
  auto fail = [&](std::string what) -> std::optional<Token> {
    error_ = what + " at offset " + std::to_string(consumed_);
    return std::nullopt;
  };
  const unsigned char b = at(0);
  if (b == 0x10) {
    if (buf_.size() < 3) return std::nullopt;
    if (at(1) == 0x04) return take(3, Token::Kind::realtime, "DLE EOT");
    if (at(1) == 0x05) return take(3, Token::Kind::realtime, "DLE ENQ");
    return fail("unknown DLE " + hexbyte(at(1)));
  }
  if (b == 0x1B) {
    if (buf_.size() < 2) return std::nullopt;
    const char c = buf_[1];
    if (c == '@') {
      chinese_ = false;
      return take(2, Token::Kind::command, "ESC @");
    }
    if (c == '2') return take(2, Token::Kind::command, "ESC 2");
    if (std::string("aEd!tM3J-G").find(c) != std::string::npos) return take(3, Token::Kind::command, std::string("ESC ") + c);
    return fail("unknown ESC " + hexbyte(at(1)));
  }
  if (b == 0x1C) {
    if (buf_.size() < 2) return std::nullopt;
    if (buf_[1] == '&') { chinese_ = true; return take(2, Token::Kind::command, "FS &"); }
    if (buf_[1] == '.') { chinese_ = false; return take(2, Token::Kind::command, "FS ."); }
    if (buf_[1] == 'C' || buf_[1] == '!') return take(3, Token::Kind::command, std::string("FS ") + buf_[1]);
    return fail("unknown FS " + hexbyte(at(1)));
  }
  if (b == 0x1D) {
    if (buf_.size() < 2) return std::nullopt;
    const char c = buf_[1];
    if (c == '!' || c == 'a' || c == 'B') return take(3, Token::Kind::command, std::string("GS ") + c);
    if (c == 'L' || c == 'W') return take(4, Token::Kind::command, std::string("GS ") + c);
    if (c == 'V') {
      if (buf_.size() < 3) return std::nullopt;
      const unsigned char m = at(2);
      if (m == 65 || m == 66) return take(4, Token::Kind::command, "GS V");
      if (m == 0 || m == 1 || m == 48 || m == 49) return take(3, Token::Kind::command, "GS V");
      return fail("bad GS V mode " + hexbyte(m));
    }
    if (c == '(') {
      if (buf_.size() < 5) return std::nullopt;
      if (buf_[2] != 'k') return fail("unknown GS ( " + hexbyte(at(2)));
      return take(5 + at(3) + 256u * at(4), Token::Kind::command, "GS ( k");
    }
    if (c == 'v') {
      if (buf_.size() < 8) return std::nullopt;
      if (buf_[2] != '0') return fail("unknown GS v " + hexbyte(at(2)));
      const std::size_t x = at(4) + 256u * at(5), y = at(6) + 256u * at(7);
      return take(8 + x * y, Token::Kind::command, "GS v 0");
    }
    return fail("unknown GS " + hexbyte(at(1)));
  }
  // Text: printable ASCII and LF; two-byte GB codes only inside FS & ... FS .
  std::size_t n = 0;
  while (n < buf_.size()) {
    const unsigned char c = at(n);
    if (c == '\n' || (c >= 0x20 && c < 0x7F)) { ++n; continue; }
    if (c >= 0x81 && c != 0xFF) {
      if (!chinese_) {
        if (n > 0) break;
        return fail("non-ASCII byte " + hexbyte(c) + " outside FS & ... FS .");
      }
      if (n + 1 >= buf_.size()) break;  // second byte not here yet
      const unsigned char c2 = at(n + 1);
      if (c2 < 0x40 || c2 == 0x7F || c2 == 0xFF) return fail("bad GB trail byte " + hexbyte(c2));
      n += 2;
      continue;
    }
    break;
  }
  if (n == 0) {
    if (b >= 0x81 && chinese_) return std::nullopt;  // a lead byte waiting for its trail
    return fail("byte " + hexbyte(b) + " is no known command");
  }
  return take(n, Token::Kind::text, "text");
}

std::vector<PrintedTicket> print_stream(const std::string& bytes, std::string* error) {
  Tokenizer tok;
  tok.feed(bytes);
  std::vector<PrintedTicket> out;
  PrintedTicket cur;
  std::string line;
  bool last_image = false;
  while (auto t = tok.next()) {
    struct Track { bool& flag; bool now; ~Track() { flag = now; } } track{last_image, t->name == "GS v 0"};
    if (t->name == "ESC @") { cur = {}; line.clear(); }
    else if (t->kind == Token::Kind::text) {
      for (char c : t->bytes) {
        if (c == '\n') { cur.text += decode_gb(line) + "\n"; line.clear(); }
        else line += c;
      }
    } else if (t->name == "GS ( k" && t->bytes.size() > 8 && t->bytes[6] == 0x50) {
      cur.qr = t->bytes.substr(8);
    } else if (t->name == "GS v 0") {
      if (!last_image) cur.text += "[image]\n";  // bands of one image count once
    } else if (t->name == "GS V") {
      cur.cut = true;
      out.push_back(cur);
      cur = {};
    }
  }
  if (error) *error = tok.error();
  if (tok.error().empty() && (!cur.text.empty() || !cur.qr.empty())) out.push_back(cur);  // no cutter
  return out;
}

std::unique_ptr<FakePrinter> FakePrinter::on_pty() {
  std::unique_ptr<FakePrinter> p(new FakePrinter());
  int master = -1, slave = -1;
  char name[256] = {};
  if (::openpty(&master, &slave, name, nullptr, nullptr) != 0) return nullptr;
  termios t{};
  ::tcgetattr(slave, &t);
  ::cfmakeraw(&t);
  ::tcsetattr(slave, TCSANOW, &t);
  // Keep our own slave descriptor open: the master then never reads EIO while the agent
  // closes and reopens the port, as a real serial line would not.
  p->listen_fd_ = slave;
  ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
  p->fd_ = master;
  p->slave_path_ = name;
  ::pipe(p->wake_);
  p->thread_ = std::thread([q = p.get()] { q->run(); });
  return p;
}

std::unique_ptr<FakePrinter> FakePrinter::on_tcp() {
  std::unique_ptr<FakePrinter> p(new FakePrinter());
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(s, 4) != 0) return nullptr;
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  p->port_ = ntohs(a.sin_port);
  p->listen_fd_ = s;
  p->port_ = ntohs(a.sin_port);
  ::pipe(p->wake_);
  p->thread_ = std::thread([q = p.get()] { q->run(); });
  return p;
}

FakePrinter::~FakePrinter() {
  stop_ = true;
  if (wake_[1] >= 0) ::write(wake_[1], "x", 1);
  if (thread_.joinable()) thread_.join();
  for (int fd : {fd_, listen_fd_, wake_[0], wake_[1]})
    if (fd >= 0) ::close(fd);
}

void FakePrinter::run() {
  const bool tcp = port_ != 0;
  while (!stop_) {
    pollfd fds[2];
    int n = 0;
    bool readable;
    int fd;
    {
      std::lock_guard lock(mu_);
      readable = !stalled_ && pending_bytes_ < buffer_limit_;
      fd = fd_;
    }
    fds[n++] = pollfd{wake_[0], POLLIN, 0};
    if (tcp && fd < 0) fds[n++] = pollfd{listen_fd_, POLLIN, 0};
    else if (readable && fd >= 0) fds[n++] = pollfd{fd, POLLIN, 0};
    if (::poll(fds, static_cast<nfds_t>(n), 20) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      char drain[64];
      ::read(wake_[0], drain, sizeof drain);
    }
    if (n < 2 || !fds[1].revents) continue;
    if (tcp && fd < 0) {
      const int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      std::lock_guard lock(mu_);
      fd_ = c;
      tok_ = Tokenizer{};  // a new connection starts a new stream
      continue;
    }
    char buf[512];
    const ssize_t got = ::read(fd, buf, sizeof buf);
    std::lock_guard lock(mu_);
    if (got <= 0) {
      if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
        if (tcp) { ::close(fd_); fd_ = -1; }
      }
      continue;
    }
    std::size_t use = static_cast<std::size_t>(got);
    bool drop = false;
    if (disconnect_after_) {
      if (use >= *disconnect_after_) { use = *disconnect_after_; drop = true; disconnect_after_.reset(); }
      else *disconnect_after_ -= use;
    }
    if (stall_after_) {
      if (use >= *stall_after_) {
        // Keep what is beyond the limit for later: the printer hangs, it does not lose bytes.
        held_.append(buf + *stall_after_, use - *stall_after_);
        use = *stall_after_;
        stall_after_.reset();
        stalled_ = true;
      } else {
        *stall_after_ -= use;
      }
    }
    received_ += use;
    tok_.feed(std::string(buf, use));
    while (auto t = tok_.next()) handle(*t);
    if (!tok_.error().empty() && error_.empty()) error_ = tok_.error();
    if (drop && tcp) {
      linger l{1, 0};  // reset, like a printer switched off
      ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      ::close(fd_);
      fd_ = -1;
    }
  }
}

std::uint8_t FakePrinter::status_byte(int n) const {
  switch (state_) {
    case State::healthy: return 0x12;
    case State::paper_out: { static const std::uint8_t b[] = {0x1A, 0x32, 0x12, 0x7E}; return b[(n - 1) & 3]; }
    case State::cover_open: { static const std::uint8_t b[] = {0x1A, 0x16, 0x12, 0x12}; return b[(n - 1) & 3]; }
    case State::offline_silent: return 0;
  }
  return 0;
}

void FakePrinter::handle(const Token& t) {
  if (t.kind == Token::Kind::realtime) {
    const int n = static_cast<unsigned char>(t.bytes[2]);
    if (t.name == "DLE EOT") {
      ++queries_;
      if (const std::uint8_t b = status_byte(n); b != 0 && fd_ >= 0) ::write(fd_, &b, 1);
    } else if (n == 2) {  // DLE ENQ 2: drop what was not printed yet
      ++clears_;
      pending_.clear();
      pending_bytes_ = 0;
      if (in_ticket_) ++fragments_;
      in_ticket_ = false;
      current_ = {};
      line_.clear();
    }
    return;
  }
  if (t.name == "ESC @") arrivals_.push_back(std::chrono::steady_clock::now());
  pending_bytes_ += t.bytes.size();
  pending_.push_back(t);
  print_pending();
}

void FakePrinter::print_pending() {
  while (state_ == State::healthy && !pending_.empty()) {
    Token t = std::move(pending_.front());
    pending_.erase(pending_.begin());
    pending_bytes_ -= t.bytes.size();
    print(t);
    if (paper_out_after_) {
      if (t.bytes.size() >= *paper_out_after_) {
        paper_out_after_.reset();
        state_ = State::paper_out;
      } else {
        *paper_out_after_ -= t.bytes.size();
      }
    }
  }
}

void FakePrinter::print(const Token& t) {
  struct Track { bool& flag; bool now; ~Track() { flag = now; } } track{last_image_, t.name == "GS v 0"};
  if (t.name == "ESC @") {
    if (in_ticket_ && (!current_.text.empty() || !line_.empty())) ++fragments_;
    in_ticket_ = true;
    current_ = {};
    line_.clear();
  } else if (t.kind == Token::Kind::text) {
    for (char c : t.bytes) {
      if (c == '\n') { current_.text += decode_gb(line_) + "\n"; line_.clear(); }
      else line_ += c;
    }
  } else if (t.name == "GS ( k" && t.bytes.size() > 8 && t.bytes[6] == 0x50) {
    current_.qr = t.bytes.substr(8);
  } else if (t.name == "GS v 0") {
    if (!last_image_) current_.text += "[image]\n";
  } else if (t.name == "GS V") {
    current_.cut = true;
    if (in_ticket_) done_.push_back(current_);
    in_ticket_ = false;
    current_ = {};
    cv_.notify_all();
  }
}

void FakePrinter::set_state(State s) {
  std::lock_guard lock(mu_);
  state_ = s;
  print_pending();
  ::write(wake_[1], "x", 1);
}

void FakePrinter::paper_out_after(std::size_t bytes) {
  std::lock_guard lock(mu_);
  paper_out_after_ = bytes;
}

void FakePrinter::set_stalled(bool stalled) {
  std::lock_guard lock(mu_);
  stalled_ = stalled;
  if (!stalled && !held_.empty()) {
    received_ += held_.size();
    tok_.feed(held_);
    held_.clear();
    while (auto t = tok_.next()) handle(*t);
  }
  ::write(wake_[1], "x", 1);
}

void FakePrinter::stall_after(std::size_t bytes) {
  std::lock_guard lock(mu_);
  stall_after_ = bytes;
}

void FakePrinter::disconnect_after(std::size_t bytes) {
  std::lock_guard lock(mu_);
  disconnect_after_ = bytes;
}

std::vector<PrintedTicket> FakePrinter::tickets() const { std::lock_guard l(mu_); return done_; }
int FakePrinter::fragments() const { std::lock_guard l(mu_); return fragments_; }
int FakePrinter::clears() const { std::lock_guard l(mu_); return clears_; }
int FakePrinter::status_queries() const { std::lock_guard l(mu_); return queries_; }
std::vector<std::chrono::steady_clock::time_point> FakePrinter::job_arrivals() const {
  std::lock_guard l(mu_);
  return arrivals_;
}
bool FakePrinter::stalled() const { std::lock_guard l(mu_); return stalled_; }
std::string FakePrinter::error() const { std::lock_guard l(mu_); return error_; }
std::size_t FakePrinter::received() const { std::lock_guard l(mu_); return received_; }

bool FakePrinter::wait_for_tickets(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return done_.size() >= n; });
}

}  // namespace hallq::printer::testing
