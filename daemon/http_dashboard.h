// The dashboard's side of the HTTP API (docs/operations.md, docs/api.md):
// the static files of GET / and the daily KPI series of
// GET /api/v1/kpi/daily.
//
// DashboardFiles is a value: the fixed allow-list of URL paths and the file
// each one serves (index.html, dashboard.css, dashboard.js under
// [http] dashboard_dir, and Debian's Chart.js at [http] chartjs_file). No
// other path is ever opened, so a request cannot reach outside it. Files are
// read at request time (an upgraded package or an edited web/ folder is
// served without a restart). All functions here are pure or read only the
// files and the OrderHistory they are given; thread-safe, except
// DailyKpiJson, which uses its OrderHistory (one thread at a time, as any
// store). None throws for bad input or a missing file.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/order_history.h"
#include "core/result.h"
#include "core/rules.h"
#include "core/shop_time.h"
#include "core/time.h"

namespace floortrack {

// The URL path Chart.js is served at (the page's <script src>).
inline constexpr std::string_view kChartJsUrl = "/assets/chart.min.js";

struct DashboardFile {
  std::string url;   // exact request path, e.g. "/assets/dashboard.js"
  std::string path;  // file on disk
  std::string content_type;
  std::string cache_control;
};

// The allow-list for a dashboard_dir and a chartjs_file. Empty when
// dashboard_dir is empty (the dashboard is disabled).
std::vector<DashboardFile> DashboardFiles(const std::string& dashboard_dir,
                                          const std::string& chartjs_file);

// What GET `url_path` answers: 200 with the file, or 404 with a JSON error
// (not in the allow-list, dashboard disabled, file missing or unreadable;
// the error names the path, never the file's location on disk).
struct StaticReply {
  int status = 404;
  std::string body;
  std::string content_type;
  std::string cache_control;
};
StaticReply ServeDashboardFile(const std::vector<DashboardFile>& files, std::string_view url_path);

// The "days" parameter of /api/v1/kpi/daily: 1 to 366; empty is 90.
inline constexpr int kDefaultDailyDays = 90;
Result<int> ParseDaysParameter(std::string_view text);

// {"days": N, "series": [{"date": "YYYY-MM-DD", ...}, ...]}: one entry per
// local day of the shop's `zone`, labelled by its local date, oldest first,
// the last one the local day of `now`, each the KPIs of that day's window
// [local midnight, next local midnight) (23 or 25 h on a DST day), exactly
// as cli::KpiReportOf computes them (the same KpiAccumulator), but with one
// read of the orders for the whole span and one material sum per day.
// Storage errors are returned.
Result<nlohmann::json> DailyKpiJson(OrderHistory& history, const Rules& rules, TimePoint now,
                                    int day_count, const ShopTimeZone& zone);

}  // namespace floortrack
