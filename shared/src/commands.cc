#include "hallq/commands.h"

#include <array>
#include <concepts>
#include <cstdint>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "hallq/json_codec.h"

namespace hallq {
namespace {

using nlohmann::json;

// Indexed like CommandBody's alternatives.
constexpr std::array<std::string_view, 21> kNames{
    "issue", "call-next", "call",     "recall", "no-show", "start",  "complete", "transfer",
    "hold",  "callback",  "cancel",   "pause",  "resume",  "close",  "rollover", "notice",
    "rate",  "request-rating", "followup", "book", "cancel-appointment",
};
static_assert(std::variant_size_v<CommandBody> == kNames.size());

constexpr int kMaxWindow = 999;
// Milliseconds at 9999-12-31T23:59:59.999Z: far beyond any booking, small enough for any
// arithmetic on it.
constexpr std::int64_t kMaxTimeMs = 253402300799999;

template <typename T>
concept AtWindow = requires(const T& t) {
  { t.window } -> std::convertible_to<int>;
};

bool is_request_id_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '-';
}

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// ^[A-Z]{1,2}$: the service codes the hall config allows.
bool is_service_code(std::string_view s) {
  if (s.empty() || s.size() > 2) return false;
  for (char c : s)
    if (!is_upper(c)) return false;
  return true;
}

// ^[A-Z]{1,2}[0-9]{1,5}$
bool is_ticket_number(std::string_view s) {
  std::size_t letters = 0;
  while (letters < s.size() && is_upper(s[letters])) ++letters;
  if (letters < 1 || letters > 2) return false;
  std::size_t digits = s.size() - letters;
  if (digits < 1 || digits > 5) return false;
  for (std::size_t i = letters; i < s.size(); ++i)
    if (!is_digit(s[i])) return false;
  return true;
}

// Code points in s, or -1 when s is not valid UTF-8 (overlongs, surrogates, > U+10FFFF).
// A json value built in code may hold any bytes, and dump() would throw on them later.
long utf8_length(std::string_view s) {
  long n = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    std::size_t len;
    std::uint32_t cp;
    if (b < 0x80) {
      len = 1;
      cp = b;
    } else if ((b & 0xE0) == 0xC0) {
      len = 2;
      cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      len = 3;
      cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      len = 4;
      cp = b & 0x07;
    } else {
      return -1;
    }
    if (i + len > s.size()) return -1;
    for (std::size_t k = 1; k < len; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return -1;
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
    i += len;
    ++n;
  }
  return n;
}

// True when `key` holds a value. The reader treats null as absent; consuming it here keeps
// finish() from calling an explicit null an unknown field.
bool present(JsonReader& r, std::string_view key) {
  if (r.has(key)) return true;
  r.child(key, false);
  return false;
}

// Records `message` for `key` unless an earlier field already failed: the first problem wins.
void fail_at(JsonReader& r, std::string_view key, std::string_view message) {
  if (r.ok()) r.fail(r.path_of(key) + ": " + std::string(message));
}

// A free-text field: a valid UTF-8 string of at most `max` code points (or bytes).
enum class Unit { chars, bytes };
std::string text_field(JsonReader& r, std::string_view key, bool required, std::size_t max,
                       Unit unit) {
  const json* v = r.child(key, required);
  if (v == nullptr || !r.ok()) return {};
  if (!v->is_string()) {
    fail_at(r, key, "must be a string");
    return {};
  }
  const auto& s = v->get_ref<const std::string&>();
  long chars = utf8_length(s);
  if (chars < 0) {
    fail_at(r, key, "must be valid UTF-8");
    return {};
  }
  std::size_t len = unit == Unit::chars ? static_cast<std::size_t>(chars) : s.size();
  if (len > max) {
    fail_at(r, key,
            "must be at most " + std::to_string(max) +
                (unit == Unit::chars ? " characters" : " bytes (UTF-8)"));
    return {};
  }
  return s;
}

std::string service_field(JsonReader& r, std::string_view key) {
  std::string s = r.string(key, true, 16);  // long enough to get the better message below
  if (r.ok() && !is_service_code(s))
    fail_at(r, key, "must be a service code of 1 or 2 upper-case letters");
  return s;
}

std::string number_field(JsonReader& r, std::string_view key) {
  std::string s = r.string(key, true, 16);
  if (r.ok() && !is_ticket_number(s))
    fail_at(r, key, "must be a ticket number like \"A012\" (1-2 letters A-Z, then 1-5 digits)");
  return s;
}

std::string ticket_id_field(JsonReader& r, std::string_view key) {
  std::string s = r.string(key, true, 64);
  if (!r.ok()) return s;
  bool good = !s.empty();
  for (char c : s) good = good && is_request_id_char(c);
  if (!good) fail_at(r, key, "must be 1 to 64 characters of A-Z a-z 0-9 . _ : -");
  return s;
}

// Field readers for each command, after request_id and window are read.
std::string appointment_code_field(JsonReader& r, std::string_view key) {
  std::string s = r.string(key, true, 16);
  if (r.ok() && !is_appointment_code(s)) fail_at(r, key, "must be 6 digits, like \"483920\"");
  return s;
}

void read_fields(JsonReader& r, IssueTicket& c) {
  if (present(r, "appointment_code")) {
    c.appointment_code = appointment_code_field(r, "appointment_code");
    // The appointment decides these; a second source could only disagree.
    for (std::string_view key : {"service", "class", "priority_reason", "appointment_at"})
      if (present(r, key)) fail_at(r, key, "is not allowed with \"appointment_code\"");
    c.cls = TicketClass::appointment;
    c.lang = present(r, "lang") ? r.string("lang", true, 8) : "zh-CN";
    if (r.ok() && c.lang != "zh-CN" && c.lang != "zh-TW" && c.lang != "en")
      fail_at(r, "lang", "must be \"zh-CN\", \"zh-TW\" or \"en\"");
    return;
  }
  c.service = service_field(r, "service");
  std::string cls = present(r, "class") ? r.string("class", true, 16) : "normal";
  if (auto parsed = ticket_class_from_string(cls)) {
    c.cls = *parsed;
  } else {
    fail_at(r, "class", "must be \"normal\", \"priority\" or \"appointment\"");
  }
  if (c.cls == TicketClass::priority) {
    c.priority_reason = r.string("priority_reason", true, 32);
    if (r.ok() && c.priority_reason.empty()) fail_at(r, "priority_reason", "must not be empty");
  } else if (present(r, "priority_reason")) {
    fail_at(r, "priority_reason", "is only allowed with \"class\": \"priority\"");
  }
  if (c.cls == TicketClass::appointment) {
    c.appointment_at = r.integer("appointment_at", true, 0, kMaxTimeMs);
  } else if (present(r, "appointment_at")) {
    fail_at(r, "appointment_at", "is only allowed with \"class\": \"appointment\"");
  }
  c.lang = present(r, "lang") ? r.string("lang", true, 8) : "zh-CN";
  if (r.ok() && c.lang != "zh-CN" && c.lang != "zh-TW" && c.lang != "en")
    fail_at(r, "lang", "must be \"zh-CN\", \"zh-TW\" or \"en\"");
}

void read_fields(JsonReader& r, CallNumber& c) { c.number = number_field(r, "number"); }

void read_fields(JsonReader& r, Transfer& c) {
  bool by_service = present(r, "to_service");
  bool by_window = present(r, "to_window");
  if (by_service == by_window) {
    fail_at(r, by_service ? "to_window" : "to_service",
            "a transfer needs exactly one of \"to_service\" and \"to_window\"");
  }
  if (by_service) c.to_service = service_field(r, "to_service");
  if (by_window) c.to_window = static_cast<int>(r.integer("to_window", true, 1, kMaxWindow));
  c.return_after = r.boolean("return", false, false);
  c.note = text_field(r, "note", false, 200, Unit::chars);
}

void read_fields(JsonReader& r, Callback& c) { c.number = number_field(r, "number"); }

void read_fields(JsonReader& r, CancelTicket& c) {
  // Both may be given (the engine then checks that they name the same ticket).
  bool by_number = present(r, "number");
  bool by_id = present(r, "ticket_id");
  if (!by_number && !by_id) fail_at(r, "number", "cancel needs \"number\" or \"ticket_id\"");
  if (by_number) c.number = number_field(r, "number");
  if (by_id) c.ticket_id = ticket_id_field(r, "ticket_id");
}

void read_fields(JsonReader& r, SetNotice& c) {
  c.text = text_field(r, "text", true, 500, Unit::bytes);
}

void read_fields(JsonReader& r, Rate& c) {
  c.ticket = ticket_id_field(r, "ticket");
  c.level = static_cast<int>(r.integer("level", true, 1, 5));
}

// "F20261127A012": F, 8 digits of the day, then a ticket number.
bool is_followup_id(std::string_view s) {
  if (s.size() < 11 || s[0] != 'F') return false;
  for (std::size_t i = 1; i < 9; ++i)
    if (!is_digit(s[i])) return false;
  return is_ticket_number(s.substr(9));
}

void read_fields(JsonReader& r, UpdateFollowup& c) {
  c.id = r.string("id", true, 32);
  if (r.ok() && !is_followup_id(c.id))
    fail_at(r, "id", "must be a follow-up id like \"F20261127A012\"");
  if (present(r, "callback_note")) c.callback_note = text_field(r, "callback_note", true, 500, Unit::chars);
  if (present(r, "fix_note")) c.fix_note = text_field(r, "fix_note", true, 500, Unit::chars);
  c.close = r.boolean("close", false, false);
  if (r.ok() && !c.callback_note && !c.fix_note && !c.close)
    fail_at(r, "callback_note", "a follow-up update needs \"callback_note\", \"fix_note\" or \"close\": true");
}

void read_fields(JsonReader& r, BookAppointment& c) {
  c.service = service_field(r, "service");
  c.slot_start = r.integer("slot_start", true, 0, kMaxTimeMs);
}

void read_fields(JsonReader& r, CancelAppointment& c) { c.code = appointment_code_field(r, "code"); }

// Commands with no fields beyond request_id and window.
template <typename T>
void read_fields(JsonReader&, T&) {}

// The parse for the command at index I of CommandBody.
template <std::size_t I>
Result<Command> parse_as(JsonReader& r, std::optional<int> url_window) {
  using T = std::variant_alternative_t<I, CommandBody>;
  Command cmd;
  T body{};

  if (present(r, "command")) {
    std::string named = r.string("command", true, 32);
    if (r.ok() && named != kNames[I])
      fail_at(r, "command", "is \"" + named + "\" but this is \"" + std::string(kNames[I]) + "\"");
  }

  cmd.request_id = r.string("request_id", true, 64);
  if (r.ok()) {
    bool good = !cmd.request_id.empty();
    for (char c : cmd.request_id) good = good && is_request_id_char(c);
    if (!good) fail_at(r, "request_id", "must be 1 to 64 characters of A-Z a-z 0-9 . _ : -");
  }

  if constexpr (AtWindow<T>) {
    if (url_window) {
      body.window = *url_window;
      if (present(r, "window")) {
        auto w = r.integer("window", true, 1, kMaxWindow);
        if (r.ok() && w != *url_window)
          fail_at(r, "window",
                  "is " + std::to_string(w) + " but the URL names window " +
                      std::to_string(*url_window));
      }
    } else {
      body.window = static_cast<int>(r.integer("window", true, 1, kMaxWindow));
    }
  }

  read_fields(r, body);
  Status done = r.finish();
  if (!done.ok()) return done.error();
  cmd.body = std::move(body);
  return cmd;
}

using ParseFn = Result<Command> (*)(JsonReader&, std::optional<int>);

template <std::size_t... I>
constexpr std::array<ParseFn, sizeof...(I)> make_parsers(std::index_sequence<I...>) {
  return {&parse_as<I>...};
}
constexpr auto kParsers = make_parsers(std::make_index_sequence<kNames.size()>{});

template <std::size_t... I>
constexpr std::array<bool, sizeof...(I)> make_window_flags(std::index_sequence<I...>) {
  return {AtWindow<std::variant_alternative_t<I, CommandBody>>...};
}
constexpr auto kAtWindow = make_window_flags(std::make_index_sequence<kNames.size()>{});

}  // namespace

