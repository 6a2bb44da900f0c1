// SQL fragments shared by the rollup writer and readers (schema 7,
// core/kpi_rollup.h). Macros, so they concatenate into literals.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

// clang-format off
// kpi_days' counters, in KpiCounts then MoneyCounts order.
#define FT_KPI_DAY_COUNTERS                                                                 \
  "confirmed, personalized, open, shipped, with_promise, on_time, accurate, first_pass, "  \
  "engaged, designs_submitted, designs_converted, production_orders, production_ms, "      \
  "production_items, money_orders, value_micros, value_count, shipped_cost_micros, "       \
  "shipped_revenue_micros"

// An amount in millionths, exactly as core's ToMicros (kpi_sums.h) rounds it.
#define FT_MICROS(x) "CAST(ROUND(MAX(MIN(" x ", 1e9), -1e9) * 1000000) AS INTEGER)"

// The UTC day of a time in ms (floor, as core's DayOf).
#define FT_DAY(ms) "((" ms ") - (((" ms ") % 86400000) + 86400000) % 86400000) / 86400000"
// Whether the rollups are built and kept (any rules: the event-level and
// customer ones do not depend on them).
#define FT_ROLLUPS_KEPT_SQL \
  "SELECT EXISTS(SELECT 1 FROM settings WHERE name = 'kpi_rollup_version' AND value <> 'stale')"
// clang-format on

namespace floortrack::sqlite {

// Values per kpi_turnaround row (2 KiB: stored inline in a 4 KiB page).
inline constexpr std::size_t kTurnaroundChunk = 256;

// kpi_turnaround's values: int64 little-endian, back to back.
std::vector<std::int64_t> DecodeTurnaround(const std::string& blob);
std::string EncodeTurnaround(const std::vector<std::int64_t>& values);

}  // namespace floortrack::sqlite
