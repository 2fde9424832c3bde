// The hall configuration: services, windows, devices, users and rules, as loaded from one JSON
// file and validated. Immutable once loaded; share it by const reference or shared_ptr<const>.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "hallq/result.h"
#include "hallq/types.h"

namespace hallq {

// A text in the hall's three languages. zh_cn is required; the others fall back to it.
struct LocalizedText {
  std::string zh_cn;
  std::string zh_tw;
  std::string en;
  const std::string& in(std::string_view lang) const;  // "zh-CN", "zh-TW", "en"
  friend bool operator==(const LocalizedText&, const LocalizedText&) = default;
};

// A span of local clock time, in minutes after local midnight: [open, close).
struct OpeningSpan {
  int open_min = 0;
  int close_min = 24 * 60;
  friend bool operator==(const OpeningSpan&, const OpeningSpan&) = default;
};

// 预约: a service that takes appointments. Slots of slot_min minutes tile each opening span
// from its start (a slot never straddles a span's end; services without hours use 08:00-18:00
// local); each slot takes `capacity` bookings; booking is open from today to days_ahead days on.
struct AppointmentConfig {
  int slot_min = 30;     // 5..240
  int capacity = 4;      // 1..1000
  int days_ahead = 7;    // 0..60
  friend bool operator==(const AppointmentConfig&, const AppointmentConfig&) = default;
};

struct ServiceConfig {
  std::string code;          // ticket number prefix: 1 or 2 upper-case ASCII letters, unique
  LocalizedText name;
  std::string department;
  std::vector<OpeningSpan> hours;  // when tickets may be issued; empty means all day
  int daily_cap = 0;               // tickets per business day; 0 means no cap
  int number_digits = 3;           // zero padding of the sequence: A001
  int wait_limit_min = 30;         // a longer wait raises an overdue alert
  int service_limit_min = 20;      // a longer service raises an overdue alert
  int expected_service_min = 8;    // used for estimates until real service times exist
  std::optional<AppointmentConfig> appointments;  // absent: takes no appointments
  friend bool operator==(const ServiceConfig&, const ServiceConfig&) = default;
};

// "HH:MM-HH:MM" as hall files and snapshots write a span (24:00 is the end of the day); nullopt
// when malformed or when it does not open before it closes.
std::optional<OpeningSpan> parse_span(std::string_view text);
std::string format_span(const OpeningSpan& span);
std::string format_clock(int minutes);  // minutes after local midnight as "HH:MM"
// "08:30-12:00, 13:30-17:30": the spans joined by `separator`.
std::string format_hours(const std::vector<OpeningSpan>& hours, std::string_view separator);
// Whether a service with these hours (empty: all day) issues tickets at local minute `minute`.
// The server refuses by it, and a kiosk greys a service's button by the same rule.
bool open_at(const std::vector<OpeningSpan>& hours, int minute);
// Minutes after local midnight at `t` (UTC ms) in a zone `utc_offset_min` from UTC: the minute
// open_at() is asked about, by the server and by a kiosk alike.
int local_minute_of_day(int utc_offset_min, TimeMs t);

// The appointment slots of one day of `s`, in local minutes after midnight, in order; empty when
// the service takes no appointments.
std::vector<OpeningSpan> appointment_slots(const ServiceConfig& s);

struct WindowConfig {
  int number = 0;                     // 1..999, unique; what the voice and the strips say
  LocalizedText name;
  std::string department;
  std::vector<std::string> services;  // service codes, in the order this window prefers them
  int idle_limit_min = 0;             // idle while open longer than this alerts; 0 = never
  friend bool operator==(const WindowConfig&, const WindowConfig&) = default;
};

// booking: the online booking portal; authenticates as Role::booking.
enum class DeviceKind { kiosk, display, printer, evaluator, booking };
std::string_view to_string(DeviceKind v);

struct DeviceConfig {
  std::string id;                  // unique, e.g. "kiosk-1"
  DeviceKind kind = DeviceKind::display;
  std::string token;               // bearer token the device presents (>= 16 chars)
  LocalizedText name;
  int window = 0;                  // displays (strips) and evaluators: their window; 0 = hall-wide
  std::string layout;              // displays: "strip", "board", ... (free text, display-side)
  std::string printer;             // kiosks: id of the printer device that prints their tickets
  std::vector<std::string> services;  // kiosks: services offered; empty = all
  friend bool operator==(const DeviceConfig&, const DeviceConfig&) = default;
};

struct UserConfig {
  std::string name;                // login name, unique
  std::string display_name;
  Role role = Role::clerk;         // clerk or admin
  std::string password_hash;       // libsodium crypto_pwhash_str (Argon2id) string
  std::vector<int> windows;        // clerks: windows they may work at
  friend bool operator==(const UserConfig&, const UserConfig&) = default;
};

struct PriorityReason {
  std::string code;                // "elderly", "disabled", "military", ...
  LocalizedText name;
  friend bool operator==(const PriorityReason&, const PriorityReason&) = default;
};

// 示范窗口 / 服务标兵 ranking weights (rules.ranking; formula in docs/reports.md). Integers
// 0..100; only windows and clerks with at least min_cases completed visits are ranked.
struct RankingRules {
  int volume = 30;
  int satisfaction = 40;
  int overdue = 15;
  int no_show = 15;
  int min_cases = 10;
  friend bool operator==(const RankingRules&, const RankingRules&) = default;
};

struct Rules {
  int utc_offset_min = 8 * 60;     // the hall's local time (China: +08:00, no DST)
  int reset_hour = 0;              // local hour at which a new business day starts numbering
  bool enforce_opening_hours = true;
  std::vector<PriorityReason> priority_reasons;  // accepted reasons for the priority class
  int aging_min = 45;              // a ticket waiting longer jumps class and service order
  int appointment_early_min = 30;  // appointment rank applies from booked time minus this...
  int appointment_late_min = 15;   // ...until booked time plus this; outside, it ranks normal
  int estimate_sample = 20;        // recent service times per service used for estimates
  int kiosk_rate_per_min = 60;     // issue commands per kiosk per minute (burst = a tenth)
  int clerk_rate_per_min = 120;    // commands per clerk per minute
  RankingRules ranking;            // report ranking weights (docs/reports.md)
  int followup_working_days = 15;  // a bad rating's follow-up is due this many working days on
  // The weekdays the hall works (0 = Sunday ... 6 = Saturday). Appointments are booked and
  // follow-up working days counted on these days only, holidays excepted.
  std::vector<int> workdays{1, 2, 3, 4, 5};
  std::vector<std::string> holidays;  // "YYYY-MM-DD" days off on workdays (public holidays)
  // "YYYY-MM-DD" days worked although their weekday is not a workday: 调休, the Saturday or
  // Sunday worked to make a public holiday longer.
  std::vector<std::string> extra_workdays;
  friend bool operator==(const Rules&, const Rules&) = default;
};

struct HallConfig {
  std::string id;                  // short id, e.g. "xx-county"
  LocalizedText name;
  std::string notice;              // initial notice line for the hall boards
  std::vector<ServiceConfig> services;
  std::vector<WindowConfig> windows;
  std::vector<DeviceConfig> devices;
  std::vector<UserConfig> users;
  Rules rules;

