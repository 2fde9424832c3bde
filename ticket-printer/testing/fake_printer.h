// Test support: ESC/POS printers that are real peers on real file descriptors. The tokeniser
// knows every command HallQ may send and flags any other byte; the fake printer built on it
// answers DLE EOT from scripted states, holds data while out of paper, obeys DLE ENQ 2, can
// stall (stop reading) and counts the complete tickets it printed (ESC @ ... cut).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace hallq::printer::testing {

// One ESC/POS command or a run of text, as the printer would read it.
struct Token {
  enum class Kind { text, command, realtime };
  Kind kind = Kind::text;
  std::string bytes;  // the whole command (or the text bytes, FS & state not applied)
  std::string name;   // "ESC @", "GS ( k", "DLE EOT", "text", ...
};

// Incremental: feed bytes, take whole tokens. An unknown byte sets error() and stops.
class Tokenizer {
 public:
  void feed(const std::string& bytes) { buf_ += bytes; }
  std::optional<Token> next();
  const std::string& error() const { return error_; }
  std::size_t offset() const { return consumed_; }

 private:
  std::string buf_;
  std::size_t consumed_ = 0;
  bool chinese_ = false;  // between FS & and FS .
  std::string error_;
};

// What a complete ticket looked like on paper.
struct PrintedTicket {
  std::string text;  // decoded lines joined with '\n'
  std::string qr;    // the stored QR payload
  bool cut = false;
};

// Decodes a whole job stream into tickets (tests of the encoder alone).
std::vector<PrintedTicket> print_stream(const std::string& bytes, std::string* error);

class FakePrinter {
 public:
  enum class State { healthy, paper_out, cover_open, offline_silent };
  // Opens a pseudo-terminal: the agent side is slave_path().
  static std::unique_ptr<FakePrinter> on_pty();
  // Listens on 127.0.0.1:port (0 = any free port); accepts one connection at a time.
  static std::unique_ptr<FakePrinter> on_tcp();
  ~FakePrinter();

  std::string slave_path() const { return slave_path_; }
  int port() const { return port_; }

  void set_state(State s);
  // Paper runs out once this many more bytes of job data were printed (mid-ticket).
  void paper_out_after(std::size_t bytes);
  // Stops reading (the agent's writes stall once the kernel buffer is full).
  void set_stalled(bool stalled);
  // Stops reading once this many more bytes were received (a printer hung mid-job).
  void stall_after(std::size_t bytes);
  // TCP: drop the connection once this many more bytes were received.
  void disconnect_after(std::size_t bytes);
  void set_buffer_limit(std::size_t bytes) { buffer_limit_ = bytes; }

  std::vector<PrintedTicket> tickets() const;
  int fragments() const;     // tickets begun but never finished (cleared or abandoned)
  int clears() const;        // DLE ENQ 2 received
  int status_queries() const;
  std::string error() const;  // tokeniser error, if any
  bool stalled() const;
  // When each job's ESC @ arrived (before it was printed): for latency measurements.
  std::vector<std::chrono::steady_clock::time_point> job_arrivals() const;
  std::size_t received() const;
  // Waits until `n` complete tickets were printed or the timeout passed.
  bool wait_for_tickets(std::size_t n, std::chrono::milliseconds timeout) const;

 private:
  FakePrinter() = default;
  void run();
  void handle(const Token& t);   // guarded by mu_
  void print_pending();          // guarded by mu_
  void print(const Token& t);    // guarded by mu_
  std::uint8_t status_byte(int n) const;

  int fd_ = -1;         // pty master, or the accepted TCP connection
  int listen_fd_ = -1;  // TCP only
  int wake_[2] = {-1, -1};
  std::string slave_path_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  State state_ = State::healthy;
  bool stalled_ = false;
  std::optional<std::size_t> paper_out_after_;
  std::optional<std::size_t> disconnect_after_;
  std::optional<std::size_t> stall_after_;
  std::size_t buffer_limit_ = 4096;
  std::size_t received_ = 0;
  std::string held_;  // read past a stall point, processed when the stall ends
  Tokenizer tok_;
  std::vector<Token> pending_;  // received, not printed yet
  std::size_t pending_bytes_ = 0;
  PrintedTicket current_;
  bool in_ticket_ = false;
  bool chinese_ = false;
  bool last_image_ = false;
  std::string line_;
  std::vector<PrintedTicket> done_;
  std::vector<std::chrono::steady_clock::time_point> arrivals_;
  int fragments_ = 0;
  int clears_ = 0;
  int queries_ = 0;
  std::string error_;
};

}  // namespace hallq::printer::testing
