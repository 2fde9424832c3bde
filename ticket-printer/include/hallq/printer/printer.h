// One printer: a Port plus its profile. Asks for status (DLE EOT 1-4, or LPGETSTATUS on usblp),
// sends a job in chunks that fit the printer's buffer, checking status between chunks, and
// clears the printer's buffers after an interrupted job so a resent ticket is not printed on
// top of the remains of the first try. Not thread-safe: the agent's printer thread owns it.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "hallq/printer/escpos.h"
#include "hallq/printer/port.h"
#include "hallq/printer/profile.h"
#include "hallq/printer/status.h"

namespace hallq::printer {

struct StatusReport {
  DeviceStatus status = DeviceStatus::offline;
  StatusFlags flags;
  bool answered = false;  // false: no answer (offline), or a port that cannot answer (file)
  std::string detail;     // for people
};

enum class JobOutcome {
  printed,      // every byte accepted and the printer still healthy afterwards
  not_ready,    // nothing sent: the printer is not ready (see status)
  interrupted,  // part sent, then a fault or stall: the printer was told to drop it; resend whole
};

struct SendResult {
  JobOutcome outcome = JobOutcome::not_ready;
  StatusReport status;  // the last status seen
  std::string reason;   // for people, when not printed
};

struct PrinterOptions {
  std::chrono::milliseconds write_timeout{3000};   // per chunk: longer means "stalled"
  std::chrono::milliseconds status_timeout{500};   // per DLE EOT answer
  std::chrono::milliseconds max_print_wait{4000};  // waiting for the paper to come out
};

class Printer {
 public:
  Printer(std::unique_ptr<Port> port, PrinterProfile profile, PrinterOptions options = {});

  // Opens the port if it is closed. Cheap when already open.
  Status connect();
  bool connected() const { return port_->is_open(); }
  StatusReport query_status();
  SendResult send(const EscPosJob& job);
  // Real-time "recover and clear buffers" (DLE ENQ 2) where the profile allows it.
  void clear_buffers();
  // Raw bytes (the test page), without the chunk checks.
  IoResult write_raw(const std::string& bytes);

  const PrinterProfile& profile() const { return profile_; }
  Port& port() { return *port_; }

 private:
  std::optional<std::uint8_t> ask(int n);

  // constant after construction
  std::unique_ptr<Port> port_;
  const PrinterProfile profile_;
  const PrinterOptions options_;
  StatusReader asb_;  // automatic status blocks, if the printer sends them unasked
};

}  // namespace hallq::printer
