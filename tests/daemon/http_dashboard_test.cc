// Unit tests for the dashboard's side of the HTTP API
// (daemon/http_dashboard.h): the static files' allow-list, the days
// parameter and the daily KPI series over a fake OrderHistory. No server.
#include "daemon/http_dashboard.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "adapters/iana_time_zone.h"

namespace floortrack {
namespace {

namespace fs = std::filesystem;

// A dashboard_dir with the three page files, and a Chart.js file beside it.
struct WebDir {
  fs::path root = fs::temp_directory_path() / ("floortrack-web-" + std::to_string(::getpid()));
  WebDir() {
    fs::create_directories(root / "web");
    Write(root / "web" / "index.html", "<!doctype html>");
    Write(root / "web" / "dashboard.css", "body{}");
    Write(root / "web" / "dashboard.js", "\"use strict\";");
    Write(root / "chart.min.js", "/*! Chart.js */");
    Write(root / "secret.txt", "top-secret-content");
  }
  ~WebDir() { fs::remove_all(root); }
  static void Write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }
};

TEST_CASE("ServeDashboardFile: the allow-list only, with types and cache headers") {
  WebDir dir;
  const auto files =
      DashboardFiles((dir.root / "web").string(), (dir.root / "chart.min.js").string());
  auto index = ServeDashboardFile(files, "/");
  CHECK(index.status == 200);
  CHECK(index.body == "<!doctype html>");
  CHECK(index.content_type == "text/html; charset=utf-8");
  CHECK(index.cache_control == "no-cache");
  CHECK(ServeDashboardFile(files, "/index.html").body == "<!doctype html>");
  auto css = ServeDashboardFile(files, "/assets/dashboard.css");
  CHECK(css.status == 200);
  CHECK(css.content_type == "text/css; charset=utf-8");
  auto js = ServeDashboardFile(files, "/assets/dashboard.js");
  CHECK(js.content_type == "text/javascript; charset=utf-8");
  auto chart = ServeDashboardFile(files, kChartJsUrl);
  CHECK(chart.status == 200);
  CHECK(chart.body == "/*! Chart.js */");
  CHECK(chart.cache_control == "public, max-age=86400");

  for (const char* path :
       {"/assets/../secret.txt", "/../secret.txt", "/secret.txt", "/assets/secret.txt", "/assets/",
        "", "/assets/dashboard.js/", "//", "/INDEX.HTML"}) {
    CAPTURE(path);
    auto reply = ServeDashboardFile(files, path);
    CHECK(reply.status == 404);
    CHECK(reply.content_type == "application/json; charset=utf-8");
    CHECK(reply.body.find("top-secret-content") == std::string::npos);
    CHECK(reply.body.find(dir.root.string()) == std::string::npos);
  }
}

TEST_CASE("ServeDashboardFile: a missing file or an empty dashboard_dir is 404, not an error") {
  WebDir dir;
  auto files = DashboardFiles((dir.root / "web").string() + "/", (dir.root / "none.js").string());
  CHECK(ServeDashboardFile(files, "/").status == 200);  // a trailing / on the dir is fine
  auto chart = ServeDashboardFile(files, kChartJsUrl);
  CHECK(chart.status == 404);
  CHECK(chart.body.find("none.js") == std::string::npos);  // never the path on disk
  fs::remove(dir.root / "web" / "index.html");
  CHECK(ServeDashboardFile(files, "/").status == 404);
  fs::create_directories(dir.root / "web" / "index.html");  // a directory is no file
  CHECK(ServeDashboardFile(files, "/").status == 404);
  CHECK(DashboardFiles("", "/usr/share/javascript/chart.js/chart.min.js").empty());
  CHECK(ServeDashboardFile({}, "/").status == 404);
}

TEST_CASE("ParseDaysParameter: 1 to 366, empty is 90") {
  CHECK(ParseDaysParameter("").value() == 90);
  CHECK(ParseDaysParameter("1").value() == 1);
  CHECK(ParseDaysParameter("366").value() == 366);
  for (const char* bad :
       {"0", "367", "-1", "+5", " 5", "5 ", "5d", "x", "1e2", "99999999999999999999"}) {
    CAPTURE(bad);
    auto days = ParseDaysParameter(bad);
    REQUIRE_FALSE(days.ok());
    CHECK(days.error().kind == ErrorKind::kInvalid);
    CHECK(days.error().message.find("1 to 366") != std::string::npos);
  }
}

// Records the windows asked for; one order shipped at `shipped`.
class FakeHistory : public OrderHistory {
 public:
  std::vector<Window> windows;           // of VisitOrdersForKpi
  std::vector<Window> material_windows;  // of MaterialInWindow
  TimePoint shipped{};
  bool fail = false;

