// The summary rule: how a stored event changes its order's summary.
//
// Every store applies this one rule inside the transaction that stores the
// event, through the small SummaryStorage port it implements (load the
// order's summary and events, save the summary), so no store decides on its
// own how a summary follows its events. Usually an event is the latest of
// its order (devices report stages as they happen): the summary is then
// advanced from the event alone (AppendToSummary). Otherwise (a new order, a
// late or same-time event) it is recomputed from all of the order's events
// (SummarizeOrder). Both give the same summary.
//
// A stored summary is valid for one SummaryVersion: the version of this
// logic and the stage order it sorted timelines by. A store that finds
// summaries of another version rebuilds them (RebuildSummary per order).
// Pure functions over the port; thread-safety is the port's.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/order_summary.h"
#include "core/result.h"
#include "core/rules.h"
#include "core/stage_event.h"

namespace floortrack {

// Bump when SummarizeOrder/AppendToSummary change what they compute, so
// stores rebuild the summaries an older release wrote.
// 2: promised_at, corrections (cancelled, hold, voids), production stage.
// 3: extra kinds (items, packed_at, submitted_at, engaged).
inline constexpr int kSummaryLogicVersion = 3;

// The store's side of the rule. Calls happen inside the store's write
// transaction; implementations need not be thread-safe.
class SummaryStorage {
 public:
  virtual ~SummaryStorage() = default;
  // The stored summary, nullopt when the order has none yet.
  virtual Result<std::optional<OrderSummary>> LoadSummary(const std::string& order_id) = 0;
  // Every stored event of the order (raw payload not needed), any order.
  virtual Result<std::vector<StageEvent>> LoadEventsForSummary(const std::string& order_id) = 0;
  // Stores `summary`. `previous` is the summary as loaded (nullptr for a new
  // order or a rebuild), so a store may write only what changed.
  virtual Status SaveSummary(const OrderSummary& summary, const OrderSummary* previous) = 0;
};

// Brings the summary of event.order_id up to date after `event` was stored.
Status UpdateSummary(SummaryStorage& storage, const StageEvent& event, const Rules& rules);

// Recomputes the order's summary from all of its events (kNotFound if none).
Status RebuildSummary(SummaryStorage& storage, const std::string& order_id, const Rules& rules);

// What stored summaries depend on: this logic's version and the stage order,
// e.g. "logic 1; stages 9:confirmed7:printed...".
std::string SummaryVersion(const Rules& rules);

}  // namespace floortrack
