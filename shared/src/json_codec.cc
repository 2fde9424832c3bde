#include "hallq/json_codec.h"

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <utility>

namespace hallq {

using nlohmann::json;

// ---- JsonReader -------------------------------------------------------------------------------

JsonReader::JsonReader(const json& j, std::string path) : j_(j), path_(std::move(path)) {
  if (!j_.is_object()) fail((path_.empty() ? std::string("/") : path_) + ": must be an object");
}

bool JsonReader::is_object() const { return j_.is_object(); }

std::string JsonReader::path_of(std::string_view key) const {
  return path_ + "/" + std::string(key);
}

void JsonReader::fail(std::string message) {
  if (!error_) error_ = std::move(message);
}

bool JsonReader::has(std::string_view key) const {
  if (!j_.is_object()) return false;
  auto it = j_.find(key);
  return it != j_.end() && !it->is_null();
}

const json* JsonReader::child(std::string_view key, bool required) {
  if (!j_.is_object() || error_) return nullptr;
  consumed_.emplace_back(key);
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) {
    if (required) fail(path_of(key) + ": missing");
    return nullptr;
  }
  return &*it;
}

std::string JsonReader::string(std::string_view key, bool required, std::size_t max_len) {
  const json* v = child(key, required);
  if (!v) return {};
  if (!v->is_string()) {
    fail(path_of(key) + ": must be a string");
    return {};
  }
  const auto& s = v->get_ref<const std::string&>();
  if (s.size() > max_len) {
    fail(path_of(key) + ": must be at most " + std::to_string(max_len) + " bytes");
    return {};
  }
  return s;
}

std::int64_t JsonReader::integer(std::string_view key, bool required, std::int64_t min,
                                 std::int64_t max, std::int64_t fallback) {
  const json* v = child(key, required);
  if (!v) return fallback;
  std::int64_t n = 0;
  if (v->is_number_integer()) {
    if (v->is_number_unsigned() && v->get<std::uint64_t>() > std::uint64_t(INT64_MAX)) {
      n = INT64_MAX;
    } else {
      n = v->get<std::int64_t>();
    }
  } else {
    fail(path_of(key) + ": must be an integer from " + std::to_string(min) + " to " +
         std::to_string(max));
    return fallback;
  }
  if (n < min || n > max) {
    fail(path_of(key) + ": must be an integer from " + std::to_string(min) + " to " +
         std::to_string(max));
    return fallback;
  }
  return n;
}

bool JsonReader::boolean(std::string_view key, bool required, bool fallback) {
  const json* v = child(key, required);
  if (!v) return fallback;
  if (!v->is_boolean()) {
    fail(path_of(key) + ": must be true or false");
    return fallback;
  }
  return v->get<bool>();
}

Status JsonReader::finish() {
  if (!error_ && j_.is_object()) {
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      if (std::find(consumed_.begin(), consumed_.end(), it.key()) == consumed_.end()) {
        fail(path_of(it.key()) + ": unknown field \"" + it.key() + "\"");
        break;
      }
    }
  }
  if (error_) return make_error(ErrorCode::bad_request, *error_);
  return ok_status();
}

// ---- writers ----------------------------------------------------------------------------------
// Empty strings, zero numbers and absent optionals are left out: every display receives every
// event, so bytes matter. Readers supply the same defaults.

namespace {
void put(json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}
void put(json& j, const char* key, int v) {
  if (v != 0) j[key] = v;
}
void put(json& j, const char* key, const std::optional<TimeMs>& v) {
  if (v) j[key] = *v;
}
}  // namespace

json to_json(const TicketTransition& t) {
  json j{{"step", to_string(t.step)}, {"at", t.at}};
  put(j, "window", t.window);
  put(j, "clerk", t.clerk);
  put(j, "service", t.service);
  put(j, "note", t.note);
  return j;
}

