#include "core/order_summary.h"

#include <algorithm>
#include <climits>
#include <cstddef>
#include <utility>

#include "core/corrections.h"
#include "core/extra_kinds.h"

namespace floortrack {
namespace {

// Process position used for ordering: unknown stages sort after every known one.
int OrderIndex(const std::string& stage, const Rules& rules) {
  const int index = rules.StageIndex(stage);
  return index < 0 ? INT_MAX : index;
}

// Folds one more event, in timeline order, into the summary's stage times,
// order facts, returns and material (everything but current stage, event
// count and failed_before_ship, which the callers settle).
void Absorb(OrderSummary& summary, const StageEvent& e, const Rules& rules) {
  summary.last_received_at = std::max(summary.last_received_at, e.received_at);
  if (e.stage == kStageConfirmed) {
    // Timeline order: the first confirmed seen is the earliest.
    if (!summary.confirmed_at) summary.confirmed_at = e.stage_time;
    if (!summary.value && e.value) summary.value = e.value;
    if (summary.currency.empty() && !e.currency.empty()) summary.currency = e.currency;
    if (summary.customer_id.empty() && !e.customer_id.empty()) summary.customer_id = e.customer_id;
    if (summary.product.empty() && !e.product.empty()) summary.product = e.product;
    if (!summary.personalized && e.personalized) summary.personalized = e.personalized;
    if (!summary.promised_at && e.promised_at) summary.promised_at = e.promised_at;
    if (!summary.items && e.items) summary.items = e.items;
  } else if (e.stage == kStagePacked) {
    if (!summary.packed_at) summary.packed_at = e.stage_time;
  } else if (e.stage == kStageShipped) {
    if (!summary.shipped_at) summary.shipped_at = e.stage_time;
  } else if (e.stage == kStageReturned) {
    summary.return_reasons.push_back(e.reason);
  } else if (e.stage == kStageCancelled) {
    if (!summary.cancelled_at) summary.cancelled_at = e.stage_time;
  } else if (e.stage == kStageOnHold) {
    summary.on_hold = true;
  } else if (e.stage == kStageResumed) {
    summary.on_hold = false;
  }
  if (e.stage == rules.design_submitted_stage && !summary.submitted_at)
    summary.submitted_at = e.stage_time;
  const KindRole role = rules.ExtraRole(e.stage);
  if (role == KindRole::kEngagement) summary.engaged = true;
  if (!IsControlStage(e.stage) && !rules.IsExtraKind(e.stage) &&
      e.stage != summary.production_stage) {
    summary.production_stage = e.stage;
    summary.production_stage_at = e.stage_time;
  }
  if (e.material) {
    summary.material_used_g += e.material->used_g;
    summary.material_scrap_g += e.material->scrap_g;
    summary.material_cost += e.material_cost;
  }
}

}  // namespace

void SortTimeline(std::vector<StageEvent>& events, const Rules& rules) {
  // Precompute the stage index once per event rather than per comparison.
  std::vector<std::pair<int, std::size_t>> keys;
  keys.reserve(events.size());
  for (std::size_t i = 0; i < events.size(); ++i)
    keys.emplace_back(OrderIndex(events[i].stage, rules), i);

  const auto before = [&events](const auto& a, const auto& b) {
    const StageEvent& ea = events[a.second];
    const StageEvent& eb = events[b.second];
    if (ea.stage_time != eb.stage_time) return ea.stage_time < eb.stage_time;
    if (a.first != b.first) return a.first < b.first;
    return ea.received_at < eb.received_at;
  };
  // Timelines mostly arrive in order (the store reads them by stage time):
  // then nothing moves.
  if (std::is_sorted(keys.begin(), keys.end(), before)) return;
  std::stable_sort(keys.begin(), keys.end(), before);

  std::vector<StageEvent> sorted;
  sorted.reserve(events.size());
  for (const auto& key : keys) sorted.push_back(std::move(events[key.second]));
  events = std::move(sorted);
}

OrderSummary SummarizeOrder(std::vector<StageEvent> events, const Rules& rules) {
  SortTimeline(events, rules);

  OrderSummary summary;
  if (events.empty()) return summary;  // precondition violated; return an empty summary

  summary.order_id = events.front().order_id;
  summary.event_count = static_cast<int>(events.size());
  summary.last_received_at = events.front().received_at;
  for (const StageEvent& e : events) {
    summary.last_received_at = std::max(summary.last_received_at, e.received_at);
    if (e.stage == kStageVoid) ++summary.void_events;
  }
  // Everything else from the events that count. Nothing counts when every
  // event is voided: no stage, the last stored event's time.
  summary.current_stage_at = events.back().stage_time;
  events = EffectiveEvents(std::move(events));
  if (events.empty()) return summary;
  summary.current_stage = events.back().stage;
  summary.current_stage_at = events.back().stage_time;

  for (const StageEvent& e : events) Absorb(summary, e, rules);

  // Needs the final shipped_at, so a second pass.
  for (const StageEvent& e : events) {
    if (e.result != StageResult::kFail) continue;
    if (!summary.shipped_at || e.stage_time < *summary.shipped_at) {
      summary.failed_before_ship = true;
      break;
    }
  }

  return summary;
}

bool AppendToSummary(OrderSummary& summary, const StageEvent& e, const Rules& rules) {
  if (summary.event_count <= 0 || e.order_id != summary.order_id ||
      e.stage_time <= summary.current_stage_at || summary.void_events > 0 ||
      IsControlStage(e.stage) || summary.current_stage.empty()) {
    return false;
  }
  // Mirrors SummarizeOrder's loop body for one more event at the end.
  summary.event_count += 1;
  summary.current_stage = e.stage;
  summary.current_stage_at = e.stage_time;
  Absorb(summary, e, rules);
  // Earlier events keep their verdict: they are all strictly before this one,
  // so before any first shipment this event may set. This event counts only
  // when no shipment precedes or equals it.
  if (e.result == StageResult::kFail && !summary.shipped_at) summary.failed_before_ship = true;
  return true;
}

}  // namespace floortrack
