// hallq-bench: load and latency measurements against a running hallq-server. Flags: --help.
// Reports call-to-display latency, displays left behind, durable tickets per second and the
// server's memory and CPU. See docs/benchmarks.md for the runs behind the published numbers.
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <string>

#include "bench.h"
#include "options.h"

int main(int argc, char** argv) {
  hallq::bench::Options options;
  bool help = false;
  if (std::string error = hallq::bench::parse_options(argc, argv, options, help); !error.empty()) {
    std::fprintf(stderr, "hallq-bench: %s\n", error.c_str());
    hallq::bench::print_usage(stderr);
    return 2;
  }
  if (help) {
    hallq::bench::print_usage(stdout);
    return 0;
  }
  hallq::bench::Plan plan;
  if (std::string error = hallq::bench::make_plan(options, plan); !error.empty()) {
    std::fprintf(stderr, "hallq-bench: %s\n", error.c_str());
    return 2;
  }

  // One descriptor per connection, and a few for files and /proc.
  const rlim_t needed = rlim_t(options.displays + 2 * options.clerks + plan.kiosks.size() + 64);
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed) {
    std::fprintf(stderr,
                 "hallq-bench: %zu displays need about %llu file descriptors, but the hard limit is %llu.\n"
                 "  Raise it (ulimit -Hn as root, or LimitNOFILE= for a service) or run fewer displays.\n"
                 "  The server needs as many: start it from a shell with `ulimit -n %llu`.\n",
                 options.displays, static_cast<unsigned long long>(needed),
                 static_cast<unsigned long long>(limit.rlim_max), static_cast<unsigned long long>(needed));
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);

  nlohmann::json report = hallq::bench::run_bench(options, plan);
  if (options.json) {
    std::printf("%s\n", report.dump(2).c_str());
  } else {
    std::printf("%s", hallq::bench::format_report(report).c_str());
  }
  return report.contains("error") ? 1 : 0;
}
