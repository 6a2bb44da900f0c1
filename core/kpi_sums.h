// KpiSums: the order-level inputs of the KPI report, as integers that add
// up. Two paths fill them and must agree exactly: KpiAccumulator (core/kpi.h)
// from order summaries for any window, and the per-day rollups
// (core/kpi_rollup.h) for a window with no start. ReportFromSums turns them
// into the KpiReport either way.
//
// Money is in millionths of the currency unit and turnaround in
// milliseconds, so sums do not depend on the order they are added in (a
// floating-point sum would, in its last bits). Plain values; no shared state.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace floortrack {

// Counters of orders, each a count over the window's orders (see
// KpiAccumulator::Add for which order counts where).
struct KpiCounts {
  std::int64_t confirmed = 0;
  std::int64_t personalized = 0;
  std::int64_t open = 0;
  std::int64_t shipped = 0;
  std::int64_t with_promise = 0;
  std::int64_t on_time = 0;
  std::int64_t accurate = 0;
  std::int64_t first_pass = 0;
  std::int64_t engaged = 0;
  std::int64_t designs_submitted = 0;
  std::int64_t designs_converted = 0;
  std::int64_t production_orders = 0;
  std::int64_t production_ms = 0;
  std::int64_t production_items = 0;

  KpiCounts& operator+=(const KpiCounts& o);
  KpiCounts& operator-=(const KpiCounts& o);
  bool operator==(const KpiCounts& o) const;
  bool operator!=(const KpiCounts& o) const { return !(*this == o); }
};

// The sums behind aov and material_cost_pct over the orders of one currency.
struct MoneyCounts {
  std::int64_t orders = 0;  // orders taking part in aov or material_cost_pct
  std::int64_t value_micros = 0;
  std::int64_t value_count = 0;
  std::int64_t shipped_cost_micros = 0;
  std::int64_t shipped_revenue_micros = 0;

  MoneyCounts& operator+=(const MoneyCounts& o);
  MoneyCounts& operator-=(const MoneyCounts& o);
  bool operator==(const MoneyCounts& o) const;
  bool IsZero() const { return *this == MoneyCounts{}; }
};

struct KpiSums {
  KpiCounts counts;
  std::map<std::string, MoneyCounts> money;  // by upper-cased currency code; "" = none
  std::vector<std::int64_t> turnaround_ms;   // one per order, any order
  std::int64_t customers = 0;                // with >= 1 order confirmed in the window
  std::int64_t repeat_customers = 0;         // with >= 2
};

// Amounts in millionths, rounded half away from zero as SQLite's ROUND()
// does it (beyond +-1e9 clamped).
std::int64_t ToMicros(double amount);

// ISO 4217 codes are upper case; "eur" from one device is "EUR" from another.
std::string UpperAscii(std::string s);

}  // namespace floortrack
