// Clock: the port through which core reads the current time.
//
// The daemon uses SystemClock; tests use FakeClock to make receive times and
// skew checks deterministic. Implementations must be thread-safe.
#pragma once

#include "core/time.h"

namespace floortrack {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override {
    return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  }
};

}  // namespace floortrack
