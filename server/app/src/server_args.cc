#include "hallq/app/server_args.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace hallq::app {
namespace {

bool split_listen(const std::string& s, std::string& host, std::uint16_t& port) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  try {
    std::size_t used = 0;
    unsigned long p = std::stoul(s.substr(colon + 1), &used);
    if (used != s.size() - colon - 1 || p > 65535) return false;
    port = std::uint16_t(p);
  } catch (...) {
    return false;
  }
  return !host.empty();
}

ArgsExit usage_error(std::string message) { return ArgsExit{2, "", "hallq-server: " + message + "\n"}; }

}  // namespace

std::string server_usage() {
  const std::string assets = HALLQ_ASSETS_DIR;
  return "usage: hallq-server [--config FILE] [--data DIR] [--listen HOST:PORT] [--web DIR]\n"
         "                    [--threads N] [--always-open] [--time-scale N] [--start-time T]\n"
         "  --config FILE     hall configuration (default " + assets + "/halls/sample-county.json)\n"
         "  --data DIR        where hallq.sqlite lives (default ./var)\n"
         "  --listen H:P      address to serve (default 127.0.0.1:8080; port 0 picks a free one)\n"
         "  --web DIR         static web pages (default " + assets + "/web)\n"
         "  --threads N       I/O threads (default 2)\n"
         "  --always-open     issue tickets at any hour of any day (demos, tests)\n"
         "  --time-scale N    the hall's clock runs N times faster than real time (1..10000;\n"
         "                    simulations: hallq-sim); default 1\n"
         "  --start-time T    the hall's clock starts at T, local hall time YYYY-MM-DDTHH:MM;\n"
         "                    default now\n";
}

std::variant<ServerArgs, ArgsExit> parse_server_args(int argc, const char* const* argv) {
  ServerArgs args;
  args.config_path = std::string(HALLQ_ASSETS_DIR) + "/halls/sample-county.json";
  args.options.web_root = std::string(HALLQ_ASSETS_DIR) + "/web";
  auto& options = args.options;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    // Flags that take a value: nullopt when the value is missing, and the run ends there.
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      return argv[++i];
    };
    const bool takes_value = a == "--config" || a == "--data" || a == "--web" || a == "--threads" ||
                             a == "--time-scale" || a == "--start-time" || a == "--listen";
    std::string v;
    if (takes_value) {
      auto got = value();
      if (!got) return usage_error(a + " needs a value");
      v = std::move(*got);
    }
    if (a == "--config") args.config_path = v;
    else if (a == "--data") options.data_dir = v;
    else if (a == "--web") options.web_root = v;
    else if (a == "--threads") options.threads = std::max(1, std::atoi(v.c_str()));
    else if (a == "--always-open") args.always_open = true;
    else if (a == "--time-scale") {
      char* end = nullptr;
      args.time_scale = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != 0 || !(args.time_scale >= 1 && args.time_scale <= 10000))
        return usage_error("--time-scale wants a number from 1 to 10000, got \"" + v + "\"");
    } else if (a == "--start-time") args.start_time = v;
    else if (a == "--listen") {
      if (!split_listen(v, options.host, options.port))
        return usage_error("--listen wants HOST:PORT, got \"" + v + "\"");
    } else if (a == "--help" || a == "-h") {
      return ArgsExit{0, server_usage(), ""};
    } else {
      ArgsExit e = usage_error("unknown option " + a);
      e.err += server_usage();
      return e;
    }
  }
  return args;
}

std::optional<TimeMs> parse_start_time(const std::string& s, int utc_offset_min) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0;
  char tail = 0;
  if (s.size() != 16 || std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d%c", &y, &mo, &d, &h, &mi, &tail) != 5)
    return std::nullopt;
  using namespace std::chrono;
  year_month_day ymd{year{y}, month{unsigned(mo)}, day{unsigned(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || h < 0 || mi < 0) return std::nullopt;
  auto local = sys_days{ymd} + hours{h} + minutes{mi} - minutes{utc_offset_min};
  return duration_cast<milliseconds>(local.time_since_epoch()).count();
}

std::optional<ArgsExit> apply_clock_flags(ServerArgs& args, int utc_offset_min) {
  if (args.time_scale == 1 && args.start_time.empty()) return std::nullopt;
  // From a steady clock, so a change of the system clock does not jump the simulation.
  using namespace std::chrono;
  TimeMs start = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  if (!args.start_time.empty()) {
    auto parsed = parse_start_time(args.start_time, utc_offset_min);
    if (!parsed)
      return usage_error("--start-time wants YYYY-MM-DDTHH:MM (local hall time), got \"" + args.start_time + "\"");
    start = *parsed;
  }
  auto origin = steady_clock::now();
  const double time_scale = args.time_scale;
  args.options.clock_rate = time_scale;
  args.options.clock = [start, origin, time_scale]() -> TimeMs {
    double elapsed_ms = duration<double, std::milli>(steady_clock::now() - origin).count();
    return start + TimeMs(elapsed_ms * time_scale);
  };
  return std::nullopt;
}

}  // namespace hallq::app
