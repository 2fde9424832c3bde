// hallqctl: HallQ from the command line, for clerks, admins and scripts. One request per run
// (watch excepted) through the blocking clients of hallq/client. Exit codes: 0 done, 1 the
// server refused (its message on stderr), 2 usage error, 3 the server could not be reached.
#include "hallq/app/ctl.h"

#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "hallq/client/client.h"
#include "hallq/net/auth.h"

namespace {

using nlohmann::json;

constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;

constexpr const char* kUsage = R"(usage: hallqctl [OPTIONS] COMMAND [ARGS]

Options (anywhere on the line):
  --server URL        server address (default $HALLQ_SERVER, else http://127.0.0.1:8080)
  --token T           bearer token (default $HALLQ_TOKEN)
  --user U            log in as U first (password from --password, else read from stdin)
  --password P
  --request-id ID     request id to send (default: a fresh random one); resending a command
                      with the same id is harmless: the server answers what it answered first
  --json              print the server's raw JSON instead of a summary
  --lang L            zh-CN (default), zh-TW or en: names in summaries; the ticket's language
  -h, --help

Commands:
  health                         is the server up; its business day and last event
  state                          services (waiting, estimated wait) and windows
  queue W                        who call-next at window W would call, in order
  ticket ID                      one ticket as its visitor sees it (no token needed)
  issue SERVICE [--class priority --reason R] [--lang L]
  call-next W                    call W NUMBER            recall W
  no-show W                      start W                  complete W
  transfer W (--service S | --window W2) [--return] [--note TEXT]
  hold W                         callback W NUMBER
  pause W                        resume W                 close W
  cancel NUMBER|TICKET_ID        notice TEXT
  login USER                     prints a session token (password: --password or stdin)
  hash-password                  reads a password on stdin, prints its Argon2id hash for the
                                 hall config's "password_hash"
  watch [--count N]              prints each event as it happens: seq, event, number, window
)";

// ---- command line -----------------------------------------------------------------------------

struct UsageError {
  std::string message;
};

struct Options {
  std::string server;
  std::string token;
  std::string user;
  std::optional<std::string> password;
  std::string request_id;
  std::string lang;
  std::string cls;
  std::string reason;
  std::string to_service;
  std::optional<int> to_window;
  std::string note;
  std::optional<long> count;
  bool json_out = false;
  bool return_after = false;
  std::vector<std::string> args;  // the command and its positional arguments
};

std::optional<long> parse_long(const std::string& s) {
  long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

int parse_window(const std::string& s, const char* what) {
  auto v = parse_long(s);
  if (!v || *v < 1 || *v > 999) throw UsageError{std::string(what) + " must be a window number (1 to 999), not \"" + s + "\""};
  return int(*v);
}

const char* env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

Options parse_options(int argc, char** argv) {
  Options o;
  o.server = env_or("HALLQ_SERVER", "http://127.0.0.1:8080");
  o.token = env_or("HALLQ_TOKEN", "");
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw UsageError{a + " needs a value"};
      return argv[++i];
    };
    if (a == "--") {
      for (++i; i < argc; ++i) o.args.push_back(argv[i]);
    } else if (a == "--server") o.server = value();
    else if (a == "--token") o.token = value();
    else if (a == "--user") o.user = value();
    else if (a == "--password") o.password = value();
    else if (a == "--request-id") o.request_id = value();
    else if (a == "--lang") o.lang = value();
    else if (a == "--class") o.cls = value();
    else if (a == "--reason") o.reason = value();
    else if (a == "--service") o.to_service = value();
    else if (a == "--window") o.to_window = parse_window(value(), "--window");
    else if (a == "--note") o.note = value();
    else if (a == "--count") {
      std::string v = value();
      o.count = parse_long(v);
      if (!o.count || *o.count < 1) throw UsageError{"--count wants a positive number, not \"" + v + "\""};
    } else if (a == "--json") o.json_out = true;
    else if (a == "--return") o.return_after = true;
    else if (a.size() > 1 && a[0] == '-' && !(a.size() > 1 && std::isdigit(static_cast<unsigned char>(a[1])))) {
      if (a == "-h" || a == "--help") throw UsageError{""};
      throw UsageError{"unknown option " + a};
    } else {
      o.args.push_back(std::move(a));
    }
  }
  if (o.args.empty()) throw UsageError{"no command given"};
  if (!o.lang.empty() && o.lang != "zh-CN" && o.lang != "zh-TW" && o.lang != "en")
    throw UsageError{"--lang must be zh-CN, zh-TW or en, not \"" + o.lang + "\""};
  return o;
}

