// LogThrottle (daemon/log_throttle.h): bounded reject logging.
#include "daemon/log_throttle.h"

#include <doctest/doctest.h>

namespace floortrack {
namespace {

using std::chrono::seconds;

TEST_CASE("LogThrottle allows `burst` per period, then counts the rest and reports them once") {
  LogThrottle throttle(3, seconds(10));
  LogThrottle::Clock::time_point t0{seconds(1000)};
  std::uint64_t suppressed = 99;
  int allowed = 0;
  for (int i = 0; i < 10; ++i) allowed += throttle.Allow(t0 + seconds(i % 5), suppressed);
  CHECK(allowed == 3);  // 10 in one period: 3 logged, 7 suppressed
  CHECK(suppressed == 0);
  CHECK(throttle.Allow(t0 + seconds(10), suppressed));  // a new period starts
  CHECK(suppressed == 7);
  CHECK(throttle.Allow(t0 + seconds(11), suppressed));
  CHECK(suppressed == 0);  // reported only once
}

}  // namespace
}  // namespace floortrack