  const ServiceConfig* service(std::string_view code) const;
  const WindowConfig* window(int number) const;
  const DeviceConfig* device_by_token(std::string_view token) const;
  const DeviceConfig* device(std::string_view id) const;
  const UserConfig* user(std::string_view name) const;
  friend bool operator==(const HallConfig&, const HallConfig&) = default;
};

// Validates everything: types, ranges, unknown fields, unique codes and numbers, references
// (a window's service, a clerk's window, a kiosk's printer). The error message starts with the
// JSON path of the first problem, e.g. "/windows/3/services/1: unknown service code \"Z\"".
Result<HallConfig> parse_hall_config(const nlohmann::json& j);
// Reads and parses a file; a JSON syntax error names the line and column.
Result<HallConfig> load_hall_config(const std::string& path);
// The inverse of parse_hall_config: parse_hall_config(to_json(c)) == c.
nlohmann::json hall_config_to_json(const HallConfig& c);

// The weekday of a valid "YYYY-MM-DD" (0 = Sunday ... 6 = Saturday, as rules.workdays) and its
// English name.
int weekday_of(std::string_view date);
const char* weekday_name(int weekday);
// Why the hall does not work on a valid "YYYY-MM-DD" ("Saturday", "a holiday"), or nullopt on a
// working day: a workday that is not a holiday, or one of the extra working days (调休).
std::optional<std::string> day_off(const Rules& rules, std::string_view date);

}  // namespace hallq
