// The flow report as `floortrack flow` prints it and GET /api/v1/flow
// serves it: FlowReportOf streams the store's timelines through a
// FlowAccumulator (core/flow.h); FlowJson and FlowTable render it. The JSON
// shape is a stable interface (docs/cli.md, docs/api.md). Part of the
// floortrack_reports library. Thread-safe except FlowReportOf, which uses
// the OrderHistory it is given (one thread at a time, as any store).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/flow.h"
#include "core/order_history.h"
#include "core/result.h"

namespace floortrack::cli {

Result<FlowReport> FlowReportOf(OrderHistory& history, const Rules& rules, const Window& window,
                                TimePoint now, bool by_station);
nlohmann::json FlowJson(const FlowReport& report);
// FlowReportOf, then FlowJson: the one code path of the CLI and the API.
Result<nlohmann::json> FlowReportJson(OrderHistory& history, const Rules& rules,
                                      const Window& window, TimePoint now, bool by_station);
std::string FlowTable(const FlowReport& report);

}  // namespace floortrack::cli
