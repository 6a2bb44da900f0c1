// Rendering of CLI answers: human-readable tables and the --json shapes.
//
// Pure functions from core values to text; the JSON shapes are the stable
// interface scripts rely on (docs/cli.md). Thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/kpi.h"
#include "core/order_summary.h"
#include "core/reject.h"
#include "core/stage_event.h"

namespace floortrack::cli {

nlohmann::json KpiJson(const KpiReport& report);
std::string KpiTable(const KpiReport& report);

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
