#include "hallq/hall_config.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "hallq/json_codec.h"

namespace hallq {

using nlohmann::json;

// ---- lookups ------------------------------------------------------------------------------------

const std::string& LocalizedText::in(std::string_view lang) const {
  if (lang == "zh-TW" && !zh_tw.empty()) return zh_tw;
  if (lang == "en" && !en.empty()) return en;
  return zh_cn;
}

std::string_view to_string(DeviceKind v) {
  switch (v) {
    case DeviceKind::kiosk: return "kiosk";
    case DeviceKind::display: return "display";
    case DeviceKind::printer: return "printer";
    case DeviceKind::evaluator: return "evaluator";
    case DeviceKind::booking: return "booking";
  }
  return "?";
}

std::vector<OpeningSpan> appointment_slots(const ServiceConfig& s) {
  std::vector<OpeningSpan> slots;
  if (!s.appointments || s.appointments->slot_min <= 0) return slots;
  const int len = s.appointments->slot_min;
  std::vector<OpeningSpan> spans = s.hours;
  if (spans.empty()) spans.push_back(OpeningSpan{8 * 60, 18 * 60});
  for (const auto& span : spans)
    for (int start = span.open_min; start + len <= span.close_min; start += len)
      slots.push_back(OpeningSpan{start, start + len});
  return slots;
}

const ServiceConfig* HallConfig::service(std::string_view code) const {
  for (const auto& s : services)
    if (s.code == code) return &s;
  return nullptr;
}

const WindowConfig* HallConfig::window(int number) const {
  for (const auto& w : windows)
    if (w.number == number) return &w;
  return nullptr;
}

namespace {
// Compares every byte of equal-length strings so that the time taken says nothing about how
// much of a guessed token was right.
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}
}  // namespace

const DeviceConfig* HallConfig::device_by_token(std::string_view token) const {
  const DeviceConfig* found = nullptr;
  for (const auto& d : devices)
    if (same_secret(d.token, token) && found == nullptr) found = &d;
  return found;
}

const DeviceConfig* HallConfig::device(std::string_view id) const {
  for (const auto& d : devices)
    if (d.id == id) return &d;
  return nullptr;
}

const UserConfig* HallConfig::user(std::string_view name) const {
  for (const auto& u : users)
    if (u.name == name) return &u;
  return nullptr;
}

// ---- parsing ------------------------------------------------------------------------------------

