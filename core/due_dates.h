// Due dates: which open orders are late, which are at risk (docs/kpi.md).
//
// - An order's promise: its promised_at (from the first confirmed event that
//   carries one), else confirmed_at + Rules::default_promise_days when that
//   is set, else none.
// - Late: open (confirmed, not shipped, not cancelled) with a promise before
//   `now`. Held orders stay late (the promise was missed all the same).
// - At risk: open, not held, promise not yet past (promise >= now), and the
//   expected ship time, entry into its production stage + that stage's
//   expected remaining time, is after the promise.
// - Expected remaining time of stage S: the p50 (nearest rank), over orders
//   first shipped in the 30 days before `now` (not cancelled) whose
//   timeline entered S before their first shipment, of first shipment -
//   their last entry into S before it. An entry is the first event of a run
//   of S on the effective timeline (control events skipped). A stage no
//   such order went through has no expectation: its orders are never at
//   risk, only late.
// Pure functions and a single-threaded accumulator.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/order_summary.h"
#include "core/rules.h"
#include "core/stage_event.h"
#include "core/time.h"

namespace floortrack {

// The window of shipped orders the expectations are taken from.
inline constexpr Millis kRemainingWindow = std::chrono::hours(24 * 30);

// The order's promise (see above); nullopt when it has none.
std::optional<TimePoint> EffectivePromise(const OrderSummary& order, const Rules& rules);
std::optional<TimePoint> EffectivePromise(const OrderSummary& order, int default_promise_days);

struct StageRemaining {
  std::size_t count = 0;  // shipped orders that entered the stage
  double p50_hours = 0;
};

// Collects, one shipped order's timeline at a time, the remaining times per
// stage. Add() any timelines (sorted or not; with voids, control events);
// those not first shipped in [now - kRemainingWindow, now), or cancelled,
// are ignored.
class RemainingAccumulator {
 public:
  RemainingAccumulator(const Rules& rules, TimePoint now);
  void Add(std::vector<StageEvent> timeline);
  std::map<std::string, StageRemaining> Finish();

 private:
  Rules rules_;
  TimePoint now_;
  std::map<std::string, std::vector<double>> hours_;
};

struct LateOrder {
  std::string order_id;
  TimePoint promised_at{};
  bool promise_is_default = false;  // from [kpi] default_promise_days
  std::string current_stage;        // production stage
  std::optional<TimePoint> stage_entered_at;
  bool on_hold = false;
  double overdue_hours = 0;  // now - promise
};

struct AtRiskOrder {
  std::string order_id;
  TimePoint promised_at{};
  bool promise_is_default = false;
  std::string current_stage;
  TimePoint stage_entered_at{};
  double expected_remaining_hours = 0;  // the stage's p50
  TimePoint expected_ship_at{};         // entered + p50
  double margin_hours = 0;              // promise - expected_ship_at (< 0)
};

struct LateReport {
  TimePoint generated_at{};
  std::vector<LateOrder> late;                      // most overdue first, then order_id
  std::vector<AtRiskOrder> at_risk;                 // smallest margin first, then order_id
  std::map<std::string, StageRemaining> remaining;  // by stage
};

// `orders`: any orders (those not open, or without a promise, are skipped).
LateReport ComputeLate(const std::vector<OrderSummary>& orders,
                       std::map<std::string, StageRemaining> remaining, const Rules& rules,
                       TimePoint now);

}  // namespace floortrack