json to_json(const Ticket& t) {
  json j{{"id", t.id},
         {"number", t.number},
         {"service", t.service},
         {"origin_service", t.origin_service},
         {"business_day", t.business_day},
         {"class", to_string(t.cls)},
         {"state", to_string(t.state)},
         {"issued_at", t.issued_at},
         {"queued_at", t.queued_at}};
  put(j, "priority_reason", t.priority_reason);
  put(j, "appointment_at", t.appointment_at);
  put(j, "called_at", t.called_at);
  put(j, "started_at", t.started_at);
  put(j, "finished_at", t.finished_at);
  put(j, "window", t.window);
  put(j, "clerk", t.clerk);
  put(j, "target_window", t.target_window);
  put(j, "return_window", t.return_window);
  put(j, "return_service", t.return_service);
  put(j, "recalls", t.recalls);
  put(j, "issued_by", t.issued_by);
  json h = json::array();
  for (const auto& step : t.history) h.push_back(to_json(step));
  j["history"] = std::move(h);
  if (t.rating) j["rating"] = to_json(*t.rating);
  return j;
}

json to_json(const Rating& r) {
  return json{{"level", r.level}, {"at", r.at}, {"via", to_string(r.via)}};
}

namespace {
json or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }
json or_null(int n) { return n == 0 ? json(nullptr) : json(n); }
}  // namespace

json to_json(const Followup& f) {
  return json{{"id", f.id},
              {"ticket", f.ticket},
              {"number", f.number},
              {"service", f.service},
              {"window", or_null(f.window)},
              {"clerk", f.clerk},
              {"level", f.level},
              {"opened_at", f.opened_at},
              {"due_at", f.due_at},
              {"state", to_string(f.state)},
              {"callback_note", f.callback_note},
              {"fix_note", f.fix_note},
              {"closed_at", f.closed_at ? json(*f.closed_at) : json(nullptr)}};
}

json to_json(const Alert& a) {
  json j{{"id", a.id},
         {"kind", to_string(a.kind)},
         {"service", a.service},
         {"window", or_null(a.window)},
         {"ticket", or_null(a.ticket)},
         {"number", or_null(a.number)},
         {"since", a.since},
         {"limit_s", a.limit_s},
         {"raised_at", a.raised_at}};
  if (a.cleared_at) j["cleared_at"] = *a.cleared_at;
  return j;
}

json to_json(const Appointment& a) {
  json j{{"service", a.service},
         {"date", a.date},
         {"slot_start", a.slot_start},
         {"slot_end", a.slot_end},
         {"state", to_string(a.state)},
         {"booked_at", a.booked_at},
         {"booked_by", a.booked_by},
         {"ticket", or_null(a.ticket)},
         {"number", or_null(a.number)},
         {"checked_in_at", a.checked_in_at ? json(*a.checked_in_at) : json(nullptr)}};
  // Redacted copies (for displays) have no code at all rather than an empty one.
  if (!a.code.empty()) j["code"] = a.code;
  return j;
}

json to_json(const Window& w) {
  json j{{"number", w.number}, {"state", to_string(w.state)}, {"state_since", w.state_since}};
  put(j, "current_ticket", w.current_ticket);
  put(j, "clerk", w.clerk);
  j["held"] = w.held;
  put(j, "served_today", w.served_today);
  return j;
}

json to_json(const ServiceLoad& l) {
  return json{{"service", l.service},
              {"waiting", l.waiting},
              {"issued_today", l.issued_today},
              {"estimated_wait_s", l.estimated_wait_s},
              {"longest_wait_s", l.longest_wait_s}};
}

json to_json(const Event& e) {
  json j{{"type", "event"}, {"seq", e.seq}, {"at", e.at}, {"event", to_string(e.type)}};
  if (e.ticket) j["ticket"] = to_json(*e.ticket);
  if (e.window) j["window"] = to_json(*e.window);
  if (e.load) j["load"] = to_json(*e.load);
  if (e.other_load) j["other_load"] = to_json(*e.other_load);
  put(j, "business_day", e.business_day);
  put(j, "notice", e.notice);
  put(j, "actor", e.actor);
  if (e.alert) j["alert"] = to_json(*e.alert);
  if (e.followup) j["followup"] = to_json(*e.followup);
  if (e.appointment) j["appointment"] = to_json(*e.appointment);
  return j;
}

json to_json(const Error& e) {
  json j = json{{"error", {{"code", to_string(e.code)}, {"message", e.message}}}};
  for (const auto& [name, text] : e.detail) j["error"]["detail"][name] = text;
  return j;
}

