// The engine's private state and the indexes behind routing. Shared by engine.cc (commands,
// idempotency), records.cc (record replacement, restore, apply, rollover) and routing.cc
// (call-next order, standing, loads). Same threading contract as Engine: one owner.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <ext/pb_ds/assoc_container.hpp>
#include <ext/pb_ds/tree_policy.hpp>

#include "hallq/core/engine.h"

namespace hallq::core {

inline constexpr TimeMs kMinuteMs = 60'000;
inline constexpr TimeMs kHourMs = 60 * kMinuteMs;
inline constexpr TimeMs kDayMs = 24 * kHourMs;
// Failed commands remembered for retries (memory only, oldest evicted).
inline constexpr std::size_t kFailureCacheSize = 10'000;
// Calls and recalls the hall boards show.
inline constexpr std::size_t kRecentCalls = 20;

// ---- calendar (calendar.cc) ---------------------------------------------------------------------
std::int64_t floor_div(std::int64_t a, std::int64_t b);
// "YYYY-MM-DD" of a count of days since 1970-01-01 (proleptic Gregorian).
std::string civil_date(std::int64_t days);
std::string business_day_at(const Rules& rules, TimeMs now);
// First instant after `now` that belongs to the next business day.
TimeMs next_day_start(const Rules& rules, TimeMs now);
// The local calendar day (days since 1970-01-01; not shifted by the reset hour).
std::int64_t local_days(const Rules& rules, TimeMs t);
// Minutes after local midnight (not shifted by the reset hour): what opening hours compare.
int local_minute_of_day(const Rules& rules, TimeMs now);
// Days since 1970-01-01 of a "YYYY-MM-DD" (years 2000..2199), or nullopt (appointments.cc).
std::optional<std::int64_t> days_of_date(std::string_view s);

// FNV-1a, 64 bits: a cheap, stable hash (request fingerprints, appointment codes).
inline std::uint64_t fnv1a64(std::string_view text) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// ---- waiting-line keys --------------------------------------------------------------------------

// A waiting ticket's place in a line: FIFO by queued_at, ties by issue order (issued_at, then the
// number's service and sequence, unique within a day). The id only separates corrupt duplicates;
// it points at the key of the ticket's node in HallState::tickets, which never moves.
struct QueueKey {
  TimeMs queued_at = 0;
  TimeMs issued_at = 0;
  std::string origin;
  int seq = 0;
  const std::string* id = nullptr;

  friend bool operator<(const QueueKey& a, const QueueKey& b) {
    if (a.queued_at != b.queued_at) return a.queued_at < b.queued_at;
    if (a.issued_at != b.issued_at) return a.issued_at < b.issued_at;
    if (a.origin != b.origin) return a.origin < b.origin;
    if (a.seq != b.seq) return a.seq < b.seq;
    if (a.id == nullptr || b.id == nullptr) return a.id == nullptr && b.id != nullptr;
    return *a.id < *b.id;
  }
};

// An ordered set that also answers "how many keys are before this one" in O(log n): what the
// standing of a ticket needs. libstdc++'s policy-based red-black tree (header-only, no library).
using RankedLine =
    __gnu_pbds::tree<QueueKey, __gnu_pbds::null_type, std::less<QueueKey>, __gnu_pbds::rb_tree_tag,
                     __gnu_pbds::tree_order_statistics_node_update>;

// Orders completed services for the estimate sample: most recent finish last.
struct SampleKey {
  TimeMs finished_at = 0;
  TimeMs issued_at = 0;
  std::string origin;
  int seq = 0;
  auto operator<=>(const SampleKey&) const = default;
};

// What can fall due (quality.cc): a ticket's wait or service, or a window's idle spell. A
// ticket is named by the key of its node in HallState::tickets, like QueueKey: no string is
// built or copied per deadline, and nodes stay until new_day(), which drops every deadline.
struct DeadlineKey {
  AlertKind kind = AlertKind::wait;
  const std::string* ticket = nullptr;  // wait, service
  int window = 0;                       // idle

  friend bool operator==(const DeadlineKey& a, const DeadlineKey& b) {
    return a.kind == b.kind && a.ticket == b.ticket && a.window == b.window;
  }
  // Equal dues are raised in a fixed order: by kind, window, ticket id.
  friend bool operator<(const DeadlineKey& a, const DeadlineKey& b) {
    if (a.kind != b.kind) return a.kind < b.kind;
    if (a.window != b.window) return a.window < b.window;
    if (a.ticket == b.ticket) return false;
    if (a.ticket == nullptr || b.ticket == nullptr) return a.ticket == nullptr;
    return *a.ticket < *b.ticket;
  }
};
struct DeadlineKeyHash {
  std::size_t operator()(const DeadlineKey& k) const {
    return std::hash<const void*>{}(k.ticket) ^ (std::size_t(k.window) << 2 | std::size_t(k.kind));
  }
};

struct TicketRecord {
  Ticket t;
  int seq = 0;  // the number's daily sequence, parsed once
};

// One service's waiting line, split by how tier 2 ranks the tickets, plus its figures.
// Only untargeted waiting tickets are in rank0/normal/appointments; `waiting` has them all.
struct ServiceLine {
  std::string code;
  const ServiceConfig* config = nullptr;  // null for a service no longer configured (restore)
  std::vector<int> windows;               // windows that serve it
  int counter = 0;                        // highest sequence issued this business day