namespace {

constexpr std::size_t kMaxServices = 100;
constexpr std::size_t kMaxWindows = 999;
constexpr std::size_t kMaxDevices = 5000;
constexpr std::size_t kMaxUsers = 5000;
constexpr std::size_t kMaxSpans = 12;
constexpr std::size_t kMaxPriorityReasons = 32;
constexpr std::size_t kMaxNameBytes = 200;    // about 60 Chinese characters
constexpr std::size_t kMaxNoticeBytes = 500;  // as SetNotice
constexpr std::int64_t kDayMin = 24 * 60;
constexpr std::size_t kMaxHolidays = 1000;  // some years of public holidays

// The decimal number in s[from, from + len), all digits (checked by the caller).
int digits_at(std::string_view s, std::size_t from, std::size_t len) {
  int v = 0;
  for (std::size_t i = from; i < from + len; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

// "YYYY-MM-DD" naming a real day of the years 2000..2199.
bool is_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return false;
  const int y = digits_at(s, 0, 4), m = digits_at(s, 5, 2), d = digits_at(s, 8, 2);
  if (y < 2000 || y > 2199 || m < 1 || m > 12 || d < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

}  // namespace

int weekday_of(std::string_view date) {
  const std::chrono::year_month_day ymd{std::chrono::year(digits_at(date, 0, 4)),
                                        std::chrono::month(unsigned(digits_at(date, 5, 2))),
                                        std::chrono::day(unsigned(digits_at(date, 8, 2)))};
  return int(std::chrono::weekday(std::chrono::sys_days(ymd)).c_encoding());
}

const char* weekday_name(int weekday) {
  static constexpr const char* kNames[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
  return weekday >= 0 && weekday <= 6 ? kNames[weekday] : "?";
}

std::optional<std::string> day_off(const Rules& rules, std::string_view date) {
  auto listed = [date](const std::vector<std::string>& days) {
    return std::find(days.begin(), days.end(), date) != days.end();
  };
  const int wd = weekday_of(date);
  if (std::find(rules.workdays.begin(), rules.workdays.end(), wd) == rules.workdays.end()) {
    if (listed(rules.extra_workdays)) return std::nullopt;  // 调休
    return std::string(weekday_name(wd));
  }
  if (listed(rules.holidays)) return std::string("a holiday");
  return std::nullopt;
}

namespace {

std::optional<DeviceKind> device_kind_from_string(std::string_view s) {
  for (auto k : {DeviceKind::kiosk, DeviceKind::display, DeviceKind::printer, DeviceKind::evaluator,
                 DeviceKind::booking})
    if (to_string(k) == s) return k;
  return std::nullopt;
}

bool is_service_code(std::string_view s) {
  if (s.empty() || s.size() > 2) return false;
  for (char c : s)
    if (c < 'A' || c > 'Z') return false;
  return true;
}

// Ids and login names: 1..64 of [A-Za-z0-9._-].
bool is_identifier(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    bool good = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-';
    if (!good) return false;
  }
  return true;
}

// Tokens travel in an HTTP header: visible ASCII only.
bool is_token(std::string_view s) {
  for (char c : s)
    if (c < 0x21 || c > 0x7e) return false;
  return s.size() >= 16;
}

// Appended rather than "\"" + std::string(s) + "\"": g++ 12 -O2 warns wrongly about that chain
// (a false -Wrestrict), and scripts/demo builds with -O2.
std::string in_quotes(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.append(1, '"').append(s).append(1, '"');
  return out;
}
std::string at(const std::string& path, std::size_t i) { return path + "/" + std::to_string(i); }

// "HH:MM" to minutes after midnight; 24:00 is the end of the day. -1 if malformed.
int parse_clock(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return -1;
  for (std::size_t i : {0u, 1u, 3u, 4u})
    if (s[i] < '0' || s[i] > '9') return -1;
  int h = (s[0] - '0') * 10 + (s[1] - '0');
  int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > 24 || m > 59 || (h == 24 && m != 0)) return -1;
  return h * 60 + m;
}

// Parses a whole config and stops at the first problem, whose message starts with its path.
class ConfigParser {
 public:
  Result<HallConfig> run(const json& j) {
    parse_hall(j);
    if (error_) return make_error(ErrorCode::bad_request, *error_);
    return std::move(c_);
  }

 private:
  bool fail(const std::string& path, const std::string& message) {
    if (!error_) error_ = path + ": " + message;
    return false;
  }

  // Reports the reader's first problem or unknown field.
  bool finish(JsonReader& r) {
    auto s = r.finish();
    if (!s) {
      if (!error_) error_ = s.error().message;
      return false;
    }
    return true;
  }

  // True when `key` holds a value; an explicit null counts as absent (and is consumed).
  static bool present(JsonReader& r, std::string_view key) {
    if (r.has(key)) return true;
    r.child(key, false);
    return false;
  }

  // Rejects a field that the kind of device at hand does not have.
  bool not_for(JsonReader& r, std::string_view key, const std::string& why) {
    if (r.ok() && present(r, key)) r.fail(r.path_of(key) + ": " + why);
    return r.ok();
  }

  bool array(const json* v, const std::string& path, std::size_t max, const char* noun) {
    if (v == nullptr) return true;
    if (!v->is_array()) return fail(path, "must be an array");
    if (v->size() > max)
      return fail(path, "at most " + std::to_string(max) + " " + noun + " are allowed");
    return true;
  }

  // A name: either a string (Simplified Chinese only) or {"zh_cn", "zh_tw", "en"}.
  // zh_cn is never empty in a name that is given.
  bool text(const json* v, const std::string& path, LocalizedText& out) {
    if (v == nullptr) return true;
    if (v->is_string()) {
      out.zh_cn = v->get<std::string>();
      if (out.zh_cn.empty()) return fail(path, "must not be empty");
      if (out.zh_cn.size() > kMaxNameBytes)
        return fail(path, "must be at most " + std::to_string(kMaxNameBytes) + " bytes");
      return true;
    }
    if (!v->is_object())
      return fail(path, "must be a string or an object {\"zh_cn\", \"zh_tw\", \"en\"}");
    JsonReader r(*v, path);
    out.zh_cn = r.string("zh_cn", true, kMaxNameBytes);
    if (r.ok() && out.zh_cn.empty()) r.fail(r.path_of("zh_cn") + ": must not be empty");
    out.zh_tw = r.string("zh_tw", false, kMaxNameBytes);
    out.en = r.string("en", false, kMaxNameBytes);
    return finish(r);
  }

  bool identifier(JsonReader& r, std::string_view key, std::string& out) {
    out = r.string(key, true, 64);
    if (r.ok() && !is_identifier(out))
      r.fail(r.path_of(key) + ": must be 1 to 64 characters of A-Z a-z 0-9 . _ -");
    return r.ok();
  }

  void parse_hall(const json& j) {
    JsonReader r(j, "");
    identifier(r, "id", c_.id);
    const json* name = r.child("name", true);
    c_.notice = r.string("notice", false, kMaxNoticeBytes);
    const json* services = r.child("services", true);
    const json* windows = r.child("windows", true);
    const json* devices = r.child("devices", false);
    const json* users = r.child("users", true);
    const json* rules = r.child("rules", false);
    if (!finish(r)) return;
    if (!text(name, "/name", c_.name)) return;

    if (!array(services, "/services", kMaxServices, "services")) return;
    if (services->empty()) {
      fail("/services", "at least one service is required");
      return;
    }
    for (std::size_t i = 0; i < services->size(); ++i)
      if (!service((*services)[i], at("/services", i))) return;

    if (!array(windows, "/windows", kMaxWindows, "windows")) return;
    if (windows->empty()) {
      fail("/windows", "at least one window is required");
      return;
    }
    for (std::size_t i = 0; i < windows->size(); ++i)
      if (!window((*windows)[i], at("/windows", i))) return;

    if (!array(devices, "/devices", kMaxDevices, "devices")) return;
    if (devices != nullptr) {
      for (std::size_t i = 0; i < devices->size(); ++i)
        if (!device((*devices)[i], at("/devices", i))) return;
      if (!kiosk_printers()) return;
    }

    if (!array(users, "/users", kMaxUsers, "users")) return;
    for (std::size_t i = 0; i < users->size(); ++i)
      if (!user((*users)[i], at("/users", i))) return;
    bool admin = false;
    for (const auto& u : c_.users) admin = admin || u.role == Role::admin;
    if (!admin) {
      fail("/users", "at least one admin is required");
      return;
    }

    if (rules != nullptr) parse_rules(*rules, "/rules");
  }

  bool service(const json& j, const std::string& path) {
    ServiceConfig s;
    JsonReader r(j, path);
    s.code = r.string("code", true, 16);
    if (r.ok() && !is_service_code(s.code))
      r.fail(r.path_of("code") + ": must be 1 or 2 upper-case letters A-Z");
    const json* name = r.child("name", true);
    s.department = r.string("department", false, kMaxNameBytes);
    const json* hours = r.child("hours", false);
    s.daily_cap = int(r.integer("daily_cap", false, 0, 99999, s.daily_cap));
    s.number_digits = int(r.integer("number_digits", false, 2, 5, s.number_digits));
    s.wait_limit_min = int(r.integer("wait_limit_min", false, 1, kDayMin, s.wait_limit_min));
    s.service_limit_min =
        int(r.integer("service_limit_min", false, 1, kDayMin, s.service_limit_min));
    s.expected_service_min =
        int(r.integer("expected_service_min", false, 1, kDayMin, s.expected_service_min));
    const json* appointments = r.child("appointments", false);
    if (!finish(r)) return false;
    if (appointments != nullptr) {
      JsonReader ar(*appointments, path + "/appointments");
      AppointmentConfig a;
      a.slot_min = int(ar.integer("slot_min", false, 5, 240, a.slot_min));
      a.capacity = int(ar.integer("capacity", false, 1, 1000, a.capacity));
      a.days_ahead = int(ar.integer("days_ahead", false, 0, 60, a.days_ahead));
      if (!finish(ar)) return false;
      s.appointments = a;
    }

    if (auto it = service_paths_.find(s.code); it != service_paths_.end())
      return fail(path + "/code", "duplicate service code " + in_quotes(s.code) + " (first at " +
                                      it->second + ")");
    service_paths_.emplace(s.code, path);
    if (!text(name, path + "/name", s.name)) return false;

    int largest = 1;
    for (int d = 0; d < s.number_digits; ++d) largest *= 10;
    if (s.daily_cap > largest - 1)
      return fail(path + "/daily_cap", "must be at most " + std::to_string(largest - 1) +
                                           " with number_digits " +
                                           std::to_string(s.number_digits));

    std::string hours_path = path + "/hours";
    if (!array(hours, hours_path, kMaxSpans, "opening spans")) return false;
    if (hours != nullptr) {
      for (std::size_t i = 0; i < hours->size(); ++i) {
        const json& h = (*hours)[i];
        std::string span_path = at(hours_path, i);
        if (!h.is_string()) return fail(span_path, "must be a string \"HH:MM-HH:MM\"");
        const auto& text = h.get_ref<const std::string&>();
        auto span = parse_span(text);
        if (!span) {
          const bool clocks = text.size() == 11 && text[5] == '-' && parse_clock(text.substr(0, 5)) >= 0 &&
                              parse_clock(text.substr(6)) >= 0;
          return fail(span_path, clocks ? "must open before it closes"
                                        : "must be \"HH:MM-HH:MM\" from 00:00 to 24:00, not " + in_quotes(text));
        }
        if (!s.hours.empty() && span->open_min < s.hours.back().close_min)
          return fail(span_path, "must start after the span before it ends (spans in order, "
                                 "not overlapping)");
        s.hours.push_back(*span);
      }
    }
    if (s.appointments && appointment_slots(s).empty())
      return fail(path + "/appointments/slot_min",
                  "no slot of " + std::to_string(s.appointments->slot_min) +
                      " minutes fits in any opening span of the service");
    c_.services.push_back(std::move(s));
    return true;
  }

  // A list of service codes that must exist and not repeat.
  bool service_list(const json& list, const std::string& path, std::vector<std::string>& out) {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const json& v = list[i];
      std::string item = at(path, i);
      if (!v.is_string()) return fail(item, "must be a service code string");
      const auto& code = v.get_ref<const std::string&>();
      if (c_.service(code) == nullptr) return fail(item, "unknown service code " + in_quotes(code));
      if (!seen.insert(code).second) return fail(item, "service " + in_quotes(code) + " is repeated");
      out.push_back(code);
    }
    return true;
  }

  // A list of window numbers that must exist and not repeat.
  bool window_list(const json& list, const std::string& path, std::vector<int>& out) {
    std::set<int> seen;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const json& v = list[i];
      std::string item = at(path, i);
      if (!v.is_number_integer() || v.get<std::int64_t>() < 1 || v.get<std::int64_t>() > 999 ||
          (v.is_number_unsigned() && v.get<std::uint64_t>() > 999))
        return fail(item, "must be a window number from 1 to 999");
      int n = v.get<int>();
      if (c_.window(n) == nullptr) return fail(item, "unknown window " + std::to_string(n));
      if (!seen.insert(n).second) return fail(item, "window " + std::to_string(n) + " is repeated");
      out.push_back(n);
    }
    return true;
  }

  bool window(const json& j, const std::string& path) {
    WindowConfig w;
    JsonReader r(j, path);
    w.number = int(r.integer("number", true, 1, 999));
    const json* name = r.child("name", false);
    w.department = r.string("department", false, kMaxNameBytes);
    const json* services = r.child("services", true);
    w.idle_limit_min = int(r.integer("idle_limit_min", false, 0, kDayMin, w.idle_limit_min));
    if (!finish(r)) return false;

    if (c_.window(w.number) != nullptr) {
      std::size_t first = 0;
      while (c_.windows[first].number != w.number) ++first;
      return fail(path + "/number", "duplicate window number " + std::to_string(w.number) +
                                        " (first at " + at("/windows", first) + ")");
    }
    if (!text(name, path + "/name", w.name)) return false;
    std::string services_path = path + "/services";
    if (!array(services, services_path, kMaxServices, "services")) return false;
    if (services->empty()) return fail(services_path, "a window serves at least one service");
    if (!service_list(*services, services_path, w.services)) return false;
    c_.windows.push_back(std::move(w));
    return true;
  }

  bool device(const json& j, const std::string& path) {
    DeviceConfig d;
    JsonReader r(j, path);
    identifier(r, "id", d.id);
    std::string kind = r.string("kind", true, 16);
    if (r.ok()) {
      if (auto k = device_kind_from_string(kind)) {
        d.kind = *k;
      } else {
        r.fail(r.path_of("kind") +
               ": must be \"kiosk\", \"display\", \"printer\", \"evaluator\" or \"booking\"");
      }
    }
    d.token = r.string("token", true, 256);
    if (r.ok() && !is_token(d.token))
      r.fail(r.path_of("token") + ": must be at least 16 visible ASCII characters");
    const json* name = r.child("name", false);

    const json* services = nullptr;
    if (d.kind == DeviceKind::evaluator) {
      d.window = int(r.integer("window", true, 1, 999));
    } else if (d.kind == DeviceKind::display) {
      d.window = int(r.integer("window", false, 0, 999, 0));
    } else {
      not_for(r, "window", "only displays and evaluators have a window");
    }
    if (d.kind == DeviceKind::display) {
      d.layout = r.string("layout", false, 32);
    } else {
      not_for(r, "layout", "only displays have a layout");
    }
    if (d.kind == DeviceKind::kiosk) {
      d.printer = r.string("printer", false, 64);
      services = r.child("services", false);
    } else {
      not_for(r, "printer", "only kiosks have a printer");
      not_for(r, "services", "only kiosks offer services");
    }
    if (!finish(r)) return false;

    if (auto it = device_paths_.find(d.id); it != device_paths_.end())
      return fail(path + "/id", "duplicate device id " + in_quotes(d.id) + " (first at " +
                                    it->second + ")");
    device_paths_.emplace(d.id, path);
    // The token itself stays out of the message: messages end up in logs.
    if (auto it = token_paths_.find(d.token); it != token_paths_.end())
      return fail(path + "/token", "same token as " + it->second + "/token");
    token_paths_.emplace(d.token, path);
    if (!text(name, path + "/name", d.name)) return false;
    if (d.window != 0 && c_.window(d.window) == nullptr)
      return fail(path + "/window", "unknown window " + std::to_string(d.window));
    std::string services_path = path + "/services";
    if (!array(services, services_path, kMaxServices, "services")) return false;
    if (services != nullptr && !service_list(*services, services_path, d.services)) return false;
    c_.devices.push_back(std::move(d));
    return true;
  }

  // After all devices are known: a kiosk's printer must be a printer device.
  bool kiosk_printers() {
    for (std::size_t i = 0; i < c_.devices.size(); ++i) {
      const auto& d = c_.devices[i];
      if (d.kind != DeviceKind::kiosk || d.printer.empty()) continue;
      const DeviceConfig* p = c_.device(d.printer);
      std::string path = at("/devices", i) + "/printer";
      if (p == nullptr) return fail(path, "unknown device " + in_quotes(d.printer));
      if (p->kind != DeviceKind::printer)
        return fail(path, "device " + in_quotes(d.printer) + " is a " +
                              std::string(to_string(p->kind)) + ", not a printer");
    }
    return true;
  }

  bool user(const json& j, const std::string& path) {
    UserConfig u;
    JsonReader r(j, path);
    identifier(r, "name", u.name);
    u.display_name = r.string("display_name", true, 64);
    if (r.ok() && u.display_name.empty()) r.fail(r.path_of("display_name") + ": must not be empty");
    std::string role = r.string("role", true, 16);
    if (r.ok()) {
      if (role == "clerk") {
        u.role = Role::clerk;
      } else if (role == "admin") {
        u.role = Role::admin;
      } else {
        r.fail(r.path_of("role") + ": must be \"clerk\" or \"admin\"");
      }
    }
    u.password_hash = r.string("password_hash", true, 127);  // crypto_pwhash_STRBYTES - 1
    if (r.ok() && u.password_hash.rfind("$argon2id$", 0) != 0)
      r.fail(r.path_of("password_hash") +
             ": must be an Argon2id hash from crypto_pwhash_str (\"$argon2id$...\")");
    const json* windows = r.child("windows", u.role == Role::clerk);
    if (!finish(r)) return false;

    if (auto it = user_paths_.find(u.name); it != user_paths_.end())
      return fail(path + "/name",
                  "duplicate user name " + in_quotes(u.name) + " (first at " + it->second + ")");
    user_paths_.emplace(u.name, path);
    std::string windows_path = path + "/windows";
    if (!array(windows, windows_path, kMaxWindows, "windows")) return false;
    if (u.role == Role::clerk && windows->empty())
      return fail(windows_path, "a clerk works at least one window");
    if (u.role == Role::admin && windows != nullptr && !windows->empty())
      return fail(windows_path, "an admin has no windows (admins act at every window)");
    if (windows != nullptr && !window_list(*windows, windows_path, u.windows)) return false;
    c_.users.push_back(std::move(u));
    return true;
  }

  void parse_rules(const json& j, const std::string& path) {
    Rules& x = c_.rules;
    JsonReader r(j, path);
    x.utc_offset_min = int(r.integer("utc_offset_min", false, -720, 840, x.utc_offset_min));
    x.reset_hour = int(r.integer("reset_hour", false, 0, 23, x.reset_hour));
    x.enforce_opening_hours = r.boolean("enforce_opening_hours", false, x.enforce_opening_hours);
    const json* reasons = r.child("priority_reasons", false);
    x.aging_min = int(r.integer("aging_min", false, 1, kDayMin, x.aging_min));
    x.appointment_early_min =
        int(r.integer("appointment_early_min", false, 0, kDayMin, x.appointment_early_min));
    x.appointment_late_min =
        int(r.integer("appointment_late_min", false, 0, kDayMin, x.appointment_late_min));
    x.estimate_sample = int(r.integer("estimate_sample", false, 1, 1000, x.estimate_sample));
    x.kiosk_rate_per_min =
        int(r.integer("kiosk_rate_per_min", false, 1, 100000, x.kiosk_rate_per_min));
    x.clerk_rate_per_min =
        int(r.integer("clerk_rate_per_min", false, 1, 100000, x.clerk_rate_per_min));
    x.followup_working_days =
        int(r.integer("followup_working_days", false, 1, 365, x.followup_working_days));
    const json* holidays = r.child("holidays", false);
    const json* workdays = r.child("workdays", false);
    const json* extra_workdays = r.child("extra_workdays", false);
    const json* ranking = r.child("ranking", false);
    if (!finish(r)) return;
    if (ranking != nullptr) {
      JsonReader rr(*ranking, path + "/ranking");
      RankingRules& k = x.ranking;
      k.volume = int(rr.integer("volume", false, 0, 100, k.volume));
      k.satisfaction = int(rr.integer("satisfaction", false, 0, 100, k.satisfaction));
      k.overdue = int(rr.integer("overdue", false, 0, 100, k.overdue));
      k.no_show = int(rr.integer("no_show", false, 0, 100, k.no_show));
      k.min_cases = int(rr.integer("min_cases", false, 0, 100000, k.min_cases));
      if (rr.ok() && k.volume + k.satisfaction + k.overdue + k.no_show == 0)
        rr.fail(path + "/ranking: at least one weight must be above 0");
      if (!finish(rr)) return;
    }

    if (workdays != nullptr) {
      const std::string workdays_path = path + "/workdays";
      if (!array(workdays, workdays_path, 7, "workdays")) return;
      if (workdays->empty()) {
        fail(workdays_path, "name at least one weekday the hall works (0 = Sunday ... 6 = Saturday)");
        return;
      }
      x.workdays.clear();
      for (std::size_t i = 0; i < workdays->size(); ++i) {
        const json& d = (*workdays)[i];
        if (!d.is_number_integer() || d.get<int>() < 0 || d.get<int>() > 6) {
          fail(at(workdays_path, i), "must be a weekday 0 to 6 (0 = Sunday ... 6 = Saturday)");
          return;
        }
        if (std::find(x.workdays.begin(), x.workdays.end(), d.get<int>()) != x.workdays.end()) {
          fail(at(workdays_path, i), "duplicate weekday " + std::to_string(d.get<int>()));
          return;
        }
        x.workdays.push_back(d.get<int>());
      }
    }

    // Dates: public holidays (days off on workdays) and make-up working days (调休: a weekend day
    // worked in exchange for a longer holiday). A date may be one or the other, not both.
    std::map<std::string, std::string> seen_days;  // date -> where it was first named
    auto dates = [&](const json* list, const std::string& list_path, const char* noun,
                     std::vector<std::string>& out) {
      if (!array(list, list_path, kMaxHolidays, noun)) return false;
      if (list == nullptr) return true;
      for (std::size_t i = 0; i < list->size(); ++i) {
        std::string item = at(list_path, i);
        const json& h = (*list)[i];
        if (!h.is_string() || !is_date(h.get_ref<const std::string&>()))
          return fail(item, "must be a date \"YYYY-MM-DD\" (years 2000 to 2199)");
        const std::string& day = h.get_ref<const std::string&>();
        if (auto it = seen_days.find(day); it != seen_days.end())
          return fail(item, "duplicate day " + in_quotes(day) + " (first at " + it->second + ")");
        seen_days.emplace(day, item);
        out.push_back(day);
      }
      return true;
    };
    if (!dates(holidays, path + "/holidays", "holidays", x.holidays)) return;
    const std::string extra_path = path + "/extra_workdays";
    if (!dates(extra_workdays, extra_path, "extra working days", x.extra_workdays)) return;
    for (std::size_t i = 0; i < x.extra_workdays.size(); ++i) {
      const int wd = weekday_of(x.extra_workdays[i]);
      if (std::find(x.workdays.begin(), x.workdays.end(), wd) != x.workdays.end()) {
        fail(at(extra_path, i), in_quotes(x.extra_workdays[i]) + " is a " + weekday_name(wd) +
                                    ", already a working day (rules.workdays)");
        return;
      }
    }

    std::string reasons_path = path + "/priority_reasons";
    if (!array(reasons, reasons_path, kMaxPriorityReasons, "priority reasons")) return;
    if (reasons == nullptr) return;
    std::map<std::string, std::string> seen;
    for (std::size_t i = 0; i < reasons->size(); ++i) {
      std::string item = at(reasons_path, i);
      PriorityReason p;
      JsonReader rr((*reasons)[i], item);
      identifier(rr, "code", p.code);
      if (rr.ok() && p.code.size() > 32)
        rr.fail(rr.path_of("code") + ": must be at most 32 characters");
      const json* name = rr.child("name", true);
      if (!finish(rr)) return;
      if (auto it = seen.find(p.code); it != seen.end()) {
        fail(item + "/code",
             "duplicate priority reason " + in_quotes(p.code) + " (first at " + it->second + ")");
        return;
      }
      seen.emplace(p.code, item);
      if (!text(name, item + "/name", p.name)) return;
      x.priority_reasons.push_back(std::move(p));
    }
  }

  HallConfig c_;
  std::optional<std::string> error_;
  // Where each code, id, token and name was first seen, for duplicate messages.
  std::map<std::string, std::string> service_paths_;
  std::map<std::string, std::string> device_paths_;
  std::map<std::string, std::string> token_paths_;
  std::map<std::string, std::string> user_paths_;
};

// ---- writing ------------------------------------------------------------------------------------

// The short form (a plain string) when only the Simplified Chinese text is set.
json text_to_json(const LocalizedText& t) {
  if (t.zh_tw.empty() && t.en.empty()) return t.zh_cn;
  json j{{"zh_cn", t.zh_cn}};
  if (!t.zh_tw.empty()) j["zh_tw"] = t.zh_tw;
  if (!t.en.empty()) j["en"] = t.en;
  return j;
}

bool is_empty(const LocalizedText& t) { return t.zh_cn.empty() && t.zh_tw.empty() && t.en.empty(); }

}  // namespace

