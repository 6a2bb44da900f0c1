#include "core/extra_kinds.h"

namespace floortrack {

std::vector<std::string> DefaultExtraKinds() {
  return {kKindFeedback, kKindReview, kKindShare, kKindReferral, kKindShiftStart, kKindShiftEnd};
}

KindRole RoleOfKind(std::string_view kind) {
  if (kind == kKindFeedback) return KindRole::kFeedback;
  if (kind == kKindReview || kind == kKindShare || kind == kKindReferral)
    return KindRole::kEngagement;
  if (kind == kKindShiftStart) return KindRole::kShiftStart;
  if (kind == kKindShiftEnd) return KindRole::kShiftEnd;
  return KindRole::kNone;
}

}  // namespace floortrack
