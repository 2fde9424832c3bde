// Error and Result<T>: how every HallQ layer reports an expected failure (a business rule, bad
// input, a missing window) without throwing. Value types; safe to copy between threads.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace hallq {

// Stable machine-readable codes; the HTTP status for each is fixed by http_status_for().
// Clients show Error::message to people and branch on the code.
enum class ErrorCode {
  bad_request,        // malformed JSON, wrong type, missing or unknown field, value out of range
  unauthorized,       // no token, wrong token, wrong password
  forbidden,          // the role or the clerk's windows do not allow this command
  not_found,          // no such window, service, ticket or endpoint
  invalid_state,      // the ticket or window is not in a state that allows the command
  queue_empty,        // call-next with nobody waiting for this window
  window_busy,        // the window still has a called or serving visitor
  window_paused,      // the window is paused or closed
  service_closed,     // outside the service's opening hours
  daily_cap_reached,  // the service issued its last ticket for today
  already_rated,      // the visit already has its one rating (好差评: one per visit)
  slot_full,          // the appointment slot has as many bookings as its capacity
  already_checked_in, // the appointment code was already used to issue a ticket
  appointment_missed, // too late: the appointment was marked missed
  appointment_cancelled,  // the appointment was cancelled
  request_id_reused,  // the same request id was sent earlier with a different command
  payload_too_large,  // body or message over the limit
  rate_limited,       // too many commands from this client; retry later
  busy,               // the server's commit queue is full; retry later
  internal,           // a bug or a storage failure
};

std::string_view to_string(ErrorCode code);
std::optional<ErrorCode> error_code_from_string(std::string_view s);
int http_status_for(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;  // for people: names the field, window or ticket concerned
  // For programs that word the refusal themselves (the kiosk, in the visitor's language): the
  // facts behind the message, as {"detail": {name: text}}. Most errors have none.
  std::vector<std::pair<std::string, std::string>> detail = {};

  friend bool operator==(const Error&, const Error&) = default;
};

inline Error make_error(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

// A value or an Error. (std::expected is C++23; g++ 12 in C++20 mode does not have it.)
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}      // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Error& error() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// For operations with no value.
struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() { return Ok{}; }

}  // namespace hallq
