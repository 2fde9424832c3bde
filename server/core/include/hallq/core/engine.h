// The queue engine: the hall's rules with no I/O. Commands go in with the acting client and the
// time; an Outcome comes out with the result for the client and the events to make durable.
// Single-threaded: one owner (the server's hall strand) calls it; it never blocks or throws for
// a business rule. Routing policy: docs/queue-policy.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hallq/commands.h"
#include "hallq/hall_config.h"
#include "hallq/result.h"
#include "hallq/types.h"

namespace hallq::core {

// Who sends a command, as established by the network layer from the token.
struct Actor {
  Role role = Role::display;
  std::string name;                   // user name or device id
  std::vector<int> windows;           // clerk: windows they may act at
  std::vector<std::string> services;  // kiosk: services it may issue (empty = all)
  std::string ticket;                 // visitor: the ticket whose id they hold
};

// Makes ticket ids: unguessable in production (libsodium randomness), predictable in tests.
class TicketIds {
 public:
  virtual ~TicketIds() = default;
  virtual std::string next() = 0;
};

// A successful command's result as persisted for idempotent retries.
struct StoredRequest {
  std::string key;          // actor name + '\x1f' + request id
  std::string fingerprint;  // the command without its request id, serialised
  std::string business_day;
  std::string result;       // the success body as sent, JSON text
};

struct Outcome {
  std::optional<Error> error;   // set: the command changed nothing; `events` is empty unless
                                // a day rollover ran first: commit non-empty events regardless
  std::string body;             // the success body for the client, JSON text
  std::vector<Event> events;    // to commit in this order before answering
  std::optional<StoredRequest> request;  // to commit with the events (successes only)
  bool repeated = false;        // a retry: `body` is the first answer, nothing changed

  bool ok() const { return !error.has_value(); }
  // The body parsed, for tests and tools; the server sends `body` as it is.
  nlohmann::json result() const { return body.empty() ? nlohmann::json() : nlohmann::json::parse(body); }
};

// Everything a restart needs, as loaded from storage.
struct EngineState {
  std::uint64_t last_seq = 0;
  std::string business_day;        // empty on a new database
  std::string notice;
  bool notice_set = false;         // false: use the config's notice
  std::vector<Ticket> tickets;     // every ticket of business_day
  std::vector<Window> windows;     // every window with a recorded state
  std::vector<StoredRequest> requests;  // business_day's successful requests
  std::vector<Alert> alerts;       // active alerts (raised, not cleared)
  std::vector<Followup> followups; // follow-ups not closed yet
  std::vector<Appointment> appointments;  // from business_day on, and older ones still booked
};

// Where a waiting ticket stands, for the kiosk, the ticket page and the issue result.
struct TicketStanding {
  int ahead = 0;                   // waiting tickets that will be called before it
  std::int64_t estimated_wait_s = 0;
};

class Engine {
 public:
  Engine(std::shared_ptr<const HallConfig> config, TicketIds& ids);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Runs a command. A repeated (actor, request id) returns the first successful result with
  // repeated=true and no events; a reused id with a different command is request_id_reused.
  // If the business day has changed it first rolls over (those events come first, and they are
  // returned even when the command itself then fails).
  Outcome execute(const Command& command, const Actor& actor, TimeMs now);

  // Timers: rolls the day over when due, raises the overdue alerts whose limit is reached
  // (at exactly the limit) and marks appointments missed at slot_start + appointment_late_min.
  // Returns no events when nothing is due; O(log n) then.
  Outcome tick(TimeMs now);
  // The next time tick() has something to do (the next day boundary, alert or missed deadline).
  TimeMs next_deadline(TimeMs now) const;

  // Restart: replaces all state with what storage recorded.
  void restore(const EngineState& state);
  // Replays one recorded event (events carry post-states). restore() of the state before, then
  // apply() of every later event, gives the same engine as the live one.
  void apply(const Event& event);

  // A new hall configuration, applied live (PUT /api/config): keeps every ticket, window
  // state, request, alert and follow-up of the day. Refused with invalid_state, naming the
  // service, window or ticket, when the change would strand live work: removing a service with
  // open tickets or numbers issued today, removing a window with a visitor called, served,
  // held or sent to it, or moving the current business day. No events: a configuration is not
  // part of the journal (the file is its record).
  Status check_reconfigure(const HallConfig& next, TimeMs now) const;
  Status reconfigure(std::shared_ptr<const HallConfig> config, TimeMs now);

  // The hall as clients see it, with the active alerts. with_tickets adds every active ticket
  // (clerks and admins); with_followups the follow-ups not closed, marked overdue (admins).
  nlohmann::json snapshot(TimeMs now, bool with_tickets, bool with_followups = false) const;
  // Follow-ups not closed, oldest due first, each with "overdue": now > due_at.
  nlohmann::json followups_json(TimeMs now) const;
  std::vector<Alert> active_alerts() const;  // by raised_at, then id
  const Followup* followup(std::string_view id) const;  // open or called back
  // The tickets call-next at this window would take, in order (at most `limit`).
  Result<nlohmann::json> window_queue(int window, TimeMs now, std::size_t limit) const;
  // One ticket as its visitor sees it: the ticket, its standing, its window's name if called.
  Result<nlohmann::json> ticket_view(std::string_view ticket_id, TimeMs now) const;

  // 预约 (appointments.cc): the kept appointments (from the business day on), by slot then code;
  // one by code; a service's slots of a local day with their bookings; admins' counts of today.
  const Appointment* appointment(std::string_view code) const;
  std::vector<Appointment> appointments() const;
  Result<nlohmann::json> appointment_slots(std::string_view service, std::string_view date) const;
  nlohmann::json appointment_counts(TimeMs now) const;  // {"today_booked","checked_in","missed"}

  const Ticket* ticket(std::string_view id) const;
  const Window* window(int number) const;
  std::optional<TicketStanding> standing(std::string_view ticket_id, TimeMs now) const;
  ServiceLoad load(std::string_view service, TimeMs now) const;
  std::uint64_t last_seq() const;
  const std::string& business_day() const;
  const HallConfig& config() const;
  // Business day of a time under the hall's rules: local date, shifted back by reset_hour.
  std::string business_day_at(TimeMs now) const;

  ~Engine();

 private:
  Outcome run_command(const Command& command, const Actor& actor, TimeMs now);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hallq::core
