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
// - open: confirmed before until and not shipped before until, and not
//   cancelled before until (core/corrections.h).
// - cancelled orders (cancelled before until) count in no turnaround and
//   no on_time_pct.
// - on_time_pct: orders first shipped in the window that carry a promise
//   (core/due_dates.h EffectivePromise), not cancelled: the share shipped
//   at or before it.
// - money: aov and material_cost_pct never mix currencies. An order takes
//   part in them when it counts for aov (confirmed in the window, with a
//   value) or for material_cost_pct (shipped in the window). Currency codes
//   compare ASCII case-insensitively. With Rules::kpi_currency set, only
//   orders in it or without a currency count; the others are
//   orders_excluded_currency. With it empty and at most one currency among
//   the taking-part orders, all of them count (those without a currency as
//   that one). With several, aov and material_cost_pct are nullopt,
//   money_by_currency holds them per currency, and orders without a currency
//   (which belong to none of them) are orders_excluded_currency.
// - the shop KPIs of extra kinds (core/extra_kinds.h, docs/kpi.md):
//   engagement_pct: orders first shipped in the window that have a review,
//   share or referral event, over those orders;
//   design_conversion_pct: orders whose design was submitted in the window
//   (Rules::design_submitted_stage) that have shipped and carry no
//   accuracy-failure return reason and no cancellation, over those orders;
//   production_hours: over orders (not cancelled, confirmed) first packed in
//   the window, sum(packed - confirmed) hours / sum(items), an order packed
//   before its confirmation counting 0 h;
//   retention_pct, csi, labor_pieces_per_hour from ActivityTotals
//   (core/shop_kpis.h).
// A KPI whose denominator is zero is nullopt. Pure functions.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/kpi_sums.h"
#include "core/kpi_targets.h"
#include "core/order_summary.h"
#include "core/rules.h"
#include "core/shop_kpis.h"
#include "core/time.h"

namespace floortrack {

struct Window {
  std::optional<TimePoint> since;
  std::optional<TimePoint> until;
  bool Contains(TimePoint t) const { return (!since || t >= *since) && (!until || t < *until); }
  bool Before(TimePoint t) const { return !until || t < *until; }  // t < until
};

// Material of one type (or of all) over the events in a window.
struct MaterialSums {
  double used_g = 0;
  double scrap_g = 0;
  double recovered_g = 0;  // the part of scrap_g returned to stock
  double cost = 0;         // material_cost as priced at ingest
};

struct MaterialTotals {
  double used_g = 0;
  double scrap_g = 0;
  double recovered_g = 0;
  std::map<std::string, MaterialSums> by_type;  // filled by stores that can; may be empty
};

// One material type's figures in the KPI report.
struct MaterialKpis {
  MaterialSums sums;
  std::optional<double> yield_pct;  // 100 * (used - scrap) / used
  std::optional<double> loss_pct;   // 100 * (scrap - recovered) / used
};

struct TurnaroundStats {
  std::size_t count = 0;
  std::optional<double> mean, p50, p90, p95, max;  // hours
};

// The money KPIs of the orders in one currency.
struct MoneyKpis {
  std::optional<double> aov;
  std::optional<double> material_cost_pct;
  std::size_t orders = 0;  // distinct orders taking part in aov or material_cost_pct
};

struct KpiReport {
  Window window;
  std::size_t confirmed = 0;
  std::size_t shipped = 0;
  std::size_t open = 0;
  TurnaroundStats turnaround;
  std::optional<double> material_yield_pct;
  // 100 * (scrap - recovered) / used: material lost for good (docs/kpi.md).
  std::optional<double> material_loss_pct;
  std::map<std::string, MaterialKpis> materials;  // per material type
  std::optional<double> material_cost_pct;
  std::optional<double> order_accuracy_pct;
  std::optional<double> first_pass_yield_pct;
  std::optional<double> aov;
  std::optional<double> personalization_pct;
  std::optional<double> repeat_customer_pct;
  std::optional<double> on_time_pct;
  std::size_t with_promise = 0;  // on_time_pct's denominator
  // Extra kinds' KPIs (docs/kpi.md), each with its denominator.
  std::optional<double> retention_pct;
  RetentionFigures retention;
  std::optional<double> labor_pieces_per_hour;
  LaborFigures labor;
  std::optional<double> design_conversion_pct;
  std::size_t designs_submitted = 0;
  std::optional<double> csi;
  std::size_t csi_responses = 0;
  std::optional<double> engagement_pct;
  std::optional<double> production_hours;
  std::size_t production_orders = 0;  // orders first packed in the window
  // The currency aov and material_cost_pct are in: Rules::kpi_currency, else
  // the one currency the orders use; empty when they use none or several.
  std::string currency;
  // Orders left out of aov and material_cost_pct (and of money_by_currency)
  // because of their currency.
  std::size_t orders_excluded_currency = 0;
  // Per upper-cased currency code; non-empty only when kpi_currency is empty
  // and the orders use several currencies (aov, material_cost_pct nullopt).
  std::map<std::string, MoneyKpis> money_by_currency;
  // Each KPI against its band in Rules::targets (core/kpi_targets.h).
  TargetReport targets;
};

// Judges `report`'s KPIs against `targets`: one result per band, and one
// per material type in the report (metals by loss, others by yield).
TargetReport JudgeTargets(const KpiReport& report, const KpiTargets& targets);

// Nearest-rank percentile: the smallest value with at least p% of values at
// or below it. `sorted` ascending, non-empty; 0 < p <= 100.
double NearestRank(const std::vector<double>& sorted, double p);
// The 0-based position of that value among n >= 1 sorted values.
std::size_t NearestRankIndex(std::size_t n, double p);

// The report from its order-level sums (`sums.turnaround_ms` is reordered),
// the material totals and the activity (core/shop_kpis.h; without it,
// retention_pct, csi and labor_pieces_per_hour are nullopt).
KpiReport ReportFromSums(KpiSums& sums, const Rules& rules, const Window& window,
                         const MaterialTotals& material, const ActivityTotals& activity = {});

// Computes the KPIs one order at a time, so a year of orders need not be in
// memory at once: Add() every order that may be relevant (any superset of
// the orders relevant to the window), then Finish() once. Keeps only the
// turnaround values and the customer of each order confirmed in the window.
class KpiAccumulator {
 public:
  KpiAccumulator(const Rules& rules, const Window& window);
  void Add(const OrderSummary& order);
  // The sums so far, customers counted.
  KpiSums Sums() const;
  // `activity` feeds retention_pct, csi and labor_pieces_per_hour; without
  // it they are nullopt.
  KpiReport Finish(const MaterialTotals& material, const ActivityTotals& activity = {});

 private:
  Rules rules_;  // copied: the accumulator may outlive the caller's Rules
  Window window_;
  KpiSums sums_;
  std::vector<std::string> customers_;  // customer_id of each order confirmed in the window
};

// Whether a return reason of `order` is in Rules::accuracy_failure_reasons.
bool Inaccurate(const OrderSummary& order, const Rules& rules);

// `orders` may hold any superset of the orders relevant to the window.
KpiReport ComputeKpis(const std::vector<OrderSummary>& orders, const MaterialTotals& material,
                      const Rules& rules, const Window& window);

}  // namespace floortrack
