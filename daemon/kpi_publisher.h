// KpiPublisher: publishes the shop's KPIs, retained, on MQTT ([publish],
// docs/api.md "MQTT topics floortrackd publishes"), and the Home Assistant
// discovery configs when asked to.
//
// The payload on [publish] kpi_topic is {"all_time": K, "last_30d": K,
// "generated_at": T}, K being exactly what `floortrack kpi --json` prints for
// that window (cli::KpiReportJson, as GET /api/v1/kpi), last_30d since
// the start of the last 30 local days of the shop's time zone (as
// `floortrack kpi --since 30d`), T RFC 3339 UTC. A computation runs when
// the interval timer fires ([publish] interval_s), after every connect of
// the sink (which also re-sends the discovery configs), and after a
// shipment was stored, but for shipments at most once per 10 s after the
// previous computation began, so a drained backlog coalesces into one.
//
// Threads: KPIs are computed on a worker thread of the publisher's own, with
// its own read-only database connection (the production Compute), never on
// the ingest thread (the source's callback) nor on the io_context thread
// (which handles the source's connection events). One worker: never two
// computations at once. ShipmentStored() is what the ingest thread calls: it
// takes a mutex the worker holds only to read its schedule, never while
// computing, and never blocks on the broker. Publishing goes through the
// MessageSink, which never blocks; a publish it refuses is logged there and
// dropped, never fatal.
//
// Ownership: borrows the io_context and the sink, which must outlive it, and
// is the sink's only user: Start() sets the sink's connect handler and starts
// it, Stop() stops it (its "offline" goes out then). Owns the timer and the
// worker. Start(), SetConfig() and Stop() are called on the io_context
// thread; ShipmentStored() from any thread. The destructor stops and joins
// the worker (a computation under way is finished first; its publish is
// refused once the sink stopped).
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "adapters/config_file.h"
#include "core/clock.h"
#include "core/message_sink.h"
#include "core/order_history.h"
#include "core/result.h"
#include "core/shop_time.h"

namespace floortrack {

// One Home Assistant discovery config: its topic and JSON payload.
struct DiscoveryMessage {
  std::string topic;
  std::string payload;
};

// The discovery configs for [publish] (empty when homeassistant_discovery is
// off): one sensor per KPI, state_topic = kpi_topic, values from last_30d
// (orders open from all_time), availability on `status_topic`. Pure.
std::vector<DiscoveryMessage> HomeAssistantDiscovery(const PublishConfig& config,
                                                     const std::string& client_id,
                                                     const std::string& status_topic);

class KpiPublisher {
 public:
  // The KPI object for a window, as `floortrack kpi --json` prints it. Runs
  // on the worker thread only.
  using Compute = std::function<Result<nlohmann::json>(const Window& window)>;
  // Shipments publish at most once per this long.
  static constexpr std::chrono::seconds kMinShipmentGap{10};

  KpiPublisher(asio::io_context& io, PublishConfig config, std::string client_id,
               std::string status_topic, MessageSink& sink, Compute compute);
  ~KpiPublisher();
  KpiPublisher(const KpiPublisher&) = delete;
  KpiPublisher& operator=(const KpiPublisher&) = delete;

  // The production Compute: cli::KpiReportJson on a read-only connection to
  // `database_path`, opened on first use and reopened after a failure, with
  // the rules recorded in the database.
  static Compute ReadOnlyDatabase(std::string database_path);

  void Start();
  // A stored shipment: computes within kMinShipmentGap. Any thread.
  void ShipmentStored();
  // A reloaded [publish]: the topic, the interval (from now) and discovery.
  void SetConfig(PublishConfig config);
  // The shop's time zone ([shop] timezone), whose days last_30d counts;
  // UTC until called. Any thread.
  void SetShopTimeZone(std::shared_ptr<const ShopTimeZone> zone);
  // Cancels the timer and tells the worker to stop (does not join it).
  void Stop();

  // Payloads handed to the sink and computations that failed, for logs and
  // tests. Any thread.
  std::uint64_t published() const;
  std::uint64_t failed() const;

 private:
  using Steady = std::chrono::steady_clock;
  void ScheduleTick();
  // Asks for a computation at `at` at the latest; the worker's discovery
  // flag too when `discovery`.
  void Request(Steady::time_point at, bool discovery);
  void Work();
  void RunOnce(const PublishConfig& config, const ShopTimeZone& zone, bool discovery);

  asio::io_context& io_;
  asio::steady_timer timer_;
  const std::string client_id_;
  const std::string status_topic_;
  MessageSink& sink_;
  Compute compute_;
  SystemClock clock_;
  std::thread worker_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  PublishConfig config_;                      // guarded by mutex_
  std::shared_ptr<const ShopTimeZone> zone_;  // guarded; never null
  std::optional<Steady::time_point> due_;     // the next computation; guarded
  Steady::time_point last_run_{};             // when the last one began; guarded
  bool discovery_pending_ = false;            // guarded
  bool stop_ = false;                         // guarded
  std::uint64_t published_ = 0;               // guarded
  std::uint64_t failed_ = 0;                  // guarded
  bool announced_ = false;                    // worker: the first publish was logged
  bool running_ = false;                      // io_context thread: Start() called, Stop() not
};

}  // namespace floortrack
