#include "daemon/kpi_publisher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "adapters/sqlite_store.h"
#include "core/time.h"
#include "tools/cli_output.h"

namespace floortrack {
namespace {

using nlohmann::json;

// last_30d: the last 30 local days, today included ("30d").
constexpr int kLastDays = 30;

// Home Assistant object ids and node ids: [a-zA-Z0-9_-] only.
std::string DiscoveryId(const std::string& text) {
  std::string id;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    id += ok ? c : '_';
  }
  return id;
}

struct Sensor {
  const char* object;  // object id and the unique_id's tail
  const char* name;
  const char* path;  // in the KPI payload, as a Jinja expression on value_json
  const char* unit;  // "" for none
  const char* device_class;
};

// Values from last_30d: a rolling month is what the floor steers by; orders
// open is a count of now, the same in every window that ends now.
constexpr Sensor kSensors[] = {
    {"turnaround_p50_hours", "Turnaround p50 (30 d)", "last_30d.turnaround_hours.p50", "h",
     "duration"},
    {"turnaround_p90_hours", "Turnaround p90 (30 d)", "last_30d.turnaround_hours.p90", "h",
     "duration"},
    {"material_yield_pct", "Material yield (30 d)", "last_30d.material_yield_pct", "%", ""},
    {"order_accuracy_pct", "Order accuracy (30 d)", "last_30d.order_accuracy_pct", "%", ""},
    {"first_pass_yield_pct", "First-pass yield (30 d)", "last_30d.first_pass_yield_pct", "%", ""},
    {"aov", "Average order value (30 d)", "last_30d.aov", "", ""},
    {"material_cost_pct", "Material cost (30 d)", "last_30d.material_cost_pct", "%", ""},
    {"personalization_pct", "Personalized orders (30 d)", "last_30d.personalization_pct", "%", ""},
    {"repeat_customer_pct", "Repeat customers (30 d)", "last_30d.repeat_customer_pct", "%", ""},
    {"orders_shipped", "Orders shipped (30 d)", "last_30d.orders.shipped", "", ""},
    {"orders_open", "Orders open", "all_time.orders.open", "", ""},
};

}  // namespace

std::vector<DiscoveryMessage> HomeAssistantDiscovery(const PublishConfig& config,
                                                     const std::string& client_id,
                                                     const std::string& status_topic) {
  std::vector<DiscoveryMessage> out;
  if (!config.homeassistant_discovery) return out;
  const std::string node = DiscoveryId(client_id);
  const json device = {{"identifiers", json::array({"floortrack_" + node})},
                       {"name", "floortrack " + client_id},
                       {"manufacturer", "floortrack"},
                       {"model", "floortrackd"}};
  for (const Sensor& s : kSensors) {
    // A null KPI renders as "None", which Home Assistant shows as unknown.
    json payload = {{"name", s.name},
                    {"unique_id", "floortrack_" + node + "_" + s.object},
                    {"state_topic", config.kpi_topic},
                    {"value_template", std::string("{{ value_json.") + s.path + " }}"},
                    {"state_class", "measurement"},
                    {"availability_topic", status_topic},
                    {"payload_available", "online"},
                    {"payload_not_available", "offline"},
                    {"device", device}};
    if (*s.unit) payload["unit_of_measurement"] = s.unit;
    if (*s.device_class) payload["device_class"] = s.device_class;
    out.push_back({config.homeassistant_prefix + "/sensor/" + node + "/" + s.object + "/config",
                   payload.dump()});
  }
  return out;
}

KpiPublisher::KpiPublisher(asio::io_context& io, PublishConfig config, std::string client_id,
                           std::string status_topic, MessageSink& sink, Compute compute)
    : io_(io),
      timer_(io),
      client_id_(std::move(client_id)),
      status_topic_(std::move(status_topic)),
      sink_(sink),
      compute_(std::move(compute)),
      config_(std::move(config)),
      zone_(std::make_shared<FixedOffsetZone>()) {}

KpiPublisher::~KpiPublisher() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

KpiPublisher::Compute KpiPublisher::ReadOnlyDatabase(std::string database_path) {
  // Shared by the copies of the function; used on the worker thread only.
  auto store = std::make_shared<std::unique_ptr<SqliteStore>>();
  return [path = std::move(database_path), store](const Window& window) -> Result<json> {
    if (!*store) {
      auto opened = SqliteStore::OpenReadOnly(path);
      if (!opened) return opened.error();
      *store = std::move(opened).value();
    }
    auto rules = (*store)->RecordedRules();
    if (!rules) {
      store->reset();  // reopened next time
      return rules.error();
    }
    auto kpis = cli::KpiReportJson(**store, rules.value().value_or(Rules{}), window);
    if (!kpis) store->reset();
    return kpis;
  };
}

void KpiPublisher::Start() {
  sink_.OnConnect([this] { Request(Steady::now(), true); });
  worker_ = std::thread([this] { Work(); });
  running_ = true;
  ScheduleTick();
  sink_.Start();
}

