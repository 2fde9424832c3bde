// JSON for the shared value types. These shapes are the wire protocol (docs/protocol.md):
// change them only compatibly. Times are integers, milliseconds since the epoch, UTC.
#pragma once

#include <nlohmann/json.hpp>

#include "hallq/result.h"
#include "hallq/types.h"

namespace hallq {

nlohmann::json to_json(const TicketTransition& t);
nlohmann::json to_json(const Ticket& t);
nlohmann::json to_json(const Window& w);
nlohmann::json to_json(const ServiceLoad& l);
nlohmann::json to_json(const Rating& r);    // {"level":1..5,"at":T,"via":"evaluator"}
nlohmann::json to_json(const Followup& f);  // every field; "closed_at": null while not closed
nlohmann::json to_json(const Alert& a);     // "window"/"ticket"/"number": null when none
// Every field; "ticket"/"number"/"checked_in_at": null until checked in. Non-admins get it
// without "code" (redact_appointment_code).
nlohmann::json to_json(const Appointment& a);
nlohmann::json to_json(const Event& e);  // {"type":"event","seq":..,"event":"ticket_called",...}
nlohmann::json to_json(const Error& e);  // {"error":{"code":"...","message":"..."}}

// The text of to_json(x).dump(), written without building the tree: the server renders a
// ticket, and the event that carries it, for every command it journals. The event's ticket and
// window are written from `ticket_text` / `window_text` when given (texts these functions wrote).
void append_json(std::string& out, const Ticket& t);
void append_json(std::string& out, const Window& w);
void append_json(std::string& out, const ServiceLoad& l);
void append_json(std::string& out, const Event& e, const std::string* ticket_text = nullptr,
                 const std::string* window_text = nullptr);

// Strict parsers: every required field present with the right type; unknown fields rejected.
// Used by clients reading the server, and by the server reading its own journal.
Result<TicketTransition> ticket_transition_from_json(const nlohmann::json& j);
Result<Ticket> ticket_from_json(const nlohmann::json& j);
Result<Window> window_from_json(const nlohmann::json& j);
Result<ServiceLoad> service_load_from_json(const nlohmann::json& j);
Result<Rating> rating_from_json(const nlohmann::json& j);
Result<Followup> followup_from_json(const nlohmann::json& j);
Result<Alert> alert_from_json(const nlohmann::json& j);
// "code" may be absent (a redacted record): it then reads as "".
Result<Appointment> appointment_from_json(const nlohmann::json& j);
Result<Event> event_from_json(const nlohmann::json& j);

// Reads and parses a JSON file: the hall file, display styles, printer profiles, ticket layouts.
// Errors: not_found "cannot read PATH: <why>"; bad_request "PATH: invalid JSON at line L, column
// C: <what>", the line and column counted in characters.
Result<nlohmann::json> load_json_file(const std::string& path);

// Reading JSON objects field by field with the path of the first problem in the message.
// Each reader marks the fields it consumed; finish() fails on any field left over.
class JsonReader {
 public:
  JsonReader(const nlohmann::json& j, std::string path);
  bool is_object() const;
  // Each getter records the first error and afterwards returns defaults.
  std::string string(std::string_view key, bool required = true, std::size_t max_len = 256);
  std::int64_t integer(std::string_view key, bool required, std::int64_t min, std::int64_t max,
                       std::int64_t fallback = 0);
  bool boolean(std::string_view key, bool required = false, bool fallback = false);
  const nlohmann::json* child(std::string_view key, bool required = true);  // any type
  bool has(std::string_view key) const;
  std::string path_of(std::string_view key) const;  // "/windows/3/services"
  void fail(std::string message);                    // message already names the path
  bool ok() const { return !error_.has_value(); }
  // Reports the first error, or an unknown field, as bad_request.
  Status finish();

 private:
  const nlohmann::json& j_;
  std::string path_;
  std::vector<std::string> consumed_;
  std::optional<std::string> error_;
};

}  // namespace hallq
