// KPI rollups: the order-level KPI sums (core/kpi_sums.h) kept per UTC day,
// so the KPIs of a window with no start ("all time", up to `until`) cost one
// row per day instead of one per order (docs/performance.md, issue 13).
//
// An order counts towards such a window through a few moments: its
// confirmation, its shipment, its packing, its design submission, and, for
// what a later cancellation or shipment takes back, the later of two of
// them. RollupEntries lists them: each entry is a part of the order's
// KpiSums with the moment (anchor) from which it counts; for any `until`,
// adding every entry with anchor < until gives exactly what KpiAccumulator
// gives for Window{nullopt, until}. A store keeps, per (day, currency), the
// sum of its orders' entries: on every summary change it subtracts the
// previous summary's entries and adds the new one's. A window then reads
// the days before until's day whole and the orders with an anchor in the
// rest of that day one by one.
//
// Customers (repeat_customer_pct) are not per order: a store keeps each
// customer's first and second confirmation, and counts them the same way.
//
// Pure functions; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/kpi_sums.h"
#include "core/order_summary.h"
#include "core/rules.h"

namespace floortrack {

inline constexpr std::int64_t kMillisPerDay = 86'400'000;

// The UTC day (days since 1970-01-01, negative before) holding `ms`.
inline std::int64_t DayOf(std::int64_t ms) {
  return ms >= 0 ? ms / kMillisPerDay : -((-ms + kMillisPerDay - 1) / kMillisPerDay);
}

struct KpiEntry {
  std::int64_t anchor_ms = 0;  // counts for windows with until > anchor
  std::string currency;        // upper-cased; "" for none
  KpiCounts counts;
  MoneyCounts money;
  // A turnaround value: 0 none, +1 added to the window's values, -1 taken
  // away (an order cancelled after it shipped).
  int turnaround_sign = 0;
  std::int64_t turnaround_ms = 0;
};

// The order's entries (none for an order that counts nowhere). Depends on
// Rules::accuracy_failure_reasons and default_promise_days only
// (RollupVersion).
std::vector<KpiEntry> RollupEntries(const OrderSummary& order, const Rules& rules);

// What the rollups were built with: a store rebuilds them when it differs,
// and a reader with other rules computes from the orders instead.
std::string RollupVersion(const Rules& rules);

// Adds `entry` to `sums` (its turnaround value as `added` or `removed`).
void AddEntry(const KpiEntry& entry, KpiSums& sums, std::vector<std::int64_t>& removed);

// `values` less one occurrence of each of `removed` (each must be there).
void RemoveValues(std::vector<std::int64_t>& values, std::vector<std::int64_t> removed);

}  // namespace floortrack
