#include "core/corrections.h"

#include <algorithm>
#include <utility>

namespace floortrack {

bool IsControlStage(std::string_view stage) {
  return stage == kStageCancelled || stage == kStageOnHold || stage == kStageResumed ||
         stage == kStageVoid;
}

std::set<std::string> VoidedKeys(const std::vector<StageEvent>& events) {
  std::set<std::string> keys;
  for (const StageEvent& e : events) {
    if (e.stage != kStageVoid || e.voids.empty()) continue;
    keys.insert(e.voids);
    keys.insert(e.voids + "/" + e.order_id);
  }
  return keys;
}

bool IsVoided(const StageEvent& event, const std::set<std::string>& voided) {
  return event.stage != kStageVoid && !event.event_key.empty() && voided.count(event.event_key) > 0;
}

std::vector<StageEvent> EffectiveEvents(std::vector<StageEvent> events) {
  const std::set<std::string> voided = VoidedKeys(events);
  const bool any_void = std::any_of(events.begin(), events.end(),
                                    [](const StageEvent& e) { return e.stage == kStageVoid; });
  if (!any_void) return events;  // nothing to drop: no copy
  std::vector<StageEvent> out;
  out.reserve(events.size());
  for (StageEvent& e : events) {
    if (e.stage == kStageVoid || IsVoided(e, voided)) continue;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace floortrack
