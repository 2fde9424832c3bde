// The journal: HallQ's durable record in one SQLite file. An append-only event log (the audit
// trail) plus the current state it implies (tickets, windows, meta, idempotent requests),
// written in the same transaction. WAL mode, synchronous=FULL: when commit() returns, the
// batch survives a power cut. Not thread-safe: one thread (the commit thread) owns a Journal.
// The Journal's own thread copies the WAL into the database (checkpoints) beside it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hallq/core/engine.h"
#include "hallq/result.h"
#include "hallq/types.h"

namespace hallq::storage {

struct JournalOptions {
  // Default busy timeout for readers on the same file (reports, tests), in ms.
  int busy_timeout_ms = 5000;
};

// An event as the journal stores it and subscribers receive it, made once per event: the
// hall server renders on its strand before the commit, so the commit thread only writes.
struct RenderedEvent {
  std::shared_ptr<const std::string> event;  // to_json(e).dump()
  std::string ticket;                        // to_json(*e.ticket).dump(), when e.ticket
  std::string window;                        // to_json(*e.window).dump(), when e.window
};
RenderedEvent render(const Event& e);

// What one command (or one timer tick) asks to make durable.
struct Batch {
  std::vector<Event> events;
  std::optional<core::StoredRequest> request;
  std::vector<RenderedEvent> rendered;  // empty, or render() of each event; commit() renders the rest
};

class Journal {
 public:
  // Opens or creates `path` (the SQLite file), sets WAL and synchronous=FULL, creates or
  // migrates the schema. Errors name the file and SQLite's message.
  static Result<std::unique_ptr<Journal>> open(const std::string& path,
                                               const JournalOptions& options = {});
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Writes every batch in ONE transaction (group commit) and returns after COMMIT. On error the
  // transaction is rolled back and nothing of it is stored. Events must continue the stored seq
  // without gaps; a duplicate seq, a duplicate (business_day, number) or a request key already
  // stored for its business day is an error.
  Status commit(const std::vector<Batch>& batches);

  // The state of the most recent business day, for core::Engine::restore().
  Result<core::EngineState> load_state();

  // Events with seq > after, at most `limit`, in order (audit, replay checks).
  Result<std::vector<Event>> events_after(std::uint64_t after, std::size_t limit);

  // PRAGMA integrity_check: "ok" or SQLite's report.
  Result<std::string> integrity_check();

  const std::string& path() const;

 private:
  struct Impl;
  explicit Journal(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hallq::storage
