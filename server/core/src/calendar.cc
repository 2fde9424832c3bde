// Business days and local clock time from UTC milliseconds and the hall's fixed UTC offset.
// China has no daylight saving time, so a fixed offset is the whole story; no time zone data.
#include <cstdio>

#include "engine_impl.h"

namespace hallq::core {

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Howard Hinnant's civil_from_days: exact for the proleptic Gregorian calendar.
std::string civil_date(std::int64_t days) {
  days += 719468;
  const std::int64_t era = floor_div(days, 146097);
  const std::int64_t doe = days - era * 146097;                               // [0, 146096]
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);           // [0, 365]
  const std::int64_t mp = (5 * doy + 2) / 153;                                 // [0, 11]
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;                         // [1, 31]
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;                            // [1, 12]
  const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lld", static_cast<long long>(y),
                static_cast<long long>(m), static_cast<long long>(d));
  return buf;
}

namespace {
// Local time shifted back by the reset hour: its date is the business day.
std::int64_t shifted_local(const Rules& rules, TimeMs now) {
  return now + rules.utc_offset_min * kMinuteMs - rules.reset_hour * kHourMs;
}
}  // namespace

std::string business_day_at(const Rules& rules, TimeMs now) {
  return civil_date(floor_div(shifted_local(rules, now), kDayMs));
}

TimeMs next_day_start(const Rules& rules, TimeMs now) {
  const std::int64_t day = floor_div(shifted_local(rules, now), kDayMs);
  return (day + 1) * kDayMs - rules.utc_offset_min * kMinuteMs + rules.reset_hour * kHourMs;
}

std::int64_t local_days(const Rules& rules, TimeMs t) {
  return floor_div(t + rules.utc_offset_min * kMinuteMs, kDayMs);
}

int local_minute_of_day(const Rules& rules, TimeMs now) { return hallq::local_minute_of_day(rules.utc_offset_min, now); }

}  // namespace hallq::core
