// hallq-server: the hall's event server. Flags and defaults: --help.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <sys/resource.h>

#include "hallq/hall_config.h"
#include "hallq/net/server.h"

#ifdef HALLQ_JEMALLOC
#include <jemalloc/jemalloc.h>

// Declared by jemalloc.h, read at its first allocation. Its default of four arenas per core kept
// a few MB more of a day's memory for no measurable speed, and freed pages go back to the
// system within a second instead of ten (goal 4 in docs/benchmarks.md).
const char* malloc_conf = "narenas:2,dirty_decay_ms:1000,muzzy_decay_ms:0";
#endif

namespace {

// One line in the log saying which allocator runs, so a slow or large server can be told apart
// from one built without jemalloc.
void log_allocator() {
#ifdef HALLQ_JEMALLOC
  const char* version = "?";
  unsigned arenas = 0;
  std::size_t size = sizeof version;
  mallctl("version", &version, &size, nullptr, 0);
  size = sizeof arenas;
  mallctl("opt.narenas", &arenas, &size, nullptr, 0);
  std::fprintf(stderr, "hallq-server: memory allocator jemalloc %s, %u arenas\n", version, arenas);
#else
  std::fprintf(stderr, "hallq-server: memory allocator from the C library\n");
#endif
}

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: hallq-server [--config FILE] [--data DIR] [--listen HOST:PORT] [--web DIR]\n"
               "                    [--threads N] [--always-open] [--time-scale N] [--start-time T]\n"
               "  --config FILE     hall configuration (default %s/halls/sample-county.json)\n"
               "  --data DIR        where hallq.sqlite lives (default ./var)\n"
               "  --listen H:P      address to serve (default 127.0.0.1:8080; port 0 picks a free one)\n"
               "  --web DIR         static web pages (default %s/web)\n"
               "  --threads N       I/O threads (default 2)\n"
               "  --always-open     issue tickets at any hour of any day (demos, tests)\n"
               "  --time-scale N    the hall's clock runs N times faster than real time (1..10000;\n"
               "                    simulations: hallq-sim); default 1\n"
               "  --start-time T    the hall's clock starts at T, local hall time YYYY-MM-DDTHH:MM;\n"
               "                    default now\n",
               HALLQ_ASSETS_DIR, HALLQ_ASSETS_DIR);
}

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

// "YYYY-MM-DDTHH:MM" (local hall time) to UTC ms, or nullopt when malformed.
std::optional<hallq::TimeMs> parse_start_time(const std::string& s, int utc_offset_min) {
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

}  // namespace

int main(int argc, char** argv) {
  std::string config_path = std::string(HALLQ_ASSETS_DIR) + "/halls/sample-county.json";
  hallq::net::ServerOptions options;
  options.web_root = std::string(HALLQ_ASSETS_DIR) + "/web";
  bool always_open = false;
  double time_scale = 1;
  std::string start_time;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* flag) -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "hallq-server: %s needs a value\n", flag);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--config") config_path = value("--config");
    else if (a == "--data") options.data_dir = value("--data");
    else if (a == "--web") options.web_root = value("--web");
    else if (a == "--threads") options.threads = std::max(1, std::atoi(value("--threads").c_str()));
    else if (a == "--always-open") always_open = true;
    else if (a == "--time-scale") {
      std::string v = value("--time-scale");
      char* end = nullptr;
      time_scale = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != 0 || !(time_scale >= 1 && time_scale <= 10000)) {
        std::fprintf(stderr, "hallq-server: --time-scale wants a number from 1 to 10000, got \"%s\"\n", v.c_str());
        return 2;
      }
    } else if (a == "--start-time") start_time = value("--start-time");
    else if (a == "--listen") {
      std::string l = value("--listen");
      if (!split_listen(l, options.host, options.port)) {
        std::fprintf(stderr, "hallq-server: --listen wants HOST:PORT, got \"%s\"\n", l.c_str());
        return 2;
      }
    } else if (a == "--help" || a == "-h") {
      usage(stdout);
      return 0;
    } else {
      std::fprintf(stderr, "hallq-server: unknown option %s\n", a.c_str());
      usage(stderr);
      return 2;
    }
  }

  auto config = hallq::load_hall_config(config_path);
  if (!config) {
    // The message already starts with the file's path.
    std::fprintf(stderr, "hallq-server: %s\n", config.error().message.c_str());
    return 2;
  }
  if (always_open) config->rules.enforce_opening_hours = false;
  // PUT /api/config writes edits back to this file; --always-open stays a run-time override.
  options.config_path = config_path;
  if (always_open) options.config_overlay = [](hallq::HallConfig& c) { c.rules.enforce_opening_hours = false; };
  if (time_scale != 1 || !start_time.empty()) {
    // A simulated day: hall time = start + real elapsed time x scale, from a steady clock so a
    // change of the system clock does not jump the simulation.
    using namespace std::chrono;
    hallq::TimeMs start = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    if (!start_time.empty()) {
      auto parsed = parse_start_time(start_time, config->rules.utc_offset_min);
      if (!parsed) {
        std::fprintf(stderr, "hallq-server: --start-time wants YYYY-MM-DDTHH:MM (local hall time), got \"%s\"\n",
                     start_time.c_str());
        return 2;
      }
      start = *parsed;
    }
    auto origin = steady_clock::now();
    options.clock_rate = time_scale;
    options.clock = [start, origin, time_scale]() -> hallq::TimeMs {
      double elapsed_ms = duration<double, std::milli>(steady_clock::now() - origin).count();
      return start + hallq::TimeMs(elapsed_ms * time_scale);
    };
  }

  // Every display, kiosk and console holds a socket; Debian's default soft limit of 1,024 open
  // files would stop a large hall at about a thousand screens. Take the hard limit.
  if (rlimit files{}; getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &files) != 0) std::perror("hallq-server: raising the open-files limit");
  }

  // Signals are taken synchronously by this thread; the I/O threads never see them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto server = hallq::net::Server::create(options, std::make_shared<const hallq::HallConfig>(std::move(*config)));
  if (!server) {
    std::fprintf(stderr, "hallq-server: %s\n", server.error().message.c_str());
    return 1;
  }
  (*server)->start();
  log_allocator();
  std::string host = options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
  std::printf("listening on http://%s:%u\n", host.c_str(), unsigned((*server)->port()));
  std::fflush(stdout);

  int sig = 0;
  sigwait(&signals, &sig);
  std::fprintf(stderr, "hallq-server: %s: finishing pending commits and stopping\n", strsignal(sig));
  (*server)->stop();
  return 0;
}