  Status VisitOrdersForKpi(const Window& window,
                           const std::function<void(const OrderSummary&)>& visit) override {
    if (fail) return MakeError(ErrorKind::kIo, "disk on fire");
    windows.push_back(window);
    OrderSummary o;
    o.order_id = "A1";
    o.confirmed_at = shipped - std::chrono::hours(30);
    o.shipped_at = shipped;
    o.current_stage = "shipped";
    o.current_stage_at = shipped;
    visit(o);
    return Ok{};
  }
  Result<MaterialTotals> MaterialInWindow(const Window& window) override {
    material_windows.push_back(window);
    return MaterialTotals{};
  }
  Result<std::vector<StageEvent>> OrderEvents(const std::string&) override { return NotHere(); }
  Result<OrderSummary> FindOrder(const std::string&) override { return NotHere(); }
  Result<std::vector<OrderSummary>> ListOrders(const OrderFilter&) override { return NotHere(); }
  Result<std::vector<Reject>> RecentRejects(std::size_t) override { return NotHere(); }
  Result<std::uint64_t> RejectTotal() override { return NotHere(); }
  Result<std::uint64_t> EventCount() override { return NotHere(); }
  Result<BatchView> FindBatch(const std::string&) override { return NotHere(); }
  Result<std::vector<std::string>> BatchesOfOrder(const std::string&) override { return NotHere(); }

