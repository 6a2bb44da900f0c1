#include "core/due_dates.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "core/corrections.h"
#include "core/kpi.h"

namespace floortrack {
namespace {

double Hours(Millis d) { return static_cast<double>(d.count()) / 3'600'000.0; }

bool IsOpen(const OrderSummary& o) { return o.confirmed_at && !o.shipped_at && !o.cancelled_at; }

}  // namespace

std::optional<TimePoint> EffectivePromise(const OrderSummary& order, int default_promise_days) {
  if (order.promised_at) return order.promised_at;
  if (default_promise_days > 0 && order.confirmed_at)
    return *order.confirmed_at + std::chrono::hours(24 * default_promise_days);
  return std::nullopt;
}

std::optional<TimePoint> EffectivePromise(const OrderSummary& order, const Rules& rules) {
  return EffectivePromise(order, rules.default_promise_days);
}

RemainingAccumulator::RemainingAccumulator(const Rules& rules, TimePoint now)
    : rules_(rules), now_(now) {}

void RemainingAccumulator::Add(std::vector<StageEvent> timeline) {
  SortTimeline(timeline, rules_);
  timeline = EffectiveEvents(std::move(timeline));
  std::optional<TimePoint> shipped;
  for (const StageEvent& e : timeline) {
    if (e.stage == kStageCancelled) return;
    if (e.stage == kStageShipped && !shipped) shipped = e.stage_time;
  }
  if (!shipped || *shipped >= now_ || *shipped < now_ - kRemainingWindow) return;
  // The last entry into each production stage before the first shipment.
  // An order passes a handful of stages: a linear search beats a map, and
  // each stage's list gets this order's value whatever the visiting order.
  std::vector<std::pair<const std::string*, TimePoint>> last_entry;
  const std::string* previous = nullptr;
  for (const StageEvent& e : timeline) {
    if (e.stage_time > *shipped || (e.stage_time == *shipped && e.stage == kStageShipped)) break;
    if (IsControlStage(e.stage) || rules_.IsExtraKind(e.stage)) continue;
    if (!previous || e.stage != *previous) {
      auto seen = std::find_if(last_entry.begin(), last_entry.end(),
                               [&e](const auto& entry) { return *entry.first == e.stage; });
      if (seen == last_entry.end())
        last_entry.emplace_back(&e.stage, e.stage_time);
      else
        seen->second = e.stage_time;
    }
    previous = &e.stage;
  }
  for (const auto& [stage, entered] : last_entry)
    hours_[*stage].push_back(Hours(*shipped - entered));
}

std::map<std::string, StageRemaining> RemainingAccumulator::Finish() {
  std::map<std::string, StageRemaining> out;
  for (auto& [stage, hours] : hours_) {
    std::sort(hours.begin(), hours.end());
    out[stage] = StageRemaining{hours.size(), NearestRank(hours, 50)};
  }
  return out;
}

LateReport ComputeLate(const std::vector<OrderSummary>& orders,
                       std::map<std::string, StageRemaining> remaining, const Rules& rules,
                       TimePoint now) {
  LateReport report;
  report.generated_at = now;
  for (const OrderSummary& o : orders) {
    if (!IsOpen(o)) continue;
    const std::optional<TimePoint> promise = EffectivePromise(o, rules);
    if (!promise) continue;
    const bool is_default = !o.promised_at;
    if (*promise < now) {
      report.late.push_back(LateOrder{o.order_id, *promise, is_default, o.production_stage,
                                      o.production_stage_at, o.on_hold, Hours(now - *promise)});
      continue;
    }
    if (o.on_hold || !o.production_stage_at) continue;
    auto expected = remaining.find(o.production_stage);
    if (expected == remaining.end()) continue;
    const double p50 = expected->second.p50_hours;
    const TimePoint ship_at = *o.production_stage_at + Millis(std::llround(p50 * 3'600'000.0));
    if (ship_at <= *promise) continue;
    report.at_risk.push_back(AtRiskOrder{o.order_id, *promise, is_default, o.production_stage,
                                         *o.production_stage_at, p50, ship_at,
                                         Hours(*promise - ship_at)});
  }
  std::sort(report.late.begin(), report.late.end(), [](const LateOrder& a, const LateOrder& b) {
    if (a.overdue_hours != b.overdue_hours) return a.overdue_hours > b.overdue_hours;
    return a.order_id < b.order_id;
  });
  std::sort(report.at_risk.begin(), report.at_risk.end(),
            [](const AtRiskOrder& a, const AtRiskOrder& b) {
              if (a.margin_hours != b.margin_hours) return a.margin_hours < b.margin_hours;
              return a.order_id < b.order_id;
            });
  report.remaining = std::move(remaining);
  return report;
}

}  // namespace floortrack
