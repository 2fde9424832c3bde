// Reconnect timing: jittered exponential backoff, about 1 s first and capped near 10 s, so a
// hall's hundred displays do not hammer a server that just came back all at the same instant.
#pragma once

#include <chrono>

namespace hallq::display {

struct Backoff {
  std::chrono::milliseconds first{1000};
  std::chrono::milliseconds cap{10000};
  double jitter = 0.25;  // each delay is scaled by a factor in [1 - jitter, 1 + jitter]
  // attempt 0, 1, 2, ...; `unit` is a uniform random number in [0, 1).
  std::chrono::milliseconds delay(int attempt, double unit) const;
};

}  // namespace hallq::display
