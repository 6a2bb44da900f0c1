// Extra kinds: events that are about an order or a shift but are not
// production stages (docs/events.md "Extra kinds").
//
// Rules::extra_kinds (`extra_kinds = [...]` in the config) declares which
// are accepted; this file is the one place that says what each known kind
// means to the KPIs (docs/kpi.md):
// - "feedback": a customer's satisfaction `score` for an order (csi);
// - "review", "share", "referral": post-purchase engagement (engagement_pct);
// - "shift_start", "shift_end": an operator's shift (staff-hours for
//   labor_pieces_per_hour); they need no order_id.
// A declared kind with none of these names is stored and shown in the
// order's timeline and counted nowhere. Extra kinds never count as
// production stages: not in dwell, flow, WIP, turnaround or the order's
// production stage. Pure functions; no shared state.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace floortrack {

inline constexpr const char* kKindFeedback = "feedback";
inline constexpr const char* kKindReview = "review";
inline constexpr const char* kKindShare = "share";
inline constexpr const char* kKindReferral = "referral";
inline constexpr const char* kKindShiftStart = "shift_start";
inline constexpr const char* kKindShiftEnd = "shift_end";

// What an extra kind means to the KPIs.
enum class KindRole { kNone, kFeedback, kEngagement, kShiftStart, kShiftEnd };

// The default `extra_kinds`: every kind with a role.
std::vector<std::string> DefaultExtraKinds();

// The role of `kind` by its name (kNone for any other name). Callers check
// first that the kind is declared (Rules::IsExtraKind).
KindRole RoleOfKind(std::string_view kind);

// Whether events of this role carry no order (shift events).
inline bool IsOrderless(KindRole role) {
  return role == KindRole::kShiftStart || role == KindRole::kShiftEnd;
}

}  // namespace floortrack
