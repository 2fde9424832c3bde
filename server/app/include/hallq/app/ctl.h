// hallqctl, HallQ from the command line, as a library so the program is a thin main. Call from the
// main thread: `watch` installs SIGINT and SIGTERM handlers.
#pragma once

namespace hallq::app {

// The whole program. Exit codes: 0 done, 1 the server refused (its message on stderr), 2 usage
// error, 3 the server could not be reached.
int hallqctl_main(int argc, char** argv);

}  // namespace hallq::app
