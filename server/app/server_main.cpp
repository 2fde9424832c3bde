// hallq-server: the hall's event server. Flags and defaults: --help.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include <sys/resource.h>

#include "hallq/hall_config.h"
#include "hallq/net/server.h"

namespace {

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: hallq-server [--config FILE] [--data DIR] [--listen HOST:PORT] [--web DIR]\n"
               "                    [--threads N] [--always-open]\n"
               "  --config FILE     hall configuration (default %s/halls/sample-county.json)\n"
               "  --data DIR        where hallq.sqlite lives (default ./var)\n"
               "  --listen H:P      address to serve (default 127.0.0.1:8080; port 0 picks a free one)\n"
               "  --web DIR         static web pages (default %s/web)\n"
               "  --threads N       I/O threads (default 2)\n"
               "  --always-open     issue tickets at any hour (demos, tests)\n",
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

}  // namespace

int main(int argc, char** argv) {
  std::string config_path = std::string(HALLQ_ASSETS_DIR) + "/halls/sample-county.json";
  hallq::net::ServerOptions options;
  options.web_root = std::string(HALLQ_ASSETS_DIR) + "/web";
  bool always_open = false;
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
  std::string host = options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
  std::printf("listening on http://%s:%u\n", host.c_str(), unsigned((*server)->port()));
  std::fflush(stdout);

  int sig = 0;
  sigwait(&signals, &sig);
  std::fprintf(stderr, "hallq-server: %s: finishing pending commits and stopping\n", strsignal(sig));
  (*server)->stop();
  return 0;
}