std::string_view command_name(const CommandBody& body) { return kNames[body.index()]; }

bool is_appointment_code(std::string_view s) {
  if (s.size() != 6) return false;
  for (char c : s)
    if (!is_digit(c)) return false;
  return true;
}

int command_window(const CommandBody& body) {
  return std::visit(
      [](const auto& b) -> int {
        if constexpr (AtWindow<std::decay_t<decltype(b)>>) {
          return b.window;
        } else {
          return 0;
        }
      },
      body);
}

Result<Command> parse_command(std::string_view name, const nlohmann::json& body,
                              std::optional<int> window) {
  std::size_t index = kNames.size();
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == name) index = i;
  if (index == kNames.size())
    return make_error(ErrorCode::not_found, "unknown command \"" + std::string(name) + "\"");
  if (window && !kAtWindow[index])
    return make_error(ErrorCode::not_found,
                      "\"" + std::string(name) + "\" is not a window command");
  if (window && (*window < 1 || *window > kMaxWindow))
    return make_error(ErrorCode::bad_request, "window " + std::to_string(*window) +
                                                  " in the URL: must be from 1 to 999");
  if (!body.is_object())
    return make_error(ErrorCode::bad_request, "body: must be a JSON object");
  JsonReader r(body, "");
  return kParsers[index](r, window);
}

