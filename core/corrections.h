// Corrections: the control events that keep the numbers true when the floor
// makes mistakes (docs/events.md).
//
// - "cancelled": the order is cancelled (from its first effective cancelled
//   event on): it leaves the open, WIP, late and at-risk lists and counts in
//   no turnaround.
// - "on_hold" / "resumed": the last of them on the timeline says whether the
//   order is held; a held order is not at risk (and not stuck).
// - "void": names, in `voids`, the event_id of an event of the same order;
//   that event stays stored (audit) but counts nowhere. A void may arrive
//   before the event it names: it takes effect when that event arrives.
//   Voids cannot themselves be voided.
// These are control stages, not production stages: they are accepted
// whatever Rules::stages says, sort after production stages at equal stage
// times, and never count in dwell, flow or turnaround (IsControlStage).
// Pure functions; no thread-safety concerns.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/stage_event.h"

namespace floortrack {

inline constexpr const char* kStageCancelled = "cancelled";
inline constexpr const char* kStageOnHold = "on_hold";
inline constexpr const char* kStageResumed = "resumed";
inline constexpr const char* kStageVoid = "void";

// True for "cancelled", "on_hold", "resumed" and "void".
bool IsControlStage(std::string_view stage);

// The event keys `events` (one order's) voids: the `voids` id of each void
// event, also as "<id>/<order_id>" (the key under which a batch event is
// recorded for one order).
std::set<std::string> VoidedKeys(const std::vector<StageEvent>& events);

// Whether `event` (not itself a void) is voided under `voided`.
bool IsVoided(const StageEvent& event, const std::set<std::string>& voided);

// `events` without void events and the events they void, order kept.
std::vector<StageEvent> EffectiveEvents(std::vector<StageEvent> events);

}  // namespace floortrack
