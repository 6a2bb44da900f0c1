#include "daemon/http_api.h"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <exception>
#include <nlohmann/json.hpp>
#include <utility>

#include "adapters/alert_record.h"
#include "core/clock.h"
#include "daemon/http_auth.h"
#include "daemon/metrics.h"
#include "tools/breakdown_output.h"
#include "tools/cli_output.h"
#include "tools/flow_output.h"

namespace floortrack {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxCount = 1'000'000;
constexpr std::size_t kDefaultRejects = 50;  // as `floortrack rejects`
constexpr time_t kReadTimeoutS = 5;
constexpr time_t kWriteTimeoutS = 5;
constexpr time_t kKeepAliveTimeoutS = 5;
constexpr std::size_t kMaxPayload = 4096;  // GET only: no body expected

// A value quoted in an error message, cut to a readable length.
std::string Quoted(std::string_view text) {
  constexpr std::size_t kMax = 64;
  if (text.size() <= kMax) return "'" + std::string(text) + "'";
  return "'" + std::string(text.substr(0, kMax)) + "...'";
}

void Reply(httplib::Response& response, int status, const json& body) {
  response.status = status;
  response.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace),
                       "application/json; charset=utf-8");
}

void BadParameter(httplib::Response& response, const char* parameter, const Error& error) {
  Reply(response, 400, json{{"error", error.message}, {"parameter", parameter}});
}

// A storage problem (or a missing database): 503 with the reason.
void Unavailable(httplib::Response& response, const Error& error) {
  Reply(response, 503, json{{"error", error.message}});
}

std::string Param(const httplib::Request& request, const char* name) {
  return request.has_param(name) ? request.get_param_value(name) : std::string();
}

// Every handler runs inside this: nothing thrown escapes to httplib.
template <class Handler>
httplib::Server::Handler Guarded(Handler handler) {
  return [handler](const httplib::Request& request, httplib::Response& response) {
    try {
      handler(request, response);
    } catch (const std::exception& e) {
      spdlog::error("http: {} {}: {}", request.method, request.path, e.what());
      Reply(response, 503, json{{"error", "internal error; see the daemon's log"}});
    } catch (...) {
      spdlog::error("http: {} {}: unknown exception", request.method, request.path);
      Reply(response, 503, json{{"error", "internal error; see the daemon's log"}});
    }
  };
}

// A page, not an API call: the dashboard's paths, or a browser that asks
// for HTML.
bool WantsPage(const httplib::Request& request) {
  if (request.path.rfind("/api/", 0) == 0 || request.path == "/metrics") return false;
  return request.path == "/" ||
         request.get_header_value("Accept").find("text/html") != std::string::npos;
}

std::string LoginPage(bool failed) {
  std::string page = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>floortrack: sign in</title>
<style>
body{font-family:system-ui,sans-serif;background:#111;color:#eee;display:flex;
justify-content:center;align-items:center;min-height:100vh;margin:0}
form{display:flex;flex-direction:column;gap:1rem;width:min(90vw,24rem);font-size:1.3rem}
input,button{font-size:1.3rem;padding:.6rem;border-radius:.4rem;border:1px solid #555}
button{background:#2d6cdf;color:#fff;border:0}
.error{color:#ff8080}
</style></head><body>
<form method="post" action="/login">
<h1>floortrack</h1>
<label for="token">Access token (from the shop server's [http] token_file)</label>
<input id="token" name="token" type="password" autocomplete="current-password" autofocus required>
)";
  if (failed)
    page += R"(<p class="error" id="error">That token is not the one configured.</p>
)";
  page += R"(<button type="submit">Sign in</button>
</form></body></html>
)";
  return page;
}

}  // namespace

