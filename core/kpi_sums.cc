#include "core/kpi_sums.h"

#include <algorithm>
#include <cmath>

namespace floortrack {
namespace {

// Applies `op` to each counter of `a` with the same counter of `b`.
template <class Op>
void EachCounter(KpiCounts& a, const KpiCounts& b, Op op) {
  op(a.confirmed, b.confirmed);
  op(a.personalized, b.personalized);
  op(a.open, b.open);
  op(a.shipped, b.shipped);
  op(a.with_promise, b.with_promise);
  op(a.on_time, b.on_time);
  op(a.accurate, b.accurate);
  op(a.first_pass, b.first_pass);
  op(a.engaged, b.engaged);
  op(a.designs_submitted, b.designs_submitted);
  op(a.designs_converted, b.designs_converted);
  op(a.production_orders, b.production_orders);
  op(a.production_ms, b.production_ms);
  op(a.production_items, b.production_items);
}

template <class Op>
void EachCounter(MoneyCounts& a, const MoneyCounts& b, Op op) {
  op(a.orders, b.orders);
  op(a.value_micros, b.value_micros);
  op(a.value_count, b.value_count);
  op(a.shipped_cost_micros, b.shipped_cost_micros);
  op(a.shipped_revenue_micros, b.shipped_revenue_micros);
}

constexpr auto kAdd = [](std::int64_t& a, std::int64_t b) { a += b; };
constexpr auto kSubtract = [](std::int64_t& a, std::int64_t b) { a -= b; };

template <class Counts>
bool Same(const Counts& a, const Counts& b) {
  bool same = true;
  Counts copy = a;
  EachCounter(copy, b, [&](std::int64_t& x, std::int64_t y) { same = same && x == y; });
  return same;
}

}  // namespace

KpiCounts& KpiCounts::operator+=(const KpiCounts& o) {
  EachCounter(*this, o, kAdd);
  return *this;
}
KpiCounts& KpiCounts::operator-=(const KpiCounts& o) {
  EachCounter(*this, o, kSubtract);
  return *this;
}
bool KpiCounts::operator==(const KpiCounts& o) const { return Same(*this, o); }

MoneyCounts& MoneyCounts::operator+=(const MoneyCounts& o) {
  EachCounter(*this, o, kAdd);
  return *this;
}
MoneyCounts& MoneyCounts::operator-=(const MoneyCounts& o) {
  EachCounter(*this, o, kSubtract);
  return *this;
}
bool MoneyCounts::operator==(const MoneyCounts& o) const { return Same(*this, o); }

std::int64_t ToMicros(double amount) {
  constexpr double kLimit = 1e9;  // 1e15 millionths: thousands of them still add up in range
  if (std::isnan(amount)) return 0;
  // As SQLite's ROUND(x) (half away from zero, by adding 0.5), so the SQL
  // sums of FT_MICROS (adapters/sqlite/rollup_sql.h) agree to the unit.
  const double r = std::clamp(amount, -kLimit, kLimit) * 1e6;
  return r >= 0 ? static_cast<std::int64_t>(r + 0.5) : -static_cast<std::int64_t>(-r + 0.5);
}

std::string UpperAscii(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

}  // namespace floortrack
