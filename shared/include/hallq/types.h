// The hall's vocabulary as value types: tickets, windows, their states and classes, roles, and the
// events the server records and pushes. Shared by the server and every client. No I/O; copyable;
// no internal synchronisation (each owner guards its own copies).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hallq {

// Milliseconds since the Unix epoch, UTC. The hall's local time is derived with its UTC offset.
using TimeMs = std::int64_t;

enum class TicketClass { normal, priority, appointment };
enum class TicketState { waiting, called, serving, held, done, no_show, cancelled };
enum class WindowState { open, paused, closed };
// visitor: someone holding a ticket's id (the /t/{id} page), with no token; may rate that visit.
// booking: the online booking portal (a device of kind "booking"); books and cancels appointments.
enum class Role { admin, clerk, kiosk, display, evaluator, printer, visitor, booking };

// What happened to a ticket, as recorded in its history and in the event log.
enum class TicketStep {
  issued,
  called,
  recalled,
  no_show,
  started,
  completed,
  transferred,
  held,
  called_back,
  cancelled,
  expired,  // still waiting or held when the day rolled over
};

std::string_view to_string(TicketClass v);
std::string_view to_string(TicketState v);
std::string_view to_string(WindowState v);
std::string_view to_string(Role v);
std::string_view to_string(TicketStep v);
std::optional<TicketClass> ticket_class_from_string(std::string_view s);
std::optional<TicketState> ticket_state_from_string(std::string_view s);
std::optional<WindowState> window_state_from_string(std::string_view s);
std::optional<Role> role_from_string(std::string_view s);
std::optional<TicketStep> ticket_step_from_string(std::string_view s);

// True for the states a ticket never leaves.
bool is_final(TicketState s);

// One line of a ticket's history: what, when, where and by whom.
struct TicketTransition {
  TicketStep step = TicketStep::issued;
  TimeMs at = 0;
  int window = 0;           // 0 when no window was involved (issue, cancel by admin, expiry)
  std::string clerk;        // user name, empty for devices and the system
  std::string service;      // for transferred: the service it went to
  std::string note;         // free text, e.g. the transfer reason

  friend bool operator==(const TicketTransition&, const TicketTransition&) = default;
};

// 好差评: the one rating a finished visit may get. level 5 非常满意, 4 满意, 3 基本满意,
// 2 不满意, 1 非常不满意.
enum class RatingVia { evaluator, visitor, admin };
std::string_view to_string(RatingVia v);
std::optional<RatingVia> rating_via_from_string(std::string_view s);

struct Rating {
  int level = 0;  // 1..5
  TimeMs at = 0;
  RatingVia via = RatingVia::evaluator;
  friend bool operator==(const Rating&, const Rating&) = default;
};

struct Ticket {
  std::string id;            // unguessable; appears in the /t/{id} URL
  std::string number;        // "A012": service prefix + zero-padded daily sequence
  std::string service;       // service code the ticket is queued for now (changes on transfer)
  std::string origin_service;  // service it was issued for
  std::string business_day;  // "2026-11-27" in the hall's time, after the reset hour
  TicketClass cls = TicketClass::normal;
  std::string priority_reason;  // priority class: one of the hall's rules.priority_reasons
  TicketState state = TicketState::waiting;
  std::optional<TimeMs> appointment_at;  // booked time of an appointment ticket
  TimeMs issued_at = 0;
  TimeMs queued_at = 0;      // when it (re)entered the waiting line: FIFO key and wait clock
  std::optional<TimeMs> called_at;
  std::optional<TimeMs> started_at;
  std::optional<TimeMs> finished_at;
  int window = 0;            // window it is called to, served at or held by; 0 if none
  std::string clerk;         // clerk who last called or served it
  int target_window = 0;     // transferred to / called back at a specific window: seen there first
  int return_window = 0;     // after service at target, go back to this window (0: no return)
  std::string return_service;  // service to queue under when returning
  int recalls = 0;
  std::string issued_by;     // device or user that issued it
  std::vector<TicketTransition> history;
  std::optional<Rating> rating;  // set once, on a done ticket

  friend bool operator==(const Ticket&, const Ticket&) = default;
};

struct Window {
  int number = 0;
  WindowState state = WindowState::open;
  std::string current_ticket;  // id of the called or serving ticket, empty if free
  std::string clerk;           // last clerk who acted at the window
  std::vector<std::string> held;  // ids of tickets on hold at this window, oldest first
  TimeMs state_since = 0;      // when the window entered its state or went idle
  int served_today = 0;        // completed services this business day

  friend bool operator==(const Window&, const Window&) = default;
};

