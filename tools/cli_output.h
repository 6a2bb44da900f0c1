// Rendering of CLI answers: human-readable tables and the --json shapes.
//
// Pure functions from core values to text; the JSON shapes are the stable
// interface scripts rely on (docs/cli.md) and the HTTP API serves
// (docs/api.md). Part of the floortrack_reports library, which both the CLI
// and floortrackd link. Thread-safe, except KpiReportJson, which uses the
// OrderHistory it is given (one thread at a time, as any store).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/due_dates.h"
#include "core/kpi.h"
#include "core/order_history.h"
#include "core/order_summary.h"
#include "core/reject.h"
#include "core/result.h"
#include "core/rules.h"
#include "core/stage_event.h"

namespace floortrack::cli {

nlohmann::json KpiJson(const KpiReport& report);
// The KPI report over `window`: the orders and material in the window,
// accumulated with `rules`. Storage errors are returned.
// With `with_activity` false, the event-level inputs of retention_pct, csi
// and labor_pieces_per_hour are not read (they stay null): for callers that
// judge only targets none of them has (core/kpi_targets.h NeedsActivity).
Result<KpiReport> KpiReportOf(OrderHistory& history, const Rules& rules, const Window& window,
                              bool with_activity = true);
// The KPI report over `window` as `floortrack kpi --json` prints it and
// GET /api/v1/kpi serves it: the orders and material in the window,
// accumulated with `rules` (the rules recorded in the database). Storage
// errors are returned.
Result<nlohmann::json> KpiReportJson(OrderHistory& history, const Rules& rules,
                                     const Window& window);
std::string KpiTable(const KpiReport& report);

// Open orders past their promise and at risk of missing it, as of `now`
// (core/due_dates.h): the open orders and the expected remaining time per
// stage from the orders first shipped in the 30 days before `now`.
Result<LateReport> LateReportOf(OrderHistory& history, const Rules& rules, TimePoint now);
// What `floortrack late --json` prints and GET /api/v1/late serves.
nlohmann::json LateJson(const LateReport& report);
Result<nlohmann::json> LateReportJson(OrderHistory& history, const Rules& rules, TimePoint now);
std::string LateTable(const LateReport& report);

// `batches`: the batches the order was in (a build plate, a casting tree).
nlohmann::json StatusJson(const OrderSummary& order, const std::vector<StageEvent>& timeline,
                          TimePoint now, const std::vector<std::string>& batches = {});
std::string StatusTable(const OrderSummary& order, const std::vector<StageEvent>& timeline,
                        TimePoint now, const std::vector<std::string>& batches = {});

nlohmann::json BatchJson(const BatchView& batch);
std::string BatchTable(const BatchView& batch);

nlohmann::json OrdersJson(const std::vector<OrderSummary>& orders, TimePoint now);
std::string OrdersTable(const std::vector<OrderSummary>& orders, TimePoint now);

nlohmann::json RejectsJson(const std::vector<Reject>& rejects, std::uint64_t total);
std::string RejectsTable(const std::vector<Reject>& rejects, std::uint64_t total);

}  // namespace floortrack::cli
