// hallq-server's command line as a pure function: flags in, options or the run's end out. No
// printing and no exit(), so tests can check every flag and message. Any thread.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "hallq/net/server.h"

namespace hallq::app {

// What the flags ask for. Defaults are the ones --help lists.
struct ServerArgs {
  std::string config_path;      // --config; default HALLQ_ASSETS_DIR/halls/sample-county.json
  net::ServerOptions options;   // --listen, --data, --web, --threads; web_root defaults to the assets
  bool always_open = false;     // --always-open
  double time_scale = 1;        // --time-scale, 1..10000
  // --start-time as given: it is local hall time, so it is checked once the hall's UTC offset is
  // known (apply_clock_flags), after the configuration loaded, as the program always did.
  std::string start_time;
};

// The run ends at the command line: --help (0) or a usage error (2). Both texts are printed as
// they are, with their "hallq-server: " prefix and newlines.
struct ArgsExit {
  int code = 0;
  std::string out;  // for stdout
  std::string err;  // for stderr
};

std::string server_usage();

// The first flag that ends the run wins, left to right, as in the original loop.
std::variant<ServerArgs, ArgsExit> parse_server_args(int argc, const char* const* argv);

// "YYYY-MM-DDTHH:MM" in local hall time (UTC + utc_offset_min) to UTC ms; nullopt when malformed.
std::optional<TimeMs> parse_start_time(const std::string& s, int utc_offset_min);

// Gives args.options a simulated clock when --time-scale or --start-time asks for one: hall time
// = start + real elapsed time x scale. Returns the usage error for a malformed --start-time.
std::optional<ArgsExit> apply_clock_flags(ServerArgs& args, int utc_offset_min);

}  // namespace hallq::app
