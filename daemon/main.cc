// floortrackd: subscribes to the shop floor's MQTT topics and stores every
// stage event durably. See docs/operations.md.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <asio/io_context.hpp>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>

#include "adapters/config_file.h"
#include "adapters/iana_time_zone.h"
#include "adapters/mqtt_sink.h"
#include "adapters/mqtt_source.h"
#include "adapters/sqlite/state_record.h"
#include "adapters/sqlite_store.h"
#include "core/subscription_record.h"
#include "daemon/daemon.h"
#include "daemon/http_api.h"
#include "daemon/kpi_publisher.h"
#include "daemon/logging.h"
#include "daemon/service_notifier.h"

namespace {

constexpr int kExitConfig = 2;
constexpr int kExitStorage = 1;
constexpr int kExitHttp = 3;  // [http] listen address in use or not available
// Start time asked of systemd at each migration or rebuild progress report.
constexpr std::chrono::minutes kStartExtension{5};

int CheckConfig(const std::string& path) {
  auto config = floortrack::LoadConfig(path);
  if (!config) {
    std::fprintf(stderr, "%s\n", config.error().message.c_str());
    return 1;
  }
  std::printf("%s: OK\n", path.c_str());
  return 0;
}

floortrack::StoreOptions ToStoreOptions(const floortrack::StorageConfig& s) {
  floortrack::StoreOptions o;
  o.path = s.path;
  o.sync = s.synchronous == "normal" ? floortrack::StoreOptions::Sync::kNormal
                                     : floortrack::StoreOptions::Sync::kFull;
  o.busy_timeout_ms = s.busy_timeout_ms;
  o.max_rejects = static_cast<std::size_t>(s.max_rejects);
  return o;
}

int Run(const std::string& config_path, const std::string& log_level) {
  auto loaded = floortrack::LoadConfig(config_path);
  if (!loaded) {
    std::fprintf(stderr, "floortrackd: %s\n", loaded.error().message.c_str());
    return kExitConfig;
  }
  floortrack::Config config = std::move(loaded).value();
  if (!log_level.empty()) config.log.level = log_level;
  floortrack::ConfigureLogging(config.log.level);
  // Secrets readable by others (config, password file, TLS key): warn only.
  for (const auto& warning : floortrack::SecurityWarnings(config, config_path))
    spdlog::warn("{}", warning);

  // Migrations and summary rebuilds report progress: logged, and each report
  // asks systemd for more start time, so a long one is not killed by the
  // unit's start timeout. An ordinary start reports nothing.
  floortrack::ServiceNotifier starting;
  floortrack::StoreOptions store_options = ToStoreOptions(config.storage);
  store_options.background_checkpoints = true;
  store_options.progress = [&starting](const floortrack::StoreProgress& p) {
    if (p.total > 0)
      spdlog::info("{}: {} of {}", p.step, p.done, p.total);
    else
      spdlog::info("{}", p.step);
    starting.ExtendTimeout(kStartExtension);
  };
  auto store = floortrack::SqliteStore::OpenForWriting(store_options, config.rules);
  if (!store) {
    spdlog::critical("cannot open database: {}", store.error().message);
    return kExitStorage;
  }
  spdlog::info("floortrackd {} starting; database {}", FLOORTRACK_VERSION, config.storage.path);
  std::unique_ptr<floortrack::SqliteStore> events = std::move(store).value();
  // The ingest journal beside the database (docs/reliability.md): what it
  // holds beyond what the database applied is applied first.
  std::unique_ptr<floortrack::IngestJournal> journal;
  if (config.storage.journal) {
    auto applied = events->AppliedThrough();
    if (!applied) {
      spdlog::critical("cannot open database: {}", applied.error().message);
      return kExitStorage;
    }
    floortrack::JournalOptions journal_options;
    journal_options.dir = config.storage.path + "-ingest";
    journal_options.sync = config.storage.synchronous != "normal";
    journal_options.max_bytes = static_cast<std::size_t>(config.storage.journal_max_mib) << 20;
    auto opened = floortrack::IngestJournal::Open(journal_options, applied.value());
    if (!opened) {
      spdlog::critical("cannot open the ingest journal: {}", opened.error().message);
      return kExitStorage;
    }
    journal = std::move(opened).value();
  }
  // The filters subscribed (so a filter dropped from the config is
  // unsubscribed at the next connect, also across restarts) and the rules
  // after a reload (so the CLI sees them at once) are kept in the database,
  // through a connection of the io_context thread's own.
  auto state = floortrack::StateRecord::Open(config.storage.path, config.storage.busy_timeout_ms);
  if (!state) {
    spdlog::critical("cannot open database: {}", state.error().message);
    return kExitStorage;
  }
  asio::io_context io;
  // Declared in this order so they are destroyed daemon first, store last.
  floortrack::MqttConfig link = config.mqtt;
  link.topics = floortrack::SubscribedFilters(config);
  floortrack::MqttSource mqtt(io, link, *state.value());
  const floortrack::HttpConfig http_config = config.http;
  const std::string database_path = config.storage.path;
  const floortrack::PublishConfig publish_config = config.publish;
  const floortrack::AlertRules alert_rules = config.alerts;
  const int busy_timeout_ms = config.storage.busy_timeout_ms;
  // The shop's local days ([shop] timezone; LoadConfig checked the name):
  // the API's and the published KPIs' day windows follow them.
  const auto shop_zone = [](const floortrack::Rules& rules) {
    auto zone = floortrack::IanaTimeZone::Load(rules.shop_timezone);
    if (zone) return std::move(zone).value();
    spdlog::warn("shop.timezone: {}; days are UTC days", zone.error().message);
    return std::shared_ptr<const floortrack::ShopTimeZone>(
        std::make_shared<floortrack::FixedOffsetZone>());
  };
  const auto zone = shop_zone(config.rules);
  floortrack::Daemon daemon(io, std::move(config), config_path, *events, mqtt);
  daemon.SetJournal(journal.get());
  // The read-only HTTP API (docs/api.md), on threads of its own with its own
  // read-only connection; declared after the daemon so it is stopped and
  // destroyed first (its health endpoint asks the daemon).
  std::unique_ptr<floortrack::HttpApi> http;
  if (!http_config.listen.empty()) {
    auto address = floortrack::ParseListenAddress(http_config.listen);
    if (!address) {  // LoadConfig checked it; kept for safety
      spdlog::critical("http.listen: {}", address.error().message);
      return kExitConfig;
    }
    http = std::make_unique<floortrack::HttpApi>(
        address.value(), database_path, http_config.token, [&daemon] { return daemon.Health(); },
        [&daemon] { return daemon.Metrics(); });
    http->SetDashboard(http_config.dashboard_dir, http_config.chartjs_file);
    http->SetShopTimeZone(zone);
    if (auto started = http->Start(); !started) {
      spdlog::critical("{}", started.error().message);
      return kExitHttp;
    }
  }
  // Status and KPIs on MQTT (docs/api.md), over a connection of their own
  // (adapters/mqtt_sink.h), computed on a worker thread of the publisher's
  // own with its own read-only connection; the publisher is declared after
  // the sink, so destroyed (worker joined) first.
  floortrack::MqttSink sink(io, link);
  floortrack::KpiPublisher publisher(io, publish_config, link.client_id, sink.status_topic(), sink,
                                     floortrack::KpiPublisher::ReadOnlyDatabase(database_path));
  publisher.SetShopTimeZone(zone);
  daemon.SetPublisher(&publisher);
  // Alerts (docs/alerts.md): evaluated on a worker thread of their own, with
  // their own connections; they resume from the recorded state.
  std::optional<floortrack::AlertState> restored;
  if (auto text = state.value()->LoadAlerts(); text && text.value()) {
    if (auto decoded = floortrack::DecodeAlertState(*text.value()))
      restored = std::move(decoded).value();
    else
      spdlog::warn("alert state not restored: {}", decoded.error().message);
  }
  floortrack::AlertMonitor alerts(
      io, alert_rules, sink, floortrack::AlertMonitor::ReadOnlyDatabase(database_path),
      floortrack::AlertMonitor::StateRecordAt(database_path, busy_timeout_ms), std::move(restored));
  daemon.SetAlertMonitor(&alerts);
  daemon.OnReload([&mqtt, &sink, &state, &http, &publisher,
                   &shop_zone](const floortrack::Config& next) {
    mqtt.SetSecurity(next.mqtt);
    sink.SetSecurity(next.mqtt);
    const auto next_zone = shop_zone(next.rules);
    publisher.SetShopTimeZone(next_zone);
    if (http) http->SetToken(next.http.token);
    if (http) http->SetDashboard(next.http.dashboard_dir, next.http.chartjs_file);
    if (http) http->SetShopTimeZone(next_zone);
    if (auto recorded = state.value()->RecordRules(next.rules); !recorded)
      spdlog::error("reload: could not record the rules for the CLI: {}", recorded.error().message);
  });
  daemon.Start();
  io.run();
  // io.run() returns after Daemon::Shutdown(): stop serving before the
  // daemon and the store go away.
  if (http) http->Stop();
  spdlog::info("floortrackd stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"floortrackd: stores the shop floor's stage events from MQTT and keeps its KPIs"};
  std::string config_path = "/etc/floortrack/floortrack.toml";
  std::string check_path;
  std::string log_level;
  app.add_option("-c,--config", config_path, "configuration file")->capture_default_str();
  app.add_option("--check-config", check_path,
                 "validate FILE, print problems, exit 0 (valid) or 1");
  app.add_option("--log-level", log_level, "override [log] level")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.set_version_flag("--version", std::string("floortrackd ") + FLOORTRACK_VERSION);
  CLI11_PARSE(app, argc, argv);
  if (!check_path.empty()) return CheckConfig(check_path);
  try {
    return Run(config_path, log_level);
  } catch (const std::exception& e) {
    spdlog::critical("fatal: {}", e.what());
    return kExitStorage;
  }
}