Result<HallConfig> parse_hall_config(const nlohmann::json& j) { return ConfigParser().run(j); }

Result<HallConfig> load_hall_config(const std::string& path) {
  auto j = load_json_file(path);
  if (!j) return j.error();
  auto config = parse_hall_config(*j);
  if (!config) return make_error(config.error().code, path + ": " + config.error().message);
  return config;
}

nlohmann::json hall_config_to_json(const HallConfig& c) {
  json services = json::array();
  for (const auto& s : c.services) {
    json js{{"code", s.code},
            {"name", text_to_json(s.name)},
            {"daily_cap", s.daily_cap},
            {"number_digits", s.number_digits},
            {"wait_limit_min", s.wait_limit_min},
            {"service_limit_min", s.service_limit_min},
            {"expected_service_min", s.expected_service_min}};
    if (!s.department.empty()) js["department"] = s.department;
    if (!s.hours.empty()) {
      json hours = json::array();
      for (const auto& h : s.hours) hours.push_back(format_span(h));
      js["hours"] = std::move(hours);
    }
    if (s.appointments)
      js["appointments"] = {{"slot_min", s.appointments->slot_min},
                            {"capacity", s.appointments->capacity},
                            {"days_ahead", s.appointments->days_ahead}};
    services.push_back(std::move(js));
  }

  json windows = json::array();
  for (const auto& w : c.windows) {
    json jw{{"number", w.number}, {"services", w.services}, {"idle_limit_min", w.idle_limit_min}};
    if (!is_empty(w.name)) jw["name"] = text_to_json(w.name);
    if (!w.department.empty()) jw["department"] = w.department;
    windows.push_back(std::move(jw));
  }

  json devices = json::array();
  for (const auto& d : c.devices) {
    json jd{{"id", d.id}, {"kind", to_string(d.kind)}, {"token", d.token}};
    if (!is_empty(d.name)) jd["name"] = text_to_json(d.name);
    if (d.window != 0) jd["window"] = d.window;
    if (!d.layout.empty()) jd["layout"] = d.layout;
    if (!d.printer.empty()) jd["printer"] = d.printer;
    if (!d.services.empty()) jd["services"] = d.services;
    devices.push_back(std::move(jd));
  }

  json users = json::array();
  for (const auto& u : c.users) {
    json ju{{"name", u.name},
            {"display_name", u.display_name},
            {"role", to_string(u.role)},
            {"password_hash", u.password_hash}};
    if (!u.windows.empty()) ju["windows"] = u.windows;
    users.push_back(std::move(ju));
  }

  json reasons = json::array();
  for (const auto& p : c.rules.priority_reasons)
    reasons.push_back(json{{"code", p.code}, {"name", text_to_json(p.name)}});
  const Rules& x = c.rules;
  json rules{{"utc_offset_min", x.utc_offset_min},
             {"reset_hour", x.reset_hour},
             {"enforce_opening_hours", x.enforce_opening_hours},
             {"priority_reasons", std::move(reasons)},
             {"aging_min", x.aging_min},
             {"appointment_early_min", x.appointment_early_min},
             {"appointment_late_min", x.appointment_late_min},
             {"estimate_sample", x.estimate_sample},
             {"kiosk_rate_per_min", x.kiosk_rate_per_min},
             {"clerk_rate_per_min", x.clerk_rate_per_min},
             {"followup_working_days", x.followup_working_days},
             {"ranking", {{"volume", x.ranking.volume},
                          {"satisfaction", x.ranking.satisfaction},
                          {"overdue", x.ranking.overdue},
                          {"no_show", x.ranking.no_show},
                          {"min_cases", x.ranking.min_cases}}}};
  if (!x.holidays.empty()) rules["holidays"] = x.holidays;
  if (x.workdays != Rules{}.workdays) rules["workdays"] = x.workdays;
  if (!x.extra_workdays.empty()) rules["extra_workdays"] = x.extra_workdays;

  json j{{"id", c.id},
         {"name", text_to_json(c.name)},
         {"services", std::move(services)},
         {"windows", std::move(windows)},
         {"devices", std::move(devices)},
         {"users", std::move(users)},
         {"rules", std::move(rules)}};
  if (!c.notice.empty()) j["notice"] = c.notice;
  return j;
}

