// Daemon: floortrackd's wiring of store, ingest and MQTT on one io_context.
//
// Owns the store, the ingest pipeline and the MQTT source. Signals arrive
// through an asio::signal_set: SIGTERM/SIGINT stop (disconnect, drain the
// handler, let io_context::run() return), SIGHUP reloads the config file.
// Messages are ingested on Paho's thread inside HandleMessage(), which
// returns only once the event is durable; storage conditions that may clear
// (busy, full, read-only, I/O) are waited out with backoff, never dropped.
// Everything except HandleMessage() runs on the io_context thread.
#pragma once

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/config_file.h"
#include "adapters/json_payload_decoder.h"
#include "adapters/mqtt_source.h"
#include "adapters/sqlite_store.h"
#include "core/clock.h"
#include "core/ingest.h"
#include "daemon/log_throttle.h"
#include "daemon/service_notifier.h"

namespace floortrack {

class Daemon {
 public:
  Daemon(asio::io_context& io, Config config, std::string config_path,
         std::unique_ptr<SqliteStore> store);
  void Start();

 private:
  bool HandleMessage(std::string_view topic, std::string_view payload);  // Paho's thread
  bool WaitOutStorageError(const Error& error, std::chrono::milliseconds& delay);
  void ApplyPendingRules();
  void LogOutcome(std::string_view topic, const IngestOutcome& outcome);
  void WaitForSignal();
  void Shutdown();
  void Reload();
  void OnLinkChange(bool subscribed);
  void Every(asio::steady_timer& timer, std::chrono::milliseconds period, void (Daemon::*tick)());
  void UpdateStatus();
  void PingWatchdog();
  void LogStats();
  std::string StatusLine(double events_per_s) const;

  asio::signal_set signals_;
  asio::steady_timer stats_timer_;
  asio::steady_timer status_timer_;
  asio::steady_timer watchdog_timer_;
  ServiceNotifier notifier_;
  bool ready_ = false;
  Config config_;
  std::string config_path_;
  std::unique_ptr<SqliteStore> store_;
  JsonPayloadDecoder decoder_;
  SystemClock clock_;
  Ingest ingest_;  // used on Paho's thread only
  MqttSource source_;

  std::mutex pending_mutex_;
  std::optional<Rules> pending_rules_;  // handed from Reload() to the ingest thread

  std::atomic<bool> stopping_{false};
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  std::optional<ErrorKind> storage_condition_;  // ingest thread: the condition last logged
  LogThrottle reject_log_{20, std::chrono::seconds(10)};  // ingest thread
  std::atomic<bool> storage_ok_{true};  // mirrors !storage_condition_ for other threads
  std::uint64_t last_logged_stored_ = 0;
  std::uint64_t last_status_stored_ = 0;
};

}  // namespace floortrack