// "http://host:port/" -> host and port. Only plain HTTP: the hall server speaks nothing else.
struct Endpoint {
  std::string url;
  std::string host;
  std::uint16_t port = 80;
};

Endpoint parse_server(const std::string& url) {
  Endpoint e;
  e.url = url;
  std::string rest = url;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  else if (rest.find("://") != std::string::npos)
    throw UsageError{"--server must be an http:// URL, not \"" + url + "\""};
  if (auto slash = rest.find('/'); slash != std::string::npos) rest = rest.substr(0, slash);
  std::string port;
  if (!rest.empty() && rest.front() == '[') {  // [::1]:8080
    auto close = rest.find(']');
    if (close == std::string::npos) throw UsageError{"bad server address \"" + url + "\""};
    e.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') throw UsageError{"bad server address \"" + url + "\""};
      port = rest.substr(close + 2);
    }
  } else if (auto colon = rest.rfind(':'); colon != std::string::npos) {
    e.host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  } else {
    e.host = rest;
  }
  if (!port.empty()) {
    auto p = parse_long(port);
    if (!p || *p < 1 || *p > 65535) throw UsageError{"bad port in server address \"" + url + "\""};
    e.port = std::uint16_t(*p);
  }
  if (e.host.empty()) throw UsageError{"no host in server address \"" + url + "\""};
  return e;
}

// ---- output helpers ---------------------------------------------------------------------------

// A failure that ends the program with `code`; the message goes to stderr.
struct Exit {
  int code;
  std::string message;
};

std::string random_request_id() {
  std::random_device rd;
  std::uniform_int_distribution<int> hex(0, 15);
  std::string id = "ctl-";
  for (int i = 0; i < 20; ++i) id += "0123456789abcdef"[hex(rd)];
  return id;
}

std::string minutes(std::int64_t seconds) {
  if (seconds <= 0) return "0 min";
  if (seconds < 60) return "under 1 min";
  return "about " + std::to_string((seconds + 59) / 60) + " min";
}

std::string str(const json& j, const char* key, const std::string& fallback = "") {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}
std::int64_t num(const json& j, const char* key, std::int64_t fallback = 0) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : fallback;
}

// A localized name object {"zh_cn":..,"zh_tw":..,"en":..} in the chosen language.
std::string name_in(const json& name, const std::string& lang) {
  if (name.is_string()) return name.get<std::string>();
  std::string key = lang == "en" ? "en" : lang == "zh-TW" ? "zh_tw" : "zh_cn";
  std::string v = str(name, key.c_str());
  return v.empty() ? str(name, "zh_cn") : v;
}

