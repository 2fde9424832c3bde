#include "child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

namespace hallq::printer::testing {

using namespace std::chrono_literals;

Child& Child::operator=(Child&& o) noexcept {
  if (this != &o) {
    stop();
    pid_ = o.pid_;
    out_ = o.out_;
    o.pid_ = -1;
    o.out_ = -1;
  }
  return *this;
}

Child Child::spawn(const std::vector<std::string>& args, const std::string& log) {
  Child c;
  int p[2];
  if (args.empty() || ::pipe(p) != 0) return c;
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  c.pid_ = ::fork();
  if (c.pid_ == 0) {
    ::dup2(p[1], 1);
    const int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (err >= 0) ::dup2(err, 2);
    ::close(p[0]);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(p[1]);
  if (c.pid_ < 0) {
    ::close(p[0]);
    return c;
  }
  c.out_ = p[0];
  ::fcntl(c.out_, F_SETFL, O_NONBLOCK);
  return c;
}

void Child::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int st = 0;
    for (int i = 0; i < 50 && ::waitpid(pid_, &st, WNOHANG) == 0; ++i) std::this_thread::sleep_for(100ms);
    if (::waitpid(pid_, &st, WNOHANG) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &st, 0);
    }
    pid_ = -1;
  }
  if (out_ >= 0) ::close(out_);
  out_ = -1;
}

std::string Child::read_line(std::chrono::milliseconds timeout) {
  std::string line;
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (out_ >= 0 && std::chrono::steady_clock::now() < until) {
    char c;
    const ssize_t n = ::read(out_, &c, 1);
    if (n == 1) {
      if (c == '\n') return line;
      line += c;
    } else if (n == 0) {
      break;  // it closed stdout (exited)
    } else {
      std::this_thread::sleep_for(10ms);
    }
  }
  return line;
}

int start_server(Child& child, const std::string& server_bin, const std::string& data_dir, const std::string& log,
                 std::chrono::milliseconds timeout) {
  child = Child::spawn({server_bin, "--data", data_dir, "--listen", "127.0.0.1:0", "--always-open"}, log);
  if (child.pid() < 0) return 0;
  const std::string listening = child.read_line(timeout);
  const auto colon = listening.rfind(':');
  if (listening.rfind("listening on", 0) != 0 || colon == std::string::npos) return 0;
  return std::atoi(listening.c_str() + colon + 1);
}

}  // namespace hallq::printer::testing
