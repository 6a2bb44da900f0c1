#include "core/kpi.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>

namespace floortrack {
namespace {

std::optional<double> Percent(std::size_t numerator, std::size_t denominator) {
  if (denominator == 0) return std::nullopt;
  return 100.0 * static_cast<double>(numerator) / static_cast<double>(denominator);
}

constexpr double kMillisPerHour = 3'600'000.0;

}  // namespace

double NearestRank(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;  // precondition violated
  const auto n = static_cast<std::int64_t>(sorted.size());
  // Out-of-contract p is clamped (NaN as 0) so the casts below stay defined.
  p = std::isnan(p) ? 0.0 : std::clamp(p, 0.0, 100.0);
  std::int64_t rank;
  if (p == std::floor(p)) {
    // Exact integer ceil(p * n / 100); p / 100 * n would give 0.07 * 100 = 7.000000000000001.
    const auto p_int = static_cast<std::int64_t>(p);
    rank = (p_int * n + 99) / 100;
  } else {
    // Non-integral p: tolerate representation error just above an integer.
    rank = static_cast<std::int64_t>(std::ceil(p * static_cast<double>(n) / 100.0 - 1e-9));
  }
  rank = std::clamp<std::int64_t>(rank, 1, n);
  return sorted[static_cast<std::size_t>(rank - 1)];
}

KpiReport ComputeKpis(const std::vector<OrderSummary>& orders, const MaterialTotals& material,
                      const Rules& rules, const Window& window) {
  KpiReport report;
  report.window = window;

  std::vector<double> turnaround_hours;
  std::size_t accurate = 0;
  std::size_t first_pass = 0;
  double shipped_material_cost = 0;
  double shipped_revenue = 0;

  double value_sum = 0;
  std::size_t value_count = 0;
  std::size_t personalized = 0;
  std::map<std::string, std::size_t> orders_per_customer;

  for (const OrderSummary& order : orders) {
    const bool confirmed_in_window = order.confirmed_at && window.Contains(*order.confirmed_at);
    const bool shipped_in_window = order.shipped_at && window.Contains(*order.shipped_at);

    if (order.confirmed_at && window.Before(*order.confirmed_at) &&
        (!order.shipped_at || !window.Before(*order.shipped_at))) {
      ++report.open;
    }

    if (shipped_in_window) {
      ++report.shipped;
      if (order.confirmed_at) {
        const auto ms = (*order.shipped_at - *order.confirmed_at).count();
        turnaround_hours.push_back(static_cast<double>(ms) / kMillisPerHour);
      }
      const bool inaccurate = std::any_of(order.return_reasons.begin(), order.return_reasons.end(),
                                          [&rules](const std::string& reason) {
                                            return rules.accuracy_failure_reasons.count(reason) > 0;
                                          });
      if (!inaccurate) ++accurate;
      if (!order.failed_before_ship) ++first_pass;
      shipped_material_cost += order.material_cost;
      shipped_revenue += order.value.value_or(0);
    }

    if (confirmed_in_window) {
      ++report.confirmed;
      if (order.value) {
        value_sum += *order.value;
        ++value_count;
      }
      if (order.personalized.value_or(false)) ++personalized;
      if (!order.customer_id.empty()) ++orders_per_customer[order.customer_id];
    }
  }

  TurnaroundStats& t = report.turnaround;
  t.count = turnaround_hours.size();
  if (!turnaround_hours.empty()) {
    std::sort(turnaround_hours.begin(), turnaround_hours.end());
    double sum = 0;
    for (double h : turnaround_hours) sum += h;
    t.mean = sum / static_cast<double>(turnaround_hours.size());
    t.p50 = NearestRank(turnaround_hours, 50);
    t.p90 = NearestRank(turnaround_hours, 90);
    t.p95 = NearestRank(turnaround_hours, 95);
    t.max = turnaround_hours.back();
  }

  if (material.used_g != 0) {
    report.material_yield_pct = 100.0 * (material.used_g - material.scrap_g) / material.used_g;
  }
  if (shipped_revenue != 0) {
    report.material_cost_pct = 100.0 * shipped_material_cost / shipped_revenue;
  }
  report.order_accuracy_pct = Percent(accurate, report.shipped);
  report.first_pass_yield_pct = Percent(first_pass, report.shipped);

  if (value_count > 0) report.aov = value_sum / static_cast<double>(value_count);
  report.personalization_pct = Percent(personalized, report.confirmed);

  std::size_t repeat = 0;
  for (const auto& [customer, count] : orders_per_customer)
    if (count >= 2) ++repeat;
  report.repeat_customer_pct = Percent(repeat, orders_per_customer.size());

  return report;
}

}  // namespace floortrack
