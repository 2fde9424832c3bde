#include "hallq/app/server_run.h"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include <pthread.h>
#include <sys/resource.h>

#include "hallq/hall_config.h"

namespace hallq::app {

int run_server(ServerArgs args, const std::function<void()>& after_start) {
  auto& options = args.options;
  auto config = load_hall_config(args.config_path);
  if (!config) {
    // The message already starts with the file's path.
    std::fprintf(stderr, "hallq-server: %s\n", config.error().message.c_str());
    return 2;
  }
  if (args.always_open) config->rules.enforce_opening_hours = false;
  // PUT /api/config writes edits back to this file; --always-open stays a run-time override.
  options.config_path = args.config_path;
  if (args.always_open) options.config_overlay = [](HallConfig& c) { c.rules.enforce_opening_hours = false; };
  if (auto stop = apply_clock_flags(args, config->rules.utc_offset_min)) {
    std::fputs(stop->err.c_str(), stderr);
    return stop->code;
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

  auto server = net::Server::create(options, std::make_shared<const HallConfig>(std::move(*config)));
  if (!server) {
    std::fprintf(stderr, "hallq-server: %s\n", server.error().message.c_str());
    return 1;
  }
  (*server)->start();
  if (after_start) after_start();
  std::string host = options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
  std::printf("listening on http://%s:%u\n", host.c_str(), unsigned((*server)->port()));
  std::fflush(stdout);

  int sig = 0;
  sigwait(&signals, &sig);
  std::fprintf(stderr, "hallq-server: %s: finishing pending commits and stopping\n", strsignal(sig));
  (*server)->stop();
  return 0;
}

int server_main(int argc, const char* const* argv, const std::function<void()>& after_start) {
  auto parsed = parse_server_args(argc, argv);
  if (auto* stop = std::get_if<ArgsExit>(&parsed)) {
    std::fputs(stop->out.c_str(), stdout);
    std::fputs(stop->err.c_str(), stderr);
    return stop->code;
  }
  return run_server(std::get<ServerArgs>(std::move(parsed)), after_start);
}

}  // namespace hallq::app
