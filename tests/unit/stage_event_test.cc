// Unit tests for TimeSourceFromCode, TsFlag and IsFlagged (core/stage_event.h).
#include "core/stage_event.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>

namespace floortrack {
namespace {

TEST_CASE("TimeSource numeric values are stable (the store persists them)") {
  CHECK(static_cast<int>(TimeSource::kDevice) == 0);
  CHECK(static_cast<int>(TimeSource::kReceivedNoTs) == 1);
  CHECK(static_cast<int>(TimeSource::kReceivedFuture) == 2);
  CHECK(static_cast<int>(TimeSource::kReceivedBeforeEarliest) == 3);
  CHECK(static_cast<int>(TimeSource::kReceivedTooOld) == 4);
}

TEST_CASE("TimeSourceFromCode reads every known code and unknown ones as kDevice") {
  CHECK(TimeSourceFromCode(0) == TimeSource::kDevice);
  CHECK(TimeSourceFromCode(1) == TimeSource::kReceivedNoTs);
  CHECK(TimeSourceFromCode(2) == TimeSource::kReceivedFuture);
  CHECK(TimeSourceFromCode(3) == TimeSource::kReceivedBeforeEarliest);
  CHECK(TimeSourceFromCode(4) == TimeSource::kReceivedTooOld);
  CHECK(TimeSourceFromCode(5) == TimeSource::kDevice);
  CHECK(TimeSourceFromCode(-1) == TimeSource::kDevice);
  CHECK(TimeSourceFromCode(INT64_MAX) == TimeSource::kDevice);
}

TEST_CASE("TsFlag names the flagged kinds only") {
  CHECK(std::string(TsFlag(TimeSource::kDevice)) == "");
  CHECK(std::string(TsFlag(TimeSource::kReceivedNoTs)) == "");
  CHECK(std::string(TsFlag(TimeSource::kReceivedFuture)) == "future");
  CHECK(std::string(TsFlag(TimeSource::kReceivedBeforeEarliest)) == "before_earliest");
  CHECK(std::string(TsFlag(TimeSource::kReceivedTooOld)) == "too_old");
  CHECK_FALSE(IsFlagged(TimeSource::kDevice));
  CHECK_FALSE(IsFlagged(TimeSource::kReceivedNoTs));
  CHECK(IsFlagged(TimeSource::kReceivedFuture));
  CHECK(IsFlagged(TimeSource::kReceivedBeforeEarliest));
  CHECK(IsFlagged(TimeSource::kReceivedTooOld));
}

}  // namespace
}  // namespace floortrack