std::optional<OpeningSpan> parse_span(std::string_view text) {
  if (text.size() != 11 || text[5] != '-') return std::nullopt;
  const int open = parse_clock(text.substr(0, 5)), close = parse_clock(text.substr(6));
  if (open < 0 || close < 0 || open >= close) return std::nullopt;
  return OpeningSpan{open, close};
}

std::string format_clock(int minutes) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minutes / 60 % 100, minutes % 60);
  return buf;
}

std::string format_span(const OpeningSpan& span) {
  return format_clock(span.open_min) + "-" + format_clock(span.close_min);
}

std::string format_hours(const std::vector<OpeningSpan>& hours, std::string_view separator) {
  std::string out;
  for (const OpeningSpan& span : hours) {
    if (!out.empty()) out += separator;
    out += format_span(span);
  }
  return out;
}

int local_minute_of_day(int utc_offset_min, TimeMs t) {
  constexpr TimeMs kMinute = 60'000, kDay = 24 * 60 * kMinute;
  const TimeMs local = t + TimeMs(utc_offset_min) * kMinute;
  return int((local % kDay + kDay) % kDay / kMinute);
}

bool open_at(const std::vector<OpeningSpan>& hours, int minute) {
  if (hours.empty()) return true;
  for (const OpeningSpan& span : hours)
    if (span.open_min <= minute && minute < span.close_min) return true;
  return false;
}

}  // namespace hallq
