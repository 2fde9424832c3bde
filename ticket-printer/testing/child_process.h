// Test and benchmark support: the real programs (hallq-server, hallq-printer) as child
// processes, stdout on a pipe (the server's "listening on" line), stderr to a log file.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace hallq::printer::testing {

class Child {
 public:
  Child() = default;
  Child(Child&& o) noexcept : pid_(o.pid_), out_(o.out_) { o.pid_ = -1; o.out_ = -1; }
  Child& operator=(Child&& o) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() { stop(); }

  // args[0] is the program's path. pid() < 0 if it could not be started.
  static Child spawn(const std::vector<std::string>& args, const std::string& log);
  // SIGTERM, then SIGKILL after 5 s; waits for it.
  void stop();
  pid_t pid() const { return pid_; }
  // The next line of its stdout without the newline; "" on timeout.
  std::string read_line(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  int out_ = -1;
};

// Starts hallq-server on 127.0.0.1 port 0 with the sample hall, always open, data in data_dir.
// Returns its port, or 0 if it did not say "listening on" within the timeout.
int start_server(Child& child, const std::string& server_bin, const std::string& data_dir, const std::string& log,
                 std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace hallq::printer::testing
