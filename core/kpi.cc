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

}  // namespace

std::size_t NearestRankIndex(std::size_t size, double p) {
  const auto n = static_cast<std::int64_t>(size);
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
  rank = std::clamp<std::int64_t>(rank, 1, std::max<std::int64_t>(n, 1));
  return static_cast<std::size_t>(rank - 1);
}

double NearestRank(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;  // precondition violated
  return sorted[NearestRankIndex(sorted.size(), p)];
}

bool Inaccurate(const OrderSummary& order, const Rules& rules) {
  return std::any_of(order.return_reasons.begin(), order.return_reasons.end(),
                     [&](const std::string& reason) {
                       return rules.accuracy_failure_reasons.count(reason) > 0;
                     });
}

KpiAccumulator::KpiAccumulator(const Rules& rules, const Window& window)
    : rules_(rules), window_(window) {}

void KpiAccumulator::Add(const OrderSummary& order) {
  const Window& window = window_;
  KpiCounts& c = sums_.counts;
  const bool confirmed_in_window = order.confirmed_at && window.Contains(*order.confirmed_at);
  const bool shipped_in_window = order.shipped_at && window.Contains(*order.shipped_at);

  const bool cancelled = order.cancelled_at && window.Before(*order.cancelled_at);
  if (order.confirmed_at && window.Before(*order.confirmed_at) &&
      (!order.shipped_at || !window.Before(*order.shipped_at)) && !cancelled) {
    ++c.open;
  }

  if (shipped_in_window) {
    ++c.shipped;
    if (const auto promise = EffectivePromise(order, rules_.default_promise_days);
        promise && !cancelled) {
      ++c.with_promise;
      if (*order.shipped_at <= *promise) ++c.on_time;
    }
    if (order.confirmed_at && !cancelled)
      sums_.turnaround_ms.push_back((*order.shipped_at - *order.confirmed_at).count());
    if (!Inaccurate(order, rules_)) ++c.accurate;
    if (!order.failed_before_ship) ++c.first_pass;
    if (order.engaged) ++c.engaged;
  }

  if (order.submitted_at && window.Contains(*order.submitted_at)) {
    ++c.designs_submitted;
    if (order.shipped_at && !order.cancelled_at && !Inaccurate(order, rules_))
      ++c.designs_converted;
  }
  if (order.packed_at && window.Contains(*order.packed_at) && order.confirmed_at && !cancelled) {
    ++c.production_orders;
    c.production_ms += std::max<std::int64_t>(0, (*order.packed_at - *order.confirmed_at).count());
    c.production_items += order.items.value_or(1);
  }

  const bool counts_for_aov = confirmed_in_window && order.value.has_value();
  if (shipped_in_window || counts_for_aov) {
    MoneyCounts& money = sums_.money[UpperAscii(order.currency)];
    ++money.orders;
    if (shipped_in_window) {
      money.shipped_cost_micros += ToMicros(order.material_cost);
      money.shipped_revenue_micros += ToMicros(order.value.value_or(0));
    }
    if (counts_for_aov) {
      money.value_micros += ToMicros(*order.value);
      ++money.value_count;
    }
  }

  if (confirmed_in_window) {
    ++c.confirmed;
    if (order.personalized.value_or(false)) ++c.personalized;
    if (!order.customer_id.empty()) customers_.push_back(order.customer_id);
  }
}

KpiSums KpiAccumulator::Sums() const {
  KpiSums sums = sums_;
  const CustomerCounts customers = CountCustomers(customers_);
  sums.customers = static_cast<std::int64_t>(customers.distinct);
  sums.repeat_customers = static_cast<std::int64_t>(customers.repeat);
  return sums;
}

KpiReport KpiAccumulator::Finish(const MaterialTotals& material, const ActivityTotals& activity) {
  KpiSums sums = Sums();
  return ReportFromSums(sums, rules_, window_, material, activity);
}

namespace {

MoneyKpis MoneyOf(const MoneyCounts& m) {
  MoneyKpis k;
  if (m.shipped_revenue_micros != 0) {
    k.material_cost_pct = 100.0 * static_cast<double>(m.shipped_cost_micros) /
                          static_cast<double>(m.shipped_revenue_micros);
  }
  if (m.value_count > 0)
    k.aov = static_cast<double>(m.value_micros) / 1e6 / static_cast<double>(m.value_count);
  k.orders = static_cast<std::size_t>(m.orders);
  return k;
}

// Nearest-rank percentiles by selection (no full sort): `ms` is reordered.
TurnaroundStats TurnaroundOf(std::vector<std::int64_t>& ms) {
  TurnaroundStats t;
  t.count = ms.size();
  if (ms.empty()) return t;
  const auto hours = [](std::int64_t v) { return static_cast<double>(v) / kMillisPerHour; };
  std::int64_t sum = 0;
  for (std::int64_t v : ms) sum += v;
  t.mean = static_cast<double>(sum) / kMillisPerHour / static_cast<double>(ms.size());
  auto from = ms.begin();
  for (auto [p, slot] : {std::pair{50.0, &t.p50}, {90.0, &t.p90}, {95.0, &t.p95}}) {
    const auto at = ms.begin() + static_cast<std::ptrdiff_t>(NearestRankIndex(ms.size(), p));
    std::nth_element(from, at, ms.end());
    *slot = hours(*at);
    from = at;  // later ranks lie at or after it
  }
  t.max = hours(*std::max_element(from, ms.end()));
  return t;
}

std::optional<double> Ratio(std::int64_t numerator, std::int64_t denominator) {
  if (denominator <= 0) return std::nullopt;
  return 100.0 * static_cast<double>(numerator) / static_cast<double>(denominator);
}

}  // namespace

