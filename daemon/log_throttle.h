// LogThrottle: at most `burst` log lines per `period` for one noisy kind of
// message (rejected messages), so a flood of garbage cannot flood the journal.
//
// Allow() says whether to log this occurrence; when a new period starts it
// also reports how many were suppressed in the last one, so the operator
// still sees the count. The rejects table keeps every reject regardless.
// Not thread-safe: one instance per thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace floortrack {

class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  LogThrottle(int burst, Clock::duration period) : burst_(burst), period_(period) {}

  // True: log this one. `suppressed` is set to the count dropped in the
  // period that just ended (0 if none), to be logged alongside.
  bool Allow(Clock::time_point now, std::uint64_t& suppressed) {
    suppressed = 0;
    if (now - period_start_ >= period_) {
      suppressed = suppressed_;
      suppressed_ = 0;
      allowed_ = 0;
      period_start_ = now;
    }
    if (allowed_ < burst_) {
      ++allowed_;
      return true;
    }
    ++suppressed_;
    return false;
  }

 private:
  int burst_;
  Clock::duration period_;
  Clock::time_point period_start_{};
  int allowed_ = 0;
  std::uint64_t suppressed_ = 0;
};

}  // namespace floortrack