 private:
  static Error NotHere() { return Error{ErrorKind::kIo, "not used by DailyKpiJson"}; }
};

TEST_CASE("DailyKpiJson: one window per UTC day, oldest first, today last") {
  FakeHistory history;
  const TimePoint now = *ParseRfc3339("2026-11-24T20:30:00Z");
  history.shipped = *ParseRfc3339("2026-11-23T12:00:00Z");
  auto daily = DailyKpiJson(history, Rules{}, now, 3, FixedOffsetZone());
  REQUIRE(daily.ok());
  const auto& j = daily.value();
  CHECK(j["days"] == 3);
  REQUIRE(j["series"].size() == 3);
  CHECK(j["series"][0]["date"] == "2026-11-22");
  CHECK(j["series"][1]["date"] == "2026-11-23");
  CHECK(j["series"][2]["date"] == "2026-11-24");
  // One read of the orders for the three days; one material sum per day.
  REQUIRE(history.windows.size() == 1);
  CHECK(history.windows[0].since == ParseRfc3339("2026-11-22T00:00:00Z"));
  CHECK(history.windows[0].until == ParseRfc3339("2026-11-25T00:00:00Z"));
  REQUIRE(history.material_windows.size() == 3);
  CHECK(history.material_windows[0].since == ParseRfc3339("2026-11-22T00:00:00Z"));
  CHECK(history.material_windows[0].until == ParseRfc3339("2026-11-23T00:00:00Z"));
  CHECK(history.material_windows[2].since == ParseRfc3339("2026-11-24T00:00:00Z"));
  CHECK(history.material_windows[2].until == ParseRfc3339("2026-11-25T00:00:00Z"));
  // The order shipped on the 23rd counts on that day only.
  CHECK(j["series"][0]["shipped"] == 0);
  CHECK(j["series"][1]["shipped"] == 1);
  CHECK(j["series"][1]["turnaround_p50_hours"] == doctest::Approx(30.0));
  CHECK(j["series"][2]["shipped"] == 0);
  CHECK(j["series"][2]["turnaround_p50_hours"].is_null());
  CHECK(j["series"][2].contains("material_yield_pct"));
}

TEST_CASE("DailyKpiJson at +02:00: local days, labelled by their local date") {
  FakeHistory history;
  const FixedOffsetZone east(std::chrono::minutes(120), "+02:00");
  // 23:30 UTC on the 24th is 01:30 on the 25th locally: today is the 25th.
  const TimePoint now = *ParseRfc3339("2026-11-24T23:30:00Z");
  // 23:00 UTC on the 22nd is 01:00 on the 23rd locally.
  history.shipped = *ParseRfc3339("2026-11-22T23:00:00Z");
  auto daily = DailyKpiJson(history, Rules{}, now, 3, east);
  REQUIRE(daily.ok());
  const auto& j = daily.value();
  REQUIRE(j["series"].size() == 3);
  CHECK(j["series"][0]["date"] == "2026-11-23");
  CHECK(j["series"][2]["date"] == "2026-11-25");
  REQUIRE(history.windows.size() == 1);
  CHECK(history.windows[0].since == ParseRfc3339("2026-11-22T22:00:00Z"));
  CHECK(history.windows[0].until == ParseRfc3339("2026-11-25T22:00:00Z"));
  REQUIRE(history.material_windows.size() == 3);
  CHECK(history.material_windows[0].since == ParseRfc3339("2026-11-22T22:00:00Z"));
  CHECK(history.material_windows[0].until == ParseRfc3339("2026-11-23T22:00:00Z"));
  CHECK(j["series"][0]["shipped"] == 1);  // the 23rd locally (the 22nd in UTC)
  CHECK(j["series"][1]["shipped"] == 0);
  CHECK(j["series"][2]["shipped"] == 0);
}

TEST_CASE("DailyKpiJson in Europe/Berlin across the spring DST change: a 23 h day") {
  auto zone = IanaTimeZone::Load("Europe/Berlin");
  REQUIRE(zone.ok());
  FakeHistory history;
  const TimePoint now = *ParseRfc3339("2026-03-30T10:00:00Z");  // 12:00 local, +02:00
  history.shipped = *ParseRfc3339("2026-03-28T23:30:00Z");      // 00:30 on the 29th, +01:00
  auto daily = DailyKpiJson(history, Rules{}, now, 3, *zone.value());
  REQUIRE(daily.ok());
  const auto& j = daily.value();
  REQUIRE(j["series"].size() == 3);
  CHECK(j["series"][0]["date"] == "2026-03-28");
  CHECK(j["series"][1]["date"] == "2026-03-29");
  CHECK(j["series"][2]["date"] == "2026-03-30");
  REQUIRE(history.material_windows.size() == 3);
  CHECK(history.material_windows[0].since == ParseRfc3339("2026-03-27T23:00:00Z"));
  CHECK(history.material_windows[1].since == ParseRfc3339("2026-03-28T23:00:00Z"));
  CHECK(history.material_windows[1].until == ParseRfc3339("2026-03-29T22:00:00Z"));  // 23 h
  CHECK(history.material_windows[2].until == ParseRfc3339("2026-03-30T22:00:00Z"));
  CHECK(j["series"][0]["shipped"] == 0);
  CHECK(j["series"][1]["shipped"] == 1);
  CHECK(j["series"][2]["shipped"] == 0);
}

TEST_CASE("DailyKpiJson: a storage error is returned") {
  FakeHistory history;
  history.fail = true;
  auto daily =
      DailyKpiJson(history, Rules{}, *ParseRfc3339("2026-11-24T20:30:00Z"), 90, FixedOffsetZone());
  REQUIRE_FALSE(daily.ok());
  CHECK(daily.error().message == "disk on fire");
}

}  // namespace
}  // namespace floortrack