// ---- text writers -----------------------------------------------------------------------------
// The same bytes as the trees above, dumped: keys in the tree's (sorted) order, and the same
// fields left out. Tests compare them with to_json(x).dump().

namespace {

// A JSON string as nlohmann's dump() writes it. Printable ASCII is copied; anything else (UTF-8,
// control characters, quotes, backslashes) goes through dump(), which escapes and validates it.
void append_string(std::string& out, std::string_view s) {
  for (const char c : s) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
      out += json(s).dump();
      return;
    }
  }
  out += '"';
  out.append(s);
  out += '"';
}

void append_number(std::string& out, std::int64_t v) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

// One object's members, written in the order of the calls: callers call them in key order.
class ObjectText {
 public:
  explicit ObjectText(std::string& out) : out_(out) { out_ += '{'; }
  ~ObjectText() { out_ += '}'; }
  ObjectText(const ObjectText&) = delete;
  ObjectText& operator=(const ObjectText&) = delete;

  std::string& key(std::string_view k) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_.append(k);
    out_ += "\":";
    return out_;
  }
  void str(std::string_view k, std::string_view v) { append_string(key(k), v); }
  void num(std::string_view k, std::int64_t v) { append_number(key(k), v); }
  // As put(): left out when empty, zero or absent.
  void put_str(std::string_view k, std::string_view v) {
    if (!v.empty()) str(k, v);
  }
  void put_num(std::string_view k, std::int64_t v) {
    if (v != 0) num(k, v);
  }
  void put_time(std::string_view k, const std::optional<TimeMs>& v) {
    if (v) num(k, *v);
  }

 private:
  std::string& out_;
  bool first_ = true;
};

// [a,b,...], each item written by `write`.
template <typename T, typename Write>
void append_array(std::string& out, const std::vector<T>& items, Write write) {
  out += '[';
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i != 0) out += ',';
    write(out, items[i]);
  }
  out += ']';
}

void append_json(std::string& out, const TicketTransition& t) {
  ObjectText o(out);
  o.num("at", t.at);
  o.put_str("clerk", t.clerk);
  o.put_str("note", t.note);
  o.put_str("service", t.service);
  o.str("step", to_string(t.step));
  o.put_num("window", t.window);
}

void append_json(std::string& out, const Rating& r) {
  ObjectText o(out);
  o.num("at", r.at);
  o.num("level", r.level);
  o.str("via", to_string(r.via));
}

}  // namespace

void append_json(std::string& out, const Ticket& t) {
  ObjectText o(out);
  o.put_time("appointment_at", t.appointment_at);
  o.str("business_day", t.business_day);
  o.put_time("called_at", t.called_at);
  o.str("class", to_string(t.cls));
  o.put_str("clerk", t.clerk);
  o.put_time("finished_at", t.finished_at);
  append_array(o.key("history"), t.history,
               [](std::string& h, const TicketTransition& step) { append_json(h, step); });
  o.str("id", t.id);
  o.num("issued_at", t.issued_at);
  o.put_str("issued_by", t.issued_by);
  o.str("number", t.number);
  o.str("origin_service", t.origin_service);
  o.put_str("priority_reason", t.priority_reason);
  o.num("queued_at", t.queued_at);
  if (t.rating) append_json(o.key("rating"), *t.rating);
  o.put_num("recalls", t.recalls);
  o.put_str("return_service", t.return_service);
  o.put_num("return_window", t.return_window);
  o.str("service", t.service);
  o.put_time("started_at", t.started_at);
  o.str("state", to_string(t.state));
  o.put_num("target_window", t.target_window);
  o.put_num("window", t.window);
}

void append_json(std::string& out, const Window& w) {
  ObjectText o(out);
  o.put_str("clerk", w.clerk);
  o.put_str("current_ticket", w.current_ticket);
  append_array(o.key("held"), w.held, [](std::string& h, const std::string& id) { append_string(h, id); });
  o.num("number", w.number);
  o.put_num("served_today", w.served_today);
  o.str("state", to_string(w.state));
  o.num("state_since", w.state_since);
}

