// KPI breakdowns: the KPIs split by a key (docs/kpi.md "Breakdowns").
//
// Order-level keys (product, customer) group the orders the KPI window
// visits by OrderSummary::product / customer_id and run one KpiAccumulator
// per group, so each group's numbers are exactly the whole-shop KPIs
// restricted to that group's orders. Material figures are event-level and
// shop-wide: order-level groups carry none (the material key presents the
// per-type figures of the KPI report instead).
//
// Event-level keys (station, operator, defect) count the events in the
// window that carry a result: per station or operator, events judged (pass
// or fail), passed, failed, first_pass_pct = 100 * passed / judged and the
// defects of the failed ones; per defect (of failed events), the count and
// the stations it was found at. Events a void names count nowhere, as
// everywhere else (core/corrections.h). An empty key value is "(none)".
// Pure functions; no thread-safety concerns.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "core/kpi.h"
#include "core/order_summary.h"
#include "core/rules.h"
#include "core/stage_event.h"

namespace floortrack {

enum class BreakdownKey { kProduct, kCustomer, kMaterial, kStation, kOperator, kDefect };

// "product", "customer", "material", "station", "operator", "defect".
const char* BreakdownKeyName(BreakdownKey key);
std::optional<BreakdownKey> BreakdownKeyFromName(const std::string& name);
// The names, for messages: "product, customer, material, station, operator or defect".
const char* BreakdownKeyNames();
inline bool IsOrderLevel(BreakdownKey k) {
  return k == BreakdownKey::kProduct || k == BreakdownKey::kCustomer;
}
inline bool IsEventLevel(BreakdownKey k) {
  return k == BreakdownKey::kStation || k == BreakdownKey::kOperator || k == BreakdownKey::kDefect;
}

// The group value of an empty key.
inline constexpr const char* kNoValue = "(none)";

// Order-level breakdown (product or customer): one KpiAccumulator per group.
class OrderBreakdown {
 public:
  OrderBreakdown(const Rules& rules, const Window& window, BreakdownKey key);
  // Any superset of the orders relevant to the window, as for KpiAccumulator.
  void Add(const OrderSummary& order);
  // Per group value; groups with no order confirmed, shipped or open in the
  // window are left out (so the superset does not matter). Material fields
  // of the reports are empty.
  std::map<std::string, KpiReport> Finish();

 private:
  Rules rules_;
  Window window_;
  BreakdownKey key_;
  std::map<std::string, KpiAccumulator> groups_;
};

// One station's or operator's judged events.
struct JudgedStats {
  std::size_t judged = 0;  // events with result pass or fail
  std::size_t passed = 0;
  std::size_t failed = 0;
  std::optional<double> first_pass_pct;        // 100 * passed / judged
  std::map<std::string, std::size_t> defects;  // of failed events ("(none)": no defect)
};

// One defect's failed events.
struct DefectStats {
  std::size_t count = 0;
  std::map<std::string, std::size_t> stations;  // where it was found
};

// Event-level breakdown (station, operator or defect).
class EventBreakdown {
 public:
  EventBreakdown(const Window& window, BreakdownKey key);
  // A void event of `order_id` naming `voids` (OrderHistory::VisitVoids):
  // the event it names is skipped. Call before Add().
  void AddVoid(const std::string& order_id, const std::string& voids);
  // Any events; those outside the window, without a result, or voided are
  // skipped.
  void Add(const StageEvent& event);
  // Station or operator: per value. Empty for the defect key.
  std::map<std::string, JudgedStats> Judged() const;
  // Defect: per defect. Empty for the station and operator keys.
  const std::map<std::string, DefectStats>& Defects() const { return defects_; }

 private:
  bool Voided(const StageEvent& event) const;

  Window window_;
  BreakdownKey key_;
  std::map<std::string, JudgedStats> judged_;
  std::map<std::string, DefectStats> defects_;
  std::set<std::pair<std::string, std::string>> voids_;  // (order_id, voided event_id)
};

}  // namespace floortrack
