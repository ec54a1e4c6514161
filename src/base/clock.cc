#include "base/clock.h"

#include <ctime>

namespace kw {

int64_t SystemClock::NowUnix() const { return static_cast<int64_t>(std::time(nullptr)); }

const Clock& SystemClock::Get() {
  static const SystemClock clock;
  return clock;
}

}  // namespace kw
