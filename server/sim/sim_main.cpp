// hallq-sim: a compressed day of a hall against a real hallq-server, then the server's reports
// compared exactly with the simulator's own counts. Flags: --help; docs/simulator.md.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "hallq/sim/simulator.h"

namespace {

void usage(std::FILE* out) {
  std::fprintf(out,
      "usage: hallq-sim --hall FILE (--server URL | --spawn-server PATH --data DIR) [options]\n"
      "  --hall FILE           the hall the server runs (the sim reads windows, clerks, devices)\n"
      "  --server URL          a running hallq-server, e.g. http://127.0.0.1:8080, started with\n"
      "                        the same --time-scale\n"
      "  --spawn-server PATH   start this hallq-server on 127.0.0.1 (port 0), stop it at the end\n"
      "  --data DIR            its data dir (spawn mode; must not hold today's tickets already)\n"
      "  --start HH:MM         spawn mode: the hall clock starts at this local time (default 08:20)\n"
      "  --date YYYY-MM-DD     spawn mode: the hall's date (default today, local hall time, or the\n"
      "                        hall's next working day)\n"
      "  --time-scale N        hall seconds per real second (default 60)\n"
      "  --seed S              random seed; the same seed gives the same plan (default 1)\n"
      "  --windows N           staff only the first N windows (default all)\n"
      "  --until HH:MM         last arrival, local time (default 17:30); queues are then drained\n"
      "  --load X              expected arrivals / window capacity (default 0.85)\n"
      "  --no-show-rate X      (default 0.05)   --transfer-rate X (default 0.04)\n"
      "  --rating-rate X       (default 0.85)   --no-appointments\n"
      "  --workers N           request threads (default 4 + windows/8, at most 48)\n"
      "  --admin-password P    (default admin-demo)  --clerk-password P (default clerk-demo)\n"
      "  --quiet               only the summary\n"
      "exit status: 0 the reports match exactly, 1 a mismatch, 2 bad usage or the day failed\n");
}

bool parse_url(const std::string& url, std::string& host, std::uint16_t& port) {
  std::string s = url;
  if (s.rfind("http://", 0) == 0) s = s.substr(7);
  while (!s.empty() && s.back() == '/') s.pop_back();
  auto colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  host = s.substr(0, colon);
  int p = std::atoi(s.c_str() + colon + 1);
  if (host.empty() || p <= 0 || p > 65535) return false;
  port = std::uint16_t(p);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  hallq::sim::SimOptions o;
  o.time_scale = 60;
  o.log = &std::cerr;
  std::string hall_path, server_url, spawn, data_dir, date, start = "08:20";
  auto die = [](const std::string& why) {
    std::fprintf(stderr, "hallq-sim: %s\n", why.c_str());
    std::exit(2);
  };
  auto number = [&](const std::string& flag, const std::string& v, double lo, double hi) {
    char* end = nullptr;
    double x = std::strtod(v.c_str(), &end);
    if (end == v.c_str() || *end != 0 || !(x >= lo && x <= hi))
      die(flag + " wants a number from " + std::to_string(lo) + " to " + std::to_string(hi) + ", got \"" + v + "\"");
    return x;
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--hall") hall_path = value();
    else if (a == "--server") server_url = value();
    else if (a == "--spawn-server") spawn = value();
    else if (a == "--data") data_dir = value();
    else if (a == "--start") start = value();
    else if (a == "--date") date = value();
    else if (a == "--time-scale") o.time_scale = number(a, value(), 1, 10000);
    else if (a == "--seed") o.plan.seed = std::uint64_t(number(a, value(), 0, 1e15));
    else if (a == "--windows") o.windows = int(number(a, value(), 1, 1000));
    else if (a == "--until") {
      std::string v = value();
      o.until_min = hallq::sim::parse_hhmm(v);
      if (o.until_min < 0) die("--until wants HH:MM, got \"" + v + "\"");
    } else if (a == "--load") o.plan.load = number(a, value(), 0.01, 5);
    else if (a == "--no-show-rate") o.plan.no_show_rate = number(a, value(), 0, 1);
    else if (a == "--transfer-rate") o.plan.transfer_rate = number(a, value(), 0, 1);
    else if (a == "--rating-rate") o.plan.rating_rate = number(a, value(), 0, 1);
    else if (a == "--no-appointments") o.plan.appointments = false;
    else if (a == "--workers") o.workers = int(number(a, value(), 1, 256));
    else if (a == "--admin-password") o.admin_password = value();
    else if (a == "--clerk-password") o.clerk_password = value();
    else if (a == "--quiet") o.log = nullptr;
    else if (a == "--help" || a == "-h") {
      usage(stdout);
      return 0;
    } else {
      usage(stderr);
      die("unknown option " + a);
    }
  }
  if (hall_path.empty()) die("--hall FILE is required");
  if (server_url.empty() == spawn.empty()) die("give either --server URL or --spawn-server PATH --data DIR");
  if (!spawn.empty() && data_dir.empty()) die("--spawn-server needs --data DIR");
  auto hall = hallq::load_hall_config(hall_path);
  if (!hall) die(hall.error().message);
  std::signal(SIGPIPE, SIG_IGN);

  hallq::sim::SpawnedServer server;
  if (!spawn.empty()) {
    if (hallq::sim::parse_hhmm(start) < 0) die("--start wants HH:MM, got \"" + start + "\"");
    if (date.empty()) date = hallq::sim::working_day_from(hallq::sim::local_date_now(hall->rules.utc_offset_min), hall->rules);
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    std::string err = server.start(spawn, hall_path, data_dir, o.time_scale, date + "T" + start);
    if (!err.empty()) die(err);
    o.host = "127.0.0.1";
    o.port = server.port();
    if (o.log) *o.log << "hallq-sim: started hallq-server on 127.0.0.1:" << o.port << " at " << date << " " << start
                      << ", time scale " << o.time_scale << "\n";
  } else if (!parse_url(server_url, o.host, o.port)) {
    die("--server wants http://HOST:PORT, got \"" + server_url + "\"");
  }

  hallq::sim::DayResult r = hallq::sim::run_day(*hall, o);
  if (!spawn.empty()) server.stop();
  if (!r.error.empty()) die(r.error);

  const auto& s = r.stats;
  long issued = 0;
  for (const auto& [code, t] : r.tally.services) issued += t.issued;
  std::printf("day %s, %ld visitors planned, %ld tickets issued, %ld turned away (closed / daily cap)\n",
              s.business_day.c_str(), s.visits_planned, issued, s.turned_away);
  std::printf("wall %.1f s, %ld commands answered (%.0f/s), %ld resends, %ld unexpected answers, "
              "worst lateness %.0f hall s\n",
              s.wall_s, s.commands, s.wall_s > 0 ? double(s.commands) / s.wall_s : 0.0, s.retries, s.unexpected,
              s.max_late_s);
  if (!s.appointments_note.empty()) std::printf("appointments: %s\n", s.appointments_note.c_str());
  std::printf("%s", hallq::sim::format_table(r.comparison).c_str());
  if (!r.comparison.problem.empty()) std::printf("problem: %s\n", r.comparison.problem.c_str());
  std::printf("reports match the simulator's counts exactly: %s (%d mismatches)\n",
              r.comparison.ok() ? "yes" : "NO", r.comparison.mismatches);
  return r.comparison.ok() ? 0 : 1;
}
