#include "tools/breakdown_output.h"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <utility>
#include <vector>

#include "tools/cli_output.h"

namespace floortrack::cli {
namespace {

using nlohmann::json;

json OptionalNumber(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

std::string Fixed(const std::optional<double>& v) {
  if (!v) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f", *v);
  return buf;
}

std::string TimeOrDash(const std::optional<TimePoint>& t) { return t ? FormatRfc3339(*t) : "-"; }

// An order-level group: the KPI object of its orders without the fields that
// are shop-wide (window, material yield and loss, materials) or judged
// (targets).
json OrderGroupJson(const std::string& value, const KpiReport& report) {
  json j = KpiJson(report);
  for (const char* shop_wide :
       {"window", "material_yield_pct", "material_loss_pct", "materials", "targets"})
    j.erase(shop_wide);
  j["value"] = value;
  return j;
}

// "porosity 2, crack 1": the most frequent first (then by name), at most `limit`.
std::string TopCounts(const std::map<std::string, std::size_t>& counts, std::size_t limit) {
  std::vector<std::pair<std::string, std::size_t>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out;
  for (std::size_t i = 0; i < sorted.size() && i < limit; ++i) {
    if (!out.empty()) out += ", ";
    out += sorted[i].first + " " + std::to_string(sorted[i].second);
  }
  if (sorted.size() > limit) out += ", ...";
  return out.empty() ? "-" : out;
}

void OrderRow(std::ostream& out, const std::string& value, const KpiReport& r) {
  char line[512];
  std::snprintf(line, sizeof line, "%-24s %9zu %7zu %5zu %8s %8s %9s %8s %9s\n", value.c_str(),
                r.confirmed, r.shipped, r.open, Fixed(r.turnaround.p50).c_str(),
                Fixed(r.turnaround.p90).c_str(), Fixed(r.order_accuracy_pct).c_str(),
                Fixed(r.first_pass_yield_pct).c_str(), Fixed(r.aov).c_str());
  out << line;
}

}  // namespace

Result<KpiBreakdownReport> KpiBreakdownOf(OrderHistory& history, const Rules& rules,
                                          const Window& window, BreakdownKey key) {
  KpiBreakdownReport report;
  report.key = key;
  KpiAccumulator kpis(rules, window);
  OrderBreakdown groups(rules, window, key);
  const bool order_level = IsOrderLevel(key);
  auto visited = history.VisitOrdersForKpi(window, [&](const OrderSummary& order) {
    kpis.Add(order);
    if (order_level) groups.Add(order);
  });
  if (!visited) return visited.error();
  auto material = history.MaterialInWindow(window);
  if (!material) return material.error();
  report.kpis = kpis.Finish(material.value());
  if (order_level) report.orders = groups.Finish();
  if (IsEventLevel(key)) {
    EventBreakdown events(window, key);
    auto voids = history.VisitVoids([&](const std::string& order, const std::string& voided) {
      events.AddVoid(order, voided);
    });
    if (!voids) return voids.error();
    auto streamed = history.VisitEvents(window, [&](const StageEvent& e) { events.Add(e); });
    if (!streamed) return streamed.error();
    report.judged = events.Judged();
    report.defects = events.Defects();
  }
  return report;
}

json KpiBreakdownJson(const KpiBreakdownReport& r) {
  json groups = json::array();
  switch (r.key) {
    case BreakdownKey::kProduct:
    case BreakdownKey::kCustomer:
      for (const auto& [value, report] : r.orders) groups.push_back(OrderGroupJson(value, report));
      break;
    case BreakdownKey::kMaterial:
      for (const auto& [type, m] : r.kpis.materials)
        groups.push_back({{"value", type},
                          {"used_g", m.sums.used_g},
                          {"scrap_g", m.sums.scrap_g},
                          {"recovered_g", m.sums.recovered_g},
                          {"yield_pct", OptionalNumber(m.yield_pct)},
                          {"loss_pct", OptionalNumber(m.loss_pct)},
                          {"cost", m.sums.cost}});
      break;
    case BreakdownKey::kStation:
    case BreakdownKey::kOperator:
      for (const auto& [value, s] : r.judged)
        groups.push_back({{"value", value},
                          {"judged", s.judged},
                          {"passed", s.passed},
                          {"failed", s.failed},
                          {"first_pass_pct", OptionalNumber(s.first_pass_pct)},
                          {"defects", s.defects}});
      break;
    case BreakdownKey::kDefect:
      for (const auto& [value, d] : r.defects)
        groups.push_back({{"value", value}, {"count", d.count}, {"stations", d.stations}});
      break;
  }
  json j = KpiJson(r.kpis);
  j["by"] = {{"key", BreakdownKeyName(r.key)}, {"groups", std::move(groups)}};
  return j;
}

Result<json> KpiBreakdownReportJson(OrderHistory& history, const Rules& rules, const Window& window,
                                    BreakdownKey key) {
  auto report = KpiBreakdownOf(history, rules, window, key);
  if (!report) return report.error();
  return KpiBreakdownJson(report.value());
}

std::string KpiBreakdownTable(const KpiBreakdownReport& r) {
  std::ostringstream out;
  out << "window " << TimeOrDash(r.kpis.window.since) << " .. " << TimeOrDash(r.kpis.window.until)
      << ", by " << BreakdownKeyName(r.key) << "\n";
  char line[512];
  switch (r.key) {
    case BreakdownKey::kProduct:
    case BreakdownKey::kCustomer: {
      std::string heading = BreakdownKeyName(r.key);
      for (char& c : heading) c = static_cast<char>(c - 'a' + 'A');
      std::snprintf(line, sizeof line, "%-24s %9s %7s %5s %8s %8s %9s %8s %9s\n", heading.c_str(),
                    "CONFIRMED", "SHIPPED", "OPEN", "P50 H", "P90 H", "ACCURATE%", "1ST-PASS%",
                    "AOV");
      out << line;
      for (const auto& [value, report] : r.orders) OrderRow(out, value, report);
      OrderRow(out, "(all)", r.kpis);
      if (!r.kpis.money_by_currency.empty())
        out << "several currencies: a group's AOV is - where its orders use several (--json: "
               "money_by_currency)\n";
      break;
    }
    case BreakdownKey::kMaterial:
      std::snprintf(line, sizeof line, "%-16s %10s %10s %12s %7s %7s %10s\n", "MATERIAL", "USED G",
                    "SCRAP G", "RECOVERED G", "YIELD%", "LOSS%", "COST");
      out << line;
      for (const auto& [type, m] : r.kpis.materials) {
        std::snprintf(line, sizeof line, "%-16s %10.2f %10.2f %12.2f %7s %7s %10.2f\n",
                      type.c_str(), m.sums.used_g, m.sums.scrap_g, m.sums.recovered_g,
                      Fixed(m.yield_pct).c_str(), Fixed(m.loss_pct).c_str(), m.sums.cost);
        out << line;
      }
      break;
    case BreakdownKey::kStation:
    case BreakdownKey::kOperator:
      std::snprintf(line, sizeof line, "%-24s %7s %7s %7s %10s  %s\n",
                    r.key == BreakdownKey::kStation ? "STATION" : "OPERATOR", "JUDGED", "PASSED",
                    "FAILED", "1ST-PASS%", "TOP DEFECTS");
      out << line;
      for (const auto& [value, s] : r.judged) {
        std::snprintf(line, sizeof line, "%-24s %7zu %7zu %7zu %10s  ", value.c_str(), s.judged,
                      s.passed, s.failed, Fixed(s.first_pass_pct).c_str());
        out << line << TopCounts(s.defects, 3) << "\n";
      }
      break;
    case BreakdownKey::kDefect:
      std::snprintf(line, sizeof line, "%-24s %7s  %s\n", "DEFECT", "COUNT", "STATIONS");
      out << line;
      for (const auto& [value, d] : r.defects) {
        std::snprintf(line, sizeof line, "%-24s %7zu  ", value.c_str(), d.count);
        out << line << TopCounts(d.stations, 5) << "\n";
      }
      break;
  }
  return out.str();
}

}  // namespace floortrack::cli