  RankedLine rank0;         // priority class, or transferred in / returning
  RankedLine normal;        // normal class
  RankedLine appointments;  // appointment class: rank 1 inside its slot, rank 2 outside
  std::set<std::pair<TimeMs, QueueKey>> appointments_by_time;  // same tickets by booked time
  std::set<QueueKey> waiting;  // every waiting ticket queued for the service, targeted or not

  std::map<SampleKey, TimeMs> samples;  // last rules.estimate_sample service times (ms)
  TimeMs sample_sum = 0;

  std::size_t untargeted() const { return rank0.size() + normal.size() + appointments.size(); }
};

struct WindowSlot {
  const WindowConfig* config = nullptr;
  Window w;
  std::string last_done;  // the ticket whose visit ended here last today (request-rating)
  std::set<QueueKey> targeted;  // waiting tickets targeted at this window (tier 0)
  int service_index(std::string_view code) const;  // position in config->services, or -1
};

struct RecentCall {
  TimeMs at = 0;
  int window = 0;
  std::string number;
  bool recall = false;
  std::string service;
  friend bool operator<(const RecentCall& a, const RecentCall& b) {
    if (a.at != b.at) return a.at < b.at;
    if (a.window != b.window) return a.window < b.window;
    if (a.number != b.number) return a.number < b.number;
    return a.recall < b.recall;
  }
};

// One ticket call-next would take, with the key that orders it (window_queue).
struct QueueEntry {
  int tier = 2;       // 0 targeted, 1 aged, 2 by class
  int rank = 2;       // tier 2: 0 priority/transferred-in, 1 appointment in slot, 2 other
  int service_index = 0;
  QueueKey key;
  friend bool operator<(const QueueEntry& a, const QueueEntry& b) {
    if (a.tier != b.tier) return a.tier < b.tier;
    if (a.rank != b.rank) return a.rank < b.rank;
    if (a.service_index != b.service_index) return a.service_index < b.service_index;
    return a.key < b.key;
  }
};

// Everything the engine knows; Engine::Impl is this (a namespace-level name so that the
// command code in engine.cc can take it by reference).
struct HallState {
  HallState(std::shared_ptr<const HallConfig> c, TicketIds& i);

  // ---- constant after construction
  std::shared_ptr<const HallConfig> config;
  TicketIds& ids;
  std::vector<std::string> service_order;  // config order

  // ---- state
  std::uint64_t last_seq = 0;
  std::string business_day;
  std::string notice;
  std::unordered_map<std::string, ServiceLine> lines;  // by code
  std::map<int, WindowSlot> windows;                   // every configured window
  std::unordered_map<std::string, TicketRecord> tickets;  // the business day's, by id
  std::unordered_map<std::string, const std::string*> by_number;  // number -> its key in tickets
  std::multiset<RecentCall> recent_calls;                  // oldest first, at most kRecentCalls
  // The day's successful requests, by key, so a retry gets the first answer again. These were
  // most of the server's memory on a busy day (docs/benchmarks.md, goal 4), so they are kept
  // small: a hash of the command instead of its text, the answer as JSON text instead of a tree
  // (~0.5 KB against ~2.3 KB), and an issue's answer without its ticket, which is rebuilt from
  // the ticket's record when a retry comes (as_issued() in engine.cc).
  struct Remembered {
    std::uint64_t fingerprint = 0;          // fingerprint_hash() of the command
    std::string result;                     // the answer as JSON text
    const std::string* issued = nullptr;    // an issue's ticket (its key in `tickets`), left out of `result`
  };
  std::unordered_map<std::string, Remembered> requests;
  void remember(const std::string& key, const std::string& fingerprint, const nlohmann::json& result);
  void keep(const std::string& key, const std::string& fingerprint, std::string answer, const std::string* issued);
  std::string remembered_answer(const Remembered& r) const;  // the answer as first sent
  struct Failure {
    std::string fingerprint;
    Error error;
  };
  std::unordered_map<std::string, Failure> failures;
  std::deque<std::string> failure_order;
  // Service quality (quality.cc). Deadlines are derived from the records and the active alerts
  // (a key has one iff its condition runs and it has no active alert), so restore and replay
  // rebuild them alike; tick() looks at the first one only.
  std::map<std::string, Followup> followups;            // not closed, by id
  std::map<std::string, Alert> alerts;                  // active, by id
  std::map<int, std::string> idle_alerts;               // window -> its active idle alert id
  std::set<std::pair<TimeMs, DeadlineKey>> deadlines;                   // (due, key)
  std::unordered_map<DeadlineKey, TimeMs, DeadlineKeyHash> deadline_of;  // key -> due