std::string pad(std::string s, std::size_t width) {
  // Bytes, not columns: good enough for codes, numbers and states, which are ASCII.
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

// ---- talking to the server --------------------------------------------------------------------

class Ctl {
 public:
  explicit Ctl(Options o) : o_(std::move(o)), ep_(parse_server(o_.server)), http_(ep_.host, ep_.port) {}

  int run();

 private:
  // One request. A transport failure ends the program (exit 3), a refusal too (exit 1, the
  // server's message on stderr). Returns the parsed body; `status` gets the HTTP status.
  json call(const std::string& method, const std::string& target, const json* body, bool need_token,
            int* status = nullptr);
  const std::string& token();
  std::string read_password(const std::string& prompt);
  json command_body();
  void need_args(std::size_t n, const char* shape);
  void print(const json& j) { std::cout << j.dump() << '\n'; }

  int health();
  int state();
  int queue();
  int ticket();
  int issue();
  int window_command(const std::string& name);
  int transfer();
  int cancel();
  int notice();
  int login();
  int hash_password();
  int watch();

  Options o_;
  Endpoint ep_;
  hallq::client::HttpClient http_;
  bool logged_in_ = false;
};

void Ctl::need_args(std::size_t n, const char* shape) {
  if (o_.args.size() != n + 1) throw UsageError{"usage: hallqctl " + std::string(shape)};
}

std::string Ctl::read_password(const std::string& prompt) {
  const bool tty = isatty(STDIN_FILENO);
  termios saved{};
  if (tty) {
    std::fprintf(stderr, "%s", prompt.c_str());
    std::fflush(stderr);
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~tcflag_t(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  bool got = bool(std::getline(std::cin, line));
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::fprintf(stderr, "\n");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (!got && line.empty()) throw UsageError{"no password on stdin"};
  return line;
}

const std::string& Ctl::token() {
  if (!o_.user.empty() && !logged_in_) {
    std::string password = o_.password ? *o_.password : read_password("Password for " + o_.user + ": ");
    json body{{"user", o_.user}, {"password", password}};
    o_.token = str(call("POST", "/api/login", &body, false), "token");
    logged_in_ = true;
  }
  if (o_.token.empty())
    throw UsageError{o_.args[0] + " needs a token: --token T, HALLQ_TOKEN, or --user U [--password P]"};
  return o_.token;
}

json Ctl::call(const std::string& method, const std::string& target, const json* body, bool need_token,
               int* status) {
  std::string t = need_token ? token() : std::string();
  auto r = http_.request(method, target, body ? body->dump() : std::string(), t);
  if (r.status == 0) {
    std::string retry;
    if (body && body->contains("request_id"))
      retry = "; the command may or may not have happened: resending it with --request-id " +
              (*body)["request_id"].get<std::string>() + " is safe";
    throw Exit{kExitUnreachable, "could not reach the server at " + ep_.url + " (" + r.error + ")" + retry};
  }
  json j = r.json();
  if (r.status >= 300) {
    if (o_.json_out && !j.is_discarded()) print(j);
    std::string message = j.is_object() && j.contains("error") && j["error"].is_object()
                              ? str(j["error"], "message")
                              : std::string();
    std::string code = j.is_object() && j.contains("error") ? str(j["error"], "code") : std::string();
    if (message.empty()) message = "HTTP " + std::to_string(r.status) + ": " + r.body;
    throw Exit{kExitRefused, message + (code.empty() ? "" : " [" + code + "]")};
  }
  if (j.is_discarded()) throw Exit{kExitRefused, "the server answered something that is not JSON: " + r.body};
  if (status) *status = r.status;
  return j;
}

json Ctl::command_body() {
  return json{{"request_id", o_.request_id.empty() ? random_request_id() : o_.request_id}};
}

int Ctl::health() {
  need_args(0, "health");
  json j = call("GET", "/api/health", nullptr, false);
  if (o_.json_out) return print(j), 0;
  std::cout << str(j, "status") << "  business day " << str(j, "business_day") << "  last event seq "
            << num(j, "seq") << "  (" << ep_.url << ")\n";
  return 0;
}

int Ctl::state() {
  need_args(0, "state");
  json j = call("GET", "/api/state", nullptr, true);
  if (o_.json_out) return print(j), 0;
  const std::string lang = o_.lang;
  std::cout << name_in(j.value("hall", json::object()).value("name", json()), lang) << "  business day "
            << str(j, "business_day") << "  seq " << num(j, "seq") << '\n';
  if (auto n = str(j, "notice"); !n.empty()) std::cout << "notice: " << n << '\n';
  std::cout << "\nservice  waiting  issued  estimated wait   longest wait\n";
  for (const auto& s : j.value("services", json::array())) {
    std::cout << "  " << pad(str(s, "code"), 7) << pad(std::to_string(num(s, "waiting")), 9)
              << pad(std::to_string(num(s, "issued_today")), 8) << pad(minutes(num(s, "estimated_wait_s")), 17)
              << pad(minutes(num(s, "longest_wait_s")), 13) << name_in(s.value("name", json()), lang) << '\n';
  }
  std::cout << "\nwindow  state    current         clerk        served  held\n";
  for (const auto& w : j.value("windows", json::array())) {
    std::string current = "-";
    if (w.contains("current") && w["current"].is_object())
      current = str(w["current"], "number") + " (" + str(w["current"], "state") + ")";
    std::string held;
    for (const auto& h : w.value("held", json::array())) {
      if (!held.empty()) held += ',';
      held += h.get<std::string>();
    }
    std::string clerk = str(w, "clerk");
    std::cout << "  " << pad(std::to_string(num(w, "number")), 6) << pad(str(w, "state"), 9) << pad(current, 16)
              << pad(clerk.empty() ? "-" : clerk, 13) << pad(std::to_string(num(w, "served_today")), 8)
              << (held.empty() ? "-" : held) << '\n';
  }
  return 0;
}

int Ctl::queue() {
  need_args(1, "queue WINDOW");
  int w = parse_window(o_.args[1], "WINDOW");
  json j = call("GET", "/api/windows/" + std::to_string(w) + "/queue", nullptr, true);
  if (o_.json_out) return print(j), 0;
  const json q = j.value("queue", json::array());
  const json by_service = j.value("counts", json::object());
  std::cout << "window " << w << ": " << q.size() << (q.size() == 1 ? " ticket" : " tickets") << " next";
  std::string counts;
  for (const auto& [code, n] : by_service.items())
    counts += (counts.empty() ? "" : ", ") + code + " " + std::to_string(n.get<long>());
  if (!counts.empty()) std::cout << " (waiting by service: " << counts << ")";
  std::cout << '\n';
  int i = 0;
  for (const auto& t : q) {
    std::cout << "  " << pad(std::to_string(++i) + ".", 5) << pad(str(t, "number"), 8) << pad(str(t, "class"), 12)
              << "waited " << minutes(num(t, "waited_s")) << '\n';
  }
  return 0;
}

int Ctl::ticket() {
  need_args(1, "ticket TICKET_ID");
  json j = call("GET", "/api/tickets/" + o_.args[1], nullptr, false);
  if (o_.json_out) return print(j), 0;
  const json& t = j.value("ticket", json::object());
  std::cout << str(t, "number") << "  " << str(t, "state") << "  service " << str(t, "service");
  if (j.contains("ahead")) std::cout << "  ahead " << num(j, "ahead") << "  estimated wait " << minutes(num(j, "estimated_wait_s"));
  if (num(t, "window") != 0) std::cout << "  window " << num(t, "window");
  std::cout << '\n';
  return 0;
}

int Ctl::issue() {
  need_args(1, "issue SERVICE [--class priority --reason R] [--lang L]");
  json body = command_body();
  body["service"] = o_.args[1];
  if (!o_.cls.empty()) body["class"] = o_.cls;
  if (!o_.reason.empty()) body["priority_reason"] = o_.reason;
  if (!o_.lang.empty()) body["lang"] = o_.lang;
  int status = 0;
  json j = call("POST", "/api/tickets", &body, true, &status);
  if (o_.json_out) return print(j), 0;
  const json& t = j.value("ticket", json::object());
  std::cout << str(t, "number") << "  ahead " << num(j, "ahead") << "  estimated wait "
            << minutes(num(j, "estimated_wait_s")) << "  ticket " << str(t, "id");
  if (status == 200) std::cout << "  (repeated request: this is the ticket issued the first time)";
  std::cout << '\n';
  return 0;
}

// The summary line for a window command's result {"ticket": {...}, "window": W}.
void print_ticket_result(const std::string& name, const json& j) {
  const json& t = j.value("ticket", json::object());
  const std::string number = str(t, "number");
  const std::string w = std::to_string(num(j, "window"));
  if (name == "call-next" || name == "call") std::cout << "called " << number << " to window " << w;
  else if (name == "recall") std::cout << "recalled " << number << " to window " << w << " (recall " << num(t, "recalls") << ")";
  else if (name == "no-show") std::cout << number << " did not come: no-show at window " << w;
  else if (name == "start") std::cout << "serving " << number << " at window " << w;
  else if (name == "complete") {
    std::cout << "completed " << number << " at window " << w;
    if (str(t, "state") == "waiting") std::cout << " (it goes back to the window that sent it)";
  } else if (name == "hold") std::cout << number << " is on hold at window " << w;
  else if (name == "callback") std::cout << "called back " << number << " to window " << w;
  else if (name == "transfer") {
    std::cout << "transferred " << number << " from window " << w << " to ";
    if (num(t, "target_window") != 0) std::cout << "window " << num(t, "target_window");
    else std::cout << "service " << str(t, "service");
  } else std::cout << name << ": " << number << " is " << str(t, "state");
  std::cout << '\n';
}

int Ctl::window_command(const std::string& name) {
  const bool with_number = name == "call" || name == "callback";
  need_args(with_number ? 2 : 1, with_number ? (name + " WINDOW NUMBER").c_str() : (name + " WINDOW").c_str());
  int w = parse_window(o_.args[1], "WINDOW");
  json body = command_body();
  if (with_number) body["number"] = o_.args[2];
  json j = call("POST", "/api/windows/" + std::to_string(w) + "/" + name, &body, true);
  if (o_.json_out) return print(j), 0;
  if (name == "pause" || name == "resume" || name == "close") {
    std::cout << "window " << num(j, "window") << " is " << str(j, "state") << '\n';
  } else {
    print_ticket_result(name, j);
  }
  return 0;
}

int Ctl::transfer() {
  need_args(1, "transfer WINDOW (--service S | --window W2) [--return] [--note TEXT]");
  if (o_.to_service.empty() == !o_.to_window)
    throw UsageError{"transfer needs exactly one of --service S and --window W2"};
  int w = parse_window(o_.args[1], "WINDOW");
  json body = command_body();
  if (!o_.to_service.empty()) body["to_service"] = o_.to_service;
  if (o_.to_window) body["to_window"] = *o_.to_window;
  if (o_.return_after) body["return"] = true;
  if (!o_.note.empty()) body["note"] = o_.note;
  json j = call("POST", "/api/windows/" + std::to_string(w) + "/transfer", &body, true);
  if (o_.json_out) return print(j), 0;
  print_ticket_result("transfer", j);
  return 0;
}

int Ctl::cancel() {
  need_args(1, "cancel NUMBER|TICKET_ID");
  const std::string& what = o_.args[1];
  // Numbers are a service code (1-2 upper-case letters) and digits; ids are longer.
  bool is_number = what.size() <= 8 && !what.empty() && std::isupper(static_cast<unsigned char>(what[0])) &&
                   std::isdigit(static_cast<unsigned char>(what.back()));
  json body = command_body();
  body[is_number ? "number" : "ticket_id"] = what;
  json j = call("POST", "/api/commands/cancel", &body, true);
  if (o_.json_out) return print(j), 0;
  std::cout << "cancelled " << str(j.value("ticket", json::object()), "number") << '\n';
  return 0;
}

int Ctl::notice() {
  need_args(1, "notice TEXT");
  json body = command_body();
  body["text"] = o_.args[1];
  json j = call("POST", "/api/commands/notice", &body, true);
  if (o_.json_out) return print(j), 0;
  std::cout << "notice is now: " << str(j, "notice") << '\n';
  return 0;
}

int Ctl::login() {
  need_args(1, "login USER");
  std::string password = o_.password ? *o_.password : read_password("Password for " + o_.args[1] + ": ");
  json body{{"user", o_.args[1]}, {"password", password}};
  json j = call("POST", "/api/login", &body, false);
  if (o_.json_out) return print(j), 0;
  std::cout << str(j, "token") << '\n';
  return 0;
}

int Ctl::hash_password() {
  need_args(0, "hash-password  (the password on stdin)");
  std::string password = read_password("Password to hash: ");
  if (password.empty()) throw UsageError{"the password is empty"};
  std::cout << hallq::net::hash_password(password) << '\n';
  return 0;
}

std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int) { g_interrupted = true; }

// One line per event: seq, event, ticket number, window.
void print_event(const json& e) {
  std::string number = e.contains("ticket") ? str(e["ticket"], "number", "-") : "-";
  std::int64_t window = 0;
  if (e.contains("window") && e["window"].is_object()) window = num(e["window"], "number");
  if (window == 0 && e.contains("ticket")) window = num(e["ticket"], "window");
  std::cout << pad(std::to_string(num(e, "seq")), 7) << pad(str(e, "event"), 20) << pad(number, 8)
            << (window ? "window " + std::to_string(window) : std::string("-"));
  if (auto d = str(e, "business_day"); !d.empty() && str(e, "event") == "day_rolled_over") std::cout << "  " << d;
  if (auto n = str(e, "notice"); !n.empty()) std::cout << "  " << n;
  std::cout << std::endl;  // flushed: watch is read live, often through a pipe
}

int Ctl::watch() {
  need_args(0, "watch [--count N]");
  const std::string t = token();
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  long printed = 0;
  std::uint64_t last_seq = 0;
  bool first = true;
  auto backoff = std::chrono::milliseconds(500);
  while (!g_interrupted) {
    hallq::client::WsClient ws;
    if (auto err = ws.connect(ep_.host, ep_.port); !err.empty()) {
      if (first) throw Exit{kExitUnreachable, "could not reach the server at " + ep_.url + " (" + err + ")"};
      std::fprintf(stderr, "hallqctl: reconnecting to %s: %s\n", ep_.url.c_str(), err.c_str());
      for (auto slept = std::chrono::milliseconds(0); slept < backoff && !g_interrupted; slept += std::chrono::milliseconds(100))
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      backoff = std::min(backoff * 2, std::chrono::milliseconds(8000));
      continue;
    }
    ws.send(json{{"type", "hello"}, {"token", t}});
    bool welcomed = false;
    while (!g_interrupted) {
      auto m = ws.receive(std::chrono::milliseconds(250));
      if (!m) {
        if (!ws.is_open()) break;
        continue;
      }
      const std::string type = str(*m, "type");
      if (type == "error") {
        std::string message = m->contains("error") ? str((*m)["error"], "message") : m->dump();
        throw Exit{kExitRefused, message};
      }
      if (type == "welcome") {
        welcomed = true;
        backoff = std::chrono::milliseconds(500);
        if (o_.json_out) print(*m);
        else if (first) std::fprintf(stderr, "hallqctl: watching %s as %s (%s); Ctrl-C stops\n", ep_.url.c_str(),
                                     str(*m, "name").c_str(), str(*m, "role").c_str());
        continue;
      }
      if (type == "snapshot") {
        auto seq = std::uint64_t(num(*m, "seq"));
        if (!first && seq > last_seq)
          std::fprintf(stderr, "hallqctl: resynced: events %llu..%llu happened while disconnected\n",
                       (unsigned long long)last_seq + 1, (unsigned long long)seq);
        last_seq = seq;
        first = false;
        continue;
      }
      if (type != "event") continue;
      auto seq = std::uint64_t(num(*m, "seq"));
      if (seq <= last_seq) continue;  // already seen before a resync
      last_seq = seq;
      if (o_.json_out) print(*m);
      else print_event(*m);
      if (o_.count && ++printed >= *o_.count) return 0;
    }
    if (g_interrupted) break;
    if (!welcomed && first) throw Exit{kExitRefused, "the server closed the connection before welcoming us"};
    first = false;
    std::fprintf(stderr, "hallqctl: connection to %s lost; reconnecting\n", ep_.url.c_str());
  }
  return 0;
}

int Ctl::run() {
  const std::string cmd = o_.args[0];
  if (cmd == "health") return health();
  if (cmd == "state") return state();
  if (cmd == "queue") return queue();
  if (cmd == "ticket") return ticket();
  if (cmd == "issue") return issue();
  if (cmd == "transfer") return transfer();
  if (cmd == "cancel") return cancel();
  if (cmd == "notice") return notice();
  if (cmd == "login") return login();
  if (cmd == "hash-password") return hash_password();
  if (cmd == "watch") return watch();
  static const char* const kWindowCommands[] = {"call-next", "call", "recall", "no-show", "start", "complete",
                                                "hold",      "callback", "pause", "resume", "close"};
  for (const char* w : kWindowCommands)
    if (cmd == w) return window_command(cmd);
  throw UsageError{"unknown command \"" + cmd + "\""};
}

}  // namespace

namespace hallq::app {

int hallqctl_main(int argc, char** argv) {
  try {
    Ctl ctl(parse_options(argc, argv));
    return ctl.run();
  } catch (const UsageError& e) {
    if (e.message.empty()) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    std::fprintf(stderr, "hallqctl: %s\n(hallqctl --help lists the commands)\n", e.message.c_str());
    return kExitUsage;
  } catch (const Exit& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "hallqctl: %s\n", e.message.c_str());
    return e.code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hallqctl: %s\n", e.what());
    return kExitRefused;
  }
}

}  // namespace hallq::app
