// Daemon: floortrackd's wiring of store, ingest and message source on one
// io_context.
//
// Owns the ingest pipeline, the timers and the signal handling; borrows the
// EventStore, the MessageSource and the IngestJournal (main owns them; tests
// pass fakes), which must outlive it. Signals arrive through an
// asio::signal_set: SIGTERM/SIGINT stop (Shutdown()), SIGHUP reloads the
// config file. Messages arrive on the source's thread in HandleMessage(),
// which returns true only once the message is durable: journaled (then
// applied by the IngestApplier's thread), or without a journal stored.
// Storage conditions that may clear (busy, full, read-only, I/O) are waited
// out with backoff, never dropped, until a stop makes it give up (false: the
// source must not acknowledge). Everything except HandleMessage(), the
// applier's hooks, Health() and Metrics() runs on the io_context thread;
// Health() and Metrics() may be called from any thread.
#pragma once

#include <array>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/config_file.h"
#include "adapters/ingest_journal.h"
#include "adapters/json_payload_decoder.h"
#include "core/clock.h"
#include "core/event_store.h"
#include "core/ingest.h"
#include "core/message_source.h"
#include "daemon/alert_monitor.h"
#include "daemon/ingest_applier.h"
#include "daemon/kpi_publisher.h"
#include "daemon/log_throttle.h"
#include "daemon/service_notifier.h"

namespace floortrack {

// What floortrackd reports as its health (systemd STATUS= now, an HTTP
// health endpoint later).
struct DaemonHealth {
  bool healthy = false;
  std::vector<std::string> problems;  // plain words; empty when healthy
};

// A snapshot of what GET /metrics exposes (docs/api.md, "Metrics"); plain
// values, taken by Daemon::Metrics() from any thread.
struct DaemonMetrics {
  // floortrack_commit_seconds' upper bounds (the +Inf bucket is implicit).
  static constexpr std::array<double, 11> kCommitBounds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0};

  std::uint64_t stored = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t rejected = 0;
  std::array<std::uint64_t, kRejectClasses> rejected_by_class{};
  std::array<std::uint64_t, kTsFlags> flagged_by_reason{};
  bool connected = false;
  bool subscribed = false;
  bool storage_ok = false;
  std::optional<double> last_event_seconds;  // Unix time the last event was stored
  // Messages in the ingest journal not yet released (not yet in the
  // database, or in it but not yet synced); absent without a journal.
  std::optional<std::uint64_t> journal_pending;
  // Per bucket, not cumulative; the last one is +Inf.
  std::array<std::uint64_t, kCommitBounds.size() + 1> commit_buckets{};
  double commit_sum_seconds = 0;
};

class Daemon {
 public:
  Daemon(asio::io_context& io, Config config, std::string config_path, EventStore& store,
         MessageSource& source);
  // Applies the source-specific part of a reloaded config (main: the MQTT
  // credentials and TLS files), after the topics and rules. Before Start().
  void OnReload(std::function<void(const Config&)> apply) { apply_reload_ = std::move(apply); }
  // The KPI publisher, if any (borrowed; must outlive the source's
  // deliveries): Start() starts it before the source, a stored shipment
  // nudges it from the ingest thread, a reload hands it [publish],
  // Shutdown() stops it before the source. Before Start().
  void SetPublisher(KpiPublisher* publisher) { publisher_ = publisher; }
  // The alert monitor to tell about stored events and message counts, and
  // to start, stop and reconfigure with the daemon (borrowed).
  void SetAlertMonitor(AlertMonitor* monitor) { monitor_ = monitor; }
  // The ingest journal (borrowed; adapters/ingest_journal.h). With one, a
  // message is acknowledged once journaled and applied to the store in
  // batches by an IngestApplier thread; without, each message is stored in
  // its own transaction before it is acknowledged. Before Start().
  void SetJournal(IngestJournal* journal) { journal_ = journal; }
  void Start();
  // What SIGTERM does: makes a message waiting for storage give up, stops
  // the source (which may still deliver, and messages are still stored,
  // until it returns), cancels the timers so io_context::run() returns.
  void Shutdown();
  DaemonHealth Health() const;
  DaemonMetrics Metrics() const;  // any thread

 private:
  bool HandleMessage(const Delivery& delivery);                  // the source's thread
  bool JournalMessage(const Delivery& delivery);                 // the source's thread
  void StartApplier();
  // What the applier reports about each message and batch (its thread).
  void Applied(const JournalRecord& record, const IngestOutcome& outcome);
  void AfterBatch();
  void ObserveCommit(std::chrono::steady_clock::duration took);  // the source's thread
  // Where a storage condition was met: the journal (the source's thread) or
  // the database (the source's thread without a journal, else the applier's).
  enum StoragePath { kJournalPath = 0, kDatabasePath = 1 };
  bool WaitOutStorageError(const Error& error, std::chrono::milliseconds& delay, StoragePath path);
  void StorageWorked(StoragePath path);
  void ApplyPendingRules();
  void LogOutcome(std::string_view topic, const IngestOutcome& outcome);
  void WaitForSignal();
  void Reload();
  void OnSourceState();
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
  MessageSource& source_;
  EventStore& store_;
  std::function<void(const Config&)> apply_reload_;
  JsonPayloadDecoder decoder_;
  SystemClock clock_;
  Ingest ingest_;      // used on the source's thread only
  DeliveryMark mark_;  // the source's thread: the current message's connection and place

  std::mutex pending_mutex_;
  std::optional<Rules> pending_rules_;  // handed from Reload() to the ingest thread

  std::atomic<bool> stopping_{false};
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  std::mutex condition_mutex_;
  std::array<std::optional<ErrorKind>, 2> storage_conditions_;  // by StoragePath: the one logged
  LogThrottle reject_log_{20, std::chrono::seconds(10)};  // ingest thread
  std::atomic<bool> storage_ok_{true};  // mirrors !storage_condition_ for other threads
  // Written on the source's thread, read by Metrics().
  std::array<std::atomic<std::uint64_t>, DaemonMetrics::kCommitBounds.size() + 1> commit_buckets_{};
  std::atomic<std::uint64_t> commit_sum_ns_{0};
  std::atomic<std::int64_t> last_event_ms_{0};  // Unix ms; 0 = none yet
  std::uint64_t last_logged_stored_ = 0;
  KpiPublisher* publisher_ = nullptr;
  AlertMonitor* monitor_ = nullptr;
  std::uint64_t shipments_seen_ = 0;  // ingest thread: counters().shipped last nudged for
  std::uint64_t last_status_stored_ = 0;
  IngestJournal* journal_ = nullptr;
  std::unique_ptr<IngestApplier> applier_;
  // The journal's connections of earlier processes end here; this process's
  // connection n is journaled as connection_base_ + n.
  std::uint64_t connection_base_ = 0;
};

}  // namespace floortrack