void append_json(std::string& out, const ServiceLoad& l) {
  ObjectText o(out);
  o.num("estimated_wait_s", l.estimated_wait_s);
  o.num("issued_today", l.issued_today);
  o.num("longest_wait_s", l.longest_wait_s);
  o.str("service", l.service);
  o.num("waiting", l.waiting);
}

void append_json(std::string& out, const Event& e, const std::string* ticket_text,
                 const std::string* window_text) {
  ObjectText o(out);
  o.put_str("actor", e.actor);
  if (e.alert) o.key("alert") += to_json(*e.alert).dump();  // rare events: through the tree
  if (e.appointment) o.key("appointment") += to_json(*e.appointment).dump();
  o.num("at", e.at);
  o.put_str("business_day", e.business_day);
  o.str("event", to_string(e.type));
  if (e.followup) o.key("followup") += to_json(*e.followup).dump();
  if (e.load) append_json(o.key("load"), *e.load);
  o.put_str("notice", e.notice);
  if (e.other_load) append_json(o.key("other_load"), *e.other_load);
  // seq is unsigned in the tree: the same digits.
  char buf[24];
  o.key("seq").append(buf, std::to_chars(buf, buf + sizeof buf, e.seq).ptr);
  if (e.ticket) {
    if (ticket_text) o.key("ticket") += *ticket_text;
    else append_json(o.key("ticket"), *e.ticket);
  }
  o.str("type", "event");
  if (e.window) {
    if (window_text) o.key("window") += *window_text;
    else append_json(o.key("window"), *e.window);
  }
}

// ---- readers ----------------------------------------------------------------------------------

namespace {
constexpr std::int64_t kTimeMax = 253402300799999;  // 9999-12-31
constexpr std::size_t kIdMax = 64;

template <typename E>
E enum_field(JsonReader& r, std::string_view key, std::optional<E> (*parse)(std::string_view),
             E fallback) {
  std::string s = r.string(key, true, 32);
  if (!r.ok()) return fallback;
  auto v = parse(s);
  if (!v) {
    r.fail(r.path_of(key) + ": unknown value \"" + s + "\"");
    return fallback;
  }
  return *v;
}

std::optional<TimeMs> optional_time(JsonReader& r, std::string_view key) {
  if (!r.has(key)) {
    r.child(key, false);  // marks a null as consumed
    return std::nullopt;
  }
  return r.integer(key, true, 0, kTimeMax);
}

template <typename T>
Result<T> finish(JsonReader& r, T value) {
  auto s = r.finish();
  if (!s) return s.error();
  return value;
}
}  // namespace

Result<TicketTransition> ticket_transition_from_json(const json& j) {
  JsonReader r(j, "");
  TicketTransition t;
  t.step = enum_field(r, "step", &ticket_step_from_string, TicketStep::issued);
  t.at = r.integer("at", true, 0, kTimeMax);
  t.window = int(r.integer("window", false, 0, 999));
  t.clerk = r.string("clerk", false, kIdMax);
  t.service = r.string("service", false, 8);
  t.note = r.string("note", false, 1024);
  return finish(r, std::move(t));
}

Result<Ticket> ticket_from_json(const json& j) {
  JsonReader r(j, "");
  Ticket t;
  t.id = r.string("id", true, kIdMax);
  t.number = r.string("number", true, 16);
  t.service = r.string("service", true, 8);
  t.origin_service = r.string("origin_service", true, 8);
  t.business_day = r.string("business_day", true, 10);
  t.cls = enum_field(r, "class", &ticket_class_from_string, TicketClass::normal);
  t.state = enum_field(r, "state", &ticket_state_from_string, TicketState::waiting);
  t.issued_at = r.integer("issued_at", true, 0, kTimeMax);
  t.queued_at = r.integer("queued_at", true, 0, kTimeMax);
  t.priority_reason = r.string("priority_reason", false, 32);
  t.appointment_at = optional_time(r, "appointment_at");
  t.called_at = optional_time(r, "called_at");
  t.started_at = optional_time(r, "started_at");
  t.finished_at = optional_time(r, "finished_at");
  t.window = int(r.integer("window", false, 0, 999));
  t.clerk = r.string("clerk", false, kIdMax);
  t.target_window = int(r.integer("target_window", false, 0, 999));
  t.return_window = int(r.integer("return_window", false, 0, 999));
  t.return_service = r.string("return_service", false, 8);
  t.recalls = int(r.integer("recalls", false, 0, 1000000));
  t.issued_by = r.string("issued_by", false, kIdMax);
  if (const json* h = r.child("history", false)) {
    if (!h->is_array()) {
      r.fail("/history: must be an array");
    } else {
      for (std::size_t i = 0; i < h->size() && r.ok(); ++i) {
        auto step = ticket_transition_from_json((*h)[i]);
        if (!step) {
          r.fail("/history/" + std::to_string(i) + step.error().message);
        } else {
          t.history.push_back(std::move(*step));
        }
      }
    }
  }
  if (const json* v = r.child("rating", false)) {
    auto rating = rating_from_json(*v);
    if (!rating) {
      r.fail("/rating" + rating.error().message);
    } else {
      t.rating = *rating;
    }
  }
  return finish(r, std::move(t));
}

