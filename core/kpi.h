// KPI math: the one implementation every output (CLI table, --json) uses.
//
// Inputs are plain values: order summaries and event-level material totals
// for a window. Definitions (see docs/kpi.md):
// - window is [since, until); an absent bound is open.
// - turnaround: first shipped - first confirmed, hours, over orders first
//   shipped in the window that were confirmed; nearest-rank percentiles.
// - material_yield_pct = 100 * (used - scrap) / used over material events in
//   the window (the caller sums them: MaterialTotals).
// - material_cost_pct = 100 * sum material_cost / sum value, orders first
//   shipped in the window.
// - order_accuracy_pct: orders first shipped in the window with no return
//   reason in Rules::accuracy_failure_reasons.
// - first_pass_yield_pct: orders first shipped in the window with no failed
//   result before shipment.
// - aov: mean value of orders confirmed in the window that carry a value;
//   personalization_pct over orders confirmed in the window;
//   repeat_customer_pct: customers (with a customer_id) with >= 2 orders
//   confirmed in the window, over customers with >= 1.
// - open: confirmed before until and not shipped before until.
// A KPI whose denominator is zero is nullopt. Pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/order_summary.h"
#include "core/rules.h"
#include "core/time.h"

namespace floortrack {

struct Window {
  std::optional<TimePoint> since;
  std::optional<TimePoint> until;
  bool Contains(TimePoint t) const { return (!since || t >= *since) && (!until || t < *until); }
  bool Before(TimePoint t) const { return !until || t < *until; }  // t < until
};

struct MaterialTotals {
  double used_g = 0;
  double scrap_g = 0;
};

struct TurnaroundStats {
  std::size_t count = 0;
  std::optional<double> mean, p50, p90, p95, max;  // hours
};

struct KpiReport {
  Window window;
  std::size_t confirmed = 0;
  std::size_t shipped = 0;
  std::size_t open = 0;
  TurnaroundStats turnaround;
  std::optional<double> material_yield_pct;
  std::optional<double> material_cost_pct;
  std::optional<double> order_accuracy_pct;
  std::optional<double> first_pass_yield_pct;
  std::optional<double> aov;
  std::optional<double> personalization_pct;
  std::optional<double> repeat_customer_pct;
};

// Nearest-rank percentile: the smallest value with at least p% of values at
// or below it. `sorted` ascending, non-empty; 0 < p <= 100.
double NearestRank(const std::vector<double>& sorted, double p);

// Computes the KPIs one order at a time, so a year of orders need not be in
// memory at once: Add() every order that may be relevant (any superset of
// the orders relevant to the window), then Finish() once. Keeps only the
// turnaround values and per-customer order counts.
class KpiAccumulator {
 public:
  KpiAccumulator(const Rules& rules, const Window& window);
  void Add(const OrderSummary& order);
  KpiReport Finish(const MaterialTotals& material);

 private:
  std::set<std::string> accuracy_failure_reasons_;  // copied: the accumulator may outlive the Rules
  KpiReport report_;
  std::vector<double> turnaround_hours_;
  std::size_t accurate_ = 0;
  std::size_t first_pass_ = 0;
  double shipped_material_cost_ = 0;
  double shipped_revenue_ = 0;
  double value_sum_ = 0;
  std::size_t value_count_ = 0;
  std::size_t personalized_ = 0;
  std::vector<std::string> customers_;  // customer_id of each order confirmed in the window
};

// `orders` may hold any superset of the orders relevant to the window.
KpiReport ComputeKpis(const std::vector<OrderSummary>& orders, const MaterialTotals& material,
                      const Rules& rules, const Window& window);

}  // namespace floortrack
