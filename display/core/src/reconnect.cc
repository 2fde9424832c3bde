#include "hallq/display/reconnect.h"

#include <algorithm>
#include <cmath>

namespace hallq::display {

std::chrono::milliseconds Backoff::delay(int attempt, double unit) const {
  const double base = std::min<double>(double(cap.count()), double(first.count()) * std::pow(2.0, std::clamp(attempt, 0, 30)));
  const double factor = 1.0 - jitter + 2.0 * jitter * std::clamp(unit, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<long long>(base * factor));
}

}  // namespace hallq::display