KpiReport ReportFromSums(KpiSums& sums, const Rules& rules, const Window& window,
                         const MaterialTotals& material, const ActivityTotals& activity) {
  KpiReport report;
  report.window = window;
  const KpiCounts& c = sums.counts;
  const auto count = [](std::int64_t n) { return static_cast<std::size_t>(std::max<std::int64_t>(0, n)); };
  report.confirmed = count(c.confirmed);
  report.shipped = count(c.shipped);
  report.open = count(c.open);
  report.with_promise = count(c.with_promise);
  report.designs_submitted = count(c.designs_submitted);
  report.production_orders = count(c.production_orders);
  report.turnaround = TurnaroundOf(sums.turnaround_ms);

  if (material.used_g != 0) {
    report.material_yield_pct = 100.0 * (material.used_g - material.scrap_g) / material.used_g;
    report.material_loss_pct = 100.0 * (material.scrap_g - material.recovered_g) / material.used_g;
  }
  for (const auto& [type, m] : material.by_type) {
    MaterialKpis& k = report.materials[type];
    k.sums = m;
    if (m.used_g != 0) {
      k.yield_pct = 100.0 * (m.used_g - m.scrap_g) / m.used_g;
      k.loss_pct = 100.0 * (m.scrap_g - m.recovered_g) / m.used_g;
    }
  }

  // Money: only currencies some order takes part in.
  std::map<std::string, MoneyCounts> by_currency;
  for (const auto& [code, m] : sums.money)
    if (m.orders > 0) by_currency.emplace(code, m);
  const std::string configured = UpperAscii(rules.kpi_currency);
  MoneyCounts money;
  std::int64_t other_currency = 0;
  for (const auto& [code, m] : by_currency) {
    if (configured.empty() || code.empty() || code == configured)
      money += m;
    else
      other_currency += m.orders;
  }
  const std::size_t currencies = by_currency.size() - by_currency.count("");
  if (!configured.empty() || currencies <= 1) {
    const MoneyKpis kpis = MoneyOf(money);
    report.material_cost_pct = kpis.material_cost_pct;
    report.aov = kpis.aov;
    report.orders_excluded_currency = count(other_currency);
    report.currency = configured;
    if (configured.empty())
      for (const auto& [code, m] : by_currency)
        if (!code.empty()) report.currency = code;
  } else {
    for (const auto& [code, m] : by_currency) {
      if (code.empty())
        report.orders_excluded_currency = count(m.orders);
      else
        report.money_by_currency[code] = MoneyOf(m);
    }
  }
  report.order_accuracy_pct = Ratio(c.accurate, c.shipped);
  report.first_pass_yield_pct = Ratio(c.first_pass, c.shipped);
  report.on_time_pct = Ratio(c.on_time, c.with_promise);
  report.personalization_pct = Ratio(c.personalized, c.confirmed);
  report.repeat_customer_pct = Ratio(sums.repeat_customers, sums.customers);
  report.engagement_pct = Ratio(c.engaged, c.shipped);
  report.design_conversion_pct = Ratio(c.designs_converted, c.designs_submitted);
  if (c.production_items > 0) {
    report.production_hours = static_cast<double>(c.production_ms) / kMillisPerHour /
                              static_cast<double>(c.production_items);
  }
  report.retention = Retention(activity, report.window);
  report.retention_pct = report.retention.pct;
  report.csi_responses = activity.responses;
  if (activity.responses > 0)
    report.csi = static_cast<double>(activity.score_micros) / 1e6 /
                 static_cast<double>(activity.responses);
  report.labor = Labor(activity, rules, report.window);
  report.labor_pieces_per_hour = report.labor.pieces_per_hour;
  report.targets = JudgeTargets(report, rules.targets);
  return report;
}

KpiReport ComputeKpis(const std::vector<OrderSummary>& orders, const MaterialTotals& material,
                      const Rules& rules, const Window& window) {
  KpiAccumulator kpis(rules, window);
  for (const OrderSummary& order : orders) kpis.Add(order);
  return kpis.Finish(material);
}

}  // namespace floortrack
