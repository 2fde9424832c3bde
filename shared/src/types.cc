#include "hallq/types.h"

#include <array>
#include <utility>

namespace hallq {
namespace {

// One table per enum keeps to_string and from_string from drifting apart.
template <typename E, std::size_t N>
using Names = std::array<std::pair<E, std::string_view>, N>;

template <typename E, std::size_t N>
std::string_view name_of(const Names<E, N>& names, E v) {
  for (const auto& [e, s] : names)
    if (e == v) return s;
  return "?";
}

template <typename E, std::size_t N>
std::optional<E> parse_name(const Names<E, N>& names, std::string_view s) {
  for (const auto& [e, n] : names)
    if (n == s) return e;
  return std::nullopt;
}

constexpr Names<TicketClass, 3> kClasses{{
    {TicketClass::normal, "normal"},
    {TicketClass::priority, "priority"},
    {TicketClass::appointment, "appointment"},
}};
constexpr Names<TicketState, 7> kStates{{
    {TicketState::waiting, "waiting"},
    {TicketState::called, "called"},
    {TicketState::serving, "serving"},
    {TicketState::held, "held"},
    {TicketState::done, "done"},
    {TicketState::no_show, "no_show"},
    {TicketState::cancelled, "cancelled"},
}};
constexpr Names<WindowState, 3> kWindowStates{{
    {WindowState::open, "open"},
    {WindowState::paused, "paused"},
    {WindowState::closed, "closed"},
}};
constexpr Names<Role, 8> kRoles{{
    {Role::admin, "admin"},
    {Role::clerk, "clerk"},
    {Role::kiosk, "kiosk"},
    {Role::display, "display"},
    {Role::evaluator, "evaluator"},
    {Role::printer, "printer"},
    {Role::visitor, "visitor"},
    {Role::booking, "booking"},
}};
constexpr Names<AppointmentState, 4> kAppointmentStates{{
    {AppointmentState::booked, "booked"},
    {AppointmentState::checked_in, "checked_in"},
    {AppointmentState::missed, "missed"},
    {AppointmentState::cancelled, "cancelled"},
}};
constexpr Names<TicketStep, 11> kSteps{{
    {TicketStep::issued, "issued"},
    {TicketStep::called, "called"},
    {TicketStep::recalled, "recalled"},
    {TicketStep::no_show, "no_show"},
    {TicketStep::started, "started"},
    {TicketStep::completed, "completed"},
    {TicketStep::transferred, "transferred"},
    {TicketStep::held, "held"},
    {TicketStep::called_back, "called_back"},
    {TicketStep::cancelled, "cancelled"},
    {TicketStep::expired, "expired"},
}};
constexpr Names<EventType, 26> kEvents{{
    {EventType::ticket_issued, "ticket_issued"},
    {EventType::ticket_called, "ticket_called"},
    {EventType::ticket_recalled, "ticket_recalled"},
    {EventType::ticket_no_show, "ticket_no_show"},
    {EventType::service_started, "service_started"},
    {EventType::service_completed, "service_completed"},
    {EventType::ticket_transferred, "ticket_transferred"},
    {EventType::ticket_held, "ticket_held"},
    {EventType::ticket_called_back, "ticket_called_back"},
    {EventType::ticket_cancelled, "ticket_cancelled"},
    {EventType::ticket_expired, "ticket_expired"},
    {EventType::window_paused, "window_paused"},
    {EventType::window_resumed, "window_resumed"},
    {EventType::window_closed, "window_closed"},
    {EventType::day_rolled_over, "day_rolled_over"},
    {EventType::notice_changed, "notice_changed"},
    {EventType::ticket_rated, "ticket_rated"},
    {EventType::rating_requested, "rating_requested"},
    {EventType::followup_opened, "followup_opened"},
    {EventType::followup_updated, "followup_updated"},
    {EventType::alert_raised, "alert_raised"},
    {EventType::alert_cleared, "alert_cleared"},
    {EventType::appointment_booked, "appointment_booked"},
    {EventType::appointment_cancelled, "appointment_cancelled"},
    {EventType::appointment_checked_in, "appointment_checked_in"},
    {EventType::appointment_missed, "appointment_missed"},
}};
constexpr Names<RatingVia, 3> kVias{{
    {RatingVia::evaluator, "evaluator"},
    {RatingVia::visitor, "visitor"},
    {RatingVia::admin, "admin"},
}};
constexpr Names<FollowupState, 3> kFollowupStates{{
    {FollowupState::open, "open"},
    {FollowupState::called_back, "called_back"},
    {FollowupState::closed, "closed"},
}};
constexpr Names<AlertKind, 3> kAlertKinds{{
    {AlertKind::wait, "wait"},
    {AlertKind::service, "service"},
    {AlertKind::idle, "idle"},
}};

}  // namespace

std::string_view to_string(TicketClass v) { return name_of(kClasses, v); }
std::string_view to_string(TicketState v) { return name_of(kStates, v); }
std::string_view to_string(WindowState v) { return name_of(kWindowStates, v); }
std::string_view to_string(Role v) { return name_of(kRoles, v); }
std::string_view to_string(TicketStep v) { return name_of(kSteps, v); }
std::string_view to_string(EventType v) { return name_of(kEvents, v); }
std::string_view to_string(RatingVia v) { return name_of(kVias, v); }
std::string_view to_string(FollowupState v) { return name_of(kFollowupStates, v); }
std::string_view to_string(AppointmentState v) { return name_of(kAppointmentStates, v); }
std::optional<AppointmentState> appointment_state_from_string(std::string_view s) { return parse_name(kAppointmentStates, s); }
std::string_view to_string(AlertKind v) { return name_of(kAlertKinds, v); }
std::optional<RatingVia> rating_via_from_string(std::string_view s) { return parse_name(kVias, s); }
std::optional<FollowupState> followup_state_from_string(std::string_view s) { return parse_name(kFollowupStates, s); }
std::optional<AlertKind> alert_kind_from_string(std::string_view s) { return parse_name(kAlertKinds, s); }
std::optional<TicketClass> ticket_class_from_string(std::string_view s) { return parse_name(kClasses, s); }
std::optional<TicketState> ticket_state_from_string(std::string_view s) { return parse_name(kStates, s); }
std::optional<WindowState> window_state_from_string(std::string_view s) { return parse_name(kWindowStates, s); }
std::optional<Role> role_from_string(std::string_view s) { return parse_name(kRoles, s); }
std::optional<TicketStep> ticket_step_from_string(std::string_view s) { return parse_name(kSteps, s); }
std::optional<EventType> event_type_from_string(std::string_view s) { return parse_name(kEvents, s); }

bool is_final(TicketState s) {
  return s == TicketState::done || s == TicketState::no_show || s == TicketState::cancelled;
}

}  // namespace hallq
