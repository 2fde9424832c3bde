// hallq-server's run: load the hall, serve until SIGINT or SIGTERM, stop cleanly. Call from the
// main thread: it blocks SIGINT and SIGTERM for the whole process and waits for them itself.
#pragma once

#include <functional>

#include "hallq/app/server_args.h"

namespace hallq::app {

// Serves until a signal. `after_start` runs once the server listens, before the "listening on"
// line: main logs its allocator there, since only the executable knows whether it has jemalloc.
// Returns the exit code: 0 stopped by a signal, 1 the server could not start, 2 a bad hall file
// or --start-time.
int run_server(ServerArgs args, const std::function<void()>& after_start);

// The whole program: parse_server_args, print and return if the run ends there, else run_server.
int server_main(int argc, const char* const* argv, const std::function<void()>& after_start);

}  // namespace hallq::app
