// OrderSummary and the order timeline.
//
// An order's timeline is its events sorted by stage time (then process order
// of the stage, then receive time), never by arrival. The summary condenses
// the timeline into what the status, orders and KPI queries need; the store
// recomputes it with SummarizeOrder() in the same transaction as every event
// of the order, so queries never rescan event history. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/rules.h"
#include "core/stage_event.h"

namespace floortrack {

struct OrderSummary {
  std::string order_id;
  std::optional<TimePoint> confirmed_at;  // first "confirmed" stage time; nullopt = unconfirmed
  std::optional<TimePoint> shipped_at;    // first "shipped" stage time
  std::string current_stage;              // stage of the last event on the timeline
  TimePoint current_stage_at{};
  TimePoint last_received_at{};
  int event_count = 0;

  // From the first "confirmed" event that carries each fact.
  std::optional<double> value;
  std::string currency;
  std::string customer_id;
  std::string product;
  std::optional<bool> personalized;

  double material_used_g = 0;
  double material_scrap_g = 0;
  double material_cost = 0;

  // Any event with result "fail" before the first shipment (or at all, if
  // never shipped).
  bool failed_before_ship = false;
  // Reasons of "returned" events, in timeline order (empty reason kept as "").
  std::vector<std::string> return_reasons;
};

// Sorts events into timeline order. Stable for equal keys.
void SortTimeline(std::vector<StageEvent>& events, const Rules& rules);

// Summarizes one order's events (any order; all must share order_id).
// Precondition: !events.empty().
OrderSummary SummarizeOrder(std::vector<StageEvent> events, const Rules& rules);

}  // namespace floortrack
