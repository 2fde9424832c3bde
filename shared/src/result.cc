#include "hallq/result.h"

#include <array>

namespace hallq {
namespace {
struct CodeInfo {
  ErrorCode code;
  std::string_view name;
  int http;
};
constexpr std::array<CodeInfo, 20> kCodes{{
    {ErrorCode::bad_request, "bad_request", 400},
    {ErrorCode::unauthorized, "unauthorized", 401},
    {ErrorCode::forbidden, "forbidden", 403},
    {ErrorCode::not_found, "not_found", 404},
    {ErrorCode::invalid_state, "invalid_state", 409},
    {ErrorCode::queue_empty, "queue_empty", 409},
    {ErrorCode::window_busy, "window_busy", 409},
    {ErrorCode::window_paused, "window_paused", 409},
    {ErrorCode::service_closed, "service_closed", 409},
    {ErrorCode::daily_cap_reached, "daily_cap_reached", 409},
    {ErrorCode::already_rated, "already_rated", 409},
    {ErrorCode::slot_full, "slot_full", 409},
    {ErrorCode::already_checked_in, "already_checked_in", 409},
    {ErrorCode::appointment_missed, "appointment_missed", 409},
    {ErrorCode::appointment_cancelled, "appointment_cancelled", 409},
    {ErrorCode::request_id_reused, "request_id_reused", 422},
    {ErrorCode::payload_too_large, "payload_too_large", 413},
    {ErrorCode::rate_limited, "rate_limited", 429},
    {ErrorCode::busy, "busy", 503},
    {ErrorCode::internal, "internal", 500},
}};
}  // namespace

std::string_view to_string(ErrorCode code) {
  for (const auto& c : kCodes)
    if (c.code == code) return c.name;
  return "internal";
}

std::optional<ErrorCode> error_code_from_string(std::string_view s) {
  for (const auto& c : kCodes)
    if (c.name == s) return c.code;
  return std::nullopt;
}

int http_status_for(ErrorCode code) {
  for (const auto& c : kCodes)
    if (c.code == code) return c.http;
  return 500;
}

}  // namespace hallq