  // ---- records.cc: the only code that changes state, live and in replay alike
  ServiceLine& line(const std::string& code);
  const ServiceLine* find_line(std::string_view code) const;
  QueueKey key_of(const TicketRecord& r) const;
  void index(const TicketRecord& r);
  void unindex(const TicketRecord& r);
  void put_ticket(const Ticket& t, EventType type);
  void put_window(const Window& w);
  void add_sample(const Ticket& t);
  void add_recent(const Ticket& t, const TicketTransition& step);
  void new_day(const std::string& day);
  void reset(const EngineState& state);
  void apply_records(const Event& e);
  // Stamps seq/at/actor, applies the records, then computes loads; appends to out.events.
  void emit(Outcome& out, Event ev, TimeMs now, const std::string& actor,
            const std::string& other_service = {});
  // Expires the old day's active tickets and starts the new day, if it is due.
  bool roll_over(Outcome& out, TimeMs now, const std::string& actor);
  std::vector<const TicketRecord*> sorted_tickets(bool active_only) const;

  // ---- quality.cc
  void set_deadline(const DeadlineKey& key, std::optional<TimeMs> due);
  // `id` is the ticket's key in `tickets`.
  void refresh_deadlines(const std::string& id, const Ticket& t);
  void refresh_deadline(const WindowSlot& slot);
  void put_alert(const Alert& a, bool raised);
  void put_followup(const Followup& f);
  void note_done(const Ticket& t);
  bool still_holds(const Alert& a) const;
  std::optional<Alert> due_alert(const DeadlineKey& key, TimeMs now) const;
  void raise_due(Outcome& out, TimeMs now);
  // Clears the active alerts that the events from out.events[from] resolved.
  void settle_alerts(Outcome& out, std::size_t from, TimeMs now);
  TimeMs followup_due(TimeMs opened) const;
  // Why the hall does not work on this local day ("Sunday", "a holiday"), or nullopt on a
  // working day: hallq::day_off() of rules.workdays, holidays and extra_workdays.
  std::optional<std::string> day_off(std::int64_t day) const;

  // ---- appointments.cc (预约). Kept: every appointment from the business day on, plus older
  // ones still booked (their missed timer has yet to fire). Slot counts and the missed timer are
  // derived from the records in put_appointment, so restore and replay rebuild them alike.
  std::map<std::string, Appointment> appointments;               // by code
  std::map<std::pair<std::string, TimeMs>, int> slot_taken;      // (service, slot_start) -> not cancelled
  std::set<std::pair<TimeMs, std::string>> missed_deadlines;     // (slot_start + late, code), booked only
  void put_appointment(const Appointment& a);
  void drop_past_appointments();
  void mark_missed(Outcome& out, TimeMs now);
  Result<nlohmann::json> book(const BookAppointment& c, const Actor& actor, TimeMs now, Outcome& out);
  Result<nlohmann::json> cancel_appointment(const CancelAppointment& c, const Actor& actor, TimeMs now,
                                            Outcome& out);
  // The appointment a check-in names, if it may check in now: its issue command follows.
  Result<IssueTicket> check_in_issue(const IssueTicket& c, TimeMs now) const;
  // After the ticket is issued: records the check-in; returns the updated record.
  Appointment checked_in(const std::string& code, const Ticket& t, const Actor& actor, TimeMs now,
                         Outcome& out);

  // ---- routing.cc
  bool in_slot(const Ticket& t, TimeMs now) const;
  const QueueKey* pick(const WindowSlot& slot, TimeMs now) const;
  std::vector<QueueEntry> queue_of(const WindowSlot& slot, TimeMs now, std::size_t limit) const;
  std::optional<TicketStanding> standing_of(const TicketRecord& r, TimeMs now) const;
  ServiceLoad load_of(const std::string& service, TimeMs now) const;
  TimeMs mean_service_ms(const ServiceLine& l) const;
  int open_windows(const ServiceLine& l) const;
};

// A ticket is "transferred in" while it waits after a transfer or after service elsewhere on
// its way back: it ranks with the priority class.
bool transferred_in(const Ticket& t);

struct Engine::Impl : HallState {
  using HallState::HallState;
};

}  // namespace hallq::core
