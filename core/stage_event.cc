#include "core/stage_event.h"

namespace floortrack {

const char* ToString(StageResult r) {
  switch (r) {
    case StageResult::kPass:
      return "pass";
    case StageResult::kFail:
      return "fail";
    case StageResult::kNone:
      break;
  }
  return "";
}

StageResult StageResultFromString(const std::string& s) {
  if (s == "pass") return StageResult::kPass;
  if (s == "fail") return StageResult::kFail;
  return StageResult::kNone;
}

TimeSource TimeSourceFromCode(std::int64_t code) {
  for (TimeSource s : {TimeSource::kReceivedNoTs, TimeSource::kReceivedFuture,
                       TimeSource::kReceivedBeforeEarliest, TimeSource::kReceivedTooOld})
    if (code == static_cast<std::int64_t>(s)) return s;
  return TimeSource::kDevice;
}

const char* TsFlag(TimeSource s) {
  switch (s) {
    case TimeSource::kReceivedFuture:
      return "future";
    case TimeSource::kReceivedBeforeEarliest:
      return "before_earliest";
    case TimeSource::kReceivedTooOld:
      return "too_old";
    case TimeSource::kDevice:
    case TimeSource::kReceivedNoTs:
      break;
  }
  return "";
}

}  // namespace floortrack