Result<std::optional<TimePoint>> ParseTimeParameter(std::string_view text, TimePoint now,
                                                    const ShopTimeZone& zone) {
  if (text.empty()) return std::optional<TimePoint>{};
  std::string value(text);
  // "...T10:00:00 01:00": an unencoded "+" decoded as a space.
  if (value.size() > 6 && value[value.size() - 6] == ' ' && value[value.size() - 3] == ':')
    value[value.size() - 6] = '+';
  auto t = ParseTimeArgument(value, now, zone);
  if (!t)
    return MakeError(
        ErrorKind::kInvalid,
        Quoted(text) + " is not RFC 3339, YYYY-MM-DD or a span like 7d, 24h (encode + as %2B)");
  return std::optional<TimePoint>{*t};
}

Result<std::size_t> ParseCountParameter(std::string_view text) {
  std::size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > kMaxCount)
    return MakeError(ErrorKind::kInvalid,
                     Quoted(text) + " is not a whole number from 0 to 1000000");
  return value;
}

Result<bool> ParseFlagParameter(std::string_view text) {
  if (text.empty() || text == "0" || text == "false") return false;
  if (text == "1" || text == "true") return true;
  return MakeError(ErrorKind::kInvalid, Quoted(text) + " is not 1, 0, true or false");
}

HttpApi::HttpApi(ListenAddress address, std::string database_path, std::string token,
                 std::function<DaemonHealth()> health, std::function<DaemonMetrics()> metrics)
    : address_(std::move(address)),
      database_path_(std::move(database_path)),
      health_(std::move(health)),
      metrics_(std::move(metrics)),
      server_(std::make_unique<httplib::Server>()),
      token_(std::move(token)),
      zone_(std::make_shared<FixedOffsetZone>()) {
  server_->new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
  server_->set_read_timeout(kReadTimeoutS, 0);
  server_->set_write_timeout(kWriteTimeoutS, 0);
  server_->set_keep_alive_timeout(kKeepAliveTimeoutS);
  server_->set_payload_max_length(kMaxPayload);
  // SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, which would
  // let a second daemon share the port instead of failing at start.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  Route();
}

HttpApi::~HttpApi() { Stop(); }