// Per-service figures that clients show (waiting counts, estimated wait).
struct ServiceLoad {
  std::string service;
  int waiting = 0;
  int issued_today = 0;
  std::int64_t estimated_wait_s = 0;  // for a ticket issued now
  std::int64_t longest_wait_s = 0;

  friend bool operator==(const ServiceLoad&, const ServiceLoad&) = default;
};

enum class EventType {
  ticket_issued,
  ticket_called,
  ticket_recalled,
  ticket_no_show,
  service_started,
  service_completed,
  ticket_transferred,
  ticket_held,
  ticket_called_back,
  ticket_cancelled,
  ticket_expired,
  window_paused,
  window_resumed,
  window_closed,
  day_rolled_over,
  notice_changed,
  ticket_rated,
  rating_requested,
  followup_opened,
  followup_updated,
  alert_raised,
  alert_cleared,
  appointment_booked,
  appointment_cancelled,
  appointment_checked_in,
  appointment_missed,
};
std::string_view to_string(EventType v);
std::optional<EventType> event_type_from_string(std::string_view s);

// 回访: the case a bad rating (level <= 2) opens. A manager records the call-back and the fix
// and closes it before due_at (rules.followup_working_days working days after opening).
enum class FollowupState { open, called_back, closed };
std::string_view to_string(FollowupState v);
std::optional<FollowupState> followup_state_from_string(std::string_view s);

struct Followup {
  std::string id;       // "F" + business day digits + ticket number: "F20261127A012"
  std::string ticket;   // ticket id
  std::string number;   // "A012"
  std::string service;
  int window = 0;       // where the rated visit was completed
  std::string clerk;
  int level = 0;
  TimeMs opened_at = 0;
  TimeMs due_at = 0;
  FollowupState state = FollowupState::open;
  std::string callback_note;
  std::string fix_note;
  std::optional<TimeMs> closed_at;
  friend bool operator==(const Followup&, const Followup&) = default;
};

// 超时预警: a visitor waiting or being served too long, or an open window idle too long.
enum class AlertKind { wait, service, idle };
std::string_view to_string(AlertKind v);
std::optional<AlertKind> alert_kind_from_string(std::string_view s);

struct Alert {
  std::string id;       // "W-<ticket id>", "S-<ticket id>", "I-<window>-<since>"
  AlertKind kind = AlertKind::wait;
  std::string service;  // empty for idle alerts (the limit is the window's)
  int window = 0;       // 0: none (a wait for any window of the service)
  std::string ticket;   // ticket id; empty for idle alerts
  std::string number;
  TimeMs since = 0;     // when the wait, the service or the idle spell began
  std::int64_t limit_s = 0;
  TimeMs raised_at = 0;
  std::optional<TimeMs> cleared_at;  // alert_cleared only
  friend bool operator==(const Alert&, const Alert&) = default;
};

// 预约: a booked slot of a service. The code is the secret that checks in at the kiosk (and what
// the QR encodes); events to non-admin subscribers carry the record without it.
enum class AppointmentState { booked, checked_in, missed, cancelled };
std::string_view to_string(AppointmentState v);
std::optional<AppointmentState> appointment_state_from_string(std::string_view s);

struct Appointment {
  std::string code;        // 6 decimal digits, unique among booked appointments
  std::string service;
  std::string date;        // "2026-11-28": the slot's local day
  TimeMs slot_start = 0;
  TimeMs slot_end = 0;
  AppointmentState state = AppointmentState::booked;
  TimeMs booked_at = 0;
  std::string booked_by;   // user or device that booked
  std::string ticket;      // checked in: the ticket id it was issued; empty (null) before
  std::string number;      // checked in: "B012"
  std::optional<TimeMs> checked_in_at;
  friend bool operator==(const Appointment&, const Appointment&) = default;
};

// A recorded change. Events carry the full state after the change of every record they touch,
// so a client (or a restart) applies one by replacing records: no event needs the previous one
// to be understood, apart from seq, which reveals a gap.
struct Event {
  std::uint64_t seq = 0;  // 1, 2, 3... without gaps, across days
  TimeMs at = 0;
  EventType type = EventType::ticket_issued;
  std::optional<Ticket> ticket;
  std::optional<Window> window;           // the window acted on
  std::optional<ServiceLoad> load;        // the load of the ticket's service after the change
  std::optional<ServiceLoad> other_load;  // a transfer changes two services' loads
  std::string business_day;               // day_rolled_over: the new day
  std::string notice;                     // notice_changed: the new text
  std::string actor;                      // user or device that caused it ("system" for timers)
  std::optional<Alert> alert;             // alert_raised / alert_cleared
  std::optional<Followup> followup;       // followup_opened / followup_updated
  std::optional<Appointment> appointment;  // appointment_* events

  friend bool operator==(const Event&, const Event&) = default;
};

}  // namespace hallq
