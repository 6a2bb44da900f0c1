// `floortrack late` and GET /api/v1/late: the report (core/due_dates.h) read
// from an OrderHistory, as JSON and as a table. Declared in
// tools/cli_output.h; the CLI and the HTTP API call the same functions.
#include <cstdio>
#include <sstream>

#include "tools/cli_output.h"

namespace floortrack::cli {
namespace {

using nlohmann::json;

json OptionalTime(const std::optional<TimePoint>& t) {
  return t ? json(FormatRfc3339(*t)) : json(nullptr);
}

std::string Hours1(double h) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", h);
  return buf;
}

}  // namespace

Result<LateReport> LateReportOf(OrderHistory& history, const Rules& rules, TimePoint now) {
  RemainingAccumulator remaining(rules, now);
  auto visited = history.VisitShippedTimelines(
      Window{now - kRemainingWindow, now},
      [&](std::vector<StageEvent> timeline) { remaining.Add(std::move(timeline)); });
  if (!visited) return visited.error();
  auto open = history.ListOrders(OrderFilter{/*open_only=*/true, std::nullopt, 0});
  if (!open) return open.error();
  return ComputeLate(open.value(), remaining.Finish(), rules, now);
}

json LateJson(const LateReport& r) {
  json late = json::array();
  for (const LateOrder& o : r.late)
    late.push_back({{"order_id", o.order_id},
                    {"promised_at", FormatRfc3339(o.promised_at)},
                    {"promise_is_default", o.promise_is_default},
                    {"current_stage", o.current_stage},
                    {"stage_entered_at", OptionalTime(o.stage_entered_at)},
                    {"on_hold", o.on_hold},
                    {"overdue_hours", o.overdue_hours}});
  json at_risk = json::array();
  for (const AtRiskOrder& o : r.at_risk)
    at_risk.push_back({{"order_id", o.order_id},
                       {"promised_at", FormatRfc3339(o.promised_at)},
                       {"promise_is_default", o.promise_is_default},
                       {"current_stage", o.current_stage},
                       {"stage_entered_at", FormatRfc3339(o.stage_entered_at)},
                       {"expected_remaining_hours", o.expected_remaining_hours},
                       {"expected_ship_at", FormatRfc3339(o.expected_ship_at)},
                       {"margin_hours", o.margin_hours}});
  json remaining = json::object();
  for (const auto& [stage, s] : r.remaining)
    remaining[stage] = {{"count", s.count}, {"p50_hours", s.p50_hours}};
  return json{{"generated_at", FormatRfc3339(r.generated_at)},
              {"late", std::move(late)},
              {"at_risk", std::move(at_risk)},
              {"expected_remaining_hours", std::move(remaining)}};
}

Result<json> LateReportJson(OrderHistory& history, const Rules& rules, TimePoint now) {
  auto report = LateReportOf(history, rules, now);
  if (!report) return report.error();
  return LateJson(report.value());
}

std::string LateTable(const LateReport& r) {
  std::ostringstream out;
  char line[512];
  out << "as of " << FormatRfc3339(r.generated_at) << "\n\nlate: " << r.late.size() << "\n";
  if (!r.late.empty()) {
    std::snprintf(line, sizeof line, "%-20s %-24s %-14s %10s\n", "ORDER", "PROMISED", "STAGE",
                  "OVERDUE H");
    out << line;
  }
  for (const LateOrder& o : r.late) {
    std::snprintf(line, sizeof line, "%-20s %-24s %-14s %10s%s%s\n", o.order_id.c_str(),
                  FormatRfc3339(o.promised_at).c_str(),
                  o.current_stage.empty() ? "-" : o.current_stage.c_str(),
                  Hours1(o.overdue_hours).c_str(), o.on_hold ? "  on hold" : "",
                  o.promise_is_default ? "  (default promise)" : "");
    out << line;
  }
  out << "\nat risk: " << r.at_risk.size() << "\n";
  if (!r.at_risk.empty()) {
    std::snprintf(line, sizeof line, "%-20s %-24s %-14s %-24s %10s\n", "ORDER", "PROMISED", "STAGE",
                  "EXPECTED SHIP", "MARGIN H");
    out << line;
  }
  for (const AtRiskOrder& o : r.at_risk) {
    std::snprintf(line, sizeof line, "%-20s %-24s %-14s %-24s %10s%s\n", o.order_id.c_str(),
                  FormatRfc3339(o.promised_at).c_str(), o.current_stage.c_str(),
                  FormatRfc3339(o.expected_ship_at).c_str(), Hours1(o.margin_hours).c_str(),
                  o.promise_is_default ? "  (default promise)" : "");
    out << line;
  }
  return out.str();
}

}  // namespace floortrack::cli