Status HttpApi::Start() {
  const std::string where = address_.host + ":" + std::to_string(address_.port);
  errno = 0;
  if (!server_->bind_to_port(address_.host, address_.port)) {
    const int error = errno;
    return MakeError(ErrorKind::kIo,
                     "http: cannot listen on " + where + ": " +
                         (error != 0 ? std::strerror(error) : "address in use or not available"));
  }
  listener_ = std::thread([this] {
    try {
      server_->listen_after_bind();
    } catch (const std::exception& e) {
      spdlog::error("http: listener stopped: {}", e.what());
    }
  });
  // stop() is a no-op until the listener runs: wait for it, so a stop right
  // after the start cannot be lost.
  for (int i = 0; i < 1000 && !server_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  spdlog::info("http listening on {}", where);
  return Ok{};
}

void HttpApi::SetToken(std::string token) {
  std::lock_guard lock(token_mutex_);
  token_ = std::move(token);
}

void HttpApi::SetDashboard(const std::string& dashboard_dir, const std::string& chartjs_file) {
  auto files = DashboardFiles(dashboard_dir, chartjs_file);
  for (const DashboardFile& file : files)
    if (file.url != "/index.html" && ::access(file.path.c_str(), R_OK) != 0)  // "/" says it
      spdlog::warn(
          "http: the dashboard's {} cannot be read from {} (http.dashboard_dir, "
          "http.chartjs_file): {}",
          file.url, file.path, std::strerror(errno));
  std::lock_guard lock(dashboard_mutex_);
  dashboard_files_ = std::move(files);
}

void HttpApi::Stop() {
  if (!listener_.joinable()) return;
  server_->stop();
  listener_.join();
}

bool HttpApi::Authorized(const httplib::Request& request) {
  std::string token;
  {
    std::lock_guard lock(token_mutex_);
    token = token_;
  }
  if (token.empty()) return true;
  return BearerTokenMatches(token, request.get_header_value("Authorization")) ||
         SessionCookieMatches(token, request.get_header_value("Cookie"));
}

std::string HttpApi::Token() {
  std::lock_guard lock(token_mutex_);
  return token_;
}

void HttpApi::SetShopTimeZone(std::shared_ptr<const ShopTimeZone> zone) {
  if (!zone) zone = std::make_shared<FixedOffsetZone>();
  std::lock_guard lock(zone_mutex_);
  zone_ = std::move(zone);
}

std::shared_ptr<const ShopTimeZone> HttpApi::Zone() {
  std::lock_guard lock(zone_mutex_);
  return zone_;
}

// GET /login shows the form, or signs in with ?token= (a link a wall screen
// is given once); POST /login signs in with the form's token. Signed in:
// the session cookie and 303 to the dashboard, so the token leaves the
// address bar. Without a token configured there is nothing to sign in to.
void HttpApi::Login(const httplib::Request& request, httplib::Response& response) {
  const std::string token = Token();
  if (token.empty()) return response.set_redirect("/", 303);
  const bool attempted = request.method == "POST" || request.has_param("token");
  if (attempted && EqualInConstantTime(Param(request, "token"), token)) {
    response.set_header("Set-Cookie", SessionSetCookie(token));
    response.set_header("Cache-Control", "no-store");
    return response.set_redirect("/", 303);
  }
  if (attempted) spdlog::warn("http: failed sign-in from {}", request.remote_addr);
  response.status = attempted ? 401 : 200;
  response.set_header("Cache-Control", "no-store");
  response.set_content(LoginPage(attempted), "text/html; charset=utf-8");
}

void HttpApi::Logout(httplib::Response& response) {
  response.set_header("Set-Cookie", SessionSetCookie(""));
  response.set_redirect("/login", 303);
}

template <class Query>
auto HttpApi::WithStore(Query query) -> decltype(query(std::declval<SqliteStore&>())) {
  std::lock_guard lock(store_mutex_);
  if (!store_) {
    auto opened = SqliteStore::OpenReadOnly(database_path_);
    if (!opened)
      return MakeError(
          opened.error().kind == ErrorKind::kNotFound ? ErrorKind::kIo : opened.error().kind,
          opened.error().message);
    store_ = std::move(opened).value();
  }
  auto result = query(*store_);
  // A connection that failed is reopened for the next request.
  if (!result && result.error().kind != ErrorKind::kNotFound &&
      result.error().kind != ErrorKind::kInvalid)
    store_.reset();
  return result;
}

void HttpApi::Route() {
  server_->set_pre_routing_handler(
      [this](const httplib::Request& request, httplib::Response& response) {
        try {
          if (request.path == "/healthz" || request.path == "/login" || request.path == "/logout" ||
              Authorized(request))
            return httplib::Server::HandlerResponse::Unhandled;
          // A browser opening a page is sent to sign in; API clients get 401.
          if (request.method == "GET" && WantsPage(request)) {
            response.set_redirect("/login", 303);
            return httplib::Server::HandlerResponse::Handled;
          }
          response.set_header("WWW-Authenticate", "Bearer");
          Reply(response, 401, json{{"error", "missing or wrong bearer token"}});
        } catch (...) {
          Reply(response, 503, json{{"error", "internal error; see the daemon's log"}});
        }
        return httplib::Server::HandlerResponse::Handled;
      });
  // httplib's own errors (unknown path, bad request line, too long) get a
  // JSON body too; the handlers' own bodies are kept.
  server_->set_error_handler([](const httplib::Request&, httplib::Response& response) {
    if (!response.body.empty()) return;
    try {
      const char* what = response.status == 404   ? "no such resource"
                         : response.status == 413 ? "request too large"
                                                  : "bad request";
      Reply(response, response.status, json{{"error", what}});
    } catch (...) {
    }
  });
  server_->set_exception_handler(
      [](const httplib::Request&, httplib::Response& response, std::exception_ptr) {
        try {
          Reply(response, 503, json{{"error", "internal error; see the daemon's log"}});
        } catch (...) {
        }
      });
  server_->Get("/login",
               Guarded([this](const httplib::Request& request, httplib::Response& response) {
                 Login(request, response);
               }));
  server_->Post("/login",
                Guarded([this](const httplib::Request& request, httplib::Response& response) {
                  Login(request, response);
                }));
  server_->Post("/logout", Guarded([this](const httplib::Request&, httplib::Response& response) {
                  Logout(response);
                }));
  server_->Get("/healthz", Guarded([this](const httplib::Request&, httplib::Response& response) {
                 Healthz(response);
               }));
  server_->Get("/metrics", Guarded([this](const httplib::Request&, httplib::Response& response) {
                 Metrics(response);
               }));
  server_->Get("/api/v1/kpi",
               Guarded([this](const httplib::Request& request, httplib::Response& response) {
                 Kpi(request, response);
               }));
  server_->Get("/api/v1/orders",
               Guarded([this](const httplib::Request& request, httplib::Response& response) {
                 Orders(request, response);
               }));
  server_->Get(R"(/api/v1/orders/([^/]+))",
               Guarded([this](const httplib::Request& request, httplib::Response& response) {
                 Order(request, response);
               }));
  server_->Get("/api/v1/rejects",
               Guarded([this](const httplib::Request& request, httplib::Response& response) {
                 Rejects(request, response);
               }));
  server_->Get(R"(/api/v1/batches/([^/]+))",
               Guarded([this](const httplib::Request& request, httplib::Response& response) {
                 Batch(request, response);
               }));
  server_->Get("/api/v1/kpi/daily",
               Guarded([this](const httplib::Request& request, httplib::Response& response) {
                 KpiDaily(request, response);
               }));
  server_->Get(
      "/api/v1/alerts",
      Guarded([this](const httplib::Request&, httplib::Response& response) { Alerts(response); }));
  server_->Get("/api/v1/flow",
               Guarded([this](const httplib::Request& request, httplib::Response& response) {
                 Flow(request, response);
               }));
  server_->Get("/api/v1/late", Guarded([this](const httplib::Request&,
                                              httplib::Response& response) { Late(response); }));
  // The dashboard: only the allow-list in dashboard_files_ is ever served.
  server_->Get(R"(/|/index\.html|/assets/[A-Za-z0-9._-]+)",
               Guarded([this](const httplib::Request& request, httplib::Response& response) {
                 Dashboard(request, response);
               }));
}

void HttpApi::Healthz(httplib::Response& response) {
  DaemonHealth health = health_();
  if (health.healthy)
    Reply(response, 200, json{{"status", "ok"}, {"problems", json::array()}});
  else
    Reply(response, 503, json{{"status", "unhealthy"}, {"problems", health.problems}});
}

// The KPI gauges go through the same KpiReportOf as GET /api/v1/kpi, on the
// read-only connection; when the database cannot be read they are left out
// (the daemon's own metrics are still served) and the reason is logged.
void HttpApi::Metrics(httplib::Response& response) {
  const TimePoint now = SystemClock().Now();
  const auto zone = Zone();
  MetricsKpis kpis;
  auto computed = WithStore([&](SqliteStore& store) -> Result<MetricsKpis> {
    auto recorded = store.RecordedRules();
    if (!recorded) return recorded.error();
    const Rules rules = recorded.value().value_or(Rules{});
    auto all_time = cli::KpiReportOf(store, rules, Window{});
    if (!all_time) return all_time.error();
    // The last 30 local days, as `floortrack kpi --since 30d`.
    auto last_30d =
        cli::KpiReportOf(store, rules, Window{LocalDaysBack(now, 30, *zone), std::nullopt});
    if (!last_30d) return last_30d.error();
    return MetricsKpis{std::move(all_time).value(), std::move(last_30d).value()};
  });
  if (computed)
    kpis = std::move(computed).value();
  else
    spdlog::warn("http: /metrics without KPIs: {}", computed.error().message);
  response.status = 200;
  response.set_content(MetricsText(metrics_(), kpis), kMetricsContentType);
}

void HttpApi::Kpi(const httplib::Request& request, httplib::Response& response) {
  const TimePoint now = SystemClock().Now();
  const auto zone = Zone();
  auto since = ParseTimeParameter(Param(request, "since"), now, *zone);
  if (!since) return BadParameter(response, "since", since.error());
  auto until = ParseTimeParameter(Param(request, "until"), now, *zone);
  if (!until) return BadParameter(response, "until", until.error());
  // ?by=KEY: exactly `floortrack kpi --by KEY --json` (cli::KpiBreakdownReportJson).
  const std::string by = Param(request, "by");
  const std::optional<BreakdownKey> key = BreakdownKeyFromName(by);
  if (!by.empty() && !key)
    return BadParameter(
        response, "by",
        MakeError(ErrorKind::kInvalid, Quoted(by) + " is not one of " + BreakdownKeyNames()));
  const Window window{since.value(), until.value()};
  auto report = WithStore([&](SqliteStore& store) -> Result<json> {
    auto recorded = store.RecordedRules();
    if (!recorded) return recorded.error();
    const Rules rules = recorded.value().value_or(Rules{});
    if (key) return cli::KpiBreakdownReportJson(store, rules, window, *key);
    return cli::KpiReportJson(store, rules, window);
  });
  if (!report) return Unavailable(response, report.error());
  Reply(response, 200, report.value());
}

// The same JSON as `floortrack flow --json` (cli::FlowReportJson).
void HttpApi::Flow(const httplib::Request& request, httplib::Response& response) {
  const TimePoint now = SystemClock().Now();
  const auto zone = Zone();
  auto since = ParseTimeParameter(Param(request, "since"), now, *zone);
  if (!since) return BadParameter(response, "since", since.error());
  auto until = ParseTimeParameter(Param(request, "until"), now, *zone);
  if (!until) return BadParameter(response, "until", until.error());
  const std::string by = Param(request, "by");
  if (!by.empty() && by != "station")
    return BadParameter(response, "by",
                        MakeError(ErrorKind::kInvalid, Quoted(by) + " is not station"));
  const Window window{since.value(), until.value()};
  auto report = WithStore([&](SqliteStore& store) -> Result<json> {
    auto recorded = store.RecordedRules();
    if (!recorded) return recorded.error();
    const Rules rules = recorded.value().value_or(Rules{});
    return cli::FlowReportJson(store, rules, window, now, by == "station");
  });
  if (!report) return Unavailable(response, report.error());
  Reply(response, 200, report.value());
}

// Exactly `floortrack late --json`: the same LateReportJson.
void HttpApi::Late(httplib::Response& response) {
  const TimePoint now = SystemClock().Now();
  auto report = WithStore([&](SqliteStore& store) -> Result<json> {
    auto recorded = store.RecordedRules();
    if (!recorded) return recorded.error();
    return cli::LateReportJson(store, recorded.value().value_or(Rules{}), now);
  });
  if (!report) return Unavailable(response, report.error());
  Reply(response, 200, report.value());
}

void HttpApi::KpiDaily(const httplib::Request& request, httplib::Response& response) {
  const TimePoint now = SystemClock().Now();
  const auto zone = Zone();
  auto days = ParseDaysParameter(Param(request, "days"));
  if (!days) return BadParameter(response, "days", days.error());
  auto daily = WithStore([&](SqliteStore& store) -> Result<json> {
    auto recorded = store.RecordedRules();
    if (!recorded) return recorded.error();
    return DailyKpiJson(store, recorded.value().value_or(Rules{}), now, days.value(), *zone);
  });
  if (!daily) return Unavailable(response, daily.error());
  Reply(response, 200, daily.value());
}

void HttpApi::Dashboard(const httplib::Request& request, httplib::Response& response) {
  std::vector<DashboardFile> files;
  {
    std::lock_guard lock(dashboard_mutex_);
    files = dashboard_files_;
  }
  StaticReply reply = ServeDashboardFile(files, request.path);
  response.status = reply.status;
  response.set_header("Cache-Control", reply.cache_control);
  response.set_header("X-Content-Type-Options", "nosniff");
  // Everything the page uses comes from this server: nothing from elsewhere
  // may load, and no other site may frame it.
  response.set_header("Content-Security-Policy",
                      "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                      "base-uri 'none'; frame-ancestors 'none'");
  response.set_content(reply.body, reply.content_type);
}

void HttpApi::Orders(const httplib::Request& request, httplib::Response& response) {
  const TimePoint now = SystemClock().Now();
  const auto zone = Zone();
  auto open = ParseFlagParameter(Param(request, "open"));
  if (!open) return BadParameter(response, "open", open.error());
  auto since = ParseTimeParameter(Param(request, "since"), now, *zone);
  if (!since) return BadParameter(response, "since", since.error());
  std::size_t limit = 0;
  if (request.has_param("limit")) {
    auto parsed = ParseCountParameter(Param(request, "limit"));
    if (!parsed) return BadParameter(response, "limit", parsed.error());
    limit = parsed.value();
  }
  auto orders = WithStore([&](SqliteStore& store) -> Result<json> {
    auto list = store.ListOrders(OrderFilter{open.value(), since.value(), limit});
    if (!list) return list.error();
    return cli::OrdersJson(list.value(), now);
  });
  if (!orders) return Unavailable(response, orders.error());
  Reply(response, 200, orders.value());
}

void HttpApi::Order(const httplib::Request& request, httplib::Response& response) {
  const std::string id = request.matches[1];
  const TimePoint now = SystemClock().Now();
  auto status = WithStore([&](SqliteStore& store) -> Result<json> {
    auto order = store.FindOrder(id);
    if (!order) return order.error();
    auto timeline = store.OrderEvents(id);
    if (!timeline) return timeline.error();
    auto batches = store.BatchesOfOrder(id);
    if (!batches) return batches.error();
    return cli::StatusJson(order.value(), timeline.value(), now, batches.value());
  });
  if (!status && status.error().kind == ErrorKind::kNotFound)
    return Reply(response, 404, json{{"error", "unknown order " + Quoted(id)}});
  if (!status) return Unavailable(response, status.error());
  Reply(response, 200, status.value());
}

void HttpApi::Rejects(const httplib::Request& request, httplib::Response& response) {
  std::size_t limit = 0;
  if (request.has_param("limit")) {
    auto parsed = ParseCountParameter(Param(request, "limit"));
    if (!parsed) return BadParameter(response, "limit", parsed.error());
    limit = parsed.value();
  }
  if (limit == 0) limit = kDefaultRejects;
  auto rejects = WithStore([&](SqliteStore& store) -> Result<json> {
    auto list = store.RecentRejects(limit);
    if (!list) return list.error();
    auto total = store.RejectTotal();
    if (!total) return total.error();
    return cli::RejectsJson(list.value(), total.value());
  });
  if (!rejects) return Unavailable(response, rejects.error());
  Reply(response, 200, rejects.value());
}

void HttpApi::Batch(const httplib::Request& request, httplib::Response& response) {
  const std::string id = request.matches[1];
  auto batch = WithStore([&](SqliteStore& store) -> Result<json> {
    auto view = store.FindBatch(id);
    if (!view) return view.error();
    return cli::BatchJson(view.value());
  });
  if (!batch && batch.error().kind == ErrorKind::kNotFound)
    return Reply(response, 404, json{{"error", "unknown batch " + Quoted(id)}});
  if (!batch) return Unavailable(response, batch.error());
  Reply(response, 200, batch.value());
}

void HttpApi::Alerts(httplib::Response& response) {
  auto alerts = WithStore([&](SqliteStore& store) -> Result<json> {
    auto text = store.RecordedAlerts();
    if (!text) return text.error();
    std::optional<AlertState> state;
    if (text.value()) {
      auto decoded = DecodeAlertState(*text.value());
      if (!decoded) return decoded.error();
      state = std::move(decoded).value();
    }
    return AlertsJson(state);
  });
  if (!alerts) return Unavailable(response, alerts.error());
  Reply(response, 200, alerts.value());
}

}  // namespace floortrack
