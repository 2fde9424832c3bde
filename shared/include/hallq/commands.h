// Commands: what clients ask the hall to do. Every command carries a client request id that
// makes a retry harmless. Parsed from JSON at the boundary (HTTP body or WebSocket message)
// with unknown fields rejected and the first bad field named. Value types, no I/O.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include <nlohmann/json_fwd.hpp>

#include "hallq/result.h"
#include "hallq/types.h"

namespace hallq {

// With appointment_code (check-in of a 预约) service, class, priority_reason and appointment_at
// are absent: the engine takes them from the appointment.
struct IssueTicket {
  std::string service;
  TicketClass cls = TicketClass::normal;
  std::string priority_reason;           // required for the priority class
  std::optional<TimeMs> appointment_at;  // required for the appointment class
  std::string lang = "zh-CN";            // ticket language for the printer
  std::string appointment_code;          // "483920": check in this appointment
};
struct CallNext { int window = 0; };
struct CallNumber { int window = 0; std::string number; };  // "A012", waiting today
struct Recall { int window = 0; };
struct NoShow { int window = 0; };
struct StartService { int window = 0; };
struct CompleteService { int window = 0; };
struct Transfer {
  int window = 0;
  std::string to_service;   // one of to_service / to_window is required
  int to_window = 0;
  bool return_after = false;  // come back to this window when served there
  std::string note;
};
struct Hold { int window = 0; };
struct Callback { int window = 0; std::string number; };  // a ticket held at this window
struct CancelTicket { std::string number; std::string ticket_id; };  // either names the ticket
struct PauseWindow { int window = 0; };
struct ResumeWindow { int window = 0; };
struct CloseWindow { int window = 0; };
struct RollOverDay {};
struct SetNotice { std::string text; };
// 好差评: one rating of a done visit of today, level 1 (非常不满意) to 5 (非常满意).
struct Rate { std::string ticket; int level = 0; };
// The clerk's prompt: the window's evaluator asks the last visitor served there to rate.
struct RequestRating { int window = 0; };
// 回访: a manager records the call-back and the fix of a follow-up, and closes it.
struct UpdateFollowup {
  std::string id;
  std::optional<std::string> callback_note;
  std::optional<std::string> fix_note;
  bool close = false;
};

// 预约: book one place in a slot of a service; slot_start must be a slot boundary.
struct BookAppointment { std::string service; TimeMs slot_start = 0; };
// Cancels a booked (not yet checked-in) appointment, freeing its place.
struct CancelAppointment { std::string code; };

using CommandBody =
    std::variant<IssueTicket, CallNext, CallNumber, Recall, NoShow, StartService, CompleteService,
                 Transfer, Hold, Callback, CancelTicket, PauseWindow, ResumeWindow, CloseWindow,
                 RollOverDay, SetNotice, Rate, RequestRating, UpdateFollowup, BookAppointment,
                 CancelAppointment>;

struct Command {
  std::string request_id;  // 1..64 chars of [A-Za-z0-9._:-]
  CommandBody body;
};

// The wire name of a command: "issue", "call-next", "call", "recall", "no-show", "start",
// "complete", "transfer", "hold", "callback", "cancel", "pause", "resume", "close", "rollover",
// "notice", "rate", "request-rating", "followup", "book", "cancel-appointment". Window commands take these names in /api/windows/{n}/{name} too.
std::string_view command_name(const CommandBody& body);

// Parses {"request_id": ..., fields...} for the named command. `window` (from a URL) is used
// for window commands; a "window" field in the body must then be absent or equal. Unknown
// fields, wrong types and out-of-range values give bad_request naming the field.
Result<Command> parse_command(std::string_view name, const nlohmann::json& body,
                              std::optional<int> window = std::nullopt);
// The inverse, for clients: {"command": name, "request_id": ..., fields...}.
nlohmann::json command_to_json(const Command& c);

// ^[0-9]{6}$: an appointment check-in code.
bool is_appointment_code(std::string_view s);

// The window a command acts on, or 0 for hall-wide commands.
int command_window(const CommandBody& body);

}  // namespace hallq