nlohmann::json command_to_json(const Command& c) {
  json j = json::object();
  j["command"] = std::string(command_name(c.body));
  j["request_id"] = c.request_id;
  std::visit(
      [&j](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (AtWindow<T>) j["window"] = b.window;
        if constexpr (std::is_same_v<T, IssueTicket>) {
          if (!b.appointment_code.empty()) {
            j["appointment_code"] = b.appointment_code;
            if (!b.lang.empty()) j["lang"] = b.lang;
            return;
          }
          j["service"] = b.service;
          j["class"] = std::string(to_string(b.cls));
          if (!b.priority_reason.empty()) j["priority_reason"] = b.priority_reason;
          if (b.appointment_at) j["appointment_at"] = *b.appointment_at;
          if (!b.lang.empty()) j["lang"] = b.lang;
        } else if constexpr (std::is_same_v<T, CallNumber> || std::is_same_v<T, Callback>) {
          j["number"] = b.number;
        } else if constexpr (std::is_same_v<T, Transfer>) {
          if (!b.to_service.empty()) j["to_service"] = b.to_service;
          if (b.to_window != 0) j["to_window"] = b.to_window;
          j["return"] = b.return_after;
          if (!b.note.empty()) j["note"] = b.note;
        } else if constexpr (std::is_same_v<T, CancelTicket>) {
          if (!b.number.empty()) j["number"] = b.number;
          if (!b.ticket_id.empty()) j["ticket_id"] = b.ticket_id;
        } else if constexpr (std::is_same_v<T, SetNotice>) {
          j["text"] = b.text;
        } else if constexpr (std::is_same_v<T, Rate>) {
          j["ticket"] = b.ticket;
          j["level"] = b.level;
        } else if constexpr (std::is_same_v<T, UpdateFollowup>) {
          j["id"] = b.id;
          if (b.callback_note) j["callback_note"] = *b.callback_note;
          if (b.fix_note) j["fix_note"] = *b.fix_note;
          if (b.close) j["close"] = true;
        } else if constexpr (std::is_same_v<T, BookAppointment>) {
          j["service"] = b.service;
          j["slot_start"] = b.slot_start;
        } else if constexpr (std::is_same_v<T, CancelAppointment>) {
          j["code"] = b.code;
        }
      },
      c.body);
  return j;
}

}  // namespace hallq
