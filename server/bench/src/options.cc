#include "options.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>

#include "hallq/hall_config.h"

namespace hallq::bench {

void print_usage(std::FILE* to) {
  std::fprintf(to,
      "usage: hallq-bench --server 127.0.0.1:PORT [--config HALL.json] [options]\n"
      "Load: N displays, M clerks calling, K kiosks issuing, against a running hallq-server.\n"
      "  --displays N            WebSocket displays (hello, snapshot, then events)\n"
      "  --clerks M              clerks, each at its own window: call-next, start, complete\n"
      "  --calls-per-second R    call-next rate over all clerks (default 10)\n"
      "  --kiosks K              kiosk connections issuing tickets during the run\n"
      "  --issue-rate R          tickets/s over all kiosks; 0 = as fast as they are answered\n"
      "  --duration S            length of the measured phase in seconds (default 10)\n"
      "  --config FILE           the hall the server runs: tokens, clerks, windows, services\n"
      "  --token-display T       display token (default: the hall's first display)\n"
      "  --token-kiosk T         kiosk token for every kiosk (default: the hall's kiosks in turn)\n"
      "  --admin-user U --admin-password P  drives windows beyond the login budget\n"
      "                          (default admin / admin-demo)\n"
      "  --clerk-password P      every clerk's password (default clerk-demo)\n"
      "  --services A,B          without --config: services the kiosks issue (default A)\n"
      "  --server-pid PID        report the server's RSS, peak RSS and CPU from /proc/PID\n"
      "  --json                  print the summary as JSON on stdout (progress goes to stderr)\n"
      "Tuning:\n"
      "  --clerk-transport ws|http   (default ws)    --kiosk-transport ws|http (default ws)\n"
      "  --kiosk-pipeline P      commands in flight per WebSocket kiosk (default 16)\n"
      "  --kiosk-events          WebSocket kiosks take the hall's snapshot and events, as a kiosk\n"
      "                          screen would (default: command-only, hello with \"events\": false)\n"
      "  --display-threads T     threads reading displays (default 1)\n"
      "  --connect-concurrency C display handshakes in progress at once (default 256)\n"
      "  --max-tickets N         stop issuing after N tickets (default 300000)\n"
      "  --prefill N             tickets issued for the clerks' windows before the run\n"
      "                          (default: enough for the run's calls, plus a margin)\n"
      "  --preissue N           tickets issued before anything else, over every service: the\n"
      "                          day so far (default 0)\n"
      "  --settle S --drain S --connect-timeout S   pauses and limits, seconds (1, 10, 300)\n"
      "  --max-logins N          clerk logins to make (default 25: each costs the server an\n"
      "                          Argon2id check); windows beyond are driven as the admin\n"
      "  --label TEXT            copied into the report\n");
}

namespace {

bool parse_endpoint(const std::string& s, boost::asio::ip::tcp::endpoint& out) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(s.substr(0, colon), ec);
  if (ec) return false;
  try {
    std::size_t used = 0;
    unsigned long port = std::stoul(s.substr(colon + 1), &used);
    if (used != s.size() - colon - 1 || port == 0 || port > 65535) return false;
    out = {address, static_cast<unsigned short>(port)};
  } catch (...) {
    return false;
  }
  return true;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= s.size()) {
    std::size_t j = s.find(',', i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string make_run_id() {
  auto t = std::chrono::system_clock::now().time_since_epoch().count();
  char buf[32];
  std::snprintf(buf, sizeof buf, "b%llx", static_cast<unsigned long long>((t / 1000) ^ (long long)getpid()) & 0xffffffffull);
  return buf;
}

}  // namespace

std::string parse_options(int argc, char** argv, Options& o, bool& help) {
  help = false;
  boost::asio::ip::tcp::endpoint def(boost::asio::ip::make_address("127.0.0.1"), 8080);
  o.server = def;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string error;
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        error = a + " needs a value";
        return {};
      }
      return argv[++i];
    };
    auto number = [&](double lo, double hi) -> double {
      std::string v = value();
      if (!error.empty()) return 0;
      try {
        std::size_t used = 0;
        double d = std::stod(v, &used);
        if (used != v.size() || d < lo || d > hi) throw std::out_of_range("range");
        return d;
      } catch (...) {
        error = a + ": \"" + v + "\" is not a number from " + std::to_string(lo) + " to " + std::to_string(hi);
        return 0;
      }
    };
    auto transport = [&]() {
      std::string v = value();
      if (v == "ws") return Transport::ws;
      if (v == "http") return Transport::http;
      if (error.empty()) error = a + ": use ws or http, not \"" + v + "\"";
      return Transport::ws;
    };
    if (a == "--help" || a == "-h") {
      help = true;
      return "";
    } else if (a == "--server") {
      std::string v = value();
      if (error.empty() && !parse_endpoint(v, o.server)) error = "--server wants IP:PORT, got \"" + v + "\"";
    } else if (a == "--displays") o.displays = std::size_t(number(0, 1e6));
    else if (a == "--clerks") o.clerks = std::size_t(number(0, 999));
    else if (a == "--kiosks") o.kiosks = std::size_t(number(0, 10000));
    else if (a == "--duration") o.duration_s = number(0.1, 86400);
    else if (a == "--calls-per-second") o.calls_per_second = number(0.001, 1e6);
    else if (a == "--issue-rate") o.issue_rate = number(0, 1e7);
    else if (a == "--token-display") o.token_display = value();
    else if (a == "--token-kiosk") o.token_kiosk = value();
    else if (a == "--admin-user") o.admin_user = value();
    else if (a == "--admin-password") o.admin_password = value();
    else if (a == "--clerk-password") o.clerk_password = value();
    else if (a == "--config") o.config_path = value();
    else if (a == "--services") o.services = split_list(value());
    else if (a == "--server-pid") o.server_pid = int(number(1, 1 << 30));
    else if (a == "--json") o.json = true;
    else if (a == "--clerk-transport") o.clerk_transport = transport();
    else if (a == "--kiosk-transport") o.kiosk_transport = transport();
    else if (a == "--kiosk-pipeline") o.kiosk_pipeline = std::size_t(number(1, 10000));
    else if (a == "--kiosk-events") o.kiosk_events = true;
    else if (a == "--display-threads") o.display_threads = int(number(1, 64));
    else if (a == "--connect-concurrency") o.connect_concurrency = std::size_t(number(1, 100000));
    else if (a == "--max-tickets") o.max_tickets = std::size_t(number(0, 1e8));
    else if (a == "--prefill") o.prefill = long(number(0, 1e7));
    else if (a == "--preissue") o.preissue = std::size_t(number(0, 1e7));
    else if (a == "--settle") o.settle_s = number(0, 3600);
    else if (a == "--drain") o.drain_s = number(0, 3600);
    else if (a == "--connect-timeout") o.connect_timeout_s = number(1, 86400);
    else if (a == "--max-logins") o.max_logins = std::size_t(number(0, 1000));
    else if (a == "--label") o.label = value();
    else error = "unknown option " + a;
    if (!error.empty()) return error;
  }
  // The bench opens thousands of connections and floods them: never at another machine.
  if (!o.server.address().is_loopback()) return "--server must be a loopback address (127.0.0.1)";
  if (o.run_id.empty()) o.run_id = make_run_id();
  return "";
}

