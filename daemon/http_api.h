// HttpApi: floortrackd's read-only JSON API over HTTP (docs/api.md).
//
// Owns a cpp-httplib server, its listening thread and a bounded pool of
// worker threads (kWorkers), and one read-only SQLite connection of its own
// (SqliteStore::OpenReadOnly, opened on first use, reopened after an error),
// which the workers take turns on under a mutex. It never touches the
// daemon's writing store, so no request can delay ingest (the MQTT
// callback). With a token, a request needs it as a bearer token or the
// session cookie of a browser signed in at /login (daemon/http_auth.h).
// Borrows the health and metrics functions (Daemon::Health,
// Daemon::Metrics, thread-safe), which must stay callable until Stop()
// returns. GET /metrics is Prometheus text (daemon/metrics.h), under the
// same bearer-token rule as the API, and so is the dashboard (GET /, its
// assets and GET /api/v1/kpi/daily, daemon/http_dashboard.h). Requests are
// served on the pool's threads; Start(), SetToken(), SetDashboard(),
// SetShopTimeZone() and Stop() may be called from any thread (the setters
// concurrently with requests). Nothing thrown in a handler escapes it:
// every request gets an answer, every error a JSON one.
//
// The parameter parsers below are pure functions, thread-safe; they return
// the value or an error (kInvalid) that says what is wrong.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "adapters/config_file.h"
#include "adapters/sqlite_store.h"
#include "core/result.h"
#include "core/shop_time.h"
#include "core/time.h"
#include "daemon/daemon.h"
#include "daemon/http_auth.h"
#include "daemon/http_dashboard.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace floortrack {

// A time query parameter as the CLI reads its --since/--until
// (ParseTimeArgument: RFC 3339, YYYY-MM-DD, or a span like 7d; dates and
// days are local to the shop's `zone`). A "+" of an offset that the client
// did not encode as %2B arrives decoded as a space ("...T10:00:00 01:00");
// it is read as "+". Empty: no bound.
Result<std::optional<TimePoint>> ParseTimeParameter(std::string_view text, TimePoint now,
                                                    const ShopTimeZone& zone);

// A non-negative decimal count up to 1,000,000 ("limit").
Result<std::size_t> ParseCountParameter(std::string_view text);

// "1"/"true" or "0"/"false" ("open"); empty is false.
Result<bool> ParseFlagParameter(std::string_view text);

class HttpApi {
 public:
  static constexpr int kWorkers = 4;

  HttpApi(ListenAddress address, std::string database_path, std::string token,
          std::function<DaemonHealth()> health, std::function<DaemonMetrics()> metrics);
  ~HttpApi();  // Stop()
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  // Binds the address and starts serving; an error (address in use, not
  // available) names the address.
  Status Start();
  // The bearer token (empty: no authentication), e.g. after a reload.
  void SetToken(std::string token);
  // Where GET / finds its files ([http] dashboard_dir, chartjs_file; an
  // empty dashboard_dir disables it), e.g. before Start() and after a
  // reload. Until called, the dashboard is disabled (404).
  void SetDashboard(const std::string& dashboard_dir, const std::string& chartjs_file);
  // The shop's time zone ([shop] timezone), whose local days the time
  // parameters, the daily series and the 30-day metrics follow, e.g. before
  // Start() and after a reload. Until called, UTC.
  void SetShopTimeZone(std::shared_ptr<const ShopTimeZone> zone);
  // Stops accepting, lets the workers finish (at most the read/write
  // timeouts) and joins them. Idempotent.
  void Stop();

 private:
  void Route();
  bool Authorized(const httplib::Request& request);
  std::string Token();
  std::shared_ptr<const ShopTimeZone> Zone();
  void Login(const httplib::Request& request, httplib::Response& response);
  void Logout(httplib::Response& response);
  void Healthz(httplib::Response& response);
  void Metrics(httplib::Response& response);
  void Kpi(const httplib::Request& request, httplib::Response& response);
  void Orders(const httplib::Request& request, httplib::Response& response);
  void Order(const httplib::Request& request, httplib::Response& response);
  void Rejects(const httplib::Request& request, httplib::Response& response);
  void Batch(const httplib::Request& request, httplib::Response& response);
  void KpiDaily(const httplib::Request& request, httplib::Response& response);
  void Flow(const httplib::Request& request, httplib::Response& response);
  void Alerts(httplib::Response& response);
  void Late(httplib::Response& response);  // GET /api/v1/late
  void Dashboard(const httplib::Request& request, httplib::Response& response);
  // Runs `query` on the read-only connection under store_mutex_.
  template <class Query>
  auto WithStore(Query query) -> decltype(query(std::declval<SqliteStore&>()));

  ListenAddress address_;
  std::string database_path_;
  std::function<DaemonHealth()> health_;
  std::function<DaemonMetrics()> metrics_;
  std::unique_ptr<httplib::Server> server_;
  std::thread listener_;

  std::mutex token_mutex_;
  std::string token_;  // guarded by token_mutex_; never logged

  std::mutex dashboard_mutex_;
  std::vector<DashboardFile> dashboard_files_;  // guarded by dashboard_mutex_

  std::mutex zone_mutex_;
  std::shared_ptr<const ShopTimeZone> zone_;  // guarded by zone_mutex_; never null

  std::mutex store_mutex_;
  std::unique_ptr<SqliteStore> store_;  // guarded by store_mutex_
};

}  // namespace floortrack
