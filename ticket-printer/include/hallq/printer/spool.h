// The print spool: every ticket to print is a small JSON file on the agent's disk before the
// agent tries to print it, so an agent restart, a printer out of paper or a dead USB cable
// loses no ticket. Printed tickets leave a record that makes a repeated request (a reconnect's
// snapshot, a server retry) a no-op; only an explicit reprint prints a ticket again, and one
// reprint request prints once however often it arrives.
// Thread-safe: every public member takes the spool's mutex.
//
// Layout of the directory:
//   queue/<seq>.json     one job each: waiting, or failed (kept for a reprint)
//   printed/<id>.json    per ticket: when, how many copies, which jobs (seqs) they were
// Each file is written to a temporary name, fsynced and renamed, then the directory fsynced.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "hallq/printer/layout.h"
#include "hallq/result.h"

namespace hallq::printer {

struct SpoolJob {
  std::uint64_t seq = 0;      // order of arrival; also the job's file name
  TicketInfo ticket;
  std::string lang;
  bool reprint = false;       // asked for explicitly (server or staff)
  std::string request_id;     // a reprint's id, if the requester gave one
  TimeMs created_at = 0;
  int attempts = 0;           // tries that did not print
  TimeMs first_failure_at = 0;
  std::string last_error;
  bool failed = false;        // gave up: reported, waits for a reprint request
};

enum class Enqueued { queued, duplicate, requeued };

class Spool {
 public:
  // Opens (creating) the directory and loads what is there. Jobs whose ticket was already
  // printed (a crash between printing and removing the job file) are dropped.
  static Result<std::unique_ptr<Spool>> open(const std::string& dir);

  // A ticket to print for the first time: a duplicate if it is queued, failed or printed.
  Result<Enqueued> add_ticket(const TicketInfo& t, const std::string& lang, TimeMs now);
  // An explicit reprint. With a request_id: once per id. Without: merged into a reprint of
  // the same ticket still waiting. A failed job of the ticket is put back in the queue instead.
  Result<Enqueued> add_reprint(const TicketInfo& t, const std::string& lang, const std::string& request_id,
                               TimeMs now);

  // The oldest job waiting (failed ones are not waiting).
  std::optional<SpoolJob> next() const;
  Status mark_printed(const SpoolJob& job, TimeMs now);
  // A try that did not print. Returns true when the job has now failed for good (older than
  // fail_after_ms): the caller reports it once.
  Result<bool> mark_attempt(const SpoolJob& job, const std::string& error, TimeMs now, TimeMs fail_after_ms);

  bool was_printed(const std::string& ticket_id) const;
  // What a ticket said when it was queued or printed (for a reprint asked by id alone).
  std::optional<TicketInfo> ticket(const std::string& ticket_id) const;
  bool has_job_for(const std::string& ticket_id) const;
  std::size_t waiting() const;
  std::vector<SpoolJob> jobs() const;  // waiting and failed, oldest first
  // Forgets printed records and failed jobs older than `age_ms` (a business day).
  void prune(TimeMs now, TimeMs age_ms);

 private:
  explicit Spool(std::string dir) : dir_(std::move(dir)) {}
  Status write_job(const SpoolJob& j);
  Status write_file(const std::string& path, const std::string& text);

  // constant after construction
  const std::string dir_;
  // guarded by mu_
  mutable std::mutex mu_;
  struct Printed {
    TimeMs printed_at = 0;
    int copies = 0;
    std::vector<std::uint64_t> seqs;         // jobs that printed it
    std::vector<std::string> request_ids;    // reprint requests already served
    std::optional<TicketInfo> ticket;
  };
  Status write_printed(const std::string& id, const Printed& p);
  std::vector<SpoolJob> jobs_;               // by seq
  std::map<std::string, Printed> printed_;   // by ticket id
  std::uint64_t next_seq_ = 1;
};

}  // namespace hallq::printer