Result<Rating> rating_from_json(const json& j) {
  JsonReader r(j, "");
  Rating x;
  x.level = int(r.integer("level", true, 1, 5));
  x.at = r.integer("at", true, 0, kTimeMax);
  x.via = enum_field(r, "via", &rating_via_from_string, RatingVia::evaluator);
  return finish(r, std::move(x));
}

Result<Followup> followup_from_json(const json& j) {
  JsonReader r(j, "");
  Followup f;
  f.id = r.string("id", true, 32);
  f.ticket = r.string("ticket", true, kIdMax);
  f.number = r.string("number", true, 16);
  f.service = r.string("service", true, 8);
  f.window = int(r.integer("window", false, 0, 999));
  f.clerk = r.string("clerk", false, kIdMax);
  f.level = int(r.integer("level", true, 1, 5));
  f.opened_at = r.integer("opened_at", true, 0, kTimeMax);
  f.due_at = r.integer("due_at", true, 0, kTimeMax);
  f.state = enum_field(r, "state", &followup_state_from_string, FollowupState::open);
  f.callback_note = r.string("callback_note", false, 4096);
  f.fix_note = r.string("fix_note", false, 4096);
  f.closed_at = optional_time(r, "closed_at");
  return finish(r, std::move(f));
}

Result<Alert> alert_from_json(const json& j) {
  JsonReader r(j, "");
  Alert a;
  a.id = r.string("id", true, 96);
  a.kind = enum_field(r, "kind", &alert_kind_from_string, AlertKind::wait);
  a.service = r.string("service", false, 8);
  a.window = int(r.integer("window", false, 0, 999));
  a.ticket = r.string("ticket", false, kIdMax);
  a.number = r.string("number", false, 16);
  a.since = r.integer("since", true, 0, kTimeMax);
  a.limit_s = r.integer("limit_s", true, 0, 366LL * 24 * 3600);
  a.raised_at = r.integer("raised_at", true, 0, kTimeMax);
  a.cleared_at = optional_time(r, "cleared_at");
  return finish(r, std::move(a));
}

Result<Appointment> appointment_from_json(const json& j) {
  JsonReader r(j, "");
  Appointment a;
  a.code = r.string("code", false, 6);
  if (r.ok() && !a.code.empty() &&
      (a.code.size() != 6 || a.code.find_first_not_of("0123456789") != std::string::npos))
    r.fail("/code: must be 6 digits");
  a.service = r.string("service", true, 8);
  a.date = r.string("date", true, 10);
  a.slot_start = r.integer("slot_start", true, 0, kTimeMax);
  a.slot_end = r.integer("slot_end", true, 0, kTimeMax);
  a.state = enum_field(r, "state", &appointment_state_from_string, AppointmentState::booked);
  a.booked_at = r.integer("booked_at", true, 0, kTimeMax);
  a.booked_by = r.string("booked_by", false, 96);
  a.ticket = r.string("ticket", false, kIdMax);
  a.number = r.string("number", false, 16);
  a.checked_in_at = optional_time(r, "checked_in_at");
  return finish(r, std::move(a));
}

