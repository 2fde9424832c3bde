// Ports: the byte pipe to a printer, one interface over serial (termios), usblp device files,
// raw TCP port 9100 and plain files. Every write and read has a deadline: a stalled printer
// (usblp blocks forever in a blocking write) never hangs the agent. A port that failed can be
// opened again: USB replugged, serial adapter re-enumerated, network printer back.
// Not thread-safe: one thread uses a port.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "hallq/printer/device_spec.h"
#include "hallq/result.h"

namespace hallq::printer {

struct IoResult {
  enum class Kind { ok, timeout, closed, error };
  Kind kind = Kind::ok;
  std::size_t bytes = 0;   // written or read before the result
  std::string message;     // for people; empty when ok
  bool ok() const { return kind == Kind::ok; }
};

class Port {
 public:
  virtual ~Port() = default;
  // Opens (or reopens) the device. The error says what to check (permissions, cable, address).
  virtual Status open() = 0;
  virtual void close() = 0;
  virtual bool is_open() const = 0;
  // Writes every byte, or stops at the deadline (timeout) or when the device goes away
  // (closed: the port is then closed and must be opened again).
  virtual IoResult write(std::string_view bytes, std::chrono::milliseconds timeout) = 0;
  // Appends what arrives, at most `max` bytes, waiting up to `timeout` for the first byte.
  // timeout with bytes == 0 when nothing came.
  virtual IoResult read(std::string& out, std::size_t max, std::chrono::milliseconds timeout) = 0;
  // False when the printer can never answer (a file): status is then unknown, not "offline".
  virtual bool can_read() const = 0;
  // usblp only: the parallel-port style status from ioctl LPGETSTATUS (0x20 = paper out).
  virtual std::optional<int> lp_status() { return std::nullopt; }
  virtual std::string describe() const = 0;
};

std::unique_ptr<Port> make_port(const DeviceSpec& spec);

}  // namespace hallq::printer
