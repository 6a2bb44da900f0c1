#include "daemon/http_dashboard.h"

#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include "core/kpi.h"

namespace floortrack {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxFileBytes = 8 << 20;  // Chart.js is 200 KB
// The page's own files are revalidated on every load (an upgrade shows at
// once); Chart.js changes only with its package.
constexpr const char* kNoCache = "no-cache";
constexpr const char* kDayCache = "public, max-age=86400";

json OptionalNumber(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

// The file's contents; nullopt when it is missing, unreadable, not a
// regular file or larger than kMaxFileBytes.
std::optional<std::string> ReadSmallFile(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) return std::nullopt;
  const auto size = std::filesystem::file_size(path, error);
  if (error || size > kMaxFileBytes) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(text).str();
}

std::string NotFoundJson(std::string_view url_path) {
  std::string shown(url_path.substr(0, 64));
  return json{{"error", "no such resource '" + shown + "'"}}.dump(-1, ' ', false,
                                                                  json::error_handler_t::replace);
}

}  // namespace

std::vector<DashboardFile> DashboardFiles(const std::string& dashboard_dir,
                                          const std::string& chartjs_file) {
  if (dashboard_dir.empty()) return {};
  std::string dir = dashboard_dir;
  if (dir.back() != '/') dir += '/';
  return {
      {"/", dir + "index.html", "text/html; charset=utf-8", kNoCache},
      {"/index.html", dir + "index.html", "text/html; charset=utf-8", kNoCache},
      {"/assets/dashboard.css", dir + "dashboard.css", "text/css; charset=utf-8", kNoCache},
      {"/assets/dashboard.js", dir + "dashboard.js", "text/javascript; charset=utf-8", kNoCache},
      {std::string(kChartJsUrl), chartjs_file, "text/javascript; charset=utf-8", kDayCache},
  };
}

StaticReply ServeDashboardFile(const std::vector<DashboardFile>& files, std::string_view url_path) {
  for (const DashboardFile& file : files) {
    if (file.url != url_path) continue;
    if (file.path.empty()) break;
    auto body = ReadSmallFile(file.path);
    if (!body) break;
    return StaticReply{200, std::move(*body), file.content_type, file.cache_control};
  }
  return StaticReply{404, NotFoundJson(url_path), "application/json; charset=utf-8", kNoCache};
}

Result<int> ParseDaysParameter(std::string_view text) {
  if (text.empty()) return kDefaultDailyDays;
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > 366) {
    std::string shown(text.substr(0, 64));
    return MakeError(ErrorKind::kInvalid, "'" + shown + "' is not a whole number from 1 to 366");
  }
  return value;
}

Result<json> DailyKpiJson(OrderHistory& history, const Rules& rules, TimePoint now, int day_count,
                          const ShopTimeZone& zone) {
  using std::chrono::days;
  const std::chrono::local_days today = std::chrono::floor<days>(ToLocal(now, zone));
  // What cli::KpiReportOf does per day, with one read of the orders: those
  // the whole span needs are a superset of those each day needs (confirmed
  // or shipped in it, or open across it), and each day's accumulator
  // ignores the orders outside its own window. A day runs from its local
  // midnight to the next (23 or 25 h on a DST day).
  std::vector<std::chrono::local_days> dates;
  std::vector<Window> windows;
  std::vector<KpiAccumulator> accumulators;
  dates.reserve(static_cast<std::size_t>(day_count));
  windows.reserve(static_cast<std::size_t>(day_count));
  accumulators.reserve(static_cast<std::size_t>(day_count));
  for (int back = day_count - 1; back >= 0; --back) {
    const std::chrono::local_days date = today - days{back};
    dates.push_back(date);
    windows.push_back(Window{LocalMidnight(date, zone), LocalMidnight(date + days{1}, zone)});
    accumulators.emplace_back(rules, windows.back());
  }
  const Window span{windows.front().since, windows.back().until};
  auto visited = history.VisitOrdersForKpi(span, [&](const OrderSummary& order) {
    for (KpiAccumulator& day : accumulators) day.Add(order);
  });
  if (!visited) return visited.error();
  json series = json::array();
  for (std::size_t i = 0; i < windows.size(); ++i) {
    auto material = history.MaterialInWindow(windows[i]);
    if (!material) return material.error();
    const KpiReport r = accumulators[i].Finish(material.value());
    // The local date: its numerals, as if UTC.
    const TimePoint label{dates[i].time_since_epoch()};
    series.push_back({{"date", FormatRfc3339(label).substr(0, 10)},
                      {"confirmed", r.confirmed},
                      {"shipped", r.shipped},
                      {"turnaround_p50_hours", OptionalNumber(r.turnaround.p50)},
                      {"turnaround_p90_hours", OptionalNumber(r.turnaround.p90)},
                      {"material_yield_pct", OptionalNumber(r.material_yield_pct)},
                      {"first_pass_yield_pct", OptionalNumber(r.first_pass_yield_pct)},
                      {"order_accuracy_pct", OptionalNumber(r.order_accuracy_pct)}});
  }
  return json{{"days", day_count}, {"series", std::move(series)}};
}

}  // namespace floortrack
