#include "core/kpi.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "core/due_dates.h"

namespace floortrack {
namespace {

std::optional<double> Percent(std::size_t numerator, std::size_t denominator) {
  if (denominator == 0) return std::nullopt;
  return 100.0 * static_cast<double>(numerator) / static_cast<double>(denominator);
}

constexpr double kMillisPerHour = 3'600'000.0;

struct CustomerCounts {
  std::size_t distinct = 0;  // customers with at least one order
  std::size_t repeat = 0;    // customers with two or more
};

// Exact distinct and repeat counts over `ids` (one entry per order). Sorting
// (hash, position) pairs is several times faster than a hash map of strings
// for a million orders; ids whose hashes collide are told apart by comparing
// the ids themselves.
CustomerCounts CountCustomers(const std::vector<std::string>& ids) {
  std::vector<std::pair<std::size_t, std::size_t>> keyed;
  keyed.reserve(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i)
    keyed.emplace_back(std::hash<std::string>{}(ids[i]), i);
  std::sort(keyed.begin(), keyed.end());
  CustomerCounts counts;
  std::vector<std::pair<std::string_view, std::size_t>>
      run;  // distinct ids of one hash, with counts
  for (std::size_t begin = 0; begin < keyed.size();) {
    std::size_t end = begin;
    run.clear();
    for (; end < keyed.size() && keyed[end].first == keyed[begin].first; ++end) {
      std::string_view id = ids[keyed[end].second];
      auto same =
          std::find_if(run.begin(), run.end(), [id](const auto& r) { return r.first == id; });
      if (same == run.end())
        run.emplace_back(id, 1);
      else
        ++same->second;
    }
    for (const auto& [id, n] : run) {
      ++counts.distinct;
      if (n >= 2) ++counts.repeat;
    }
    begin = end;
  }
  return counts;
}

// ISO 4217 codes are upper case; "eur" from one device is "EUR" from another.
std::string UpperAscii(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

}  // namespace

void KpiAccumulator::MoneySums::Add(const OrderSummary& order, bool shipped_in_window,
                                    bool counts_for_aov) {
  ++orders;
  if (shipped_in_window) {
    shipped_material_cost += order.material_cost;
    shipped_revenue += order.value.value_or(0);
  }
  if (counts_for_aov) {
    value_sum += *order.value;
    ++value_count;
  }
}

MoneyKpis KpiAccumulator::MoneySums::Kpis() const {
  MoneyKpis k;
  if (shipped_revenue != 0) k.material_cost_pct = 100.0 * shipped_material_cost / shipped_revenue;
  if (value_count > 0) k.aov = value_sum / static_cast<double>(value_count);
  k.orders = orders;
  return k;
}

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

KpiAccumulator::KpiAccumulator(const Rules& rules, const Window& window)
    : accuracy_failure_reasons_(rules.accuracy_failure_reasons),
      currency_(UpperAscii(rules.kpi_currency)),
      targets_(rules.targets),
      default_promise_days_(rules.default_promise_days),
      rules_(rules) {
  report_.window = window;
}

void KpiAccumulator::Add(const OrderSummary& order) {
  const Window& window = report_.window;
  const bool confirmed_in_window = order.confirmed_at && window.Contains(*order.confirmed_at);
  const bool shipped_in_window = order.shipped_at && window.Contains(*order.shipped_at);

  const bool cancelled = order.cancelled_at && window.Before(*order.cancelled_at);
  if (order.confirmed_at && window.Before(*order.confirmed_at) &&
      (!order.shipped_at || !window.Before(*order.shipped_at)) && !cancelled) {
    ++report_.open;
  }

  if (shipped_in_window) {
    ++report_.shipped;
    if (const auto promise = EffectivePromise(order, default_promise_days_);
        promise && !cancelled) {
      ++report_.with_promise;
      if (*order.shipped_at <= *promise) ++on_time_;
    }
    if (order.confirmed_at && !cancelled) {
      const auto ms = (*order.shipped_at - *order.confirmed_at).count();
      turnaround_hours_.push_back(static_cast<double>(ms) / kMillisPerHour);
    }
    if (!Inaccurate(order)) ++accurate_;
    if (!order.failed_before_ship) ++first_pass_;
    if (order.engaged) ++engaged_;
  }

  if (order.submitted_at && window.Contains(*order.submitted_at)) {
    ++report_.designs_submitted;
    if (order.shipped_at && !order.cancelled_at && !Inaccurate(order)) ++designs_converted_;
  }
  if (order.packed_at && window.Contains(*order.packed_at) && order.confirmed_at && !cancelled) {
    ++report_.production_orders;
    production_ms_ += static_cast<double>(
        std::max<std::int64_t>(0, (*order.packed_at - *order.confirmed_at).count()));
    production_items_ += order.items.value_or(1);
  }

  const bool counts_for_aov = confirmed_in_window && order.value.has_value();
  if (shipped_in_window || counts_for_aov) {
    std::string code = UpperAscii(order.currency);
    if (currency_.empty()) {
      money_.Add(order, shipped_in_window, counts_for_aov);
      by_currency_[std::move(code)].Add(order, shipped_in_window, counts_for_aov);
    } else if (code.empty() || code == currency_) {
      money_.Add(order, shipped_in_window, counts_for_aov);
    } else {
      ++other_currency_orders_;
    }
  }

  if (confirmed_in_window) {
    ++report_.confirmed;
    if (order.personalized.value_or(false)) ++personalized_;
    if (!order.customer_id.empty()) customers_.push_back(order.customer_id);
  }
}

bool KpiAccumulator::Inaccurate(const OrderSummary& order) const {
  return std::any_of(
      order.return_reasons.begin(), order.return_reasons.end(),
      [this](const std::string& reason) { return accuracy_failure_reasons_.count(reason) > 0; });
}

KpiReport KpiAccumulator::Finish(const MaterialTotals& material, const ActivityTotals& activity) {
  KpiReport report = report_;
  TurnaroundStats& t = report.turnaround;
  t.count = turnaround_hours_.size();
  if (!turnaround_hours_.empty()) {
    std::sort(turnaround_hours_.begin(), turnaround_hours_.end());
    double sum = 0;
    for (double h : turnaround_hours_) sum += h;
    t.mean = sum / static_cast<double>(turnaround_hours_.size());
    t.p50 = NearestRank(turnaround_hours_, 50);
    t.p90 = NearestRank(turnaround_hours_, 90);
    t.p95 = NearestRank(turnaround_hours_, 95);
    t.max = turnaround_hours_.back();
  }

  if (material.used_g != 0) {
    report.material_yield_pct = 100.0 * (material.used_g - material.scrap_g) / material.used_g;
    report.material_loss_pct = 100.0 * (material.scrap_g - material.recovered_g) / material.used_g;
  }
  for (const auto& [type, sums] : material.by_type) {
    MaterialKpis& m = report.materials[type];
    m.sums = sums;
    if (sums.used_g != 0) {
      m.yield_pct = 100.0 * (sums.used_g - sums.scrap_g) / sums.used_g;
      m.loss_pct = 100.0 * (sums.scrap_g - sums.recovered_g) / sums.used_g;
    }
  }
  const std::size_t currencies = by_currency_.size() - by_currency_.count("");
  if (currencies <= 1) {
    // One currency (or a configured one): the money KPIs as they always were.
    const MoneyKpis money = money_.Kpis();
    report.material_cost_pct = money.material_cost_pct;
    report.aov = money.aov;
    report.orders_excluded_currency = other_currency_orders_;
    report.currency = currency_;
    for (const auto& [code, sums] : by_currency_)
      if (!code.empty()) report.currency = code;
  } else {
    for (const auto& [code, sums] : by_currency_) {
      if (code.empty())
        report.orders_excluded_currency = sums.orders;
      else
        report.money_by_currency[code] = sums.Kpis();
    }
  }
  report.order_accuracy_pct = Percent(accurate_, report.shipped);
  report.first_pass_yield_pct = Percent(first_pass_, report.shipped);
  report.on_time_pct = Percent(on_time_, report.with_promise);

  report.personalization_pct = Percent(personalized_, report.confirmed);

  const CustomerCounts customers = CountCustomers(customers_);
  report.repeat_customer_pct = Percent(customers.repeat, customers.distinct);

  report.engagement_pct = Percent(engaged_, report.shipped);
  report.design_conversion_pct = Percent(designs_converted_, report.designs_submitted);
  if (production_items_ > 0)
    report.production_hours = production_ms_ / kMillisPerHour / production_items_;
  report.retention = Retention(activity.customers, report.window);
  report.retention_pct = report.retention.pct;
  report.csi_responses = activity.responses;
  if (activity.responses > 0)
    report.csi = activity.score_sum / static_cast<double>(activity.responses);
  report.labor = Labor(activity, rules_, report.window);
  report.labor_pieces_per_hour = report.labor.pieces_per_hour;
  report.targets = JudgeTargets(report, targets_);
  return report;
}

KpiReport ComputeKpis(const std::vector<OrderSummary>& orders, const MaterialTotals& material,
                      const Rules& rules, const Window& window) {
  KpiAccumulator kpis(rules, window);
  for (const OrderSummary& order : orders) kpis.Add(order);
  return kpis.Finish(material);
}

}  // namespace floortrack