Result<Window> window_from_json(const json& j) {
  JsonReader r(j, "");
  Window w;
  w.number = int(r.integer("number", true, 1, 999));
  w.state = enum_field(r, "state", &window_state_from_string, WindowState::open);
  w.state_since = r.integer("state_since", true, 0, kTimeMax);
  w.current_ticket = r.string("current_ticket", false, kIdMax);
  w.clerk = r.string("clerk", false, kIdMax);
  if (const json* h = r.child("held", false)) {
    if (!h->is_array()) {
      r.fail("/held: must be an array");
    } else {
      for (std::size_t i = 0; i < h->size(); ++i) {
        if (!(*h)[i].is_string()) {
          r.fail("/held/" + std::to_string(i) + ": must be a string");
          break;
        }
        w.held.push_back((*h)[i].get<std::string>());
      }
    }
  }
  w.served_today = int(r.integer("served_today", false, 0, 1000000));
  return finish(r, std::move(w));
}

Result<ServiceLoad> service_load_from_json(const json& j) {
  JsonReader r(j, "");
  ServiceLoad l;
  l.service = r.string("service", true, 8);
  l.waiting = int(r.integer("waiting", true, 0, 100000000));
  l.issued_today = int(r.integer("issued_today", true, 0, 100000000));
  l.estimated_wait_s = r.integer("estimated_wait_s", true, 0, INT64_MAX);
  l.longest_wait_s = r.integer("longest_wait_s", true, 0, INT64_MAX);
  return finish(r, std::move(l));
}

Result<Event> event_from_json(const json& j) {
  JsonReader r(j, "");
  Event e;
  std::string type = r.string("type", true, 16);
  if (r.ok() && type != "event") r.fail("/type: must be \"event\"");
  e.seq = std::uint64_t(r.integer("seq", true, 1, INT64_MAX));
  e.at = r.integer("at", true, 0, kTimeMax);
  e.type = enum_field(r, "event", &event_type_from_string, EventType::ticket_issued);
  // Nested records: parse and prefix their error paths.
  auto nested = [&r](const char* key, auto parse, auto& out) {
    if (const json* v = r.child(key, false)) {
      auto parsed = parse(*v);
      if (!parsed) {
        r.fail(std::string("/") + key + parsed.error().message);
      } else {
        out = std::move(*parsed);
      }
    }
  };
  nested("ticket", ticket_from_json, e.ticket);
  nested("window", window_from_json, e.window);
  nested("load", service_load_from_json, e.load);
  nested("other_load", service_load_from_json, e.other_load);
  e.business_day = r.string("business_day", false, 10);
  e.notice = r.string("notice", false, 4096);
  e.actor = r.string("actor", false, 96);  // "visitor:" + a ticket id
  nested("alert", alert_from_json, e.alert);
  nested("followup", followup_from_json, e.followup);
  nested("appointment", appointment_from_json, e.appointment);
  return finish(r, std::move(e));
}

// ---- files ------------------------------------------------------------------------------------

namespace {
// 1-based line and column (in characters) of the byte at `offset` in `text`.
std::pair<std::size_t, std::size_t> line_and_column(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    auto b = static_cast<unsigned char>(text[i]);
    if (b == '\n') {
      ++line;
      column = 1;
    } else if ((b & 0xC0) != 0x80) {  // not a UTF-8 continuation byte
      ++column;
    }
  }
  return {line, column};
}
}  // namespace

Result<json> load_json_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr)
    return make_error(ErrorCode::not_found, "cannot read " + path + ": " + std::strerror(errno));
  std::string text;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  bool failed = std::ferror(f) != 0;
  int err = errno;
  std::fclose(f);
  if (failed)
    return make_error(ErrorCode::not_found, "cannot read " + path + ": " + std::strerror(err));

  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    // e.byte counts the bytes read, the offending one included.
    auto [line, column] = line_and_column(text, e.byte == 0 ? 0 : e.byte - 1);
    std::string detail = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 2: ".
    if (auto colon = detail.find(": "); colon != std::string::npos) detail.erase(0, colon + 2);
    return make_error(ErrorCode::bad_request, path + ": invalid JSON at line " +
                                                  std::to_string(line) + ", column " +
                                                  std::to_string(column) + ": " + detail);
  }
  return j;
}

}  // namespace hallq
