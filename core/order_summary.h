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
  std::optional<TimePoint> promised_at;  // the promise the customer was given
  std::optional<int> items;              // pieces in the order (`items`); KPIs read nullopt as 1

  // Extra kinds and the stages the shop KPIs read (docs/kpi.md).
  std::optional<TimePoint> packed_at;     // first "packed" stage time
  std::optional<TimePoint> submitted_at;  // first Rules::design_submitted_stage event
  bool engaged = false;                   // any review, share or referral event

  // Corrections (core/corrections.h). Voided events and voids are left out
  // of every field above and below except event_count (all stored events).
  std::optional<TimePoint> cancelled_at;  // first "cancelled" stage time
  bool on_hold = false;                   // the last on_hold/resumed is on_hold
  int void_events = 0;                    // "void" events stored for the order
  // The last production stage (neither a control stage nor an extra kind)
  // on the timeline and when the order entered it: the first event of the
  // last run of that stage (a rework loop back into it enters it again).
  // "" when none.
  std::string production_stage;
  std::optional<TimePoint> production_stage_at;

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
// Void events and the events they void are left out (core/corrections.h).
// Precondition: !events.empty().
OrderSummary SummarizeOrder(std::vector<StageEvent> events, const Rules& rules);

// Incremental form of SummarizeOrder for the common case of an event that
// lands at the end of the order's timeline. Given `summary` ==
// SummarizeOrder(events) for the order's other events, and `event` of the
// same order whose stage_time is strictly later than every one of them
// (summary.current_stage_at), updates `summary` to SummarizeOrder(events +
// event) and returns true; the result is identical (material sums add in the
// same order). Returns false and leaves `summary` untouched otherwise (equal
// or earlier stage time: the order's place depends on stage order and receive
// time, so the caller recomputes from all events). Also false for control
// events and for an order with voids: those are recomputed too.
bool AppendToSummary(OrderSummary& summary, const StageEvent& event, const Rules& rules);

}  // namespace floortrack
