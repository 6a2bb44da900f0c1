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

}  // namespace floortrack
