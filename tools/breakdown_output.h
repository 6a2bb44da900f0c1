// The KPI breakdowns as `floortrack kpi --by KEY` prints them and
// GET /api/v1/kpi?by=KEY serves them (docs/kpi.md "Breakdowns"):
// KpiBreakdownOf computes the whole-shop KPI report and the groups of KEY
// (core/kpi_breakdown.h) in one pass over the orders (and, for the
// event-level keys, one over the events in the window); KpiBreakdownJson is
// the KPI object of KpiJson plus "by"; KpiBreakdownTable one row per group.
// Part of the floortrack_reports library. Thread-safe except KpiBreakdownOf,
// which uses the OrderHistory it is given (one thread at a time).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "core/kpi.h"
#include "core/kpi_breakdown.h"
#include "core/order_history.h"
#include "core/result.h"
#include "core/rules.h"

namespace floortrack::cli {

struct KpiBreakdownReport {
  KpiReport kpis;  // the whole shop, exactly as KpiReportOf
  BreakdownKey key = BreakdownKey::kProduct;
  std::map<std::string, KpiReport> orders;     // product, customer
  std::map<std::string, JudgedStats> judged;   // station, operator
  std::map<std::string, DefectStats> defects;  // defect
  // material: the groups are kpis.materials.
};

Result<KpiBreakdownReport> KpiBreakdownOf(OrderHistory& history, const Rules& rules,
                                          const Window& window, BreakdownKey key);
nlohmann::json KpiBreakdownJson(const KpiBreakdownReport& report);
// KpiBreakdownOf, then KpiBreakdownJson: the one code path of the CLI and the API.
Result<nlohmann::json> KpiBreakdownReportJson(OrderHistory& history, const Rules& rules,
                                              const Window& window, BreakdownKey key);
std::string KpiBreakdownTable(const KpiBreakdownReport& report);

}  // namespace floortrack::cli