nlohmann::json options_to_json(const Options& o) {
  auto t = [](Transport x) { return x == Transport::ws ? "ws" : "http"; };
  return {{"server", o.server.address().to_string() + ":" + std::to_string(o.server.port())},
          {"displays", o.displays},
          {"clerks", o.clerks},
          {"kiosks", o.kiosks},
          {"duration_s", o.duration_s},
          {"calls_per_second", o.calls_per_second},
          {"issue_rate", o.issue_rate},
          {"config", o.config_path},
          {"clerk_transport", t(o.clerk_transport)},
          {"kiosk_transport", t(o.kiosk_transport)},
          {"kiosk_pipeline", o.kiosk_pipeline},
          {"kiosk_events", o.kiosk_events},
          {"display_threads", o.display_threads},
          {"connect_concurrency", o.connect_concurrency},
          {"max_tickets", o.max_tickets},
          {"prefill", o.prefill},
          {"preissue", o.preissue},
          {"run_id", o.run_id},
          {"label", o.label}};
}

std::string make_plan(const Options& o, Plan& out) {
  out = Plan{};
  std::optional<HallConfig> hall;
  if (!o.config_path.empty()) {
    auto loaded = load_hall_config(o.config_path);
    if (!loaded) return o.config_path + ": " + loaded.error().message;
    hall = std::move(*loaded);
  }

  // Displays.
  out.display_token = o.token_display;
  if (out.display_token.empty() && hall) {
    for (const auto& d : hall->devices) {
      if (d.kind != DeviceKind::display) continue;
      if (out.display_token.empty() || d.window == 0) out.display_token = d.token;
      if (d.window == 0) break;  // a hall-wide board sees every call
    }
  }
  if (o.displays > 0 && out.display_token.empty())
    return "--displays needs a display token: --token-display T, or --config with a display device";

  // Services.
  if (hall) {
    for (const auto& s : hall->services) out.services.push_back(s.code);
  } else {
    out.services = o.services.empty() ? std::vector<std::string>{"A"} : o.services;
  }

  // Clerks: distinct windows; each logged-in user drives windows it may use.
  if (o.clerks > 0) {
    if (!hall) return "--clerks needs --config: the clerks' names and windows come from the hall";
    std::set<int> taken;
    std::vector<const UserConfig*> users;
    for (const auto& u : hall->users)
      if (u.role == Role::clerk && !u.windows.empty()) users.push_back(&u);
    auto services_of = [&](int window) {
      const WindowConfig* w = hall->window(window);
      return w ? w->services : std::vector<std::string>{};
    };
    // First one window per user, up to the login budget; then more windows of the same users.
    for (const UserConfig* u : users) {
      if (out.clerks.size() >= o.clerks || out.logins.size() >= o.max_logins) break;
      for (int w : u->windows) {
        if (taken.count(w)) continue;
        taken.insert(w);
        out.clerks.push_back(ClerkSlot{u->name, false, w, services_of(w)});
        out.logins.push_back(u->name);
        break;
      }
    }
    for (const std::string& name : std::vector<std::string>(out.logins)) {
      const UserConfig* u = hall->user(name);
      for (int w : u->windows) {
        if (out.clerks.size() >= o.clerks) break;
        if (taken.count(w)) continue;
        taken.insert(w);
        out.clerks.push_back(ClerkSlot{u->name, false, w, services_of(w)});
      }
    }
    if (out.clerks.size() < o.clerks) {
      const UserConfig* admin = hall->user(o.admin_user);
      if (admin == nullptr || admin->role != Role::admin)
        return "--clerks " + std::to_string(o.clerks) + ": only " + std::to_string(out.clerks.size()) +
               " windows can be driven with " + std::to_string(o.max_logins) +
               " logins, and there is no admin \"" + o.admin_user + "\" to drive the rest";
      std::size_t before = out.clerks.size();
      for (const auto& w : hall->windows) {
        if (out.clerks.size() >= o.clerks) break;
        if (taken.count(w.number)) continue;
        taken.insert(w.number);
        out.clerks.push_back(ClerkSlot{admin->name, true, w.number, w.services});
      }
      if (out.clerks.size() < o.clerks)
        return "--clerks " + std::to_string(o.clerks) + ": the hall has only " + std::to_string(out.clerks.size()) +
               " windows";
      out.admin_login = true;
      out.notes.push_back(std::to_string(out.clerks.size() - before) + " windows are driven by the admin \"" +
                          admin->name + "\": the server allows 30 logins a minute per address");
    }
  }

  // Kiosks: one slot per connection, the hall's kiosks in turn (each has its own rate limit).
  std::vector<KioskSlot> devices;
  if (!o.token_kiosk.empty()) {
    devices.push_back(KioskSlot{"kiosk", o.token_kiosk, out.services});
  } else if (hall) {
    for (const auto& d : hall->devices)
      if (d.kind == DeviceKind::kiosk)
        devices.push_back(KioskSlot{d.id, d.token, d.services.empty() ? out.services : d.services});
  }
  bool need_kiosk = o.kiosks > 0 || o.preissue > 0 || (o.clerks > 0 && o.prefill != 0);
  if (need_kiosk && devices.empty())
    return "issuing tickets needs a kiosk token: --token-kiosk T, or --config with a kiosk device";
  for (std::size_t i = 0; i < std::max<std::size_t>(o.kiosks, need_kiosk ? 1 : 0); ++i)
    out.kiosks.push_back(devices[i % devices.size()]);
  if (hall && o.kiosks > 0) {
    double per_kiosk = hall->rules.kiosk_rate_per_min / 60.0;
    std::size_t identities = std::min(o.kiosks, devices.size());
    double ceiling = per_kiosk * double(identities);
    if (o.issue_rate == 0 || o.issue_rate > ceiling) {
      char buf[200];
      std::snprintf(buf, sizeof buf,
                    "the hall's rate limit caps issuing at %.0f tickets/s (%zu kiosk identities x %d a minute)",
                    ceiling, identities, hall->rules.kiosk_rate_per_min);
      out.notes.push_back(buf);
    }
  }
  return "";
}

}  // namespace hallq::bench
