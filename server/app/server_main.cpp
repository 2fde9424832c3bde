// hallq-server: the hall's event server. Flags and defaults: --help. The program is
// hallq_server_app; this file keeps what must live in the executable itself: the allocator.
#include <cstdio>

#include "hallq/app/server_run.h"

#ifdef HALLQ_JEMALLOC
#include <jemalloc/jemalloc.h>

// Declared by jemalloc.h, read at its first allocation. Its default of four arenas per core kept
// a few MB more of a day's memory for no measurable speed, and freed pages go back to the
// system within a second instead of ten (goal 4 in docs/benchmarks.md). Here, not in the
// library: a static library's object is linked only when something refers to it.
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

}  // namespace

int main(int argc, char** argv) { return hallq::app::server_main(argc, argv, log_allocator); }