void KpiPublisher::ScheduleTick() {
  int interval_s = 0;
  {
    std::lock_guard lock(mutex_);
    interval_s = config_.interval_s;
  }
  timer_.expires_after(std::chrono::seconds(interval_s));
  timer_.async_wait([this](const std::error_code& ec) {
    if (ec || !running_) return;
    try {
      Request(Steady::now(), false);
      ScheduleTick();
    } catch (const std::exception& e) {
      spdlog::error("KPI publish timer: {}", e.what());
    }
  });
}

void KpiPublisher::ShipmentStored() {
  std::lock_guard lock(mutex_);
  const auto at = std::max(Steady::now(), last_run_ + kMinShipmentGap);
  if (!due_ || at < *due_) due_ = at;
  cv_.notify_one();
}

void KpiPublisher::Request(Steady::time_point at, bool discovery) {
  {
    std::lock_guard lock(mutex_);
    if (!due_ || at < *due_) due_ = at;
    discovery_pending_ = discovery_pending_ || discovery;
  }
  cv_.notify_one();
}

void KpiPublisher::SetConfig(PublishConfig config) {
  bool interval_changed = false;
  bool resend_discovery = false;
  {
    std::lock_guard lock(mutex_);
    interval_changed = config.interval_s != config_.interval_s;
    resend_discovery = config.homeassistant_discovery &&
                       (!config_.homeassistant_discovery || config.kpi_topic != config_.kpi_topic ||
                        config.homeassistant_prefix != config_.homeassistant_prefix);
    const bool topic_changed = config.kpi_topic != config_.kpi_topic;
    config_ = std::move(config);
    if (topic_changed || resend_discovery) {
      due_ = Steady::now();  // the new topic gets the KPIs at once
      discovery_pending_ = discovery_pending_ || resend_discovery;
    }
  }
  cv_.notify_one();
  if (interval_changed && running_) ScheduleTick();  // cancels the pending wait
}

void KpiPublisher::SetShopTimeZone(std::shared_ptr<const ShopTimeZone> zone) {
  if (!zone) zone = std::make_shared<FixedOffsetZone>();
  std::lock_guard lock(mutex_);
  zone_ = std::move(zone);
}

void KpiPublisher::Stop() {
  running_ = false;
  timer_.cancel();
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  sink_.Stop();  // "offline", then disconnects (bounded waits)
}

std::uint64_t KpiPublisher::published() const {
  std::lock_guard lock(mutex_);
  return published_;
}

std::uint64_t KpiPublisher::failed() const {
  std::lock_guard lock(mutex_);
  return failed_;
}

// The worker: waits for the earliest due time, then computes and publishes
// outside the lock. Nothing escapes it.
void KpiPublisher::Work() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    if (!due_) {
      cv_.wait(lock);
      continue;
    }
    if (Steady::now() < *due_) {
      cv_.wait_until(lock, *due_);
      continue;
    }
    due_.reset();
    last_run_ = Steady::now();
    const bool discovery = discovery_pending_;
    discovery_pending_ = false;
    const PublishConfig config = config_;
    const std::shared_ptr<const ShopTimeZone> zone = zone_;
    lock.unlock();
    try {
      RunOnce(config, *zone, discovery);
    } catch (const std::exception& e) {
      try {
        spdlog::error("KPI publish failed: {}", e.what());
      } catch (...) {
      }
    } catch (...) {
    }
    lock.lock();
  }
}

void KpiPublisher::RunOnce(const PublishConfig& config, const ShopTimeZone& zone, bool discovery) {
  if (discovery) {
    for (const auto& message : HomeAssistantDiscovery(config, client_id_, status_topic_))
      sink_.Publish(message.topic, message.payload, true);
  }
  const auto started = Steady::now();
  const TimePoint now = clock_.Now();
  auto all_time = compute_(Window{});
  auto last_30d =
      all_time ? compute_(Window{LocalDaysBack(now, kLastDays, zone), std::nullopt}) : all_time;
  if (!all_time || !last_30d) {
    {
      std::lock_guard lock(mutex_);
      ++failed_;
    }
    spdlog::warn("cannot compute the KPIs to publish on {}: {}", config.kpi_topic,
                 (!all_time ? all_time : last_30d).error().message);
    return;
  }
  const json payload = {{"all_time", std::move(all_time).value()},
                        {"last_30d", std::move(last_30d).value()},
                        {"generated_at", FormatRfc3339(now)}};
  const bool handed = sink_.Publish(config.kpi_topic, payload.dump(), true);
  const auto took = std::chrono::duration<double>(Steady::now() - started).count();
  if (handed) {
    std::lock_guard lock(mutex_);
    ++published_;
  }
  if (handed && !announced_) {
    announced_ = true;
    spdlog::info("publishing the KPIs on {} (retained) every {} s and after shipments",
                 config.kpi_topic, config.interval_s);
  }
  spdlog::debug("KPIs {} {} (computed in {:.3f} s)", handed ? "published on" : "not published on",
                config.kpi_topic, took);
}

}  // namespace floortrack
