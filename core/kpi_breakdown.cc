#include "core/kpi_breakdown.h"

#include <utility>

#include "core/corrections.h"

namespace floortrack {
namespace {

std::string OrNone(const std::string& s) { return s.empty() ? std::string(kNoValue) : s; }

}  // namespace

const char* BreakdownKeyName(BreakdownKey key) {
  switch (key) {
    case BreakdownKey::kProduct:
      return "product";
    case BreakdownKey::kCustomer:
      return "customer";
    case BreakdownKey::kMaterial:
      return "material";
    case BreakdownKey::kStation:
      return "station";
    case BreakdownKey::kOperator:
      return "operator";
    case BreakdownKey::kDefect:
      return "defect";
  }
  return "";
}

std::optional<BreakdownKey> BreakdownKeyFromName(const std::string& name) {
  for (BreakdownKey k : {BreakdownKey::kProduct, BreakdownKey::kCustomer, BreakdownKey::kMaterial,
                         BreakdownKey::kStation, BreakdownKey::kOperator, BreakdownKey::kDefect})
    if (name == BreakdownKeyName(k)) return k;
  return std::nullopt;
}

const char* BreakdownKeyNames() {
  return "product, customer, material, station, operator or defect";
}

OrderBreakdown::OrderBreakdown(const Rules& rules, const Window& window, BreakdownKey key)
    : rules_(rules), window_(window), key_(key) {}

void OrderBreakdown::Add(const OrderSummary& order) {
  std::string value = OrNone(key_ == BreakdownKey::kCustomer ? order.customer_id : order.product);
  auto it = groups_.find(value);
  if (it == groups_.end())
    it = groups_.emplace(std::move(value), KpiAccumulator(rules_, window_)).first;
  it->second.Add(order);
}

std::map<std::string, KpiReport> OrderBreakdown::Finish() {
  std::map<std::string, KpiReport> out;
  for (auto& [value, kpis] : groups_) {
    KpiReport report = kpis.Finish(MaterialTotals{});
    if (report.confirmed == 0 && report.shipped == 0 && report.open == 0) continue;
    out.emplace(value, std::move(report));
  }
  return out;
}

EventBreakdown::EventBreakdown(const Window& window, BreakdownKey key)
    : window_(window), key_(key) {}

void EventBreakdown::AddVoid(const std::string& order_id, const std::string& voids) {
  voids_.emplace(order_id, voids);
}

// Whether a void of the event's order names it: by its event_id, or, for a
// batch event recorded for one order, by the batch event's id
// ("<id>/<order_id>" is the key; IsVoided in core/corrections.h).
bool EventBreakdown::Voided(const StageEvent& event) const {
  if (voids_.empty() || event.stage == kStageVoid || event.event_key.empty()) return false;
  if (voids_.count({event.order_id, event.event_key}) > 0) return true;
  const std::string suffix = "/" + event.order_id;
  const std::string& key = event.event_key;
  return key.size() > suffix.size() &&
         key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0 &&
         voids_.count({event.order_id, key.substr(0, key.size() - suffix.size())}) > 0;
}

void EventBreakdown::Add(const StageEvent& event) {
  if (event.result == StageResult::kNone || !window_.Contains(event.stage_time)) return;
  if (Voided(event)) return;
  const bool failed = event.result == StageResult::kFail;
  if (key_ == BreakdownKey::kDefect) {
    if (!failed) return;
    DefectStats& d = defects_[OrNone(event.defect)];
    ++d.count;
    ++d.stations[OrNone(event.station)];
    return;
  }
  JudgedStats& s =
      judged_[OrNone(key_ == BreakdownKey::kOperator ? event.operator_name : event.station)];
  ++s.judged;
  if (failed) {
    ++s.failed;
    ++s.defects[OrNone(event.defect)];
  } else {
    ++s.passed;
  }
}

std::map<std::string, JudgedStats> EventBreakdown::Judged() const {
  std::map<std::string, JudgedStats> out = judged_;
  for (auto& [value, s] : out)
    if (s.judged > 0)
      s.first_pass_pct = 100.0 * static_cast<double>(s.passed) / static_cast<double>(s.judged);
  return out;
}

}  // namespace floortrack
