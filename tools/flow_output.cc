#include "tools/flow_output.h"

#include <cstdio>
#include <sstream>

namespace floortrack::cli {
namespace {

using nlohmann::json;

json Number(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }
json Time(const std::optional<TimePoint>& t) { return t ? json(FormatRfc3339(*t)) : json(nullptr); }
json Text(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }

json StatsJson(const FlowStats& s, bool with_station) {
  json j{{"stage", s.stage}};
  if (with_station) j["station"] = s.station.empty() ? json(nullptr) : json(s.station);
  j["count"] = s.count;
  j["p50_hours"] = Number(s.p50_hours);
  j["p90_hours"] = Number(s.p90_hours);
  j["max_hours"] = Number(s.max_hours);
  j["wip_count"] = s.wip_count;
  j["wip_oldest_hours"] = Number(s.wip_oldest_hours);
  j["wip_order_hours"] = s.wip_order_hours;
  return j;
}

std::string Fixed(const std::optional<double>& v) {
  if (!v) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", *v);
  return buf;
}

void Row(std::ostream& out, const FlowStats& s, int width, const std::string& name) {
  char line[256];
  std::snprintf(line, sizeof line, "%-*s ", width, name.c_str());
  out << line;
  std::snprintf(line, sizeof line, "%6zu %8s %8s %8s %6zu %10s %12s\n", s.count,
                Fixed(s.p50_hours).c_str(), Fixed(s.p90_hours).c_str(), Fixed(s.max_hours).c_str(),
                s.wip_count, Fixed(s.wip_oldest_hours).c_str(), Fixed(s.wip_order_hours).c_str());
  out << line;
}

}  // namespace

Result<FlowReport> FlowReportOf(OrderHistory& history, const Rules& rules, const Window& window,
                                TimePoint now, bool by_station) {
  FlowAccumulator flow(rules, window, now, by_station);
  auto visited = history.VisitTimelinesForFlow(
      window, [&](const std::vector<StageEvent>& timeline) { flow.Add(timeline); });
  if (!visited) return visited.error();
  return flow.Finish();
}

json FlowJson(const FlowReport& r) {
  json stages = json::array();
  for (const FlowStats& s : r.stages) stages.push_back(StatsJson(s, false));
  json j{{"window", {{"since", Time(r.window.since)}, {"until", Time(r.window.until)}}},
         {"as_of", FormatRfc3339(r.as_of)},
         {"stages", std::move(stages)},
         {"bottleneck", {{"wip", Text(r.bottleneck.wip)}, {"p90", Text(r.bottleneck.p90)}}}};
  if (r.by_station_requested) {
    json rows = json::array();
    for (const FlowStats& s : r.by_station) rows.push_back(StatsJson(s, true));
    j["by_station"] = std::move(rows);
  }
  return j;
}

Result<json> FlowReportJson(OrderHistory& history, const Rules& rules, const Window& window,
                            TimePoint now, bool by_station) {
  auto report = FlowReportOf(history, rules, window, now, by_station);
  if (!report) return report.error();
  return FlowJson(report.value());
}

std::string FlowTable(const FlowReport& r) {
  std::ostringstream out;
  out << "window  " << (r.window.since ? FormatRfc3339(*r.window.since) : "-") << " .. "
      << (r.window.until ? FormatRfc3339(*r.window.until) : "-") << "   WIP as of "
      << FormatRfc3339(r.as_of) << "\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-16s %6s %8s %8s %8s %6s %10s %12s\n", "STAGE", "DWELLS",
                "P50 H", "P90 H", "MAX H", "WIP", "OLDEST H", "WIP ORDER-H");
  out << line;
  for (const FlowStats& s : r.stages) Row(out, s, 16, s.stage);
  out << "bottleneck (waiting now)  " << r.bottleneck.wip.value_or("-") << "\n"
      << "bottleneck (p90 dwell)    " << r.bottleneck.p90.value_or("-") << "\n";
  if (r.by_station_requested) {
    out << "\nby station\n";
    std::snprintf(line, sizeof line, "%-30s %6s %8s %8s %8s %6s %10s %12s\n", "STAGE / STATION",
                  "DWELLS", "P50 H", "P90 H", "MAX H", "WIP", "OLDEST H", "WIP ORDER-H");
    out << line;
    for (const FlowStats& s : r.by_station)
      Row(out, s, 30, s.stage + " / " + (s.station.empty() ? "-" : s.station));
  }
  return out.str();
}

}  // namespace floortrack::cli
